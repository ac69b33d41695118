/* json_internal.h — what json_limited.c shares with json_block.c; not for other modules. */
#ifndef FHIR_JSON_INTERNAL_H
#define FHIR_JSON_INTERNAL_H

#include "fhir.h"

/* Parses the JSON value at the start of the length bytes at text into one allocation (nodes, then
 * strings), the tree cJSON_ParseWithLengthOpts would build, with the root flagged
 * cJSON_IsReference so that cJSON_Delete(root) frees the whole block. The text must have passed
 * json_limited.c's scan (UTF-8, no raw control character in strings, depth bounded). *end is set
 * just past the value, as cJSON sets it. NULL when the text is not valid JSON or is outside what
 * this parser reads exactly as cJSON does (json_block.c): the caller then parses with cJSON.
 * NEW: the root (cJSON_Delete). */
cJSON *fhir__json_parse_block(const char *text, size_t length, const char **end);

#endif
