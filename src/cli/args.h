/* args.h -- command-line options: each command describes its options in a
 * table (name, kind, where the value goes, help text); one parser and one help
 * printer serve every command. Training options of the library (AE_OPT_*) come
 * from their own table (modelopts.h) and are accepted where a command asks. */
#ifndef AE_CLI_ARGS_H
#define AE_CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "modelopts.h"

typedef enum cli_arg_kind {
  ARG_FLAG,   /* no value; target is int *, set to 1 */
  ARG_STRING, /* target is const char **, pointing into argv */
  ARG_INT,    /* target is int64_t * */
  ARG_NUMBER  /* target is double *, finite */
} cli_arg_kind;

typedef struct cli_arg {
  const char *name;    /* long name without "--" */
  char letter;         /* short name ("-o"), or 0 */
  cli_arg_kind kind;
  void *target;
  const char *metavar; /* the value's name in the help ("FILE"); NULL for flags */
  const char *help;
} cli_arg;

typedef struct cli_command {
  const char *name;             /* "train" */
  const char *usage;            /* what follows "ae train " in the usage line */
  const char *about;            /* a paragraph on what the command does */
  void (*more_help)(FILE *out); /* extra help sections, or NULL */
  int min_positional, max_positional;
} cli_command;

/* Options every command takes, with the fields they set. */
typedef struct cli_common {
  int force;       /* replace existing output files */
  int quiet;       /* nothing on stderr but errors */
  int64_t threads; /* BLAS threads, 0 = the BLAS default */
} cli_common;

#define ARGS_COMMON(c)                                                                      \
  {"force", 'f', ARG_FLAG, &(c)->force, NULL, "replace output files that already exist"},  \
  {"quiet", 'q', ARG_FLAG, &(c)->quiet, NULL, "print nothing on stderr but errors"},       \
  {"threads", 0, ARG_INT, &(c)->threads, "N",                                               \
   "BLAS threads (default: OpenBLAS's own choice, all cores)"}

/* Options several commands take, worded alike. */
#define ARGS_JSON(flag) \
  {"json", 0, ARG_FLAG, (flag), NULL, "print a JSON summary on stdout instead of text"}
#define ARGS_NO_SCALE(flag) \
  {"no-scale", 0, ARG_FLAG, (flag), NULL, \
   "keep uint8 values in 0..255 (default: divide by 255, in every command alike)"}

/* args_parse returns this when the command should go on; any other value is
 * the exit code (0 after --help, CLI_USAGE after a message). */
#define ARGS_GO_ON (-1)

/* Parses argv[1..argc) (argv[0] is the command name) into the targets of
 * `args`; positional arguments go to positional[0..*n_positional), at most
 * cmd->max_positional of them. Where `model_options` is not NULL, the flags
 * of the AE_OPT_* table are accepted too and recorded there. */
int args_parse(const cli_command *cmd, const cli_arg *args, size_t n_args,
               modelopt_values *model_options, int argc, char **argv,
               const char **positional, int *n_positional);

/* Prints one option line of a help text: `names` in the left column, `help`
 * wrapped beside it. */
void args_print_option(FILE *out, const char *names, const char *help);

/* Prints a paragraph wrapped to 79 columns ('\n' starts a new line). */
void args_print_paragraph(FILE *out, const char *text);

/* Parses "0,2,5-7" into values[0..*count), at most `max`, each in [0, 2^31).
 * On a bad list prints a message naming `flag` and returns CLI_USAGE. */
int args_int_list(const char *flag, const char *text, int64_t *values, int max, int *count);

/* Parses "28x28" (rows x columns of an image). CLI_USAGE with a message on
 * failure. */
int args_image_shape(const char *flag, const char *text, int64_t *height, int64_t *width);

#endif
