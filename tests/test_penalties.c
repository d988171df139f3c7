/* test_penalties.c -- the sparse, contractive and tied-weight autoencoders
 * (issue 3): the L1 activity, KL sparsity and contractive penalties, tied
 * weights, ae_jacobian_norm and AE_OPT_LOSS_REDUCTION.
 *
 * 1. Gradients. The graph-level finite-difference check of test_gradcheck.c
 *    (gradcheck_util.h) with the layers' penalties in the loss: each penalty
 *    alone (no reconstruction loss, so a wrong penalty gradient cannot hide
 *    behind a large reconstruction gradient) and together with the
 *    reconstruction and L2. L1 away from 0 for every activation; KL on a
 *    sigmoid layer, also one wider than the input; the exact contractive
 *    penalty on the first layer for every activation; the deep contractive
 *    penalty with its probe held fixed (ws.probe filled once), which makes it
 *    a deterministic function of the parameters; tied weights, whose shared
 *    matrix must collect the gradient of both its uses.
 * 2. Values. Every check also recomputes each penalty here: L1 = l/B sum |h|,
 *    KL = b sum_j KL(r || mean_j h_j), the exact contractive value
 *    l/B sum_b |J_b|_F^2 from a finite-difference Jacobian of the layer's
 *    output, the deep one l/B sum_b |J_b e_b|^2 from finite-difference
 *    Jacobian-vector products along the probe; and the deep estimate averaged
 *    over many probes approaches l times the exact |J|_F^2 of
 *    ae_jacobian_norm.
 * 3. ae_jacobian_norm against a finite-difference Jacobian of ae_encode, with
 *    and without input standardisation (derivatives w.r.t. the raw input).
 * 4. AE_OPT_LOSS_REDUCTION and the training figures: SUM reports D times the
 *    MEAN reconstruction loss and score; the penalty figures are the values
 *    computed here at the weights of the step and add up to AE_STAT_LOSS.
 * 5. Behaviour on fixed seeds: KL sparsity reaches its target mean activation,
 *    L1 makes more codes near zero, the contractive penalty lowers the
 *    measured |J|_F^2 on held-out data; tied models have half the weights,
 *    train, decode with the transposed encoder matrices and round-trip
 *    through model files bit for bit.
 *
 * The grammar's new statements and their errors are in test_spec.c, the
 * noise in test_denoise.c. AE_GRADCHECK_VERBOSE=1 prints every check's worst
 * error ratio; AE_PENALTY_VERBOSE=1 the figures the behaviour tests measure. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gradcheck_util.h"
#include "model.h"
#include "synthdata.h"

static int verbose(void) {
  const char *v = getenv("AE_PENALTY_VERBOSE");
  return v && *v && *v != '0';
}

/* ------------------------------------------------------------------------ */
/* Finite-difference Jacobians                                              */
/* ------------------------------------------------------------------------ */

/* A map from a batch of inputs (batch, in) to outputs (batch, out), row by
 * row: a range of a graph's layers, or ae_encode. */
typedef struct fd_map {
  void (*eval)(const struct fd_map *f, const float *x, double *y);
  int64_t batch, in, out;
  gc_problem *p;       /* graph maps: layers 0..layer of p's graph */
  int32_t layer;
  const ae_model *m;   /* ae_encode */
  float *buf;          /* (batch, out) */
} fd_map;

static void eval_layers(const fd_map *f, const float *x, double *y) {
  gc_problem *p = f->p;
  ae_graph_forward(&p->g, p->params, &p->ws, x, f->batch, 0, f->layer, 0);
  for (int64_t i = 0; i < f->batch * f->out; i++) y[i] = p->ws.out[f->layer][i];
}

static void eval_encode(const fd_map *f, const float *x, double *y) {
  assert_ok(ae_encode(f->m, x, f->batch, f->in, f->buf, f->out));
  for (int64_t i = 0; i < f->batch * f->out; i++) y[i] = f->buf[i];
}

static fd_map layers_map(gc_problem *p, int32_t layer) {
  fd_map f = {eval_layers, p->batch, p->in, p->g.layers[layer].out, p, layer, NULL, NULL};
  return f;
}

/* jv (batch, out): row b holds J_b v_b, the derivative of the map at row b of
 * x along row b of v, by Richardson extrapolation of central differences
 * with steps h and 2h (as the gradient check), in double. */
static void fd_jvp(const fd_map *f, const float *x, const float *v, double h, double *jv) {
  int64_t nx = f->batch * f->in, ny = f->batch * f->out;
  float *xp = malloc((size_t)nx * sizeof(float));
  double *y[2], d[2];
  y[0] = malloc((size_t)ny * sizeof(double));
  y[1] = malloc((size_t)ny * sizeof(double));
  assert_true(xp && y[0] && y[1]);
  for (int64_t i = 0; i < ny; i++) jv[i] = 0.0;
  for (int k = 0; k < 2; k++) {
    for (int side = 0; side < 2; side++) {
      double step = (side ? -1.0 : 1.0) * (k + 1) * h;
      for (int64_t i = 0; i < nx; i++) xp[i] = (float)((double)x[i] + step * (double)v[i]);
      f->eval(f, xp, y[side]);
    }
    for (int64_t i = 0; i < ny; i++) {
      d[k] = (y[0][i] - y[1][i]) / (2.0 * (k + 1) * h);
      jv[i] += (k == 0 ? 4.0 : -1.0) * d[k] / 3.0;
    }
  }
  free(xp);
  free(y[0]);
  free(y[1]);
}

/* norms (batch): |J_b|_F^2 of the map at every row of x, column by column
 * (one JVP along each input axis). */
static void fd_frobenius(const fd_map *f, const float *x, double h, double *norms) {
  float *v = calloc((size_t)(f->batch * f->in), sizeof(float));
  double *jv = malloc((size_t)(f->batch * f->out) * sizeof(double));
  assert_true(v && jv);
  for (int64_t b = 0; b < f->batch; b++) norms[b] = 0.0;
  for (int64_t k = 0; k < f->in; k++) {
    for (int64_t b = 0; b < f->batch; b++) v[b * f->in + k] = 1.0f;
    fd_jvp(f, x, v, h, jv);
    for (int64_t b = 0; b < f->batch; b++) {
      for (int64_t j = 0; j < f->out; j++) norms[b] += jv[b * f->out + j] * jv[b * f->out + j];
    }
    for (int64_t b = 0; b < f->batch; b++) v[b * f->in + k] = 0.0f;
  }
  free(v);
  free(jv);
}

