/* test_alloc.c -- out of memory everywhere: every operation is run with its
 * k-th allocation failing (src/alloc.h), for every k until it succeeds. Each
 * failing run must report AE_ERR_NO_MEMORY with a message, return no model
 * where it would create one, and leave an existing model (and file) exactly as
 * it was; the run that succeeds must give the same result as a run without
 * failures. Leaks are left to valgrind / ASan over this binary. Dense models
 * first, with exact allocation counts; then every other kind of model
 * (convolutional, variational, penalties, noise: the *_kinds tests). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ae.h"
#include "alloc.h"
#include "testutil.h"

/* ---- helpers ---- */

/* One operation under test, and what to check after a failed or a
 * successful run of it. */
typedef struct op {
  const char *name;
  ae_status (*run)(void *ctx);
  void (*after_failure)(void *ctx);
  void (*after_success)(void *ctx);
  void *ctx;
} op;

/* Runs the operation with allocation k failing for k = 1, 2, ... until it
 * succeeds; returns how many allocations the successful run made. */
static int64_t failed_runs; /* over the whole binary, for the closing line */

static int64_t fail_every_allocation(const op *o) {
  for (int64_t k = 1; k <= 1000; k++) {
    ae_alloc_fail_at(k);
    failed_runs++;
    ae_status st = o->run(o->ctx);
    int64_t made = ae_alloc_fail_at(0);
    if (st == AE_OK) {
      /* with allocation k armed, success means it made k - 1 of them */
      assert_int_equal(made, k - 1);
      o->after_success(o->ctx);
      return made;
    }
    if (st != AE_ERR_NO_MEMORY) {
      fprintf(stderr, "%s with allocation %lld failing: %s (%s)\n", o->name, (long long)k,
              ae_status_string(st), ae_last_error());
    }
    assert_int_equal(st, AE_ERR_NO_MEMORY);
    if (!strstr(ae_last_error(), "out of memory")) {
      fprintf(stderr, "%s: message \"%s\"\n", o->name, ae_last_error());
    }
    assert_non_null(strstr(ae_last_error(), "out of memory"));
    assert_true(made >= k); /* it reached the failing allocation */
    o->after_failure(o->ctx);
  }
  fail_msg("%s never succeeded", o->name);
  return -1;
}

static float *make_data(int64_t n, int64_t cols, uint64_t seed) {
  float *x = malloc((size_t)(n * cols) * sizeof(float));
  assert_non_null(x);
  tu_fill_uniform(x, n * cols, 0.0f, 1.0f, seed);
  return x;
}

static ae_model *create(const char *spec, uint64_t seed) {
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, spec, seed));
  return m;
}

/* Standardises the 8 inputs of a model with fixed values. */
static void set_scaling(ae_model *m) {
  float mean[8], scale[8];
  for (int j = 0; j < 8; j++) {
    mean[j] = 0.5f - 0.05f * (float)j;
    scale[j] = 0.2f + 0.1f * (float)j;
  }
  assert_ok(ae_set_input_scaling(m, mean, scale, 8));
}

/* ---- model creation ---- */

typedef struct create_ctx {
  const char *spec;
  ae_model *m;
  tu_snapshot expected;
} create_ctx;

static ae_status create_run(void *p) {
  create_ctx *c = p;
  c->m = (ae_model *)(uintptr_t)1;
  return ae_model_create(&c->m, c->spec, 99);
}
static void create_failed(void *p) { assert_null(((create_ctx *)p)->m); }
static void create_succeeded(void *p) {
  create_ctx *c = p;
  assert_non_null(c->m);
  tu_assert_snapshot(c->m, &c->expected);
  ae_model_free(c->m);
}

static void check_create(const char *spec) {
  ae_model *ref = create(spec, 99);
  create_ctx c = {spec, NULL, tu_take_snapshot(ref)};
  op o = {"ae_model_create", create_run, create_failed, create_succeeded, &c};
  int64_t allocations = fail_every_allocation(&o);
  assert_true(allocations >= 5); /* model, layers, text, graph, parameters */
  free(c.expected.bytes);
  ae_model_free(ref);
}

