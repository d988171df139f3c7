/* cmd_score.c -- `ae score`: per-row anomaly scores (the reconstruction error
 * under the model's loss), optionally per value; a threshold and 0/1 flags;
 * and, given labels, the ROC AUC of the score for telling unseen classes from
 * the normal ones. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "data.h"
#include "eval.h"
#include "json.h"
#include "modelfile.h"
#include "msg.h"
#include "output.h"
#include "report.h"
#include "rows.h"
#include "stats.h"
#include "threads.h"
#include "trainstats.h"

#define MAX_CLASSES 1024

typedef struct score_args {
  cli_common common;
  const char *model, *data, *output, *flags, *train_data, *train_labels, *labels, *normal;
  double threshold, contamination, sigma;
  int per_value, csv, no_scale, auc, json;
  int64_t rows;
  int64_t classes[MAX_CLASSES];
  int n_classes;
} score_args;

/* What the command found, for the report. */
typedef struct score_result {
  int64_t n;
  stats_summary summary;
  int has_threshold;
  double threshold;
  char threshold_rule[160];
  int64_t flagged;
  int has_auc;
  double auc;
  int64_t n_anomalous;       /* rows not of the normal classes */
  int64_t flagged_anomalous; /* of those, flagged */
} score_result;

static void more_help(FILE *out) {
  fputc('\n', out);
  args_print_paragraph(out, "Thresholds: --threshold X flags scores above X; --contamination F "
                            "flags scores above the (1 - F) quantile of the training rows' scores, "
                            "--sigma K those above their mean + K standard deviations. The "
                            "training scores come from MODEL.stats, which ae train writes, or from "
                            "--train-data. Exit status 0 whatever is flagged.");
}

static const cli_command command = {
    "score", "MODEL DATA [options]",
    "Scores every row of DATA: its reconstruction error under the model's loss, the mean over "
    "the row's values (ae_score). Prints a summary; -o writes the scores (or, with --per-value, "
    "every value's error). With a threshold, flags rows as anomalies (--flags writes 0/1 per "
    "row); with --labels and --normal-classes, reports the ROC AUC of the score for telling rows "
    "of other classes from the normal ones.",
    more_help, 2, 2};

/* The training rows' statistics: from --train-data, or MODEL.stats. */
static int training_stats(const score_args *a, const ae_model *model, uint64_t hash,
                          train_stats *s) {
  if (!a->train_data) return train_stats_read(a->model, hash, s);
  data_options opt = {!a->no_scale, 0};
  cli_data d;
  int64_t *labels = NULL;
  if (data_read(a->train_data, &opt, &d) != CLI_OK) return CLI_FAIL;
  int rc = model_check_width(model, a->model, d.cols, a->train_data, 0);
  if (rc == CLI_OK && a->train_labels) {
    rc = data_read_labels(a->train_labels, &d, a->train_data, 0, &labels);
    if (rc == CLI_OK && a->n_classes) {
      rc = rows_keep_classes(&d, labels, a->classes, a->n_classes, a->train_data);
    }
  }
  float *scores = rc == CLI_OK ? malloc((size_t)d.rows * sizeof *scores) : NULL;
  if (rc == CLI_OK && !scores) rc = msg_no_memory("for training scores");
  if (rc == CLI_OK) {
    ae_status st = ae_score(model, d.x, d.rows, d.cols, scores);
    rc = st == AE_OK ? train_stats_compute(scores, d.rows, hash, s)
                     : msg_ae(st, "scoring --train-data");
  }
  free(scores);
  free(labels);
  data_free(&d);
  return rc;
}

static int choose_threshold(const score_args *a, const ae_model *model, uint64_t hash,
                            score_result *r) {
  int given = !isnan(a->threshold) + !isnan(a->contamination) + !isnan(a->sigma);
  if (given > 1) return msg_usage("give one of --threshold, --contamination and --sigma");
  if (given == 0) {
    if (a->flags) return msg_usage("--flags needs --threshold, --contamination or --sigma");
    return CLI_OK;
  }
  r->has_threshold = 1;
  if (!isnan(a->threshold)) {
    r->threshold = a->threshold;
    snprintf(r->threshold_rule, sizeof r->threshold_rule, "given");
    return CLI_OK;
  }
  if (!isnan(a->contamination) && !(a->contamination > 0 && a->contamination < 1)) {
    return msg_usage("--contamination %g is outside (0, 1)", a->contamination);
  }
  train_stats s;
  if (training_stats(a, model, hash, &s) != CLI_OK) return CLI_FAIL;
  if (!isnan(a->sigma)) {
    r->threshold = s.mean + a->sigma * s.std;
    snprintf(r->threshold_rule, sizeof r->threshold_rule,
             "mean %.5g + %g x std %.5g of %lld training rows' scores", s.mean, a->sigma, s.std,
             (long long)s.rows);
  } else {
    r->threshold = train_stats_contamination(&s, a->contamination);
    snprintf(r->threshold_rule, sizeof r->threshold_rule,
             "flags a fraction %g of %lld training rows", a->contamination, (long long)s.rows);
  }
  return CLI_OK;
}

