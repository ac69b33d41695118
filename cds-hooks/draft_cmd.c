/* draft_cmd.c — `cds-commissioning draft [--now ISO-8601] [--policies DIR] [--config FILE]
 * FILE|-`: answers a CDS Hooks request offline, exactly as `eval` does, and prints each IFR or
 * prior-approval request the cards draft (issue 15 item 4) as Markdown a clinician can paste into
 * the commissioner's form (Blueteq or e-mail): the answers the record gives, then what is still to
 * complete. It only formats the service's answer; the drafting is engine/questionnaire_draft.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cds_internal.h"

enum { EXIT_NONE = 1, EXIT_USAGE = 2 };

static const char usage_draft[] =
    "Usage: cds-commissioning draft [--now ISO-8601] [--policies DIR] [--config FILE] FILE|-\n"
    "\n"
    "Answers the CDS Hooks request in FILE (or stdin) like `eval`, then prints as Markdown each\n"
    "individual funding request (IFR) or prior-approval request its cards draft: the answers\n"
    "taken from the record (with the resources they cite) and the items still to complete.\n"
    "Nothing is written to a decision log. Exit status 0 with at least one draft, 1 with none\n"
    "(or an HTTP error), 2 for a usage error.\n";

static int usage(const char *message, const char *arg)
{
	fprintf(stderr, "cds-commissioning draft: %s%s\n\n%s", message, arg ? arg : "",
	        usage_draft);
	return EXIT_USAGE;
}

/* One answer as text: a string, a date, `Type/id`, a coding's display, yes / no. */
static void put_answer(FILE *out, const cJSON *answer)
{
	const cJSON *v = answer->child;

	if (v == NULL || v->string == NULL)
		return;
	if (cJSON_IsString(v))
		fputs(v->valuestring, out);
	else if (cJSON_IsBool(v))
		fputs(cJSON_IsTrue(v) ? "yes" : "no", out);
	else if (cJSON_IsNumber(v))
		fprintf(out, "%g", v->valuedouble);
	else if (strcmp(v->string, "valueReference") == 0)
		fprintf(out, "`%s`",
		        fhir_get_string(v, "reference") ? fhir_get_string(v, "reference") : "?");
	else if (strcmp(v->string, "valueCoding") == 0)
		fputs(fhir_get_string(v, "display") ? fhir_get_string(v, "display")
		      : fhir_get_string(v, "code")  ? fhir_get_string(v, "code")
		                                    : "?",
		      out);
}

/* The response items: groups as headings (level 2, 3, then bold), answers as list items.
 * *listing: the last line printed was a list item (a heading then needs a blank line). */
static void put_items(FILE *out, const cJSON *items, int depth, int *listing)
{
	const cJSON *item;

	cJSON_ArrayForEach(item, items)
	{
		const char *text = fhir_get_string(item, "text");
		const cJSON *answers = fhir_get(item, "answer");

		if (text == NULL)
			text = fhir_get_string(item, "linkId");
		if (fhir_get(item, "item") != NULL) {
			fprintf(out, "\n%s%s%s\n",
			        depth == 0   ? "## "
			        : depth == 1 ? "### "
			                     : "**",
			        text, depth > 1 ? "**" : "");
			*listing = 0;
			put_items(out, fhir_get(item, "item"), depth + 1, listing);
			continue;
		}
		if (!*listing)
			fputc('\n', out);
		*listing = 1;
		fprintf(out, "- **%s:** ", text);
		for (const cJSON *a = answers ? answers->child : NULL; a != NULL; a = a->next) {
			put_answer(out, a);
			if (a->next != NULL)
				fputs(", ", out);
		}
		fputc('\n', out);
	}
}

/* One draft: its title, who and what it is for, the answers, what is still to complete. */
static void put_draft(FILE *out, const struct engine *engine, const cJSON *card,
                      const cJSON *suggestion, const cJSON *qr)
{
	const cJSON *q = engine_questionnaire(engine, fhir_get_string(qr, "questionnaire"));
	const char *detail = fhir_get_string(card, "detail");
	const char *remaining = detail != NULL ? strstr(detail, "**Still to complete**") : NULL;
	const char *subject = fhir_get_string(fhir_get(qr, "subject"), "reference");
	const char *author = fhir_get_string(fhir_get(qr, "author"), "reference");
	const char *order =
	    fhir_get_string(cJSON_GetArrayItem(fhir_get(qr, "basedOn"), 0), "reference");

	fprintf(out, "# %s\n\n",
	        q != NULL && fhir_get_string(q, "title") ? fhir_get_string(q, "title")
	                                                 : fhir_get_string(suggestion, "label"));
	fprintf(out,
	        "_Drafted by cds-commissioning from the record (%s) for %s, order %s%s%s. "
	        "Check every answer before sending; the record's resources are cited as "
	        "`Type/id`._\n",
	        fhir_get_string(qr, "questionnaire"), subject ? subject : "the patient",
	        order ? order : "?", author ? ", requested by " : "", author ? author : "");
	int listing = 0;

	put_items(out, fhir_get(qr, "item"), 0, &listing);
	if (remaining != NULL) { /* the card's list: the last part of its detail (card.c) */
		fputs("\n## Still to complete\n\n", out);
		remaining = strchr(remaining, '\n');
		while (remaining != NULL && *remaining == '\n')
			remaining++;
		fprintf(out, "%s\n", remaining != NULL ? remaining : "");
	}
}

