/* bench_time.h -- the clock and the sort order the bench drivers share
 * (ae_bench.c, sgemm_ceiling.c, fma_peak.c: each one file, built by run.sh).
 * Needs _POSIX_C_SOURCE >= 199309L before the first include. */
#ifndef BENCH_TIME_H
#define BENCH_TIME_H

#include <time.h>

/* Seconds on the monotonic clock. */
static inline double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* qsort order of doubles, ascending. */
static inline int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

#endif