/* positive (d->rows): 1 for rows whose label is not a normal class. */
static int anomalous_rows(const score_args *a, const cli_data *d, unsigned char **positive) {
  int64_t *labels, n = d->rows;
  *positive = NULL;
  if (data_read_labels(a->labels, d, a->data, a->rows, &labels) != CLI_OK) return CLI_FAIL;
  int rc = CLI_OK;
  if (!(*positive = malloc((size_t)n))) {
    rc = msg_no_memory("for labels");
  } else {
    for (int64_t i = 0; i < n; i++) {
      (*positive)[i] = !rows_in_classes(labels[i], a->classes, a->n_classes);
    }
  }
  free(labels);
  return rc;
}

/* Flags, AUC and counts from the scores; positive (n) from anomalous_rows,
 * or NULL without --labels. */
static int judge(const score_args *a, const float *scores, int64_t n,
                 const unsigned char *positive, score_result *r) {
  unsigned char *flags = NULL;
  int rc = CLI_OK;
  if (r->has_threshold) {
    flags = malloc((size_t)n);
    if (!flags) return msg_no_memory("for flags");
    for (int64_t i = 0; i < n; i++) {
      flags[i] = scores[i] > r->threshold;
      r->flagged += flags[i];
    }
    if (a->flags) rc = output_flags(a->flags, a->common.force, a->csv, flags, n);
  }
  if (rc == CLI_OK && positive) {
    for (int64_t i = 0; i < n; i++) {
      r->n_anomalous += positive[i];
      if (flags) r->flagged_anomalous += positive[i] && flags[i];
    }
    rc = stats_auc(scores, positive, n, &r->auc);
    r->has_auc = rc == CLI_OK;
  }
  free(flags);
  return rc;
}

static void print_text(const score_args *a, const ae_model *model, const score_result *r) {
  printf("%lld scores (%s %s): mean %.5g, std %.5g, min %.5g, max %.5g\n",
         (long long)r->n, report_loss_name(model), report_loss_unit(model), r->summary.mean, r->summary.std,
         r->summary.min, r->summary.max);
  if (r->has_threshold) {
    printf("threshold %.5g (%s): %lld of %lld rows flagged (%.2f%%)\n", r->threshold,
           r->threshold_rule, (long long)r->flagged, (long long)r->n,
           100.0 * (double)r->flagged / (double)r->n);
  }
  if (r->has_auc) {
    printf("ROC AUC %.4f for telling the %lld rows of other classes from the %lld of classes %s\n",
           r->auc, (long long)r->n_anomalous, (long long)(r->n - r->n_anomalous), a->normal);
    if (r->has_threshold && r->flagged > 0) {
      printf("flagged rows of other classes: %lld (precision %.3f, recall %.3f)\n",
             (long long)r->flagged_anomalous, (double)r->flagged_anomalous / (double)r->flagged,
             (double)r->flagged_anomalous / (double)r->n_anomalous);
    }
  }
}

static void print_json(const score_args *a, const ae_model *model, const score_result *r) {
  json j;
  json_begin(&j, stdout);
  json_string(&j, "command", "score");
  json_string(&j, "model", a->model);
  json_string(&j, "data", a->data);
  json_string(&j, "loss", report_loss_name(model));
  json_string(&j, "loss_unit", report_loss_unit(model));
  json_int(&j, "rows", r->n);
  json_number(&j, "mean", r->summary.mean);
  json_number(&j, "std", r->summary.std);
  json_number(&j, "min", r->summary.min);
  json_number(&j, "max", r->summary.max);
  if (r->has_threshold) {
    json_number(&j, "threshold", r->threshold);
    json_string(&j, "threshold_rule", r->threshold_rule);
    json_int(&j, "flagged", r->flagged);
  }
  if (r->has_auc) {
    json_number(&j, "auc", r->auc);
    json_string(&j, "normal_classes", a->normal);
    json_int(&j, "anomalous_rows", r->n_anomalous);
    if (r->has_threshold) json_int(&j, "flagged_anomalous", r->flagged_anomalous);
  }
  json_end(&j);
}

/* -o: the scores (n), or with --per-value every value's error (n, d). */
static int write_scores(const score_args *a, const ae_model *model, const cli_data *d,
                        const float *scores) {
  if (!a->per_value) return output_matrix(a->output, a->common.force, a->csv, scores, d->rows, 1, 1);
  float *errors = malloc((size_t)(d->rows * d->cols) * sizeof *errors);
  if (!errors) return msg_no_memory("for --per-value");
  int rc = eval_per_value(model, d->x, d->rows, d->cols, errors);
  if (rc == CLI_OK) rc = output_matrix(a->output, a->common.force, a->csv, errors, d->rows, d->cols, 0);
  free(errors);
  return rc;
}

