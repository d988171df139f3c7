/* spec.h -- the architecture spec: text <-> a list of layer descriptions.
 *
 * The grammar is documented in include/ae.h. Parsing expands `mirror` so that
 * the result always lists every layer; ae_spec_format prints that canonical
 * form, which is what model files store. */
#ifndef AE_SPEC_H
#define AE_SPEC_H

#include <stdint.h>

#include "ae.h"
#include "activation.h"

#define AE_MAX_WIDTH (1 << 24)
#define AE_MAX_LAYERS 256
/* Weights and biases of a model, in all: INT_MAX keeps the counts of weights
 * that go to BLAS as an int (a layer's weights, a kernel's C*K*K) in range
 * (counts that grow with the batch are bounded elsewhere); it is 8 GiB of
 * weights, and training needs about four times that. */
#define AE_MAX_PARAMS 2147483647

typedef enum ae_layer_kind {
  AE_LAYER_DENSE = 0,
  AE_LAYER_GAUSSIAN = 1,  /* a VAE's code layer: mean and log-variance heads */
  AE_LAYER_CONV = 2,      /* 2-D convolution, NCHW */
  AE_LAYER_DECONV = 3,    /* 2-D transposed convolution */
  AE_LAYER_MAXPOOL = 4,   /* k x k max pooling */
  AE_LAYER_UPSAMPLE = 5   /* nearest-neighbour upsampling by k */
} ae_layer_kind;

/* A sample's shape: channels x height x width, stored NCHW (channel-major,
 * then rows, then columns). A flat vector of n values is n x 1 x 1. */
typedef struct ae_shape {
  int64_t c, h, w;
} ae_shape;

/* Where a spatial layer's kernel positions fall: for conv and maxpool the
 * grid is the output and the image the input; for deconv the other way. */
typedef struct ae_window {
  int64_t k;         /* kernel (or pool, or upsampling factor) size */
  int64_t stride;
  int64_t pad_top, pad_left; /* rows/columns of padding before the image */
} ae_window;

/* Penalties attached to one layer's output h (B, units); 0 = absent. */
typedef struct ae_layer_penalties {
  double l1;           /* l1=LAMBDA: LAMBDA * sum |h| per sample */
  double kl_rho;       /* kl=RHO: target mean activation of a sigmoid layer */
  double kl_beta;      /* kl_weight=BETA (default 3 with kl=) */
  double contractive;  /* contractive=LAMBDA: LAMBDA * |dh/dx|_F^2 per sample */
  double vae_beta;     /* gaussian layer: kl_weight=BETA of the VAE's KL term */
  int64_t vae_warmup;  /* gaussian layer: warmup=E epochs of linear ramp of BETA */
} ae_layer_penalties;

typedef struct ae_layer_spec {
  ae_layer_kind kind;
  int64_t units;          /* dense/gaussian width, or conv/deconv filters */
  ae_activation act;
  ae_layer_penalties penalties;
  ae_shape in_shape, out_shape; /* inferred when the spec is parsed */
  ae_window window;       /* conv, deconv, maxpool, upsample */
  /* how the spec wrote the padding, for the canonical text: */
  int pad_mode;           /* AE_PAD_SAME, AE_PAD_VALID or AE_PAD_EXPLICIT */
  int64_t pad;            /* AE_PAD_EXPLICIT: rows on each side */
  int64_t outpad;         /* deconv: extra rows/columns at the end */
} ae_layer_spec;

enum { AE_PAD_SAME = 0, AE_PAD_VALID = 1, AE_PAD_EXPLICIT = 2 };

/* Input corruption for denoising, applied to training inputs only. Values
 * are stored in canonical text: never renumber. */
typedef enum ae_noise_kind {
  AE_NOISE_NONE = 0,
  AE_NOISE_MASK = 1,        /* a fraction `level` of inputs set to 0 */
  AE_NOISE_GAUSSIAN = 2,    /* + N(0, level^2), clipped to the data range with `clip` */
  AE_NOISE_SALT_PEPPER = 3  /* a fraction `level` set to the data minimum or maximum */
} ae_noise_kind;

typedef struct ae_noise_spec {
  ae_noise_kind kind;
  double level;
  int clip;
} ae_noise_spec;

typedef struct ae_spec {
  int64_t input_size;
  int64_t output_size;
  ae_shape input_shape;   /* input_size as c x h x w (n x 1 x 1 when flat) */
  ae_shape output_shape;
  int32_t n_layers;
  int32_t code_layer;     /* index of the layer whose output is the code */
  ae_layer_spec *layers;  /* n_layers, encoder then decoder */
  int tied;               /* decoder weights are the encoder's, transposed */
  ae_noise_spec noise;
} ae_spec;

#define AE_KL_DEFAULT_BETA 3.0
#define AE_VAE_DEFAULT_BETA 1.0

/* Parses `text` into *out (which then owns out->layers). On failure returns
 * AE_ERR_SPEC or AE_ERR_NO_MEMORY, with a message prefixed by `caller`, and
 * leaves *out empty. */
ae_status ae_spec_parse(const char *text, const char *caller, ae_spec *out);
void ae_spec_free(ae_spec *spec);
/* The canonical text, allocated with ae_malloc; NULL when out of memory. */
char *ae_spec_format(const ae_spec *spec);

#endif
