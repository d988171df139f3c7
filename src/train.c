/* train.c -- ae_train: minibatch gradient descent over the layer graph.
 *
 * One step: gather a shuffled minibatch -> forward -> loss and its gradient
 * (from logits for BCE after a sigmoid) -> backward into the gradient arena ->
 * parameter regularizers add their penalty gradients -> finiteness check ->
 * optimizer update -> progress callback. Everything that can fail for lack of
 * memory is allocated before the first update, so a failed call leaves the
 * model unchanged. */
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "finite.h"
#include "loss/loss.h"
#include "model.h"
#include "noise.h"
#include "optim/optim.h"
#include "reg/reg.h"
#include "rng.h"
#include "scaling.h"

static const char *const CALLER = "ae_train";

/* The settings of one call, read once from the options. */
typedef struct settings {
  int64_t epochs, batch, patience, progress_every;
  int shuffle;
  double validation_split, l2;
  ae_loss_kind loss;
  int from_logits;
  int per_sample;      /* AE_REDUCTION_SUM: losses summed over a sample's outputs */
  ae_optim_config optim;
} settings;

/* Everything one call allocates; freed together. */
typedef struct buffers {
  int64_t *order;      /* (n): rows, validation rows first */
  float *grads;        /* (n_params) the gradient arena */
  float *optim_state;  /* a fresh optimizer state, or NULL to keep the model's */
  float *best_params;  /* (n_params) best validation weights; with patience */
  float *epoch_params; /* (n_params) weights at the epoch's start */
  float *xb, *tb;      /* (batch, in), (batch, out) gathered minibatch */
  double *history;     /* a larger loss history, or NULL to keep the model's */
  ae_workspace ws;
  ae_rng noise_rng;    /* corruption of this call's minibatches */
  ae_rng probe_rng;    /* the deep contractive penalty's probes */
  ae_rng eps_rng;      /* a VAE's reparameterization noise */
  int64_t steps_taken; /* updates this call has made */
} buffers;

typedef struct data {
  const float *x, *t;  /* (n, in), (n, out) */
  int64_t n, in, out;
  int t_is_x;          /* no target given: reconstruct x */
  float lo, hi;        /* range of x, for salt-and-pepper and clipped noise */
} data;

static void read_settings(const ae_model *m, settings *s) {
  const ae_options *o = &m->options;
  s->epochs = (int64_t)ae_options_get(o, AE_OPT_EPOCHS);
  s->batch = (int64_t)ae_options_get(o, AE_OPT_BATCH_SIZE);
  s->shuffle = ae_options_get(o, AE_OPT_SHUFFLE) != 0.0;
  s->validation_split = ae_options_get(o, AE_OPT_VALIDATION_SPLIT);
  s->patience = (int64_t)ae_options_get(o, AE_OPT_PATIENCE);
  s->progress_every = (int64_t)ae_options_get(o, AE_OPT_PROGRESS_EVERY);
  s->l2 = ae_options_get(o, AE_OPT_L2);
  s->loss = (ae_loss_kind)ae_options_get(o, AE_OPT_LOSS);
  s->per_sample = ae_options_get(o, AE_OPT_LOSS_REDUCTION) == AE_REDUCTION_SUM;
  const ae_layer *last = &m->graph.layers[m->graph.n_layers - 1];
  s->from_logits = ae_loss_uses_logits(s->loss, last->act == AE_ACT_SIGMOID);
  s->optim.kind = (ae_optimizer_kind)ae_options_get(o, AE_OPT_OPTIMIZER);
  s->optim.learning_rate = (float)ae_options_get(o, AE_OPT_LEARNING_RATE);
  s->optim.momentum = (float)ae_options_get(o, AE_OPT_MOMENTUM);
  s->optim.beta1 = (float)ae_options_get(o, AE_OPT_ADAM_BETA1);
  s->optim.beta2 = (float)ae_options_get(o, AE_OPT_ADAM_BETA2);
  s->optim.epsilon = (float)ae_options_get(o, AE_OPT_ADAM_EPSILON);
}

