/* pngfile.h -- writing 8-bit RGB pictures as PNG files through libpng. */
#ifndef AE_CLI_PNGFILE_H
#define AE_CLI_PNGFILE_H

#include <stdint.h>

/* Writes width x height pixels, rgb holding 3 bytes per pixel row by row,
 * atomically (see output.h). */
int png_write_rgb(const char *path, int force, const unsigned char *rgb, int64_t width,
                  int64_t height);

#endif
