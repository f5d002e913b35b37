/*
 * api/routes.h - the endpoints and the route table that picks one for a
 * request.
 */
#ifndef BERTH_CORE_API_ROUTES_H
#define BERTH_CORE_API_ROUTES_H

#include "http/request.h"

/** Run the handler of `req`'s endpoint (the server's route step). */
void api_route(berth_request *req);

/* The handlers, one family per file of api/. */
void api_base(berth_request *req);            /* GET /v2/ */
void api_blob_get(berth_request *req);        /* GET|HEAD blobs/<digest> */
void api_blob_delete(berth_request *req);     /* DELETE blobs/<digest> */
void api_upload_start(berth_request *req);    /* POST blobs/uploads/ */
void api_upload_patch(berth_request *req);    /* PATCH blobs/uploads/<id> */
void api_upload_put(berth_request *req);      /* PUT blobs/uploads/<id> */
void api_upload_status(berth_request *req);   /* GET blobs/uploads/<id> */
void api_upload_cancel(berth_request *req);   /* DELETE blobs/uploads/<id> */
void api_manifest_get(berth_request *req);    /* GET|HEAD manifests/<ref> */
void api_manifest_put(berth_request *req);    /* PUT manifests/<ref> */
void api_manifest_delete(berth_request *req); /* DELETE manifests/<ref> */
void api_tags_list(berth_request *req);       /* GET tags/list */
void api_catalog(berth_request *req);         /* GET /v2/_catalog */
void api_referrers(berth_request *req);       /* GET referrers/<digest> */
void api_token(berth_request *req);           /* GET <auth.token.realm> */

#endif