int cds__draft_command(int argc, char **argv)
{
	struct cds_app_options opts = {.decision_log = "-"};
	struct cds_app *app = NULL;
	struct fhir_datetime now;
	struct fhir_error err = {{0}, {0}};
	struct cds_reply reply = {0};
	const char *now_text = NULL, *file = NULL;
	char *body = NULL, path[128];
	size_t length = 0, count = 0;
	cJSON *json = NULL;
	const cJSON *card, *s, *a;
	const struct cds__service *service = NULL;
	int rc = EXIT_NONE, drafts = 0;

	for (int i = 1; i < argc; i++) {
		const char **slot = strcmp(argv[i], "--now") == 0        ? &now_text
		                    : strcmp(argv[i], "--policies") == 0 ? &opts.policies_dir
		                    : strcmp(argv[i], "--config") == 0   ? &opts.config_file
		                                                         : NULL;

		if (strcmp(argv[i], "--help") == 0) {
			fputs(usage_draft, stdout);
			return 0;
		}
		if (slot != NULL) {
			if (i + 1 >= argc)
				return usage("option needs a value: ", argv[i]);
			*slot = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return usage("unknown option ", argv[i]);
		} else if (file != NULL) {
			return usage("unexpected argument ", argv[i]);
		} else {
			file = argv[i];
		}
	}
	if (file == NULL)
		return usage("a request FILE (or '-' for stdin) is required", NULL);
	if (now_text != NULL && fhir_datetime_parse(now_text, &now, &err) != FHIR_OK)
		return usage("--now: ", err.message);
	if (cds__read_file(file, 4u * CDS_MAX_BODY_BYTES, &body, &length, &err) != FHIR_OK) {
		fprintf(stderr, "cds-commissioning draft: %s: %s\n", err.where, err.message);
		return EXIT_USAGE;
	}
	if (cds_app_new(&opts, NULL, &app) != FHIR_OK) {
		fprintf(stderr, "cds-commissioning draft: the configuration does not load "
		                "(`cds-commissioning check` lists the errors)\n");
		goto out;
	}
	json = length <= CDS_MAX_BODY_BYTES ? cJSON_ParseWithLength(body, length) : NULL;
	if (cJSON_IsString(fhir_get(json, "hook")))
		service = cds__service_for_hook(fhir_get_string(json, "hook"));
	cJSON_Delete(json);
	if (service == NULL)
		service = cds__services(&count);
	snprintf(path, sizeof(path), "/cds-services/%s", service->id);
	{
		struct cds_request req = {0}; /* offline, like eval: no Authorization */

		req.method = "POST";
		req.path = path;
		req.content_type = "application/json";
		req.body = body;
		req.body_length = length;
		req.now = now_text != NULL ? &now : NULL;
		cds_handle(app, &req, &reply);
	}
	if (reply.status != 200) {
		fprintf(stderr, "cds-commissioning draft: HTTP %u: %.*s\n", reply.status,
		        (int)reply.body_length, reply.body);
		goto out;
	}
	json = cJSON_ParseWithLength(reply.body, reply.body_length);
	cJSON_ArrayForEach(card, fhir_get(json, "cards"))
	{
		cJSON_ArrayForEach(s, fhir_get(card, "suggestions"))
		{
			cJSON_ArrayForEach(a, fhir_get(s, "actions"))
			{
				const cJSON *r = fhir_get(a, "resource");
				const char *type = fhir_get_string(r, "resourceType");

				if (type == NULL || strcmp(type, "QuestionnaireResponse") != 0)
					continue;
				if (drafts++ > 0)
					fputs("\n---\n\n", stdout);
				put_draft(stdout, cds_app_engine(app), card, s, r);
			}
		}
	}
	cJSON_Delete(json);
	if (drafts == 0)
		fprintf(stderr, "cds-commissioning draft: no card drafts an IFR or prior-approval "
		                "request for this order\n");
	rc = drafts > 0 ? 0 : EXIT_NONE;
out:
	cds_reply_clear(&reply);
	cds_app_free(app);
	free(body);
	return rc;
}
