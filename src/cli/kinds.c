/* kinds.c -- the table of autoencoder kinds, and reading a spec. */
#include "kinds.h"

#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "msg.h"

/* Losses per row: the unit in which the contractive weight means what it
 * means in Rifai et al. (2011). */
static const kind_setting per_row[] = {{AE_OPT_LOSS_REDUCTION, AE_REDUCTION_SUM}};
/* Binary cross-entropy, summed per row by a variational model's default:
 * the negative ELBO in nats, as pytorch/examples' VAE. */
static const kind_setting bce[] = {{AE_OPT_LOSS, AE_LOSS_BCE}};

#define SETTINGS(s) (s), sizeof(s) / sizeof((s)[0])

static const cli_kind table[] = {
    {"plain", "a dense autoencoder trained on the reconstruction loss alone",
     "input {D}; dense 256 relu; code {K} linear; mirror sigmoid", 32, NULL, 0},
    {"sparse", "an L1 activity penalty on the code (Keras's sparse autoencoder)",
     "input {D}; dense 256 relu; code {K} relu l1=1e-4; mirror sigmoid", 32, NULL, 0},
    {"denoising",
     "every training batch is corrupted afresh (30% of the inputs set to 0), the loss measured "
     "against the clean rows; --png shows clean, corrupted and denoised rows",
     "input {D}; noise mask 0.3; dense 256 relu; code {K} linear; mirror sigmoid", 32, NULL, 0},
    {"contractive",
     "a penalty 0.1 * |d code / d x|^2 per row on a one-layer sigmoid encoder (Rifai et al.); "
     "losses per row",
     "input {D}; code {K} sigmoid contractive=0.1; mirror sigmoid", 64, SETTINGS(per_row)},
    {"variational",
     "a VAE: gaussian code layer, BCE summed per row plus the KL term (the negative ELBO); "
     "ae sample draws new rows",
     "input {D}; dense 400 relu; gaussian {K}; mirror sigmoid", 20, SETTINGS(bce)},
    {"convolutional",
     "a convolutional autoencoder on one-channel images; the code is K channels at a quarter "
     "of the image's height and width",
     "input 1x{H}x{W}; conv 16 3 relu; maxpool 2; conv {K} 3 relu; maxpool 2; code; "
     "deconv {K} 3 relu stride=2; deconv 16 3 relu stride=2; conv 1 3 sigmoid",
     4, NULL, 0},
};

#define N_KINDS (sizeof table / sizeof table[0])

const cli_kind *kind_find(const char *name) {
  for (size_t i = 0; i < N_KINDS; i++) {
    if (!strcmp(table[i].name, name)) return &table[i];
  }
  return NULL;
}

const cli_kind *kind_default(void) { return &table[0]; }

int kind_apply(const cli_kind *kind, ae_model *model) {
  for (size_t i = 0; i < kind->n_settings; i++) {
    ae_status st = ae_set_option(model, kind->settings[i].option, kind->settings[i].value);
    if (st != AE_OK) return msg_ae(st, kind->name);
  }
  return CLI_OK;
}

void kind_help(FILE *out) {
  fprintf(out, "\nKinds (--kind):\n");
  for (size_t i = 0; i < N_KINDS; i++) {
    char help[512];
    snprintf(help, sizeof help, "%s. Spec \"%s\", K = %lld", table[i].help, table[i].spec,
             (long long)table[i].code_size);
    args_print_option(out, table[i].name, help);
  }
}

char *spec_expand(const char *spec, const spec_values *v) {
  size_t cap = strlen(spec) + 1;
  for (const char *p = spec; (p = strchr(p, '{')); p++) cap += 20; /* room per placeholder */
  char *out = malloc(cap);
  if (!out) return NULL;
  size_t len = 0;
  for (const char *p = spec; *p;) {
    const char *names = "DKHW";
    const char *which = p[0] == '{' && p[1] && p[2] == '}' ? strchr(names, p[1]) : NULL;
    if (which) {
      const int64_t values[4] = {v->d, v->k, v->h, v->w};
      len += (size_t)snprintf(out + len, cap - len, "%lld", (long long)values[which - names]);
      p += 3;
    } else {
      out[len++] = *p++;
    }
  }
  out[len] = '\0';
  return out;
}

int spec_wants_image(const char *spec) { return strstr(spec, "{H}") || strstr(spec, "{W}"); }

const char *spec_statement(const char *spec, const char *keyword) {
  size_t len = strlen(keyword);
  const char *p = spec;
  while (*p) {
    while (*p == ' ' || *p == ';' || *p == '\n' || *p == '\t') p++;
    if (!strncmp(p, keyword, len) && (p[len] == ' ' || p[len] == ';' || !p[len])) return p;
    while (*p && *p != ';' && *p != '\n') p++;
  }
  return NULL;
}

int model_is_variational(const ae_model *model) {
  return spec_statement(ae_model_spec(model), "gaussian") != NULL;
}
