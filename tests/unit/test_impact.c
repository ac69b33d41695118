/* test_impact.c — policy impact (issue 13 item 5: "A test changes a threshold in a copy of the
 * policies and checks the flips"). Builds SQLite stores whose request rows hold real request
 * bodies (tests/vectors/ and ../shared/examples/) received at each case's "now", with the
 * decision and criterion rows the shipped policies give them (assessed here, recorded by the
 * service's own row builder, store/decision_rows.c), then runs cds__impact_run against copies
 * of policies/:
 *
 * - a copy with one threshold changed: HNY ICB policy 142, criterion C, "No symptomatic relief
 *   after two landmark guided injections", its count `>= 2` made `>= 3` (three injections).
 *   Expected BEFORE running, on the small store (each vector's procedures read by hand):
 *     hny142-injection-C-met-E-met-commissioned-order-sign (9d6703ce-…): two completed
 *       landmark-guided injections of the right knee, no relief; A, B, D not met, E met.
 *       C met -> not-met; (A or B or C or D) is false: commissioned -> not-commissioned.
 *     rt-hny142-e-unknown-naproxen-not-taken (0c63ee17-…): two injections, E unknown.
 *       C met -> not-met; false and unknown is false: criteria-unknown -> not-commissioned.
 *     rt-hny142-e-not-met-responding-well-to-physio (d9658810-…): two injections, E not met.
 *       C met -> not-met; the decision stays not-commissioned (E already decides it).
 *     hny142-injection-A-met-E-met-commissioned: no landmark injection, A met: unchanged.
 *     nwl-text-coded-mri-shoulder-general-practice-encounter, gm070-si-injection-prior-
 *       approval-provocation-positive: other policies: unchanged.
 *     412-hny142-conditions-not-prefetched, ../shared/examples/uk-msk-order-select-knee-
 *       injection.json: fhirServer named and prefetch lacking what 142 reads: not replayable;
 *       nwl-mri-knee-primary-care-community-msk-referral likewise (it lacks the optional
 *       'encounter': first predicted replayable, corrected after the first run).
 *   So: hny-142-usgi 2 changed of 4 compared, criterion C met -> not-met 3 times and no other
 *   criterion; nwl-msk-imaging and gm070 unchanged; 3 not replayable.
 *   On the store of every vector and example: the only changes are in hny-142-usgi, only
 *   criterion C changes, only from met to not-met, and only decisions that C could carry
 *   (commissioned or criteria-unknown before; not-commissioned or criteria-unknown after).
 * - an unchanged copy: nothing flips on the store of every vector (the negative case: the
 *   decisions do not drift with today's date, since each replays at its received_at);
 * - a broken copy (C's metText not FHIRPath): refused, the error at file#pointer. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cds_internal.h"
#include "store/impact.h"
#include "store/report.h"
#include "store/rows.h"
#include "store/store.h"
#include "testkit.h"
#include "vectors.h"

#define THRESHOLD_OLD                                                                              \
	"%landmarkInjections.where(status = 'completed' and "                                      \
	"mentions('injection-not-given').not()).count() >= 2"
#define THRESHOLD_NEW                                                                              \
	"%landmarkInjections.where(status = 'completed' and "                                      \
	"mentions('injection-not-given').not()).count() >= 3"
#define POLICY_142 "hny-142-usgi.policy.json"

static const char *source_dir(void)
{
	const char *s = getenv("CDS_SOURCE_DIR");
	return s ? s : ".";
}

/* ---- policy copies -------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text, size_t length)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s", path);
	for (char *p = dir + 1; *p; p++) { /* parent folders */
		if (*p == '/') {
			*p = '\0';
			(void)mkdir(dir, 0700);
			*p = '/';
		}
	}
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL, "write %s: %s", path, strerror(errno));
	if (f) {
		CHECK(fwrite(text, 1, length, f) == length, "write %s", path);
		fclose(f);
	}
}

/* Copies policies/ (the embedded files are policies/ as built) to `dir`, replacing `from`
 * with `to` (once) in the file `file` when from is not NULL. */
static void copy_policy_set(const char *dir, const char *file, const char *from, const char *to)
{
	for (size_t i = 0; i < engine_embedded_file_count; i++) {
		const struct engine_file *f = &engine_embedded_files[i];
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, f->name);
		if (!from || strcmp(f->name, file) != 0) {
			write_file(path, f->text, f->length);
			continue;
		}
		const char *at = strstr(f->text, from);
		CHECK(at != NULL && strstr(at + 1, from) == NULL, "'%s' once in %s", from, f->name);
		if (!at)
			continue;
		size_t head = (size_t)(at - f->text), n = strlen(from), m = strlen(to);
		char *text = malloc(f->length - n + m + 1);
		memcpy(text, f->text, head);
		memcpy(text + head, to, m);
		memcpy(text + head + m, at + n, f->length - head - n + 1);
		write_file(path, text, f->length - n + m);
		free(text);
	}
}

static void copy_policies(const char *dir, const char *from, const char *to)
{
	copy_policy_set(dir, POLICY_142, from, to);
}

