/*
 * auth/htpasswd.c - password checks against an htpasswd file.
 *
 * Entries are "user:hash" lines; hashes libcrypt verifies with crypt_r
 * are accepted: bcrypt ($2y$, $2b$, $2a$, what `htpasswd -B` writes) and
 * SHA-crypt ($5$, $6$).  Plain text, MD5 ($apr1$) and {SHA} entries are
 * skipped: they are too weak to protect a registry.
 *
 * The file is re-read when its inode, size or mtime changed, looked at no
 * more than once a second, so editing it takes effect without a restart.
 * Hash results are compared in constant time; an unknown user still costs
 * one hash computation, so response time does not reveal which accounts
 * exist.  Successful checks are cached for a few seconds under an HMAC of
 * "user NUL password" with a per-process random key (never the password
 * itself), and the cache is emptied whenever the file changes.
 */
#include <crypt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auth/htpasswd.h"

#define CACHE_SLOTS 64

typedef struct entry {
	char *user;
	char *hash;
} entry;

typedef struct cached {
	unsigned char mac[32];
	time_t expires;
} cached;

struct berth_htpasswd {
	pthread_mutex_t mu;
	char *path;
	entry *v;
	size_t n;
	struct stat st;      /* of the file the entries came from */
	time_t checked;      /* last stat (monotonic seconds) */
	unsigned generation; /* bumped on every reload */
	unsigned char key[32];
	cached cache[CACHE_SLOTS];
	size_t next_slot;
};

static time_t mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int usable_hash(const char *h)
{
	return strncmp(h, "$2y$", 4) == 0 || strncmp(h, "$2b$", 4) == 0 ||
	       strncmp(h, "$2a$", 4) == 0 || strncmp(h, "$5$", 3) == 0 ||
	       strncmp(h, "$6$", 3) == 0;
}

static void free_entries(entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].user);
		OPENSSL_cleanse(v[i].hash, strlen(v[i].hash));
		free(v[i].hash);
	}
	free(v);
}

/* Read the file into a fresh entry array. */
static int load(const char *path, entry **out, size_t *count, struct stat *st)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	if (fstat(fileno(f), st)) {
		fclose(f);
		return -1;
	}
	entry *v = NULL;
	size_t n = 0, cap = 0;
	char *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	int rc = 0;
	while ((len = getline(&line, &lcap, f)) >= 0) {
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		char *colon = strchr(line, ':');
		if (!colon || colon == line || line[0] == '#' ||
		    !usable_hash(colon + 1))
			continue;
		*colon = 0;
		if (n == cap) {
			size_t c = cap ? cap * 2 : 16;
			entry *nv = realloc(v, c * sizeof *nv);
			if (!nv) {
				rc = -1;
				break;
			}
			v = nv;
			cap = c;
		}
		v[n].user = strdup(line);
		v[n].hash = strdup(colon + 1);
		if (!v[n].user || !v[n].hash) {
			free(v[n].user);
			free(v[n].hash);
			rc = -1;
			break;
		}
		n++;
	}
	if (line)
		OPENSSL_cleanse(line, lcap);
	free(line);
	fclose(f);
	if (rc) {
		free_entries(v, n);
		return -1;
	}
	*out = v;
	*count = n;
	return 0;
}

berth_htpasswd *auth_htpasswd_open(const char *path, char *err,
				    size_t errlen)
{
	berth_htpasswd *h = calloc(1, sizeof *h);
	if (!h || !(h->path = strdup(path)) ||
	    RAND_bytes(h->key, sizeof h->key) != 1) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (load(path, &h->v, &h->n, &h->st)) {
		snprintf(err, errlen, "cannot read the htpasswd file %s", path);
		goto fail;
	}
	if (S_ISDIR(h->st.st_mode)) {
		/* Debian's stock config.yml names /etc/docker/registry */
		snprintf(err, errlen, "%s is a directory, not an htpasswd file",
			 path);
		goto fail;
	}
	if (h->n == 0) {
		snprintf(err, errlen,
			 "%s has no bcrypt or SHA-crypt entry (create one "
			 "with htpasswd -B)", path);
		goto fail;
	}
	pthread_mutex_init(&h->mu, NULL);
	h->checked = mono_now();
	return h;
fail:
	if (h) {
		free_entries(h->v, h->n);
		free(h->path);
		free(h);
	}
	return NULL;
}

