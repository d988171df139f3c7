/* spec_format.c -- the canonical text of a parsed spec: what model files
 * store and ae_model_spec returns. Parsing it gives the same spec back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "spec.h"
#include "spec_shape.h"

/* Appends " key=value" with the shortest text that reads back as `value`. */
static size_t put_real(char *text, size_t cap, size_t len, const char *key, double value) {
  char num[32];
  snprintf(num, sizeof num, "%.15g", value);
  if (strtod(num, NULL) != value) snprintf(num, sizeof num, "%.17g", value);
  return len + (size_t)snprintf(text + len, cap - len, "%s%s%s", key, key[0] ? "=" : "", num);
}

static const char *const noise_names[] = {"none", "mask", "gaussian", "salt_pepper"};

/* Appends printf-style text; the callers size the buffer generously. */
#define PUT(...) (len += (size_t)snprintf(text + len, cap - len, __VA_ARGS__))

static size_t put_shape(char *text, size_t cap, size_t len, ae_shape s) {
  if (ae_shape_is_flat(s)) PUT("%lld", (long long)s.c);
  else PUT("%lldx%lldx%lld", (long long)s.c, (long long)s.h, (long long)s.w);
  return len;
}

static int same_shape(ae_shape a, ae_shape b) { return a.c == b.c && a.h == b.h && a.w == b.w; }

static size_t put_penalties(char *text, size_t cap, size_t len, const ae_layer_penalties *pen) {
  if (pen->l1 > 0) len = put_real(text, cap, len, " l1", pen->l1);
  if (pen->kl_rho > 0) {
    len = put_real(text, cap, len, " kl", pen->kl_rho);
    len = put_real(text, cap, len, " kl_weight", pen->kl_beta);
  }
  if (pen->contractive > 0) len = put_real(text, cap, len, " contractive", pen->contractive);
  return len;
}

static const char *const pad_names[] = {"same", "valid"};

/* conv, deconv, maxpool, upsample with their window settings */
static size_t put_spatial(char *text, size_t cap, size_t len, const ae_layer_spec *l) {
  static const char *const names[] = {"", "", "conv", "deconv", "maxpool", "upsample"};
  PUT("; %s", names[l->kind]);
  if (l->kind == AE_LAYER_CONV || l->kind == AE_LAYER_DECONV) PUT(" %lld", (long long)l->units);
  PUT(" %lld", (long long)l->window.k);
  if (l->kind == AE_LAYER_UPSAMPLE) return len;
  if (l->kind != AE_LAYER_MAXPOOL) PUT(" %s", ae_activation_name(l->act));
  PUT(" stride=%lld", (long long)l->window.stride);
  if (l->pad_mode == AE_PAD_EXPLICIT) PUT(" pad=%lld", (long long)l->pad);
  else PUT(" pad=%s", pad_names[l->pad_mode]);
  if (l->outpad > 0) PUT(" outpad=%lld", (long long)l->outpad);
  return put_penalties(text, cap, len, &l->penalties);
}

char *ae_spec_format(const ae_spec *spec) {
  /* A layer is at most about 100 bytes of words plus four key=value words of
   * up to 40 bytes, and a reshape before it: 320 bytes is ample. */
  size_t cap = 200 + (size_t)spec->n_layers * 320;
  char *text = ae_malloc(cap, 1);
  if (!text) return NULL;
  size_t len = 0;
  PUT("input ");
  len = put_shape(text, cap, len, spec->input_shape);
  if (!same_shape(spec->output_shape, spec->input_shape)) {
    PUT("; output ");
    len = put_shape(text, cap, len, spec->output_shape);
  }
  if (spec->noise.kind != AE_NOISE_NONE) {
    PUT("; noise %s ", noise_names[spec->noise.kind]);
    len = put_real(text, cap, len, "", spec->noise.level);
    if (spec->noise.clip) PUT(" clip");
  }
  ae_shape shape = spec->input_shape;
  for (int32_t i = 0; i < spec->n_layers; i++) {
    const ae_layer_spec *l = &spec->layers[i];
    const ae_layer_penalties *pen = &l->penalties;
    if (!same_shape(l->in_shape, shape)) {
      PUT("; reshape ");
      len = put_shape(text, cap, len, l->in_shape);
    }
    shape = l->out_shape;
    int is_code = i == spec->code_layer;
    switch (l->kind) {
      case AE_LAYER_GAUSSIAN:
        PUT("; gaussian %lld", (long long)l->units);
        if (pen->vae_beta != AE_VAE_DEFAULT_BETA) len = put_real(text, cap, len, " kl_weight", pen->vae_beta);
        if (pen->vae_warmup > 0) PUT(" warmup=%lld", (long long)pen->vae_warmup);
        break;
      case AE_LAYER_DENSE:
        PUT("; %s %lld %s", is_code ? "code" : "dense", (long long)l->units,
            ae_activation_name(l->act));
        len = put_penalties(text, cap, len, pen);
        break;
      default:
        len = put_spatial(text, cap, len, l);
        if (is_code) PUT("; code");
        break;
    }
  }
  if (spec->tied) PUT("; tied");
  return text;
}
