/* test_scaling_history.c -- the loss history (ae_loss_history) and the input
 * standardisation (ae_set_input_scaling, ae_get_input_scaling) as include/ae.h
 * documents them: one history entry per finished epoch over every ae_train
 * call, equal to what the progress callback and ae_train_stat reported; a
 * standardised model computes exactly what an unstandardised one computes on
 * inputs standardised by hand, with targets and scores in the data's units;
 * every failing setter leaves the model as it was. (The file format of both is
 * tested in test_model_file.c, their allocations in test_alloc.c.) */
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
#include "model.h" /* ae_model_acquire_read: to hold the model as inference does */
#include "testutil.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

#define SPEC8 "input 8; dense 6 tanh; code 3 linear; mirror linear"

static float *alloc_floats(int64_t n) {
  float *v = malloc((size_t)n * sizeof(float));
  assert_non_null(v);
  return v;
}

/* Rows near a `rank`-dimensional subspace: column j is about
 * offset[j] + spread[j] * s with s of mean 0 and a spread of about 0.25. */
static float *low_rank_data(int64_t n, int64_t cols, int64_t rank, const float *offset,
                            const float *spread, uint64_t seed) {
  float *z = alloc_floats(n * rank), *a = alloc_floats(rank * cols), *x = alloc_floats(n * cols);
  tu_fill_uniform(z, n * rank, -1.0f, 1.0f, seed);
  tu_fill_uniform(a, rank * cols, -1.0f, 1.0f, seed + 1);
  for (int64_t i = 0; i < n; i++) {
    for (int64_t j = 0; j < cols; j++) {
      float s = 0.0f;
      for (int64_t k = 0; k < rank; k++) s += z[i * rank + k] * a[k * cols + j];
      x[i * cols + j] = offset[j] + spread[j] * s / (float)rank;
    }
  }
  free(z);
  free(a);
  return x;
}

/* Data in about [0.25, 0.75]. */
static float *unit_data(int64_t n, int64_t cols, uint64_t seed) {
  float offset[64], spread[64];
  assert_true(cols <= 64);
  for (int64_t j = 0; j < cols; j++) {
    offset[j] = 0.5f;
    spread[j] = 0.5f;
  }
  return low_rank_data(n, cols, 3, offset, spread, seed);
}



static double history_train(const ae_model *m, int64_t epoch) {
  double t = -12345.0;
  assert_ok(ae_loss_history(m, epoch, &t, NULL));
  return t;
}

static double history_validation(const ae_model *m, int64_t epoch) {
  double v = -12345.0;
  assert_ok(ae_loss_history(m, epoch, NULL, &v));
  return v;
}

/* Mean squared error of the model's reconstruction of x against x, in
 * double: the loss in the data's own units. */
static double reconstruction_mse(const ae_model *m, const float *x, int64_t n, int64_t cols) {
  float *y = alloc_floats(n * cols);
  assert_ok(ae_reconstruct(m, x, n, cols, y, cols));
  double sum = 0.0;
  for (int64_t i = 0; i < n * cols; i++) sum += ((double)y[i] - x[i]) * ((double)y[i] - x[i]);
  free(y);
  return sum / (double)(n * cols);
}

/* Every call of the progress callback, and what the model said during it. */
typedef struct call {
  int64_t epoch, step, steps;
  double loss;
  double val_stat;        /* AE_STAT_VALIDATION_LOSS */
  int64_t epochs_trained; /* ae_epochs_trained */
  ae_status history_st;   /* ae_loss_history of the last finished epoch */
  double history_train, history_val;
} call;

typedef struct recorder {
  ae_model *model;
  call calls[1024];
  int n;
  int stop_at_call; /* 1-based; 0 = never stop */
} recorder;

static int record(void *user_data, int64_t epoch, int64_t step, int64_t steps, double loss) {
  recorder *r = user_data;
  assert_true(r->n < 1024);
  call *c = &r->calls[r->n++];
  c->epoch = epoch;
  c->step = step;
  c->steps = steps;
  c->loss = loss;
  assert_ok(ae_train_stat(r->model, AE_STAT_VALIDATION_LOSS, &c->val_stat));
  c->epochs_trained = ae_epochs_trained(r->model);
  c->history_train = c->history_val = -12345.0;
  c->history_st = ae_loss_history(r->model, c->epochs_trained, &c->history_train,
                                  &c->history_val);
  return r->stop_at_call > 0 && r->n == r->stop_at_call;
}

static recorder *new_recorder(ae_model *m) {
  recorder *r = calloc(1, sizeof *r);
  assert_non_null(r);
  r->model = m;
  assert_ok(ae_set_progress(m, record, r));
  return r;
}

/* The training losses the callback saw at epoch ends, appended to *out. */
static void epoch_end_losses(const recorder *r, double *out, int64_t *count) {
  for (int i = 0; i < r->n; i++) {
    if (r->calls[i].step == r->calls[i].steps) out[(*count)++] = r->calls[i].loss;
  }
}

/* ------------------------------------------------------------------------ */
/* Loss history                                                             */
/* ------------------------------------------------------------------------ */

/* One entry per finished epoch over several calls (of different lengths),
 * each equal to the loss the callback was given at that epoch's end, the
 * validation loss NaN without a split. */
