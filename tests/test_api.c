/* test_api.c -- the behaviour of the public API as include/ae.h documents it:
 * versions and status strings, options, argument checks (each failure with its
 * status, a message naming the problem and the model left unchanged),
 * training, the progress callback, training figures, early stopping,
 * determinism, divergence, and use from several threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ae.h"
#include "model.h" /* to read every parameter after a divergence */
#include "rng.h"   /* to find the validation rows the library held out */
#include "testutil.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static float *alloc_floats(int64_t n) {
  float *v = malloc((size_t)n * sizeof(float));
  assert_non_null(v);
  return v;
}

/* Rows of width `cols` lying near a `rank`-dimensional subspace, values in
 * about [0.25, 0.75]: learnable by a model with a code of `rank` units. */
static float *low_rank_data(int64_t n, int64_t cols, int64_t rank, uint64_t seed) {
  float *z = alloc_floats(n * rank), *a = alloc_floats(rank * cols), *x = alloc_floats(n * cols);
  tu_fill_uniform(z, n * rank, -1.0f, 1.0f, seed);
  tu_fill_uniform(a, rank * cols, -1.0f, 1.0f, seed + 1);
  for (int64_t i = 0; i < n; i++) {
    for (int64_t j = 0; j < cols; j++) {
      float s = 0.0f;
      for (int64_t k = 0; k < rank; k++) s += z[i * rank + k] * a[k * cols + j];
      x[i * cols + j] = 0.5f + 0.25f * s / (float)rank;
    }
  }
  free(z);
  free(a);
  return x;
}


static double get(const ae_model *m, ae_option option) {
  double v = -12345.0;
  assert_ok(ae_get_option(m, option, &v));
  return v;
}


/* Runs `expr` on model `m`, which must fail with `status` and a message that
 * contains `needle`, and leave the model exactly as it was. */
#define EXPECT_FAIL(m, expr, status, needle)                                       \
  do {                                                                             \
    tu_snapshot before_ = tu_take_snapshot(m);                                     \
    assert_status(expr, status);                                                   \
    if (!strstr(ae_last_error(), (needle))) {                                      \
      fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, \
              ae_last_error(), (needle));                                          \
    }                                                                              \
    assert_non_null(strstr(ae_last_error(), (needle)));                            \
    tu_assert_snapshot(m, &before_);                                             \
    free(before_.bytes);                                                           \
  } while (0)

/* The same for calls that involve no model. */
#define EXPECT_FAIL_NO_MODEL(expr, status, needle)                                 \
  do {                                                                             \
    assert_status(expr, status);                                                   \
    if (!strstr(ae_last_error(), (needle))) {                                      \
      fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, \
              ae_last_error(), (needle));                                          \
    }                                                                              \
    assert_non_null(strstr(ae_last_error(), (needle)));                            \
  } while (0)

#define SPEC8 "input 8; dense 6 tanh; code 3 linear; mirror linear"
#define N8 32

/* A model of SPEC8 trained for two epochs, so that it has optimizer state. */
static ae_model *trained_model8(const float *x) {
  ae_model *m = tu_create(SPEC8, 42);
  tu_set(m, AE_OPT_EPOCHS, 2);
  tu_set(m, AE_OPT_BATCH_SIZE, 8);
  assert_ok(ae_train(m, x, N8, 8, NULL, 0));
  assert_int_equal(ae_epochs_trained(m), 2);
  return m;
}

/* Mean squared error of the model's output against t, in double. */
static double output_mse(const ae_model *m, const float *x, int64_t n, int64_t in,
                         const float *t, int64_t out) {
  float *y = alloc_floats(n * out);
  assert_ok(ae_reconstruct(m, x, n, in, y, out));
  double sum = 0.0;
  for (int64_t i = 0; i < n * out; i++) sum += ((double)y[i] - t[i]) * ((double)y[i] - t[i]);
  free(y);
  return sum / (double)(n * out);
}

static ae_model *clone(const ae_model *m) {
  tu_snapshot s = tu_take_snapshot(m);
  ae_model *c = NULL;
  assert_ok(ae_load_buffer(&c, s.bytes, s.size));
  free(s.bytes);
  return c;
}

/* ------------------------------------------------------------------------ */
/* Versions and status codes                                                */
/* ------------------------------------------------------------------------ */

static void test_version(void **state) {
  (void)state;
  assert_int_equal(ae_version(), AE_VERSION_NUMBER);
  assert_int_equal(ae_version(),
                   AE_VERSION_MAJOR * 10000 + AE_VERSION_MINOR * 100 + AE_VERSION_PATCH);
  char expected[32];
  snprintf(expected, sizeof expected, "%d.%d.%d", AE_VERSION_MAJOR, AE_VERSION_MINOR,
           AE_VERSION_PATCH);
  assert_non_null(ae_version_string());
  assert_string_equal(ae_version_string(), expected);
}

static void test_status_strings(void **state) {
  (void)state;
  const ae_status all[] = {AE_OK, AE_ERR_NULL_ARGUMENT, AE_ERR_INVALID_ARGUMENT, AE_ERR_SHAPE,
                           AE_ERR_NONFINITE_INPUT, AE_ERR_NO_MEMORY, AE_ERR_SPEC, AE_ERR_IO,
                           AE_ERR_FORMAT, AE_ERR_CHECKSUM, AE_ERR_VERSION, AE_ERR_DIVERGED,
                           AE_ERR_BUSY, AE_ERR_BUFFER_TOO_SMALL};
  const char *names[] = {"AE_OK", "AE_ERR_NULL_ARGUMENT", "AE_ERR_INVALID_ARGUMENT",
                         "AE_ERR_SHAPE", "AE_ERR_NONFINITE_INPUT", "AE_ERR_NO_MEMORY",
                         "AE_ERR_SPEC", "AE_ERR_IO", "AE_ERR_FORMAT", "AE_ERR_CHECKSUM",
                         "AE_ERR_VERSION", "AE_ERR_DIVERGED", "AE_ERR_BUSY",
                         "AE_ERR_BUFFER_TOO_SMALL"};
  const size_t count = sizeof all / sizeof all[0];
  for (size_t i = 0; i < count; i++) {
    assert_int_equal(all[i], (int)i); /* values are explicit and never renumbered */
    const char *s = ae_status_string(all[i]);
    assert_non_null(s);
    assert_true(strlen(s) > 0);
    assert_string_not_equal(s, "unknown status");
    /* the string starts with the code's own name, followed by ':' */
    assert_int_equal(strncmp(s, names[i], strlen(names[i])), 0);
    assert_int_equal(s[strlen(names[i])], ':');
    for (size_t j = 0; j < i; j++) assert_string_not_equal(s, ae_status_string(all[j]));
  }
  assert_string_equal(ae_status_string((ae_status)14), "unknown status");
  assert_string_equal(ae_status_string((ae_status)-1), "unknown status");
  assert_string_equal(ae_status_string((ae_status)1000), "unknown status");
  /* no call failed yet on this fresh thread state after a success */
  ae_model *m = tu_create(SPEC8, 1);
  assert_string_equal(ae_last_error(), "");
  ae_model_free(m);
}

/* ------------------------------------------------------------------------ */
/* Options                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct option_doc {
  ae_option id;
  const char *name;
  double min, max, def;
  int min_excl, max_excl, integer;
} option_doc;

/* The defaults and ranges as ae.h documents them. */
static const option_doc OPTIONS[] = {
    {AE_OPT_EPOCHS, "AE_OPT_EPOCHS", 1, 1e6, 10, 0, 0, 1},
    {AE_OPT_BATCH_SIZE, "AE_OPT_BATCH_SIZE", 1, 1048576, 64, 0, 0, 1},
    {AE_OPT_SHUFFLE, "AE_OPT_SHUFFLE", 0, 1, 1, 0, 0, 1},
    {AE_OPT_VALIDATION_SPLIT, "AE_OPT_VALIDATION_SPLIT", 0, 0.9, 0, 0, 0, 0},
    {AE_OPT_PATIENCE, "AE_OPT_PATIENCE", 0, 1e6, 0, 0, 0, 1},
    {AE_OPT_PROGRESS_EVERY, "AE_OPT_PROGRESS_EVERY", 0, 1e9, 0, 0, 0, 1},
    {AE_OPT_OPTIMIZER, "AE_OPT_OPTIMIZER", 0, 1, AE_OPTIMIZER_ADAM, 0, 0, 1},
    {AE_OPT_LEARNING_RATE, "AE_OPT_LEARNING_RATE", 0, 10, 1e-3, 1, 0, 0},
    {AE_OPT_MOMENTUM, "AE_OPT_MOMENTUM", 0, 1, 0.9, 0, 1, 0},
    {AE_OPT_ADAM_BETA1, "AE_OPT_ADAM_BETA1", 0, 1, 0.9, 0, 1, 0},
    {AE_OPT_ADAM_BETA2, "AE_OPT_ADAM_BETA2", 0, 1, 0.999, 0, 1, 0},
    {AE_OPT_ADAM_EPSILON, "AE_OPT_ADAM_EPSILON", 0, 1, 1e-8, 1, 0, 0},
    {AE_OPT_LOSS, "AE_OPT_LOSS", 0, 1, AE_LOSS_MSE, 0, 0, 1},
    {AE_OPT_LOSS_REDUCTION, "AE_OPT_LOSS_REDUCTION", 0, 1, AE_REDUCTION_MEAN, 0, 0, 1},
    {AE_OPT_L2, "AE_OPT_L2", 0, 1e3, 0, 0, 0, 0},
};
#define N_OPTIONS (sizeof OPTIONS / sizeof OPTIONS[0])

