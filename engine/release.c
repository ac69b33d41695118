/* release.c — gives memory back to the system after large requests. glibc keeps what a process
 * frees for reuse, and returns it only when the free space is at the top of the heap; a long
 * record's request arena (about 90 MB at 1,000 Conditions today) is freed in the middle, under
 * allocations that outlive it, so the resident size stayed at its peak for good.
 * malloc_trim(0) returns every free page (madvise), at about 150 us per MB on this machine:
 * too slow for the request thread (14 ms at 1,000 Conditions), so a thread of its own does it,
 * once large requests have stopped for ENGINE_RELEASE_DELAY_MS. Measured instead: with
 * M_MMAP_THRESHOLD at 32 KB every 64 KB arena block is mapped and unmapped, which returns
 * memory at once but doubled the CPU time of a 100-Condition request (4.0 -> 8.3 ms) and added
 * about 7% at 10; reusing arenas would keep the peak resident. */
#include <malloc.h>
#include <pthread.h>
#include <time.h>

#include "release.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int started;        /* the trimmer runs (in this process) */
static unsigned long due;  /* large requests ended, ever */
static unsigned long done; /* trims run */

static void *trimmer(void *arg)
{
	unsigned long seen = 0;

	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		struct timespec until;

		while (due == seen)
			pthread_cond_wait(&wake, &lock);
		/* quiet for the delay: later large requests move the deadline */
		do {
			seen = due;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += (long)ENGINE_RELEASE_DELAY_MS * 1000000L;
			until.tv_sec += until.tv_nsec / 1000000000L;
			until.tv_nsec %= 1000000000L;
			while (due == seen && pthread_cond_timedwait(&wake, &lock, &until) == 0)
				;
		} while (due != seen);
		pthread_mutex_unlock(&lock);
		malloc_trim(0);
		pthread_mutex_lock(&lock);
		done++;
	}
	return NULL;
}

/* fork(): the lock is held across it, so that the child's copy is not held by a thread the
 * child does not have; the child has no trimmer and starts its own on first use. */
static void before_fork(void)
{
	pthread_mutex_lock(&lock);
}

static void after_fork_parent(void)
{
	pthread_mutex_unlock(&lock);
}

static void after_fork_child(void)
{
	started = 0;
	pthread_mutex_unlock(&lock);
}

static void watch_forks(void)
{
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

void engine__release_after(size_t resources)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int inline_trim = 0;

	if (resources < ENGINE_RELEASE_RESOURCES)
		return;
	pthread_once(&once, watch_forks);
	pthread_mutex_lock(&lock);
	if (!started) {
		pthread_attr_t attr;
		pthread_t thread;

		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		started = pthread_create(&thread, &attr, trimmer, NULL) == 0;
		pthread_attr_destroy(&attr);
		inline_trim = !started;
	}
	due++;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	if (inline_trim) {
		malloc_trim(0);
		pthread_mutex_lock(&lock);
		done++;
		pthread_mutex_unlock(&lock);
	}
}

unsigned long engine__release_count(void)
{
	unsigned long n;

	pthread_mutex_lock(&lock);
	n = done;
	pthread_mutex_unlock(&lock);
	return n;
}