static void test_history_over_calls(void **state) {
  (void)state;
  const int64_t n = 64;
  float *x = unit_data(n, 8, 3);
  ae_model *m = tu_create(SPEC8, 4);
  tu_set(m, AE_OPT_BATCH_SIZE, 16);
  tu_set(m, AE_OPT_LEARNING_RATE, 0.01);
  tu_set(m, AE_OPT_PROGRESS_EVERY, 1); /* mid-epoch calls too */
  assert_status(ae_loss_history(m, 1, NULL, NULL), AE_ERR_INVALID_ARGUMENT);

  double seen[64];
  int64_t seen_n = 0;
  const int epochs_per_call[] = {3, 1, 5, 2};
  int64_t total = 0;
  for (int k = 0; k < 4; k++) {
    recorder *r = new_recorder(m);
    tu_set(m, AE_OPT_EPOCHS, epochs_per_call[k]);
    assert_ok(ae_train(m, x, n, 8, NULL, 0));
    total += epochs_per_call[k];
    assert_int_equal(ae_epochs_trained(m), total);
    assert_int_equal(r->n, epochs_per_call[k] * 4); /* 4 steps an epoch */
    epoch_end_losses(r, seen, &seen_n);
    assert_int_equal(seen_n, total);
    for (int i = 0; i < r->n; i++) {
      const call *c = &r->calls[i];
      if (c->step == c->steps) {
        /* The epoch's entry exists once its last step is done, and it is
         * the loss this very call reports. */
        assert_int_equal(c->epochs_trained, total - epochs_per_call[k] + c->epoch);
        assert_int_equal(c->history_st, AE_OK);
        assert_true(c->history_train == c->loss);
        assert_true(isnan(c->history_val));
      } else {
        /* Mid-epoch: the epoch is not in the history yet. */
        assert_int_equal(c->epochs_trained, total - epochs_per_call[k] + c->epoch - 1);
      }
    }
    /* Every entry so far, the earlier calls' included, is unchanged. */
    for (int64_t e = 1; e <= total; e++) {
      double t = -1, v = -1;
      assert_ok(ae_loss_history(m, e, &t, &v));
      assert_true(t == seen[e - 1]);
      assert_true(isfinite(t) && t > 0);
      assert_true(isnan(v));
    }
    assert_status(ae_loss_history(m, total + 1, NULL, NULL), AE_ERR_INVALID_ARGUMENT);
    assert_ok(ae_set_progress(m, NULL, NULL));
    free(r);
  }
  /* The last entry is the loss ae_train_stat reports after training, and
   * training lowered it. */
  assert_true(history_train(m, total) == tu_stat(m, AE_STAT_LOSS));
  assert_true(history_train(m, total) < history_train(m, 1));
  ae_model_free(m);
  free(x);
}

/* With a validation split the validation loss of each epoch is the one
 * AE_STAT_VALIDATION_LOSS gave at its end; the training loss stays the
 * training rows' loss. Patience ends training early, with the best weights,
 * but the history keeps every epoch that ran. */
static void test_history_validation(void **state) {
  (void)state;
  const int64_t n = 80;
  float *x = unit_data(n, 8, 5);
  ae_model *m = tu_create(SPEC8, 6);
  tu_set(m, AE_OPT_BATCH_SIZE, 8);
  tu_set(m, AE_OPT_LEARNING_RATE, 0.01);
  tu_set(m, AE_OPT_VALIDATION_SPLIT, 0.25);
  tu_set(m, AE_OPT_EPOCHS, 6);
  recorder *r = new_recorder(m);
  assert_ok(ae_train(m, x, n, 8, NULL, 0));
  assert_int_equal(ae_epochs_trained(m), 6);
  assert_int_equal(r->n, 6);
  for (int i = 0; i < 6; i++) {
    const call *c = &r->calls[i];
    assert_int_equal(c->step, c->steps);
    assert_int_equal(c->epochs_trained, i + 1);
    assert_true(isfinite(c->val_stat) && c->val_stat > 0);
    assert_true(history_train(m, i + 1) == c->loss);
    assert_true(history_validation(m, i + 1) == c->val_stat);
    /* inside the callback the entry was already complete */
    assert_int_equal(c->history_st, AE_OK);
    assert_true(c->history_train == c->loss);
    assert_true(c->history_val == c->val_stat);
  }
  assert_true(history_validation(m, 6) == tu_stat(m, AE_STAT_VALIDATION_LOSS));
  free(r);

  /* A second call without a split: NaN from there on, the first six kept. */
  double first_six[6][2];
  for (int e = 1; e <= 6; e++) assert_ok(ae_loss_history(m, e, &first_six[e - 1][0], &first_six[e - 1][1]));
  tu_set(m, AE_OPT_VALIDATION_SPLIT, 0);
  tu_set(m, AE_OPT_EPOCHS, 2);
  assert_ok(ae_set_progress(m, NULL, NULL));
  assert_ok(ae_train(m, x, n, 8, NULL, 0));
  assert_int_equal(ae_epochs_trained(m), 8);
  assert_true(isnan(history_validation(m, 7)) && isnan(history_validation(m, 8)));
  assert_true(isnan(tu_stat(m, AE_STAT_VALIDATION_LOSS)));
  for (int e = 1; e <= 6; e++) {
    double t, v;
    assert_ok(ae_loss_history(m, e, &t, &v));
    assert_memory_equal(&t, &first_six[e - 1][0], sizeof t);
    assert_memory_equal(&v, &first_six[e - 1][1], sizeof v);
  }

  /* Patience: a learning rate so high that validation stops improving. */
  ae_model *p = tu_create(SPEC8, 7);
  tu_set(p, AE_OPT_BATCH_SIZE, 8);
  tu_set(p, AE_OPT_LEARNING_RATE, 0.5);
  tu_set(p, AE_OPT_VALIDATION_SPLIT, 0.25);
  tu_set(p, AE_OPT_PATIENCE, 2);
  tu_set(p, AE_OPT_EPOCHS, 200);
  r = new_recorder(p);
  assert_ok(ae_train(p, x, n, 8, NULL, 0));
  int64_t ran = ae_epochs_trained(p);
  assert_true(ran < 200);
  assert_int_equal(r->n, ran);
  int64_t best = (int64_t)tu_stat(p, AE_STAT_BEST_EPOCH);
  assert_int_equal(ran - best, 2);
  double best_val = INFINITY;
  int64_t best_at = 0;
  for (int64_t e = 1; e <= ran; e++) {
    assert_true(history_validation(p, e) == r->calls[e - 1].val_stat);
    if (history_validation(p, e) < best_val) {
      best_val = history_validation(p, e);
      best_at = e;
    }
  }
  assert_int_equal(best_at, best);
  free(r);
  ae_model_free(p);
  ae_model_free(m);
  free(x);
}