static void test_option_defaults_and_bounds(void **state) {
  (void)state;
  ae_model *m = tu_create(SPEC8, 3);
  for (size_t i = 0; i < N_OPTIONS; i++) {
    const option_doc *o = &OPTIONS[i];
    double lo = NAN, hi = NAN, def = NAN;
    assert_ok(ae_option_bounds(o->id, &lo, &hi, &def));
    assert_true(lo == o->min);
    assert_true(hi == o->max);
    assert_true(def == o->def);
    assert_true(get(m, o->id) == def);
    /* any out pointer may be NULL */
    assert_ok(ae_option_bounds(o->id, NULL, NULL, NULL));
    double only_max = NAN;
    assert_ok(ae_option_bounds(o->id, NULL, &only_max, NULL));
    assert_true(only_max == o->max);
  }
  ae_model_free(m);
}

/* Setting `value` must fail, name the option, and change nothing. */
static void expect_rejected(ae_model *m, const option_doc *o, double value, const char *needle) {
  double before = get(m, o->id);
  tu_snapshot snap = tu_take_snapshot(m);
  ae_status st = ae_set_option(m, o->id, value);
  if (st != AE_ERR_INVALID_ARGUMENT) {
    fprintf(stderr, "%s = %g was accepted (%s)\n", o->name, value, ae_status_string(st));
  }
  assert_int_equal(st, AE_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(ae_last_error(), o->name));
  assert_non_null(strstr(ae_last_error(), needle));
  double after = get(m, o->id);
  assert_memory_equal(&before, &after, sizeof before);
  tu_assert_snapshot(m, &snap);
  free(snap.bytes);
}

static void expect_accepted(ae_model *m, const option_doc *o, double value) {
  ae_status st = ae_set_option(m, o->id, value);
  if (st != AE_OK) fprintf(stderr, "%s = %.17g rejected: %s\n", o->name, value, ae_last_error());
  assert_int_equal(st, AE_OK);
  assert_true(get(m, o->id) == value);
}

static void test_option_ranges(void **state) {
  (void)state;
  ae_model *m = tu_create(SPEC8, 3);
  for (size_t i = 0; i < N_OPTIONS; i++) {
    const option_doc *o = &OPTIONS[i];
    /* the ends of the range */
    if (o->min_excl) {
      expect_rejected(m, o, o->min, "outside (");
      expect_accepted(m, o, nextafter(o->min, INFINITY));
    } else {
      expect_accepted(m, o, o->min);
    }
    if (o->max_excl) {
      expect_rejected(m, o, o->max, ")");
      expect_accepted(m, o, nextafter(o->max, -INFINITY));
    } else {
      expect_accepted(m, o, o->max);
    }
    expect_accepted(m, o, o->def);
    /* just outside the range, far outside, and not numbers */
    expect_rejected(m, o, o->integer ? o->min - 1 : nextafter(o->min, -INFINITY), "is outside");
    expect_rejected(m, o, o->integer ? o->max + 1 : nextafter(o->max, INFINITY), "is outside");
    expect_rejected(m, o, -1e300, "is outside");
    expect_rejected(m, o, NAN, "nan");
    expect_rejected(m, o, INFINITY, "is outside");
    expect_rejected(m, o, -INFINITY, "is outside");
    if (o->integer) {
      expect_rejected(m, o, o->min + 0.5, "must be a whole number");
      expect_rejected(m, o, nextafter(o->max, -INFINITY), "must be a whole number");
    }
  }
  /* The message gives the range. */
  expect_rejected(m, &OPTIONS[7], 0.0, "AE_OPT_LEARNING_RATE = 0 is outside (0, 10]");
  expect_rejected(m, &OPTIONS[8], 1.0, "AE_OPT_MOMENTUM = 1 is outside [0, 1)");
  expect_rejected(m, &OPTIONS[0], 0.0, "AE_OPT_EPOCHS = 0 is outside [1, 1e+06]");
  /* learning rate (0, 10]: 0 rejected, 10 accepted */
  assert_status(ae_set_option(m, AE_OPT_LEARNING_RATE, 0.0), AE_ERR_INVALID_ARGUMENT);
  assert_ok(ae_set_option(m, AE_OPT_LEARNING_RATE, 10.0));
  assert_status(ae_set_option(m, AE_OPT_LEARNING_RATE, -0.0), AE_ERR_INVALID_ARGUMENT);
  assert_status(ae_set_option(m, AE_OPT_LEARNING_RATE, 10.000001), AE_ERR_INVALID_ARGUMENT);
  assert_true(get(m, AE_OPT_LEARNING_RATE) == 10.0);
  ae_model_free(m);
}

static void test_option_unknown(void **state) {
  (void)state;
  ae_model *m = tu_create(SPEC8, 3);
  const int unknown[] = {0, 99, 106, 199, 206, 302, 401, -1, 1000000};
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    ae_option id = (ae_option)unknown[i];
    char needle[64];
    snprintf(needle, sizeof needle, "unknown option %d", unknown[i]);
    EXPECT_FAIL(m, ae_set_option(m, id, 1.0), AE_ERR_INVALID_ARGUMENT, needle);
    double v = 7.0;
    EXPECT_FAIL(m, ae_get_option(m, id, &v), AE_ERR_INVALID_ARGUMENT, needle);
    assert_true(v == 7.0);
    double lo = 5, hi = 6, def = 7;
    EXPECT_FAIL_NO_MODEL(ae_option_bounds(id, &lo, &hi, &def), AE_ERR_INVALID_ARGUMENT, needle);
    assert_true(lo == 5 && hi == 6 && def == 7);
  }
  EXPECT_FAIL_NO_MODEL(ae_set_option(NULL, AE_OPT_EPOCHS, 2), AE_ERR_NULL_ARGUMENT, "model is NULL");
  double v;
  EXPECT_FAIL_NO_MODEL(ae_get_option(NULL, AE_OPT_EPOCHS, &v), AE_ERR_NULL_ARGUMENT, "model is NULL");
  EXPECT_FAIL(m, ae_get_option(m, AE_OPT_EPOCHS, NULL), AE_ERR_NULL_ARGUMENT, "value is NULL");
  ae_model_free(m);
}

static void test_options_saved_with_model(void **state) {
  (void)state;
  ae_model *m = tu_create(SPEC8, 3);
  tu_set(m, AE_OPT_EPOCHS, 17);
  tu_set(m, AE_OPT_LEARNING_RATE, 0.0123);
  tu_set(m, AE_OPT_LOSS, AE_LOSS_BCE);
  tu_set(m, AE_OPT_L2, 0.5);
  ae_model *c = clone(m);
  for (size_t i = 0; i < N_OPTIONS; i++) {
    assert_true(get(c, OPTIONS[i].id) == get(m, OPTIONS[i].id));
  }
  assert_true(get(c, AE_OPT_LEARNING_RATE) == 0.0123);
  ae_model_free(c);
  ae_model_free(m);
}

/* ------------------------------------------------------------------------ */
/* Bad input                                                                */
/* ------------------------------------------------------------------------ */

