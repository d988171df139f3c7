/* args.c -- the option parser and help printer shared by every command. */
#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

#define HELP_COLUMN 28
#define LINE_WIDTH 79

/* Prints `text` from column `col` (the cursor is there), wrapping at words to
 * LINE_WIDTH; continuation lines, and lines after a '\n' in text, start at
 * column `indent`. Ends the line. */
static void print_wrapped(FILE *out, int col, int indent, const char *text) {
  int start = col;
  for (const char *p = text; *p;) {
    if (*p == '\n') {
      fprintf(out, "\n%*s", indent, "");
      col = start = indent;
      p++;
      continue;
    }
    const char *word = p;
    while (*p && *p != ' ' && *p != '\n') p++;
    int len = (int)(p - word);
    if (col > start && col + 1 + len > LINE_WIDTH) {
      fprintf(out, "\n%*s", indent, "");
      col = start = indent;
    } else if (col > start) {
      fputc(' ', out);
      col++;
    }
    fwrite(word, 1, (size_t)len, out);
    col += len;
    while (*p == ' ') p++;
  }
  fputc('\n', out);
}

void args_print_option(FILE *out, const char *names, const char *help) {
  int col = fprintf(out, "  %s", names);
  if (col >= HELP_COLUMN - 1) {
    fprintf(out, "\n");
    col = 0;
  }
  fprintf(out, "%*s", HELP_COLUMN - col, "");
  print_wrapped(out, HELP_COLUMN, HELP_COLUMN, help);
}

void args_print_paragraph(FILE *out, const char *text) { print_wrapped(out, 0, 0, text); }

static void print_help(const cli_command *cmd, const cli_arg *args, size_t n_args,
                       int model_options) {
  printf("usage: ae %s %s\n\n", cmd->name, cmd->usage);
  args_print_paragraph(stdout, cmd->about);
  printf("\nOptions:\n");
  for (size_t i = 0; i < n_args; i++) {
    char names[64];
    int len = 0;
    if (args[i].letter) len = snprintf(names, sizeof names, "-%c, ", args[i].letter);
    snprintf(names + len, sizeof names - (size_t)len, "--%s%s%s", args[i].name,
             args[i].metavar ? " " : "", args[i].metavar ? args[i].metavar : "");
    args_print_option(stdout, names, args[i].help);
  }
  args_print_option(stdout, "-h, --help", "show this help and exit");
  if (model_options) modelopt_help(stdout);
  if (cmd->more_help) cmd->more_help(stdout);
}

static const cli_arg *find_long(const cli_arg *args, size_t n, const char *name, size_t len) {
  for (size_t i = 0; i < n; i++) {
    if (strlen(args[i].name) == len && !strncmp(args[i].name, name, len)) return &args[i];
  }
  return NULL;
}

static const cli_arg *find_short(const cli_arg *args, size_t n, char letter) {
  for (size_t i = 0; i < n; i++) {
    if (args[i].letter == letter) return &args[i];
  }
  return NULL;
}

/* Stores `text` as the value of `a`, named `shown` in messages. */
static int store(const cli_arg *a, const char *shown, const char *text) {
  char *end;
  switch (a->kind) {
  case ARG_FLAG:
    *(int *)a->target = 1;
    return CLI_OK;
  case ARG_STRING:
    *(const char **)a->target = text;
    return CLI_OK;
  case ARG_INT: {
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end || errno) return msg_usage("%s: '%s' is not a whole number", shown, text);
    *(int64_t *)a->target = v;
    return CLI_OK;
  }
  case ARG_NUMBER: {
    double v = strtod(text, &end);
    if (end == text || *end || !isfinite(v)) return msg_usage("%s: '%s' is not a number", shown, text);
    *(double *)a->target = v;
    return CLI_OK;
  }
  }
  return CLI_USAGE;
}

