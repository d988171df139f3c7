/* model_file.c -- the model file: ae_save, ae_load and their buffer forms.
 *
 * Layout (docs/FORMAT.md), every number little-endian:
 *   magic[8]  89 41 45 4D 0D 0A 1A 0A  ("\x89AEM\r\n\x1a\n", PNG-style)
 *   u32       format version (1)
 *   u32       byte-order mark 0x01020304
 *   u64       payload length L
 *   L bytes   chunks: u32 tag, u64 length, data
 *   u32       CRC-32 (zlib) of every byte before it
 * Chunks of version 1, in this order: SPEC SEED OPTS HIST [LOSS] [SCAL] PARM
 * [OPTM]; LOSS is there exactly when the model has trained an epoch, SCAL when
 * it standardises its inputs.
 * A tag whose first letter is lower case is ancillary: readers that do not
 * know it skip it. An unknown upper-case tag is an error. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "../alloc.h"
#include "../error.h"
#include "../model.h"
#include "../optim/optim.h"
#include "file.h"

#define FORMAT_VERSION 1u
#define BYTE_ORDER_MARK 0x01020304u
#define HEADER_BYTES 24
#define CRC_BYTES 4
#define CHUNK_HEADER_BYTES 12
#define MAX_SPEC_BYTES (1u << 20)

static const unsigned char MAGIC[8] = {0x89, 'A', 'E', 'M', '\r', '\n', 0x1a, '\n'};

#define TAG(a, b, c, d) \
  ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define TAG_SPEC TAG('S', 'P', 'E', 'C')
#define TAG_SEED TAG('S', 'E', 'E', 'D')
#define TAG_OPTS TAG('O', 'P', 'T', 'S')
#define TAG_HIST TAG('H', 'I', 'S', 'T')
#define TAG_LOSS TAG('L', 'O', 'S', 'S')
#define TAG_SCAL TAG('S', 'C', 'A', 'L')
#define TAG_PARM TAG('P', 'A', 'R', 'M')
#define TAG_OPTM TAG('O', 'P', 'T', 'M')

/* The largest call and update counts a file may hold (its epochs are bounded
 * by the LOSS chunk's data): no training gets there (2^62 updates at one a
 * nanosecond take 146 years), and training on from them cannot overflow
 * int64, as from INT64_MAX it would. */
#define MAX_COUNTER ((uint64_t)1 << 62)

/* ---- writing ---- */

/* Writes into buf when it is not NULL; always counts, so one pass with
 * buf == NULL measures the size. */
typedef struct writer {
  unsigned char *buf;
  size_t pos;
} writer;

static void put_bytes(writer *w, const void *p, size_t n) {
  if (w->buf) memcpy(w->buf + w->pos, p, n);
  w->pos += n;
}

static void put_u32(writer *w, uint32_t v) {
  unsigned char b[4];
  for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
  put_bytes(w, b, 4);
}

static void put_u64(writer *w, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
  put_bytes(w, b, 8);
}

static void put_f64(writer *w, double v) {
  uint64_t bits;
  memcpy(&bits, &v, 8);
  put_u64(w, bits);
}

static void put_floats(writer *w, const float *v, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    uint32_t bits;
    memcpy(&bits, &v[i], 4);
    put_u32(w, bits);
  }
}

static void put_chunk_header(writer *w, uint32_t tag, uint64_t length) {
  put_u32(w, tag);
  put_u64(w, length);
}