static void test_create(void **state) {
  (void)state;
  check_create("input 8; code 2 linear; dense 8 sigmoid");
  /* more than 8 layers: the parser grows its layer array */
  check_create("input 12; dense 11 relu; dense 10 relu; dense 9 tanh; dense 8 elu; "
               "dense 7 relu; code 3 linear; mirror sigmoid");
}

/* ---- training ---- */

typedef struct train_ctx {
  ae_model *m;
  const float *x;
  int64_t n, cols;
  tu_snapshot before, expected;
  int64_t epochs_before;
} train_ctx;

static ae_status train_run(void *p) {
  train_ctx *c = p;
  return ae_train(c->m, c->x, c->n, c->cols, NULL, 0);
}
static void train_failed(void *p) {
  train_ctx *c = p;
  assert_int_equal(ae_epochs_trained(c->m), c->epochs_before);
  tu_assert_snapshot(c->m, &c->before);
}
static void train_succeeded(void *p) {
  train_ctx *c = p;
  tu_assert_snapshot(c->m, &c->expected);
}

static int stop_at_once(void *user_data, int64_t epoch, int64_t step, int64_t steps,
                        double loss) {
  (void)user_data;
  (void)epoch;
  (void)step;
  (void)steps;
  (void)loss;
  return 1;
}

/* Trains `m` (with its options) under failing allocations; the result must
 * be bit-identical to training a copy without failures. */
static int64_t check_train(ae_model *m, const float *x, int64_t n, int64_t cols) {
  tu_snapshot before = tu_take_snapshot(m);
  ae_model *copy = NULL;
  assert_ok(ae_load_buffer(&copy, before.bytes, before.size));
  assert_ok(ae_train(copy, x, n, cols, NULL, 0));
  train_ctx c = {m, x, n, cols, before, tu_take_snapshot(copy), ae_epochs_trained(m)};
  ae_model_free(copy);
  op o = {"ae_train", train_run, train_failed, train_succeeded, &c};
  int64_t allocations = fail_every_allocation(&o);
  free(c.before.bytes);
  free(c.expected.bytes);
  return allocations;
}

static void test_train(void **state) {
  (void)state;
  const int64_t n = 40;
  float *x = make_data(n, 8, 3);
  ae_model *m = create("input 8; dense 6 tanh; code 3 linear; mirror sigmoid", 5);
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 3));
  assert_ok(ae_set_option(m, AE_OPT_BATCH_SIZE, 8));
  /* a fresh model: a new optimizer state; with a split and patience */
  assert_ok(ae_set_option(m, AE_OPT_VALIDATION_SPLIT, 0.25));
  assert_ok(ae_set_option(m, AE_OPT_PATIENCE, 2));
  int64_t first = check_train(m, x, n, 8);
  assert_true(first >= 8);
  /* a trained model going on with its optimizer state, no patience */
  assert_ok(ae_set_option(m, AE_OPT_PATIENCE, 0));
  assert_ok(ae_set_option(m, AE_OPT_VALIDATION_SPLIT, 0));
  int64_t again = check_train(m, x, n, 8);
  assert_true(again >= 5);
  assert_true(again < first);
  /* switching the optimizer replaces its state */
  assert_ok(ae_set_option(m, AE_OPT_OPTIMIZER, AE_OPTIMIZER_SGD));
  assert_int_equal(check_train(m, x, n, 8), again + 1);
  /* standardised inputs are standardised in the minibatch buffer: no more
   * allocations than without */
  set_scaling(m);
  assert_int_equal(check_train(m, x, n, 8), again);
  /* a history with room left (a stop at the first epoch's end left room for
   * all 3) is not grown: one allocation less than when it must grow */
  ae_model *s = create("input 8; dense 6 tanh; code 3 linear; mirror sigmoid", 5);
  assert_ok(ae_set_option(s, AE_OPT_EPOCHS, 3));
  assert_ok(ae_set_progress(s, stop_at_once, NULL));
  assert_ok(ae_train(s, x, n, 8, NULL, 0));
  assert_int_equal(ae_epochs_trained(s), 1);
  assert_ok(ae_set_progress(s, NULL, NULL));
  assert_ok(ae_set_option(s, AE_OPT_EPOCHS, 2));
  int64_t with_room = check_train(s, x, n, 8);
  assert_ok(ae_set_option(s, AE_OPT_EPOCHS, 1));
  assert_int_equal(check_train(s, x, n, 8), with_room + 1); /* 4 > 3: grown */
  ae_model_free(s);
  ae_model_free(m);
  free(x);
}