/* ---- building a store ----------------------------------------------------------------------- */

struct builder {
	struct cds__store *store;
	struct cds__store_conn *conn; /* inside build(): one transaction for the whole store */
	const struct engine *engine;  /* the shipped policies: the "old" decisions */
	size_t requests, decisions, seq;
	void (*fill)(struct builder *b);
	const char *tmp;
};

static void exec(struct builder *b, const char *sql, const char *const *params, size_t n)
{
	struct fhir_error err = {{0}, {0}};
	CHECK(cds__store_exec(b->conn, sql, params, n, &err) == FHIR_OK, "%s: %s", sql,
	      err.message);
}

static int build_in(struct cds__store_conn *conn, void *ctx, struct fhir_error *err)
{
	struct builder *b = ctx;
	(void)err;
	b->conn = conn;
	b->fill(b);
	b->conn = NULL;
	return FHIR_OK;
}

/* Creates the store at `url` with the rows fill(b) adds, in one transaction. */
static void build(struct builder *b, const char *url, const struct engine *engine,
                  void (*fill)(struct builder *b))
{
	struct fhir_error err = {{0}, {0}};
	memset(b, 0, sizeof *b);
	b->engine = engine;
	b->fill = fill;
	CHECK(cds__store_open(url, &b->store, &err) == FHIR_OK, "open %s: %s", url, err.message);
	if (b->store)
		CHECK(cds__store_run(b->store, 1, build_in, b, &err) == FHIR_OK, "build: %s",
		      err.message);
	cds__store_close(b->store);
}

/* A request row as given (body NULL: not kept; expires NULL: no retention), with no decision
 * rows: for bodies the service would not have assessed, and bodies not kept or purged. */
static void add_raw(struct builder *b, const char *body, const char *now_text, const char *expires)
{
	char id[32], received[40];
	struct fhir_error err = {{0}, {0}};
	snprintf(id, sizeof id, "raw-%05zu", b->seq++);
	CHECK(cds__report_parse_bound(now_text, received, sizeof received, &err) == FHIR_OK, "%s",
	      err.message);
	const char *params[] = {id, received, body, expires};
	exec(b,
	     "INSERT INTO request (id, received_at, service, hook, hook_instance, deployment, "
	     "policy_set, patient, body, body_expires_at) VALUES ($1, $2, 'test', 'order-select', "
	     "'(none)', 'demo', 'sha256:test', NULL, $3, $4)",
	     params, 4);
	b->requests++;
}

/* The request `body` received at `now_text`, assessed by the shipped policies, recorded with
 * the service's own rows (store/decision_rows.c: request, decisions, criteria; the body kept
 * ten years from today). A body the engine refuses is recorded with add_raw. */
static void add_request(struct builder *b, const char *body, const char *now_text)
{
	struct fhir_error err = {{0}, {0}};
	struct fhir_datetime now;
	struct engine_result result;
	char received[40];
	memset(&result, 0, sizeof result);
	cJSON *json = cJSON_Parse(body);
	const char *hook = fhir_get_string(json, "hook");
	const struct cds__service *service = hook ? cds__service_for_hook(hook) : NULL;
	if (!service || fhir_datetime_parse(now_text, &now, &err) != FHIR_OK ||
	    engine_assess(b->engine, json, &now, &result, &err) != FHIR_OK) {
		add_raw(b, body, now_text, NULL);
		cJSON_Delete(json);
		return;
	}
	CHECK(cds__report_parse_bound(now_text, received, sizeof received, &err) == FHIR_OK, "%s",
	      err.message);
	struct cds__decision_input in = {0};
	in.request = json;
	in.records = result.log;
	in.response = result.kind == ENGINE_ASSESSED ? result.response : NULL;
	in.service = service->id;
	in.deployment = "demo";
	in.policy_set = "sha256:test";
	in.received_at = received;
	in.body_retention_days = 3650;
	in.now = time(NULL); /* only for body_expires_at: ten years from today, never reached */
	struct cds__store_rows rows = {0};
	cds__decision_rows_build(&in, &rows);
	CHECK(cds__store_rows_insert(b->conn, &rows, &err) == FHIR_OK, "rows: %s", err.message);
	const cJSON *rec;
	cJSON_ArrayForEach(rec, result.log)
	{
		b->decisions += fhir_get_string(rec, "policy") != NULL;
	}
	b->requests++;
	cds__store_rows_clear(&rows);
	engine_result_clear(&result);
	cJSON_Delete(json);
}

/* The request of vector `name` (tests/vectors/NAME), received at its expected.json "now". */
static void add_vector(struct builder *b, const char *dir)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/request.json", dir);
	char *body = testkit_read(path, NULL);
	snprintf(path, sizeof path, "%s/expected.json", dir);
	char *expected_text = testkit_read(path, NULL);
	cJSON *expected = expected_text ? cJSON_Parse(expected_text) : NULL;
	const char *now = fhir_get_string(expected, "now");
	CHECK(body != NULL, "%s/request.json", dir);
	if (body)
		add_request(b, body, now ? now : CDS__VECTORS_DEFAULT_NOW);
	cJSON_Delete(expected);
	free(expected_text);
	free(body);
}

