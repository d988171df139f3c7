/* trainstats.h -- statistics of the training rows' anomaly scores, which the
 * thresholds of `ae score` refer to (mean + k std, a contamination quantile).
 * A model file holds no data of ours, so `ae train` writes them to a small
 * text file beside the model, MODEL.stats, tied to the model by a hash of
 * the model file's bytes (modelfile.h); `ae score --train-data` recomputes them instead. */
#ifndef AE_CLI_TRAINSTATS_H
#define AE_CLI_TRAINSTATS_H

#include <stdint.h>

#define TRAINSTATS_QUANTILES 1001 /* at probabilities 0, 0.001, ..., 1 */

typedef struct train_stats {
  int64_t rows;
  double mean, std;
  double quantile[TRAINSTATS_QUANTILES];
  uint64_t model_hash; /* hash of the model file the scores came from */
} train_stats;

/* Fills s from the scores of n training rows. CLI_FAIL when out of memory. */
int train_stats_compute(const float *scores, int64_t n, uint64_t model_hash, train_stats *s);

/* The threshold that flags the fraction `contamination` of the training rows:
 * their (1 - contamination) quantile. */
double train_stats_contamination(const train_stats *s, double contamination);

/* The file name beside a model: model_path + ".stats". A new string (NULL
 * when out of memory). */
char *train_stats_path(const char *model_path);

/* Writes s to `path` atomically. */
int train_stats_write(const char *path, int force, const train_stats *s);

typedef enum train_stats_problem {
  TRAINSTATS_FOUND,   /* read, and they belong to the model */
  TRAINSTATS_MISSING, /* no such file */
  TRAINSTATS_DAMAGED, /* not a statistics file */
  TRAINSTATS_STALE    /* written for another version of the model file */
} train_stats_problem;

/* Tries to read the statistics beside the model at model_path (whose file
 * has hash `model_hash`) without complaint: *problem says what was found.
 * CLI_FAIL only when out of memory. */
int train_stats_try(const char *model_path, uint64_t model_hash, train_stats *s,
                    train_stats_problem *problem);

/* Reads the statistics written for the model at model_path, whose file has
 * hash `model_hash`. CLI_FAIL with a message (and a hint to --train-data) when
 * they are missing, damaged, or belong to another version of the model. */
int train_stats_read(const char *model_path, uint64_t model_hash, train_stats *s);

#endif
