/* big_alloc.c — blocks of a megabyte or more for one request's largest structures (the parsed
 * request body, the arena's large blocks, the FHIRPath memo table), mapped 2 MB-aligned in whole
 * 2 MB pages and advised MADV_HUGEPAGE, so that the kernel backs them with huge pages where
 * transparent huge pages are on in `madvise` mode. Issue 12: at 10,000 Conditions these tables
 * are tens of megabytes walked in an order the caches cannot follow, and every 4 KB page a probe
 * touches is a TLB miss (a two-level page walk in a VM); a 2 MB page serves 512 of them.
 * A block is unmapped when it is freed, so the memory goes back to the kernel at once (RSS
 * returns near idle after a large record, issue 12 item 1). The blocks alive are linked, so
 * fhir_big_owns tells one apart from malloc memory by its address alone, never reading memory
 * it does not own. It must not know what the blocks hold. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, madvise */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "fhir.h"

#define BIG_PAGE ((size_t)FHIR_BIG_PAGE)
#define BIG_HEAD ((size_t)FHIR_BIG_HEAD) /* the header before the caller's bytes: a cache line */

/* At the start of each mapping (2 MB-aligned); the caller's bytes follow at BIG_HEAD. */
struct big_head {
	struct big_head *prev, *next; /* the blocks alive */
	size_t bytes;                 /* the mapping's length, a multiple of BIG_PAGE */
};
_Static_assert(sizeof(struct big_head) <= BIG_HEAD, "the header fits its cache line");

static struct big_head *live; /* the blocks alive, last made first */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;

void *fhir_big_alloc(size_t size)
{
	size_t bytes;
	unsigned char *m, *base, *end;
	struct big_head *h;

	if (size > SIZE_MAX / 2 - 2 * BIG_PAGE)
		abort(); /* architecture.md rule 5 */
	bytes = (size + BIG_HEAD + BIG_PAGE - 1) / BIG_PAGE * BIG_PAGE;
	/* a page more than needed, then the ends cut off so what is left starts on a 2 MB
	 * boundary (a huge page can back only an aligned 2 MB range of one mapping) */
	m = mmap(NULL, bytes + BIG_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
	         0);
	if (m == MAP_FAILED)
		abort(); /* architecture.md rule 5: out of memory (or address space) */
	base = (unsigned char *)(((uintptr_t)m + BIG_PAGE - 1) & ~(uintptr_t)(BIG_PAGE - 1));
	end = m + bytes + BIG_PAGE;
	if (base > m)
		munmap(m, (size_t)(base - m));
	if (end > base + bytes)
		munmap(base + bytes, (size_t)(end - (base + bytes)));
#ifdef MADV_HUGEPAGE
	(void)madvise(base, bytes, MADV_HUGEPAGE); /* a hint: failure leaves 4 KB pages */
#endif
	h = (struct big_head *)(void *)base;
	h->bytes = bytes;
	h->prev = NULL;
	pthread_mutex_lock(&live_lock);
	h->next = live;
	if (live != NULL)
		live->prev = h;
	live = h;
	pthread_mutex_unlock(&live_lock);
	return base + BIG_HEAD;
}

int fhir__big_owns(const void *p)
{
	uintptr_t at = (uintptr_t)p;
	int found = 0;

	pthread_mutex_lock(&live_lock);
	for (const struct big_head *h = live; h != NULL && !found; h = h->next)
		found = (uintptr_t)h + BIG_HEAD == at;
	pthread_mutex_unlock(&live_lock);
	return found;
}

void fhir_big_free(void *p)
{
	struct big_head *h;

	if (p == NULL)
		return;
	h = (struct big_head *)(void *)((unsigned char *)p - BIG_HEAD);
	pthread_mutex_lock(&live_lock);
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		live = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	pthread_mutex_unlock(&live_lock);
	munmap(h, h->bytes);
}
