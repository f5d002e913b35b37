/*
 * auth/htpasswd.h - an Apache htpasswd file as a password database:
 * bcrypt (and SHA-crypt) entries, re-read when the file changes, with a
 * short cache of successful checks because bcrypt is slow by design.
 */
#ifndef BERTH_CORE_AUTH_HTPASSWD_H
#define BERTH_CORE_AUTH_HTPASSWD_H

#include <stddef.h>

typedef struct berth_htpasswd berth_htpasswd;

/** Seconds a successful check is remembered. */
#define BERTH_HTPASSWD_CACHE_TTL 30

/** Load `path`; NULL with a message if it cannot be read or has no
    usable entry. */
berth_htpasswd *auth_htpasswd_open(const char *path, char *err,
				    size_t errlen);

/**
 * 1 if `user` exists and `password` matches, 0 otherwise.  Re-reads the
 * file first if it changed (checked at most once per second); if the new
 * file cannot be read the previous entries stay in force.  Thread-safe.
 */
int auth_htpasswd_check(berth_htpasswd *h, const char *user,
			 const char *password);

/** Force a re-read on the next check (after SIGHUP). */
void auth_htpasswd_invalidate(berth_htpasswd *h);

/** Number of usable entries. */
size_t auth_htpasswd_count(berth_htpasswd *h);

void auth_htpasswd_free(berth_htpasswd *h);

#endif
