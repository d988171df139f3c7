/* test_threads.c -- one model, many threads (the threads rules of ae.h):
 *
 * - every read-only call (encode, decode, reconstruct, score, the code
 *   distribution, sampling, the negative ELBO, the Jacobian norm, saving) run
 *   from many threads at once on one shared trained model gives bit for bit
 *   what one thread gives, for dense, convolutional and variational models;
 * - training and inference at once are refused with AE_ERR_BUSY, seen from two
 *   real threads both ways (a reader blocked by a training thread, a writer
 *   blocked by an inference thread), never raced;
 * - readers and a writer hammering one model: every call either runs or says
 *   AE_ERR_BUSY, and the model ends intact;
 * - saves on many threads at once leave the process's umask alone.
 * Run under ThreadSanitizer by .ci/run (build-tsan), which is what proves the
 * "never raced" part; OpenBLAS is not instrumented, so that build runs with
 * OPENBLAS_NUM_THREADS=1 (docs/RELIABILITY.md). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ae.h"
#include "testutil.h"

#define ROWS 300 /* more than one inference chunk of 256 rows */
#define THREADS 6
#define ITERATIONS 3

static float *alloc_floats(int64_t n) {
  float *p = malloc((size_t)n * sizeof(float));
  assert_non_null(p);
  return p;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- every read-only call, from many threads ---- */

/* The outputs of one round of every read-only call on x (ROWS rows). */
typedef struct results {
  float *code, *decoded, *recon, *score, *jac;
  float *logvar, *zsample, *sample, *elbo; /* variational models only */
  unsigned char *saved;
  size_t saved_size;
} results;

typedef struct shared {
  const ae_model *m;
  const float *x;
  int vae;
  int64_t in, code, out;
  const results *ref; /* NULL while computing the reference */
} shared;

static void results_alloc(results *r, const shared *s) {
  memset(r, 0, sizeof *r);
  r->code = alloc_floats(ROWS * s->code);
  r->decoded = alloc_floats(ROWS * s->out);
  r->recon = alloc_floats(ROWS * s->out);
  r->score = alloc_floats(ROWS);
  r->jac = alloc_floats(ROWS);
  if (s->vae) {
    r->logvar = alloc_floats(ROWS * s->code);
    r->zsample = alloc_floats(ROWS * s->code);
    r->sample = alloc_floats(ROWS * s->out);
    r->elbo = alloc_floats(ROWS);
  }
  assert_ok(ae_save_buffer(s->m, AE_SAVE_OPTIMIZER_STATE, NULL, 0, &r->saved_size));
  r->saved = malloc(r->saved_size);
  assert_non_null(r->saved);
}

static void results_free(results *r) {
  free(r->code);
  free(r->decoded);
  free(r->recon);
  free(r->score);
  free(r->jac);
  free(r->logvar);
  free(r->zsample);
  free(r->sample);
  free(r->elbo);
  free(r->saved);
}

/* Runs every read-only call once; returns how many failed. Not a cmocka
 * assertion: this runs on worker threads. */
static int run_all(const shared *s, results *r) {
  int failures = 0;
  const ae_model *m = s->m;
  failures += ae_encode(m, s->x, ROWS, s->in, r->code, s->code) != AE_OK;
  failures += ae_decode(m, r->code, ROWS, s->code, r->decoded, s->out) != AE_OK;
  failures += ae_reconstruct(m, s->x, ROWS, s->in, r->recon, s->out) != AE_OK;
  failures += ae_score(m, s->x, ROWS, s->in, r->score) != AE_OK;
  failures += ae_jacobian_norm(m, s->x, ROWS, s->in, r->jac) != AE_OK;
  if (s->vae) {
    failures += ae_encode_distribution(m, s->x, ROWS, s->in, AE_CODE_LOG_VARIANCE, 0,
                                       r->logvar, s->code) != AE_OK;
    failures += ae_encode_distribution(m, s->x, ROWS, s->in, AE_CODE_SAMPLE, 77, r->zsample,
                                       s->code) != AE_OK;
    failures += ae_sample(m, ROWS, 78, r->sample, s->out) != AE_OK;
    failures += ae_negative_elbo(m, s->x, ROWS, s->in, 79, r->elbo) != AE_OK;
  }
  size_t size = 0;
  failures += ae_save_buffer(m, AE_SAVE_OPTIMIZER_STATE, r->saved, r->saved_size, &size) != AE_OK;
  failures += size != r->saved_size;
  return failures;
}

static int same(const float *a, const float *b, int64_t n) {
  return (a == NULL && b == NULL) || memcmp(a, b, (size_t)n * sizeof(float)) == 0;
}

static int mismatches(const shared *s, const results *r) {
  const results *f = s->ref;
  return !same(r->code, f->code, ROWS * s->code) + !same(r->decoded, f->decoded, ROWS * s->out) +
         !same(r->recon, f->recon, ROWS * s->out) + !same(r->score, f->score, ROWS) +
         !same(r->jac, f->jac, ROWS) + !same(r->logvar, f->logvar, ROWS * s->code) * s->vae +
         !same(r->zsample, f->zsample, ROWS * s->code) * s->vae +
         !same(r->sample, f->sample, ROWS * s->out) * s->vae +
         !same(r->elbo, f->elbo, ROWS) * s->vae +
         (memcmp(r->saved, f->saved, f->saved_size) != 0);
}

typedef struct reader {
  const shared *s;
  int failures, mismatches;
} reader;

static void *read_loop(void *arg) {
  reader *w = arg;
  results r;
  /* allocation outside cmocka's assertions: plain mallocs, checked */
  memset(&r, 0, sizeof r);
  const shared *s = w->s;
  r.code = malloc((size_t)(ROWS * s->code) * sizeof(float));
  r.decoded = malloc((size_t)(ROWS * s->out) * sizeof(float));
  r.recon = malloc((size_t)(ROWS * s->out) * sizeof(float));
  r.score = malloc(ROWS * sizeof(float));
  r.jac = malloc(ROWS * sizeof(float));
  if (s->vae) {
    r.logvar = malloc((size_t)(ROWS * s->code) * sizeof(float));
    r.zsample = malloc((size_t)(ROWS * s->code) * sizeof(float));
    r.sample = malloc((size_t)(ROWS * s->out) * sizeof(float));
    r.elbo = malloc(ROWS * sizeof(float));
  }
  r.saved_size = s->ref->saved_size;
  r.saved = malloc(r.saved_size);
  if (!r.code || !r.decoded || !r.recon || !r.score || !r.jac || !r.saved ||
      (s->vae && (!r.logvar || !r.zsample || !r.sample || !r.elbo))) {
    w->failures++;
  } else {
    for (int it = 0; it < ITERATIONS; it++) {
      w->failures += run_all(s, &r);
      w->mismatches += mismatches(s, &r);
    }
  }
  results_free(&r);
  return NULL;
}

/* Trains a model of `spec` on data in [0, 1], then checks that THREADS
 * threads running every read-only call at once agree with one thread. */
static void check_shared_model(const char *spec, int vae) {
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, spec, 5));
  shared s = {m, NULL, vae, ae_input_size(m), ae_code_size(m), ae_output_size(m), NULL};
  float *x = alloc_floats(ROWS * s.in);
  tu_fill_uniform(x, ROWS * s.in, 0.0f, 1.0f, 17);
  s.x = x;
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 2));
  assert_ok(ae_set_option(m, AE_OPT_LOSS, AE_LOSS_BCE));
  assert_ok(ae_train(m, x, ROWS, s.in, NULL, 0));
  tu_snapshot before = tu_take_snapshot(m);

  results ref;
  results_alloc(&ref, &s);
  assert_int_equal(run_all(&s, &ref), 0);
  s.ref = &ref;

  pthread_t threads[THREADS];
  reader readers[THREADS];
  for (int i = 0; i < THREADS; i++) {
    readers[i] = (reader){&s, 0, 0};
    assert_int_equal(pthread_create(&threads[i], NULL, read_loop, &readers[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_join(threads[i], NULL), 0);
  for (int i = 0; i < THREADS; i++) {
    if (readers[i].failures || readers[i].mismatches) {
      fprintf(stderr, "%s: thread %d: %d failures, %d mismatches\n", spec, i,
              readers[i].failures, readers[i].mismatches);
    }
    assert_int_equal(readers[i].failures, 0);
    assert_int_equal(readers[i].mismatches, 0);
  }
  tu_assert_snapshot(m, &before);
  /* free again for a writer */
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 1));
  assert_ok(ae_train(m, x, ROWS, s.in, NULL, 0));
  tu_snapshot_free(&before);
  results_free(&ref);
  free(x);
  ae_model_free(m);
}

