/* progress.h -- what `ae train` shows while it trains: on a terminal, a bar
 * redrawn in place (epoch, batch, loss, samples per second, time left) and a
 * line per finished epoch; when stderr is not a terminal, the epoch lines
 * alone; with --quiet, nothing. Also Ctrl-C: the first one stops training
 * after the current step (the model is still saved), a second one kills. */
#ifndef AE_CLI_PROGRESS_H
#define AE_CLI_PROGRESS_H

#include <stdint.h>

#include "ae.h"

typedef enum progress_mode { PROGRESS_OFF, PROGRESS_LINES, PROGRESS_BAR } progress_mode;

typedef struct progress {
  const ae_model *model;
  progress_mode mode;
  int64_t epochs;       /* epochs asked for */
  int64_t rows;         /* training rows per epoch, validation rows left out */
  int64_t batch;
  double start, last_draw;
  int bar_shown;        /* a bar is on the screen's last line */
  int64_t last_epoch;   /* the last epoch reported as finished */
  int stopped;          /* training was stopped by Ctrl-C */
} progress;

/* Sets p up for a training run; the mode follows `quiet` and isatty(2). */
void progress_init(progress *p, const ae_model *model, int quiet, int64_t epochs,
                   int64_t rows, int64_t batch);

/* The progress callback (ae_progress_fn); user_data is a progress *. */
int progress_report(void *user_data, int64_t epoch, int64_t step, int64_t steps, double loss);

/* Clears a bar left on the screen. */
void progress_finish(progress *p);

/* AE_OPT_PROGRESS_EVERY for about 50 updates per epoch of `steps` steps. */
int64_t progress_every(int64_t steps);

/* Installs the Ctrl-C handler. */
void progress_catch_interrupt(void);

/* Seconds since an arbitrary point, monotonic. */
double progress_now(void);

/* Formats a duration as "1:02:03" or "2:03". Returns buf. */
const char *progress_duration(double seconds, char *buf, int size);

#endif