/* The step of the finite-difference Jacobians: small enough that no kinked
 * pre-activation (kept GC_KINK_MARGIN from its kink) is crossed. */
#define JAC_STEP 5e-3

/* ------------------------------------------------------------------------ */
/* Penalty values computed here                                             */
/* ------------------------------------------------------------------------ */

/* KL(r || q) of two Bernoulli distributions. */
static double bernoulli_kl(double r, double q) {
  return r * log(r / q) + (1.0 - r) * log((1.0 - r) / (1.0 - q));
}

/* l/B sum |h| over the layers with l1=, from a forward pass's outputs h. */
static double expected_l1(const ae_graph *g, float *const *out, int64_t batch) {
  double total = 0.0;
  for (int32_t i = 0; i < g->n_layers; i++) {
    const ae_layer *l = &g->layers[i];
    if (l->penalties.l1 <= 0) continue;
    double s = 0.0;
    for (int64_t k = 0; k < batch * l->out; k++) s += fabs((double)out[i][k]);
    total += l->penalties.l1 * s / (double)batch;
  }
  return total;
}

/* b sum_j KL(r || mean over the batch of h_j) over the layers with kl=. */
static double expected_kl(const ae_graph *g, float *const *out, int64_t batch) {
  double total = 0.0;
  for (int32_t i = 0; i < g->n_layers; i++) {
    const ae_layer *l = &g->layers[i];
    if (l->penalties.kl_rho <= 0) continue;
    for (int64_t j = 0; j < l->out; j++) {
      double mean = 0.0;
      for (int64_t b = 0; b < batch; b++) mean += out[i][b * l->out + j];
      total += l->penalties.kl_beta * bernoulli_kl(l->penalties.kl_rho, mean / (double)batch);
    }
  }
  return total;
}

/* The contractive penalty of layer L = g.contractive_layer at p's point,
 * from finite differences of the layer's output w.r.t. x: exact,
 * l/B sum_b |J_b|_F^2, for L = 0; l/B sum_b |J_b e_b|^2 with the probe e in
 * ws.probe for L > 0. */
static double expected_contractive(gc_problem *p) {
  int32_t L = p->g.contractive_layer;
  if (L < 0) return 0.0;
  fd_map f = layers_map(p, L);
  double *per_row = calloc((size_t)(p->batch * f.out), sizeof(double));
  assert_non_null(per_row);
  double sum = 0.0;
  if (L == 0) {
    fd_frobenius(&f, p->x, JAC_STEP, per_row);
    for (int64_t b = 0; b < p->batch; b++) sum += per_row[b];
  } else {
    fd_jvp(&f, p->x, p->ws.probe, JAC_STEP, per_row);
    for (int64_t k = 0; k < p->batch * f.out; k++) sum += per_row[k] * per_row[k];
  }
  free(per_row);
  return p->g.layers[L].penalties.contractive * sum / (double)p->batch;
}

/* The values ae_graph_backward reports at p's point against those computed
 * here. Every configured penalty must be present (non-zero). */
static void check_penalty_values(gc_problem *p) {
  const ae_graph *g = &p->g;
  ae_graph_forward(g, p->params, &p->ws, p->x, p->batch, 0, g->n_layers - 1,
                   p->cfg.from_logits);
  double l1 = expected_l1(g, p->ws.out, p->batch);
  double kl = expected_kl(g, p->ws.out, p->batch);
  ae_penalty_sums got = problem_penalties(p, p->x);
  double con = expected_contractive(p);
  if (gc_verbose()) {
    fprintf(stderr, "%s: l1 %.8g/%.8g kl %.8g/%.8g contractive %.8g/%.8g (%.2g)\n", p->text,
            got.l1, l1, got.kl, kl, got.contractive, con, fabs(got.contractive / con - 1.0));
  }
  assert_close(got.l1, l1, 1e-6 * l1);
  assert_close(got.kl, kl, 1e-5 * kl);
  /* finite differences of a float forward pass: within about 2e-5 relative */
  assert_close(got.contractive, con, 2e-4 * con);
  int has_l1 = 0, has_kl = 0;
  for (int32_t i = 0; i < g->n_layers; i++) {
    has_l1 |= g->layers[i].penalties.l1 > 0;
    has_kl |= g->layers[i].penalties.kl_rho > 0;
  }
  assert_true(has_l1 ? l1 > 1e-3 : got.l1 == 0.0);
  assert_true(has_kl ? kl > 1e-3 : got.kl == 0.0);
  assert_true(g->contractive_layer >= 0 ? con > 1e-3 : got.contractive == 0.0);
}

/* ------------------------------------------------------------------------ */
/* 1, 2. Gradient and value checks                                          */
/* ------------------------------------------------------------------------ */

static const gc_config PENALTY_ALONE = {.loss = AE_LOSS_MSE, .no_reconstruction = 1,
                                        .penalties = 1};
static const gc_config WITH_MSE_L2 = {.loss = AE_LOSS_MSE, .l2 = 0.05, .penalties = 1};
static const gc_config WITH_BCE_LOGITS = {.loss = AE_LOSS_BCE, .from_logits = 1, .penalties = 1};

/* Whether f'(z) varies with z: a contractive penalty then depends on the
 * biases and inputs that reach the layer, not only on the weights. */
static int curved(ae_activation act) {
  return act == AE_ACT_SIGMOID || act == AE_ACT_TANH || act == AE_ACT_ELU ||
         act == AE_ACT_SOFTPLUS;
}

/* What a contractive penalty alone, on layer L = the graph's contractive
 * layer, must give: a gradient for every weight matrix of layers 0..L; for
 * the biases of layer i, and x, one exactly when some layer i..L (0..L) is
 * curved, and otherwise exactly zero (J = D_L W_L ... D_0 W_0 with
 * D_i = f'(z_i)); nothing for the layers after L. */
