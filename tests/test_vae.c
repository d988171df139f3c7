/* test_vae.c -- the variational autoencoder (issue 4): the `gaussian` code
 * layer, its KL term, the reparameterization trick, sampling, the negative
 * ELBO, beta warm-up, saving, and the spec's errors.
 *
 *  1. The KL term alone (ae_kl_gaussian): 0 at the prior, the closed form on
 *     random values (computed here independently), and its gradient against
 *     finite differences and the closed-form derivative.
 *  2. The whole reparameterized path, graph level: with eps held fixed (the
 *     test fills ws.eps, ws.sample = 1), the analytic gradient of
 *     L = reconstruction + vae_beta * KL with respect to every parameter and
 *     every input value against central differences of L (the KL recomputed
 *     here from ws.stats), for BCE from logits and MSE, beta 1 and not, with
 *     the KL left out (penalties NULL) and without sampling. The log-variance
 *     clamp: beyond the bounds its gradient is exactly 0, nothing is NaN.
 *  3. Inference: exact structure on a model whose heads and decoder are set
 *     by hand (the mean is x, the sample x + sigma eps with eps ~ N(0, I),
 *     ae_sample decodes N(0, I) codes, the negative ELBO is the row's summed
 *     reconstruction loss of a sampled z plus the KL), determinism by seed,
 *     AE_CODE_MEAN == ae_encode, the log variance within [-30, 20], and
 *     non-variational models refused.
 *  4. Training on a synthetic 2-D manifold in 16-D: the negative ELBO falls,
 *     and decoded samples match the data's per-feature means and overall
 *     variance, while deliberately broken samplers do not.
 *  5. Numerics: extreme inputs and weights give finite results or
 *     AE_ERR_DIVERGED, never a silent NaN.
 *  6. Warm-up: the KL weight of epoch e is beta * e / E, then beta.
 *  7. Saving and loading.
 *  8. Spec errors.
 *
 * Internal headers are used to build graphs (section 2) and to set a model's
 * weights by hand (model.h: m->params). AE_VAE_VERBOSE=1 prints the figures
 * the tolerances of section 4 are judged by. */
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
#include "layers/gaussian.h"
#include "model.h"

static int vae_verbose(void) {
  const char *v = getenv("AE_VAE_VERBOSE");
  return v && *v && *v != '0';
}

/* -1/2 sum_j (1 + lv_j - mu_j^2 - e^lv_j), written out here in long double,
 * independently of src/reg/kl_gaussian.c. */
static long double kl_closed_form(const float *mu, const float *lv, int64_t n) {
  long double s = 0.0L;
  for (int64_t j = 0; j < n; j++) {
    s += 1.0L + (long double)lv[j] - (long double)mu[j] * (long double)mu[j] -
         expl((long double)lv[j]);
  }
  return -0.5L * s;
}

/* The mean closed-form KL over `batch` rows of stats (B, 2N) = [mu | lv]. */
static double kl_mean_stats(const float *stats, int64_t batch, int64_t n) {
  long double s = 0.0L;
  for (int64_t b = 0; b < batch; b++) {
    s += kl_closed_form(stats + b * 2 * n, stats + b * 2 * n + n, n);
  }
  return (double)(s / (long double)batch);
}

static int all_finite_f(const float *v, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(v[i])) return 0;
  }
  return 1;
}

static int all_finite_d(const double *v, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(v[i])) return 0;
  }
  return 1;
}

/* Asserts |a - b| <= rel * max(|a|, |b|) + abs_tol. */
#define assert_rel(a, b, rel, abs_tol)                                                  \
  do {                                                                                 \
    double ra_ = (double)(a), rb_ = (double)(b);                                       \
    double rt_ = (double)(rel) * fmax(fabs(ra_), fabs(rb_)) + (double)(abs_tol);       \
    if (!(fabs(ra_ - rb_) <= rt_)) {                                                   \
      fail_msg("%s = %.10g and %s = %.10g differ by more than %.3g", #a, ra_, #b, rb_, \
               rt_);                                                                   \
    }                                                                                  \
  } while (0)

/* Asserts that a call failed with `expected` and that its message contains
 * `needle`. */
