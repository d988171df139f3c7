/*
 * ae.h -- libae, autoencoders in C.
 *
 * This header is the whole public API and its manual. Read it top to bottom once:
 *
 *   1. Conventions that hold for every function (ownership, threads, errors).
 *   2. Versions and status codes.
 *   3. The architecture spec: how a model is described as text.
 *   4. Creating and freeing a model; introspection.
 *   5. Training options (setters keyed by an enum) and the progress callback.
 *   6. Training, encoding, decoding, reconstructing, scoring.
 *   7. Saving and loading, to files and to memory.
 *
 * Conventions
 * -----------
 * - Data are dense row-major float32 matrices: `n` rows (samples) of `cols`
 *   columns, passed as a pointer plus both sizes. Row and column counts are
 *   int64_t and must be positive; n * cols must fit in memory arithmetic.
 * - Every fallible function returns an ae_status. AE_OK (0) is success. On
 *   failure, ae_last_error() gives a message naming the problem, for example
 *   "ae_train: x has 783 columns, model expects 784".
 * - A failed call leaves the model exactly as it was, with one documented
 *   exception: training that diverges (AE_ERR_DIVERGED) keeps the progress made
 *   before the failing step.
 * - Pointers passed in are borrowed for the duration of the call only; the
 *   library never keeps them, never frees them. Pointers returned by the library
 *   (strings) are owned by the library and say how long they stay valid.
 * - Threads: a model may be used by one thread at a time, with one exception:
 *   the calls that take a const ae_model * only read it (inference: ae_encode,
 *   ae_encode_distribution, ae_decode, ae_reconstruct, ae_score, ae_sample,
 *   ae_negative_elbo, ae_jacobian_norm; saving; and the getters: sizes, spec,
 *   ae_get_option, ae_train_stat, ae_loss_history, ae_get_input_scaling) and
 *   may run on one model from any number of threads at once. ae_train and
 *   ae_set_* need the model to themselves; when inference or saving is running
 *   on the same model they fail with AE_ERR_BUSY instead of racing (and those
 *   fail with AE_ERR_BUSY while training runs). The getters do not check:
 *   calling them from another thread during ae_train or an ae_set_* call is a
 *   data race (from the progress callback, on the training thread, they are
 *   fine). Different
 *   models are fully independent.
 * - The library never calls exit() or abort() and never prints. Out of memory is
 *   reported as AE_ERR_NO_MEMORY.
 * - Randomness (initialisation, shuffling, validation split) comes from the
 *   model's seed through counter-based streams: the same spec, seed, options,
 *   data, call sequence and BLAS thread count give bit-identical weights.
 * - ae_train runs libae's own loops (everything but the matrix products, which
 *   are the BLAS library's) on as many threads as the BLAS library uses
 *   (openblas_set_num_threads, OPENBLAS_NUM_THREADS): the calling thread and
 *   helpers started and joined within the call. Results do not depend on how
 *   many of libae's own threads there are (the BLAS thread count itself can
 *   change the products' rounding). Inference runs on the calling thread.
 */
#ifndef AE_H
#define AE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* AE_API marks exported functions. Building libae defines AE_BUILDING; linking
 * the static library needs nothing. Symbols are hidden by default. */
#if defined(_WIN32)
#  if defined(AE_BUILDING_SHARED)
#    define AE_API __declspec(dllexport)
#  elif defined(AE_USING_SHARED)
#    define AE_API __declspec(dllimport)
#  else
#    define AE_API
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define AE_API __attribute__((visibility("default")))
#else
#  define AE_API
#endif

/* ------------------------------------------------------------------------ */
/* Versions                                                                 */
/* ------------------------------------------------------------------------ */

/* The one source of the version: CMake reads these three lines. The shared
 * library's SONAME is libae.so.AE_VERSION_MAJOR. */
#define AE_VERSION_MAJOR 0
#define AE_VERSION_MINOR 1
#define AE_VERSION_PATCH 0
#define AE_VERSION_NUMBER \
  (AE_VERSION_MAJOR * 10000 + AE_VERSION_MINOR * 100 + AE_VERSION_PATCH)

/* The version of the library actually linked, as AE_VERSION_NUMBER computes it.
 * Compare with AE_VERSION_NUMBER to detect a header/library mismatch.
 * Thread-safe. Never fails. */
