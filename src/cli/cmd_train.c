/* cmd_train.c -- `ae train`: data in, model file out; reports the test
 * reconstruction error beside PCA's, and writes the training rows' score
 * statistics (MODEL.stats) and pictures on request. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "eval.h"
#include "json.h"
#include "kinds.h"
#include "modelfile.h"
#include "msg.h"
#include "output.h"
#include "pca.h"
#include "modelpics.h"
#include "progress.h"
#include "report.h"
#include "stats.h"
#include "threads.h"
#include "trainset.h"
#include "trainstats.h"


typedef struct train_args {
  cli_common common;
  const char *data, *output, *spec, *kind;
  const char *labels, *classes, *test, *test_labels;
  const char *png, *codes_png, *samples_png, *image_shape;
  int64_t code_size, seed, train_rows, test_rows;
  double test_split;
  int no_scale, standardize, json, no_stats;
  modelopt_values options;
} train_args;

typedef struct train_result {
  double seconds, samples_per_second;
  int64_t epochs;        /* finished in this run */
  int interrupted;
  double test_mse, test_loss, pca_mse; /* pca_mse NaN when skipped */
  double test_nelbo;     /* variational models: mean -ELBO per row; NaN otherwise */
  int64_t image_h, image_w; /* the rows as images, when needed */
  int has_stats;
  train_stats stats;
  char *stats_path;
} train_result;

static void more_help(FILE *out) {
  kind_help(out);
  fprintf(out, "\nThe model, test errors and statistics go to stdout; progress to stderr.\n"
               "Losses are means per value (per pixel for images). See docs/CLI.md.\n");
}

static const cli_command command = {
    "train", "[DATA] [options]",
    "Trains an autoencoder on DATA (.npy, IDX, gzip-compressed IDX or CSV; a row per sample) "
    "and saves it to the model file. Without DATA it trains on the 60000 Fashion-MNIST training "
    "images and tests on the 10000 test images (Debian's dataset-fashion-mnist). It ends by "
    "printing the reconstruction error on the held-out test rows beside that of PCA with as "
    "many components as the code has, and writes MODEL.stats, the training rows' anomaly "
    "scores that the thresholds of `ae score` refer to.",
    more_help, 0, 1};

/* Every output is checked before any work, so that a long training run does
 * not end in "file exists". */
static int check_outputs(const train_args *a, train_result *r) {
  if (output_check(a->output, a->common.force) != CLI_OK) return CLI_FAIL;
  if (!a->no_stats) {
    r->stats_path = train_stats_path(a->output);
    if (!r->stats_path) return msg_no_memory("for a file name");
    if (output_check(r->stats_path, a->common.force) != CLI_OK) return CLI_FAIL;
  }
  if (output_check(a->png, a->common.force) || output_check(a->codes_png, a->common.force) ||
      output_check(a->samples_png, a->common.force)) {
    return CLI_FAIL;
  }
  return CLI_OK;
}

static int load_data(const train_args *a, const cli_kind *kind, trainset *set, train_result *r) {
  int64_t classes[TRAINSET_MAX_CLASSES];
  int n_classes = 0;
  if (a->classes &&
      args_int_list("--classes", a->classes, classes, TRAINSET_MAX_CLASSES, &n_classes) != CLI_OK) {
    return CLI_USAGE;
  }
  if (!(a->test_split >= 0 && a->test_split <= 0.9)) {
    return msg_usage("--test-split %g is outside 0 to 0.9", a->test_split);
  }
  if (a->train_rows < 0 || a->test_rows < 0) return msg_usage("row counts must be positive");
  trainset_options o = {a->data, a->labels, a->test, a->test_labels, classes, n_classes,
                        a->test_split, (uint64_t)a->seed, a->train_rows, a->test_rows,
                        !a->no_scale};
  int rc = trainset_load(&o, set);
  if (rc != CLI_OK) return rc;
  const char *spec = a->spec ? a->spec : kind->spec;
  if (a->png || a->samples_png || spec_wants_image(spec)) {
    rc = data_image_shape(set->train.cols, set->train.height, set->train.width, a->image_shape,
                          &r->image_h, &r->image_w);
  }
  return rc;
}