/* Stops requested by the callback: an epoch stopped in its middle is not in
 * the history, one stopped at its end is. The next call goes on from there
 * (also when the history already has room for it). */
static void test_history_after_stops(void **state) {
  (void)state;
  const int64_t n = 64;
  float *x = unit_data(n, 8, 8);
  ae_model *m = tu_create(SPEC8, 9);
  tu_set(m, AE_OPT_BATCH_SIZE, 16);
  tu_set(m, AE_OPT_EPOCHS, 5);
  tu_set(m, AE_OPT_PROGRESS_EVERY, 1);
  recorder *r = new_recorder(m);
  r->stop_at_call = 6; /* the second epoch's second step */
  assert_ok(ae_train(m, x, n, 8, NULL, 0));
  assert_int_equal(ae_epochs_trained(m), 1);
  assert_true(history_train(m, 1) == r->calls[3].loss);
  assert_status(ae_loss_history(m, 2, NULL, NULL), AE_ERR_INVALID_ARGUMENT);

  r->n = 0;
  r->stop_at_call = 8; /* the second epoch's end */
  assert_ok(ae_train(m, x, n, 8, NULL, 0));
  assert_int_equal(ae_epochs_trained(m), 3);
  assert_true(history_train(m, 2) == r->calls[3].loss);
  assert_true(history_train(m, 3) == r->calls[7].loss);

  /* 2 epochs more fit in the room the stopped calls left */
  r->n = 0;
  r->stop_at_call = 0;
  tu_set(m, AE_OPT_EPOCHS, 2);
  assert_ok(ae_train(m, x, n, 8, NULL, 0));
  assert_int_equal(ae_epochs_trained(m), 5);
  assert_true(history_train(m, 4) == r->calls[3].loss);
  assert_true(history_train(m, 5) == r->calls[7].loss);
  free(r);
  ae_model_free(m);
  free(x);
}

/* Training that diverges keeps the entries of the epochs it finished. */
static void test_history_after_divergence(void **state) {
  (void)state;
  const int64_t n = 64;
  float *x = alloc_floats(n * 8);
  tu_fill_uniform(x, n * 8, -100.0f, 100.0f, 77);
  ae_model *m = tu_create("input 8; dense 16 relu; code 4 linear; mirror linear", 5);
  tu_set(m, AE_OPT_OPTIMIZER, AE_OPTIMIZER_SGD);
  tu_set(m, AE_OPT_LEARNING_RATE, 10);
  tu_set(m, AE_OPT_BATCH_SIZE, 8);
  tu_set(m, AE_OPT_EPOCHS, 50);
  assert_status(ae_train(m, x, n, 8, NULL, 0), AE_ERR_DIVERGED);
  int64_t done = ae_epochs_trained(m);
  assert_true(done < 50);
  for (int64_t e = 1; e <= done; e++) assert_true(isfinite(history_train(m, e)));
  assert_status(ae_loss_history(m, done + 1, NULL, NULL), AE_ERR_INVALID_ARGUMENT);
  /* and the file still holds a consistent history */
  tu_snapshot s = tu_take_snapshot(m);
  ae_model *c = NULL;
  assert_ok(ae_load_buffer(&c, s.bytes, s.size));
  assert_int_equal(ae_epochs_trained(c), done);
  for (int64_t e = 1; e <= done; e++) assert_true(history_train(c, e) == history_train(m, e));
  ae_model_free(c);
  tu_snapshot_free(&s);
  ae_model_free(m);
  free(x);
}

