/* service.c — the fixed table of CDS services this server offers (one per hook) and lookups by
 * id and by hook. CDS Hooks 2.0 §Discovery. Data only: it must not build JSON or route
 * requests (discovery.c and handle.c do). */
#include <string.h>

#include "cds_internal.h"

static const struct cds__service services[] = {
    {CDS_SERVICE_ORDER_SELECT, "order-select", "NHS commissioning check at order selection",
     "Checks each selected order against the commissioning policies of the patient's NHS "
     "commissioner and says whether it is routinely funded, needs prior approval or an "
     "Individual Funding Request, or is not commissioned."},
    {CDS_SERVICE_ORDER_SIGN, "order-sign", "NHS commissioning check at order signing",
     "Checks each draft order being signed against the commissioning policies of the patient's "
     "NHS commissioner and says whether it is routinely funded, needs prior approval or an "
     "Individual Funding Request, or is not commissioned."},
};

const struct cds__service *cds__services(size_t *count)
{
	*count = sizeof services / sizeof services[0];
	return services;
}

const struct cds__service *cds__service_find(const char *id, size_t len)
{
	for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
		if (strlen(services[i].id) == len && memcmp(services[i].id, id, len) == 0)
			return &services[i];
	return NULL;
}

const struct cds__service *cds__service_for_hook(const char *hook)
{
	if (!hook)
		return NULL;
	for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
		if (strcmp(services[i].hook, hook) == 0)
			return &services[i];
	return NULL;
}
