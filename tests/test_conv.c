/* test_conv.c -- convolutional layers (issue 5): conv, deconv, maxpool,
 * upsample and reshape, from the layer ops up to trained models.
 *
 * 1. Each layer kind against a naive direct implementation written here from
 *    the definitions (nested loops over one sample):
 *      conv     z[f][oy][ox] = b[f] + sum_c,ky,kx W[f][c][ky][kx]
 *                                     x[c][oy*s - pt + ky][ox*s - pl + kx]
 *               (0 outside the image)
 *      deconv   z[f][iy*s - pt + ky][ix*s - pl + kx] += W[c][f][ky][kx] x[c][iy][ix]
 *               (the scatter, cropped to the output), plus b[f]
 *      maxpool  the largest input of each window, padding never winning
 *      upsample z[c][y][x] = x[c][y / k][x / k]
 *    with the output shapes and paddings ae.h documents, computed here
 *    independently. The backward parts (weight_grad, bias_grad, input_grad)
 *    are checked against the adjoints of the naive forward pass, every term
 *    W[w] x[i] -> z[o] giving dW[w] += dz[o] x[i] and dx[i] += W[w] dz[o].
 *    The ops run through ae_layer_ops_of on layers from ae_spec_parse +
 *    ae_graph_build, with scratch sized exactly by their scratch_size and
 *    guarded at its end. Odd sizes, strides 1, 2 and 3, pad same, valid and
 *    explicit, outpad, 1 to 3 channels in and out, kernels 1, 2, 3, 4 and 5;
 *    also batches split into several im2col chunks, and deconv as the adjoint
 *    of conv with the same window.
 * 2. Finite-difference gradient checks (gradcheck_util.h) of whole graphs
 *    holding every new layer: parameters and inputs, activations on conv and
 *    deconv, max pooling (its arg-max kept away from ties), upsampling,
 *    reshape into a conv after a dense layer, a dense layer after a conv, a
 *    gaussian code layer after convs (eps fixed), L2, and the penalties on
 *    conv layers (L1, KL sparsity on a sigmoid conv, contractive on a conv
 *    encoder layer: the one-probe path, the probe fixed).
 * 3. Shape inference of the seed example and of its variant with
 *    strided transposed convolutions (the grammar's errors and canonical text
 *    are in test_spec.c).
 * 4. Behaviour: a small convolutional denoising autoencoder on synthetic
 *    12x12 images (blobs and stripes) learns, as does the variant with
 *    strided conv / deconv; a conv model saves and loads bit-identically;
 *    ae_jacobian_norm of a conv encoder matches finite differences.
 *
 * AE_CONV_VERBOSE=1 prints the figures measured. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ae.h"
#include "graph.h"
#include "gradcheck_util.h"
#include "layers/conv_frame.h"
#include "layers/im2col.h"
#include "layers/ops.h"
#include "spec.h"
#include "testutil.h"

static int verbose(void) {
  const char *v = getenv("AE_CONV_VERBOSE");
  return v && *v && *v != '0';
}

/* ------------------------------------------------------------------------ */
/* 1. The layers against naive direct implementations                      */
/* ------------------------------------------------------------------------ */

enum { PAD_SAME = -1, PAD_VALID = -2 }; /* else an explicit pad >= 0 */

/* One layer statement on an input shape. */
typedef struct layer_case {
  ae_layer_kind kind;
  int64_t c, h, w;  /* input */
  int64_t f;        /* conv / deconv filters */
  int64_t k, stride;
  int pad;          /* PAD_SAME, PAD_VALID or P */
  int64_t outpad;
} layer_case;

/* The window along one axis of length n, from ae.h's definitions: the output
 * length, and the rows of padding before the image (for deconv: cropped from
 * the scatter's start). */
static int64_t ref_axis(const layer_case *t, int64_t n, int64_t *before) {
  int64_t k = t->k, s = t->stride, p = t->pad >= 0 ? t->pad : 0;
  *before = p;
  switch (t->kind) {
    case AE_LAYER_CONV:
    case AE_LAYER_MAXPOOL:
      if (t->pad == PAD_SAME) { /* TensorFlow: ceil(n / s), odd padding at the end */
        int64_t out = (n + s - 1) / s, total = (out - 1) * s + k - n;
        *before = total > 0 ? total / 2 : 0;
        return out;
      }
      return (n + 2 * p - k) / s + 1;
    case AE_LAYER_DECONV:
      if (t->pad == PAD_SAME) { /* the adjoint of conv same on n * s */
        *before = k > s ? (k - s) / 2 : 0;
        return n * s;
      }
      return (n - 1) * s + k - 2 * p + t->outpad;
    case AE_LAYER_UPSAMPLE:
      *before = 0;
      return n * k;
    default:
      fail_msg("not a spatial layer");
  }
  return 0;
}

/* The statement of a case: kernels alternately written K and KxK. */
static void case_statement(const layer_case *t, char *buf, size_t cap) {
  char kernel[16], pad[24] = "";
  if (t->k % 2) snprintf(kernel, sizeof kernel, "%lld", (long long)t->k);
  else snprintf(kernel, sizeof kernel, "%lldx%lld", (long long)t->k, (long long)t->k);
  if (t->pad == PAD_SAME) snprintf(pad, sizeof pad, " pad=same");
  else if (t->pad == PAD_VALID) snprintf(pad, sizeof pad, " pad=valid");
  else snprintf(pad, sizeof pad, " pad=%d", t->pad);
  switch (t->kind) {
    case AE_LAYER_CONV:
      snprintf(buf, cap, "conv %lld %s tanh stride=%lld%s", (long long)t->f, kernel,
               (long long)t->stride, pad);
      break;
    case AE_LAYER_DECONV:
      snprintf(buf, cap, "deconv %lld %s tanh stride=%lld%s outpad=%lld", (long long)t->f, kernel,
               (long long)t->stride, pad, (long long)t->outpad);
      break;
    case AE_LAYER_MAXPOOL:
      snprintf(buf, cap, "maxpool %s stride=%lld%s", kernel, (long long)t->stride, pad);
      break;
    default:
      snprintf(buf, cap, "upsample %s", kernel);
      break;
  }
}

/* The layer of a case, built from a spec as models build it: the layer is
 * layer 0 of "input CxHxW; output 1; LAYER; code; dense 1 linear". */
typedef struct built {
  char statement[128], text[256];
  ae_spec spec;
  ae_graph g;
  const ae_layer *l;
  const ae_layer_ops *ops;
} built;

static void build_case(built *b, const layer_case *t) {
  case_statement(t, b->statement, sizeof b->statement);
  snprintf(b->text, sizeof b->text, "input %lldx%lldx%lld; output 1; %s; code; dense 1 linear",
           (long long)t->c, (long long)t->h, (long long)t->w, b->statement);
  assert_ok(ae_spec_parse(b->text, "test_conv", &b->spec));
  assert_ok(ae_graph_build(&b->spec, "test", &b->g));
  b->l = &b->g.layers[0];
  b->ops = ae_layer_ops_of(b->l->kind);
  assert_int_equal(b->l->kind, t->kind);
}

static void built_free(built *b) {
  ae_graph_free(&b->g);
  ae_spec_free(&b->spec);
}

/* Reference geometry of a case, with the library's layer checked against it. */
typedef struct geom {
  int64_t c, h, w;     /* input */
  int64_t f, oh, ow;   /* output channels and size */
  int64_t k, s, pt, pl;
} geom;

static geom case_geom(const layer_case *t, const built *b) {
  geom g;
  g.c = t->c;
  g.h = t->h;
  g.w = t->w;
  g.k = t->k;
  g.s = t->stride;
  g.f = t->kind == AE_LAYER_CONV || t->kind == AE_LAYER_DECONV ? t->f : t->c;
  g.oh = ref_axis(t, t->h, &g.pt);
  g.ow = ref_axis(t, t->w, &g.pl);
  const ae_layer *l = b->l;
  if (l->out_shape.c != g.f || l->out_shape.h != g.oh || l->out_shape.w != g.ow ||
      l->in_shape.c != g.c || l->in_shape.h != g.h || l->in_shape.w != g.w) {
    fail_msg("%s on %lldx%lldx%lld: got %lldx%lldx%lld, expected %lldx%lldx%lld", b->statement,
             (long long)g.c, (long long)g.h, (long long)g.w, (long long)l->out_shape.c,
             (long long)l->out_shape.h, (long long)l->out_shape.w, (long long)g.f,
             (long long)g.oh, (long long)g.ow);
  }
  if (t->kind != AE_LAYER_UPSAMPLE) {
    assert_int_equal(l->window.pad_top, g.pt);
    assert_int_equal(l->window.pad_left, g.pl);
  }
  assert_int_equal(l->in, g.c * g.h * g.w);
  assert_int_equal(l->out, g.f * g.oh * g.ow);
  return g;
}

