/* table.c — result tables printed as aligned text, CSV (RFC 4180 quoting)
 * or JSON (an array of objects, numeric columns unquoted). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "reports.h"

int cli_format_parse(const char *s, cli_format *out) {
  if (!s || strcmp(s, "table") == 0)
    *out = FMT_TABLE;
  else if (strcmp(s, "csv") == 0)
    *out = FMT_CSV;
  else if (strcmp(s, "json") == 0)
    *out = FMT_JSON;
  else {
    fprintf(stderr, "wrpnsim: --format: '%s' is not one of table, csv, json\n",
            s);
    return EXIT_INPUT;
  }
  return 0;
}

int cli_table_init(cli_table *t, int ncols, const char *const *cols) {
  memset(t, 0, sizeof *t);
  t->ncols = ncols;
  t->head = calloc((size_t)ncols, sizeof *t->head);
  t->numeric = calloc((size_t)ncols, sizeof *t->numeric);
  if (!t->head || !t->numeric)
    return EXIT_RUNTIME;
  for (int i = 0; i < ncols; i++) {
    t->numeric[i] = cols[i][0] == '#';
    if (!(t->head[i] = strdup(cols[i] + t->numeric[i])))
      return EXIT_RUNTIME;
  }
  return 0;
}

int cli_table_row(cli_table *t, const char *fmt, ...) {
  char line[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (t->nrows == t->cap) {
    int cap = t->cap ? t->cap * 2 : 32;
    char **nc = realloc(t->cells, (size_t)cap * (size_t)t->ncols * sizeof *nc);
    if (!nc)
      return EXIT_RUNTIME;
    t->cells = nc;
    t->cap = cap;
  }
  char *s = line;
  for (int i = 0; i < t->ncols; i++) {
    char *tab = strchr(s, '\t');
    size_t len = tab ? (size_t)(tab - s) : strlen(s);
    char *cell = strndup(s, len);
    if (!cell)
      return EXIT_RUNTIME;
    t->cells[(size_t)t->nrows * (size_t)t->ncols + (size_t)i] = cell;
    s = tab ? tab + 1 : s + len;
  }
  t->nrows++;
  return 0;
}

static const char *cell(const cli_table *t, int r, int c) {
  return t->cells[(size_t)r * (size_t)t->ncols + (size_t)c];
}

void cli_table_print(const cli_table *t, cli_format f, FILE *out) {
  if (f == FMT_CSV) {
    for (int c = 0; c < t->ncols; c++) {
      if (c)
        fputc(',', out);
      rp_csv_field(out, t->head[c]);
    }
    fputc('\n', out);
    for (int r = 0; r < t->nrows; r++) {
      for (int c = 0; c < t->ncols; c++) {
        if (c)
          fputc(',', out);
        rp_csv_field(out, cell(t, r, c));
      }
      fputc('\n', out);
    }
    return;
  }
  if (f == FMT_JSON) {
    fputs("[", out);
    for (int r = 0; r < t->nrows; r++) {
      fputs(r ? ",\n {" : "\n {", out);
      for (int c = 0; c < t->ncols; c++) {
        if (c)
          fputs(", ", out);
        rp_json_string(out, t->head[c]);
        fputs(": ", out);
        const char *v = cell(t, r, c);
        if (t->numeric[c] && *v)
          fputs(v, out);
        else if (t->numeric[c])
          fputs("null", out);
        else
          rp_json_string(out, v);
      }
      fputs("}", out);
    }
    fputs("\n]\n", out);
    return;
  }
  size_t *w = calloc((size_t)t->ncols, sizeof *w);
  if (!w)
    return;
  for (int c = 0; c < t->ncols; c++) {
    w[c] = strlen(t->head[c]);
    for (int r = 0; r < t->nrows; r++)
      if (strlen(cell(t, r, c)) > w[c])
        w[c] = strlen(cell(t, r, c));
  }
  for (int r = -1; r < t->nrows; r++) {
    for (int c = 0; c < t->ncols; c++) {
      const char *v = r < 0 ? t->head[c] : cell(t, r, c);
      int width = (int)w[c];
      if (t->numeric[c])
        fprintf(out, "%s%*s", c ? "  " : "", width, v);
      else if (c == t->ncols - 1)
        fprintf(out, "%s%s", c ? "  " : "", v);
      else
        fprintf(out, "%s%-*s", c ? "  " : "", width, v);
    }
    fputc('\n', out);
  }
  free(w);
}

void cli_table_free(cli_table *t) {
  for (size_t i = 0; i < (size_t)t->nrows * (size_t)t->ncols; i++)
    free(t->cells[i]);
  free(t->cells);
  for (int i = 0; t->head && i < t->ncols; i++)
    free((char *)t->head[i]);
  free(t->head);
  free(t->numeric);
  memset(t, 0, sizeof *t);
}
