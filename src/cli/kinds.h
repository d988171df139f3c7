/* kinds.h -- the kinds of autoencoder `ae train --kind` offers. A kind is a
 * table entry: a default architecture (a spec template) and the training
 * options it sets before the user's flags. New kinds in the library (sparse,
 * denoising, contractive: new AE_OPT_*; variational, convolutional: new spec
 * statements) each become one entry in kinds.c. */
#ifndef AE_CLI_KINDS_H
#define AE_CLI_KINDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ae.h"

/* An option a kind sets, before the command line's own options. */
typedef struct kind_setting {
  ae_option option;
  double value;
} kind_setting;

typedef struct cli_kind {
  const char *name;
  const char *help;
  /* The architecture when --spec is not given: {D} stands for the data's
   * width, {K} for the code width (--code-size, default 32). */
  const char *spec;
  const kind_setting *settings;
  size_t n_settings;
} cli_kind;

/* The kind with this name, or NULL. */
const cli_kind *kind_find(const char *name);
/* The default kind ("plain"). */
const cli_kind *kind_default(void);
/* Sets the kind's options on the model; CLI_FAIL with a message on refusal. */
int kind_apply(const cli_kind *kind, ae_model *model);
/* The "Kinds" section of `ae train --help`. */
void kind_help(FILE *out);

/* Replaces {D} by d and {K} by k in a spec template. A new string to free,
 * or NULL when out of memory. */
char *spec_expand(const char *spec, int64_t d, int64_t k);

#endif