/* Every term W[wi] x[xi] -> z[zi] of one sample of a conv or deconv layer:
 * forward accumulates z (and |terms| in zmag); backward, given dz, the
 * adjoints dW += dz x and dx += W dz (and their |terms|). */
typedef struct naive {
  const float *w, *x, *dz;          /* weights, one sample's input and dz */
  double *z, *zmag;                 /* forward */
  double *dw, *dwmag, *dx, *dxmag;  /* backward (dw over the batch) */
  int backward;
} naive;

static void naive_term(naive *n, int64_t zi, int64_t wi, int64_t xi) {
  if (!n->backward) {
    double t = (double)n->w[wi] * n->x[xi];
    n->z[zi] += t;
    n->zmag[zi] += fabs(t);
  } else {
    double a = (double)n->dz[zi] * n->x[xi], b = (double)n->w[wi] * n->dz[zi];
    n->dw[wi] += a;
    n->dwmag[wi] += fabs(a);
    n->dx[xi] += b;
    n->dxmag[xi] += fabs(b);
  }
}

static void naive_conv(const geom *g, naive *n) {
  for (int64_t f = 0; f < g->f; f++)
    for (int64_t oy = 0; oy < g->oh; oy++)
      for (int64_t ox = 0; ox < g->ow; ox++)
        for (int64_t c = 0; c < g->c; c++)
          for (int64_t ky = 0; ky < g->k; ky++)
            for (int64_t kx = 0; kx < g->k; kx++) {
              int64_t iy = oy * g->s - g->pt + ky, ix = ox * g->s - g->pl + kx;
              if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) continue; /* zero padding */
              naive_term(n, (f * g->oh + oy) * g->ow + ox, ((f * g->c + c) * g->k + ky) * g->k + kx,
                         (c * g->h + iy) * g->w + ix);
            }
}

static void naive_deconv(const geom *g, naive *n) {
  for (int64_t c = 0; c < g->c; c++)
    for (int64_t iy = 0; iy < g->h; iy++)
      for (int64_t ix = 0; ix < g->w; ix++)
        for (int64_t f = 0; f < g->f; f++)
          for (int64_t ky = 0; ky < g->k; ky++)
            for (int64_t kx = 0; kx < g->k; kx++) {
              int64_t oy = iy * g->s - g->pt + ky, ox = ix * g->s - g->pl + kx;
              if (oy < 0 || oy >= g->oh || ox < 0 || ox >= g->ow) continue; /* cropped */
              naive_term(n, (f * g->oh + oy) * g->ow + ox, ((c * g->f + f) * g->k + ky) * g->k + kx,
                         (c * g->h + iy) * g->w + ix);
            }
}

/* Naive max pooling of one sample: z and the arg-max (index into the
 * sample's input) of each output; padding (-inf) never wins, the first of
 * equal maxima does. */
static void naive_maxpool(const geom *g, const float *x, float *z, int64_t *arg) {
  for (int64_t c = 0; c < g->c; c++)
    for (int64_t oy = 0; oy < g->oh; oy++)
      for (int64_t ox = 0; ox < g->ow; ox++) {
        float best = -INFINITY;
        int64_t at = -1;
        for (int64_t ky = 0; ky < g->k; ky++)
          for (int64_t kx = 0; kx < g->k; kx++) {
            int64_t iy = oy * g->s - g->pt + ky, ix = ox * g->s - g->pl + kx;
            if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) continue;
            int64_t i = (c * g->h + iy) * g->w + ix;
            if (at < 0 || x[i] > best) {
              best = x[i];
              at = i;
            }
          }
        int64_t o = (c * g->oh + oy) * g->ow + ox;
        assert_true(at >= 0); /* every window meets the image */
        z[o] = best;
        arg[o] = at;
      }
}

/* |got - want| <= rel * mag + 1e-6 for each of n values: float sums of
 * terms whose absolute values add up to mag. */
static void expect_close(const char *what, const built *b, const float *got, const double *want,
                         const double *mag, int64_t n, double rel) {
  for (int64_t i = 0; i < n; i++) {
    double tol = rel * (mag ? mag[i] : fabs(want[i])) + 1e-6;
    if (!(fabs((double)got[i] - want[i]) <= tol)) {
      fail_msg("%s of %s on %s: [%lld] got %.9g, expected %.9g (tolerance %.3g)", what,
               b->statement, b->text, (long long)i, (double)got[i], want[i], tol);
    }
  }
}

/* A buffer of n values followed by a guard band that must stay untouched:
 * the ops may use what scratch_size asked for, and no more. */
#define GUARD 64
static const float GUARD_VALUE = 1234.5f;

static float *guarded(int64_t n) {
  float *v = malloc((size_t)(n + GUARD) * sizeof(float));
  assert_non_null(v);
  for (int64_t i = 0; i < n + GUARD; i++) v[i] = GUARD_VALUE;
  return v;
}

static void expect_guard(const float *v, int64_t n, const char *what, const built *b) {
  for (int64_t i = n; i < n + GUARD; i++) {
    if (memcmp(&v[i], &GUARD_VALUE, sizeof(float)) != 0) {
      fail_msg("%s of %s wrote past the %lld floats scratch_size asked for", what, b->statement,
               (long long)n);
    }
  }
}

/* weight_and_input_grad gives exactly what weight_grad and input_grad give
 * apart (dx_apart: input_grad's dx): the same sums in the same order. Its
 * scratch (ncols and ntmp floats) is NaN first, so that a part it skips
 * writing (the kernel transform, say) cannot hide behind what the calls
 * before it left there. */
static void expect_same_as_apart(const built *b, const float *params, const float *x,
                                 const float *dz, const float *dx_apart, const float *base,
                                 int64_t batch, ae_layer_scratch *s, int64_t ncols,
                                 int64_t ntmp) {
  const ae_layer *l = b->l;
  int64_t np = b->g.n_params;
  float *apart = malloc((size_t)np * sizeof(float)), *both = malloc((size_t)np * sizeof(float));
  float *dx = malloc((size_t)(batch * l->in) * sizeof(float));
  assert_true(apart && both && dx);
  memcpy(apart, base, (size_t)np * sizeof(float));
  b->ops->weight_grad(l, apart, x, dz, batch, s);
  memcpy(both, base, (size_t)np * sizeof(float));
  for (int64_t i = 0; i < batch * l->in; i++) dx[i] = 1e6f;
  for (int64_t i = 0; i < ncols; i++) s->cols[i] = NAN;
  for (int64_t i = 0; i < ntmp; i++) s->tmp[i] = NAN;
  b->ops->weight_and_input_grad(l, params, both, x, dz, dx, batch, s);
  if (memcmp(apart, both, (size_t)np * sizeof(float)) != 0 ||
      memcmp(dx, dx_apart, (size_t)(batch * l->in) * sizeof(float)) != 0) {
    fail_msg("weight_and_input_grad of %s differs from weight_grad and input_grad apart",
             b->statement);
  }
  free(apart);
  free(both);
  free(dx);
}

/* Runs one case through the ops on `batch` samples and compares every part
 * with the naive implementation. x_lo..x_hi: the input's range; with ties,
 * inputs are rounded down to multiples of 1/2, so that windows hold equal
 * maxima (the first in the window wins). */