static void add_named_vector(struct builder *b, const char *name)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/tests/vectors/%s", source_dir(), name);
	add_vector(b, dir);
}

/* Every request body in ../shared/examples/ (files with a "hook"). */
static void add_examples(struct builder *b, int only_uk)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/../shared/examples", source_dir());
	DIR *d = opendir(dir);
	CHECK(d != NULL, "%s", dir);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		char path[1300];
		if (!strstr(de->d_name, ".json") ||
		    (only_uk && strcmp(de->d_name, "uk-msk-order-select-knee-injection.json")))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		char *body = testkit_read(path, NULL);
		cJSON *json = body ? cJSON_Parse(body) : NULL;
		if (fhir_get_string(json, "hook"))
			add_request(b, body, CDS__VECTORS_DEFAULT_NOW);
		cJSON_Delete(json);
		free(body);
	}
	if (d)
		closedir(d);
}

/* ---- reading reports ------------------------------------------------------------------------ */

static const cJSON *policy_of(const cJSON *report, const char *id)
{
	const cJSON *p;
	cJSON_ArrayForEach(p, fhir_get(report, "policies"))
	{
		if (strcmp(fhir_get_string(p, "policy"), id) == 0)
			return p;
	}
	return NULL;
}

static double num(const cJSON *o, const char *name)
{
	const cJSON *n = fhir_get(o, name);
	return cJSON_IsNumber(n) ? n->valuedouble : -1;
}

/* The transition old -> new of policy p (NULL: "none"), or NULL. */
static const cJSON *transition(const cJSON *p, const char *old, const char *new)
{
	const cJSON *t;
	cJSON_ArrayForEach(t, fhir_get(p, "transitions"))
	{
		const char *o = fhir_get_string(t, "old"), *n = fhir_get_string(t, "new");
		if ((old ? o && strcmp(o, old) == 0 : !o) && (new ? n &&strcmp(n, new) == 0 : !n))
			return t;
	}
	return NULL;
}

static int has_instance(const cJSON *t, const char *instance)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, fhir_get(t, "hookInstances"))
	{
		if (cJSON_IsString(v) && strcmp(v->valuestring, instance) == 0)
			return 1;
	}
	return 0;
}

struct load_errors {
	size_t count;
	int pointed; /* an error at hny-142-usgi.policy.json#/criteria/2/metText */
};

static void collect_error(void *ctx, const char *file, const char *pointer, const char *message)
{
	struct load_errors *e = ctx;
	e->count++;
	e->pointed |= file && pointer && strstr(file, POLICY_142) &&
	              strcmp(pointer, "/criteria/2/metText") == 0;
	(void)message;
}

static cJSON *run_with(const char *url, const char *policies, const char *config, const char *from,
                       const char *to)
{
	struct load_errors errors = {0, 0};
	struct engine_reporter rep = {collect_error, &errors};
	struct cds__impact_options o = {url, policies, config, from, to, 3};
	struct fhir_error err = {{0}, {0}};
	cJSON *report = NULL;
	int rc = cds__impact_run(&o, &rep, &report, &err);
	CHECK(rc == FHIR_OK && report, "impact %s: %d %s", policies, rc, err.message);
	CHECK(errors.count == 0, "%zu load errors", errors.count);
	return report;
}

static cJSON *run(const char *url, const char *policies, const char *from, const char *to)
{
	return run_with(url, policies, NULL, from, to);
}

/* ---- the cases ------------------------------------------------------------------------------ */

/* --from / --to are read as `report` reads them (one parser, cds__report_parse_bound) and the
 * period is [from, to), as in the report: a request received exactly at `to` is not counted. */
static void test_bounds(void)
{
	char buf[40];
	struct fhir_error err = {{0}, {0}};
	CHECK(cds__report_parse_bound("2026-12-01T00:30:00+01:00", buf, sizeof buf, &err) ==
	              FHIR_OK &&
	          strcmp(buf, "2026-11-30T23:30:00.000Z") == 0,
	      "an instant in UTC: %s", buf);
	char *reversed[] = {"impact",         "--store",      "sqlite:/nonexistent.db",
	                    "--policies",     "/nonexistent", "--from=2025-01-15",
	                    "--to=2025-01-15"};
	CHECK(cds__impact_command(7, reversed) == 2, "an empty period (--from = --to) is refused");
	char *bad[] = {"impact",     "--store",      "sqlite:/nonexistent.db",
	               "--policies", "/nonexistent", "--from=yesterday"};
	CHECK(cds__impact_command(6, bad) == 2, "a --from that is no date is refused");
}

