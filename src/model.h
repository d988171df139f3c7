/* model.h -- what an ae_model holds. Private to the library. */
#ifndef AE_MODEL_H
#define AE_MODEL_H

#include <stdatomic.h>
#include <stdint.h>

#include "ae.h"
#include "graph.h"
#include "options.h"
#include "spec.h"

/* Figures of the last (or current) training call; see ae_stat. */
typedef struct ae_train_stats {
  double loss;            /* mean total loss of the epoch so far */
  double reconstruction;  /* its reconstruction part */
  double l2_penalty;      /* its penalty parts */
  double l1_penalty;
  double kl_penalty;
  double contractive_penalty;
  double vae_kl;          /* a VAE's weighted KL term */
  double validation_loss; /* after the last finished epoch; NaN without a split */
  int64_t best_epoch;
} ae_train_stats;

/* Every figure NaN, best_epoch 0: the state before any training. */
void ae_train_stats_reset(ae_train_stats *stats);

struct ae_model {
  ae_spec spec;
  char *spec_text;        /* canonical spec, ae_spec_format */
  ae_graph graph;
  uint64_t seed;
  ae_options options;
  float *params;          /* the parameter arena, (graph.n_params) */

  /* Optimizer state kept between ae_train calls; NULL until the first. */
  ae_optimizer_kind optim_kind; /* the optimizer optim_state belongs to */
  float *optim_state;     /* ae_optim_state_floats(optim_kind, n_params) */
  int64_t optim_steps;    /* updates made with optim_state (Adam's t) */

  int64_t epochs_trained; /* over all ae_train calls */
  int64_t train_calls;    /* finished ae_train calls; keys the random streams */
  /* Loss of every finished epoch e < epochs_trained: history[2e] training,
   * history[2e + 1] validation (NaN without a split). Room for
   * history_capacity epochs. */
  double *history;
  int64_t history_capacity;

  /* Input standardisation, (spec.input_size) each, or both NULL. */
  float *input_mean;
  float *input_scale;
  ae_train_stats stats;

  ae_progress_fn progress;
  void *progress_data;

  /* > 0: that many inference calls running; -1: training. */
  _Atomic int64_t users;
};

/* Builds a model with default options and zero weights from parsed spec text.
 * On success *out owns the model; the caller then fills or initialises the
 * parameters. */
ae_status ae_model_new(const char *spec_text, uint64_t seed, const char *caller,
                       ae_model **out);

/* Readers (inference, save) and the one writer (training, setters) exclude
 * each other; contention is reported as AE_ERR_BUSY, never waited for. */
ae_status ae_model_acquire_read(const ae_model *m, const char *caller);
void ae_model_release_read(const ae_model *m);
ae_status ae_model_acquire_write(ae_model *m, const char *caller);
void ae_model_release_write(ae_model *m);

/* Checks a data matrix passed to a public function: non-NULL, n >= 1,
 * cols == expected, n * cols without overflow, every value finite. `what` names
 * the argument in messages ("x", "code", ...). */
ae_status ae_check_matrix(const char *caller, const char *what, const float *data,
                          int64_t n, int64_t cols, int64_t expected_cols);
/* The same for an output buffer: no finiteness check. */
ae_status ae_check_output(const char *caller, const char *what, const float *data,
                          int64_t n, int64_t cols, int64_t expected_cols);

#endif
