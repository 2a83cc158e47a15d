/* spec.c — the sweep spec loader (docs/sweep.md): every field checked with
 * file:line:col, every workload, architecture and accuracy table opened,
 * every varied value tried on every base. */
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep.h"
#include "sweep_internal.h"

/* the built-in default sweep, embedded from sweep/examples/ */
extern const wr_embedded sweep_example_entries[];
extern const size_t sweep_example_n;

const char *sweep_default_text(size_t *len) {
  return wr_embedded_text(sweep_example_entries, sweep_example_n, "default",
                          len);
}

typedef struct sload {
  ydoc *d;
  wr_err *e;
  sweep_spec *s;
  char *dir; /* the spec's folder, for relative paths ("" for none) */
} sload;

static int oom(wr_err *e) { return wr_err_set(e, WR_ENOMEM, "out of memory"); }

/* An axis: a scalar (one value) or a non-empty list.  *items receives the
 * nodes (caller frees). */
static int axis_nodes(sload *L, yaml_node_t *n, const char *what,
                      yaml_node_t ***items, int *count) {
  int k = n->type == YAML_SEQUENCE_NODE ? yseq_len(n) : 1;
  if (n->type == YAML_MAPPING_NODE)
    return yerr(L->d, n, L->e, "%s: expected a value or a list, got %s", what,
                ytype(n));
  if (n->type == YAML_SEQUENCE_NODE && k == 0)
    return yerr(L->d, n, L->e, "%s: empty list (an axis needs a value)", what);
  if (n->type == YAML_SCALAR_NODE && !*yscalar(n))
    return yerr(L->d, n, L->e, "%s: empty value", what);
  yaml_node_t **v = malloc(sizeof *v * (size_t)k);
  if (!v)
    return oom(L->e);
  for (int i = 0; i < k; i++) {
    v[i] = n->type == YAML_SEQUENCE_NODE ? yseq_at(L->d, n, i) : n;
    if (!yscalar(v[i])) {
      yaml_node_t *bad = v[i];
      free(v);
      return yerr(L->d, bad, L->e, "%s: expected a value, got %s", what,
                  ytype(bad));
    }
    for (int j = 0; j < i; j++)
      if (strcmp(yscalar(v[j]), yscalar(v[i])) == 0) {
        yaml_node_t *bad = v[i];
        free(v);
        return yerr(L->d, bad, L->e, "%s: '%s' is listed twice", what,
                    yscalar(bad));
      }
  }
  *items = v;
  *count = k;
  return WR_OK;
}

/* A path relative to the spec's folder (absolute paths as they are). */
static char *rel_path(const sload *L, const char *p) {
  size_t n = strlen(L->dir) + strlen(p) + 2;
  char *s = malloc(n);
  if (s)
    snprintf(s, n, "%s%s%s", p[0] == '/' ? "" : L->dir,
             p[0] == '/' || !*L->dir ? "" : "/", p);
  return s;
}

/* Reads a file named in the spec, relative to the spec's folder. */
static int read_named(sload *L, yaml_node_t *n, const char *what,
                      const char *name, char **path, char **text, size_t *len) {
  if (!(*path = rel_path(L, name)))
    return oom(L->e);
  wr_err fe;
  if (wr_read_file(*path, text, len, &fe)) {
    free(*path);
    *path = NULL;
    if (fe.status != WR_EINPUT)
      return wr_err_set(L->e, fe.status, "%s", fe.msg);
    return yerr(L->d, n, L->e, "%s: '%s' is not a file it can read (%s)", what,
                name, fe.msg);
  }
  return WR_OK;
}

