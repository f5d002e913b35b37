/*
 * registry/upload_owner.c - the owner file of an upload (see
 * registry/upload_owner.h).
 */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "registry/layout.h"
#include "registry/upload_owner.h"
#include "storage/store.h"

static char *owner_path(char *buf, const char *name, const char *id)
{
	layout_upload_dir(buf, name, id);
	size_t n = strlen(buf);
	if (n + sizeof "/owner" > BERTH_PATH_MAX)
		return NULL;
	strcpy(buf + n, "/owner");
	return buf;
}

int registry_upload_set_owner(berth_app *app, const char *name,
			      const char *id, const char *account)
{
	char path[BERTH_PATH_MAX];
	if (!owner_path(path, name, id))
		return BERTH_E_INVALID_PATH;
	return store_put(&app->store, path, account, strlen(account));
}

int registry_upload_owned_by(berth_app *app, const char *name,
			     const char *id, const char *account)
{
	char path[BERTH_PATH_MAX];
	if (!owner_path(path, name, id))
		return 0;
	char *owner = NULL;
	size_t len = 0;
	int rc = store_get(&app->store, path, &owner, &len);
	if (rc == BERTH_E_NOT_FOUND)
		return 0; /* no owner recorded: nobody may continue it */
	if (rc)
		return rc;
	/* constant time: the comparison must not tell how much matched */
	int ok = len == strlen(account) &&
		 CRYPTO_memcmp(owner, account, len) == 0;
	free(owner);
	return ok;
}