static void test_history_arguments(void **state) {
  (void)state;
  const int64_t n = 32;
  float *x = unit_data(n, 8, 10);
  ae_model *m = tu_create(SPEC8, 11);
  double t = 7.0, v = 7.0;
  /* untrained: no epoch is valid */
  assert_status(ae_loss_history(m, 0, &t, &v), AE_ERR_INVALID_ARGUMENT);
  assert_status(ae_loss_history(m, 1, &t, &v), AE_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(ae_last_error(), "ae_loss_history"));
  assert_non_null(strstr(ae_last_error(), "epoch"));
  tu_set(m, AE_OPT_EPOCHS, 3);
  assert_ok(ae_train(m, x, n, 8, NULL, 0));
  const int64_t bad[] = {0, -1, 4, 5, INT64_MAX, INT64_MIN};
  tu_snapshot before = tu_take_snapshot(m);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_status(ae_loss_history(m, bad[i], &t, &v), AE_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(ae_last_error(), "epoch"));
    assert_status(ae_loss_history(m, bad[i], NULL, NULL), AE_ERR_INVALID_ARGUMENT);
  }
  assert_status(ae_loss_history(NULL, 1, &t, &v), AE_ERR_NULL_ARGUMENT);
  assert_non_null(strstr(ae_last_error(), "model is NULL"));
  /* NULL for either output, or both */
  double t1 = -1, v1 = -1, t2 = -2, v2 = -2;
  assert_ok(ae_loss_history(m, 2, &t1, &v1));
  assert_ok(ae_loss_history(m, 2, &t2, NULL));
  assert_ok(ae_loss_history(m, 2, NULL, &v2));
  assert_ok(ae_loss_history(m, 2, NULL, NULL));
  assert_true(t1 == t2);
  assert_true(isnan(v1) && isnan(v2));
  assert_ok(ae_loss_history(m, 1, NULL, NULL));
  assert_ok(ae_loss_history(m, 3, NULL, NULL));
  /* reading the history changes nothing */
  tu_assert_snapshot(m, &before);
  tu_snapshot_free(&before);
  ae_model_free(m);
  free(x);
}

/* ------------------------------------------------------------------------ */
/* Input standardisation                                                    */
/* ------------------------------------------------------------------------ */

#define N_BIG 300 /* more rows than one inference chunk (256) */
#define C 8

/* Columns of widely different offsets and spreads. */
static void big_columns(float *offset, float *spread) {
  for (int j = 0; j < C; j++) {
    offset[j] = 1000.0f + 37.0f * (float)j - (j % 2 ? 2500.0f : 0.0f);
    spread[j] = 50.0f + 10.0f * (float)j;
  }
}

/* What the library does to each value, in float as it does it. */
static void standardise(const float *x, int64_t n, const float *mean, const float *scale,
                        float *out) {
  for (int64_t i = 0; i < n; i++) {
    for (int j = 0; j < C; j++) out[i * C + j] = (x[i * C + j] - mean[j]) / scale[j];
  }
}

/* Per-column mean and standard deviation of x. */
static void column_stats(const float *x, int64_t n, float *mean, float *scale) {
  for (int j = 0; j < C; j++) {
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < n; i++) s += x[i * C + j];
    double mu = s / (double)n;
    for (int64_t i = 0; i < n; i++) s2 += (x[i * C + j] - mu) * (x[i * C + j] - mu);
    mean[j] = (float)mu;
    scale[j] = (float)sqrt(s2 / (double)n);
  }
}

/* ae_score's MSE of one row as the library computes it. */
static float row_mse(const float *y, const float *t) {
  double sum = 0.0;
  for (int j = 0; j < C; j++) {
    float d = y[j] - t[j];
    sum += (double)(d * d);
  }
  return (float)(sum / (double)C);
}

/* Whether a and b are equal or neighbouring floats. */
static int within_one_ulp(float a, float b) {
  if (a == b) return 1;
  return nextafterf(a, b) == b;
}

/* A standardised model gives exactly the results of the same weights without
 * standardisation fed with x standardised by hand; ae_decode is untouched;
 * the score compares the reconstruction with the raw x. */
static void test_scaling_matches_prestandardised(void **state) {
  (void)state;
  const char *specs[] = {"input 8; dense 6 tanh; code 3 linear; mirror linear",
                         "input 8; dense 16 relu; dense 7 elu; code 2 sigmoid; mirror softplus"};
  float offset[C], spread[C];
  big_columns(offset, spread);
  float *x = low_rank_data(N_BIG, C, 3, offset, spread, 12);
  float mean[C], scale[C];
  column_stats(x, N_BIG, mean, scale);
  float *xs = alloc_floats(N_BIG * C);
  standardise(x, N_BIG, mean, scale, xs);
  float *a_out = alloc_floats(N_BIG * C), *b_out = alloc_floats(N_BIG * C);
  float *a_code = alloc_floats(N_BIG * C), *b_code = alloc_floats(N_BIG * C);
  float a_err[N_BIG], b_err[N_BIG];

  for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
    ae_model *a = tu_create(specs[k], 13); /* standardised */
    ae_model *b = tu_create(specs[k], 13); /* plain, same weights */
    assert_ok(ae_set_input_scaling(a, mean, scale, C));
    int64_t code = ae_code_size(a);

    assert_ok(ae_encode(a, x, N_BIG, C, a_code, code));
    assert_ok(ae_encode(b, xs, N_BIG, C, b_code, code));
    assert_memory_equal(a_code, b_code, (size_t)(N_BIG * code) * sizeof(float));

    assert_ok(ae_reconstruct(a, x, N_BIG, C, a_out, C));
    assert_ok(ae_reconstruct(b, xs, N_BIG, C, b_out, C));
    assert_memory_equal(a_out, b_out, (size_t)(N_BIG * C) * sizeof(float));

    /* decoding starts after the inputs: no standardisation there */
    assert_ok(ae_decode(a, a_code, N_BIG, code, a_out, C));
    assert_ok(ae_decode(b, a_code, N_BIG, code, b_out, C));
    assert_memory_equal(a_out, b_out, (size_t)(N_BIG * C) * sizeof(float));

    /* The score is the error against the raw row. */
    assert_ok(ae_reconstruct(b, xs, N_BIG, C, b_out, C));
    assert_ok(ae_score(a, x, N_BIG, C, a_err));
    assert_ok(ae_score(b, xs, N_BIG, C, b_err));
    int differs = 0;
    for (int64_t i = 0; i < N_BIG; i++) {
      float expected = row_mse(b_out + i * C, x + i * C);
      if (!within_one_ulp(a_err[i], expected)) {
        fail_msg("row %lld: score %.9g, expected %.9g", (long long)i, (double)a_err[i],
                 (double)expected);
      }
      assert_true(within_one_ulp(b_err[i], row_mse(b_out + i * C, xs + i * C)));
      differs += a_err[i] != b_err[i];
    }
    assert_int_equal(differs, N_BIG); /* raw units, not standardised ones */
    ae_model_free(a);
    ae_model_free(b);
  }
  free(a_out);
  free(b_out);
  free(a_code);
  free(b_code);
  free(xs);
  free(x);
}

