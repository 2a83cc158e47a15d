/* table.c — the --format option and result tables: rows printf'd into
 * cells of the reports module's table, which prints them as aligned text,
 * CSV or JSON. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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
  t->t = rp_table_new(NULL, NULL, ncols, cols);
  return t->t ? 0 : EXIT_RUNTIME;
}

int cli_table_row(cli_table *t, const char *fmt, ...) {
  char line[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  const char **cells =
      malloc((size_t)(t->t->ncols ? t->t->ncols : 1) * sizeof *cells);
  if (!cells)
    return EXIT_RUNTIME;
  char *s = line;
  for (int i = 0; i < t->t->ncols; i++) {
    char *tab = strchr(s, '\t');
    cells[i] = s;
    if (tab) {
      *tab = '\0';
      s = tab + 1;
    } else {
      s += strlen(s);
    }
  }
  wr_err e;
  int rc = rp_table_row(t->t, cells, &e) ? EXIT_RUNTIME : 0;
  free(cells);
  return rc;
}

void cli_table_print(const cli_table *t, cli_format f, FILE *out) {
  rp_table_print(t->t, (rp_format)f, out);
}

void cli_table_free(cli_table *t) {
  rp_table_free(t->t);
  t->t = NULL;
}