static void test_null_pointers(void **state) {
  (void)state;
  float *x = low_rank_data(N8, 8, 3, 1);
  float code[N8 * 3], out[N8 * 8], err[N8];
  ae_model *m = trained_model8(x);
  assert_ok(ae_encode(m, x, N8, 8, code, 3));

  EXPECT_FAIL_NO_MODEL(ae_train(NULL, x, N8, 8, NULL, 0), AE_ERR_NULL_ARGUMENT, "ae_train: model is NULL");
  EXPECT_FAIL(m, ae_train(m, NULL, N8, 8, NULL, 0), AE_ERR_NULL_ARGUMENT, "ae_train: x is NULL");

  EXPECT_FAIL_NO_MODEL(ae_encode(NULL, x, N8, 8, code, 3), AE_ERR_NULL_ARGUMENT, "ae_encode: model is NULL");
  EXPECT_FAIL(m, ae_encode(m, NULL, N8, 8, code, 3), AE_ERR_NULL_ARGUMENT, "ae_encode: x is NULL");
  EXPECT_FAIL(m, ae_encode(m, x, N8, 8, NULL, 3), AE_ERR_NULL_ARGUMENT, "ae_encode: code is NULL");

  EXPECT_FAIL_NO_MODEL(ae_decode(NULL, code, N8, 3, out, 8), AE_ERR_NULL_ARGUMENT, "ae_decode: model is NULL");
  EXPECT_FAIL(m, ae_decode(m, NULL, N8, 3, out, 8), AE_ERR_NULL_ARGUMENT, "ae_decode: code is NULL");
  EXPECT_FAIL(m, ae_decode(m, code, N8, 3, NULL, 8), AE_ERR_NULL_ARGUMENT, "ae_decode: out is NULL");

  EXPECT_FAIL_NO_MODEL(ae_reconstruct(NULL, x, N8, 8, out, 8), AE_ERR_NULL_ARGUMENT, "ae_reconstruct: model is NULL");
  EXPECT_FAIL(m, ae_reconstruct(m, NULL, N8, 8, out, 8), AE_ERR_NULL_ARGUMENT, "ae_reconstruct: x is NULL");
  EXPECT_FAIL(m, ae_reconstruct(m, x, N8, 8, NULL, 8), AE_ERR_NULL_ARGUMENT, "ae_reconstruct: out is NULL");

  EXPECT_FAIL_NO_MODEL(ae_score(NULL, x, N8, 8, err), AE_ERR_NULL_ARGUMENT, "ae_score: model is NULL");
  EXPECT_FAIL(m, ae_score(m, NULL, N8, 8, err), AE_ERR_NULL_ARGUMENT, "ae_score: x is NULL");
  EXPECT_FAIL(m, ae_score(m, x, N8, 8, NULL), AE_ERR_NULL_ARGUMENT, "ae_score: errors is NULL");

  char path[512];
  tu_temp_path(path, sizeof path, "test_api_null.aem");
  remove(path);
  EXPECT_FAIL_NO_MODEL(ae_save(NULL, path, 0), AE_ERR_NULL_ARGUMENT, "ae_save: model is NULL");
  assert_null(fopen(path, "rb")); /* nothing written */
  EXPECT_FAIL(m, ae_save(m, NULL, 0), AE_ERR_NULL_ARGUMENT, "ae_save: path is NULL");
  size_t size = 0;
  EXPECT_FAIL_NO_MODEL(ae_save_buffer(NULL, 0, NULL, 0, &size), AE_ERR_NULL_ARGUMENT, "ae_save_buffer: model is NULL");
  EXPECT_FAIL(m, ae_save_buffer(m, 0, NULL, 0, NULL), AE_ERR_NULL_ARGUMENT, "ae_save_buffer: size is NULL");

  ae_model *loaded = (ae_model *)(uintptr_t)1;
  EXPECT_FAIL_NO_MODEL(ae_load(NULL, path), AE_ERR_NULL_ARGUMENT, "ae_load: out is NULL");
  EXPECT_FAIL_NO_MODEL(ae_load(&loaded, NULL), AE_ERR_NULL_ARGUMENT, "ae_load: path is NULL");
  assert_null(loaded);
  loaded = (ae_model *)(uintptr_t)1;
  EXPECT_FAIL_NO_MODEL(ae_load_buffer(NULL, x, 100), AE_ERR_NULL_ARGUMENT, "ae_load_buffer: out is NULL");
  EXPECT_FAIL_NO_MODEL(ae_load_buffer(&loaded, NULL, 100), AE_ERR_NULL_ARGUMENT, "ae_load_buffer: buffer is NULL");
  assert_null(loaded);

  double v;
  EXPECT_FAIL_NO_MODEL(ae_train_stat(NULL, AE_STAT_LOSS, &v), AE_ERR_NULL_ARGUMENT, "model is NULL");
  EXPECT_FAIL(m, ae_train_stat(m, AE_STAT_LOSS, NULL), AE_ERR_NULL_ARGUMENT, "value is NULL");
  EXPECT_FAIL(m, ae_train_stat(m, (ae_stat)99, &v), AE_ERR_INVALID_ARGUMENT, "unknown stat 99");
  EXPECT_FAIL_NO_MODEL(ae_set_progress(NULL, NULL, NULL), AE_ERR_NULL_ARGUMENT, "model is NULL");

  ae_model_free(m);
  free(x);
}

static void test_save_arguments(void **state) {
  (void)state;
  float *x = low_rank_data(N8, 8, 3, 1);
  ae_model *m = trained_model8(x);
  char path[512];
  tu_temp_path(path, sizeof path, "test_api_flags.aem");
  remove(path);
  EXPECT_FAIL(m, ae_save(m, path, 2u), AE_ERR_INVALID_ARGUMENT, "unknown flags 0x2");
  assert_null(fopen(path, "rb"));
  size_t size = 0;
  EXPECT_FAIL(m, ae_save_buffer(m, 0x80000000u, NULL, 0, &size), AE_ERR_INVALID_ARGUMENT,
              "unknown flags 0x80000000");
  /* A buffer one byte short: the needed size is still reported. */
  size_t needed = 0;
  assert_ok(ae_save_buffer(m, AE_SAVE_OPTIMIZER_STATE, NULL, 0, &needed));
  assert_true(needed > 0);
  unsigned char *buf = malloc(needed);
  assert_non_null(buf);
  memset(buf, 0xA5, needed);
  size = 0;
  EXPECT_FAIL(m, ae_save_buffer(m, AE_SAVE_OPTIMIZER_STATE, buf, needed - 1, &size),
              AE_ERR_BUFFER_TOO_SMALL, "needs");
  assert_int_equal(size, needed);
  /* The optimizer state makes the data larger. */
  size_t without = 0;
  assert_ok(ae_save_buffer(m, 0, NULL, 0, &without));
  assert_true(without < needed);
  /* A directory that does not exist: AE_ERR_IO naming the path. */
  EXPECT_FAIL(m, ae_save(m, "/nonexistent-dir-for-libae-tests/m.aem", 0), AE_ERR_IO,
              "/nonexistent-dir-for-libae-tests/m.aem");
  ae_model *loaded = (ae_model *)(uintptr_t)1;
  EXPECT_FAIL_NO_MODEL(ae_load(&loaded, "/nonexistent-dir-for-libae-tests/m.aem"), AE_ERR_IO,
                       "/nonexistent-dir-for-libae-tests/m.aem");
  assert_null(loaded);
  free(buf);
  ae_model_free(m);
  free(x);
}

static void test_bad_row_counts(void **state) {
  (void)state;
  float *x = low_rank_data(N8, 8, 3, 1);
  float code[N8 * 3], out[N8 * 8], err[N8];
  memset(code, 0, sizeof code);
  ae_model *m = trained_model8(x);
  const int64_t bad[] = {0, -1, INT64_MIN};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t n = bad[i];
    char needle[64];
    snprintf(needle, sizeof needle, "n = %lld, need at least 1 row", (long long)n);
    EXPECT_FAIL(m, ae_train(m, x, n, 8, NULL, 0), AE_ERR_SHAPE, needle);
    EXPECT_FAIL(m, ae_train(m, x, n, 8, x, 8), AE_ERR_SHAPE, needle);
    EXPECT_FAIL(m, ae_encode(m, x, n, 8, code, 3), AE_ERR_SHAPE, needle);
    EXPECT_FAIL(m, ae_decode(m, code, n, 3, out, 8), AE_ERR_SHAPE, needle);
    EXPECT_FAIL(m, ae_reconstruct(m, x, n, 8, out, 8), AE_ERR_SHAPE, needle);
    EXPECT_FAIL(m, ae_score(m, x, n, 8, err), AE_ERR_SHAPE, needle);
  }
  ae_model_free(m);
  free(x);
}

static void test_bad_columns(void **state) {
  (void)state;
  float *x = low_rank_data(N8, 9, 3, 1); /* room for 9 columns */
  float code[N8 * 4], out[N8 * 9], err[N8];
  memset(code, 0, sizeof code);
  ae_model *m = trained_model8(x);
  EXPECT_FAIL(m, ae_train(m, x, N8, 7, NULL, 0), AE_ERR_SHAPE, "ae_train: x has 7 columns, model expects 8");
  EXPECT_FAIL(m, ae_train(m, x, N8, 9, NULL, 0), AE_ERR_SHAPE, "x has 9 columns, model expects 8");
  EXPECT_FAIL(m, ae_train(m, x, N8, 0, NULL, 0), AE_ERR_SHAPE, "x has 0 columns");
  EXPECT_FAIL(m, ae_train(m, x, N8, -8, NULL, 0), AE_ERR_SHAPE, "x has -8 columns");
  EXPECT_FAIL(m, ae_train(m, x, N8, 8, x, 7), AE_ERR_SHAPE, "ae_train: target has 7 columns, model expects 8");
  EXPECT_FAIL(m, ae_encode(m, x, N8, 7, code, 3), AE_ERR_SHAPE, "ae_encode: x has 7 columns, model expects 8");
  EXPECT_FAIL(m, ae_encode(m, x, N8, 8, code, 4), AE_ERR_SHAPE, "ae_encode: code has 4 columns, model expects 3");
  EXPECT_FAIL(m, ae_decode(m, code, N8, 2, out, 8), AE_ERR_SHAPE, "ae_decode: code has 2 columns, model expects 3");
  EXPECT_FAIL(m, ae_decode(m, code, N8, 3, out, 9), AE_ERR_SHAPE, "ae_decode: out has 9 columns, model expects 8");
  EXPECT_FAIL(m, ae_reconstruct(m, x, N8, 9, out, 8), AE_ERR_SHAPE, "ae_reconstruct: x has 9 columns, model expects 8");
  EXPECT_FAIL(m, ae_reconstruct(m, x, N8, 8, out, 7), AE_ERR_SHAPE, "ae_reconstruct: out has 7 columns, model expects 8");
  EXPECT_FAIL(m, ae_score(m, x, N8, 7, err), AE_ERR_SHAPE, "ae_score: x has 7 columns, model expects 8");
  ae_model_free(m);

  /* the example of ae.h */
  ae_model *big = tu_create("input 784; code 2 linear; dense 784 sigmoid", 1);
  float *img = calloc(784 * 2, sizeof(float));
  assert_non_null(img);
  EXPECT_FAIL(big, ae_train(big, img, 2, 783, NULL, 0), AE_ERR_SHAPE,
              "ae_train: x has 783 columns, model expects 784");
  free(img);
  ae_model_free(big);
  free(x);
}

