/* test_gradcheck.c -- finite-difference gradient checks (DESIGN.md item 12).
 *
 * The central check builds a small graph with odd widths from a spec, draws
 * a random point (weights, non-zero biases, inputs, targets), and compares the
 * analytic gradient of
 *
 *   L = ae_loss_eval(...) / count + ae_reg_l2.apply(...)
 *
 * (ae_graph_forward -> loss gradient with scale 1/count -> ae_graph_backward
 * -> L2, as training does it) with finite differences of L, summed in double,
 * with respect to EVERY parameter and EVERY input value (the dx of
 * ae_graph_backward). It runs for every activation in the hidden layers and
 * as the output layer, for the MSE, the BCE on probabilities and the BCE from
 * logits, with and without L2, and for a few other shapes.
 *
 * Kinks: the point is drawn so that every relu / leaky_relu / elu
 * pre-activation is well away from 0, and a coordinate is still skipped when
 * the sign of any such pre-activation differs between its finite-difference
 * evaluations. A check must not pass trivially: each run asserts that most
 * coordinates were compared and that the gradient of x and of every layer's
 * weights and biases is not (nearly) zero; the analytic gradient must be
 * ADDED to a non-zero arena; and one test corrupts a correct gradient to show
 * that the comparison reports it.
 *
 * Besides the graph: every activation's derivative element-wise, every loss's
 * gradient alone (BCE from logits at +-30 and beyond stays finite), and the L2
 * penalty alone.
 *
 * AE_GRADCHECK_VERBOSE=1 prints the worst error ratio of every configuration. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "activation.h"
#include "graph.h"
#include "loss/loss.h"
#include "reg/reg.h"
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
 * extrapolation (error O(h^4)). Measured over every configuration below, the
 * largest |a - n| - GC_RTOL max(|a|, |n|) is then about 1e-5 * max(1, |L|);
 * atol is twice that, a floor for nearly-zero coordinates, scaled with the
 * loss like the noise it covers. Every check also asserts that its gradients
 * reach GC_MIN_GRAD, well above that floor. Kinks are kept GC_KINK_MARGIN
 * away, more than the two steps move a pre-activation. */
#define GC_RTOL 1e-2
#define GC_ATOL 2e-5
#define GC_MIN_GRAD 1e-4
#define GC_STEP 1e-2
#define GC_KINK_MARGIN 0.03

typedef struct gc_stats {
  int64_t checked;   /* coordinates compared */
  int64_t skipped;   /* coordinates skipped at a kink */
  int64_t failures;  /* coordinates outside the tolerance */
  double max_abs;    /* largest |analytic| among the compared coordinates */
  double worst;      /* largest |a - n| / (GC_RTOL max(|a|,|n|) + atol) */
} gc_stats;

static int gc_verbose(void) {
  const char *v = getenv("AE_GRADCHECK_VERBOSE");
  return v && *v && *v != '0';
}

/* Compares analytic against numeric over count coordinates, skip[i] != 0
 * leaving coordinate i out. Prints the first few mismatches. Returns the number
 * of mismatches (also added to st). NaN never passes. */