static int load_workloads(sload *L, yaml_node_t *n) {
  yaml_node_t **v;
  int k;
  if (axis_nodes(L, n, "workloads", &v, &k))
    return WR_EINPUT;
  sweep_spec *s = L->s;
  s->workloads = calloc((size_t)k, sizeof *s->workloads);
  if (!s->workloads) {
    free(v);
    return oom(L->e);
  }
  s->n_workloads = k;
  int rc = WR_OK;
  for (int i = 0; i < k && !rc; i++) {
    sweep_workload *w = &s->workloads[i];
    const char *name = yscalar(v[i]);
    if (!(w->name = strdup(name))) {
      rc = oom(L->e);
      break;
    }
    wr_named f;
    wr_err ze;
    if (wr_zoo_find(name, &f, &ze)) {
      rc = yerr(L->d, v[i], L->e, "workloads: %s", ze.msg);
      break;
    } else if (f.text) {
      w->file = strdup(f.file);
      w->text = malloc(f.len + 1);
      if (!w->file || !w->text) {
        rc = oom(L->e);
        break;
      }
      memcpy(w->text, f.text, f.len);
      w->text[f.len] = '\0';
      w->len = f.len;
    } else if ((rc = read_named(L, v[i], "workloads", name, &w->file, &w->text,
                                &w->len))) {
      break;
    }
    wr_net *net = wr_net_load_string(w->text, w->len, w->file, L->e);
    if (!net) {
      rc = L->e->status;
      break;
    }
    w->network = strdup(net->name);
    wr_net_free(net);
    if (!w->network) {
      rc = oom(L->e);
      break;
    }
    w->text_fnv = sweep_fnv1a64(w->text, w->len, SWEEP_FNV_INIT);
    for (int j = 0; j < i; j++)
      if (s->workloads[j].text_fnv == w->text_fnv &&
          strcmp(s->workloads[j].network, w->network) == 0) {
        rc = yerr(L->d, v[i], L->e,
                  "workloads: '%s' is the same network as '%s'", name,
                  s->workloads[j].name);
        break;
      }
  }
  free(v);
  return rc;
}

/* Parses one axis value into dst. */
typedef int (*axis_parse_fn)(sload *L, yaml_node_t *n, void *dst);

/* An axis of values of `size` bytes: each parsed by `parse`, no value
 * twice.  *out receives the array (caller frees), *count its length. */
static int load_axis(sload *L, yaml_node_t *n, const char *what, size_t size,
                     axis_parse_fn parse, void **out, int *count) {
  yaml_node_t **v;
  int k;
  if (axis_nodes(L, n, what, &v, &k))
    return WR_EINPUT;
  char *vals = malloc(size * (size_t)k);
  int rc = vals ? WR_OK : oom(L->e);
  for (int i = 0; i < k && !rc; i++) {
    rc = parse(L, v[i], vals + size * (size_t)i);
    for (int j = 0; j < i && !rc; j++)
      if (memcmp(vals + size * (size_t)j, vals + size * (size_t)i, size) == 0)
        rc = yerr(L->d, v[i], L->e, "%s: %s is listed twice (as %s)", what,
                  yscalar(v[i]), yscalar(v[j]));
  }
  free(v);
  if (rc) {
    free(vals);
    return rc;
  }
  *out = vals;
  *count = k;
  return WR_OK;
}

static int parse_width(sload *L, yaml_node_t *n, void *dst) {
  return yreal(L->d, n, 1e-6, 1e6, "width", dst, L->e);
}

static int parse_prec(sload *L, yaml_node_t *n, void *dst) {
  wr_err pe;
  if (wr_prec_parse(yscalar(n), "precision", dst, &pe))
    return yerr(L->d, n, L->e, "%s", pe.msg);
  return WR_OK;
}

static int parse_batch(sload *L, yaml_node_t *n, void *dst) {
  int64_t b;
  if (yint(L->d, n, 1, (int64_t)1 << 32, "batch", &b, L->e))
    return WR_EINPUT;
  *(uint64_t *)dst = (uint64_t)b;
  return WR_OK;
}

static int parse_objective(sload *L, yaml_node_t *n, void *dst) {
  wr_err oe;
  if (arch_objective_parse(yscalar(n), "objective", dst, &oe))
    return yerr(L->d, n, L->e, "%s", oe.msg);
  return WR_OK;
}

/* Every layer-name pattern of the fp32 list n must match a conv or fc
 * layer of at least one of the spec's workloads (loaded before fp32):
 * one that matches none does nothing, and is most likely a typo. */
