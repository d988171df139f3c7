/* modelopts.h -- the table that maps command-line flags to the library's
 * training options (AE_OPT_*). A new option in ae.h is one line in modelopts.c:
 * its flag, its AE_OPT_* and its help; the range and default shown in the help
 * come from ae_option_bounds, the checks from ae_set_option, and `ae info`
 * lists it through ae_get_option. */
#ifndef AE_CLI_MODELOPTS_H
#define AE_CLI_MODELOPTS_H

#include <stddef.h>
#include <stdio.h>

#include "ae.h"

/* A named value of an enum-like option ("adam" for AE_OPTIMIZER_ADAM). */
typedef struct modelopt_name {
  const char *name;
  double value;
} modelopt_name;

typedef struct modelopt {
  const char *flag;           /* without "--" */
  ae_option option;
  const char *metavar;        /* the value in the help: "N", "X", "NAME" */
  const char *help;
  const modelopt_name *names; /* named values, ending with {NULL, 0}; NULL for numbers */
} modelopt;

#define MODELOPT_MAX 64

/* Values given on the command line, indexed like the table. */
typedef struct modelopt_values {
  double value[MODELOPT_MAX];
  unsigned char given[MODELOPT_MAX];
} modelopt_values;

size_t modelopt_count(void);
const modelopt *modelopt_at(size_t i);
/* The index of the entry with this flag, or -1. */
int modelopt_find(const char *flag);
/* The index of the entry for this option, or -1. */
int modelopt_find_option(ae_option option);

/* Reads the text of entry i's value (a name or a number). CLI_USAGE with a
 * message naming the flag when it is neither. */
int modelopt_parse(size_t i, const char *text, double *value);

/* Sets every given value on the model; the first refusal is printed with its
 * flag and returned (CLI_USAGE for a value out of range). */
int modelopt_apply(ae_model *model, const modelopt_values *values);

/* The value as the user would write it: a name or a number. Returns buf. */
const char *modelopt_format(size_t i, double value, char *buf, size_t size);

/* The "Training options" section of `ae train --help`. */
void modelopt_help(FILE *out);

#endif
