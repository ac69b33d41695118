/* check_cards.c — C1–C10 on every card of every 200 response the run collected: summary < 140
 * characters (code points), indicator, source (label, absolute url/icon, topic Coding), detail,
 * uuid on cards and suggestions, selectionBehavior, isRecommended under at-most-one, suggestion
 * shape, overrideReasons Codings with display, links. CDS Hooks 2.0 §CDS Service Response and
 * the HL7 invariants cds-resp-1/3/4/6. Manual-review C11 is not checked. */
#include <string.h>

#include "conf.h"

static int nonempty(const cJSON *obj, const char *key)
{
	const char *s = conf_str(obj, key);
	return s && s[0];
}

static void check_card(const cJSON *card, const char *where, struct conf_findings f[10],
                       size_t *suggestions)
{
	if (!cJSON_IsObject(card)) {
		conf_find(&f[0], "%s is not an object", where);
		return;
	}
	/* C1 */
	const char *summary = conf_str(card, "summary");
	if (!summary || !summary[0])
		conf_find(&f[0], "%s: summary missing or empty", where);
	else if (conf_utf8_length(summary) >= 140)
		conf_find(&f[0], "%s: summary has %zu characters (must be < 140)", where,
		          conf_utf8_length(summary));
	/* C2 */
	const char *ind = conf_str(card, "indicator");
	if (!ind || (strcmp(ind, "info") && strcmp(ind, "warning") && strcmp(ind, "critical")))
		conf_find(&f[1], "%s: indicator '%s'", where, ind ? ind : "(missing)");
	/* C3 */
	const cJSON *source = cJSON_GetObjectItemCaseSensitive(card, "source");
	if (!cJSON_IsObject(source) || !nonempty(source, "label")) {
		conf_find(&f[2], "%s: source.label missing or empty", where);
	} else {
		const char *urls[] = {"url", "icon"};
		for (size_t k = 0; k < 2; k++) {
			const cJSON *u = cJSON_GetObjectItemCaseSensitive(source, urls[k]);
			if (u && !(cJSON_IsString(u) && conf_is_absolute_url(u->valuestring, 0)))
				conf_find(&f[2], "%s: source.%s is not an absolute URL", where,
				          urls[k]);
		}
		const cJSON *topic = cJSON_GetObjectItemCaseSensitive(source, "topic");
		if (topic && !(cJSON_IsObject(topic) && nonempty(topic, "code") &&
		               nonempty(topic, "system")))
			conf_find(&f[2], "%s: source.topic is not a Coding with code and system",
			          where);
	}
	/* C4 */
	const cJSON *detail = cJSON_GetObjectItemCaseSensitive(card, "detail");
	if (detail && !(cJSON_IsString(detail) && detail->valuestring[0]))
		conf_find(&f[3], "%s: detail is not a non-empty string", where);
	/* C5 */
	if (!nonempty(card, "uuid"))
		conf_find(&f[4], "%s: card without uuid", where);
	/* C6–C8 */
	const cJSON *sugg = cJSON_GetObjectItemCaseSensitive(card, "suggestions");
	const char *sb = conf_str(card, "selectionBehavior");
	if (sugg) {
		if (!sb || (strcmp(sb, "at-most-one") && strcmp(sb, "any")))
			conf_find(&f[5], "%s: suggestions with selectionBehavior '%s'", where,
			          sb ? sb : "(missing)");
		if (!cJSON_IsArray(sugg))
			conf_find(&f[7], "%s: suggestions is not an array", where);
	}
	size_t recommended = 0, k = 0;
	const cJSON *s;
	cJSON_ArrayForEach(s, (cJSON_IsArray(sugg) ? sugg : NULL))
	{
		(*suggestions)++;
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "label")))
			conf_find(&f[7], "%s/suggestions/%zu: label is not a string", where, k);
		const cJSON *rec = cJSON_GetObjectItemCaseSensitive(s, "isRecommended");
		if (rec && !cJSON_IsBool(rec))
			conf_find(&f[7], "%s/suggestions/%zu: isRecommended is not boolean", where,
			          k);
		if (cJSON_IsTrue(rec))
			recommended++;
		const cJSON *actions = cJSON_GetObjectItemCaseSensitive(s, "actions");
		if (actions && !(cJSON_IsArray(actions) && cJSON_GetArraySize(actions) > 0))
			conf_find(&f[7], "%s/suggestions/%zu: actions is not a non-empty array",
			          where, k);
		if (!nonempty(s, "uuid"))
			conf_find(&f[4], "%s/suggestions/%zu: suggestion without uuid", where, k);
		k++;
	}
	if (sb && strcmp(sb, "at-most-one") == 0 && recommended > 1)
		conf_find(&f[6], "%s: at-most-one with %zu recommended suggestions", where,
		          recommended);
	/* C9 */
	const cJSON *reasons = cJSON_GetObjectItemCaseSensitive(card, "overrideReasons");
	if (reasons && !cJSON_IsArray(reasons))
		conf_find(&f[8], "%s: overrideReasons is not an array", where);
	k = 0;
	cJSON_ArrayForEach(s, (cJSON_IsArray(reasons) ? reasons : NULL))
	{
		if (!nonempty(s, "code") || !nonempty(s, "system") || !nonempty(s, "display"))
			conf_find(&f[8], "%s/overrideReasons/%zu: needs code, system and display",
			          where, k);
		k++;
	}
	/* C10 */
	const cJSON *links = cJSON_GetObjectItemCaseSensitive(card, "links");
	if (links && !cJSON_IsArray(links))
		conf_find(&f[9], "%s: links is not an array", where);
	k = 0;
	cJSON_ArrayForEach(s, (cJSON_IsArray(links) ? links : NULL))
	{
		const char *type = conf_str(s, "type");
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "label")))
			conf_find(&f[9], "%s/links/%zu: label is not a string", where, k);
		if (!conf_is_absolute_url(conf_str(s, "url"), 1))
			conf_find(&f[9], "%s/links/%zu: url is not an absolute http(s) URL", where,
			          k);
		if (!type || (strcmp(type, "absolute") && strcmp(type, "smart")))
			conf_find(&f[9], "%s/links/%zu: type '%s'", where, k,
			          type ? type : "(missing)");
		if (cJSON_GetObjectItemCaseSensitive(s, "appContext") &&
		    !(type && strcmp(type, "smart") == 0))
			conf_find(&f[9], "%s/links/%zu: appContext on a non-smart link", where, k);
		const cJSON *auto_ = cJSON_GetObjectItemCaseSensitive(s, "autolaunchable");
		if (auto_ && !cJSON_IsBool(auto_))
			conf_find(&f[9], "%s/links/%zu: autolaunchable is not boolean", where, k);
		k++;
	}
}