static void test_size_overflow(void **state) {
  (void)state;
  /* A small valid buffer with an n that cannot be the size of any array: the
   * calls must refuse before reading a single value past the buffer. */
  float *x = low_rank_data(N8, 8, 3, 1);
  float small[8] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
  float out[8], err[8], code[8];
  ae_model *m = trained_model8(x);
  const int64_t huge[] = {INT64_MAX / 2, INT64_MAX / 8, INT64_MAX};
  for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
    int64_t n = huge[i];
    EXPECT_FAIL(m, ae_train(m, small, n, 8, NULL, 0), AE_ERR_SHAPE, "overflows");
    EXPECT_FAIL(m, ae_train(m, small, n, 8, small, 8), AE_ERR_SHAPE, "overflows");
    EXPECT_FAIL(m, ae_encode(m, small, n, 8, code, 3), AE_ERR_SHAPE, "overflows");
    /* (n, 3) floats fit in size_t for n = INT64_MAX / 8: only the others */
    if (n != INT64_MAX / 8) {
      EXPECT_FAIL(m, ae_decode(m, small, n, 3, out, 8), AE_ERR_SHAPE, "overflows");
    }
    EXPECT_FAIL(m, ae_reconstruct(m, small, n, 8, out, 8), AE_ERR_SHAPE, "overflows");
    EXPECT_FAIL(m, ae_score(m, small, n, 8, err), AE_ERR_SHAPE, "overflows");
  }
  /* The same with the BCE loss, whose range checks read the data too. */
  tu_set(m, AE_OPT_LOSS, AE_LOSS_BCE);
  for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
    int64_t n = huge[i];
    EXPECT_FAIL(m, ae_train(m, small, n, 8, NULL, 0), AE_ERR_SHAPE, "overflows");
    EXPECT_FAIL(m, ae_train(m, small, n, 8, small, 8), AE_ERR_SHAPE, "overflows");
    EXPECT_FAIL(m, ae_score(m, small, n, 8, err), AE_ERR_SHAPE, "overflows");
  }
  ae_model_free(m);
  free(x);
}

static void test_nonfinite_input(void **state) {
  (void)state;
  float *x = low_rank_data(N8, 8, 3, 1);
  float *bad = alloc_floats(N8 * 8);
  float code[N8 * 3], out[N8 * 8], err[N8];
  ae_model *m = trained_model8(x);
  assert_ok(ae_encode(m, x, N8, 8, code, 3));

  memcpy(bad, x, N8 * 8 * sizeof(float));
  bad[3 * 8 + 5] = NAN;
  EXPECT_FAIL(m, ae_train(m, bad, N8, 8, NULL, 0), AE_ERR_NONFINITE_INPUT, "ae_train: x[3][5] is NaN");
  EXPECT_FAIL(m, ae_train(m, bad, N8, 8, x, 8), AE_ERR_NONFINITE_INPUT, "x[3][5] is NaN");
  EXPECT_FAIL(m, ae_train(m, x, N8, 8, bad, 8), AE_ERR_NONFINITE_INPUT, "ae_train: target[3][5] is NaN");
  EXPECT_FAIL(m, ae_encode(m, bad, N8, 8, code, 3), AE_ERR_NONFINITE_INPUT, "ae_encode: x[3][5] is NaN");
  EXPECT_FAIL(m, ae_reconstruct(m, bad, N8, 8, out, 8), AE_ERR_NONFINITE_INPUT, "ae_reconstruct: x[3][5] is NaN");
  EXPECT_FAIL(m, ae_score(m, bad, N8, 8, err), AE_ERR_NONFINITE_INPUT, "ae_score: x[3][5] is NaN");

  memcpy(bad, x, N8 * 8 * sizeof(float));
  bad[31 * 8 + 7] = INFINITY;
  EXPECT_FAIL(m, ae_train(m, bad, N8, 8, NULL, 0), AE_ERR_NONFINITE_INPUT, "x[31][7] is Inf");
  EXPECT_FAIL(m, ae_train(m, x, N8, 8, bad, 8), AE_ERR_NONFINITE_INPUT, "target[31][7] is Inf");
  EXPECT_FAIL(m, ae_encode(m, bad, N8, 8, code, 3), AE_ERR_NONFINITE_INPUT, "x[31][7] is Inf");
  EXPECT_FAIL(m, ae_score(m, bad, N8, 8, err), AE_ERR_NONFINITE_INPUT, "x[31][7] is Inf");
  bad[31 * 8 + 7] = -INFINITY;
  EXPECT_FAIL(m, ae_train(m, bad, N8, 8, NULL, 0), AE_ERR_NONFINITE_INPUT, "x[31][7] is Inf");

  float bad_code[N8 * 3];
  memcpy(bad_code, code, sizeof code);
  bad_code[1 * 3 + 2] = -INFINITY;
  EXPECT_FAIL(m, ae_decode(m, bad_code, N8, 3, out, 8), AE_ERR_NONFINITE_INPUT, "ae_decode: code[1][2] is Inf");
  bad_code[1 * 3 + 2] = NAN;
  EXPECT_FAIL(m, ae_decode(m, bad_code, N8, 3, out, 8), AE_ERR_NONFINITE_INPUT, "code[1][2] is NaN");

  /* With the BCE loss a non-finite value is still reported as such. */
  tu_set(m, AE_OPT_LOSS, AE_LOSS_BCE);
  memcpy(bad, x, N8 * 8 * sizeof(float));
  bad[2 * 8 + 1] = INFINITY;
  EXPECT_FAIL(m, ae_train(m, bad, N8, 8, NULL, 0), AE_ERR_NONFINITE_INPUT, "x[2][1] is Inf");
  EXPECT_FAIL(m, ae_score(m, bad, N8, 8, err), AE_ERR_NONFINITE_INPUT, "x[2][1] is Inf");
  bad[2 * 8 + 1] = NAN;
  EXPECT_FAIL(m, ae_train(m, x, N8, 8, bad, 8), AE_ERR_NONFINITE_INPUT, "target[2][1] is NaN");
  EXPECT_FAIL(m, ae_score(m, bad, N8, 8, err), AE_ERR_NONFINITE_INPUT, "x[2][1] is NaN");
  ae_model_free(m);
  free(bad);
  free(x);
}

static void test_bce_targets(void **state) {
  (void)state;
  float *x = low_rank_data(N8, 8, 3, 1);
  float *t = alloc_floats(N8 * 8);
  float err[N8];
  ae_model *m = trained_model8(x);
  tu_set(m, AE_OPT_LOSS, AE_LOSS_BCE);
  memcpy(t, x, N8 * 8 * sizeof(float));
  t[4 * 8 + 6] = 1.5f;
  EXPECT_FAIL(m, ae_train(m, x, N8, 8, t, 8), AE_ERR_INVALID_ARGUMENT,
              "ae_train: target[4][6] = 1.5; the BCE loss needs targets in [0, 1]");
  EXPECT_FAIL(m, ae_train(m, t, N8, 8, NULL, 0), AE_ERR_INVALID_ARGUMENT, "x[4][6] = 1.5");
  EXPECT_FAIL(m, ae_score(m, t, N8, 8, err), AE_ERR_INVALID_ARGUMENT, "ae_score: x[4][6] = 1.5");
  t[4 * 8 + 6] = -0.25f;
  EXPECT_FAIL(m, ae_train(m, x, N8, 8, t, 8), AE_ERR_INVALID_ARGUMENT, "target[4][6] = -0.25");
  /* the ends 0 and 1 are allowed */
  for (int64_t i = 0; i < N8 * 8; i++) t[i] = (i % 3 == 0) ? 0.0f : (i % 3 == 1 ? 1.0f : 0.5f);
  tu_set(m, AE_OPT_EPOCHS, 1);
  assert_ok(ae_train(m, x, N8, 8, t, 8));
  assert_ok(ae_train(m, t, N8, 8, NULL, 0));
  assert_ok(ae_score(m, t, N8, 8, err));
  /* MSE takes any finite target */
  tu_set(m, AE_OPT_LOSS, AE_LOSS_MSE);
  t[0] = 5.0f;
  assert_ok(ae_train(m, x, N8, 8, t, 8));
  ae_model_free(m);
  free(t);
  free(x);
}

static void test_target_needed(void **state) {
  (void)state;
  float *x = low_rank_data(N8, 6, 3, 1);
  float err[N8];
  ae_model *m = tu_create("input 6; output 3; dense 5 tanh; code 2 linear; mirror linear", 1);
  EXPECT_FAIL(m, ae_train(m, x, N8, 6, NULL, 0), AE_ERR_SHAPE, "target is NULL");
  EXPECT_FAIL(m, ae_train(m, x, N8, 6, NULL, 3), AE_ERR_SHAPE, "pass a target");
  EXPECT_FAIL(m, ae_train(m, x, N8, 6, x, 6), AE_ERR_SHAPE, "target has 6 columns, model expects 3");
  EXPECT_FAIL(m, ae_score(m, x, N8, 6, err), AE_ERR_SHAPE, "ae_score: the model maps 6 inputs to 3 outputs");
  ae_model_free(m);
  free(x);
}

