/* table.c — a table of text cells, written as an aligned text table, CSV
 * (RFC 4180 quoting), a JSON array of objects, a Markdown table or an HTML
 * table: as one section of a report, or on its own (the CLI's result
 * tables); and the escapes those need. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "reports_internal.h"

rp_table *rp_table_new(const char *key, const char *title, int ncols,
                       const char *const *cols) {
  rp_table *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->ncols = ncols;
  t->key = key ? strdup(key) : NULL;
  t->title = title ? strdup(title) : NULL;
  t->head = calloc((size_t)ncols, sizeof *t->head);
  t->numeric = calloc((size_t)ncols, sizeof *t->numeric);
  int ok = (!key || t->key) && (!title || t->title) && t->head && t->numeric;
  for (int i = 0; ok && i < ncols; i++) {
    t->numeric[i] = cols[i][0] == '#';
    ok = (t->head[i] = strdup(cols[i] + t->numeric[i])) != NULL;
  }
  if (!ok) {
    rp_table_free(t);
    return NULL;
  }
  return t;
}

int rp_table_note(rp_table *t, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  free(t->note);
  t->note = strdup(buf);
  return t->note ? WR_OK : WR_ENOMEM;
}

int rp_table_row(rp_table *t, const char *const *cells, wr_err *e) {
  if (t->nrows == t->cap) {
    int cap = t->cap ? 2 * t->cap : 32;
    char **nc = realloc(t->cells, (size_t)cap * (size_t)t->ncols * sizeof *nc);
    if (!nc)
      return wr_err_set(e, WR_ENOMEM, "out of memory");
    t->cells = nc;
    t->cap = cap;
  }
  char **row = t->cells + (size_t)t->nrows * (size_t)t->ncols;
  for (int i = 0; i < t->ncols; i++) {
    if (!(row[i] = strdup(cells[i] ? cells[i] : ""))) {
      while (i-- > 0)
        free(row[i]);
      return wr_err_set(e, WR_ENOMEM, "out of memory");
    }
  }
  t->nrows++;
  return WR_OK;
}

void rp_table_free(rp_table *t) {
  if (!t)
    return;
  for (size_t i = 0; i < (size_t)t->nrows * (size_t)t->ncols; i++)
    free(t->cells[i]);
  for (int i = 0; t->head && i < t->ncols; i++)
    free(t->head[i]);
  free(t->cells);
  free(t->head);
  free(t->numeric);
  free(t->key);
  free(t->title);
  free(t->note);
  free(t);
}

void rp_num(char *buf, size_t n, double v) {
  if (isnan(v))
    buf[0] = '\0';
  else
    snprintf(buf, n, "%.6g", v);
}

void rp_xml_escape(FILE *out, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '&':
      fputs("&amp;", out);
      break;
    case '<':
      fputs("&lt;", out);
      break;
    case '>':
      fputs("&gt;", out);
      break;
    case '"':
      fputs("&quot;", out);
      break;
    case '\'':
      fputs("&#39;", out);
      break;
    default:
      /* control characters are not allowed in XML 1.0 */
      if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n')
        fputc(' ', out);
      else
        fputc(*s, out);
    }
  }
}

void rp_json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      fprintf(out, "\\%c", ch);
    else if (ch < 0x20)
      fprintf(out, "\\u%04x", ch);
    else
      fputc(ch, out);
  }
  fputc('"', out);
}

static const char *cell(const rp_table *t, int r, int c) {
  return t->cells[(size_t)r * (size_t)t->ncols + (size_t)c];
}

void rp_csv_field(FILE *out, const char *s) {
  if (!strpbrk(s, ",\"\n\r")) {
    fputs(s, out);
    return;
  }
  fputc('"', out);
  for (; *s; s++) {
    if (*s == '"')
      fputc('"', out);
    fputc(*s, out);
  }
  fputc('"', out);
}

static void md_cell(FILE *out, const char *s) {
  for (; *s; s++) {
    if (*s == '|' || *s == '\\' || *s == '*' || *s == '_' || *s == '`')
      fputc('\\', out);
    fputc(*s == '\n' ? ' ' : *s, out);
  }
}

/* The header and rows as aligned columns: numeric ones right-aligned, two
 * spaces apart, the last text column not padded. */
