/* gradcheck_util.h -- the graph-level finite-difference gradient check,
 * shared by test_gradcheck.c (losses, activations, L2), test_penalties.c
 * (L1, KL sparsity, contractive, tied weights), test_vae.c and test_conv.c
 * (convolutional graphs).
 *
 * A check builds a small graph from a spec, draws a random point (weights,
 * non-zero biases, inputs, targets), and compares the analytic gradient of
 *
 *   L = [ae_loss_eval(...) / count] + [the layers' penalties] + ae_reg_l2.apply(...)
 *
 * (ae_graph_forward -> loss gradient with scale 1/count -> ae_graph_backward
 * -> L2, as training does it) with finite differences of L, summed in double,
 * with respect to EVERY parameter and EVERY input value (the dx of
 * ae_graph_backward). The bracketed terms are chosen by gc_config: the
 * reconstruction loss can be left out to check a penalty alone, and the
 * penalties are those ae_graph_backward reports when given an
 * ae_penalty_sums (a deep contractive penalty with the probe in ws.probe,
 * which problem_init fills once and keeps fixed).
 *
 * Kinks: the point is drawn so that every relu / leaky_relu / elu
 * pre-activation, and every pre-activation of a layer with an L1 penalty
 * whose output can change sign, is well away from 0, and a coordinate is still
 * skipped when the sign of any such output differs between its
 * finite-difference evaluations. Max pooling is kinked where a window's
 * arg-max changes: the point keeps every window's largest input well above
 * its second largest, and a coordinate is skipped when any arg-max differs
 * between its evaluations.
 *
 * Graphs may hold any layer kind (dense, gaussian, conv, deconv, maxpool,
 * upsample): gc_weight_count and gc_bias_count say where a layer's
 * parameters lie.
 *
 * Needs <cmocka.h> (and its prerequisites) before this header. Everything is
 * static inline: each test binary uses what it needs. */
#ifndef AE_GRADCHECK_UTIL_H
#define AE_GRADCHECK_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activation.h"
#include "graph.h"
#include "loss/loss.h"
#include "reg/reg.h"
#include "rng.h"
#include "spec.h"
#include "testutil.h"

/* Asserts |a - b| <= tol, in double (cmocka 1.1's assert_float_equal
 * rounds to float). */
#define assert_close(a, b, tol)                                                       \
  do {                                                                               \
    double a_ = (double)(a), b_ = (double)(b), tol_ = (double)(tol);                 \
    if (!(fabs(a_ - b_) <= tol_)) {                                                  \
      fail_msg("%s = %.10g and %s = %.10g differ by more than %.3g", #a, a_, #b, b_, \
               tol_);                                                                \
    }                                                                                \
  } while (0)

/* ------------------------------------------------------------------------ */
/* The comparison                                                           */
/* ------------------------------------------------------------------------ */

/* Tolerances. |a - n| <= GC_RTOL * max(|a|, |n|) + atol passes, where
 * atol = GC_ATOL * max(1, |L|) for a loss L at the point checked.
 *
 * The loss is a float forward pass (ae_graph_forward) whose per-element
 * losses are summed in double. Its rounding noise is about 1e-7 of the loss,
 * which a difference quotient divides by the step: with a step of 1e-3 that
 * is up to ~1e-4 on gradients of 1e-3..1e-1, too coarse for a 1 % check. So
 * the step is GC_STEP = 1e-2 (relative to |v| for |v| > 1) and the O(h^2)
 * error of the wider central difference is removed by Richardson
 * extrapolation (error O(h^4)). Measured over every configuration of
 * test_gradcheck.c, the largest |a - n| - GC_RTOL max(|a|, |n|) is then about
 * 1e-5 * max(1, |L|); atol is twice that, a floor for nearly-zero
 * coordinates, scaled with the loss like the noise it covers. Every check also
 * asserts that its gradients reach GC_MIN_GRAD, well above that floor. Kinks
 * are kept GC_KINK_MARGIN away, more than the two steps move a
 * pre-activation. */