/* The rows ae_train trains on per epoch (the validation rows left out). */
static int64_t training_rows(const ae_model *model, int64_t rows) {
  double split = 0;
  ae_get_option(model, AE_OPT_VALIDATION_SPLIT, &split);
  return rows - (int64_t)floor(split * (double)rows);
}

static int64_t batch_size(const ae_model *model) {
  double batch = 64;
  ae_get_option(model, AE_OPT_BATCH_SIZE, &batch);
  return (int64_t)batch;
}

/* Creates the model: the spec (--spec, or the kind's), the kind's options,
 * the command line's options, the standardisation. */
static int build_model(const train_args *a, const cli_kind *kind, const trainset *set,
                       const train_result *r, ae_model **model) {
  int64_t d = set->train.cols;
  if (a->spec && a->code_size && !strstr(a->spec, "{K}")) {
    return msg_usage("--code-size sets {K}, which --spec does not use");
  }
  if (a->code_size < 0) return msg_usage("--code-size must be positive");
  spec_values v = {d, a->code_size ? a->code_size : kind->code_size, r->image_h, r->image_w};
  char *spec = spec_expand(a->spec ? a->spec : kind->spec, &v);
  if (!spec) return msg_no_memory("for the spec");
  ae_status st = ae_model_create(model, spec, (uint64_t)a->seed);
  free(spec);
  if (st != AE_OK) return msg_ae(st, "--spec");
  if (ae_input_size(*model) != d) {
    return msg_usage("--spec: the model takes rows of %lld values, the data have %lld (write "
                     "'input {D}' to take the data's width)",
                     (long long)ae_input_size(*model), (long long)d);
  }
  int rc = kind_apply(kind, *model);
  if (rc == CLI_OK) rc = modelopt_apply(*model, &a->options);
  if (rc != CLI_OK) return rc;
  if (!a->options.given[modelopt_find_option(AE_OPT_PROGRESS_EVERY)]) {
    int64_t rows = training_rows(*model, set->train.rows), batch = batch_size(*model);
    int64_t steps = (rows + batch - 1) / batch;
    ae_set_option(*model, AE_OPT_PROGRESS_EVERY, (double)progress_every(steps > 0 ? steps : 1));
  }
  if (a->codes_png && ae_code_size(*model) != 2) {
    return msg_usage("--codes-png draws codes of 2 values; this model's have %lld (try "
                     "--code-size 2)", (long long)ae_code_size(*model));
  }
  if (a->samples_png && !model_is_variational(*model)) {
    return msg_usage("--samples-png needs a variational model (--kind variational)");
  }
  if (!a->standardize) return CLI_OK;
  float *mean = malloc((size_t)d * sizeof *mean), *scale = malloc((size_t)d * sizeof *scale);
  rc = mean && scale ? stats_columns(set->train.x, set->train.rows, d, mean, scale)
                     : msg_no_memory("for --standardize");
  if (rc == CLI_OK && (st = ae_set_input_scaling(*model, mean, scale, d)) != AE_OK) {
    rc = msg_ae(st, "--standardize");
  }
  free(mean);
  free(scale);
  return rc;
}

static int run_training(const train_args *a, ae_model *model, const trainset *set,
                        train_result *r) {
  double epochs = 0;
  ae_get_option(model, AE_OPT_EPOCHS, &epochs);
  progress p;
  progress_init(&p, model, a->common.quiet, (int64_t)epochs, training_rows(model, set->train.rows),
                batch_size(model));
  ae_set_progress(model, progress_report, &p);
  progress_catch_interrupt();
  int64_t before = ae_epochs_trained(model);
  double start = progress_now();
  ae_status st = ae_train(model, set->train.x, set->train.rows, set->train.cols, NULL, 0);
  char why[512]; /* read before any other libae call replaces it */
  const char *detail = ae_last_error();
  snprintf(why, sizeof why, "%s", detail[0] ? detail : ae_status_string(st));
  r->seconds = progress_now() - start;
  progress_finish(&p);
  ae_set_progress(model, NULL, NULL);
  r->epochs = ae_epochs_trained(model) - before;
  r->interrupted = p.stopped;
  double done = (double)r->epochs * (double)p.rows;
  r->samples_per_second = r->seconds > 0 ? done / r->seconds : 0;
  if (st == AE_ERR_DIVERGED) {
    return msg_error("training diverged (%s); nothing saved, a smaller --lr may help", why);
  }
  return st == AE_OK ? CLI_OK : msg_error("training: %s", why);
}

