/* workers.c -- the training thread pool (workers.h).
 *
 * One loop at a time. The caller writes the job (fn, ctx, n, parts) and then
 * a claim word that packs the job's generation, its part count and the next
 * unclaimed part; threads take parts by compare-and-swap on that word, so a
 * thread slowed down (sharing its core with a spinning OpenBLAS thread) takes
 * fewer parts and a sleeping one none at all: the caller never waits for a
 * thread to wake, only for the parts that were taken to finish. A thread
 * reads the job only after a successful claim; the job cannot change then,
 * because the caller waits for that part before it writes the next job. */
#define _POSIX_C_SOURCE 200809L
#include "workers.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "alloc.h"

/* How long a worker polls for the next loop before it sleeps: loops follow
 * one another within microseconds between two products, while a product
 * itself takes far longer and wants the core for OpenBLAS. */
#define SPIN_NANOSECONDS 20000
/* Polls between two clock reads (worker) or yields (caller). */
#define POLLS_PER_CHECK 64

/* The claim word: generation << 16 | parts << 8 | next part. */
#define CLAIM(gen, parts, next) ((gen) << 16 | (uint64_t)(parts) << 8 | (uint64_t)(next))
#define CLAIM_GEN(c) ((c) >> 16)
#define CLAIM_PARTS(c) ((int64_t)(((c) >> 8) & 0xff))
#define CLAIM_NEXT(c) ((int64_t)((c) & 0xff))

/* Provided by OpenBLAS and by BLIS respectively; NULL when not loaded. */
extern int openblas_get_num_threads(void) __attribute__((weak));
extern int64_t bli_thread_get_num_threads(void) __attribute__((weak));

typedef struct job {
  ae_range_fn fn;
  void *ctx;
  int64_t n, parts;
  double *results; /* (parts) */
} job;

struct ae_workers {
  int threads;        /* the caller included */
  pthread_t *workers; /* (threads - 1) */
  job job;
  atomic_uint_fast64_t claim;      /* CLAIM(...) of the current job */
  atomic_uint_fast64_t generation; /* of the newest job; workers wait on it */
  atomic_int done;                 /* parts of the current job finished */
  atomic_int stop;
  pthread_mutex_t lock; /* with wake: sleeping between jobs */
  pthread_cond_t wake;
};

int ae_workers_default_threads(void) {
  int64_t n = 1;
  if (openblas_get_num_threads) {
    n = openblas_get_num_threads();
  } else if (bli_thread_get_num_threads) {
    n = bli_thread_get_num_threads();
  }
  if (n < 1) return 1;
  return n > AE_MAX_PARTS ? AE_MAX_PARTS : (int)n;
}

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Takes and runs parts of job `gen` until none is left (or a newer job
 * replaced it). Part p covers items n*p/parts up to n*(p+1)/parts. */
static void run_parts(ae_workers *w, uint_fast64_t gen) {
  uint_fast64_t c = atomic_load_explicit(&w->claim, memory_order_acquire);
  for (;;) {
    if (CLAIM_GEN(c) != gen || CLAIM_NEXT(c) >= CLAIM_PARTS(c)) return;
    if (!atomic_compare_exchange_weak_explicit(&w->claim, &c, c + 1, memory_order_acquire,
                                               memory_order_acquire)) {
      continue; /* c now holds the current word */
    }
    const job *j = &w->job;
    int64_t p = CLAIM_NEXT(c);
    j->results[p] = j->fn(j->ctx, j->n * p / j->parts, j->n * (p + 1) / j->parts);
    atomic_fetch_add_explicit(&w->done, 1, memory_order_release);
    c = atomic_load_explicit(&w->claim, memory_order_acquire);
  }
}

/* The newest generation once it differs from `seen`: spins for a while,
 * then sleeps. */
static uint_fast64_t next_generation(ae_workers *w, uint_fast64_t seen) {
  int64_t deadline = now_ns() + SPIN_NANOSECONDS;
  for (int polls = 1;; polls++) {
    uint_fast64_t g = atomic_load_explicit(&w->generation, memory_order_acquire);
    if (g != seen) return g;
    if (polls % POLLS_PER_CHECK == 0 && now_ns() > deadline) break;
    cpu_relax();
  }
  pthread_mutex_lock(&w->lock);
  uint_fast64_t g;
  while ((g = atomic_load_explicit(&w->generation, memory_order_acquire)) == seen) {
    pthread_cond_wait(&w->wake, &w->lock);
  }
  pthread_mutex_unlock(&w->lock);
  return g;
}

