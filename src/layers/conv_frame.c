/* conv_frame.c -- stride-1 convolutions as k*k shifted matrix products.
 *
 * With stride 1, output pixel (y, x) of a k x k convolution reads input
 * pixel (y + ky - pad_top, x + kx - pad_left). Copy each sample's channels
 * into a zero-padded frame of fh x fw pixels (fh = oh + k - 1, fw = ow + k -
 * 1) and index outputs by frame position q = y*fw + x: the input that kernel
 * offset (ky, kx) multiplies is then the frame at q + ky*fw + kx. Putting the
 * n samples of a chunk side by side (sample i at i*fh*fw) makes that, for
 * every offset, one matrix product over all of them:
 *
 *   Z (F, N) += W[ky][kx] (F, C)  X (C, N) shifted by ky*fw + kx,  N = n*fh*fw
 *
 * Frame positions with y >= oh or x >= ow are not outputs; they collect
 * garbage from neighbouring rows and samples, which is never read back
 * (forward), or hold zeros so that they add nothing (backward). Compared with
 * im2col this never writes the k*k times larger patch matrix nor scatters it
 * back (col2im): the matrices are the frames themselves. Every (C, N) or
 * (F, N) matrix here has row stride ld = N + (k-1)*fw + (k-1), so that the
 * last offset's reads and writes stay inside its row.
 *
 * Kernels are stored (F, C, k, k); the products want each offset's (F, C)
 * block contiguous, so they are regrouped to (k*k, F, C) per call. A product
 * with one output channel (F == 1) goes through sgemv/sger: OpenBLAS's sgemm
 * packs its whole right-hand matrix even for a single row. */
#include "conv_frame.h"

#include <cblas.h>
#include <string.h>

#include "im2col.h"

/* The frames of one layer; n samples per chunk. */
typedef struct frame {
  int64_t c, f, k;       /* input channels, output channels, kernel size */
  int64_t h, w, oh, ow;  /* input and output pixels */
  int64_t pt, pl;        /* padding rows above, columns left */
  int64_t fh, fw;        /* frame: fh = oh + k - 1, fw = ow + k - 1 */
  int64_t n, ld;         /* samples per chunk; row stride n*fh*fw + slack */
} frame;

static frame frame_of(const ae_layer *l, int64_t n) {
  frame fr;
  fr.c = l->in_shape.c;
  fr.f = l->out_shape.c;
  fr.k = l->window.k;
  fr.h = l->in_shape.h;
  fr.w = l->in_shape.w;
  fr.oh = l->out_shape.h;
  fr.ow = l->out_shape.w;
  fr.pt = l->window.pad_top;
  fr.pl = l->window.pad_left;
  fr.fh = fr.oh + fr.k - 1;
  fr.fw = fr.ow + fr.k - 1;
  fr.n = n;
  fr.ld = n * fr.fh * fr.fw + (fr.k - 1) * fr.fw + (fr.k - 1);
  return fr;
}

int ae_frame_applies(const ae_layer *l) {
  /* one input channel: im2col's patch matrix is small (k*k rows) and one
   * product with K = k*k beats k*k rank-one products */
  return l->window.stride == 1 && l->in_shape.c > 1;
}

/* Samples per chunk: frames and grids within AE_FRAME_BUDGET. */
static int64_t chunk_samples(const ae_layer *l, int64_t rows) {
  frame one = frame_of(l, 1);
  return ae_chunk_samples(rows, (one.c + one.f) * one.fh * one.fw, AE_FRAME_BUDGET);
}

void ae_frame_scratch(const ae_layer *l, int64_t rows, int64_t *cols, int64_t *tmp) {
  frame fr = frame_of(l, chunk_samples(l, rows));
  *cols = fr.c * fr.ld;
  *tmp = fr.f * fr.ld + fr.k * fr.k * fr.f * fr.c;
}

/* A copy between samples (n, channels, rows, cols) and frames or grids
 * (channels, ld), split over the workers by sample. */
typedef struct frame_copy {
  const frame *fr;
  const float *src;
  float *dst;
  const float *bias; /* from_grid: per output channel, or NULL */
} frame_copy;

/* Sample i's frame in channel c of X starts at c*ld + i*fh*fw. */
static int64_t frame_at(const frame *fr, int64_t c, int64_t i) {
  return c * fr->ld + i * fr->fh * fr->fw;
}

/* Zeroes every row's slack after the n frames: the last offsets read it. */
static void zero_slack(const frame *fr, float *M, int64_t rows) {
  int64_t used = fr->n * fr->fh * fr->fw;
  for (int64_t r = 0; r < rows; r++) {
    memset(M + r * fr->ld + used, 0, (size_t)(fr->ld - used) * sizeof(float));
  }
}

