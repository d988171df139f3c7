/* workers.h -- a few threads for libae's own loops while training.
 *
 * OpenBLAS threads the matrix products; everything between them (activations,
 * the loss, pooling, the frame copies of convolutions, the optimizer) would
 * otherwise run on the calling thread while OpenBLAS's threads wait. A pool
 * of T - 1 threads, T the BLAS thread count, lives for one ae_train call and
 * splits those loops with the caller.
 *
 * Results never depend on T: a loop over n items is cut into parts by n and
 * a grain alone (never by T), each part runs whole on one thread, and the
 * values the parts return are added in part order. Pure element-wise loops
 * are unaffected by the cut anyway; reductions (the loss, finiteness checks)
 * come out bit-identical with 1 thread or 64, and the same as without a pool.
 *
 * Waiting: a worker spins briefly for the next loop, then sleeps on a
 * condition variable, so that it does not take a core from OpenBLAS's threads
 * during the products. */
#ifndef AE_WORKERS_H
#define AE_WORKERS_H

#include <stdint.h>

#include "ae.h"

/* The most parts a loop is cut into, and so the most threads that help. */
#define AE_MAX_PARTS 64

typedef struct ae_workers ae_workers;

/* Runs items [begin, end) of a loop; returns the part's contribution to a
 * sum (0 for loops that only write). */
typedef double (*ae_range_fn)(void *ctx, int64_t begin, int64_t end);

/* The thread count libae's loops use by default: the BLAS library's (OpenBLAS
 * or BLIS, found at run time), else 1; at most AE_MAX_PARTS. */
int ae_workers_default_threads(void);

/* *out = a pool that runs loops on `threads` threads, the caller included,
 * or NULL when threads <= 1 or the system starts no thread: every loop then
 * runs on the caller (a pool that starts fewer threads than asked uses
 * those). Returns AE_ERR_NO_MEMORY (without a message) when the pool's own
 * memory cannot be allocated, else AE_OK. */
ae_status ae_workers_start(int threads, ae_workers **out);

/* Joins the threads and frees the pool. NULL is fine. */
void ae_workers_stop(ae_workers *w);

/* Cuts [0, n) into min(AE_MAX_PARTS, n / grain) parts (at least 1) of nearly
 * equal size, runs fn on every part (on the pool's threads and the caller's;
 * all on the caller when w is NULL) and returns the sum of the parts' results,
 * added in part order. Returns when every part is done. fn must not call
 * ae_parallel itself. */
double ae_parallel(ae_workers *w, int64_t n, int64_t grain, ae_range_fn fn, void *ctx);

/* Floats per part of a pass that only streams memory (zeroing, checking):
 * 128 KB. */
#define AE_STREAM_GRAIN 32768

/* v[0, n) = 0, split like any loop. */
void ae_parallel_zero(ae_workers *w, float *v, int64_t n);

#endif
