/* pictures.c -- image grids and code scatter plots. */
#include "pictures.h"

#include <math.h>
#include <stdlib.h>

#include "canvas.h"
#include "msg.h"

#define GRID_COLUMNS 16
#define GAP 2       /* pixels between images */
#define BAND_GAP 8  /* pixels between bands */
#define PLOT 720    /* side of the scatter plot's square, pixels */
#define MARGIN 24
#define LEGEND 90

static const colour background = {96, 96, 96};
static const colour white = {255, 255, 255};
static const colour ink = {40, 40, 40};

/* The "tab10" palette: ten colours told apart easily. */
static const colour palette[10] = {
    {31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},  {148, 103, 189},
    {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};

static void value_range(const float *x, int64_t n, float *lo, float *hi) {
  *lo = INFINITY;
  *hi = -INFINITY;
  for (int64_t i = 0; i < n; i++) {
    if (x[i] < *lo) *lo = x[i];
    if (x[i] > *hi) *hi = x[i];
  }
  if (!(*lo <= *hi)) { /* no finite value */
    *lo = 0;
    *hi = 1;
  }
}

int picture_grid(const char *path, int force, const float *const *sets, int n_sets,
                 int64_t count, int64_t height, int64_t width) {
  int zoom = height <= 32 && width <= 32 ? 2 : 1;
  int64_t cols = count < GRID_COLUMNS ? count : GRID_COLUMNS;
  int64_t bands = (count + cols - 1) / cols;
  int64_t cell_w = width * zoom + GAP, cell_h = height * zoom + GAP;
  int64_t band_h = n_sets * cell_h + BAND_GAP;
  float lo, hi;
  value_range(sets[0], count * height * width, &lo, &hi);
  if (lo >= 0 && hi <= 1) {
    lo = 0;
    hi = 1;
  }
  canvas c;
  if (canvas_init(&c, cols * cell_w + GAP, bands * band_h - BAND_GAP + 2 * GAP, background) !=
      CLI_OK) {
    return CLI_FAIL;
  }
  for (int64_t i = 0; i < count; i++) {
    int64_t x = GAP + (i % cols) * cell_w, y = GAP + (i / cols) * band_h;
    for (int s = 0; s < n_sets; s++) {
      canvas_image(&c, x, y + s * cell_h, sets[s] + i * height * width, height, width, zoom, lo,
                   hi);
    }
  }
  int rc = canvas_save(&c, path, force);
  canvas_free(&c);
  return rc;
}

/* Draws a legend entry per distinct label (up to 25), ascending. */
static void draw_legend(canvas *c, const int64_t *labels, int64_t n) {
  int64_t y = MARGIN, last = -1;
  for (int shown = 0; shown < 25; shown++) {
    int64_t next = -1; /* the smallest label above `last` */
    for (int64_t i = 0; i < n; i++) {
      if (labels[i] > last && (next < 0 || labels[i] < next)) next = labels[i];
    }
    if (next < 0) break;
    canvas_fill(c, PLOT + 2 * MARGIN, y, 14, 14, palette[next % 10]);
    canvas_number(c, PLOT + 2 * MARGIN + 22, y + 2, next, 2, ink);
    y += 24;
    last = next;
  }
}

int picture_scatter(const char *path, int force, const float *codes, int64_t n,
                    const int64_t *labels) {
  float lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
  for (int64_t i = 0; i < n; i++) {
    for (int k = 0; k < 2; k++) {
      float v = codes[2 * i + k];
      if (v < lo[k]) lo[k] = v;
      if (v > hi[k]) hi[k] = v;
    }
  }
  for (int k = 0; k < 2; k++) {
    if (!(lo[k] < hi[k])) { /* one value, or none finite */
      lo[k] -= 1;
      hi[k] += 1;
    }
    float pad = 0.03f * (hi[k] - lo[k]);
    lo[k] -= pad;
    hi[k] += pad;
  }
  canvas c;
  int64_t width = PLOT + 2 * MARGIN + (labels ? LEGEND : 0);
  if (canvas_init(&c, width, PLOT + 2 * MARGIN, (colour){250, 250, 250}) != CLI_OK) return CLI_FAIL;
  canvas_fill(&c, MARGIN - 1, MARGIN - 1, PLOT + 2, PLOT + 2, (colour){60, 60, 60});
  canvas_fill(&c, MARGIN, MARGIN, PLOT, PLOT, white);
  for (int64_t i = 0; i < n; i++) {
    float u = (codes[2 * i] - lo[0]) / (hi[0] - lo[0]);
    float v = (codes[2 * i + 1] - lo[1]) / (hi[1] - lo[1]);
    if (!(u >= 0 && u <= 1 && v >= 0 && v <= 1)) continue; /* NaN */
    int64_t x = MARGIN + (int64_t)(u * (PLOT - 3)), y = MARGIN + (int64_t)((1 - v) * (PLOT - 3));
    canvas_fill(&c, x, y, 3, 3, labels ? palette[labels[i] % 10] : palette[0]);
  }
  if (labels) draw_legend(&c, labels, n);
  int rc = canvas_save(&c, path, force);
  canvas_free(&c);
  return rc;
}
