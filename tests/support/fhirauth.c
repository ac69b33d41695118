/* fhirauth.c — a request's fhirAuthorization for the tests (fhirauth.h). Test support only. */
#include "fhirauth.h"

cJSON *fhirauth_add(cJSON *request, const char *token, const char *scope, const char *subject)
{
	cJSON *auth = cJSON_AddObjectToObject(request, "fhirAuthorization");
	if (!auth || !cJSON_AddStringToObject(auth, "access_token", token) ||
	    !cJSON_AddStringToObject(auth, "token_type", "Bearer") ||
	    !cJSON_AddNumberToObject(auth, "expires_in", 300) ||
	    !cJSON_AddStringToObject(auth, "scope", scope) ||
	    !cJSON_AddStringToObject(auth, "subject", subject))
		return NULL;
	return auth;
}