static void check_case(const layer_case *t, int64_t batch, float x_lo, float x_hi, int ties,
                       uint64_t seed) {
  built b;
  build_case(&b, t);
  geom g = case_geom(t, &b);
  const ae_layer *l = b.l;
  const ae_layer_ops *ops = b.ops;
  int64_t in = l->in, out = l->out, np = b.g.n_params;
  int has_params = t->kind == AE_LAYER_CONV || t->kind == AE_LAYER_DECONV;
  int64_t nw = has_params ? g.f * g.c * g.k * g.k : 0, nb = has_params ? g.f : 0;

  /* parameters: the layer's, then the dense layer's; param_count by hand */
  assert_int_equal(ops->param_count(l), nw + nb);
  assert_int_equal(ae_layer_weight_count(l), nw);
  assert_int_equal(l->w_off, 0);
  if (has_params) assert_int_equal(l->b_off, nw);

  /* scratch exactly as scratch_size asks, with guards */
  int64_t ncols = -1, ntmp = -1;
  ops->scratch_size(l, batch, &ncols, &ntmp);
  assert_true(ncols >= 0 && ntmp >= 0);
  float *cols = guarded(ncols), *tmp = guarded(ntmp);
  int32_t *argmax = calloc((size_t)(batch * out), sizeof(int32_t));
  assert_non_null(argmax);
  ae_layer_scratch s = {.cols = cols, .tmp = tmp,
                        .argmax = t->kind == AE_LAYER_MAXPOOL ? argmax : NULL};

  float *params = malloc((size_t)np * sizeof(float));
  float *x = malloc((size_t)(batch * in) * sizeof(float));
  float *dz = malloc((size_t)(batch * out) * sizeof(float));
  float *z = malloc((size_t)(batch * out) * sizeof(float));
  float *dx = malloc((size_t)(batch * in) * sizeof(float));
  float *grads = malloc((size_t)np * sizeof(float));
  float *base = malloc((size_t)np * sizeof(float));
  float *ones = malloc((size_t)batch * sizeof(float));
  double *zr = calloc((size_t)(batch * out), sizeof(double));
  double *zm = calloc((size_t)(batch * out), sizeof(double));
  double *dxr = calloc((size_t)(batch * in), sizeof(double));
  double *dxm = calloc((size_t)(batch * in), sizeof(double));
  double *dwr = calloc((size_t)(nw + nb + 1), sizeof(double));
  double *dwm = calloc((size_t)(nw + nb + 1), sizeof(double));
  assert_true(params && x && dz && z && dx && grads && base && ones && zr && zm && dxr && dxm &&
              dwr && dwm);
  tu_fill_uniform(params, np, -1.0f, 1.0f, seed);
  tu_fill_uniform(x, batch * in, x_lo, x_hi, seed + 1);
  for (int64_t i = 0; ties && i < batch * in; i++) x[i] = floorf(x[i] * 2.0f) / 2.0f;
  tu_fill_uniform(dz, batch * out, -1.0f, 1.0f, seed + 2);
  tu_fill_uniform(base, np, -0.5f, 0.5f, seed + 3);
  for (int64_t i = 0; i < batch; i++) ones[i] = 1.0f;
  s.ones = ones;

  if (has_params) {
    const float *bias = params + l->b_off;
    for (int64_t i = 0; i < batch; i++) {
      naive n = {params, x + i * in, dz + i * out, zr + i * out, zm + i * out,
                 dwr,    dwm,        dxr + i * in, dxm + i * in, 0};
      if (t->kind == AE_LAYER_CONV) naive_conv(&g, &n);
      else naive_deconv(&g, &n);
      n.backward = 1;
      if (t->kind == AE_LAYER_CONV) naive_conv(&g, &n);
      else naive_deconv(&g, &n);
      for (int64_t f = 0; f < g.f; f++) {
        for (int64_t q = 0; q < g.oh * g.ow; q++) {
          double d = dz[i * out + f * g.oh * g.ow + q];
          dwr[nw + f] += d;
          dwm[nw + f] += fabs(d);
        }
      }
    }
    /* apply: the linear part alone */
    for (int64_t i = 0; i < batch * out; i++) z[i] = 1e6f;
    ops->apply(l, params, x, z, batch, &s);
    expect_close("apply", &b, z, zr, zm, batch * out, 2e-5);
    /* forward: plus the bias of each output channel */
    for (int64_t i = 0; i < batch; i++) {
      for (int64_t f = 0; f < g.f; f++) {
        for (int64_t q = 0; q < g.oh * g.ow; q++) {
          int64_t o = i * out + f * g.oh * g.ow + q;
          zr[o] += bias[f];
          zm[o] += fabs(bias[f]);
        }
      }
    }
    for (int64_t i = 0; i < batch * out; i++) z[i] = 1e6f;
    ops->forward(l, params, x, z, batch, &s);
    expect_close("forward", &b, z, zr, zm, batch * out, 2e-5);
    /* weight_grad adds dW to the weights' gradients and touches nothing else */
    memcpy(grads, base, (size_t)np * sizeof(float));
    ops->weight_grad(l, grads, x, dz, batch, &s);
    for (int64_t j = 0; j < nw; j++) grads[j] -= base[j];
    expect_close("weight_grad", &b, grads, dwr, dwm, nw, 2e-5);
    assert_memory_equal(grads + nw, base + nw, (size_t)(np - nw) * sizeof(float));
    /* bias_grad likewise for the biases */
    memcpy(grads, base, (size_t)np * sizeof(float));
    ops->bias_grad(l, grads, dz, batch, &s);
    for (int64_t j = nw; j < nw + nb; j++) grads[j] -= base[j];
    expect_close("bias_grad", &b, grads + nw, dwr + nw, dwm + nw, nb, 2e-5);
    assert_memory_equal(grads, base, (size_t)nw * sizeof(float));
    assert_memory_equal(grads + nw + nb, base + nw + nb, (size_t)(np - nw - nb) * sizeof(float));
    /* input_grad overwrites dx */
    for (int64_t i = 0; i < batch * in; i++) dx[i] = 1e6f;
    ops->input_grad(l, params, dz, dx, batch, &s);
    expect_close("input_grad", &b, dx, dxr, dxm, batch * in, 2e-5);
    if (ops->weight_and_input_grad) {
      expect_same_as_apart(&b, params, x, dz, dx, base, batch, &s, ncols, ntmp);
    }
  } else if (t->kind == AE_LAYER_MAXPOOL) {
    float *zn = malloc((size_t)out * sizeof(float));
    int64_t *arg = malloc((size_t)out * sizeof(int64_t));
    assert_true(zn && arg);
    for (int64_t i = 0; i < batch * out; i++) z[i] = 1e6f;
    ops->forward(l, params, x, z, batch, &s);
    for (int64_t i = 0; i < batch; i++) {
      naive_maxpool(&g, x + i * in, zn, arg);
      for (int64_t o = 0; o < out; o++) {
        if (z[i * out + o] != zn[o]) {
          fail_msg("forward of %s: sample %lld output %lld is %g, expected %g", b.statement,
                   (long long)i, (long long)o, (double)z[i * out + o], (double)zn[o]);
        }
        assert_int_equal(argmax[i * out + o], arg[o]);
        /* the derivative of z[o] is 1 at its window's arg-max */
        dxr[i * in + arg[o]] += dz[i * out + o];
        dxm[i * in + arg[o]] += fabs(dz[i * out + o]);
      }
    }
    /* apply routes like forward */
    float *u = malloc((size_t)(batch * out) * sizeof(float));
    assert_non_null(u);
    ops->apply(l, params, x, u, batch, &s);
    assert_memory_equal(u, z, (size_t)(batch * out) * sizeof(float));
    free(u);
    for (int64_t i = 0; i < batch * in; i++) dx[i] = 1e6f;
    ops->input_grad(l, params, dz, dx, batch, &s);
    expect_close("input_grad", &b, dx, dxr, dxm, batch * in, 1e-6);
    free(zn);
    free(arg);
  } else {
    for (int64_t i = 0; i < batch * out; i++) z[i] = 1e6f;
    ops->forward(l, params, x, z, batch, &s);
    for (int64_t i = 0; i < batch; i++) {
      for (int64_t c = 0; c < g.c; c++)
        for (int64_t y = 0; y < g.oh; y++)
          for (int64_t xx = 0; xx < g.ow; xx++) {
            int64_t o = i * out + (c * g.oh + y) * g.ow + xx;
            int64_t src = i * in + (c * g.h + y / g.k) * g.w + xx / g.k;
            assert_true(z[o] == x[src]);
            dxr[src] += dz[o];
            dxm[src] += fabs(dz[o]);
          }
    }
    float *u = malloc((size_t)(batch * out) * sizeof(float));
    assert_non_null(u);
    ops->apply(l, params, x, u, batch, &s);
    assert_memory_equal(u, z, (size_t)(batch * out) * sizeof(float));
    free(u);
    for (int64_t i = 0; i < batch * in; i++) dx[i] = 1e6f;
    ops->input_grad(l, params, dz, dx, batch, &s);
    expect_close("input_grad", &b, dx, dxr, dxm, batch * in, 1e-6);
  }
  if (!has_params) {
    /* no parameters: the gradients are untouched */
    memcpy(grads, base, (size_t)np * sizeof(float));
    ops->weight_grad(l, grads, x, dz, batch, &s);
    ops->bias_grad(l, grads, dz, batch, &s);
    assert_memory_equal(grads, base, (size_t)np * sizeof(float));
  }
  expect_guard(cols, ncols, "im2col columns", &b);
  expect_guard(tmp, ntmp, "the reorder buffer", &b);

  free(cols);
  free(tmp);
  free(argmax);
  free(params);
  free(x);
  free(dz);
  free(z);
  free(dx);
  free(grads);
  free(base);
  free(ones);
  free(zr);
  free(zm);
  free(dxr);
  free(dxm);
  free(dwr);
  free(dwm);
  built_free(&b);
}