/* ---- saving ---- */

static ae_model *trained_model(void) {
  float *x = make_data(40, 8, 3);
  ae_model *m = create("input 8; dense 6 tanh; code 3 linear; mirror sigmoid", 5);
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 2));
  assert_ok(ae_train(m, x, 40, 8, NULL, 0));
  free(x);
  return m;
}

typedef struct save_buffer_ctx {
  ae_model *m;
  tu_snapshot expected;
  unsigned char *buf;
} save_buffer_ctx;

static ae_status save_buffer_run(void *p) {
  save_buffer_ctx *c = p;
  size_t size = 0;
  ae_status st = ae_save_buffer(c->m, AE_SAVE_OPTIMIZER_STATE, c->buf, c->expected.size, &size);
  if (st == AE_OK) assert_int_equal(size, c->expected.size);
  return st;
}
static void save_buffer_failed(void *p) { tu_assert_snapshot(((save_buffer_ctx *)p)->m, &((save_buffer_ctx *)p)->expected); }
static void save_buffer_succeeded(void *p) {
  save_buffer_ctx *c = p;
  assert_memory_equal(c->buf, c->expected.bytes, c->expected.size);
  tu_assert_snapshot(c->m, &c->expected);
}

static void test_save_buffer(void **state) {
  (void)state;
  ae_model *m = trained_model();
  save_buffer_ctx c = {m, tu_take_snapshot(m), NULL};
  c.buf = malloc(c.expected.size);
  assert_non_null(c.buf);
  op o = {"ae_save_buffer", save_buffer_run, save_buffer_failed, save_buffer_succeeded, &c};
  /* saving into the caller's buffer needs no memory at all */
  assert_int_equal(fail_every_allocation(&o), 0);
  free(c.buf);
  free(c.expected.bytes);
  ae_model_free(m);
}

static const char OLD_CONTENT[] = "an older file that must survive a failed save";

static void write_old_file(const char *path) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(OLD_CONTENT, 1, sizeof OLD_CONTENT, f), sizeof OLD_CONTENT);
  assert_int_equal(fclose(f), 0);
}

static unsigned char *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  size_t cap = 1 << 16, len = 0;
  unsigned char *buf = malloc(cap);
  assert_non_null(buf);
  size_t got;
  while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
    len += got;
    if (len == cap) {
      cap *= 2;
      buf = realloc(buf, cap);
      assert_non_null(buf);
    }
  }
  fclose(f);
  *size = len;
  return buf;
}

/* No temporary file "<name>.tmp-*" is left beside `name` in the test dir. */
static void assert_no_temporaries(const char *name) {
  char dir[512];
  tu_temp_path(dir, sizeof dir, "");
  DIR *d = opendir(dir);
  assert_non_null(d);
  char prefix[256];
  snprintf(prefix, sizeof prefix, "%s.tmp-", name);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
      fprintf(stderr, "temporary file %s left behind\n", e->d_name);
      fail();
    }
  }
  closedir(d);
}

typedef struct save_file_ctx {
  ae_model *m;
  char path[512];
  const char *name;
  tu_snapshot expected;
} save_file_ctx;

