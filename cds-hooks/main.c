/* main.c — the cds-commissioning command line: `serve` (HTTP), `eval` (one request offline,
 * answered exactly as the server would), `check` (validate a configuration), `report` (the
 * commissioner's report, report_cmd.c), `--help` and
 * `--version`. It parses arguments and prints; all protocol behaviour lives in cds_handle and
 * all policy behaviour in the engine. Errors go to stderr with a non-zero exit status. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cds_internal.h"
#include "notify.h"
#include "store/impact.h"
#include "store/rows.h"
#include "store/replay.h"
#include "vectors.h"

enum { EXIT_USAGE = 2 };

static const char usage_main[] =
    "cds-commissioning " CDS_VERSION " - NHS commissioning checks as a CDS Hooks 2.0 service\n"
    "\n"
    "Usage:\n"
    "  cds-commissioning serve [--bind ADDR] [--port N] [--policies DIR] [--config FILE]\n"
    "                          [--decision-log FILE|-] [--issuer ISS=JWKS]... [--public-url URL]\n"
    "                          [--allow-origin ORIGIN]... [--tls-cert FILE --tls-key FILE]\n"
    "                          [--log-format text|json] [--fetch-budget-ms MS]\n"
    "                          [--store URL|-] [--patient-key FILE]\n"
    "                          [--keep-request-bodies DAYS|no] [--watch] [LIMITS] ...\n"
    "  cds-commissioning eval [--now ISO-8601] [--policies DIR] [--config FILE]\n"
    "                         [--decision-log FILE|-] [--fetch-budget-ms MS] FILE|-\n"
    "  cds-commissioning check [--policies DIR] [--config FILE]\n"
    "  cds-commissioning fhirpath [--resource FILE|-] [--var NAME=FILE]... [--now ISO-8601]\n"
    "                             EXPRESSION\n"
    "  cds-commissioning test [--policies DIR] [--no-coverage] CASE|FOLDER...\n"
    "  cds-commissioning draft [--now ISO-8601] [--policies DIR] [--config FILE] FILE|-\n"
    "  cds-commissioning report --store URL [--from DATE] [--to DATE]\n"
    "                           [--format text|json|csv|html]\n"
    "  cds-commissioning purge --store URL [--now ISO-8601]\n"
    "  cds-commissioning impact --store URL --policies NEWDIR [--from DATE] [--to DATE]\n"
    "                           [--format text|json] [--examples N] [--fail-on-flip]\n"
    "  cds-commissioning --help | --version\n"
    "\n"
    "`cds-commissioning COMMAND --help` describes each command.\n"
    "Without --policies the configuration embedded in the binary is used.\n";

static const char usage_serve[] =
    "Usage: cds-commissioning serve [OPTIONS]\n"
    "\n"
    "Serves CDS Hooks 2.0 over HTTP: GET /cds-services, POST /cds-services/{id},\n"
    "POST /cds-services/{id}/feedback, GET /healthz (liveness), GET /readyz (readiness: 200\n"
    "or 503 with a reason) and GET /metrics (Prometheus text format). /healthz, /readyz and\n"
    "/metrics are unauthenticated: bind to loopback or restrict them at a proxy.\n"
    "GET /report[?from=DATE&to=DATE] is the commissioner's report page (as `report --format\n"
    "html`), for loopback clients, or with --admin-token-file for clients sending that token.\n"
    "Logs one line per request to stderr (method, path, status, duration, hookInstance;\n"
    "--log-format json: one JSON object a line).\n"
    "\n"
    "SIGTERM or SIGINT stops it: the listening socket closes at once (new connections are\n"
    "refused), idle connections close, requests in flight get --shutdown-grace seconds to\n"
    "finish (replies then carry `Connection: close`; /readyz answers 503), fetches still\n"
    "waiting after that end with their data unavailable, every request read is answered,\n"
    "the decision log is written out, and the exit status is 0.\n"
    "\n"
    "SIGHUP reloads the configuration without dropping a request: the policies folder\n"
    "(policies, value sets, vocabularies, questionnaires), the --config file (deployment and\n"
    "\"server\" settings, with the command line applied on top again) and the issuers' JWKS\n"
    "files are read, compiled and checked on a reload thread, then swapped in at once;\n"
    "requests in flight finish on the set they started with. A set with any error is\n"
    "refused (each error logged as `check` prints it) and the running one keeps serving.\n"
    "One line per reload says which policy set (digest), how many policies and how long,\n"
    "or why it was refused; /metrics counts cds_reloads_total{result,trigger}. --watch\n"
    "reloads the same way when those files change. Reloaded: issuers\n"
    "and their JWKS, publicUrl, algorithms, allowOrigins, jwksCaFile, allowHttpLoopbackJwks,\n"
    "fetchWithoutAuthorization. Need a restart (a change is logged and the running value\n"
    "kept): bind, port, tls, decisionLog, replayCacheFile, fetchBudgetMs, logFormat,\n"
    "watch, every limit, --policies itself, and switching between open demo mode and\n"
    "issuers.\n"
    "\n"
    "With --issuer, every service and feedback call needs `Authorization: Bearer <JWT>` signed\n"
    "by a trusted issuer (401 otherwise); discovery and /healthz stay anonymous. Without any\n"
    "issuer the service runs in open demo mode: loopback only, CORS '*', a banner at start.\n"
    "\n";

static const char usage_serve_options[] = /* (split: C11 compilers need only 4095-byte strings) */
    "  --bind ADDR            IPv4/IPv6 address to listen on (default 127.0.0.1). Without an\n"
    "                         --issuer only loopback addresses are accepted (open demo mode).\n"
    "  --port N               TCP port, 0-65535 (default 8080; 0 picks a free port, printed\n"
    "                         at start)\n"
    "  --fetch-budget-ms MS   time allowed for fetching data the request's prefetch lacks from\n"
    "                         its fhirServer, all keys and pages together, 1-600000\n"
    "                         (default 2000)\n"
    "  --policies DIR         load every *.json below DIR instead of the embedded configuration\n"
    "  --config FILE          use FILE as deployment.json; its \"server\" object holds every\n"
    "                         option here but --policies (bind, port, decisionLog,\n"
    "                         logFormat, fetchBudgetMs, publicUrl, issuers, algorithms,\n"
    "                         allowOrigins, jwksCaFile, replayCacheFile, tls, limits.<name>,\n"
    "                         store, watch, ...; README \"The config file\"); unknown keys are\n"
    "                         errors; command-line options override it\n"
    "  --watch                reload as SIGHUP does when a file below --policies, the\n"
    "                         --config file or a JWKS, CA or admin token file it names\n"
    "                         changes (inotify on their folders): once they have been quiet\n"
    "                         for --watch-quiet-ms, so a copy of a whole folder is one\n"
    "                         reload; editors' swap and backup files are ignored; a broken\n"
    "                         set is refused and the running one serves on (server.watch)\n"
    "  --decision-log FILE|-  append decision-log JSON lines to FILE; '-' for none (no\n"
    "                         decision log at all; default: stderr)\n"
    "  --help                 show this help\n"
    "\n";

