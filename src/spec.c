#include "spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "spec_shape.h"

/* A statement split into at most MAX_WORDS words, pointing into the text:
 * the longest has 11 (deconv F K ACT, stride, pad, outpad and the four
 * penalty keys), and canonical text writes stride= and pad= always. */
#define MAX_WORDS 12
typedef struct statement {
  const char *word[MAX_WORDS];
  int64_t len[MAX_WORDS];
  int n_words;
  int number;            /* 1-based statement number, for messages */
} statement;

typedef struct parser {
  const char *caller;
  ae_spec *spec;
  int32_t capacity;
  int seen_code;
  int seen_mirror;
  int seen_decoder_layer;
  int seen_noise;
  int seen_contractive;
  ae_shape shape;        /* the shape the next layer receives */
} parser;

static int word_is(const statement *s, int i, const char *w) {
  return (int64_t)strlen(w) == s->len[i] && memcmp(s->word[i], w, (size_t)s->len[i]) == 0;
}

static ae_status fail(const parser *p, const statement *s, const char *what) {
  return ae_fail(AE_ERR_SPEC, "%s: spec statement %d ('%.*s%s'): %s", p->caller,
                 s->number, (int)s->len[0], s->word[0], s->n_words > 1 ? " ..." : "",
                 what);
}

static ae_status parse_width(const parser *p, const statement *s, int i,
                             int64_t *out) {
  char buf[32];
  if (s->len[i] >= (int64_t)sizeof buf) return fail(p, s, "width is not a number");
  memcpy(buf, s->word[i], (size_t)s->len[i]);
  buf[s->len[i]] = '\0';
  char *end;
  errno = 0;
  long long v = strtoll(buf, &end, 10);
  if (*end != '\0' || errno != 0 || buf[0] == '\0' || buf[0] == '+' || buf[0] == '-') {
    return fail(p, s, "width is not a positive integer");
  }
  if (v < 1 || v > AE_MAX_WIDTH) {
    char msg[80];
    snprintf(msg, sizeof msg, "width %lld is not between 1 and %d", v, AE_MAX_WIDTH);
    return fail(p, s, msg);
  }
  *out = v;
  return AE_OK;
}

/* "N" (a flat N x 1 x 1) or "CxHxW", each part a width. */
static ae_status parse_dims(const parser *p, const statement *s, int i, ae_shape *out) {
  int64_t part[3] = {1, 1, 1};
  int n = 0;
  const char *w = s->word[i], *end = w + s->len[i];
  while (n < 3) {
    const char *x = memchr(w, 'x', (size_t)(end - w));
    const char *stop = x ? x : end;
    statement one = *s;
    one.word[i] = w;
    one.len[i] = stop - w;
    ae_status st = parse_width(p, &one, i, &part[n++]);
    if (st != AE_OK) return st;
    if (!x) break;
    w = x + 1;
  }
  if (w < end && n == 3 && memchr(w, 'x', (size_t)(end - w))) {
    return fail(p, s, "expected N or CxHxW");
  }
  if (n == 2) return fail(p, s, "expected N or CxHxW");
  out->c = part[0];
  out->h = part[1];
  out->w = part[2];
  if (ae_shape_size(*out) > AE_MAX_WIDTH) {
    return fail(p, s, "more than 16777216 values per sample");
  }
  return AE_OK;
}

/* A real number in [min, max] (or (min, max] with min_exclusive) from a word
 * of `len` bytes at `text`. */
static ae_status parse_real(const parser *p, const statement *s, const char *text,
                            int64_t len, const char *name, double min, double max,
                            int min_exclusive, double *out) {
  char buf[64] = "";
  char msg[128];
  double v = 0;
  char *end = buf;
  if (len > 0 && len < (int64_t)sizeof buf) {
    memcpy(buf, text, (size_t)len);
    buf[len] = '\0';
    v = strtod(buf, &end);
  }
  if (len == 0 || len >= (int64_t)sizeof buf || *end != '\0') {
    snprintf(msg, sizeof msg, "%s is not a number", name);
    return fail(p, s, msg);
  }
  if (!(min_exclusive ? v > min : v >= min) || !(v <= max)) {
    snprintf(msg, sizeof msg, "%s = %g is outside %c%g, %g]", name, v,
             min_exclusive ? '(' : '[', min, max);
    return fail(p, s, msg);
  }
  *out = v;
  return AE_OK;
}