static void test_shared_dense(void **state) {
  (void)state;
  check_shared_model("input 12; dense 16 relu; code 4 linear; mirror sigmoid", 0);
}

static void test_shared_conv(void **state) {
  (void)state;
  check_shared_model("input 1x8x8; conv 4 3 relu; maxpool 2; conv 2 3 relu stride=2; code; "
                     "deconv 4 3 relu stride=2; upsample 2; conv 1 3 sigmoid", 0);
}

static void test_shared_vae(void **state) {
  (void)state;
  check_shared_model("input 12; dense 10 tanh; gaussian 3; dense 10 relu; dense 12 sigmoid", 1);
}

static void test_shared_conv_vae(void **state) {
  (void)state;
  check_shared_model("input 1x8x8; conv 4 3 relu stride=2; gaussian 3; dense 16 relu; "
                     "reshape 1x4x4; upsample 2; conv 1 3 sigmoid", 1);
}

/* ---- training and inference at once, from two real threads ---- */

typedef struct duel {
  ae_model *m;
  const float *x;
  int64_t rows;
  atomic_int training;  /* set by the training thread's callback */
  atomic_int probed;    /* set by the main thread when it has tried everything */
  ae_status train_status;
} duel;

static int hold_training(void *user_data, int64_t epoch, int64_t step, int64_t steps,
                         double loss) {
  (void)epoch;
  (void)step;
  (void)steps;
  (void)loss;
  duel *d = user_data;
  atomic_store(&d->training, 1);
  double deadline = now() + 30;
  while (!atomic_load(&d->probed) && now() < deadline) sched_yield();
  return 1; /* stop: one step is enough */
}