#define CONV(c, h, w, f, k, s, pad) {AE_LAYER_CONV, c, h, w, f, k, s, pad, 0}
#define DECONV(c, h, w, f, k, s, pad, a) {AE_LAYER_DECONV, c, h, w, f, k, s, pad, a}
#define POOL(c, h, w, k, s, pad) {AE_LAYER_MAXPOOL, c, h, w, 0, k, s, pad, 0}
#define UP(c, h, w, k) {AE_LAYER_UPSAMPLE, c, h, w, 0, k, 1, PAD_SAME, 0}

static void run_cases(const layer_case *cases, size_t n, float lo, float hi, int ties,
                      uint64_t seed) {
  for (size_t i = 0; i < n; i++) check_case(&cases[i], 3, lo, hi, ties, seed + 10 * i);
}

static void test_conv_matches_naive(void **state) {
  (void)state;
  static const layer_case cases[] = {
      CONV(1, 5, 7, 1, 3, 1, PAD_SAME),  CONV(2, 5, 7, 3, 3, 2, PAD_SAME),
      CONV(3, 5, 7, 2, 5, 1, PAD_SAME),  CONV(2, 5, 7, 3, 2, 2, PAD_SAME),
      CONV(3, 7, 5, 2, 5, 2, PAD_SAME),  CONV(3, 6, 5, 3, 3, 3, PAD_SAME),
      CONV(1, 3, 3, 2, 5, 1, PAD_SAME),  CONV(2, 5, 7, 3, 1, 2, PAD_SAME),
      CONV(2, 5, 7, 2, 3, 1, PAD_VALID), CONV(3, 7, 7, 1, 2, 3, PAD_VALID),
      CONV(1, 5, 7, 3, 1, 1, PAD_VALID), CONV(2, 7, 5, 3, 5, 2, PAD_VALID),
      CONV(2, 5, 7, 2, 3, 2, 1),         CONV(1, 5, 7, 3, 5, 3, 2),
      CONV(2, 4, 4, 2, 3, 1, 2),         CONV(1, 5, 7, 1, 3, 2, 3),
      CONV(2, 7, 5, 2, 4, 2, PAD_SAME),  CONV(3, 5, 7, 1, 4, 1, PAD_VALID),
      /* stride 1 with several input channels (conv_frame.c): even kernels
       * with uneven padding, one output channel (sgemv/sger), 1x1 */
      CONV(2, 5, 6, 1, 4, 1, PAD_SAME),  CONV(3, 6, 5, 2, 2, 1, PAD_SAME),
      CONV(4, 5, 7, 1, 3, 1, PAD_SAME),  CONV(3, 4, 6, 2, 1, 1, PAD_SAME),
      CONV(2, 3, 3, 3, 3, 1, 3),
      /* 3x3, stride 1, >= 32 channels each side (conv_winograd.c): odd
       * output sizes (tiles half outside), valid, a wide pad, one pixel */
      CONV(32, 5, 7, 32, 3, 1, PAD_SAME), CONV(32, 6, 4, 33, 3, 1, PAD_VALID),
      CONV(33, 4, 5, 32, 3, 1, 2),        CONV(32, 1, 1, 32, 3, 1, PAD_SAME),
      /* rows of 6 tiles: a group of four, then a group of two */
      CONV(32, 9, 11, 32, 3, 1, PAD_SAME),
  };
  run_cases(cases, sizeof cases / sizeof cases[0], -1.0f, 1.0f, 0, 100);
}

static void test_deconv_matches_naive(void **state) {
  (void)state;
  static const layer_case cases[] = {
      DECONV(1, 5, 7, 1, 3, 1, PAD_SAME, 0),  DECONV(2, 5, 7, 3, 3, 2, PAD_SAME, 0),
      DECONV(3, 3, 4, 2, 5, 2, PAD_SAME, 0),  DECONV(2, 3, 5, 3, 2, 2, PAD_SAME, 0),
      DECONV(2, 5, 7, 2, 1, 2, PAD_SAME, 0),  DECONV(1, 3, 5, 2, 5, 3, PAD_SAME, 0),
      DECONV(2, 4, 3, 3, 3, 2, PAD_VALID, 0), DECONV(2, 4, 3, 2, 3, 2, PAD_VALID, 1),
      DECONV(2, 5, 3, 1, 2, 1, PAD_VALID, 0), DECONV(3, 2, 3, 2, 3, 3, PAD_VALID, 0),
      DECONV(3, 3, 5, 2, 5, 3, 1, 2),         DECONV(1, 5, 7, 3, 3, 2, 1, 1),
      DECONV(2, 4, 4, 3, 3, 2, 1, 0),         DECONV(3, 5, 7, 2, 5, 1, 2, 0),
      DECONV(2, 3, 4, 2, 4, 2, PAD_SAME, 0),  DECONV(1, 3, 3, 3, 4, 3, 1, 1),
  };
  run_cases(cases, sizeof cases / sizeof cases[0], -1.0f, 1.0f, 0, 200);
}

static void test_maxpool_matches_naive(void **state) {
  (void)state;
  static const layer_case cases[] = {
      POOL(1, 5, 7, 2, 2, PAD_SAME),  POOL(2, 5, 7, 3, 2, PAD_SAME), POOL(3, 5, 7, 3, 3, PAD_SAME),
      POOL(2, 7, 5, 2, 1, PAD_VALID), POOL(2, 5, 7, 3, 2, PAD_VALID), POOL(1, 5, 7, 5, 1, PAD_SAME),
      POOL(2, 5, 7, 1, 2, PAD_SAME),  POOL(3, 7, 7, 2, 3, PAD_SAME), POOL(1, 3, 3, 5, 5, PAD_SAME),
      /* 2 x 2, stride 2, windows whole (the four-at-a-time path): tiling,
       * with a leftover column, with a scalar tail */
      POOL(2, 8, 10, 2, 2, PAD_VALID), POOL(3, 9, 19, 2, 2, PAD_VALID),
      POOL(1, 6, 16, 2, 2, PAD_SAME),
  };
  size_t n = sizeof cases / sizeof cases[0];
  run_cases(cases, n, -1.0f, 1.0f, 0, 300);
  /* every input negative: padding (-inf, not 0) never wins */
  run_cases(cases, n, -2.0f, -0.5f, 0, 400);
  /* equal maxima: the first wins, and takes the whole gradient */
  run_cases(cases, n, -1.0f, 1.0f, 1, 450);
  run_cases(cases, n, -0.4f, -0.1f, 1, 470); /* every input -1/2 */
}

static void test_upsample_matches_naive(void **state) {
  (void)state;
  static const layer_case cases[] = {UP(1, 5, 7, 2), UP(2, 3, 5, 3), UP(3, 5, 7, 1), UP(2, 1, 1, 4)};
  run_cases(cases, sizeof cases / sizeof cases[0], -1.0f, 1.0f, 0, 500);
}

/* Batches that are split into chunks: 5 samples of a deconv's 576 x 2304
 * patch columns go as 3 + 2 (AE_PATCH_BUDGET, 4M floats); 7 stride-1 frames
 * of (64 + 2) channels x 50 x 50 as 6 + 1 (AE_FRAME_BUDGET, 1M floats); 13
 * stride-2 samples of 576 x 576 columns as 12 + 1; 3 samples of Winograd
 * transforms, 16 x (32 + 32) channels x 19 x 19 tiles (rows ending in a
 * group of three) and a work area of 40 x 40 + 8 floats, as 2 + 1
 * (AE_FRAME_BUDGET). */
