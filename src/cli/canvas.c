/* canvas.c -- drawing into an RGB buffer. */
#include "canvas.h"

#include <stdio.h>
#include <stdlib.h>

#include "msg.h"
#include "pngfile.h"

int canvas_init(canvas *c, int64_t width, int64_t height, colour background) {
  c->width = width;
  c->height = height;
  c->rgb = malloc((size_t)(width * height * 3));
  if (!c->rgb) return msg_no_memory("for a picture");
  canvas_fill(c, 0, 0, width, height, background);
  return CLI_OK;
}

void canvas_free(canvas *c) {
  free(c->rgb);
  c->rgb = NULL;
}

void canvas_fill(canvas *c, int64_t x, int64_t y, int64_t w, int64_t h, colour paint) {
  int64_t x1 = x + w < c->width ? x + w : c->width;
  int64_t y1 = y + h < c->height ? y + h : c->height;
  for (int64_t j = y < 0 ? 0 : y; j < y1; j++) {
    for (int64_t i = x < 0 ? 0 : x; i < x1; i++) {
      unsigned char *p = c->rgb + (j * c->width + i) * 3;
      p[0] = paint.r;
      p[1] = paint.g;
      p[2] = paint.b;
    }
  }
}

void canvas_image(canvas *c, int64_t x, int64_t y, const float *image, int64_t h, int64_t w,
                  int zoom, float lo, float hi) {
  float span = hi > lo ? hi - lo : 1.0f;
  for (int64_t r = 0; r < h; r++) {
    for (int64_t q = 0; q < w; q++) {
      float v = (image[r * w + q] - lo) / span;
      v = v < 0 ? 0 : v > 1 ? 1 : v; /* NaN stays NaN: black below */
      unsigned char g = v == v ? (unsigned char)(v * 255.0f + 0.5f) : 0;
      canvas_fill(c, x + q * zoom, y + r * zoom, zoom, zoom, (colour){g, g, g});
    }
  }
}

/* Digits 0-9 in 3x5 pixels, rows top to bottom, '#' set. */
static const char font[10][5][4] = {
    {"###", "#.#", "#.#", "#.#", "###"}, {".#.", "##.", ".#.", ".#.", "###"},
    {"###", "..#", "###", "#..", "###"}, {"###", "..#", "###", "..#", "###"},
    {"#.#", "#.#", "###", "..#", "..#"}, {"###", "#..", "###", "..#", "###"},
    {"###", "#..", "###", "#.#", "###"}, {"###", "..#", "..#", "..#", "..#"},
    {"###", "#.#", "###", "#.#", "###"}, {"###", "#.#", "###", "..#", "###"},
};

void canvas_number(canvas *c, int64_t x, int64_t y, int64_t number, int zoom, colour paint) {
  char digits[24];
  int n = snprintf(digits, sizeof digits, "%lld", (long long)number);
  for (int k = 0; k < n; k++) {
    if (digits[k] < '0' || digits[k] > '9') continue;
    const char (*glyph)[4] = font[digits[k] - '0'];
    for (int r = 0; r < 5; r++) {
      for (int q = 0; q < 3; q++) {
        if (glyph[r][q] == '#') {
          canvas_fill(c, x + (4 * k + q) * zoom, y + r * zoom, zoom, zoom, paint);
        }
      }
    }
  }
}

int canvas_save(const canvas *c, const char *path, int force) {
  return png_write_rgb(path, force, c->rgb, c->width, c->height);
}