static void write_columns(const rp_table *t, FILE *out) {
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
      const char *sep = c ? "  " : "";
      if (t->numeric[c])
        fprintf(out, "%s%*s", sep, width, v);
      else if (c == t->ncols - 1)
        fprintf(out, "%s%s", sep, v);
      else
        fprintf(out, "%s%-*s", sep, width, v);
    }
    fputc('\n', out);
  }
  free(w);
}

static void write_text(const rp_table *t, FILE *out) {
  fprintf(out, "%s\n", t->title);
  if (t->note)
    fprintf(out, "%s\n", t->note);
  fputc('\n', out);
  write_columns(t, out);
}

static void write_md(const rp_table *t, FILE *out) {
  fprintf(out, "## ");
  md_cell(out, t->title);
  fputs("\n\n", out);
  if (t->note) {
    md_cell(out, t->note);
    fputs("\n\n", out);
  }
  for (int r = -2; r < t->nrows; r++) {
    fputc('|', out);
    for (int c = 0; c < t->ncols; c++) {
      if (r == -2) {
        fputc(' ', out);
        md_cell(out, t->head[c]);
        fputs(" |", out);
      } else if (r == -1) {
        fputs(t->numeric[c] ? "---:|" : "---|", out);
      } else {
        fputc(' ', out);
        md_cell(out, cell(t, r, c));
        fputs(" |", out);
      }
    }
    fputc('\n', out);
  }
  fputc('\n', out);
}

static void write_html(const rp_table *t, FILE *out) {
  fputs("<h2>", out);
  rp_xml_escape(out, t->title);
  fputs("</h2>\n", out);
  if (t->note) {
    fputs("<p>", out);
    rp_xml_escape(out, t->note);
    fputs("</p>\n", out);
  }
  fputs("<div class=\"scroll\"><table>\n<tr>", out);
  for (int c = 0; c < t->ncols; c++) {
    fputs(t->numeric[c] ? "<th class=\"n\">" : "<th>", out);
    rp_xml_escape(out, t->head[c]);
    fputs("</th>", out);
  }
  fputs("</tr>\n", out);
  for (int r = 0; r < t->nrows; r++) {
    fputs("<tr>", out);
    for (int c = 0; c < t->ncols; c++) {
      fputs(t->numeric[c] ? "<td class=\"n\">" : "<td>", out);
      rp_xml_escape(out, cell(t, r, c));
      fputs("</td>", out);
    }
    fputs("</tr>\n", out);
  }
  fputs("</table></div>\n", out);
}

/* Every row as a JSON object on a line of its own after `indent`, the
 * lines joined by commas; numeric columns unquoted (null when empty). */
static void json_rows(const rp_table *t, const char *indent, FILE *out) {
  for (int r = 0; r < t->nrows; r++) {
    fprintf(out, "%s%s{", r ? ",\n" : "\n", indent);
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
    fputc('}', out);
  }
}

/* A section: an array one level into the report's object. */
static void write_json(const rp_table *t, FILE *out) {
  fputc('[', out);
  json_rows(t, "  ", out);
  fputs(t->nrows ? "\n ]" : "]", out);
}

static void write_csv(const rp_table *t, FILE *out) {
  for (int r = -1; r < t->nrows; r++) {
    for (int c = 0; c < t->ncols; c++) {
      if (c)
        fputc(',', out);
      rp_csv_field(out, r < 0 ? t->head[c] : cell(t, r, c));
    }
    fputc('\n', out);
  }
}

void rp_table_write(const rp_table *t, rp_format f, FILE *out) {
  switch (f) {
  case RP_FMT_CSV:
    write_csv(t, out);
    break;
  case RP_FMT_JSON:
    write_json(t, out);
    break;
  case RP_FMT_MD:
    write_md(t, out);
    break;
  case RP_FMT_HTML:
    write_html(t, out);
    break;
  default:
    write_text(t, out);
  }
}

void rp_table_print(const rp_table *t, rp_format f, FILE *out) {
  if (f == RP_FMT_JSON) {
    fputc('[', out);
    json_rows(t, " ", out);
    fputs("\n]\n", out);
  } else if (f == RP_FMT_CSV) {
    write_csv(t, out);
  } else {
    write_columns(t, out);
  }
}
