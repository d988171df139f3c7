/* model.c -- public entry points for creating, inspecting and configuring a
 * model; argument checks live here, the work in the modules they call. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

#define STR_(x) #x
#define STR(x) STR_(x)

uint32_t ae_version(void) { return AE_VERSION_NUMBER; }

const char *ae_version_string(void) {
  return STR(AE_VERSION_MAJOR) "." STR(AE_VERSION_MINOR) "." STR(AE_VERSION_PATCH);
}

ae_status ae_model_new(const char *spec_text, uint64_t seed, const char *caller,
                       ae_model **out) {
  *out = NULL;
  ae_model *m = ae_calloc(1, sizeof *m);
  if (!m) return ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory", caller);
  ae_status st = ae_spec_parse(spec_text, caller, &m->spec);
  if (st != AE_OK) {
    ae_free(m);
    return st;
  }
  m->spec_text = ae_spec_format(&m->spec);
  st = m->spec_text ? ae_graph_build(&m->spec, caller, &m->graph)
                    : ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory", caller);
  if (st == AE_OK) {
    m->params = ae_calloc((size_t)m->graph.n_params, sizeof(float));
    if (!m->params) {
      st = ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory for %lld parameters", caller,
                   (long long)m->graph.n_params);
    }
  }
  if (st != AE_OK) {
    ae_model_free(m);
    return st;
  }
  m->seed = seed;
  ae_options_default(&m->options);
  if (m->graph.variational) {
    /* a VAE's loss is the negative ELBO: reconstruction summed per sample */
    int slot;
    ae_option_find(AE_OPT_LOSS_REDUCTION, &slot);
    m->options.value[slot] = AE_REDUCTION_SUM;
  }
  m->optim_kind = AE_OPTIMIZER_ADAM;
  ae_train_stats_reset(&m->stats);
  atomic_init(&m->users, 0);
  *out = m;
  return AE_OK;
}

void ae_train_stats_reset(ae_train_stats *stats) {
  stats->loss = stats->reconstruction = NAN;
  stats->l2_penalty = stats->l1_penalty = stats->kl_penalty = stats->contractive_penalty = NAN;
  stats->vae_kl = NAN;
  stats->validation_loss = NAN;
  stats->best_epoch = 0;
}

ae_status ae_model_create(ae_model **out, const char *spec, uint64_t seed) {
  ae_clear_error();
  if (!out) return ae_fail(AE_ERR_NULL_ARGUMENT, "ae_model_create: out is NULL");
  *out = NULL;
  if (!spec) return ae_fail(AE_ERR_NULL_ARGUMENT, "ae_model_create: spec is NULL");
  ae_model *m;
  ae_status st = ae_model_new(spec, seed, "ae_model_create", &m);
  if (st != AE_OK) return st;
  ae_graph_init_params(&m->graph, m->params, seed);
  *out = m;
  return AE_OK;
}

void ae_model_free(ae_model *m) {
  if (!m) return;
  ae_free(m->optim_state);
  ae_free(m->history);
  ae_free(m->input_mean);
  ae_free(m->input_scale);
  ae_free(m->params);
  ae_graph_free(&m->graph);
  ae_free(m->spec_text);
  ae_spec_free(&m->spec);
  ae_free(m);
}

int64_t ae_input_size(const ae_model *m) { return m ? m->spec.input_size : 0; }
int64_t ae_code_size(const ae_model *m) {
  return m ? m->graph.layers[m->graph.code_layer].out : 0;
}
int64_t ae_output_size(const ae_model *m) { return m ? m->spec.output_size : 0; }
int64_t ae_param_count(const ae_model *m) { return m ? m->graph.n_params : 0; }
int64_t ae_epochs_trained(const ae_model *m) { return m ? m->epochs_trained : 0; }
const char *ae_model_spec(const ae_model *m) { return m ? m->spec_text : ""; }

ae_status ae_loss_history(const ae_model *m, int64_t epoch, double *train_loss,
                          double *validation_loss) {
  ae_clear_error();
  if (!m) return ae_fail(AE_ERR_NULL_ARGUMENT, "ae_loss_history: model is NULL");
  if (epoch < 1 || epoch > m->epochs_trained) {
    return ae_fail(AE_ERR_INVALID_ARGUMENT,
                   "ae_loss_history: epoch %lld is outside 1..%lld (epochs trained)",
                   (long long)epoch, (long long)m->epochs_trained);
  }
  if (train_loss) *train_loss = m->history[2 * (epoch - 1)];
  if (validation_loss) *validation_loss = m->history[2 * (epoch - 1) + 1];
  return AE_OK;
}

/* ---- options ---- */

ae_status ae_set_option(ae_model *m, ae_option option, double value) {
  ae_clear_error();
  if (!m) return ae_fail(AE_ERR_NULL_ARGUMENT, "ae_set_option: model is NULL");
  int slot;
  const ae_option_info *info = ae_option_find(option, &slot);
  if (!info) return ae_fail(AE_ERR_INVALID_ARGUMENT, "ae_set_option: unknown option %d", (int)option);
  ae_status st = ae_option_validate(info, value, "ae_set_option");
  if (st != AE_OK) return st;
  if ((st = ae_model_acquire_write(m, "ae_set_option")) != AE_OK) return st;
  m->options.value[slot] = value;
  ae_model_release_write(m);
  return AE_OK;
}

