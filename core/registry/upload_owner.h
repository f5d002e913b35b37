/*
 * registry/upload_owner.h - which account started an upload, so only it
 * may continue it: an `owner` file in the upload's directory (Berth's
 * addition to Distribution's layout).
 */
#ifndef BERTH_CORE_REGISTRY_UPLOAD_OWNER_H
#define BERTH_CORE_REGISTRY_UPLOAD_OWNER_H

#include "app.h"

/** Record `account` as the owner of upload `id` of `name`. 0 or a
    storage status. */
int registry_upload_set_owner(berth_app *app, const char *name,
			      const char *id, const char *account);

/** 1 if `account` owns the upload, 0 if another account or none (an
    upload whose owner was never recorded is nobody's), or a negative
    storage status. */
int registry_upload_owned_by(berth_app *app, const char *name,
			     const char *id, const char *account);

#endif