static int fp32_patterns_match(sload *L, yaml_node_t *n) {
  const sweep_spec *s = L->s;
  wr_net **nets = calloc((size_t)s->n_workloads + 1, sizeof *nets);
  int rc = nets ? WR_OK : oom(L->e);
  for (int i = 0; i < s->n_workloads && !rc; i++)
    if (!(nets[i] =
              wr_net_load_string(s->workloads[i].text, s->workloads[i].len,
                                 s->workloads[i].file, L->e)))
      rc = L->e->status;
  for (int i = 0; i < yseq_len(n) && !rc; i++) {
    yaml_node_t *it = yseq_at(L->d, n, i);
    const char *p = yscalar(it);
    int hit = strcmp(p, "first") == 0 || strcmp(p, "last") == 0;
    for (int k = 0; k < s->n_workloads && !hit; k++)
      hit = wr_net_pattern_matches(nets[k], p);
    if (!hit)
      rc = yerr(L->d, it, L->e,
                "fp32: pattern '%s' matches no conv or fc layer of any "
                "workload",
                p);
  }
  for (int i = 0; nets && i < s->n_workloads; i++)
    wr_net_free(nets[i]);
  free(nets);
  return rc;
}

/* fp32: none, or a list of first, last and layer-name patterns. */
static int load_fp32(sload *L, yaml_node_t *n) {
  char buf[1024] = "";
  size_t u = 0;
  if (yscalar(n)) {
    if (strcmp(yscalar(n), "none") != 0)
      return yerr(L->d, n, L->e,
                  "fp32: expected none or a list of first, last and layer "
                  "name patterns, got '%s'",
                  yscalar(n));
    snprintf(buf, sizeof buf, "none");
  } else if (n->type == YAML_SEQUENCE_NODE) {
    for (int i = 0; i < yseq_len(n); i++) {
      yaml_node_t *it = yseq_at(L->d, n, i);
      const char *p;
      if (ystr(L->d, it, "fp32", &p, L->e))
        return WR_EINPUT;
      if (strchr(p, ',') || strcmp(p, "none") == 0)
        return yerr(L->d, it, L->e,
                    "fp32: '%s' is not first, last or a layer name pattern", p);
      int w = snprintf(buf + u, sizeof buf - u, "%s%s", i ? "," : "", p);
      if (w < 0 || (size_t)w >= sizeof buf - u)
        return yerr(L->d, it, L->e, "fp32: list too long");
      u += (size_t)w;
    }
    if (u == 0)
      snprintf(buf, sizeof buf, "none");
    wr_policy pol = {0};
    wr_err pe;
    int bad = wr_policy_set_fp32(&pol, buf, &pe);
    wr_policy_clear(&pol);
    if (bad)
      return yerr(L->d, n, L->e, "fp32: %s", pe.msg);
    if (fp32_patterns_match(L, n))
      return L->e->status;
  } else {
    return yerr(L->d, n, L->e, "fp32: expected none or a list, got %s",
                ytype(n));
  }
  free(L->s->fp32);
  return (L->s->fp32 = strdup(buf)) ? WR_OK : oom(L->e);
}

static int load_bases(sload *L, yaml_node_t *n) {
  yaml_node_t **v;
  int k;
  if (axis_nodes(L, n, "arch.base", &v, &k))
    return WR_EINPUT;
  sweep_spec *s = L->s;
  s->bases = calloc((size_t)k, sizeof *s->bases);
  s->base_archs = calloc((size_t)k, sizeof *s->base_archs);
  int rc = s->bases && s->base_archs ? WR_OK : oom(L->e);
  if (!rc)
    s->n_bases = k;
  for (int i = 0; i < k && !rc; i++) {
    const char *name = yscalar(v[i]);
    wr_named f;
    wr_err pe;
    if (!(s->bases[i] = strdup(name))) {
      rc = oom(L->e);
    } else if (arch_preset_find(name, &f, &pe)) {
      rc = yerr(L->d, v[i], L->e, "arch.base: %s", pe.msg);
    } else if (f.text) {
      if (!(s->base_archs[i] = arch_load_string(f.text, f.len, f.file, L->e)))
        rc = L->e->status ? L->e->status : WR_EINPUT;
    } else {
      char *path, *text;
      size_t len;
      if (!(rc = read_named(L, v[i], "arch.base", name, &path, &text, &len))) {
        if (!(s->base_archs[i] = arch_load_string(text, len, path, L->e)))
          rc = L->e->status ? L->e->status : WR_EINPUT;
        free(path);
        free(text);
      }
    }
  }
  for (int i = 0; i < k && !rc; i++)
    for (int j = 0; j < i && !rc; j++)
      if (strcmp(s->base_archs[i]->name, s->base_archs[j]->name) == 0)
        rc = yerr(L->d, v[i], L->e,
                  "arch.base: '%s' and '%s' are both named '%s' (names tell "
                  "bases apart in the database)",
                  s->bases[j], s->bases[i], s->base_archs[i]->name);
  free(v);
  return rc;
}