static const char usage_serve_end[] =
    "\n"
    "Exit status: 0 after a clean stop, 1 if the configuration or the listener fails,\n"
    "2 for bad arguments.\n";

static const char usage_eval[] =
    "Usage: cds-commissioning eval [OPTIONS] FILE|-\n"
    "\n"
    "Evaluates one CDS Hooks request body (from FILE, or stdin for '-') offline and prints\n"
    "the response body to stdout exactly as `serve` would send it, plus a final newline.\n"
    "Card uuids are fresh on every call, as with the server. The service is chosen by\n"
    "the body's `hook` (order-select or order-sign); the body is handled like a POST to\n"
    "/cds-services/{that service} with Content-Type application/json. eval is offline and\n"
    "trusted: it never checks a JWT (no client authentication, CORS or server limits).\n"
    "\n"
    "  --now ISO-8601         evaluate as of this instant (default: the current time)\n"
    "  --policies DIR         load every *.json below DIR instead of the embedded configuration\n"
    "  --config FILE          use FILE as deployment.json\n"
    "  --decision-log FILE|-  append decision-log JSON lines to FILE; '-' for none (no\n"
    "                         decision log at all; default: stderr)\n"
    "  --fetch-budget-ms MS   time allowed for fetching data the request's prefetch lacks from\n"
    "                         its fhirServer, all keys and pages together, 1-600000\n"
    "                         (default 2000)\n"
    "  --help                 show this help\n"
    "\n"
    "Exit status: 0 when the response status is 2xx; 1 otherwise - the error body (a FHIR\n"
    "OperationOutcome) is still printed to stdout and `eval: HTTP <status>` to stderr;\n"
    "2 for bad arguments or an unreadable FILE.\n";