static ae_status save_file_run(void *p) {
  save_file_ctx *c = p;
  return ae_save(c->m, c->path, AE_SAVE_OPTIMIZER_STATE);
}
static void save_file_failed(void *p) {
  save_file_ctx *c = p;
  size_t size;
  unsigned char *bytes = read_file(c->path, &size);
  assert_int_equal(size, sizeof OLD_CONTENT);
  assert_memory_equal(bytes, OLD_CONTENT, size);
  free(bytes);
  assert_no_temporaries(c->name);
  tu_assert_snapshot(c->m, &c->expected);
}
static void save_file_succeeded(void *p) {
  save_file_ctx *c = p;
  size_t size;
  unsigned char *bytes = read_file(c->path, &size);
  assert_int_equal(size, c->expected.size);
  assert_memory_equal(bytes, c->expected.bytes, size);
  free(bytes);
  assert_no_temporaries(c->name);
}

static void test_save_file(void **state) {
  (void)state;
  ae_model *m = trained_model();
  save_file_ctx c;
  c.m = m;
  c.name = "test_alloc_save.aem";
  tu_temp_path(c.path, sizeof c.path, c.name);
  c.expected = tu_take_snapshot(m);
  write_old_file(c.path);
  op o = {"ae_save", save_file_run, save_file_failed, save_file_succeeded, &c};
  assert_true(fail_every_allocation(&o) >= 2); /* the data, the temporary name */
  remove(c.path);
  free(c.expected.bytes);
  ae_model_free(m);
}

/* ---- loading ---- */

typedef struct load_ctx {
  const unsigned char *bytes;
  size_t size;
  const char *path; /* NULL: from the buffer */
  ae_model *out;
} load_ctx;

static ae_status load_run(void *p) {
  load_ctx *c = p;
  c->out = (ae_model *)(uintptr_t)1;
  return c->path ? ae_load(&c->out, c->path) : ae_load_buffer(&c->out, c->bytes, c->size);
}
static void load_failed(void *p) { assert_null(((load_ctx *)p)->out); }
static void load_succeeded(void *p) {
  load_ctx *c = p;
  assert_non_null(c->out);
  tu_snapshot s = tu_take_snapshot(c->out);
  assert_int_equal(s.size, c->size);
  assert_memory_equal(s.bytes, c->bytes, s.size);
  free(s.bytes);
  ae_model_free(c->out);
}

static void test_load(void **state) {
  (void)state;
  ae_model *m = trained_model();
  tu_snapshot s = tu_take_snapshot(m);
  load_ctx c = {s.bytes, s.size, NULL, NULL};
  op o = {"ae_load_buffer", load_run, load_failed, load_succeeded, &c};
  int64_t from_buffer = fail_every_allocation(&o);
  assert_true(from_buffer >= 6); /* spec text, checks, model, ..., optimizer state */

  char path[512];
  tu_temp_path(path, sizeof path, "test_alloc_load.aem");
  assert_ok(ae_save(m, path, AE_SAVE_OPTIMIZER_STATE));
  c.path = path;
  o.name = "ae_load";
  assert_int_equal(fail_every_allocation(&o), from_buffer + 1); /* + the file's bytes */
  remove(path);

  /* a model saved without optimizer state needs one allocation less */
  size_t size = 0;
  assert_ok(ae_save_buffer(m, 0, NULL, 0, &size));
  unsigned char *plain = malloc(size);
  assert_non_null(plain);
  assert_ok(ae_save_buffer(m, 0, plain, size, &size));
  load_ctx p = {plain, size, NULL, NULL};
  op o2 = {"ae_load_buffer (no optimizer state)", load_run, load_failed, load_succeeded, &p};
  assert_int_equal(fail_every_allocation(&o2), from_buffer - 1);
  free(plain);

  /* a standardised model: SCAL's means and scales, two more */
  set_scaling(m);
  tu_snapshot scaled = tu_take_snapshot(m);
  load_ctx sc = {scaled.bytes, scaled.size, NULL, NULL};
  op o3 = {"ae_load_buffer (standardised)", load_run, load_failed, load_succeeded, &sc};
  assert_int_equal(fail_every_allocation(&o3), from_buffer + 2);
  free(scaled.bytes);
  /* an untrained model has neither LOSS nor optimizer state: two fewer */
  ae_model *fresh = create("input 8; dense 6 tanh; code 3 linear; mirror sigmoid", 5);
  tu_snapshot untrained = tu_take_snapshot(fresh);
  load_ctx u = {untrained.bytes, untrained.size, NULL, NULL};
  op o4 = {"ae_load_buffer (untrained)", load_run, load_failed, load_succeeded, &u};
  assert_int_equal(fail_every_allocation(&o4), from_buffer - 2);
  free(untrained.bytes);
  ae_model_free(fresh);
  free(s.bytes);
  ae_model_free(m);
}

