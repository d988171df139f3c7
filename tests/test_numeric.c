/* test_numeric.c -- numerical abuse, for dense, convolutional and variational
 * models alike: NaN and Inf in inputs and targets, huge (1e38) and tiny
 * (1e-38, denormal) values, constant data, a single sample, batches larger
 * than the data, a learning rate at its maximum. Every call must give a clear
 * status or a correct result: never a crash, and never a model with a NaN or
 * Inf weight (a model file with one is refused by ae_load_buffer, which this
 * test uses as the check, together with inference on ordinary data). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ae.h"
#include "testutil.h"

#define N 24  /* rows */
#define D 16  /* columns: 16 values, or a 1 x 4 x 4 image */

static const char *const SPECS[] = {
    "input 16; dense 8 relu; code 3 linear; mirror sigmoid",
    "input 1x4x4; conv 4 3 relu; maxpool 2; code; upsample 2; conv 1 3 sigmoid",
    "input 16; dense 8 tanh; gaussian 3; dense 8 relu; dense 16 sigmoid",
    ("input 1x4x4; conv 2 3 elu stride=2; gaussian 2; dense 8 softplus; reshape 2x2x2; "
     "deconv 1 3 linear stride=2 pad=same"),
};
#define N_SPECS (sizeof SPECS / sizeof SPECS[0])

static ae_model *create(const char *spec) {
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, spec, 11));
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 3));
  assert_ok(ae_set_option(m, AE_OPT_BATCH_SIZE, 8));
  return m;
}

static void fill(float *x, int64_t n, float value) {
  for (int64_t i = 0; i < n; i++) x[i] = value;
}

static int all_finite(const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(x[i])) return 0;
  }
  return 1;
}

static int is_variational(const ae_model *m) {
  return strstr(ae_model_spec(m), "gaussian") != NULL;
}

/* The model's weights are finite (its file loads: ae_load_buffer refuses a
 * NaN or Inf weight) and inference on ordinary data runs; with `finite` its
 * results must be finite too. (Without: a model kept from a divergence, or
 * standardising by a tiny scale, can have finite weights so large that an
 * output, or its squared error, overflows float: that is arithmetic, not a
 * NaN model.) */
static void check_model(const ae_model *m, int finite) {
  tu_snapshot s = tu_take_snapshot(m);
  ae_model *copy = NULL;
  ae_status st = ae_load_buffer(&copy, s.bytes, s.size);
  if (st != AE_OK) fprintf(stderr, "%s: %s\n", ae_model_spec(m), ae_last_error());
  assert_ok(st);
  ae_model_free(copy);
  tu_snapshot_free(&s);
  float x[N * D], y[N * D], code[N * D], err[N];
  tu_fill_uniform(x, N * D, 0.0f, 1.0f, 5);
  int64_t c = ae_code_size(m);
  assert_true(c <= D);
  assert_ok(ae_encode(m, x, N, D, code, c));
  assert_ok(ae_reconstruct(m, x, N, D, y, D));
  assert_ok(ae_score(m, x, N, D, err));
  if (finite) {
    assert_true(all_finite(code, N * c));
    assert_true(all_finite(y, N * D));
    assert_true(all_finite(err, N));
  }
}

static void assert_sound(const ae_model *m) { check_model(m, 1); }

/* ---- NaN and Inf: refused everywhere, model untouched ---- */