#define assert_fails_with(expr, expected, needle)                                   \
  do {                                                                              \
    assert_status(expr, expected);                                                  \
    if (!strstr(ae_last_error(), (needle))) {                                       \
      fail_msg("%s: message \"%s\" lacks \"%s\"", #expr, ae_last_error(), (needle)); \
    }                                                                               \
  } while (0)

/* The gaussian code layer of a model, for setting its weights by hand. Its
 * weights are (2N, in) at w_off, mu's rows first; biases (2N) at b_off. */
static const ae_layer *gaussian_layer(const ae_model *m) {
  const ae_layer *l = &m->graph.layers[m->graph.code_layer];
  assert_int_equal(l->kind, AE_LAYER_GAUSSIAN);
  return l;
}

/* ------------------------------------------------------------------------ */
/* 1. The KL term alone                                                     */
/* ------------------------------------------------------------------------ */

/* KL(N(0, I) || N(0, I)) = 0, and so is its gradient; away from the prior it
 * is positive, with the values of the closed form for single coordinates. */
static void test_kl_zero_at_prior(void **state) {
  (void)state;
  enum { B = 3, N = 5 };
  float stats[B * 2 * N], d[B * 2 * N];
  memset(stats, 0, sizeof stats);
  memset(d, 0, sizeof d);
  assert_true(ae_kl_gaussian_row(stats, N) == 0.0);
  assert_true(ae_kl_gaussian(stats, d, B, N, 2.0) == 0.0);
  for (int i = 0; i < B * 2 * N; i++) assert_true(d[i] == 0.0f);

  /* one coordinate off the prior at a time: mu^2 / 2, (e^lv - 1 - lv) / 2 */
  float one[2] = {0.5f, 0.0f};
  assert_close(ae_kl_gaussian_row(one, 1), 0.125, 1e-15);
  one[0] = 0.0f;
  one[1] = 1.0f;
  assert_close(ae_kl_gaussian_row(one, 1), 0.5 * (exp(1.0) - 2.0), 1e-12);
  one[1] = -1.0f;
  assert_close(ae_kl_gaussian_row(one, 1), 0.5 * exp(-1.0), 1e-12);
  /* at the clamp bounds: finite */
  one[1] = AE_LOGVAR_MAX;
  assert_true(isfinite(ae_kl_gaussian_row(one, 1)));
  one[1] = AE_LOGVAR_MIN;
  assert_close(ae_kl_gaussian_row(one, 1), 0.5 * (29.0 + exp(-30.0)), 1e-9);
}

/* The value against the closed form on random values, and the gradient
 * against the closed-form derivative and finite differences of the value, for
 * several beta; the gradient is ADDED to dstats. */
static void test_kl_value_and_gradient(void **state) {
  (void)state;
  enum { B = 5, N = 7, S = B * 2 * N };
  float stats[S];
  for (int b = 0; b < B; b++) {
    tu_fill_uniform(stats + b * 2 * N, N, -3.0f, 3.0f, 10 + (uint64_t)b);
    tu_fill_uniform(stats + b * 2 * N + N, N, -5.0f, 4.0f, 20 + (uint64_t)b);
  }
  long double rows = 0.0L;
  for (int b = 0; b < B; b++) {
    const float *mu = stats + b * 2 * N;
    long double expect = kl_closed_form(mu, mu + N, N);
    double got = ae_kl_gaussian_row(mu, N);
    assert_rel(got, (double)expect, 1e-12, 1e-14);
    assert_true(got > 0.0);
    rows += expect;
  }
  static const double betas[] = {1.0, 0.3, 7.5};
  for (size_t k = 0; k < sizeof betas / sizeof betas[0]; k++) {
    double beta = betas[k];
    float base[S], d[S], scratch[S];
    tu_fill_uniform(base, S, -1.0f, 1.0f, 77);
    memcpy(d, base, sizeof d);
    double value = ae_kl_gaussian(stats, d, B, N, beta);
    assert_rel(value, beta * (double)(rows / B), 1e-12, 1e-14);
    for (int i = 0; i < S; i++) {
      int b = i / (2 * N), j = i % (2 * N);
      double analytic = (double)d[i] - (double)base[i];
      double closed = j < N ? beta / B * stats[i] : beta / (2.0 * B) * (exp(stats[i]) - 1.0);
      assert_rel(analytic, closed, 1e-5, 1e-6);
      /* Richardson-extrapolated central differences of the value (double
       * sums of float stats: only O(h^4) error). */
      float saved = stats[i];
      double h = 1e-2 * fmax(1.0, fabs((double)saved)), dq[2];
      for (int m = 0; m < 2; m++) {
        double at[2], f[2];
        for (int side = 0; side < 2; side++) {
          stats[i] = (float)((double)saved + (side ? -1.0 : 1.0) * (m + 1) * h);
          at[side] = stats[i];
          f[side] = ae_kl_gaussian(stats, scratch, B, N, beta);
        }
        stats[i] = saved;
        dq[m] = (f[0] - f[1]) / (at[0] - at[1]);
      }
      double numeric = (4.0 * dq[0] - dq[1]) / 3.0;
      if (!(fabs(analytic - numeric) <= 1e-5 * fmax(fabs(analytic), fabs(numeric)) + 1e-6)) {
        fail_msg("beta %g, row %d, %s[%d]: analytic %.9g, numeric %.9g", beta, b,
                 j < N ? "mu" : "logvar", j % N, analytic, numeric);
      }
    }
  }
}

/* ------------------------------------------------------------------------ */
/* 2. The reparameterized path, graph level                                 */
/* ------------------------------------------------------------------------ */

#define VAE_SPEC "input 7; dense 5 tanh; gaussian 3; dense 5 tanh; dense 7 sigmoid"
#define VAE_BATCH 4

/* What the scalar L of a check is made of. */
typedef struct vae_setup {
  ae_loss_kind loss;
  int from_logits;
  int sum_reduction; /* reconstruction divided by the batch (AE_REDUCTION_SUM), else by count */
  int with_kl;       /* penalties given to ae_graph_backward and beta * KL in L */
  int sample;        /* ws.sample: z = mu + sigma eps, else z = mu */
  double beta;       /* ws.vae_beta */
} vae_setup;

/* gradcheck_util.h's problem (graph, point, targets) with non-zero
 * log-variance biases, a fixed eps, and the setup's sampling and beta. */
static void vae_problem_init(gc_problem *p, const vae_setup *s, uint64_t seed) {
  gc_config cfg = {s->loss, s->from_logits, 0.0, 0, 0};
  problem_init(p, VAE_SPEC, &cfg, VAE_BATCH, seed);
  assert_true(p->g.variational);
  const ae_layer *gl = &p->g.layers[p->g.code_layer];
  assert_int_equal(gl->kind, AE_LAYER_GAUSSIAN);
  assert_non_null(p->ws.stats);
  assert_non_null(p->ws.eps);
  /* sigma between e^-0.6 and e^0.25 */
  tu_fill_uniform(p->params + gl->b_off + gl->out, gl->out, -1.2f, 0.5f, mix64(seed ^ 0x1f));
  gc_fill_normal(p->ws.eps, p->batch * gl->out, mix64(seed ^ 0xe5));
  p->ws.sample = s->sample;
  p->ws.vae_beta = s->beta;
}

static double vae_divisor(const gc_problem *p, const vae_setup *s) {
  return s->sum_reduction ? (double)p->batch : (double)(p->batch * p->out);
}

/* L at the current parameters for input x: the reconstruction loss plus,
 * with_kl, beta times the batch mean of the KL recomputed here from
 * ws.stats (the clamped statistics the forward pass used). */
static double vae_loss(gc_problem *p, const vae_setup *s, const float *x) {
  int32_t last = p->g.n_layers - 1;
  ae_graph_forward(&p->g, p->params, &p->ws, x, p->batch, 0, last, s->from_logits);
  int64_t count = p->batch * p->out;
  double loss =
      ae_loss_eval(NULL, s->loss, s->from_logits, p->ws.out[last], p->t, count, NULL, 0.0f) /
                vae_divisor(p, s);
  if (s->with_kl) {
    loss += s->beta * kl_mean_stats(p->ws.stats, p->batch, p->g.layers[p->g.code_layer].out);
  }
  return loss;
}

/* The analytic gradient as training computes it, into grads (n_params) and
 * dx (batch, in). The gradient arena starts non-zero and dx as garbage (see
 * gradcheck_util.h). Returns the vae_kl ae_graph_backward reported. */
static double vae_analytic(gc_problem *p, const vae_setup *s, double *grads, double *dx) {
  int32_t last = p->g.n_layers - 1;
  int64_t np = p->g.n_params, nx = p->batch * p->in, count = p->batch * p->out;
  float *gf = calloc((size_t)np, sizeof(float));
  float *base = calloc((size_t)np, sizeof(float));
  float *dxf = calloc((size_t)nx, sizeof(float));
  assert_true(gf && base && dxf);
  tu_fill_uniform(base, np, -0.25f, 0.25f, 99);
  memcpy(gf, base, (size_t)np * sizeof(float));
  for (int64_t i = 0; i < nx; i++) dxf[i] = 1e6f;
  ae_graph_forward(&p->g, p->params, &p->ws, p->x, p->batch, 0, last, s->from_logits);
  ae_loss_eval(NULL, s->loss, s->from_logits, p->ws.out[last], p->t, count, p->ws.delta[0],
               (float)(1.0 / vae_divisor(p, s)));
  ae_penalty_sums sums;
  memset(&sums, 0, sizeof sums);
  ae_graph_backward(&p->g, p->params, gf, &p->ws, p->x, p->batch, last, s->from_logits, dxf,
                    s->with_kl ? &sums : NULL);
  for (int64_t i = 0; i < np; i++) grads[i] = (double)gf[i] - (double)base[i];
  for (int64_t i = 0; i < nx; i++) dx[i] = dxf[i];
  free(gf);
  free(base);
  free(dxf);
  return sums.vae_kl;
}

/* dL/dv[i], i < count, by Richardson extrapolation of two central
 * differences, as gradcheck_util.h's problem_numeric (no kinks here). */
static void vae_numeric(gc_problem *p, const vae_setup *s, float *v, int64_t count,
                        double *numeric) {
  for (int64_t i = 0; i < count; i++) {
    float saved = v[i];
    double h = GC_STEP * fmax(1.0, fabs((double)saved)), d[2];
    for (int k = 0; k < 2; k++) {
      double at[2], loss[2];
      for (int side = 0; side < 2; side++) {
        v[i] = (float)((double)saved + (side ? -1.0 : 1.0) * (k + 1) * h);
        at[side] = (double)v[i];
        loss[side] = vae_loss(p, s, p->x);
      }
      v[i] = saved;
      d[k] = (loss[0] - loss[1]) / (at[0] - at[1]);
    }
    numeric[i] = (4.0 * d[0] - d[1]) / 3.0;
  }
}

typedef struct vae_result {
  double loss, reported_kl;
  int64_t np, nx;
  double *ga, *gn, *xa, *xn;
} vae_result;

static void vae_compute(gc_problem *p, const vae_setup *s, vae_result *r) {
  r->np = p->g.n_params;
  r->nx = p->batch * p->in;
  r->ga = calloc((size_t)r->np, sizeof(double));
  r->gn = calloc((size_t)r->np, sizeof(double));
  r->xa = calloc((size_t)r->nx, sizeof(double));
  r->xn = calloc((size_t)r->nx, sizeof(double));
  assert_true(r->ga && r->gn && r->xa && r->xn);
  r->loss = vae_loss(p, s, p->x);
  r->reported_kl = vae_analytic(p, s, r->ga, r->xa);
  vae_numeric(p, s, p->params, r->np, r->gn);
  vae_numeric(p, s, p->x, r->nx, r->xn);
}

static void vae_result_free(vae_result *r) {
  free(r->ga);
  free(r->gn);
  free(r->xa);
  free(r->xn);
}

/* Mismatches between analytic and numeric, gradcheck_util.h's tolerances. */
static int64_t vae_compare(const gc_problem *p, const vae_setup *s, const vae_result *r,
                           int quiet) {
  gc_stats gs, xs;
  memset(&gs, 0, sizeof gs);
  memset(&xs, 0, sizeof xs);
  double atol = GC_ATOL * fmax(1.0, fabs(r->loss));
  int64_t bad = gc_compare("dparams", r->ga, r->gn, NULL, r->np, atol, &gs);
  bad += gc_compare("dx", r->xa, r->xn, NULL, r->nx, atol, &xs);
  if ((bad && !quiet) || gc_verbose()) {
    fprintf(stderr,
            "%s %s%s beta=%g%s%s: L=%.5g, params worst %.3f max %.2g, x worst %.3f max %.2g, "
            "%lld mismatches\n",
            p->text, s->loss == AE_LOSS_BCE ? "bce" : "mse", s->from_logits ? "(logits)" : "",
            s->beta, s->with_kl ? " +kl" : "", s->sample ? " sampled" : " z=mu", r->loss,
            gs.worst, gs.max_abs, xs.worst, xs.max_abs, (long long)bad);
  }
  return bad;
}

/* The full check of one setup, with its guards against passing trivially. */
static void vae_gradcheck(const vae_setup *s, uint64_t seed) {
  gc_problem p;
  vae_problem_init(&p, s, seed);
  vae_result r;
  vae_compute(&p, s, &r);
  assert_int_equal(vae_compare(&p, s, &r, 0), 0);

  const ae_layer *gl = &p.g.layers[p.g.code_layer];
  int64_t n = gl->out;
  if (s->with_kl) {
    /* the value ae_graph_backward reports is beta * KL, as computed here */
    vae_loss(&p, s, p.x);
    assert_rel(r.reported_kl, s->beta * kl_mean_stats(p.ws.stats, p.batch, n), 1e-6, 1e-9);
    assert_true(r.reported_kl > 0.0);
  } else {
    assert_true(r.reported_kl == 0.0);
  }
  /* Not trivially zero: x, every dense layer's weights and biases, and both
   * heads of the gaussian layer, except the log-variance head when nothing
   * reaches it (no KL, no sampling), where it must be exactly 0. */
  assert_true(max_abs(r.xa, r.nx) > GC_MIN_GRAD);
  gc_result as_gc = {r.loss, r.np, r.nx, r.ga, r.gn, r.xa, r.xn, NULL, NULL};
  for (int32_t i = 0; i < p.g.n_layers; i++) {
    if (i != p.g.code_layer) result_assert_layer_nonzero(&p, &as_gc, i, 1);
  }
  double mu_w = max_abs(r.ga + gl->w_off, n * gl->in);
  double lv_w = max_abs(r.ga + gl->w_off + n * gl->in, n * gl->in);
  double mu_b = max_abs(r.ga + gl->b_off, n), lv_b = max_abs(r.ga + gl->b_off + n, n);
  assert_true(mu_w > GC_MIN_GRAD && mu_b > GC_MIN_GRAD);
  if (s->with_kl || s->sample) {
    assert_true(lv_w > GC_MIN_GRAD && lv_b > GC_MIN_GRAD);
  } else {
    assert_true(lv_w == 0.0 && lv_b == 0.0);
  }
  vae_result_free(&r);
  problem_free(&p);
}

/* Reconstruction + KL through z = mu + sigma * eps: BCE from logits with the
 * per-sample (SUM) reduction a VAE trains with, and the MSE on
 * probabilities per element; beta 1 and beta-VAEs. */
static void test_gradcheck_reparameterized(void **state) {
  (void)state;
  vae_setup bce = {AE_LOSS_BCE, 1, 1, 1, 1, 1.0};
  vae_gradcheck(&bce, 1);
  vae_setup mse = {AE_LOSS_MSE, 0, 0, 1, 1, 0.35};
  vae_gradcheck(&mse, 2);
  vae_setup beta = {AE_LOSS_BCE, 1, 1, 1, 1, 2.5};
  vae_gradcheck(&beta, 3);
  vae_setup mse_sum = {AE_LOSS_MSE, 0, 1, 1, 1, 4.0};
  vae_gradcheck(&mse_sum, 4);
}

/* The parts alone: the reparameterized path without the KL (penalties NULL
 * leaves it out), and the KL without sampling (z = mu). */
static void test_gradcheck_parts(void **state) {
  (void)state;
  vae_setup no_kl = {AE_LOSS_BCE, 1, 1, 0, 1, 1.0};
  vae_gradcheck(&no_kl, 5);
  vae_setup mean_only = {AE_LOSS_MSE, 0, 1, 1, 0, 1.0};
  vae_gradcheck(&mean_only, 6);
  vae_setup nothing = {AE_LOSS_MSE, 0, 1, 0, 0, 1.0};
  vae_gradcheck(&nothing, 7);
}

/* The check can fail: an analytic gradient taken with a different eps, or a
 * different beta, than the loss differentiated numerically is reported. */
static void test_gradcheck_detects_mismatch(void **state) {
  (void)state;
  vae_setup s = {AE_LOSS_BCE, 1, 1, 1, 1, 1.0};
  gc_problem p;
  vae_problem_init(&p, &s, 11);
  vae_result r;
  vae_compute(&p, &s, &r);
  assert_int_equal(vae_compare(&p, &s, &r, 1), 0);
  int64_t ne = p.batch * p.g.layers[p.g.code_layer].out;

  fprintf(stderr, "expected mismatches follow:\n");
  /* the numeric side with eps negated */
  for (int64_t i = 0; i < ne; i++) p.ws.eps[i] = -p.ws.eps[i];
  vae_numeric(&p, &s, p.params, r.np, r.gn);
  vae_numeric(&p, &s, p.x, r.nx, r.xn);
  assert_true(vae_compare(&p, &s, &r, 1) > 0);
  for (int64_t i = 0; i < ne; i++) p.ws.eps[i] = -p.ws.eps[i];

  /* the numeric side with beta doubled */
  vae_setup twice = s;
  twice.beta = 2.0;
  vae_numeric(&p, &twice, p.params, r.np, r.gn);
  vae_numeric(&p, &twice, p.x, r.nx, r.xn);
  assert_true(vae_compare(&p, &s, &r, 1) > 0);
  fprintf(stderr, "(end of expected mismatches)\n");
  vae_result_free(&r);
  problem_free(&p);
}

/* Log-variance pushed beyond the clamp (by about 4 and 30 or more, the heads'
 * |W h| being at most 3.7 here, and by 1e30): the stored statistics sit at
 * the bounds, the gradient of the clamped units' log-variance rows (weights
 * and bias) is exactly 0 analytically and numerically, the other units' is
 * not, and nothing is NaN. */
static void test_logvar_clamp(void **state) {
  (void)state;
  static const float beyond[][2] = {{60.0f, -60.0f}, {1e30f, -1e30f}, {24.0f, -34.0f}};
  for (size_t k = 0; k < sizeof beyond / sizeof beyond[0]; k++) {
    vae_setup s = {k == 1 ? AE_LOSS_MSE : AE_LOSS_BCE, k != 1, 1, 1, 1, 1.0};
    gc_problem p;
    vae_problem_init(&p, &s, 20 + k);
    const ae_layer *gl = &p.g.layers[p.g.code_layer];
    int64_t n = gl->out, in = gl->in;
    float *lv_bias = p.params + gl->b_off + n;
    lv_bias[0] = beyond[k][0];
    lv_bias[1] = beyond[k][1];
    /* unit 2 stays inside */
    double loss = vae_loss(&p, &s, p.x);
    assert_true(isfinite(loss));
    for (int64_t b = 0; b < p.batch; b++) {
      const float *lv = p.ws.stats + b * 2 * n + n;
      assert_true(lv[0] == AE_LOGVAR_MAX);
      assert_true(lv[1] == AE_LOGVAR_MIN);
      assert_true(lv[2] > AE_LOGVAR_MIN && lv[2] < AE_LOGVAR_MAX);
    }
    assert_true(all_finite_f(p.ws.out[p.g.n_layers - 1], p.batch * p.out));
    double *ga = calloc((size_t)p.g.n_params, sizeof(double));
    double *xa = calloc((size_t)(p.batch * p.in), sizeof(double));
    double num[8];
    assert_true(ga && xa && in <= 8);
    double kl = vae_analytic(&p, &s, ga, xa);
    assert_true(isfinite(kl) && kl > 0.0);
    assert_true(all_finite_d(ga, p.g.n_params));
    assert_true(all_finite_d(xa, p.batch * p.in));
    for (int64_t j = 0; j < 2; j++) {
      const double *row = ga + gl->w_off + (n + j) * in;
      for (int64_t c = 0; c < in; c++) assert_true(row[c] == 0.0);
      assert_true(ga[gl->b_off + n + j] == 0.0);
      /* numerically flat too */
      vae_numeric(&p, &s, p.params + gl->w_off + (n + j) * in, in, num);
      for (int64_t c = 0; c < in; c++) assert_true(num[c] == 0.0);
      vae_numeric(&p, &s, lv_bias + j, 1, num);
      assert_true(num[0] == 0.0);
    }
    /* the unclamped unit's log variance still learns, and the means too */
    assert_true(fabs(ga[gl->b_off + n + 2]) > GC_MIN_GRAD);
    assert_true(max_abs(ga + gl->b_off, n) > GC_MIN_GRAD);
    free(ga);
    free(xa);
    problem_free(&p);
  }
}

/* ------------------------------------------------------------------------ */
/* 3. Inference                                                             */
/* ------------------------------------------------------------------------ */

/* "input 3; gaussian 3; dense 3 linear" set by hand: mu = x, log var = lv
 * for every row (log-variance weights 0), decoder the identity. */
static ae_model *identity_vae(float lv) {
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, "input 3; gaussian 3; dense 3 linear", 1));
  const ae_layer *gl = gaussian_layer(m);
  const ae_layer *dec = &m->graph.layers[1];
  float *w = m->params + gl->w_off, *b = m->params + gl->b_off;
  memset(w, 0, 6 * 3 * sizeof(float));
  for (int j = 0; j < 3; j++) {
    w[j * 3 + j] = 1.0f;
    b[j] = 0.0f;
    b[3 + j] = lv;
  }
  memset(m->params + dec->w_off, 0, 9 * sizeof(float));
  for (int j = 0; j < 3; j++) {
    m->params[dec->w_off + j * 3 + j] = 1.0f;
    m->params[dec->b_off + j] = 0.0f;
  }
  return m;
}