static void write_chunks(writer *w, const ae_model *m, uint32_t flags) {
  size_t spec_len = strlen(m->spec_text);
  put_chunk_header(w, TAG_SPEC, spec_len);
  put_bytes(w, m->spec_text, spec_len);

  put_chunk_header(w, TAG_SEED, 8);
  put_u64(w, m->seed);

  put_chunk_header(w, TAG_OPTS, 4 + (uint64_t)AE_N_OPTIONS * 12);
  put_u32(w, AE_N_OPTIONS);
  for (int i = 0; i < AE_N_OPTIONS; i++) {
    put_u32(w, (uint32_t)ae_option_at(i)->id);
    put_f64(w, m->options.value[i]);
  }

  put_chunk_header(w, TAG_HIST, 16);
  put_u64(w, (uint64_t)m->epochs_trained);
  put_u64(w, (uint64_t)m->train_calls);

  if (m->epochs_trained > 0) {
    put_chunk_header(w, TAG_LOSS, 8 + 16 * (uint64_t)m->epochs_trained);
    put_u64(w, (uint64_t)m->epochs_trained);
    for (int64_t i = 0; i < 2 * m->epochs_trained; i++) put_f64(w, m->history[i]);
  }

  if (m->input_mean) {
    int64_t cols = m->spec.input_size;
    put_chunk_header(w, TAG_SCAL, 8 + 8 * (uint64_t)cols);
    put_u64(w, (uint64_t)cols);
    put_floats(w, m->input_mean, cols);
    put_floats(w, m->input_scale, cols);
  }

  int64_t np = m->graph.n_params;
  put_chunk_header(w, TAG_PARM, 8 + 4 * (uint64_t)np);
  put_u64(w, (uint64_t)np);
  put_floats(w, m->params, np);

  if ((flags & AE_SAVE_OPTIMIZER_STATE) && m->optim_state) {
    int64_t ns = ae_optim_state_floats(m->optim_kind, np);
    put_chunk_header(w, TAG_OPTM, 4 + 8 + 8 + 4 * (uint64_t)ns);
    put_u32(w, (uint32_t)m->optim_kind);
    put_u64(w, (uint64_t)m->optim_steps);
    put_u64(w, (uint64_t)ns);
    put_floats(w, m->optim_state, ns);
  }
}

/* The whole file into buf (NULL: only measure). Returns its size. */
static size_t serialize(const ae_model *m, uint32_t flags, unsigned char *buf) {
  writer chunks = {NULL, 0};
  write_chunks(&chunks, m, flags);
  writer w = {buf, 0};
  put_bytes(&w, MAGIC, sizeof MAGIC);
  put_u32(&w, FORMAT_VERSION);
  put_u32(&w, BYTE_ORDER_MARK);
  put_u64(&w, chunks.pos);
  write_chunks(&w, m, flags);
  if (buf) put_u32(&w, (uint32_t)crc32_z(0, buf, w.pos));
  else w.pos += CRC_BYTES;
  return w.pos;
}

static ae_status check_save_args(const ae_model *m, uint32_t flags, const char *caller) {
  if (!m) return ae_fail(AE_ERR_NULL_ARGUMENT, "%s: model is NULL", caller);
  if (flags & ~AE_SAVE_OPTIMIZER_STATE) {
    return ae_fail(AE_ERR_INVALID_ARGUMENT, "%s: unknown flags 0x%x", caller,
                   flags & ~AE_SAVE_OPTIMIZER_STATE);
  }
  return AE_OK;
}

ae_status ae_save_buffer(const ae_model *m, uint32_t flags, void *buffer,
                         size_t capacity, size_t *size) {
  ae_clear_error();
  const char *caller = "ae_save_buffer";
  ae_status st = check_save_args(m, flags, caller);
  if (st != AE_OK) return st;
  if (!size) return ae_fail(AE_ERR_NULL_ARGUMENT, "%s: size is NULL", caller);
  if ((st = ae_model_acquire_read(m, caller)) != AE_OK) return st;
  *size = serialize(m, flags, NULL);
  if (buffer && capacity < *size) {
    st = ae_fail(AE_ERR_BUFFER_TOO_SMALL, "%s: the model needs %zu bytes, the buffer has %zu",
                 caller, *size, capacity);
  } else if (buffer) {
    serialize(m, flags, buffer);
  }
  ae_model_release_read(m);
  return st;
}