static void *train_thread(void *arg) {
  duel *d = arg;
  d->train_status = ae_train(d->m, d->x, d->rows, 8, NULL, 0);
  return NULL;
}

/* A reader on another thread while ae_train runs: AE_ERR_BUSY, each call. */
static void test_busy_reader_during_training(void **state) {
  (void)state;
  const int64_t n = 64;
  float *x = alloc_floats(n * 8);
  tu_fill_uniform(x, n * 8, 0.0f, 1.0f, 3);
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, "input 8; gaussian 3; dense 8 sigmoid", 2));
  duel d = {m, x, n, 0, 0, AE_ERR_INVALID_ARGUMENT};
  assert_ok(ae_set_progress(m, hold_training, &d));
  assert_ok(ae_set_option(m, AE_OPT_PROGRESS_EVERY, 1));
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, train_thread, &d), 0);
  double deadline = now() + 30;
  while (!atomic_load(&d.training) && now() < deadline) sched_yield();
  assert_true(atomic_load(&d.training));

  float code[8 * 3] = {0}, out[8 * 8], err[8];
  size_t size;
  assert_status(ae_encode(m, x, 8, 8, code, 3), AE_ERR_BUSY);
  assert_non_null(strstr(ae_last_error(), "ae_encode"));
  assert_status(ae_decode(m, code, 8, 3, out, 8), AE_ERR_BUSY);
  assert_status(ae_reconstruct(m, x, 8, 8, out, 8), AE_ERR_BUSY);
  assert_status(ae_score(m, x, 8, 8, err), AE_ERR_BUSY);
  assert_status(ae_encode_distribution(m, x, 8, 8, AE_CODE_SAMPLE, 1, code, 3), AE_ERR_BUSY);
  assert_status(ae_sample(m, 8, 1, out, 8), AE_ERR_BUSY);
  assert_status(ae_negative_elbo(m, x, 8, 8, 1, err), AE_ERR_BUSY);
  assert_status(ae_jacobian_norm(m, x, 8, 8, err), AE_ERR_BUSY);
  assert_status(ae_save_buffer(m, 0, NULL, 0, &size), AE_ERR_BUSY);
  char path[512];
  tu_temp_path(path, sizeof path, "test_threads_busy.aem");
  remove(path);
  assert_status(ae_save(m, path, 0), AE_ERR_BUSY);
  FILE *f = fopen(path, "rb");
  assert_null(f); /* nothing written */
  assert_status(ae_set_option(m, AE_OPT_EPOCHS, 2), AE_ERR_BUSY);
  assert_status(ae_train(m, x, n, 8, NULL, 0), AE_ERR_BUSY);
  assert_status(ae_set_progress(m, NULL, NULL), AE_ERR_BUSY);
  atomic_store(&d.probed, 1);
  assert_int_equal(pthread_join(t, NULL), 0);
  assert_ok(d.train_status);
  /* all free again */
  assert_ok(ae_encode(m, x, 8, 8, code, 3));
  assert_ok(ae_set_progress(m, NULL, NULL));
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 2));
  ae_model_free(m);
  free(x);
}

