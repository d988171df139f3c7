/* test_denoise.c -- denoising autoencoders (issue 3): the spec's `noise`
 * statement and training on (noisy, clean) pairs.
 *
 * - ae_corrupt (src/noise.c) on its own, over many values: mask sets a
 *   fraction nu to 0 and leaves the rest; gaussian adds noise of mean 0 and
 *   standard deviation sigma, and with clip stays within [lo, hi] (reaching
 *   both ends as often as a normal distribution says); salt_pepper sets a
 *   fraction nu to lo or hi, half each; one stream gives one corruption.
 * - Training: the corruption is drawn afresh for every step (the same clean
 *   rows seen twice give different losses) yet two identical trainings give
 *   bit-identical models; validation sees the clean rows.
 * - Behaviour on fixed seeds: a denoising autoencoder reconstructs masked
 *   held-out rows closer to the clean rows than a plain one of the same size;
 *   a plain model trained with ae_train on user-supplied (noisy, clean)
 *   pairs removes noise from held-out noisy rows.
 *
 * AE_DENOISE_VERBOSE=1 prints the figures measured. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ae.h"
#include "noise.h"
#include "rng.h"
#include "spec.h"
#include "synthdata.h"
#include "testutil.h"

static int verbose(void) {
  const char *v = getenv("AE_DENOISE_VERBOSE");
  return v && *v && *v != '0';
}

/* ------------------------------------------------------------------------ */
/* ae_corrupt                                                               */
/* ------------------------------------------------------------------------ */

enum { NV = 200000 }; /* values per corruption: a fraction within 0.005 */

/* NV copies of `value`, corrupted by `noise` with range [lo, hi] from the
 * stream (seed, purpose 4, index). */
static float *corrupted(ae_noise_kind kind, double level, int clip, float value, float lo,
                        float hi, uint64_t seed) {
  float *v = malloc(NV * sizeof(float));
  assert_non_null(v);
  for (int i = 0; i < NV; i++) v[i] = value;
  ae_noise_spec noise = {kind, level, clip};
  ae_rng rng = ae_rng_stream(seed, AE_RNG_NOISE, 0);
  ae_corrupt(&noise, v, NV, lo, hi, &rng);
  return v;
}

/* The share of v equal to `value`. */
static double share_equal(const float *v, float value) {
  int64_t count = 0;
  for (int i = 0; i < NV; i++) count += v[i] == value;
  return (double)count / NV;
}

static void test_corrupt_mask(void **state) {
  (void)state;
  static const double levels[] = {0.1, 0.3, 0.75};
  for (size_t k = 0; k < sizeof levels / sizeof levels[0]; k++) {
    float *v = corrupted(AE_NOISE_MASK, levels[k], 0, 0.7f, -1.0f, 2.0f, 1 + k);
    double zeros = share_equal(v, 0.0f);
    if (verbose()) fprintf(stderr, "mask %g: %.4f set to 0\n", levels[k], zeros);
    assert_true(fabs(zeros - levels[k]) < 0.005);
    assert_true(fabs(share_equal(v, 0.7f) - (1.0 - levels[k])) < 1e-12 + fabs(zeros - levels[k]));
    for (int i = 0; i < NV; i++) assert_true(v[i] == 0.0f || v[i] == 0.7f);
    free(v);
  }
}

static void test_corrupt_gaussian(void **state) {
  (void)state;
  static const double sigmas[] = {0.05, 0.2, 3.0};
  for (size_t k = 0; k < sizeof sigmas / sizeof sigmas[0]; k++) {
    float *v = corrupted(AE_NOISE_GAUSSIAN, sigmas[k], 0, 0.5f, 0.0f, 1.0f, 10 + k);
    double mean = 0.0, sq = 0.0;
    for (int i = 0; i < NV; i++) {
      double e = (double)v[i] - 0.5;
      mean += e / NV;
      sq += e * e / NV;
    }
    double sd = sqrt(sq - mean * mean);
    if (verbose()) fprintf(stderr, "gaussian %g: mean %.5f, sd %.5f\n", sigmas[k], mean, sd);
    assert_true(fabs(mean) < 0.01 * sigmas[k]);
    assert_true(fabs(sd / sigmas[k] - 1.0) < 0.01);
    /* no clipping without clip: values beyond [lo, hi] = [0, 1] occur
     * whenever sigma makes them likely */
    if (sigmas[k] >= 0.2) assert_true(share_equal(v, 0.0f) < 0.001);
    int64_t outside = 0;
    for (int i = 0; i < NV; i++) outside += v[i] < 0.0f || v[i] > 1.0f;
    if (sigmas[k] >= 0.2) assert_true(outside > NV / 100);
    free(v);
  }
  /* with clip: within [lo, hi] = [0.2, 0.8] around 0.5 with sigma 0.5, each
   * end taking P(N(0, 1) < -0.6) = 0.2743 of the values */
  float *v = corrupted(AE_NOISE_GAUSSIAN, 0.5, 1, 0.5f, 0.2f, 0.8f, 20);
  for (int i = 0; i < NV; i++) assert_true(v[i] >= 0.2f && v[i] <= 0.8f);
  double at_lo = share_equal(v, 0.2f), at_hi = share_equal(v, 0.8f);
  if (verbose()) fprintf(stderr, "gaussian clip: %.4f at lo, %.4f at hi\n", at_lo, at_hi);
  assert_true(fabs(at_lo - 0.2743) < 0.005);
  assert_true(fabs(at_hi - 0.2743) < 0.005);
  free(v);
}

