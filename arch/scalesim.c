/*
 * scalesim.c — reading SCALE-Sim v2 inputs as they are: the INI .cfg
 * ([architecture_presets] ArrayHeight, ArrayWidth, *SramSzkB, Dataflow;
 * other keys are read by SCALE-Sim for memory modelling and accepted) and
 * the topology .csv (Layer name, IFMAP Height, IFMAP Width, Filter Height,
 * Filter Width, Channels, Num Filter, Strides, — every row ending with a
 * comma).  Output size by SCALE-Sim's rule E = ceil((H - R + S) / S).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arch.h"

static char *trim(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  char *end = s + strlen(s);
  while (end > s && isspace((unsigned char)end[-1]))
    *--end = '\0';
  return s;
}

static int parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end || errno || v < lo || v > hi)
    return 0;
  *out = v;
  return 1;
}

static int parse_cfg(const char *path, scalesim_run *r, wr_err *e) {
  char *text;
  size_t len;
  if (wr_read_file(path, &text, &len, e))
    return e->status;
  char section[64] = "";
  int line_no = 0, rc = WR_OK, have_h = 0, have_w = 0, have_df = 0;
  r->ifmap_kb = r->filter_kb = r->ofmap_kb = 0;
  int seen[6] = {0}; /* line of each key read: duplicates are refused */
  static const char *const keys[6] = {"ArrayHeight",    "ArrayWidth",
                                      "Dataflow",       "IfmapSramSzkB",
                                      "FilterSramSzkB", "OfmapSramSzkB"};
  /* lines split by hand: strtok_r skips empty lines and miscounts */
  for (char *line = text, *next; line && rc == WR_OK; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    line_no++;
    char *s = trim(line);
    if (!*s || *s == '#' || *s == ';')
      continue;
    if (*s == '[') {
      char *close = strchr(s, ']');
      if (!close || close[1] || close - s - 1 >= (long)sizeof section) {
        rc = wr_err_at(e, path, line_no, 1, "malformed section header '%s'", s);
        break;
      }
      snprintf(section, sizeof section, "%.*s", (int)(close - s - 1), s + 1);
      continue;
    }
    char *sep = strpbrk(s, ":=");
    if (!sep) {
      rc = wr_err_at(e, path, line_no, 1,
                     "expected 'key: value' or 'key = value', got '%s'", s);
      break;
    }
    *sep = '\0';
    char *key = trim(s), *val = trim(sep + 1);
    if (strcasecmp(section, "architecture_presets") != 0)
      continue;
    int64_t v;
    int col = (int)(val - line) + 1;
    for (int k = 0; k < 6; k++) {
      if (strcasecmp(key, keys[k]) != 0)
        continue;
      if (seen[k])
        rc = wr_err_at(e, path, line_no, (int)(key - line) + 1,
                       "%s given twice (first on line %d)", key, seen[k]);
      seen[k] = line_no;
    }
    if (rc)
      break;
    if (!strcasecmp(key, "ArrayHeight") || !strcasecmp(key, "ArrayWidth")) {
      if (!parse_i64(val, 1, 1 << 16, &v)) {
        rc = wr_err_at(e, path, line_no, col,
                       "%s: expected a whole number 1..65536, got '%s'", key,
                       val);
        break;
      }
      if (!strcasecmp(key, "ArrayHeight"))
        r->rows = (int)v, have_h = 1;
      else
        r->cols = (int)v, have_w = 1;
    } else if (!strcasecmp(key, "Dataflow")) {
      if (!strcasecmp(val, "os"))
        r->dataflow = ARCH_DF_OS;
      else if (!strcasecmp(val, "ws"))
        r->dataflow = ARCH_DF_WS;
      else if (!strcasecmp(val, "is"))
        r->dataflow = ARCH_DF_IS;
      else {
        rc = wr_err_at(e, path, line_no, col,
                       "Dataflow: expected os, ws or is, got '%s'", val);
        break;
      }
      have_df = 1;
    } else if (!strcasecmp(key, "IfmapSramSzkB") ||
               !strcasecmp(key, "FilterSramSzkB") ||
               !strcasecmp(key, "OfmapSramSzkB")) {
      if (!parse_i64(val, 1, INT64_C(1) << 40, &v)) {
        rc = wr_err_at(e, path, line_no, col,
                       "%s: expected a whole number of kB, got '%s'", key, val);
        break;
      }
      double *dst = !strcasecmp(key, "IfmapSramSzkB")    ? &r->ifmap_kb
                    : !strcasecmp(key, "FilterSramSzkB") ? &r->filter_kb
                                                         : &r->ofmap_kb;
      *dst = (double)v;
    }
  }
  free(text);
  if (rc == WR_OK && (!have_h || !have_w || !have_df))
    rc = wr_err_at(e, path, 0, 0,
                   "[architecture_presets] needs ArrayHeight, ArrayWidth and "
                   "Dataflow");
  return rc;
}

