/* error.h -- the per-thread detail message behind ae_last_error(). */
#ifndef AE_ERROR_H
#define AE_ERROR_H

#include "ae.h"

/* Records a printf-style detail message for the calling thread and returns
 * `status`, so that a check reads `return ae_fail(AE_ERR_SHAPE, "...", ...);`. */
ae_status ae_fail(ae_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears the calling thread's message; every public entry point calls it. */
void ae_clear_error(void);

#endif
