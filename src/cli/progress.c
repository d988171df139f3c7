/* progress.c -- the training display on stderr and the Ctrl-C handler. */
#define _POSIX_C_SOURCE 200809L
#include "progress.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 16
#define REDRAW_SECONDS 0.1

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig) {
  (void)sig;
  interrupted = 1; /* SA_RESETHAND: a second Ctrl-C kills as usual */
}

void progress_catch_interrupt(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_interrupt;
  sa.sa_flags = (int)SA_RESETHAND; /* glibc defines it as 0x80000000, unsigned */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
}

double progress_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

const char *progress_duration(double seconds, char *buf, int size) {
  long s = isfinite(seconds) && seconds > 0 ? (long)(seconds + 0.5) : 0;
  if (s >= 3600) snprintf(buf, (size_t)size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else snprintf(buf, (size_t)size, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

void progress_init(progress *p, const ae_model *model, int quiet, int64_t epochs,
                   int64_t rows, int64_t batch) {
  memset(p, 0, sizeof *p);
  p->model = model;
  p->mode = quiet ? PROGRESS_OFF : isatty(STDERR_FILENO) ? PROGRESS_BAR : PROGRESS_LINES;
  p->epochs = epochs;
  p->rows = rows;
  p->batch = batch < rows ? batch : rows;
  p->start = p->last_draw = progress_now();
}

int64_t progress_every(int64_t steps) { return steps >= 100 ? steps / 50 : 1; }

void progress_finish(progress *p) {
  if (p->bar_shown) fprintf(stderr, "\r\033[K");
  p->bar_shown = 0;
}

/* Samples done, their rate and the time left, from the position in training. */
static void rates(const progress *p, int64_t epoch, int64_t step, double *per_second,
                  double *left) {
  double elapsed = progress_now() - p->start;
  double in_epoch = (double)step * (double)p->batch;
  if (in_epoch > (double)p->rows) in_epoch = (double)p->rows;
  double done = (double)(epoch - 1) * (double)p->rows + in_epoch;
  double total = (double)p->epochs * (double)p->rows;
  *per_second = elapsed > 0 ? done / elapsed : 0;
  *left = done > 0 ? elapsed * (total - done) / done : NAN;
}

/* " (reconstruction R, l1 P, ...)" when the loss has more parts than the
 * reconstruction: every penalty the model carries, each on its own. */
static void print_loss_parts(const ae_model *m, double loss) {
  static const struct {
    ae_stat stat;
    const char *name;
  } parts[] = {{AE_STAT_L2_PENALTY, "l2"},
               {AE_STAT_L1_PENALTY, "l1"},
               {AE_STAT_KL_PENALTY, "kl sparsity"},
               {AE_STAT_CONTRACTIVE_PENALTY, "contractive"},
               {AE_STAT_VAE_KL, "kl"}};
  double recon = NAN;
  ae_train_stat(m, AE_STAT_RECONSTRUCTION, &recon);
  if (isnan(recon) || recon == loss) return;
  fprintf(stderr, " (reconstruction %.5f", recon);
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    double v = NAN;
    ae_train_stat(m, parts[i].stat, &v);
    if (!isnan(v) && v != 0) fprintf(stderr, ", %s %.5f", parts[i].name, v);
  }
  fputc(')', stderr);
}

static void epoch_line(progress *p, int64_t epoch, double loss) {
  double per_second, left, val = NAN;
  char t1[32], t2[32];
  rates(p, epoch, INT64_MAX / 2, &per_second, &left);
  ae_train_stat(p->model, AE_STAT_VALIDATION_LOSS, &val);
  progress_finish(p);
  fprintf(stderr, "epoch %lld/%lld  loss %.5f", (long long)epoch, (long long)p->epochs, loss);
  print_loss_parts(p->model, loss);
  if (!isnan(val)) fprintf(stderr, "  validation %.5f", val);
  fprintf(stderr, "  %.0f samples/s  %s elapsed", per_second,
          progress_duration(progress_now() - p->start, t1, sizeof t1));
  if (epoch < p->epochs) fprintf(stderr, "  %s left", progress_duration(left, t2, sizeof t2));
  fputc('\n', stderr);
}

/* The terminal's width, 80 when unknown. */
static int terminal_width(void) {
  struct winsize ws;
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

static void bar(progress *p, int64_t epoch, int64_t step, int64_t steps, double loss) {
  double per_second, left;
  char t[32], fill[BAR_WIDTH + 1], line[256];
  rates(p, epoch, step, &per_second, &left);
  int full = (int)((double)BAR_WIDTH * (double)step / (double)steps);
  for (int i = 0; i < BAR_WIDTH; i++) fill[i] = i < full ? '#' : '.';
  fill[BAR_WIDTH] = '\0';
  int len = snprintf(line, sizeof line,
                     "epoch %lld/%lld [%s] %lld/%lld loss %.5f %.0f samples/s %s left",
                     (long long)epoch, (long long)p->epochs, fill, (long long)step,
                     (long long)steps, loss, per_second, progress_duration(left, t, sizeof t));
  int width = terminal_width() - 1; /* a full line would wrap, and \r not reach it */
  if (len > width) len = width;
  fprintf(stderr, "\r\033[K%.*s", len > 0 ? len : 0, line);
  fflush(stderr);
  p->bar_shown = 1;
}

int progress_report(void *user_data, int64_t epoch, int64_t step, int64_t steps, double loss) {
  progress *p = user_data;
  if (interrupted && !p->stopped) {
    p->stopped = 1;
    progress_finish(p);
    if (p->mode != PROGRESS_OFF) fprintf(stderr, "interrupted: stopping after this step\n");
  }
  if (step == steps) p->last_epoch = epoch;
  if (p->mode == PROGRESS_OFF) return p->stopped;
  if (step == steps) {
    epoch_line(p, epoch, loss);
  } else if (p->mode == PROGRESS_BAR && progress_now() - p->last_draw >= REDRAW_SECONDS) {
    bar(p, epoch, step, steps, loss);
    p->last_draw = progress_now();
  }
  return p->stopped;
}