static ae_status check_arguments(const ae_model *m, const data *d, const settings *s,
                                 int64_t target_cols, int64_t *n_val) {
  ae_status st = ae_check_matrix(CALLER, "x", d->x, d->n, d->in, m->spec.input_size);
  if (st != AE_OK) return st;
  if (d->t_is_x && m->spec.output_size != m->spec.input_size) {
    return ae_fail(AE_ERR_SHAPE,
                   "ae_train: target is NULL (reconstruct x) but the model outputs %lld "
                   "columns for %lld inputs; pass a target",
                   (long long)m->spec.output_size, (long long)m->spec.input_size);
  }
  if (!d->t_is_x && (st = ae_check_matrix(CALLER, "target", d->t, d->n, target_cols,
                                            m->spec.output_size)) != AE_OK) {
    return st;
  }
  if (s->loss == AE_LOSS_BCE) {
    for (int64_t i = 0; i < d->n * d->out; i++) {
      if (d->t[i] < 0.0f || d->t[i] > 1.0f) {
        return ae_fail(AE_ERR_INVALID_ARGUMENT,
                       "ae_train: %s[%lld][%lld] = %g; the BCE loss needs targets in [0, 1]",
                       d->t_is_x ? "x" : "target", (long long)(i / d->out),
                       (long long)(i % d->out), (double)d->t[i]);
      }
    }
  }
  *n_val = (int64_t)floor(s->validation_split * (double)d->n);
  if (s->validation_split > 0 && *n_val < 1) {
    return ae_fail(AE_ERR_INVALID_ARGUMENT,
                   "ae_train: a validation split of %g of %lld rows holds out no row",
                   s->validation_split, (long long)d->n);
  }
  if (*n_val >= d->n) {
    return ae_fail(AE_ERR_INVALID_ARGUMENT, "ae_train: the validation split leaves no training row");
  }
  if (s->patience > 0 && *n_val == 0) {
    return ae_fail(AE_ERR_INVALID_ARGUMENT,
                   "ae_train: AE_OPT_PATIENCE needs AE_OPT_VALIDATION_SPLIT > 0");
  }
  return AE_OK;
}

/* The smallest and largest value of x (finite: checked before). */
static void data_range(data *d) {
  d->lo = d->hi = d->x[0];
  for (int64_t i = 1; i < d->n * d->in; i++) {
    if (d->x[i] < d->lo) d->lo = d->x[i];
    if (d->x[i] > d->hi) d->hi = d->x[i];
  }
}

static void free_buffers(buffers *b) {
  ae_free(b->order);
  ae_free(b->grads);
  ae_free(b->optim_state);
  ae_free(b->best_params);
  ae_free(b->epoch_params);
  ae_free(b->xb);
  ae_free(b->tb);
  ae_free(b->history);
  ae_workers_stop(b->ws.workers);
  ae_workspace_free(&b->ws);
}