static void fill_small(struct builder *b)
{
	add_named_vector(b, "hny142-injection-C-met-E-met-commissioned-order-sign");
	add_named_vector(b, "rt-hny142-e-unknown-naproxen-not-taken");
	add_named_vector(b, "rt-hny142-e-not-met-responding-well-to-physio");
	add_named_vector(b, "hny142-injection-A-met-E-met-commissioned");
	add_named_vector(b, "nwl-text-coded-mri-shoulder-general-practice-encounter");
	add_named_vector(b, "gm070-si-injection-prior-approval-provocation-positive");
	add_named_vector(b, "412-hny142-conditions-not-prefetched");
	add_named_vector(b, "nwl-mri-knee-primary-care-community-msk-referral");
	add_examples(b, 1);
}

/* The small store: the flips predicted above, exactly. */
/* store_url NULL: a SQLite file in tmp; else that (fresh) store, e.g. PostgreSQL. */
static void test_threshold(const char *tmp, const struct engine *shipped, const char *store_url)
{
	char url[1100], changed[1100], same[1100];
	struct builder b;
	if (store_url)
		snprintf(url, sizeof url, "%s", store_url);
	else
		snprintf(url, sizeof url, "sqlite:%s/small.db", tmp);
	snprintf(changed, sizeof changed, "%s/policies-c3", tmp);
	snprintf(same, sizeof same, "%s/policies-same", tmp);
	build(&b, url, shipped, fill_small);
	copy_policies(changed, THRESHOLD_OLD, THRESHOLD_NEW);
	copy_policies(same, NULL, NULL);

	cJSON *r = run(url, changed, NULL, NULL);
	const cJSON *req = fhir_get(r, "requests");
	CHECK(num(req, "replayed") == 6, "6 replayed, not %g", num(req, "replayed"));
	CHECK(num(req, "notReplayable") == 3, "3 not replayable, not %g",
	      num(req, "notReplayable"));
	CHECK(num(req, "unreadable") == 0, "none unreadable");
	const cJSON *d = fhir_get(r, "decisions");
	CHECK(num(d, "compared") == 6 && num(d, "changed") == 2, "6 compared, 2 changed: %g %g",
	      num(d, "compared"), num(d, "changed"));
	CHECK(num(d, "newlyTriggered") == 0 && num(d, "noLongerTriggered") == 0, "same orders");
	const cJSON *p = policy_of(r, "hny-142-usgi");
	CHECK(p && num(p, "compared") == 4 && num(p, "changed") == 2, "142: 4 compared, 2 changed");
	const cJSON *t = transition(p, "commissioned", "not-commissioned");
	CHECK(t && num(t, "count") == 1 && has_instance(t, "9d6703ce-91ac-503e-8957-0097381bd847"),
	      "commissioned -> not-commissioned, the C-met order-sign case");
	t = transition(p, "criteria-unknown", "not-commissioned");
	CHECK(t && num(t, "count") == 1 &&
	          has_instance(t, "0c63ee17-f360-4426-9102-60841146dfee") &&
	          cJSON_GetArraySize(fhir_get(t, "hookInstances")) == 1,
	      "criteria-unknown -> not-commissioned, one example");
	t = transition(p, "not-commissioned", "not-commissioned");
	CHECK(t && num(t, "count") == 1 && cJSON_GetArraySize(fhir_get(t, "hookInstances")) == 0,
	      "not-commissioned unchanged, no examples");
	t = transition(p, "commissioned", "commissioned");
	CHECK(t && num(t, "count") == 1, "the A-met case unchanged");
	CHECK(cJSON_GetArraySize(fhir_get(p, "transitions")) == 4, "4 transitions");
	const cJSON *c = cJSON_GetArrayItem(fhir_get(p, "criteria"), 0);
	CHECK(cJSON_GetArraySize(fhir_get(p, "criteria")) == 1 &&
	          strcmp(fhir_get_string(c, "criterion"), "C") == 0 &&
	          strcmp(fhir_get_string(c, "old"), "met") == 0 &&
	          strcmp(fhir_get_string(c, "new"), "not-met") == 0 && num(c, "count") == 3,
	      "only criterion C, met -> not-met, 3 times");
	for (const char *id = "nwl-msk-imaging"; id;
	     id = strcmp(id, "nwl-msk-imaging") == 0 ? "gm070-facet-joint-injections" : NULL) {
		p = policy_of(r, id);
		CHECK(p && num(p, "compared") == 1 && num(p, "changed") == 0 &&
		          cJSON_GetArraySize(fhir_get(p, "criteria")) == 0,
		      "%s unchanged", id);
	}
	const cJSON *e;
	int uk = 0, v412 = 0, knee = 0;
	cJSON_ArrayForEach(e, fhir_get(r, "notReplayable"))
	{
		const char *hi = fhir_get_string(e, "hookInstance");
		const char *why = fhir_get_string(e, "reason");
		uk |= strcmp(hi, "3f1c2b7e-8a4d-4c1e-9b2a-6d5e4f3a2b10") == 0 &&
		      strstr(why, "'procedures'") != NULL;
		v412 |= strcmp(hi, "88359a23-b3b4-50aa-8d92-c35c224ffbb4") == 0 &&
		        strstr(why, "'conditions'") != NULL;
		knee |= strcmp(hi, "917c887e-d989-5205-9bdc-70c2656722f8") == 0 &&
		        strstr(why, "'encounter'") != NULL;
	}
	CHECK(uk && v412 && knee, "not replayable, naming the keys: %d %d %d", uk, v412, knee);
	CHECK(cds__impact_changed(r) == 2, "changed %zu", cds__impact_changed(r));

	/* the text form says the same */
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	cds__impact_print(r, out);
	fclose(out);
	CHECK(strstr(text, "hny-142-usgi (version 142 -> 142): 4 compared, 2 changed") != NULL,
	      "text: policy line:\n%s", text);
	CHECK(strstr(text, "  commissioned     -> not-commissioned        1  "
	                   "9d6703ce-91ac-503e-8957-0097381bd847\n") != NULL,
	      "text: a transition row with its example");
	CHECK(strstr(text, "    C        met -> not-met  3") != NULL, "text: criterion row:\n%s",
	      text);
	fputs(text, stdout);
	free(text);
	cJSON_Delete(r);

	/* unchanged copy: nothing flips */
	r = run(url, same, NULL, NULL);
	CHECK(cds__impact_changed(r) == 0 && num(fhir_get(r, "decisions"), "compared") == 6,
	      "unchanged copy: 0 changed of 6");
	cJSON_Delete(r);

	/* --config replaces the set's deployment.json, as with serve: another name is noted */
	char other[1100], config[1200];
	snprintf(other, sizeof other, "%s/policies-other", tmp);
	snprintf(config, sizeof config, "%s/deployment.json", other);
	copy_policy_set(other, "deployment.json", "\"name\": \"demo\"", "\"name\": \"other\"");
	r = run_with(url, same, config, NULL, NULL);
	CHECK(strcmp(fhir_get_string(r, "deployment"), "other") == 0 &&
	          num(fhir_get(r, "requests"), "otherDeployment") == 9 &&
	          cds__impact_changed(r) == 0,
	      "--config: deployment 'other', 9 requests from 'demo', nothing changed");
	cJSON_Delete(r);

	/* the window: received 2025-01-15 (the C-met order-sign, A-met, GM070, 412 and UK
	 * example cases) or 2025-09-15 (the two rt-hny142 and the two NWL cases) */
	r = run(url, changed, "2025-01-16T00:00:00.000Z", NULL);
	CHECK(num(fhir_get(r, "requests"), "replayed") == 3 &&
	          num(fhir_get(r, "requests"), "notReplayable") == 1 &&
	          num(fhir_get(r, "decisions"), "changed") == 1 &&
	          transition(policy_of(r, "hny-142-usgi"), "criteria-unknown", "not-commissioned"),
	      "from 2025-01-16: 3 replayed (%g), the criteria-unknown flip only",
	      num(fhir_get(r, "requests"), "replayed"));
	cJSON_Delete(r);
	r = run(url, changed, "2025-01-15T00:00:00.000Z", "2025-01-16T00:00:00.000Z");
	CHECK(num(fhir_get(r, "requests"), "replayed") == 3 &&
	          num(fhir_get(r, "requests"), "notReplayable") == 2 &&
	          num(fhir_get(r, "decisions"), "changed") == 1 &&
	          transition(policy_of(r, "hny-142-usgi"), "commissioned", "not-commissioned"),
	      "on 2025-01-15: 3 replayed (%g), the commissioned flip only",
	      num(fhir_get(r, "requests"), "replayed"));
	cJSON_Delete(r);
	r = run(url, changed, "2026-01-01T00:00:00.000Z", NULL);
	CHECK(num(fhir_get(r, "requests"), "replayed") == 0 &&
	          num(fhir_get(r, "decisions"), "compared") == 0,
	      "an empty window compares nothing");
	cJSON_Delete(r);
}