static void assert_contractive_structure(const gc_problem *p, const gc_result *r, int32_t layer) {
  assert_int_equal(p->g.contractive_layer, layer);
  assert_true(layer == 0 ? p->ws.probe == NULL : p->ws.probe != NULL); /* exact: no probe */
  int reaches = 0; /* some layer i..L is curved */
  for (int32_t i = layer; i >= 0; i--) {
    const ae_layer *l = &p->g.layers[i];
    reaches |= curved(l->act);
    result_assert_layer_nonzero(p, r, i, reaches);
    if (!reaches) assert_true(max_abs(r->ga + l->b_off, l->out) == 0.0);
  }
  assert_true(reaches ? max_abs(r->xa, r->nx) > GC_MIN_GRAD : max_abs(r->xa, r->nx) == 0.0);
  for (int32_t i = layer + 1; i < p->g.n_layers; i++) {
    const ae_layer *l = &p->g.layers[i];
    assert_true(max_abs(r->ga + l->w_off, l->out * l->in + l->out) == 0.0);
  }
}

/* The gradient check of `text` under cfg on a batch of 4, plus the values.
 * Layers 0..upto feed a penalty: their weight gradients must not be (nearly)
 * zero, nor, when `smooth`, their biases' and x's. With smooth < 0 the
 * penalty is a contractive one alone on layer `upto`, checked as
 * assert_contractive_structure says. */
static void penalty_check(const char *text, const gc_config *cfg, uint64_t seed, int32_t upto,
                          int smooth) {
  gc_problem p;
  problem_init(&p, text, cfg, 4, seed);
  gc_result r;
  result_compute(&p, &r);
  result_assert_passes(&p, &r);
  if (smooth < 0) {
    assert_contractive_structure(&p, &r, upto);
  } else {
    for (int32_t i = 0; i <= upto; i++) result_assert_layer_nonzero(&p, &r, i, smooth);
    if (smooth) assert_true(max_abs(r.xa, r.nx) > GC_MIN_GRAD);
  }
  check_penalty_values(&p);
  result_free(&r);
  problem_free(&p);
}

/* The contractive penalty alone on layer `layer`. */
static void contractive_check(const char *text, uint64_t seed, int32_t layer) {
  penalty_check(text, &PENALTY_ALONE, seed, layer, -1);
}

/* L1 on two layers of every activation (kinks of |h| at 0 kept away), alone
 * and with the reconstruction loss and L2. */
static void test_l1_gradient(void **state) {
  (void)state;
  char text[200];
  for (int a = 0; a < N_ACTS; a++) {
    const char *act = ae_activation_name(all_acts[a]);
    snprintf(text, sizeof text, "input 6; dense 5 %s l1=0.1; code 3 %s l1=0.05; dense 6 linear",
             act, act);
    penalty_check(text, &PENALTY_ALONE, (uint64_t)(700 + a), 1, 1);
  }
  penalty_check("input 6; dense 5 tanh l1=0.02; code 3 linear; dense 5 elu l1=0.03; dense 6 linear",
                &WITH_MSE_L2, 710, 3, 1);
}

/* KL sparsity on a sigmoid layer inside a deeper encoder, on an overcomplete
 * code (9 units for 4 inputs), on two layers at once, and with the
 * reconstruction loss (BCE from logits). */
static void test_kl_gradient(void **state) {
  (void)state;
  penalty_check("input 6; dense 5 tanh; code 4 sigmoid kl=0.1 kl_weight=2; dense 6 linear",
                &PENALTY_ALONE, 720, 1, 1);
  penalty_check("input 4; code 9 sigmoid kl=0.05; dense 4 linear", &PENALTY_ALONE, 721, 0, 1);
  penalty_check("input 6; dense 8 sigmoid kl=0.2; code 3 sigmoid kl=0.05 kl_weight=0.5; "
                "dense 8 sigmoid kl=0.3; dense 6 linear",
                &PENALTY_ALONE, 722, 2, 1);
  penalty_check("input 5; code 7 sigmoid kl=0.1; dense 5 sigmoid", &WITH_BCE_LOGITS, 723, 1, 1);
}

/* The exact contractive penalty on the first layer, for every activation
 * (for linear, relu and leaky_relu it depends on the weights only), then
 * with the reconstruction and L2, and on a code layer that is the first. */
static void test_contractive_exact_gradient(void **state) {
  (void)state;
  char text[200];
  for (int a = 0; a < N_ACTS; a++) {
    snprintf(text, sizeof text, "input 6; dense 5 %s contractive=0.5; code 3 tanh; dense 6 linear",
             ae_activation_name(all_acts[a]));
    contractive_check(text, (uint64_t)(730 + a), 0);
  }
  penalty_check("input 6; dense 5 softplus contractive=0.2; code 3 tanh; dense 6 linear",
                &WITH_MSE_L2, 740, 2, 1);
  penalty_check("input 5; code 4 sigmoid contractive=1; dense 5 sigmoid", &WITH_BCE_LOGITS, 741,
                1, 1);
}

/* The deep contractive penalty (on a layer after the first), its probe fixed:
 * on the code layer, two layers deep, through relu-family layers (then
 * independent of biases and x), on a linear layer before the code, after a
 * linear first layer; then with the reconstruction and L2. */
static void test_contractive_deep_gradient(void **state) {
  (void)state;
  contractive_check("input 6; dense 5 tanh; code 4 sigmoid contractive=0.5; dense 6 linear", 750,
                    1);
  contractive_check("input 6; dense 5 softplus; dense 4 elu; code 3 tanh contractive=0.3; "
                    "mirror linear",
                    751, 2);
  contractive_check("input 6; dense 5 relu; code 4 leaky_relu contractive=0.5; dense 6 linear",
                    752, 1);
  contractive_check("input 6; dense 5 sigmoid; dense 4 linear contractive=0.5; code 3 tanh; "
                    "dense 6 linear",
                    753, 1);
  contractive_check("input 6; dense 5 linear; code 4 tanh contractive=0.5; dense 6 linear", 754, 1);
  penalty_check("input 6; dense 5 tanh; code 4 softplus contractive=0.2; dense 6 linear",
                &WITH_MSE_L2, 760, 2, 1);
}