ae_status ae_save(const ae_model *m, const char *path, uint32_t flags) {
  ae_clear_error();
  const char *caller = "ae_save";
  ae_status st = check_save_args(m, flags, caller);
  if (st != AE_OK) return st;
  if (!path) return ae_fail(AE_ERR_NULL_ARGUMENT, "%s: path is NULL", caller);
  if ((st = ae_model_acquire_read(m, caller)) != AE_OK) return st;
  size_t size = serialize(m, flags, NULL);
  unsigned char *buf = ae_malloc(size, 1);
  if (!buf) {
    st = ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory for %zu bytes", caller, size);
  } else {
    serialize(m, flags, buf);
    st = ae_write_file_atomic(path, buf, size, caller);
  }
  ae_free(buf);
  ae_model_release_read(m);
  return st;
}

/* ---- reading ---- */

/* Every read checks the bytes left first; a failed read leaves `ok` 0 and
 * returns zeros, so a parse can check once at the end of a chunk. */
typedef struct reader {
  const unsigned char *p, *end;
  int ok;
} reader;

static int has(const reader *r, uint64_t n) { return r->ok && (uint64_t)(r->end - r->p) >= n; }

static const unsigned char *take(reader *r, uint64_t n) {
  if (!has(r, n)) {
    r->ok = 0;
    return NULL;
  }
  const unsigned char *p = r->p;
  r->p += n;
  return p;
}