static void test_validation_arguments(void **state) {
  (void)state;
  float *x = low_rank_data(N8, 8, 3, 1);
  ae_model *m = trained_model8(x);
  tu_set(m, AE_OPT_PATIENCE, 3);
  EXPECT_FAIL(m, ae_train(m, x, N8, 8, NULL, 0), AE_ERR_INVALID_ARGUMENT,
              "AE_OPT_PATIENCE needs AE_OPT_VALIDATION_SPLIT > 0");
  tu_set(m, AE_OPT_PATIENCE, 0);
  /* 0.1 of 5 rows is no row */
  tu_set(m, AE_OPT_VALIDATION_SPLIT, 0.1);
  EXPECT_FAIL(m, ae_train(m, x, 5, 8, NULL, 0), AE_ERR_INVALID_ARGUMENT,
              "a validation split of 0.1 of 5 rows holds out no row");
  /* the largest split of a single row holds out nothing either; the range
   * [0, 0.9] never holds out every row, so at least one row always trains */
  tu_set(m, AE_OPT_VALIDATION_SPLIT, 0.9);
  EXPECT_FAIL(m, ae_train(m, x, 1, 8, NULL, 0), AE_ERR_INVALID_ARGUMENT, "holds out no row");
  tu_set(m, AE_OPT_EPOCHS, 1);
  assert_ok(ae_train(m, x, 2, 8, NULL, 0));
  assert_true(isfinite(tu_stat(m, AE_STAT_VALIDATION_LOSS)));
  assert_ok(ae_train(m, x, 10, 8, NULL, 0)); /* 9 held out, 1 trains */
  ae_model_free(m);
  free(x);
}

/* ------------------------------------------------------------------------ */
/* Training                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct call {
  int64_t epoch, step, steps;
  double loss, stat_loss, val_loss;
} call;

typedef struct recorder {
  ae_model *model;
  call calls[512];
  int n;
  int stop_at_call; /* 1-based; 0 = never stop */
} recorder;

static int record(void *user_data, int64_t epoch, int64_t step, int64_t steps, double loss) {
  recorder *r = user_data;
  assert_true(r->n < 512);
  call *c = &r->calls[r->n++];
  c->epoch = epoch;
  c->step = step;
  c->steps = steps;
  c->loss = loss;
  assert_ok(ae_train_stat(r->model, AE_STAT_LOSS, &c->stat_loss));
  assert_ok(ae_train_stat(r->model, AE_STAT_VALIDATION_LOSS, &c->val_loss));
  return r->stop_at_call > 0 && r->n == r->stop_at_call;
}

static void test_loss_falls(void **state) {
  (void)state;
  const int64_t n = 256;
  float *x = low_rank_data(n, 12, 3, 5);
  ae_model *m = tu_create("input 12; dense 16 tanh; code 3 linear; mirror linear", 9);
  tu_set(m, AE_OPT_EPOCHS, 30);
  tu_set(m, AE_OPT_BATCH_SIZE, 16);
  tu_set(m, AE_OPT_LEARNING_RATE, 0.01);
  recorder *r = calloc(1, sizeof *r);
  assert_non_null(r);
  r->model = m;
  assert_ok(ae_set_progress(m, record, r));
  double before = output_mse(m, x, n, 12, x, 12);
  assert_ok(ae_train(m, x, n, 12, NULL, 0));
  double after = output_mse(m, x, n, 12, x, 12);
  assert_int_equal(ae_epochs_trained(m), 30);
  assert_int_equal(r->n, 30);
  assert_true(r->calls[29].loss < 0.2 * r->calls[0].loss);
  assert_true(after < 0.1 * before);
  /* the score is the mean squared error of each row */
  float err[256];
  assert_ok(ae_score(m, x, n, 12, err));
  double mean = 0.0;
  for (int64_t i = 0; i < n; i++) mean += err[i];
  mean /= (double)n;
  assert_true(fabs(mean - after) <= 1e-5 * after);
  /* training continues where it stopped */
  assert_ok(ae_train(m, x, n, 12, NULL, 0));
  assert_int_equal(ae_epochs_trained(m), 60);
  assert_true(output_mse(m, x, n, 12, x, 12) < after);
  free(r);
  ae_model_free(m);
  free(x);
}

static void test_output_width_training(void **state) {
  (void)state;
  const int64_t n = 200;
  float *x = low_rank_data(n, 6, 6, 11);
  float *t = alloc_floats(n * 3);
  for (int64_t i = 0; i < n; i++) {
    for (int64_t j = 0; j < 3; j++) t[i * 3 + j] = x[i * 6 + j] - x[i * 6 + j + 3];
  }
  ae_model *m = tu_create("input 6; output 3; dense 12 tanh; code 4 linear; dense 12 tanh; dense 3 linear", 4);
  assert_int_equal(ae_output_size(m), 3);
  tu_set(m, AE_OPT_EPOCHS, 40);
  tu_set(m, AE_OPT_BATCH_SIZE, 20);
  tu_set(m, AE_OPT_LEARNING_RATE, 0.01);
  double before = output_mse(m, x, n, 6, t, 3);
  assert_ok(ae_train(m, x, n, 6, t, 3));
  double after = output_mse(m, x, n, 6, t, 3);
  assert_true(after < 0.1 * before);
  float code[200 * 4], out[200 * 3];
  assert_ok(ae_encode(m, x, n, 6, code, 4));
  assert_ok(ae_decode(m, code, n, 4, out, 3));
  float direct[200 * 3];
  assert_ok(ae_reconstruct(m, x, n, 6, direct, 3));
  assert_memory_equal(out, direct, sizeof out);
  ae_model_free(m);
  free(t);
  free(x);
}

static int all_params_finite(const ae_model *m) {
  for (int64_t i = 0; i < m->graph.n_params; i++) {
    if (!isfinite(m->params[i])) return 0;
  }
  return 1;
}

/* Trains on large data with SGD at learning rate 10: the loss must blow up,
 * ae_train must say so, and the model must keep finite weights it can use. */
static void check_divergence(int64_t batch, double momentum, const char *spec) {
  const int64_t n = 64;
  float *x = alloc_floats(n * 8);
  tu_fill_uniform(x, n * 8, -100.0f, 100.0f, 77);
  ae_model *m = tu_create(spec, 5);
  tu_set(m, AE_OPT_OPTIMIZER, AE_OPTIMIZER_SGD);
  tu_set(m, AE_OPT_LEARNING_RATE, 10);
  tu_set(m, AE_OPT_MOMENTUM, momentum);
  tu_set(m, AE_OPT_BATCH_SIZE, (double)batch);
  tu_set(m, AE_OPT_EPOCHS, 50);
  assert_status(ae_train(m, x, n, 8, NULL, 0), AE_ERR_DIVERGED);
  assert_non_null(strstr(ae_last_error(), "ae_train: the "));
  assert_non_null(strstr(ae_last_error(), "lower AE_OPT_LEARNING_RATE"));
  assert_true(ae_epochs_trained(m) < 50);
  assert_true(all_params_finite(m));

  /* The saved weights are finite too, and the reloaded model works. */
  ae_model *c = clone(m);
  assert_true(all_params_finite(c));
  float *out = alloc_floats(n * 8);
  float code[64 * 4];
  assert_ok(ae_encode(m, x, n, 8, code, ae_code_size(m)));
  assert_ok(ae_reconstruct(c, x, n, 8, out, 8));
  for (int64_t i = 0; i < n * ae_code_size(m); i++) assert_true(isfinite(code[i]));
  for (int64_t i = 0; i < n * 8; i++) assert_true(isfinite(out[i]));
  ae_model_free(c);

  /* It can train on, with a sane learning rate, from where it stopped. */
  float *small = alloc_floats(n * 8);
  tu_fill_uniform(small, n * 8, -1.0f, 1.0f, 78);
  tu_set(m, AE_OPT_LEARNING_RATE, 1e-4);
  tu_set(m, AE_OPT_EPOCHS, 1);
  ae_status st = ae_train(m, small, n, 8, NULL, 0);
  assert_true(st == AE_OK || st == AE_ERR_DIVERGED);
  assert_true(all_params_finite(m));
  free(small);
  free(out);
  ae_model_free(m);
  free(x);
}

static void test_divergence(void **state) {
  (void)state;
  /* one step per epoch, several steps per epoch, with and without momentum */
  check_divergence(64, 0.9, "input 8; dense 16 relu; code 4 linear; mirror linear");
  check_divergence(64, 0.0, "input 8; dense 16 relu; code 4 linear; mirror linear");
  check_divergence(8, 0.9, "input 8; dense 16 relu; code 4 linear; mirror linear");
  check_divergence(8, 0.0, "input 8; code 4 linear; dense 8 linear");
  check_divergence(1, 0.5, "input 8; code 4 linear; dense 8 linear");
}

/* Data of about 1e18.5 with a relu code: the loss and the gradients are still
 * finite (a squared error below FLT_MAX) but lr * gradient overflows the
 * output weights. With one step per epoch that happens at an epoch's end. */
