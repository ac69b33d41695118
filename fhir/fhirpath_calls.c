/* fhirpath_calls.c — load-time inspection of a compiled FHIRPath expression: the function calls
 * whose arguments are string literals (e.g. memberOf('url')), so that the engine can check the
 * urls and ids a policy names before any request is served. Read-only walk of the parse tree; no
 * evaluation, no allocation. */
#include "fhirpath_internal.h"

static void walk_calls(const struct fhir__fp_node *n,
                       void (*fn)(void *ctx, const char *function, size_t arg, const char *literal),
                       void *ctx)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; n->kind == FP_FUNC && n->name != NULL && i < n->nargs; i++) {
		const struct fhir__fp_node *a = n->args[i];

		if (a != NULL && a->kind == FP_LITERAL && a->lit->kind == FHIR_VALUE_STRING &&
		    a->lit->u.string != NULL)
			fn(ctx, n->name, i, a->lit->u.string);
	}
	walk_calls(n->left, fn, ctx);
	walk_calls(n->right, fn, ctx);
	for (i = 0; i < n->nargs; i++)
		walk_calls(n->args[i], fn, ctx);
}

void fhir_path_each_literal_argument(const struct fhir_path *path,
                                     void (*fn)(void *ctx, const char *function, size_t arg,
                                                const char *literal),
                                     void *ctx)
{
	if (path != NULL && fn != NULL)
		walk_calls(path->root, fn, ctx);
}
