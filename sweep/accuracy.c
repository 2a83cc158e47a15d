/* accuracy.c — accuracy tables with their sources (workloads/accuracy/,
 * docs/sweep.md): loading, and the lookup by network, width and
 * precision. */
#include <stdlib.h>
#include <string.h>

#include "sweep.h"
#include "sweep_internal.h"

extern const wr_embedded sweep_acc_entries[];
extern const size_t sweep_acc_n;

size_t sweep_acc_count(void) { return sweep_acc_n; }
const char *sweep_acc_name(size_t i) {
  return i < sweep_acc_n ? sweep_acc_entries[i].name : NULL;
}

static int acc_row(ydoc *d, yaml_node_t *n, sweep_acc_row *r, wr_err *e) {
  static const char *const keys[] = {"network", "width", "precision",
                                     "accuracy", NULL};
  if (ymap_check(d, n, keys, "results", e))
    return WR_EINPUT;
  for (int i = 0; keys[i]; i++)
    if (!ymap_get(d, n, keys[i]))
      return yerr(d, n, e, "results: missing field '%s'", keys[i]);
  const char *net, *prec;
  wr_err pe;
  if (ystr(d, ymap_get(d, n, "network"), "network", &net, e) ||
      yreal(d, ymap_get(d, n, "width"), 1e-6, 1e6, "width", &r->width, e) ||
      ystr(d, ymap_get(d, n, "precision"), "precision", &prec, e) ||
      yreal(d, ymap_get(d, n, "accuracy"), 0, 100, "accuracy", &r->accuracy, e))
    return WR_EINPUT;
  if (wr_prec_parse(prec, "precision", &r->prec, &pe))
    return yerr(d, ymap_get(d, n, "precision"), e, "%s", pe.msg);
  if (!(r->network = strdup(net)))
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  return WR_OK;
}

static int acc_str(ydoc *d, yaml_node_t *root, const char *key, char **out,
                   wr_err *e) {
  yaml_node_t *n = ymap_get(d, root, key);
  const char *s;
  if (!n)
    return yerr(d, root, e, "accuracy table: missing field '%s'", key);
  if (ystr(d, n, key, &s, e))
    return WR_EINPUT;
  return (*out = strdup(s)) ? WR_OK : wr_err_set(e, WR_ENOMEM, "out of memory");
}

static int acc_load(ydoc *d, sweep_acc_table *t, wr_err *e) {
  static const char *const keys[] = {"name", "source",  "dataset", "metric",
                                     "fp32", "results", NULL};
  yaml_node_t *root = ydoc_root(d);
  if (ymap_check(d, root, keys, "accuracy table", e) ||
      acc_str(d, root, "name", &t->name, e) ||
      acc_str(d, root, "source", &t->source, e) ||
      acc_str(d, root, "dataset", &t->dataset, e) ||
      acc_str(d, root, "metric", &t->metric, e))
    return e->status ? e->status : WR_EINPUT;
  yaml_node_t *f = ymap_get(d, root, "fp32");
  for (int i = 0; f && i < yseq_len(f); i++) {
    const char *s = yscalar(yseq_at(d, f, i));
    if (s && strcmp(s, "first") == 0)
      t->fp32_first = 1;
    else if (s && strcmp(s, "last") == 0)
      t->fp32_last = 1;
    else
      return yerr(d, yseq_at(d, f, i), e, "fp32: expected first or last");
  }
  if (f && !(yscalar(f) && strcmp(yscalar(f), "none") == 0) &&
      f->type != YAML_SEQUENCE_NODE)
    return yerr(d, f, e, "fp32: expected none or a list of first, last");
  yaml_node_t *r = ymap_get(d, root, "results");
  int n = yseq_len(r);
  if (!r || n == 0)
    return yerr(d, r ? r : root, e, "results: expected a non-empty list");
  if (!(t->rows = calloc((size_t)n, sizeof *t->rows)))
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  for (int i = 0; i < n; i++) {
    t->n_rows = i + 1;
    yaml_node_t *it = yseq_at(d, r, i);
    if (acc_row(d, it, &t->rows[i], e))
      return e->status;
    if (sweep_acc_find(t, t->rows[i].network, t->rows[i].width,
                       t->rows[i].prec) != &t->rows[i])
      return yerr(d, it, e,
                  "results: a second row for the same network, "
                  "width and precision");
  }
  return WR_OK;
}

int sweep_acc_load_string(const char *text, size_t len, const char *file,
                          sweep_acc_table *out, wr_err *e) {
  memset(out, 0, sizeof *out);
  ydoc d;
  int rc = ydoc_load(&d, text, len, file, e);
  if (rc)
    return rc;
  rc = acc_load(&d, out, e);
  ydoc_free(&d);
  if (rc)
    sweep_acc_free(out);
  return rc;
}

int sweep_acc_open(const char *name_or_path, sweep_acc_table *out, wr_err *e) {
  char what[160];
  snprintf(what, sizeof what, "a shipped accuracy table (%s)",
           sweep_acc_n ? sweep_acc_entries[0].name : "none ship");
  const wr_builtins tables = {sweep_acc_entries, sweep_acc_n,
                              "workloads/accuracy", what, "a file path"};
  wr_named f;
  memset(out, 0, sizeof *out);
  if (wr_named_find(&tables, name_or_path, &f, e))
    return e->status;
  if (f.text)
    return sweep_acc_load_string(f.text, f.len, f.file, out, e);
  char *t;
  size_t len;
  if (wr_read_file(name_or_path, &t, &len, e))
    return e->status;
  int rc = sweep_acc_load_string(t, len, name_or_path, out, e);
  free(t);
  return rc;
}

void sweep_acc_free(sweep_acc_table *t) {
  if (!t)
    return;
  for (int i = 0; i < t->n_rows; i++)
    free(t->rows[i].network);
  free(t->rows);
  free(t->name);
  free(t->source);
  free(t->dataset);
  free(t->metric);
  memset(t, 0, sizeof *t);
}

const sweep_acc_row *sweep_acc_find(const sweep_acc_table *t,
                                    const char *network, double width,
                                    wr_prec p) {
  for (int i = 0; i < t->n_rows; i++) {
    const sweep_acc_row *r = &t->rows[i];
    if (r->width == width && r->prec.a_bits == p.a_bits &&
        r->prec.w_bits == p.w_bits && strcmp(r->network, network) == 0)
      return r;
  }
  return NULL;
}

int sweep_default_accuracy(sweep_spec *s, wr_err *e) {
  if (!(s->acc = calloc(sweep_acc_n ? sweep_acc_n : 1, sizeof *s->acc)))
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  for (size_t i = 0; i < sweep_acc_n; i++) {
    s->n_acc = (int)i + 1;
    if (sweep_acc_open(sweep_acc_entries[i].name, &s->acc[i], e))
      return e->status;
  }
  return WR_OK;
}