static void test_divergence_by_weight_overflow(void **state) {
  (void)state;
  int diverged = 0;
  for (int e = 184; e <= 187; e++) {
    for (uint64_t seed = 0; seed < 10; seed++) {
      const int64_t n = 8;
      float x[8];
      float hi = powf(10.0f, (float)e / 10.0f);
      tu_fill_uniform(x, n, 0.5f * hi, hi, seed);
      ae_model *m = tu_create("input 1; code 1 relu; dense 1 linear", seed);
      tu_set(m, AE_OPT_OPTIMIZER, AE_OPTIMIZER_SGD);
      tu_set(m, AE_OPT_LEARNING_RATE, 10);
      tu_set(m, AE_OPT_MOMENTUM, 0);
      tu_set(m, AE_OPT_BATCH_SIZE, (double)n);
      tu_set(m, AE_OPT_EPOCHS, 20);
      ae_status st = ae_train(m, x, n, 1, NULL, 0);
      assert_true(st == AE_OK || st == AE_ERR_DIVERGED);
      diverged += st == AE_ERR_DIVERGED;
      if (!all_params_finite(m)) {
        fprintf(stderr, "scale 1e%g seed %d: %s (%s) left non-finite weights after %lld epochs\n",
                e / 10.0, (int)seed, ae_status_string(st), ae_last_error(),
                (long long)ae_epochs_trained(m));
      }
      assert_true(all_params_finite(m));
      /* still usable (its outputs on data this large may overflow) */
      float y[8], code[8];
      assert_ok(ae_reconstruct(m, x, n, 1, y, 1));
      assert_ok(ae_encode(m, x, n, 1, code, 1));
      ae_model_free(m);
    }
  }
  assert_true(diverged > 0);
}

static void test_progress_callback(void **state) {
  (void)state;
  const int64_t n = 40;
  float *x = low_rank_data(n, 8, 3, 21);
  ae_model *m = tu_create(SPEC8, 6);
  recorder *r = calloc(1, sizeof *r);
  assert_non_null(r);
  r->model = m;
  assert_ok(ae_set_progress(m, record, r));
  tu_set(m, AE_OPT_EPOCHS, 2);
  tu_set(m, AE_OPT_BATCH_SIZE, 8); /* 5 steps per epoch */
  tu_set(m, AE_OPT_PROGRESS_EVERY, 2);
  assert_ok(ae_train(m, x, n, 8, NULL, 0));
  const int64_t expect[][2] = {{1, 2}, {1, 4}, {1, 5}, {2, 2}, {2, 4}, {2, 5}};
  assert_int_equal(r->n, 6);
  for (int i = 0; i < 6; i++) {
    assert_int_equal(r->calls[i].epoch, expect[i][0]);
    assert_int_equal(r->calls[i].step, expect[i][1]);
    assert_int_equal(r->calls[i].steps, 5);
    assert_true(isfinite(r->calls[i].loss) && r->calls[i].loss > 0);
    assert_true(r->calls[i].loss == r->calls[i].stat_loss);
    assert_true(isnan(r->calls[i].val_loss));
  }
  assert_true(tu_stat(m, AE_STAT_LOSS) == r->calls[5].loss);

  /* Without AE_OPT_PROGRESS_EVERY: only at epoch ends. A validation split of
   * 0.25 leaves 30 training rows: 4 steps of 8. */
  r->n = 0;
  tu_set(m, AE_OPT_PROGRESS_EVERY, 0);
  tu_set(m, AE_OPT_VALIDATION_SPLIT, 0.25);
  tu_set(m, AE_OPT_EPOCHS, 3);
  assert_ok(ae_train(m, x, n, 8, NULL, 0));
  assert_int_equal(r->n, 3);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(r->calls[i].epoch, i + 1);
    assert_int_equal(r->calls[i].step, 4);
    assert_int_equal(r->calls[i].steps, 4);
    assert_true(isfinite(r->calls[i].val_loss)); /* measured before the call */
  }

  /* The first step's loss is the untrained model's error on the first batch
   * (no shuffling): the mean of its scores on those rows. */
  ae_model *fresh = tu_create(SPEC8, 6);
  float err[8];
  assert_ok(ae_score(fresh, x, 8, 8, err));
  double first = 0.0;
  for (int i = 0; i < 8; i++) first += err[i];
  first /= 8.0;
  r->n = 0;
  r->model = fresh;
  assert_ok(ae_set_progress(fresh, record, r));
  tu_set(fresh, AE_OPT_SHUFFLE, 0);
  tu_set(fresh, AE_OPT_BATCH_SIZE, 8);
  tu_set(fresh, AE_OPT_EPOCHS, 1);
  tu_set(fresh, AE_OPT_PROGRESS_EVERY, 1);
  assert_ok(ae_train(fresh, x, n, 8, NULL, 0));
  assert_int_equal(r->n, 5);
  assert_int_equal(r->calls[0].step, 1);
  assert_true(fabs(r->calls[0].loss - first) <= 1e-5 * first);
  /* the loss of a batch larger than the data: cut to the data, one step */
  r->n = 0;
  tu_set(fresh, AE_OPT_BATCH_SIZE, 1000);
  assert_ok(ae_train(fresh, x, n, 8, NULL, 0));
  assert_int_equal(r->n, 1);
  assert_int_equal(r->calls[0].steps, 1);
  /* removing the callback */
  assert_ok(ae_set_progress(fresh, NULL, NULL));
  r->n = 0;
  assert_ok(ae_train(fresh, x, n, 8, NULL, 0));
  assert_int_equal(r->n, 0);
  ae_model_free(fresh);
  free(r);
  ae_model_free(m);
  free(x);
}

static void test_progress_stop(void **state) {
  (void)state;
  const int64_t n = 40;
  float *x = low_rank_data(n, 8, 3, 21);
  recorder *r = calloc(1, sizeof *r);
  assert_non_null(r);

  /* Stop in the middle of epoch 2: one finished epoch. */
  ae_model *m = tu_create(SPEC8, 6);
  r->model = m;
  r->stop_at_call = 4; /* (1,2) (1,4) (1,5) (2,2) */
  assert_ok(ae_set_progress(m, record, r));
  tu_set(m, AE_OPT_EPOCHS, 10);
  tu_set(m, AE_OPT_BATCH_SIZE, 8);
  tu_set(m, AE_OPT_PROGRESS_EVERY, 2);
  assert_ok(ae_train(m, x, n, 8, NULL, 0));
  assert_int_equal(r->n, 4);
  assert_int_equal(r->calls[3].epoch, 2);
  assert_int_equal(r->calls[3].step, 2);
  assert_int_equal(ae_epochs_trained(m), 1);
  assert_string_equal(ae_last_error(), "");
  /* and the model still works and trains on */
  r->n = 0;
  r->stop_at_call = 0;
  tu_set(m, AE_OPT_EPOCHS, 2);
  assert_ok(ae_train(m, x, n, 8, NULL, 0));
  assert_int_equal(ae_epochs_trained(m), 3);
  ae_model_free(m);

  /* Stop at the end of epoch 2: two finished epochs. */
  m = tu_create(SPEC8, 6);
  r->model = m;
  r->n = 0;
  r->stop_at_call = 2;
  assert_ok(ae_set_progress(m, record, r));
  tu_set(m, AE_OPT_EPOCHS, 10);
  assert_ok(ae_train(m, x, n, 8, NULL, 0));
  assert_int_equal(r->n, 2);
  assert_int_equal(ae_epochs_trained(m), 2);
  ae_model_free(m);
  free(r);
  free(x);
}

