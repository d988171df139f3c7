/* cmd_sample.c -- `ae sample`: new rows drawn from a variational model
 * (ae_sample: codes z ~ N(0, I), decoded). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "data.h"
#include "modelfile.h"
#include "msg.h"
#include "output.h"
#include "pictures.h"
#include "threads.h"

typedef struct sample_args {
  cli_common common;
  const char *output, *png, *image_shape;
  int64_t count, seed;
  int csv;
} sample_args;

static const cli_command command = {
    "sample", "MODEL [-n N] -o OUT [options]",
    "Draws N new rows from a variational model (trained with --kind variational, or any spec "
    "with a `gaussian` code layer): codes z ~ N(0, I) from --seed, decoded. Writes a float32 "
    ".npy (or CSV) and, with --png, a grid of the first 32.",
    NULL, 1, 1};

int cmd_sample(int argc, char **argv) {
  sample_args a;
  memset(&a, 0, sizeof a);
  a.count = 64;
  a.seed = 1;
  const cli_arg args[] = {
      {"count", 'n', ARG_INT, &a.count, "N", "how many rows to draw (default 64)"},
      {"seed", 0, ARG_INT, &a.seed, "S", "seed of the draws (default 1): same seed, same rows"},
      {"output", 'o', ARG_STRING, &a.output, "FILE",
       "where to write the rows: .npy (float32), or CSV for a name ending in .csv"},
      {"csv", 0, ARG_FLAG, &a.csv, NULL, "write CSV whatever the name"},
      {"png", 0, ARG_STRING, &a.png, "FILE", "grid of the first 32 rows drawn, as images"},
      {"image-shape", 0, ARG_STRING, &a.image_shape, "HxW",
       "image shape for --png (default: square)"},
      ARGS_COMMON(&a.common),
  };
  const char *pos[1];
  int n_pos;
  int rc = args_parse(&command, args, sizeof args / sizeof args[0], NULL, argc, argv, pos, &n_pos);
  if (rc != ARGS_GO_ON) return rc;
  if (!a.output && !a.png) return msg_usage("nothing to write: give -o FILE and/or --png FILE");
  if (a.count < 1 || a.count > (1 << 24)) return msg_usage("-n %lld is outside 1 to 2^24", (long long)a.count);
  if (a.seed < 0) return msg_usage("--seed must be 0 or more");
  if (output_check(a.output, a.common.force) || output_check(a.png, a.common.force)) {
    return CLI_FAIL;
  }
  if ((rc = threads_set(a.common.threads)) != CLI_OK) return rc;
  ae_model *model;
  if (model_load(pos[0], &model, NULL) != CLI_OK) return CLI_FAIL;
  int64_t d = ae_output_size(model), h = 0, w = 0;
  if (a.png) rc = data_image_shape(d, 0, 0, a.image_shape, &h, &w);
  float *y = rc == CLI_OK ? malloc((size_t)(a.count * d) * sizeof *y) : NULL;
  if (rc == CLI_OK && !y) rc = msg_no_memory("for the samples");
  if (rc == CLI_OK) {
    ae_status st = ae_sample(model, a.count, (uint64_t)a.seed, y, d);
    if (st != AE_OK) rc = msg_ae(st, pos[0]);
  }
  if (rc == CLI_OK && a.output) rc = output_matrix(a.output, a.common.force, a.csv, y, a.count, d, 0);
  if (rc == CLI_OK && a.png) {
    const float *sets[1] = {y};
    rc = picture_grid(a.png, a.common.force, sets, 1, a.count < 32 ? a.count : 32, h, w);
  }
  if (rc == CLI_OK && !a.common.quiet) {
    fprintf(stderr, "%s: %lld rows of %lld values%s%s%s%s\n", msg_prefix(), (long long)a.count,
            (long long)d, a.output ? " -> " : "", a.output ? a.output : "",
            a.png ? "; picture " : "", a.png ? a.png : "");
  }
  free(y);
  ae_model_free(model);
  return rc;
}