static int64_t gc_compare(const char *what, const double *analytic, const double *numeric,
                          const unsigned char *skip, int64_t count, double atol,
                          gc_stats *st) {
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

/* ------------------------------------------------------------------------ */
/* A problem: graph, parameters, batch                                      */
/* ------------------------------------------------------------------------ */

typedef struct gc_problem {
  const char *text;
  ae_spec spec;
  ae_graph g;
  ae_workspace ws;
  ae_loss_kind loss;
  int from_logits;
  double l2;
  int64_t batch, in, out;
  float *params;   /* (n_params) */
  float *x;        /* (batch, in) */
  float *t;        /* (batch, out) */
  int64_t n_signs; /* relu-family outputs whose signs locate kinks */
  unsigned char *signs_ref, *signs_cur; /* (n_signs) */
} gc_problem;

static int is_kinked(ae_activation act) {
  return act == AE_ACT_RELU || act == AE_ACT_LEAKY_RELU || act == AE_ACT_ELU;
}

/* SplitMix64's finaliser: unrelated seeds from consecutive integers. */
static uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Whether the current parameters and input make a good point to check at:
 * every relu-family pre-activation at least GC_KINK_MARGIN away from its kink;
 * every relu unit active (z > 0) in at least one row, so that no layer's
 * gradient vanishes because its units are dead; and for the BCE on
 * probabilities, every output in [0.05, 0.95]: near 0 or 1 a float
 * probability is too coarse for log(1 - y) to be differentiated numerically
 * (the very reason for the BCE from logits). */
static int good_point(gc_problem *p) {
  if (p->loss == AE_LOSS_BCE && !p->from_logits) {
    int32_t last = p->g.n_layers - 1;
    ae_graph_forward(&p->g, p->params, &p->ws, p->x, p->batch, 0, last, 0);
    for (int64_t j = 0; j < p->batch * p->out; j++) {
      float y = p->ws.out[last][j];
      if (!(y >= 0.05f && y <= 0.95f)) return 0;
    }
  }
  for (int32_t i = 0; i < p->g.n_layers; i++) {
    const ae_layer *l = &p->g.layers[i];
    if (!is_kinked(l->act)) continue;
    /* layers 0..i with the activation of layer i left out: its pre-activation */
    ae_graph_forward(&p->g, p->params, &p->ws, p->x, p->batch, 0, i, 1);
    const float *z = p->ws.out[i];
    for (int64_t j = 0; j < p->batch * l->out; j++) {
      if (fabsf(z[j]) < GC_KINK_MARGIN) return 0;
    }
    for (int64_t u = 0; l->act == AE_ACT_RELU && u < l->out; u++) {
      int active = 0;
      for (int64_t r = 0; r < p->batch; r++) active |= z[r * l->out + u] > 0.0f;
      if (!active) return 0;
    }
  }
  return 1;
}

static void problem_init(gc_problem *p, const char *text, ae_loss_kind loss, int from_logits,
                         double l2, int64_t batch, uint64_t seed) {
  memset(p, 0, sizeof *p);
  p->text = text;
  assert_ok(ae_spec_parse(text, "gradcheck", &p->spec));
  assert_ok(ae_graph_build(&p->spec, &p->g));
  assert_ok(ae_workspace_init(&p->ws, &p->g, batch, 1, "gradcheck"));
  p->loss = loss;
  p->from_logits = from_logits;
  p->l2 = l2;
  p->batch = batch;
  p->in = p->spec.input_size;
  p->out = p->spec.output_size;
  assert_int_equal(p->out, p->g.layers[p->g.n_layers - 1].out);
  p->params = calloc((size_t)p->g.n_params, sizeof(float));
  p->x = calloc((size_t)(batch * p->in), sizeof(float));
  p->t = calloc((size_t)(batch * p->out), sizeof(float));
  assert_non_null(p->params);
  assert_non_null(p->x);
  assert_non_null(p->t);

  for (int32_t i = 0; i < p->g.n_layers; i++) {
    if (is_kinked(p->g.layers[i].act)) p->n_signs += batch * p->g.layers[i].out;
  }
  tu_fill_uniform(p->t, batch * p->out, loss == AE_LOSS_BCE ? 0.0f : -1.0f, 1.0f,
                  mix64(seed ^ 0x7a7a));
  /* The point to check at, drawn again (deterministically) until good_point()
   * holds, so that few coordinates need skipping and none is trivially zero:
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
      if (l->act == AE_ACT_SIGMOID) {
        for (int64_t j = 0; j < l->out * l->in; j++) p->params[l->w_off + j] *= 2.0f;
      }
      tu_fill_uniform(p->params + l->b_off, l->out, -0.5f, 0.5f, mix64(s + 1 + (uint64_t)i));
    }
    tu_fill_uniform(p->x, batch * p->in, -1.0f, 1.0f, mix64(s ^ 0x5eed));
    if (good_point(p)) break;
  }
  p->signs_ref = calloc((size_t)p->n_signs + 1, 1);
  p->signs_cur = calloc((size_t)p->n_signs + 1, 1);
  assert_non_null(p->signs_ref);
  assert_non_null(p->signs_cur);
}

static void problem_free(gc_problem *p) {
  free(p->params);
  free(p->x);
  free(p->t);
  free(p->signs_ref);
  free(p->signs_cur);
  ae_workspace_free(&p->ws);
  ae_graph_free(&p->g);
  ae_spec_free(&p->spec);
}

/* The scalar loss at the current parameters for input x, in double. When
 * signs is not NULL it receives the sign of every relu-family pre-activation
 * (y > 0 exactly when z > 0 for relu, leaky_relu and elu). */
static double problem_loss(gc_problem *p, const float *x, unsigned char *signs) {
  int32_t last = p->g.n_layers - 1;
  ae_graph_forward(&p->g, p->params, &p->ws, x, p->batch, 0, last, p->from_logits);
  int64_t count = p->batch * p->out;
  double loss = ae_loss_eval(p->loss, p->from_logits, p->ws.out[last], p->t, count, NULL, 0.0f) /
                (double)count;
  if (p->l2 > 0) loss += ae_reg_l2.apply(&p->g, p->params, NULL, p->l2);
  if (signs) {
    int64_t k = 0;
    for (int32_t i = 0; i <= last; i++) {
      const ae_layer *l = &p->g.layers[i];
      if (!is_kinked(l->act)) continue;
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
static void problem_analytic(gc_problem *p, double *grads, double *dx) {
  int32_t last = p->g.n_layers - 1;
  int64_t np = p->g.n_params;
  float *gf = calloc((size_t)np, sizeof(float));
  float *base = calloc((size_t)np, sizeof(float));
  float *dxf = calloc((size_t)(p->batch * p->in), sizeof(float));
  assert_true(gf && base && dxf);
  tu_fill_uniform(base, np, -0.25f, 0.25f, 99);
  memcpy(gf, base, (size_t)np * sizeof(float));
  for (int64_t i = 0; i < p->batch * p->in; i++) dxf[i] = 1e6f;
  ae_graph_forward(&p->g, p->params, &p->ws, p->x, p->batch, 0, last, p->from_logits);
  int64_t count = p->batch * p->out;
  ae_loss_eval(p->loss, p->from_logits, p->ws.out[last], p->t, count, p->ws.delta[0],
               1.0f / (float)count);
  ae_graph_backward(&p->g, p->params, gf, &p->ws, p->x, p->batch, last, p->from_logits, dxf,
                    NULL);
  if (p->l2 > 0) ae_reg_l2.apply(&p->g, p->params, gf, p->l2);
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
 * GC_STEP). skip[i] is set when the sign of some relu-family pre-activation
 * differs between any two of the four evaluations: a kink within the step. */
static void problem_numeric(gc_problem *p, float *v, int64_t count, double *numeric,
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

static void result_compute(gc_problem *p, gc_result *r) {
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

static void result_free(gc_result *r) {
  free(r->ga);
  free(r->gn);
  free(r->xa);
  free(r->xn);
  free(r->gskip);
  free(r->xskip);
}

static double max_abs(const double *v, int64_t n) {
  double m = 0.0;
  for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(v[i]));
  return m;
}

/* Compares a computed result; returns the number of mismatches and fills the
 * statistics of the parameters and of x. */
static int64_t result_compare(const gc_problem *p, const gc_result *r, gc_stats *gs,
                              gc_stats *xs) {
  memset(gs, 0, sizeof *gs);
  memset(xs, 0, sizeof *xs);
  double atol = GC_ATOL * fmax(1.0, fabs(r->loss));
  int64_t bad = gc_compare("dparams", r->ga, r->gn, r->gskip, r->np, atol, gs);
  bad += gc_compare("dx", r->xa, r->xn, r->xskip, r->nx, atol, xs);
  if (bad || gc_verbose()) {
    fprintf(stderr, "%s %s%s l2=%g: params %lld checked, %lld skipped, worst %.3f, max %.2g; "
            "x %lld checked, %lld skipped, worst %.3f, max %.2g; %lld mismatches\n",
            p->text, p->loss == AE_LOSS_BCE ? "bce" : "mse",
            p->from_logits ? "(logits)" : "", p->l2, (long long)gs->checked,
            (long long)gs->skipped, gs->worst, gs->max_abs, (long long)xs->checked,
            (long long)xs->skipped, xs->worst, xs->max_abs, (long long)bad);
  }
  return bad;
}

/* The full check of one configuration, with its guards against passing
 * trivially. */
static void gradcheck(const char *text, ae_loss_kind loss, int from_logits, double l2,
                      uint64_t seed) {
  gc_problem p;
  problem_init(&p, text, loss, from_logits, l2, 3, seed);
  gc_result r;
  result_compute(&p, &r);
  gc_stats gs, xs;
  int64_t bad = result_compare(&p, &r, &gs, &xs);
  assert_int_equal(bad, 0);

  /* Most coordinates were compared, not skipped. */
  assert_true(gs.checked >= (r.np * 3) / 4);
  assert_true(xs.checked >= (r.nx * 3) / 4);
  /* The gradient is not trivially zero: not for x, and not for any layer's
   * weights or biases. */
  assert_true(max_abs(r.xa, r.nx) > GC_MIN_GRAD);
  for (int32_t i = 0; i < p.g.n_layers; i++) {
    const ae_layer *l = &p.g.layers[i];
    double wmax = max_abs(r.ga + l->w_off, l->out * l->in);
    double bmax = max_abs(r.ga + l->b_off, l->out);
    if (!(wmax > GC_MIN_GRAD && bmax > GC_MIN_GRAD)) {
      fprintf(stderr, "%s: layer %d gradient is (nearly) zero: max |dW| %g, max |db| %g\n",
              text, i, wmax, bmax);
    }
    assert_true(wmax > GC_MIN_GRAD);
    assert_true(bmax > GC_MIN_GRAD);
  }
  result_free(&r);
  problem_free(&p);
}

static const ae_activation all_acts[] = {AE_ACT_LINEAR, AE_ACT_SIGMOID,    AE_ACT_TANH,
                                         AE_ACT_RELU,   AE_ACT_LEAKY_RELU, AE_ACT_ELU,
                                         AE_ACT_SOFTPLUS};
#define N_ACTS ((int)(sizeof all_acts / sizeof all_acts[0]))

/* "input 7; dense 5 H; code 3 H; dense 5 H; dense 7 O" */
static void spec_text(char *buf, size_t size, ae_activation hidden, ae_activation output) {
  const char *h = ae_activation_name(hidden);
  snprintf(buf, size, "input 7; dense 5 %s; code 3 %s; dense 5 %s; dense 7 %s", h, h, h,
           ae_activation_name(output));
}

/* ------------------------------------------------------------------------ */
/* Whole-graph checks                                                       */
/* ------------------------------------------------------------------------ */

/* MSE: every hidden activation with every output activation. */
static void test_graph_mse_every_activation(void **state) {
  (void)state;
  char text[160];
  for (int h = 0; h < N_ACTS; h++) {
    for (int o = 0; o < N_ACTS; o++) {
      spec_text(text, sizeof text, all_acts[h], all_acts[o]);
      gradcheck(text, AE_LOSS_MSE, 0, 0.0, (uint64_t)(10 + 7 * h + o));
    }
  }
}

/* BCE on probabilities: a sigmoid output keeps every output inside (0, 1), so
 * nothing is clamped; the loss is computed from y (from_logits = 0). */
static void test_graph_bce_probabilities(void **state) {
  (void)state;
  char text[160];
  for (int h = 0; h < N_ACTS; h++) {
    spec_text(text, sizeof text, all_acts[h], AE_ACT_SIGMOID);
    gradcheck(text, AE_LOSS_BCE, 0, 0.0, (uint64_t)(100 + h));
  }
}

/* BCE from logits: the sigmoid output layer's activation is left out of the
 * forward pass and the loss reads the logits, as training does. */
static void test_graph_bce_logits(void **state) {
  (void)state;
  char text[160];
  assert_true(ae_loss_uses_logits(AE_LOSS_BCE, 1));
  for (int h = 0; h < N_ACTS; h++) {
    spec_text(text, sizeof text, all_acts[h], AE_ACT_SIGMOID);
    gradcheck(text, AE_LOSS_BCE, 1, 0.0, (uint64_t)(200 + h));
  }
}

/* Every configuration above again with L2 weight decay added. */
static void test_graph_with_l2(void **state) {
  (void)state;
  char text[160];
  for (int h = 0; h < N_ACTS; h++) {
    for (int o = 0; o < N_ACTS; o++) {
      spec_text(text, sizeof text, all_acts[h], all_acts[o]);
      gradcheck(text, AE_LOSS_MSE, 0, 0.05, (uint64_t)(300 + 7 * h + o));
    }
    spec_text(text, sizeof text, all_acts[h], AE_ACT_SIGMOID);
    gradcheck(text, AE_LOSS_BCE, 0, 0.3, (uint64_t)(400 + h));
    gradcheck(text, AE_LOSS_BCE, 1, 0.3, (uint64_t)(500 + h));
  }
}

/* Other shapes: mixed activations, an output narrower than the input, a
 * mirrored deeper net, a single-unit code. */
static void test_graph_other_shapes(void **state) {
  (void)state;
  gradcheck("input 6; output 3; dense 4 elu; code 2 tanh; dense 5 softplus; dense 3 sigmoid",
            AE_LOSS_BCE, 1, 0.1, 601);
  gradcheck("input 6; output 3; dense 4 elu; code 2 tanh; dense 5 softplus; dense 3 linear",
            AE_LOSS_MSE, 0, 0.0, 602);
  gradcheck("input 9; dense 7 leaky_relu; dense 5 tanh; code 3 linear; mirror sigmoid",
            AE_LOSS_BCE, 0, 0.01, 603);
  gradcheck("input 5; code 1 softplus; dense 5 linear", AE_LOSS_MSE, 0, 0.2, 604);
}

/* ------------------------------------------------------------------------ */
/* The check can fail                                                       */
/* ------------------------------------------------------------------------ */

/* A correct gradient with one coordinate scaled by 1.5, or with its sign
 * flipped, or all zero, is reported as a mismatch. */
static void test_check_detects_corruption(void **state) {
  (void)state;
  gc_problem p;
  problem_init(&p, "input 7; dense 5 tanh; code 3 elu; dense 5 softplus; dense 7 sigmoid",
               AE_LOSS_MSE, 0, 0.05, 3, 42);
  gc_result r;
  result_compute(&p, &r);
  gc_stats gs, xs;
  assert_int_equal(result_compare(&p, &r, &gs, &xs), 0);

  /* the largest parameter gradient, times 1.5 */
  int64_t big = 0;
  for (int64_t i = 0; i < r.np; i++) {
    if (fabs(r.ga[i]) > fabs(r.ga[big])) big = i;
  }
  double saved = r.ga[big];
  fprintf(stderr, "expected mismatches follow:\n");
  r.ga[big] = 1.5 * saved;
  assert_int_equal(result_compare(&p, &r, &gs, &xs), 1);
  r.ga[big] = saved;

  /* one input gradient with its sign flipped */
  int64_t some = 0;
  for (int64_t i = 0; i < r.nx; i++) {
    if (fabs(r.xa[i]) > fabs(r.xa[some])) some = i;
  }
  assert_true(fabs(r.xa[some]) > GC_MIN_GRAD);
  r.xa[some] = -r.xa[some];
  assert_int_equal(result_compare(&p, &r, &gs, &xs), 1);
  r.xa[some] = -r.xa[some];

  /* a middling coordinate off by 5 % (above the 1 % tolerance) */
  int64_t mid = -1;
  for (int64_t i = 0; i < r.np && mid < 0; i++) {
    if (fabs(r.ga[i]) > 0.1 * fabs(r.ga[big]) && fabs(r.ga[i]) < 0.5 * fabs(r.ga[big])) mid = i;
  }
  assert_true(mid >= 0);
  saved = r.ga[mid];
  r.ga[mid] = 1.05 * saved;
  assert_int_equal(result_compare(&p, &r, &gs, &xs), 1);
  r.ga[mid] = saved;

  /* a backward that returns zeros fails nearly everywhere */
  memset(r.ga, 0, (size_t)r.np * sizeof(double));
  assert_true(result_compare(&p, &r, &gs, &xs) > r.np / 2);
  fprintf(stderr, "(end of expected mismatches)\n");

  /* NaN never passes */
  gc_stats st;
  memset(&st, 0, sizeof st);
  double a = NAN, n = 1.0;
  assert_int_equal(gc_compare("nan", &a, &n, NULL, 1, GC_ATOL, &st), 1);

  result_free(&r);
  problem_free(&p);
}

/* ------------------------------------------------------------------------ */
/* Activations element-wise                                                 */
/* ------------------------------------------------------------------------ */

static void test_activation_derivatives(void **state) {
  (void)state;
  /* Points away from 0 (the kink of relu, leaky_relu and elu). */
  static const float z[] = {-8.0f, -3.0f, -1.5f, -0.7f, -0.2f, -0.05f,
                            0.05f, 0.2f,  0.7f,  1.5f,  3.0f,  8.0f};
  enum { N = (int)(sizeof z / sizeof z[0]) };
  for (int a = 0; a < N_ACTS; a++) {
    ae_activation act = all_acts[a];
    float y[N], d[N];
    memcpy(y, z, sizeof y);
    ae_activation_forward(act, y, N);
    for (int i = 0; i < N; i++) d[i] = 1.0f;
    ae_activation_backward(act, y, d, N);
    double nonzero = 0.0;
    for (int i = 0; i < N; i++) {
      double h = 1e-3 * fmax(1.0, fabs((double)z[i]));
      float zp = (float)((double)z[i] + h), zm = (float)((double)z[i] - h);
      float yp = zp, ym = zm;
      ae_activation_forward(act, &yp, 1);
      ae_activation_forward(act, &ym, 1);
      double numeric = ((double)yp - (double)ym) / ((double)zp - (double)zm);
      double analytic = d[i];
      double bound = 1e-2 * fmax(fabs(analytic), fabs(numeric)) + 1e-5;
      if (!(fabs(analytic - numeric) <= bound)) {
        fprintf(stderr, "%s'(%g): analytic %.8g, numeric %.8g\n", ae_activation_name(act),
                (double)z[i], analytic, numeric);
      }
      assert_true(fabs(analytic - numeric) <= bound);
      nonzero = fmax(nonzero, fabs(analytic));
    }
    assert_true(nonzero > 0.1);

    /* The derivative multiplies the incoming gradient, element by element. */
    for (int i = 0; i < N; i++) d[i] = 0.5f * (float)(i + 1);
    float base[N];
    for (int i = 0; i < N; i++) base[i] = 1.0f;
    ae_activation_backward(act, y, base, N);
    ae_activation_backward(act, y, d, N);
    for (int i = 0; i < N; i++) {
      assert_close(d[i], 0.5f * (float)(i + 1) * base[i], 1e-6f * (1.0f + fabsf(d[i])));
    }
  }

  /* Values that pin each function down beyond its derivative. */
  float v[3] = {-2.0f, 0.0f, 2.0f};
  ae_activation_forward(AE_ACT_LEAKY_RELU, v, 3);
  assert_close(v[0], -2.0f * AE_LEAKY_SLOPE, 1e-7f);
  assert_close(v[2], 2.0f, 0.0f);
  float s[2] = {-100.0f, 100.0f};
  ae_activation_forward(AE_ACT_SOFTPLUS, s, 2);
  assert_true(isfinite(s[0]) && isfinite(s[1]));
  assert_close(s[1], 100.0f, 1e-4f);
  float g[2] = {-100.0f, 100.0f};
  ae_activation_forward(AE_ACT_SIGMOID, g, 2);
  assert_true(g[0] >= 0.0f && g[0] < 1e-30f);
  assert_close(g[1], 1.0f, 0.0f);
}

/* ------------------------------------------------------------------------ */
/* Losses alone                                                             */
/* ------------------------------------------------------------------------ */

typedef double (*loss_fn)(const float *y, const float *t, int64_t count, float *grad,
                          float scale);

/* Checks grad[i] = scale * d loss / d y[i] by central differences of the
 * per-element loss, with scale 1 and with scale 1/count. */
static void check_loss(const char *name, loss_fn fn, const float *y, const float *t,
                       int64_t count) {
  float *grad = calloc((size_t)count, sizeof(float));
  float *grad_scaled = calloc((size_t)count, sizeof(float));
  assert_non_null(grad);
  assert_non_null(grad_scaled);
  double total = fn(y, t, count, grad, 1.0f);
  double total_scaled = fn(y, t, count, grad_scaled, 1.0f / (float)count);
  assert_true(isfinite(total));
  assert_close(total, total_scaled, 1e-12 * (1.0 + fabs(total)));
  assert_close(total, fn(y, t, count, NULL, 0.0f), 1e-12 * (1.0 + fabs(total)));
  double sum = 0.0;
  double nonzero = 0.0;
  for (int64_t i = 0; i < count; i++) {
    double h = 1e-3 * fmax(1.0, fabs((double)y[i]));
    float yp = (float)((double)y[i] + h), ym = (float)((double)y[i] - h);
    double numeric = (fn(&yp, &t[i], 1, NULL, 0.0f) - fn(&ym, &t[i], 1, NULL, 0.0f)) /
                     ((double)yp - (double)ym);
    double analytic = grad[i];
    double bound = 1e-2 * fmax(fabs(analytic), fabs(numeric)) + 1e-5;
    if (!(fabs(analytic - numeric) <= bound)) {
      fprintf(stderr, "%s at y=%g t=%g: analytic %.8g, numeric %.8g\n", name, (double)y[i],
              (double)t[i], analytic, numeric);
    }
    assert_true(isfinite(grad[i]));
    assert_true(fabs(analytic - numeric) <= bound);
    assert_close(grad_scaled[i], grad[i] / (float)count,
                       1e-6f * fabsf(grad[i]) / (float)count + 1e-12f);
    sum += fn(&y[i], &t[i], 1, NULL, 0.0f);
    nonzero = fmax(nonzero, fabs(analytic));
  }
  /* the sum over elements, as documented */
  assert_close(sum, total, 1e-9 * (1.0 + fabs(total)));
  assert_true(nonzero > 0.1);
  free(grad);
  free(grad_scaled);
}

static void test_loss_mse(void **state) {
  (void)state;
  enum { N = 11 };
  float y[N], t[N];
  tu_fill_uniform(y, N, -2.0f, 2.0f, 1);
  tu_fill_uniform(t, N, -2.0f, 2.0f, 2);
  check_loss("mse", ae_mse, y, t, N);
  float y1 = 3.0f, t1 = 1.0f, g1;
  assert_close(ae_mse(&y1, &t1, 1, &g1, 0.5f), 4.0, 1e-12);
  assert_close(g1, 2.0f, 1e-6f); /* 0.5 * 2 * (3 - 1) */
}

static void test_loss_bce(void **state) {
  (void)state;
  enum { N = 13 };
  float y[N], t[N];
  tu_fill_uniform(y, N, 0.02f, 0.98f, 3);
  tu_fill_uniform(t, N, 0.0f, 1.0f, 4);
  t[0] = 0.0f;
  t[1] = 1.0f;
  check_loss("bce", ae_bce, y, t, N);
  /* Outside [AE_BCE_EPS, 1 - AE_BCE_EPS] the output is clamped: finite loss,
   * zero gradient, as documented. */
  float yc[4] = {0.0f, 1.0f, -0.5f, 1.5f}, tc[4] = {1.0f, 0.0f, 0.5f, 0.5f}, gc[4];
  double l = ae_bce(yc, tc, 4, gc, 1.0f);
  assert_true(isfinite(l));
  for (int i = 0; i < 4; i++) assert_close(gc[i], 0.0f, 0.0f);
}

static void test_loss_bce_logits(void **state) {
  (void)state;
  enum { N = 12 };
  float z[N], t[N];
  tu_fill_uniform(z, N, -6.0f, 6.0f, 5);
  tu_fill_uniform(t, N, 0.0f, 1.0f, 6);
  z[0] = 30.0f;
  z[1] = -30.0f;
  z[2] = 30.0f;
  t[2] = 0.0f;
  z[3] = -30.0f;
  t[3] = 1.0f;
  check_loss("bce_logits", ae_bce_logits, z, t, N);

  /* Equal to the BCE of sigmoid(z) where that is computable. */
  for (int i = 4; i < N; i++) {
    float p = z[i];
    ae_activation_forward(AE_ACT_SIGMOID, &p, 1);
    double direct = ae_bce(&p, &t[i], 1, NULL, 0.0f);
    double from_logits = ae_bce_logits(&z[i], &t[i], 1, NULL, 0.0f);
    assert_close(direct, from_logits, 1e-5 * (1.0 + fabs(direct)));
  }

  /* Large |logits| stay finite and exact: loss ~ |z| on the wrong side,
   * gradient sigmoid(z) - t. */
  static const float big[] = {30.0f, -30.0f, 100.0f, -100.0f, 1e4f, -1e4f, 3e38f, -3e38f};
  for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
    float zz = big[i], g;
    float tt[3] = {0.0f, 1.0f, 0.25f};
    for (int k = 0; k < 3; k++) {
      double l = ae_bce_logits(&zz, &tt[k], 1, &g, 1.0f);
      double expect_l = zz > 0 ? (double)zz * (1.0 - tt[k]) : -(double)zz * tt[k];
      double expect_g = (zz > 0 ? 1.0 : 0.0) - tt[k];
      assert_true(isfinite(l));
      assert_true(isfinite(g));
      assert_close(l, expect_l, 1e-6 * fabs(expect_l) + 1e-12);
      assert_close(g, expect_g, 1e-6);
    }
  }
}

/* The loss dispatch calls the function it names. */
static void test_loss_dispatch(void **state) {
  (void)state;
  float y[3] = {0.2f, 0.6f, 0.9f}, t[3] = {0.0f, 1.0f, 0.5f};
  assert_close(ae_loss_eval(AE_LOSS_MSE, 0, y, t, 3, NULL, 0.0f),
                     ae_mse(y, t, 3, NULL, 0.0f), 0.0);
  assert_close(ae_loss_eval(AE_LOSS_BCE, 0, y, t, 3, NULL, 0.0f),
                     ae_bce(y, t, 3, NULL, 0.0f), 0.0);
  assert_close(ae_loss_eval(AE_LOSS_BCE, 1, y, t, 3, NULL, 0.0f),
                     ae_bce_logits(y, t, 3, NULL, 0.0f), 0.0);
  assert_true(ae_loss_uses_logits(AE_LOSS_BCE, 1));
  assert_false(ae_loss_uses_logits(AE_LOSS_BCE, 0));
  assert_false(ae_loss_uses_logits(AE_LOSS_MSE, 1));
}

/* ------------------------------------------------------------------------ */
/* L2 alone                                                                 */
/* ------------------------------------------------------------------------ */

static void test_l2_alone(void **state) {
  (void)state;
  ae_spec spec;
  ae_graph g;
  assert_ok(ae_spec_parse("input 7; dense 5 relu; code 3 linear; dense 7 sigmoid", "l2", &spec));
  assert_ok(ae_graph_build(&spec, &g));
  int64_t np = g.n_params;
  float *params = calloc((size_t)np, sizeof(float));
  float *grads = calloc((size_t)np, sizeof(float));
  float *base = calloc((size_t)np, sizeof(float));
  assert_true(params && grads && base);
  tu_fill_uniform(params, np, -1.0f, 1.0f, 77);
  tu_fill_uniform(base, np, -0.1f, 0.1f, 78);
  memcpy(grads, base, (size_t)np * sizeof(float));
  const double lambda = 0.37;

  double penalty = ae_reg_l2.apply(&g, params, grads, lambda);
  assert_close(penalty, ae_reg_l2.apply(&g, params, NULL, lambda), 0.0);

  /* the penalty, computed here */
  double expect = 0.0;
  for (int32_t i = 0; i < g.n_layers; i++) {
    const ae_layer *l = &g.layers[i];
    for (int64_t j = 0; j < l->out * l->in; j++) {
      double w = params[l->w_off + j];
      expect += 0.5 * lambda * w * w;
    }
  }
  assert_close(penalty, expect, 1e-7 * expect);

  /* the gradient is ADDED, numerically right, and zero on biases. The penalty
   * is quadratic, so a central difference is exact for any step; a wide one
   * keeps the rounding of the penalty (cblas_dsdot) out of the quotient. */
  gc_stats st;
  memset(&st, 0, sizeof st);
  double *analytic = calloc((size_t)np, sizeof(double));
  double *numeric = calloc((size_t)np, sizeof(double));
  assert_true(analytic && numeric);
  for (int64_t i = 0; i < np; i++) {
    analytic[i] = (double)grads[i] - (double)base[i];
    float saved = params[i];
    params[i] = saved + 0.125f;
    double at_plus = params[i], lp = ae_reg_l2.apply(&g, params, NULL, lambda);
    params[i] = saved - 0.125f;
    double at_minus = params[i], lm = ae_reg_l2.apply(&g, params, NULL, lambda);
    params[i] = saved;
    numeric[i] = (lp - lm) / (at_plus - at_minus);
  }
  assert_int_equal(gc_compare("l2", analytic, numeric, NULL, np, GC_ATOL, &st), 0);
  assert_true(st.max_abs > 0.1);
  for (int32_t i = 0; i < g.n_layers; i++) {
    const ae_layer *l = &g.layers[i];
    for (int64_t j = 0; j < l->out; j++) {
      assert_close(grads[l->b_off + j], base[l->b_off + j], 0.0f);
    }
  }
  free(analytic);
  free(numeric);
  free(params);
  free(grads);
  free(base);
  ae_graph_free(&g);
  ae_spec_free(&spec);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_check_detects_corruption),
      cmocka_unit_test(test_activation_derivatives),
      cmocka_unit_test(test_loss_mse),
      cmocka_unit_test(test_loss_bce),
      cmocka_unit_test(test_loss_bce_logits),
      cmocka_unit_test(test_loss_dispatch),
      cmocka_unit_test(test_l2_alone),
      cmocka_unit_test(test_graph_mse_every_activation),
      cmocka_unit_test(test_graph_bce_probabilities),
      cmocka_unit_test(test_graph_bce_logits),
      cmocka_unit_test(test_graph_with_l2),
      cmocka_unit_test(test_graph_other_shapes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