typedef struct infer_loop {
  const ae_model *m;
  const float *x;
  int64_t rows, in, code;
  atomic_int started, stop;
  int calls, failures;
} infer_loop;

static void *encode_thread(void *arg) {
  infer_loop *l = arg;
  float *code = malloc((size_t)(l->rows * l->code) * sizeof(float));
  if (!code) {
    l->failures++;
    return NULL;
  }
  atomic_store(&l->started, 1);
  double deadline = now() + 60;
  while (!atomic_load(&l->stop) && now() < deadline) {
    /* the writer's attempts hold the model for nanoseconds at most, but may
     * still win a race now and then: busy is allowed, nothing else */
    ae_status st = ae_encode(l->m, l->x, l->rows, l->in, code, l->code);
    if (st != AE_OK && st != AE_ERR_BUSY) l->failures++;
    l->calls++;
  }
  free(code);
  return NULL;
}

/* A writer on another thread while inference runs: every attempt either gets
 * in between two inference calls or is refused with AE_ERR_BUSY; with
 * inference running nearly all the time, refusals are seen. The writer's
 * calls hold the model only briefly when they get in (a setter; ae_train
 * with a width it refuses after taking the guard), so the reader keeps it
 * nearly all the time. */
static void test_busy_writer_during_inference(void **state) {
  (void)state;
  const int64_t n = 600;
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, "input 1x16x16; conv 8 3 relu; conv 8 3 relu; code; "
                                "conv 1 3 sigmoid", 4));
  float *x = alloc_floats(n * 256);
  tu_fill_uniform(x, n * 256, 0.0f, 1.0f, 9);
  infer_loop l = {m, x, n, 256, ae_code_size(m), 0, 0, 0, 0};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, encode_thread, &l), 0);
  double deadline = now() + 60;
  while (!atomic_load(&l.started) && now() < deadline) sched_yield();
  int set_busy = 0, set_ok = 0, train_busy = 0, train_refused = 0, other = 0;
  while ((set_busy < 10 || train_busy < 10) && now() < deadline) {
    ae_status st = ae_set_option(m, AE_OPT_LEARNING_RATE, 0.01 + 0.001 * (set_busy % 7));
    if (st == AE_ERR_BUSY) {
      set_busy++;
      assert_non_null(strstr(ae_last_error(), "in use by inference"));
    } else if (st == AE_OK) {
      set_ok++;
    } else {
      other++;
    }
    st = ae_train(m, x, 4, 255, NULL, 0); /* a wrong width: refused once in */
    if (st == AE_ERR_BUSY) train_busy++;
    else if (st == AE_ERR_SHAPE) train_refused++;
    else other++;
    sched_yield();
  }
  atomic_store(&l.stop, 1);
  assert_int_equal(pthread_join(t, NULL), 0);
  if (set_busy < 10 || train_busy < 10) {
    fprintf(stderr, "set_option: %d busy, %d ok; ae_train: %d busy, %d refused; "
            "encode: %d calls\n", set_busy, set_ok, train_busy, train_refused, l.calls);
  }
  assert_int_equal(l.failures, 0);
  assert_int_equal(other, 0);
  assert_true(set_busy >= 10);
  assert_true(train_busy >= 10);
  /* and nothing the writer tried while refused changed the model's weights:
   * a last encode agrees with a fresh model's */
  ae_model *fresh = NULL;
  assert_ok(ae_model_create(&fresh, ae_model_spec(m), 4));
  float *a = alloc_floats(8 * ae_code_size(m)), *b = alloc_floats(8 * ae_code_size(m));
  assert_ok(ae_encode(m, x, 8, 256, a, ae_code_size(m)));
  assert_ok(ae_encode(fresh, x, 8, 256, b, ae_code_size(m)));
  assert_memory_equal(a, b, (size_t)(8 * ae_code_size(m)) * sizeof(float));
  free(a);
  free(b);
  ae_model_free(fresh);
  free(x);
  ae_model_free(m);
}

/* ---- readers and writers hammering one model ---- */

typedef struct hammer {
  ae_model *m;
  const float *x;
  int writer;
  int ok, busy, other;
} hammer;

