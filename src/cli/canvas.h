/* canvas.h -- an RGB picture in memory and the few things pictures draw on
 * it: filled rectangles, grey-level images, digits. */
#ifndef AE_CLI_CANVAS_H
#define AE_CLI_CANVAS_H

#include <stdint.h>

typedef struct canvas {
  int64_t width, height;
  unsigned char *rgb; /* (height, width, 3) */
} canvas;

typedef struct colour {
  unsigned char r, g, b;
} colour;

/* A width x height canvas filled with `background`; CLI_FAIL when out of
 * memory. */
int canvas_init(canvas *c, int64_t width, int64_t height, colour background);
void canvas_free(canvas *c);

/* Fills the rectangle at (x, y) of w x h pixels, clipped to the canvas. */
void canvas_fill(canvas *c, int64_t x, int64_t y, int64_t w, int64_t h, colour paint);

/* Draws an image of h x w values (row-major) at (x, y), each value a
 * zoom x zoom square of grey: lo is black, hi white, values clamped. */
void canvas_image(canvas *c, int64_t x, int64_t y, const float *image, int64_t h, int64_t w,
                  int zoom, float lo, float hi);

/* Writes a whole number in a 3x5 pixel font scaled by zoom, from (x, y). */
void canvas_number(canvas *c, int64_t x, int64_t y, int64_t number, int zoom, colour paint);

/* Saves the canvas as a PNG file (see pngfile.h). */
int canvas_save(const canvas *c, const char *path, int force);

#endif