static int check_args(score_args *a) {
  if (a->normal &&
      args_int_list("--normal-classes", a->normal, a->classes, MAX_CLASSES, &a->n_classes) != CLI_OK) {
    return CLI_USAGE;
  }
  if (a->auc && (!a->labels || !a->normal)) return msg_usage("--auc needs --labels and --normal-classes");
  if (a->labels && !a->normal) return msg_usage("--labels needs --normal-classes");
  if (a->normal && !a->labels && !(a->train_labels && a->train_data)) {
    return msg_usage("--normal-classes needs --labels (or --train-data with --train-labels)");
  }
  if (a->train_labels && !a->train_data) return msg_usage("--train-labels needs --train-data");
  if (a->per_value && !a->output) return msg_usage("--per-value needs -o FILE");
  if (a->rows < 0) return msg_usage("--rows must be positive");
  if (output_check(a->output, a->common.force) || output_check(a->flags, a->common.force)) {
    return CLI_FAIL;
  }
  return threads_set(a->common.threads);
}

int cmd_score(int argc, char **argv) {
  score_args a;
  memset(&a, 0, sizeof a);
  a.threshold = a.contamination = a.sigma = NAN;
  const cli_arg args[] = {
      {"output", 'o', ARG_STRING, &a.output, "FILE",
       "write the scores: .npy (float32), or CSV for a name ending in .csv"},
      {"per-value", 0, ARG_FLAG, &a.per_value, NULL,
       "with -o: write every value's error (rows x values) instead of the row scores"},
      {"csv", 0, ARG_FLAG, &a.csv, NULL, "write CSV whatever the names"},
      {"threshold", 0, ARG_NUMBER, &a.threshold, "X", "flag rows scoring above X"},
      {"contamination", 0, ARG_NUMBER, &a.contamination, "F",
       "flag rows scoring above the (1 - F) quantile of the training rows' scores"},
      {"sigma", 0, ARG_NUMBER, &a.sigma, "K",
       "flag rows scoring above the training scores' mean + K standard deviations"},
      {"flags", 0, ARG_STRING, &a.flags, "FILE", "write 0/1 per row (uint8 .npy, or CSV)"},
      {"train-data", 0, ARG_STRING, &a.train_data, "FILE",
       "compute the training scores from these rows instead of reading MODEL.stats"},
      {"train-labels", 0, ARG_STRING, &a.train_labels, "FILE",
       "labels of --train-data: only rows of --normal-classes count"},
      {"labels", 0, ARG_STRING, &a.labels, "FILE", "labels of DATA's rows, for the AUC"},
      {"normal-classes", 0, ARG_STRING, &a.normal, "LIST",
       "the labels the model was trained on, e.g. 0-4; others are anomalies"},
      {"auc", 0, ARG_FLAG, &a.auc, NULL,
       "report the ROC AUC (the default when --labels is given)"},
      {"rows", 0, ARG_INT, &a.rows, "N", "read only the first N rows of DATA (and labels)"},
      ARGS_NO_SCALE(&a.no_scale),
      ARGS_JSON(&a.json),
      ARGS_COMMON(&a.common),
  };
  const char *pos[2];
  int n_pos;
  int rc = args_parse(&command, args, sizeof args / sizeof args[0], NULL, argc, argv, pos, &n_pos);
  if (rc != ARGS_GO_ON) return rc;
  a.model = pos[0];
  a.data = pos[1];
  if ((rc = check_args(&a)) != CLI_OK) return rc;

  ae_model *model = NULL;
  uint64_t hash = 0;
  cli_data d;
  memset(&d, 0, sizeof d);
  float *scores = NULL;
  unsigned char *positive = NULL;
  score_result r;
  memset(&r, 0, sizeof r);
  data_options opt = {!a.no_scale, a.rows};
  rc = model_load(a.model, &model, &hash);
  if (rc == CLI_OK) rc = choose_threshold(&a, model, hash, &r);
  if (rc == CLI_OK) rc = data_read(a.data, &opt, &d);
  if (rc == CLI_OK) rc = model_check_width(model, a.model, d.cols, a.data, 0);
  /* the labels before any output, so that a wrong count leaves no file */
  if (rc == CLI_OK && a.labels) rc = anomalous_rows(&a, &d, &positive);
  if (rc == CLI_OK && !(scores = malloc((size_t)d.rows * sizeof *scores))) {
    rc = msg_no_memory("for scores");
  }
  if (rc == CLI_OK) {
    ae_status st = ae_score(model, d.x, d.rows, d.cols, scores);
    if (st != AE_OK) rc = msg_ae(st, "scoring");
  }
  if (rc == CLI_OK) {
    r.n = d.rows;
    r.summary = stats_summarize(scores, d.rows);
    if (a.output) rc = write_scores(&a, model, &d, scores);
  }
  if (rc == CLI_OK) rc = judge(&a, scores, d.rows, positive, &r);
  if (rc == CLI_OK && a.json) print_json(&a, model, &r);
  else if (rc == CLI_OK) print_text(&a, model, &r);
  free(positive);
  free(scores);
  data_free(&d);
  ae_model_free(model);
  return rc;
}