/* ---- input standardisation and loss history ---- */

typedef struct scaling_ctx {
  ae_model *m;
  const float *mean, *scale; /* NULL: remove */
  tu_snapshot before, expected;
} scaling_ctx;

static ae_status scaling_run(void *p) {
  scaling_ctx *c = p;
  return ae_set_input_scaling(c->m, c->mean, c->scale, 8);
}
static void scaling_failed(void *p) {
  scaling_ctx *c = p;
  tu_assert_snapshot(c->m, &c->before);
}
static void scaling_succeeded(void *p) {
  scaling_ctx *c = p;
  tu_assert_snapshot(c->m, &c->expected);
}

/* Sets (or with mean == NULL removes) m's standardisation under failing
 * allocations; returns how many the successful run made. */
static int64_t check_scaling(ae_model *m, const float *mean, const float *scale) {
  tu_snapshot before = tu_take_snapshot(m);
  ae_model *copy = NULL;
  assert_ok(ae_load_buffer(&copy, before.bytes, before.size));
  assert_ok(ae_set_input_scaling(copy, mean, scale, 8));
  scaling_ctx c = {m, mean, scale, before, tu_take_snapshot(copy)};
  ae_model_free(copy);
  op o = {"ae_set_input_scaling", scaling_run, scaling_failed, scaling_succeeded, &c};
  int64_t allocations = fail_every_allocation(&o);
  free(c.before.bytes);
  free(c.expected.bytes);
  return allocations;
}

static void test_input_scaling(void **state) {
  (void)state;
  ae_model *m = trained_model();
  float mean[8], scale[8];
  for (int j = 0; j < 8; j++) {
    mean[j] = 0.1f * (float)j;
    scale[j] = 2.0f + (float)j;
  }
  assert_int_equal(check_scaling(m, mean, scale), 2); /* set: the two copies */
  for (int j = 0; j < 8; j++) scale[j] = 0.5f;
  assert_int_equal(check_scaling(m, mean, scale), 2); /* replace */
  assert_int_equal(check_scaling(m, NULL, NULL), 0);  /* remove */

  /* Reading the standardisation or the history allocates nothing. */
  set_scaling(m);
  float got_mean[8], got_scale[8];
  double t, v;
  ae_alloc_fail_at(1);
  assert_ok(ae_get_input_scaling(m, got_mean, got_scale, 8));
  assert_ok(ae_loss_history(m, 1, &t, &v));
  assert_ok(ae_loss_history(m, ae_epochs_trained(m), &t, &v));
  assert_int_equal(ae_alloc_fail_at(0), 0);
  ae_model_free(m);
}

/* ---- inference ---- */

/* An inference call under failing allocations: each failed run must leave
 * the model unchanged, and a run that gets through must give a clean run's
 * output. The first member of every call's context, so that the callbacks
 * and check_read_call below serve them all. */
typedef struct read_call {
  ae_model *m;
  float *out, *expected; /* (out_floats) each */
  int64_t out_floats;
  tu_snapshot model;
} read_call;

static void read_failed(void *p) {
  read_call *c = p;
  tu_assert_snapshot(c->m, &c->model);
}
static void read_succeeded(void *p) {
  read_call *c = p;
  assert_memory_equal(c->out, c->expected, (size_t)c->out_floats * sizeof(float));
  tu_assert_snapshot(c->m, &c->model);
}

/* Runs run(ctx), whose context starts with a read_call, once cleanly into
 * `expected`, then with each allocation failing in turn; returns how many
 * allocations the call makes. */