/* Column means, variances and the largest |correlation| between columns of
 * v (n, 3); also the largest |correlation| between consecutive rows. */
static void moments3(const float *v, int64_t n, double mean[3], double var[3],
                     double *max_corr) {
  for (int j = 0; j < 3; j++) {
    double s = 0.0, q = 0.0;
    for (int64_t i = 0; i < n; i++) s += v[i * 3 + j];
    mean[j] = s / (double)n;
    for (int64_t i = 0; i < n; i++) q += (v[i * 3 + j] - mean[j]) * (v[i * 3 + j] - mean[j]);
    var[j] = q / (double)(n - 1);
  }
  *max_corr = 0.0;
  for (int a = 0; a < 3; a++) {
    for (int b = 0; b < 3; b++) {
      double c = 0.0, lag = 0.0;
      for (int64_t i = 0; i < n; i++) c += (v[i * 3 + a] - mean[a]) * (v[i * 3 + b] - mean[b]);
      for (int64_t i = 0; i + 1 < n; i++) {
        lag += (v[i * 3 + a] - mean[a]) * (v[(i + 1) * 3 + b] - mean[b]);
      }
      c /= (double)(n - 1) * sqrt(var[a] * var[b]);
      lag /= (double)(n - 2) * sqrt(var[a] * var[b]);
      if (a != b) *max_corr = fmax(*max_corr, fabs(c));
      *max_corr = fmax(*max_corr, fabs(lag));
    }
  }
}

/* With n = 20000 draws, a mean's standard error is 0.007, a variance's 0.01
 * and a correlation's 0.007: the bounds below are 4 to 5 of them. */
static void assert_standard_normal(const float *v, int64_t n) {
  double mean[3], var[3], corr;
  moments3(v, n, mean, var, &corr);
  for (int j = 0; j < 3; j++) {
    if (!(fabs(mean[j]) < 0.035 && fabs(var[j] - 1.0) < 0.05)) {
      fail_msg("column %d: mean %g, variance %g; expected 0 and 1", j, mean[j], var[j]);
    }
  }
  assert_true(corr < 0.035);
}