static void test_train_stats(void **state) {
  (void)state;
  const int64_t n = 40;
  float *x = low_rank_data(n, 8, 3, 21);
  ae_model *m = tu_create(SPEC8, 6);
  assert_true(isnan(tu_stat(m, AE_STAT_LOSS)));
  assert_true(isnan(tu_stat(m, AE_STAT_RECONSTRUCTION)));
  assert_true(isnan(tu_stat(m, AE_STAT_L2_PENALTY)));
  assert_true(isnan(tu_stat(m, AE_STAT_VALIDATION_LOSS)));
  assert_true(tu_stat(m, AE_STAT_BEST_EPOCH) == 0.0);

  tu_set(m, AE_OPT_EPOCHS, 3);
  assert_ok(ae_train(m, x, n, 8, NULL, 0));
  double loss = tu_stat(m, AE_STAT_LOSS), rec = tu_stat(m, AE_STAT_RECONSTRUCTION);
  double l2 = tu_stat(m, AE_STAT_L2_PENALTY);
  assert_true(isfinite(loss) && loss > 0);
  assert_true(l2 == 0.0);
  assert_true(rec + l2 == loss);
  assert_true(isnan(tu_stat(m, AE_STAT_VALIDATION_LOSS)));
  assert_true(tu_stat(m, AE_STAT_BEST_EPOCH) == 0.0);

  /* with a validation split */
  tu_set(m, AE_OPT_VALIDATION_SPLIT, 0.2);
  assert_ok(ae_train(m, x, n, 8, NULL, 0));
  double val = tu_stat(m, AE_STAT_VALIDATION_LOSS);
  assert_true(isfinite(val) && val > 0);
  double best = tu_stat(m, AE_STAT_BEST_EPOCH);
  assert_true(best >= 1 && best <= 3);
  /* and without it again: the figures of this call only */
  tu_set(m, AE_OPT_VALIDATION_SPLIT, 0);
  assert_ok(ae_train(m, x, n, 8, NULL, 0));
  assert_true(isnan(tu_stat(m, AE_STAT_VALIDATION_LOSS)));
  assert_true(tu_stat(m, AE_STAT_BEST_EPOCH) == 0.0);

  /* With L2 weight decay and one full batch per epoch, epoch 1's penalty is
   * lambda/2 * sum(W^2) of the initial weights (biases excluded). */
  ae_model *l2m = tu_create(SPEC8, 8);
  double sum_w2 = 0.0;
  for (int32_t i = 0; i < l2m->graph.n_layers; i++) {
    const ae_layer *l = &l2m->graph.layers[i];
    for (int64_t k = 0; k < l->out * l->in; k++) {
      double w = l2m->params[l->w_off + k];
      sum_w2 += w * w;
    }
  }
  tu_set(l2m, AE_OPT_L2, 0.1);
  tu_set(l2m, AE_OPT_BATCH_SIZE, (double)n);
  tu_set(l2m, AE_OPT_EPOCHS, 1);
  assert_ok(ae_train(l2m, x, n, 8, NULL, 0));
  double pen = tu_stat(l2m, AE_STAT_L2_PENALTY);
  assert_true(pen > 0);
  assert_true(fabs(pen - 0.05 * sum_w2) <= 1e-6 * pen);
  assert_true(tu_stat(l2m, AE_STAT_RECONSTRUCTION) + pen == tu_stat(l2m, AE_STAT_LOSS));
  /* over several steps the penalty stays positive and adds up */
  tu_set(l2m, AE_OPT_BATCH_SIZE, 8);
  tu_set(l2m, AE_OPT_EPOCHS, 2);
  assert_ok(ae_train(l2m, x, n, 8, NULL, 0));
  assert_true(tu_stat(l2m, AE_STAT_L2_PENALTY) > 0);
  assert_true(tu_stat(l2m, AE_STAT_RECONSTRUCTION) + tu_stat(l2m, AE_STAT_L2_PENALTY) ==
              tu_stat(l2m, AE_STAT_LOSS));
  ae_model_free(l2m);
  ae_model_free(m);
  free(x);
}

/* The early-stopping test's training: a quarter of the rows held out for
 * validation, stopping after `patience` epochs without improvement. */
static void set_early_stopping(ae_model *m, int64_t max_epochs, int64_t patience) {
  tu_set(m, AE_OPT_EPOCHS, (double)max_epochs);
  tu_set(m, AE_OPT_BATCH_SIZE, 8);
  tu_set(m, AE_OPT_LEARNING_RATE, 0.01);
  tu_set(m, AE_OPT_VALIDATION_SPLIT, 0.25);
  tu_set(m, AE_OPT_PATIENCE, (double)patience);
}

/* Noise rows: a wide model overfits the training rows, so the validation
 * loss improves for a while and then gets worse. */
static void test_early_stopping(void **state) {
  (void)state;
  const int64_t n = 40, cols = 16, max_epochs = 300, patience = 5;
  const uint64_t seed = 12;
  float *x = alloc_floats(n * cols);
  tu_fill_uniform(x, n * cols, 0.0f, 1.0f, 31);
  const char *spec = "input 16; dense 64 relu; code 8 linear; mirror sigmoid";
  ae_model *m = tu_create(spec, seed);
  set_early_stopping(m, max_epochs, patience);
  recorder *r = calloc(1, sizeof *r);
  assert_non_null(r);
  r->model = m;
  assert_ok(ae_set_progress(m, record, r));
  assert_ok(ae_train(m, x, n, cols, NULL, 0));

  int epochs = r->n;
  assert_true(epochs < max_epochs);
  assert_int_equal(ae_epochs_trained(m), epochs);
  double best = INFINITY;
  int best_epoch = 0;
  for (int i = 0; i < epochs; i++) {
    assert_int_equal(r->calls[i].epoch, i + 1);
    if (r->calls[i].val_loss < best) {
      best = r->calls[i].val_loss;
      best_epoch = i + 1;
    }
  }
  assert_true(best_epoch >= 2); /* it did improve before it stopped */
  assert_int_equal(epochs, best_epoch + patience);
  assert_true(tu_stat(m, AE_STAT_BEST_EPOCH) == best_epoch);

  /* The validation rows: the library's seeded split of call 0. */
  int64_t order[40];
  for (int64_t i = 0; i < n; i++) order[i] = i;
  ae_rng rng = ae_rng_stream(seed, AE_RNG_SPLIT, 0);
  ae_rng_shuffle(&rng, order, n);
  const int64_t n_val = 10;
  float val_rows[10 * 16], y[10 * 16];
  for (int64_t i = 0; i < n_val; i++) memcpy(val_rows + i * cols, x + order[i] * cols, cols * sizeof(float));
  assert_ok(ae_reconstruct(m, val_rows, n_val, cols, y, cols));
  double sum = 0.0;
  for (int64_t i = 0; i < n_val * cols; i++) {
    float d = y[i] - val_rows[i];
    sum += (double)(d * d);
  }
  double now = sum / (double)(n_val * cols);
  assert_true(fabs(now - best) <= 1e-5 * best);
  assert_true(now < r->calls[epochs - 1].val_loss);

  /* The kept weights are exactly those after the best epoch: a model trained
   * for best_epoch epochs without patience has the same outputs. */
  ae_model *ref = tu_create(spec, seed);
  tu_set(ref, AE_OPT_EPOCHS, best_epoch);
  tu_set(ref, AE_OPT_BATCH_SIZE, 8);
  tu_set(ref, AE_OPT_LEARNING_RATE, 0.01);
  tu_set(ref, AE_OPT_VALIDATION_SPLIT, 0.25);
  assert_ok(ae_train(ref, x, n, cols, NULL, 0));
  assert_true(tu_stat(ref, AE_STAT_VALIDATION_LOSS) == best);
  float *a = alloc_floats(n * cols), *b = alloc_floats(n * cols);
  assert_ok(ae_reconstruct(m, x, n, cols, a, cols));
  assert_ok(ae_reconstruct(ref, x, n, cols, b, cols));
  assert_memory_equal(a, b, (size_t)(n * cols) * sizeof(float));

  /* With patience, a stop asked for by the callback also ends with the best
   * epoch's weights: at the end of epoch best + 2, and in its middle. */
  for (int mid = 0; mid < 2; mid++) {
    ae_model *s = tu_create(spec, seed);
    set_early_stopping(s, max_epochs, patience);
    /* 30 training rows: 4 steps per epoch; with PROGRESS_EVERY 2 the calls
     * per epoch are at steps 2 and 4 */
    if (mid) tu_set(s, AE_OPT_PROGRESS_EVERY, 2);
    r->n = 0;
    r->model = s;
    r->stop_at_call = mid ? 2 * (best_epoch + 2) - 1 : best_epoch + 2;
    assert_ok(ae_set_progress(s, record, r));
    assert_ok(ae_train(s, x, n, cols, NULL, 0));
    assert_int_equal(r->calls[r->n - 1].epoch, best_epoch + 2);
    assert_int_equal(r->calls[r->n - 1].step, mid ? 2 : 4);
    assert_int_equal(ae_epochs_trained(s), best_epoch + 2 - mid);
    assert_true(tu_stat(s, AE_STAT_BEST_EPOCH) == best_epoch);
    assert_ok(ae_reconstruct(s, x, n, cols, a, cols));
    assert_memory_equal(a, b, (size_t)(n * cols) * sizeof(float));
    ae_model_free(s);
  }
  free(a);
  free(b);
  ae_model_free(ref);
  free(r);
  ae_model_free(m);
  free(x);
}

static ae_model *train_for_determinism(const float *x, int64_t n, uint64_t seed) {
  ae_model *m = tu_create("input 8; dense 10 elu; code 3 tanh; mirror sigmoid", seed);
  tu_set(m, AE_OPT_EPOCHS, 4);
  tu_set(m, AE_OPT_BATCH_SIZE, 7);
  tu_set(m, AE_OPT_VALIDATION_SPLIT, 0.2);
  tu_set(m, AE_OPT_L2, 0.01);
  tu_set(m, AE_OPT_LOSS, AE_LOSS_BCE);
  assert_ok(ae_train(m, x, n, 8, NULL, 0));
  tu_set(m, AE_OPT_OPTIMIZER, AE_OPTIMIZER_SGD);
  tu_set(m, AE_OPT_LEARNING_RATE, 0.05);
  tu_set(m, AE_OPT_EPOCHS, 2);
  assert_ok(ae_train(m, x, n, 8, NULL, 0));
  return m;
}

