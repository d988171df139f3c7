/* trainstats.c -- training score statistics and their sidecar file:
 *
 *   # ae: anomaly scores of the training rows of model.ae (see docs/CLI.md)
 *   model-hash 1a2b3c4d5e6f7081   (FNV-1a 64 of the model file's bytes)
 *   rows 60000
 *   mean 0.0123
 *   std 0.0045
 *   quantiles 1001
 *   0.00012        (one per line, at probabilities 0, 0.001, ..., 1)
 *   ...
 */
#include "trainstats.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "output.h"
#include "stats.h"

int train_stats_compute(const float *scores, int64_t n, uint64_t model_hash, train_stats *s) {
  stats_summary sum = stats_summarize(scores, n);
  s->rows = n;
  s->mean = sum.mean;
  s->std = sum.std;
  s->model_hash = model_hash;
  return stats_quantiles(scores, n, s->quantile, TRAINSTATS_QUANTILES);
}

double train_stats_contamination(const train_stats *s, double contamination) {
  return stats_quantile_at(s->quantile, TRAINSTATS_QUANTILES, 1.0 - contamination);
}

char *train_stats_path(const char *model_path) {
  size_t len = strlen(model_path);
  char *p = malloc(len + 7);
  if (p) {
    memcpy(p, model_path, len);
    memcpy(p + len, ".stats", 7);
  }
  return p;
}

int train_stats_write(const char *path, int force, const train_stats *s) {
  cli_output o;
  if (output_open(&o, path, force) != CLI_OK) return CLI_FAIL;
  fprintf(o.f, "# ae: anomaly scores of a model's training rows, for ae score (docs/CLI.md)\n");
  fprintf(o.f, "model-hash %016" PRIx64 "\nrows %lld\nmean %.9g\nstd %.9g\nquantiles %d\n",
          s->model_hash, (long long)s->rows, s->mean, s->std, TRAINSTATS_QUANTILES);
  for (int i = 0; i < TRAINSTATS_QUANTILES; i++) fprintf(o.f, "%.9g\n", s->quantile[i]);
  return output_commit(&o);
}

/* Reads "key value" from the next non-comment line. */
static int read_field(FILE *f, const char *key, const char *format, void *value) {
  char line[256];
  do {
    if (!fgets(line, sizeof line, f)) return -1;
  } while (line[0] == '#');
  size_t len = strlen(key);
  if (strncmp(line, key, len) || line[len] != ' ') return -1;
  return sscanf(line + len + 1, format, value) == 1 ? 0 : -1;
}

static int parse(FILE *f, train_stats *s) {
  long long rows;
  int nq;
  if (read_field(f, "model-hash", "%" SCNx64, &s->model_hash) || read_field(f, "rows", "%lld", &rows) ||
      read_field(f, "mean", "%lf", &s->mean) || read_field(f, "std", "%lf", &s->std) ||
      read_field(f, "quantiles", "%d", &nq) || nq != TRAINSTATS_QUANTILES || rows < 1) {
    return -1;
  }
  s->rows = rows;
  for (int i = 0; i < nq; i++) {
    if (fscanf(f, "%lf", &s->quantile[i]) != 1 || !isfinite(s->quantile[i])) return -1;
    if (i > 0 && s->quantile[i] < s->quantile[i - 1]) return -1;
  }
  return isfinite(s->mean) && isfinite(s->std) ? 0 : -1;
}

int train_stats_try(const char *model_path, uint64_t model_hash, train_stats *s,
                    train_stats_problem *problem) {
  char *path = train_stats_path(model_path);
  if (!path) return msg_no_memory("for a file name");
  FILE *f = fopen(path, "r");
  *problem = !f ? TRAINSTATS_MISSING
             : parse(f, s) != 0 ? TRAINSTATS_DAMAGED
             : s->model_hash != model_hash ? TRAINSTATS_STALE
             : TRAINSTATS_FOUND;
  if (f) fclose(f);
  free(path);
  return CLI_OK;
}

int train_stats_read(const char *model_path, uint64_t model_hash, train_stats *s) {
  train_stats_problem problem;
  if (train_stats_try(model_path, model_hash, s, &problem) != CLI_OK) return CLI_FAIL;
  switch (problem) {
  case TRAINSTATS_FOUND: return CLI_OK;
  case TRAINSTATS_MISSING:
    return msg_error("cannot read '%s.stats', the training rows' scores that ae train writes; "
                     "give --train-data FILE to compute them", model_path);
  case TRAINSTATS_DAMAGED:
    return msg_error("'%s.stats' is not a training statistics file; give --train-data FILE",
                     model_path);
  case TRAINSTATS_STALE: break;
  }
  return msg_error("'%s.stats' belongs to another version of '%s' (was the model retrained?); "
                   "give --train-data FILE", model_path, model_path);
}