/* The KEY=VALUE words a layer statement may carry after its fixed words. */
enum {
  KEY_L1, KEY_KL, KEY_KL_WEIGHT, KEY_CONTRACTIVE, KEY_STRIDE, KEY_PAD, KEY_OUTPAD, N_KEYS
};
static const char *const key_names[N_KEYS] = {"l1",     "kl",  "kl_weight", "contractive",
                                              "stride", "pad", "outpad"};
#define PENALTY_KEYS ((1u << KEY_L1) | (1u << KEY_KL) | (1u << KEY_KL_WEIGHT) | (1u << KEY_CONTRACTIVE))
#define WINDOW_KEYS ((1u << KEY_STRIDE) | (1u << KEY_PAD))

/* A whole number in [min, max] from a KEY=VALUE value. */
static ae_status parse_count(const parser *p, const statement *s, const char *text, int64_t len,
                             const char *name, double min, double max, int64_t *out) {
  double v = 0;
  ae_status st = parse_real(p, s, text, len, name, min, max, 0, &v);
  if (st != AE_OK) return st;
  if (v != (double)(int64_t)v) {
    char msg[64];
    snprintf(msg, sizeof msg, "%s must be a whole number", name);
    return fail(p, s, msg);
  }
  *out = (int64_t)v;
  return AE_OK;
}

/* pad=same|valid|P */
static ae_status parse_pad(const parser *p, const statement *s, const char *val, int64_t len,
                           ae_layer_spec *l) {
  if (len == 4 && memcmp(val, "same", 4) == 0) {
    l->pad_mode = AE_PAD_SAME;
    return AE_OK;
  }
  if (len == 5 && memcmp(val, "valid", 5) == 0) {
    l->pad_mode = AE_PAD_VALID;
    return AE_OK;
  }
  l->pad_mode = AE_PAD_EXPLICIT;
  return parse_count(p, s, val, len, "pad (same, valid or rows)", 0, 1024, &l->pad);
}

