/* fuzz_spec.c -- the architecture spec: any text through the parser and shape
 * inference (ae_spec_parse, ae_graph_build, what ae_model_create runs first).
 *
 * Properties checked on every spec that parses: its canonical text parses
 * again to the same canonical text; the graph builds (or, past AE_MAX_PARAMS,
 * fails as ae_model_create does); and, when the model is
 * small enough to allocate quickly, ae_model_create succeeds with the same
 * canonical text and one reconstruction runs. A failure must be AE_ERR_SPEC
 * (or AE_ERR_NO_MEMORY) with a message. */
#include "fuzz.h"

#include "ae.h"
#include "alloc.h"
#include "fuzz_graph.h"
#include "spec.h"

#define MAX_PARAMS (1 << 18)
#define MAX_WORK (1 << 18)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  FUZZ_CHECK(text);
  memcpy(text, data, size);
  text[size] = '\0';

  ae_spec spec;
  ae_status st = ae_spec_parse(text, "fuzz", &spec);
  if (st != AE_OK) {
    FUZZ_CHECK(st == AE_ERR_SPEC || st == AE_ERR_NO_MEMORY);
    FUZZ_CHECK(ae_last_error()[0] != '\0');
    /* ae_model_create gives the same answer */
    ae_model *m = (ae_model *)(uintptr_t)1;
    FUZZ_CHECK(ae_model_create(&m, text, 1) == st && m == NULL);
    free(text);
    return 0;
  }
  char *canonical = ae_spec_format(&spec);
  FUZZ_CHECK(canonical);
  ae_spec again;
  st = ae_spec_parse(canonical, "fuzz", &again);
  if (st != AE_OK) fprintf(stderr, "canonical text refused: %s\n%s\n", ae_last_error(), canonical);
  FUZZ_CHECK(st == AE_OK);
  char *twice = ae_spec_format(&again);
  FUZZ_CHECK(twice && strcmp(canonical, twice) == 0);
  ae_free(twice);
  ae_spec_free(&again);

  ae_graph g;
  st = ae_graph_build(&spec, "fuzz", &g);
  if (st != AE_OK) {
    /* too many parameters in all: ae_model_create refuses it the same way */
    FUZZ_CHECK(st == AE_ERR_NO_MEMORY || (st == AE_ERR_SPEC && strstr(ae_last_error(),
                                                                      "parameters")));
    ae_model *m = (ae_model *)(uintptr_t)1;
    FUZZ_CHECK(ae_model_create(&m, text, 1) == st && m == NULL);
    ae_spec_free(&spec);
    ae_free(canonical);
    free(text);
    return 0;
  }
  FUZZ_CHECK(g.n_params >= 1 && g.n_layers == spec.n_layers);
  int small = g.n_params <= MAX_PARAMS && work_per_sample(&g) <= MAX_WORK;
  ae_graph_free(&g);
  ae_spec_free(&spec);

  if (small) {
    ae_model *m = NULL;
    FUZZ_CHECK(ae_model_create(&m, text, 1) == AE_OK);
    FUZZ_CHECK(strcmp(ae_model_spec(m), canonical) == 0);
    int64_t in = ae_input_size(m), out = ae_output_size(m);
    float *x = calloc((size_t)(2 * in), sizeof(float));
    float *y = calloc((size_t)(2 * out), sizeof(float));
    FUZZ_CHECK(x && y);
    FUZZ_CHECK(ae_reconstruct(m, x, 2, in, y, out) == AE_OK);
    free(x);
    free(y);
    ae_model_free(m);
  }
  ae_free(canonical);
  free(text);
  return 0;
}