AE_API uint32_t ae_version(void);

/* The same version as "MAJOR.MINOR.PATCH". Static string. Thread-safe. */
AE_API const char *ae_version_string(void);

/* ------------------------------------------------------------------------ */
/* Status codes                                                             */
/* ------------------------------------------------------------------------ */

/* Values are explicit and never renumbered; new codes are appended. */
typedef enum ae_status {
  AE_OK = 0,
  AE_ERR_NULL_ARGUMENT = 1,    /* a required pointer was NULL */
  AE_ERR_INVALID_ARGUMENT = 2, /* a value out of its documented range */
  AE_ERR_SHAPE = 3,            /* sizes that do not match the model or overflow */
  AE_ERR_NONFINITE_INPUT = 4,  /* NaN or Inf in the data */
  AE_ERR_NO_MEMORY = 5,        /* an allocation failed */
  AE_ERR_SPEC = 6,             /* the architecture spec cannot be parsed or built */
  AE_ERR_IO = 7,               /* a file could not be opened, read or written */
  AE_ERR_FORMAT = 8,           /* not a libae model, truncated, or inconsistent */
  AE_ERR_CHECKSUM = 9,         /* the model data fail their checksum */
  AE_ERR_VERSION = 10,         /* a model file from a newer format version */
  AE_ERR_DIVERGED = 11,        /* the training loss or gradient became NaN or Inf */
  AE_ERR_BUSY = 12,            /* training and inference on one model at once */
  AE_ERR_BUFFER_TOO_SMALL = 13 /* a caller's buffer cannot hold the result */
} ae_status;

/* A short static name of a status, e.g. "AE_ERR_SHAPE: sizes do not match".
 * Unknown values give "unknown status". Thread-safe. Never NULL. */
AE_API const char *ae_status_string(ae_status status);

/* The detail message of the last failed call made by the calling thread, or ""
 * if none failed yet. Each thread has its own message (like errno), so read it
 * on the thread that made the call, before that thread calls libae again
 * (bindings for runtimes that move work between OS threads, such as Go, must
 * pin the thread across the pair). The string is owned by the library and
 * valid until the thread's next libae call. Never NULL. */
AE_API const char *ae_last_error(void);

/* ------------------------------------------------------------------------ */
/* The architecture spec                                                    */
/* ------------------------------------------------------------------------ */