static void test_corrupt_salt_pepper(void **state) {
  (void)state;
  static const double levels[] = {0.05, 0.2, 0.6};
  for (size_t k = 0; k < sizeof levels / sizeof levels[0]; k++) {
    float *v = corrupted(AE_NOISE_SALT_PEPPER, levels[k], 0, 0.5f, -1.0f, 2.0f, 30 + k);
    double pepper = share_equal(v, -1.0f), salt = share_equal(v, 2.0f);
    if (verbose()) {
      fprintf(stderr, "salt_pepper %g: %.4f at lo, %.4f at hi\n", levels[k], pepper, salt);
    }
    assert_true(fabs(pepper + salt - levels[k]) < 0.005);
    assert_true(fabs(pepper - levels[k] / 2) < 0.004);
    assert_true(fabs(salt - levels[k] / 2) < 0.004);
    for (int i = 0; i < NV; i++) assert_true(v[i] == -1.0f || v[i] == 2.0f || v[i] == 0.5f);
    free(v);
  }
}

/* One stream, one corruption; another stream, another. No noise, no change. */
static void test_corrupt_streams(void **state) {
  (void)state;
  float *a = corrupted(AE_NOISE_GAUSSIAN, 0.1, 0, 0.5f, 0.0f, 1.0f, 40);
  float *b = corrupted(AE_NOISE_GAUSSIAN, 0.1, 0, 0.5f, 0.0f, 1.0f, 40);
  float *c = corrupted(AE_NOISE_GAUSSIAN, 0.1, 0, 0.5f, 0.0f, 1.0f, 41);
  assert_memory_equal(a, b, NV * sizeof(float));
  assert_memory_not_equal(a, c, NV * sizeof(float));
  float *d = corrupted(AE_NOISE_NONE, 0.0, 0, 0.5f, 0.0f, 1.0f, 40);
  assert_true(share_equal(d, 0.5f) == 1.0);
  free(a);
  free(b);
  free(c);
  free(d);
}

/* ------------------------------------------------------------------------ */
/* Training with noise                                                      */
/* ------------------------------------------------------------------------ */

/* The running epoch loss the progress callback sees after every step. */
typedef struct loss_log {
  double loss[16];
  int n;
} loss_log;

/* With AE_OPT_PROGRESS_EVERY = 1 the callback comes once after every step
 * (the last one of an epoch at the epoch's end). */
static int log_loss(void *user, int64_t epoch, int64_t step, int64_t steps, double loss) {
  (void)epoch;
  (void)steps;
  loss_log *log = user;
  assert_true(log->n < 16 && step == log->n % 2 + 1);
  log->loss[log->n++] = loss;
  return 0;
}

/* Each step's own loss, from the running means of two steps per epoch. */
static void step_losses(const loss_log *log, double *out) {
  for (int e = 0; e < log->n / 2; e++) {
    out[2 * e] = log->loss[2 * e];
    out[2 * e + 1] = 2.0 * log->loss[2 * e + 1] - log->loss[2 * e];
  }
}

/* The corruption is drawn afresh for every step. The data are the same 32
 * rows twice, two steps an epoch of 32 rows each, in order; with a learning
 * rate of 1e-9 the weights do not move (below their float resolution), so
 * the clean model's six step losses are equal and the noisy model's all
 * differ: each step saw another corruption. */