void auth_htpasswd_free(berth_htpasswd *h)
{
	if (!h)
		return;
	pthread_mutex_destroy(&h->mu);
	free_entries(h->v, h->n);
	free(h->path);
	OPENSSL_cleanse(h, sizeof *h);
	free(h);
}

size_t auth_htpasswd_count(berth_htpasswd *h)
{
	pthread_mutex_lock(&h->mu);
	size_t n = h->n;
	pthread_mutex_unlock(&h->mu);
	return n;
}

void auth_htpasswd_invalidate(berth_htpasswd *h)
{
	pthread_mutex_lock(&h->mu);
	h->checked = 0;
	memset(&h->st, 0, sizeof h->st);
	pthread_mutex_unlock(&h->mu);
}

/* With the lock held: re-read the file if it changed. */
static void maybe_reload(berth_htpasswd *h)
{
	time_t now = mono_now();
	if (h->checked && now - h->checked < 1)
		return;
	h->checked = now;
	struct stat st;
	if (stat(h->path, &st))
		return;
	if (st.st_ino == h->st.st_ino && st.st_dev == h->st.st_dev &&
	    st.st_size == h->st.st_size &&
	    st.st_mtim.tv_sec == h->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == h->st.st_mtim.tv_nsec)
		return;
	entry *v;
	size_t n;
	if (load(h->path, &v, &n, &st))
		return; /* keep the entries in force */
	free_entries(h->v, h->n);
	h->v = v;
	h->n = n;
	h->st = st;
	h->generation++;
	memset(h->cache, 0, sizeof h->cache);
}

static void mac_of(const berth_htpasswd *h, const char *user,
		   const char *password, unsigned char mac[32])
{
	size_t ul = strlen(user), pl = strlen(password);
	unsigned char *msg = malloc(ul + pl + 1);
	unsigned int len = 32;
	if (!msg) {
		memset(mac, 0, 32);
		return;
	}
	memcpy(msg, user, ul);
	msg[ul] = 0;
	memcpy(msg + ul + 1, password, pl);
	if (!HMAC(EVP_sha256(), h->key, sizeof h->key, msg, ul + pl + 1, mac,
		  &len))
		memset(mac, 0, 32);
	OPENSSL_cleanse(msg, ul + pl + 1);
	free(msg);
}

int auth_htpasswd_check(berth_htpasswd *h, const char *user,
			 const char *password)
{
	unsigned char mac[32];
	mac_of(h, user, password, mac);
	time_t now = mono_now();

	pthread_mutex_lock(&h->mu);
	maybe_reload(h);
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		if (h->cache[i].expires > now &&
		    CRYPTO_memcmp(h->cache[i].mac, mac, 32) == 0) {
			pthread_mutex_unlock(&h->mu);
			return 1;
		}
	}
	char *hash = NULL;
	int known = 0;
	for (size_t i = 0; i < h->n; i++) {
		if (strcmp(h->v[i].user, user) == 0) {
			hash = strdup(h->v[i].hash);
			known = 1;
			break;
		}
	}
	if (!known && h->n)
		hash = strdup(h->v[0].hash); /* same cost, result ignored */
	unsigned gen = h->generation;
	pthread_mutex_unlock(&h->mu);
	if (!hash)
		return 0;

	/* crypt_r is slow on purpose: run it without the lock. */
	int ok = 0;
	struct crypt_data *cd = calloc(1, sizeof *cd);
	if (cd) {
		const char *out = crypt_r(password, hash, cd);
		size_t hl = strlen(hash);
		ok = known && out && out[0] != '*' && strlen(out) == hl &&
		     CRYPTO_memcmp(out, hash, hl) == 0;
		OPENSSL_cleanse(cd, sizeof *cd);
		free(cd);
	}
	OPENSSL_cleanse(hash, strlen(hash));
	free(hash);
	if (ok) {
		pthread_mutex_lock(&h->mu);
		if (gen == h->generation) {
			cached *c = &h->cache[h->next_slot++ % CACHE_SLOTS];
			memcpy(c->mac, mac, 32);
			c->expires = now + BERTH_HTPASSWD_CACHE_TTL;
		}
		pthread_mutex_unlock(&h->mu);
	}
	OPENSSL_cleanse(mac, sizeof mac);
	return ok;
}