/*
 * A model is described by text: statements separated by ';' or newlines,
 * words separated by spaces. '#' starts a comment that runs to the line's end.
 *
 *   input N            the input width (required, first statement), or
 *   input CxHxW        an image input: C channels of H x W pixels. Rows of x
 *                      then hold each sample in NCHW order (channel-major,
 *                      then rows, then columns), C*H*W values.
 *   dense N ACT        a fully connected layer of N units with activation ACT
 *   code N ACT         the code (bottleneck) layer: a dense layer whose output is
 *                      the code. Exactly one code layer (`code` or `gaussian`),
 *                      after the encoder's layers.
 *   gaussian N [kl_weight=B] [warmup=E]
 *                      a variational autoencoder's code layer: two dense heads,
 *                      the mean mu and the log-variance lv = log sigma^2 (N each).
 *                      Training codes are z = mu + sigma * eps, eps ~ N(0, I) from
 *                      the model's seeded stream (the reparameterization trick);
 *                      every other call uses z = mu. Adds the KL term
 *                      B * KL(N(mu, sigma^2) || N(0, I)) =
 *                      -B/2 * sum_j (1 + lv_j - mu_j^2 - e^lv_j) per sample,
 *                      B in (0, 1e3] (default 1; a beta-VAE otherwise), ramped
 *                      linearly over the model's first E epochs (E whole, default
 *                      0: no warm-up): B * e / E in epoch e. lv is clamped to
 *                      [-30, 20] so sigma^2 never overflows (no gradient flows
 *                      through a clamped value). A variational model's
 *                      AE_OPT_LOSS_REDUCTION defaults to AE_REDUCTION_SUM, so its
 *                      loss is the negative ELBO per sample (in nats with BCE).
 *   dense N ACT ...    layers after `code` form the decoder; the last one must
 *                      have as many units as the output (see `output`), or:
 *   mirror ACT         the decoder mirrors the encoder: one dense layer per
 *                      encoder layer, in reverse order, with the same widths and
 *                      activations, then a final layer to the output width with
 *                      activation ACT. Must be the last statement.
 *   output N | CxHxW   the decoder's output (default: the input's shape);
 *                      training then takes targets of that many columns. Goes
 *                      before the decoder.
 *   noise KIND LEVEL   denoising: corrupt every training minibatch afresh, the
 *                      loss still measured against the clean target. Before
 *                      the first layer. KIND is one of
 *                        mask F             a fraction F in (0, 1) of inputs set to 0
 *                        gaussian S [clip]  add N(0, S^2), S in (0, 1e3]; with
 *                                           clip, stay within [min, max] of x
 *                                           (every row given to ae_train)
 *                        salt_pepper F      a fraction F in (0, 1) set to that
 *                                           minimum or maximum, half each
 *                      Validation, encode and every other call see clean inputs.
 *   tied               decoder weights are the transposes of the encoder's (own
 *                      biases; half the weights). Needs a mirrored decoder:
 *                      decoder layer k has the transposed shape of encoder
 *                      layer code - k (as `mirror` builds with no `output`).
 *                      Dense autoencoders only; `mirror` too mirrors dense
 *                      encoders only.
 *
 * Convolutional layers, on images in NCHW order. K is a square kernel, written
 * "3" or "3x3". pad=same keeps ceil(H / stride) rows (split as TensorFlow does:
 * any odd row of padding at the end), pad=valid pads nothing, pad=P pads P rows
 * and columns on each side; the default is pad=same, stride=1.
 *   conv F K ACT [stride=S] [pad=same|valid|P]
 *                      F filters of K x K over all input channels, plus a bias
 *                      per filter
 *   deconv F K ACT [stride=S] [pad=same|valid|P] [outpad=A]
 *                      transposed convolution (the adjoint of conv): output
 *                      H*S with pad=same, else (H-1)*S + K - 2P + A, so a decoder
 *                      can hit any size exactly (A < S)
 *   maxpool K [stride=S] [pad=same|valid]
 *                      K x K max pooling, stride K by default; with pad=same (the
 *                      default) a 7 x 7 input pools to 4 x 4, as in Keras
 *   upsample K         nearest-neighbour upsampling by K
 *   reshape CxHxW      reads the current values as an image (after dense
 *                      layers, say); a dense layer after an image flattens it
 *   code               alone, after any layer: that layer's output is the code
 * Shapes are inferred through the whole graph when the model is created; an
 * impossible one, a decoder that does not end at the output's shape, a
 * model of only pooling and upsampling (no weights to train) or one of more
 * than 2^31 - 1 parameters in all is AE_ERR_SPEC naming the problem. Example, the convolutional autoencoder
 * of the Keras blog:
 *
 *   "input 1x28x28; conv 16 3 relu; maxpool 2; conv 8 3 relu; maxpool 2;
 *    conv 8 3 relu; maxpool 2; code; conv 8 3 relu; upsample 2;
 *    conv 8 3 relu; upsample 2; conv 16 3 relu pad=valid; upsample 2;
 *    conv 1 3 sigmoid"
 *
 * `dense`, `code`, `conv` and `deconv` take penalties on their output h after
 * ACT, as
 * KEY=VALUE words (hidden layers only, not the output layer):
 *   l1=L               L1 activity: L * sum_j |h_j| per sample, L in (0, 1e3]
 *   kl=R [kl_weight=B] KL sparsity on a sigmoid layer: B * sum_j KL(R || R_j),
 *                      R_j the mean of h_j over the batch; R in (0, 0.5],
 *                      B in (0, 1e3], default 3 (Ng's sparse autoencoder)
 *   contractive=L      on an encoder layer (up to `code`): L * |dh/dx|_F^2 per
 *                      sample, the squared Frobenius norm of that layer's
 *                      Jacobian with respect to the (standardised) input.
 *                      Exact when it is the first layer and dense; otherwise
 *                      (deeper or convolutional) an unbiased
 *                      one-probe estimate of the same quantity each step (see
 *                      docs/ARCHITECTURE.md). At most one layer.
 * Penalties are per sample, averaged over the batch: see ae_reduction for how
 * they combine with the reconstruction loss.
 *
 * ACT is one of: linear, sigmoid, tanh, relu, leaky_relu (slope 0.01 below 0),
 * elu (alpha 1), softplus.
 *
 * Example, a deep autoencoder for 28x28 images:
 *
 *   "input 784; dense 512 relu; dense 128 relu; code 32 linear; mirror sigmoid"
 *
 * which is the same model as
 *
 *   "input 784; dense 512 relu; dense 128 relu; code 32 linear;
 *    dense 128 relu; dense 512 relu; dense 784 sigmoid"
 *
 * ae_model_spec() returns the second, canonical form (mirror expanded).
 * Widths are between 1 and 1 << 24.
 */