ae_status ae_get_option(const ae_model *m, ae_option option, double *value) {
  ae_clear_error();
  if (!m || !value) return ae_fail(AE_ERR_NULL_ARGUMENT, "ae_get_option: %s is NULL", m ? "value" : "model");
  int slot;
  if (!ae_option_find(option, &slot)) {
    return ae_fail(AE_ERR_INVALID_ARGUMENT, "ae_get_option: unknown option %d", (int)option);
  }
  *value = m->options.value[slot];
  return AE_OK;
}

ae_status ae_option_bounds(ae_option option, double *min, double *max, double *default_value) {
  ae_clear_error();
  const ae_option_info *info = ae_option_find(option, NULL);
  if (!info) return ae_fail(AE_ERR_INVALID_ARGUMENT, "ae_option_bounds: unknown option %d", (int)option);
  if (min) *min = info->min;
  if (max) *max = info->max;
  if (default_value) *default_value = info->default_value;
  return AE_OK;
}

ae_status ae_set_progress(ae_model *m, ae_progress_fn fn, void *user_data) {
  ae_clear_error();
  if (!m) return ae_fail(AE_ERR_NULL_ARGUMENT, "ae_set_progress: model is NULL");
  ae_status st = ae_model_acquire_write(m, "ae_set_progress");
  if (st != AE_OK) return st;
  m->progress = fn;
  m->progress_data = user_data;
  ae_model_release_write(m);
  return AE_OK;
}

ae_status ae_train_stat(const ae_model *m, ae_stat stat, double *value) {
  ae_clear_error();
  if (!m || !value) return ae_fail(AE_ERR_NULL_ARGUMENT, "ae_train_stat: %s is NULL", m ? "value" : "model");
  switch (stat) {
    case AE_STAT_LOSS: *value = m->stats.loss; return AE_OK;
    case AE_STAT_RECONSTRUCTION: *value = m->stats.reconstruction; return AE_OK;
    case AE_STAT_L2_PENALTY: *value = m->stats.l2_penalty; return AE_OK;
    case AE_STAT_VALIDATION_LOSS: *value = m->stats.validation_loss; return AE_OK;
    case AE_STAT_BEST_EPOCH: *value = (double)m->stats.best_epoch; return AE_OK;
    case AE_STAT_L1_PENALTY: *value = m->stats.l1_penalty; return AE_OK;
    case AE_STAT_KL_PENALTY: *value = m->stats.kl_penalty; return AE_OK;
    case AE_STAT_CONTRACTIVE_PENALTY: *value = m->stats.contractive_penalty; return AE_OK;
    case AE_STAT_VAE_KL: *value = m->stats.vae_kl; return AE_OK;
  }
  return ae_fail(AE_ERR_INVALID_ARGUMENT, "ae_train_stat: unknown stat %d", (int)stat);
}

/* ---- the reader/writer guard ---- */

/* The guard is state of the model object, not of its contents: readers take
 * it through a const pointer, as one would lock a mutex inside a const object. */
static _Atomic int64_t *users_of(const ae_model *m) { return (_Atomic int64_t *)&m->users; }

ae_status ae_model_acquire_read(const ae_model *m, const char *caller) {
  _Atomic int64_t *users = users_of(m);
  int64_t seen = atomic_load(users);
  do {
    if (seen < 0) return ae_fail(AE_ERR_BUSY, "%s: the model is being trained", caller);
  } while (!atomic_compare_exchange_weak(users, &seen, seen + 1));
  return AE_OK;
}

void ae_model_release_read(const ae_model *m) { atomic_fetch_sub(users_of(m), 1); }

ae_status ae_model_acquire_write(ae_model *m, const char *caller) {
  int64_t expected = 0;
  if (atomic_compare_exchange_strong(&m->users, &expected, -1)) return AE_OK;
  return ae_fail(AE_ERR_BUSY, "%s: the model is in use by %s", caller,
                 expected < 0 ? "training" : "inference");
}

void ae_model_release_write(ae_model *m) { atomic_store(&m->users, 0); }

/* ---- argument checks shared by the entry points ---- */

ae_status ae_check_output(const char *caller, const char *what, const float *data,
                          int64_t n, int64_t cols, int64_t expected_cols) {
  if (!data) return ae_fail(AE_ERR_NULL_ARGUMENT, "%s: %s is NULL", caller, what);
  if (n < 1) return ae_fail(AE_ERR_SHAPE, "%s: n = %lld, need at least 1 row", caller, (long long)n);
  if (cols != expected_cols) {
    return ae_fail(AE_ERR_SHAPE, "%s: %s has %lld columns, model expects %lld", caller, what,
                   (long long)cols, (long long)expected_cols);
  }
  if (n > (int64_t)(SIZE_MAX / sizeof(float)) / cols) {
    return ae_fail(AE_ERR_SHAPE, "%s: %s of %lld rows x %lld columns overflows", caller, what,
                   (long long)n, (long long)cols);
  }
  return AE_OK;
}

ae_status ae_check_matrix(const char *caller, const char *what, const float *data,
                          int64_t n, int64_t cols, int64_t expected_cols) {
  ae_status st = ae_check_output(caller, what, data, n, cols, expected_cols);
  if (st != AE_OK) return st;
  int64_t count = n * cols;
  for (int64_t i = 0; i < count; i++) {
    if (!isfinite(data[i])) {
      return ae_fail(AE_ERR_NONFINITE_INPUT, "%s: %s[%lld][%lld] is %s", caller, what,
                     (long long)(i / cols), (long long)(i % cols),
                     isnan(data[i]) ? "NaN" : "Inf");
    }
  }
  return AE_OK;
}
