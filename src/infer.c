/* infer.c -- encode, decode, reconstruct, score, and a VAE's sampling and
 * ELBO: forward passes over a range of layers, in chunks of rows so memory
 * stays bounded for any n. Read-only on the model: every call has its own
 * workspace and random stream. */
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "loss/loss.h"
#include "model.h"
#include "reg/reg.h"
#include "rng.h"
#include "scaling.h"

/* Rows per forward pass: large enough for efficient sgemm, small enough that
 * the workspace stays a few megabytes for wide models. */
#define CHUNK_ROWS 256

/* What to do with each chunk's output. */
typedef enum sink {
  SINK_COPY,          /* the last layer's output rows */
  SINK_SCORE,         /* per-row reconstruction loss */
  SINK_LOG_VARIANCE,  /* a gaussian code layer's log var rows */
  SINK_ELBO           /* per-row reconstruction loss (sum) + KL */
} sink;

typedef struct pass {
  const ae_model *m;
  const char *caller;
  int32_t first, last;
  sink sink;
  int from_logits;   /* SINK_SCORE, SINK_ELBO: output holds logits for a BCE */
  ae_rng *rng;       /* a gaussian code layer samples with eps from it; NULL: z = mu */
  ae_rng *codes;     /* ae_sample: no x, each chunk's inputs drawn N(0, I) from it */
} pass;

/* The model's loss kind, and its reduction as a divisor of a row's sum. */
static ae_loss_kind model_loss(const ae_model *m) {
  return (ae_loss_kind)ae_options_get(&m->options, AE_OPT_LOSS);
}

static void score_rows(const pass *p, const float *out, const float *x, int64_t rows,
                       int64_t cols, float *errors) {
  ae_loss_kind kind = model_loss(p->m);
  int per_sample = ae_options_get(&p->m->options, AE_OPT_LOSS_REDUCTION) == AE_REDUCTION_SUM;
  double divisor = per_sample || p->sink == SINK_ELBO ? 1.0 : (double)cols;
  for (int64_t r = 0; r < rows; r++) {
    double sum =
        ae_loss_eval(NULL, kind, p->from_logits, out + r * cols, x + r * cols, cols, NULL, 0.0f);
    errors[r] = (float)(sum / divisor);
  }
}

/* Hands a chunk's results to the caller's buffer as the pass's sink says. */
static void deliver(const pass *p, const ae_workspace *ws, const float *x, int64_t rows,
                    int64_t r0, float *result) {
  const ae_graph *g = &p->m->graph;
  int64_t out_cols = g->layers[p->last].out;
  switch (p->sink) {
    case SINK_COPY:
      memcpy(result + r0 * out_cols, ws->out[p->last], (size_t)(rows * out_cols) * sizeof(float));
      break;
    case SINK_SCORE:
      score_rows(p, ws->out[p->last], x, rows, out_cols, result + r0);
      break;
    case SINK_LOG_VARIANCE:
      for (int64_t r = 0; r < rows; r++) {
        memcpy(result + (r0 + r) * out_cols, ws->stats + (2 * r + 1) * out_cols,
               (size_t)out_cols * sizeof(float));
      }
      break;
    case SINK_ELBO: {
      int64_t n = g->layers[g->code_layer].out;
      score_rows(p, ws->out[p->last], x, rows, out_cols, result + r0);
      for (int64_t r = 0; r < rows; r++) {
        result[r0 + r] += (float)ae_kl_gaussian_row(ws->stats + 2 * r * n, n);
      }
      break;
    }
  }
}

/* x is (n, layers[first].in), or NULL with p->codes; results are
 * (n, layers[last].out) rows or (n) errors. */
