/* spec_shape.h -- shape inference: what each layer makes of its input. */
#ifndef AE_SPEC_SHAPE_H
#define AE_SPEC_SHAPE_H

#include <stddef.h>

#include "spec.h"

/* Sets l->in_shape = in, and l->out_shape and the padding in l->window from
 * the layer's kind and settings (units, window k and stride, pad_mode, pad,
 * outpad). Returns 0, or -1 with a message in msg when the shape is
 * impossible (a kernel larger than its padded input, say). */
int ae_infer_shape(ae_layer_spec *l, ae_shape in, char *msg, size_t cap);

int64_t ae_shape_size(ae_shape s);
int ae_shape_is_flat(ae_shape s); /* h == w == 1 */

#endif