/* Splits one CSV line into fields in place (RFC 4180): a field that starts
 * with a quote (after blanks) runs to the matching quote, "" inside it is
 * one quote, and only blanks may follow it before the comma.  Unquoted
 * fields are trimmed.  Returns the number of fields (at most `max`; more
 * are counted, not stored), or with *bad_col set (1-based) -1 when a quote
 * is unterminated, -2 when text follows a closing quote. */
static int split_csv(char *s, char **fields, int max, int *bad_col) {
  int n = 0;
  for (char *p = s;; p++) { /* p: at the start of a field */
    while (*p == ' ' || *p == '\t')
      p++;
    char *f = p, *end;
    if (*p == '"') {
      char *q = p + 1;
      end = p;
      for (;; q++) {
        if (!*q) {
          *bad_col = (int)(p - s) + 1;
          return -1;
        }
        if (*q == '"' && q[1] != '"')
          break;
        q += *q == '"'; /* "" is one quote */
        *end++ = *q;
      }
      p = q + 1;
      while (isspace((unsigned char)*p))
        p++;
      if (*p && *p != ',') {
        *bad_col = (int)(p - s) + 1;
        return -2;
      }
    } else {
      while (*p && *p != ',')
        p++;
      end = p;
      while (end > f && isspace((unsigned char)end[-1]))
        end--;
    }
    int more = *p == ',';
    *end = '\0'; /* end <= p: the comma is read first */
    if (n < max)
      fields[n] = f;
    n++;
    if (!more)
      return n;
  }
}

static int parse_row(const char *path, int line_no, char *s, scalesim_layer *l,
                     wr_err *e) {
  static const char *const names[] = {
      "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width",
      "Channels",     "Num Filter",  "Strides"};
  int64_t *dst[7] = {&l->ifmap_h,  &l->ifmap_w, &l->filt_h, &l->filt_w,
                     &l->channels, &l->filters, &l->stride};
  char *f[9];
  int bad = 0;
  memset(l, 0, sizeof *l);
  l->line = line_no;
  int n = split_csv(s, f, 9, &bad);
  if (n < 0)
    return wr_err_at(e, path, line_no, bad,
                     n == -1 ? "unterminated quoted field (a quoted field "
                               "ends on its line; \"\" is a quote inside one)"
                             : "text after a quoted field's closing quote "
                               "(\"\" is a quote inside one)");
  if (!(l->name = strdup(f[0])))
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  for (int i = 0; i < 7; i++) {
    if (i + 1 >= n || !*f[i + 1])
      return wr_err_at(e, path, line_no, 0,
                       "layer '%s': missing field '%s' (8 fields per row)",
                       l->name, names[i]);
    if (!parse_i64(f[i + 1], 1, 1 << 24, dst[i]))
      return wr_err_at(e, path, line_no, 0,
                       "layer '%s' field '%s': expected a whole number "
                       "1..16777216, got '%s'",
                       l->name, names[i], f[i + 1]);
  }
  if (n > 9 || (n == 9 && *f[8]))
    return wr_err_at(e, path, line_no, 0,
                     "layer '%s': unexpected extra field '%s'", l->name,
                     n == 9 ? f[8] : "...");
  if (l->filt_h > l->ifmap_h || l->filt_w > l->ifmap_w)
    return wr_err_at(e, path, line_no, 0,
                     "layer '%s': the %lldx%lld filter is larger than the "
                     "%lldx%lld input (SCALE-Sim has no padding: give the "
                     "padded input size)",
                     l->name, (long long)l->filt_h, (long long)l->filt_w,
                     (long long)l->ifmap_h, (long long)l->ifmap_w);
  int64_t vol; /* K of the GEMM: keeps scalesim_gemm from overflowing */
  if (__builtin_mul_overflow(l->filt_h * l->filt_w, l->channels, &vol) ||
      vol > INT64_C(1) << 48)
    return wr_err_at(e, path, line_no, 0,
                     "layer '%s': a %lldx%lldx%lld filter is too large "
                     "(more than 2^48 values)",
                     l->name, (long long)l->filt_h, (long long)l->filt_w,
                     (long long)l->channels);
  l->out_h = (l->ifmap_h - l->filt_h + l->stride + l->stride - 1) / l->stride;
  l->out_w = (l->ifmap_w - l->filt_w + l->stride + l->stride - 1) / l->stride;
  return WR_OK;
}