static uint32_t get_u32(reader *r) {
  const unsigned char *b = take(r, 4);
  if (!b) return 0;
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t get_u64(reader *r) {
  uint64_t lo = get_u32(r);
  return lo | (uint64_t)get_u32(r) << 32;
}

static double get_f64(reader *r) {
  uint64_t bits = get_u64(r);
  double v;
  memcpy(&v, &bits, 8);
  return v;
}

static void get_floats(reader *r, float *out, int64_t n) {
  for (int64_t i = 0; i < n && r->ok; i++) {
    uint32_t bits = get_u32(r);
    memcpy(&out[i], &bits, 4);
  }
}

static const char *const CALLER_LOAD = "ae_load";

static ae_status bad(const char *caller, const char *what) {
  return ae_fail(AE_ERR_FORMAT, "%s: %s", caller, what);
}

/* Moves past the whole ancillary chunks at r's position, so that they may
 * also stand last; a chunk that runs past the end is left for the caller to
 * report. */
static void skip_ancillary(reader *r) {
  while (has(r, CHUNK_HEADER_BYTES) && r->p[0] >= 'a' && r->p[0] <= 'z') {
    reader peek = *r;
    get_u32(&peek);
    uint64_t len = get_u64(&peek);
    if (!take(&peek, len)) return;
    *r = peek;
  }
}

/* Opens the next critical chunk, which must carry `tag`, after skipping
 * ancillary ones. *body then covers exactly its data. */
static ae_status next_chunk(reader *r, uint32_t tag, reader *body, const char *caller) {
  skip_ancillary(r);
  if (!has(r, CHUNK_HEADER_BYTES)) {
    char msg[64];
    snprintf(msg, sizeof msg, "the '%.4s' chunk is missing", (const char *)&tag);
    return bad(caller, msg);
  }
  uint32_t got = get_u32(r);
  uint64_t len = get_u64(r);
  const unsigned char *data = take(r, len);
  if (!data) return bad(caller, "a chunk runs past the end of the data");
  if (got != tag) {
    char msg[96];
    snprintf(msg, sizeof msg, "unexpected chunk (tag 0x%08x) where '%.4s' belongs",
             (unsigned)got, (const char *)&tag);
    return bad(caller, msg);
  }
  body->p = data;
  body->end = data + len;
  body->ok = 1;
  return AE_OK;
}

static ae_status finish_chunk(const reader *body, const char *name, const char *caller) {
  if (body->ok && body->p == body->end) return AE_OK;
  char msg[64];
  snprintf(msg, sizeof msg, "the %s chunk has the wrong length", name);
  return bad(caller, msg);
}

static ae_status read_options(reader *r, ae_model *m, const char *caller) {
  reader body;
  ae_status st = next_chunk(r, TAG_OPTS, &body, caller);
  if (st != AE_OK) return st;
  uint32_t count = get_u32(&body);
  if (!has(&body, (uint64_t)count * 12)) return bad(caller, "the OPTS chunk is truncated");
  for (uint32_t i = 0; i < count; i++) {
    uint32_t id = get_u32(&body);
    double value = get_f64(&body);
    int slot;
    const ae_option_info *info = ae_option_find((ae_option)id, &slot);
    if (!info) return bad(caller, "the file sets an unknown option");
    if (ae_option_validate(info, value, caller) != AE_OK) {
      return ae_fail(AE_ERR_FORMAT, "%s: stored option %s = %g is out of range", caller,
                     info->name, value);
    }
    m->options.value[slot] = value;
  }
  return finish_chunk(&body, "OPTS", caller);
}

static ae_status read_params(reader *r, ae_model *m, const char *caller) {
  reader body;
  ae_status st = next_chunk(r, TAG_PARM, &body, caller);
  if (st != AE_OK) return st;
  uint64_t count = get_u64(&body);
  if (count != (uint64_t)m->graph.n_params) {
    return ae_fail(AE_ERR_FORMAT, "%s: the file has %llu parameters, its spec needs %lld",
                   caller, (unsigned long long)count, (long long)m->graph.n_params);
  }
  get_floats(&body, m->params, m->graph.n_params);
  /* libae never writes a non-finite weight (training keeps the last finite
   * ones): such a file is damaged or forged, and would give NaN silently */
  for (int64_t i = 0; body.ok && i < m->graph.n_params; i++) {
    if (!isfinite(m->params[i])) return bad(caller, "the PARM chunk holds a NaN or Inf weight");
  }
  return finish_chunk(&body, "PARM", caller);
}

/* Whether the next critical chunk (after any ancillary ones) carries `tag`. */
static int next_is(reader *r, uint32_t tag) {
  skip_ancillary(r);
  reader peek = *r;
  return has(r, CHUNK_HEADER_BYTES) && get_u32(&peek) == tag;
}

/* LOSS: there exactly when the model has finished an epoch. */
static ae_status read_loss_history(reader *r, ae_model *m, const char *caller) {
  if (m->epochs_trained == 0) return AE_OK;
  reader body;
  ae_status st = next_chunk(r, TAG_LOSS, &body, caller);
  if (st != AE_OK) return st;
  uint64_t count = get_u64(&body);
  /* count <= the bytes left / 16, not has(count * 16): a count near 2^60
   * would wrap the product and reach the allocation below. */
  if (count != (uint64_t)m->epochs_trained || !body.ok ||
      count > (uint64_t)(body.end - body.p) / 16) {
    return bad(caller, "the LOSS chunk does not match the epochs trained");
  }
  m->history = ae_malloc((size_t)count * 2, sizeof(double));
  if (!m->history) return ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory", caller);
  m->history_capacity = (int64_t)count;
  for (uint64_t i = 0; i < 2 * count; i++) m->history[i] = get_f64(&body);
  return finish_chunk(&body, "LOSS", caller);
}

/* SCAL is optional: the input standardisation, validated as the setter does. */
static ae_status read_scaling(reader *r, ae_model *m, const char *caller) {
  if (!next_is(r, TAG_SCAL)) return AE_OK;
  reader body;
  ae_status st = next_chunk(r, TAG_SCAL, &body, caller);
  if (st != AE_OK) return st;
  uint64_t cols = get_u64(&body);
  if (cols != (uint64_t)m->spec.input_size || !has(&body, cols * 8)) {
    return bad(caller, "the SCAL chunk does not match the input width");
  }
  m->input_mean = ae_malloc((size_t)cols, sizeof(float));
  m->input_scale = ae_malloc((size_t)cols, sizeof(float));
  if (!m->input_mean || !m->input_scale) return ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory", caller);
  get_floats(&body, m->input_mean, (int64_t)cols);
  get_floats(&body, m->input_scale, (int64_t)cols);
  for (uint64_t j = 0; j < cols; j++) {
    if (!isfinite(m->input_mean[j]) || !(m->input_scale[j] > 0.0f) || !isfinite(m->input_scale[j])) {
      return bad(caller, "the SCAL chunk holds a non-finite mean or a scale that is not > 0");
    }
  }
  return finish_chunk(&body, "SCAL", caller);
}

/* OPTM is optional: absent at the end of the chunks. */
static ae_status read_optimizer(reader *r, ae_model *m, const char *caller) {
  skip_ancillary(r);
  if (r->p == r->end) return AE_OK;
  reader body;
  ae_status st = next_chunk(r, TAG_OPTM, &body, caller);
  if (st != AE_OK) return st;
  uint32_t kind = get_u32(&body);
  uint64_t steps = get_u64(&body);
  uint64_t count = get_u64(&body);
  if (kind > AE_OPTIMIZER_ADAM || steps > MAX_COUNTER ||
      count != (uint64_t)ae_optim_state_floats((ae_optimizer_kind)kind, m->graph.n_params)) {
    return bad(caller, "the OPTM chunk is inconsistent with the model");
  }
  if (!has(&body, count * 4)) return bad(caller, "the OPTM chunk is truncated");
  m->optim_state = ae_malloc((size_t)count, sizeof(float));
  if (!m->optim_state) return ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory", caller);
  m->optim_kind = (ae_optimizer_kind)kind;
  m->optim_steps = (int64_t)steps;
  get_floats(&body, m->optim_state, (int64_t)count);
  /* finite, and Adam's second moments (the second half) >= 0, as training
   * leaves them */
  for (uint64_t i = 0; i < count; i++) {
    float v = m->optim_state[i];
    if (!isfinite(v) || (kind == AE_OPTIMIZER_ADAM && i >= count / 2 && v < 0.0f)) {
      return bad(caller, "the OPTM chunk holds a NaN, an Inf or a negative second moment");
    }
  }
  return finish_chunk(&body, "OPTM", caller);
}

/* A spec can ask for billions of parameters; refuse before allocating them
 * when the rest of the data cannot hold them. */
static ae_status check_room_for_params(const char *spec_text, const reader *r,
                                       const char *caller) {
  ae_spec spec;
  ae_graph graph;
  ae_status st = ae_spec_parse(spec_text, caller, &spec);
  if (st == AE_OK) {
    st = ae_graph_build(&spec, caller, &graph);
    ae_spec_free(&spec);
  }
  if (st == AE_ERR_SPEC) {
    char detail[512];
    snprintf(detail, sizeof detail, "%s", ae_last_error());
    return ae_fail(AE_ERR_FORMAT, "%s: the stored spec is invalid (%s)", caller, detail);
  }
  if (st != AE_OK) return st;
  uint64_t needed = 4 * (uint64_t)graph.n_params;
  ae_graph_free(&graph);
  if (needed > (uint64_t)(r->end - r->p)) {
    return ae_fail(AE_ERR_FORMAT,
                   "%s: truncated: the spec needs %llu bytes of parameters, %llu bytes remain",
                   caller, (unsigned long long)needed, (unsigned long long)(r->end - r->p));
  }
  return AE_OK;
}

/* SPEC and SEED build the model; the other chunks fill it. */
static ae_status read_chunks(reader *r, ae_model **out, const char *caller) {
  reader body;
  ae_status st = next_chunk(r, TAG_SPEC, &body, caller);
  if (st != AE_OK) return st;
  size_t spec_len = (size_t)(body.end - body.p);
  if (spec_len > MAX_SPEC_BYTES) return bad(caller, "the SPEC chunk is too long");
  char *spec = ae_malloc(spec_len + 1, 1);
  if (!spec) return ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory", caller);
  memcpy(spec, body.p, spec_len);
  spec[spec_len] = '\0';
  if (memchr(spec, '\0', spec_len)) {
    ae_free(spec);
    return bad(caller, "the SPEC chunk holds a NUL byte");
  }
  reader seed_body;
  st = next_chunk(r, TAG_SEED, &seed_body, caller);
  uint64_t seed = st == AE_OK ? get_u64(&seed_body) : 0;
  if (st == AE_OK) st = finish_chunk(&seed_body, "SEED", caller);
  if (st == AE_OK) st = check_room_for_params(spec, r, caller);
  ae_model *m = NULL;
  if (st == AE_OK) st = ae_model_new(spec, seed, caller, &m);
  ae_free(spec);
  if (st != AE_OK) return st;

  if ((st = read_options(r, m, caller)) == AE_OK) {
    reader hist;
    if ((st = next_chunk(r, TAG_HIST, &hist, caller)) == AE_OK) {
      uint64_t epochs = get_u64(&hist), calls = get_u64(&hist);
      st = finish_chunk(&hist, "HIST", caller);
      if (st == AE_OK && (epochs > INT64_MAX || calls > MAX_COUNTER)) {
        st = bad(caller, "the HIST chunk is out of range");
      }
      m->epochs_trained = (int64_t)epochs;
      m->train_calls = (int64_t)calls;
    }
  }
  if (st == AE_OK) st = read_loss_history(r, m, caller);
  if (st == AE_OK) st = read_scaling(r, m, caller);
  if (st == AE_OK) st = read_params(r, m, caller);
  if (st == AE_OK) st = read_optimizer(r, m, caller);
  if (st == AE_OK) skip_ancillary(r);
  if (st == AE_OK && r->p != r->end) st = bad(caller, "unexpected data after the last chunk");
  if (st != AE_OK) {
    ae_model_free(m);
    return st;
  }
  *out = m;
  return AE_OK;
}

static ae_status parse(const unsigned char *data, size_t size, ae_model **out,
                       const char *caller) {
  if (size < sizeof MAGIC || memcmp(data, MAGIC, sizeof MAGIC) != 0) {
    return bad(caller, "not a libae model (wrong magic bytes)");
  }
  reader r = {data + sizeof MAGIC, data + size, 1};
  uint32_t version = get_u32(&r);
  uint32_t mark = get_u32(&r);
  uint64_t payload = get_u64(&r);
  if (!r.ok) return bad(caller, "truncated header");
  if (version > FORMAT_VERSION) {
    return ae_fail(AE_ERR_VERSION,
                   "%s: the file has format version %u; this libae %s reads up to %u",
                   caller, version, ae_version_string(), FORMAT_VERSION);
  }
  if (version == 0) return bad(caller, "format version 0 does not exist");
  if (mark != BYTE_ORDER_MARK) return bad(caller, "unknown byte order mark");
  if (payload > size - HEADER_BYTES || size - HEADER_BYTES - payload < CRC_BYTES) {
    return bad(caller, "truncated: the header promises more bytes than there are");
  }
  if (size - HEADER_BYTES - payload > CRC_BYTES) return bad(caller, "trailing bytes after the checksum");
  reader crc_reader = {data + HEADER_BYTES + payload, data + size, 1};
  uint32_t stored = get_u32(&crc_reader);
  if ((uint32_t)crc32_z(0, data, HEADER_BYTES + payload) != stored) {
    return ae_fail(AE_ERR_CHECKSUM, "%s: the checksum does not match: the data are damaged",
                   caller);
  }
  reader chunks = {data + HEADER_BYTES, data + HEADER_BYTES + payload, 1};
  return read_chunks(&chunks, out, caller);
}

ae_status ae_load_buffer(ae_model **out, const void *buffer, size_t size) {
  ae_clear_error();
  const char *caller = "ae_load_buffer";
  if (!out) return ae_fail(AE_ERR_NULL_ARGUMENT, "%s: out is NULL", caller);
  *out = NULL;
  if (!buffer) return ae_fail(AE_ERR_NULL_ARGUMENT, "%s: buffer is NULL", caller);
  return parse(buffer, size, out, caller);
}

ae_status ae_load(ae_model **out, const char *path) {
  ae_clear_error();
  if (!out) return ae_fail(AE_ERR_NULL_ARGUMENT, "%s: out is NULL", CALLER_LOAD);
  *out = NULL;
  if (!path) return ae_fail(AE_ERR_NULL_ARGUMENT, "%s: path is NULL", CALLER_LOAD);
  void *data;
  size_t size;
  ae_status st = ae_read_file(path, &data, &size, CALLER_LOAD);
  if (st != AE_OK) return st;
  st = parse(data, size, out, CALLER_LOAD);
  ae_free(data);
  return st;
}