static void *hammer_thread(void *arg) {
  hammer *h = arg;
  float code[16 * 3], recon[16 * 8], err[16];
  for (int i = 0; i < 60; i++) {
    ae_status st;
    if (h->writer) {
      st = i % 3 ? ae_train(h->m, h->x, 16, 8, NULL, 0)
                 : ae_set_option(h->m, AE_OPT_LEARNING_RATE, 1e-3 * (1 + i % 5));
    } else {
      switch (i % 4) {
      case 0: st = ae_encode(h->m, h->x, 16, 8, code, 3); break;
      case 1: st = ae_reconstruct(h->m, h->x, 16, 8, recon, 8); break;
      case 2: st = ae_score(h->m, h->x, 16, 8, err); break;
      default: st = ae_sample(h->m, 16, (uint64_t)i, recon, 8); break;
      }
    }
    if (st == AE_OK) h->ok++;
    else if (st == AE_ERR_BUSY) h->busy++;
    else h->other++;
  }
  return NULL;
}

static void test_readers_and_writers(void **state) {
  (void)state;
  float x[16 * 8];
  tu_fill_uniform(x, 16 * 8, 0.0f, 1.0f, 12);
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, "input 8; dense 6 tanh; gaussian 3; dense 8 sigmoid", 6));
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 1));
  assert_ok(ae_set_option(m, AE_OPT_BATCH_SIZE, 4));
  enum { N = 5 };
  pthread_t t[N];
  hammer h[N];
  for (int i = 0; i < N; i++) {
    h[i] = (hammer){m, x, i < 2, 0, 0, 0};
    assert_int_equal(pthread_create(&t[i], NULL, hammer_thread, &h[i]), 0);
  }
  int ok = 0;
  for (int i = 0; i < N; i++) {
    assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(h[i].other, 0);
    ok += h[i].ok;
  }
  assert_true(ok > 0);
  /* the model is whole: what it says it trained, it saved; it loads back */
  tu_snapshot s = tu_take_snapshot(m);
  ae_model *copy = NULL;
  assert_ok(ae_load_buffer(&copy, s.bytes, s.size));
  assert_int_equal(ae_epochs_trained(copy), ae_epochs_trained(m));
  tu_snapshot_free(&s);
  ae_model_free(copy);
  ae_model_free(m);
}

/* ---- saves from many threads at once leave the process alone ---- */

typedef struct saver {
  const ae_model *m;
  int index, failures;
} saver;

static void *save_loop(void *arg) {
  saver *s = arg;
  char name[64], path[512];
  snprintf(name, sizeof name, "test_threads_save_%d.aem", s->index);
  tu_temp_path(path, sizeof path, name);
  for (int i = 0; i < 25; i++) s->failures += ae_save(s->m, path, 0) != AE_OK;
  return NULL;
}

/* ae_save once read the umask by setting it (umask(0), then back): two saves
 * on two threads could interleave those calls and leave the process's umask
 * at 0 for good. Now the kernel applies the umask to the new file itself:
 * after saves on 4 threads at once the umask is what it was, and every file
 * has the mode a new file gets (0666 less the umask). */
static void test_concurrent_saves_keep_umask(void **state) {
  (void)state;
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, "input 8; code 3 linear; dense 8 sigmoid", 1));
  mode_t old = umask(027);
  enum { SAVERS = 4 };
  pthread_t t[SAVERS];
  saver s[SAVERS];
  for (int i = 0; i < SAVERS; i++) {
    s[i] = (saver){m, i, 0};
    assert_int_equal(pthread_create(&t[i], NULL, save_loop, &s[i]), 0);
  }
  for (int i = 0; i < SAVERS; i++) {
    assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(s[i].failures, 0);
  }
  mode_t now = umask(old);
  assert_int_equal(now, 027);
  for (int i = 0; i < SAVERS; i++) {
    char name[64], path[512];
    snprintf(name, sizeof name, "test_threads_save_%d.aem", i);
    tu_temp_path(path, sizeof path, name);
    struct stat info;
    assert_int_equal(stat(path, &info), 0);
    assert_int_equal(info.st_mode & 0777, 0640);
    ae_model *back = NULL;
    assert_ok(ae_load(&back, path));
    ae_model_free(back);
    remove(path);
  }
  ae_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shared_dense),
      cmocka_unit_test(test_shared_conv),
      cmocka_unit_test(test_shared_vae),
      cmocka_unit_test(test_shared_conv_vae),
      cmocka_unit_test(test_busy_reader_during_training),
      cmocka_unit_test(test_busy_writer_during_inference),
      cmocka_unit_test(test_readers_and_writers),
      cmocka_unit_test(test_concurrent_saves_keep_umask),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
