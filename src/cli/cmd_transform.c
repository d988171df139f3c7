/* cmd_transform.c -- `ae encode`, `ae decode` and `ae reconstruct`: rows in,
 * rows out (.npy, or CSV on request), each a thin definition over one
 * routine: load the model, read the rows, run the model, write the result and
 * the picture. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "data.h"
#include "modelfile.h"
#include "msg.h"
#include "output.h"
#include "modelpics.h"
#include "pictures.h"
#include "threads.h"

typedef enum transform_op { OP_ENCODE, OP_DECODE, OP_RECONSTRUCT } transform_op;

typedef struct transform_def {
  transform_op op;
  cli_command command;
  const char *png_help; /* what --png draws */
  const char *result;   /* what the output holds, for the closing line */
} transform_def;

typedef struct transform_args {
  cli_common common;
  const char *model, *data, *output, *png, *labels, *image_shape;
  int csv, no_scale;
  int64_t rows;
} transform_args;

static const transform_def encode_def = {
    OP_ENCODE,
    {"encode", "MODEL DATA -o CODES [options]",
     "Encodes the rows of DATA (.npy, IDX, IDX.gz or CSV) into codes: a float32 .npy (or CSV) of "
     "one row of ae_code_size values per row of DATA. The model's standardisation, if any, is "
     "applied.",
     NULL, 2, 2},
    "scatter plot of the codes (2-value codes only), coloured by --labels", "codes"};

static const transform_def decode_def = {
    OP_DECODE,
    {"decode", "MODEL CODES -o OUT [options]",
     "Decodes codes (rows of ae_code_size values, e.g. from `ae encode`) into model outputs: a "
     "float32 .npy (or CSV).",
     NULL, 2, 2},
    "grid of the first decoded images", "outputs"};

static const transform_def reconstruct_def = {
    OP_RECONSTRUCT,
    {"reconstruct", "MODEL DATA -o OUT [options]",
     "Encodes then decodes the rows of DATA: a float32 .npy (or CSV) of reconstructions, one per "
     "row.",
     NULL, 2, 2},
    "grid of the first images over their reconstructions", "reconstructions"};

/* Values per row of the results: a code or an output. */
static int64_t result_cols(const transform_def *def, const ae_model *model) {
  return def->op == OP_ENCODE ? ae_code_size(model) : ae_output_size(model);
}

/* Runs the model over d into a new (d->rows, *cols) matrix. */
static int apply(const transform_def *def, const ae_model *model, const cli_data *d, float **y,
                 int64_t *cols) {
  *cols = result_cols(def, model);
  if (d->rows > INT64_MAX / 4 / *cols) return msg_error("%lld rows are too many", (long long)d->rows);
  *y = malloc((size_t)(d->rows * *cols) * sizeof **y);
  if (!*y) return msg_no_memory("for the results");
  ae_status st;
  switch (def->op) {
  case OP_ENCODE: st = ae_encode(model, d->x, d->rows, d->cols, *y, *cols); break;
  case OP_DECODE: st = ae_decode(model, d->x, d->rows, d->cols, *y, *cols); break;
  default: st = ae_reconstruct(model, d->x, d->rows, d->cols, *y, *cols); break;
  }
  return st == AE_OK ? CLI_OK : msg_ae(st, def->command.name);
}

/* What --png needs, checked and read before any output is written, so that a
 * bad --labels, --image-shape or code width leaves no file behind. */
typedef struct png_plan {
  int64_t *labels; /* (rows) or NULL: encode's scatter colours */
  int64_t h, w;    /* decode's and reconstruct's image shape */
} png_plan;

static int plan_png(const transform_def *def, const transform_args *a, const cli_data *d,
                    int64_t cols, png_plan *plan) {
  if (def->op == OP_ENCODE) {
    if (cols != 2) {
      return msg_error("--png draws codes of 2 values; this model's have %lld", (long long)cols);
    }
    return a->labels ? data_read_labels(a->labels, d, a->data, a->rows, &plan->labels) : CLI_OK;
  }
  int64_t known_h = def->op == OP_RECONSTRUCT ? d->height : 0;
  int64_t known_w = def->op == OP_RECONSTRUCT ? d->width : 0;
  return data_image_shape(cols, known_h, known_w, a->image_shape, &plan->h, &plan->w);
}

