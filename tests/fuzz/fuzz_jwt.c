/* fuzz_jwt.c — libFuzzer target for the trust parsers: any bytes as a compact JWS (parsed, then
 * verified against the published Sandbox key), as a JWK Set, and as an Authorization header
 * through the whole per-request decision (auth.c with a file-configured issuer). Must never
 * crash or leak. Build: -DCDS_FUZZ=ON with clang (README "Fuzzing"). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cds_internal.h"

static const char sandbox_jwks[] =
    "{\"keys\":[{\"kty\":\"EC\",\"use\":\"sig\",\"crv\":\"P-384\","
    "\"kid\":\"44823f3d-0b01-4a6c-a80e-b9d3e8a7226f\","
    "\"x\":\"dw_JGR8nB2I6XveNxUOl2qk699ZPLM2nYI5STSdiEl9avAkrm3CkfYMbrrjr8laB\","
    "\"y\":\"Sm3mLE-n1zYNla_aiE3cb3nZsL51RbC7ysw3q8aJLxGm-hx79RPMYpITDjp7kgzy\","
    "\"alg\":\"ES384\"}]}";
static struct cds__jwks *keys;
static struct cds_config *cfg;
static struct cds__auth *auth;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct fhir_error err;
	if (cds__jwks_parse(sandbox_jwks, strlen(sandbox_jwks), &keys, &err) != FHIR_OK)
		abort();
	char path[] = "/tmp/fuzz-jwks-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, sandbox_jwks, strlen(sandbox_jwks)) < 0)
		abort();
	close(fd);
	char opt[256];
	snprintf(opt, sizeof opt, "https://sandbox.cds-hooks.org=%s", path);
	cfg = cds_config_new();
	if (cds_config_option(cfg, "issuer", opt, &err) != FHIR_OK ||
	    cds_config_option(cfg, "alg", "ES384,RS384,ES256,RS256,PS384", &err) != FHIR_OK ||
	    cds__auth_new(cfg, NULL, NULL, &auth, &err) != FHIR_OK)
		abort();
	unlink(path);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	struct fhir_error err;
	struct cds__jwt jwt;
	if (cds__jwt_parse(text, size, &jwt, &err) == FHIR_OK) {
		for (size_t i = 0; i < keys->count; i++)
			(void)cds__jwt_verify(&jwt, &keys->keys[i], &err);
		cds__jwt_clear(&jwt);
	}
	struct cds__jwks *set = NULL;
	if (cds__jwks_parse(text, size, &set, &err) == FHIR_OK)
		cds__jwks_free(set);
	/* The whole decision; NUL bytes end the header value, as HTTP would. */
	char header[20000];
	snprintf(header, sizeof header, "Bearer %s", text);
	struct cds__auth_result res;
	(void)cds__auth_check(auth, header, "http://127.0.0.1:8080/cds-services", NULL, NULL, &res);
	(void)cds__auth_check(auth, text, "http://127.0.0.1:8080/cds-services", NULL, NULL, &res);
	free(text);
	return 0;
}