/* Training a standardised model on x is training the plain model on the
 * standardised x against the raw x as target: the same weights and the same
 * history, bit for bit, with or without a validation split. */
static void test_scaling_in_training(void **state) {
  (void)state;
  float offset[C], spread[C];
  big_columns(offset, spread);
  const int64_t n = 96;
  float *x = low_rank_data(n, C, 3, offset, spread, 14);
  float mean[C], scale[C];
  column_stats(x, n, mean, scale);
  float *xs = alloc_floats(n * C);
  standardise(x, n, mean, scale, xs);
  for (int split = 0; split < 2; split++) {
    ae_model *a = tu_create(SPEC8, 15), *b = tu_create(SPEC8, 15);
    assert_ok(ae_set_input_scaling(a, mean, scale, C));
    ae_model *both[2] = {a, b};
    for (int i = 0; i < 2; i++) {
      tu_set(both[i], AE_OPT_EPOCHS, 3);
      tu_set(both[i], AE_OPT_BATCH_SIZE, 16);
      tu_set(both[i], AE_OPT_LEARNING_RATE, 0.05);
      tu_set(both[i], AE_OPT_VALIDATION_SPLIT, split ? 0.25 : 0.0);
    }
    assert_ok(ae_train(a, x, n, C, NULL, 0));
    assert_ok(ae_train(b, xs, n, C, x, C));
    for (int64_t e = 1; e <= 3; e++) {
      double ta, va, tb, vb;
      assert_ok(ae_loss_history(a, e, &ta, &va));
      assert_ok(ae_loss_history(b, e, &tb, &vb));
      assert_memory_equal(&ta, &tb, sizeof ta);
      assert_memory_equal(&va, &vb, sizeof va);
      assert_true(split ? isfinite(va) : isnan(va));
    }
    float *ya = alloc_floats(n * C), *yb = alloc_floats(n * C);
    assert_ok(ae_reconstruct(a, x, n, C, ya, C));
    assert_ok(ae_reconstruct(b, xs, n, C, yb, C));
    assert_memory_equal(ya, yb, (size_t)(n * C) * sizeof(float));
    /* the decoders hold the same weights */
    float code[3 * 4] = {0.5f, -1.0f, 2.0f, 0.0f, 0.0f, 0.0f, -3.0f, 1.0f, 0.25f, 7.0f, -7.0f, 1.0f};
    assert_ok(ae_decode(a, code, 4, 3, ya, C));
    assert_ok(ae_decode(b, code, 4, 3, yb, C));
    assert_memory_equal(ya, yb, (size_t)(4 * C) * sizeof(float));
    free(ya);
    free(yb);
    ae_model_free(a);
    ae_model_free(b);
  }
  free(xs);
  free(x);
}

/* Trains `spec` on x, standardised or not, with Adam at a falling learning
 * rate; returns the final reconstruction error in the data's units. */
static double train_big(const char *spec, const float *x, int64_t n, const float *mean,
                        const float *scale) {
  ae_model *m = tu_create(spec, 17);
  if (mean) assert_ok(ae_set_input_scaling(m, mean, scale, C));
  tu_set(m, AE_OPT_BATCH_SIZE, 32);
  /* The outputs stay raw, so either way the last layer must learn biases of
   * about +-1000 first: a high rate gets there, lower ones settle. */
  const double rates[] = {0.3, 0.03, 0.003};
  for (int s = 0; s < 3; s++) {
    tu_set(m, AE_OPT_LEARNING_RATE, rates[s]);
    tu_set(m, AE_OPT_EPOCHS, 200);
    assert_ok(ae_train(m, x, n, C, NULL, 0));
  }
  double mse = reconstruction_mse(m, x, n, C);
  /* the history's last training loss is about that error */
  double last = history_train(m, ae_epochs_trained(m));
  assert_true(fabs(last - mse) <= 0.5 * mse + 1e-6);
  ae_model_free(m);
  return mse;
}

/* On columns far from 0 (about +-1000, each of its own spread) standardising
 * the inputs makes training converge: a linear autoencoder with room for the
 * data's rank-2 structure reconstructs it almost exactly with it and stays
 * far off without it (the problem is badly conditioned), and a tanh encoder
 * without it saturates and learns no more than the column means. */