/* The exact structure of every variational call on the identity model. */
static void test_inference_structure(void **state) {
  (void)state;
  enum { N = 20000 };
  const float lv = logf(4.0f); /* sigma = 2 */
  ae_model *m = identity_vae(lv);
  float *x = malloc(N * 3 * sizeof(float));
  float *out = malloc(N * 3 * sizeof(float));
  float *e = malloc(N * sizeof(float));
  assert_true(x && out && e);
  tu_fill_uniform(x, N * 3, -2.0f, 2.0f, 5);
  assert_int_equal(ae_code_size(m), 3);
  assert_int_equal(ae_param_count(m), (3 * 6 + 6) + (3 * 3 + 3));

  /* mean: x itself (n > the library's chunk of rows) */
  assert_ok(ae_encode_distribution(m, x, N, 3, AE_CODE_MEAN, 0, out, 3));
  assert_memory_equal(out, x, N * 3 * sizeof(float));
  /* log variance: lv */
  assert_ok(ae_encode_distribution(m, x, N, 3, AE_CODE_LOG_VARIANCE, 0, out, 3));
  for (int64_t i = 0; i < N * 3; i++) assert_true(out[i] == lv);
  /* sample: (z - x) / 2 is N(0, I), independent across units and rows */
  assert_ok(ae_encode_distribution(m, x, N, 3, AE_CODE_SAMPLE, 9, out, 3));
  for (int64_t i = 0; i < N * 3; i++) out[i] = (out[i] - x[i]) / 2.0f;
  assert_standard_normal(out, N);
  /* ae_sample decodes N(0, I) codes; the identity decoder shows them */
  assert_ok(ae_sample(m, N, 9, out, 3));
  assert_standard_normal(out, N);
  /* ae_reconstruct decodes the mean */
  assert_ok(ae_reconstruct(m, x, N, 3, out, 3));
  assert_memory_equal(out, x, N * 3 * sizeof(float));

  /* negative ELBO (MSE): sum_j (z_j - x_j)^2 + KL with z = x + 2 eps, so its
   * mean minus the KL is E[sum_j 4 eps_j^2] = 12: a reconstruction of a
   * sampled z (of mu it would be 0), summed over the row (its mean would be
   * 4), whatever the reduction. 20000 rows: standard error 0.06. */
  static const ae_reduction reductions[] = {AE_REDUCTION_SUM, AE_REDUCTION_MEAN};
  for (int k = 0; k < 2; k++) {
    assert_ok(ae_set_option(m, AE_OPT_LOSS_REDUCTION, reductions[k]));
    assert_ok(ae_negative_elbo(m, x, N, 3, 4, e));
    double s = 0.0;
    for (int64_t i = 0; i < N; i++) {
      float lvs[3] = {lv, lv, lv};
      s += e[i] - (double)kl_closed_form(x + i * 3, lvs, 3);
    }
    assert_close(s / N, 12.0, 0.3);
  }
  ae_model_free(m);

  /* With the log variance below the clamp, z = x + e^-15 eps: the negative
   * ELBO is the KL alone, 1/2 sum_j (29 + x_j^2 + e^-30). */
  m = identity_vae(-45.0f);
  assert_ok(ae_encode_distribution(m, x, 100, 3, AE_CODE_LOG_VARIANCE, 0, out, 3));
  for (int64_t i = 0; i < 300; i++) assert_true(out[i] == AE_LOGVAR_MIN);
  assert_ok(ae_negative_elbo(m, x, 100, 3, 4, e));
  for (int64_t i = 0; i < 100; i++) {
    double kl = 0.0;
    for (int j = 0; j < 3; j++) {
      kl += 0.5 * (29.0 + (double)x[i * 3 + j] * x[i * 3 + j] + exp(-30.0));
    }
    assert_rel(e[i], kl, 1e-6, 1e-6);
  }
  ae_model_free(m);
  free(x);
  free(out);
  free(e);
}

#define DET_SPEC "input 16; dense 12 tanh; gaussian 4; dense 12 tanh; dense 16 sigmoid"

/* Same seed, same draws; another seed, other draws; bit for bit, for n below
 * and above the library's chunk of 256 rows. */
static void test_determinism(void **state) {
  (void)state;
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, DET_SPEC, 3));
  assert_ok(ae_set_option(m, AE_OPT_LOSS, AE_LOSS_BCE));
  static const int64_t sizes[] = {7, 600};
  for (int k = 0; k < 2; k++) {
    int64_t n = sizes[k];
    float *x = malloc((size_t)n * 16 * sizeof(float));
    float *a = malloc((size_t)n * 16 * sizeof(float));
    float *b = malloc((size_t)n * 16 * sizeof(float));
    assert_true(x && a && b);
    tu_fill_uniform(x, n * 16, 0.0f, 1.0f, 8);

    /* ae_sample */
    assert_ok(ae_sample(m, n, 1234, a, 16));
    assert_ok(ae_sample(m, n, 1234, b, 16));
    assert_memory_equal(a, b, (size_t)n * 16 * sizeof(float));
    assert_true(all_finite_f(a, n * 16));
    assert_ok(ae_sample(m, n, 1235, b, 16));
    int64_t same = 0;
    for (int64_t i = 0; i < n * 16; i++) same += a[i] == b[i];
    assert_true(same < n * 16 / 100 + 1);
    /* rows differ from one another */
    assert_true(memcmp(a, a + 16, 16 * sizeof(float)) != 0);
    /* row i decodes the same code whatever n: codes come in row order, past
     * the chunk of 256 too (equal to a few ulp: sgemm's rounding depends on
     * how many rows go through it at once) */
    int64_t fewer = n > 300 ? 300 : n - 1;
    assert_ok(ae_sample(m, fewer, 1234, b, 16));
    for (int64_t i = 0; i < fewer * 16; i++) assert_true(fabsf(a[i] - b[i]) <= 1e-6f);

    /* sampled codes */
    assert_ok(ae_encode_distribution(m, x, n, 16, AE_CODE_SAMPLE, 77, a, 4));
    assert_ok(ae_encode_distribution(m, x, n, 16, AE_CODE_SAMPLE, 77, b, 4));
    assert_memory_equal(a, b, (size_t)n * 4 * sizeof(float));
    assert_ok(ae_encode_distribution(m, x, n, 16, AE_CODE_SAMPLE, 78, b, 4));
    same = 0;
    for (int64_t i = 0; i < n * 4; i++) same += a[i] == b[i];
    assert_true(same == 0);
    /* a sample is not the mean */
    assert_ok(ae_encode_distribution(m, x, n, 16, AE_CODE_MEAN, 77, b, 4));
    same = 0;
    for (int64_t i = 0; i < n * 4; i++) same += a[i] == b[i];
    assert_true(same == 0);

    /* the mean is ae_encode's code, whatever the seed */
    assert_ok(ae_encode(m, x, n, 16, a, 4));
    assert_memory_equal(a, b, (size_t)n * 4 * sizeof(float));
    assert_ok(ae_encode_distribution(m, x, n, 16, AE_CODE_MEAN, 5, b, 4));
    assert_memory_equal(a, b, (size_t)n * 4 * sizeof(float));

    /* log variance within the clamp */
    assert_ok(ae_encode_distribution(m, x, n, 16, AE_CODE_LOG_VARIANCE, 0, a, 4));
    for (int64_t i = 0; i < n * 4; i++) assert_true(a[i] >= AE_LOGVAR_MIN && a[i] <= AE_LOGVAR_MAX);

    /* negative ELBO */
    assert_ok(ae_negative_elbo(m, x, n, 16, 42, a));
    assert_ok(ae_negative_elbo(m, x, n, 16, 42, b));
    assert_memory_equal(a, b, (size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++) assert_true(isfinite(a[i]) && a[i] > 0.0f);
    assert_ok(ae_negative_elbo(m, x, n, 16, 43, b));
    same = 0;
    for (int64_t i = 0; i < n; i++) same += a[i] == b[i];
    assert_true(same < n / 10 + 1);
    free(x);
    free(a);
    free(b);
  }
  ae_model_free(m);
}

/* The log variance is clamped to [-30, 20] in every call: a head pushed far
 * beyond gives exactly the bounds, and every result stays finite. */
static void test_log_variance_bounds(void **state) {
  (void)state;
  enum { N = 50 };
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, DET_SPEC, 4));
  assert_ok(ae_set_option(m, AE_OPT_LOSS, AE_LOSS_BCE));
  const ae_layer *gl = gaussian_layer(m);
  m->params[gl->b_off + 4 + 0] = 1e6f;
  m->params[gl->b_off + 4 + 1] = -1e6f;
  m->params[gl->b_off + 4 + 2] = 25.0f;
  float x[N * 16], code[N * 4], out[N * 16], e[N];
  tu_fill_uniform(x, N * 16, 0.0f, 1.0f, 9);
  assert_ok(ae_encode_distribution(m, x, N, 16, AE_CODE_LOG_VARIANCE, 0, code, 4));
  for (int i = 0; i < N; i++) {
    assert_true(code[i * 4 + 0] == AE_LOGVAR_MAX);
    assert_true(code[i * 4 + 1] == AE_LOGVAR_MIN);
    assert_true(code[i * 4 + 2] == AE_LOGVAR_MAX);
    assert_true(code[i * 4 + 3] > AE_LOGVAR_MIN && code[i * 4 + 3] < AE_LOGVAR_MAX);
  }
  assert_ok(ae_encode_distribution(m, x, N, 16, AE_CODE_SAMPLE, 1, code, 4));
  assert_true(all_finite_f(code, N * 4));
  assert_ok(ae_sample(m, N, 1, out, 16));
  assert_true(all_finite_f(out, N * 16));
  /* the KL of sigma^2 = e^20 is about 2.4e8 per unit: large, finite */
  assert_ok(ae_negative_elbo(m, x, N, 16, 1, e));
  for (int i = 0; i < N; i++) assert_true(isfinite(e[i]) && e[i] > 2.4e8f);
  ae_model_free(m);
}

