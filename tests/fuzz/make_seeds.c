/* make_seeds.c -- writes the seed corpora of the fuzz targets:
 *
 *   make_seeds DIR      writes DIR/<target>/seed-* for every target
 *
 * The seeds in tests/fuzz/corpus/ were made with it (then kept in the
 * repository, with any crash files beside them); run it again after a format
 * change. Small valid inputs of every kind each parser knows, plus a few
 * near misses, so the fuzzer starts from the interesting paths. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "ae.h"

static const char *root;

static void die(const char *what) {
  fprintf(stderr, "make_seeds: %s\n", what);
  exit(1);
}

static void put(const char *target, const char *name, const void *data, size_t size) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", root, target);
  if (mkdir(path, 0777) != 0 && errno != EEXIST) die(path);
  snprintf(path, sizeof path, "%s/%s/seed-%s", root, target, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) die(path);
}

static void put_text(const char *target, const char *name, const char *text) {
  put(target, name, text, strlen(text));
}

/* ---- model files ---- */

static void put_model(const char *name, const char *spec, int train, int scale,
                      uint32_t flags) {
  ae_model *m = NULL;
  if (ae_model_create(&m, spec, 7) != AE_OK) die(ae_last_error());
  int64_t in = ae_input_size(m), out = ae_output_size(m);
  if (scale) {
    float *mean = calloc((size_t)in, sizeof(float)), *sc = malloc((size_t)in * sizeof(float));
    for (int64_t j = 0; j < in; j++) sc[j] = 0.5f + 0.25f * (float)j;
    if (ae_set_input_scaling(m, mean, sc, in) != AE_OK) die(ae_last_error());
    free(mean);
    free(sc);
  }
  if (train) {
    enum { N = 6 };
    float *x = malloc((size_t)(N * in) * sizeof(float));
    for (int64_t i = 0; i < N * in; i++) x[i] = (float)((i * 7) % 11) / 10.0f;
    ae_set_option(m, AE_OPT_EPOCHS, 2);
    ae_set_option(m, AE_OPT_BATCH_SIZE, 3);
    if (train > 1) ae_set_option(m, AE_OPT_VALIDATION_SPLIT, 0.34);
    if (ae_train(m, x, N, in, in == out ? NULL : x, out) != AE_OK) die(ae_last_error());
    free(x);
  }
  size_t size = 0;
  ae_save_buffer(m, flags, NULL, 0, &size);
  unsigned char *buf = malloc(size);
  if (ae_save_buffer(m, flags, buf, size, &size) != AE_OK) die(ae_last_error());
  put("model", name, buf, size);
  free(buf);
  ae_model_free(m);
}

static void model_seeds(void) {
  put_model("dense-untrained", "input 4; dense 3 tanh; code 2 linear; mirror sigmoid", 0, 0, 0);
  put_model("dense-trained", "input 4; dense 3 relu; code 2 linear; mirror sigmoid", 1, 0, 0);
  put_model("dense-optim-scaled", "input 4; code 2 elu; dense 4 linear", 2, 1,
            AE_SAVE_OPTIMIZER_STATE);
  put_model("tied-noise-penalties",
            "input 4; noise gaussian 0.1 clip; dense 3 sigmoid kl=0.1 kl_weight=2; "
            "code 2 tanh l1=0.01 contractive=0.1; mirror sigmoid; tied", 1, 0,
            AE_SAVE_OPTIMIZER_STATE);
  put_model("vae", "input 4; dense 3 softplus; gaussian 2 kl_weight=0.5 warmup=2; "
                   "dense 3 leaky_relu; dense 4 sigmoid", 1, 0, AE_SAVE_OPTIMIZER_STATE);
  put_model("conv", "input 1x4x4; conv 2 3 relu; maxpool 2; code; upsample 2; "
                    "conv 1 3 sigmoid", 1, 0, AE_SAVE_OPTIMIZER_STATE);
  put_model("deconv", "input 1x4x4; conv 2 3x3 relu stride=2 pad=1; code; "
                      "deconv 1 3 sigmoid stride=2 pad=1 outpad=1", 1, 0, 0);
  put_model("reshape-output", "input 6; noise mask 0.2; output 1x2x2; dense 8 relu; "
                              "code 4 linear; reshape 1x2x2; conv 1 1 linear pad=valid", 1, 0,
            0);
}

/* ---- specs ---- */