/* Every penalty at once, with the BCE from logits and L2. */
static void test_all_penalties_gradient(void **state) {
  (void)state;
  gc_config cfg = WITH_BCE_LOGITS;
  cfg.l2 = 0.05;
  penalty_check("input 7; dense 6 tanh contractive=0.1 l1=0.01; code 4 sigmoid kl=0.1; "
                "dense 6 elu l1=0.02; dense 7 sigmoid",
                &cfg, 770, 3, 1);
  penalty_check("input 7; dense 6 elu l1=0.01; code 4 sigmoid kl=0.1 contractive=0.3; "
                "dense 6 tanh; dense 7 sigmoid",
                &cfg, 771, 3, 1);
}

/* Tied weights: the whole gradient, with and without penalties, and the
 * shared matrices' gradients equal the sum of both uses: the encoder's
 * gradient plus the transposed decoder gradient of the same model untied
 * (the decoder matrices set to the transposes). */
static void test_tied_gradient(void **state) {
  (void)state;
  const char *tied = "input 7; dense 5 tanh; code 3 sigmoid; dense 5 tanh; dense 7 linear; tied";
  const char *untied = "input 7; dense 5 tanh; code 3 sigmoid; dense 5 tanh; dense 7 linear";
  gc_config cfg = {.loss = AE_LOSS_MSE, .l2 = 0.05}; /* no penalties in the spec */
  penalty_check(tied, &cfg, 780, 3, 1);
  penalty_check("input 6; dense 5 tanh contractive=0.3; code 3 sigmoid kl=0.2; mirror linear; tied",
                &WITH_MSE_L2, 781, 3, 1);
  penalty_check("input 6; dense 5 softplus; code 3 tanh contractive=0.3 l1=0.05; "
                "mirror sigmoid; tied",
                &WITH_BCE_LOGITS, 782, 3, 1);

  gc_problem t, u;
  cfg.l2 = 0.0;
  problem_init(&t, tied, &cfg, 4, 783);
  problem_init(&u, untied, &cfg, 4, 783);
  /* half the weights: the decoder owns biases only */
  const ae_layer *tl = t.g.layers, *ul = u.g.layers;
  assert_int_equal(t.g.n_params, u.g.n_params - 5 * 3 - 7 * 5);
  assert_true(tl[2].transposed && tl[3].transposed && !tl[0].transposed && !tl[1].transposed);
  assert_int_equal(tl[2].w_off, tl[1].w_off);
  assert_int_equal(tl[3].w_off, tl[0].w_off);
  /* the same function: untied parameters copied from the tied ones */
  memcpy(u.x, t.x, (size_t)(4 * 7) * sizeof(float));
  memcpy(u.t, t.t, (size_t)(4 * 7) * sizeof(float));
  for (int32_t i = 0; i < 4; i++) {
    const ae_layer *src = i < 2 ? &tl[i] : &tl[3 - i]; /* the matrix used */
    for (int64_t o = 0; o < ul[i].out; o++) {
      for (int64_t k = 0; k < ul[i].in; k++) {
        /* layer i's W (out, in); a transposed layer reads its twin's (in, out) */
        int64_t at = i < 2 ? o * ul[i].in + k : k * ul[i].out + o;
        u.params[ul[i].w_off + o * ul[i].in + k] = t.params[src->w_off + at];
      }
      u.params[ul[i].b_off + o] = t.params[tl[i].b_off + o];
    }
  }
  assert_close(problem_loss(&t, t.x, NULL), problem_loss(&u, u.x, NULL), 1e-6);
  double *gt = calloc((size_t)t.g.n_params, sizeof(double));
  double *gu = calloc((size_t)u.g.n_params, sizeof(double));
  double *dxt = calloc(4 * 7, sizeof(double)), *dxu = calloc(4 * 7, sizeof(double));
  assert_true(gt && gu && dxt && dxu);
  problem_analytic(&t, gt, dxt);
  problem_analytic(&u, gu, dxu);
  for (int32_t e = 0; e < 2; e++) {
    int32_t d = 3 - e; /* the decoder twin of encoder layer e */
    double enc_part = 0.0, dec_part = 0.0;
    for (int64_t o = 0; o < ul[e].out; o++) {
      for (int64_t k = 0; k < ul[e].in; k++) {
        double from_enc = gu[ul[e].w_off + o * ul[e].in + k];
        double from_dec = gu[ul[d].w_off + k * ul[d].in + o];
        double both = gt[tl[e].w_off + o * ul[e].in + k];
        assert_close(both, from_enc + from_dec, 1e-5 * (fabs(from_enc) + fabs(from_dec)) + 1e-7);
        enc_part = fmax(enc_part, fabs(from_enc));
        dec_part = fmax(dec_part, fabs(from_dec));
      }
    }
    /* both uses contribute */
    assert_true(enc_part > 10 * GC_MIN_GRAD);
    assert_true(dec_part > 10 * GC_MIN_GRAD);
  }
  free(gt);
  free(gu);
  free(dxt);
  free(dxu);
  problem_free(&t);
  problem_free(&u);
}

/* ------------------------------------------------------------------------ */
/* The deep estimate's expectation; ae_jacobian_norm                        */
/* ------------------------------------------------------------------------ */

/* The penalties of a model's graph on x (rows, in), probe (when the graph
 * has one) standard normal from `seed`, as a training step computes them
 * (without standardisation). */
static ae_penalty_sums model_penalties(const ae_model *m, const float *x, int64_t rows,
                                       uint64_t seed) {
  const ae_graph *g = &m->graph;
  ae_workspace ws;
  assert_ok(ae_workspace_init(&ws, g, rows, 1, "test"));
  float *grads = calloc((size_t)g->n_params, sizeof(float));
  assert_non_null(grads);
  if (ws.probe) gc_fill_normal(ws.probe, rows * g->layers[0].in, seed);
  int32_t last = g->n_layers - 1;
  ae_graph_forward(g, m->params, &ws, x, rows, 0, last, 0);
  memset(ws.delta[0], 0, (size_t)(rows * g->layers[last].out) * sizeof(float));
  ae_penalty_sums sums;
  memset(&sums, 0, sizeof sums);
  ae_graph_backward(g, m->params, grads, &ws, x, rows, last, 0, NULL, &sums);
  free(grads);
  ae_workspace_free(&ws);
  return sums;
}