/* A model whose code layer is not gaussian: only the mean is available. */
static void test_non_variational_refused(void **state) {
  (void)state;
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, "input 6; dense 5 tanh; code 3 linear; mirror sigmoid", 2));
  double v;
  assert_ok(ae_get_option(m, AE_OPT_LOSS_REDUCTION, &v));
  assert_true(v == AE_REDUCTION_MEAN);
  float x[4 * 6], code[4 * 3], enc[4 * 3], out[4 * 6], e[4];
  tu_fill_uniform(x, 4 * 6, 0.0f, 1.0f, 3);
  assert_ok(ae_encode_distribution(m, x, 4, 6, AE_CODE_MEAN, 0, code, 3));
  assert_ok(ae_encode(m, x, 4, 6, enc, 3));
  assert_memory_equal(code, enc, sizeof code);
  assert_fails_with(ae_encode_distribution(m, x, 4, 6, AE_CODE_LOG_VARIANCE, 0, code, 3),
                    AE_ERR_INVALID_ARGUMENT, "not variational");
  assert_fails_with(ae_encode_distribution(m, x, 4, 6, AE_CODE_SAMPLE, 0, code, 3),
                    AE_ERR_INVALID_ARGUMENT, "not variational");
  assert_fails_with(ae_sample(m, 4, 0, out, 6), AE_ERR_INVALID_ARGUMENT, "ae_sample");
  assert_fails_with(ae_negative_elbo(m, x, 4, 6, 0, e), AE_ERR_INVALID_ARGUMENT,
                    "ae_negative_elbo");
  /* its KL figure: NaN before training, 0 after */
  double kl;
  assert_ok(ae_train_stat(m, AE_STAT_VAE_KL, &kl));
  assert_true(isnan(kl));
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 1));
  assert_ok(ae_train(m, x, 4, 6, NULL, 0));
  assert_ok(ae_train_stat(m, AE_STAT_VAE_KL, &kl));
  assert_true(kl == 0.0);
  ae_model_free(m);

  /* and the argument checks of a variational one */
  assert_ok(ae_model_create(&m, "input 6; dense 5 tanh; gaussian 3; mirror sigmoid", 2));
  assert_ok(ae_get_option(m, AE_OPT_LOSS_REDUCTION, &v));
  assert_true(v == AE_REDUCTION_SUM);
  assert_status(ae_encode_distribution(m, x, 4, 6, (ae_code_part)3, 0, code, 3),
                AE_ERR_INVALID_ARGUMENT);
  assert_status(ae_encode_distribution(NULL, x, 4, 6, AE_CODE_SAMPLE, 0, code, 3),
                AE_ERR_NULL_ARGUMENT);
  assert_status(ae_encode_distribution(m, x, 4, 6, AE_CODE_SAMPLE, 0, code, 2), AE_ERR_SHAPE);
  assert_status(ae_encode_distribution(m, x, 4, 5, AE_CODE_LOG_VARIANCE, 0, code, 3),
                AE_ERR_SHAPE);
  assert_status(ae_sample(NULL, 4, 0, out, 6), AE_ERR_NULL_ARGUMENT);
  assert_status(ae_sample(m, 4, 0, NULL, 6), AE_ERR_NULL_ARGUMENT);
  assert_status(ae_sample(m, 4, 0, out, 5), AE_ERR_SHAPE);
  assert_status(ae_sample(m, 0, 0, out, 6), AE_ERR_SHAPE);
  assert_status(ae_negative_elbo(m, x, 4, 6, 0, NULL), AE_ERR_NULL_ARGUMENT);
  x[5] = NAN;
  assert_status(ae_negative_elbo(m, x, 4, 6, 0, e), AE_ERR_NONFINITE_INPUT);
  x[5] = 1.5f; /* BCE needs [0, 1] */
  assert_ok(ae_set_option(m, AE_OPT_LOSS, AE_LOSS_BCE));
  assert_fails_with(ae_negative_elbo(m, x, 4, 6, 0, e), AE_ERR_INVALID_ARGUMENT, "[0, 1]");
  ae_model_free(m);

  /* the negative ELBO compares the output with the input */
  assert_ok(ae_model_create(&m, "input 6; output 4; gaussian 2; dense 4 linear", 2));
  x[5] = 0.5f;
  assert_status(ae_negative_elbo(m, x, 4, 6, 0, e), AE_ERR_SHAPE);
  assert_ok(ae_sample(m, 4, 0, out, 4));
  ae_model_free(m);
}

/* ------------------------------------------------------------------------ */
/* 4. Training                                                              */
/* ------------------------------------------------------------------------ */

#define MF_ROWS 512
#define MF_COLS 16
#define MF_SPEC "input 16; dense 32 tanh; gaussian 2; dense 32 tanh; dense 16 sigmoid"

/* A 2-D manifold in 16-D: u uniform in [-1, 1]^2,
 * x_j = sigmoid(4 (a_j . u + c_j sin(pi u_1) + b_j)), so every value is in
 * (0, 1) and a 2-D code explains the data entirely. */
static void manifold(float *x, int64_t n, uint64_t seed) {
  float a[MF_COLS * 2], b[MF_COLS], c[MF_COLS];
  tu_fill_uniform(a, MF_COLS * 2, -1.5f, 1.5f, 1000);
  tu_fill_uniform(b, MF_COLS, -0.5f, 0.5f, 1001);
  tu_fill_uniform(c, MF_COLS, -0.7f, 0.7f, 1002);
  float *u = malloc((size_t)n * 2 * sizeof(float));
  assert_non_null(u);
  tu_fill_uniform(u, n * 2, -1.0f, 1.0f, seed);
  for (int64_t i = 0; i < n; i++) {
    for (int j = 0; j < MF_COLS; j++) {
      double z = a[2 * j] * u[2 * i] + a[2 * j + 1] * u[2 * i + 1] +
                 c[j] * sin(3.14159265358979 * u[2 * i]) + b[j];
      x[i * MF_COLS + j] = (float)(1.0 / (1.0 + exp(-4.0 * z)));
    }
  }
  free(u);
}

/* Per-feature means (MF_COLS) and the total variance (the sum of the
 * per-feature variances) of v (n, MF_COLS). */
static double feature_moments(const float *v, int64_t n, double *mean) {
  double total = 0.0;
  for (int j = 0; j < MF_COLS; j++) {
    double s = 0.0, q = 0.0;
    for (int64_t i = 0; i < n; i++) s += v[i * MF_COLS + j];
    mean[j] = s / (double)n;
    for (int64_t i = 0; i < n; i++) {
      double d = v[i * MF_COLS + j] - mean[j];
      q += d * d;
    }
    total += q / (double)(n - 1);
  }
  return total;
}

/* How well generated items match the data: the largest per-feature mean
 * difference and the ratio of total variances. */
typedef struct match {
  double mean_err, var_ratio;
} match;

static match compare_with(const float *gen, int64_t n, const double *data_mean,
                          double data_var) {
  double mean[MF_COLS];
  match r = {0.0, feature_moments(gen, n, mean) / data_var};
  for (int j = 0; j < MF_COLS; j++) r.mean_err = fmax(r.mean_err, fabs(mean[j] - data_mean[j]));
  return r;
}

/* The acceptance criterion for generated items; see test_training. */
#define MATCH_MEAN_TOL 0.045
#define MATCH_VAR_LO 0.55
#define MATCH_VAR_HI 1.5
static int matches(match r) {
  return r.mean_err <= MATCH_MEAN_TOL && r.var_ratio >= MATCH_VAR_LO && r.var_ratio <= MATCH_VAR_HI;
}

static double mean_of(const float *v, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; i++) s += v[i];
  return s / (double)n;
}

/* Decodes `n` codes drawn by `draw` through m's decoder into gen. */
typedef float (*code_draw)(ae_rng *rng, int64_t i);
static float draw_zero(ae_rng *rng, int64_t i) { (void)rng; (void)i; return 0.0f; }
static float draw_wide(ae_rng *rng, int64_t i) { (void)i; return 3.0f * ae_rng_normal(rng); }
static float draw_narrow(ae_rng *rng, int64_t i) { (void)i; return 0.5f * ae_rng_normal(rng); }
static float draw_shifted(ae_rng *rng, int64_t i) { (void)i; return 2.0f + ae_rng_normal(rng); }
static float draw_one_unit(ae_rng *rng, int64_t i) { return i % 2 ? ae_rng_normal(rng) : 0.0f; }

static match decode_drawn(const ae_model *m, code_draw draw, float *z, float *gen, int64_t n,
                          const double *data_mean, double data_var) {
  ae_rng rng = ae_rng_stream(1, 0x5a, 0);
  for (int64_t i = 0; i < n * 2; i++) z[i] = draw(&rng, i);
  assert_ok(ae_decode(m, z, n, 2, gen, MF_COLS));
  return compare_with(gen, n, data_mean, data_var);
}

