/* cli_helper.c -- the test side of the `ae` command's tests: makes small data
 * files in every format the command reads (and broken ones), and reads back
 * what the command writes (.npy headers and values, PNG sizes through
 * libpng). Independent of libae and of the command's own readers.
 *
 *   cli_helper make DIR          write the data files into DIR
 *   cli_helper npy FILE          print "DESCR ROWS COLS" (COLS 0 for 1-D)
 *   cli_helper same A B TOL      exit 0 when two float32 .npy files agree within TOL
 *   cli_helper png FILE W H      exit 0 when FILE is a valid PNG of W x H pixels
 *   cli_helper value FILE I      print value I of a float32 .npy
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

enum { N = 240, SIDE = 4, D = SIDE * SIDE, CLASSES = 4 };
enum { FN = 300, FTEST = 100, FSIDE = 28 }; /* the fake Fashion-MNIST */

static uint32_t lcg_state = 12345;

static double uniform(void) {
  lcg_state = lcg_state * 1664525u + 1013904223u;
  return (lcg_state >> 8) / 16777216.0;
}

static void die(const char *what) {
  fprintf(stderr, "cli_helper: %s\n", what);
  exit(1);
}

static FILE *create(const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) die(path);
  return f;
}

/* Images of class c (labels cycle 0..3): the quadrant c is bright, the rest
 * dark, plus noise; as bytes. */
static void make_images(unsigned char *x, unsigned char *labels, int n, int side) {
  for (int i = 0; i < n; i++) {
    int c = i % CLASSES;
    labels[i] = (unsigned char)c;
    for (int r = 0; r < side; r++) {
      for (int q = 0; q < side; q++) {
        int quadrant = (r >= side / 2) * 2 + (q >= side / 2);
        double v = (quadrant == c ? 0.75 : 0.1) + 0.15 * uniform();
        x[(i * side + r) * side + q] = (unsigned char)(v * 255.0);
      }
    }
  }
}

static void npy_header(FILE *f, const char *descr, const char *shape, int version, int fortran) {
  char dict[256];
  int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }",
                     descr, fortran ? "True" : "False", shape);
  int pre = version == 1 ? 10 : 12;
  int total = (pre + len + 1 + 63) / 64 * 64, hl = total - pre;
  fwrite("\x93NUMPY", 1, 6, f);
  fputc(version, f);
  fputc(0, f);
  fputc(hl & 0xff, f);
  fputc(hl >> 8 & 0xff, f);
  if (version > 1) {
    fputc(0, f);
    fputc(0, f);
  }
  fwrite(dict, 1, (size_t)len, f);
  for (int i = pre + len; i < total - 1; i++) fputc(' ', f);
  fputc('\n', f);
}