void conf_check_cards(struct conf_ctx *ctx)
{
	static const char *const ids[] = {"C1", "C2", "C3", "C4", "C5",
	                                  "C6", "C7", "C8", "C9", "C10"};
	static const char *const sev[] = {"M", "M", "M", "M", "S", "M", "M", "M", "M", "M"};
	static const char *const what[] = {
	    "summary non-empty and < 140 characters",
	    "indicator info|warning|critical",
	    "source.label; absolute source.url/icon; topic a Coding",
	    "detail, when present, a non-empty string",
	    "uuid on every card and suggestion",
	    "selectionBehavior at-most-one|any whenever suggestions",
	    "at most one isRecommended under at-most-one",
	    "suggestion label string, isRecommended boolean, actions non-empty",
	    "overrideReasons Codings with code, system and display",
	    "links: label, absolute http(s) url, type absolute|smart, appContext only on smart"};
	struct conf_findings f[10] = {{0}};
	size_t cards = 0, suggestions = 0;
	for (size_t x = 0; x < ctx->n_exchanges; x++) {
		const cJSON *list =
		    cJSON_GetObjectItemCaseSensitive(ctx->exchanges[x].response, "cards");
		size_t k = 0;
		const cJSON *card;
		cJSON_ArrayForEach(card, (cJSON_IsArray(list) ? list : NULL))
		{
			char where[240];
			snprintf(where, sizeof where, "%s cards/%zu", ctx->exchanges[x].label, k++);
			check_card(card, where, f, &suggestions);
			cards++;
		}
	}
	for (size_t k = 0; k < 10; k++) {
		if (!cards) {
			conf_report(ids[k], sev[k], CONF_SKIP, "no request produced a card");
			continue;
		}
		char pass[300];
		snprintf(pass, sizeof pass, "%s (%zu cards, %zu suggestions)", what[k], cards,
		         suggestions);
		conf_verdict(ids[k], sev[k], &f[k], pass);
	}
}