static int load_vary(sload *L, yaml_node_t *n) {
  if (ymap_check(L->d, n, NULL, "arch.vary", L->e))
    return WR_EINPUT;
  sweep_spec *s = L->s;
  for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
       p < n->data.mapping.pairs.top; p++) {
    yaml_node_t *kn = ydoc_node(L->d, p->key);
    yaml_node_t *vn = ydoc_node(L->d, p->value);
    const char *path = yscalar(kn);
    if (s->n_vary == SWEEP_MAX_VARY)
      return yerr(L->d, kn, L->e, "arch.vary: at most %d parameters",
                  SWEEP_MAX_VARY);
    char what[300];
    snprintf(what, sizeof what, "arch.vary: %s", path);
    yaml_node_t **v;
    int k;
    if (axis_nodes(L, vn, what, &v, &k))
      return WR_EINPUT;
    sweep_vary *sv = &s->vary[s->n_vary++];
    sv->path = strdup(path);
    sv->values = calloc((size_t)k, sizeof *sv->values);
    if (!sv->path || !sv->values) {
      free(v);
      return oom(L->e);
    }
    sv->n = k;
    for (int i = 0; i < k; i++) {
      if (!(sv->values[i] = strdup(yscalar(v[i])))) {
        free(v);
        return oom(L->e);
      }
      /* every value on every base (a shallow copy: only its numbers
         change) */
      for (int b = 0; b < s->n_bases; b++) {
        arch tmp = *s->base_archs[b];
        wr_err pe;
        if (arch_set_param(&tmp, path, sv->values[i], &pe)) {
          int rc = yerr(L->d, v[i], L->e, "arch.vary: %s (base %s)", pe.msg,
                        s->bases[b]);
          free(v);
          return rc;
        }
      }
    }
    free(v);
  }
  return WR_OK;
}

static int load_arch(sload *L, yaml_node_t *n) {
  static const char *const keys[] = {"base", "vary", NULL};
  if (ymap_check(L->d, n, keys, "arch", L->e))
    return WR_EINPUT;
  yaml_node_t *b = ymap_get(L->d, n, "base");
  if (!b)
    return yerr(L->d, n, L->e, "arch: missing field 'base'");
  if (load_bases(L, b))
    return L->e->status;
  yaml_node_t *v = ymap_get(L->d, n, "vary");
  return v ? load_vary(L, v) : WR_OK;
}

static int load_constraints(sload *L, yaml_node_t *n) {
  static const char *const keys[] = {"max_area_mm2", "max_buffer_kib",
                                     "max_latency_ms", NULL};
  if (ymap_check(L->d, n, keys, "constraints", L->e))
    return WR_EINPUT;
  double *dst[] = {&L->s->max_area_mm2, &L->s->max_buffer_kib,
                   &L->s->max_latency_ms};
  for (int i = 0; keys[i]; i++) {
    yaml_node_t *v = ymap_get(L->d, n, keys[i]);
    char what[64];
    snprintf(what, sizeof what, "constraints: %s", keys[i]);
    if (v && yreal(L->d, v, 1e-12, 1e15, what, dst[i], L->e))
      return WR_EINPUT;
  }
  return WR_OK;
}

static int load_sampling(sload *L, yaml_node_t *n) {
  static const char *const keys[] = {"method", "points", "seed", NULL};
  if (ymap_check(L->d, n, keys, "sampling", L->e))
    return WR_EINPUT;
  sweep_spec *s = L->s;
  yaml_node_t *m = ymap_get(L->d, n, "method");
  const char *method;
  if (!m)
    return yerr(L->d, n, L->e, "sampling: missing field 'method'");
  if (ystr(L->d, m, "sampling: method", &method, L->e))
    return WR_EINPUT;
  if (strcmp(method, "grid") == 0)
    s->sampling = SWEEP_GRID;
  else if (strcmp(method, "random") == 0)
    s->sampling = SWEEP_RANDOM;
  else if (strcmp(method, "lhs") == 0)
    s->sampling = SWEEP_LHS;
  else
    return yerr(L->d, m, L->e,
                "sampling: method: expected grid, random or lhs, got '%s'",
                method);
  yaml_node_t *p = ymap_get(L->d, n, "points");
  int64_t v;
  if (!p && s->sampling != SWEEP_GRID)
    return yerr(L->d, n, L->e, "sampling: %s needs 'points'", method);
  if (p) {
    if (yint(L->d, p, 1, (int64_t)1 << 32, "sampling: points", &v, L->e))
      return WR_EINPUT;
    s->sample_points = (uint64_t)v;
  }
  yaml_node_t *sd = ymap_get(L->d, n, "seed");
  s->seed = 1;
  if (sd) {
    if (yint(L->d, sd, 0, INT64_MAX, "sampling: seed", &v, L->e))
      return WR_EINPUT;
    s->seed = (uint64_t)v;
  }
  return WR_OK;
}