/* X (C, ld): the frames of samples [begin, end) of x (n, C, h, w). */
static double to_frames_range(void *ctx, int64_t begin, int64_t end) {
  const frame_copy *j = ctx;
  const frame *fr = j->fr;
  for (int64_t i = begin; i < end; i++) {
    for (int64_t c = 0; c < fr->c; c++) {
      ae_pad_plane(j->src + (i * fr->c + c) * fr->h * fr->w, fr->h, fr->w,
                   j->dst + frame_at(fr, c, i), fr->fh, fr->fw, fr->pt, fr->pl);
    }
  }
  return 0.0;
}

/* x (n, C, h, w) of samples [begin, end) = the interior of the frames X. */
static double from_frames_range(void *ctx, int64_t begin, int64_t end) {
  const frame_copy *j = ctx;
  const frame *fr = j->fr;
  for (int64_t i = begin; i < end; i++) {
    for (int64_t c = 0; c < fr->c; c++) {
      ae_crop_plane(j->src + frame_at(fr, c, i), fr->fw, fr->pt, fr->pl,
                    j->dst + (i * fr->c + c) * fr->h * fr->w, fr->h, fr->w);
    }
  }
  return 0.0;
}

/* Z (F, ld) of samples [begin, end) = dz (n, F, oh, ow) at the output
 * positions, 0 elsewhere. */
static double to_grid_range(void *ctx, int64_t begin, int64_t end) {
  const frame_copy *j = ctx;
  const frame *fr = j->fr;
  for (int64_t i = begin; i < end; i++) {
    for (int64_t f = 0; f < fr->f; f++) {
      const float *src = j->src + (i * fr->f + f) * fr->oh * fr->ow;
      float *dst = j->dst + f * fr->ld + i * fr->fh * fr->fw;
      for (int64_t y = 0; y < fr->oh; y++) {
        memcpy(dst + y * fr->fw, src + y * fr->ow, (size_t)fr->ow * sizeof(float));
        memset(dst + y * fr->fw + fr->ow, 0, (size_t)(fr->fw - fr->ow) * sizeof(float));
      }
      memset(dst + fr->oh * fr->fw, 0, (size_t)((fr->fh - fr->oh) * fr->fw) * sizeof(float));
    }
  }
  return 0.0;
}

/* z (n, F, oh, ow) of samples [begin, end) = Z (F, ld) at the output
 * positions (+ bias[f]). */
static double from_grid_range(void *ctx, int64_t begin, int64_t end) {
  const frame_copy *j = ctx;
  const frame *fr = j->fr;
  for (int64_t i = begin; i < end; i++) {
    for (int64_t f = 0; f < fr->f; f++) {
      const float *src = j->src + f * fr->ld + i * fr->fh * fr->fw;
      float *dst = j->dst + (i * fr->f + f) * fr->oh * fr->ow;
      float b = j->bias ? j->bias[f] : 0.0f;
      for (int64_t y = 0; y < fr->oh; y++) {
        for (int64_t x = 0; x < fr->ow; x++) dst[y * fr->ow + x] = src[y * fr->fw + x] + b;
      }
    }
  }
  return 0.0;
}

/* Runs a copy over the chunk's samples, one sample per part at least. */
static void copy_samples(ae_workers *w, const frame *fr, const float *src, float *dst,
                         const float *bias, ae_range_fn range) {
  frame_copy j = {fr, src, dst, bias};
  ae_parallel(w, fr->n, 1, range, &j);
}

/* Wk (k*k, F, C) = W (F, C, k*k) regrouped by kernel offset. */
static void kernels_by_offset(const frame *fr, const float *W, float *Wk) {
  int64_t kk = fr->k * fr->k;
  for (int64_t f = 0; f < fr->f; f++) {
    for (int64_t c = 0; c < fr->c; c++) {
      for (int64_t o = 0; o < kk; o++) Wk[(o * fr->f + f) * fr->c + c] = W[(f * fr->c + c) * kk + o];
    }
  }
}

/* The frame shift of kernel offset o = ky*k + kx. */
static int64_t shift_of(const frame *fr, int64_t o) {
  return (o / fr->k) * fr->fw + o % fr->k;
}

/* Z (F, N) = sum over offsets o of Wk[o] (F, C) X (C, N) shifted. */
static void frame_products(const frame *fr, const float *Wk, const float *X, float *Z) {
  int64_t kk = fr->k * fr->k, nn = fr->n * fr->fh * fr->fw;
  int m = (int)fr->f, n = (int)nn, c = (int)fr->c, ld = (int)fr->ld;
  for (int64_t o = 0; o < kk; o++) {
    const float *A = Wk + o * fr->f * fr->c, *B = X + shift_of(fr, o);
    float beta = o == 0 ? 0.0f : 1.0f;
    if (m == 1) {
      cblas_sgemv(CblasRowMajor, CblasTrans, c, n, 1.0f, B, ld, A, 1, beta, Z, 1);
    } else {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, c, 1.0f, A, c, B, ld, beta,
                  Z, ld);
    }
  }
}