/* The KEY=VALUE words from word `first` on, for the keys in `allowed`. */
static ae_status parse_layer_options(const parser *p, const statement *s, int first,
                                     unsigned allowed, ae_layer_spec *l) {
  ae_layer_penalties *pen = &l->penalties;
  unsigned seen = 0;
  for (int i = first; i < s->n_words; i++) {
    const char *eq = memchr(s->word[i], '=', (size_t)s->len[i]);
    int64_t key_len = eq ? eq - s->word[i] : s->len[i];
    int k = 0;
    while (k < N_KEYS && !((int64_t)strlen(key_names[k]) == key_len &&
                           memcmp(key_names[k], s->word[i], (size_t)key_len) == 0)) {
      k++;
    }
    if (!eq || k == N_KEYS || !(allowed & (1u << k))) {
      char msg[160];
      int len = snprintf(msg, sizeof msg, "expected KEY=VALUE after the activation, with KEY one of");
      const char *sep = " ";
      for (int j = 0; j < N_KEYS; j++) {
        if (!(allowed & (1u << j))) continue;
        len += snprintf(msg + len, sizeof msg - (size_t)len, "%s%s", sep, key_names[j]);
        sep = ", ";
      }
      return fail(p, s, msg);
    }
    if (seen & (1u << k)) {
      char msg[64];
      snprintf(msg, sizeof msg, "%s is given twice", key_names[k]);
      return fail(p, s, msg);
    }
    seen |= 1u << k;
    const char *val = eq + 1;
    int64_t val_len = s->len[i] - key_len - 1;
    ae_status st;
    switch (k) {
      case KEY_L1: st = parse_real(p, s, val, val_len, "l1", 0, 1e3, 1, &pen->l1); break;
      case KEY_KL: st = parse_real(p, s, val, val_len, "kl", 0, 0.5, 1, &pen->kl_rho); break;
      case KEY_KL_WEIGHT:
        st = parse_real(p, s, val, val_len, "kl_weight", 0, 1e3, 1, &pen->kl_beta);
        break;
      case KEY_CONTRACTIVE:
        st = parse_real(p, s, val, val_len, "contractive", 0, 1e3, 1, &pen->contractive);
        break;
      case KEY_STRIDE: st = parse_count(p, s, val, val_len, "stride", 1, 64, &l->window.stride); break;
      case KEY_PAD: st = parse_pad(p, s, val, val_len, l); break;
      default: st = parse_count(p, s, val, val_len, "outpad", 0, 63, &l->outpad); break;
    }
    if (st != AE_OK) return st;
  }
  if ((seen & (1u << KEY_KL_WEIGHT)) && pen->kl_rho == 0) return fail(p, s, "kl_weight needs kl=RHO");
  if (pen->kl_rho > 0 && !(seen & (1u << KEY_KL_WEIGHT))) pen->kl_beta = AE_KL_DEFAULT_BETA;
  if (l->outpad >= l->window.stride && l->outpad > 0) {
    return fail(p, s, "outpad must be smaller than the stride");
  }
  if (l->outpad > 0 && l->pad_mode == AE_PAD_SAME) {
    return fail(p, s, "outpad goes with pad=valid or pad=P; pad=same sets the size itself");
  }
  if (pen->kl_rho > 0 && l->act != AE_ACT_SIGMOID) {
    return fail(p, s, "kl sparsity needs a sigmoid layer (mean activations in (0, 1))");
  }
  return AE_OK;
}

/* gaussian N [kl_weight=B] [warmup=E]: the VAE's KL weight and its warm-up. */
static ae_status parse_gaussian_options(const parser *p, const statement *s,
                                        ae_layer_penalties *pen) {
  memset(pen, 0, sizeof *pen);
  pen->vae_beta = AE_VAE_DEFAULT_BETA;
  for (int i = 2; i < s->n_words; i++) {
    const char *eq = memchr(s->word[i], '=', (size_t)s->len[i]);
    int64_t key_len = eq ? eq - s->word[i] : 0;
    const char *val = eq ? eq + 1 : NULL;
    int64_t val_len = s->len[i] - key_len - 1;
    ae_status st;
    if (key_len == 9 && memcmp(s->word[i], "kl_weight", 9) == 0) {
      st = parse_real(p, s, val, val_len, "kl_weight", 0, 1e3, 1, &pen->vae_beta);
    } else if (key_len == 6 && memcmp(s->word[i], "warmup", 6) == 0) {
      double epochs = 0;
      st = parse_real(p, s, val, val_len, "warmup", 0, 1e6, 0, &epochs);
      if (st == AE_OK && epochs != (double)(int64_t)epochs) {
        st = fail(p, s, "warmup must be a whole number of epochs");
      }
      pen->vae_warmup = (int64_t)epochs;
    } else {
      st = fail(p, s, "expected 'gaussian N [kl_weight=B] [warmup=E]'");
    }
    if (st != AE_OK) return st;
  }
  return AE_OK;
}

static ae_status parse_activation(const parser *p, const statement *s, int i,
                                  ae_activation *out) {
  if (ae_activation_parse(s->word[i], s->len[i], out) == 0) return AE_OK;
  char msg[160];
  snprintf(msg, sizeof msg,
           "unknown activation '%.*s' (expected linear, sigmoid, tanh, relu, leaky_relu, "
           "elu or softplus)", (int)(s->len[i] < 32 ? s->len[i] : 32), s->word[i]);
  return fail(p, s, msg);
}

