#define AE_ERROR_IMPL /* defines ae_fail: no analyzer macro */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

/* One message per thread (like errno): inference may run on one model from
 * many threads, so a per-model message would race. */
static _Thread_local char last_message[512];

ae_status ae_fail(ae_status status, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnprintf(last_message, sizeof last_message, fmt, args);
  va_end(args);
  return status;
}

void ae_clear_error(void) { last_message[0] = '\0'; }

const char *ae_last_error(void) { return last_message; }

const char *ae_status_string(ae_status status) {
  switch (status) {
    case AE_OK: return "AE_OK: success";
    case AE_ERR_NULL_ARGUMENT: return "AE_ERR_NULL_ARGUMENT: a required pointer was NULL";
    case AE_ERR_INVALID_ARGUMENT: return "AE_ERR_INVALID_ARGUMENT: a value is out of its range";
    case AE_ERR_SHAPE: return "AE_ERR_SHAPE: sizes do not match the model";
    case AE_ERR_NONFINITE_INPUT: return "AE_ERR_NONFINITE_INPUT: NaN or Inf in the data";
    case AE_ERR_NO_MEMORY: return "AE_ERR_NO_MEMORY: out of memory";
    case AE_ERR_SPEC: return "AE_ERR_SPEC: invalid architecture spec";
    case AE_ERR_IO: return "AE_ERR_IO: file input/output failed";
    case AE_ERR_FORMAT: return "AE_ERR_FORMAT: not a valid libae model";
    case AE_ERR_CHECKSUM: return "AE_ERR_CHECKSUM: model data fail their checksum";
    case AE_ERR_VERSION: return "AE_ERR_VERSION: model file from a newer format version";
    case AE_ERR_DIVERGED: return "AE_ERR_DIVERGED: training loss or gradient became NaN or Inf";
    case AE_ERR_BUSY: return "AE_ERR_BUSY: model is in use by training or inference";
    case AE_ERR_BUFFER_TOO_SMALL: return "AE_ERR_BUFFER_TOO_SMALL: buffer too small";
  }
  return "unknown status";
}
