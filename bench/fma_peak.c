/* fma_peak.c -- the machine's peak float32 arithmetic: GFLOP/s of nothing but
 * independent 256-bit fused multiply-adds (8 lanes x 2 flops each), on 1..T
 * threads at once. No matrix product, libae's or OpenBLAS's, can beat it; the
 * report compares the targets' GFLOP/s with it (bench/README.md).
 *
 *   fma_peak [--threads T] [--reps R] [--tag TEXT]
 *
 * Prints one JSON line. Needs AVX2 and FMA (checked at run time; the kernel
 * alone is compiled for them, so the program starts on any x86-64). */
#define _POSIX_C_SOURCE 200809L
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_time.h"

/* Twelve independent accumulators: more than an FMA's latency (4-5 cycles)
 * times the FMA units (2 on most cores) needs, so the units never wait. */
enum { CHAINS = 12, FLOPS_PER_FMA = 16 };
static const long ITERATIONS = 100 * 1000 * 1000; /* per thread and rep: ~1 s */

/* CHAINS x ITERATIONS fused multiply-adds; the sum is returned so that the
 * compiler cannot drop them. */
__attribute__((target("avx2,fma"))) static float fma_loop(float seed) {
  __m256 acc[CHAINS];
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f * seed);
  for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_set1_ps((float)c);
  for (long i = 0; i < ITERATIONS; i++) {
#pragma GCC unroll 12 /* whole: the accumulators stay in registers */
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  }
  __m256 sum = acc[0];
  for (int c = 1; c < CHAINS; c++) sum = _mm256_add_ps(sum, acc[c]);
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  return lanes[0];
}

typedef struct job {
  pthread_barrier_t *start;
  float seed, result;
} job;

static void *run_job(void *arg) {
  job *j = arg;
  pthread_barrier_wait(j->start);
  j->result = fma_loop(j->seed);
  return NULL;
}

/* Seconds for `threads` threads to each run fma_loop, started together. */
static double timed_rep(int threads) {
  pthread_t tid[64];
  job jobs[64];
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
  for (int t = 0; t < threads; t++) {
    jobs[t] = (job){&start, (float)(t + 1), 0.0f};
    if (pthread_create(&tid[t], NULL, run_job, &jobs[t]) != 0) {
      fprintf(stderr, "fma_peak: cannot start thread %d\n", t);
      exit(1);
    }
  }
  pthread_barrier_wait(&start);
  double t0 = now();
  float check = 0.0f;
  for (int t = 0; t < threads; t++) {
    pthread_join(tid[t], NULL);
    check += jobs[t].result;
  }
  double seconds = now() - t0;
  pthread_barrier_destroy(&start);
  if (check != check) fprintf(stderr, "fma_peak: NaN sum\n"); /* keeps `check` live */
  return seconds;
}

int main(int argc, char **argv) {
  int threads = 1, reps = 5;
  const char *tag = "";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--tag")) tag = argv[i + 1];
    else {
      fprintf(stderr, "fma_peak: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (threads < 1 || threads > 64 || reps < 1 || reps > 100) {
    fprintf(stderr, "fma_peak: --threads takes 1..64, --reps 1..100\n");
    return 2;
  }
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    fprintf(stderr, "fma_peak: this CPU lacks AVX2 or FMA; no peak measured\n");
    return 1;
  }
  double per_rep[100];
  for (int r = 0; r < reps; r++) per_rep[r] = timed_rep(threads);
  qsort(per_rep, (size_t)reps, sizeof *per_rep, cmp_double);
  double flops = (double)threads * CHAINS * (double)ITERATIONS * FLOPS_PER_FMA;
  printf("{\"impl\": \"fma_peak\", \"workload\": \"peak\", \"tag\": \"%s\", \"threads\": %d, "
         "\"reps\": %d, \"seconds_median\": %.4f, \"gflops\": %.2f, \"gflops_best\": %.2f}\n",
         tag, threads, reps, per_rep[reps / 2], flops / per_rep[reps / 2] * 1e-9,
         flops / per_rep[0] * 1e-9);
  return 0;
}
