/* record_gen.h — builds CDS Hooks requests with large patient records for the record-size
 * benchmark (issue 12 items 1 and 7): the UK knee-injection example with its prefetch
 * "conditions" Bundle replaced by one of any size. */
#ifndef CDS_BENCH_RECORD_GEN_H
#define CDS_BENCH_RECORD_GEN_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* The Conditions to copy from, in order: the knee example's own (first, so its orders'
 * reasonReference "Condition/cond-oa-knee" resolves), then the UK MSK conditions bundle's. */
struct record_pool {
	cJSON *request;    /* the knee example, parsed (NEW, owned) */
	cJSON **templates; /* BORROWED from request / bundle */
	size_t count;
	cJSON *bundle; /* the conditions bundle, parsed (NEW, owned) */
};

/* Reads `knee` (uk-msk-order-select-knee-injection.json) and `bundle`
 * (uk-msk-conditions-bundle.json). Returns 0, or -1 with a message on stderr. Free with
 * record_pool_free. */
int record_pool_load(struct record_pool *pool, const char *knee, const char *bundle);
void record_pool_free(struct record_pool *pool);

/* The request with `conditions` Conditions in prefetch.conditions: template i % count, ids
 * made unique ("cond-obesity-17"; the first copy of each keeps its id), fullUrl to match,
 * onset dates and recorded dates spread over 20 years. NEW: free with cJSON_Delete. */
cJSON *record_request(const struct record_pool *pool, size_t conditions);

#endif