static void check_nonfinite(const char *spec, float bad) {
  ae_model *m = create(spec);
  tu_snapshot before = tu_take_snapshot(m);
  float x[N * D], t[N * D], y[N * D], code[N * D], err[N];
  int64_t c = ae_code_size(m);
  tu_fill_uniform(x, N * D, 0.0f, 1.0f, 1);
  memcpy(t, x, sizeof t);
  fill(code, N * c, 0.5f);
  /* the bad value in the middle, and at the very end */
  for (int where = 0; where < 2; where++) {
    int64_t i = where ? N * D - 1 : N * D / 2 + 3;
    x[i] = bad;
    assert_status(ae_train(m, x, N, D, NULL, 0), AE_ERR_NONFINITE_INPUT);
    assert_status(ae_encode(m, x, N, D, code, c), AE_ERR_NONFINITE_INPUT);
    assert_status(ae_reconstruct(m, x, N, D, y, D), AE_ERR_NONFINITE_INPUT);
    assert_status(ae_score(m, x, N, D, err), AE_ERR_NONFINITE_INPUT);
    assert_status(ae_jacobian_norm(m, x, N, D, err), AE_ERR_NONFINITE_INPUT);
    if (is_variational(m)) {
      assert_status(ae_negative_elbo(m, x, N, D, 1, err), AE_ERR_NONFINITE_INPUT);
      assert_status(ae_encode_distribution(m, x, N, D, AE_CODE_SAMPLE, 1, code, c),
                    AE_ERR_NONFINITE_INPUT);
    }
    x[i] = 0.5f;
    /* in the target only */
    t[i] = bad;
    assert_status(ae_train(m, x, N, D, t, D), AE_ERR_NONFINITE_INPUT);
    t[i] = x[i];
    /* in a code */
    int64_t k = where ? N * c - 1 : 2;
    code[k] = bad;
    assert_status(ae_decode(m, code, N, c, y, D), AE_ERR_NONFINITE_INPUT);
    code[k] = 0.5f;
  }
  /* in the standardisation */
  float mean[D], scale[D];
  fill(mean, D, 0.0f);
  fill(scale, D, 1.0f);
  mean[3] = bad;
  assert_status(ae_set_input_scaling(m, mean, scale, D), AE_ERR_NONFINITE_INPUT);
  mean[3] = 0;
  scale[7] = bad;
  assert_int_not_equal(ae_set_input_scaling(m, mean, scale, D), AE_OK);
  tu_assert_snapshot(m, &before);
  tu_snapshot_free(&before);
  ae_model_free(m);
}

static void test_nan_inf(void **state) {
  (void)state;
  for (size_t s = 0; s < N_SPECS; s++) {
    check_nonfinite(SPECS[s], NAN);
    check_nonfinite(SPECS[s], INFINITY);
    check_nonfinite(SPECS[s], -INFINITY);
  }
}

/* ---- huge values: a clear status or a sound model ---- */

/* Trains on x; the outcome must be AE_OK or AE_ERR_DIVERGED (with the last
 * finite weights kept), the weights finite either way; with `finite`, its
 * results on ordinary data too. Returns the status. */
static ae_status train_soundly(ae_model *m, const float *x, const float *t, int finite) {
  ae_status st = ae_train(m, x, N, D, t, t ? D : 0);
  if (st != AE_OK && st != AE_ERR_DIVERGED) {
    fprintf(stderr, "%s: %s\n", ae_model_spec(m), ae_last_error());
  }
  assert_true(st == AE_OK || st == AE_ERR_DIVERGED);
  if (st == AE_ERR_DIVERGED) assert_non_null(strstr(ae_last_error(), "ae_train"));
  double loss = NAN;
  assert_ok(ae_train_stat(m, AE_STAT_LOSS, &loss));
  if (st == AE_OK) assert_true(isfinite(loss));
  check_model(m, finite);
  return st;
}

static void test_huge_values(void **state) {
  (void)state;
  int diverged = 0, trained = 0;
  for (size_t s = 0; s < N_SPECS; s++) {
    const float values[] = {1e38f, -1e38f, FLT_MAX, 1e20f, 1e10f};
    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
      ae_model *m = create(SPECS[s]);
      float x[N * D];
      tu_fill_uniform(x, N * D, 0.0f, 1.0f, 2);
      for (int64_t i = 0; i < N * D; i += 5) x[i] = values[v];
      if (train_soundly(m, x, NULL, 1) == AE_OK) trained++;
      else diverged++;
      /* inference on huge inputs runs; outputs may overflow, the model stays */
      tu_snapshot before = tu_take_snapshot(m);
      float y[N * D], err[N];
      assert_ok(ae_reconstruct(m, x, N, D, y, D));
      assert_ok(ae_score(m, x, N, D, err));
      tu_assert_snapshot(m, &before);
      tu_snapshot_free(&before);
      /* BCE refuses such targets outright */
      assert_ok(ae_set_option(m, AE_OPT_LOSS, AE_LOSS_BCE));
      assert_status(ae_train(m, x, N, D, NULL, 0), AE_ERR_INVALID_ARGUMENT);
      assert_status(ae_score(m, x, N, D, err), AE_ERR_INVALID_ARGUMENT);
      ae_model_free(m);
    }
  }
  printf("huge values: %d trainings diverged (last finite weights kept), %d trained\n",
         diverged, trained);
}