static int load_accuracy(sload *L, yaml_node_t *n) {
  sweep_spec *s = L->s;
  int k = n->type == YAML_SEQUENCE_NODE ? yseq_len(n) : 1;
  if (yscalar(n) && strcmp(yscalar(n), "none") == 0)
    return WR_OK;
  if (n->type == YAML_MAPPING_NODE)
    return yerr(L->d, n, L->e,
                "accuracy: expected a table name, a file or a list of them, "
                "got a mapping");
  if (k == 0)
    return WR_OK;
  if (!(s->acc = calloc((size_t)k, sizeof *s->acc)))
    return oom(L->e);
  for (int i = 0; i < k; i++) {
    yaml_node_t *it = n->type == YAML_SEQUENCE_NODE ? yseq_at(L->d, n, i) : n;
    const char *name;
    if (ystr(L->d, it, "accuracy", &name, L->e))
      return WR_EINPUT;
    int rc;
    s->n_acc = i + 1;
    if (wr_builtin_name(name)) {
      wr_err ae;
      rc = sweep_acc_open(name, &s->acc[i], &ae);
      if (rc)
        return yerr(L->d, it, L->e, "accuracy: %s", ae.msg);
    } else {
      char *path, *text;
      size_t len;
      if ((rc = read_named(L, it, "accuracy", name, &path, &text, &len)))
        return rc;
      rc = sweep_acc_load_string(text, len, path, &s->acc[i], L->e);
      free(path);
      free(text);
      if (rc)
        return rc;
    }
  }
  return WR_OK;
}

/* objectives: report hints, "min METRIC" or "max METRIC". */
static int load_report_objectives(sload *L, yaml_node_t *n) {
  static const char *const metrics[] = {
      "energy",   "latency",    "cycles",           "dram", "area",
      "accuracy", "tops_per_w", "inferences_per_s", NULL};
  yaml_node_t **v;
  int k;
  if (axis_nodes(L, n, "objectives", &v, &k))
    return WR_EINPUT;
  char buf[1024] = "";
  size_t u = 0;
  int rc = WR_OK;
  for (int i = 0; i < k && !rc; i++) {
    const char *t = yscalar(v[i]);
    char dir[8], m[64];
    int ok = sscanf(t, "%7s %63s", dir, m) == 2 &&
             (strcmp(dir, "min") == 0 || strcmp(dir, "max") == 0);
    int known = 0;
    for (int j = 0; ok && metrics[j]; j++)
      known |= strcmp(m, metrics[j]) == 0;
    if (!ok || !known) {
      rc = yerr(L->d, v[i], L->e,
                "objectives: '%s' is not 'min METRIC' or 'max METRIC' "
                "(metrics: energy, latency, cycles, dram, area, accuracy, "
                "tops_per_w, inferences_per_s)",
                t);
      break;
    }
    int w = snprintf(buf + u, sizeof buf - u, "%s%s %s", i ? ", " : "", dir, m);
    if (w > 0 && (size_t)w < sizeof buf - u)
      u += (size_t)w;
  }
  free(v);
  if (!rc && !(L->s->report_objectives = strdup(buf)))
    rc = oom(L->e);
  return rc;
}

/* measure: the models of the workloads, measured on real data. */
/* Never reads a member: wr_npz_read_some then checks the directory. */
static int want_none(const char *key, void *ctx) {
  (void)key;
  (void)ctx;
  return 0;
}

/* measure: weights FILE (node v) must fit every model it will measure:
 * each workload whose input and outputs fit the data (the others are not
 * measured), at each width, must find every array it reads in the file,
 * with its shape, finite.  Checked with the spec, so that a wrong file is
 * an error before any point is evaluated, not a sweep of unmeasured
 * models. */