static void spec_seeds(void) {
  put_text("spec", "deep", "input 784; dense 512 relu; dense 128 relu; code 32 linear; mirror sigmoid");
  put_text("spec", "explicit",
           "input 784; dense 512 relu; dense 128 relu; code 32 linear;\n"
           " dense 128 relu; dense 512 relu; dense 784 sigmoid");
  put_text("spec", "keras-conv",
           "input 1x28x28; conv 16 3 relu; maxpool 2; conv 8 3 relu; maxpool 2;\n"
           " conv 8 3 relu; maxpool 2; code; conv 8 3 relu; upsample 2;\n"
           " conv 8 3 relu; upsample 2; conv 16 3 relu pad=valid; upsample 2;\n"
           " conv 1 3 sigmoid");
  put_text("spec", "vae", "input 784; dense 400 relu; gaussian 20 kl_weight=0.5 warmup=3; "
                          "dense 400 relu; dense 784 sigmoid");
  put_text("spec", "penalties",
           "# a comment\ninput 10; noise salt_pepper 0.1\ndense 8 sigmoid kl=0.05 kl_weight=3 "
           "l1=0.001\ncode 4 tanh contractive=0.1 # trailing\nmirror linear; tied");
  put_text("spec", "noise", "input 8; noise gaussian 0.3 clip; code 3 elu; dense 8 softplus");
  put_text("spec", "mask", "input 8; noise mask 0.25; code 3 leaky_relu; dense 8 linear");
  put_text("spec", "deconv",
           "input 3x8x8; conv 4 3x3 relu stride=2 pad=same; conv 8 3 relu stride=2 pad=valid; "
           "code; deconv 4 3 relu stride=2 pad=0 outpad=1; deconv 3 3 sigmoid stride=2 pad=1 "
           "outpad=1");
  put_text("spec", "reshape", "input 16; output 1x4x4; dense 32 relu; code 8 linear; "
                              "dense 16 relu; reshape 1x4x4; conv 1 3 sigmoid");
  put_text("spec", "output", "input 6; output 3; code 2 linear; dense 3 linear");
  put_text("spec", "pool-valid", "input 2x7x7; maxpool 2 stride=2 pad=valid; code; upsample 3; "
                                 "conv 2 2 linear pad=valid stride=1");
  put_text("spec", "bad-width", "input 0; code 2 linear; mirror sigmoid");
}

/* ---- .npy ---- */

/* A .npy file of header dict `dict` (padded as NumPy pads it) and data. */
static size_t npy_dict(unsigned char *buf, const char *dict, int version, const void *data,
                       size_t size) {
  size_t len = strlen(dict);
  size_t pre = version == 1 ? 10 : 12;
  size_t total = (pre + len + 1 + 63) / 64 * 64, hl = total - pre;
  memcpy(buf, "\x93NUMPY", 6);
  buf[6] = (unsigned char)version;
  buf[7] = 0;
  buf[8] = (unsigned char)(hl & 0xff);
  buf[9] = (unsigned char)(hl >> 8);
  if (version > 1) buf[10] = buf[11] = 0;
  memcpy(buf + pre, dict, len);
  memset(buf + pre + len, ' ', total - 1 - pre - len);
  buf[total - 1] = '\n';
  memcpy(buf + total, data, size);
  return total + size;
}

static size_t npy(unsigned char *buf, const char *descr, const char *shape, int version,
                  const char *fortran, const void *data, size_t size) {
  char dict[256];
  snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr,
           fortran, shape);
  return npy_dict(buf, dict, version, data, size);
}

static void npy_seeds(void) {
  unsigned char buf[1024];
  float f4[6] = {0, 0.5f, 1, -2, 3.25f, 1e-3f};
  double f8[6] = {0, 0.5, 1, -2, 3.25, 1e-3};
  unsigned char u1[12] = {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255};
  unsigned char be4[8] = {0x3f, 0x80, 0, 0, 0x40, 0, 0, 0};
  put("npy", "f4-2d", buf, npy(buf, "<f4", "(2, 3)", 1, "False", f4, sizeof f4));
  put("npy", "f8-2d", buf, npy(buf, "<f8", "(3, 2)", 1, "False", f8, sizeof f8));
  put("npy", "u1-3d", buf, npy(buf, "|u1", "(3, 2, 2)", 1, "False", u1, sizeof u1));
  put("npy", "u1-1d", buf, npy(buf, "|u1", "(12,)", 2, "False", u1, sizeof u1));
  put("npy", "f4-be", buf, npy(buf, ">f4", "(1, 2)", 3, "False", be4, sizeof be4));
  put("npy", "f4-4d", buf, npy(buf, "<f4", "(1, 1, 2, 3)", 1, "False", f4, sizeof f4));
  put("npy", "fortran-1d", buf, npy(buf, "<f8", "(6,)", 1, "True", f8, sizeof f8));
  put("npy", "dquote", buf,
      npy_dict(buf, "{\"shape\":(2,3),\"descr\":\"<f4\",\"fortran_order\":False}", 1, f4,
               sizeof f4));
}

/* ---- IDX ---- */