static const struct cds__vector_list *everything;

static void fill_everything(struct builder *b)
{
	for (size_t i = 0; i < everything->count; i++)
		add_vector(b, everything->dirs[i]);
	add_examples(b, 0);
	/* not requests we can assess, and requests without a body */
	add_raw(b, "{\"hook\": \"order-select\", \"hookInst", CDS__VECTORS_DEFAULT_NOW, NULL);
	add_raw(b, "{\"hook\": \"patient-view\", \"hookInstance\": \"x\", \"context\": {}}",
	        CDS__VECTORS_DEFAULT_NOW, NULL);
	add_raw(b, NULL, CDS__VECTORS_DEFAULT_NOW, NULL);
	add_raw(b, "{}", CDS__VECTORS_DEFAULT_NOW, "2025-02-01T00:00:00.000Z"); /* purged */
}

/* The store of every vector and example: unchanged copy flips nothing; the threshold only C. */
static void test_everything(const char *tmp, const struct engine *shipped)
{
	char url[1100], changed[1100], same[1100];
	struct builder b;
	struct cds__vector_list cases = {0};
	struct fhir_error err = {{0}, {0}};
	snprintf(url, sizeof url, "sqlite:%s/all.db", tmp);
	snprintf(changed, sizeof changed, "%s/policies-c3", tmp);
	snprintf(same, sizeof same, "%s/policies-same", tmp);
	char vectors[1024];
	snprintf(vectors, sizeof vectors, "%s/tests/vectors", source_dir());
	CHECK(cds__vectors_find(&cases, vectors, &err) == FHIR_OK && cases.count > 100, "%s",
	      err.message);
	everything = &cases;
	build(&b, url, shipped, fill_everything);
	size_t with_body = b.requests - 2;
	cds__vectors_list_clear(&cases);

	cJSON *r = run(url, same, NULL, NULL);
	const cJSON *req = fhir_get(r, "requests"), *d = fhir_get(r, "decisions");
	double seen = num(req, "replayed") + num(req, "notReplayable") + num(req, "unreadable");
	printf("every vector, unchanged copy: %g requests with a body, %g replayed, %g not "
	       "replayable, %g unreadable; %g decisions compared, %g changed\n",
	       seen, num(req, "replayed"), num(req, "notReplayable"), num(req, "unreadable"),
	       num(d, "compared"), num(d, "changed"));
	CHECK(seen == (double)with_body, "every request with a body read once: %g of %zu", seen,
	      with_body);
	CHECK(num(req, "withoutBody") == 2, "2 without a body (none, purged): %g",
	      num(req, "withoutBody"));
	CHECK(num(req, "unreadable") >= 2, "the two broken bodies are unreadable");
	CHECK(num(d, "compared") > 500, "hundreds of decisions compared: %g", num(d, "compared"));
	CHECK(num(d, "changed") == 0 && num(d, "newlyTriggered") == 0 &&
	          num(d, "noLongerTriggered") == 0,
	      "unchanged copy: nothing flips (%g changed)", num(d, "changed"));
	const cJSON *p;
	cJSON_ArrayForEach(p, fhir_get(r, "policies"))
	{
		CHECK(cJSON_GetArraySize(fhir_get(p, "criteria")) == 0, "%s: no criterion changed",
		      fhir_get_string(p, "policy"));
	}
	double compared = num(d, "compared");
	cJSON_Delete(r);

	r = run(url, changed, NULL, NULL);
	d = fhir_get(r, "decisions");
	printf("every vector, C at three injections: %g decisions compared, %g changed\n",
	       num(d, "compared"), num(d, "changed"));
	CHECK(num(d, "compared") == compared, "the same decisions compared");
	CHECK(num(d, "changed") >= 2, "at least the two predicted flips: %g", num(d, "changed"));
	CHECK(num(d, "newlyTriggered") == 0 && num(d, "noLongerTriggered") == 0,
	      "a criterion threshold triggers nothing new");
	cJSON_ArrayForEach(p, fhir_get(r, "policies"))
	{
		const char *id = fhir_get_string(p, "policy");
		const cJSON *c, *t;
		if (strcmp(id, "hny-142-usgi") != 0) {
			CHECK(num(p, "changed") == 0 &&
			          cJSON_GetArraySize(fhir_get(p, "criteria")) == 0,
			      "%s unchanged", id);
			continue;
		}
		cJSON_ArrayForEach(c, fhir_get(p, "criteria"))
		{
			CHECK(strcmp(fhir_get_string(c, "criterion"), "C") == 0 &&
			          strcmp(fhir_get_string(c, "old"), "met") == 0 &&
			          strcmp(fhir_get_string(c, "new"), "not-met") == 0,
			      "only C, met -> not-met: %s %s -> %s",
			      fhir_get_string(c, "criterion"), fhir_get_string(c, "old"),
			      fhir_get_string(c, "new"));
		}
		cJSON_ArrayForEach(t, fhir_get(p, "transitions"))
		{
			const char *o = fhir_get_string(t, "old"), *n = fhir_get_string(t, "new");
			if (!cJSON_IsTrue(fhir_get(t, "changed")))
				continue;
			CHECK(o && n &&
			          (strcmp(o, "commissioned") == 0 ||
			           strcmp(o, "criteria-unknown") == 0) &&
			          (strcmp(n, "not-commissioned") == 0 ||
			           strcmp(n, "criteria-unknown") == 0),
			      "a flip C can cause: %s -> %s", o ? o : "none", n ? n : "none");
		}
	}
	cJSON_Delete(r);
}