/* Appends layer l, inferring its shapes from the parser's current shape. */
static ae_status push_layer(parser *p, const statement *s, ae_layer_spec l) {
  ae_spec *spec = p->spec;
  if (spec->n_layers >= AE_MAX_LAYERS) return fail(p, s, "too many layers (at most 256)");
  char msg[160];
  if (ae_infer_shape(&l, p->shape, msg, sizeof msg) != 0) return fail(p, s, msg);
  if (spec->n_layers == p->capacity) {
    int32_t cap = p->capacity ? p->capacity * 2 : 8;
    ae_layer_spec *grown = ae_malloc((size_t)cap, sizeof *grown);
    if (!grown) return ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory parsing the spec", p->caller);
    if (spec->n_layers) memcpy(grown, spec->layers, (size_t)spec->n_layers * sizeof *grown);
    ae_free(spec->layers);
    spec->layers = grown;
    p->capacity = cap;
  }
  spec->layers[spec->n_layers++] = l;
  p->shape = l.out_shape;
  return AE_OK;
}

/* A layer of `kind` with `units` and `act`, no penalties, stride 1, pad same. */
static ae_layer_spec new_layer(ae_layer_kind kind, int64_t units, ae_activation act) {
  ae_layer_spec l;
  memset(&l, 0, sizeof l);
  l.kind = kind;
  l.units = units;
  l.act = act;
  l.window.stride = 1;
  l.pad_mode = AE_PAD_SAME;
  return l;
}

static ae_status expect_words(const parser *p, const statement *s, int n,
                              const char *usage) {
  if (s->n_words == n) return AE_OK;
  char msg[96];
  snprintf(msg, sizeof msg, "expected '%s'", usage);
  return fail(p, s, msg);
}

/* mirror ACT: the encoder's layers (those before the code layer) in reverse,
 * then one layer of the output width with activation ACT. The whole encoder,
 * code layer included, must be dense (a gaussian code layer is). */
static ae_status expand_mirror(parser *p, const statement *s, ae_activation out_act) {
  ae_spec *spec = p->spec;
  for (int32_t i = 0; i <= spec->code_layer; i++) {
    ae_layer_kind kind = spec->layers[i].kind;
    if (kind != AE_LAYER_DENSE && kind != AE_LAYER_GAUSSIAN) {
      return fail(p, s, "'mirror' mirrors dense encoders; write a convolutional decoder out");
    }
  }
  for (int32_t i = spec->code_layer - 1; i >= 0; i--) {
    ae_layer_spec l = spec->layers[i];
    ae_status st = push_layer(p, s, new_layer(AE_LAYER_DENSE, l.units, l.act));
    if (st != AE_OK) return st;
  }
  return push_layer(p, s, new_layer(AE_LAYER_DENSE, spec->output_size, out_act));
}

/* Appends an encoder or decoder layer (is_code: the code layer), checking
 * where its penalties may go. */
static ae_status add_hidden_layer(parser *p, const statement *s, ae_layer_spec l, int is_code) {
  const ae_layer_penalties *pen = &l.penalties;
  if (pen->contractive > 0 && p->seen_code && !is_code) {
    return fail(p, s, "contractive applies to encoder layers (up to 'code')");
  }
  if (pen->contractive > 0 && p->seen_contractive) {
    return fail(p, s, "contractive may be attached to one layer only");
  }
  ae_status st = push_layer(p, s, l);
  if (st != AE_OK) return st;
  p->seen_contractive |= pen->contractive > 0;
  if (is_code) {
    p->seen_code = 1;
    p->spec->code_layer = p->spec->n_layers - 1;
  } else if (p->seen_code) {
    p->seen_decoder_layer = 1;
  }
  return AE_OK;
}

