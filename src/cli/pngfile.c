/* pngfile.c -- PNG output through libpng. libpng reports errors by longjmp to the
 * setjmp below; nothing here allocates between the two, so nothing leaks. */
#include "pngfile.h"

#include <png.h>
#include <setjmp.h>

#include "msg.h"
#include "output.h"

static void on_png_error(png_structp png, png_const_charp message) {
  msg_error("libpng: %s", message);
  png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp message) {
  (void)png;
  msg_warn("libpng: %s", message);
}

/* Writes the picture to an open file; CLI_OK or CLI_FAIL. */
static int write_to(FILE *f, const unsigned char *rgb, int64_t width, int64_t height) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_png_error,
                                            on_png_warning);
  if (!png) return msg_no_memory("for libpng");
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, NULL);
    return msg_no_memory("for libpng");
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return CLI_FAIL;
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int64_t y = 0; y < height; y++) png_write_row(png, rgb + y * width * 3);
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  return CLI_OK;
}

int png_write_rgb(const char *path, int force, const unsigned char *rgb, int64_t width,
                  int64_t height) {
  if (width < 1 || height < 1 || width > 1 << 20 || height > 1 << 20) {
    return msg_error("'%s': a picture of %lldx%lld pixels is not possible", path,
                     (long long)width, (long long)height);
  }
  cli_output o;
  if (output_open(&o, path, force) != CLI_OK) return CLI_FAIL;
  if (write_to(o.f, rgb, width, height) != CLI_OK) {
    output_abort(&o);
    return CLI_FAIL;
  }
  return output_commit(&o);
}