#define NWL_DATES_OLD "\"version\": \"1.2\",\n  \"effectiveFrom\": \"2025-07-01\""
#define NWL_DATES_NEW "\"version\": \"1.3\",\n  \"effectiveFrom\": \"2025-09-16\""

static void fill_late(struct builder *b)
{
	add_named_vector(b, "nwl-text-coded-mri-shoulder-general-practice-encounter");
	add_named_vector(b, "nwl-mri-knee-primary-care-community-msk-referral");
}

/* Orders that no longer trigger a policy, or newly do: NWL MSK imaging version 1.3 in force
 * from 2025-09-16 (a day after the NWL cases were received). Expected before running:
 * - the small store against it: both NWL cases (889f61b9-…, and 917c887e-…, which becomes
 *   replayable: nothing in force at its instant reads 'encounter') go redirect -> not
 *   triggered, version 1.2 -> 1.3; nothing else changes; 7 replayed, 2 not replayable;
 * - a store decided under 1.3 (no NWL rows) against the shipped set: the shoulder case is
 *   newly triggered (none -> redirect); the knee case is not replayable ('encounter'). */
static void test_triggering(const char *tmp, const struct engine *shipped)
{
	char small[1100], late_url[1100], later[1100], same[1100];
	snprintf(small, sizeof small, "sqlite:%s/small.db", tmp);
	snprintf(late_url, sizeof late_url, "sqlite:%s/late.db", tmp);
	snprintf(later, sizeof later, "%s/policies-nwl-later", tmp);
	snprintf(same, sizeof same, "%s/policies-same", tmp);
	copy_policy_set(later, "nwl-msk-imaging.policy.json", NWL_DATES_OLD, NWL_DATES_NEW);

	cJSON *r = run(small, later, NULL, NULL);
	const cJSON *d = fhir_get(r, "decisions"), *req = fhir_get(r, "requests");
	const cJSON *p = policy_of(r, "nwl-msk-imaging");
	const cJSON *t = transition(p, "redirect", NULL);
	CHECK(num(req, "replayed") == 7 && num(req, "notReplayable") == 2, "7 replayed (%g), 2 not",
	      num(req, "replayed"));
	CHECK(num(d, "changed") == 2 && num(d, "noLongerTriggered") == 2 &&
	          num(d, "newlyTriggered") == 0,
	      "2 no longer triggered: %g changed", num(d, "changed"));
	CHECK(t && num(t, "count") == 2 &&
	          has_instance(t, "889f61b9-78ed-52bf-bb66-47bcb16f081f") &&
	          has_instance(t, "917c887e-d989-5205-9bdc-70c2656722f8"),
	      "redirect -> not triggered, both NWL cases");
	CHECK(p && strcmp(fhir_get_string(p, "newVersion"), "1.3") == 0 &&
	          strcmp(cJSON_GetArrayItem(fhir_get(p, "oldVersions"), 0)->valuestring, "1.2") ==
	              0,
	      "version 1.2 -> 1.3");
	cJSON_Delete(r);

	struct files_engine {
		struct cds__files files;
		struct engine *engine;
	} fe = {{0}, NULL};
	CHECK(cds__files_read_dir(&fe.files, later, NULL) == FHIR_OK &&
	          engine_load(fe.files.items, fe.files.count, NULL, &fe.engine) == FHIR_OK,
	      "the 1.3 set loads");
	struct builder b;
	build(&b, late_url, fe.engine ? fe.engine : shipped, fill_late);
	engine_free(fe.engine);
	cds__files_clear(&fe.files);
	r = run(late_url, same, NULL, NULL);
	d = fhir_get(r, "decisions");
	req = fhir_get(r, "requests");
	t = transition(policy_of(r, "nwl-msk-imaging"), NULL, "redirect");
	CHECK(num(req, "replayed") == 1 && num(req, "notReplayable") == 1, "1 replayed, 1 not");
	CHECK(num(d, "newlyTriggered") == 1 && num(d, "changed") == 1, "1 newly triggered");
	CHECK(t && num(t, "count") == 1 && has_instance(t, "889f61b9-78ed-52bf-bb66-47bcb16f081f"),
	      "not triggered -> redirect, the shoulder case");
	cJSON_Delete(r);
}