static int64_t check_read_call(const char *name, ae_status (*run)(void *), void *ctx,
                               ae_model *m, int64_t out_floats) {
  read_call *rc = ctx;
  rc->m = m;
  rc->out_floats = out_floats;
  rc->model = tu_take_snapshot(m);
  rc->out = calloc((size_t)out_floats, sizeof(float));
  rc->expected = calloc((size_t)out_floats, sizeof(float));
  assert_non_null(rc->out);
  assert_non_null(rc->expected);
  float *keep = rc->out;
  rc->out = rc->expected;
  assert_ok(run(ctx));
  rc->out = keep;
  op o = {name, run, read_failed, read_succeeded, ctx};
  int64_t allocations = fail_every_allocation(&o);
  free(rc->out);
  free(rc->expected);
  free(rc->model.bytes);
  return allocations;
}

typedef enum infer_kind { ENCODE, DECODE, RECONSTRUCT, SCORE } infer_kind;

typedef struct infer_ctx {
  read_call rc; /* first */
  infer_kind kind;
  const float *x;
  int64_t n;
} infer_ctx;

static ae_status infer_run(void *p) {
  infer_ctx *c = p;
  ae_model *m = c->rc.m;
  float *out = c->rc.out;
  switch (c->kind) {
    case ENCODE: return ae_encode(m, c->x, c->n, 8, out, 3);
    case DECODE: return ae_decode(m, c->x, c->n, 3, out, 8);
    case RECONSTRUCT: return ae_reconstruct(m, c->x, c->n, 8, out, 8);
    case SCORE: return ae_score(m, c->x, c->n, 8, out);
  }
  return AE_ERR_INVALID_ARGUMENT;
}

static void check_infer(ae_model *m, infer_kind kind, const float *x, int64_t n, int64_t out_cols,
                        int64_t allocations) {
  infer_ctx c = {.kind = kind, .x = x, .n = n};
  assert_int_equal(check_read_call("inference", infer_run, &c, m, n * out_cols), allocations);
}

static void test_inference(void **state) {
  (void)state;
  ae_model *m = trained_model();
  const int64_t n = 300; /* more than one chunk of rows */
  float *x = make_data(n, 8, 9);
  float *code = malloc((size_t)n * 3 * sizeof(float));
  assert_non_null(code);
  assert_ok(ae_encode(m, x, n, 8, code, 3));
  /* the workspace: two tables (layer outputs, pooling arg-max) and a block */
  check_infer(m, ENCODE, x, n, 3, 3);
  check_infer(m, DECODE, code, n, 8, 3);
  check_infer(m, RECONSTRUCT, x, n, 8, 3);
  check_infer(m, SCORE, x, n, 1, 3);
  assert_ok(ae_set_option(m, AE_OPT_LOSS, AE_LOSS_BCE));
  check_infer(m, SCORE, x, n, 1, 3);
  /* standardising the inputs takes a buffer for them, except in decoding */
  set_scaling(m);
  assert_ok(ae_encode(m, x, n, 8, code, 3));
  check_infer(m, ENCODE, x, n, 3, 4);
  check_infer(m, DECODE, code, n, 8, 3);
  check_infer(m, RECONSTRUCT, x, n, 8, 4);
  check_infer(m, SCORE, x, n, 1, 4);
  assert_ok(ae_set_option(m, AE_OPT_LOSS, AE_LOSS_MSE));
  check_infer(m, SCORE, x, n, 1, 4);
  free(code);
  free(x);
  ae_model_free(m);
}

/* ---- convolutional and variational models, penalties, noise ---- */

/* Specs whose code paths the dense tests above do not reach: convolutions,
 * transposed convolutions, pooling and upsampling, reshape, a gaussian code
 * layer (dense and convolutional), a deep contractive penalty (the probe and
 * tangent buffers), KL sparsity, L1, denoising noise, tied weights. Inputs are
 * 16 wide (1 x 4 x 4 images). */
