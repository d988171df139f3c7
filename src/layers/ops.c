#include "ops.h"

const ae_layer_ops *ae_layer_ops_of(ae_layer_kind kind) {
  switch (kind) {
    case AE_LAYER_DENSE: return &ae_dense_ops;
    case AE_LAYER_GAUSSIAN: return &ae_dense_ops; /* its mean head */
    case AE_LAYER_CONV: return &ae_conv_ops;
    case AE_LAYER_DECONV: return &ae_deconv_ops;
    case AE_LAYER_MAXPOOL: return &ae_maxpool_ops;
    case AE_LAYER_UPSAMPLE: return &ae_upsample_ops;
  }
  return &ae_dense_ops;
}

int64_t ae_layer_weight_count(const ae_layer *l) {
  switch (l->kind) {
    case AE_LAYER_DENSE: return l->transposed ? 0 : l->out * l->in;
    case AE_LAYER_GAUSSIAN: return 2 * l->out * l->in;
    case AE_LAYER_CONV:
    case AE_LAYER_DECONV: return ae_layer_ops_of(l->kind)->param_count(l) - l->out_shape.c;
    case AE_LAYER_MAXPOOL:
    case AE_LAYER_UPSAMPLE: return 0;
  }
  return 0;
}