static void test_scaling_helps_training(void **state) {
  (void)state;
  float offset[C], spread[C];
  big_columns(offset, spread);
  const int64_t n = 256;
  float *x = low_rank_data(n, C, 2, offset, spread, 16);
  float mean[C], scale[C];
  column_stats(x, n, mean, scale);
  double variance = 0; /* the loss of predicting every column's mean */
  for (int j = 0; j < C; j++) variance += (double)scale[j] * scale[j] / C;

  const char *linear = "input 8; code 4 linear; dense 8 linear";
  double plain = train_big(linear, x, n, NULL, NULL);
  double scaled = train_big(linear, x, n, mean, scale);
  if (!(scaled < 1e-5 * variance && scaled < 1e-3 * plain)) {
    fail_msg("linear: error %g standardised, %g plain, variance %g", scaled, plain, variance);
  }

  const char *tanh_encoder = "input 8; dense 16 tanh; code 4 linear; dense 8 linear";
  plain = train_big(tanh_encoder, x, n, NULL, NULL);
  scaled = train_big(tanh_encoder, x, n, mean, scale);
  if (!(plain > 0.95 * variance && scaled < 0.25 * plain)) {
    fail_msg("tanh: error %g standardised, %g plain, variance %g", scaled, plain, variance);
  }
  free(x);
}

/* Fills mean and scale with valid values for C columns. */
static void valid_scaling(float *mean, float *scale) {
  for (int j = 0; j < C; j++) {
    mean[j] = 0.5f - 0.1f * (float)j;
    scale[j] = 0.25f + 0.5f * (float)j;
  }
}

/* Runs `expr` on model `m`: it must fail with `status` and a message naming
 * the setter and containing `needle`, and leave the model exactly as it
 * was. */
#define EXPECT_SETTER_FAIL(m, expr, status, needle)                       \
  do {                                                                    \
    tu_snapshot before_ = tu_take_snapshot(m);                            \
    assert_status(expr, status);                                          \
    assert_non_null(strstr(ae_last_error(), "ae_set_input_scaling: "));   \
    assert_non_null(strstr(ae_last_error(), needle));                     \
    tu_assert_snapshot(m, &before_);                                      \
    tu_snapshot_free(&before_);                                           \
  } while (0)

static void setter_errors_on(ae_model *m) {
  float mean[C], scale[C];
  valid_scaling(mean, scale);
  float got_mean[C], got_scale[C], kept_mean[C], kept_scale[C];
  assert_ok(ae_get_input_scaling(m, kept_mean, kept_scale, C));

  /* one of the two NULL */
  EXPECT_SETTER_FAIL(m, ae_set_input_scaling(m, NULL, scale, C), AE_ERR_NULL_ARGUMENT,
                     "mean is NULL");
  EXPECT_SETTER_FAIL(m, ae_set_input_scaling(m, mean, NULL, C), AE_ERR_NULL_ARGUMENT,
                     "scale is NULL");
  /* a width other than the input's */
  const int64_t widths[] = {C - 1, C + 1, 0, -1, INT64_MAX, INT64_MIN};
  for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
    EXPECT_SETTER_FAIL(m, ae_set_input_scaling(m, mean, scale, widths[i]), AE_ERR_SHAPE, "columns");
  }
  /* a scale that is not > 0, in any column */
  const float not_positive[] = {0.0f, -0.0f, -1.0f, -FLT_TRUE_MIN, -FLT_MAX};
  for (size_t i = 0; i < sizeof not_positive / sizeof not_positive[0]; i++) {
    for (int j = 0; j < C; j += C - 1) {
      valid_scaling(mean, scale);
      scale[j] = not_positive[i];
      EXPECT_SETTER_FAIL(m, ae_set_input_scaling(m, mean, scale, C), AE_ERR_INVALID_ARGUMENT,
                         "must be > 0");
    }
  }
  /* NaN or Inf in either */
  const float nonfinite[] = {NAN, -NAN, INFINITY, -INFINITY};
  for (size_t i = 0; i < sizeof nonfinite / sizeof nonfinite[0]; i++) {
    for (int j = 0; j < C; j += C - 1) {
      valid_scaling(mean, scale);
      mean[j] = nonfinite[i];
      EXPECT_SETTER_FAIL(m, ae_set_input_scaling(m, mean, scale, C), AE_ERR_NONFINITE_INPUT,
                         "mean[");
      valid_scaling(mean, scale);
      scale[j] = nonfinite[i];
      EXPECT_SETTER_FAIL(m, ae_set_input_scaling(m, mean, scale, C), AE_ERR_NONFINITE_INPUT,
                         "scale[");
    }
  }
  /* the standardisation in force is still the one from before */
  assert_ok(ae_get_input_scaling(m, got_mean, got_scale, C));
  assert_memory_equal(got_mean, kept_mean, sizeof got_mean);
  assert_memory_equal(got_scale, kept_scale, sizeof got_scale);
}

