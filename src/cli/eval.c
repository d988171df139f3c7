/* eval.c -- reconstruction errors in chunks. */
#include "eval.h"

#include <math.h>
#include <stdlib.h>

#include "msg.h"

#define CHUNK 1024

/* Runs fn over x in chunks of reconstructed rows: fn(ctx, x, y, rows, d, r0). */
typedef void (*chunk_fn)(void *ctx, const float *x, const float *y, int64_t rows, int64_t d,
                         int64_t r0);

static int each_chunk(const ae_model *model, const float *x, int64_t n, int64_t d, chunk_fn fn,
                      void *ctx) {
  if (ae_output_size(model) != d) {
    return msg_error("the model's output has %lld values, its input %lld: there is no "
                     "reconstruction error", (long long)ae_output_size(model), (long long)d);
  }
  int64_t chunk = n < CHUNK ? n : CHUNK;
  float *y = malloc((size_t)(chunk * d) * sizeof *y);
  if (!y) return msg_no_memory("for reconstructions");
  for (int64_t r0 = 0; r0 < n; r0 += chunk) {
    int64_t rows = n - r0 < chunk ? n - r0 : chunk;
    ae_status st = ae_reconstruct(model, x + r0 * d, rows, d, y, d);
    if (st != AE_OK) {
      free(y);
      return msg_ae(st, "reconstructing");
    }
    fn(ctx, x + r0 * d, y, rows, d, r0);
  }
  free(y);
  return CLI_OK;
}

static void add_squares(void *ctx, const float *x, const float *y, int64_t rows, int64_t d,
                        int64_t r0) {
  (void)r0;
  double *sum = ctx;
  for (int64_t i = 0; i < rows * d; i++) *sum += ((double)y[i] - x[i]) * ((double)y[i] - x[i]);
}

int eval_errors(const ae_model *model, const float *x, int64_t n, int64_t d, double *mse,
                double *loss) {
  double sum = 0;
  if (each_chunk(model, x, n, d, add_squares, &sum) != CLI_OK) return CLI_FAIL;
  *mse = sum / ((double)n * (double)d);
  float *scores = malloc((size_t)n * sizeof *scores);
  if (!scores) return msg_no_memory("for scores");
  ae_status st = ae_score(model, x, n, d, scores);
  if (st == AE_OK) {
    double total = 0;
    for (int64_t i = 0; i < n; i++) total += scores[i];
    *loss = total / (double)n; /* rows are equally wide: the mean per value */
  }
  free(scores);
  return st == AE_OK ? CLI_OK : msg_ae(st, "scoring");
}

typedef struct per_value {
  float *errors;
  int bce;
} per_value;

static void value_errors(void *ctx, const float *x, const float *y, int64_t rows, int64_t d,
                         int64_t r0) {
  per_value *p = ctx;
  float *e = p->errors + r0 * d;
  for (int64_t i = 0; i < rows * d; i++) {
    if (p->bce) {
      double v = y[i] < 1e-7f ? 1e-7 : y[i] > 1 - 1e-7f ? 1 - 1e-7 : y[i];
      e[i] = (float)-(x[i] * log(v) + (1 - x[i]) * log(1 - v));
    } else {
      e[i] = (y[i] - x[i]) * (y[i] - x[i]);
    }
  }
}

int eval_per_value(const ae_model *model, const float *x, int64_t n, int64_t d, float *errors) {
  double loss = AE_LOSS_MSE;
  ae_get_option(model, AE_OPT_LOSS, &loss);
  per_value p = {errors, loss == AE_LOSS_BCE};
  return each_chunk(model, x, n, d, value_errors, &p);
}