/* Finite gradients too large for Adam's g^2 (linear outputs on data near
 * 1e11: gradients past 1.8e19): the second moment must not become Inf with
 * the weights still finite, a state whose file ae_load refuses. */
static void test_huge_gradients(void **state) {
  (void)state;
  for (int opt = 0; opt < 2; opt++) {
    ae_model *m = create("input 16; dense 8 linear; code 3 linear; mirror linear");
    assert_ok(ae_set_option(m, AE_OPT_OPTIMIZER, opt ? AE_OPTIMIZER_ADAM : AE_OPTIMIZER_SGD));
    float x[N * D];
    for (int64_t i = 0; i < N * D; i++) x[i] = (float)(i % 7 + 1) * 1e10f;
    train_soundly(m, x, NULL, 0); /* its file loads */
    ae_model_free(m);
  }
}

/* A divergence at the very first step learnt nothing: the model is as it
 * was, its Adam state too though the call asked for SGD, and its file and
 * statistics are the same (the call count, which keys the random streams,
 * did not move either). */
static void test_divergence_at_first_step(void **state) {
  (void)state;
  for (size_t s = 0; s < N_SPECS; s++) {
    ae_model *m = create(SPECS[s]);
    float x[N * D];
    tu_fill_uniform(x, N * D, 0.0f, 1.0f, 3);
    assert_ok(ae_train(m, x, N, D, NULL, 0));
    double loss_before = NAN, loss_after = NAN;
    assert_ok(ae_train_stat(m, AE_STAT_LOSS, &loss_before));
    assert_ok(ae_set_option(m, AE_OPT_OPTIMIZER, AE_OPTIMIZER_SGD));
    tu_snapshot before = tu_take_snapshot(m);
    float t[N * D];
    fill(t, N * D, 1e30f); /* an MSE of 1e60: Inf in float at once */
    assert_status(ae_train(m, x, N, D, t, D), AE_ERR_DIVERGED);
    tu_assert_snapshot(m, &before);
    assert_ok(ae_train_stat(m, AE_STAT_LOSS, &loss_after));
    assert_true(loss_after == loss_before);
    tu_snapshot_free(&before);
    ae_model_free(m);
    /* and a model never trained: no optimizer state to begin with */
    m = create(SPECS[s]);
    before = tu_take_snapshot(m);
    assert_status(ae_train(m, x, N, D, t, D), AE_ERR_DIVERGED);
    tu_assert_snapshot(m, &before);
    tu_snapshot_free(&before);
    ae_model_free(m);
  }
}

/* ---- tiny values and denormals: ordinary training ---- */

static void test_tiny_values(void **state) {
  (void)state;
  const float values[] = {1e-38f, -1e-38f, 1e-40f /* denormal */, 1e-45f /* the smallest */};
  for (size_t s = 0; s < N_SPECS; s++) {
    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
      ae_model *m = create(SPECS[s]);
      float x[N * D];
      fill(x, N * D, values[v]);
      assert_ok(ae_train(m, x, N, D, NULL, 0));
      assert_sound(m);
      /* mixed with ordinary values too */
      tu_fill_uniform(x, N * D, 0.0f, 1.0f, 3);
      for (int64_t i = 0; i < N * D; i += 3) x[i] = values[v];
      assert_ok(ae_train(m, x, N, D, NULL, 0));
      assert_sound(m);
      ae_model_free(m);
    }
  }
}

/* Standardisation by a tiny scale: accepted when > 0, and the model stays
 * sound; 0 and negative scales are refused. */
