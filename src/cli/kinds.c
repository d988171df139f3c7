/* kinds.c -- the table of autoencoder kinds. */
#include "kinds.h"

#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "msg.h"

#define DENSE_SPEC "input {D}; dense 256 relu; code {K} linear; mirror sigmoid"

static const cli_kind table[] = {
    {"plain", "a dense autoencoder trained on the reconstruction loss alone", DENSE_SPEC, NULL,
     0},
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
    snprintf(help, sizeof help, "%s; default spec \"%s\"", table[i].help, table[i].spec);
    args_print_option(out, table[i].name, help);
  }
}

char *spec_expand(const char *spec, int64_t d, int64_t k) {
  size_t cap = strlen(spec) + 1;
  for (const char *p = spec; (p = strchr(p, '{')); p++) cap += 20; /* room per placeholder */
  char *out = malloc(cap);
  if (!out) return NULL;
  size_t len = 0;
  for (const char *p = spec; *p;) {
    if (!strncmp(p, "{D}", 3) || !strncmp(p, "{K}", 3)) {
      len += (size_t)snprintf(out + len, cap - len, "%lld", (long long)(p[1] == 'D' ? d : k));
      p += 3;
    } else {
      out[len++] = *p++;
    }
  }
  out[len] = '\0';
  return out;
}
