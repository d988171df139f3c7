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
#include "vec4.h"

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

/* The data transforms take four neighbouring tiles of a row at once, one
 * per lane of a vec4: tile tx + j in lane j, so that each of the 16
 * transform positions is one contiguous store into (16, *, T). A row's last
 * group may hold fewer than four tiles (`n`). Its extra lanes load what
 * follows: up to 2*TILES - 2 floats past a row of a padded plane (the next
 * row, or SLACK after the last), up to TILES - 1 past a (16, *, T) matrix
 * (the next matrix row, or the GAP or U after the last). No other thread
 * writes those meanwhile; the lanes are never stored, except that the input
 * gradient adds their zeros back into its own plane and SLACK. */
#define TILES 4

/* Sample i's work area: a zero-padded plane (ph, pw), then SLACK floats. */
#define SLACK 8
static int64_t work_floats(const wino *wn) { return wn->ph * wn->pw + SLACK; }

/* Scratch: cols holds V or dV (16, C, T), GAP floats, then the samples' work
 * areas; tmp holds M or dM (16, F, T), then U and dU (16, F, C) each, placed
 * after the largest chunk's M (a smaller last chunk's reads past its M meet
 * the stale rest of the first's; U and M are only read while M is). */
#define GAP 4
_Static_assert(SLACK >= 2 * TILES - 2 && GAP >= TILES - 1, "room for a partial group's lanes");

/* Samples per chunk: transforms and a padded plane each, within
 * AE_FRAME_BUDGET (the products then run from cache, as conv_frame.c's). */
static int64_t chunk_samples(const ae_layer *l, int64_t rows) {
  wino one = wino_of(l, 1);
  return ae_chunk_samples(rows, XI * (one.c + one.f) * one.t + work_floats(&one), AE_FRAME_BUDGET);
}