static ae_status alloc_buffers(const ae_model *m, const data *d, const settings *s,
                               int64_t batch, buffers *b) {
  memset(b, 0, sizeof *b);
  size_t np = (size_t)m->graph.n_params;
  int fresh_state = !m->optim_state || m->optim_kind != s->optim.kind;
  b->order = ae_malloc((size_t)d->n, sizeof *b->order);
  b->grads = ae_malloc(np, sizeof(float));
  b->epoch_params = ae_malloc(np, sizeof(float));
  b->xb = ae_malloc((size_t)(batch * d->in), sizeof(float));
  b->tb = ae_malloc((size_t)(batch * d->out), sizeof(float));
  if (fresh_state) {
    b->optim_state = ae_calloc((size_t)ae_optim_state_floats(s->optim.kind, m->graph.n_params),
                               sizeof(float));
  }
  if (s->patience > 0) b->best_params = ae_malloc(np, sizeof(float));
  int64_t history_needed = m->epochs_trained + s->epochs;
  int grow_history = history_needed > m->history_capacity;
  if (grow_history) {
    b->history = ae_malloc((size_t)history_needed * 2, sizeof(double));
    if (b->history && m->epochs_trained > 0) {
      memcpy(b->history, m->history, (size_t)m->epochs_trained * 2 * sizeof(double));
    }
  }
  if (!b->order || !b->grads || !b->epoch_params || !b->xb || !b->tb ||
      (fresh_state && !b->optim_state) || (s->patience > 0 && !b->best_params) ||
      (grow_history && !b->history)) {
    free_buffers(b);
    return ae_fail(AE_ERR_NO_MEMORY, "ae_train: out of memory for the training buffers");
  }
  ae_status st = ae_workspace_init(&b->ws, &m->graph, batch, 1, CALLER);
  if (st == AE_OK && ae_workers_start(ae_workers_default_threads(), &b->ws.workers) != AE_OK) {
    st = ae_fail(AE_ERR_NO_MEMORY, "ae_train: out of memory for the training threads");
  }
  if (st != AE_OK) free_buffers(b);
  return st;
}

/* Copies rows order[0..rows) of x and t into the minibatch buffers, corrupts
 * the inputs (training only, in the data's units) and standardises them when
 * the model says so. */
static void gather(const ae_model *m, const data *d, const int64_t *order, int64_t rows,
                   int corrupt, buffers *b) {
  for (int64_t r = 0; r < rows; r++) {
    memcpy(b->xb + r * d->in, d->x + order[r] * d->in, (size_t)d->in * sizeof(float));
    memcpy(b->tb + r * d->out, d->t + order[r] * d->out, (size_t)d->out * sizeof(float));
  }
  if (corrupt) ae_corrupt(&m->spec.noise, b->xb, rows * d->in, d->lo, d->hi, &b->noise_rng);
  if (m->input_mean) ae_scale_rows(m->input_mean, m->input_scale, b->xb, b->xb, rows, d->in);
}

/* Mean over a sample's outputs (the default) or their sum: the divisor that
 * turns a loss summed over `rows` rows into the reported unit. */
static double reduction_divisor(const settings *s, const data *d, int64_t rows) {
  return (double)rows * (s->per_sample ? 1.0 : (double)d->out);
}

typedef struct values {
  const float *v;
} values;

/* 1 when v[begin, end) holds an Inf or NaN */
static double nonfinite_range(void *ctx, int64_t begin, int64_t end) {
  const values *values_ctx = ctx;
  const float *v = values_ctx->v;
  uint32_t bad = 0;
  for (int64_t i = begin; i < end; i++) bad |= ae_nonfinite_bit(v[i]);
  return bad;
}

/* Whether every value is finite. */
static int all_finite(ae_workers *w, const float *v, int64_t n) {
  values ctx = {v};
  return ae_parallel(w, n, AE_STREAM_GRAIN, nonfinite_range, &ctx) == 0.0;
}

/* Mean reconstruction loss over rows order[0..n_val). */
static double validation_loss(const ae_model *m, const data *d, const settings *s,
                              const int64_t *order, int64_t n_val, buffers *b) {
  const ae_graph *g = &m->graph;
  double sum = 0.0;
  for (int64_t r0 = 0; r0 < n_val; r0 += b->ws.rows) {
    int64_t rows = n_val - r0 < b->ws.rows ? n_val - r0 : b->ws.rows;
    gather(m, d, order + r0, rows, 0, b);
    b->ws.sample = 0;
    ae_graph_forward(g, m->params, &b->ws, b->xb, rows, 0, g->n_layers - 1, s->from_logits);
    sum += ae_loss_eval(b->ws.workers, s->loss, s->from_logits, b->ws.out[g->n_layers - 1],
                        b->tb, rows * d->out, NULL, 0.0f);
  }
  return sum / reduction_divisor(s, d, n_val);
}

