#include "graph.h"

#include <string.h>

#include "alloc.h"
#include "error.h"
#include "layers/gaussian.h"
#include "layers/ops.h"
#include "reg/contractive.h"
#include "reg/reg.h"
#include "rng.h"

ae_status ae_graph_build(const ae_spec *spec, const char *caller, ae_graph *out) {
  memset(out, 0, sizeof *out);
  out->layers = ae_calloc((size_t)spec->n_layers, sizeof *out->layers);
  if (!out->layers) {
    return ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory building the layer graph", caller);
  }
  out->n_layers = spec->n_layers;
  out->code_layer = spec->code_layer;
  out->max_width = spec->input_size;
  out->contractive_layer = -1;
  int64_t offset = 0;
  for (int32_t i = 0; i < spec->n_layers; i++) {
    const ae_layer_spec *ls = &spec->layers[i];
    ae_layer *l = &out->layers[i];
    l->kind = ls->kind;
    l->in_shape = ls->in_shape;
    l->out_shape = ls->out_shape;
    l->in = ls->in_shape.c * ls->in_shape.h * ls->in_shape.w;
    l->out = ls->out_shape.c * ls->out_shape.h * ls->out_shape.w;
    l->window = ls->window;
    l->act = ls->act;
    l->penalties = ls->penalties;
    if (l->penalties.contractive > 0) out->contractive_layer = i;
    /* Tied: decoder layer code+1+k uses encoder layer code-k's matrix. */
    l->transposed = spec->tied && i > spec->code_layer;
    int variational = l->kind == AE_LAYER_GAUSSIAN;
    int64_t heads = variational ? 2 : 1; /* mu and log var */
    l->w_off = l->transposed ? out->layers[2 * spec->code_layer + 1 - i].w_off : offset;
    int64_t count = variational ? ae_gaussian_param_count(l->in, l->out)
                                : ae_layer_ops_of(l->kind)->param_count(l);
    /* biases last, one per output channel (per unit when dense); none for
     * pooling and upsampling */
    l->b_off = count == 0 ? offset : offset + count - (variational ? 2 * l->out : l->out_shape.c);
    /* count < 2^61 (widths 2^24, kernels 64 x 64), so neither side overflows */
    if (count > AE_MAX_PARAMS - offset) {
      ae_graph_free(out);
      return ae_fail(AE_ERR_SPEC,
                     "%s: the model has more than %d parameters (layer %d alone has %lld); "
                     "narrow its layers",
                     caller, AE_MAX_PARAMS, i + 1, (long long)count);
    }
    offset += count;
    if (heads * l->out > out->max_width) out->max_width = heads * l->out;
    if (variational) out->variational = 1;
  }
  out->n_params = offset;
  out->contractive_exact = out->contractive_layer == 0 && out->layers[0].kind == AE_LAYER_DENSE;
  return AE_OK;
}

void ae_graph_free(ae_graph *g) {
  ae_free(g->layers);
  memset(g, 0, sizeof *g);
}

void ae_graph_init_params(const ae_graph *g, float *params, uint64_t seed) {
  for (int32_t i = 0; i < g->n_layers; i++) {
    ae_rng rng = ae_rng_stream(seed, AE_RNG_INIT, (uint64_t)i);
    const ae_layer *l = &g->layers[i];
    if (l->kind == AE_LAYER_GAUSSIAN) {
      ae_gaussian_init(l, params, &rng);
    } else {
      ae_layer_ops_of(l->kind)->init(l, params, &rng);
    }
  }
}

/* Hands out consecutive pieces of one block, or only counts them (base NULL). */
typedef struct carver {
  float *base;
  int64_t used;
} carver;

static float *carve(carver *c, int64_t floats) {
  float *p = c->base ? c->base + c->used : NULL;
  c->used += floats;
  return p;
}

/* Lays out every buffer in one block; called once to count, once to assign.
 * Arg-max indices are int32, the size of a float, carved from the same block.
 * (The analyzer does not see that the tables are allocated before the first
 * call: NOLINT.) */