/* lambda times the mean of ae_jacobian_norm over the rows of x. */
static double lambda_mean_jacobian(const ae_model *m, const float *x, int64_t rows,
                                   double lambda) {
  float *jn = malloc((size_t)rows * sizeof(float));
  assert_non_null(jn);
  assert_ok(ae_jacobian_norm(m, x, rows, ae_input_size(m), jn));
  double s = 0.0;
  for (int64_t r = 0; r < rows; r++) s += jn[r];
  free(jn);
  return lambda * s / (double)rows;
}

/* With contractive on the code layer: the exact first-layer penalty is
 * lambda times the mean of ae_jacobian_norm; the deep estimate of one probe
 * per row is not, but averaged over 512 probes per row (the rows repeated in
 * one batch) it comes within a few percent of it. */
static void test_contractive_expectation(void **state) {
  (void)state;
  enum { ROWS = 8, REPEAT = 512, IN = 6 };
  float x[ROWS * IN];
  tu_fill_uniform(x, ROWS * IN, -1.0f, 1.0f, 31);

  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, "input 6; code 4 tanh contractive=0.7; dense 6 linear", 3));
  assert_int_equal(m->graph.contractive_layer, 0);
  double exact = lambda_mean_jacobian(m, x, ROWS, 0.7);
  ae_penalty_sums s = model_penalties(m, x, ROWS, 1);
  assert_close(s.contractive, exact, 1e-5 * exact);
  ae_model_free(m);

  assert_ok(ae_model_create(&m, "input 6; dense 5 tanh; code 4 softplus contractive=0.7; "
                                "mirror linear", 3));
  assert_int_equal(m->graph.contractive_layer, 1);
  exact = lambda_mean_jacobian(m, x, ROWS, 0.7);
  float *tiled = malloc(sizeof x * REPEAT);
  assert_non_null(tiled);
  for (int k = 0; k < REPEAT; k++) memcpy(tiled + k * ROWS * IN, x, sizeof x);
  double one = model_penalties(m, x, ROWS, 2).contractive;
  double many = model_penalties(m, tiled, (int64_t)ROWS * REPEAT, 3).contractive;
  if (verbose()) {
    fprintf(stderr, "deep contractive: exact %.6g, one probe %.6g, %d probes %.6g (%.2f %%)\n",
            exact, one, REPEAT, many, 100.0 * (many / exact - 1.0));
  }
  assert_true(fabs(one / exact - 1.0) > 1e-3); /* an estimate, not the value */
  assert_true(fabs(many / exact - 1.0) < 0.03);
  free(tiled);
  ae_model_free(m);
}

/* ae_jacobian_norm against |J|_F^2 of a finite-difference Jacobian of
 * ae_encode, for a three- and a two-layer encoder, then again with input
 * standardisation: ae_encode then differentiates w.r.t. the raw input,
 * as ae_jacobian_norm must. */
static void test_jacobian_norm(void **state) {
  (void)state;
  enum { ROWS = 5, IN = 5 };
  static const char *const specs[] = {
      "input 5; dense 6 tanh; dense 4 softplus; code 3 sigmoid; mirror linear",
      "input 5; dense 7 elu; code 3 tanh; mirror linear",
  };
  float x[ROWS * IN], mean[IN], scale[IN], code[ROWS * 3], jn[ROWS];
  double fd[ROWS];
  tu_fill_uniform(x, ROWS * IN, -1.5f, 1.5f, 41);
  tu_fill_uniform(mean, IN, -0.5f, 0.5f, 42);
  tu_fill_uniform(scale, IN, 0.4f, 2.5f, 43);
  for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
    ae_model *m = NULL;
    assert_ok(ae_model_create(&m, specs[s], 5 + s));
    fd_map f = {eval_encode, ROWS, IN, 3, NULL, 0, m, code};
    double plain[ROWS];
    for (int scaled = 0; scaled < 2; scaled++) {
      if (scaled) assert_ok(ae_set_input_scaling(m, mean, scale, IN));
      assert_ok(ae_jacobian_norm(m, x, ROWS, IN, jn));
      fd_frobenius(&f, x, JAC_STEP, fd);
      for (int r = 0; r < ROWS; r++) {
        if (verbose()) {
          fprintf(stderr, "%s%s row %d: %.7g vs %.7g\n", specs[s], scaled ? " (scaled)" : "", r,
                  (double)jn[r], fd[r]);
        }
        assert_true(fd[r] > 1e-3);
        assert_close(jn[r], fd[r], 5e-4 * fd[r]);
        if (!scaled) plain[r] = fd[r];
        if (scaled) assert_true(fabs(fd[r] / plain[r] - 1.0) > 0.05); /* scaling matters */
      }
    }
    ae_model_free(m);
  }
}

/* ------------------------------------------------------------------------ */
/* 4. Loss reduction and the training figures                               */
/* ------------------------------------------------------------------------ */

static double stat(const ae_model *m, ae_stat s) {
  double v = NAN;
  assert_ok(ae_train_stat(m, s, &v));
  return v;
}

/* One epoch of one step over all the rows: every training figure is then
 * measured at the initial weights, the same for both reductions. */
static void one_step_options(ae_model *m, int64_t n, ae_reduction reduction) {
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 1));
  assert_ok(ae_set_option(m, AE_OPT_BATCH_SIZE, (double)n));
  assert_ok(ae_set_option(m, AE_OPT_SHUFFLE, 0));
  assert_ok(ae_set_option(m, AE_OPT_L2, 0.01));
  assert_ok(ae_set_option(m, AE_OPT_LOSS_REDUCTION, reduction));
}

/* The penalties of the spec below at m's weights on x, computed here: L1
 * and KL of the code (ae_encode), the exact contractive penalty of the first
 * (tanh) layer, l/B sum_b sum_j (1 - h_bj^2)^2 |W_j|^2, and L2. */