static void test_scaling_setter_errors(void **state) {
  (void)state;
  float mean[C], scale[C];
  valid_scaling(mean, scale);
  assert_status(ae_set_input_scaling(NULL, mean, scale, C), AE_ERR_NULL_ARGUMENT);
  assert_status(ae_set_input_scaling(NULL, NULL, NULL, 0), AE_ERR_NULL_ARGUMENT);

  /* on a model without a standardisation, and on one with one */
  ae_model *m = tu_create(SPEC8, 18);
  setter_errors_on(m);
  float other_mean[C], other_scale[C];
  for (int j = 0; j < C; j++) {
    other_mean[j] = 100.0f * (float)j;
    other_scale[j] = 3.0f;
  }
  assert_ok(ae_set_input_scaling(m, other_mean, other_scale, C));
  setter_errors_on(m);

  /* the getter's own errors */
  float got_mean[C], got_scale[C];
  assert_status(ae_get_input_scaling(NULL, got_mean, got_scale, C), AE_ERR_NULL_ARGUMENT);
  assert_status(ae_get_input_scaling(m, NULL, got_scale, C), AE_ERR_NULL_ARGUMENT);
  assert_status(ae_get_input_scaling(m, got_mean, NULL, C), AE_ERR_NULL_ARGUMENT);
  assert_status(ae_get_input_scaling(m, NULL, NULL, C), AE_ERR_NULL_ARGUMENT);
  assert_status(ae_get_input_scaling(m, got_mean, got_scale, C - 1), AE_ERR_SHAPE);
  assert_status(ae_get_input_scaling(m, got_mean, got_scale, C + 1), AE_ERR_SHAPE);
  assert_status(ae_get_input_scaling(m, got_mean, got_scale, 0), AE_ERR_SHAPE);

  /* extreme valid values are accepted as they are */
  for (int j = 0; j < C; j++) {
    mean[j] = j % 2 ? FLT_MAX : -FLT_MAX;
    scale[j] = j % 2 ? FLT_MAX : FLT_TRUE_MIN;
  }
  assert_ok(ae_set_input_scaling(m, mean, scale, C));
  assert_ok(ae_get_input_scaling(m, got_mean, got_scale, C));
  assert_memory_equal(got_mean, mean, sizeof mean);
  assert_memory_equal(got_scale, scale, sizeof scale);
  ae_model_free(m);
}

/* While inference holds the model the setter is refused. The read hold is
 * taken directly, as a running ae_encode would. */
static void test_scaling_busy_during_inference(void **state) {
  (void)state;
  ae_model *m = tu_create(SPEC8, 19);
  float mean[C], scale[C];
  valid_scaling(mean, scale);
  assert_ok(ae_model_acquire_read(m, "test"));
  tu_snapshot before = tu_take_snapshot(m); /* a second reader */
  assert_status(ae_set_input_scaling(m, mean, scale, C), AE_ERR_BUSY);
  assert_non_null(strstr(ae_last_error(), "ae_set_input_scaling: the model is in use by inference"));
  assert_status(ae_set_input_scaling(m, NULL, NULL, 0), AE_ERR_BUSY);
  ae_model_release_read(m);
  tu_assert_snapshot(m, &before);
  tu_snapshot_free(&before);
  assert_ok(ae_set_input_scaling(m, mean, scale, C));
  ae_model_free(m);
}

/* Setting copies the values; getting without a standardisation gives 0 and
 * 1; removing it (NULL, NULL) gives back the plain model, bytes and
 * results, and removing none is a no-op. */
static void test_scaling_set_get_remove(void **state) {
  (void)state;
  float offset[C], spread[C];
  big_columns(offset, spread);
  float *x = low_rank_data(N_BIG, C, 3, offset, spread, 20);
  ae_model *m = tu_create(SPEC8, 21), *plain = tu_create(SPEC8, 21);
  tu_snapshot plain_bytes = tu_take_snapshot(plain);

  float got_mean[C], got_scale[C];
  memset(got_mean, 0xff, sizeof got_mean);
  memset(got_scale, 0xff, sizeof got_scale);
  assert_ok(ae_get_input_scaling(m, got_mean, got_scale, C));
  for (int j = 0; j < C; j++) {
    assert_true(got_mean[j] == 0.0f && !signbit(got_mean[j]));
    assert_true(got_scale[j] == 1.0f);
  }
  /* removing when there is none */
  assert_ok(ae_set_input_scaling(m, NULL, NULL, 0));
  assert_ok(ae_set_input_scaling(m, NULL, NULL, C));
  tu_assert_snapshot(m, &plain_bytes);

  /* the values are copied, not kept */
  float mean[C], scale[C];
  column_stats(x, N_BIG, mean, scale);
  float mean_copy[C], scale_copy[C];
  memcpy(mean_copy, mean, sizeof mean);
  memcpy(scale_copy, scale, sizeof scale);
  assert_ok(ae_set_input_scaling(m, mean, scale, C));
  for (int j = 0; j < C; j++) {
    mean[j] = -1.0f;
    scale[j] = 1e9f;
  }
  assert_ok(ae_get_input_scaling(m, got_mean, got_scale, C));
  assert_memory_equal(got_mean, mean_copy, sizeof got_mean);
  assert_memory_equal(got_scale, scale_copy, sizeof got_scale);

  float *ym = alloc_floats(N_BIG * C), *yp = alloc_floats(N_BIG * C);
  float em[N_BIG], ep[N_BIG];
  assert_ok(ae_reconstruct(m, x, N_BIG, C, ym, C));
  assert_ok(ae_reconstruct(plain, x, N_BIG, C, yp, C));
  assert_true(memcmp(ym, yp, (size_t)(N_BIG * C) * sizeof(float)) != 0);
  /* setting again replaces (here with the same values: same results) */
  assert_ok(ae_set_input_scaling(m, mean_copy, scale_copy, C));
  float *again = alloc_floats(N_BIG * C);
  assert_ok(ae_reconstruct(m, x, N_BIG, C, again, C));
  assert_memory_equal(again, ym, (size_t)(N_BIG * C) * sizeof(float));

  /* removed: the plain model again, in its bytes and its every result */
  assert_ok(ae_set_input_scaling(m, NULL, NULL, 0));
  tu_assert_snapshot(m, &plain_bytes);
  assert_ok(ae_get_input_scaling(m, got_mean, got_scale, C));
  for (int j = 0; j < C; j++) assert_true(got_mean[j] == 0.0f && got_scale[j] == 1.0f);
  float code_m[N_BIG * 3], code_p[N_BIG * 3];
  assert_ok(ae_encode(m, x, N_BIG, C, code_m, 3));
  assert_ok(ae_encode(plain, x, N_BIG, C, code_p, 3));
  assert_memory_equal(code_m, code_p, sizeof code_m);
  assert_ok(ae_reconstruct(m, x, N_BIG, C, ym, C));
  assert_memory_equal(ym, yp, (size_t)(N_BIG * C) * sizeof(float));
  assert_ok(ae_score(m, x, N_BIG, C, em));
  assert_ok(ae_score(plain, x, N_BIG, C, ep));
  assert_memory_equal(em, ep, sizeof em);
  /* and it trains like the plain model */
  tu_set(m, AE_OPT_EPOCHS, 2);
  tu_set(plain, AE_OPT_EPOCHS, 2);
  float *u = unit_data(64, C, 22);
  assert_ok(ae_train(m, u, 64, C, NULL, 0));
  assert_ok(ae_train(plain, u, 64, C, NULL, 0));
  tu_snapshot trained = tu_take_snapshot(plain);
  tu_assert_snapshot(m, &trained);
  tu_snapshot_free(&trained);

  free(u);
  free(again);
  free(ym);
  free(yp);
  tu_snapshot_free(&plain_bytes);
  ae_model_free(m);
  ae_model_free(plain);
  free(x);
}