/* Trained with BCE, beta 1, on 512 rows of the manifold (300 epochs, about
 * half a second):
 *  - the mean negative ELBO of the data (ae_negative_elbo, one seed) falls:
 *    its excess over its floor, the entropy sum_j H(x_j) of the soft targets
 *    (the BCE cannot go below it), at least halves (measured over model
 *    seeds: 0.38 to 0.49 of the start, asserted <= 0.6); the training loss
 *    history falls with it, and the last epoch's training loss (the
 *    per-sample negative ELBO, SUM being a VAE's default reduction) agrees
 *    with ae_negative_elbo;
 *  - the mean and variance of 4000 decoded samples (ae_sample) approach the
 *    data's.
 *
 * The tolerances, from measurement (AE_VAE_VERBOSE=1, and over 8 model
 * seeds): the trained model's samples are within 0.015 to 0.025 of the data's
 * per-feature means (4000 samples measure a mean to about 0.005), with a
 * total variance 0.73 to 0.74 of the data's (a decoder outputs the mean of
 * p(x|z), and a beta-1 posterior is broad, so part of the variance is left to
 * the likelihood; the reconstructions of the data themselves reach 0.79).
 * MATCH_MEAN_TOL = 0.045 and a variance ratio in [0.55, 1.5] leave room for
 * that. The same criterion rejects broken samplers, decoding through the
 * trained decoder codes that are
 *  - all 0 (a decoder that ignores z): variance 0;
 *  - N(0, 0.25 I) (too narrow): variance ratio about 0.42;
 *  - N(0, 9 I) (too wide): outputs pushed to saturation, means off by 0.074
 *    or more;
 *  - N(2, I) (shifted): means off by nearly 0.6;
 *  - N(0, 1) in one unit, 0 in the other (a dropped unit): means off by
 *    0.075 or more;
 * and the untrained model's samples (means off by 0.3). */
static void test_training(void **state) {
  (void)state;
  enum { GEN = 4000, EPOCHS = 300 };
  float *x = malloc(MF_ROWS * MF_COLS * sizeof(float));
  float *gen = malloc(GEN * MF_COLS * sizeof(float));
  float *z = malloc(GEN * 2 * sizeof(float));
  float *elbo = malloc(MF_ROWS * sizeof(float));
  assert_true(x && gen && z && elbo);
  manifold(x, MF_ROWS, 7);
  double floor_elbo = 0.0;
  for (int64_t i = 0; i < MF_ROWS * MF_COLS; i++) {
    double t = x[i];
    assert_true(t > 0.0 && t < 1.0);
    floor_elbo -= t * log(t) + (1.0 - t) * log1p(-t);
  }
  floor_elbo /= MF_ROWS;
  double data_mean[MF_COLS];
  double data_var = feature_moments(x, MF_ROWS, data_mean);

  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, MF_SPEC, 17));
  assert_ok(ae_set_option(m, AE_OPT_LOSS, AE_LOSS_BCE));
  assert_ok(ae_set_option(m, AE_OPT_LEARNING_RATE, 3e-3));
  assert_ok(ae_set_option(m, AE_OPT_BATCH_SIZE, 32));
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, EPOCHS));

  assert_ok(ae_negative_elbo(m, x, MF_ROWS, MF_COLS, 5, elbo));
  double before = mean_of(elbo, MF_ROWS);
  assert_ok(ae_sample(m, GEN, 99, gen, MF_COLS));
  match untrained = compare_with(gen, GEN, data_mean, data_var);

  assert_ok(ae_train(m, x, MF_ROWS, MF_COLS, NULL, 0));
  assert_int_equal(ae_epochs_trained(m), EPOCHS);
  assert_ok(ae_negative_elbo(m, x, MF_ROWS, MF_COLS, 5, elbo));
  double after = mean_of(elbo, MF_ROWS);

  double first, last, kl, recon, loss;
  assert_ok(ae_loss_history(m, 1, &first, NULL));
  assert_ok(ae_loss_history(m, EPOCHS, &last, NULL));
  assert_ok(ae_train_stat(m, AE_STAT_VAE_KL, &kl));
  assert_ok(ae_train_stat(m, AE_STAT_RECONSTRUCTION, &recon));
  assert_ok(ae_train_stat(m, AE_STAT_LOSS, &loss));

  assert_ok(ae_sample(m, GEN, 99, gen, MF_COLS));
  assert_true(all_finite_f(gen, GEN * MF_COLS));
  match trained = compare_with(gen, GEN, data_mean, data_var);
  static const struct {
    const char *name;
    code_draw draw;
  } broken[] = {{"z = 0", draw_zero},
                {"N(0, 0.25I)", draw_narrow},
                {"N(0, 9I)", draw_wide},
                {"N(2, I)", draw_shifted},
                {"one unit", draw_one_unit}};

  if (vae_verbose()) {
    fprintf(stderr,
            "training: -ELBO %.4f -> %.4f (floor %.4f, excess ratio %.3f); history %.4f -> "
            "%.4f (recon %.4f + kl %.4f); data total variance %.4f\n",
            before, after, floor_elbo, (after - floor_elbo) / (before - floor_elbo), first, last,
            recon, kl, data_var);
    fprintf(stderr, "  %-12s mean err %.4f, variance ratio %.3f\n", "trained", trained.mean_err,
            trained.var_ratio);
    fprintf(stderr, "  %-12s mean err %.4f, variance ratio %.3f\n", "untrained",
            untrained.mean_err, untrained.var_ratio);
  }
  /* the negative ELBO falls, from about 16 log 2 = 11 nats towards its floor */
  assert_true(after - floor_elbo <= 0.6 * (before - floor_elbo));
  assert_true(last - floor_elbo <= 0.6 * (first - floor_elbo));
  for (int64_t e = 2; e <= EPOCHS; e++) {
    double h;
    assert_ok(ae_loss_history(m, e, &h, NULL));
    assert_true(isfinite(h) && h < first);
  }
  /* the training loss is the per-sample negative ELBO: reconstruction (BCE
   * summed over the row) + KL (beta 1) */
  assert_rel(loss, recon + kl, 1e-9, 1e-12);
  assert_true(kl > 0.5);
  assert_rel(last, after, 0.05, 0.0);

  assert_true(matches(trained));
  assert_false(matches(untrained));
  for (size_t k = 0; k < sizeof broken / sizeof broken[0]; k++) {
    match r = decode_drawn(m, broken[k].draw, z, gen, GEN, data_mean, data_var);
    if (vae_verbose()) {
      fprintf(stderr, "  %-12s mean err %.4f, variance ratio %.3f\n", broken[k].name, r.mean_err,
              r.var_ratio);
    }
    if (matches(r)) fail_msg("the broken sampler %s passes", broken[k].name);
  }

  ae_model_free(m);
  free(x);
  free(gen);
  free(z);
  free(elbo);
}

/* ------------------------------------------------------------------------ */
/* 5. Numerics                                                              */
/* ------------------------------------------------------------------------ */

/* After ae_train: OK with finite weights, or AE_ERR_DIVERGED with a message
 * and the last finite weights. Never a silent NaN. */
static void assert_trained_or_diverged(ae_model *m, ae_status st) {
  if (st != AE_OK && st != AE_ERR_DIVERGED) {
    fail_msg("ae_train gave %s (%s)", ae_status_string(st), ae_last_error());
  }
  if (st == AE_ERR_DIVERGED) assert_non_null(strstr(ae_last_error(), "ae_train"));
  if (vae_verbose()) {
    fprintf(stderr, "numerics: ae_train -> %s %s\n", ae_status_string(st), ae_last_error());
  }
  assert_true(all_finite_f(m->params, m->graph.n_params));
}

/* Encode, every code part, sample and reconstruct give finite values; the
 * negative ELBO is never NaN (it may be +Inf: with an MSE model and x = 1e30
 * the true value, about 1e60, exceeds a float; likewise the KL of a mean of
 * 1e30). */
static void assert_inference_finite(const ae_model *m, const float *x, int64_t n, int64_t cols) {
  int64_t nc = ae_code_size(m);
  float *code = malloc((size_t)(n * nc) * sizeof(float));
  float *out = malloc((size_t)(n * cols) * sizeof(float));
  assert_true(code && out);
  assert_ok(ae_encode(m, x, n, cols, code, nc));
  assert_true(all_finite_f(code, n * nc));
  for (int part = 0; part < 3; part++) {
    assert_ok(ae_encode_distribution(m, x, n, cols, (ae_code_part)part, 3, code, nc));
    assert_true(all_finite_f(code, n * nc));
  }
  assert_ok(ae_sample(m, n, 3, out, cols));
  assert_true(all_finite_f(out, n * cols));
  assert_ok(ae_reconstruct(m, x, n, cols, out, cols));
  assert_true(all_finite_f(out, n * cols));
  double lo = 0.0, hi = 1.0;
  for (int64_t i = 0; i < n * cols; i++) {
    lo = fmin(lo, x[i]);
    hi = fmax(hi, x[i]);
  }
  double loss;
  assert_ok(ae_get_option(m, AE_OPT_LOSS, &loss));
  if (loss == AE_LOSS_MSE || (lo >= 0.0 && hi <= 1.0)) {
    assert_ok(ae_negative_elbo(m, x, n, cols, 3, out));
    for (int64_t i = 0; i < n; i++) assert_false(isnan(out[i]));
  }
  free(code);
  free(out);
}

/* MSE models trained on data with values of 1e30, -1e30 and 3e38: ae_train
 * succeeds with finite weights or reports AE_ERR_DIVERGED (keeping finite
 * weights); encoding, sampling and reconstructing those rows stay finite
 * (for the model with linear layers, rows up to 1e30: a linear map of 3e38
 * overflows a float whatever the code layer). */
