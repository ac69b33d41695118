/* bench_util.c — the helpers every benchmark shares (bench_util.h). */
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double bench_clock_us(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

double bench_now_us(void)
{
	return bench_clock_us(CLOCK_MONOTONIC);
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void bench_sort(double *samples, size_t n)
{
	qsort(samples, n, sizeof(*samples), compare);
}

char *bench_read_file(const char *path, size_t *length)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		if (f != NULL)
			fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	if (length != NULL)
		*length = (size_t)n;
	fclose(f);
	return buf;
}

void bench_print_load(const char *when)
{
	char line[128] = "unknown\n";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f != NULL) {
		if (fgets(line, sizeof(line), f) == NULL)
			snprintf(line, sizeof(line), "unknown\n");
		fclose(f);
	}
	printf("machine load %s (/proc/loadavg): %s", when, line);
	if (strchr(line, '\n') == NULL)
		printf("\n");
}