/* Inside the progress callback the setter is refused (training holds the
 * model) and nothing it tried takes effect; the history can be read. */
typedef struct scaling_probe {
  ae_model *m;
  int calls;
  ae_status set, remove, history;
  char set_msg[256];
} scaling_probe;

static int scaling_probe_fn(void *user_data, int64_t epoch, int64_t step, int64_t steps,
                            double loss) {
  (void)epoch;
  (void)step;
  (void)steps;
  (void)loss;
  scaling_probe *p = user_data;
  float mean[C], scale[C];
  valid_scaling(mean, scale);
  p->calls++;
  p->set = ae_set_input_scaling(p->m, mean, scale, C);
  snprintf(p->set_msg, sizeof p->set_msg, "%s", ae_last_error());
  p->remove = ae_set_input_scaling(p->m, NULL, NULL, 0);
  double t;
  p->history = ae_loss_history(p->m, ae_epochs_trained(p->m), &t, NULL);
  return 0;
}

static void test_scaling_busy_inside_callback(void **state) {
  (void)state;
  float *x = unit_data(32, C, 23);
  for (int with_scaling = 0; with_scaling < 2; with_scaling++) {
    ae_model *m = tu_create(SPEC8, 24);
    float mean[C], scale[C], got_mean[C], got_scale[C];
    for (int j = 0; j < C; j++) {
      mean[j] = 0.5f;
      scale[j] = 0.2f;
    }
    if (with_scaling) assert_ok(ae_set_input_scaling(m, mean, scale, C));
    scaling_probe p;
    memset(&p, 0, sizeof p);
    p.m = m;
    assert_ok(ae_set_progress(m, scaling_probe_fn, &p));
    tu_set(m, AE_OPT_EPOCHS, 1);
    assert_ok(ae_train(m, x, 32, C, NULL, 0));
    assert_int_equal(p.calls, 1);
    assert_int_equal(p.set, AE_ERR_BUSY);
    assert_non_null(strstr(p.set_msg, "ae_set_input_scaling"));
    assert_int_equal(p.remove, AE_ERR_BUSY);
    assert_int_equal(p.history, AE_OK);
    /* unchanged */
    assert_ok(ae_get_input_scaling(m, got_mean, got_scale, C));
    for (int j = 0; j < C; j++) {
      assert_true(got_mean[j] == (with_scaling ? 0.5f : 0.0f));
      assert_true(got_scale[j] == (with_scaling ? 0.2f : 1.0f));
    }
    /* free again after training */
    assert_ok(ae_set_progress(m, NULL, NULL));
    assert_ok(ae_set_input_scaling(m, NULL, NULL, 0));
    ae_model_free(m);
  }
  free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_history_over_calls),
      cmocka_unit_test(test_history_validation),
      cmocka_unit_test(test_history_after_stops),
      cmocka_unit_test(test_history_after_divergence),
      cmocka_unit_test(test_history_arguments),
      cmocka_unit_test(test_scaling_matches_prestandardised),
      cmocka_unit_test(test_scaling_in_training),
      cmocka_unit_test(test_scaling_helps_training),
      cmocka_unit_test(test_scaling_setter_errors),
      cmocka_unit_test(test_scaling_busy_during_inference),
      cmocka_unit_test(test_scaling_set_get_remove),
      cmocka_unit_test(test_scaling_busy_inside_callback),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