/* A kernel (or pool, or upsampling) size: "K" or "KxK", K from 1 to 64. */
static ae_status parse_kernel(const parser *p, const statement *s, int i, int64_t *out) {
  char buf[16];
  if (s->len[i] >= (int64_t)sizeof buf) return fail(p, s, "kernel size is not K or KxK");
  memcpy(buf, s->word[i], (size_t)s->len[i]);
  buf[s->len[i]] = '\0';
  long long side[2] = {0, 0};
  int n = 0;
  for (const char *c = buf;;) {
    /* digits only: no sign, no space; at most 15 of them, so no overflow */
    if (*c < '0' || *c > '9') return fail(p, s, "kernel size is not K or KxK");
    char *end;
    side[n++] = strtoll(c, &end, 10);
    if (*end == '\0') break;
    if (*end != 'x' || n == 2) return fail(p, s, "kernel size is not K or KxK");
    c = end + 1;
  }
  if (n == 2 && side[0] != side[1]) return fail(p, s, "kernels are square: K or KxK");
  if (side[0] < 1 || side[0] > 64) return fail(p, s, "kernel sizes go from 1 to 64");
  *out = side[0];
  return AE_OK;
}

/* conv F K ACT, deconv F K ACT, maxpool K, upsample K, with K as "3" or "3x3"
 * (square kernels), then their KEY=VALUE words. */
static ae_status parse_spatial(parser *p, const statement *s, ae_layer_kind kind) {
  int filters = kind == AE_LAYER_CONV || kind == AE_LAYER_DECONV;
  int fixed = filters ? 4 : 2;
  if (s->n_words < fixed) {
    return expect_words(p, s, fixed, kind == AE_LAYER_CONV     ? "conv F K ACT [stride=S] [pad=same|valid|P]"
                                     : kind == AE_LAYER_DECONV ? "deconv F K ACT [stride=S] [pad=same|valid|P] [outpad=A]"
                                     : kind == AE_LAYER_MAXPOOL ? "maxpool K [stride=S] [pad=same|valid]"
                                                                : "upsample K");
  }
  if (kind == AE_LAYER_UPSAMPLE && s->n_words > fixed) {
    return expect_words(p, s, fixed, "upsample K"); /* no keys */
  }
  ae_layer_spec l = new_layer(kind, 0, AE_ACT_LINEAR);
  ae_status st;
  if (filters && (st = parse_width(p, s, 1, &l.units)) != AE_OK) return st;
  if ((st = parse_kernel(p, s, filters ? 2 : 1, &l.window.k)) != AE_OK) return st;
  if (filters && (st = parse_activation(p, s, 3, &l.act)) != AE_OK) return st;
  if (kind == AE_LAYER_MAXPOOL) l.window.stride = l.window.k;
  unsigned allowed = kind == AE_LAYER_UPSAMPLE  ? 0
                     : kind == AE_LAYER_MAXPOOL ? WINDOW_KEYS
                     : kind == AE_LAYER_CONV    ? WINDOW_KEYS | PENALTY_KEYS
                                                : WINDOW_KEYS | PENALTY_KEYS | (1u << KEY_OUTPAD);
  if ((st = parse_layer_options(p, s, fixed, allowed, &l)) != AE_OK) return st;
  if (kind == AE_LAYER_MAXPOOL && l.pad_mode == AE_PAD_EXPLICIT) {
    return fail(p, s, "maxpool takes pad=same or pad=valid");
  }
  return add_hidden_layer(p, s, l, 0);
}

