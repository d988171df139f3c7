#include "spec_shape.h"

#include <stdio.h>

int64_t ae_shape_size(ae_shape s) { return s.c * s.h * s.w; }
int ae_shape_is_flat(ae_shape s) { return s.h == 1 && s.w == 1; }

/* A convolution's or pooling's output length along one axis of length n, and
 * the padding before it: `same` gives ceil(n / stride) with the padding split
 * as TensorFlow does (the extra row, if any, at the end); `valid` none;
 * explicit P on both sides. 0 when impossible. */
static int64_t forward_axis(int64_t n, const ae_layer_spec *l, int64_t *pad_before) {
  int64_t k = l->window.k, s = l->window.stride;
  if (l->pad_mode == AE_PAD_SAME) {
    int64_t out = (n + s - 1) / s;
    int64_t total = (out - 1) * s + k - n;
    *pad_before = total > 0 ? total / 2 : 0;
    return out;
  }
  int64_t p = l->pad_mode == AE_PAD_EXPLICIT ? l->pad : 0;
  *pad_before = p;
  return n + 2 * p >= k ? (n + 2 * p - k) / s + 1 : 0;
}

/* A transposed convolution's output length: `same` gives n * stride (the
 * crop of k - stride split as for `same` above); otherwise
 * (n - 1) * stride + k - 2P + outpad. 0 when impossible. */
static int64_t transposed_axis(int64_t n, const ae_layer_spec *l, int64_t *pad_before) {
  int64_t k = l->window.k, s = l->window.stride;
  if (l->pad_mode == AE_PAD_SAME) {
    *pad_before = k > s ? (k - s) / 2 : 0;
    return n * s;
  }
  int64_t p = l->pad_mode == AE_PAD_EXPLICIT ? l->pad : 0;
  *pad_before = p;
  int64_t out = (n - 1) * s + k - 2 * p + l->outpad;
  return out > 0 ? out : 0;
}

int ae_infer_shape(ae_layer_spec *l, ae_shape in, char *msg, size_t cap) {
  l->in_shape = in;
  ae_shape out = in;
  int64_t oh = 1, ow = 1;
  switch (l->kind) {
    case AE_LAYER_DENSE:
    case AE_LAYER_GAUSSIAN:
      out.c = l->units;
      out.h = out.w = 1;
      break;
    case AE_LAYER_CONV:
    case AE_LAYER_MAXPOOL:
      oh = forward_axis(in.h, l, &l->window.pad_top);
      ow = forward_axis(in.w, l, &l->window.pad_left);
      out.c = l->kind == AE_LAYER_CONV ? l->units : in.c;
      out.h = oh;
      out.w = ow;
      break;
    case AE_LAYER_DECONV:
      oh = transposed_axis(in.h, l, &l->window.pad_top);
      ow = transposed_axis(in.w, l, &l->window.pad_left);
      out.c = l->units;
      out.h = oh;
      out.w = ow;
      break;
    case AE_LAYER_UPSAMPLE:
      out.h = in.h * l->window.k;
      out.w = in.w * l->window.k;
      break;
  }
  if ((oh < 1 || ow < 1) && l->kind == AE_LAYER_DECONV) {
    snprintf(msg, cap,
             "pad=%lld crops away the whole output of the transposed convolution of the "
             "%lldx%lldx%lld input",
             (long long)l->pad, (long long)in.c, (long long)in.h, (long long)in.w);
    return -1;
  }
  if (oh < 1 || ow < 1) {
    snprintf(msg, cap, "a %lldx%lld kernel does not fit the %lldx%lldx%lld input",
             (long long)l->window.k, (long long)l->window.k, (long long)in.c, (long long)in.h,
             (long long)in.w);
    return -1;
  }
  if (ae_shape_size(out) > AE_MAX_WIDTH) {
    snprintf(msg, cap, "the output %lldx%lldx%lld has more than %d values", (long long)out.c,
             (long long)out.h, (long long)out.w, AE_MAX_WIDTH);
    return -1;
  }
  l->out_shape = out;
  return 0;
}