/* A .npy file of `count` values of `size` bytes at data. */
static void write_npy(const char *dir, const char *name, const char *descr, const char *shape,
                      int version, int fortran, const void *data, size_t size, size_t count) {
  FILE *f = create(dir, name);
  npy_header(f, descr, shape, version, fortran);
  fwrite(data, size, count, f);
  fclose(f);
}

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* An IDX file of bytes with dims[0..ndim), gzip-compressed when gz. */
static void write_idx(const char *dir, const char *name, const unsigned char *v, const uint32_t *dims,
                      int ndim, int gz) {
  unsigned char head[4 + 16] = {0, 0, 8, (unsigned char)ndim};
  size_t count = 1;
  for (int i = 0; i < ndim; i++) {
    put_be32(head + 4 + 4 * i, dims[i]);
    count *= dims[i];
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (gz) {
    gzFile f = gzopen(path, "wb");
    if (!f) die(path);
    gzwrite(f, head, (unsigned)(4 + 4 * ndim));
    gzwrite(f, v, (unsigned)count);
    gzclose(f);
  } else {
    FILE *f = fopen(path, "wb");
    if (!f) die(path);
    fwrite(head, 1, (size_t)(4 + 4 * ndim), f);
    fwrite(v, 1, count, f);
    fclose(f);
  }
}

static void make_fashion(const char *dir) {
  static unsigned char x[FN * FSIDE * FSIDE], labels[FN];
  char sub[4096];
  snprintf(sub, sizeof sub, "%s/fashion", dir);
  mkdir(sub, 0777);
  make_images(x, labels, FN, FSIDE);
  uint32_t train_dims[3] = {FN - FTEST, FSIDE, FSIDE}, test_dims[3] = {FTEST, FSIDE, FSIDE};
  uint32_t train_n = FN - FTEST, test_n = FTEST;
  write_idx(sub, "train-images-idx3-ubyte.gz", x, train_dims, 3, 1);
  write_idx(sub, "train-labels-idx1-ubyte.gz", labels, &train_n, 1, 1);
  write_idx(sub, "t10k-images-idx3-ubyte.gz", x + (FN - FTEST) * FSIDE * FSIDE, test_dims, 3, 1);
  write_idx(sub, "t10k-labels-idx1-ubyte.gz", labels + FN - FTEST, &test_n, 1, 1);
}

static int make(const char *dir) {
  static unsigned char x[N * D], labels[N];
  make_images(x, labels, N, SIDE);
  float xf[N * D];
  double xd[N * D];
  for (int i = 0; i < N * D; i++) {
    xf[i] = x[i] / 255.0f; /* what ae makes of the bytes */
    xd[i] = xf[i];
  }
  char shape2[64], shape3[64], shape1[64];
  snprintf(shape2, sizeof shape2, "(%d, %d)", N, D);
  snprintf(shape3, sizeof shape3, "(%d, %d, %d)", N, SIDE, SIDE);
  snprintf(shape1, sizeof shape1, "(%d,)", N);

  write_npy(dir, "x.f4.npy", "<f4", shape2, 1, 0, xf, sizeof(float), N * D);
  write_npy(dir, "x.f8.npy", "<f8", shape2, 1, 0, xd, sizeof(double), N * D);
  write_npy(dir, "x.u1.npy", "|u1", shape3, 1, 0, x, 1, N * D);
  write_npy(dir, "x.v2.npy", "<f4", shape2, 2, 0, xf, sizeof(float), N * D); /* version 2.0 */
  write_npy(dir, "labels.npy", "|u1", shape1, 1, 0, labels, 1, N);
  uint32_t dims[3] = {N, SIDE, SIDE}, n = N;
  write_idx(dir, "x.idx", x, dims, 3, 0);
  write_idx(dir, "x.idx.gz", x, dims, 3, 1);
  write_idx(dir, "labels.idx.gz", labels, &n, 1, 1);
  FILE *f = create(dir, "x.csv");
  fprintf(f, "# a comment line\n");
  for (int j = 0; j < D; j++) fprintf(f, j ? ",p%d" : "p%d", j);
  fputc('\n', f);
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < D; j++) fprintf(f, j ? ", %.9g" : "%.9g", (double)xf[i * D + j]);
    fputc('\n', f);
  }
  fclose(f);
  f = create(dir, "labels.csv");
  fprintf(f, "label\n");
  for (int i = 0; i < N; i++) fprintf(f, "%d\n", labels[i]);
  fclose(f);
  /* rows of the wrong width for the models trained on D columns */
  /* rows of the wrong width for the models trained on D columns */
  write_npy(dir, "wide.f4.npy", "<f4", "(10, 17)", 1, 0, xf, sizeof(float), 170);
  /* broken files */
  write_npy(dir, "fortran.npy", "<f4", shape2, 1, 1, xf, sizeof(float), N * D);
  write_npy(dir, "int32.npy", "<i4", shape2, 1, 0, xf, sizeof(float), N * D);
  write_npy(dir, "truncated.npy", "<f4", shape2, 1, 0, xf, sizeof(float), N * D / 2);
  f = create(dir, "unknown.bin");
  for (int i = 0; i < 100; i++) fputc(i * 37 % 256 | 0x80, f);
  fclose(f);
  f = create(dir, "ragged.csv");
  fprintf(f, "1,2,3\n4,5\n");
  fclose(f);
  f = create(dir, "words.csv");
  fprintf(f, "a,b\n1,2\n3,oops\n");
  fclose(f);
  f = create(dir, "empty.csv");
  fclose(f);
  f = create(dir, "not-a-model.ae");
  fprintf(f, "hello\n");
  fclose(f);
  /* a gzip-compressed IDX file whose header counts 50 rows more than it holds */
  {
    char path[4096];
    snprintf(path, sizeof path, "%s/short.idx.gz", dir);
    unsigned char head[16] = {0, 0, 8, 3};
    put_be32(head + 4, N + 50);
    put_be32(head + 8, SIDE);
    put_be32(head + 12, SIDE);
    gzFile g = gzopen(path, "wb");
    if (!g) die(path);
    gzwrite(g, head, 16);
    gzwrite(g, x, N * D);
    gzclose(g);
  }
  make_fashion(dir);
  return 0;
}