void ae_winograd_scratch(const ae_layer *l, int64_t rows, int64_t *cols, int64_t *tmp) {
  wino wn = wino_of(l, chunk_samples(l, rows));
  *cols = XI * wn.c * wn.t + GAP + wn.n * work_floats(&wn);
  *tmp = XI * wn.f * wn.t + 2 * XI * wn.f * wn.c;
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
static void kernel_transforms(const ae_layer *l, const float *W, float *U) {
  int64_t kernels = l->out_shape.c * l->in_shape.c;
  for (int64_t fc = 0; fc < kernels; fc++) {
    float t[12], u[XI];
    for (int j = 0; j < 3; j++) kernel_1d(W + fc * 9 + j, 3, t + j, 3);
    for (int i = 0; i < 4; i++) kernel_1d(t + 3 * i, 1, u + 4 * i, 1);
    for (int xi = 0; xi < XI; xi++) U[xi * kernels + fc] = u[xi];
  }
}

/* grads W (F, C, 3, 3) += G^T dU[.][f][c] G for dU (16, F, C) */
static void kernel_adjoints(const ae_layer *l, const float *dU, float *W) {
  int64_t kernels = l->out_shape.c * l->in_shape.c;
  for (int64_t fc = 0; fc < kernels; fc++) {
    float u[XI], t[12], g[9];
    for (int xi = 0; xi < XI; xi++) u[xi] = dU[xi * kernels + fc];
    for (int i = 0; i < 4; i++) kernel_adjoint_1d(u + 4 * i, 1, t + 3 * i, 1);
    for (int j = 0; j < 3; j++) kernel_adjoint_1d(t + j, 3, g + j, 3);
    for (int k = 0; k < 9; k++) W[fc * 9 + k] += g[k];
  }
}

/* Lanes 0, 2, 4, 6 and 1, 3, 5, 7 of the 8 floats (a, b): the even and odd
 * columns of four tiles' patches. */
static inline vec4 even4(vec4 a, vec4 b) { return AE_SHUFFLE4(a, b, 0, 2, 4, 6); }
static inline vec4 odd4(vec4 a, vec4 b) { return AE_SHUFFLE4(a, b, 1, 3, 5, 7); }

/* The one-dimensional data transforms, four lanes at a time, from values
 * `is` apart to values `os` apart (2-D: columns, then rows):
 * B^T d, its adjoint B v, A^T m and its adjoint A y. */
static inline void input_1d(const vec4 *d, int is, vec4 *o, int os) {
  vec4 d0 = d[0], d1 = d[is], d2 = d[2 * is], d3 = d[3 * is];
  o[0] = d0 - d2;
  o[os] = d1 + d2;
  o[2 * os] = d2 - d1;
  o[3 * os] = d1 - d3;
}

static inline void input_adjoint_1d(const vec4 *v, int is, vec4 *o, int os) {
  vec4 v0 = v[0], v1 = v[is], v2 = v[2 * is], v3 = v[3 * is];
  o[0] = v0;
  o[os] = v1 - v2 + v3;
  o[2 * os] = v1 + v2 - v0;
  o[3 * os] = -v3;
}

static inline void output_1d(const vec4 *m, int is, vec4 *o, int os) {
  vec4 m1 = m[is], m2 = m[2 * is];
  o[0] = m[0] + m1 + m2;
  o[os] = m1 - m2 - m[3 * is];
}

static inline void output_adjoint_1d(const vec4 *y, int is, vec4 *o, int os) {
  vec4 y0 = y[0], y1 = y[is];
  o[0] = y0;
  o[os] = y0 + y1;
  o[2 * os] = y0 - y1;
  o[3 * os] = -y1;
}

/* D (16 lanes-of-4) = B^T d B for the four tiles whose first patch starts
 * at P (row stride pw): patch row a, column b of tile j is P[a*pw + 2j + b]. */
static inline void input_tiles(const float *P, int64_t pw, vec4 D[XI]) {
  vec4 d[XI], t[XI];
  for (int a = 0; a < 4; a++) {
    const float *r = P + a * pw; /* reads r[0 .. 9] */
    vec4 lo = load4(r), hi = load4(r + 4), lo2 = load4(r + 2), hi2 = load4(r + 6);
    d[4 * a] = even4(lo, hi);
    d[4 * a + 1] = odd4(lo, hi);
    d[4 * a + 2] = even4(lo2, hi2);
    d[4 * a + 3] = odd4(lo2, hi2);
  }
  for (int b = 0; b < 4; b++) input_1d(d + b, 4, t + b, 4);
  for (int a = 0; a < 4; a++) input_1d(t + 4 * a, 1, D + 4 * a, 1);
}

/* The 16 rows (`stride` apart) of a (16, *, T) matrix at a group of tiles:
 * load four lanes with those past the n tiles zeroed, or store n lanes. */
static inline void load_tiles(const float *src, int64_t stride, int64_t n, vec4 v[XI]) {
  static const ivec4 lane = {0, 1, 2, 3};
  ivec4 keep = lane < (ivec4){(int32_t)n, (int32_t)n, (int32_t)n, (int32_t)n};
  for (int xi = 0; xi < XI; xi++) v[xi] = (vec4)((ivec4)load4(src + xi * stride) & keep);
}

static inline void store_tiles(float *dst, int64_t stride, int64_t n, const vec4 v[XI]) {
  for (int xi = 0; xi < XI; xi++) store_lanes(dst + xi * stride, v[xi], n);
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

/* Tiles left in a row from tx, at most TILES. */
static int64_t group_of(const wino *wn, int64_t tx) {
  return wn->tw - tx < TILES ? wn->tw - tx : TILES;
}

/* row[0 .. 7] += the lanes of (e, o) interleaved: e to even columns. */
static inline void add_interleaved(float *row, vec4 e, vec4 o) {
  store4(row, load4(row) + AE_SHUFFLE4(e, o, 0, 4, 1, 5));
  store4(row + 4, load4(row + 4) + AE_SHUFFLE4(e, o, 2, 6, 3, 7));
}

/* dx (n, C, h, w) of samples [begin, end) from dV (16, C, T): each tile's
 * B dV B^T added into a padded plane (tiles overlap by two pixels), whose
 * interior is dx. Row a of a tile's patch adds q0..q3 to its columns
 * 0..3: (q0, q1) to the even and odd columns from 2tx, (q2, q3) from
 * 2tx + 2. Lanes past the row's tiles are zero, so they add nothing. */
static double input_grads_range(void *ctx, int64_t begin, int64_t end) {
  const tile_job *j = ctx;
  const wino *wn = j->wn;
  int64_t xi_stride = wn->c * wn->t; /* between the rows of dV */
  for (int64_t i = begin; i < end; i++) {
    float *P = j->work + i * work_floats(wn);
    for (int64_t c = 0; c < wn->c; c++) {
      memset(P, 0, (size_t)work_floats(wn) * sizeof(float));
      for (int64_t ty = 0; ty < wn->th; ty++) {
        const float *dV = j->src + c * wn->t + row_at(wn, i, ty);
        for (int64_t tx = 0; tx < wn->tw; tx += TILES) {
          vec4 d[XI], u[XI], q[XI];
          load_tiles(dV + tx, xi_stride, group_of(wn, tx), d);
          for (int b = 0; b < 4; b++) input_adjoint_1d(d + b, 4, u + b, 4);
          for (int a = 0; a < 4; a++) input_adjoint_1d(u + 4 * a, 1, q + 4 * a, 1);
          for (int a = 0; a < 4; a++) {
            float *row = P + (2 * ty + a) * wn->pw + 2 * tx;
            add_interleaved(row, q[4 * a], q[4 * a + 1]);
            add_interleaved(row + 2, q[4 * a + 2], q[4 * a + 3]);
          }
        }
      }
      ae_crop_plane(P, wn->pw, wn->pt, wn->pl, j->dst + (i * wn->c + c) * wn->h * wn->w, wn->h,
                    wn->w);
    }
  }
  return 0.0;
}

/* The first n (0..8) values of (e, o) interleaved to row. */
static inline void store_interleaved(float *row, vec4 e, vec4 o, int64_t n) {
  vec4 lo = AE_SHUFFLE4(e, o, 0, 4, 1, 5), hi = AE_SHUFFLE4(e, o, 2, 6, 3, 7);
  store_lanes(row, lo, n < 4 ? n : 4);
  if (n > 4) store_lanes(row + 4, hi, n - 4);
}

/* z (n, F, oh, ow) of samples [begin, end) from M (16, F, T) (+ bias[f]):
 * Y = A^T M A per tile, rows 2ty and 2ty + 1 (when inside). */
static double outputs_range(void *ctx, int64_t begin, int64_t end) {
  const tile_job *j = ctx;
  const wino *wn = j->wn;
  int64_t xi_stride = wn->f * wn->t; /* between the rows of M */
  for (int64_t i = begin; i < end; i++) {
    for (int64_t f = 0; f < wn->f; f++) {
      float *z = j->dst + (i * wn->f + f) * wn->oh * wn->ow;
      float b = j->bias ? j->bias[f] : 0.0f;
      vec4 bias = {b, b, b, b};
      for (int64_t ty = 0; ty < wn->th; ty++) {
        const float *M = j->src + f * wn->t + row_at(wn, i, ty);
        for (int64_t tx = 0; tx < wn->tw; tx += TILES) {
          vec4 m[XI], s[8], Y[4];
          int64_t n = group_of(wn, tx), cols = wn->ow - 2 * tx;
          load_tiles(M + tx, xi_stride, n, m);
          for (int c = 0; c < 4; c++) output_1d(m + c, 4, s + c, 4);
          for (int a = 0; a < 2; a++) output_1d(s + 4 * a, 1, Y + 2 * a, 1);
          for (int a = 0; a < 2 && 2 * ty + a < wn->oh; a++) {
            store_interleaved(z + (2 * ty + a) * wn->ow + 2 * tx, Y[2 * a] + bias,
                              Y[2 * a + 1] + bias, cols < 2 * TILES ? cols : 2 * TILES);
          }
        }
      }
    }
  }
  return 0.0;
}

/* dM (16 lanes-of-4) = A dY A^T for the four tiles whose 2x2 outputs start
 * at P (row stride pw): dY's rows y0, y1 give the rows y0, y0 + y1, y0 - y1,
 * -y1 of A dY, and each row r the columns r0, r0 + r1, r0 - r1, -r1. */
static inline void output_grad_tiles(const float *P, int64_t pw, vec4 dm[XI]) {
  const float *r0 = P, *r1 = P + pw;
  vec4 lo0 = load4(r0), hi0 = load4(r0 + 4), lo1 = load4(r1), hi1 = load4(r1 + 4);
  vec4 y[4] = {even4(lo0, hi0), odd4(lo0, hi0), even4(lo1, hi1), odd4(lo1, hi1)};
  vec4 t[8];
  for (int c = 0; c < 2; c++) output_adjoint_1d(y + c, 2, t + c, 2);
  for (int a = 0; a < 4; a++) output_adjoint_1d(t + 2 * a, 1, dm + 4 * a, 1);
}

/* Samples [begin, end) of planes (n, channels, h, w) to their tiles'
 * transforms (16, channels, T): each plane padded into the work area at
 * (top, left), then four tiles at a time. Inputs (x to V = B^T d B, padded
 * as the layer pads) or output gradients (dz to dM = A dY A^T, padded with
 * zeros to whole tiles); always inlined, so that each gets its own loop. */
static inline __attribute__((always_inline)) double planes_to_tiles(const tile_job *j,
                                                                   int64_t begin, int64_t end,
                                                                   const int grads) {
  const wino *wn = j->wn;
  int64_t ch = grads ? wn->f : wn->c, h = grads ? wn->oh : wn->h, w = grads ? wn->ow : wn->w;
  int64_t top = grads ? 0 : wn->pt, left = grads ? 0 : wn->pl, xi_stride = ch * wn->t;
  for (int64_t i = begin; i < end; i++) {
    float *P = j->work + i * work_floats(wn);
    for (int64_t c = 0; c < ch; c++) {
      ae_pad_plane(j->src + (i * ch + c) * h * w, h, w, P, wn->ph, wn->pw, top, left);
      for (int64_t ty = 0; ty < wn->th; ty++) {
        float *out = j->dst + c * wn->t + row_at(wn, i, ty);
        for (int64_t tx = 0; tx < wn->tw; tx += TILES) {
          const float *at = P + 2 * ty * wn->pw + 2 * tx;
          vec4 v[XI];
          if (grads) {
            output_grad_tiles(at, wn->pw, v);
          } else {
            input_tiles(at, wn->pw, v);
          }
          store_tiles(out + tx, xi_stride, group_of(wn, tx), v);
        }
      }
    }
  }
  return 0.0;
}

/* V (16, C, T) of samples [begin, end) of x (n, C, h, w). */
static double inputs_range(void *ctx, int64_t begin, int64_t end) {
  return planes_to_tiles(ctx, begin, end, 0);
}

/* dM (16, F, T) of samples [begin, end) of dz (n, F, oh, ow). */
static double output_grads_range(void *ctx, int64_t begin, int64_t end) {
  return planes_to_tiles(ctx, begin, end, 1);
}

/* Runs a tile pass over the chunk's samples, one sample per part at least. */
static void over_samples(ae_workers *w, const wino *wn, const float *src, float *dst,
                         const float *bias, float *work, ae_range_fn range) {
  tile_job j = {wn, src, dst, bias, work};
  ae_parallel(w, wn->n, 1, range, &j);
}

/* The chunk's work areas, after its V (16, C, T) and the GAP in cols. */
static float *work_of(const wino *wn, const ae_layer_scratch *s) {
  return s->cols + XI * wn->c * wn->t + GAP;
}

/* U (16, F, C) in tmp, after the largest chunk's M (16, F, T), then dU: the
 * same place for every chunk of the call. */
static float *kernels_of(const ae_layer *l, int64_t chunk, const ae_layer_scratch *s) {
  wino full = wino_of(l, chunk);
  return s->tmp + XI * full.f * full.t;
}

void ae_winograd_forward(const ae_layer *l, const float *params, const float *x, float *z,
                         int64_t batch, ae_layer_scratch *s, const float *bias) {
  int64_t chunk = chunk_samples(l, batch);
  float *U = kernels_of(l, chunk, s);
  kernel_transforms(l, params + l->w_off, U);
  for (int64_t b0 = 0; b0 < batch; b0 += chunk) {
    wino wn = wino_of(l, batch - b0 < chunk ? batch - b0 : chunk);
    float *V = s->cols, *M = s->tmp;
    over_samples(s->workers, &wn, x + b0 * l->in, V, NULL, work_of(&wn, s), inputs_range);
    /* zeroed here and summed into (beta 1): with beta 0 OpenBLAS clears C in
     * its own scalar loop first, which took 5-15% of a W3 step's samples */
    ae_parallel_zero(s->workers, M, XI * wn.f * wn.t);
    for (int xi = 0; xi < XI; xi++) {
      /* M[xi] (F, T) = U[xi] (F, C) V[xi] (C, T) */
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)wn.f, (int)wn.t, (int)wn.c,
                  1.0f, U + xi * wn.f * wn.c, (int)wn.c, V + xi * wn.c * wn.t, (int)wn.t, 1.0f,
                  M + xi * wn.f * wn.t, (int)wn.t);
    }
    over_samples(s->workers, &wn, M, z + b0 * l->out, bias, work_of(&wn, s), outputs_range);
  }
}

