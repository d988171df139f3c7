/* error.h -- the per-thread detail message behind ae_last_error(). */
#ifndef AE_ERROR_H
#define AE_ERROR_H

#include "ae.h"

/* Records a printf-style detail message for the calling thread and returns
 * `status`, so that a check reads `return ae_fail(AE_ERR_SHAPE, "...", ...);`. */
ae_status ae_fail(ae_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* For the static analyzer only (clang-tidy defines __clang_analyzer__): it
 * sees one file at a time, so it cannot know that ae_fail returns its status
 * and explores paths where a failure "succeeds". Spelling the return value
 * out removes those false reports; compiled code is unchanged. */
#if defined(__clang_analyzer__) && !defined(AE_ERROR_IMPL)
#define ae_fail(status, ...) (ae_fail((status), __VA_ARGS__), (status))
#endif

/* Clears the calling thread's message; every public entry point calls it. */
void ae_clear_error(void);

#endif