/* The test error, PCA's, and the training rows' score statistics. */
static int evaluate(const ae_model *model, const trainset *set, uint64_t hash, int want_stats,
                    train_result *r) {
  const cli_data *tr = &set->train, *te = &set->test;
  if (eval_errors(model, te->x, te->rows, te->cols, &r->test_mse, &r->test_loss) != CLI_OK) {
    return CLI_FAIL;
  }
  r->pca_mse = r->test_nelbo = NAN;
  if (model_is_variational(model)) {
    float *nelbo = malloc((size_t)te->rows * sizeof *nelbo);
    ae_status st = nelbo ? ae_negative_elbo(model, te->x, te->rows, te->cols, 1, nelbo)
                         : AE_ERR_NO_MEMORY;
    if (st == AE_OK) r->test_nelbo = stats_summarize(nelbo, te->rows).mean;
    free(nelbo);
    if (st != AE_OK) return msg_ae(st, "the negative ELBO");
  }
  if (te->cols <= PCA_MAX_COLS &&
      pca_error(tr->x, tr->rows, te->x, te->rows, te->cols, ae_code_size(model), &r->pca_mse) !=
          CLI_OK) {
    return CLI_FAIL;
  }
  if (!want_stats) return CLI_OK;
  float *scores = malloc((size_t)tr->rows * sizeof *scores);
  if (!scores) return msg_no_memory("for the training scores");
  ae_status st = ae_score(model, tr->x, tr->rows, tr->cols, scores);
  int rc = st == AE_OK ? train_stats_compute(scores, tr->rows, hash, &r->stats)
                       : msg_ae(st, "scoring the training rows");
  free(scores);
  r->has_stats = rc == CLI_OK;
  return rc;
}

/* --png: test rows over their reconstructions (a denoising model's with the
 * corrupted rows between); --codes-png: the test rows' codes coloured by
 * label; --samples-png: rows drawn from a variational model. */
static int draw(const train_args *a, const ae_model *model, const trainset *set,
                const train_result *r) {
  const cli_data *te = &set->test;
  int rc = CLI_OK;
  if (a->png) {
    rc = modelpics_reconstructions(a->png, a->common.force, model, te->x, te->rows, te->cols,
                                   r->image_h, r->image_w, 1, (uint64_t)a->seed);
  }
  if (rc == CLI_OK && a->codes_png) {
    rc = modelpics_codes(a->codes_png, a->common.force, model, te->x, te->rows, te->cols,
                         set->test_labels);
  }
  if (rc == CLI_OK && a->samples_png) {
    rc = modelpics_samples(a->samples_png, a->common.force, model, r->image_h, r->image_w,
                           (uint64_t)a->seed);
  }
  return rc;
}

static void print_start(const cli_kind *kind, const ae_model *model, const trainset *set) {
  printf("model: %s\n", ae_model_spec(model));
  printf("       kind %s, %lld parameters, codes of %lld values\n", kind->name,
         (long long)ae_param_count(model), (long long)ae_code_size(model));
  printf("data:  %lld training rows of %lld values from %s\n", (long long)set->train.rows,
         (long long)set->train.cols, set->train_path);
  printf("       %lld test rows %s %s\n", (long long)set->test.rows,
         set->split ? "held out at random from" : "from", set->test_path);
  fflush(stdout);
}