static int check_weights_file(sload *L, yaml_node_t *v) {
  const sweep_spec *s = L->s;
  const char *path = s->measure.weights_file;
  static const double one = 1.0;
  const double *widths = s->n_widths ? s->widths : &one;
  int n_widths = s->n_widths ? s->n_widths : 1;
  wr_err pe;
  wr_npz z = {NULL, 0};
  if (wr_npz_read_some(path, want_none, NULL, &z, &pe))
    return yerr(L->d, v, L->e, "measure: weights: %s", pe.msg);
  wr_npz_free(&z);
  int rc = WR_OK;
  for (int i = 0; i < s->n_workloads && !rc; i++) {
    const sweep_workload *w = &s->workloads[i];
    char why[320];
    wr_net *net = wr_net_load_string(w->text, w->len, w->file, L->e);
    if (!net)
      return L->e->status;
    int fits = measure_fits(net, s->measure.data, why, sizeof why);
    if (fits && sim_weights_read(net, path, &z, &pe))
      rc = yerr(L->d, v, L->e, "measure: weights: %s", pe.msg);
    for (int k = 0; fits && k < n_widths && !rc; k++) {
      /* a width the network can't take is reported with its points */
      if (wr_net_widen(net, widths[k], &pe))
        continue;
      if (sim_weights_check(net, &z, path, &pe))
        rc = pe.status == WR_EINPUT
                 ? yerr(L->d, v, L->e, "measure: weights: %s (%s at width %g)",
                        pe.msg, w->network, widths[k])
                 : wr_err_set(L->e, pe.status, "%s", pe.msg);
    }
    wr_npz_free(&z);
    wr_net_free(net);
  }
  return rc;
}

static int load_measure(sload *L, yaml_node_t *n) {
  static const char *const keys[] = {"data",  "weights", "train", "train_limit",
                                     "limit", "seed",    NULL};
  static const char *const tkeys[] = {"epochs", "batch",   "lr",
                                      "seed",   "threads", NULL};
  if (ymap_check(L->d, n, keys, "measure", L->e))
    return WR_EINPUT;
  sweep_measure *m = &L->s->measure;
  m->on = 1;
  m->train = sim_train_opts_default();
  m->weights = SWEEP_W_TRAIN;
  yaml_node_t *v = ymap_get(L->d, n, "data");
  const char *t;
  if (!v)
    return yerr(L->d, n, L->e,
                "measure: missing field 'data' "
                "(fashion-mnist)");
  if (ystr(L->d, v, "measure: data", &t, L->e))
    return WR_EINPUT;
  if (strcmp(t, "fashion-mnist") != 0)
    return yerr(L->d, v, L->e,
                "measure: data: '%s' is not a dataset wrpnsim measures on "
                "(fashion-mnist)",
                t);
  if (!(m->data = strdup(t)))
    return oom(L->e);
  int64_t x;
  if ((v = ymap_get(L->d, n, "weights"))) {
    if (ystr(L->d, v, "measure: weights", &t, L->e))
      return WR_EINPUT;
    if (strcmp(t, "train") == 0) {
      m->weights = SWEEP_W_TRAIN;
    } else if (strcmp(t, "synthetic") == 0) {
      m->weights = SWEEP_W_SYNTHETIC;
    } else if (wr_builtin_name(t)) {
      return yerr(L->d, v, L->e,
                  "measure: weights: expected train, synthetic or an .npz "
                  "file, got '%s'",
                  t);
    } else {
      char *text;
      size_t len;
      if (read_named(L, v, "measure: weights", t, &m->weights_file, &text,
                     &len))
        return L->e->status;
      m->weights_fnv = sweep_fnv1a64(text, len, SWEEP_FNV_INIT);
      free(text);
      m->weights = SWEEP_W_FILE;
      if (check_weights_file(L, v))
        return L->e->status;
    }
  }
  if ((v = ymap_get(L->d, n, "train"))) {
    if (ymap_check(L->d, v, tkeys, "measure: train", L->e))
      return WR_EINPUT;
    yaml_node_t *f;
    if ((f = ymap_get(L->d, v, "epochs"))) {
      if (yint(L->d, f, 1, 100000, "measure: train: epochs", &x, L->e))
        return WR_EINPUT;
      m->train.epochs = (int)x;
    }
    if ((f = ymap_get(L->d, v, "batch"))) {
      if (yint(L->d, f, 1, 65536, "measure: train: batch", &x, L->e))
        return WR_EINPUT;
      m->train.batch = (int)x;
    }
    if ((f = ymap_get(L->d, v, "lr")) &&
        yreal(L->d, f, 1e-12, 100, "measure: train: lr", &m->train.lr, L->e))
      return WR_EINPUT;
    if ((f = ymap_get(L->d, v, "seed"))) {
      if (yint(L->d, f, 0, INT32_MAX, "measure: train: seed", &x, L->e))
        return WR_EINPUT;
      m->train.seed = (unsigned long)x;
    }
    if ((f = ymap_get(L->d, v, "threads"))) {
      if (yint(L->d, f, 1, 64, "measure: train: threads", &x, L->e))
        return WR_EINPUT;
      m->train.threads = (int)x;
      m->threads_set = 1;
    }
  }
  if ((v = ymap_get(L->d, n, "seed"))) {
    if (yint(L->d, v, 0, INT32_MAX, "measure: seed", &x, L->e))
      return WR_EINPUT;
    m->train.seed = (unsigned long)x;
  }
  if ((v = ymap_get(L->d, n, "train_limit"))) {
    if (yint(L->d, v, 2, (int64_t)1 << 40, "measure: train_limit", &x, L->e))
      return WR_EINPUT;
    m->train_limit = (uint64_t)x;
  }
  if ((v = ymap_get(L->d, n, "limit"))) {
    if (yint(L->d, v, 1, (int64_t)1 << 40, "measure: limit", &x, L->e))
      return WR_EINPUT;
    m->limit = (uint64_t)x;
  }
  return WR_OK;
}