#define GC_RTOL 1e-2
#define GC_ATOL 2e-5
#define GC_MIN_GRAD 1e-4
#define GC_STEP 1e-2
#define GC_KINK_MARGIN 0.03
/* A max pooling window's largest input is kept this far above the others.
 * Less than the kink margin: a window of many inputs rarely has its two
 * largest 0.03 apart, and the skipped coordinates (arg-max changes within
 * the steps) stay few. */
#define GC_POOL_MARGIN 0.01

typedef struct gc_stats {
  int64_t checked;   /* coordinates compared */
  int64_t skipped;   /* coordinates skipped at a kink */
  int64_t failures;  /* coordinates outside the tolerance */
  double max_abs;    /* largest |analytic| among the compared coordinates */
  double worst;      /* largest |a - n| / (GC_RTOL max(|a|,|n|) + atol) */
} gc_stats;

static inline int gc_verbose(void) {
  const char *v = getenv("AE_GRADCHECK_VERBOSE");
  return v && *v && *v != '0';
}

/* Compares analytic against numeric over count coordinates, skip[i] != 0
 * leaving coordinate i out. Prints the first few mismatches. Returns the number
 * of mismatches (also added to st). NaN never passes. */
static inline int64_t gc_compare(const char *what, const double *analytic,
                                 const double *numeric, const unsigned char *skip,
                                 int64_t count, double atol, gc_stats *st) {
  int64_t failures = 0;
  for (int64_t i = 0; i < count; i++) {
    if (skip && skip[i]) {
      st->skipped++;
      continue;
    }
    double a = analytic[i], n = numeric[i];
    double bound = GC_RTOL * fmax(fabs(a), fabs(n)) + atol;
    double err = fabs(a - n);
    st->checked++;
    if (fabs(a) > st->max_abs) st->max_abs = fabs(a);
    if (err / bound > st->worst || isnan(err)) st->worst = isnan(err) ? INFINITY : err / bound;
    if (!(err <= bound)) {
      if (failures < 5) {
        fprintf(stderr, "  %s[%lld]: analytic %.8g, numeric %.8g, |diff| %.3g > %.3g\n", what,
                (long long)i, a, n, err, bound);
      }
      failures++;
    }
  }
  st->failures += failures;
  return failures;
}

static const ae_activation all_acts[] = {AE_ACT_LINEAR, AE_ACT_SIGMOID,    AE_ACT_TANH,
                                         AE_ACT_RELU,   AE_ACT_LEAKY_RELU, AE_ACT_ELU,
                                         AE_ACT_SOFTPLUS};
#define N_ACTS ((int)(sizeof all_acts / sizeof all_acts[0]))

/* SplitMix64's finaliser: unrelated seeds from consecutive integers. */
static inline uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* ------------------------------------------------------------------------ */
/* A problem: graph, parameters, batch                                      */
/* ------------------------------------------------------------------------ */

/* What the scalar L of a check is made of. */
typedef struct gc_config {
  ae_loss_kind loss;
  int from_logits;
  double l2;
  int no_reconstruction; /* leave the reconstruction loss out of L */
  int penalties;         /* add the layers' penalties (ae_graph_backward's sums) */
} gc_config;

typedef struct gc_problem {
  const char *text;
  ae_spec spec;
  ae_graph g;
  ae_workspace ws;
  gc_config cfg;
  int64_t batch, in, out;
  float *params;   /* (n_params) */
  float *x;        /* (batch, in) */
  float *t;        /* (batch, out) */
  float *pgrads;   /* (n_params) scratch for evaluating the penalties */
  int64_t n_signs; /* outputs of kinked layers, whose signs locate kinks */
  unsigned char *signs_ref, *signs_cur; /* (n_signs) */
} gc_problem;

/* The weights at l->w_off that a check perturbs and inspects: a dense
 * layer's matrix, a gaussian layer's mean head, a conv or deconv layer's
 * kernels; none for pooling and upsampling. */
