/* infer.c -- encode, decode, reconstruct and score: forward passes over a
 * range of layers, in chunks of rows so memory stays bounded for any n.
 * Read-only on the model: every call has its own workspace. */
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "loss/loss.h"
#include "model.h"
#include "scaling.h"

/* Rows per forward pass: large enough for efficient sgemm, small enough that
 * the workspace stays a few megabytes for wide models. */
#define CHUNK_ROWS 256

/* What to do with each chunk's output. */
typedef enum sink { SINK_COPY, SINK_SCORE } sink;

typedef struct pass {
  const ae_model *m;
  const char *caller;
  int32_t first, last;
  sink sink;
  int from_logits;   /* SINK_SCORE: output holds logits for a BCE */
} pass;

static void score_rows(const pass *p, const float *out, const float *x, int64_t rows,
                       int64_t cols, float *errors) {
  const ae_options *o = &p->m->options;
  ae_loss_kind kind = (ae_loss_kind)ae_options_get(o, AE_OPT_LOSS);
  double divisor = ae_options_get(o, AE_OPT_LOSS_REDUCTION) == AE_REDUCTION_SUM ? 1.0 : (double)cols;
  for (int64_t r = 0; r < rows; r++) {
    double sum = ae_loss_eval(kind, p->from_logits, out + r * cols, x + r * cols, cols, NULL, 0.0f);
    errors[r] = (float)(sum / divisor);
  }
}

/* x is (n, layers[first].in); results are (n, layers[last].out) rows or (n)
 * errors. */
static ae_status run(const pass *p, const float *x, int64_t n, float *result) {
  const ae_graph *g = &p->m->graph;
  int64_t in_cols = g->layers[p->first].in;
  int64_t out_cols = g->layers[p->last].out;
  ae_workspace ws;
  ae_status st = ae_workspace_init(&ws, g, n < CHUNK_ROWS ? n : CHUNK_ROWS, 0, p->caller);
  if (st != AE_OK) return st;
  /* (ws.rows, in_cols) standardised inputs, when the model standardises */
  int scaled = p->first == 0 && p->m->input_mean;
  float *xs = scaled ? ae_malloc((size_t)(ws.rows * in_cols), sizeof(float)) : NULL;
  if (scaled && !xs) {
    ae_workspace_free(&ws);
    return ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory", p->caller);
  }
  for (int64_t r0 = 0; r0 < n; r0 += ws.rows) {
    int64_t rows = n - r0 < ws.rows ? n - r0 : ws.rows;
    const float *xin = x + r0 * in_cols;
    if (scaled) ae_scale_rows(p->m->input_mean, p->m->input_scale, xin, xs, rows, in_cols);
    ae_graph_forward(g, p->m->params, &ws, scaled ? xs : xin, rows, p->first, p->last,
                     p->from_logits);
    if (p->sink == SINK_COPY) {
      memcpy(result + r0 * out_cols, ws.out[p->last], (size_t)(rows * out_cols) * sizeof(float));
    } else {
      score_rows(p, ws.out[p->last], xin, rows, out_cols, result + r0);
    }
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
                       p->sink == SINK_COPY ? g->layers[p->last].out : 1);
  if (st != AE_OK) return st;
  if ((st = ae_model_acquire_read(p->m, p->caller)) != AE_OK) return st;
  st = run(p, x, n, result);
  ae_model_release_read(p->m);
  return st;
}

ae_status ae_encode(const ae_model *m, const float *x, int64_t n, int64_t x_cols,
                    float *code, int64_t code_cols) {
  pass p = {m, "ae_encode", 0, m ? m->graph.code_layer : 0, SINK_COPY, 0};
  return checked_run(&p, x, n, x_cols, "x", code, code_cols, "code");
}

ae_status ae_decode(const ae_model *m, const float *code, int64_t n, int64_t code_cols,
                    float *out, int64_t out_cols) {
  pass p = {m, "ae_decode", m ? m->graph.code_layer + 1 : 0, m ? m->graph.n_layers - 1 : 0,
            SINK_COPY, 0};
  return checked_run(&p, code, n, code_cols, "code", out, out_cols, "out");
}

ae_status ae_reconstruct(const ae_model *m, const float *x, int64_t n, int64_t x_cols,
                         float *out, int64_t out_cols) {
  pass p = {m, "ae_reconstruct", 0, m ? m->graph.n_layers - 1 : 0, SINK_COPY, 0};
  return checked_run(&p, x, n, x_cols, "x", out, out_cols, "out");
}

ae_status ae_score(const ae_model *m, const float *x, int64_t n, int64_t x_cols,
                   float *errors) {
  ae_clear_error();
  if (!m) return ae_fail(AE_ERR_NULL_ARGUMENT, "ae_score: model is NULL");
  if (m->spec.output_size != m->spec.input_size) {
    return ae_fail(AE_ERR_SHAPE,
                   "ae_score: the model maps %lld inputs to %lld outputs; scoring "
                   "compares the output with the input and needs equal widths",
                   (long long)m->spec.input_size, (long long)m->spec.output_size);
  }
  ae_loss_kind kind = (ae_loss_kind)ae_options_get(&m->options, AE_OPT_LOSS);
  const ae_layer *last = &m->graph.layers[m->graph.n_layers - 1];
  pass p = {m, "ae_score", 0, m->graph.n_layers - 1, SINK_SCORE,
            ae_loss_uses_logits(kind, last->act == AE_ACT_SIGMOID)};
  if (kind == AE_LOSS_BCE) {
    /* Sizes and finiteness first: the range check below reads all of x. */
    ae_status st = ae_check_matrix("ae_score", "x", x, n, x_cols, m->spec.input_size);
    if (st != AE_OK) return st;
    for (int64_t i = 0; i < n * x_cols; i++) {
      if (x[i] < 0.0f || x[i] > 1.0f) {
        return ae_fail(AE_ERR_INVALID_ARGUMENT,
                       "ae_score: x[%lld][%lld] = %g; the BCE loss needs values in [0, 1]",
                       (long long)(i / x_cols), (long long)(i % x_cols), (double)x[i]);
      }
    }
  }
  return checked_run(&p, x, n, x_cols, "x", errors, 1, "errors");
}