void ae_frame_forward(const ae_layer *l, const float *params, const float *x, float *z,
                      int64_t batch, ae_layer_scratch *s, const float *bias) {
  int64_t chunk = chunk_samples(l, batch);
  for (int64_t b0 = 0; b0 < batch; b0 += chunk) {
    frame fr = frame_of(l, batch - b0 < chunk ? batch - b0 : chunk);
    float *Wk = s->tmp + fr.f * fr.ld;
    kernels_by_offset(&fr, params + l->w_off, Wk);
    copy_samples(s->workers, &fr, x + b0 * l->in, s->cols, NULL, to_frames_range);
    zero_slack(&fr, s->cols, fr.c);
    frame_products(&fr, Wk, s->cols, s->tmp);
    copy_samples(s->workers, &fr, s->tmp, z + b0 * l->out, bias, from_grid_range);
  }
}

void ae_frame_weight_grad(const ae_layer *l, float *grads, const float *x, const float *dz,
                          int64_t batch, ae_layer_scratch *s) {
  int64_t chunk = chunk_samples(l, batch);
  for (int64_t b0 = 0; b0 < batch; b0 += chunk) {
    frame fr = frame_of(l, batch - b0 < chunk ? batch - b0 : chunk);
    int64_t kk = fr.k * fr.k, nn = fr.n * fr.fh * fr.fw;
    float *X = s->cols, *Z = s->tmp, *dWk = s->tmp + fr.f * fr.ld; /* (k*k, F, C) */
    copy_samples(s->workers, &fr, x + b0 * l->in, X, NULL, to_frames_range);
    zero_slack(&fr, X, fr.c);
    copy_samples(s->workers, &fr, dz + b0 * l->out, Z, NULL, to_grid_range);
    zero_slack(&fr, Z, fr.f);
    /* dWk[o] (F, C) = Z (F, N) X_shifted^T (N, C); zero Z columns add nothing */
    for (int64_t o = 0; o < kk; o++) {
      const float *B = X + shift_of(&fr, o);
      float *C = dWk + o * fr.f * fr.c;
      if (fr.f == 1) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)fr.c, (int)nn, 1.0f, B, (int)fr.ld, Z, 1,
                    0.0f, C, 1);
      } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)fr.f, (int)fr.c, (int)nn,
                    1.0f, Z, (int)fr.ld, B, (int)fr.ld, 0.0f, C, (int)fr.c);
      }
    }
    float *W = grads + l->w_off; /* (F, C, k*k) */
    for (int64_t f = 0; f < fr.f; f++) {
      for (int64_t c = 0; c < fr.c; c++) {
        for (int64_t o = 0; o < kk; o++) W[(f * fr.c + c) * kk + o] += dWk[(o * fr.f + f) * fr.c + c];
      }
    }
  }
}

void ae_frame_input_grad(const ae_layer *l, const float *params, const float *dz, float *dx,
                         int64_t batch, ae_layer_scratch *s) {
  int64_t chunk = chunk_samples(l, batch);
  for (int64_t b0 = 0; b0 < batch; b0 += chunk) {
    frame fr = frame_of(l, batch - b0 < chunk ? batch - b0 : chunk);
    int64_t kk = fr.k * fr.k, nn = fr.n * fr.fh * fr.fw;
    float *dX = s->cols, *Z = s->tmp, *Wk = s->tmp + fr.f * fr.ld;
    kernels_by_offset(&fr, params + l->w_off, Wk);
    copy_samples(s->workers, &fr, dz + b0 * l->out, Z, NULL, to_grid_range);
    zero_slack(&fr, Z, fr.f);
    ae_parallel_zero(s->workers, dX, fr.c * fr.ld);
    /* dX shifted (C, N) += Wk[o]^T (C, F) Z (F, N): each output's gradient
     * goes back to the frame pixels it read */
    for (int64_t o = 0; o < kk; o++) {
      const float *A = Wk + o * fr.f * fr.c;
      float *C = dX + shift_of(&fr, o);
      if (fr.f == 1) {
        cblas_sger(CblasRowMajor, (int)fr.c, (int)nn, 1.0f, A, 1, Z, 1, C, (int)fr.ld);
      } else {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)fr.c, (int)nn, (int)fr.f,
                    1.0f, A, (int)fr.c, Z, (int)fr.ld, 1.0f, C, (int)fr.ld);
      }
    }
    copy_samples(s->workers, &fr, dX, dx + b0 * l->in, NULL, from_frames_range);
  }
}