/* ------------------------------------------------------------------------ */
/* Models                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct ae_model ae_model; /* opaque */

/* Builds a model from the spec and initialises its weights from `seed`: Xavier
 * (Glorot) uniform for sigmoid, tanh, linear and softplus layers, He uniform for
 * relu, leaky_relu and elu layers; biases 0. All options take their defaults.
 * On success *out owns a new model, to be released with ae_model_free.
 * Fails with AE_ERR_NULL_ARGUMENT, AE_ERR_SPEC (the message names the statement
 * and the problem) or AE_ERR_NO_MEMORY; *out is then set to NULL.
 * Thread-safe (no shared state). */
AE_API ae_status ae_model_create(ae_model **out, const char *spec, uint64_t seed);

/* Releases the model and everything it owns. NULL is a no-op, so this is safe
 * from a garbage collector's finalizer. The model must not be in use. */
AE_API void ae_model_free(ae_model *model);

/* Introspection. These read the model only and never fail on a valid model;
 * given NULL they return 0 (or "" for the spec). */
AE_API int64_t ae_input_size(const ae_model *model);  /* columns of x */
AE_API int64_t ae_code_size(const ae_model *model);   /* columns of a code */
AE_API int64_t ae_output_size(const ae_model *model); /* columns of an output */
AE_API int64_t ae_param_count(const ae_model *model); /* weights + biases */
/* Epochs completed by all ae_train calls so far (also restored by ae_load). */
AE_API int64_t ae_epochs_trained(const ae_model *model);
/* The canonical spec text; owned by the model, valid until ae_model_free. */
AE_API const char *ae_model_spec(const ae_model *model);

/* The loss history of every epoch the model has finished, over all ae_train
 * calls (and kept in model files): epoch is 1-based, up to ae_epochs_trained().
 * *train_loss receives that epoch's mean training loss (reconstruction plus
 * penalties, reduced as AE_OPT_LOSS_REDUCTION says: per element or per
 * sample), *validation_loss its validation loss, NaN without a
 * validation split. Either pointer may be NULL. Fails with
 * AE_ERR_NULL_ARGUMENT or AE_ERR_INVALID_ARGUMENT (epoch out of range). */
AE_API ae_status ae_loss_history(const ae_model *model, int64_t epoch,
                                 double *train_loss, double *validation_loss);

/* ------------------------------------------------------------------------ */
/* Input standardisation                                                    */
/* ------------------------------------------------------------------------ */

/* Makes the model standardise every input row before its first layer:
 * x'[j] = (x[j] - mean[j]) / scale[j], in ae_train, ae_encode, ae_reconstruct
 * and ae_score alike. Targets, and so outputs, stay in the data's own units:
 * reconstructions are compared with the raw data. mean and scale, (cols ==
 * ae_input_size()) each, are copied; scale values must be finite and > 0.
 * Passing NULL for both removes the standardisation. Saved with the model.
 * Fails with AE_ERR_NULL_ARGUMENT (one of the two NULL), AE_ERR_SHAPE,
 * AE_ERR_INVALID_ARGUMENT, AE_ERR_NONFINITE_INPUT, AE_ERR_NO_MEMORY or
 * AE_ERR_BUSY, the model then unchanged. */
AE_API ae_status ae_set_input_scaling(ae_model *model, const float *mean,
                                      const float *scale, int64_t cols);