/* Handles "--name", "--name=value" and "--name value" at argv[*i]. */
static int parse_long(const cli_arg *args, size_t n_args, modelopt_values *mo, int argc,
                      char **argv, int *i) {
  const char *name = argv[*i] + 2;
  const char *eq = strchr(name, '=');
  size_t len = eq ? (size_t)(eq - name) : strlen(name);
  const cli_arg *a = find_long(args, n_args, name, len);
  int mi = -1;
  if (!a && mo) {
    char flag[64];
    if (len < sizeof flag) {
      memcpy(flag, name, len);
      flag[len] = '\0';
      mi = modelopt_find(flag);
    }
  }
  if (!a && mi < 0) return msg_usage("unknown option '--%.*s'", (int)len, name);
  int wants_value = a ? a->kind != ARG_FLAG : 1;
  const char *value = NULL;
  if (eq) {
    if (!wants_value) return msg_usage("option '--%.*s' takes no value", (int)len, name);
    value = eq + 1;
  } else if (wants_value) {
    if (*i + 1 >= argc) return msg_usage("option '--%.*s' needs a value", (int)len, name);
    value = argv[++*i];
  }
  if (a) {
    char shown[80];
    snprintf(shown, sizeof shown, "--%.*s", (int)len, name);
    return store(a, shown, value);
  }
  if (modelopt_parse((size_t)mi, value, &mo->value[mi]) != CLI_OK) return CLI_USAGE;
  mo->given[mi] = 1;
  return CLI_OK;
}

/* Handles "-o FILE", "-oFILE" and bundled flags "-fq" at argv[*i]. */
static int parse_short(const cli_arg *args, size_t n_args, int argc, char **argv, int *i) {
  for (const char *p = argv[*i] + 1; *p; p++) {
    const cli_arg *a = find_short(args, n_args, *p);
    if (!a) return msg_usage("unknown option '-%c'", *p);
    char shown[4] = {'-', *p, '\0', '\0'};
    if (a->kind == ARG_FLAG) {
      store(a, shown, NULL);
      continue;
    }
    if (p[1]) return store(a, shown, p + 1);
    if (*i + 1 >= argc) return msg_usage("option '-%c' needs a value", *p);
    return store(a, shown, argv[++*i]);
  }
  return CLI_OK;
}

int args_parse(const cli_command *cmd, const cli_arg *args, size_t n_args,
               modelopt_values *model_options, int argc, char **argv,
               const char **positional, int *n_positional) {
  *n_positional = 0;
  int only_positional = 0;
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    int rc = CLI_OK;
    if (only_positional || s[0] != '-' || !s[1]) {
      if (*n_positional >= cmd->max_positional) {
        return msg_usage("unexpected argument '%s' (usage: ae %s %s)", s, cmd->name, cmd->usage);
      }
      positional[(*n_positional)++] = s;
    } else if (!strcmp(s, "--")) {
      only_positional = 1;
    } else if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
      print_help(cmd, args, n_args, model_options != NULL);
      return CLI_OK;
    } else if (s[1] == '-') {
      rc = parse_long(args, n_args, model_options, argc, argv, &i);
    } else {
      rc = parse_short(args, n_args, argc, argv, &i);
    }
    if (rc != CLI_OK) return rc;
  }
  if (*n_positional < cmd->min_positional) {
    return msg_usage("missing arguments (usage: ae %s %s)", cmd->name, cmd->usage);
  }
  return ARGS_GO_ON;
}

/* Reads a whole number in [0, 2^31) at *p, advancing *p. */
static int read_label(const char **p, int64_t *v) {
  char *end;
  errno = 0;
  long long x = strtoll(*p, &end, 10);
  if (end == *p || errno || x < 0 || x > INT32_MAX || **p == '-' || **p == '+') return -1;
  *p = end;
  *v = x;
  return 0;
}

int args_int_list(const char *flag, const char *text, int64_t *values, int max, int *count) {
  *count = 0;
  const char *p = text;
  for (;;) {
    int64_t lo, hi;
    if (read_label(&p, &lo) != 0) break;
    hi = lo;
    if (*p == '-') {
      p++;
      if (read_label(&p, &hi) != 0 || hi < lo) break;
    }
    for (int64_t v = lo; v <= hi; v++) {
      if (*count >= max) return msg_usage("%s: more than %d values in '%s'", flag, max, text);
      values[(*count)++] = v;
    }
    if (!*p) return CLI_OK;
    if (*p++ != ',') break;
  }
  return msg_usage("%s: '%s' is not a list like 0,2,5-7", flag, text);
}

int args_image_shape(const char *flag, const char *text, int64_t *height, int64_t *width) {
  char *end;
  long long h = strtoll(text, &end, 10);
  if (end != text && (*end == 'x' || *end == 'X') && h > 0 && h <= 1 << 20) {
    const char *p = end + 1;
    long long w = strtoll(p, &end, 10);
    if (end != p && !*end && w > 0 && w <= 1 << 20) {
      *height = h;
      *width = w;
      return CLI_OK;
    }
  }
  return msg_usage("%s: '%s' is not an image shape like 28x28", flag, text);
}