static int parse_topology(const char *path, scalesim_run *r, wr_err *e) {
  char *text;
  size_t len;
  if (wr_read_file(path, &text, &len, e))
    return e->status;
  int line_no = 0, rc = WR_OK, header = 0;
  for (char *line = text, *next; line && rc == WR_OK; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    line_no++;
    char *s = trim(line);
    if (!*s)
      continue;
    if (!header) { /* the first line names the columns */
      header = 1;
      continue;
    }
    scalesim_layer *nl =
        realloc(r->layers, (size_t)(r->n_layers + 1) * sizeof *nl);
    if (!nl) {
      rc = wr_err_set(e, WR_ENOMEM, "out of memory");
      break;
    }
    r->layers = nl;
    rc = parse_row(path, line_no, s, &r->layers[r->n_layers], e);
    if (rc == WR_OK)
      r->n_layers++;
    else
      free(r->layers[r->n_layers].name);
  }
  free(text);
  if (rc == WR_OK && r->n_layers == 0)
    rc = wr_err_at(e, path, 0, 0,
                   "no layers (a header line, then one row "
                   "per layer)");
  return rc;
}

int scalesim_load(const char *cfg_path, const char *topo_path,
                  scalesim_run *out, wr_err *e) {
  memset(out, 0, sizeof *out);
  if (!(out->topology = strdup(topo_path)))
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  int rc = parse_cfg(cfg_path, out, e);
  if (rc == WR_OK)
    rc = parse_topology(topo_path, out, e);
  if (rc)
    scalesim_free(out);
  return rc;
}

void scalesim_free(scalesim_run *r) {
  for (int i = 0; i < r->n_layers; i++)
    free(r->layers[i].name);
  free(r->layers);
  free(r->topology);
  memset(r, 0, sizeof *r);
}

arch_gemm scalesim_gemm(const scalesim_layer *l) {
  arch_gemm g;
  g.m = (uint64_t)(l->out_h * l->out_w);
  g.n = (uint64_t)l->filters;
  g.k = (uint64_t)(l->filt_h * l->filt_w * l->channels);
  g.groups = 1;
  return g;
}

int scalesim_layer_cycles(const scalesim_run *r, int i, arch_gemm *g,
                          arch_compute *out, wr_err *e) {
  const scalesim_layer *l = &r->layers[i];
  wr_err sub;
  *g = scalesim_gemm(l);
  if (arch_compute_cycles(r->rows, r->cols, r->dataflow, g, 1.0, out, &sub))
    return wr_err_at(e, r->topology, l->line, 0,
                     "layer '%s': %s on the %dx%d "
                     "%s array",
                     l->name, sub.msg, r->rows, r->cols,
                     arch_dataflow_name(r->dataflow));
  return WR_OK;
}