static void expected_figures(const ae_model *m, const float *x, int64_t n, double *l1,
                             double *kl, double *con, double *l2) {
  enum { D = 8, H = 6, C = 5 };
  const ae_graph *g = &m->graph;
  float *code = malloc((size_t)(n * C) * sizeof(float));
  assert_non_null(code);
  assert_ok(ae_encode(m, x, n, D, code, C));
  *l1 = 0.0;
  for (int64_t k = 0; k < n * C; k++) *l1 += fabs((double)code[k]);
  *l1 *= 0.01 / (double)n;
  *kl = 0.0;
  for (int j = 0; j < C; j++) {
    double mean = 0.0;
    for (int64_t b = 0; b < n; b++) mean += code[b * C + j];
    *kl += 2.0 * bernoulli_kl(0.1, mean / (double)n);
  }
  const float *w0 = m->params + g->layers[0].w_off, *b0 = m->params + g->layers[0].b_off;
  *con = 0.0;
  for (int64_t b = 0; b < n; b++) {
    for (int j = 0; j < H; j++) {
      double z = b0[j], r = 0.0;
      for (int k = 0; k < D; k++) {
        z += (double)w0[j * D + k] * x[b * D + k];
        r += (double)w0[j * D + k] * w0[j * D + k];
      }
      double d = 1.0 - tanh(z) * tanh(z);
      *con += d * d * r;
    }
  }
  *con *= 0.05 / (double)n;
  *l2 = 0.0;
  for (int32_t i = 0; i < g->n_layers; i++) {
    const ae_layer *l = &g->layers[i];
    for (int64_t k = 0; k < l->out * l->in; k++) {
      *l2 += 0.5 * 0.01 * (double)m->params[l->w_off + k] * m->params[l->w_off + k];
    }
  }
  free(code);
}

/* AE_REDUCTION_SUM reports exactly D times the per-element reconstruction
 * loss of AE_REDUCTION_MEAN, for the same model and data, in the training
 * figures, the loss history and ae_score (MSE and BCE); the penalties do not
 * depend on the reduction, equal the values computed here, and add up with
 * the reconstruction and L2 to AE_STAT_LOSS. */
static void test_reduction_and_figures(void **state) {
  (void)state;
  enum { N = 40, D = 8 };
  const char *spec = "input 8; dense 6 tanh contractive=0.05; "
                     "code 5 sigmoid kl=0.1 kl_weight=2 l1=0.01; dense 8 linear";
  float x[N * D];
  sd_lowrank(x, N, D, 3, 0.05f, 51, 1);
  ae_model *mean = NULL, *sum = NULL;
  assert_ok(ae_model_create(&mean, spec, 9));
  assert_ok(ae_model_create(&sum, spec, 9));
  double def = -1;
  assert_ok(ae_get_option(mean, AE_OPT_LOSS_REDUCTION, &def));
  assert_true(def == AE_REDUCTION_MEAN);
  one_step_options(mean, N, AE_REDUCTION_MEAN);
  one_step_options(sum, N, AE_REDUCTION_SUM);
  double l1, kl, con, l2;
  expected_figures(mean, x, N, &l1, &kl, &con, &l2);
  float err_mean[N], err_sum[N];
  assert_ok(ae_score(mean, x, N, D, err_mean));
  assert_ok(ae_score(sum, x, N, D, err_sum));
  for (int i = 0; i < N; i++) assert_close(err_sum[i], D * err_mean[i], 1e-6 * err_sum[i]);

  assert_ok(ae_train(mean, x, N, D, NULL, 0));
  assert_ok(ae_train(sum, x, N, D, NULL, 0));
  double rm = stat(mean, AE_STAT_RECONSTRUCTION), rs = stat(sum, AE_STAT_RECONSTRUCTION);
  assert_true(rm > 0.0);
  assert_close(rs, D * rm, 1e-12 * rs);
  /* the mean reconstruction loss is the mean of the per-row scores */
  double score_mean = 0.0;
  for (int i = 0; i < N; i++) score_mean += err_mean[i];
  assert_close(rm, score_mean / N, 1e-6 * rm);
  ae_model *models[2] = {mean, sum};
  for (int k = 0; k < 2; k++) {
    ae_model *m = models[k];
    assert_close(stat(m, AE_STAT_L1_PENALTY), l1, 1e-6 * l1);
    assert_close(stat(m, AE_STAT_KL_PENALTY), kl, 1e-5 * kl);
    assert_close(stat(m, AE_STAT_CONTRACTIVE_PENALTY), con, 1e-5 * con);
    assert_close(stat(m, AE_STAT_L2_PENALTY), l2, 1e-6 * l2);
    double parts = stat(m, AE_STAT_RECONSTRUCTION) + stat(m, AE_STAT_L2_PENALTY) +
                   stat(m, AE_STAT_L1_PENALTY) + stat(m, AE_STAT_KL_PENALTY) +
                   stat(m, AE_STAT_CONTRACTIVE_PENALTY);
    assert_close(stat(m, AE_STAT_LOSS), parts, 1e-12 * parts);
    double history = NAN;
    assert_ok(ae_loss_history(m, 1, &history, NULL));
    assert_close(history, stat(m, AE_STAT_LOSS), 0.0);
  }
  /* the score follows the option on the trained model */
  assert_ok(ae_score(mean, x, N, D, err_mean));
  assert_ok(ae_set_option(mean, AE_OPT_LOSS_REDUCTION, AE_REDUCTION_SUM));
  assert_ok(ae_score(mean, x, N, D, err_sum));
  for (int i = 0; i < N; i++) assert_close(err_sum[i], D * err_mean[i], 1e-6 * err_sum[i]);
  /* and under BCE, on data in [0, 1] */
  float p[N * D];
  tu_fill_uniform(p, N * D, 0.0f, 1.0f, 52);
  assert_ok(ae_set_option(mean, AE_OPT_LOSS, AE_LOSS_BCE));
  assert_ok(ae_score(mean, p, N, D, err_sum));
  assert_ok(ae_set_option(mean, AE_OPT_LOSS_REDUCTION, AE_REDUCTION_MEAN));
  assert_ok(ae_score(mean, p, N, D, err_mean));
  for (int i = 0; i < N; i++) assert_close(err_sum[i], D * err_mean[i], 1e-6 * err_sum[i]);
  /* out of range */
  assert_status(ae_set_option(mean, AE_OPT_LOSS_REDUCTION, 2), AE_ERR_INVALID_ARGUMENT);
  assert_status(ae_set_option(mean, AE_OPT_LOSS_REDUCTION, 0.5), AE_ERR_INVALID_ARGUMENT);
  ae_model_free(mean);
  ae_model_free(sum);
}

