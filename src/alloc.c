#include "alloc.h"

#include <stdlib.h>

/* Per thread, so that tests failing allocations on one thread never disturb
 * another; no state is shared between models. */
static _Thread_local int64_t fail_at;
static _Thread_local int64_t count_since_reset;

static int should_fail(void) {
  count_since_reset++;
  return fail_at > 0 && count_since_reset == fail_at;
}

void *ae_malloc(size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size) return NULL;
  if (should_fail()) return NULL;
  size_t bytes = count * size;
  return malloc(bytes ? bytes : 1);
}

void *ae_calloc(size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size) return NULL;
  if (should_fail()) return NULL;
  return calloc(count ? count : 1, size ? size : 1);
}

void ae_free(void *p) { free(p); }

int64_t ae_alloc_fail_at(int64_t k) {
  int64_t made = count_since_reset;
  count_since_reset = 0;
  fail_at = k;
  return made;
}