static inline int64_t gc_weight_count(const ae_layer *l) {
  switch (l->kind) {
    case AE_LAYER_CONV:
    case AE_LAYER_DECONV: return ae_layer_weight_count(l);
    case AE_LAYER_MAXPOOL:
    case AE_LAYER_UPSAMPLE: return 0;
    default: return l->out * l->in;
  }
}

/* The biases at l->b_off likewise: one per unit (the mean head's of a
 * gaussian layer), one per output channel of conv and deconv, none for
 * pooling and upsampling. */
static inline int64_t gc_bias_count(const ae_layer *l) {
  switch (l->kind) {
    case AE_LAYER_CONV:
    case AE_LAYER_DECONV: return l->out_shape.c;
    case AE_LAYER_MAXPOOL:
    case AE_LAYER_UPSAMPLE: return 0;
    default: return l->out;
  }
}

/* Whether a layer's output, or its L1 penalty |h|, has a kink at z = 0:
 * the relu family, and an L1 penalty on an output that can change sign. For
 * all of them y > 0 exactly when z > 0. */
static inline int gc_is_kinked(const ae_layer *l) {
  if (l->act == AE_ACT_RELU || l->act == AE_ACT_LEAKY_RELU || l->act == AE_ACT_ELU) return 1;
  return l->penalties.l1 > 0 && l->act != AE_ACT_SIGMOID && l->act != AE_ACT_SOFTPLUS;
}

/* Whether every window of max pooling layer i, in the current forward pass
 * (ws.out of the layers before it), has its largest input at least
 * GC_POOL_MARGIN above the others, so that few steps change its arg-max. */
static inline int gc_pool_margins(const gc_problem *p, int32_t i) {
  const ae_layer *l = &p->g.layers[i];
  const float *x = i > 0 ? p->ws.out[i - 1] : p->x;
  const ae_window *win = &l->window;
  int64_t h = l->in_shape.h, w = l->in_shape.w;
  for (int64_t b = 0; b < p->batch; b++) {
    for (int64_t c = 0; c < l->out_shape.c; c++) {
      const float *plane = x + b * l->in + c * h * w;
      for (int64_t oy = 0; oy < l->out_shape.h; oy++) {
        for (int64_t ox = 0; ox < l->out_shape.w; ox++) {
          float first = -INFINITY, second = -INFINITY;
          for (int64_t ky = 0; ky < win->k; ky++) {
            int64_t y = oy * win->stride - win->pad_top + ky;
            for (int64_t kx = 0; y >= 0 && y < h && kx < win->k; kx++) {
              int64_t xx = ox * win->stride - win->pad_left + kx;
              if (xx < 0 || xx >= w) continue;
              float v = plane[y * w + xx];
              if (v > first) {
                second = first;
                first = v;
              } else if (v > second) {
                second = v;
              }
            }
          }
          if (first - second < GC_POOL_MARGIN) return 0;
        }
      }
    }
  }
  return 1;
}

/* Whether the current parameters and input make a good point to check at:
 * every kinked pre-activation at least GC_KINK_MARGIN away from its kink,
 * and every max pooling window's maximum GC_POOL_MARGIN above the rest;
 * every relu unit (every relu channel of a conv or deconv layer) active
 * (z > 0) in at least one row, so that no layer's
 * gradient vanishes because its units are dead; and for the BCE on
 * probabilities, every output in [0.05, 0.95]: near 0 or 1 a float
 * probability is too coarse for log(1 - y) to be differentiated numerically
 * (the very reason for the BCE from logits). */