static void test_extreme_inputs(void **state) {
  (void)state;
  enum { N = 40, C = 6 };
  float x[N * C], moderate[N * C];
  tu_fill_uniform(x, N * C, -1.0f, 1.0f, 4);
  x[3] = 1e30f;
  x[C + 1] = -1e30f;
  x[2 * C + 4] = 1e30f;
  x[2 * C + 5] = -1e30f;
  memcpy(moderate, x, sizeof x);
  x[5 * C + 2] = 3e38f;
  static const char *const specs[] = {
      "input 6; dense 5 tanh; gaussian 2; dense 5 tanh; dense 6 linear",
      "input 6; dense 5 linear; gaussian 2; dense 5 linear; dense 6 linear"};
  for (int k = 0; k < 2; k++) {
    for (int data = 0; data < 2; data++) {
      ae_model *m = NULL;
      assert_ok(ae_model_create(&m, specs[k], 8));
      assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 3));
      assert_ok(ae_set_option(m, AE_OPT_BATCH_SIZE, 8));
      assert_trained_or_diverged(m, ae_train(m, data ? x : moderate, N, C, NULL, 0));
      assert_inference_finite(m, k == 0 ? x : moderate, N, C);
      ae_model_free(m);
    }
  }
}

/* Huge weights: the log-variance clamp keeps sampling finite, and training
 * either recovers or reports divergence. */
static void test_huge_weights(void **state) {
  (void)state;
  enum { N = 64, C = 8 };
  float x[N * C];
  tu_fill_uniform(x, N * C, 0.0f, 1.0f, 6);
  static const float scales[] = {1e4f, 1e15f, 1e30f};
  for (int k = 0; k < 3; k++) {
    for (int bce = 0; bce < 2; bce++) {
      ae_model *m = NULL;
      assert_ok(ae_model_create(
          &m, "input 8; dense 6 tanh; gaussian 3; dense 6 tanh; dense 8 sigmoid", 9));
      if (bce) assert_ok(ae_set_option(m, AE_OPT_LOSS, AE_LOSS_BCE));
      const ae_layer *gl = gaussian_layer(m);
      for (int64_t i = 0; i < 2 * gl->out * gl->in; i++) m->params[gl->w_off + i] *= scales[k];
      assert_inference_finite(m, x, N, C);
      assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 2));
      assert_ok(ae_set_option(m, AE_OPT_BATCH_SIZE, 16));
      assert_trained_or_diverged(m, ae_train(m, x, N, C, NULL, 0));
      assert_inference_finite(m, x, N, C);
      ae_model_free(m);
    }
  }
}

/* ------------------------------------------------------------------------ */
/* 6. Warm-up                                                               */
/* ------------------------------------------------------------------------ */

#define WU_ROWS 24
#define WU_COLS 6

/* One epoch of one step (the batch is every row) on m, and the ratio of the
 * weighted KL it reports (AE_STAT_VAE_KL) to the unweighted KL computed here
 * at the weights the step started from (from the mean and log variance of
 * every row). */
static double one_epoch_kl_weight(ae_model *m, const float *x) {
  float mu[WU_ROWS * 2], lv[WU_ROWS * 2];
  assert_ok(ae_encode_distribution(m, x, WU_ROWS, WU_COLS, AE_CODE_MEAN, 0, mu, 2));
  assert_ok(ae_encode_distribution(m, x, WU_ROWS, WU_COLS, AE_CODE_LOG_VARIANCE, 0, lv, 2));
  long double kl = 0.0L;
  for (int i = 0; i < WU_ROWS; i++) kl += kl_closed_form(mu + 2 * i, lv + 2 * i, 2);
  kl /= WU_ROWS;
  assert_ok(ae_train(m, x, WU_ROWS, WU_COLS, NULL, 0));
  double weighted, recon, loss;
  assert_ok(ae_train_stat(m, AE_STAT_VAE_KL, &weighted));
  assert_ok(ae_train_stat(m, AE_STAT_RECONSTRUCTION, &recon));
  assert_ok(ae_train_stat(m, AE_STAT_LOSS, &loss));
  assert_rel(loss, recon + weighted, 1e-9, 1e-12);
  assert_true(kl > 1e-3L);
  return weighted / (double)kl;
}

static ae_model *warmup_model(const char *gaussian) {
  char spec[160];
  snprintf(spec, sizeof spec, "input 6; dense 5 tanh; %s; dense 5 tanh; dense 6 sigmoid",
           gaussian);
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, spec, 21));
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 1));
  assert_ok(ae_set_option(m, AE_OPT_BATCH_SIZE, WU_ROWS));
  assert_ok(ae_set_option(m, AE_OPT_LOSS, AE_LOSS_BCE));
  assert_ok(ae_set_option(m, AE_OPT_LEARNING_RATE, 0.02));
  /* KL well away from 0 so that the ratio is well defined */
  const ae_layer *gl = gaussian_layer(m);
  m->params[gl->b_off + 0] = 0.8f;
  m->params[gl->b_off + 2 + 1] = -1.0f;
  return m;
}

/* kl_weight=0.5 warmup=4: epochs 1..4 weigh the KL 0.125, 0.25, 0.375, 0.5,
 * every later epoch 0.5; the epochs count over ae_train calls and across a
 * save and load. Without warm-up the weight is beta from the first epoch;
 * without kl_weight it is 1. */
static void test_warmup(void **state) {
  (void)state;
  float x[WU_ROWS * WU_COLS];
  tu_fill_uniform(x, WU_ROWS * WU_COLS, 0.0f, 1.0f, 12);
  ae_model *m = warmup_model("gaussian 2 kl_weight=0.5 warmup=4");
  double before;
  assert_ok(ae_train_stat(m, AE_STAT_VAE_KL, &before));
  assert_true(isnan(before));
  for (int e = 1; e <= 7; e++) {
    if (e == 3) {
      /* half way through the warm-up, through a model file */
      size_t size = 0;
      assert_ok(ae_save_buffer(m, AE_SAVE_OPTIMIZER_STATE, NULL, 0, &size));
      void *buf = malloc(size);
      assert_non_null(buf);
      assert_ok(ae_save_buffer(m, AE_SAVE_OPTIMIZER_STATE, buf, size, &size));
      ae_model_free(m);
      assert_ok(ae_load_buffer(&m, buf, size));
      free(buf);
      assert_int_equal(ae_epochs_trained(m), 2);
    }
    double expected = e < 4 ? 0.5 * e / 4.0 : 0.5;
    double w = one_epoch_kl_weight(m, x);
    if (vae_verbose()) {
      fprintf(stderr, "warm-up epoch %d: weight %.7f (expected %.4f)\n", e, w, expected);
    }
    assert_rel(w, expected, 1e-4, 0.0);
  }
  ae_model_free(m);

  /* several epochs in one call: the last epoch's weight is that of epoch 3 */
  m = warmup_model("gaussian 2 kl_weight=0.5 warmup=4");
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 2));
  assert_ok(ae_train(m, x, WU_ROWS, WU_COLS, NULL, 0));
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 1));
  assert_rel(one_epoch_kl_weight(m, x), 0.375, 1e-4, 0.0);
  ae_model_free(m);

  m = warmup_model("gaussian 2 kl_weight=3");
  for (int e = 1; e <= 2; e++) assert_rel(one_epoch_kl_weight(m, x), 3.0, 1e-4, 0.0);
  ae_model_free(m);
  m = warmup_model("gaussian 2 warmup=2");
  assert_rel(one_epoch_kl_weight(m, x), 0.5, 1e-4, 0.0);
  assert_rel(one_epoch_kl_weight(m, x), 1.0, 1e-4, 0.0);
  assert_rel(one_epoch_kl_weight(m, x), 1.0, 1e-4, 0.0);
  ae_model_free(m);
  m = warmup_model("gaussian 2 warmup=1");
  assert_rel(one_epoch_kl_weight(m, x), 1.0, 1e-4, 0.0);
  ae_model_free(m);
}

/* ------------------------------------------------------------------------ */
/* 7. Saving and loading                                                    */
/* ------------------------------------------------------------------------ */

#define SL_SPEC "input 10; dense 8 tanh; gaussian 3 kl_weight=0.25 warmup=3; mirror sigmoid"
#define SL_CANONICAL \
  "input 10; dense 8 tanh; gaussian 3 kl_weight=0.25 warmup=3; dense 8 tanh; dense 10 sigmoid"
#define SL_ROWS 40

/* Every variational output of two models is bit-identical. */
static void assert_same_outputs(const ae_model *a, const ae_model *b, const float *x) {
  enum { N = SL_ROWS };
  float ra[N * 10], rb[N * 10];
  for (int part = 0; part < 3; part++) {
    assert_ok(ae_encode_distribution(a, x, N, 10, (ae_code_part)part, 31, ra, 3));
    assert_ok(ae_encode_distribution(b, x, N, 10, (ae_code_part)part, 31, rb, 3));
    assert_memory_equal(ra, rb, N * 3 * sizeof(float));
  }
  assert_ok(ae_encode(a, x, N, 10, ra, 3));
  assert_ok(ae_encode(b, x, N, 10, rb, 3));
  assert_memory_equal(ra, rb, N * 3 * sizeof(float));
  assert_ok(ae_sample(a, N, 32, ra, 10));
  assert_ok(ae_sample(b, N, 32, rb, 10));
  assert_memory_equal(ra, rb, N * 10 * sizeof(float));
  assert_ok(ae_negative_elbo(a, x, N, 10, 33, ra));
  assert_ok(ae_negative_elbo(b, x, N, 10, 33, rb));
  assert_memory_equal(ra, rb, N * sizeof(float));
}

