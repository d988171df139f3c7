/* fma_peak.c -- the machine's peak float32 arithmetic with 256-bit vectors:
 * GFLOP/s of nothing but independent 256-bit fused multiply-adds (8 lanes x 2
 * flops each), on T threads at once. A matrix product with AVX2 kernels, as
 * OpenBLAS's and MKL's are on this kind of CPU, cannot beat it (AVX-512
 * machines can go further); the report compares the targets' GFLOP/s with it
 * (bench/README.md). The rate follows the host's clock, so run.sh measures it
 * next to the workloads it is compared with.
 *
 *   fma_peak [--threads T] [--reps R] [--tag TEXT] [--workload NAME]
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
enum { CHAINS = 12, FLOPS_PER_FMA = 16, MAX_THREADS = 256, MAX_REPS = 100 };
/* per thread and rep: about 0.5 s at 38 GFLOP/s */
static const long ITERATIONS = 100 * 1000 * 1000;

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

/* Seconds for `threads` threads to each run fma_loop, started together; the
 * clock starts before the last thread is released, so that the rate is never
 * overstated. -1 when a thread cannot start (the process then ends). */
static double timed_rep(int threads) {
  pthread_t tid[MAX_THREADS];
  job jobs[MAX_THREADS];
  pthread_barrier_t start;
  if (pthread_barrier_init(&start, NULL, (unsigned)threads + 1) != 0) return -1.0;
  for (int t = 0; t < threads; t++) {
    jobs[t] = (job){&start, (float)(t + 1), 0.0f};
    if (pthread_create(&tid[t], NULL, run_job, &jobs[t]) != 0) return -1.0;
  }
  double t0 = now();
  pthread_barrier_wait(&start);
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

/* value as an int in [lo, hi], or 0 with a message */
static int parse_count(const char *option, const char *value, int lo, int hi, int *out) {
  char *end;
  long v = strtol(value, &end, 10);
  if (*value == '\0' || *end != '\0' || v < lo || v > hi) {
    fprintf(stderr, "fma_peak: %s takes a whole number from %d to %d, not '%s'\n", option, lo,
            hi, value);
    return 0;
  }
  *out = (int)v;
  return 1;
}

/* 1 when text can go into the JSON line as it is: letters, digits, -_., */
static int plain_text(const char *option, const char *text) {
  for (const char *c = text; *c; c++) {
    if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,", *c)) {
      fprintf(stderr, "fma_peak: %s takes letters, digits and -_., only\n", option);
      return 0;
    }
  }
  return 1;
}

int main(int argc, char **argv) {
  int threads = 1, reps = 5;
  const char *tag = "", *workload = "peak";
  for (int i = 1; i < argc; i += 2) {
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    int ok = value != NULL;
    if (!ok) fprintf(stderr, "fma_peak: %s needs a value\n", argv[i]);
    else if (!strcmp(argv[i], "--threads"))
      ok = parse_count(argv[i], value, 1, MAX_THREADS, &threads);
    else if (!strcmp(argv[i], "--reps"))
      ok = parse_count(argv[i], value, 1, MAX_REPS, &reps);
    else if (!strcmp(argv[i], "--tag")) ok = plain_text(argv[i], tag = value);
    else if (!strcmp(argv[i], "--workload")) ok = plain_text(argv[i], workload = value);
    else {
      fprintf(stderr, "fma_peak: unknown option %s\n", argv[i]);
      ok = 0;
    }
    if (!ok) return 2;
  }
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    fprintf(stderr, "fma_peak: this CPU lacks AVX2 or FMA; no peak measured\n");
    return 1;
  }
  double per_rep[MAX_REPS];
  for (int r = 0; r < reps; r++) {
    if ((per_rep[r] = timed_rep(threads)) < 0) {
      fprintf(stderr, "fma_peak: cannot start %d threads\n", threads);
      return 1;
    }
  }
  qsort(per_rep, (size_t)reps, sizeof *per_rep, cmp_double);
  double flops = (double)threads * CHAINS * (double)ITERATIONS * FLOPS_PER_FMA;
  printf("{\"impl\": \"fma_peak\", \"workload\": \"%s\", \"tag\": \"%s\", \"threads\": %d, "
         "\"reps\": %d, \"seconds_median\": %.4f, \"gflops\": %.2f, \"gflops_best\": %.2f}\n",
         workload, tag, threads, reps, per_rep[reps / 2], flops / per_rep[reps / 2] * 1e-9,
         flops / per_rep[0] * 1e-9);
  return 0;
}
