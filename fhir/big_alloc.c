/* big_alloc.c — blocks of a megabyte or more for one request's largest structures (the parsed
 * request body, the arena's large blocks, the FHIRPath memo table), mapped 2 MB-aligned in whole
 * 2 MB pages and advised MADV_HUGEPAGE, so that the kernel backs them with huge pages where
 * transparent huge pages are on in `madvise` mode. Issue 12: at 10,000 Conditions these tables
 * are tens of megabytes walked in an order the caches cannot follow, and every 4 KB page a probe
 * touches is a TLB miss (a two-level page walk in a VM); a 2 MB page serves 512 of them.
 * A block is unmapped when it is freed, so the memory goes back to the kernel at once (RSS
 * returns near idle after a large record, issue 12 item 1). The blocks alive are listed (a
 * small malloc'd record each), so fhir_big_owns tells one apart from malloc memory by its
 * address alone, never reading memory it does not own. It must not know what the blocks hold. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, madvise */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "fhir.h"

#define BIG_PAGE ((size_t)FHIR_BIG_PAGE)

/* A block alive: its mapping (2 MB-aligned, whole 2 MB pages). Kept apart from the block, so
 * that a table of exactly 2^k bytes takes 2^k bytes of pages, not a page more for a header. */
struct big_block {
	struct big_block *next;
	void *base;
	size_t bytes;
};

static struct big_block *live; /* the blocks alive, last made first */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;

void *fhir_big_alloc(size_t size)
{
	size_t bytes;
	unsigned char *m, *base, *end;
	struct big_block *b = malloc(sizeof(*b));

	if (b == NULL || size > SIZE_MAX / 2 - 2 * BIG_PAGE)
		abort(); /* architecture.md rule 5 */
	bytes = size == 0 ? BIG_PAGE : (size + BIG_PAGE - 1) / BIG_PAGE * BIG_PAGE;
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
	b->base = base;
	b->bytes = bytes;
	pthread_mutex_lock(&live_lock);
	b->next = live;
	live = b;
	pthread_mutex_unlock(&live_lock);
	return base;
}

/* Takes p's record off the list of blocks alive (when `unlink`) and returns it; NULL when p is
 * not a block alive. */
static struct big_block *find(const void *p, int unlink)
{
	struct big_block **at, *b = NULL;

	pthread_mutex_lock(&live_lock);
	for (at = &live; *at != NULL; at = &(*at)->next)
		if ((*at)->base == p) {
			b = *at;
			if (unlink)
				*at = b->next;
			break;
		}
	pthread_mutex_unlock(&live_lock);
	return b;
}

int fhir__big_owns(const void *p)
{
	return find(p, 0) != NULL;
}

void fhir_big_free(void *p)
{
	struct big_block *b;

	if (p == NULL)
		return;
	b = find(p, 1);
	if (b == NULL)
		abort(); /* not a block alive: a caller's bug, as free() of a bad pointer */
	munmap(b->base, b->bytes);
	free(b);
}
