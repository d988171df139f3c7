/* conv_winograd.c -- 3x3 stride-1 convolutions by Winograd's minimal
 * filtering F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional
 * Neural Networks", 2015).
 *
 * The output planes are cut into 2x2 tiles; tile (ty, tx) reads the 4x4
 * patch d of the zero-padded input at rows 2ty.., columns 2tx... With
 *
 *   B^T = | 1  0 -1  0 |   G = | 1    0    0   |   A^T = | 1  1  1  0 |
 *         | 0  1  1  0 |       | 1/2  1/2  1/2 |         | 0  1 -1 -1 |
 *         | 0 -1  1  0 |       | 1/2 -1/2  1/2 |
 *         | 0  1  0 -1 |       | 0    0    1   |
 *
 * the tile of the correlation with kernel g is Y = A^T [(G g G^T) . (B^T d B)] A:
 * 16 products instead of 36. Summed over input channels, the element-wise
 * products at each of the 16 positions xi of the 4x4 transforms are one
 * matrix product over all T = n*th*tw tiles of a chunk of n samples:
 *
 *   M[xi] (F, T) = U[xi] (F, C) V[xi] (C, T)
 *   U[xi][f][c] = (G W[f][c] G^T)[xi],  V[xi][c][t] = (B^T d_{c,t} B)[xi]
 *   Y_{f,t} = A^T M[.][f][t] A
 *
 * 2.25 times fewer multiplications than the direct sum, 2.9 times fewer than
 * conv_frame.c's products for W3's 14x14 planes (whose frames are 16x16). The
 * backward passes run each transform's adjoint, with the same 16 products:
 *
 *   dM_{f,t} = A dY_{f,t} A^T            (dY: dz's 2x2 tile, 0 outside)
 *   dU[xi] = dM[xi] V[xi]^T,  dW[f][c] += G^T dU[.][f][c] G
 *   dV[xi] = U[xi]^T dM[xi],  dx += B dV_{c,t} B^T   (tiles overlap by 2)
 *
 * so the gradients are exact for the forward as computed. The transforms are
 * adds, split over the workers by sample; the products go to OpenBLAS. Each
 * sample's channels are first padded into one plane of (2th + 2) x (2tw + 2)
 * so that no tile needs bounds checks. */
#include "conv_winograd.h"

#include <cblas.h>
#include <string.h>

#include "conv_frame.h"
#include "im2col.h"

#define XI 16 /* positions of a 4x4 transform */

/* One layer's tiles; n samples per chunk. */
typedef struct wino {
  int64_t c, f;          /* input, output channels */
  int64_t h, w, oh, ow;  /* input and output pixels */
  int64_t pt, pl;        /* padding rows above, columns left */
  int64_t th, tw;        /* tiles per plane: ceil(oh / 2) x ceil(ow / 2) */
  int64_t ph, pw;        /* a padded plane: 2th + 2 x 2tw + 2 */
  int64_t n, t;          /* samples per chunk, their tiles n*th*tw */
} wino;

static wino wino_of(const ae_layer *l, int64_t n) {
  wino wn;
  wn.c = l->in_shape.c;
  wn.f = l->out_shape.c;
  wn.h = l->in_shape.h;
  wn.w = l->in_shape.w;
  wn.oh = l->out_shape.h;
  wn.ow = l->out_shape.w;
  wn.pt = l->window.pad_top;
  wn.pl = l->window.pad_left;
  wn.th = (wn.oh + 1) / 2;
  wn.tw = (wn.ow + 1) / 2;
  wn.ph = 2 * wn.th + 2;
  wn.pw = 2 * wn.tw + 2;
  wn.n = n;
  wn.t = n * wn.th * wn.tw;
  return wn;
}

int ae_winograd_applies(const ae_layer *l) {
  return l->window.stride == 1 && l->window.k == 3 && l->in_shape.c >= AE_WINOGRAD_MIN_CHANNELS &&
         l->out_shape.c >= AE_WINOGRAD_MIN_CHANNELS;
}

/* The data transforms run a row of tiles at a time, each loop over the tiles
 * tx of the row (consecutive in the (16, *, T) matrices), so that the
 * compiler can vectorise them. Sample i's work area: a padded plane
 * (ph, pw), then 16 rows of tw + 1 floats. */
static int64_t work_floats(const wino *wn) { return wn->ph * wn->pw + XI * (wn->tw + 1); }