#define REQUIRES_OLD "\"requires\": [\n    \"conditions\"\n  ]"
#define REQUIRES_NEW "\"requires\": [\n    \"conditions\",\n    \"procedures\"\n  ]"

/* The C-met order-sign case as a client without a FHIR server sends it: no fhirServer, no
 * procedures in the prefetch. */
static void fill_gap(struct builder *b)
{
	char path[1024];
	snprintf(
	    path, sizeof path,
	    "%s/tests/vectors/hny142-injection-C-met-E-met-commissioned-order-sign/request.json",
	    source_dir());
	char *text = testkit_read(path, NULL);
	cJSON *json = text ? cJSON_Parse(text) : NULL;
	CHECK(json != NULL, "%s", path);
	cJSON_DeleteItemFromObjectCaseSensitive(json, "fhirServer");
	cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(json, "prefetch"),
	                                        "procedures");
	char *body = cJSON_PrintUnformatted(json);
	add_request(b, body, CDS__VECTORS_DEFAULT_NOW);
	free(body);
	cJSON_Delete(json);
	free(text);
}

/* A policy that now requires data a stored request lacks: HNY 142 requiring procedures.
 * Expected before running: the request above was decided criteria-unknown (procedures
 * unavailable: C, D and E unknown, A and B not met); replayed, it is answered 412, so its
 * decision becomes "data-unavailable"; it is replayable (no fhirServer: nothing was fetched
 * live either). */