/* dU[xi] (F, C) = (or +=, after the first chunk) dM[xi] (F, T) V[xi]^T (T, C) */
static void kernel_grad_products(const wino *wn, const float *dM, const float *V, float *dU,
                                 int first) {
  for (int xi = 0; xi < XI; xi++) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)wn->f, (int)wn->c, (int)wn->t,
                1.0f, dM + xi * wn->f * wn->t, (int)wn->t, V + xi * wn->c * wn->t, (int)wn->t,
                first ? 0.0f : 1.0f, dU + xi * wn->f * wn->c, (int)wn->c);
  }
}

/* dV[xi] (C, T) = U[xi]^T (C, F) dM[xi] (F, T), into dV zeroed by the
 * workers (as in the forward pass) */
static void input_grad_products(const wino *wn, const float *U, const float *dM, float *dV,
                                ae_workers *w) {
  ae_parallel_zero(w, dV, XI * wn->c * wn->t);
  for (int xi = 0; xi < XI; xi++) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)wn->c, (int)wn->t, (int)wn->f,
                1.0f, U + xi * wn->f * wn->c, (int)wn->c, dM + xi * wn->f * wn->t, (int)wn->t,
                1.0f, dV + xi * wn->c * wn->t, (int)wn->t);
  }
}

void ae_winograd_backward(const ae_layer *l, const float *params, float *grads, const float *x,
                          const float *dz, float *dx, int64_t batch, ae_layer_scratch *s) {
  if (batch < 1) return; /* no samples add nothing (dU below would be stale) */
  int64_t chunk = chunk_samples(l, batch);
  /* U and dU (16, F, C) each, after the largest chunk's dM */
  float *U = kernels_of(l, chunk, s), *dU = U + XI * l->out_shape.c * l->in_shape.c;
  if (dx) kernel_transforms(l, params + l->w_off, U);
  for (int64_t b0 = 0; b0 < batch; b0 += chunk) {
    wino wn = wino_of(l, batch - b0 < chunk ? batch - b0 : chunk);
    float *dM = s->tmp;
    /* dM once for both gradients; cols holds the kernel gradient's V,
     * then dx's dV */
    over_samples(s->workers, &wn, dz + b0 * l->out, dM, NULL, work_of(&wn, s),
                 output_grads_range);
    if (grads) {
      float *V = s->cols;
      over_samples(s->workers, &wn, x + b0 * l->in, V, NULL, work_of(&wn, s), inputs_range);
      kernel_grad_products(&wn, dM, V, dU, b0 == 0);
    }
    if (dx) {
      float *dV = s->cols;
      input_grad_products(&wn, U, dM, dV, s->workers);
      over_samples(s->workers, &wn, dV, dx + b0 * l->in, NULL, work_of(&wn, s),
                   input_grads_range);
    }
  }
  if (grads) kernel_adjoints(l, dU, grads + l->w_off);
}