static int draw(const transform_def *def, const transform_args *a, const ae_model *model,
                const cli_data *d, const float *y, const png_plan *plan) {
  if (def->op == OP_ENCODE) return picture_scatter(a->png, a->common.force, y, d->rows, plan->labels);
  int64_t n = d->rows < MODELPICS_IMAGES ? d->rows : MODELPICS_IMAGES;
  if (def->op == OP_DECODE) {
    const float *outputs[1] = {y};
    return picture_grid(a->png, a->common.force, outputs, 1, n, plan->h, plan->w);
  }
  return modelpics_reconstructions(a->png, a->common.force, model, d->x, d->rows, d->cols,
                                   plan->h, plan->w, 0, 0);
}

static int run(const transform_def *def, int argc, char **argv) {
  transform_args a;
  memset(&a, 0, sizeof a);
  cli_arg args[16] = {
      {"output", 'o', ARG_STRING, &a.output, "FILE",
       "where to write the results: .npy (float32), or CSV for a name ending in .csv"},
      {"csv", 0, ARG_FLAG, &a.csv, NULL, "write CSV whatever the name"},
      {"png", 0, ARG_STRING, &a.png, "FILE", def->png_help},
      {"rows", 0, ARG_INT, &a.rows, "N", "read only the first N rows"},
  };
  size_t n_args = 4;
  if (def->op != OP_DECODE) {
    args[n_args++] = (cli_arg)ARGS_NO_SCALE(&a.no_scale);
  }
  if (def->op == OP_ENCODE) {
    args[n_args++] = (cli_arg){"labels", 0, ARG_STRING, &a.labels, "FILE",
                               "labels of DATA's rows, to colour the --png scatter plot"};
  } else {
    args[n_args++] = (cli_arg){"image-shape", 0, ARG_STRING, &a.image_shape, "HxW",
                               "image shape for --png (default: the file's, or square)"};
  }
  const cli_arg common[] = {ARGS_COMMON(&a.common)};
  for (size_t i = 0; i < sizeof common / sizeof common[0]; i++) args[n_args++] = common[i];
  const char *pos[2];
  int n_pos;
  int rc = args_parse(&def->command, args, n_args, NULL, argc, argv, pos, &n_pos);
  if (rc != ARGS_GO_ON) return rc;
  a.model = pos[0];
  a.data = pos[1];
  if (!a.output && !a.png) return msg_usage("nothing to write: give -o FILE and/or --png FILE");
  if (a.rows < 0) return msg_usage("--rows must be positive");
  if (output_check(a.output, a.common.force) || output_check(a.png, a.common.force)) {
    return CLI_FAIL;
  }
  if ((rc = threads_set(a.common.threads)) != CLI_OK) return rc;
  ae_model *model = NULL;
  cli_data d;
  memset(&d, 0, sizeof d);
  float *y = NULL;
  int64_t cols = 0;
  png_plan plan = {NULL, 0, 0};
  data_options opt = {!a.no_scale, a.rows};
  rc = model_load(a.model, &model, NULL);
  if (rc == CLI_OK) rc = data_read(a.data, &opt, &d);
  if (rc == CLI_OK) rc = model_check_width(model, a.model, d.cols, a.data, def->op == OP_DECODE);
  if (rc == CLI_OK && a.png) rc = plan_png(def, &a, &d, result_cols(def, model), &plan);
  if (rc == CLI_OK) rc = apply(def, model, &d, &y, &cols);
  if (rc == CLI_OK && a.output) {
    rc = output_matrix(a.output, a.common.force, a.csv, y, d.rows, cols, 0);
  }
  if (rc == CLI_OK && a.png) rc = draw(def, &a, model, &d, y, &plan);
  if (rc == CLI_OK && !a.common.quiet) {
    fprintf(stderr, "%s: %lld %s of %lld values", msg_prefix(), (long long)d.rows, def->result,
            (long long)cols);
    if (a.output) fprintf(stderr, " -> %s", a.output);
    if (a.png) fprintf(stderr, "%s picture %s", a.output ? "," : ";", a.png);
    fputc('\n', stderr);
  }
  free(plan.labels);
  free(y);
  data_free(&d);
  ae_model_free(model);
  return rc;
}

int cmd_encode(int argc, char **argv) { return run(&encode_def, argc, argv); }
int cmd_decode(int argc, char **argv) { return run(&decode_def, argc, argv); }
int cmd_reconstruct(int argc, char **argv) { return run(&reconstruct_def, argc, argv); }
