/* conv_direct.c -- stride-1 convolutions with one input or one output channel.
 *
 * With a single channel on one side, the matrix products of the other paths
 * degenerate: im2col's has an inner dimension of k*k, the frames' one row,
 * and OpenBLAS runs them at a fraction of its speed (W3's first layer,
 * 1 -> 64 channels: 10 GFLOP/s forward, 5 for the kernel gradient; its last,
 * 64 -> 1, about 9). Here each sample's planes are copied once into zero
 * padding and every output is summed straight from them, BLOCK outputs of a
 * row at a time in registers (four independent sums of 4), over all channels and kernel offsets. Samples
 * (forward, input gradient) or kernel (f, c) pairs (kernel gradient) are
 * split over the workers; each sum runs whole on one thread in a fixed order.
 *
 * Forward: z[f][y][x] = b[f] + sum over c, ky, kx of
 *   W[f][c][ky][kx] P_c[y + ky][x + kx],
 * P = x padded by (pt, pl) into planes of (oh + k - 1) x (ow + k - 1).
 * Input gradient: the same sum over G = dz padded by k - 1 on every side,
 * (oh + 2k - 2) x (ow + 2k - 2), with the kernels turned 180 degrees and the
 * channels swapped, read from (pt, pl):
 *   dx[c][y][x] = sum over f, ky, kx of W[f][c][k-1-ky][k-1-kx] G_f[pt + y + ky][pl + x + kx].
 * Kernel gradient: dW[f][c][ky][kx] += sum over samples and outputs of
 *   dz_f[y][x] P_c[y + ky][x + kx].
 *
 * A block at the end of a row reads up to BLOCK - 1 values past it (into the
 * next row, or the zeroed gap after each sample's planes) for outputs it
 * never stores. */
#include "conv_direct.h"

#include <string.h>

#include "conv_frame.h"
#include "im2col.h"
#include "vec4.h"

/* Outputs summed at once: four vectors of 4 floats (vec4.h), kept in
 * registers; four because each vector's sum is a chain of dependent
 * additions, and the core overlaps four. The kernel gradient keeps 2k sums
 * of GRAD_BLOCK in registers instead. */
#define BLOCK 16
#define GRAD_BLOCK 8

int ae_direct_applies(const ae_layer *l) {
  return l->window.stride == 1 && (l->in_shape.c == 1 || l->out_shape.c == 1) &&
         l->window.k <= AE_DIRECT_MAX_K;
}

/* A correlation over padded planes: out (n, co, oh, ow) =
 * sum over ci, ky, kx of wk[co][ci][ky][kx] src_ci[oy0 + y + ky][ox0 + x + kx]
 * (+ bias[co]), for samples of `stride` floats: ci planes of sh x sw, then a
 * gap of BLOCK. The planes are filled from `from` (n, ci, fh, fw) placed at
 * (top, left). */
typedef struct correlation {
  const float *from;
  int64_t fh, fw, top, left;
  float *src;
  int64_t ci, sh, sw, stride;
  const float *wk; /* (co, ci, k, k) */
  int64_t co, k;
  int64_t oy0, ox0, oh, ow;
  const float *bias; /* (co) or NULL */
  float *out;
} correlation;

/* Fills sample i's padded planes and zeroes its gap. */
static void pad_sample(const correlation *c, int64_t i) {
  float *dst = c->src + i * c->stride;
  for (int64_t p = 0; p < c->ci; p++) {
    ae_pad_plane(c->from + (i * c->ci + p) * c->fh * c->fw, c->fh, c->fw, dst + p * c->sh * c->sw,
                 c->sh, c->sw, c->top, c->left);
  }
  memset(dst + c->ci * c->sh * c->sw, 0, BLOCK * sizeof(float));
}

/* Output row y of channel o (src: the sample's planes), for kernel size k;
 * always inlined, so that a constant k unrolls the offsets. */
static inline __attribute__((always_inline)) void correlate_row_k(const correlation *c,
                                                                  const float *src, int64_t o,
                                                                  int64_t y, float *out,
                                                                  const int64_t k) {
  float b = c->bias ? c->bias[o] : 0.0f;
  for (int64_t x0 = 0; x0 < c->ow; x0 += BLOCK) {
    vec4 acc[4] = {{b, b, b, b}, {b, b, b, b}, {b, b, b, b}, {b, b, b, b}};
    for (int64_t p = 0; p < c->ci; p++) {
      const float *wp = c->wk + (o * c->ci + p) * k * k;
      const float *at = src + p * c->sh * c->sw + (c->oy0 + y) * c->sw + c->ox0 + x0;
      for (int64_t ky = 0; ky < k; ky++) {
        for (int64_t kx = 0; kx < k; kx++) {
          const float wv = wp[ky * k + kx], *v = at + ky * c->sw + kx;
          for (int q = 0; q < 4; q++) acc[q] += wv * load4(v + 4 * q);
        }
      }
    }
    if (x0 + BLOCK <= c->ow) {
      memcpy(out + x0, acc, sizeof acc);
    } else { /* the row's last outputs */
      float sums[BLOCK];
      memcpy(sums, acc, sizeof acc);
      for (int64_t j = 0; j < c->ow - x0; j++) out[x0 + j] = sums[j];
    }
  }
}

