#include "im2col.h"

#include <string.h>

/* The grid columns gx whose pixel x = gx * stride + offset lies in [0, width):
 * gx in [*lo, *hi). Computed once per row, so the inner loops run without
 * bounds checks. */
static void valid_columns(int64_t offset, int64_t stride, int64_t width, int64_t gw,
                          int64_t *lo, int64_t *hi) {
  /* smallest gx with gx * stride + offset >= 0 */
  int64_t first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  /* largest gx with gx * stride + offset <= width - 1, plus one */
  int64_t last = width - 1 - offset < 0 ? 0 : (width - 1 - offset) / stride + 1;
  *lo = first < gw ? first : gw;
  *hi = last < gw ? last : gw;
  if (*hi < *lo) *hi = *lo;
}

/* One row r = (c, ky, kx) of the patch matrix against the grid: the image row
 * y each grid row reads, and the range of grid columns inside the image. Both
 * directions share this walk. */
#define FOR_EACH_PATCH_ROW(p, body)                                                   \
  for (int64_t c = 0; c < (p)->channels; c++)                                         \
    for (int64_t ky = 0; ky < (p)->window.k; ky++)                                    \
      for (int64_t kx = 0; kx < (p)->window.k; kx++) {                                \
        int64_t r = (c * (p)->window.k + ky) * (p)->window.k + kx;                    \
        int64_t x0 = kx - (p)->window.pad_left; /* x of grid column 0 */              \
        int64_t lo, hi;                                                               \
        valid_columns(x0, (p)->window.stride, (p)->iw, (p)->gw, &lo, &hi);            \
        body                                                                          \
      }

void ae_im2col(const ae_patches *p, const float *image, float *cols, int64_t ld) {
  const int64_t s = p->window.stride;
  FOR_EACH_PATCH_ROW(p, {
    float *row = cols + r * ld;
    const float *plane = image + c * p->ih * p->iw;
    for (int64_t gy = 0; gy < p->gh; gy++) {
      int64_t y = gy * s - p->window.pad_top + ky;
      float *out = row + gy * p->gw;
      if (y < 0 || y >= p->ih) {
        memset(out, 0, (size_t)p->gw * sizeof(float));
        continue;
      }
      const float *src = plane + y * p->iw; /* pixel x of grid column gx: gx * s + x0 */
      for (int64_t gx = 0; gx < lo; gx++) out[gx] = 0.0f;
      if (s == 1) {
        memcpy(out + lo, src + lo + x0, (size_t)(hi - lo) * sizeof(float));
      } else {
        for (int64_t gx = lo; gx < hi; gx++) out[gx] = src[gx * s + x0];
      }
      for (int64_t gx = hi; gx < p->gw; gx++) out[gx] = 0.0f;
    }
  })
}

void ae_col2im(const ae_patches *p, const float *cols, int64_t ld, float *image) {
  const int64_t s = p->window.stride;
  FOR_EACH_PATCH_ROW(p, {
    const float *row = cols + r * ld;
    float *plane = image + c * p->ih * p->iw;
    for (int64_t gy = 0; gy < p->gh; gy++) {
      int64_t y = gy * s - p->window.pad_top + ky;
      if (y < 0 || y >= p->ih) continue;
      const float *in = row + gy * p->gw;
      float *dst = plane + y * p->iw; /* pixel x of grid column gx: gx * s + x0 */
      if (s == 1) {
        float *d = dst + x0 + lo;
        const float *v = in + lo;
        for (int64_t k = 0; k < hi - lo; k++) d[k] += v[k];
      } else {
        for (int64_t gx = lo; gx < hi; gx++) dst[gx * s + x0] += in[gx];
      }
    }
  })
}
void ae_to_channel_major(const float *x, int64_t n, int64_t channels, int64_t g, float *t) {
  for (int64_t i = 0; i < n; i++) {
    for (int64_t c = 0; c < channels; c++) {
      memcpy(t + c * n * g + i * g, x + (i * channels + c) * g, (size_t)g * sizeof(float));
    }
  }
}

void ae_from_channel_major(const float *t, int64_t n, int64_t channels, int64_t g,
                           const float *bias, float *x) {
  for (int64_t i = 0; i < n; i++) {
    for (int64_t c = 0; c < channels; c++) {
      const float *src = t + c * n * g + i * g;
      float *dst = x + (i * channels + c) * g;
      float b = bias ? bias[c] : 0.0f;
      for (int64_t q = 0; q < g; q++) dst[q] = src[q] + b;
    }
  }
}

typedef struct channel_sums {
  const float *dz;
  int64_t n, channels, g;
  float *grads_b;
} channel_sums;

/* Channels [begin, end): each channel's sum in the same order whoever runs it. */
static double channel_sums_range(void *ctx, int64_t begin, int64_t end) {
  const channel_sums *j = ctx;
  for (int64_t i = 0; i < j->n; i++) {
    for (int64_t c = begin; c < end; c++) {
      const float *v = j->dz + (i * j->channels + c) * j->g;
      float sum = 0.0f;
      for (int64_t q = 0; q < j->g; q++) sum += v[q];
      j->grads_b[c] += sum;
    }
  }
  return 0.0;
}

void ae_channel_sums(ae_workers *w, const float *dz, int64_t n, int64_t channels, int64_t g,
                     float *grads_b) {
  channel_sums j = {dz, n, channels, g, grads_b};
  /* a part of at least 2 channels: 2 * n * g values */
  ae_parallel(w, channels, n * g >= 8192 ? 2 : channels, channel_sums_range, &j);
}

void ae_pad_plane(const float *src, int64_t h, int64_t w, float *dst, int64_t sh, int64_t sw,
                  int64_t top, int64_t left) {
  int64_t right = sw - left - w;
  memset(dst, 0, (size_t)(top * sw) * sizeof(float));
  for (int64_t y = 0; y < h; y++) {
    float *row = dst + (top + y) * sw;
    memset(row, 0, (size_t)left * sizeof(float));
    memcpy(row + left, src + y * w, (size_t)w * sizeof(float));
    memset(row + left + w, 0, (size_t)right * sizeof(float));
  }
  memset(dst + (top + h) * sw, 0, (size_t)((sh - top - h) * sw) * sizeof(float));
}

void ae_crop_plane(const float *src, int64_t sw, int64_t top, int64_t left, float *dst, int64_t h,
                   int64_t w) {
  for (int64_t y = 0; y < h; y++) {
    memcpy(dst + y * w, src + (top + y) * sw + left, (size_t)w * sizeof(float));
  }
}

int64_t ae_chunk_samples(int64_t rows, int64_t per_sample, int64_t budget) {
  int64_t n = budget / (per_sample > 0 ? per_sample : 1);
  if (n < 1) n = 1;
  return n < rows ? n : rows;
}