static const char *const KIND_SPECS[] = {
    "input 1x4x4; conv 4 3 relu; maxpool 2; code; upsample 2; conv 1 3 sigmoid",
    "input 1x4x4; conv 2 3 relu stride=2 pad=1; code; deconv 1 3 sigmoid stride=2 pad=1 outpad=1",
    "input 16; dense 8 tanh; gaussian 3 kl_weight=0.5 warmup=2; dense 8 relu; dense 16 sigmoid",
    ("input 1x4x4; conv 2 3 elu stride=2; gaussian 2; dense 8 softplus; reshape 2x2x2; "
     "deconv 1 3 sigmoid stride=2"),
    ("input 16; noise gaussian 0.1 clip; dense 8 sigmoid kl=0.1 l1=0.01; "
     "code 3 tanh contractive=0.1; mirror sigmoid; tied"),
    ("input 16; noise salt_pepper 0.1; dense 8 relu; dense 6 relu contractive=0.1; "
     "code 3 linear; mirror sigmoid"),
    "input 1x4x4; noise mask 0.2; conv 2 3 relu contractive=0.01; code; conv 1 3 sigmoid",
};
#define N_KIND_SPECS (sizeof KIND_SPECS / sizeof KIND_SPECS[0])

static void test_create_kinds(void **state) {
  (void)state;
  for (size_t i = 0; i < N_KIND_SPECS; i++) check_create(KIND_SPECS[i]);
}

static ae_model *trained_kind(const char *spec, const float *x, int64_t n) {
  ae_model *m = create(spec, 5);
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 2));
  assert_ok(ae_set_option(m, AE_OPT_BATCH_SIZE, 8));
  assert_ok(ae_train(m, x, n, 16, NULL, 0));
  return m;
}

static void test_train_kinds(void **state) {
  (void)state;
  const int64_t n = 40;
  float *x = make_data(n, 16, 3);
  for (size_t i = 0; i < N_KIND_SPECS; i++) {
    ae_model *m = create(KIND_SPECS[i], 5);
    assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 2));
    assert_ok(ae_set_option(m, AE_OPT_BATCH_SIZE, 8));
    assert_ok(ae_set_option(m, AE_OPT_VALIDATION_SPLIT, 0.25));
    assert_ok(ae_set_option(m, AE_OPT_PATIENCE, 1));
    assert_true(check_train(m, x, n, 16) >= 5); /* fresh: optimizer state too */
    assert_ok(ae_set_option(m, AE_OPT_LOSS, AE_LOSS_BCE));
    assert_true(check_train(m, x, n, 16) >= 4); /* going on */
    ae_model_free(m);
  }
  free(x);
}

static void test_save_load_kinds(void **state) {
  (void)state;
  const int64_t n = 40;
  float *x = make_data(n, 16, 3);
  for (size_t i = 0; i < N_KIND_SPECS; i++) {
    ae_model *m = trained_kind(KIND_SPECS[i], x, n);
    tu_snapshot s = tu_take_snapshot(m);
    load_ctx c = {s.bytes, s.size, NULL, NULL};
    op o = {"ae_load_buffer (kinds)", load_run, load_failed, load_succeeded, &c};
    assert_true(fail_every_allocation(&o) >= 6);
    save_file_ctx f;
    f.m = m;
    f.name = "test_alloc_kinds.aem";
    tu_temp_path(f.path, sizeof f.path, f.name);
    f.expected = s;
    write_old_file(f.path);
    op o2 = {"ae_save (kinds)", save_file_run, save_file_failed, save_file_succeeded, &f};
    assert_true(fail_every_allocation(&o2) >= 2);
    remove(f.path);
    free(s.bytes);
    ae_model_free(m);
  }
  free(x);
}

/* Every inference call of a variational or convolutional model, by name. */
typedef enum kind_call {
  K_ENCODE, K_DECODE, K_RECONSTRUCT, K_SCORE, K_JACOBIAN, K_LOGVAR, K_ZSAMPLE, K_SAMPLE, K_ELBO,
  K_CALLS
} kind_call;