/* Samples per chunk: transforms and a padded plane each, within
 * AE_FRAME_BUDGET (the products then run from cache, as conv_frame.c's). */
static int64_t chunk_samples(const ae_layer *l, int64_t rows) {
  wino one = wino_of(l, 1);
  return ae_chunk_samples(rows, XI * (one.c + one.f) * one.t + work_floats(&one), AE_FRAME_BUDGET);
}

void ae_winograd_scratch(const ae_layer *l, int64_t rows, int64_t *cols, int64_t *tmp) {
  wino wn = wino_of(l, chunk_samples(l, rows));
  *cols = XI * wn.c * wn.t + wn.n * work_floats(&wn);
  *tmp = XI * wn.f * wn.t + XI * wn.f * wn.c;
}

/* The kernel transform u = G g in one dimension and its adjoint, from 3 (4)
 * values `is` apart to 4 (3) values `os` apart; the 2-D ones apply them to
 * columns, then rows. */
static inline void kernel_1d(const float *g, int64_t is, float *o, int64_t os) {
  float g0 = g[0], g1 = g[is], g2 = g[2 * is];
  o[0] = g0;
  o[os] = 0.5f * (g0 + g1 + g2);
  o[2 * os] = 0.5f * (g0 - g1 + g2);
  o[3 * os] = g2;
}

static inline void kernel_adjoint_1d(const float *u, int64_t is, float *o, int64_t os) {
  float u0 = u[0], u1 = u[is], u2 = u[2 * is], u3 = u[3 * is];
  o[0] = u0 + 0.5f * (u1 + u2);
  o[os] = 0.5f * (u1 - u2);
  o[2 * os] = 0.5f * (u1 + u2) + u3;
}

/* U (16, F, C) = G W[f][c] G^T for every kernel of W (F, C, 3, 3) */
static void kernel_transforms(const wino *wn, const float *W, float *U) {
  for (int64_t fc = 0; fc < wn->f * wn->c; fc++) {
    float t[12], u[XI];
    for (int j = 0; j < 3; j++) kernel_1d(W + fc * 9 + j, 3, t + j, 3);
    for (int i = 0; i < 4; i++) kernel_1d(t + 3 * i, 1, u + 4 * i, 1);
    for (int xi = 0; xi < XI; xi++) U[xi * wn->f * wn->c + fc] = u[xi];
  }
}

/* grads W (F, C, 3, 3) += G^T dU[.][f][c] G for dU (16, F, C) */
static void kernel_adjoints(const wino *wn, const float *dU, float *W) {
  for (int64_t fc = 0; fc < wn->f * wn->c; fc++) {
    float u[XI], t[12], g[9];
    for (int xi = 0; xi < XI; xi++) u[xi] = dU[xi * wn->f * wn->c + fc];
    for (int i = 0; i < 4; i++) kernel_adjoint_1d(u + 4 * i, 1, t + 3 * i, 1);
    for (int j = 0; j < 3; j++) kernel_adjoint_1d(t + j, 3, g + j, 3);
    for (int k = 0; k < 9; k++) W[fc * 9 + k] += g[k];
  }
}

/* A pass over the tiles of a chunk's samples, split over the workers. */
typedef struct tile_job {
  const wino *wn;
  const float *src;
  float *dst;
  const float *bias; /* outputs: per output channel, or NULL */
  float *work;       /* (n, work_floats) */
} tile_job;

/* The chunk's tile index of sample i's first tile in tile row ty. */
static int64_t row_at(const wino *wn, int64_t i, int64_t ty) { return (i * wn->th + ty) * wn->tw; }

/* V[.][c] (16 rows T apart) at the tiles of row ty of the padded plane P
 * (ph, pw): D = B^T d B. Columns first: r_a (a = 0..3, the patch rows
 * 2ty + a) become B^T r, kept as even (e) and odd (o) columns; then
 * D[4a + j] of tile tx from columns 2tx .. 2tx + 3 = e[tx], o[tx], e[tx+1],
 * o[tx+1]. */
