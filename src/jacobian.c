/* jacobian.c -- ae_jacobian_norm: the exact squared Frobenius norm of the
 * encoder's Jacobian, |d code / d x|_F^2 per row, by one backward pass per
 * code unit: row j of J is e_j backpropagated from the code to the input. */
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "layers/ops.h"
#include "model.h"
#include "scaling.h"

#define CHUNK_ROWS 256

/* norms (rows) = sum over code units j of |J_j|^2 for the rows whose
 * (standardised) inputs are x (rows, in). */
static void chunk_norms(const ae_model *m, ae_workspace *ws, const float *x, int64_t rows,
                        float *norms) {
  const ae_graph *g = &m->graph;
  int32_t c = g->code_layer;
  int64_t in = g->layers[0].in, code = g->layers[c].out;
  ae_graph_forward(g, m->params, ws, x, rows, 0, c, 0);
  memset(norms, 0, (size_t)rows * sizeof(float));
  for (int64_t j = 0; j < code; j++) {
    int cur = 0;
    float *d = ws->delta[cur];
    memset(d, 0, (size_t)(rows * code) * sizeof(float));
    for (int64_t r = 0; r < rows; r++) d[r * code + j] = 1.0f;
    for (int32_t i = c; i >= 0; i--) {
      const ae_layer *l = &g->layers[i];
      ae_layer_scratch s = ae_layer_scratch_of(ws, i);
      ae_activation_backward(l->act, ws->out[i], ws->delta[cur], rows * l->out);
      ae_layer_ops_of(l->kind)->input_grad(l, m->params, ws->delta[cur], ws->delta[1 - cur],
                                           rows, &s);
      cur = 1 - cur;
    }
    /* ws->delta[cur] is (rows, in): row r of it is J_j at sample r; with
     * standardisation, d/dx_raw = d/dx_std / scale. */
    const float *dx = ws->delta[cur];
    for (int64_t r = 0; r < rows; r++) {
      double sum = 0.0;
      for (int64_t k = 0; k < in; k++) {
        double v = dx[r * in + k];
        if (m->input_scale) v /= m->input_scale[k];
        sum += v * v;
      }
      norms[r] += (float)sum;
    }
  }
}

static ae_status run(const ae_model *m, const float *x, int64_t n, float *out) {
  const char *caller = "ae_jacobian_norm";
  int64_t in = m->spec.input_size;
  ae_workspace ws;
  ae_status st = ae_workspace_init(&ws, &m->graph, n < CHUNK_ROWS ? n : CHUNK_ROWS, 1, caller);
  if (st != AE_OK) return st;
  float *xs = m->input_mean ? ae_malloc((size_t)(ws.rows * in), sizeof(float)) : NULL;
  if (m->input_mean && !xs) {
    ae_workspace_free(&ws);
    return ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory", caller);
  }
  for (int64_t r0 = 0; r0 < n; r0 += ws.rows) {
    int64_t rows = n - r0 < ws.rows ? n - r0 : ws.rows;
    const float *chunk = x + r0 * in;
    if (xs) ae_scale_rows(m->input_mean, m->input_scale, chunk, xs, rows, in);
    chunk_norms(m, &ws, xs ? xs : chunk, rows, out + r0);
  }
  ae_free(xs);
  ae_workspace_free(&ws);
  return AE_OK;
}

ae_status ae_jacobian_norm(const ae_model *m, const float *x, int64_t n, int64_t x_cols,
                           float *out) {
  ae_clear_error();
  const char *caller = "ae_jacobian_norm";
  if (!m) return ae_fail(AE_ERR_NULL_ARGUMENT, "%s: model is NULL", caller);
  ae_status st = ae_check_matrix(caller, "x", x, n, x_cols, m->spec.input_size);
  if (st == AE_OK) st = ae_check_output(caller, "out", out, n, 1, 1);
  if (st != AE_OK) return st;
  if ((st = ae_model_acquire_read(m, caller)) != AE_OK) return st;
  st = run(m, x, n, out);
  ae_model_release_read(m);
  return st;
}
