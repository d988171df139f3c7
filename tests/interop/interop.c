/* interop.c -- the same model everywhere: the C side of the cross-language
 * check that .ci/run drives around the Python, Rust and Go bindings' tests.
 *
 *   interop make DIR             writes DIR/x.f32 (32 x 16 inputs in [0, 1]),
 *                                DIR/c.model and DIR/c.codes.f32 (32 x 4)
 *   interop check DIR LANG...    for each LANG: DIR/LANG.model loads, encodes x
 *                                to DIR/LANG.codes.f32 exactly, and those codes
 *                                equal C's: a model trained in any language with
 *                                the same spec, seed, options and data is the
 *                                same model, bit for bit.
 *
 * Every binding's test does, with AE_INTEROP_DIR=DIR: load c.model and match
 * c.codes.f32; then train SPEC with SEED for EPOCHS epochs on x and write
 * LANG.model and LANG.codes.f32. Uses the public API only. */
#include <ae.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEC "input 16; dense 12 tanh; code 4 linear; mirror sigmoid"
#define SEED 7
#define EPOCHS 5
#define ROWS 32
#define COLS 16
#define CODE 4

static int fail(const char *what, ae_status st) {
  fprintf(stderr, "interop: %s: %s (%s)\n", what, ae_status_string(st), ae_last_error());
  return 1;
}

static int write_floats(const char *dir, const char *name, const float *v, size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(v, sizeof *v, n, f) != n || fclose(f) != 0) {
    fprintf(stderr, "interop: cannot write %s\n", path);
    return 1;
  }
  return 0;
}

static int read_floats(const char *dir, const char *name, float *v, size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  size_t got = f ? fread(v, sizeof *v, n, f) : 0;
  int extra = f ? fgetc(f) != EOF : 0;
  if (f) fclose(f);
  if (got != n || extra) {
    fprintf(stderr, "interop: %s is missing or not %zu floats\n", path, n);
    return 1;
  }
  return 0;
}

/* Deterministic inputs in [0, 1], the same on every machine. */
static void make_inputs(float *x) {
  uint32_t s = 12345;
  for (int i = 0; i < ROWS * COLS; i++) {
    s = s * 1664525u + 1013904223u;
    x[i] = (float)(s >> 8) / 16777216.0f;
  }
}

static int make(const char *dir) {
  float x[ROWS * COLS], codes[ROWS * CODE];
  make_inputs(x);
  ae_model *m = NULL;
  ae_status st = ae_model_create(&m, SPEC, SEED);
  if (st == AE_OK) st = ae_set_option(m, AE_OPT_EPOCHS, EPOCHS);
  if (st == AE_OK) st = ae_train(m, x, ROWS, COLS, NULL, 0);
  if (st == AE_OK) st = ae_encode(m, x, ROWS, COLS, codes, CODE);
  char path[4096];
  snprintf(path, sizeof path, "%s/c.model", dir);
  if (st == AE_OK) st = ae_save(m, path, 0);
  ae_model_free(m);
  if (st != AE_OK) return fail("make", st);
  return write_floats(dir, "x.f32", x, ROWS * COLS) ||
         write_floats(dir, "c.codes.f32", codes, ROWS * CODE);
}

static int check(const char *dir, const char *lang) {
  float x[ROWS * COLS], c_codes[ROWS * CODE], lang_codes[ROWS * CODE], again[ROWS * CODE];
  char name[256], path[4096];
  snprintf(name, sizeof name, "%s.codes.f32", lang);
  if (read_floats(dir, "x.f32", x, ROWS * COLS) ||
      read_floats(dir, "c.codes.f32", c_codes, ROWS * CODE) ||
      read_floats(dir, name, lang_codes, ROWS * CODE)) {
    return 1;
  }
  snprintf(path, sizeof path, "%s/%s.model", dir, lang);
  ae_model *m = NULL;
  ae_status st = ae_load(&m, path);
  if (st == AE_OK) st = ae_encode(m, x, ROWS, COLS, again, CODE);
  ae_model_free(m);
  if (st != AE_OK) return fail(path, st);
  if (memcmp(again, lang_codes, sizeof again) != 0) {
    fprintf(stderr, "interop: %s encodes differently in C than in %s\n", path, lang);
    return 1;
  }
  if (memcmp(lang_codes, c_codes, sizeof c_codes) != 0) {
    fprintf(stderr, "interop: training in %s gave other codes than training in C\n", lang);
    return 1;
  }
  printf("interop: %s model loads in C, and %s training matches C's bit for bit\n", lang, lang);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "make") == 0) return make(argv[2]);
  if (argc >= 4 && strcmp(argv[1], "check") == 0) {
    int failed = 0;
    for (int i = 3; i < argc; i++) failed |= check(argv[2], argv[i]);
    return failed;
  }
  fprintf(stderr, "usage: interop make DIR | interop check DIR LANG...\n");
  return 2;
}