static void input_row(const wino *wn, const float *P, int64_t ty, float *rows, float *V) {
  const float *r0 = P + 2 * ty * wn->pw, *r1 = r0 + wn->pw, *r2 = r1 + wn->pw, *r3 = r2 + wn->pw;
  int64_t tw = wn->tw, n = tw + 1, T = wn->c * wn->t;
  float *e = rows, *o = rows + 4 * n; /* (4, tw + 1) each */
  for (int64_t k = 0; k < n; k++) {
    for (int p = 0; p < 2; p++) {
      float *h = p ? o : e;
      int64_t x = 2 * k + p;
      h[k] = r0[x] - r2[x];
      h[n + k] = r1[x] + r2[x];
      h[2 * n + k] = r2[x] - r1[x];
      h[3 * n + k] = r1[x] - r3[x];
    }
  }
  for (int a = 0; a < 4; a++) {
    const float *ea = e + a * n, *oa = o + a * n;
    float *v0 = V + 4 * a * T, *v1 = v0 + T, *v2 = v1 + T, *v3 = v2 + T;
    for (int64_t tx = 0; tx < tw; tx++) {
      v0[tx] = ea[tx] - ea[tx + 1];
      v1[tx] = oa[tx] + ea[tx + 1];
      v2[tx] = ea[tx + 1] - oa[tx];
      v3[tx] = oa[tx] - oa[tx + 1];
    }
  }
}

/* V (16, C, T) of samples [begin, end) of x (n, C, h, w). */
static double inputs_range(void *ctx, int64_t begin, int64_t end) {
  const tile_job *j = ctx;
  const wino *wn = j->wn;
  for (int64_t i = begin; i < end; i++) {
    float *P = j->work + i * work_floats(wn), *rows = P + wn->ph * wn->pw;
    for (int64_t c = 0; c < wn->c; c++) {
      ae_pad_plane(j->src + (i * wn->c + c) * wn->h * wn->w, wn->h, wn->w, P, wn->ph, wn->pw,
                   wn->pt, wn->pl);
      for (int64_t ty = 0; ty < wn->th; ty++) {
        input_row(wn, P, ty, rows, j->dst + c * wn->t + row_at(wn, i, ty));
      }
    }
  }
  return 0.0;
}

/* dx (n, C, h, w) of samples [begin, end) from dV (16, C, T): each tile's
 * B dV B^T added into a padded plane, whose interior is dx. Per row of
 * tiles, columns first (u = B dV), then the rows of the patch: row a of
 * tile tx adds q0..q3 = B u_a to columns 2tx .. 2tx + 3. */
static double input_grads_range(void *ctx, int64_t begin, int64_t end) {
  const tile_job *j = ctx;
  const wino *wn = j->wn;
  int64_t tw = wn->tw, n = tw + 1, T = wn->c * wn->t;
  for (int64_t i = begin; i < end; i++) {
    float *P = j->work + i * work_floats(wn), *q = P + wn->ph * wn->pw; /* (16, tw + 1) */
    for (int64_t c = 0; c < wn->c; c++) {
      memset(P, 0, (size_t)(wn->ph * wn->pw) * sizeof(float));
      for (int64_t ty = 0; ty < wn->th; ty++) {
        const float *v = j->src + c * wn->t + row_at(wn, i, ty);
        for (int a = 0; a < 4; a++) {
          /* u_a = row a of B dV: (B dV)[a][b] from dV[.][b] */
          float *q0 = q + 4 * a * n, *q1 = q0 + n, *q2 = q1 + n, *q3 = q2 + n;
          for (int64_t tx = 0; tx < tw; tx++) {
            float u[4];
            for (int b = 0; b < 4; b++) {
              float d0 = v[b * T + tx], d1 = v[(4 + b) * T + tx], d2 = v[(8 + b) * T + tx],
                    d3 = v[(12 + b) * T + tx];
              u[b] = a == 0 ? d0 : a == 1 ? d1 - d2 + d3 : a == 2 ? d1 + d2 - d0 : -d3;
            }
            q0[tx] = u[0];
            q1[tx] = u[1] - u[2] + u[3];
            q2[tx] = u[1] + u[2] - u[0];
            q3[tx] = -u[3];
          }
          float *row = P + (2 * ty + a) * wn->pw;
          for (int64_t tx = 0; tx < tw; tx++) {
            row[2 * tx] += q0[tx];
            row[2 * tx + 1] += q1[tx];
          }
          for (int64_t tx = 0; tx < tw; tx++) {
            row[2 * tx + 2] += q2[tx];
            row[2 * tx + 3] += q3[tx];
          }
        }
      }
      float *dx = j->dst + (i * wn->c + c) * wn->h * wn->w;
      for (int64_t y = 0; y < wn->h; y++) {
        memcpy(dx + y * wn->w, P + (y + wn->pt) * wn->pw + wn->pl, (size_t)wn->w * sizeof(float));
      }
    }
  }
  return 0.0;
}