// NOLINTBEGIN(clang-analyzer-core.NullDereference)
static void lay_out(ae_workspace *ws, const ae_graph *g, int64_t rows, int with_gradients,
                    carver *c) {
  int64_t cols = 0, tmp = 0;
  for (int32_t i = 0; i < g->n_layers; i++) {
    const ae_layer *l = &g->layers[i];
    ws->out[i] = carve(c, rows * l->out);
    if (l->kind == AE_LAYER_MAXPOOL) ws->argmax[i] = (int32_t *)carve(c, rows * l->out);
    int64_t lc = 0, lt = 0;
    if (l->kind != AE_LAYER_GAUSSIAN) ae_layer_ops_of(l->kind)->scratch_size(l, rows, &lc, &lt);
    if (lc > cols) cols = lc;
    if (lt > tmp) tmp = lt;
  }
  ws->cols = carve(c, cols);
  ws->tmp = carve(c, tmp);
  if (g->variational) {
    int64_t n = g->layers[g->code_layer].out;
    ws->stats = carve(c, rows * 2 * n);
    ws->eps = carve(c, rows * n);
  }
  if (!with_gradients) return;
  int64_t wide = rows * g->max_width;
  ws->delta[0] = carve(c, wide);
  ws->delta[1] = carve(c, wide);
  ws->scratch[0] = carve(c, wide + 2 * g->max_width);
  ws->scratch[1] = carve(c, wide + 2 * g->max_width);
  ws->ones = carve(c, rows);
  int32_t last = g->contractive_layer;
  if (last < 0) return;
  for (int32_t i = 0; i <= last; i++) ws->cz[i] = carve(c, rows * g->layers[i].out);
  if (g->contractive_exact) return;
  for (int32_t i = 0; i <= last; i++) {
    ws->tan_u[i] = carve(c, rows * g->layers[i].out);
    ws->tan_t[i] = carve(c, rows * g->layers[i].out);
  }
  ws->probe = carve(c, rows * g->layers[0].in);
  ws->tback[0] = carve(c, wide);
  ws->tback[1] = carve(c, wide);
}
// NOLINTEND(clang-analyzer-core.NullDereference)

ae_status ae_workspace_init(ae_workspace *ws, const ae_graph *g, int64_t rows,
                            int with_gradients, const char *caller) {
  memset(ws, 0, sizeof *ws);
  int contractive = with_gradients && g->contractive_layer >= 0;
  size_t n = (size_t)g->n_layers;
  ws->out = ae_calloc(n, sizeof *ws->out);
  ws->argmax = ae_calloc(n, sizeof *ws->argmax);
  if (contractive) {
    ws->cz = ae_calloc(n, sizeof *ws->cz);
    ws->tan_u = ae_calloc(n, sizeof *ws->tan_u);
    ws->tan_t = ae_calloc(n, sizeof *ws->tan_t);
  }
  carver count = {NULL, 0};
  if (ws->out && ws->argmax && (!contractive || (ws->cz && ws->tan_u && ws->tan_t))) {
    lay_out(ws, g, rows, with_gradients, &count);
    ws->block = ae_malloc((size_t)count.used, sizeof(float));
  }
  if (!ws->block) {
    ae_workspace_free(ws);
    return ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory for a workspace of %lld rows",
                   caller, (long long)rows);
  }
  carver assign = {ws->block, 0};
  lay_out(ws, g, rows, with_gradients, &assign);
  ws->rows = rows;
  ws->vae_beta = g->layers[g->code_layer].penalties.vae_beta;
  if (with_gradients) {
    for (int64_t r = 0; r < rows; r++) ws->ones[r] = 1.0f;
  }
  return AE_OK;
}

void ae_workspace_free(ae_workspace *ws) {
  ae_free(ws->block);
  ae_free(ws->out);
  ae_free(ws->argmax);
  ae_free(ws->cz);
  ae_free(ws->tan_u);
  ae_free(ws->tan_t);
  memset(ws, 0, sizeof *ws);
}

ae_layer_scratch ae_layer_scratch_of(const ae_workspace *ws, int32_t layer) {
  ae_layer_scratch s = {ws->cols, ws->tmp, ws->argmax[layer], ws->ones, ws->workers};
  return s;
}

