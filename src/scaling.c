/* scaling.c -- input standardisation (ae_set_input_scaling and its use). */
#include "scaling.h"

#include <math.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "model.h"

void ae_scale_rows(const float *mean, const float *scale, const float *x, float *out,
                   int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    float *o = out + r * cols;
    for (int64_t j = 0; j < cols; j++) o[j] = (xr[j] - mean[j]) / scale[j];
  }
}

ae_status ae_set_input_scaling(ae_model *m, const float *mean, const float *scale,
                               int64_t cols) {
  ae_clear_error();
  const char *caller = "ae_set_input_scaling";
  if (!m) return ae_fail(AE_ERR_NULL_ARGUMENT, "%s: model is NULL", caller);
  if ((mean == NULL) != (scale == NULL)) {
    return ae_fail(AE_ERR_NULL_ARGUMENT, "%s: %s is NULL but %s is not (pass both or neither)",
                   caller, mean ? "scale" : "mean", mean ? "mean" : "scale");
  }
  float *new_mean = NULL, *new_scale = NULL;
  if (mean) {
    ae_status st = ae_check_matrix(caller, "mean", mean, 1, cols, m->spec.input_size);
    if (st == AE_OK) st = ae_check_matrix(caller, "scale", scale, 1, cols, m->spec.input_size);
    if (st != AE_OK) return st;
    for (int64_t j = 0; j < cols; j++) {
      if (!(scale[j] > 0.0f)) {
        return ae_fail(AE_ERR_INVALID_ARGUMENT, "%s: scale[%lld] = %g must be > 0", caller,
                       (long long)j, (double)scale[j]);
      }
    }
    new_mean = ae_malloc((size_t)cols, sizeof(float));
    new_scale = ae_malloc((size_t)cols, sizeof(float));
    if (!new_mean || !new_scale) {
      ae_free(new_mean);
      ae_free(new_scale);
      return ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory", caller);
    }
    memcpy(new_mean, mean, (size_t)cols * sizeof(float));
    memcpy(new_scale, scale, (size_t)cols * sizeof(float));
  }
  ae_status st = ae_model_acquire_write(m, caller);
  if (st != AE_OK) {
    ae_free(new_mean);
    ae_free(new_scale);
    return st;
  }
  ae_free(m->input_mean);
  ae_free(m->input_scale);
  m->input_mean = new_mean;
  m->input_scale = new_scale;
  ae_model_release_write(m);
  return AE_OK;
}

ae_status ae_get_input_scaling(const ae_model *m, float *mean, float *scale, int64_t cols) {
  ae_clear_error();
  const char *caller = "ae_get_input_scaling";
  if (!m) return ae_fail(AE_ERR_NULL_ARGUMENT, "%s: model is NULL", caller);
  ae_status st = ae_check_output(caller, "mean", mean, 1, cols, m->spec.input_size);
  if (st == AE_OK) st = ae_check_output(caller, "scale", scale, 1, cols, m->spec.input_size);
  if (st != AE_OK) return st;
  for (int64_t j = 0; j < cols; j++) {
    mean[j] = m->input_mean ? m->input_mean[j] : 0.0f;
    scale[j] = m->input_scale ? m->input_scale[j] : 1.0f;
  }
  return AE_OK;
}