static void test_noise_fresh_every_step(void **state) {
  (void)state;
  enum { R = 32, D = 8 };
  float x[2 * R * D];
  sd_lowrank(x, R, D, 2, 0.05f, 81, 1);
  memcpy(x + R * D, x, R * D * sizeof(float));
  static const char *const specs[2] = {"input 8; noise mask 0.3; code 4 tanh; dense 8 linear",
                                       "input 8; code 4 tanh; dense 8 linear"};
  for (int k = 0; k < 2; k++) {
    ae_model *m = NULL;
    assert_ok(ae_model_create(&m, specs[k], 5));
    assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 3));
    assert_ok(ae_set_option(m, AE_OPT_BATCH_SIZE, R));
    assert_ok(ae_set_option(m, AE_OPT_SHUFFLE, 0));
    assert_ok(ae_set_option(m, AE_OPT_OPTIMIZER, AE_OPTIMIZER_SGD));
    assert_ok(ae_set_option(m, AE_OPT_MOMENTUM, 0));
    assert_ok(ae_set_option(m, AE_OPT_LEARNING_RATE, 1e-9));
    assert_ok(ae_set_option(m, AE_OPT_PROGRESS_EVERY, 1));
    loss_log log = {{0}, 0};
    assert_ok(ae_set_progress(m, log_loss, &log));
    assert_ok(ae_train(m, x, 2 * R, D, NULL, 0));
    assert_int_equal(log.n, 6);
    double steps[6];
    step_losses(&log, steps);
    for (int i = 0; i < 6; i++) {
      if (verbose()) fprintf(stderr, "%s: step %d loss %.9g\n", specs[k], i + 1, steps[i]);
      for (int j = 0; j < i; j++) {
        double rel = fabs(steps[i] / steps[j] - 1.0);
        if (k == 0) assert_true(rel > 1e-4);
        if (k == 1) assert_true(rel < 1e-6);
      }
    }
    ae_model_free(m);
  }
}

/* The training and held-out data of the behaviour tests: offsets in
 * [0.3, 0.7] and rank-4 structure, so masking a value to 0 is a clear
 * corruption. */
enum { BN = 512, BH = 256, BD = 16 };

static sd_data behaviour_data(void) { return sd_data_make(BN, BH, BD, 4, 0.03f, 91); }

/* Two identical trainings of a denoising model give bit-identical models
 * (weights, optimizer state, history); another seed gives another model;
 * and validation measures the clean rows: with every row the same and the
 * weights kept still, the validation loss is that row's ae_score while the
 * training loss, on masked copies, differs. */
static void test_noise_reproducible_and_clean_validation(void **state) {
  (void)state;
  sd_data data = behaviour_data();
  static const char *const specs[] = {
      "input 16; noise mask 0.25; dense 12 tanh; code 6 tanh; mirror linear",
      "input 16; noise gaussian 0.1 clip; code 6 tanh; dense 16 linear",
      "input 16; noise salt_pepper 0.1; code 6 tanh; dense 16 linear",
  };
  for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
    ae_model *a = sd_train(specs[s], 3, data.train, NULL, BN, BD, 3, 1e-2);
    ae_model *b = sd_train(specs[s], 3, data.train, NULL, BN, BD, 3, 1e-2);
    ae_model *c = sd_train(specs[s], 4, data.train, NULL, BN, BD, 3, 1e-2);
    tu_snapshot sa = tu_take_snapshot(a), sb = tu_take_snapshot(b), sc = tu_take_snapshot(c);
    assert_true(tu_same_snapshot(&sa, &sb));
    assert_false(tu_same_snapshot(&sa, &sc));
    tu_snapshot_free(&sa);
    tu_snapshot_free(&sb);
    tu_snapshot_free(&sc);
    ae_model_free(a);
    ae_model_free(b);
    ae_model_free(c);
  }

  enum { R = 40 };
  float same[R * BD];
  for (int r = 0; r < R; r++) memcpy(same + r * BD, data.held_out, BD * sizeof(float));
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, "input 16; noise mask 0.5; code 6 tanh; dense 16 linear", 6));
  float row_score = NAN;
  assert_ok(ae_score(m, same, 1, BD, &row_score));
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 1));
  assert_ok(ae_set_option(m, AE_OPT_VALIDATION_SPLIT, 0.25));
  assert_ok(ae_set_option(m, AE_OPT_OPTIMIZER, AE_OPTIMIZER_SGD));
  assert_ok(ae_set_option(m, AE_OPT_LEARNING_RATE, 1e-9));
  assert_ok(ae_train(m, same, R, BD, NULL, 0));
  double validation = NAN, training = NAN;
  assert_ok(ae_train_stat(m, AE_STAT_VALIDATION_LOSS, &validation));
  assert_ok(ae_train_stat(m, AE_STAT_RECONSTRUCTION, &training));
  if (verbose()) {
    fprintf(stderr, "clean row score %.7g, validation %.7g, training (masked) %.7g\n",
            (double)row_score, validation, training);
  }
  assert_true(fabs(validation / row_score - 1.0) < 1e-5);
  assert_true(fabs(training / validation - 1.0) > 0.05);
  ae_model_free(m);
  sd_data_free(&data);
}