/* Copies the standardisation into mean and scale, (cols) each. Without one it
 * fills mean with 0 and scale with 1. Fails with AE_ERR_NULL_ARGUMENT or
 * AE_ERR_SHAPE. */
AE_API ae_status ae_get_input_scaling(const ae_model *model, float *mean,
                                      float *scale, int64_t cols);

/* ------------------------------------------------------------------------ */
/* Options                                                                  */
/* ------------------------------------------------------------------------ */

/* Training options, all numbers (integers are passed as whole doubles).
 * Numbered in blocks; values never change. Defaults and ranges: */
typedef enum ae_option {
  /* -- the training loop -- */
  AE_OPT_EPOCHS = 100,          /* passes over the data per ae_train call.
                                   default 10, range [1, 1e6], integer */
  AE_OPT_BATCH_SIZE = 101,      /* samples per step. default 64,
                                   range [1, 1048576], integer; a batch larger
                                   than the data is cut to the data */
  AE_OPT_SHUFFLE = 102,         /* 1: reshuffle every epoch, 0: keep order.
                                   default 1 */
  AE_OPT_VALIDATION_SPLIT = 103,/* fraction of the rows held out (a seeded
                                   random subset) to measure a validation loss
                                   after each epoch. default 0, range [0, 0.9] */
  AE_OPT_PATIENCE = 104,        /* early stopping: stop after this many epochs
                                   without a better validation loss. With
                                   patience, ae_train always ends with the
                                   weights of its best validation epoch
                                   (unless it diverges). 0 = off. default 0,
                                   range [0, 1e6], integer; needs a validation
                                   split */
  AE_OPT_PROGRESS_EVERY = 105,  /* call the progress callback every this many
                                   steps as well as at each epoch's end.
                                   0 = only at epoch ends. default 0,
                                   range [0, 1e9], integer */

  /* -- the optimizer -- */
  AE_OPT_OPTIMIZER = 200,       /* AE_OPTIMIZER_ADAM (default) or AE_OPTIMIZER_SGD */
  AE_OPT_LEARNING_RATE = 201,   /* default 1e-3, range (0, 10] */
  AE_OPT_MOMENTUM = 202,        /* SGD momentum (PyTorch form). default 0.9,
                                   range [0, 1) */
  AE_OPT_ADAM_BETA1 = 203,      /* default 0.9, range [0, 1) */
  AE_OPT_ADAM_BETA2 = 204,      /* default 0.999, range [0, 1) */
  AE_OPT_ADAM_EPSILON = 205,    /* default 1e-8, range (0, 1] */

  /* -- the loss -- */
  AE_OPT_LOSS = 300,            /* AE_LOSS_MSE (default) or AE_LOSS_BCE */
  AE_OPT_LOSS_REDUCTION = 301,  /* AE_REDUCTION_MEAN (default) or
                                   AE_REDUCTION_SUM; see ae_reduction */

  /* -- regularizers -- */
  AE_OPT_L2 = 400               /* L2 weight decay lambda: adds
                                   lambda/2 * sum(W^2) over every weight matrix
                                   (not biases) to the loss, so lambda * W to
                                   the gradient, as PyTorch's weight_decay.
                                   default 0, range [0, 1e3] */
} ae_option;

typedef enum ae_optimizer_kind {
  AE_OPTIMIZER_SGD = 0,  /* SGD with momentum: v = mu v + g; w -= lr v */
  AE_OPTIMIZER_ADAM = 1  /* Adam (Kingma & Ba) with bias correction */
} ae_optimizer_kind;

/* Reconstruction losses. By default (AE_REDUCTION_MEAN, below) both are
 * reported and minimised as the mean over every element of the batch
 * (per-element mean, as PyTorch's default reduction), so a printed loss of
 * 0.02 means 0.02 per output value.
 * BCE needs targets in [0, 1]; with a sigmoid output layer it is computed from
 * the logits (stable for any logit); with any other output it clamps outputs
 * to [1e-7, 1 - 1e-7], and no gradient flows where it clamps (a linear or
 * ReLU output stuck outside that range stays there: prefer sigmoid). */
typedef enum ae_loss_kind {
  AE_LOSS_MSE = 0, /* mean of (y - t)^2 */
  AE_LOSS_BCE = 1  /* mean of -(t log y + (1 - t) log(1 - y)) */
} ae_loss_kind;