/* Reads a .npy header: descr, rows, cols (0 for 1-D); returns the data offset. */
static long read_npy(FILE *f, char *descr, long *rows, long *cols) {
  unsigned char pre[10];
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) || pre[6] != 1) die("not a .npy 1.0");
  int hl = pre[8] | pre[9] << 8;
  char h[4096];
  if (hl >= (int)sizeof h || fread(h, 1, (size_t)hl, f) != (size_t)hl) die("bad header");
  h[hl] = '\0';
  if ((10 + hl) % 64 != 0) die("data not aligned to 64 bytes");
  if (sscanf(strstr(h, "'descr'"), "'descr': '%15[^']'", descr) != 1) die("no descr");
  if (!strstr(h, "'fortran_order': False")) die("not C order");
  *cols = 0;
  if (sscanf(strstr(h, "'shape'"), "'shape': (%ld, %ld)", rows, cols) < 1) die("no shape");
  return 10 + hl;
}

static float *read_f4(const char *path, long *count) {
  FILE *f = fopen(path, "rb");
  if (!f) die(path);
  char descr[16];
  long rows, cols;
  read_npy(f, descr, &rows, &cols);
  if (strcmp(descr, "<f4")) die("not float32");
  *count = rows * (cols ? cols : 1);
  float *v = malloc((size_t)*count * sizeof *v);
  if (!v || fread(v, sizeof *v, (size_t)*count, f) != (size_t)*count) die("short data");
  if (fgetc(f) != EOF) die("bytes after the data");
  fclose(f);
  return v;
}

static int png_size(const char *path, long want_w, long want_h) {
  FILE *f = fopen(path, "rb");
  if (!f) die(path);
  png_image image;
  memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_stdio(&image, f)) die(image.message);
  image.format = PNG_FORMAT_RGB;
  void *pixels = malloc(PNG_IMAGE_SIZE(image));
  /* decoding every row checks the data and the CRCs, not only the header */
  if (!pixels || !png_image_finish_read(&image, NULL, pixels, 0, NULL)) die(image.message);
  free(pixels);
  fclose(f);
  printf("%u %u\n", image.width, image.height);
  return (long)image.width == want_w && (long)image.height == want_h ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "make")) return make(argv[2]);
  if (argc == 3 && !strcmp(argv[1], "npy")) {
    FILE *f = fopen(argv[2], "rb");
    if (!f) die(argv[2]);
    char descr[16];
    long rows, cols;
    read_npy(f, descr, &rows, &cols);
    printf("%s %ld %ld\n", descr, rows, cols);
    fclose(f);
    return 0;
  }
  if (argc == 5 && !strcmp(argv[1], "same")) {
    long na, nb;
    float *a = read_f4(argv[2], &na), *b = read_f4(argv[3], &nb);
    double tol = atof(argv[4]), worst = 0;
    if (na != nb) die("different sizes");
    for (long i = 0; i < na; i++) worst = fmax(worst, fabs((double)a[i] - b[i]));
    printf("largest difference %g\n", worst);
    free(a);
    free(b);
    return worst <= tol ? 0 : 1;
  }
  if (argc == 4 && !strcmp(argv[1], "value")) {
    long n;
    float *v = read_f4(argv[2], &n);
    long i = atol(argv[3]);
    if (i < 0 || i >= n) die("index out of range");
    printf("%.9g\n", (double)v[i]);
    free(v);
    return 0;
  }
  if (argc == 5 && !strcmp(argv[1], "png")) return png_size(argv[2], atol(argv[3]), atol(argv[4]));
  fprintf(stderr, "usage: see cli_helper.c\n");
  return 2;
}
