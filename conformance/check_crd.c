/* check_crd.c — `--crd`: the Da Vinci CRD extras, reported apart from the CDS Hooks assertions
 * (severity "CRD"): systemActions present on order-sign/order-dispatch/appointment-book
 * responses, source.topic on every card, a Coverage Information update systemAction
 * (ext-coverage-information) on order-sign, a uuid on every suggestion, and the CRD latency
 * target (p90 <= 5 s; 10 s for appointment-book). CRD foundation, cards and hooks pages. */
#include <string.h>

#include "conf.h"

#define COVERAGE_INFO                                                                              \
	"http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"

static int primary_hook(const char *hook)
{
	return strcmp(hook, "order-sign") == 0 || strcmp(hook, "order-dispatch") == 0 ||
	       strcmp(hook, "appointment-book") == 0;
}

static int has_coverage_info(const cJSON *response)
{
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(response, "systemActions"))
	{
		const char *type = conf_str(a, "type");
		if (!type || strcmp(type, "update") != 0)
			continue;
		char *text =
		    cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(a, "resource"));
		int found = text && strstr(text, COVERAGE_INFO) != NULL;
		cJSON_free(text);
		if (found)
			return 1;
	}
	return 0;
}

void conf_check_crd(struct conf_ctx *ctx)
{
	struct conf_findings f1 = {0}, f2 = {0}, f3 = {0}, f4 = {0}, f5 = {0};
	size_t primary = 0, signs = 0, cards = 0;
	for (size_t x = 0; x < ctx->n_exchanges; x++) {
		const struct conf_exchange *ex = &ctx->exchanges[x];
		const char *hook = ctx->services[ex->service].hook;
		const cJSON *sa = cJSON_GetObjectItemCaseSensitive(ex->response, "systemActions");
		if (primary_hook(hook)) {
			primary++;
			if (!cJSON_IsArray(sa))
				conf_find(&f1, "%s: no systemActions", ex->label);
		}
		if (strcmp(hook, "order-sign") == 0) {
			signs++;
			if (!has_coverage_info(ex->response))
				conf_find(&f3, "%s: no coverage-information update systemAction",
				          ex->label);
		}
		size_t k = 0;
		const cJSON *c;
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(ex->response, "cards"))
		{
			cards++;
			if (!cJSON_GetObjectItemCaseSensitive(
			        cJSON_GetObjectItemCaseSensitive(c, "source"), "topic"))
				conf_find(&f2, "%s cards/%zu: no source.topic", ex->label, k);
			const cJSON *s;
			cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(c, "suggestions"))
			{
				if (!conf_str(s, "uuid"))
					conf_find(&f4, "%s cards/%zu: a suggestion without uuid",
					          ex->label, k);
			}
			k++;
		}
	}
	if (primary)
		conf_verdict("CRD1", "CRD", &f1,
		             "systemActions present on every primary-hook response");
	else
		conf_report("CRD1", "CRD", CONF_SKIP,
		            "no order-sign/order-dispatch/appointment-book "
		            "response");
	if (cards)
		conf_verdict("CRD2", "CRD", &f2, "source.topic on every card");
	else
		conf_report("CRD2", "CRD", CONF_SKIP, "no card returned");
	if (signs)
		conf_verdict(
		    "CRD3", "CRD", &f3,
		    "a Coverage Information update systemAction on every order-sign response");
	else
		conf_report("CRD3", "CRD", CONF_SKIP, "no order-sign response");
	if (cards)
		conf_verdict("CRD4", "CRD", &f4, "uuid on every suggestion (CRD SHALL)");
	else
		conf_report("CRD4", "CRD", CONF_SKIP, "no card returned");
	size_t timed = 0;
	for (size_t i = 0; i < ctx->n_services; i++) {
		const struct conf_service *svc = &ctx->services[i];
		if (!svc->timed_runs)
			continue;
		timed++;
		double limit = strcmp(svc->hook, "appointment-book") == 0 ? 10000.0 : 5000.0;
		if (svc->p90_ms > limit)
			conf_find(&f5, "%s p90 %.1f ms > %.0f s", svc->id, svc->p90_ms,
			          limit / 1000);
	}
	if (!timed)
		conf_report("CRD5", "CRD", CONF_SKIP, "nothing timed");
	else if (ctx->timing_mode == CONF_TIMING_FIGURES)
		conf_report("CRD5", "CRD", CONF_SKIP, "figures only (--timing figures)");
	else
		conf_verdict("CRD5", "CRD", &f5, "p90 within CRD's 5 s (10 s appointment-book)");
}