typedef struct kind_ctx {
  read_call rc; /* first */
  kind_call call;
  const float *x, *code;
  int64_t n;
} kind_ctx;

static ae_status kind_run(void *p) {
  kind_ctx *c = p;
  ae_model *m = c->rc.m;
  float *out = c->rc.out;
  int64_t k = ae_code_size(m);
  switch (c->call) {
    case K_ENCODE: return ae_encode(m, c->x, c->n, 16, out, k);
    case K_DECODE: return ae_decode(m, c->code, c->n, k, out, 16);
    case K_RECONSTRUCT: return ae_reconstruct(m, c->x, c->n, 16, out, 16);
    case K_SCORE: return ae_score(m, c->x, c->n, 16, out);
    case K_JACOBIAN: return ae_jacobian_norm(m, c->x, c->n, 16, out);
    case K_LOGVAR:
      return ae_encode_distribution(m, c->x, c->n, 16, AE_CODE_LOG_VARIANCE, 1, out, k);
    case K_ZSAMPLE:
      return ae_encode_distribution(m, c->x, c->n, 16, AE_CODE_SAMPLE, 2, out, k);
    case K_SAMPLE: return ae_sample(m, c->n, 3, out, 16);
    case K_ELBO: return ae_negative_elbo(m, c->x, c->n, 16, 4, out);
    case K_CALLS: break;
  }
  return AE_ERR_INVALID_ARGUMENT;
}

static void test_inference_kinds(void **state) {
  (void)state;
  const int64_t n = 300; /* more than one chunk of rows */
  float *x = make_data(n, 16, 9);
  for (size_t i = 0; i < N_KIND_SPECS; i++) {
    ae_model *m = trained_kind(KIND_SPECS[i], x, 40);
    float one[16];
    int vae = ae_sample(m, 1, 0, one, 16) == AE_OK; /* a gaussian code layer */
    int64_t k = ae_code_size(m);
    float *code = malloc((size_t)(n * k) * sizeof(float));
    assert_non_null(code);
    assert_ok(ae_encode(m, x, n, 16, code, k));
    for (int call = 0; call < K_CALLS; call++) {
      if (!vae && call >= K_LOGVAR) break;
      int64_t width = call == K_SCORE || call == K_JACOBIAN || call == K_ELBO ? 1
                      : call == K_ENCODE || call == K_LOGVAR || call == K_ZSAMPLE ? k
                                                                                   : 16;
      kind_ctx c = {.call = (kind_call)call, .x = x, .code = code, .n = n};
      assert_true(check_read_call("inference (kinds)", kind_run, &c, m, n * width) >= 1);
    }
    free(code);
    ae_model_free(m);
  }
  free(x);
}

/* Failing is per thread and off after ae_alloc_fail_at(0). */
static void test_switch_off(void **state) {
  (void)state;
  ae_alloc_fail_at(1);
  ae_model *m = NULL;
  assert_status(ae_model_create(&m, "input 4; code 2 linear; dense 4 linear", 1), AE_ERR_NO_MEMORY);
  assert_null(m);
  ae_alloc_fail_at(0);
  for (int i = 0; i < 3; i++) {
    assert_ok(ae_model_create(&m, "input 4; code 2 linear; dense 4 linear", 1));
    ae_model_free(m);
  }
  /* the count since the last call */
  assert_int_equal(ae_alloc_fail_at(0), 3 * 5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_switch_off),
      cmocka_unit_test(test_create),
      cmocka_unit_test(test_train),
      cmocka_unit_test(test_save_buffer),
      cmocka_unit_test(test_save_file),
      cmocka_unit_test(test_load),
      cmocka_unit_test(test_input_scaling),
      cmocka_unit_test(test_inference),
      cmocka_unit_test(test_create_kinds),
      cmocka_unit_test(test_train_kinds),
      cmocka_unit_test(test_save_load_kinds),
      cmocka_unit_test(test_inference_kinds),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  printf("test_alloc: %lld runs with the k-th allocation set to fail (k = 1, 2, ... until "
         "the operation succeeds)\n", (long long)failed_runs);
  return failed;
}
