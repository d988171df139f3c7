/* alloc.h -- the one door through which libae allocates memory.
 *
 * Every allocation goes through ae_malloc/ae_calloc so that a test can make the
 * k-th one fail (ae_alloc_fail_at) and check that every caller reports
 * AE_ERR_NO_MEMORY cleanly and leaks nothing. */
#ifndef AE_ALLOC_H
#define AE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

/* malloc of count * size bytes, NULL on overflow or failure (never for 0). */
void *ae_malloc(size_t count, size_t size);
/* The same, zero-filled. */
void *ae_calloc(size_t count, size_t size);
void ae_free(void *p);

/* Testing only: make the k-th allocation from now fail (k >= 1) on the calling
 * thread; k = 0 switches failures off. Returns how many allocations the thread
 * made since the previous call, so a test can learn how many to iterate over. */
int64_t ae_alloc_fail_at(int64_t k);

#endif
