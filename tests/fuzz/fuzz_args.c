/* fuzz_args.c -- the `ae` command's hand-written option parsing
 * (src/cli/args.c, modelopts.c): args_parse over a table with every kind of
 * option plus the training options, and the value parsers of list and shape
 * options. The input is split at NUL bytes into the arguments (at most 64).
 * Properties: the parser returns ARGS_GO_ON, CLI_OK (after --help) or
 * CLI_USAGE; positional arguments never exceed the command's maximum; each
 * value parser either fails with CLI_USAGE or gives values in its range. */
#include <math.h>

#include "fuzz.h"

#include "args.h"
#include "msg.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  FUZZ_CHECK(text);
  memcpy(text, data, size);
  text[size] = '\0';
  char *argv[MAX_ARGS + 2];
  int argc = 0;
  argv[argc++] = "cmd";
  for (char *p = text; p <= text + size && argc <= MAX_ARGS; p += strlen(p) + 1) argv[argc++] = p;
  argv[argc] = NULL;

  cli_common common = {0, 0, 0};
  const char *out = NULL, *shape = NULL, *labels = NULL;
  int64_t count = -1;
  double rate = -1;
  int json = 0;
  cli_arg args[] = {
      ARGS_COMMON(&common),
      {"output", 'o', ARG_STRING, &out, "FILE", "output"},
      {"count", 'n', ARG_INT, &count, "N", "count"},
      {"rate", 'r', ARG_NUMBER, &rate, "X", "rate"},
      {"image-shape", 0, ARG_STRING, &shape, "HxW", "shape"},
      {"labels", 'l', ARG_STRING, &labels, "LIST", "labels"},
      ARGS_JSON(&json),
  };
  static const cli_command cmd = {"fuzz", "IN [OUT]", "Fuzzing the parser.", NULL, 1, 2};
  modelopt_values mo;
  memset(&mo, 0, sizeof mo);
  const char *positional[2] = {NULL, NULL};
  int n_positional = -1;
  int rc = args_parse(&cmd, args, sizeof args / sizeof args[0], &mo, argc, argv, positional,
                      &n_positional);
  FUZZ_CHECK(rc == ARGS_GO_ON || rc == CLI_OK || rc == CLI_USAGE);
  FUZZ_CHECK(n_positional >= 0 && n_positional <= cmd.max_positional);
  if (rc == ARGS_GO_ON) FUZZ_CHECK(n_positional >= cmd.min_positional);
  if (rate != -1) FUZZ_CHECK(isfinite(rate));
  for (size_t i = 0; i < MODELOPT_MAX; i++) {
    if (mo.given[i]) FUZZ_CHECK(i < modelopt_count() && isfinite(mo.value[i]));
  }

  /* the value parsers, on every argument */
  for (int i = 1; i < argc; i++) {
    int64_t values[16];
    int n = -1;
    rc = args_int_list("--labels", argv[i], values, 16, &n);
    FUZZ_CHECK(rc == CLI_OK || rc == CLI_USAGE);
    if (rc == CLI_OK) {
      FUZZ_CHECK(n >= 1 && n <= 16);
      for (int j = 0; j < n; j++) FUZZ_CHECK(values[j] >= 0 && values[j] <= INT32_MAX);
    }
    int64_t h = 0, w = 0;
    rc = args_image_shape("--image-shape", argv[i], &h, &w);
    FUZZ_CHECK(rc == CLI_OK || rc == CLI_USAGE);
    if (rc == CLI_OK) FUZZ_CHECK(h >= 1 && h <= 1 << 20 && w >= 1 && w <= 1 << 20);
    double v = 0;
    size_t which = (size_t)(unsigned char)argv[i][0] % modelopt_count();
    rc = modelopt_parse(which, argv[i], &v);
    FUZZ_CHECK(rc == CLI_OK || rc == CLI_USAGE);
    if (rc == CLI_OK) FUZZ_CHECK(isfinite(v));
  }
  free(text);
  return 0;
}