static const char usage_check[] =
    "Usage: cds-commissioning check [OPTIONS]\n"
    "\n"
    "Loads and validates every policy, value set and the deployment configuration (with\n"
    "--config, its \"server\" settings too, exactly as serve reads them), prints every\n"
    "error as `FILE#JSON-POINTER: message` to stderr (all of them, not only the first),\n"
    "and on success a summary of the loaded policies to stdout.\n"
    "\n"
    "  --policies DIR         check every *.json below DIR (default: the embedded configuration)\n"
    "  --config FILE          use FILE as deployment.json\n"
    "  --help                 show this help\n"
    "\n"
    "Exit status: 0 when everything loads, 1 on any error, 2 for bad arguments.\n";

/* Parsed command-line options shared by the commands. */
struct options {
	const char *bind;
	const char *port;
	const char *policies;
	const char *config;
	const char *decision_log;
	const char *now;
	const char *fetch_budget; /* --fetch-budget-ms, checked by parse */
	const char *file;
	int help;
	/* server settings (config.c) in command-line order, applied after the config file */
	const char *server_names[256], *server_values[256];
	size_t server_count;
};

/* Which options a command accepts. */
struct accepts {
	int bind, port, now, decision_log, file, server;
};

static int usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "cds-commissioning %s: ", command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry `cds-commissioning %s --help`.\n", command);
	return EXIT_USAGE;
}

/* Parses argv[first..] into o. Returns 0, or EXIT_USAGE after printing why. */
static int parse(const char *command, int argc, char **argv, int first, const struct accepts *a,
                 struct options *o)
{
	for (int i = first; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			o->help = 1;
			return 0;
		}
		if (arg[0] == '-' && arg[1] != '\0') {
			static const char *const names[] = {
			    "--bind",         "--port", "--policies",       "--config",
			    "--decision-log", "--now",  "--fetch-budget-ms"};
			const char **slots[] = {&o->bind,        &o->port,         &o->policies,
			                        &o->config,      &o->decision_log, &o->now,
			                        &o->fetch_budget};
			/* --fetch-budget-ms: the commands that answer requests (serve, eval) */
			const int allowed[] = {a->bind, a->port,        1, 1, a->decision_log,
			                       a->now,  a->decision_log};
			size_t k = 0;
			const char *value = NULL;
			for (; k < sizeof names / sizeof names[0]; k++) {
				size_t n = strlen(names[k]);
				if (strncmp(arg, names[k], n) == 0 &&
				    (arg[n] == '\0' || arg[n] == '=')) {
					value = arg[n] == '=' ? arg + n + 1 : NULL;
					break;
				}
			}
			if (k == sizeof names / sizeof names[0] && a->server && arg[1] == '-') {
				/* A server setting: --name VALUE, --name=VALUE, or a --flag. */
				char name[64];
				const char *eq = strchr(arg, '=');
				size_t n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
				snprintf(name, sizeof name, "%.*s", (int)n, arg + 2);
				int kind = n < sizeof name ? cds_config_option_kind(name) : -1;
				if (kind >= 0 && o->server_count < 256) {
					const char *v = eq ? eq + 1 : NULL;
					if (kind == 1 && !v) {
						if (i + 1 >= argc)
							return usage_error(
							    command, "option '%s' needs a value",
							    arg);
						v = argv[++i];
					}
					o->server_names[o->server_count] = arg;
					o->server_values[o->server_count++] = v;
					continue;
				}
			}
			if (k == sizeof names / sizeof names[0] || !allowed[k])
				return usage_error(command, "unknown option '%s'", arg);
			if (!value) {
				if (i + 1 >= argc)
					return usage_error(command, "option '%s' needs a value",
					                   arg);
				value = argv[++i];
			}
			*slots[k] = value;
			continue;
		}
		if (!a->file || o->file)
			return usage_error(command, "unexpected argument '%s'", arg);
		o->file = arg;
	}
	if (a->file && !o->file)
		return usage_error(command, "%s", "a request FILE (or '-' for stdin) is required");
	if (o->fetch_budget) {
		char *end = NULL;
		errno = 0;
		long ms = strtol(o->fetch_budget, &end, 10);
		if (errno || end == o->fetch_budget || *end || ms < 1 || ms > 600000)
			return usage_error(command,
			                   "--fetch-budget-ms '%s' is not a number of milliseconds "
			                   "(1-600000)",
			                   o->fetch_budget);
	}
	return 0;
}

