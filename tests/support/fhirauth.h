/* fhirauth.h — the fhirAuthorization member (CDS Hooks 2.0 §fhirAuthorization: the OAuth 2.0
 * access token the service uses on fhirServer) that the request tests add to an example
 * (test_auth_http, test_store_record, test_handle, test_request_numbers, test_fetch,
 * cds-bench-fetch, stallserver). Test support only. */
#ifndef CDS_TEST_FHIRAUTH_H
#define CDS_TEST_FHIRAUTH_H

#include <cjson/cJSON.h>

/* Appends to the object `request` a "fhirAuthorization" object {access_token: token,
 * token_type: "Bearer", expires_in: 300, scope, subject}, in that order (an existing one is left:
 * delete it first to replace it). Returns the new object (owned by request, to change a member
 * with cJSON_ReplaceItemInObjectCaseSensitive), or NULL when request is not an object or out of
 * memory. */
cJSON *fhirauth_add(cJSON *request, const char *token, const char *scope, const char *subject);

#endif