/* The running sums of one epoch: batch values weighted by rows. */
typedef struct epoch_sums {
  double reconstruction, l2;
  ae_penalty_sums penalties;
  int64_t rows;
} epoch_sums;

/* Publishes the epoch's running means as the model's training figures. */
static void update_stats(ae_model *m, const epoch_sums *sums) {
  double n = (double)sums->rows;
  ae_train_stats *st = &m->stats;
  st->reconstruction = sums->reconstruction / n;
  st->l2_penalty = sums->l2 / n;
  st->l1_penalty = sums->penalties.l1 / n;
  st->kl_penalty = sums->penalties.kl / n;
  st->contractive_penalty = sums->penalties.contractive / n;
  st->vae_kl = sums->penalties.vae_kl / n;
  st->loss = st->reconstruction + st->l2_penalty + st->l1_penalty + st->kl_penalty +
             st->contractive_penalty + st->vae_kl;
}

/* Fills v[0..count) with N(0, 1) values; nothing when v is NULL. */
static void draw_normals(float *v, int64_t count, ae_rng *rng) {
  if (!v) return;
  for (int64_t i = 0; i < count; i++) v[i] = ae_rng_normal(rng);
}

/* One optimisation step on the rows order[0..rows). Returns AE_OK or
 * AE_ERR_DIVERGED (weights untouched by this step). */
static ae_status step(ae_model *m, const data *d, const settings *s, const int64_t *order,
                      int64_t rows, buffers *b, epoch_sums *sums) {
  const ae_graph *g = &m->graph;
  int32_t last = g->n_layers - 1;
  gather(m, d, order, rows, 1, b);
  draw_normals(b->ws.eps, rows * g->layers[g->code_layer].out, &b->eps_rng);
  draw_normals(b->ws.probe, rows * d->in, &b->probe_rng);
  b->ws.sample = b->ws.eps != NULL;
  ae_graph_forward(g, m->params, &b->ws, b->xb, rows, 0, last, s->from_logits);
  int64_t count = rows * d->out;
  double divisor = reduction_divisor(s, d, rows);
  double recon = ae_loss_eval(b->ws.workers, s->loss, s->from_logits, b->ws.out[last], b->tb,
                              count, b->ws.delta[0], (float)(1.0 / divisor)) / divisor;
  ae_parallel_zero(b->ws.workers, b->grads, g->n_params);
  ae_penalty_sums pen = {0, 0, 0, 0};
  ae_graph_backward(g, m->params, b->grads, &b->ws, b->xb, rows, last, s->from_logits, NULL,
                    &pen);
  double l2 = s->l2 > 0 ? ae_reg_l2.apply(g, m->params, b->grads, s->l2) : 0.0;
  double total = recon + l2 + pen.l1 + pen.kl + pen.contractive + pen.vae_kl;
  if (!isfinite(total) || !all_finite(b->ws.workers, b->grads, g->n_params)) {
    return ae_fail(AE_ERR_DIVERGED,
                   "ae_train: the %s became %s at epoch %lld; lower AE_OPT_LEARNING_RATE or "
                   "scale the data",
                   isfinite(total) ? "gradient" : "loss",
                   isnan(total) ? "NaN" : "Inf or NaN",
                   (long long)m->epochs_trained + 1);
  }
  m->optim_steps++;
  /* Finite gradients can still overflow the weights (lr * v > FLT_MAX) or
   * the optimizer state (Adam's g^2). Catch it at this step: the next epoch
   * would otherwise start from (and, after a divergence, restore) non-finite
   * values. */
  if (!ae_optim_step(b->ws.workers, &s->optim, m->params, b->grads, m->optim_state,
                     g->n_params, m->optim_steps)) {
    return ae_fail(AE_ERR_DIVERGED,
                   "ae_train: the weights or the optimizer state became Inf or NaN at "
                   "epoch %lld; lower AE_OPT_LEARNING_RATE or scale the data",
                   (long long)m->epochs_trained + 1);
  }
  double w = (double)rows;
  sums->reconstruction += recon * w;
  sums->l2 += l2 * w;
  sums->penalties.l1 += pen.l1 * w;
  sums->penalties.kl += pen.kl * w;
  sums->penalties.contractive += pen.contractive * w;
  sums->penalties.vae_kl += pen.vae_kl * w;
  sums->rows += rows;
  update_stats(m, sums);
  return AE_OK;
}