static ae_status parse_statement(parser *p, const statement *s) {
  ae_spec *spec = p->spec;
  ae_status st;
  if (word_is(s, 0, "tied") && s->number > 1) {
    if (spec->tied) return fail(p, s, "'tied' appears twice");
    if ((st = expect_words(p, s, 1, "tied")) != AE_OK) return st;
    spec->tied = 1;
    return AE_OK;
  }
  if (p->seen_mirror) return fail(p, s, "nothing but 'tied' may follow 'mirror'");
  if (s->number == 1 && !word_is(s, 0, "input")) {
    return fail(p, s, "the spec must start with 'input N'");
  }
  if (word_is(s, 0, "input")) {
    if (s->number != 1) return fail(p, s, "'input' must be the first statement");
    if ((st = expect_words(p, s, 2, "input N or input CxHxW")) != AE_OK) return st;
    if ((st = parse_dims(p, s, 1, &spec->input_shape)) != AE_OK) return st;
    spec->output_shape = p->shape = spec->input_shape;
    spec->input_size = spec->output_size = ae_shape_size(spec->input_shape);
    return AE_OK;
  }
  if (word_is(s, 0, "output")) {
    if (p->seen_code) return fail(p, s, "'output' must come before 'code'");
    if ((st = expect_words(p, s, 2, "output N or output CxHxW")) != AE_OK) return st;
    if ((st = parse_dims(p, s, 1, &spec->output_shape)) != AE_OK) return st;
    spec->output_size = ae_shape_size(spec->output_shape);
    return AE_OK;
  }
  if (word_is(s, 0, "noise")) {
    if (spec->n_layers > 0 || p->seen_noise) {
      return fail(p, s, "'noise' must come once, before the first layer");
    }
    if (s->n_words < 3) return fail(p, s, "expected 'noise mask|gaussian|salt_pepper LEVEL [clip]'");
    ae_noise_spec *n = &spec->noise;
    if (word_is(s, 1, "mask")) n->kind = AE_NOISE_MASK;
    else if (word_is(s, 1, "gaussian")) n->kind = AE_NOISE_GAUSSIAN;
    else if (word_is(s, 1, "salt_pepper")) n->kind = AE_NOISE_SALT_PEPPER;
    else return fail(p, s, "unknown noise (expected mask, gaussian or salt_pepper)");
    int gaussian = n->kind == AE_NOISE_GAUSSIAN;
    if (gaussian) {
      st = parse_real(p, s, s->word[2], s->len[2], "sigma", 0, 1e3, 1, &n->level);
    } else {
      st = parse_real(p, s, s->word[2], s->len[2], "fraction", 0, 1, 1, &n->level);
      if (st == AE_OK && n->level >= 1) st = fail(p, s, "fraction must be below 1");
    }
    if (st != AE_OK) return st;
    n->clip = s->n_words == 4 && word_is(s, 3, "clip");
    if (s->n_words > 3 + (gaussian && n->clip)) {
      return fail(p, s, gaussian ? "expected 'noise gaussian SIGMA [clip]'"
                                 : "expected 'noise mask|salt_pepper FRACTION'");
    }
    p->seen_noise = 1;
    return AE_OK;
  }
  if (word_is(s, 0, "code") && s->n_words == 1) {
    /* `code` alone: the previous layer's output is the code */
    if (p->seen_code) return fail(p, s, "only one code layer is allowed");
    if (spec->n_layers == 0) return fail(p, s, "'code' alone marks the layer before it; there is none");
    p->seen_code = 1;
    spec->code_layer = spec->n_layers - 1;
    return AE_OK;
  }
  if (word_is(s, 0, "dense") || word_is(s, 0, "code")) {
    int is_code = word_is(s, 0, "code");
    if (s->n_words < 3) return expect_words(p, s, 3, is_code ? "code N ACT" : "dense N ACT");
    if (is_code && p->seen_code) return fail(p, s, "only one 'code' layer is allowed");
    ae_layer_spec l = new_layer(AE_LAYER_DENSE, 0, AE_ACT_LINEAR);
    if ((st = parse_width(p, s, 1, &l.units)) != AE_OK) return st;
    if ((st = parse_activation(p, s, 2, &l.act)) != AE_OK) return st;
    if ((st = parse_layer_options(p, s, 3, PENALTY_KEYS, &l)) != AE_OK) return st;
    return add_hidden_layer(p, s, l, is_code);
  }
  if (word_is(s, 0, "gaussian")) {
    if (p->seen_code) return fail(p, s, "only one code layer ('code' or 'gaussian') is allowed");
    if (s->n_words < 2) return expect_words(p, s, 2, "gaussian N [kl_weight=B] [warmup=E]");
    ae_layer_spec l = new_layer(AE_LAYER_GAUSSIAN, 0, AE_ACT_LINEAR);
    if ((st = parse_width(p, s, 1, &l.units)) != AE_OK) return st;
    if ((st = parse_gaussian_options(p, s, &l.penalties)) != AE_OK) return st;
    return add_hidden_layer(p, s, l, 1);
  }
  if (word_is(s, 0, "conv")) return parse_spatial(p, s, AE_LAYER_CONV);
  if (word_is(s, 0, "deconv")) return parse_spatial(p, s, AE_LAYER_DECONV);
  if (word_is(s, 0, "maxpool")) return parse_spatial(p, s, AE_LAYER_MAXPOOL);
  if (word_is(s, 0, "upsample")) return parse_spatial(p, s, AE_LAYER_UPSAMPLE);
  if (word_is(s, 0, "reshape")) {
    ae_shape to;
    if ((st = expect_words(p, s, 2, "reshape CxHxW")) != AE_OK) return st;
    if ((st = parse_dims(p, s, 1, &to)) != AE_OK) return st;
    if (ae_shape_size(to) != ae_shape_size(p->shape)) {
      char msg[128];
      snprintf(msg, sizeof msg, "%lld values cannot be reshaped to %lldx%lldx%lld",
               (long long)ae_shape_size(p->shape), (long long)to.c, (long long)to.h,
               (long long)to.w);
      return fail(p, s, msg);
    }
    p->shape = to;
    return AE_OK;
  }
  if (word_is(s, 0, "mirror")) {
    if (!p->seen_code) return fail(p, s, "'mirror' needs a 'code' layer before it");
    if (p->seen_decoder_layer) return fail(p, s, "'mirror' cannot follow decoder layers");
    if ((st = expect_words(p, s, 2, "mirror ACT")) != AE_OK) return st;
    ae_activation act;
    if ((st = parse_activation(p, s, 1, &act)) != AE_OK) return st;
    p->seen_mirror = 1;
    return expand_mirror(p, s, act);
  }
  return fail(p, s,
              "unknown statement (expected input, output, noise, dense, conv, deconv, maxpool, "
              "upsample, reshape, code, gaussian, mirror or tied)");
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Splits text at ';' and newlines, drops comments, and feeds each non-empty
 * statement to parse_statement. */
static ae_status parse_text(parser *p, const char *text) {
  int number = 0;
  const char *c = text;
  while (*c) {
    statement s;
    s.n_words = 0;
    int too_many = 0;
    while (*c && *c != ';' && *c != '\n') {
      if (*c == '#') {
        while (*c && *c != '\n') c++;
        break;
      }
      if (is_space(*c)) {
        c++;
        continue;
      }
      const char *start = c;
      while (*c && *c != ';' && *c != '\n' && *c != '#' && !is_space(*c)) c++;
      if (s.n_words == MAX_WORDS) {
        too_many = 1;
        continue;
      }
      s.word[s.n_words] = start;
      s.len[s.n_words] = c - start;
      s.n_words++;
    }
    if (*c) c++;
    if (s.n_words == 0) continue;
    s.number = ++number;
    if (too_many) return fail(p, &s, "too many words");
    ae_status st = parse_statement(p, &s);
    if (st != AE_OK) return st;
  }
  return AE_OK;
}

/* Tied weights need a decoder that mirrors the encoder: decoder layer i has
 * the transposed shape of encoder layer code - i. */
static ae_status check_tied(const parser *p) {
  const ae_spec *spec = p->spec;
  int32_t c = spec->code_layer;
  if (spec->layers[c].kind == AE_LAYER_GAUSSIAN) {
    return ae_fail(AE_ERR_SPEC,
                   "%s: 'tied' does not apply to a gaussian code layer (its matrix has two heads)",
                   p->caller);
  }
  for (int32_t i = 0; i < spec->n_layers; i++) {
    if (spec->layers[i].kind != AE_LAYER_DENSE) {
      return ae_fail(AE_ERR_SPEC, "%s: 'tied' applies to dense autoencoders only", p->caller);
    }
  }
  if (spec->n_layers != 2 * c + 2) {
    return ae_fail(AE_ERR_SPEC,
                   "%s: 'tied' needs a mirrored decoder: %d encoder layers but %d decoder layers",
                   p->caller, c + 1, spec->n_layers - c - 1);
  }
  for (int32_t i = 0; i <= c; i++) {
    int32_t e = c - i;
    int64_t enc_in = e > 0 ? spec->layers[e - 1].units : spec->input_size;
    int64_t dec_out = spec->layers[c + 1 + i].units;
    if (dec_out != enc_in) {
      return ae_fail(AE_ERR_SPEC,
                     "%s: 'tied' needs a mirrored decoder: decoder layer %d has %lld units, "
                     "the input of encoder layer %d has %lld",
                     p->caller, i + 1, (long long)dec_out, e + 1, (long long)enc_in);
    }
  }
  return AE_OK;
}

/* Pooling and upsampling have no weights; a model of only those would have
 * no parameters to train (and nothing for the optimizer to hold). */
static int has_weights(const ae_spec *spec) {
  for (int32_t i = 0; i < spec->n_layers; i++) {
    ae_layer_kind k = spec->layers[i].kind;
    if (k != AE_LAYER_MAXPOOL && k != AE_LAYER_UPSAMPLE) return 1;
  }
  return 0;
}

static ae_status check_complete(const parser *p) {
  const ae_spec *spec = p->spec;
  if (spec->input_size == 0) {
    return ae_fail(AE_ERR_SPEC, "%s: the spec is empty (expected 'input N; ...')", p->caller);
  }
  if (!p->seen_code) {
    return ae_fail(AE_ERR_SPEC, "%s: the spec has no 'code N ACT' layer", p->caller);
  }
  if (spec->code_layer == spec->n_layers - 1) {
    return ae_fail(AE_ERR_SPEC, "%s: the spec has no decoder (add layers after 'code' or 'mirror ACT')",
                   p->caller);
  }
  if (!has_weights(spec)) {
    return ae_fail(AE_ERR_SPEC,
                   "%s: the spec has no layer with weights (dense, code N, gaussian, conv or "
                   "deconv), so there is nothing to train",
                   p->caller);
  }
  const ae_layer_spec *last = &spec->layers[spec->n_layers - 1];
  ae_shape end = last->out_shape, want = spec->output_shape;
  int spatial = !ae_shape_is_flat(end) && !ae_shape_is_flat(want);
  if (!spatial && ae_shape_size(end) != spec->output_size) {
    return ae_fail(AE_ERR_SPEC, "%s: the decoder ends with %lld units but the output has %lld",
                   p->caller, (long long)ae_shape_size(end), (long long)spec->output_size);
  }
  if (spatial && (end.c != want.c || end.h != want.h || end.w != want.w)) {
    return ae_fail(AE_ERR_SPEC,
                   "%s: the decoder's last layer (layer %d) gives %lldx%lldx%lld but the output "
                   "is %lldx%lldx%lld",
                   p->caller, spec->n_layers, (long long)end.c, (long long)end.h,
                   (long long)end.w, (long long)want.c, (long long)want.h, (long long)want.w);
  }
  const ae_layer_penalties *pen = &last->penalties;
  if (pen->l1 > 0 || pen->kl_rho > 0 || pen->contractive > 0) {
    return ae_fail(AE_ERR_SPEC, "%s: penalties attach to hidden layers, not the output layer",
                   p->caller);
  }
  return spec->tied ? check_tied(p) : AE_OK;
}

ae_status ae_spec_parse(const char *text, const char *caller, ae_spec *out) {
  memset(out, 0, sizeof *out);
  parser p;
  memset(&p, 0, sizeof p);
  p.caller = caller;
  p.spec = out;
  ae_status st = parse_text(&p, text);
  if (st == AE_OK) st = check_complete(&p);
  if (st != AE_OK) ae_spec_free(out);
  return st;
}

void ae_spec_free(ae_spec *spec) {
  ae_free(spec->layers);
  memset(spec, 0, sizeof *spec);
}