/* How a sample's reconstruction loss is reduced over its output values:
 * - AE_REDUCTION_MEAN: the mean over the outputs (per element, as above);
 * - AE_REDUCTION_SUM: the sum over the outputs (per sample: for images, the
 *   loss per image; the unit of the sparse and contractive literature).
 * Either way the loss is then averaged over the samples of a batch, and every
 * penalty (L1, KL sparsity, contractive: per sample, averaged over the batch;
 * L2: per step) is added to it as it is. So with SUM, kl_weight and
 * contractive mean what they mean in Ng's and Rifai's papers; with MEAN, l1
 * means what Keras's activity_regularizer l1 means. Training, validation and
 * ae_score losses all use the model's reduction. */
typedef enum ae_reduction {
  AE_REDUCTION_MEAN = 0,
  AE_REDUCTION_SUM = 1
} ae_reduction;

/* Sets an option. Fails with AE_ERR_NULL_ARGUMENT, AE_ERR_INVALID_ARGUMENT (an
 * unknown option, a value out of range or not whole where an integer is
 * expected; the message gives the range) or AE_ERR_BUSY; the model is then
 * unchanged. Options are saved with the model. */
AE_API ae_status ae_set_option(ae_model *model, ae_option option, double value);

/* Reads an option's current value into *value. */
AE_API ae_status ae_get_option(const ae_model *model, ae_option option,
                               double *value);

/* An option's range and default, for validation in user interfaces. Any of
 * the three out pointers may be NULL. Fails with AE_ERR_INVALID_ARGUMENT for an
 * unknown option. Thread-safe. */
AE_API ae_status ae_option_bounds(ae_option option, double *min, double *max,
                                  double *default_value);

/* Progress callback, called on the training thread:
 *   epoch          1-based epoch number within this ae_train call
 *   step           steps done in this epoch (== steps_per_epoch at its end)
 *   steps_per_epoch
 *   loss           the mean training loss of this epoch so far: reconstruction
 *                  loss (per element or per sample, as AE_OPT_LOSS_REDUCTION
 *                  says) plus every penalty
 * Return 0 to go on, anything else to stop training after this step; ae_train
 * then returns AE_OK with the weights as they are. The callback may call
 * ae_train_stat and the introspection functions on the model, nothing else. */
typedef int (*ae_progress_fn)(void *user_data, int64_t epoch, int64_t step,
                              int64_t steps_per_epoch, double loss);

/* Installs (or with fn == NULL removes) the progress callback. user_data is
 * passed back untouched; the library does not own it. Not saved in files. */
AE_API ae_status ae_set_progress(ae_model *model, ae_progress_fn fn,
                                 void *user_data);

/* Figures of the training in progress or just finished. */
typedef enum ae_stat {
  AE_STAT_LOSS = 0,            /* mean total loss of the current epoch so far */
  AE_STAT_RECONSTRUCTION = 1,  /* its reconstruction part (per element or per
                                  sample, as AE_OPT_LOSS_REDUCTION says) */
  AE_STAT_L2_PENALTY = 2,      /* its L2 weight decay part */
  AE_STAT_VALIDATION_LOSS = 3, /* reconstruction loss on the held-out rows after
                                  the last finished epoch; NaN without a split */
  AE_STAT_BEST_EPOCH = 4,      /* epoch (1-based, this call) of the best
                                  validation loss; 0 without a split */
  AE_STAT_L1_PENALTY = 5,      /* the L1 activity part of AE_STAT_LOSS */
  AE_STAT_KL_PENALTY = 6,      /* the KL sparsity part */
  AE_STAT_CONTRACTIVE_PENALTY = 7, /* the contractive part (for a deep encoder,
                                  the one-probe estimate training used) */
  AE_STAT_VAE_KL = 8           /* a variational model's KL term, weighted by
                                  beta (and its warm-up) */
} ae_stat;

/* Reads a training figure into *value. Before any training every figure is
 * NaN (0 for AE_STAT_BEST_EPOCH). */
AE_API ae_status ae_train_stat(const ae_model *model, ae_stat stat,
                               double *value);