static inline int gc_good_point(gc_problem *p) {
  if (p->cfg.loss == AE_LOSS_BCE && !p->cfg.from_logits && !p->cfg.no_reconstruction) {
    int32_t last = p->g.n_layers - 1;
    ae_graph_forward(&p->g, p->params, &p->ws, p->x, p->batch, 0, last, 0);
    for (int64_t j = 0; j < p->batch * p->out; j++) {
      float y = p->ws.out[last][j];
      if (!(y >= 0.05f && y <= 0.95f)) return 0;
    }
  }
  for (int32_t i = 0; i < p->g.n_layers; i++) {
    const ae_layer *l = &p->g.layers[i];
    if (l->kind == AE_LAYER_MAXPOOL) {
      if (i > 0) ae_graph_forward(&p->g, p->params, &p->ws, p->x, p->batch, 0, i - 1, 0);
      if (!gc_pool_margins(p, i)) return 0;
      continue;
    }
    if (!gc_is_kinked(l)) continue;
    /* layers 0..i with the activation of layer i left out: its pre-activation */
    ae_graph_forward(&p->g, p->params, &p->ws, p->x, p->batch, 0, i, 1);
    const float *z = p->ws.out[i];
    for (int64_t j = 0; j < p->batch * l->out; j++) {
      if (fabsf(z[j]) < GC_KINK_MARGIN) return 0;
    }
    /* a unit, or for conv and deconv a channel of out / c positions */
    int spatial = l->kind == AE_LAYER_CONV || l->kind == AE_LAYER_DECONV;
    int64_t units = spatial ? l->out_shape.c : l->out, per = l->out / units;
    for (int64_t u = 0; l->act == AE_ACT_RELU && u < units; u++) {
      int active = 0;
      for (int64_t r = 0; r < p->batch; r++) {
        for (int64_t q = 0; q < per; q++) active |= z[r * l->out + u * per + q] > 0.0f;
      }
      if (!active) return 0;
    }
  }
  return 1;
}

/* Standard normal values from the library's seeded generator. */
static inline void gc_fill_normal(float *v, int64_t n, uint64_t seed) {
  ae_rng rng = ae_rng_stream(seed, 0x7e57, 0);
  for (int64_t i = 0; i < n; i++) v[i] = ae_rng_normal(&rng);
}

static inline void problem_init(gc_problem *p, const char *text, const gc_config *cfg,
                                int64_t batch, uint64_t seed) {
  memset(p, 0, sizeof *p);
  p->text = text;
  p->cfg = *cfg;
  assert_ok(ae_spec_parse(text, "gradcheck", &p->spec));
  assert_ok(ae_graph_build(&p->spec, "test", &p->g));
  assert_ok(ae_workspace_init(&p->ws, &p->g, batch, 1, "gradcheck"));
  p->batch = batch;
  p->in = p->spec.input_size;
  p->out = p->spec.output_size;
  assert_int_equal(p->out, p->g.layers[p->g.n_layers - 1].out);
  p->params = calloc((size_t)p->g.n_params, sizeof(float));
  p->pgrads = calloc((size_t)p->g.n_params, sizeof(float));
  p->x = calloc((size_t)(batch * p->in), sizeof(float));
  p->t = calloc((size_t)(batch * p->out), sizeof(float));
  assert_true(p->params && p->pgrads && p->x && p->t);

  for (int32_t i = 0; i < p->g.n_layers; i++) {
    const ae_layer *l = &p->g.layers[i];
    if (gc_is_kinked(l)) p->n_signs += batch * l->out;
    /* a max pooling layer's arg-max indices, byte by byte */
    if (l->kind == AE_LAYER_MAXPOOL) p->n_signs += batch * l->out * (int64_t)sizeof(int32_t);
  }
  tu_fill_uniform(p->t, batch * p->out, cfg->loss == AE_LOSS_BCE ? 0.0f : -1.0f, 1.0f,
                  mix64(seed ^ 0x7a7a));
  /* A deep contractive penalty's probe, drawn once and held fixed: the
   * penalty is then a deterministic function of the parameters and x. */
  if (p->ws.probe) gc_fill_normal(p->ws.probe, batch * p->in, mix64(seed ^ 0x9b0b));
  /* The point to check at, drawn again (deterministically) until
   * gc_good_point() holds, so that few coordinates need skipping and none is
   * trivially zero:
   *  - weights from the library's initialisation, with sigmoid weights
   *    doubled: f' <= 1/4 shrinks the gradient at every sigmoid layer, and a
   *    stack of four would leave the gradient of x and of the first layers
   *    near the noise floor;
   *  - non-zero biases, so that a backward that drops db is caught;
   *  - inputs in [-1, 1). */
  for (uint64_t attempt = 0;; attempt++) {
    assert_true(attempt < 1000000);
    uint64_t s = mix64(seed * 10007 + attempt);
    ae_graph_init_params(&p->g, p->params, s);
    for (int32_t i = 0; i < p->g.n_layers; i++) {
      const ae_layer *l = &p->g.layers[i];
      if (l->act == AE_ACT_SIGMOID && !l->transposed) {
        for (int64_t j = 0; j < gc_weight_count(l); j++) p->params[l->w_off + j] *= 2.0f;
      }
      tu_fill_uniform(p->params + l->b_off, gc_bias_count(l), -0.5f, 0.5f,
                      mix64(s + 1 + (uint64_t)i));
    }
    tu_fill_uniform(p->x, batch * p->in, -1.0f, 1.0f, mix64(s ^ 0x5eed));
    if (gc_good_point(p)) break;
  }
  p->signs_ref = calloc((size_t)p->n_signs + 1, 1);
  p->signs_cur = calloc((size_t)p->n_signs + 1, 1);
  assert_non_null(p->signs_ref);
  assert_non_null(p->signs_cur);
}

