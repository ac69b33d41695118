/* main.c — the cds-commissioning command line: `serve` (HTTP), `eval` (one request offline,
 * answered exactly as the server would), `check` (validate a configuration), `--help` and
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

enum { EXIT_USAGE = 2 };

static const char usage_main[] =
    "cds-commissioning " CDS_VERSION " - NHS commissioning checks as a CDS Hooks 2.0 service\n"
    "\n"
    "Usage:\n"
    "  cds-commissioning serve [--bind ADDR] [--port N] [--policies DIR] [--config FILE]\n"
    "                          [--decision-log FILE|-]\n"
    "  cds-commissioning eval [--now ISO-8601] [--policies DIR] [--config FILE]\n"
    "                         [--decision-log FILE|-] FILE|-\n"
    "  cds-commissioning check [--policies DIR] [--config FILE]\n"
    "  cds-commissioning --help | --version\n"
    "\n"
    "`cds-commissioning COMMAND --help` describes each command.\n"
    "Without --policies the configuration embedded in the binary is used.\n";

static const char usage_serve[] =
    "Usage: cds-commissioning serve [OPTIONS]\n"
    "\n"
    "Serves CDS Hooks 2.0 over HTTP: GET /cds-services, POST /cds-services/{id},\n"
    "POST /cds-services/{id}/feedback, GET /healthz. Stops cleanly on SIGINT or SIGTERM.\n"
    "Logs one line per request to stderr (method, path, status, duration, hookInstance).\n"
    "\n"
    "  --bind ADDR            IPv4/IPv6 address to listen on (default 127.0.0.1). No client\n"
    "                         authentication (JWT) exists yet, so only loopback addresses are\n"
    "                         accepted (demo mode).\n"
    "  --port N               TCP port (default 8080; 0 picks a free port, printed at start)\n"
    "  --fetch-budget-ms MS   time allowed for fetching data the request's prefetch lacks from\n"
    "                         its fhirServer, all keys and pages together (default 2000)\n"
    "  --policies DIR         load every *.json below DIR instead of the embedded configuration\n"
    "  --config FILE          use FILE as deployment.json\n"
    "  --decision-log FILE|-  append decision-log JSON lines to FILE; '-' for none\n"
    "                         (default: stderr)\n"
    "  --help                 show this help\n"
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
    "/cds-services/{that service} with Content-Type application/json.\n"
    "\n"
    "  --now ISO-8601         evaluate as of this instant (default: the current time)\n"
    "  --policies DIR         load every *.json below DIR instead of the embedded configuration\n"
    "  --config FILE          use FILE as deployment.json\n"
    "  --decision-log FILE|-  append decision-log JSON lines to FILE; '-' for none\n"
    "                         (default: stderr)\n"
    "  --fetch-budget-ms MS   time allowed for fetching data the request's prefetch lacks from\n"
    "                         its fhirServer, all keys and pages together (default 2000)\n"
    "  --help                 show this help\n"
    "\n"
    "Exit status: 0 when the response status is 2xx; 1 otherwise - the error body (a FHIR\n"
    "OperationOutcome) is still printed to stdout and `eval: HTTP <status>` to stderr;\n"
    "2 for bad arguments or an unreadable FILE.\n";

static const char usage_check[] =
    "Usage: cds-commissioning check [OPTIONS]\n"
    "\n"
    "Loads and validates every policy, value set and the deployment configuration, prints\n"
    "every error as `FILE#JSON-POINTER: message` to stderr, and on success a summary of the\n"
    "loaded policies to stdout.\n"
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
};

/* Which options a command accepts. */
struct accepts {
	int bind, port, now, decision_log, file;
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
			const char **slots[] = {&o->bind,         &o->port, &o->policies,    &o->config,
			                        &o->decision_log, &o->now,  &o->fetch_budget};
			/* --fetch-budget-ms: the commands that answer requests (serve, eval) */
			const int allowed[] = {a->bind,         a->port, 1, 1,
			                       a->decision_log, a->now,  a->decision_log};
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

/* Loads the app; on failure prints a summary line. Returns 0 or 1. */
static int load(const char *command, const struct options *o, const char *decision_log,
                struct cds_app **app)
{
	size_t errors = 0;
	struct engine_reporter rep = {report_error, &errors};
	struct cds_app_options opts = {o->policies, o->config, decision_log};
	if (cds_app_new(&opts, &rep, app) != FHIR_OK) {
		fprintf(stderr, "cds-commissioning %s: the configuration has %zu error%s\n",
		        command, errors, errors == 1 ? "" : "s");
		return 1;
	}
	if (o->fetch_budget) /* checked by parse */
		cds_app_set_fetch_budget(*app, strtol(o->fetch_budget, NULL, 10));
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
	if (load("check", &o, "-", &app) != 0)
		return 1;
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
	if (load("eval", &o, o.decision_log, &app) != 0) {
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
	struct cds_request req = {"POST", path,   "application/json",
	                          body,   length, o.now ? &now : NULL};
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

static int cmd_serve(int argc, char **argv)
{
	struct options o = {0};
	struct accepts a = {.bind = 1, .port = 1, .decision_log = 1};
	struct cds_app *app = NULL;
	struct cds_server *server = NULL;
	struct fhir_error err = {{0}, {0}};
	unsigned long port = 8080;
	int rc = parse("serve", argc, argv, 2, &a, &o);
	if (rc != 0 || o.help) {
		if (o.help)
			fputs(usage_serve, stdout);
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
	const char *bind = o.bind ? o.bind : "127.0.0.1";
	if (!is_loopback(bind))
		return usage_error("serve",
		                   "refusing to listen on '%s': no client authentication is "
		                   "implemented yet, so only loopback addresses are allowed",
		                   bind);
	if (load("serve", &o, o.decision_log, &app) != 0)
		return 1;

	/* Block the stop signals in every thread (the daemon's threads inherit this mask) and
	 * wait for them here. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN); /* a client or log reader that goes away must not kill us */

	if (cds_server_start(app, bind, (unsigned)port, &server, &err) != FHIR_OK) {
		fprintf(stderr, "cds-commissioning serve: %s\n", err.message);
		rc = 1;
		goto out;
	}
	const struct engine *engine = cds_app_engine(app);
	int v6 = strchr(bind, ':') != NULL;
	fprintf(stderr,
	        "cds-commissioning %s listening on http://%s%s%s:%u/cds-services "
	        "(deployment '%s', %zu polic%s)\n"
	        "note: no client authentication is configured yet (demo mode, loopback only)\n",
	        CDS_VERSION, v6 ? "[" : "", bind, v6 ? "]" : "", cds_server_port(server),
	        engine_deployment_name(engine), engine_policy_count(engine),
	        engine_policy_count(engine) == 1 ? "y" : "ies");
	int sig = 0;
	sigwait(&stop, &sig);
	fprintf(stderr, "cds-commissioning: %s received, stopping\n",
	        sig == SIGINT ? "SIGINT" : "SIGTERM");
	rc = 0;
out:
	cds_server_stop(server);
	cds_app_free(app);
	return rc;
}

int main(int argc, char **argv)
{
	/* libcurl (FHIR fetches): initialised once, before any thread starts. */
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
	fprintf(stderr, "cds-commissioning: unknown command '%s'\n\n%s", command, usage_main);
	return EXIT_USAGE;
}