static void test_tiny_scale(void **state) {
  (void)state;
  for (size_t s = 0; s < N_SPECS; s++) {
    ae_model *m = create(SPECS[s]);
    float mean[D], scale[D];
    fill(mean, D, 0.5f);
    fill(scale, D, 0.0f);
    assert_status(ae_set_input_scaling(m, mean, scale, D), AE_ERR_INVALID_ARGUMENT);
    fill(scale, D, -1.0f);
    assert_status(ae_set_input_scaling(m, mean, scale, D), AE_ERR_INVALID_ARGUMENT);
    fill(scale, D, 1e-30f);
    assert_ok(ae_set_input_scaling(m, mean, scale, D));
    float x[N * D];
    tu_fill_uniform(x, N * D, 0.0f, 1.0f, 4);
    train_soundly(m, x, NULL, 0);
    ae_model_free(m);
  }
}

/* ---- constant data ---- */

static void test_constant_data(void **state) {
  (void)state;
  for (size_t s = 0; s < N_SPECS; s++) {
    const float values[] = {0.0f, 0.5f, 1.0f};
    for (size_t v = 0; v < 3; v++) {
      ae_model *m = create(SPECS[s]);
      assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 20));
      assert_ok(ae_set_option(m, AE_OPT_LEARNING_RATE, 0.01));
      float x[N * D];
      fill(x, N * D, values[v]);
      assert_ok(ae_train(m, x, N, D, NULL, 0));
      assert_sound(m);
      double first, last;
      assert_ok(ae_loss_history(m, 1, &first, NULL));
      assert_ok(ae_loss_history(m, 20, &last, NULL));
      assert_true(isfinite(first) && isfinite(last));
      assert_true(last <= first); /* a constant is easy to learn */
      /* BCE on targets exactly 0 or 1 */
      assert_ok(ae_set_option(m, AE_OPT_LOSS, AE_LOSS_BCE));
      assert_ok(ae_train(m, x, N, D, NULL, 0));
      assert_sound(m);
      ae_model_free(m);
    }
  }
}

/* ---- a single sample, batches larger than the data ---- */

static void test_small_data(void **state) {
  (void)state;
  for (size_t s = 0; s < N_SPECS; s++) {
    float x[N * D];
    tu_fill_uniform(x, N * D, 0.0f, 1.0f, 6);
    /* one row: trains; a validation split cannot hold out a row */
    ae_model *m = create(SPECS[s]);
    assert_ok(ae_train(m, x, 1, D, NULL, 0));
    assert_sound(m);
    assert_ok(ae_set_option(m, AE_OPT_VALIDATION_SPLIT, 0.5));
    assert_status(ae_train(m, x, 1, D, NULL, 0), AE_ERR_INVALID_ARGUMENT);
    /* two rows, half held out: one training row */
    assert_ok(ae_train(m, x, 2, D, NULL, 0));
    assert_sound(m);
    ae_model_free(m);
    /* a batch far larger than the data is the data: bit-identical */
    ae_model *a = create(SPECS[s]), *b = create(SPECS[s]);
    assert_ok(ae_set_option(a, AE_OPT_BATCH_SIZE, 1048576));
    assert_ok(ae_set_option(b, AE_OPT_BATCH_SIZE, 5));
    assert_ok(ae_train(a, x, 5, D, NULL, 0));
    assert_ok(ae_train(b, x, 5, D, NULL, 0));
    tu_snapshot sa = tu_take_snapshot(a), sb = tu_take_snapshot(b);
    /* the options differ (batch size); compare what the models compute */
    float ya[5 * D], yb[5 * D];
    assert_ok(ae_reconstruct(a, x, 5, D, ya, D));
    assert_ok(ae_reconstruct(b, x, 5, D, yb, D));
    assert_memory_equal(ya, yb, sizeof ya);
    tu_snapshot_free(&sa);
    tu_snapshot_free(&sb);
    ae_model_free(a);
    ae_model_free(b);
  }
}

/* ---- the largest learning rate: diverges cleanly, or trains ---- */

