/* error.c — fills struct fhir_error, the one error shape shared by fhir/, engine/ and
 * cds-hooks/. Messages are truncated to fit, never overflow; a NULL error is ignored. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fhir.h"

void fhir_error_set(struct fhir_error *err, const char *where, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	snprintf(err->where, sizeof(err->where), "%s", where != NULL ? where : "");
}