static void print_result(const train_args *a, const ae_model *model, const train_result *r) {
  char t[32];
  printf("trained %lld epoch%s in %s (%.0f samples/s)%s; saved %s\n", (long long)r->epochs,
         r->epochs == 1 ? "" : "s", progress_duration(r->seconds, t, sizeof t),
         r->samples_per_second,
         r->interrupted ? ", stopped by Ctrl-C" : "", a->output);
  printf("test reconstruction error, MSE per value: autoencoder %.5f", r->test_mse);
  if (isnan(r->pca_mse)) {
    printf(" (PCA skipped: more than %d columns)\n", PCA_MAX_COLS);
  } else {
    printf(", PCA with %lld components %.5f", (long long)ae_code_size(model), r->pca_mse);
    if (r->pca_mse > 0) printf(" (%+.1f%%)", 100.0 * (r->test_mse / r->pca_mse - 1.0));
    printf("\n");
  }
  const char *loss = report_loss_name(model), *unit = report_loss_unit(model);
  if (strcmp(loss, "mse") || strcmp(unit, "per value")) {
    printf("test loss, %s %s: %.5g\n", loss, unit, r->test_loss);
  }
  if (!isnan(r->test_nelbo)) {
    printf("test negative ELBO, one sample per row: %.5g per row\n", r->test_nelbo);
  }
  if (r->has_stats) {
    printf("training rows' scores (%s %s): mean %.5g, std %.5g, 99th percentile %.5g; "
           "saved %s\n", loss, unit, r->stats.mean, r->stats.std,
           train_stats_contamination(&r->stats, 0.01), r->stats_path);
  }
  if (a->png) printf("picture: %s (test rows over their reconstructions)\n", a->png);
  if (a->codes_png) printf("picture: %s (test codes by label)\n", a->codes_png);
  if (a->samples_png) printf("picture: %s (rows drawn from the model)\n", a->samples_png);
}

static void print_json(const train_args *a, const cli_kind *kind, const ae_model *model,
                       const trainset *set, const train_result *r) {
  json j;
  json_begin(&j, stdout);
  json_string(&j, "command", "train");
  json_string(&j, "model", a->output);
  json_string(&j, "kind", kind->name);
  json_string(&j, "spec", ae_model_spec(model));
  json_int(&j, "parameters", ae_param_count(model));
  json_int(&j, "code_size", ae_code_size(model));
  json_string(&j, "train_data", set->train_path);
  json_int(&j, "train_rows", set->train.rows);
  json_string(&j, "test_data", set->test_path);
  json_int(&j, "test_rows", set->test.rows);
  json_bool(&j, "test_held_out_from_train", set->split);
  json_int(&j, "epochs", r->epochs);
  json_bool(&j, "interrupted", r->interrupted);
  json_number(&j, "seconds", r->seconds);
  json_number(&j, "samples_per_second", r->samples_per_second);
  json_string(&j, "loss", report_loss_name(model));
  json_string(&j, "loss_unit", report_loss_unit(model));
  json_number(&j, "test_mse", r->test_mse);
  json_number(&j, "test_loss", r->test_loss);
  json_number(&j, "test_negative_elbo", r->test_nelbo);
  json_number(&j, "pca_mse", r->pca_mse);
  if (r->has_stats) {
    json_object(&j, "train_scores");
    json_string(&j, "file", r->stats_path);
    json_number(&j, "mean", r->stats.mean);
    json_number(&j, "std", r->stats.std);
    json_object_end(&j);
  }
  json_array(&j, "pictures");
  if (a->png) json_string(&j, NULL, a->png);
  if (a->codes_png) json_string(&j, NULL, a->codes_png);
  if (a->samples_png) json_string(&j, NULL, a->samples_png);
  json_array_end(&j);
  report_options_json(&j, model);
  report_history_json(&j, model);
  json_end(&j);
}