static void test_chunked_batches_match_naive(void **state) {
  (void)state;
  static const struct {
    layer_case layer;
    int64_t batch, per_sample, budget, chunk;
  } cases[] = {
      {DECONV(2, 48, 48, 64, 3, 1, PAD_SAME, 0), 5, 64 * 9 * 48 * 48, AE_PATCH_BUDGET, 3},
      {CONV(64, 48, 48, 2, 3, 1, PAD_SAME), 7, (64 + 2) * 50 * 50, AE_FRAME_BUDGET, 6},
      {CONV(64, 48, 48, 2, 3, 2, PAD_SAME), 13, 64 * 9 * 24 * 24, AE_PATCH_BUDGET, 12},
      {CONV(32, 38, 38, 32, 3, 1, PAD_SAME), 3, 16 * 64 * 19 * 19 + 40 * 40 + 8,
       AE_FRAME_BUDGET, 2},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(ae_chunk_samples(cases[i].batch, cases[i].per_sample, cases[i].budget),
                     cases[i].chunk);
    check_case(&cases[i].layer, cases[i].batch, -1.0f, 1.0f, 0, 600 + i);
  }
}

/* A transposed convolution is the adjoint of the convolution with the same
 * kernel, stride and padding (ae.h): for the conv from the deconv's output
 * shape back to its input shape, with the same (C, F, k, k) weights,
 * <deconv(x), y> = <x, conv(y)>. */
static void test_deconv_is_adjoint_of_conv(void **state) {
  (void)state;
  static const layer_case cases[] = {
      DECONV(2, 5, 7, 3, 3, 2, PAD_SAME, 0), DECONV(3, 3, 4, 2, 5, 2, PAD_SAME, 0),
      DECONV(2, 3, 5, 3, 2, 2, PAD_SAME, 0), DECONV(2, 4, 3, 3, 3, 2, PAD_VALID, 0),
      DECONV(1, 5, 7, 3, 3, 2, 1, 1),        DECONV(3, 3, 5, 2, 5, 3, 1, 2),
      DECONV(2, 5, 7, 1, 3, 1, PAD_SAME, 0), DECONV(1, 3, 5, 2, 5, 3, PAD_SAME, 0),
      DECONV(2, 3, 4, 2, 4, 2, PAD_SAME, 0), DECONV(1, 3, 3, 3, 4, 3, 1, 1),
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const layer_case *d = &cases[i];
    built bd, bc;
    build_case(&bd, d);
    layer_case c = {AE_LAYER_CONV, bd.l->out_shape.c, bd.l->out_shape.h, bd.l->out_shape.w,
                    d->c, d->k, d->stride, d->pad, 0};
    build_case(&bc, &c);
    /* the conv maps the deconv's output shape back to its input shape */
    assert_int_equal(bc.l->out_shape.c, d->c);
    assert_int_equal(bc.l->out_shape.h, d->h);
    assert_int_equal(bc.l->out_shape.w, d->w);
    assert_int_equal(bc.l->window.pad_top, bd.l->window.pad_top);
    assert_int_equal(bc.l->window.pad_left, bd.l->window.pad_left);
    int64_t nw = ae_layer_weight_count(bd.l), in = bd.l->in, out = bd.l->out, batch = 2;
    assert_int_equal(ae_layer_weight_count(bc.l), nw);
    float *pd = calloc((size_t)bd.g.n_params, sizeof(float));
    float *pc = calloc((size_t)bc.g.n_params, sizeof(float));
    float *x = malloc((size_t)(batch * in) * sizeof(float));
    float *y = malloc((size_t)(batch * out) * sizeof(float));
    float *u = malloc((size_t)(batch * out) * sizeof(float));
    float *v = malloc((size_t)(batch * in) * sizeof(float));
    assert_true(pd && pc && x && y && u && v);
    tu_fill_uniform(pd, nw, -1.0f, 1.0f, 700 + i);
    memcpy(pc, pd, (size_t)nw * sizeof(float));
    tu_fill_uniform(x, batch * in, -1.0f, 1.0f, 710 + i);
    tu_fill_uniform(y, batch * out, -1.0f, 1.0f, 720 + i);
    int64_t c1, t1, c2, t2;
    bd.ops->scratch_size(bd.l, batch, &c1, &t1);
    bc.ops->scratch_size(bc.l, batch, &c2, &t2);
    float *cols = malloc((size_t)(c1 > c2 ? c1 : c2) * sizeof(float));
    float *tmp = malloc((size_t)(t1 > t2 ? t1 : t2) * sizeof(float));
    assert_true(cols && tmp);
    ae_layer_scratch s = {.cols = cols, .tmp = tmp};
    bd.ops->apply(bd.l, pd, x, u, batch, &s);
    bc.ops->apply(bc.l, pc, y, v, batch, &s);
    double uy = 0.0, xv = 0.0, mag = 0.0;
    for (int64_t j = 0; j < batch * out; j++) {
      uy += (double)u[j] * y[j];
      mag += fabs((double)u[j] * y[j]);
    }
    for (int64_t j = 0; j < batch * in; j++) xv += (double)x[j] * v[j];
    if (verbose()) fprintf(stderr, "adjoint %s: %.9g vs %.9g\n", bd.statement, uy, xv);
    assert_close(uy, xv, 1e-5 * mag + 1e-6);
    free(pd);
    free(pc);
    free(x);
    free(y);
    free(u);
    free(v);
    free(cols);
    free(tmp);
    built_free(&bd);
    built_free(&bc);
  }
}

/* ------------------------------------------------------------------------ */
/* 2. Gradient checks of whole graphs                                       */
/* ------------------------------------------------------------------------ */

static const gc_config MSE = {.loss = AE_LOSS_MSE};
static const gc_config MSE_L2 = {.loss = AE_LOSS_MSE, .l2 = 0.05};
static const gc_config BCE_LOGITS = {.loss = AE_LOSS_BCE, .from_logits = 1};
static const gc_config MSE_PENALTIES = {.loss = AE_LOSS_MSE, .penalties = 1};
static const gc_config PENALTIES_ALONE = {.loss = AE_LOSS_MSE, .no_reconstruction = 1,
                                          .penalties = 1};

/* Checks the full gradient (every parameter and input) of `text` under cfg
 * on `batch` rows, and that every layer with parameters gets a gradient
 * (without the reconstruction loss: the layers up to the contractive one,
 * and none after it). With vae, the gaussian code layer samples with a fixed
 * eps and its KL term joins L (cfg.penalties). */
static void graph_check(const char *text, const gc_config *cfg, int64_t batch, uint64_t seed,
                        int vae) {
  gc_problem p;
  problem_init(&p, text, cfg, batch, seed);
  if (vae) {
    const ae_layer *gl = &p.g.layers[p.g.code_layer];
    assert_int_equal(gl->kind, AE_LAYER_GAUSSIAN);
    assert_non_null(p.ws.eps);
    /* log-variance biases: sigma between e^-0.6 and e^0.25 */
    tu_fill_uniform(p.params + gl->b_off + gl->out, gl->out, -1.2f, 0.5f, mix64(seed ^ 0x1f));
    gc_fill_normal(p.ws.eps, batch * gl->out, mix64(seed ^ 0xe5));
    p.ws.sample = 1;
    p.ws.vae_beta = 0.7;
  }
  gc_result r;
  result_compute(&p, &r);
  gc_stats gs, xs;
  int64_t bad = result_compare(&p, &r, &gs, &xs);
  if (verbose()) {
    fprintf(stderr, "  %lld params (%lld skipped), %lld inputs (%lld skipped), loss %.4g\n",
            (long long)r.np, (long long)gs.skipped, (long long)r.nx, (long long)xs.skipped, r.loss);
  }
  assert_int_equal(bad, 0);
  result_assert_passes(&p, &r);
  int32_t reached = cfg->no_reconstruction ? p.g.contractive_layer : p.g.n_layers - 1;
  for (int32_t i = 0; i < p.g.n_layers; i++) {
    const ae_layer *l = &p.g.layers[i];
    if (gc_weight_count(l) == 0) continue;
    if (i <= reached) {
      result_assert_layer_nonzero(&p, &r, i, 1);
    } else {
      assert_true(max_abs(r.ga + l->w_off, gc_weight_count(l) + gc_bias_count(l)) == 0.0);
    }
  }
  assert_true(max_abs(r.xa, r.nx) > GC_MIN_GRAD);
  result_free(&r);
  problem_free(&p);
}

/* conv (stride 1, same; k 3 and 2 valid), maxpool with -inf padding at the
 * end (5x7 pools to 3x4), upsampling. */