static void *worker_main(void *arg) {
  ae_workers *w = arg;
  uint_fast64_t seen = 0;
  for (;;) {
    seen = next_generation(w, seen);
    if (atomic_load_explicit(&w->stop, memory_order_acquire)) return NULL;
    run_parts(w, seen);
  }
}

/* Publishes generation `gen` (its job, or the stop flag, set before). */
static void publish(ae_workers *w, uint_fast64_t gen) {
  pthread_mutex_lock(&w->lock);
  atomic_store_explicit(&w->generation, gen, memory_order_release);
  pthread_mutex_unlock(&w->lock);
  pthread_cond_broadcast(&w->wake);
}

ae_status ae_workers_start(int threads, ae_workers **out) {
  *out = NULL;
  if (threads <= 1) return AE_OK;
  if (threads > AE_MAX_PARTS) threads = AE_MAX_PARTS;
  ae_workers *w = ae_calloc(1, sizeof *w);
  pthread_t *workers = ae_calloc((size_t)threads - 1, sizeof *workers);
  if (!w || !workers) {
    ae_free(w);
    ae_free(workers);
    return AE_ERR_NO_MEMORY;
  }
  /* Linux's mutexes and condition variables allocate nothing; a failure
   * here is one to live without, like a thread that does not start */
  int locked = pthread_mutex_init(&w->lock, NULL) == 0;
  if (!locked || pthread_cond_init(&w->wake, NULL) != 0) {
    if (locked) pthread_mutex_destroy(&w->lock);
    ae_free(w);
    ae_free(workers);
    return AE_OK;
  }
  w->workers = workers;
  atomic_init(&w->claim, CLAIM(0, 0, 0));
  atomic_init(&w->generation, 0);
  atomic_init(&w->done, 0);
  atomic_init(&w->stop, 0);
  w->threads = 1;
  while (w->threads < threads &&
         pthread_create(&workers[w->threads - 1], NULL, worker_main, w) == 0) {
    w->threads++;
  }
  if (w->threads == 1) {
    ae_workers_stop(w);
  } else {
    *out = w;
  }
  return AE_OK;
}

void ae_workers_stop(ae_workers *w) {
  if (!w) return;
  atomic_store_explicit(&w->stop, 1, memory_order_release);
  publish(w, atomic_load_explicit(&w->generation, memory_order_relaxed) + 1);
  for (int i = 1; i < w->threads; i++) pthread_join(w->workers[i - 1], NULL);
  pthread_cond_destroy(&w->wake);
  pthread_mutex_destroy(&w->lock);
  ae_free(w->workers);
  ae_free(w);
}

static double zero_range(void *v, int64_t begin, int64_t end) {
  memset((float *)v + begin, 0, (size_t)(end - begin) * sizeof(float));
  return 0.0;
}

void ae_parallel_zero(ae_workers *w, float *v, int64_t n) {
  ae_parallel(w, n, AE_STREAM_GRAIN, zero_range, v);
}

double ae_parallel(ae_workers *w, int64_t n, int64_t grain, ae_range_fn fn, void *ctx) {
  if (n <= 0) return 0.0;
  int64_t parts = grain > 0 ? n / grain : n;
  if (parts < 1) parts = 1;
  if (parts > AE_MAX_PARTS) parts = AE_MAX_PARTS;
  double results[AE_MAX_PARTS];
  if (!w || parts == 1) {
    for (int64_t p = 0; p < parts; p++) results[p] = fn(ctx, n * p / parts, n * (p + 1) / parts);
  } else {
    job j = {fn, ctx, n, parts, results};
    uint_fast64_t gen = atomic_load_explicit(&w->generation, memory_order_relaxed) + 1;
    w->job = j;
    atomic_store_explicit(&w->done, 0, memory_order_relaxed);
    atomic_store_explicit(&w->claim, CLAIM(gen, parts, 0), memory_order_release);
    publish(w, gen);
    run_parts(w, gen);
    for (int polls = 1; atomic_load_explicit(&w->done, memory_order_acquire) < parts; polls++) {
      /* a part is still running on a thread that may need our core */
      if (polls % POLLS_PER_CHECK == 0) {
        sched_yield();
      } else {
        cpu_relax();
      }
    }
  }
  double sum = 0.0;
  for (int64_t p = 0; p < parts; p++) sum += results[p];
  return sum;
}