int cmd_train(int argc, char **argv) {
  train_args a;
  memset(&a, 0, sizeof a);
  a.output = "model.ae";
  a.kind = kind_default()->name;
  a.seed = 1;
  a.test_split = 0.1;
  const cli_arg args[] = {
      {"output", 'o', ARG_STRING, &a.output, "FILE", "the model file to write (default model.ae)"},
      {"kind", 0, ARG_STRING, &a.kind, "NAME", "the kind of autoencoder (see Kinds below)"},
      {"spec", 0, ARG_STRING, &a.spec, "SPEC",
       "the architecture, as in ae.h, e.g. \"input {D}; dense 128 relu; code 8 linear; mirror "
       "sigmoid\"; {D} is the data's width, {H} and {W} its image shape (default: the kind's)"},
      {"code-size", 0, ARG_INT, &a.code_size, "K",
       "{K}: the code width of the kind's spec (a convolutional kind's code channels), or of "
       "a --spec that uses {K}"},
      {"seed", 0, ARG_INT, &a.seed, "N", "seed of the weights, the shuffles and the splits (default 1)"},
      {"labels", 0, ARG_STRING, &a.labels, "FILE", "labels of DATA's rows (IDX, .npy or CSV column)"},
      {"classes", 0, ARG_STRING, &a.classes, "LIST",
       "train (and test) on the rows of these labels only, e.g. 0,1,2 or 0-4"},
      {"test", 0, ARG_STRING, &a.test, "FILE", "held-out data to report the error on"},
      {"test-labels", 0, ARG_STRING, &a.test_labels, "FILE", "labels of the --test rows"},
      {"test-split", 0, ARG_NUMBER, &a.test_split, "F",
       "without --test: hold out this random fraction of DATA as test rows (default 0.1)"},
      {"train-rows", 0, ARG_INT, &a.train_rows, "N", "read only the first N rows of DATA"},
      {"test-rows", 0, ARG_INT, &a.test_rows, "N", "use only the first N test rows"},
      ARGS_NO_SCALE(&a.no_scale),
      {"standardize", 0, ARG_FLAG, &a.standardize, NULL,
       "standardise every column by the training rows' mean and standard deviation (saved in "
       "the model, applied by every command)"},
      {"png", 0, ARG_STRING, &a.png, "FILE",
       "picture of test images over their reconstructions (a denoising model's: clean, "
       "corrupted, denoised)"},
      {"codes-png", 0, ARG_STRING, &a.codes_png, "FILE",
       "scatter plot of the test rows' 2-value codes, coloured by label"},
      {"samples-png", 0, ARG_STRING, &a.samples_png, "FILE",
       "picture of rows drawn from a variational model"},
      {"image-shape", 0, ARG_STRING, &a.image_shape, "HxW",
       "image shape for the pictures (default: the file's, or square)"},
      {"no-stats", 0, ARG_FLAG, &a.no_stats, NULL, "do not write MODEL.stats"},
      ARGS_JSON(&a.json),
      ARGS_COMMON(&a.common),
  };
  const char *pos[1];
  int n_pos;
  int rc = args_parse(&command, args, sizeof args / sizeof args[0], &a.options, argc, argv, pos,
                      &n_pos);
  if (rc != ARGS_GO_ON) return rc;
  if (n_pos > 0) a.data = pos[0];
  const cli_kind *kind = kind_find(a.kind);
  if (!kind) return msg_usage("--kind: unknown kind '%s'", a.kind);
  if (a.seed < 0) return msg_usage("--seed must be 0 or more");

  train_result r;
  memset(&r, 0, sizeof r);
  trainset set;
  memset(&set, 0, sizeof set);
  ae_model *model = NULL;
  uint64_t hash = 0;
  rc = check_outputs(&a, &r);
  if (rc == CLI_OK) rc = threads_set(a.common.threads);
  if (rc == CLI_OK) rc = load_data(&a, kind, &set, &r);
  if (rc == CLI_OK) rc = build_model(&a, kind, &set, &r, &model);
  if (rc == CLI_OK && !a.json) print_start(kind, model, &set);
  if (rc == CLI_OK) rc = run_training(&a, model, &set, &r);
  if (rc == CLI_OK) rc = model_save(model, a.output, &hash);
  if (rc == CLI_OK) rc = evaluate(model, &set, hash, !a.no_stats, &r);
  if (rc == CLI_OK && r.has_stats) rc = train_stats_write(r.stats_path, a.common.force, &r.stats);
  if (rc == CLI_OK) rc = draw(&a, model, &set, &r);
  if (rc == CLI_OK && a.json) print_json(&a, kind, model, &set, &r);
  else if (rc == CLI_OK) print_result(&a, model, &r);
  ae_model_free(model);
  trainset_free(&set);
  free(r.stats_path);
  return rc;
}