static void test_huge_learning_rate(void **state) {
  (void)state;
  for (size_t s = 0; s < N_SPECS; s++) {
    for (int opt = 0; opt < 2; opt++) {
      ae_model *m = create(SPECS[s]);
      assert_ok(ae_set_option(m, AE_OPT_OPTIMIZER, opt ? AE_OPTIMIZER_ADAM : AE_OPTIMIZER_SGD));
      assert_ok(ae_set_option(m, AE_OPT_LEARNING_RATE, 10));
      assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 10));
      float x[N * D];
      tu_fill_uniform(x, N * D, -100.0f, 100.0f, 7);
      train_soundly(m, x, NULL, 0);
      /* and training may go on after a divergence, from the kept weights */
      assert_ok(ae_set_option(m, AE_OPT_LEARNING_RATE, 1e-4));
      train_soundly(m, x, NULL, 0);
      ae_model_free(m);
    }
  }
}

/* ---- sampling and the ELBO at the edges of the code distribution ---- */

static void test_vae_edges(void **state) {
  (void)state;
  for (size_t s = 0; s < N_SPECS; s++) {
    ae_model *m = create(SPECS[s]);
    if (!is_variational(m)) {
      ae_model_free(m);
      continue;
    }
    float x[N * D], y[N * D], err[N];
    /* after training on huge values (kept finite), sampling and the ELBO run
     * and give finite results on ordinary data */
    tu_fill_uniform(x, N * D, 0.0f, 1.0f, 8);
    for (int64_t i = 0; i < N * D; i += 2) x[i] = 1e30f;
    train_soundly(m, x, NULL, 1);
    assert_ok(ae_sample(m, N, 1, y, D));
    assert_true(all_finite(y, N * D));
    tu_fill_uniform(x, N * D, 0.0f, 1.0f, 9);
    assert_ok(ae_negative_elbo(m, x, N, D, 2, err));
    assert_true(all_finite(err, N));
    /* a single sample, many samples */
    assert_ok(ae_sample(m, 1, 3, y, D));
    assert_true(all_finite(y, D));
    float *many = malloc(5000 * D * sizeof(float));
    assert_non_null(many);
    assert_ok(ae_sample(m, 5000, 4, many, D));
    assert_true(all_finite(many, 5000 * D));
    free(many);
    ae_model_free(m);
  }
}

/* ---- a model file with a non-finite weight is refused ---- */

static void test_file_with_nan_weight(void **state) {
  (void)state;
  ae_model *m = create(SPECS[0]);
  tu_snapshot s = tu_take_snapshot(m);
  /* the last weight is the last 4 bytes before the CRC (no OPTM: untrained) */
  uint32_t nan_bits = 0x7fc00000u;
  size_t at = s.size - 4 - 4;
  for (int i = 0; i < 4; i++) s.bytes[at + (size_t)i] = (unsigned char)(nan_bits >> (8 * i));
  uint32_t crc = 0;
  {
    /* CRC-32 as zlib's crc32 (reflected, polynomial 0xEDB88320) */
    crc = 0xffffffffu;
    for (size_t i = 0; i < s.size - 4; i++) {
      crc ^= s.bytes[i];
      for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    crc ^= 0xffffffffu;
  }
  for (int i = 0; i < 4; i++) s.bytes[s.size - 4 + (size_t)i] = (unsigned char)(crc >> (8 * i));
  ae_model *loaded = (ae_model *)(uintptr_t)1;
  assert_status(ae_load_buffer(&loaded, s.bytes, s.size), AE_ERR_FORMAT);
  assert_null(loaded);
  assert_non_null(strstr(ae_last_error(), "NaN or Inf weight"));
  tu_snapshot_free(&s);
  ae_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nan_inf),
      cmocka_unit_test(test_huge_values),
      cmocka_unit_test(test_huge_gradients),
      cmocka_unit_test(test_divergence_at_first_step),
      cmocka_unit_test(test_tiny_values),
      cmocka_unit_test(test_tiny_scale),
      cmocka_unit_test(test_constant_data),
      cmocka_unit_test(test_small_data),
      cmocka_unit_test(test_huge_learning_rate),
      cmocka_unit_test(test_vae_edges),
      cmocka_unit_test(test_file_with_nan_weight),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