static void test_save_load(void **state) {
  (void)state;
  float x[SL_ROWS * 10];
  tu_fill_uniform(x, SL_ROWS * 10, 0.0f, 1.0f, 13);
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, SL_SPEC, 23));
  assert_string_equal(ae_model_spec(m), SL_CANONICAL);
  assert_int_equal(ae_param_count(m), (10 * 8 + 8) + (8 * 6 + 6) + (3 * 8 + 8) + (8 * 10 + 10));
  assert_ok(ae_set_option(m, AE_OPT_LOSS, AE_LOSS_BCE));
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 2));
  assert_ok(ae_set_option(m, AE_OPT_BATCH_SIZE, 16));
  float mean[10], scale[10];
  for (int j = 0; j < 10; j++) {
    mean[j] = 0.5f;
    scale[j] = 0.3f + 0.01f * (float)j;
  }
  assert_ok(ae_set_input_scaling(m, mean, scale, 10));
  assert_ok(ae_train(m, x, SL_ROWS, 10, NULL, 0));

  /* the canonical spec makes the same model from the same seed */
  ae_model *again = NULL;
  assert_ok(ae_model_create(&again, ae_model_spec(m), 23));
  assert_string_equal(ae_model_spec(again), SL_CANONICAL);
  ae_model *fresh = NULL;
  assert_ok(ae_model_create(&fresh, SL_SPEC, 23));
  assert_memory_equal(again->params, fresh->params, (size_t)fresh->graph.n_params * sizeof(float));
  ae_model_free(again);
  ae_model_free(fresh);

  /* memory round trip, with optimizer state */
  size_t size = 0;
  assert_ok(ae_save_buffer(m, AE_SAVE_OPTIMIZER_STATE, NULL, 0, &size));
  unsigned char *buf = malloc(size);
  assert_non_null(buf);
  assert_ok(ae_save_buffer(m, AE_SAVE_OPTIMIZER_STATE, buf, size, &size));
  ae_model *loaded = NULL;
  assert_ok(ae_load_buffer(&loaded, buf, size));
  free(buf);
  assert_string_equal(ae_model_spec(loaded), SL_CANONICAL);
  assert_int_equal(ae_epochs_trained(loaded), 2);
  double v;
  assert_ok(ae_get_option(loaded, AE_OPT_LOSS_REDUCTION, &v));
  assert_true(v == AE_REDUCTION_SUM);
  const ae_layer *gl = gaussian_layer(loaded);
  assert_true(gl->penalties.vae_beta == 0.25);
  assert_int_equal(gl->penalties.vae_warmup, 3);
  assert_same_outputs(m, loaded, x);

  /* training resumes identically (warm-up epoch 3, the next eps stream) */
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 1));
  assert_ok(ae_set_option(loaded, AE_OPT_EPOCHS, 1));
  assert_ok(ae_train(m, x, SL_ROWS, 10, NULL, 0));
  assert_ok(ae_train(loaded, x, SL_ROWS, 10, NULL, 0));
  tu_snapshot a = tu_take_snapshot(m), b = tu_take_snapshot(loaded);
  assert_true(tu_same_snapshot(&a, &b));
  tu_snapshot_free(&a);
  tu_snapshot_free(&b);
  double ka, kb;
  assert_ok(ae_train_stat(m, AE_STAT_VAE_KL, &ka));
  assert_ok(ae_train_stat(loaded, AE_STAT_VAE_KL, &kb));
  assert_true(ka == kb);
  assert_same_outputs(m, loaded, x);
  ae_model_free(loaded);

  /* file round trip */
  char path[512];
  tu_temp_path(path, sizeof path, "test_vae_model.ae");
  assert_ok(ae_save(m, path, 0));
  assert_ok(ae_load(&loaded, path));
  remove(path);
  assert_string_equal(ae_model_spec(loaded), SL_CANONICAL);
  assert_same_outputs(m, loaded, x);
  ae_model_free(loaded);
  ae_model_free(m);

  /* the defaults are left out of the canonical text */
  assert_ok(ae_model_create(&m, "input 4; gaussian 2 kl_weight=1 warmup=0; dense 4 sigmoid", 1));
  assert_string_equal(ae_model_spec(m), "input 4; gaussian 2; dense 4 sigmoid");
  ae_model_free(m);
  assert_ok(
      ae_model_create(&m, "input 4; gaussian 2 warmup=7 kl_weight=0.001; dense 4 sigmoid", 1));
  assert_string_equal(ae_model_spec(m),
                      "input 4; gaussian 2 kl_weight=0.001 warmup=7; dense 4 sigmoid");
  ae_model_free(m);
}

/* ------------------------------------------------------------------------ */
/* 8. Spec errors                                                           */
/* ------------------------------------------------------------------------ */

static void assert_spec_error(const char *spec, const char *needle) {
  ae_model *m = (ae_model *)&m; /* must be reset to NULL */
  ae_status st = ae_model_create(&m, spec, 1);
  if (st != AE_ERR_SPEC || !strstr(ae_last_error(), needle)) {
    fail_msg("\"%s\" gave %s (\"%s\"); expected AE_ERR_SPEC mentioning \"%s\"", spec,
             ae_status_string(st), ae_last_error(), needle);
  }
  assert_null(m);
  if (vae_verbose()) fprintf(stderr, "%-60s -> %s\n", spec, ae_last_error());
}

#define USAGE "expected 'gaussian N [kl_weight=B] [warmup=E]'"

static void test_spec_errors(void **state) {
  (void)state;
  /* one code layer */
  assert_spec_error("input 8; gaussian 3; gaussian 2; dense 8 sigmoid", "only one code layer");
  assert_spec_error("input 8; code 3 linear; gaussian 2; dense 8 sigmoid", "only one code layer");
  assert_spec_error("input 8; gaussian 3; code 2 linear; dense 8 sigmoid", "only one");
  /* tied */
  assert_spec_error("input 8; dense 5 tanh; gaussian 3; mirror sigmoid; tied", "tied");
  assert_spec_error("input 8; dense 5 tanh; gaussian 3; mirror sigmoid; tied", "gaussian");
  /* kl_weight */
  assert_spec_error("input 8; gaussian 3 kl_weight=0; dense 8 sigmoid", "kl_weight");
  assert_spec_error("input 8; gaussian 3 kl_weight=-1; dense 8 sigmoid", "kl_weight");
  assert_spec_error("input 8; gaussian 3 kl_weight=1001; dense 8 sigmoid", "kl_weight");
  assert_spec_error("input 8; gaussian 3 kl_weight=abc; dense 8 sigmoid",
                    "kl_weight is not a number");
  assert_spec_error("input 8; gaussian 3 kl_weight=; dense 8 sigmoid", "kl_weight is not a number");
  assert_spec_error("input 8; gaussian 3 kl_weight=nan; dense 8 sigmoid", "kl_weight");
  assert_spec_error("input 8; gaussian 3 kl_weight=inf; dense 8 sigmoid", "kl_weight");
  /* warmup */
  assert_spec_error("input 8; gaussian 3 warmup=-1; dense 8 sigmoid", "warmup");
  assert_spec_error("input 8; gaussian 3 warmup=1.5; dense 8 sigmoid", "whole number");
  assert_spec_error("input 8; gaussian 3 warmup=2e6; dense 8 sigmoid", "warmup");
  assert_spec_error("input 8; gaussian 3 warmup=x; dense 8 sigmoid", "warmup is not a number");
  /* unknown keys and words */
  assert_spec_error("input 8; gaussian 3 beta=2; dense 8 sigmoid", USAGE);
  assert_spec_error("input 8; gaussian 3 kl=0.1; dense 8 sigmoid", USAGE);
  assert_spec_error("input 8; gaussian 3 l1=0.1; dense 8 sigmoid", USAGE);
  assert_spec_error("input 8; gaussian 3 linear; dense 8 sigmoid", USAGE);
  assert_spec_error("input 8; gaussian 3 kl_weight; dense 8 sigmoid", USAGE);
  /* width */
  assert_spec_error("input 8; gaussian; dense 8 sigmoid", "gaussian N");
  assert_spec_error("input 8; gaussian 0; dense 8 sigmoid", "statement 2");
  assert_spec_error("input 8; gaussian x; dense 8 sigmoid", "statement 2");
  /* placement */
  assert_spec_error("gaussian 3; input 8; dense 8 sigmoid", "input");
  assert_spec_error("input 8; dense 5 tanh; gaussian 3", "decoder");

  /* and what is accepted */
  ae_model *m = NULL;
  assert_ok(ae_model_create(
      &m, "input 8; dense 5 tanh; gaussian 3 kl_weight=1000 warmup=1000000; mirror sigmoid", 1));
  assert_string_equal(ae_model_spec(m),
                      "input 8; dense 5 tanh; gaussian 3 kl_weight=1000 warmup=1000000; "
                      "dense 5 tanh; dense 8 sigmoid");
  ae_model_free(m);
  assert_ok(ae_model_create(&m, "input 8\ngaussian 1 # a one-unit code\ndense 8 linear", 1));
  assert_int_equal(ae_code_size(m), 1);
  ae_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kl_zero_at_prior),
      cmocka_unit_test(test_kl_value_and_gradient),
      cmocka_unit_test(test_gradcheck_reparameterized),
      cmocka_unit_test(test_gradcheck_parts),
      cmocka_unit_test(test_gradcheck_detects_mismatch),
      cmocka_unit_test(test_logvar_clamp),
      cmocka_unit_test(test_inference_structure),
      cmocka_unit_test(test_determinism),
      cmocka_unit_test(test_log_variance_bounds),
      cmocka_unit_test(test_non_variational_refused),
      cmocka_unit_test(test_training),
      cmocka_unit_test(test_extreme_inputs),
      cmocka_unit_test(test_huge_weights),
      cmocka_unit_test(test_warmup),
      cmocka_unit_test(test_save_load),
      cmocka_unit_test(test_spec_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