static void test_gradcheck_conv_pool_upsample(void **state) {
  (void)state;
  graph_check("input 2x5x7; conv 3 3 tanh; maxpool 2; conv 2 3 elu; code; upsample 2; "
              "conv 2 2 sigmoid pad=valid",
              &MSE, 3, 1001, 0);
  /* overlapping windows with padding at both ends, a kernel of 5, BCE */
  graph_check("input 1x7x5; conv 3 5 softplus; maxpool 3 stride=2; code; upsample 2; "
              "conv 1 2 linear pad=valid",
              &BCE_LOGITS, 2, 1002, 0);
}

/* A 3x3 stride-1 convolution with 32 channels each side (Winograd's
 * transforms; one row of two tiles, the second half outside), then a 1x1
 * one back (frames). */
static void test_gradcheck_winograd_conv(void **state) {
  (void)state;
  graph_check("input 32x1x3; conv 32 3 tanh; code; conv 32 1 linear", &MSE, 2, 1051, 0);
}

/* Strided convs, same and valid; strided transposed convs, valid, same,
 * explicit pad with outpad, stride 3; relu on a deconv. */
static void test_gradcheck_strided_conv_deconv(void **state) {
  (void)state;
  graph_check("input 2x7x5; conv 3 3 softplus stride=2; conv 4 3 tanh pad=valid; code; "
              "deconv 3 3 relu stride=2 pad=valid; deconv 2 3 sigmoid pad=valid",
              &MSE, 2, 1101, 0);
  graph_check("input 3x5x5; conv 2 3 tanh stride=2 pad=1; code; "
              "deconv 2 3 softplus stride=2 pad=same; conv 3 2 linear pad=valid",
              &MSE_L2, 3, 1102, 0);
  graph_check("input 1x6x6; conv 2 3 elu stride=2 pad=1; code; "
              "deconv 1 3 linear stride=2 pad=1 outpad=1",
              &MSE, 3, 1103, 0);
  graph_check("input 1x7x7; conv 2 2 tanh stride=3; code; deconv 3 3 leaky_relu stride=3 pad=1; "
              "conv 1 1 sigmoid",
              &BCE_LOGITS, 3, 1104, 0);
}

/* Dense after a conv (flattening it) and reshape into a transposed conv
 * after a dense layer; L2 over conv kernels and dense matrices alike. */
static void test_gradcheck_dense_reshape(void **state) {
  (void)state;
  graph_check("input 2x5x5; conv 2 3 tanh stride=2; dense 6 elu; code 4 linear; dense 18 tanh; "
              "reshape 2x3x3; deconv 2 3 sigmoid stride=2 pad=1",
              &MSE_L2, 3, 1201, 0);
  graph_check("input 12; dense 8 tanh; reshape 2x2x2; conv 3 3 softplus; code; upsample 2; "
              "conv 1 3 linear pad=valid; dense 12 linear",
              &MSE, 3, 1202, 0);
}

/* A variational autoencoder: a gaussian code layer after convs, eps fixed,
 * the KL term in L. */
static void test_gradcheck_conv_vae(void **state) {
  (void)state;
  gc_config cfg = BCE_LOGITS;
  cfg.penalties = 1;
  graph_check("input 1x7x7; conv 3 3 tanh stride=2; conv 2 3 elu stride=2; gaussian 3; "
              "dense 8 tanh; reshape 2x2x2; upsample 2; deconv 1 4 sigmoid pad=valid",
              &cfg, 3, 1301, 1);
}

/* Penalties on conv layers: L1 on a tanh conv, KL sparsity on a sigmoid conv,
 * contractive on a conv encoder layer after max pooling and on the first
 * layer (a conv: the one-probe estimate, its probe fixed), L1 on a deconv. */
static void test_gradcheck_conv_penalties(void **state) {
  (void)state;
  graph_check("input 2x5x7; conv 3 3 softplus l1=0.05; maxpool 2; "
              "conv 4 3 sigmoid kl=0.1 kl_weight=0.1 contractive=0.3; code; upsample 2; "
              "conv 2 2 linear pad=valid",
              &MSE_PENALTIES, 3, 1401, 0);
  graph_check("input 1x5x7; conv 2 3 softplus stride=2 contractive=0.5; code; "
              "deconv 1 3 sigmoid stride=2 pad=1",
              &PENALTIES_ALONE, 3, 1402, 0);
  graph_check("input 1x5x7; conv 2 3 tanh stride=2 contractive=0.2; code; "
              "deconv 2 3 elu stride=2 pad=1 l1=0.02; conv 1 3 linear",
              &MSE_PENALTIES, 3, 1403, 0);
  /* the deep probe's tangents through a deconv and upsampling */
  graph_check("input 1x4x4; conv 2 3 tanh stride=2; upsample 2; "
              "deconv 2 3 sigmoid stride=2 pad=valid kl=0.2 kl_weight=0.05 contractive=0.4; code; "
              "conv 1 3 linear stride=2 pad=valid",
              &MSE_PENALTIES, 3, 1404, 0);
}

/* A penalty's gradient really is in the check: the stochastic contractive
 * penalty on a conv layer is non-zero and probe-dependent. */
static void test_conv_contractive_uses_probe(void **state) {
  (void)state;
  gc_problem p;
  problem_init(&p, "input 1x5x7; conv 2 3 tanh stride=2 contractive=0.5; code; "
                   "deconv 1 3 sigmoid stride=2 pad=1",
               &PENALTIES_ALONE, 3, 1501);
  assert_int_equal(p.g.contractive_layer, 0);
  assert_false(p.g.contractive_exact); /* a conv first layer takes the probe path */
  assert_non_null(p.ws.probe);
  double a = problem_loss(&p, p.x, NULL);
  for (int64_t i = 0; i < p.batch * p.in; i++) p.ws.probe[i] *= 2.0f;
  double b = problem_loss(&p, p.x, NULL);
  assert_true(a > 0.0);
  assert_close(b, 4.0 * a, 1e-5 * b); /* |J (2e)|^2 = 4 |J e|^2 */
  problem_free(&p);
}

/* ------------------------------------------------------------------------ */
/* 3. Shape inference of the seed example                                   */
/* ------------------------------------------------------------------------ */

/* Params of a conv or deconv of f filters of k x k over c channels. */
static int64_t conv_params(int64_t c, int64_t f, int64_t k) { return f * c * k * k + f; }

/* Parses `text` and asserts each layer's output shape: shapes[3 i ..] is
 * C, H, W of layer i. */
static void expect_shapes(const char *text, const int64_t *shapes, int32_t n_layers,
                          int32_t code_layer, int64_t params) {
  ae_spec spec;
  assert_ok(ae_spec_parse(text, "test_conv", &spec));
  assert_int_equal(spec.n_layers, n_layers);
  assert_int_equal(spec.code_layer, code_layer);
  for (int32_t i = 0; i < n_layers; i++) {
    ae_shape s = spec.layers[i].out_shape;
    if (s.c != shapes[3 * i] || s.h != shapes[3 * i + 1] || s.w != shapes[3 * i + 2]) {
      fail_msg("layer %d of \"%s\" gives %lldx%lldx%lld, expected %lldx%lldx%lld", i, text,
               (long long)s.c, (long long)s.h, (long long)s.w, (long long)shapes[3 * i],
               (long long)shapes[3 * i + 1], (long long)shapes[3 * i + 2]);
    }
    if (i > 0) {
      ae_shape prev = spec.layers[i - 1].out_shape, in = spec.layers[i].in_shape;
      assert_true(prev.c == in.c && prev.h == in.h && prev.w == in.w);
    }
  }
  ae_spec_free(&spec);
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, text, 3));
  assert_int_equal(ae_param_count(m), params);
  int64_t code = shapes[3 * code_layer] * shapes[3 * code_layer + 1] * shapes[3 * code_layer + 2];
  assert_int_equal(ae_code_size(m), code);
  assert_int_equal(ae_input_size(m), 784);
  assert_int_equal(ae_output_size(m), 784);
  /* the canonical text makes the same model */
  ae_model *again = NULL;
  assert_ok(ae_model_create(&again, ae_model_spec(m), 3));
  assert_string_equal(ae_model_spec(again), ae_model_spec(m));
  assert_int_equal(ae_param_count(again), params);
  ae_model_free(again);
  ae_model_free(m);
}

#define SEED_ENCODER                                                                  \
  "input 1x28x28; conv 64 3x3 relu pad=same; maxpool 2; conv 32 3x3 relu pad=same; " \
  "maxpool 2; conv 16 3x3 relu pad=same; maxpool 2; code; "

static const int64_t seed_encoder_shapes[] = {64, 28, 28, 64, 14, 14, 32, 14, 14,
                                              32, 7,  7,  16, 7,  7,  16, 4,  4};