/* ------------------------------------------------------------------------ */
/* Training and inference                                                   */
/* ------------------------------------------------------------------------ */

/* Trains the model on x, (n, x_cols), for AE_OPT_EPOCHS epochs, minimising the
 * loss of the reconstruction against `target`, (n, target_cols). target may be
 * NULL: the target is then x itself (target_cols is ignored), which needs the
 * output width to equal the input width. Training may be called again to
 * continue; optimizer state carries over between calls.
 * Fails, with the model unchanged, with AE_ERR_NULL_ARGUMENT, AE_ERR_SHAPE
 * (wrong widths, n < 1, sizes that overflow), AE_ERR_NONFINITE_INPUT,
 * AE_ERR_INVALID_ARGUMENT (BCE with a target outside [0, 1], patience without a
 * validation split, a split that leaves no training rows), AE_ERR_NO_MEMORY or
 * AE_ERR_BUSY. If a loss or gradient becomes NaN or Inf it stops with
 * AE_ERR_DIVERGED and keeps the last finite weights: those before the failing
 * step, or, when an update itself overflowed the weights or the optimizer
 * state (Adam's squared gradients), those at the start of the epoch (the
 * optimizer state is then reset). A divergence at the first step, having
 * learnt nothing, leaves the model as it was (but for such a reset): the
 * optimizer state it had (when the call switched optimizers), the
 * statistics and the call count are given back. A stop requested by the progress callback returns AE_OK. */
AE_API ae_status ae_train(ae_model *model, const float *x, int64_t n,
                          int64_t x_cols, const float *target,
                          int64_t target_cols);

/* Encodes x, (n, x_cols), into code, (n, code_cols): caller-allocated,
 * code_cols == ae_code_size(). A variational model gives the mean mu. Read-only on the model; thread-safe (see the
 * conventions). Fails with AE_ERR_NULL_ARGUMENT, AE_ERR_SHAPE,
 * AE_ERR_NONFINITE_INPUT, AE_ERR_NO_MEMORY or AE_ERR_BUSY; out is then
 * unspecified. */
AE_API ae_status ae_encode(const ae_model *model, const float *x, int64_t n,
                           int64_t x_cols, float *code, int64_t code_cols);

/* Decodes code, (n, code_cols), into out, (n, out_cols == ae_output_size()).
 * Same rules as ae_encode. */
AE_API ae_status ae_decode(const ae_model *model, const float *code, int64_t n,
                           int64_t code_cols, float *out, int64_t out_cols);

/* Encodes then decodes x, (n, x_cols), into out, (n, out_cols). Same rules as
 * ae_encode. */
AE_API ae_status ae_reconstruct(const ae_model *model, const float *x,
                                int64_t n, int64_t x_cols, float *out,
                                int64_t out_cols);

/* The anomaly score: for each row of x, (n, x_cols), the reconstruction error
 * under the model's loss (AE_OPT_LOSS) and reduction (AE_OPT_LOSS_REDUCTION:
 * the mean or the sum over the row's elements), into errors, (n). Needs output width == input width. Same rules as
 * ae_encode; BCE additionally needs x in [0, 1] (AE_ERR_INVALID_ARGUMENT). */
AE_API ae_status ae_score(const ae_model *model, const float *x, int64_t n,
                          int64_t x_cols, float *errors);

/* ---- variational models (a `gaussian` code layer) ---- */

/* Which part of the code distribution q(z|x) = N(mu, sigma^2) to return. */
typedef enum ae_code_part {
  AE_CODE_MEAN = 0,         /* mu: what ae_encode returns */
  AE_CODE_LOG_VARIANCE = 1, /* log sigma^2 (clamped to [-30, 20]) */
  AE_CODE_SAMPLE = 2        /* z = mu + sigma * eps, eps ~ N(0, I) drawn from `seed` */
} ae_code_part;

/* Encodes x, (n, x_cols), into code, (n, code_cols == ae_code_size()), as
 * `part` says; `seed` is used by AE_CODE_SAMPLE only (same seed, same draws).
 * AE_CODE_MEAN works on any model (as ae_encode); the other parts need a
 * variational model, else AE_ERR_INVALID_ARGUMENT. Same rules as ae_encode. */
