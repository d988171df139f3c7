/* cmd_info.c -- `ae info`: what a model file holds: architecture, sizes,
 * training options, standardisation, the loss of every epoch, and the
 * training score statistics beside it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "json.h"
#include "modelfile.h"
#include "msg.h"
#include "report.h"
#include "trainstats.h"

typedef struct info_args {
  cli_common common;
  int json;
} info_args;

static const cli_command command = {
    "info", "MODEL [options]",
    "Describes a model file: its architecture (the canonical spec), widths, parameter count, "
    "every training option, the input standardisation, the training and validation loss of "
    "every epoch trained, and the training score statistics in MODEL.stats when they belong to "
    "this model.",
    NULL, 1, 1};

/* The standardisation: whether there is one, and the ranges of its values. */
typedef struct scaling_info {
  int present;
  float mean_min, mean_max, scale_min, scale_max;
} scaling_info;

static int read_scaling(const ae_model *model, scaling_info *s) {
  int64_t d = ae_input_size(model);
  float *mean = malloc((size_t)d * sizeof *mean), *scale = malloc((size_t)d * sizeof *scale);
  int rc = mean && scale ? CLI_OK : msg_no_memory("for the standardisation");
  ae_status st = rc == CLI_OK ? ae_get_input_scaling(model, mean, scale, d) : AE_OK;
  if (st != AE_OK) rc = msg_ae(st, "reading the standardisation");
  memset(s, 0, sizeof *s);
  if (rc == CLI_OK) {
    s->mean_min = s->scale_min = INFINITY;
    s->mean_max = s->scale_max = -INFINITY;
    for (int64_t j = 0; j < d; j++) {
      s->present |= mean[j] != 0.0f || scale[j] != 1.0f;
      s->mean_min = fminf(s->mean_min, mean[j]);
      s->mean_max = fmaxf(s->mean_max, mean[j]);
      s->scale_min = fminf(s->scale_min, scale[j]);
      s->scale_max = fmaxf(s->scale_max, scale[j]);
    }
  }
  free(mean);
  free(scale);
  return rc;
}

static void print_text(const char *path, const ae_model *model, const scaling_info *sc,
                       const train_stats *ts, train_stats_problem problem) {
  printf("model %s (libae %s)\n", path, ae_version_string());
  printf("spec:\n");
  const char *spec = ae_model_spec(model);
  while (*spec) { /* one statement per line */
    const char *end = strchr(spec, ';');
    int len = end ? (int)(end - spec) : (int)strlen(spec);
    printf("  %.*s\n", len, spec);
    spec += len;
    while (*spec == ';' || *spec == ' ') spec++;
  }
  printf("input %lld values, code %lld, output %lld; %lld parameters\n",
         (long long)ae_input_size(model), (long long)ae_code_size(model),
         (long long)ae_output_size(model), (long long)ae_param_count(model));
  if (sc->present) {
    printf("input standardisation: per column, means %.4g to %.4g, scales %.4g to %.4g\n",
           sc->mean_min, sc->mean_max, sc->scale_min, sc->scale_max);
  } else {
    printf("input standardisation: none\n");
  }
  printf("training options:\n");
  report_options_text(stdout, model);
  printf("epochs trained: %lld\n", (long long)ae_epochs_trained(model));
  if (ae_epochs_trained(model) > 0) report_history_text(stdout, model);
  static const char *const why[] = {"", "no such file", "not a statistics file",
                                     "written for another version of the model"};
  if (problem == TRAINSTATS_FOUND) {
    printf("training rows' scores (%s.stats): %lld rows, mean %.5g, std %.5g, median %.5g, "
           "99th percentile %.5g\n", path, (long long)ts->rows, ts->mean, ts->std,
           ts->quantile[TRAINSTATS_QUANTILES / 2], train_stats_contamination(ts, 0.01));
  } else {
    printf("training rows' scores: none (%s.stats: %s)\n", path, why[problem]);
  }
}

static void print_json(const char *path, const ae_model *model, const scaling_info *sc,
                       const train_stats *ts, train_stats_problem problem) {
  json j;
  json_begin(&j, stdout);
  json_string(&j, "command", "info");
  json_string(&j, "model", path);
  json_string(&j, "spec", ae_model_spec(model));
  json_int(&j, "input_size", ae_input_size(model));
  json_int(&j, "code_size", ae_code_size(model));
  json_int(&j, "output_size", ae_output_size(model));
  json_int(&j, "parameters", ae_param_count(model));
  json_int(&j, "epochs_trained", ae_epochs_trained(model));
  json_bool(&j, "standardized", sc->present);
  report_options_json(&j, model);
  report_history_json(&j, model);
  if (problem == TRAINSTATS_FOUND) {
    json_object(&j, "train_scores");
    json_int(&j, "rows", ts->rows);
    json_number(&j, "mean", ts->mean);
    json_number(&j, "std", ts->std);
    json_object_end(&j);
  }
  json_end(&j);
}

int cmd_info(int argc, char **argv) {
  info_args a;
  memset(&a, 0, sizeof a);
  const cli_arg args[] = {
      ARGS_JSON(&a.json),
      ARGS_COMMON(&a.common),
  };
  const char *pos[1];
  int n_pos;
  int rc = args_parse(&command, args, sizeof args / sizeof args[0], NULL, argc, argv, pos, &n_pos);
  if (rc != ARGS_GO_ON) return rc;
  ae_model *model;
  uint64_t hash;
  if (model_load(pos[0], &model, &hash) != CLI_OK) return CLI_FAIL;
  scaling_info sc;
  rc = read_scaling(model, &sc);
  train_stats *ts = malloc(sizeof *ts);
  if (rc == CLI_OK && !ts) rc = msg_no_memory("for statistics");
  train_stats_problem problem = TRAINSTATS_MISSING;
  if (rc == CLI_OK) rc = train_stats_try(pos[0], hash, ts, &problem);
  if (rc == CLI_OK && a.json) print_json(pos[0], model, &sc, ts, problem);
  else if (rc == CLI_OK) print_text(pos[0], model, &sc, ts, problem);
  free(ts);
  ae_model_free(model);
  return rc;
}