#define SEED_ENCODER_PARAMS (conv_params(1, 64, 3) + conv_params(64, 32, 3) + conv_params(32, 16, 3))

/* The seed example: 28x28 pools to 14, 7, then 4 (same padding); the
 * decoder upsamples 4 -> 8 -> 16, a valid conv takes 16 to 14, and 28. */
static void test_seed_example_shapes(void **state) {
  (void)state;
  int64_t shapes[13 * 3];
  memcpy(shapes, seed_encoder_shapes, sizeof seed_encoder_shapes);
  static const int64_t decoder[] = {16, 4, 4, 16, 8, 8, 32, 8, 8, 32, 16, 16,
                                    64, 14, 14, 64, 28, 28, 1, 28, 28};
  memcpy(shapes + 18, decoder, sizeof decoder);
  expect_shapes(SEED_ENCODER
                "conv 16 3x3 relu pad=same; upsample 2; conv 32 3x3 relu pad=same; upsample 2; "
                "conv 64 3x3 relu pad=valid; upsample 2; conv 1 3x3 sigmoid pad=same",
                shapes, 13, 5,
                SEED_ENCODER_PARAMS + conv_params(16, 16, 3) + conv_params(16, 32, 3) +
                    conv_params(32, 64, 3) + conv_params(64, 1, 3));
  assert_int_equal(SEED_ENCODER_PARAMS + conv_params(16, 16, 3) + conv_params(16, 32, 3) +
                       conv_params(32, 64, 3) + conv_params(64, 1, 3),
                   49761);
}

/* The seed decoder with stride-2 transposed convolutions instead of
 * upsampling. Same padding doubles: 4 -> 8 -> 16, the valid conv 16 -> 14,
 * then 28. Without the valid conv, 4 -> 7 takes pad=1 ((4-1)*2 + 3 - 2 = 7;
 * pad=same would give 8), 7 -> 14 pad=same, and 14 -> 28 pad=1 outpad=1
 * (13*2 + 3 - 2 + 1 = 28). */
static void test_seed_example_deconv_shapes(void **state) {
  (void)state;
  int64_t shapes[13 * 3];
  memcpy(shapes, seed_encoder_shapes, sizeof seed_encoder_shapes);
  static const int64_t decoder[] = {16, 4, 4, 16, 8, 8, 32, 8, 8, 32, 16, 16,
                                    64, 14, 14, 64, 28, 28, 1, 28, 28};
  memcpy(shapes + 18, decoder, sizeof decoder);
  expect_shapes(SEED_ENCODER
                "conv 16 3x3 relu; deconv 16 3x3 relu stride=2; conv 32 3x3 relu; "
                "deconv 32 3x3 relu stride=2; conv 64 3x3 relu pad=valid; "
                "deconv 64 3x3 relu stride=2; conv 1 3x3 sigmoid",
                shapes, 13, 5,
                SEED_ENCODER_PARAMS + conv_params(16, 16, 3) + conv_params(16, 16, 3) +
                    conv_params(16, 32, 3) + conv_params(32, 32, 3) + conv_params(32, 64, 3) +
                    conv_params(64, 64, 3) + conv_params(64, 1, 3));

  static const int64_t direct[] = {16, 7, 7, 32, 14, 14, 64, 28, 28, 1, 28, 28};
  memcpy(shapes + 18, direct, sizeof direct);
  expect_shapes(SEED_ENCODER
                "deconv 16 3 relu stride=2 pad=1; deconv 32 3 relu stride=2 pad=same; "
                "deconv 64 3 relu stride=2 pad=1 outpad=1; conv 1 3 sigmoid",
                shapes, 10, 5,
                SEED_ENCODER_PARAMS + conv_params(16, 16, 3) + conv_params(16, 32, 3) +
                    conv_params(32, 64, 3) + conv_params(64, 1, 3));
  /* the same-padded deconv from 4 would give 8, 16, 32: not the output */
  ae_model *m = NULL;
  assert_status(ae_model_create(&m, SEED_ENCODER
                                "deconv 16 3 relu stride=2; deconv 32 3 relu stride=2; "
                                "deconv 1 3 sigmoid stride=2",
                                1),
                AE_ERR_SPEC);
  assert_null(m);
  assert_non_null(strstr(ae_last_error(), "gives 1x32x32 but the output is 1x28x28"));
}

/* ------------------------------------------------------------------------ */
/* 4. Behaviour                                                             */
/* ------------------------------------------------------------------------ */

#define SIDE 12
#define NPIX (SIDE * SIDE)

/* n synthetic 12x12 images in [0, 1]: even rows a Gaussian blob (random
 * centre, width, brightness), odd rows stripes (horizontal or vertical,
 * random period and phase). */
static float *make_images(int64_t n, uint64_t seed) {
  float *x = malloc((size_t)(n * NPIX) * sizeof(float));
  float u[5];
  assert_non_null(x);
  for (int64_t i = 0; i < n; i++) {
    tu_fill_uniform(u, 5, 0.0f, 1.0f, seed * 7919 + (uint64_t)i);
    float *img = x + i * NPIX;
    for (int y = 0; y < SIDE; y++) {
      for (int xx = 0; xx < SIDE; xx++) {
        float v;
        if (i % 2 == 0) {
          float cy = 2.0f + 8.0f * u[0], cx = 2.0f + 8.0f * u[1], sigma = 1.2f + 1.3f * u[2];
          float d2 = (y - cy) * (y - cy) + (xx - cx) * (xx - cx);
          v = (0.6f + 0.4f * u[3]) * expf(-d2 / (2.0f * sigma * sigma));
        } else {
          int period = 3 + (int)(4.0f * u[0]), phase = (int)(period * u[1]);
          int along = u[2] < 0.5f ? y : xx;
          v = (along + phase) % period < (period + 1) / 2 ? 0.9f : 0.1f;
        }
        img[y * SIDE + xx] = v;
      }
    }
  }
  return x;
}

static double mean_score(const ae_model *m, const float *x, int64_t n) {
  float *e = malloc((size_t)n * sizeof(float));
  assert_non_null(e);
  assert_ok(ae_score(m, x, n, NPIX, e));
  double s = 0.0;
  for (int64_t i = 0; i < n; i++) s += e[i];
  free(e);
  return s / (double)n;
}

#define N_TRAIN 320
#define N_HELD 64

/* Trains `spec` on the synthetic images and asserts that it learns: the
 * held-out reconstruction error falls below `ratio` times its value before
 * training, and the training loss falls from the first epoch to the last. */
static ae_model *train_images(const char *spec, int epochs, double ratio) {
  float *x = make_images(N_TRAIN, 1), *held = make_images(N_HELD, 2);
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, spec, 42));
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, epochs));
  assert_ok(ae_set_option(m, AE_OPT_BATCH_SIZE, 32));
  assert_ok(ae_set_option(m, AE_OPT_LEARNING_RATE, 3e-3));
  double before = mean_score(m, held, N_HELD);
  assert_ok(ae_train(m, x, N_TRAIN, NPIX, NULL, 0));
  double after = mean_score(m, held, N_HELD);
  double first, last;
  assert_int_equal(ae_epochs_trained(m), epochs);
  assert_ok(ae_loss_history(m, 1, &first, NULL));
  assert_ok(ae_loss_history(m, epochs, &last, NULL));
  if (verbose()) {
    fprintf(stderr, "%s\n  held-out MSE %.5f -> %.5f (x%.3f); training loss %.5f -> %.5f\n", spec,
            before, after, after / before, first, last);
  }
  assert_true(isfinite(after));
  assert_true(after < ratio * before);
  assert_true(last < 0.8 * first);
  free(x);
  free(held);
  return m;
}

/* A convolutional denoising autoencoder (conv / maxpool / upsample) learns
 * the images, and fills in the masked pixels of held-out images: there its
 * reconstructions are far closer to the clean images than the masked inputs
 * (0) are. */