static void correlate_row(const correlation *c, const float *src, int64_t o, int64_t y,
                          float *out) {
  if (c->k == 3) {
    correlate_row_k(c, src, o, y, out, 3);
  } else {
    correlate_row_k(c, src, o, y, out, c->k);
  }
}

/* Samples [begin, end): pad, then every output. */
static double correlate_samples(void *ctx, int64_t begin, int64_t end) {
  const correlation *c = ctx;
  for (int64_t i = begin; i < end; i++) {
    pad_sample(c, i);
    const float *src = c->src + i * c->stride;
    for (int64_t o = 0; o < c->co; o++) {
      for (int64_t y = 0; y < c->oh; y++) {
        correlate_row(c, src, o, y, c->out + ((i * c->co + o) * c->oh + y) * c->ow);
      }
    }
  }
  return 0.0;
}

/* The forward geometry: x's planes padded to (oh + k - 1) x (ow + k - 1). */
static correlation forward_geometry(const ae_layer *l) {
  correlation c;
  memset(&c, 0, sizeof c);
  c.k = l->window.k;
  c.fh = l->in_shape.h;
  c.fw = l->in_shape.w;
  c.top = l->window.pad_top;
  c.left = l->window.pad_left;
  c.ci = l->in_shape.c;
  c.co = l->out_shape.c;
  c.oh = l->out_shape.h;
  c.ow = l->out_shape.w;
  c.sh = c.oh + c.k - 1;
  c.sw = c.ow + c.k - 1;
  c.stride = c.ci * c.sh * c.sw + BLOCK;
  return c;
}

/* The input-gradient geometry: dz's planes padded by k - 1 all round, read
 * from (pt, pl) into x's shape. */
static correlation input_grad_geometry(const ae_layer *l) {
  correlation c;
  memset(&c, 0, sizeof c);
  c.k = l->window.k;
  c.fh = l->out_shape.h;
  c.fw = l->out_shape.w;
  c.top = c.left = c.k - 1;
  c.ci = l->out_shape.c;
  c.co = l->in_shape.c;
  c.sh = c.fh + 2 * (c.k - 1);
  c.sw = c.fw + 2 * (c.k - 1);
  c.stride = c.ci * c.sh * c.sw + BLOCK;
  c.oy0 = l->window.pad_top;
  c.ox0 = l->window.pad_left;
  c.oh = l->in_shape.h;
  c.ow = l->in_shape.w;
  return c;
}

/* Floats of one sample's padded planes and gap, for either pass. */
static int64_t sample_floats(const ae_layer *l) {
  correlation f = forward_geometry(l), g = input_grad_geometry(l);
  return f.stride > g.stride ? f.stride : g.stride;
}

/* Samples per chunk: their planes within AE_FRAME_BUDGET. */
static int64_t chunk_samples(const ae_layer *l, int64_t rows) {
  return ae_chunk_samples(rows, sample_floats(l), AE_FRAME_BUDGET);
}

void ae_direct_scratch(const ae_layer *l, int64_t rows, int64_t *cols, int64_t *tmp) {
  *cols = chunk_samples(l, rows) * sample_floats(l);
  /* the turned kernels of the input gradient */
  *tmp = l->in_shape.c * l->out_shape.c * l->window.k * l->window.k;
}

/* Runs c over samples [0, batch) in chunks; from and out advance per chunk. */
static void correlate_batch(const ae_layer *l, correlation c, int64_t batch,
                            ae_layer_scratch *s) {
  int64_t chunk = chunk_samples(l, batch);
  int64_t from_size = c.ci * c.fh * c.fw, out_size = c.co * c.oh * c.ow;
  c.src = s->cols;
  for (int64_t b0 = 0; b0 < batch; b0 += chunk) {
    int64_t n = batch - b0 < chunk ? batch - b0 : chunk;
    ae_parallel(s->workers, n, 1, correlate_samples, &c);
    c.from += n * from_size;
    c.out += n * out_size;
  }
}

void ae_direct_forward(const ae_layer *l, const float *params, const float *x, float *z,
                       int64_t batch, ae_layer_scratch *s, const float *bias) {
  correlation c = forward_geometry(l);
  c.from = x;
  c.out = z;
  c.wk = params + l->w_off;
  c.bias = bias;
  correlate_batch(l, c, batch, s);
}