/* ------------------------------------------------------------------------ */
/* 5. Behaviour                                                             */
/* ------------------------------------------------------------------------ */

enum { BN = 512, BH = 256, BD = 16 }; /* training rows, held-out rows, width */

/* Training and held-out rows from one rank-4 manifold. */
static sd_data behaviour_data(void) { return sd_data_make(BN, BH, BD, 4, 0.05f, 61); }

/* A model of `spec` trained on the training rows for 30 epochs. */
static ae_model *train_model(const char *spec, const sd_data *data) {
  return sd_train(spec, 17, data->train, NULL, BN, BD, 30, 1e-2);
}

/* A model trained on the behaviour data, the codes of its training rows (or
 * held-out rows) and its held-out reconstruction error. */
typedef struct trained {
  ae_model *m;
  float *code;       /* (rows, width) */
  int64_t rows, width;
  double held_out_mse;
} trained;

static trained train_and_encode(const char *spec, const sd_data *data, int held_out) {
  trained t = {train_model(spec, data), NULL, held_out ? BH : BN, 0, 0.0};
  t.width = ae_code_size(t.m);
  t.code = malloc((size_t)(t.rows * t.width) * sizeof(float));
  float *out = malloc(BH * BD * sizeof(float));
  assert_true(t.code && out);
  assert_ok(ae_encode(t.m, held_out ? data->held_out : data->train, t.rows, BD, t.code, t.width));
  assert_ok(ae_reconstruct(t.m, data->held_out, BH, BD, out, BD));
  t.held_out_mse = sd_mse(out, data->held_out, BH * BD);
  free(out);
  return t;
}

static void trained_free(trained *t) {
  free(t->code);
  ae_model_free(t->m);
}

/* KL sparsity drives the mean activation of its sigmoid layer over the
 * training rows to rho = 0.05 (within 0.01, and every unit's within 0.03),
 * where the same model without it sits far from it. */
static void test_kl_reaches_target(void **state) {
  (void)state;
  sd_data data = behaviour_data();
  static const char *const specs[2] = {"input 16; code 24 sigmoid kl=0.05; dense 16 linear",
                                       "input 16; code 24 sigmoid; dense 16 linear"};
  double overall[2], worst_unit[2];
  for (int k = 0; k < 2; k++) {
    trained t = train_and_encode(specs[k], &data, 0);
    overall[k] = 0.0;
    worst_unit[k] = 0.0;
    for (int64_t j = 0; j < t.width; j++) {
      double mean = 0.0;
      for (int64_t b = 0; b < t.rows; b++) mean += t.code[b * t.width + j];
      mean /= (double)t.rows;
      overall[k] += mean / (double)t.width;
      worst_unit[k] = fmax(worst_unit[k], fabs(mean - 0.05));
    }
    if (verbose()) {
      fprintf(stderr, "%s: mean activation %.4f, worst unit off by %.4f, kl %.4g\n", specs[k],
              overall[k], worst_unit[k], stat(t.m, AE_STAT_KL_PENALTY));
    }
    trained_free(&t);
  }
  assert_true(fabs(overall[0] - 0.05) < 0.01);
  assert_true(worst_unit[0] < 0.03);
  assert_true(fabs(overall[1] - 0.05) > 0.1);
  sd_data_free(&data);
}

/* The L1 penalty makes many more codes of held-out rows near zero
 * (|h| < 0.01) than the same model without it, and still reconstructs. */
static void test_l1_sparser_codes(void **state) {
  (void)state;
  sd_data data = behaviour_data();
  static const char *const specs[2] = {"input 16; code 24 tanh l1=0.02; dense 16 linear",
                                       "input 16; code 24 tanh; dense 16 linear"};
  double share[2], err[2];
  for (int k = 0; k < 2; k++) {
    trained t = train_and_encode(specs[k], &data, 1);
    int64_t small = 0;
    for (int64_t i = 0; i < t.rows * t.width; i++) small += fabsf(t.code[i]) < 0.01f;
    share[k] = (double)small / (double)(t.rows * t.width);
    err[k] = t.held_out_mse;
    if (verbose()) {
      fprintf(stderr, "%s: %.1f %% of codes near 0, held-out mse %.5f\n", specs[k],
              100 * share[k], err[k]);
    }
    trained_free(&t);
  }
  assert_true(share[0] > 0.3);
  assert_true(share[0] > 3 * share[1]);
  assert_true(err[0] < 0.1 * 0.0307); /* the data's variance is 0.0307 */
  sd_data_free(&data);
}

/* The contractive penalty lowers the mean |J|_F^2 (ae_jacobian_norm) on
 * held-out data to less than half that of the same model without it, exact
 * on a one-layer encoder and estimated on a deeper one, at a strength that
 * keeps the held-out reconstruction error within 1.5 times. */
static void test_contractive_contracts(void **state) {
  (void)state;
  sd_data data = behaviour_data();
  const float *h = data.held_out;
  float *out = malloc(BH * BD * sizeof(float));
  assert_non_null(out);
  static const char *const specs[2][2] = {
      {"input 16; code 8 tanh contractive=0.001; dense 16 linear",
       "input 16; code 8 tanh; dense 16 linear"},
      {"input 16; dense 12 tanh; code 8 tanh contractive=0.001; mirror linear",
       "input 16; dense 12 tanh; code 8 tanh; mirror linear"},
  };
  for (int s = 0; s < 2; s++) {
    double jac[2], err[2];
    for (int k = 0; k < 2; k++) {
      ae_model *m = train_model(specs[s][k], &data);
      jac[k] = lambda_mean_jacobian(m, h, BH, 1.0);
      assert_ok(ae_reconstruct(m, h, BH, BD, out, BD));
      err[k] = sd_mse(out, h, BH * BD);
      double figure = stat(m, AE_STAT_CONTRACTIVE_PENALTY);
      if (verbose()) {
        fprintf(stderr, "%s: held-out mean |J|_F^2 %.4f, mse %.5f; contractive figure %.4g\n",
                specs[s][k], jac[k], err[k], figure);
      }
      assert_true(k == 0 ? figure > 0.0 : figure == 0.0);
      ae_model_free(m);
    }
    assert_true(jac[0] < 0.5 * jac[1]);
    assert_true(err[0] < 1.5 * err[1]);
  }
  sd_data_free(&data);
  free(out);
}