static void test_determinism(void **state) {
  (void)state;
  const int64_t n = 50;
  float *x = low_rank_data(n, 8, 3, 41);
  ae_model *a = train_for_determinism(x, n, 100);
  ae_model *b = train_for_determinism(x, n, 100);
  ae_model *c = train_for_determinism(x, n, 101);
  tu_snapshot sa = tu_take_snapshot(a), sb = tu_take_snapshot(b);
  assert_true(tu_same_snapshot(&sa, &sb));
  assert_true(tu_stat(a, AE_STAT_LOSS) == tu_stat(b, AE_STAT_LOSS));
  float *ya = alloc_floats(n * 8), *yc = alloc_floats(n * 8);
  assert_ok(ae_reconstruct(a, x, n, 8, ya, 8));
  assert_ok(ae_reconstruct(c, x, n, 8, yc, 8));
  assert_true(memcmp(ya, yc, (size_t)(n * 8) * sizeof(float)) != 0);
  /* a model loaded with its optimizer state resumes exactly */
  ae_model *d = clone(a);
  tu_set(a, AE_OPT_EPOCHS, 1);
  tu_set(d, AE_OPT_EPOCHS, 1);
  assert_ok(ae_train(a, x, n, 8, NULL, 0));
  assert_ok(ae_train(d, x, n, 8, NULL, 0));
  tu_snapshot s1 = tu_take_snapshot(a), s2 = tu_take_snapshot(d);
  assert_true(tu_same_snapshot(&s1, &s2));
  free(s1.bytes);
  free(s2.bytes);
  ae_model_free(d);
  free(ya);
  free(yc);
  free(sa.bytes);
  free(sb.bytes);
  ae_model_free(a);
  ae_model_free(b);
  ae_model_free(c);
  free(x);
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                  */
/* ------------------------------------------------------------------------ */

#define TN 300 /* rows: more than one inference chunk of 256 */
#define TITER 40

typedef struct worker {
  const ae_model *m;
  const float *x;
  const float *code_ref, *err_ref;
  int mismatches, failures;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  float *code = malloc(TN * 4 * sizeof(float)), *err = malloc(TN * sizeof(float));
  if (!code || !err) {
    w->failures++;
  } else {
    for (int it = 0; it < TITER; it++) {
      if (ae_encode(w->m, w->x, TN, 8, code, 4) != AE_OK) w->failures++;
      if (ae_score(w->m, w->x, TN, 8, err) != AE_OK) w->failures++;
      if (memcmp(code, w->code_ref, TN * 4 * sizeof(float)) != 0) w->mismatches++;
      if (memcmp(err, w->err_ref, TN * sizeof(float)) != 0) w->mismatches++;
    }
  }
  free(code);
  free(err);
  return NULL;
}

static void test_threads_share_a_model(void **state) {
  (void)state;
  float *x = low_rank_data(TN, 8, 4, 51);
  ae_model *m = tu_create("input 8; dense 32 relu; code 4 linear; mirror sigmoid", 3);
  tu_set(m, AE_OPT_EPOCHS, 2);
  assert_ok(ae_train(m, x, TN, 8, NULL, 0));
  float *code_ref = alloc_floats(TN * 4), *err_ref = alloc_floats(TN);
  assert_ok(ae_encode(m, x, TN, 8, code_ref, 4));
  assert_ok(ae_score(m, x, TN, 8, err_ref));
  tu_snapshot before = tu_take_snapshot(m);

  pthread_t threads[4];
  worker workers[4];
  for (int i = 0; i < 4; i++) {
    workers[i] = (worker){m, x, code_ref, err_ref, 0, 0};
    assert_int_equal(pthread_create(&threads[i], NULL, work, &workers[i]), 0);
  }
  for (int i = 0; i < 4; i++) assert_int_equal(pthread_join(threads[i], NULL), 0);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(workers[i].failures, 0);
    assert_int_equal(workers[i].mismatches, 0);
  }
  tu_assert_snapshot(m, &before);
  /* the model is free again for a writer */
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 1));
  assert_ok(ae_train(m, x, TN, 8, NULL, 0));
  free(before.bytes);
  free(code_ref);
  free(err_ref);
  ae_model_free(m);
  free(x);
}

typedef struct busy_probe {
  ae_model *m;
  const float *x;
  int calls;
  ae_status encode, score, set_option, set_progress, train, save, get_stat, get_option;
  int64_t epochs_seen, input_size;
  char encode_msg[256], set_option_msg[256];
} busy_probe;

static int probe(void *user_data, int64_t epoch, int64_t step, int64_t steps, double loss) {
  (void)epoch;
  (void)step;
  (void)steps;
  (void)loss;
  busy_probe *p = user_data;
  float code[8 * 3], err[8];
  p->calls++;
  p->encode = ae_encode(p->m, p->x, 8, 8, code, 3);
  snprintf(p->encode_msg, sizeof p->encode_msg, "%s", ae_last_error());
  p->score = ae_score(p->m, p->x, 8, 8, err);
  p->set_option = ae_set_option(p->m, AE_OPT_LEARNING_RATE, 0.5);
  snprintf(p->set_option_msg, sizeof p->set_option_msg, "%s", ae_last_error());
  p->set_progress = ae_set_progress(p->m, NULL, NULL);
  p->train = ae_train(p->m, p->x, 8, 8, NULL, 0);
  size_t size;
  p->save = ae_save_buffer(p->m, 0, NULL, 0, &size);
  double v;
  p->get_stat = ae_train_stat(p->m, AE_STAT_LOSS, &v);
  p->get_option = ae_get_option(p->m, AE_OPT_EPOCHS, &v);
  p->epochs_seen = ae_epochs_trained(p->m);
  p->input_size = ae_input_size(p->m);
  return 0;
}

static void test_busy_inside_callback(void **state) {
  (void)state;
  float *x = low_rank_data(N8, 8, 3, 1);
  ae_model *m = tu_create(SPEC8, 2);
  busy_probe p;
  memset(&p, 0, sizeof p);
  p.m = m;
  p.x = x;
  assert_ok(ae_set_progress(m, probe, &p));
  tu_set(m, AE_OPT_EPOCHS, 1);
  assert_ok(ae_train(m, x, N8, 8, NULL, 0));
  assert_int_equal(p.calls, 1);
  assert_int_equal(p.encode, AE_ERR_BUSY);
  assert_non_null(strstr(p.encode_msg, "ae_encode"));
  assert_int_equal(p.score, AE_ERR_BUSY);
  assert_int_equal(p.set_option, AE_ERR_BUSY);
  assert_non_null(strstr(p.set_option_msg, "ae_set_option"));
  assert_int_equal(p.set_progress, AE_ERR_BUSY);
  assert_int_equal(p.train, AE_ERR_BUSY);
  assert_int_equal(p.save, AE_ERR_BUSY);
  assert_int_equal(p.get_stat, AE_OK);
  assert_int_equal(p.get_option, AE_OK);
  assert_int_equal(p.epochs_seen, 1);
  assert_int_equal(p.input_size, 8);
  /* nothing the callback tried took effect */
  assert_true(get(m, AE_OPT_LEARNING_RATE) == 1e-3);
  /* after training the model is free for everything again */
  float code[N8 * 3];
  assert_ok(ae_encode(m, x, N8, 8, code, 3));
  assert_ok(ae_set_progress(m, NULL, NULL));
  assert_ok(ae_set_option(m, AE_OPT_LEARNING_RATE, 0.5));
  ae_model_free(m);
  free(x);
}

/* While inference holds the model, writers get AE_ERR_BUSY and other readers
 * go ahead. The read hold is taken directly, as a running ae_encode would. */
static void test_busy_during_inference(void **state) {
  (void)state;
  float *x = low_rank_data(N8, 8, 3, 1);
  ae_model *m = trained_model8(x);
  float code[N8 * 3];
  assert_ok(ae_model_acquire_read(m, "test"));
  tu_snapshot before = tu_take_snapshot(m); /* a second reader */
  EXPECT_FAIL(m, ae_set_option(m, AE_OPT_EPOCHS, 3), AE_ERR_BUSY,
              "ae_set_option: the model is in use by inference");
  EXPECT_FAIL(m, ae_train(m, x, N8, 8, NULL, 0), AE_ERR_BUSY, "ae_train: the model is in use by inference");
  EXPECT_FAIL(m, ae_set_progress(m, NULL, NULL), AE_ERR_BUSY, "in use by inference");
  assert_ok(ae_encode(m, x, N8, 8, code, 3));
  ae_model_release_read(m);
  tu_assert_snapshot(m, &before);
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 3));
  assert_ok(ae_train(m, x, N8, 8, NULL, 0));
  free(before.bytes);
  ae_model_free(m);
  free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_version),
      cmocka_unit_test(test_status_strings),
      cmocka_unit_test(test_option_defaults_and_bounds),
      cmocka_unit_test(test_option_ranges),
      cmocka_unit_test(test_option_unknown),
      cmocka_unit_test(test_options_saved_with_model),
      cmocka_unit_test(test_null_pointers),
      cmocka_unit_test(test_save_arguments),
      cmocka_unit_test(test_bad_row_counts),
      cmocka_unit_test(test_bad_columns),
      cmocka_unit_test(test_size_overflow),
      cmocka_unit_test(test_nonfinite_input),
      cmocka_unit_test(test_bce_targets),
      cmocka_unit_test(test_target_needed),
      cmocka_unit_test(test_validation_arguments),
      cmocka_unit_test(test_loss_falls),
      cmocka_unit_test(test_output_width_training),
      cmocka_unit_test(test_divergence),
      cmocka_unit_test(test_divergence_by_weight_overflow),
      cmocka_unit_test(test_progress_callback),
      cmocka_unit_test(test_progress_stop),
      cmocka_unit_test(test_train_stats),
      cmocka_unit_test(test_early_stopping),
      cmocka_unit_test(test_determinism),
      cmocka_unit_test(test_threads_share_a_model),
      cmocka_unit_test(test_busy_inside_callback),
      cmocka_unit_test(test_busy_during_inference),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