static void test_unavailable(const char *tmp, const struct engine *shipped)
{
	char url[1100], dir[1100];
	struct builder b;
	snprintf(url, sizeof url, "sqlite:%s/gap.db", tmp);
	snprintf(dir, sizeof dir, "%s/policies-requires", tmp);
	build(&b, url, shipped, fill_gap);
	copy_policies(dir, REQUIRES_OLD, REQUIRES_NEW);
	cJSON *r = run(url, dir, NULL, NULL);
	const cJSON *t = transition(policy_of(r, "hny-142-usgi"), "criteria-unknown",
	                            CDS__IMPACT_DATA_UNAVAILABLE);
	CHECK(num(fhir_get(r, "requests"), "replayed") == 1 &&
	          num(fhir_get(r, "requests"), "dataUnavailable") == 1,
	      "replayed and answered 412");
	CHECK(t && num(t, "count") == 1 && has_instance(t, "9d6703ce-91ac-503e-8957-0097381bd847"),
	      "criteria-unknown -> data-unavailable");
	CHECK(cds__impact_changed(r) == 1, "one change");
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	cds__impact_print(r, out);
	fclose(out);
	CHECK(strstr(text, "criteria-unknown -> (412: data unavailable)") != NULL, "text:\n%s",
	      text);
	free(text);
	cJSON_Delete(r);
}

static void test_refusals(const char *tmp)
{
	char broken[1100], url[1100];
	struct load_errors errors = {0, 0};
	struct engine_reporter rep = {collect_error, &errors};
	struct fhir_error err = {{0}, {0}};
	cJSON *report = NULL;
	snprintf(broken, sizeof broken, "%s/policies-broken", tmp);
	snprintf(url, sizeof url, "sqlite:%s/small.db", tmp);
	copy_policies(broken, THRESHOLD_OLD,
	              "%landmarkInjections.where(status = 'completed'.count(");
	struct cds__impact_options o = {url, broken, NULL, NULL, NULL, 3};
	CHECK(cds__impact_run(&o, &rep, &report, &err) == FHIR_ERR_INVALID && !report,
	      "a broken copy is refused");
	CHECK(errors.count >= 1 && errors.pointed, "the error at %s#/criteria/2/metText (%zu)",
	      POLICY_142, errors.count);

	char missing[1100];
	snprintf(missing, sizeof missing, "sqlite:%s/no-such.db", tmp);
	struct cds__impact_options m = {missing, NULL, NULL, NULL, NULL, 3};
	CHECK(cds__impact_run(&m, &rep, &report, &err) == FHIR_ERR_IO && !report &&
	          strstr(err.message, "no-such.db"),
	      "an absent store is refused: %s", err.message);
	char path[1100];
	snprintf(path, sizeof path, "%s/no-such.db", tmp);
	CHECK(access(path, F_OK) != 0, "and not created");

	/* the command's exit status: 3 with --fail-on-flip when something flips */
	char changed[1100], same[1100];
	snprintf(changed, sizeof changed, "%s/policies-c3", tmp);
	snprintf(same, sizeof same, "%s/policies-same", tmp);
	char *flip[] = {"impact",         "--store",       url,          "--policies", changed,
	                "--fail-on-flip", "--format=json", "--examples", "1"};
	CHECK(cds__impact_command(9, flip) == 3, "--fail-on-flip: 3 on a flip");
	char *empty[] = {"impact",         "--store",        url, "--policies", changed,
	                 "--fail-on-flip", "--to=2025-01-14"};
	CHECK(cds__impact_command(7, empty) == 0, "--fail-on-flip: 0 on an empty window");
	char *none[] = {"impact", "--store", url, "--policies", same, "--fail-on-flip"};
	CHECK(cds__impact_command(6, none) == 0, "--fail-on-flip: 0 when nothing flips");
	char *ran[] = {"impact", "--store", url, "--policies", changed};
	CHECK(cds__impact_command(5, ran) == 0, "without --fail-on-flip: 0 whatever flips");
	char *bad[] = {"impact", "--store", url, "--policies", broken};
	CHECK(cds__impact_command(5, bad) == 1, "a broken set: 1");
	char *usage[] = {"impact", "--store", url, "--policies", same, "--examples", "101"};
	CHECK(cds__impact_command(7, usage) == 2, "--examples 101: 2");
}

int main(void)
{
	struct engine *shipped = NULL;
	CHECK(engine_load(engine_embedded_files, engine_embedded_file_count, NULL, &shipped) ==
	          FHIR_OK,
	      "the shipped policies load");
	char tmp[] = "/tmp/test_impact.XXXXXX";
	CHECK(mkdtemp(tmp) != NULL, "mkdtemp");
	/* On PostgreSQL (tests/store/pg_server.sh gives a fresh database): the threshold case,
	 * whose queries (paging, windows, JSON columns) are all impact reads; the rest ran on
	 * SQLite. */
	const char *pg = getenv("CDS_TEST_POSTGRES_URL");
	if (pg && *pg) {
		test_threshold(tmp, shipped, pg);
	} else {
		test_bounds();
		test_threshold(tmp, shipped, NULL);
		test_triggering(tmp, shipped);
		test_unavailable(tmp, shipped);
		test_everything(tmp, shipped);
		test_refusals(tmp);
	}
	engine_free(shipped);
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	CHECK(system(cmd) == 0, "cleanup");
	return testkit_done();
}