/* The VAE's KL weight in the model's next epoch: beta, ramped linearly over
 * its first `warmup` epochs (counted over all calls): beta * e / warmup in
 * epoch e. */
static double vae_beta(const ae_model *m) {
  const ae_layer_penalties *p = &m->graph.layers[m->graph.code_layer].penalties;
  double e = (double)(m->epochs_trained + 1);
  return p->vae_warmup > 0 && e < (double)p->vae_warmup ? p->vae_beta * e / (double)p->vae_warmup
                                                         : p->vae_beta;
}

static int wants_stop(const ae_model *m, int64_t epoch, int64_t step_no, int64_t steps) {
  return m->progress && m->progress(m->progress_data, epoch, step_no, steps, m->stats.loss) != 0;
}

/* After a divergence the weights are those before the failing step, unless an
 * update itself overflowed the weights or the optimizer state; then the
 * epoch's starting weights come back, with the state reset. */
static void keep_finite_weights(ae_model *m, const buffers *b) {
  int64_t np = m->graph.n_params, state = ae_optim_state_floats(m->optim_kind, np);
  if (all_finite(b->ws.workers, m->params, np) &&
      all_finite(b->ws.workers, m->optim_state, state)) {
    return;
  }
  memcpy(m->params, b->epoch_params, (size_t)np * sizeof(float));
  memset(m->optim_state, 0, (size_t)state * sizeof(float));
  m->optim_steps = 0;
}

/* What ae_train replaces before its first step. */
typedef struct previous {
  float *optim_state;
  ae_optimizer_kind optim_kind;
  int64_t optim_steps;
  ae_train_stats stats;
} previous;

/* After a divergence at the first step: the model as it was before the call
 * (its weights are: keep_finite_weights restored them if the update itself
 * overflowed), but for an optimizer state that update overflowed in place,
 * which stays reset. */
static void give_back(ae_model *m, const previous *was, buffers *b) {
  if (m->optim_state != was->optim_state) { /* the call had replaced it */
    b->optim_state = m->optim_state;        /* freed with the buffers */
    m->optim_state = was->optim_state;
    m->optim_kind = was->optim_kind;
    m->optim_steps = was->optim_steps;
  }
  m->stats = was->stats;
}

static ae_status run_epochs(ae_model *m, const data *d, const settings *s, int64_t n_val,
                            int64_t batch, buffers *b) {
  int64_t np = m->graph.n_params;
  int64_t *train_rows = b->order + n_val;
  int64_t n_train = d->n - n_val;
  int64_t steps = (n_train + batch - 1) / batch;
  double best = INFINITY;
  for (int64_t epoch = 1; epoch <= s->epochs; epoch++) {
    memcpy(b->epoch_params, m->params, (size_t)np * sizeof(float));
    if (s->shuffle) {
      ae_rng rng = ae_rng_stream(m->seed, AE_RNG_SHUFFLE,
                                 ((uint64_t)m->train_calls << 32) | (uint64_t)epoch);
      ae_rng_shuffle(&rng, train_rows, n_train);
    }
    epoch_sums sums = {0, 0, {0, 0, 0, 0}, 0};
    b->ws.vae_beta = vae_beta(m);
    for (int64_t k = 0; k < steps; k++) {
      int64_t rows = n_train - k * batch < batch ? n_train - k * batch : batch;
      ae_status st = step(m, d, s, train_rows + k * batch, rows, b, &sums);
      if (st != AE_OK) {
        keep_finite_weights(m, b);
        return st;
      }
      b->steps_taken++;
      int64_t done = k + 1;
      if (s->progress_every > 0 && done % s->progress_every == 0 && done < steps &&
          wants_stop(m, epoch, done, steps)) {
        return AE_OK;
      }
    }
    m->history[2 * m->epochs_trained] = m->stats.loss;
    m->history[2 * m->epochs_trained + 1] = NAN;
    m->epochs_trained++;
    if (n_val > 0) {
      m->stats.validation_loss = validation_loss(m, d, s, b->order, n_val, b);
      if (m->stats.validation_loss < best) {
        best = m->stats.validation_loss;
        m->stats.best_epoch = epoch;
        if (b->best_params) memcpy(b->best_params, m->params, (size_t)np * sizeof(float));
      }
      m->history[2 * m->epochs_trained - 1] = m->stats.validation_loss;
    }
    if (wants_stop(m, epoch, steps, steps)) return AE_OK;
    if (s->patience > 0 && epoch - m->stats.best_epoch >= s->patience) return AE_OK;
  }
  return AE_OK;
}

