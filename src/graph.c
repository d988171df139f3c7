#include "graph.h"

#include <string.h>

#include "alloc.h"
#include "error.h"
#include "layers/dense.h"
#include "rng.h"

ae_status ae_graph_build(const ae_spec *spec, ae_graph *out) {
  memset(out, 0, sizeof *out);
  out->layers = ae_calloc((size_t)spec->n_layers, sizeof *out->layers);
  if (!out->layers) return ae_fail(AE_ERR_NO_MEMORY, "out of memory building the layer graph");
  out->n_layers = spec->n_layers;
  out->code_layer = spec->code_layer;
  out->max_width = spec->input_size;
  int64_t in = spec->input_size;
  int64_t offset = 0;
  for (int32_t i = 0; i < spec->n_layers; i++) {
    ae_layer *l = &out->layers[i];
    l->kind = spec->layers[i].kind;
    l->in = in;
    l->out = spec->layers[i].units;
    l->act = spec->layers[i].act;
    l->w_off = offset;
    l->b_off = offset + l->out * l->in;
    offset += ae_dense_param_count(l->in, l->out);
    if (l->out > out->max_width) out->max_width = l->out;
    in = l->out;
  }
  out->n_params = offset;
  return AE_OK;
}

void ae_graph_free(ae_graph *g) {
  ae_free(g->layers);
  memset(g, 0, sizeof *g);
}

void ae_graph_init_params(const ae_graph *g, float *params, uint64_t seed) {
  for (int32_t i = 0; i < g->n_layers; i++) {
    ae_rng rng = ae_rng_stream(seed, AE_RNG_INIT, (uint64_t)i);
    ae_dense_init(&g->layers[i], params, &rng);
  }
}

ae_status ae_workspace_init(ae_workspace *ws, const ae_graph *g, int64_t rows,
                            int with_gradients, const char *caller) {
  memset(ws, 0, sizeof *ws);
  int64_t floats = 0;
  for (int32_t i = 0; i < g->n_layers; i++) floats += rows * g->layers[i].out;
  if (with_gradients) floats += 2 * rows * g->max_width + rows;
  ws->out = ae_calloc((size_t)g->n_layers, sizeof *ws->out);
  ws->block = ws->out ? ae_malloc((size_t)floats, sizeof(float)) : NULL;
  if (!ws->block) {
    ae_free(ws->out);
    ws->out = NULL;
    return ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory for a workspace of %lld rows",
                   caller, (long long)rows);
  }
  ws->rows = rows;
  float *p = ws->block;
  for (int32_t i = 0; i < g->n_layers; i++) {
    ws->out[i] = p;
    p += rows * g->layers[i].out;
  }
  if (with_gradients) {
    ws->delta[0] = p;
    ws->delta[1] = p + rows * g->max_width;
    ws->ones = p + 2 * rows * g->max_width;
    for (int64_t r = 0; r < rows; r++) ws->ones[r] = 1.0f;
  }
  return AE_OK;
}

void ae_workspace_free(ae_workspace *ws) {
  ae_free(ws->block);
  ae_free(ws->out);
  memset(ws, 0, sizeof *ws);
}

void ae_graph_forward(const ae_graph *g, const float *params, ae_workspace *ws,
                      const float *x, int64_t batch, int32_t first,
                      int32_t last, int logits_last) {
  const float *in = x;
  for (int32_t i = first; i <= last; i++) {
    const ae_layer *l = &g->layers[i];
    ae_dense_forward(l, params, in, ws->out[i], batch);
    if (!(logits_last && i == last)) ae_activation_forward(l->act, ws->out[i], batch * l->out);
    in = ws->out[i];
  }
}

void ae_graph_backward(const ae_graph *g, const float *params, float *grads,
                       ae_workspace *ws, const float *x, int64_t batch,
                       int32_t last, int logits_last, float *dx) {
  int cur = 0;
  for (int32_t i = last; i >= 0; i--) {
    const ae_layer *l = &g->layers[i];
    float *dy = ws->delta[cur];
    if (!(logits_last && i == last)) ae_activation_backward(l->act, ws->out[i], dy, batch * l->out);
    const float *layer_in = i > 0 ? ws->out[i - 1] : x;
    float *layer_dx = i > 0 ? ws->delta[1 - cur] : dx;
    ae_dense_backward(l, params, grads, layer_in, dy, layer_dx, ws->ones, batch);
    cur = 1 - cur;
  }
}