static int load_root(sload *L) {
  static const char *const keys[] = {
      "name",         "description", "workloads",   "width",
      "precision",    "batch",       "objective",   "fp32",
      "ideal_memory", "arch",        "constraints", "sampling",
      "accuracy",     "objectives",  "measure",     NULL};
  ydoc *d = L->d;
  sweep_spec *s = L->s;
  yaml_node_t *root = ydoc_root(d);
  if (ymap_check(d, root, keys, "sweep", L->e))
    return WR_EINPUT;
  static const char *const required[] = {"name", "workloads", "precision",
                                         "arch", NULL};
  for (int i = 0; required[i]; i++)
    if (!ymap_get(d, root, required[i]))
      return yerr(d, root, L->e, "sweep: missing field '%s'", required[i]);
  const char *name;
  if (ystr(d, ymap_get(d, root, "name"), "name", &name, L->e))
    return WR_EINPUT;
  if (!(s->name = strdup(name)))
    return oom(L->e);
  yaml_node_t *n = ymap_get(d, root, "description");
  const char *desc;
  if (n && ystr(d, n, "description", &desc, L->e))
    return WR_EINPUT;
  if (load_workloads(L, ymap_get(d, root, "workloads")))
    return L->e->status;
  if ((n = ymap_get(d, root, "width")) &&
      load_axis(L, n, "width", sizeof *s->widths, parse_width,
                (void **)&s->widths, &s->n_widths))
    return L->e->status;
  if (load_axis(L, ymap_get(d, root, "precision"), "precision",
                sizeof *s->precs, parse_prec, (void **)&s->precs, &s->n_precs))
    return L->e->status;
  if ((n = ymap_get(d, root, "batch")) &&
      load_axis(L, n, "batch", sizeof *s->batches, parse_batch,
                (void **)&s->batches, &s->n_batches))
    return L->e->status;
  if ((n = ymap_get(d, root, "objective")) &&
      load_axis(L, n, "objective", sizeof *s->objectives, parse_objective,
                (void **)&s->objectives, &s->n_objectives))
    return L->e->status;
  if ((n = ymap_get(d, root, "fp32")) ? load_fp32(L, n) : 0)
    return L->e->status;
  if ((n = ymap_get(d, root, "ideal_memory")) &&
      ybool(d, n, "ideal_memory", &s->ideal_memory, L->e))
    return WR_EINPUT;
  if (load_arch(L, ymap_get(d, root, "arch")))
    return L->e->status;
  if ((n = ymap_get(d, root, "constraints")) ? load_constraints(L, n) : 0)
    return L->e->status;
  if ((n = ymap_get(d, root, "sampling")) ? load_sampling(L, n) : 0)
    return L->e->status;
  if ((n = ymap_get(d, root, "accuracy")) ? load_accuracy(L, n)
                                          : sweep_default_accuracy(s, L->e))
    return L->e->status;
  if ((n = ymap_get(d, root, "objectives")) ? load_report_objectives(L, n) : 0)
    return L->e->status;
  if ((n = ymap_get(d, root, "measure")) ? load_measure(L, n) : 0)
    return L->e->status;
  /* defaults of the axes not written */
  if (!s->n_widths) {
    if (!(s->widths = malloc(sizeof *s->widths)))
      return oom(L->e);
    s->widths[0] = 1;
    s->n_widths = 1;
  }
  if (!s->n_batches) {
    if (!(s->batches = malloc(sizeof *s->batches)))
      return oom(L->e);
    s->batches[0] = 1;
    s->n_batches = 1;
  }
  if (!s->n_objectives) {
    if (!(s->objectives = malloc(sizeof *s->objectives)))
      return oom(L->e);
    s->objectives[0] = ARCH_OBJ_ENERGY;
    s->n_objectives = 1;
  }
  if (!s->fp32 && !(s->fp32 = strdup("none")))
    return oom(L->e);
  /* the grid must be countable */
  int sizes[SWEEP_MAX_AXES];
  int na = sweep_axes(s, sizes);
  double g = 1;
  for (int i = 0; i < na; i++)
    g *= sizes[i];
  if (g > (double)((uint64_t)1 << 48))
    return yerr(d, root, L->e,
                "sweep: the grid has %.3g points (at most 2^48; sample it)", g);
  return WR_OK;
}