/* Reports configuration errors as "file#pointer: message" and counts them. */
static void report_error(void *ctx, const char *file, const char *pointer, const char *message)
{
	size_t *count = ctx;
	(*count)++;
	fprintf(stderr, "%s%s%s: %s\n", file ? file : "(configuration)",
	        pointer && pointer[0] ? "#" : "", pointer ? pointer : "", message);
}

/* Loads the app (with `store` 1, and settings, the store they name: serve only); on failure, or
 * when `prior` errors were already reported (the config file's server settings), prints a
 * summary line counting both. Returns 0 or 1. */
static int load(const char *command, const struct options *o, const char *decision_log,
                const struct cds_config *settings, size_t prior, int store, struct cds_app **app)
{
	size_t errors = prior;
	struct engine_reporter rep = {report_error, &errors};
	struct cds_app_options opts = {0};
	opts.policies_dir = o->policies;
	opts.config_file = o->config;
	opts.decision_log = decision_log;
	opts.settings = settings;
	if (store && settings) { /* serve: the store (issue 13), by default a file here */
		opts.store = settings->store ? settings->store : CDS__STORE_DEFAULT;
		opts.patient_key = settings->patient_key;
		opts.keep_request_bodies = settings->keep_request_bodies == 1;
		opts.request_body_retention_days = settings->request_body_retention_days >= 0
		                                       ? settings->request_body_retention_days
		                                       : CDS__BODY_RETENTION_DEFAULT_DAYS;
	}
	if (cds_app_new(&opts, &rep, app) != FHIR_OK || errors) {
		cds_app_free(*app);
		*app = NULL;
		fprintf(stderr, "cds-commissioning %s: the configuration has %zu error%s\n",
		        command, errors, errors == 1 ? "" : "s");
		return 1;
	}
	if (o->fetch_budget) /* checked by parse */
		cds_app_set_fetch_budget(*app, strtol(o->fetch_budget, NULL, 10));
	return 0;
}

/* Why a non-loopback bind is refused without an issuer (serve and check --config). */
static const char demo_bind_error[] =
    "without an issuer only loopback addresses are allowed (open demo mode)";

