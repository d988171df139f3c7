/* scaling.h -- input standardisation: x' = (x - mean) / scale per column. */
#ifndef AE_SCALING_H
#define AE_SCALING_H

#include <stdint.h>

/* out (rows, cols) = (x - mean) / scale, row by row; out may equal x. */
void ae_scale_rows(const float *mean, const float *scale, const float *x, float *out,
                   int64_t rows, int64_t cols);

#endif
