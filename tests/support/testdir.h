/* testdir.h — a temporary folder of a test's own, the files written into it, and its removal.
 * Test support only. */
#ifndef CDS_TEST_TESTDIR_H
#define CDS_TEST_TESTDIR_H

#include <stddef.h>

/* Creates a new folder "$TMPDIR/cds-NAME-XXXXXX" (TMPDIR unset or empty: /tmp) with mkdtemp
 * and writes its path into dir (size bytes). Returns 0, or -1 (errno set; ENAMETOOLONG when
 * the path does not fit). */
int testdir_make(char *dir, size_t size, const char *name);

/* Removes the folder and everything below it (rm -rf). 0, or -1 when that failed. */
int testdir_remove(const char *dir);

/* Writes text to path (created or truncated). 0, or -1 (errno set). */
int testdir_write(const char *path, const char *text);

/* Creates path (it must not exist; mode 0600, owner only) holding `bytes` (at most 4096) random
 * bytes from /dev/urandom, e.g. a patient key file. 0, or -1 (errno set where known). */
int testdir_random_file(const char *path, size_t bytes);

#endif
