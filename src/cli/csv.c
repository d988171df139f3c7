/* csv.c -- reading and writing numeric CSV. */
#include "csv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "elements.h"
#include "msg.h"

#define FLOAT_LIMIT 0x1.ffffffp127 /* FLT_MAX + 2^103: the first double that rounds to Inf */

int csv_looks_like_text(const unsigned char *head, int n) {
  for (int i = 0; i < n; i++) {
    unsigned char c = head[i];
    if (c == 0 || (c < 32 && c != '\n' && c != '\r' && c != '\t') || c >= 127) return 0;
  }
  return n > 0;
}

typedef struct line_reader {
  gzFile f;
  const char *path;
  char *buf;
  size_t cap;
  int64_t number; /* 1-based number of the line in buf */
} line_reader;

/* Reads the next line into r->buf without its end. 1: a line, 0: the end of
 * the file, -1: failed (message printed). */
static int next_line(line_reader *r) {
  size_t len = 0;
  for (;;) {
    if (r->cap - len < 2) {
      size_t cap = r->cap ? 2 * r->cap : 4096;
      char *grown = realloc(r->buf, cap);
      if (!grown) return msg_no_memory("reading a CSV line"), -1;
      r->buf = grown;
      r->cap = cap;
    }
    if (!gzgets(r->f, r->buf + len, (int)(r->cap - len))) {
      int code;
      gzerror(r->f, &code);
      if (code != Z_OK && code != Z_BUF_ERROR) return elem_read_error(r->f, r->path), -1;
      if (len == 0) return 0;
      break;
    }
    len += strlen(r->buf + len);
    if (len > 0 && r->buf[len - 1] == '\n') break;
  }
  while (len > 0 && (r->buf[len - 1] == '\n' || r->buf[len - 1] == '\r')) len--;
  r->buf[len] = '\0';
  r->number++;
  return 1;
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
static int is_separator(char c) { return c == ',' || c == ';'; }

/* Parses the values of one line into dst (when not NULL; at most `max`).
 * Returns the number of values, or -1 - (index of the first field that is
 * not a number). *bad receives that field's text. */
static int64_t parse_line(char *line, float *dst, int64_t max, const char **bad) {
  int64_t count = 0;
  char *p = line;
  for (;;) {
    while (is_blank(*p)) p++;
    char *field = p;
    char *end;
    double v = strtod(p, &end);
    /* finite as a float too: 1e300 would become Inf (or be undefined); below
     * FLT_MAX plus half its last place, it rounds to at most FLT_MAX */
    if (end == p || !(fabs(v) < FLOAT_LIMIT) ||
        (*end && !is_blank(*end) && !is_separator(*end))) {
      *bad = field;
      return -1 - count;
    }
    if (dst && count < max) dst[count] = (float)v;
    count++;
    p = end;
    while (is_blank(*p)) p++;
    if (!*p) return count;
    if (is_separator(*p)) {
      p++;
      while (is_blank(*p)) p++;
      if (!*p) return count; /* a trailing separator */
    }
  }
}

/* Whether a line holds no data: empty, blank or a '#' comment. */
static int skip_line(const char *line) {
  while (is_blank(*line)) line++;
  return !*line || *line == '#';
}

/* One pass over the file: counts rows and columns (dst NULL) or fills dst
 * (rows x cols, known from the first pass). */
static int scan(line_reader *r, const data_options *opt, float *dst, int64_t *rows,
                int64_t *cols) {
  int64_t n = 0;
  int first = 1, rc;
  while ((rc = next_line(r)) == 1) {
    if (skip_line(r->buf)) continue;
    const char *bad = NULL;
    int64_t got = parse_line(r->buf, dst ? dst + n * *cols : NULL, dst ? *cols : 0, &bad);
    if (got < 0 && first) {
      first = 0; /* a header line */
      continue;
    }
    first = 0;
    if (got < 0) {
      int len = 0;
      while (bad[len] && !is_separator(bad[len]) && !is_blank(bad[len]) && len < 40) len++;
      return msg_error("'%s' line %lld, value %lld: '%.*s' is not a finite number", r->path,
                       (long long)r->number, (long long)(-got), len, bad);
    }
    if (!dst && n == 0) *cols = got;
    if (got != *cols) {
      return msg_error("'%s' line %lld has %lld values, the first row %lld", r->path,
                       (long long)r->number, (long long)got, (long long)*cols);
    }
    n++;
    if (opt->max_rows > 0 && n == opt->max_rows) break;
  }
  if (rc < 0) return CLI_FAIL;
  if (n == 0) return msg_error("'%s' holds no rows of numbers", r->path);
  *rows = n;
  return CLI_OK;
}

int csv_read(gzFile f, const char *path, const data_options *opt, cli_data *out) {
  line_reader r = {f, path, NULL, 0, 0};
  int64_t rows = 0, cols = 0;
  int rc = scan(&r, opt, NULL, &rows, &cols);
  if (rc == CLI_OK && gzrewind(f) != 0) rc = elem_read_error(f, path);
  if (rc == CLI_OK) rc = data_alloc(out, path, rows, cols);
  if (rc == CLI_OK) {
    r.number = 0;
    rc = scan(&r, opt, out->x, &rows, &cols);
    if (rc != CLI_OK) data_free(out);
  }
  /* all of it, unless the row limit stopped the scan */
  if (rc == CLI_OK && (opt->max_rows == 0 || rows < opt->max_rows)) out->file_rows = rows;
  free(r.buf);
  return rc;
}

int csv_write(FILE *f, const float *x, int64_t rows, int64_t cols) {
  for (int64_t i = 0; i < rows; i++) {
    for (int64_t j = 0; j < cols; j++) {
      fprintf(f, j ? ",%.9g" : "%.9g", (double)x[i * cols + j]);
    }
    fputc('\n', f);
  }
  return ferror(f) ? -1 : 0;
}
