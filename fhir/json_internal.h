/* json_internal.h — what json_limited.c shares with json_block.c; not for other modules. */
#ifndef FHIR_JSON_INTERNAL_H
#define FHIR_JSON_INTERNAL_H

#include "fhir.h"

/* Parses the JSON text of `length` bytes at text, which must be one value and whitespace, into
 * one allocation (nodes, then strings): the tree cJSON_ParseWithLengthOpts would build, with the
 * root flagged cJSON_IsReference so that cJSON_Delete(root) frees the whole block. It checks
 * what json_limited.c's scan checks (UTF-8, no raw control character in a string, depth and
 * string length under *limits) and the items of each array (max_items), so the caller walks
 * the tree no more, and answers NULL on anything the scan or cJSON would refuse,
 * and on whatever it does not read exactly as cJSON does (json_block.c): the caller then scans
 * and parses with cJSON, whose answer (and error) stands. NEW: the root (cJSON_Delete). */
cJSON *fhir__json_parse_block(const char *text, size_t length,
                              const struct fhir_json_limits *limits);

#endif