void ae_direct_input_grad(const ae_layer *l, const float *params, const float *dz, float *dx,
                          int64_t batch, ae_layer_scratch *s) {
  correlation c = input_grad_geometry(l);
  int64_t k = c.k, kk = k * k, f_n = l->out_shape.c, c_n = l->in_shape.c;
  const float *W = params + l->w_off; /* (F, C, k, k) */
  float *turned = s->tmp;             /* (C, F, k, k), each kernel turned 180 degrees */
  for (int64_t f = 0; f < f_n; f++) {
    for (int64_t ch = 0; ch < c_n; ch++) {
      for (int64_t o = 0; o < kk; o++) turned[(ch * f_n + f) * kk + o] = W[(f * c_n + ch) * kk + kk - 1 - o];
    }
  }
  c.from = dz;
  c.out = dx;
  c.wk = turned;
  correlate_batch(l, c, batch, s);
}

/* The kernel gradient of one chunk: padded planes c.src, dz (n, F, oh, ow). */
typedef struct kernel_grad {
  const correlation *c;
  const float *dz;
  int64_t n;
  float *dW; /* (F, C, k, k), added to */
} kernel_grad;

static double pad_samples(void *ctx, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; i++) pad_sample(ctx, i);
  return 0.0;
}

/* Row ky of kernel (f, c)'s gradient over the chunk: sums[kx] += dz_f[y][x]
 * P_c[y + ky][x + kx]. Always inlined, so that a constant k unrolls kx and
 * keeps the 2k accumulators in registers. */
static inline __attribute__((always_inline)) void kernel_grad_row_k(const kernel_grad *g,
                                                                    int64_t f, int64_t ch,
                                                                    int64_t ky, float *sums,
                                                                    const int64_t k) {
  const correlation *c = g->c;
  vec4 acc[AE_DIRECT_MAX_K][2];
  float tail[AE_DIRECT_MAX_K] = {0}; /* the columns after the last whole block */
  for (int64_t kx = 0; kx < k; kx++) acc[kx][0] = acc[kx][1] = (vec4){0, 0, 0, 0};
  int64_t full = c->ow - c->ow % GRAD_BLOCK; /* columns in whole blocks */
  for (int64_t i = 0; i < g->n; i++) {
    const float *dzf = g->dz + (i * c->co + f) * c->oh * c->ow;
    const float *plane = c->src + i * c->stride + ch * c->sh * c->sw;
    for (int64_t y = 0; y < c->oh; y++) {
      const float *v = plane + (y + ky) * c->sw, *d = dzf + y * c->ow;
      for (int64_t x0 = 0; x0 < full; x0 += GRAD_BLOCK) {
        vec4 d0 = load4(d + x0), d1 = load4(d + x0 + 4);
        for (int64_t kx = 0; kx < k; kx++) {
          acc[kx][0] += d0 * load4(v + x0 + kx);
          acc[kx][1] += d1 * load4(v + x0 + kx + 4);
        }
      }
      for (int64_t x = full; x < c->ow; x++) {
        for (int64_t kx = 0; kx < k; kx++) tail[kx] += d[x] * v[x + kx];
      }
    }
  }
  for (int64_t kx = 0; kx < k; kx++) {
    float lanes[GRAD_BLOCK];
    memcpy(lanes, &acc[kx][0], sizeof acc[kx][0]);
    memcpy(lanes + 4, &acc[kx][1], sizeof acc[kx][1]);
    for (int j = 0; j < GRAD_BLOCK; j++) sums[kx] += lanes[j];
    sums[kx] += tail[kx];
  }
}

/* Kernels (f, c) = pairs [begin, end) in f-major order. */
static double kernel_grad_pairs(void *ctx, int64_t begin, int64_t end) {
  const kernel_grad *g = ctx;
  int64_t k = g->c->k;
  for (int64_t pair = begin; pair < end; pair++) {
    int64_t f = pair / g->c->ci, ch = pair % g->c->ci;
    for (int64_t ky = 0; ky < k; ky++) {
      float *sums = g->dW + pair * k * k + ky * k;
      if (k == 3) {
        kernel_grad_row_k(g, f, ch, ky, sums, 3);
      } else {
        kernel_grad_row_k(g, f, ch, ky, sums, k);
      }
    }
  }
  return 0.0;
}

void ae_direct_weight_grad(const ae_layer *l, float *grads, const float *x, const float *dz,
                           int64_t batch, ae_layer_scratch *s) {
  correlation c = forward_geometry(l);
  int64_t chunk = chunk_samples(l, batch);
  c.src = s->cols;
  for (int64_t b0 = 0; b0 < batch; b0 += chunk) {
    int64_t n = batch - b0 < chunk ? batch - b0 : chunk;
    c.from = x + b0 * l->in;
    ae_parallel(s->workers, n, 1, pad_samples, &c);
    kernel_grad g = {&c, dz + b0 * l->out, n, grads + l->w_off};
    ae_parallel(s->workers, c.co * c.ci, 1, kernel_grad_pairs, &g);
  }
}
