/* identifiers.c — the fixed machine-readable identifiers integrators rely on
 * (../shared/design/policies.md "The machine-readable decision on every card"): decisions,
 * recommendations with their display text, criterion states and card indicators. */
#include <string.h>

#include "engine_internal.h"

const char *const engine__decision_codes[ENGINE_DECISION_COUNT] = {
    "contraindicated",  "redirect",     "not-commissioned", "prior-approval-required",
    "criteria-unknown", "commissioned", "not-applicable"};

const char *const engine__indicator_codes[3] = {"info", "warning", "critical"};

const char *const engine__state_codes[3] = {"met", "not-met", "unknown"};

const struct engine__recommendation engine__recommendations[] = {
    {"landmark-guided-injection", "Use a landmark-guided injection"},
    {"landmark-guided-aspiration", "Use a landmark-guided aspiration"},
    {"document-criteria", "Document the policy criteria"},
    {"community-msk-referral", "Refer to the community MSK service"},
    {"urgent-referral", "Refer urgently (suspected cauda equina syndrome)"},
    {"cancer-pathway", "Use the local cancer referral pathway"},
    {"oncology-team", "Refer back to the oncology team"},
    {"soft-tissue-lump-guidance", "Follow the soft-tissue lump imaging guidance"},
    {"medial-branch-block", "Consider a medial branch block"},
    {"radiofrequency-denervation", "Consider radiofrequency denervation"},
    {"si-joint-injection", "Consider an image-guided sacroiliac joint injection"},
    {"ifr", "Submit an Individual Funding Request (IFR)"},
    {"prior-approval", "Seek individual prior approval"},
    {"do-not-request", "Do not request this procedure"},
};
const size_t engine__recommendation_count =
    sizeof(engine__recommendations) / sizeof(engine__recommendations[0]);

int engine__find_code(const char *const *table, size_t n, const char *code)
{
	size_t i;

	for (i = 0; code != NULL && i < n; i++)
		if (strcmp(table[i], code) == 0)
			return (int)i;
	return -1;
}

int engine__find_recommendation(const char *code)
{
	size_t i;

	for (i = 0; code != NULL && i < engine__recommendation_count; i++)
		if (strcmp(engine__recommendations[i].code, code) == 0)
			return (int)i;
	return -1;
}