/* 1 when `bind` (NULL: the default) is a loopback address. */
static int is_loopback(const char *bind)
{
	struct in_addr v4;
	struct in6_addr v6;
	if (!bind || strcmp(bind, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, bind, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, bind, &v6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&v6);
	return 0;
}

static int cmd_check(int argc, char **argv)
{
	struct options o = {0};
	struct accepts a = {0};
	struct cds_app *app = NULL;
	int rc = parse("check", argc, argv, 2, &a, &o);
	if (rc != 0 || o.help) {
		if (o.help)
			fputs(usage_check, stdout);
		return rc;
	}
	/* Exactly what serve reads: the deployment (engine) and its "server" object, every
	 * error of both reported before giving up. */
	size_t errors = 0;
	struct cds_config *cfg = NULL;
	if (o.config) {
		struct engine_reporter rep = {report_error, &errors};
		cfg = cds_config_new();
		struct fhir_error err = {{0}, {0}};
		if (cds_config_load_file_all(cfg, o.config, &rep) == 0 &&
		    cds_config_check(cfg, &err) != FHIR_OK)
			report_error(&errors, o.config, "/server", err.message);
		if (cds_config_issuer_count(cfg) == 0 && !is_loopback(cfg->bind))
			report_error(&errors, o.config, "/server/bind", demo_bind_error);
		struct cds__patient_key *key = cds__must(malloc(sizeof *key));
		if (cfg->patient_key && /* the store itself is not opened: that creates it */
		    cds__patient_key_load(cfg->patient_key, key, &err) != FHIR_OK)
			report_error(&errors, o.config, "/server/store/patientKey", err.message);
		memset(key, 0, sizeof *key);
		free(key);
	}
	if (load("check", &o, "-", errors ? NULL : cfg, errors, 0, &app) != 0) {
		cds_config_free(cfg);
		return 1;
	}
	const struct engine *engine = cds_app_engine(app);
	size_t n = engine_policy_count(engine);
	printf("ok: deployment '%s', %zu polic%s (%s)\n", engine_deployment_name(engine), n,
	       n == 1 ? "y" : "ies", o.policies ? o.policies : "embedded configuration");
	for (size_t i = 0; i < n; i++) {
		const char *id = NULL, *version = NULL, *commissioner = NULL;
		engine_policy_info(engine, i, &id, &version, &commissioner);
		printf("  %s version %s (%s)\n", id ? id : "?", version ? version : "?",
		       commissioner ? commissioner : "?");
	}
	cds_app_free(app);
	cds_config_free(cfg);
	return 0;
}

static int cmd_eval(int argc, char **argv)
{
	struct options o = {0};
	struct accepts a = {.now = 1, .decision_log = 1, .file = 1};
	struct cds_app *app = NULL;
	char *body = NULL;
	size_t length = 0;
	struct fhir_datetime now;
	struct fhir_error err = {{0}, {0}};
	struct cds_reply reply = {0};
	int rc = parse("eval", argc, argv, 2, &a, &o);
	if (rc != 0 || o.help) {
		if (o.help)
			fputs(usage_eval, stdout);
		return rc;
	}
	if (o.now && fhir_datetime_parse(o.now, &now, &err) != FHIR_OK) {
		rc = usage_error("eval", "--now: %s", err.message);
		goto out;
	}
	if (cds__read_file(o.file, 4u * CDS_MAX_BODY_BYTES, &body, &length, &err) != FHIR_OK) {
		fprintf(stderr, "cds-commissioning eval: %s: %s\n", err.where, err.message);
		rc = EXIT_USAGE;
		goto out;
	}
	if (load("eval", &o, o.decision_log, NULL, 0, 0, &app) != 0) {
		rc = 1;
		goto out;
	}
	/* The service is the one for the body's hook; a body without a usable hook goes to the
	 * order-select service, whose envelope check then names the problem. */
	const struct cds__service *service = NULL;
	cJSON *json = length <= CDS_MAX_BODY_BYTES ? cJSON_ParseWithLength(body, length) : NULL;
	const cJSON *hook =
	    cJSON_IsObject(json) ? cJSON_GetObjectItemCaseSensitive(json, "hook") : NULL;
	if (cJSON_IsString(hook))
		service = cds__service_for_hook(hook->valuestring);
	cJSON_Delete(json);
	size_t count = 0;
	if (!service)
		service = cds__services(&count);
	char path[128];
	snprintf(path, sizeof path, "/cds-services/%s", service->id);
	struct cds_request req = {0}; /* eval is offline: no Authorization, no auth check */
	req.method = "POST";
	req.path = path;
	req.content_type = "application/json";
	req.body = body;
	req.body_length = length;
	req.now = o.now ? &now : NULL;
	cds_handle(app, &req, &reply);
	fwrite(reply.body, 1, reply.body_length, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	rc = 0;
	if (reply.status < 200 || reply.status > 299) {
		fprintf(stderr, "eval: HTTP %u\n", reply.status);
		rc = 1;
	}
out:
	cds_reply_clear(&reply);
	cds_app_free(app);
	free(body);
	return rc;
}

/* Applies the command line's server settings (after the config file's). FHIR_OK, or the first
 * error in *err ("--option" and why). */
static int apply_command_line(struct cds_config *cfg, const struct options *o,
                              struct fhir_error *err)
{
	for (size_t i = 0; i < o->server_count; i++) {
		char name[64];
		const char *arg = o->server_names[i] + 2, *eq = strchr(arg, '=');
		snprintf(name, sizeof name, "%.*s", (int)(eq ? (size_t)(eq - arg) : strlen(arg)),
		         arg);
		if (cds_config_option(cfg, name, o->server_values[i], err) != FHIR_OK)
			return FHIR_ERR_INVALID;
	}
	return FHIR_OK;
}

/* Builds the server settings: the config file's "server" object, then the command line.
 * Every error of the file is printed (FILE#/json/pointer: message), not only the first, and
 * counted in *file_errors (0 on entry); then the command line is not applied and *out holds
 * what was read. Returns 0, or EXIT_USAGE after printing why. NEW: *out. */
static int settings(const char *command, const struct options *o, struct cds_config **out,
                    size_t *file_errors)
{
	struct fhir_error err = {{0}, {0}};
	struct cds_config *cfg = cds_config_new();
	*out = NULL;
	/* serve keeps accepted jti values in a file by default (the library default is memory
	 * only); the config file and --replay-cache override it. */
	(void)cds_config_option(cfg, "replay-cache", CDS__REPLAY_CACHE_DEFAULT, &err);
	if (o->config) {
		size_t errors = 0;
		struct engine_reporter rep = {report_error, &errors};
		if ((*file_errors = cds_config_load_file_all(cfg, o->config, &rep)) != 0) {
			*out = cfg; /* load() reports the deployment's errors with these */
			return 0;
		}
	}
	if (apply_command_line(cfg, o, &err) != FHIR_OK) {
		cds_config_free(cfg);
		return usage_error(command, "%s: %s", err.where, err.message);
	}
	/* Replicas on one PostgreSQL store share its jti replay cache too (issue 14 item 4): the
	 * default file would let a token replayed to another replica through. A replay cache the
	 * user named stays. */
	const char *kind = cfg->store ? cds__store_url_kind(cfg->store) : NULL;
	if (kind && strcmp(kind, "postgresql") == 0 && cfg->replay_cache_file &&
	    strcmp(cfg->replay_cache_file, CDS__REPLAY_CACHE_DEFAULT) == 0)
		(void)cds_config_option(cfg, "replay-cache", cfg->store, &err);
	if (cds_config_check(cfg, &err) != FHIR_OK) {
		cds_config_free(cfg);
		return usage_error(command, "%s: %s", err.where, err.message);
	}
	*out = cfg;
	return 0;
}

/* cds__reload_source.settings: the server settings rebuilt as `settings` builds them at start
 * (serve's replay-cache default, the config file, then the command line), every error reported
 * through rep. */
static size_t reload_settings(void *ctx, const struct engine_reporter *rep, struct cds_config **out)
{
	const struct options *o = ctx;
	struct fhir_error err = {{0}, {0}};
	struct cds_config *cfg = cds_config_new();
	size_t errors = 0;
	(void)cds_config_option(cfg, "replay-cache", CDS__REPLAY_CACHE_DEFAULT, &err);
	if (o->config)
		errors = cds_config_load_file_all(cfg, o->config, rep);
	if (errors == 0 && apply_command_line(cfg, o, &err) != FHIR_OK) {
		rep->report(rep->ctx, err.where, "", err.message);
		errors++;
	}
	*out = cfg;
	return errors;
}

/* The open-demo-mode banner (issue: "says so loudly at start"). */
static void demo_banner(void)
{
	fputs("\n"
	      "#####################################################################\n"
	      "#  OPEN DEMO MODE: no --issuer is configured.                       #\n"
	      "#  Any caller on this machine gets decisions WITHOUT a JWT, and      #\n"
	      "#  CORS allows every origin. Listening on loopback only.            #\n"
	      "#  For real use: --issuer ISS=JWKS --public-url URL (README).       #\n"
	      "#####################################################################\n"
	      "\n",
	      stderr);
}

static int cmd_serve(int argc, char **argv)
{
	struct options o = {0};
	struct accepts a = {.bind = 1, .port = 1, .decision_log = 1, .server = 1};
	struct cds_app *app = NULL;
	struct cds__host *host = NULL;
	struct cds__reloader *reloader = NULL;
	struct cds__watcher *watcher = NULL;
	struct cds_server *server = NULL;
	struct cds_config *cfg = NULL;
	struct fhir_error err = {{0}, {0}};
	unsigned long port = 8080;
	int rc = parse("serve", argc, argv, 2, &a, &o);
	if (rc != 0 || o.help) {
		if (o.help) {
			fputs(usage_serve, stdout);
			fputs(usage_serve_options, stdout);
			cds_config_print_usage(stdout);
			fputs(usage_serve_end, stdout);
		}
		return rc;
	}
	if (o.port) {
		char *end = NULL;
		errno = 0;
		port = strtoul(o.port, &end, 10);
		if (errno || end == o.port || *end || port > 65535 || o.port[0] == '-')
			return usage_error("serve", "--port '%s' is not a port number (0-65535)",
			                   o.port);
	}
	size_t file_errors = 0;
	if ((rc = settings("serve", &o, &cfg, &file_errors)) != 0)
		return rc;
	if (file_errors) { /* the deployment's errors too, then one summary; nothing started */
		if (!o.bind && cds_config_issuer_count(cfg) == 0 && !is_loopback(cfg->bind))
			report_error(&file_errors, o.config, "/server/bind", demo_bind_error);
		rc = load("serve", &o, "-", NULL, file_errors, 0, &app);
		cds_config_free(cfg);
		return rc;
	}
	/* The config file's server.bind, port, decisionLog and fetchBudgetMs, unless the
	 * command line gave them. */
	if (!o.port && cfg->port >= 0)
		port = (unsigned long)cfg->port;
	if (!o.decision_log && cfg->decision_log)
		o.decision_log = cfg->decision_log;
	char budget[24];
	if (!o.fetch_budget && cfg->fetch_budget_ms > 0) {
		snprintf(budget, sizeof budget, "%ld", cfg->fetch_budget_ms);
		o.fetch_budget = budget;
	}
	const char *bind = o.bind ? o.bind : cfg->bind ? cfg->bind : "127.0.0.1";
	int demo = cds_config_issuer_count(cfg) == 0;
	if (demo && !is_loopback(bind)) {
		cds_config_free(cfg);
		return usage_error("serve",
		                   "refusing to listen on '%s': no --issuer is configured, so the "
		                   "service would answer anyone without authentication; without an "
		                   "issuer only loopback addresses are allowed (open demo mode)",
		                   bind);
	}
	/* Block the stop and reload signals in every thread before any starts (the decision
	 * log's writer, started by load, and the daemon's threads inherit this mask) and wait for
	 * them here: a stop signal then always reaches sigwait, never a thread whose default
	 * action would end the process with decision lines still queued; SIGHUP (whose default
	 * action also ends the process) is handed to the reload thread, never handled here. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN); /* a client or log reader that goes away must not kill us */
	if (load("serve", &o, o.decision_log, cfg, 0, 1, &app) != 0) {
		cds_config_free(cfg);
		return 1;
	}

	if (cds_server_start(app, bind, (unsigned)port, &server, &err) != FHIR_OK) {
		fprintf(stderr, "cds-commissioning serve: %s%s%s\n", err.where,
		        err.where[0] ? ": " : "", err.message);
		rc = 1;
		goto out;
	}
	const struct engine *engine = cds_app_engine(app);
	fprintf(stderr,
	        "cds-commissioning %s listening on %s/cds-services "
	        "(deployment '%s', %zu polic%s, policy set %s)\n",
	        CDS_VERSION, cds_server_url(server), engine_deployment_name(engine),
	        engine_policy_count(engine), engine_policy_count(engine) == 1 ? "y" : "ies",
	        app->digest);
	if (app->host->store)
		fprintf(stderr, "%s\n", app->host->store_note);
	else
		fputs(
		    "store: none (--store -): decisions and feedback go to the decision log only, "
		    "and are lost with it\n",
		    stderr);
	if (demo)
		demo_banner();
	else
		fprintf(stderr,
		        "client authentication: JWT required from %zu issuer%s; aud base %s\n",
		        cds_config_issuer_count(cfg), cds_config_issuer_count(cfg) == 1 ? "" : "s",
		        cfg->public_url ? cfg->public_url : cds_server_url(server));
	if (app->auth) /* fetch https JWKS now, so the first token does not wait */
		cds__keystore_fetch_all(cds__auth_keystore(app->auth), stderr);
	/* systemd (Type=notify): started once the socket accepts and the policies are loaded */
	cds__notify_status("listening on %s/cds-services; deployment '%s', %zu polic%s",
	                   cds_server_url(server), engine_deployment_name(engine),
	                   engine_policy_count(engine),
	                   engine_policy_count(engine) == 1 ? "y" : "ies");
	cds__notify_ready();
	/* From here the host holds the generation being served (main's reference goes, so that
	 * a reload frees it once its last request is done) and SIGHUP reloads. */
	host = cds__host_retain(app->host);
	cds__app_release(app);
	app = NULL;
	struct cds__reload_source source = {o.policies, o.config, reload_settings, &o, stderr};
	if (cds__reload_start(host, &source, &reloader) != FHIR_OK)
		fputs("cds-commissioning: cannot start the reload thread: SIGHUP is ignored\n",
		      stderr);
	else if (cfg->watch && /* the same reloads, asked for when files change */
	         cds__watch_start(reloader, &source, cfg->limits.watch_quiet_ms, &watcher, &err) !=
	             FHIR_OK)
		fprintf(stderr, "cds-commissioning: %s: %s; changes need SIGHUP\n", err.where,
		        err.message);
	int sig = 0;
	while (sigwait(&stop, &sig) == 0 && sig == SIGHUP)
		cds__reload_request(reloader, CDS__RELOAD_SIGNAL); /* coalesced while one runs */
	cds__watch_stop(watcher); /* asks for no reload from here on */
	watcher = NULL;
	cds__reload_stop(reloader); /* a reload under way finishes first */
	reloader = NULL;
	cds__notify_stopping();
	cds_server_quiesce(server); /* refused from here on: announced after, not before */
	struct cds__server_stats st;
	cds__server_stats(server, &st);
	unsigned long grace = cfg->limits.shutdown_grace_seconds;
	cds__notify_status("stopping: %lu request%s in flight, up to %lus to finish", st.in_flight,
	                   st.in_flight == 1 ? "" : "s", grace);
	fprintf(stderr,
	        "cds-commissioning: %s received, stopping: no new connections; %lu request%s in "
	        "flight get up to %lus to finish\n",
	        sig == SIGINT ? "SIGINT" : "SIGTERM", st.in_flight, st.in_flight == 1 ? "" : "s",
	        grace);
	unsigned long left = cds_server_drain(server, grace);
	if (left)
		fprintf(stderr,
		        "cds-commissioning: %lu request%s still unfinished after %lus: their "
		        "fetches were ended (data unavailable) and they were answered\n",
		        left, left == 1 ? "" : "s", grace);
	rc = 0;
out:
	/* The server first (every request answered, its records queued), then the app, whose
	 * decision log writes what is queued before it closes. */
	cds__watch_stop(watcher);
	cds__reload_stop(reloader);
	cds_server_stop(server);
	cds_app_free(app);
	cds__host_close(host); /* the generation being served goes, and with the host the log */
	cds__host_release(host);
	cds_config_free(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	/* libcurl (JWKS and FHIR fetches): initialised once, before any thread starts. */
	if (fhir_client_global_init() != FHIR_OK) {
		fputs("cds-commissioning: cannot initialise libcurl\n", stderr);
		return 1;
	}
	atexit(fhir_client_global_cleanup);
	if (argc < 2) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	const char *command = argv[1];
	if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 ||
	    strcmp(command, "help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (strcmp(command, "--version") == 0) {
		printf("cds-commissioning %s\n", CDS_VERSION);
		return 0;
	}
	if (strcmp(command, "serve") == 0)
		return cmd_serve(argc, argv);
	if (strcmp(command, "eval") == 0)
		return cmd_eval(argc, argv);
	if (strcmp(command, "check") == 0)
		return cmd_check(argc, argv);
	if (strcmp(command, "fhirpath") == 0) /* fhirpath_cli.c */
		return cds__fhirpath_command(argc - 1, argv + 1);
	if (strcmp(command, "test") == 0) /* test_cmd.c: decision cases, like `opa test` */
		return cds__test_command(argc - 1, argv + 1);
	if (strcmp(command, "draft") == 0) /* draft_cmd.c: IFR / prior-approval requests */
		return cds__draft_command(argc - 1, argv + 1);
	if (strcmp(command, "report") == 0) /* report_cmd.c: the commissioner's report */
		return cds__report_command(argc - 1, argv + 1);
	if (strcmp(command, "purge") == 0) /* purge_cmd.c: expired request bodies (issue 13) */
		return cds__purge_command(argc - 1, argv + 1);
	if (strcmp(command, "impact") == 0) /* store/impact_cmd.c: what a policy change flips */
		return cds__impact_command(argc - 1, argv + 1);
	fprintf(stderr, "cds-commissioning: unknown command '%s'\n\n%s", command, usage_main);
	return EXIT_USAGE;
}
