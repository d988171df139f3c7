/* stats.h -- the statistics the commands report: per-column mean and
 * standard deviation (for --standardize), summaries and quantiles of scores,
 * and the ROC AUC of a score. Sums are in double. */
#ifndef AE_CLI_STATS_H
#define AE_CLI_STATS_H

#include <stdint.h>

/* mean (cols) and scale (cols) of x (rows, cols): the column means and
 * population standard deviations, a deviation of 0 (or not finite) giving
 * scale 1. CLI_FAIL when out of memory. */
int stats_columns(const float *x, int64_t rows, int64_t cols, float *mean, float *scale);

typedef struct stats_summary {
  double mean, std, min, max; /* std: population standard deviation */
} stats_summary;

stats_summary stats_summarize(const float *v, int64_t n);

/* q (nq >= 2): the quantiles of v (n) at probabilities i / (nq - 1), linearly
 * interpolated between order statistics. CLI_FAIL when out of memory. */
int stats_quantiles(const float *v, int64_t n, double *q, int nq);

/* The value at probability p in [0, 1] of a quantile table made by
 * stats_quantiles, interpolated. */
double stats_quantile_at(const double *q, int nq, double p);

/* The ROC AUC of `score` for telling rows with positive[i] != 0 from the
 * others: the probability that a random positive scores above a random
 * negative, ties counting half (Mann-Whitney U / (P N)). CLI_FAIL with a
 * message when a class is empty or memory runs out. */
int stats_auc(const float *score, const unsigned char *positive, int64_t n, double *auc);

#endif