static inline void problem_free(gc_problem *p) {
  free(p->params);
  free(p->pgrads);
  free(p->x);
  free(p->t);
  free(p->signs_ref);
  free(p->signs_cur);
  ae_workspace_free(&p->ws);
  ae_graph_free(&p->g);
  ae_spec_free(&p->spec);
}

/* The layers' penalties at the current parameters for input x, as
 * ae_graph_backward reports them, after a forward pass of the whole graph
 * (ws.out as training leaves it). The gradients go to scratch. */
static inline ae_penalty_sums problem_penalties(gc_problem *p, const float *x) {
  int32_t last = p->g.n_layers - 1;
  ae_penalty_sums sums;
  memset(&sums, 0, sizeof sums);
  memset(p->pgrads, 0, (size_t)p->g.n_params * sizeof(float));
  memset(p->ws.delta[0], 0, (size_t)(p->batch * p->out) * sizeof(float));
  ae_graph_backward(&p->g, p->params, p->pgrads, &p->ws, x, p->batch, last,
                    p->cfg.from_logits, NULL, &sums);
  return sums;
}

/* The scalar loss at the current parameters for input x, in double. When
 * signs is not NULL it receives the sign of every kinked layer's output. */
static inline double problem_loss(gc_problem *p, const float *x, unsigned char *signs) {
  int32_t last = p->g.n_layers - 1;
  ae_graph_forward(&p->g, p->params, &p->ws, x, p->batch, 0, last, p->cfg.from_logits);
  int64_t count = p->batch * p->out;
  double loss = 0.0;
  if (!p->cfg.no_reconstruction) {
    loss = ae_loss_eval(p->ws.workers, p->cfg.loss, p->cfg.from_logits, p->ws.out[last], p->t, count, NULL,
                        0.0f) /
           (double)count;
  }
  if (p->cfg.penalties) {
    ae_penalty_sums s = problem_penalties(p, x);
    loss += s.l1 + s.kl + s.contractive + s.vae_kl; /* vae_kl: a gaussian code layer's */
  }
  if (p->cfg.l2 > 0) loss += ae_reg_l2.apply(&p->g, p->params, NULL, p->cfg.l2);
  if (signs) {
    int64_t k = 0;
    for (int32_t i = 0; i <= last; i++) {
      const ae_layer *l = &p->g.layers[i];
      if (l->kind == AE_LAYER_MAXPOOL) {
        size_t bytes = (size_t)(p->batch * l->out) * sizeof(int32_t);
        memcpy(signs + k, p->ws.argmax[i], bytes);
        k += (int64_t)bytes;
      }
      if (!gc_is_kinked(l)) continue;
      for (int64_t j = 0; j < p->batch * l->out; j++) signs[k++] = p->ws.out[i][j] > 0.0f;
    }
  }
  return loss;
}