static ae_status run(const pass *p, const float *x, int64_t n, float *result) {
  const ae_graph *g = &p->m->graph;
  int64_t in_cols = g->layers[p->first].in;
  ae_workspace ws;
  ae_status st = ae_workspace_init(&ws, g, n < CHUNK_ROWS ? n : CHUNK_ROWS, 0, p->caller);
  if (st != AE_OK) return st;
  /* (ws.rows, in_cols) inputs of a chunk: standardised, when the model
   * standardises, or drawn (from one stream in row order, so the codes do
   * not depend on the chunking) */
  int scaled = p->first == 0 && p->m->input_mean, own = scaled || p->codes;
  float *xs = own ? ae_malloc((size_t)(ws.rows * in_cols), sizeof(float)) : NULL;
  if (own && !xs) {
    ae_workspace_free(&ws);
    return ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory", p->caller);
  }
  ws.sample = p->rng != NULL;
  for (int64_t r0 = 0; r0 < n; r0 += ws.rows) {
    int64_t rows = n - r0 < ws.rows ? n - r0 : ws.rows;
    const float *xin = x ? x + r0 * in_cols : xs;
    if (p->codes) {
      for (int64_t i = 0; i < rows * in_cols; i++) xs[i] = ae_rng_normal(p->codes);
    }
    if (scaled) ae_scale_rows(p->m->input_mean, p->m->input_scale, xin, xs, rows, in_cols);
    if (p->rng) {
      int64_t count = rows * g->layers[g->code_layer].out;
      for (int64_t i = 0; i < count; i++) ws.eps[i] = ae_rng_normal(p->rng);
    }
    ae_graph_forward(g, p->m->params, &ws, own ? xs : xin, rows, p->first, p->last,
                     p->from_logits);
    deliver(p, &ws, xin, rows, r0, result);
  }
  ae_free(xs);
  ae_workspace_free(&ws);
  return AE_OK;
}

/* Checks shared by the four calls, then the guarded pass. */
static ae_status checked_run(const pass *p, const float *x, int64_t n, int64_t x_cols,
                             const char *x_name, float *result, int64_t result_cols,
                             const char *result_name) {
  ae_clear_error();
  if (!p->m) return ae_fail(AE_ERR_NULL_ARGUMENT, "%s: model is NULL", p->caller);
  const ae_graph *g = &p->m->graph;
  ae_status st = ae_check_matrix(p->caller, x_name, x, n, x_cols, g->layers[p->first].in);
  if (st != AE_OK) return st;
  st = ae_check_output(p->caller, result_name, result, n, result_cols,
                       p->sink == SINK_COPY || p->sink == SINK_LOG_VARIANCE ? g->layers[p->last].out
                                                                            : 1);
  if (st != AE_OK) return st;
  if ((st = ae_model_acquire_read(p->m, p->caller)) != AE_OK) return st;
  st = run(p, x, n, result);
  ae_model_release_read(p->m);
  return st;
}

ae_status ae_encode(const ae_model *m, const float *x, int64_t n, int64_t x_cols,
                    float *code, int64_t code_cols) {
  pass p = {m, "ae_encode", 0, m ? m->graph.code_layer : 0, SINK_COPY, 0, NULL, NULL};
  return checked_run(&p, x, n, x_cols, "x", code, code_cols, "code");
}

ae_status ae_decode(const ae_model *m, const float *code, int64_t n, int64_t code_cols,
                    float *out, int64_t out_cols) {
  pass p = {m, "ae_decode", m ? m->graph.code_layer + 1 : 0, m ? m->graph.n_layers - 1 : 0,
            SINK_COPY, 0, NULL, NULL};
  return checked_run(&p, code, n, code_cols, "code", out, out_cols, "out");
}

ae_status ae_reconstruct(const ae_model *m, const float *x, int64_t n, int64_t x_cols,
                         float *out, int64_t out_cols) {
  pass p = {m, "ae_reconstruct", 0, m ? m->graph.n_layers - 1 : 0, SINK_COPY, 0, NULL, NULL};
  return checked_run(&p, x, n, x_cols, "x", out, out_cols, "out");
}

/* Scoring compares the output with x: equal widths, and x in [0, 1] for BCE. */
static ae_status check_scorable(const ae_model *m, const char *caller, const float *x,
                                int64_t n, int64_t x_cols) {
  if (m->spec.output_size != m->spec.input_size) {
    return ae_fail(AE_ERR_SHAPE,
                   "%s: the model maps %lld inputs to %lld outputs; scoring compares the "
                   "output with the input and needs equal widths",
                   caller, (long long)m->spec.input_size, (long long)m->spec.output_size);
  }
  if (model_loss(m) != AE_LOSS_BCE) return AE_OK;
  /* Sizes and finiteness first: the range check below reads all of x. */
  ae_status st = ae_check_matrix(caller, "x", x, n, x_cols, m->spec.input_size);
  if (st != AE_OK) return st;
  for (int64_t i = 0; i < n * x_cols; i++) {
    if (x[i] < 0.0f || x[i] > 1.0f) {
      return ae_fail(AE_ERR_INVALID_ARGUMENT,
                     "%s: x[%lld][%lld] = %g; the BCE loss needs values in [0, 1]", caller,
                     (long long)(i / x_cols), (long long)(i % x_cols), (double)x[i]);
    }
  }
  return AE_OK;
}