/* z (n, F, oh, ow) of samples [begin, end) from M (16, F, T) (+ bias[f]):
 * Y = A^T M A per tile, rows 2ty, 2ty + 1 written through the work plane
 * (2tw wide) so that odd sizes need no test per tile. */
static double outputs_range(void *ctx, int64_t begin, int64_t end) {
  const tile_job *j = ctx;
  const wino *wn = j->wn;
  int64_t tw = wn->tw, T = wn->f * wn->t;
  for (int64_t i = begin; i < end; i++) {
    float *y0 = j->work + i * work_floats(wn), *y1 = y0 + 2 * tw;
    for (int64_t f = 0; f < wn->f; f++) {
      float *z = j->dst + (i * wn->f + f) * wn->oh * wn->ow;
      float b = j->bias ? j->bias[f] : 0.0f;
      for (int64_t ty = 0; ty < wn->th; ty++) {
        const float *m = j->src + f * wn->t + row_at(wn, i, ty);
        for (int64_t tx = 0; tx < tw; tx++) {
          float s0[4], s1[4]; /* rows of A^T M */
          for (int b4 = 0; b4 < 4; b4++) {
            float m1 = m[(4 + b4) * T + tx], m2 = m[(8 + b4) * T + tx];
            s0[b4] = m[b4 * T + tx] + m1 + m2;
            s1[b4] = m1 - m2 - m[(12 + b4) * T + tx];
          }
          y0[2 * tx] = s0[0] + s0[1] + s0[2] + b;
          y0[2 * tx + 1] = s0[1] - s0[2] - s0[3] + b;
          y1[2 * tx] = s1[0] + s1[1] + s1[2] + b;
          y1[2 * tx + 1] = s1[1] - s1[2] - s1[3] + b;
        }
        memcpy(z + 2 * ty * wn->ow, y0, (size_t)wn->ow * sizeof(float));
        if (2 * ty + 1 < wn->oh) {
          memcpy(z + (2 * ty + 1) * wn->ow, y1, (size_t)wn->ow * sizeof(float));
        }
      }
    }
  }
  return 0.0;
}

/* dM (16, F, T) of samples [begin, end) of dz (n, F, oh, ow): dM = A dY A^T
 * per tile, dz first padded with zeros to the tiles (2th x 2tw, in the work
 * plane). With rows y0, y1 of dY: A dY has rows y0, y0 + y1, y0 - y1, -y1;
 * each row r gives (A r^T)^T = r0, r0 + r1, r0 - r1, -r1 from its columns. */
static double output_grads_range(void *ctx, int64_t begin, int64_t end) {
  const tile_job *j = ctx;
  const wino *wn = j->wn;
  int64_t tw = wn->tw, T = wn->f * wn->t;
  for (int64_t i = begin; i < end; i++) {
    float *P = j->work + i * work_floats(wn);
    for (int64_t f = 0; f < wn->f; f++) {
      ae_pad_plane(j->src + (i * wn->f + f) * wn->oh * wn->ow, wn->oh, wn->ow, P, wn->ph, wn->pw,
                   0, 0);
      for (int64_t ty = 0; ty < wn->th; ty++) {
        const float *r0 = P + 2 * ty * wn->pw, *r1 = r0 + wn->pw;
        float *dm = j->dst + f * wn->t + row_at(wn, i, ty);
        for (int64_t tx = 0; tx < tw; tx++) {
          float a0 = r0[2 * tx], a1 = r0[2 * tx + 1], c0 = r1[2 * tx], c1 = r1[2 * tx + 1];
          float rows[4][2] = {{a0, a1}, {a0 + c0, a1 + c1}, {a0 - c0, a1 - c1}, {-c0, -c1}};
          for (int a = 0; a < 4; a++) {
            float e = rows[a][0], o = rows[a][1];
            dm[(4 * a) * T + tx] = e;
            dm[(4 * a + 1) * T + tx] = e + o;
            dm[(4 * a + 2) * T + tx] = e - o;
            dm[(4 * a + 3) * T + tx] = -o;
          }
        }
      }
    }
  }
  return 0.0;
}

/* Runs a tile pass over the chunk's samples, one sample per part at least. */
static void over_samples(ae_workers *w, const wino *wn, const float *src, float *dst,
                         const float *bias, float *work, ae_range_fn range) {
  tile_job j = {wn, src, dst, bias, work};
  ae_parallel(w, wn->n, 1, range, &j);
}

