#include "spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

/* A statement split into at most MAX_WORDS words, pointing into the text. */
#define MAX_WORDS 8
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

/* The key=value words from word `first` on, into *pen. */
static ae_status parse_penalties(const parser *p, const statement *s, int first,
                                 ae_layer_penalties *pen) {
  static const char *const keys[] = {"l1", "kl", "kl_weight", "contractive"};
  int has_weight = 0;
  unsigned seen = 0;
  for (int i = first; i < s->n_words; i++) {
    const char *eq = memchr(s->word[i], '=', (size_t)s->len[i]);
    int64_t key_len = eq ? eq - s->word[i] : s->len[i];
    int k = 0;
    while (k < 4 && !((int64_t)strlen(keys[k]) == key_len &&
                      memcmp(keys[k], s->word[i], (size_t)key_len) == 0)) {
      k++;
    }
    if (!eq || k == 4) {
      return fail(p, s, "expected KEY=VALUE after the activation, with KEY one of l1, kl, "
                        "kl_weight, contractive");
    }
    if (seen & (1u << k)) {
      char msg[64];
      snprintf(msg, sizeof msg, "%s is given twice", keys[k]);
      return fail(p, s, msg);
    }
    seen |= 1u << k;
    const char *val = eq + 1;
    int64_t val_len = s->len[i] - key_len - 1;
    ae_status st;
    switch (k) {
      case 0: st = parse_real(p, s, val, val_len, "l1", 0, 1e3, 1, &pen->l1); break;
      case 1: st = parse_real(p, s, val, val_len, "kl", 0, 0.5, 1, &pen->kl_rho); break;
      case 2:
        has_weight = 1;
        st = parse_real(p, s, val, val_len, "kl_weight", 0, 1e3, 1, &pen->kl_beta);
        break;
      default:
        st = parse_real(p, s, val, val_len, "contractive", 0, 1e3, 1, &pen->contractive);
        break;
    }
    if (st != AE_OK) return st;
  }
  if (has_weight && pen->kl_rho == 0) return fail(p, s, "kl_weight needs kl=RHO");
  if (pen->kl_rho > 0 && !has_weight) pen->kl_beta = AE_KL_DEFAULT_BETA;
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

static ae_status push_layer(parser *p, const statement *s, int64_t units,
                            ae_activation act) {
  ae_spec *spec = p->spec;
  if (spec->n_layers >= AE_MAX_LAYERS) return fail(p, s, "too many layers (at most 256)");
  if (spec->n_layers == p->capacity) {
    int32_t cap = p->capacity ? p->capacity * 2 : 8;
    ae_layer_spec *grown = ae_malloc((size_t)cap, sizeof *grown);
    if (!grown) return ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory parsing the spec", p->caller);
    if (spec->n_layers) memcpy(grown, spec->layers, (size_t)spec->n_layers * sizeof *grown);
    ae_free(spec->layers);
    spec->layers = grown;
    p->capacity = cap;
  }
  spec->layers[spec->n_layers].kind = AE_LAYER_DENSE;
  spec->layers[spec->n_layers].units = units;
  spec->layers[spec->n_layers].act = act;
  memset(&spec->layers[spec->n_layers].penalties, 0, sizeof(ae_layer_penalties));
  spec->n_layers++;
  return AE_OK;
}

static ae_status expect_words(const parser *p, const statement *s, int n,
                              const char *usage) {
  if (s->n_words == n) return AE_OK;
  char msg[96];
  snprintf(msg, sizeof msg, "expected '%s'", usage);
  return fail(p, s, msg);
}

/* mirror ACT: the encoder's layers (those before the code layer) in reverse,
 * then one layer of the output width with activation ACT. */
static ae_status expand_mirror(parser *p, const statement *s, ae_activation out_act) {
  ae_spec *spec = p->spec;
  for (int32_t i = spec->code_layer - 1; i >= 0; i--) {
    ae_layer_spec l = spec->layers[i];
    ae_status st = push_layer(p, s, l.units, l.act);
    if (st != AE_OK) return st;
  }
  return push_layer(p, s, spec->output_size, out_act);
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
    if ((st = expect_words(p, s, 2, "input N")) != AE_OK) return st;
    if ((st = parse_width(p, s, 1, &spec->input_size)) != AE_OK) return st;
    spec->output_size = spec->input_size;
    return AE_OK;
  }
  if (word_is(s, 0, "output")) {
    if (p->seen_code) return fail(p, s, "'output' must come before 'code'");
    if ((st = expect_words(p, s, 2, "output N")) != AE_OK) return st;
    return parse_width(p, s, 1, &spec->output_size);
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
  if (word_is(s, 0, "dense") || word_is(s, 0, "code")) {
    int is_code = word_is(s, 0, "code");
    if (s->n_words < 3) return expect_words(p, s, 3, is_code ? "code N ACT" : "dense N ACT");
    if (is_code && p->seen_code) return fail(p, s, "only one 'code' layer is allowed");
    int64_t units;
    ae_activation act;
    ae_layer_penalties pen;
    memset(&pen, 0, sizeof pen);
    if ((st = parse_width(p, s, 1, &units)) != AE_OK) return st;
    if ((st = parse_activation(p, s, 2, &act)) != AE_OK) return st;
    if ((st = parse_penalties(p, s, 3, &pen)) != AE_OK) return st;
    if (pen.kl_rho > 0 && act != AE_ACT_SIGMOID) {
      return fail(p, s, "kl sparsity needs a sigmoid layer (mean activations in (0, 1))");
    }
    if (pen.contractive > 0 && p->seen_code && !is_code) {
      return fail(p, s, "contractive applies to encoder layers (up to 'code')");
    }
    if (pen.contractive > 0 && p->seen_contractive) {
      return fail(p, s, "contractive may be attached to one layer only");
    }
    p->seen_contractive |= pen.contractive > 0;
    if ((st = push_layer(p, s, units, act)) != AE_OK) return st;
    spec->layers[spec->n_layers - 1].penalties = pen;
    if (is_code) {
      p->seen_code = 1;
      spec->code_layer = spec->n_layers - 1;
    } else if (p->seen_code) {
      p->seen_decoder_layer = 1;
    }
    return AE_OK;
  }
  if (word_is(s, 0, "gaussian")) {
    if (p->seen_code) return fail(p, s, "only one code layer ('code' or 'gaussian') is allowed");
    if (s->n_words < 2) return expect_words(p, s, 2, "gaussian N [kl_weight=B] [warmup=E]");
    int64_t units;
    ae_layer_penalties pen;
    if ((st = parse_width(p, s, 1, &units)) != AE_OK) return st;
    if ((st = parse_gaussian_options(p, s, &pen)) != AE_OK) return st;
    if ((st = push_layer(p, s, units, AE_ACT_LINEAR)) != AE_OK) return st;
    spec->layers[spec->n_layers - 1].kind = AE_LAYER_GAUSSIAN;
    spec->layers[spec->n_layers - 1].penalties = pen;
    p->seen_code = 1;
    spec->code_layer = spec->n_layers - 1;
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
              "unknown statement (expected input, output, noise, dense, code, gaussian, mirror or tied)");
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
  const ae_layer_spec *last = &spec->layers[spec->n_layers - 1];
  if (last->units != spec->output_size) {
    return ae_fail(AE_ERR_SPEC,
                   "%s: the decoder ends with %lld units but the output has %lld",
                   p->caller, (long long)last->units, (long long)spec->output_size);
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

/* Appends " key=value" with the shortest text that reads back as `value`. */
static size_t put_real(char *text, size_t cap, size_t len, const char *key, double value) {
  char num[32];
  snprintf(num, sizeof num, "%.15g", value);
  if (strtod(num, NULL) != value) snprintf(num, sizeof num, "%.17g", value);
  return len + (size_t)snprintf(text + len, cap - len, "%s%s%s", key, key[0] ? "=" : "", num);
}

static const char *const noise_names[] = {"none", "mask", "gaussian", "salt_pepper"};

char *ae_spec_format(const ae_spec *spec) {
  /* A layer is at most "; code 16777216 leaky_relu" plus four key=value words
   * of up to 40 bytes: 250 bytes is ample. */
  size_t cap = 160 + (size_t)spec->n_layers * 250;
  char *text = ae_malloc(cap, 1);
  if (!text) return NULL;
  size_t len = (size_t)snprintf(text, cap, "input %lld", (long long)spec->input_size);
  if (spec->output_size != spec->input_size) {
    len += (size_t)snprintf(text + len, cap - len, "; output %lld", (long long)spec->output_size);
  }
  if (spec->noise.kind != AE_NOISE_NONE) {
    len += (size_t)snprintf(text + len, cap - len, "; noise %s ", noise_names[spec->noise.kind]);
    len = put_real(text, cap, len, "", spec->noise.level);
    if (spec->noise.clip) len += (size_t)snprintf(text + len, cap - len, " clip");
  }
  for (int32_t i = 0; i < spec->n_layers; i++) {
    const ae_layer_spec *l = &spec->layers[i];
    const ae_layer_penalties *pen = &l->penalties;
    if (l->kind == AE_LAYER_GAUSSIAN) {
      len += (size_t)snprintf(text + len, cap - len, "; gaussian %lld", (long long)l->units);
      if (pen->vae_beta != AE_VAE_DEFAULT_BETA) len = put_real(text, cap, len, " kl_weight", pen->vae_beta);
      if (pen->vae_warmup > 0) {
        len += (size_t)snprintf(text + len, cap - len, " warmup=%lld", (long long)pen->vae_warmup);
      }
      continue;
    }
    len += (size_t)snprintf(text + len, cap - len, "; %s %lld %s",
                            i == spec->code_layer ? "code" : "dense",
                            (long long)l->units, ae_activation_name(l->act));
    if (pen->l1 > 0) len = put_real(text, cap, len, " l1", pen->l1);
    if (pen->kl_rho > 0) {
      len = put_real(text, cap, len, " kl", pen->kl_rho);
      len = put_real(text, cap, len, " kl_weight", pen->kl_beta);
    }
    if (pen->contractive > 0) len = put_real(text, cap, len, " contractive", pen->contractive);
  }
  if (spec->tied) len += (size_t)snprintf(text + len, cap - len, "; tied");
  return text;
}