static int output_logits(const ae_model *m) {
  const ae_layer *last = &m->graph.layers[m->graph.n_layers - 1];
  return ae_loss_uses_logits(model_loss(m), last->act == AE_ACT_SIGMOID);
}

ae_status ae_score(const ae_model *m, const float *x, int64_t n, int64_t x_cols,
                   float *errors) {
  ae_clear_error();
  if (!m) return ae_fail(AE_ERR_NULL_ARGUMENT, "ae_score: model is NULL");
  /* The read guard before the loss option is read (a setter must not change
   * it between the check and the pass); checked_run takes it once more. */
  ae_status st = ae_model_acquire_read(m, "ae_score");
  if (st != AE_OK) return st;
  st = check_scorable(m, "ae_score", x, n, x_cols);
  if (st == AE_OK) {
    pass p = {m, "ae_score", 0, m->graph.n_layers - 1, SINK_SCORE, output_logits(m), NULL, NULL};
    st = checked_run(&p, x, n, x_cols, "x", errors, 1, "errors");
  }
  ae_model_release_read(m);
  return st;
}

/* ---- variational models ---- */

static ae_status need_variational(const ae_model *m, const char *caller) {
  if (!m) return ae_fail(AE_ERR_NULL_ARGUMENT, "%s: model is NULL", caller);
  if (m->graph.variational) return AE_OK;
  return ae_fail(AE_ERR_INVALID_ARGUMENT,
                 "%s: the model is not variational (its code layer is not 'gaussian')", caller);
}

ae_status ae_encode_distribution(const ae_model *m, const float *x, int64_t n, int64_t x_cols,
                                 ae_code_part part, uint64_t seed, float *code,
                                 int64_t code_cols) {
  ae_clear_error();
  const char *caller = "ae_encode_distribution";
  if (part != AE_CODE_MEAN && part != AE_CODE_LOG_VARIANCE && part != AE_CODE_SAMPLE) {
    return ae_fail(AE_ERR_INVALID_ARGUMENT, "%s: unknown code part %d", caller, (int)part);
  }
  if (!m) return ae_fail(AE_ERR_NULL_ARGUMENT, "%s: model is NULL", caller);
  ae_status st = part == AE_CODE_MEAN ? AE_OK : need_variational(m, caller);
  if (st != AE_OK) return st;
  ae_rng rng = ae_rng_stream(seed, AE_RNG_SAMPLE, 0);
  pass p = {m, caller, 0, m->graph.code_layer,
            part == AE_CODE_LOG_VARIANCE ? SINK_LOG_VARIANCE : SINK_COPY, 0,
            part == AE_CODE_SAMPLE ? &rng : NULL, NULL};
  return checked_run(&p, x, n, x_cols, "x", code, code_cols, "code");
}

ae_status ae_sample(const ae_model *m, int64_t n, uint64_t seed, float *out, int64_t out_cols) {
  ae_clear_error();
  const char *caller = "ae_sample";
  ae_status st = need_variational(m, caller);
  if (st == AE_OK) st = ae_check_output(caller, "out", out, n, out_cols, m->spec.output_size);
  if (st != AE_OK) return st;
  /* codes z ~ N(0, I), drawn chunk by chunk and decoded as ae_decode would */
  ae_rng rng = ae_rng_stream(seed, AE_RNG_SAMPLE, 1);
  pass p = {m, caller, m->graph.code_layer + 1, m->graph.n_layers - 1, SINK_COPY, 0, NULL, &rng};
  if ((st = ae_model_acquire_read(m, caller)) != AE_OK) return st;
  st = run(&p, NULL, n, out);
  ae_model_release_read(m);
  return st;
}

ae_status ae_negative_elbo(const ae_model *m, const float *x, int64_t n, int64_t x_cols,
                           uint64_t seed, float *out) {
  ae_clear_error();
  const char *caller = "ae_negative_elbo";
  ae_status st = need_variational(m, caller);
  if (st != AE_OK) return st;
  /* guarded before the loss option is read, as in ae_score */
  if ((st = ae_model_acquire_read(m, caller)) != AE_OK) return st;
  st = check_scorable(m, caller, x, n, x_cols);
  if (st == AE_OK) {
    ae_rng rng = ae_rng_stream(seed, AE_RNG_SAMPLE, 2);
    pass p = {m, caller, 0, m->graph.n_layers - 1, SINK_ELBO, output_logits(m), &rng, NULL};
    st = checked_run(&p, x, n, x_cols, "x", out, 1, "out");
  }
  ae_model_release_read(m);
  return st;
}
