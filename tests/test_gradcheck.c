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
 * The machinery (the problem, the Richardson differences, the comparison and
 * its tolerances) lives in gradcheck_util.h, shared with test_penalties.c.
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

#include "gradcheck_util.h"

/* The full check of one configuration, with its guards against passing
 * trivially. */
static void gradcheck(const char *text, ae_loss_kind loss, int from_logits, double l2,
                      uint64_t seed) {
  gc_problem p;
  gc_config cfg = {.loss = loss, .from_logits = from_logits, .l2 = l2};
  problem_init(&p, text, &cfg, 3, seed);
  gc_result r;
  result_compute(&p, &r);
  result_assert_passes(&p, &r);
  /* The gradient is not trivially zero: not for x, and not for any layer's
   * weights or biases. */
  assert_true(max_abs(r.xa, r.nx) > GC_MIN_GRAD);
  for (int32_t i = 0; i < p.g.n_layers; i++) result_assert_layer_nonzero(&p, &r, i, 1);
  result_free(&r);
  problem_free(&p);
}

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
  gc_config cfg = {.loss = AE_LOSS_MSE, .l2 = 0.05};
  problem_init(&p, "input 7; dense 5 tanh; code 3 elu; dense 5 softplus; dense 7 sigmoid",
               &cfg, 3, 42);
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
  assert_close(ae_loss_eval(NULL, AE_LOSS_MSE, 0, y, t, 3, NULL, 0.0f),
                     ae_mse(y, t, 3, NULL, 0.0f), 0.0);
  assert_close(ae_loss_eval(NULL, AE_LOSS_BCE, 0, y, t, 3, NULL, 0.0f),
                     ae_bce(y, t, 3, NULL, 0.0f), 0.0);
  assert_close(ae_loss_eval(NULL, AE_LOSS_BCE, 1, y, t, 3, NULL, 0.0f),
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
  assert_ok(ae_graph_build(&spec, "test", &g));
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
