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
