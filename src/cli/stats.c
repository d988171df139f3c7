/* stats.c -- column statistics, score summaries, quantiles, ROC AUC. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

#include "msg.h"

int stats_columns(const float *x, int64_t rows, int64_t cols, float *mean, float *scale) {
  double *sum = calloc((size_t)cols, sizeof *sum);
  double *sq = calloc((size_t)cols, sizeof *sq);
  if (!sum || !sq) {
    free(sum);
    free(sq);
    return msg_no_memory("for column statistics");
  }
  for (int64_t i = 0; i < rows; i++) {
    for (int64_t j = 0; j < cols; j++) sum[j] += x[i * cols + j];
  }
  for (int64_t j = 0; j < cols; j++) sum[j] /= (double)rows;
  /* second pass around the mean: no cancellation */
  for (int64_t i = 0; i < rows; i++) {
    for (int64_t j = 0; j < cols; j++) {
      double dev = x[i * cols + j] - sum[j];
      sq[j] += dev * dev;
    }
  }
  for (int64_t j = 0; j < cols; j++) {
    double sd = sqrt(sq[j] / (double)rows);
    mean[j] = (float)sum[j];
    scale[j] = sd > 0 && isfinite(sd) && (float)sd > 0 ? (float)sd : 1.0f;
  }
  free(sum);
  free(sq);
  return CLI_OK;
}

stats_summary stats_summarize(const float *v, int64_t n) {
  stats_summary s = {0, 0, INFINITY, -INFINITY};
  for (int64_t i = 0; i < n; i++) {
    s.mean += v[i];
    if (v[i] < s.min) s.min = v[i];
    if (v[i] > s.max) s.max = v[i];
  }
  s.mean /= (double)n;
  for (int64_t i = 0; i < n; i++) s.std += (v[i] - s.mean) * (v[i] - s.mean);
  s.std = sqrt(s.std / (double)n);
  return s;
}

static int compare_floats(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* A sorted copy of v (n); NULL with a message when out of memory. */
static float *sorted_copy(const float *v, int64_t n) {
  float *s = malloc((size_t)n * sizeof *s);
  if (!s) {
    msg_no_memory("sorting scores");
    return NULL;
  }
  for (int64_t i = 0; i < n; i++) s[i] = v[i];
  qsort(s, (size_t)n, sizeof *s, compare_floats);
  return s;
}

int stats_quantiles(const float *v, int64_t n, double *q, int nq) {
  float *s = sorted_copy(v, n);
  if (!s) return CLI_FAIL;
  for (int i = 0; i < nq; i++) {
    double pos = (double)i / (nq - 1) * (double)(n - 1);
    int64_t k = (int64_t)pos;
    double frac = pos - (double)k;
    q[i] = k + 1 < n ? s[k] + frac * (s[k + 1] - s[k]) : s[n - 1];
  }
  free(s);
  return CLI_OK;
}

double stats_quantile_at(const double *q, int nq, double p) {
  double pos = (p < 0 ? 0 : p > 1 ? 1 : p) * (nq - 1);
  int k = (int)pos;
  if (k >= nq - 1) return q[nq - 1];
  return q[k] + (pos - k) * (q[k + 1] - q[k]);
}

typedef struct ranked {
  float score;
  unsigned char positive;
} ranked;

static int compare_ranked(const void *a, const void *b) {
  return compare_floats(&((const ranked *)a)->score, &((const ranked *)b)->score);
}

int stats_auc(const float *score, const unsigned char *positive, int64_t n, double *auc) {
  int64_t n_pos = 0;
  for (int64_t i = 0; i < n; i++) n_pos += positive[i] != 0;
  int64_t n_neg = n - n_pos;
  if (n_pos == 0 || n_neg == 0) {
    return msg_error("the AUC needs rows of both kinds: %lld of the normal classes, %lld of "
                     "others", (long long)n_neg, (long long)n_pos);
  }
  ranked *r = malloc((size_t)n * sizeof *r);
  if (!r) return msg_no_memory("for the AUC");
  for (int64_t i = 0; i < n; i++) r[i] = (ranked){score[i], positive[i] != 0};
  qsort(r, (size_t)n, sizeof *r, compare_ranked);
  /* the sum of the positives' ranks, tied scores sharing their mean rank */
  double rank_sum = 0;
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    int64_t pos_in_tie = 0;
    do {
      pos_in_tie += r[j++].positive;
    } while (j < n && r[j].score == r[i].score);
    rank_sum += (double)pos_in_tie * (double)(i + 1 + j) / 2.0; /* ranks i+1 .. j */
    i = j;
  }
  free(r);
  double u = rank_sum - (double)n_pos * (double)(n_pos + 1) / 2.0;
  *auc = u / ((double)n_pos * (double)n_neg);
  return CLI_OK;
}