/* A denoising autoencoder (noise mask 0.25) reconstructs held-out rows with a
 * quarter of their values masked (by this test's own draw) much closer to
 * the clean rows than the same model trained without noise, which has
 * learnt to copy its input, masked values and all. Both reconstruct clean
 * rows well. */
static void test_denoising_beats_plain(void **state) {
  (void)state;
  sd_data data = behaviour_data();
  const float *h = data.held_out;
  float *masked = malloc(BH * BD * sizeof(float)), *out = malloc(BH * BD * sizeof(float));
  float *u = malloc(BH * BD * sizeof(float));
  assert_true(masked && out && u);
  tu_fill_uniform(u, BH * BD, 0.0f, 1.0f, 92);
  for (int i = 0; i < BH * BD; i++) masked[i] = u[i] < 0.25f ? 0.0f : h[i];
  static const char *const specs[2] = {
      "input 16; noise mask 0.25; dense 32 tanh; code 16 tanh; mirror linear",
      "input 16; dense 32 tanh; code 16 tanh; mirror linear"};
  double on_masked[2], on_clean[2];
  for (int k = 0; k < 2; k++) {
    ae_model *m = sd_train(specs[k], 7, data.train, NULL, BN, BD, 100, 1e-2);
    assert_ok(ae_reconstruct(m, masked, BH, BD, out, BD));
    on_masked[k] = sd_mse(out, h, BH * BD);
    assert_ok(ae_reconstruct(m, h, BH, BD, out, BD));
    on_clean[k] = sd_mse(out, h, BH * BD);
    if (verbose()) {
      fprintf(stderr, "%s: masked rows %.5f, clean rows %.5f (the masked input itself %.5f)\n",
              specs[k], on_masked[k], on_clean[k], sd_mse(masked, h, BH * BD));
    }
    ae_model_free(m);
  }
  assert_true(on_masked[0] < 0.3 * on_masked[1]);
  assert_true(on_masked[0] < 0.2 * sd_mse(masked, h, BH * BD));
  assert_true(on_clean[0] < 0.01 && on_clean[1] < 0.01);
  sd_data_free(&data);
  free(masked);
  free(out);
  free(u);
}

/* ae_train on user-supplied (noisy, clean) pairs: a plain model trained to
 * map noisy rows (Gaussian noise drawn here) to their clean rows brings
 * held-out noisy rows (fresh noise) closer to their clean rows than they
 * were, and closer than a model trained to reproduce the noisy rows. */
static void test_noisy_clean_pairs(void **state) {
  (void)state;
  sd_data data = behaviour_data();
  const float *x = data.train, *h = data.held_out;
  float *xn = malloc(BN * BD * sizeof(float)), *hn = malloc(BH * BD * sizeof(float));
  float *out = malloc(BH * BD * sizeof(float));
  assert_true(xn && hn && out);
  ae_rng rng = ae_rng_stream(93, 1, 0);
  for (int i = 0; i < BN * BD; i++) xn[i] = x[i] + 0.15f * ae_rng_normal(&rng);
  for (int i = 0; i < BH * BD; i++) hn[i] = h[i] + 0.15f * ae_rng_normal(&rng);
  const char *spec = "input 16; dense 32 tanh; code 16 tanh; mirror linear";
  ae_model *pairs = sd_train(spec, 8, xn, x, BN, BD, 40, 1e-2);
  ae_model *plain = sd_train(spec, 8, xn, NULL, BN, BD, 40, 1e-2);
  double noisy = sd_mse(hn, h, BH * BD);
  assert_ok(ae_reconstruct(pairs, hn, BH, BD, out, BD));
  double denoised = sd_mse(out, h, BH * BD);
  assert_ok(ae_reconstruct(plain, hn, BH, BD, out, BD));
  double copied = sd_mse(out, h, BH * BD);
  if (verbose()) {
    fprintf(stderr, "pairs: noisy rows %.5f from clean, denoised %.5f, plain model %.5f\n", noisy,
            denoised, copied);
  }
  assert_true(denoised < 0.3 * noisy);
  assert_true(denoised < 0.5 * copied);
  ae_model_free(pairs);
  ae_model_free(plain);
  sd_data_free(&data);
  free(xn);
  free(hn);
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_corrupt_mask),
      cmocka_unit_test(test_corrupt_gaussian),
      cmocka_unit_test(test_corrupt_salt_pepper),
      cmocka_unit_test(test_corrupt_streams),
      cmocka_unit_test(test_noise_fresh_every_step),
      cmocka_unit_test(test_noise_reproducible_and_clean_validation),
      cmocka_unit_test(test_denoising_beats_plain),
      cmocka_unit_test(test_noisy_clean_pairs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