int sweep_spec_load_string(const char *text, size_t len, const char *file,
                           sweep_spec *out, wr_err *e) {
  wr_err local;
  if (!e)
    e = &local;
  wr_err_clear(e);
  memset(out, 0, sizeof *out);
  out->file = strdup(file);
  out->text = malloc(len + 1);
  char *fcopy = strdup(file);
  if (!out->file || !out->text || !fcopy) {
    free(fcopy);
    sweep_spec_free(out);
    return oom(e);
  }
  memcpy(out->text, text, len);
  out->text[len] = '\0';
  out->len = len;
  out->text_fnv = sweep_fnv1a64(text, len, SWEEP_FNV_INIT);
  /* relative paths are relative to the spec's folder */
  char *dir = strchr(file, '/') ? dirname(fcopy) : "";
  ydoc d;
  int rc = ydoc_load(&d, text, len, out->file, e);
  if (!rc) {
    sload L = {&d, e, out, dir};
    rc = load_root(&L);
    if (rc && !e->status)
      rc = wr_err_set(e, rc, "%s: invalid sweep", file);
    ydoc_free(&d);
  }
  free(fcopy);
  if (rc)
    sweep_spec_free(out);
  return rc;
}

int sweep_spec_load_file(const char *path, sweep_spec *out, wr_err *e) {
  char *text;
  size_t len;
  memset(out, 0, sizeof *out);
  if (wr_read_file(path, &text, &len, e))
    return e->status;
  int rc = sweep_spec_load_string(text, len, path, out, e);
  free(text);
  return rc;
}

void sweep_spec_free(sweep_spec *s) {
  if (!s)
    return;
  for (int i = 0; i < s->n_workloads; i++) {
    free(s->workloads[i].name);
    free(s->workloads[i].file);
    free(s->workloads[i].text);
    free(s->workloads[i].network);
  }
  free(s->workloads);
  free(s->widths);
  free(s->precs);
  free(s->batches);
  free(s->objectives);
  free(s->fp32);
  for (int i = 0; i < s->n_bases; i++) {
    free(s->bases[i]);
    arch_free(s->base_archs[i]);
  }
  free(s->bases);
  free(s->base_archs);
  for (int i = 0; i < s->n_vary; i++) {
    for (int j = 0; j < s->vary[i].n; j++)
      free(s->vary[i].values[j]);
    free(s->vary[i].values);
    free(s->vary[i].path);
  }
  for (int i = 0; i < s->n_acc; i++)
    sweep_acc_free(&s->acc[i]);
  free(s->acc);
  free(s->report_objectives);
  free(s->measure.data);
  free(s->measure.weights_file);
  free(s->name);
  free(s->file);
  free(s->text);
  memset(s, 0, sizeof *s);
}