/* The analytic gradient, as training computes it: into grads (n_params) and
 * dx (batch, in), widened to double. The gradient arena starts with known
 * non-zero values that are subtracted afterwards, so a backward or a
 * regularizer that overwrites instead of adding (as graph.h and reg.h promise)
 * is caught; dx starts as garbage, which must be overwritten. */
static inline void problem_analytic(gc_problem *p, double *grads, double *dx) {
  int32_t last = p->g.n_layers - 1;
  int64_t np = p->g.n_params;
  float *gf = calloc((size_t)np, sizeof(float));
  float *base = calloc((size_t)np, sizeof(float));
  float *dxf = calloc((size_t)(p->batch * p->in), sizeof(float));
  assert_true(gf && base && dxf);
  tu_fill_uniform(base, np, -0.25f, 0.25f, 99);
  memcpy(gf, base, (size_t)np * sizeof(float));
  for (int64_t i = 0; i < p->batch * p->in; i++) dxf[i] = 1e6f;
  ae_graph_forward(&p->g, p->params, &p->ws, p->x, p->batch, 0, last, p->cfg.from_logits);
  int64_t count = p->batch * p->out;
  if (p->cfg.no_reconstruction) {
    memset(p->ws.delta[0], 0, (size_t)count * sizeof(float));
  } else {
    ae_loss_eval(p->ws.workers, p->cfg.loss, p->cfg.from_logits, p->ws.out[last], p->t, count, p->ws.delta[0],
                 1.0f / (float)count);
  }
  ae_penalty_sums sums;
  memset(&sums, 0, sizeof sums);
  ae_graph_backward(&p->g, p->params, gf, &p->ws, p->x, p->batch, last, p->cfg.from_logits,
                    dxf, p->cfg.penalties ? &sums : NULL);
  if (p->cfg.l2 > 0) ae_reg_l2.apply(&p->g, p->params, gf, p->cfg.l2);
  for (int64_t i = 0; i < np; i++) grads[i] = (double)gf[i] - (double)base[i];
  for (int64_t i = 0; i < p->batch * p->in; i++) dx[i] = dxf[i];
  free(gf);
  free(base);
  free(dxf);
}

/* The derivative of the loss with respect to v[i] for every i < count (v is
 * the parameter arena or the input), by Richardson extrapolation of two central
 * differences: D(h) = (L(v+h) - L(v-h)) / 2h, numeric = (4 D(h) - D(2h)) / 3,
 * exact to O(h^4). Each quotient divides by the difference of the two float
 * arguments actually evaluated. h is GC_STEP relative to |v[i]| (at least
 * GC_STEP). skip[i] is set when the sign of some kinked output differs
 * between any two of the four evaluations: a kink within the step. */
static inline void problem_numeric(gc_problem *p, float *v, int64_t count, double *numeric,
                                   unsigned char *skip) {
  for (int64_t i = 0; i < count; i++) {
    float saved = v[i];
    double h = GC_STEP * fmax(1.0, fabs((double)saved));
    double d[2];
    int evals = 0;
    skip[i] = 0;
    for (int k = 0; k < 2; k++) {
      double at[2], loss[2];
      for (int side = 0; side < 2; side++) {
        v[i] = (float)((double)saved + (side ? -1.0 : 1.0) * (k + 1) * h);
        at[side] = (double)v[i];
        loss[side] = problem_loss(p, p->x, evals == 0 ? p->signs_ref : p->signs_cur);
        if (evals > 0 && memcmp(p->signs_ref, p->signs_cur, (size_t)p->n_signs) != 0) {
          skip[i] = 1;
        }
        evals++;
      }
      v[i] = saved;
      d[k] = (loss[0] - loss[1]) / (at[0] - at[1]);
    }
    numeric[i] = (4.0 * d[0] - d[1]) / 3.0;
  }
}

/* Everything one check computes, kept so a test can tamper with it. */
typedef struct gc_result {
  double loss;     /* at the point checked */
  int64_t np, nx;
  double *ga, *gn; /* analytic and numeric parameter gradients (np) */
  double *xa, *xn; /* analytic and numeric input gradients (nx) */
  unsigned char *gskip, *xskip;
} gc_result;