/* Values per part of an activation pass. */
#define ACTIVATION_GRAIN 16384

/* A pass split over the workers: an activation (in place on dst; backward,
 * dst *= f' from the outputs src) or a per-sample layer (src -> dst). */
typedef struct pass {
  ae_activation act;
  const float *src;
  float *dst;
  const ae_layer *l;
  const float *params;
  ae_layer_scratch s;
} pass;

static double activate_range(void *ctx, int64_t begin, int64_t end) {
  const pass *p = ctx;
  ae_activation_forward(p->act, p->dst + begin, end - begin);
  return 0.0;
}

static double activation_grad_range(void *ctx, int64_t begin, int64_t end) {
  const pass *p = ctx;
  ae_activation_backward(p->act, p->src + begin, p->dst + begin, end - begin);
  return 0.0;
}

/* v (count) = f(v) */
static void activate(const ae_workspace *ws, ae_activation act, float *v, int64_t count) {
  if (act == AE_ACT_LINEAR) return;
  pass p = {.act = act, .dst = v};
  ae_parallel(ws->workers, count, ACTIVATION_GRAIN, activate_range, &p);
}

/* d (count) *= f'(z), from y = f(z) */
static void activation_grad(const ae_workspace *ws, ae_activation act, const float *y, float *d,
                            int64_t count) {
  if (act == AE_ACT_LINEAR) return;
  pass p = {.act = act, .src = y, .dst = d};
  ae_parallel(ws->workers, count, ACTIVATION_GRAIN, activation_grad_range, &p);
}

/* Pooling and upsampling treat every sample alone and share no scratch but
 * their arg-max rows, so their passes split the batch over the workers. */
static int per_sample(ae_layer_kind kind) {
  return kind == AE_LAYER_MAXPOOL || kind == AE_LAYER_UPSAMPLE;
}

/* The scratch of samples [begin, ...) of a per-sample layer. */
static ae_layer_scratch samples_from(const pass *p, int64_t begin) {
  ae_layer_scratch s = p->s;
  if (s.argmax) s.argmax += begin * p->l->out;
  s.workers = NULL;
  return s;
}

static double forward_range(void *ctx, int64_t begin, int64_t end) {
  const pass *p = ctx;
  ae_layer_scratch s = samples_from(p, begin);
  ae_layer_ops_of(p->l->kind)->forward(p->l, p->params, p->src + begin * p->l->in,
                                       p->dst + begin * p->l->out, end - begin, &s);
  return 0.0;
}

static double input_grad_range(void *ctx, int64_t begin, int64_t end) {
  const pass *p = ctx;
  ae_layer_scratch s = samples_from(p, begin);
  ae_layer_ops_of(p->l->kind)->input_grad(p->l, p->params, p->src + begin * p->l->out,
                                          p->dst + begin * p->l->in, end - begin, &s);
  return 0.0;
}

/* z (batch, out) = layer i's map of x */
static void layer_forward(const ae_workspace *ws, const ae_layer *l, int32_t i,
                          const float *params, const float *x, float *z, int64_t batch) {
  pass p = {.l = l, .params = params, .src = x, .dst = z, .s = ae_layer_scratch_of(ws, i)};
  if (per_sample(l->kind)) {
    ae_parallel(ws->workers, batch, 1, forward_range, &p);
  } else {
    ae_layer_ops_of(l->kind)->forward(l, params, x, z, batch, &p.s);
  }
}

/* dx (batch, in) = layer i's transposed map of dz */
static void layer_input_grad(const ae_workspace *ws, const ae_layer *l, int32_t i,
                             const float *params, const float *dz, float *dx, int64_t batch) {
  pass p = {.l = l, .params = params, .src = dz, .dst = dx, .s = ae_layer_scratch_of(ws, i)};
  if (per_sample(l->kind)) {
    ae_parallel(ws->workers, batch, 1, input_grad_range, &p);
  } else {
    ae_layer_ops_of(l->kind)->input_grad(l, params, dz, dx, batch, &p.s);
  }
}

