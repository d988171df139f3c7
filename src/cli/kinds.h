/* kinds.h -- the kinds of autoencoder `ae train --kind` offers. A kind is a
 * table entry: a default architecture (a spec template, since libae's kinds
 * are words of the spec: penalties, `noise`, `gaussian`), a default code
 * width, and the training options it sets before the user's flags. A new kind
 * in the library is one entry in kinds.c. What a model is (denoising,
 * variational) is read from its spec, so pictures and reports also work for
 * models built with --spec. */
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
   * width, {H} and {W} for its image height and width, {K} for the code
   * width (--code-size, else code_size; the code's channels for a
   * convolutional kind). */
  const char *spec;
  int64_t code_size;
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

/* The values of a spec template's placeholders. */
typedef struct spec_values {
  int64_t d, k, h, w; /* {D}, {K}, {H}, {W} */
} spec_values;

/* Replaces the placeholders of a spec template. A new string to free, or NULL
 * when out of memory. */
char *spec_expand(const char *spec, const spec_values *v);

/* Whether a spec template uses the image shape ({H} or {W}). */
int spec_wants_image(const char *spec);

/* The first statement of a spec that begins with the word `keyword` (a
 * pointer to it within spec), or NULL. */
const char *spec_statement(const char *spec, const char *keyword);

/* Whether the model is variational (a `gaussian` code layer). */
int model_is_variational(const ae_model *model);

#endif