static inline void result_compute(gc_problem *p, gc_result *r) {
  r->np = p->g.n_params;
  r->nx = p->batch * p->in;
  r->ga = calloc((size_t)r->np, sizeof(double));
  r->gn = calloc((size_t)r->np, sizeof(double));
  r->xa = calloc((size_t)r->nx, sizeof(double));
  r->xn = calloc((size_t)r->nx, sizeof(double));
  r->gskip = calloc((size_t)r->np, 1);
  r->xskip = calloc((size_t)r->nx, 1);
  assert_true(r->ga && r->gn && r->xa && r->xn && r->gskip && r->xskip);
  r->loss = problem_loss(p, p->x, NULL);
  problem_analytic(p, r->ga, r->xa);
  problem_numeric(p, p->params, r->np, r->gn, r->gskip);
  problem_numeric(p, p->x, r->nx, r->xn, r->xskip);
}

static inline void result_free(gc_result *r) {
  free(r->ga);
  free(r->gn);
  free(r->xa);
  free(r->xn);
  free(r->gskip);
  free(r->xskip);
}

static inline double max_abs(const double *v, int64_t n) {
  double m = 0.0;
  for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(v[i]));
  return m;
}

/* Compares a computed result; returns the number of mismatches and fills the
 * statistics of the parameters and of x. */
static inline int64_t result_compare(const gc_problem *p, const gc_result *r, gc_stats *gs,
                                     gc_stats *xs) {
  memset(gs, 0, sizeof *gs);
  memset(xs, 0, sizeof *xs);
  double atol = GC_ATOL * fmax(1.0, fabs(r->loss));
  int64_t bad = gc_compare("dparams", r->ga, r->gn, r->gskip, r->np, atol, gs);
  bad += gc_compare("dx", r->xa, r->xn, r->xskip, r->nx, atol, xs);
  if (bad || gc_verbose()) {
    fprintf(stderr,
            "%s %s%s%s%s l2=%g: params %lld checked, %lld skipped, worst %.3f, max %.2g; "
            "x %lld checked, %lld skipped, worst %.3f, max %.2g; %lld mismatches\n",
            p->text, p->cfg.no_reconstruction ? "" : (p->cfg.loss == AE_LOSS_BCE ? "bce" : "mse"),
            p->cfg.from_logits ? "(logits)" : "", p->cfg.penalties ? " +penalties" : "",
            p->cfg.no_reconstruction ? " (no reconstruction)" : "", p->cfg.l2,
            (long long)gs->checked, (long long)gs->skipped, gs->worst, gs->max_abs,
            (long long)xs->checked, (long long)xs->skipped, xs->worst, xs->max_abs,
            (long long)bad);
  }
  return bad;
}

/* Asserts that a compared result has no mismatch and most coordinates were
 * compared, not skipped. */
static inline void result_assert_passes(const gc_problem *p, const gc_result *r) {
  gc_stats gs, xs;
  assert_int_equal(result_compare(p, r, &gs, &xs), 0);
  assert_true(gs.checked >= (r->np * 3) / 4);
  assert_true(xs.checked >= (r->nx * 3) / 4);
}

/* Asserts that the analytic gradient of layer i's weights, and with biases
 * != 0 of its biases, is not (nearly) zero: a check must not pass
 * trivially. */
static inline void result_assert_layer_nonzero(const gc_problem *p, const gc_result *r,
                                               int32_t i, int biases) {
  const ae_layer *l = &p->g.layers[i];
  double wmax = max_abs(r->ga + l->w_off, gc_weight_count(l));
  double bmax = max_abs(r->ga + l->b_off, gc_bias_count(l));
  if (!(wmax > GC_MIN_GRAD && (!biases || bmax > GC_MIN_GRAD))) {
    fprintf(stderr, "%s: layer %d gradient is (nearly) zero: max |dW| %g, max |db| %g\n",
            p->text, i, wmax, bmax);
  }
  assert_true(wmax > GC_MIN_GRAD);
  if (biases) assert_true(bmax > GC_MIN_GRAD);
}

#endif
