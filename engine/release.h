/* release.h — gives memory back to the system after large requests (engine/release.c). */
#ifndef CDS_ENGINE_RELEASE_H
#define CDS_ENGINE_RELEASE_H

#include <stddef.h>

/* A request whose record held at least this many resources is large: what it freed is handed
 * back to the system. */
#define ENGINE_RELEASE_RESOURCES 256
/* The trimmer waits this long after the last large request before it trims: a stream of large
 * requests keeps (and reuses) its memory instead of faulting it in again after every trim, and
 * the memory the caller frees after the engine returns (the parsed request) goes back with the
 * rest. */
#define ENGINE_RELEASE_DELAY_MS 1000

/* Call after a request's memory is freed, with how many resources its record held. For a large
 * request it wakes the trimmer thread (started on first use), which calls malloc_trim(0) once
 * no large request has ended for ENGINE_RELEASE_DELAY_MS; the caller never waits for it. When
 * the thread cannot be started, trims on the calling thread. Thread-safe. */
void engine__release_after(size_t resources);

/* How many trims have run (for tests). */
unsigned long engine__release_count(void);

#endif
