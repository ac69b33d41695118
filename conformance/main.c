/* main.c — cds-conformance: command line, run set-up (keys, loopback JWKS, optional spawned
 * service), the order of the assertion groups, and the shared request helpers every group uses.
 * It tests any CDS Hooks 2.0 service at a base URL from the outside; it links no server code. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "conf.h"

#ifndef CONF_DEFAULT_EXAMPLES
#define CONF_DEFAULT_EXAMPLES "../shared/examples"
#endif
#ifndef CONF_DEFAULT_SCRIPT
#define CONF_DEFAULT_SCRIPT "conformance/validator/validate.mjs"
#endif
#ifndef CONF_DEFAULT_VALIDATOR_DIR
#define CONF_DEFAULT_VALIDATOR_DIR "build/conformance-node"
#endif

static const char usage[] =
    "Usage: cds-conformance (--base-url URL | --spawn CMD [ARG...]) [OPTIONS]\n"
    "\n"
    "Checks a CDS Hooks 2.0 service from the outside against the conformance checklist\n"
    "(discovery D1-D7, service calls H1-H10, robustness R1-R6, authentication A1-A13, cards\n"
    "C1-C10, actions X1-X5, feedback F1-F4, transport T1-T4; with --strict the HTTP semantics\n"
    "P1-P4). Prints one line per assertion, `PASS|FAIL|SKIP <id> <severity> <reason>`,\n"
    "then `N passed, N failed[, N skipped]`.\n"
    "\n"
    "  --base-url URL        the service's base URL (discovery is URL/cds-services); with\n"
    "                        --spawn it may contain {port}, e.g. https://127.0.0.1:{port}\n"
    "  --spawn CMD [ARG...]  start the service itself (must be the last option); placeholders in\n"
    "                        the arguments: {port} (a free loopback port; base URL becomes\n"
    "                        http://127.0.0.1:{port} unless --base-url is given), {issuer}\n"
    "                        (ISS=JWKS-URL), {issuer_file} (ISS=JWKS-FILE), {jwks_url},\n"
    "                        {jwks_file}, {iss}. Without {port} the base URL is read from the\n"
    "                        service's output (\"http://HOST:PORT/cds-services\").\n"
    "  --spawn-log FILE      where the spawned service's output goes (default: a temp file)\n"
    "  --wait SECONDS        wait up to SECONDS for discovery to answer (default 15 with\n"
    "                        --spawn, else 0)\n"
    "  --examples DIR        example request bodies (default " CONF_DEFAULT_EXAMPLES ")\n"
    "  --format text|json|junit\n"
    "                        output format (default text); junit = one JUnit XML document\n"
    "  --output FILE         write the report to FILE instead of stdout\n"
    "  --crd                 add the Da Vinci CRD extras, reported apart (their failures also\n"
    "                        make the exit status non-zero)\n"
    "  --validator auto|node|structural\n"
    "                        X5 FHIR validation: node runs validate.mjs with @medplum/core and\n"
    "                        fhir (npm); structural checks in C; auto = node when installed\n"
    "  --validator-dir DIR   folder whose node_modules has the npm packages\n"
    "                        (default " CONF_DEFAULT_VALIDATOR_DIR ")\n"
    "  --timing-runs N       calls per service for the latency figures (default 20)\n"
    "  --timing check|figures  check H9 against 500 ms / 5 s, or only print figures (SKIP)\n"
    "  --tls-url URL         an https URL of the service for the T1 handshake check\n"
    "  --cacert FILE         trust anchor for https calls; --tls-insecure skips verification\n"
    "  --jwks-port N         port of the runner's loopback JWKS server (default: any free one)\n"
    "  --issuer-name URI     the iss of the runner's tokens (default http://127.0.0.1:PORT)\n"
    "  --no-412-expected     H4 SKIPs instead of failing when no body produced a 412\n"
    "  --strict              report the should-level HTTP semantics P1-P4 (404 unknown service,\n"
    "                        415 non-JSON body, 413 body over --max-body-bytes, JSON error\n"
    "                        bodies) as PASS/FAIL lines; without it a failure is a '# warning'\n"
    "  --max-body-bytes N    the service's request body limit: a body of N+1 bytes must get 413\n"
    "                        (P3, T4); without it no oversized body is sent\n"
    "  --clock-skew SECONDS  the clock skew the service may allow on iat/nbf (default 300);\n"
    "                        A13 sends iat and nbf 60 s beyond it\n"
    "  --help                this text\n"
    "\n"
    "The runner generates ES384 and RS384 keys per run, serves their JWKS on loopback and prints\n"
    "(on stderr) the --issuer ISS=JWKS-URL value the service must trust. Exit status: 0 when no\n"
    "must-level assertion failed, 1 when one did, 2 for bad arguments or set-up failure.\n";

void conf_url(const struct conf_ctx *ctx, const char *path, char *dst, size_t size)
{
	snprintf(dst, size, "%s%s", ctx->base_url, path);
}

char *conf_token_for(const struct conf_ctx *ctx, const char *url)
{
	struct conf_jwt_spec spec = {.alg = "ES384", .iss = ctx->issuer, .aud = url};
	return conf_jwt_make(ctx->keys, &spec);
}

int conf_post_json_bearer(const struct conf_ctx *ctx, const char *path, const cJSON *body,
                          const char *bearer, struct conf_http_reply *out)
{
	char url[1024];
	conf_url(ctx, path, url, sizeof url);
	char *text = cJSON_PrintUnformatted(body);
	int rc = conf_http("POST", url, bearer, text, NULL, out);
	free(text);
	return rc;
}

int conf_post_json(const struct conf_ctx *ctx, const char *path, const cJSON *body,
                   struct conf_http_reply *out)
{
	char url[1024];
	conf_url(ctx, path, url, sizeof url);
	char *token = conf_token_for(ctx, url);
	int rc = conf_post_json_bearer(ctx, path, body, token, out);
	free(token);
	return rc;
}

void conf_keep_exchange(struct conf_ctx *ctx, size_t service, const char *label,
                        const cJSON *request, const cJSON *response)
{
	if (ctx->n_exchanges >= CONF_MAX_EXCHANGES)
		return;
	struct conf_exchange *x = &ctx->exchanges[ctx->n_exchanges++];
	snprintf(x->label, sizeof x->label, "%s", label);
	x->service = service;
	x->request = cJSON_Duplicate(request, 1);
	x->response = cJSON_Duplicate(response, 1);
}

cJSON *conf_reply_object(const struct conf_http_reply *r)
{
	if (!r->body)
		return NULL;
	cJSON *v = cJSON_ParseWithLength(r->body, r->length);
	if (v && !cJSON_IsObject(v)) {
		cJSON_Delete(v);
		v = NULL;
	}
	return v;
}

/* Replaces every placeholder occurrence in arg. NEW. */
static char *substitute(const char *arg, const char *const names[], const char *const values[],
                        size_t n)
{
	size_t cap = strlen(arg) + 1;
	for (size_t i = 0; i < n; i++)
		cap += strlen(values[i]) * 4;
	char *out = calloc(1, cap + 1);
	if (!out)
		abort();
	size_t o = 0;
	for (const char *p = arg; *p;) {
		size_t i;
		for (i = 0; i < n; i++)
			if (strncmp(p, names[i], strlen(names[i])) == 0)
				break;
		if (i < n && o + strlen(values[i]) < cap) {
			memcpy(out + o, values[i], strlen(values[i]));
			o += strlen(values[i]);
			p += strlen(names[i]);
		} else if (o < cap) {
			out[o++] = *p++;
		} else {
			break;
		}
	}
	out[o] = '\0';
	return out;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	static struct conf_ctx ctx;
	const char *base_url = NULL, *spawn_log = NULL, *output = NULL, *issuer_name = NULL;
	char **spawn_argv = NULL;
	int spawn_argc = 0;
	unsigned long wait_s = 0, jwks_port = 0, runs = 20, skew = 300;
	int wait_given = 0;
	enum conf_format format = CONF_TEXT;
	ctx.examples_dir = CONF_DEFAULT_EXAMPLES;
	ctx.validator_dir = CONF_DEFAULT_VALIDATOR_DIR;
	ctx.node_script = CONF_DEFAULT_SCRIPT;
	ctx.auth_required = -1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = 1;
		if (strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(a, "--spawn") == 0) {
			if (!v)
				goto bad;
			spawn_argv = argv + i + 1;
			spawn_argc = argc - i - 1;
			break;
		} else if (strcmp(a, "--crd") == 0) {
			ctx.crd = 1;
			takes = 0;
		} else if (strcmp(a, "--tls-insecure") == 0) {
			ctx.tls_insecure = 1;
			takes = 0;
		} else if (strcmp(a, "--no-412-expected") == 0) {
			ctx.expect_no_412 = 1;
			takes = 0;
		} else if (strcmp(a, "--strict") == 0) {
			ctx.strict = 1;
			takes = 0;
		} else if (!v) {
			goto bad;
		} else if (strcmp(a, "--base-url") == 0) {
			base_url = v;
		} else if (strcmp(a, "--spawn-log") == 0) {
			spawn_log = v;
		} else if (strcmp(a, "--examples") == 0) {
			ctx.examples_dir = v;
		} else if (strcmp(a, "--output") == 0) {
			output = v;
		} else if (strcmp(a, "--validator-dir") == 0) {
			ctx.validator_dir = v;
		} else if (strcmp(a, "--tls-url") == 0) {
			ctx.tls_url = v;
		} else if (strcmp(a, "--cacert") == 0) {
			ctx.cafile = v;
		} else if (strcmp(a, "--issuer-name") == 0) {
			issuer_name = v;
		} else if (strcmp(a, "--format") == 0) {
			if (strcmp(v, "text") == 0)
				format = CONF_TEXT;
			else if (strcmp(v, "json") == 0)
				format = CONF_JSON;
			else if (strcmp(v, "junit") == 0)
				format = CONF_JUNIT;
			else
				goto bad;
		} else if (strcmp(a, "--validator") == 0) {
			if (strcmp(v, "auto") == 0)
				ctx.validator = CONF_VALIDATOR_AUTO;
			else if (strcmp(v, "node") == 0)
				ctx.validator = CONF_VALIDATOR_NODE;
			else if (strcmp(v, "structural") == 0)
				ctx.validator = CONF_VALIDATOR_STRUCTURAL;
			else
				goto bad;
		} else if (strcmp(a, "--timing") == 0) {
			if (strcmp(v, "check") == 0)
				ctx.timing_mode = CONF_TIMING_CHECK;
			else if (strcmp(v, "figures") == 0)
				ctx.timing_mode = CONF_TIMING_FIGURES;
			else
				goto bad;
		} else if (strcmp(a, "--wait") == 0) {
			if (parse_uint(v, 600, &wait_s))
				goto bad;
			wait_given = 1;
		} else if (strcmp(a, "--jwks-port") == 0) {
			if (parse_uint(v, 65535, &jwks_port))
				goto bad;
		} else if (strcmp(a, "--max-body-bytes") == 0) {
			if (parse_uint(v, 256ul * 1024ul * 1024ul, &ctx.max_body_bytes) ||
			    ctx.max_body_bytes == 0)
				goto bad;
		} else if (strcmp(a, "--clock-skew") == 0) {
			if (parse_uint(v, 86400, &skew))
				goto bad;
		} else if (strcmp(a, "--timing-runs") == 0) {
			if (parse_uint(v, 10000, &runs) || runs == 0)
				goto bad;
		} else {
			fprintf(stderr, "cds-conformance: unknown option '%s'\n", a);
			goto bad;
		}
		i += takes;
	}
	if (!base_url && !spawn_argv) {
		fprintf(stderr, "cds-conformance: give --base-url URL or --spawn CMD\n");
		goto bad;
	}
	ctx.timing_runs = (unsigned)runs;
	ctx.clock_skew = skew;
	if (spawn_argv && !wait_given)
		wait_s = 15;

	int exit_code = 2;
	FILE *out = stdout;
	struct conf_spawn *child = NULL;
	char jwks_file[] = "/tmp/cds-conformance-jwks-XXXXXX";
	char log_file[] = "/tmp/cds-conformance-service-XXXXXX";
	int jwks_fd = -1;
	char **child_argv = NULL;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ctx.exchanges = calloc(CONF_MAX_EXCHANGES, sizeof *ctx.exchanges);
	if (!ctx.exchanges)
		abort();

	ctx.keys = conf_keys_new();
	ctx.attacker = conf_keys_new();
	if (!ctx.keys || !ctx.attacker) {
		fprintf(stderr, "cds-conformance: cannot generate ES384/RS384 keys\n");
		goto out;
	}
	char *jwks = conf_keys_jwks(ctx.keys);
	char *untrusted = conf_keys_jwks(ctx.attacker);
	ctx.jwks = conf_jwks_server_start(jwks, untrusted, (unsigned)jwks_port);
	free(untrusted);
	jwks_fd = mkstemp(jwks_file);
	if (jwks_fd >= 0) {
		size_t len = strlen(jwks);
		if (write(jwks_fd, jwks, len) != (ssize_t)len)
			fprintf(stderr, "cds-conformance: cannot write %s\n", jwks_file);
		close(jwks_fd);
	}
	free(jwks);
	if (!ctx.jwks || jwks_fd < 0) {
		fprintf(stderr, "cds-conformance: cannot serve the JWKS on loopback\n");
		goto out;
	}
	unsigned jport = conf_jwks_server_port(ctx.jwks);
	if (issuer_name)
		snprintf(ctx.issuer, sizeof ctx.issuer, "%s", issuer_name);
	else
		snprintf(ctx.issuer, sizeof ctx.issuer, "http://127.0.0.1:%u", jport);
	snprintf(ctx.jwks_url, sizeof ctx.jwks_url, "http://127.0.0.1:%u/jwks.json", jport);
	fprintf(stderr,
	        "cds-conformance: the service must trust --issuer %s=%s (or the same keys "
	        "from the file %s)\n",
	        ctx.issuer, ctx.jwks_url, jwks_file);

	char port_text[16] = "";
	conf_http_set_tls(ctx.cafile, ctx.tls_insecure);
	if (spawn_argv) {
		int uses_port = 0;
		for (int i = 0; i < spawn_argc; i++)
			uses_port |= strstr(spawn_argv[i], "{port}") != NULL;
		if (uses_port) {
			unsigned p = conf_free_port();
			snprintf(port_text, sizeof port_text, "%u", p);
			if (!base_url)
				snprintf(ctx.base_url, sizeof ctx.base_url, "http://127.0.0.1:%u",
				         p);
		}
		char issuer_arg[700], issuer_file_arg[700];
		snprintf(issuer_arg, sizeof issuer_arg, "%s=%s", ctx.issuer, ctx.jwks_url);
		snprintf(issuer_file_arg, sizeof issuer_file_arg, "%s=%s", ctx.issuer, jwks_file);
		const char *const names[] = {"{port}",     "{issuer_file}", "{issuer}",
		                             "{jwks_url}", "{jwks_file}",   "{iss}"};
		const char *const values[] = {port_text,    issuer_file_arg, issuer_arg,
		                              ctx.jwks_url, jwks_file,       ctx.issuer};
		child_argv = calloc((size_t)spawn_argc + 1, sizeof *child_argv);
		if (!child_argv)
			abort();
		for (int i = 0; i < spawn_argc; i++)
			child_argv[i] = substitute(spawn_argv[i], names, values, 6);
		if (!spawn_log) {
			int fd = mkstemp(log_file);
			if (fd >= 0)
				close(fd);
			spawn_log = log_file;
		}
		fprintf(stderr, "cds-conformance: starting %s (output in %s)\n", child_argv[0],
		        spawn_log);
		child = conf_spawn_start(child_argv, spawn_log);
		if (!child)
			goto out;
	}
	if (base_url) {
		/* --base-url may name the spawned service's {port} (e.g. https://127.0.0.1:{port}).
		 */
		char *b = substitute(base_url, (const char *const[]){"{port}"},
		                     (const char *const[]){port_text}, 1);
		snprintf(ctx.base_url, sizeof ctx.base_url, "%s", b);
		free(b);
	}
	/* Wait for the service: find its URL in its output if needed, then for discovery. */
	for (unsigned long waited = 0;; waited += 100) {
		if (child && !conf_spawn_alive(child)) {
			char *log = conf_read_file(spawn_log, NULL);
			fprintf(stderr,
			        "cds-conformance: the service exited at start; its output:\n%s",
			        log ? log : "");
			free(log);
			goto out;
		}
		if (!ctx.base_url[0] && child)
			conf_spawn_find_base_url(spawn_log, ctx.base_url, sizeof ctx.base_url);
		if (ctx.base_url[0]) {
			char url[1024];
			struct conf_http_reply r;
			conf_url(&ctx, "/cds-services", url, sizeof url);
			int rc = conf_http("GET", url, NULL, NULL, NULL, &r);
			conf_http_reply_clear(&r);
			if (rc == 0)
				break;
		}
		if (waited >= wait_s * 1000) {
			if (!ctx.base_url[0]) {
				fprintf(stderr, "cds-conformance: no base URL found in %s\n",
				        spawn_log);
				goto out;
			}
			break; /* D1 will report the failure */
		}
		sleep_ms(100);
	}
	size_t blen = strlen(ctx.base_url);
	while (blen && ctx.base_url[blen - 1] == '/')
		ctx.base_url[--blen] = '\0';

	if (output) {
		out = fopen(output, "w");
		if (!out) {
			fprintf(stderr, "cds-conformance: cannot write %s\n", output);
			out = stdout;
			goto out;
		}
	}
	conf_report_open(format, out);
	conf_report_note("cds-conformance against %s; tokens signed by iss %s", ctx.base_url,
	                 ctx.issuer);
	conf_check_discovery(&ctx);
	conf_check_service(&ctx);
	conf_check_robustness(&ctx);
	conf_check_auth(&ctx);
	conf_check_cards(&ctx);
	conf_check_actions(&ctx);
	conf_check_feedback(&ctx);
	conf_check_transport(&ctx);
	conf_check_errors(&ctx);
	conf_check_timing(&ctx);
	if (ctx.crd)
		conf_check_crd(&ctx);
	if (child && !conf_spawn_alive(child))
		conf_report("RUN", "M", CONF_FAIL,
		            "the spawned service exited during the run "
		            "(crash?); see %s",
		            spawn_log);
	exit_code = conf_report_close(ctx.base_url, ctx.crd);

out:
	if (out != stdout)
		fclose(out);
	conf_spawn_stop(child);
	if (child_argv)
		for (int i = 0; i < spawn_argc; i++)
			free(child_argv[i]);
	free(child_argv);
	if (jwks_fd >= 0)
		unlink(jwks_file);
	if (spawn_log == log_file)
		unlink(log_file);
	conf_jwks_server_stop(ctx.jwks);
	conf_keys_free(ctx.keys);
	conf_keys_free(ctx.attacker);
	cJSON_Delete(ctx.discovery);
	cJSON_Delete(ctx.body_412);
	for (size_t i = 0; i < ctx.n_services; i++) {
		free(ctx.services[i].id);
		free(ctx.services[i].hook);
		cJSON_Delete(ctx.services[i].best_body);
	}
	for (size_t i = 0; i < ctx.n_exchanges; i++) {
		cJSON_Delete(ctx.exchanges[i].request);
		cJSON_Delete(ctx.exchanges[i].response);
	}
	free(ctx.exchanges);
	curl_global_cleanup();
	return exit_code;
bad:
	fprintf(stderr, "Try `cds-conformance --help`.\n");
	return 2;
}