AE_API ae_status ae_encode_distribution(const ae_model *model, const float *x,
                                        int64_t n, int64_t x_cols, ae_code_part part,
                                        uint64_t seed, float *code, int64_t code_cols);

/* Generates n new items: decodes n codes z ~ N(0, I) drawn from `seed` into
 * out, (n, out_cols == ae_output_size()). The same seed gives the same items.
 * To decode codes of your own (interpolating between two inputs' means, say),
 * use ae_decode. Needs a variational model (AE_ERR_INVALID_ARGUMENT
 * otherwise); same rules as ae_encode. */
AE_API ae_status ae_sample(const ae_model *model, int64_t n, uint64_t seed, float *out,
                           int64_t out_cols);

/* For each row of x, (n, x_cols), a one-sample estimate of the negative
 * evidence lower bound, -ELBO = reconstruction loss (summed over the row,
 * whatever the reduction; in nats with BCE) of the decoding of one z drawn
 * from q(z|x) with `seed`, + KL(q(z|x) || N(0, I)) (unweighted), into out, (n).
 * Its mean over a test set is the "test loss" of pytorch/examples' VAE. Needs
 * a variational model whose output width equals its input width; BCE needs x
 * in [0, 1]. Same rules as ae_encode. */
AE_API ae_status ae_negative_elbo(const ae_model *model, const float *x, int64_t n,
                                  int64_t x_cols, uint64_t seed, float *out);

/* How contracting the encoder is at each row of x, (n, x_cols): the squared
 * Frobenius norm of the Jacobian of the code with respect to the input,
 * |d code / d x|_F^2, computed exactly (one backward pass per code unit), into
 * out, (n). With input standardisation the derivative is with respect to the
 * raw input. Same rules as ae_encode. */
AE_API ae_status ae_jacobian_norm(const ae_model *model, const float *x, int64_t n,
                                  int64_t x_cols, float *out);

/* ------------------------------------------------------------------------ */
/* Saving and loading                                                       */
/* ------------------------------------------------------------------------ */

/* Flags for the save functions. */
#define AE_SAVE_OPTIMIZER_STATE 1u /* also store optimizer moments, to resume
                                      training exactly where it stopped */

/* Writes the model to `path` atomically: the data go to a temporary file in
 * the same directory, which is synced and renamed over `path`, so a crash
 * leaves either the old file or the new one; a file replaced keeps its
 * permission bits, a new one gets 0666 less the umask. The format
 * (docs/FORMAT.md) is versioned, little-endian and checksummed; it holds the
 * spec, the options, the seed, the weights, the training history and, with
 * AE_SAVE_OPTIMIZER_STATE, the optimizer state. Fails with
 * AE_ERR_NULL_ARGUMENT, AE_ERR_INVALID_ARGUMENT (unknown flags), AE_ERR_IO or
 * AE_ERR_NO_MEMORY; `path` is then untouched. Read-only on the model. */
AE_API ae_status ae_save(const ae_model *model, const char *path,
                         uint32_t flags);

/* Reads a model saved by ae_save. On success *out owns a new model. Fails with
 * AE_ERR_NULL_ARGUMENT, AE_ERR_IO, AE_ERR_FORMAT (not a model file, truncated,
 * inconsistent), AE_ERR_CHECKSUM, AE_ERR_VERSION (a newer format),
 * AE_ERR_SPEC or AE_ERR_NO_MEMORY; *out is then NULL. */
AE_API ae_status ae_load(ae_model **out, const char *path);

/* Serialises the model into a caller-owned buffer of `capacity` bytes, the
 * same bytes ae_save writes. *size receives the number of bytes needed. With
 * buffer == NULL only the size is computed (AE_OK). If capacity is smaller than
 * needed it fails with AE_ERR_BUFFER_TOO_SMALL, *size still set. */
AE_API ae_status ae_save_buffer(const ae_model *model, uint32_t flags,
                                void *buffer, size_t capacity, size_t *size);

/* Reads a model from `size` bytes at `buffer` (borrowed). Same failures as
 * ae_load except AE_ERR_IO. Never reads past buffer + size. */
AE_API ae_status ae_load_buffer(ae_model **out, const void *buffer,
                                size_t size);

#ifdef __cplusplus
}
#endif
#endif /* AE_H */