static void test_conv_denoising_autoencoder_learns(void **state) {
  (void)state;
  ae_model *m = train_images("input 1x12x12; noise mask 0.2; conv 8 3 relu; maxpool 2; "
                             "conv 8 3 relu; maxpool 2; code; conv 8 3 relu; upsample 2; "
                             "conv 8 3 relu; upsample 2; conv 1 3 sigmoid",
                             25, 0.5);
  float *clean = make_images(N_HELD, 3);
  float *masked = malloc((size_t)(N_HELD * NPIX) * sizeof(float));
  float *out = malloc((size_t)(N_HELD * NPIX) * sizeof(float));
  float *u = malloc((size_t)(N_HELD * NPIX) * sizeof(float));
  assert_true(masked && out && u);
  tu_fill_uniform(u, N_HELD * NPIX, 0.0f, 1.0f, 77);
  for (int64_t i = 0; i < N_HELD * NPIX; i++) masked[i] = u[i] < 0.2f ? 0.0f : clean[i];
  assert_ok(ae_reconstruct(m, masked, N_HELD, NPIX, out, NPIX));
  double e_masked = 0.0, e_out = 0.0;
  for (int64_t i = 0; i < N_HELD * NPIX; i++) {
    if (u[i] >= 0.2f) continue; /* the masked pixels only */
    e_masked += (masked[i] - clean[i]) * (masked[i] - clean[i]);
    e_out += (out[i] - clean[i]) * (out[i] - clean[i]);
  }
  if (verbose()) {
    fprintf(stderr, "  on the masked pixels: inputs' squared error %.3f, reconstructions' %.3f\n",
            e_masked, e_out);
  }
  assert_true(e_out < 0.5 * e_masked);
  free(clean);
  free(masked);
  free(out);
  free(u);
  ae_model_free(m);
}

/* The strided variant: stride-2 convs down, stride-2 transposed convs up
 * (pad=1 outpad=1: 3 -> 6 -> 12). */
static void test_strided_deconv_autoencoder_learns(void **state) {
  (void)state;
  ae_model *m = train_images("input 1x12x12; noise mask 0.2; conv 8 3 relu stride=2; "
                             "conv 8 3 relu stride=2; code; "
                             "deconv 8 3 relu stride=2 pad=1 outpad=1; "
                             "deconv 1 3 sigmoid stride=2 pad=1 outpad=1",
                             25, 0.5);
  ae_model_free(m);
}

/* n x cols of f(model, x) */
static float *run_rows(const ae_model *m, const float *x, int64_t n, int encode) {
  int64_t cols = encode ? ae_code_size(m) : ae_output_size(m);
  float *out = malloc((size_t)(n * cols) * sizeof(float));
  assert_non_null(out);
  if (encode) assert_ok(ae_encode(m, x, n, NPIX, out, cols));
  else assert_ok(ae_reconstruct(m, x, n, NPIX, out, cols));
  return out;
}

static void expect_same_model(const ae_model *a, const ae_model *b, const float *x, int64_t n) {
  assert_string_equal(ae_model_spec(a), ae_model_spec(b));
  assert_int_equal(ae_param_count(a), ae_param_count(b));
  assert_int_equal(ae_code_size(a), ae_code_size(b));
  assert_int_equal(ae_epochs_trained(a), ae_epochs_trained(b));
  for (int encode = 0; encode < 2; encode++) {
    float *ya = run_rows(a, x, n, encode), *yb = run_rows(b, x, n, encode);
    int64_t cols = encode ? ae_code_size(a) : ae_output_size(a);
    assert_memory_equal(ya, yb, (size_t)(n * cols) * sizeof(float));
    free(ya);
    free(yb);
  }
}

/* A trained conv model (every new layer kind, a reshape, penalties, L2)
 * saved and loaded, to memory and to a file, encodes and reconstructs
 * bit-identically, and training on from either gives the same bytes. */
static void test_conv_model_save_load(void **state) {
  (void)state;
  const char *spec = "input 1x12x12; noise mask 0.1; conv 4 3 relu l1=0.001; maxpool 2; "
                     "conv 4 3 sigmoid stride=2 kl=0.1; dense 10 tanh; code 6 linear; "
                     "dense 36 relu; reshape 4x3x3; upsample 2; "
                     "deconv 2 3 elu stride=2 pad=1 outpad=1; conv 1 3x3 sigmoid pad=same";
  float *x = make_images(64, 5);
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, spec, 9));
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 2));
  assert_ok(ae_set_option(m, AE_OPT_BATCH_SIZE, 16));
  assert_ok(ae_set_option(m, AE_OPT_L2, 1e-3));
  assert_ok(ae_train(m, x, 64, NPIX, NULL, 0));

  size_t size = 0;
  assert_ok(ae_save_buffer(m, AE_SAVE_OPTIMIZER_STATE, NULL, 0, &size));
  void *buf = malloc(size);
  assert_non_null(buf);
  assert_ok(ae_save_buffer(m, AE_SAVE_OPTIMIZER_STATE, buf, size, &size));
  ae_model *from_buffer = NULL;
  assert_ok(ae_load_buffer(&from_buffer, buf, size));
  expect_same_model(m, from_buffer, x, 64);

  char path[512];
  tu_temp_path(path, sizeof path, "test_conv_model.ae");
  assert_ok(ae_save(m, path, AE_SAVE_OPTIMIZER_STATE));
  ae_model *from_file = NULL;
  assert_ok(ae_load(&from_file, path));
  expect_same_model(m, from_file, x, 64);
  remove(path);

  /* the loaded models continue exactly as the original does */
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, 1));
  assert_ok(ae_set_option(from_buffer, AE_OPT_EPOCHS, 1));
  assert_ok(ae_train(m, x, 64, NPIX, NULL, 0));
  assert_ok(ae_train(from_buffer, x, 64, NPIX, NULL, 0));
  tu_snapshot a = tu_take_snapshot(m), b = tu_take_snapshot(from_buffer);
  assert_true(tu_same_snapshot(&a, &b));
  tu_snapshot_free(&a);
  tu_snapshot_free(&b);
  free(buf);
  free(x);
  ae_model_free(m);
  ae_model_free(from_buffer);
  ae_model_free(from_file);
}

/* ae_jacobian_norm through conv, max pooling and a strided conv equals
 * |d code / d x|_F^2 from central differences of ae_encode. */
static void test_conv_jacobian_norm(void **state) {
  (void)state;
  const char *spec = "input 1x5x7; output 35; conv 3 3 tanh; maxpool 2; "
                     "conv 2 3 softplus stride=2; code; dense 35 sigmoid";
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, spec, 21));
  int64_t in = ae_input_size(m), code = ae_code_size(m);
  assert_int_equal(in, 35);
  assert_int_equal(code, 2 * 2 * 2); /* 5x7 -> 3x4 -> 2x2 */
  float x[35], xp[35], cp[8], cm[8];
  tu_fill_uniform(x, in, -1.0f, 1.0f, 31);
  float norm;
  assert_ok(ae_jacobian_norm(m, x, 1, in, &norm));
  const double h = 1e-3;
  double fd = 0.0;
  for (int64_t i = 0; i < in; i++) {
    memcpy(xp, x, sizeof x);
    xp[i] = (float)(x[i] + h);
    assert_ok(ae_encode(m, xp, 1, in, cp, code));
    xp[i] = (float)(x[i] - h);
    assert_ok(ae_encode(m, xp, 1, in, cm, code));
    double step = (double)(float)(x[i] + h) - (double)(float)(x[i] - h);
    for (int64_t j = 0; j < code; j++) {
      double d = ((double)cp[j] - cm[j]) / step;
      fd += d * d;
    }
  }
  if (verbose()) fprintf(stderr, "jacobian norm %.6g, finite differences %.6g\n", norm, fd);
  assert_true(fd > 1e-2);
  assert_close(norm, fd, 1e-2 * fd);
  ae_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conv_matches_naive),
      cmocka_unit_test(test_deconv_matches_naive),
      cmocka_unit_test(test_maxpool_matches_naive),
      cmocka_unit_test(test_upsample_matches_naive),
      cmocka_unit_test(test_chunked_batches_match_naive),
      cmocka_unit_test(test_deconv_is_adjoint_of_conv),
      cmocka_unit_test(test_gradcheck_conv_pool_upsample),
      cmocka_unit_test(test_gradcheck_winograd_conv),
      cmocka_unit_test(test_gradcheck_strided_conv_deconv),
      cmocka_unit_test(test_gradcheck_dense_reshape),
      cmocka_unit_test(test_gradcheck_conv_vae),
      cmocka_unit_test(test_gradcheck_conv_penalties),
      cmocka_unit_test(test_conv_contractive_uses_probe),
      cmocka_unit_test(test_seed_example_shapes),
      cmocka_unit_test(test_seed_example_deconv_shapes),
      cmocka_unit_test(test_conv_denoising_autoencoder_learns),
      cmocka_unit_test(test_strided_deconv_autoencoder_learns),
      cmocka_unit_test(test_conv_model_save_load),
      cmocka_unit_test(test_conv_jacobian_norm),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