/* Tied weights: half the weights (counted by hand), training lowers the loss,
 * the decoder really uses the transposed encoder matrices (a reconstruction
 * computed here from the parameters), and model files round-trip bit for
 * bit. */
static void test_tied_model(void **state) {
  (void)state;
  enum { D = 10, H = 6, C = 3, N = 200 };
  const char *spec = "input 10; dense 6 tanh; code 3 linear; mirror sigmoid; tied";
  ae_model *m = NULL, *untied = NULL;
  assert_ok(ae_model_create(&m, spec, 23));
  assert_ok(ae_model_create(&untied, "input 10; dense 6 tanh; code 3 linear; mirror sigmoid", 23));
  assert_string_equal(ae_model_spec(m), "input 10; dense 6 tanh; code 3 linear; dense 6 tanh; "
                                        "dense 10 sigmoid; tied");
  int64_t weights = D * H + H * C, biases = H + C + H + D;
  assert_int_equal(ae_param_count(m), weights + biases); /* 78 + 25 = 103 */
  assert_int_equal(ae_param_count(untied), 2 * weights + biases);
  ae_model_free(untied);

  float *x = malloc(N * D * sizeof(float)), *out = malloc(N * D * sizeof(float));
  assert_true(x && out);
  sd_lowrank(x, N, D, 3, 0.02f, 71, 1);
  for (int i = 0; i < N * D; i++) x[i] = 0.5f * x[i] + 0.25f; /* within (0, 1) */
  assert_ok(ae_reconstruct(m, x, N, D, out, D));
  double before = sd_mse(out, x, N * D);
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 40));
  assert_ok(ae_set_option(m, AE_OPT_BATCH_SIZE, 20));
  assert_ok(ae_set_option(m, AE_OPT_LEARNING_RATE, 1e-2));
  assert_ok(ae_train(m, x, N, D, NULL, 0));
  assert_ok(ae_reconstruct(m, x, N, D, out, D));
  double after = sd_mse(out, x, N * D);
  double first = NAN, last = NAN;
  assert_ok(ae_loss_history(m, 1, &first, NULL));
  assert_ok(ae_loss_history(m, 40, &last, NULL));
  if (verbose()) {
    fprintf(stderr, "tied: mse %.5f -> %.5f, loss %.5f -> %.5f\n", before, after, first, last);
  }
  assert_true(after < 0.2 * before);
  assert_true(last < 0.5 * first);

  /* the reconstruction from the arena, decoder with W^T */
  const ae_graph *g = &m->graph;
  const float *p = m->params;
  const float *w0 = p + g->layers[0].w_off, *w1 = p + g->layers[1].w_off;
  for (int b = 0; b < 3; b++) {
    const float *xb = x + b * D;
    double h0[H], c[C], h2[H];
    for (int j = 0; j < H; j++) {
      double z = p[g->layers[0].b_off + j];
      for (int k = 0; k < D; k++) z += (double)w0[j * D + k] * xb[k];
      h0[j] = tanh(z);
    }
    for (int j = 0; j < C; j++) {
      c[j] = p[g->layers[1].b_off + j];
      for (int k = 0; k < H; k++) c[j] += (double)w1[j * H + k] * h0[k];
    }
    for (int j = 0; j < H; j++) {
      double z = p[g->layers[2].b_off + j];
      for (int k = 0; k < C; k++) z += (double)w1[k * H + j] * c[k]; /* W1^T */
      h2[j] = tanh(z);
    }
    for (int j = 0; j < D; j++) {
      double z = p[g->layers[3].b_off + j];
      for (int k = 0; k < H; k++) z += (double)w0[k * D + j] * h2[k]; /* W0^T */
      assert_close(out[b * D + j], 1.0 / (1.0 + exp(-z)), 1e-5);
    }
  }

  /* model files: buffer and file round trips, bit for bit */
  tu_snapshot snap = tu_take_snapshot(m);
  ae_model *back = NULL;
  assert_ok(ae_load_buffer(&back, snap.bytes, snap.size));
  tu_assert_snapshot(back, &snap);
  assert_string_equal(ae_model_spec(back), ae_model_spec(m));
  assert_int_equal(ae_param_count(back), weights + biases);
  float *out2 = malloc(N * D * sizeof(float));
  assert_non_null(out2);
  assert_ok(ae_reconstruct(back, x, N, D, out2, D));
  assert_memory_equal(out, out2, N * D * sizeof(float));
  ae_model_free(back);
  char path[512];
  tu_temp_path(path, sizeof path, "test_penalties_tied.ae");
  assert_ok(ae_save(m, path, AE_SAVE_OPTIMIZER_STATE));
  assert_ok(ae_load(&back, path));
  tu_assert_snapshot(back, &snap);
  /* and training goes on identically from the loaded copy */
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 2));
  assert_ok(ae_set_option(back, AE_OPT_EPOCHS, 2));
  assert_ok(ae_train(m, x, N, D, NULL, 0));
  assert_ok(ae_train(back, x, N, D, NULL, 0));
  tu_snapshot a = tu_take_snapshot(m), b = tu_take_snapshot(back);
  assert_true(tu_same_snapshot(&a, &b));
  tu_snapshot_free(&a);
  tu_snapshot_free(&b);
  remove(path);
  ae_model_free(back);
  tu_snapshot_free(&snap);
  free(out2);
  free(x);
  free(out);
  ae_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_l1_gradient),
      cmocka_unit_test(test_kl_gradient),
      cmocka_unit_test(test_contractive_exact_gradient),
      cmocka_unit_test(test_contractive_deep_gradient),
      cmocka_unit_test(test_all_penalties_gradient),
      cmocka_unit_test(test_tied_gradient),
      cmocka_unit_test(test_contractive_expectation),
      cmocka_unit_test(test_jacobian_norm),
      cmocka_unit_test(test_reduction_and_figures),
      cmocka_unit_test(test_kl_reaches_target),
      cmocka_unit_test(test_l1_sparser_codes),
      cmocka_unit_test(test_contractive_contracts),
      cmocka_unit_test(test_tied_model),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