ae_status ae_train(ae_model *m, const float *x, int64_t n, int64_t x_cols,
                   const float *target, int64_t target_cols) {
  ae_clear_error();
  if (!m) return ae_fail(AE_ERR_NULL_ARGUMENT, "ae_train: model is NULL");
  /* The guard before reading any option: a setter on another thread must not
   * change them under us (ThreadSanitizer found that race). */
  ae_status st = ae_model_acquire_write(m, CALLER);
  if (st != AE_OK) return st;
  settings s;
  read_settings(m, &s);
  data d = {x, target ? target : x, n, x_cols, m->spec.output_size, target == NULL, 0, 0};
  int64_t n_val = 0;
  if ((st = check_arguments(m, &d, &s, target_cols, &n_val)) != AE_OK) {
    ae_model_release_write(m);
    return st;
  }
  int64_t batch = s.batch < n - n_val ? s.batch : n - n_val;
  data_range(&d);

  buffers b;
  if ((st = alloc_buffers(m, &d, &s, batch, &b)) != AE_OK) {
    ae_model_release_write(m);
    return st;
  }
  /* From here on the model changes. A divergence at the very first step
   * learnt nothing, so it gives back what the call replaced: the optimizer
   * state (kept in b until the buffers go, so a call that switches
   * optimizers holds both states), the statistics and the call count. */
  previous was = {m->optim_state, m->optim_kind, m->optim_steps, m->stats};
  if (b.optim_state) {
    m->optim_state = b.optim_state;
    b.optim_state = was.optim_state;
    m->optim_kind = s.optim.kind;
    m->optim_steps = 0;
  }
  if (b.history) {
    ae_free(m->history);
    m->history = b.history;
    m->history_capacity = m->epochs_trained + s.epochs;
    b.history = NULL;
  }
  for (int64_t i = 0; i < n; i++) b.order[i] = i;
  if (n_val > 0) {
    ae_rng rng = ae_rng_stream(m->seed, AE_RNG_SPLIT, (uint64_t)m->train_calls);
    ae_rng_shuffle(&rng, b.order, n);
  }
  ae_train_stats_reset(&m->stats);
  b.noise_rng = ae_rng_stream(m->seed, AE_RNG_NOISE, (uint64_t)m->train_calls);
  b.probe_rng = ae_rng_stream(m->seed, AE_RNG_PROBE, (uint64_t)m->train_calls);
  b.eps_rng = ae_rng_stream(m->seed, AE_RNG_EPS, (uint64_t)m->train_calls);

  st = run_epochs(m, &d, &s, n_val, batch, &b);
  if (st == AE_OK && b.best_params && m->stats.best_epoch > 0) {
    memcpy(m->params, b.best_params, (size_t)m->graph.n_params * sizeof(float));
  }
  if (st == AE_ERR_DIVERGED && b.steps_taken == 0) {
    give_back(m, &was, &b);
  } else {
    m->train_calls++;
  }
  free_buffers(&b);
  ae_model_release_write(m);
  return st;
}
