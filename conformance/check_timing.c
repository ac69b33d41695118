/* check_timing.c — H9: median and 90th-percentile latency per service over --timing-runs calls
 * of the body it already answered with 200, checked against CDS Hooks' "on the order of 500 ms"
 * (median) and Da Vinci CRD's 5 s at the 90th percentile (10 s for appointment-book, checked in
 * --crd mode by check_crd.c). With --timing figures the figures are printed and H9 SKIPs. */
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v (n > 0), p in (0, 100]. */
static double percentile(const double *v, size_t n, double p)
{
	size_t rank = (size_t)((p / 100.0) * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

void conf_check_timing(struct conf_ctx *ctx)
{
	struct conf_findings f = {0};
	size_t timed = 0;
	char figures[512] = "";
	for (size_t i = 0; i < ctx->n_services; i++) {
		struct conf_service *svc = &ctx->services[i];
		if (!svc->best_body)
			continue;
		char path[600];
		snprintf(path, sizeof path, "/cds-services/%s", svc->id);
		double *ms = calloc(ctx->timing_runs, sizeof *ms);
		if (!ms)
			abort();
		size_t n = 0, errors = 0;
		for (unsigned k = 0; k < ctx->timing_runs; k++) {
			cJSON *body = cJSON_Duplicate(svc->best_body, 1);
			conf_fresh_instance(body);
			struct conf_http_reply r;
			conf_post_json(ctx, path, body, &r);
			if (r.status == 200)
				ms[n++] = r.ms;
			else
				errors++;
			conf_http_reply_clear(&r);
			cJSON_Delete(body);
		}
		if (n) {
			qsort(ms, n, sizeof *ms, by_value);
			svc->timed_runs = n;
			svc->median_ms = percentile(ms, n, 50);
			svc->p90_ms = percentile(ms, n, 90);
			conf_report_timing(svc->id, svc->hook, n, svc->median_ms, svc->p90_ms);
			size_t used = strlen(figures);
			snprintf(figures + used, sizeof figures - used,
			         "%s%s median %.1f ms p90 %.1f ms", used ? "; " : "", svc->id,
			         svc->median_ms, svc->p90_ms);
			timed++;
			if (svc->median_ms > 500.0)
				conf_find(&f, "%s median %.1f ms > 500 ms", svc->id,
				          svc->median_ms);
			if (svc->p90_ms > 5000.0)
				conf_find(&f, "%s p90 %.1f ms > 5 s", svc->id, svc->p90_ms);
		}
		if (errors)
			conf_find(&f, "%s: %zu of %u timing calls did not answer 200", svc->id,
			          errors, ctx->timing_runs);
		free(ms);
	}
	if (!timed)
		conf_report("H9", "S", CONF_SKIP, "no service answered 200; nothing to time");
	else if (ctx->timing_mode == CONF_TIMING_FIGURES)
		conf_report("H9", "S", CONF_SKIP, "figures only (--timing figures): %s", figures);
	else {
		char what[700];
		snprintf(what, sizeof what, "median <= 500 ms, p90 <= 5 s: %s", figures);
		conf_verdict("H9", "S", &f, what);
	}
}