static size_t idx(unsigned char *buf, unsigned char type, int ndim, const uint32_t *dims,
                  const void *data, size_t size) {
  buf[0] = buf[1] = 0;
  buf[2] = type;
  buf[3] = (unsigned char)ndim;
  for (int i = 0; i < ndim; i++) {
    buf[4 + 4 * i] = (unsigned char)(dims[i] >> 24);
    buf[5 + 4 * i] = (unsigned char)(dims[i] >> 16);
    buf[6 + 4 * i] = (unsigned char)(dims[i] >> 8);
    buf[7 + 4 * i] = (unsigned char)dims[i];
  }
  memcpy(buf + 4 + 4 * ndim, data, size);
  return 4 + 4 * (size_t)ndim + size;
}

static size_t gzip(const unsigned char *in, size_t n, unsigned char *out, size_t cap) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK) die("deflate");
  z.next_in = (Bytef *)(uintptr_t)in;
  z.avail_in = (uInt)n;
  z.next_out = out;
  z.avail_out = (uInt)cap;
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) die("deflate");
  size_t got = z.total_out;
  deflateEnd(&z);
  return got;
}

static void idx_one(const char *name, unsigned char type, int ndim, const uint32_t *dims,
                    const void *data, size_t size) {
  unsigned char buf[1024], gz[2048];
  size_t n = idx(buf, type, ndim, dims, data, size);
  put("idx", name, buf, n);
  put("idx_gz", name, buf, n);
  char gzname[64];
  snprintf(gzname, sizeof gzname, "%s.gz", name);
  put("idx", gzname, gz, gzip(buf, n, gz, sizeof gz));
}

static void idx_seeds(void) {
  unsigned char u8[18] = {0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 255};
  uint32_t images[3] = {2, 3, 3}, labels[1] = {5}, flat[2] = {3, 2}, four[4] = {1, 1, 2, 3};
  idx_one("u8-images", 0x08, 3, images, u8, sizeof u8);
  idx_one("u8-labels", 0x08, 1, labels, u8, 5);
  idx_one("i8-2d", 0x09, 2, flat, u8, 6);
  idx_one("i16-2d", 0x0B, 2, flat, u8, 12);
  idx_one("i32-4d", 0x0C, 4, four, u8, 24 > sizeof u8 ? sizeof u8 : 24);
  unsigned char f32[24] = {0x3f, 0x80, 0, 0, 0x40, 0, 0, 0, 0xbf, 0x80, 0, 0,
                           0, 0, 0, 0, 0x7f, 0x7f, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01};
  idx_one("f32-2d", 0x0D, 2, flat, f32, sizeof f32);
  unsigned char f64[16] = {0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0};
  uint32_t two[1] = {2};
  idx_one("f64-1d", 0x0E, 1, two, f64, sizeof f64);
}

/* ---- CSV ---- */

static void csv_seeds(void) {
  put_text("csv", "plain", "0.1,0.2,0.3\n1,2,3\n-4.5e-3,6,7\n");
  put_text("csv", "header", "a,b,c\n# a comment\n1;2;3\n\n4\t5\t6\r\n");
  put_text("csv", "spaces", "  1  2  3 \n 4 5 6,\n7 , 8 , 9\n");
  put_text("csv", "one-column", "1\n2\n3\n4\n");
  put_text("csv", "specials", "x,y\n1e30,-1e-30\n0x1p3,.5\n");
  put_text("csv", "bad-row", "1,2\n3\n");
  put_text("csv", "nan", "1,nan\n2,inf\n");
}

/* ---- command lines: arguments separated by NUL bytes ---- */

static void put_args(const char *name, const char *const *argv, int argc) {
  char buf[512];
  size_t n = 0;
  for (int i = 0; i < argc; i++) {
    size_t len = strlen(argv[i]);
    memcpy(buf + n, argv[i], len);
    n += len;
    if (i + 1 < argc) buf[n++] = '\0';
  }
  put("args", name, buf, n);
}

static void args_seeds(void) {
  const char *a[] = {"in.npy", "-o", "out.npy", "--count=5", "-fq", "--rate", "0.5"};
  put_args("basic", a, 7);
  const char *b[] = {"--epochs", "3", "--optimizer=sgd", "--loss", "bce", "--learning-rate",
                     "1e-2", "in", "--", "-x"};
  put_args("model-options", b, 10);
  const char *c[] = {"--labels", "0,2,5-7", "--image-shape", "28x28", "-l1-3", "-n-4", "in"};
  put_args("lists", c, 7);
  const char *d[] = {"--threads", "99999999999999999999", "--json", "--reduction", "sum", "a", "b", "c"};
  put_args("errors", d, 8);
  const char *e[] = {"-h"};
  put_args("help", e, 1);
  const char *f[] = {"--batch-size", "64", "--validation-split", "0.1", "--patience", "2",
                     "--l2", "1e-4", "-ofile", "x"};
  put_args("more", f, 10);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_seeds DIR\n");
    return 2;
  }
  root = argv[1];
  if (mkdir(root, 0777) != 0 && errno != EEXIST) die(root);
  model_seeds();
  spec_seeds();
  npy_seeds();
  idx_seeds();
  csv_seeds();
  args_seeds();
  return 0;
}