void ae_graph_forward(const ae_graph *g, const float *params, ae_workspace *ws,
                      const float *x, int64_t batch, int32_t first,
                      int32_t last, int logits_last) {
  const float *in = x;
  for (int32_t i = first; i <= last; i++) {
    const ae_layer *l = &g->layers[i];
    if (l->kind == AE_LAYER_GAUSSIAN) {
      ae_gaussian_forward(l, params, in, ws->stats, ws->sample ? ws->eps : NULL, ws->out[i],
                          batch);
    } else {
      layer_forward(ws, l, i, params, in, ws->out[i], batch);
      if (!(logits_last && i == last)) activate(ws, l->act, ws->out[i], batch * l->out);
    }
    in = ws->out[i];
  }
}

/* Adds layer l's activity penalties on h = its output to dy; sums them. */
static void activity_penalties(const ae_layer *l, const float *h, float *dy, int64_t batch,
                               float *scratch, ae_penalty_sums *sums) {
  const ae_layer_penalties *p = &l->penalties;
  if (p->l1 > 0) sums->l1 += ae_reg_l1_activity(h, dy, batch, l->out, p->l1);
  if (p->kl_rho > 0) {
    sums->kl += ae_reg_kl_sparsity(h, dy, batch, l->out, p->kl_rho, p->kl_beta, scratch);
  }
}

/* The gaussian code layer: its KL term (with penalties) and its heads. */
static void gaussian_backward(const ae_layer *l, const float *params, float *grads,
                              ae_workspace *ws, const float *x, const float *dz, float *dx,
                              int64_t batch, ae_penalty_sums *penalties) {
  float *dstats = ws->scratch[0]; /* (B, 2N) */
  memset(dstats, 0, (size_t)(batch * 2 * l->out) * sizeof(float));
  if (penalties) penalties->vae_kl += ae_kl_gaussian(ws->stats, dstats, batch, l->out, ws->vae_beta);
  ae_gaussian_backward(l, params, grads, x, ws->stats, ws->sample ? ws->eps : NULL, dz, dstats,
                       dx, ws->ones, batch);
}

void ae_graph_backward(const ae_graph *g, const float *params, float *grads,
                       ae_workspace *ws, const float *x, int64_t batch,
                       int32_t last, int logits_last, float *dx,
                       ae_penalty_sums *penalties) {
  int32_t contractive = penalties ? g->contractive_layer : -1;
  if (contractive >= 0) {
    penalties->contractive += ae_contractive_prepare(g, params, grads, ws, batch);
  }
  int cur = 0;
  for (int32_t i = last; i >= 0; i--) {
    const ae_layer *l = &g->layers[i];
    float *dy = ws->delta[cur];
    int64_t count = batch * l->out;
    if (penalties) activity_penalties(l, ws->out[i], dy, batch, ws->scratch[0], penalties);
    if (!(logits_last && i == last)) activation_grad(ws, l->act, ws->out[i], dy, count);
    if (i <= contractive) {
      /* delta and cz exist whenever backward runs (with_gradients) */
      // NOLINTNEXTLINE(clang-analyzer-core.NullDereference)
      for (int64_t k = 0; k < count; k++) dy[k] += ws->cz[i][k];
    }
    const float *layer_in = i > 0 ? ws->out[i - 1] : x;
    float *layer_dx = i > 0 ? ws->delta[1 - cur] : dx;
    if (l->kind == AE_LAYER_GAUSSIAN) {
      gaussian_backward(l, params, grads, ws, layer_in, dy, layer_dx, batch, penalties);
    } else {
      const ae_layer_ops *ops = ae_layer_ops_of(l->kind);
      ae_layer_scratch s = ae_layer_scratch_of(ws, i);
      ops->bias_grad(l, grads, dy, batch, &s);
      if (layer_dx && ops->weight_and_input_grad && !per_sample(l->kind)) {
        ops->weight_and_input_grad(l, params, grads, layer_in, dy, layer_dx, batch, &s);
      } else {
        ops->weight_grad(l, grads, layer_in, dy, batch, &s);
        if (layer_dx) layer_input_grad(ws, l, i, params, dy, layer_dx, batch);
      }
    }
    cur = 1 - cur;
  }
}
