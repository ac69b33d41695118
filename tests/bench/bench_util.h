/* bench_util.h — what every benchmark in tests/bench/ needs: clocks, sorting samples, reading a
 * request body, and noting the machine's load beside the figures (issue 12 item 7: figures are
 * only comparable within one run on a shared machine). */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stddef.h>
#include <time.h>

/* `clock` (CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, ...) in microseconds. */
double bench_clock_us(clockid_t clock);
/* Wall time (CLOCK_MONOTONIC) in microseconds. */
double bench_now_us(void);
/* Sorts n samples ascending, for percentiles. */
void bench_sort(double *samples, size_t n);
/* NEW: the whole file, NUL-terminated (free()); *length its size when length is not NULL;
 * NULL when it cannot be read. */
char *bench_read_file(const char *path, size_t *length);
/* Prints "machine load WHEN (/proc/loadavg): ..." on its own line. */
void bench_print_load(const char *when);

#endif