/* The chunk's work areas, after its V (16, C, T) in cols. */
static float *work_of(const wino *wn, const ae_layer_scratch *s) {
  return s->cols + XI * wn->c * wn->t;
}

/* U or dU (16, F, C) in tmp, after the largest chunk's M (16, F, T): the
 * same place for every chunk of the call. */
static float *kernels_of(const ae_layer *l, int64_t chunk, const ae_layer_scratch *s) {
  wino full = wino_of(l, chunk);
  return s->tmp + XI * full.f * full.t;
}

void ae_winograd_forward(const ae_layer *l, const float *params, const float *x, float *z,
                         int64_t batch, ae_layer_scratch *s, const float *bias) {
  int64_t chunk = chunk_samples(l, batch);
  for (int64_t b0 = 0; b0 < batch; b0 += chunk) {
    wino wn = wino_of(l, batch - b0 < chunk ? batch - b0 : chunk);
    float *V = s->cols, *M = s->tmp, *U = kernels_of(l, chunk, s);
    if (b0 == 0) kernel_transforms(&wn, params + l->w_off, U);
    over_samples(s->workers, &wn, x + b0 * l->in, V, NULL, work_of(&wn, s), inputs_range);
    for (int xi = 0; xi < XI; xi++) {
      /* M[xi] (F, T) = U[xi] (F, C) V[xi] (C, T) */
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)wn.f, (int)wn.t, (int)wn.c,
                  1.0f, U + xi * wn.f * wn.c, (int)wn.c, V + xi * wn.c * wn.t, (int)wn.t, 0.0f,
                  M + xi * wn.f * wn.t, (int)wn.t);
    }
    over_samples(s->workers, &wn, M, z + b0 * l->out, bias, work_of(&wn, s), outputs_range);
  }
}

void ae_winograd_weight_grad(const ae_layer *l, float *grads, const float *x, const float *dz,
                             int64_t batch, ae_layer_scratch *s) {
  int64_t chunk = chunk_samples(l, batch);
  float *dU = kernels_of(l, chunk, s); /* summed over the chunks */
  wino wn = wino_of(l, chunk);
  for (int64_t b0 = 0; b0 < batch; b0 += chunk) {
    wn = wino_of(l, batch - b0 < chunk ? batch - b0 : chunk);
    float *V = s->cols, *dM = s->tmp;
    over_samples(s->workers, &wn, x + b0 * l->in, V, NULL, work_of(&wn, s), inputs_range);
    over_samples(s->workers, &wn, dz + b0 * l->out, dM, NULL, work_of(&wn, s),
                 output_grads_range);
    for (int xi = 0; xi < XI; xi++) {
      /* dU[xi] (F, C) += dM[xi] (F, T) V[xi]^T (T, C) */
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)wn.f, (int)wn.c, (int)wn.t,
                  1.0f, dM + xi * wn.f * wn.t, (int)wn.t, V + xi * wn.c * wn.t, (int)wn.t,
                  b0 == 0 ? 0.0f : 1.0f, dU + xi * wn.f * wn.c, (int)wn.c);
    }
  }
  kernel_adjoints(&wn, dU, grads + l->w_off);
}

void ae_winograd_input_grad(const ae_layer *l, const float *params, const float *dz, float *dx,
                            int64_t batch, ae_layer_scratch *s) {
  int64_t chunk = chunk_samples(l, batch);
  for (int64_t b0 = 0; b0 < batch; b0 += chunk) {
    wino wn = wino_of(l, batch - b0 < chunk ? batch - b0 : chunk);
    float *dV = s->cols, *dM = s->tmp, *U = kernels_of(l, chunk, s);
    if (b0 == 0) kernel_transforms(&wn, params + l->w_off, U);
    over_samples(s->workers, &wn, dz + b0 * l->out, dM, NULL, work_of(&wn, s),
                 output_grads_range);
    for (int xi = 0; xi < XI; xi++) {
      /* dV[xi] (C, T) = U[xi]^T (C, F) dM[xi] (F, T) */
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)wn.c, (int)wn.t, (int)wn.f,
                  1.0f, U + xi * wn.f * wn.c, (int)wn.c, dM + xi * wn.f * wn.t, (int)wn.t, 0.0f,
                  dV + xi * wn.c * wn.t, (int)wn.t);
    }
    over_samples(s->workers, &wn, dV, dx + b0 * l->in, NULL, work_of(&wn, s),
                 input_grads_range);
  }
}
