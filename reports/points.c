/* points.c — the in-memory set of design points: named columns that grow
 * as values are set, attributes, metrics, energy components and layers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports.h"
#include "reports_internal.h"

rp_set *rp_set_new(void) { return calloc(1, sizeof(rp_set)); }

static void names_free(rp_names *n) {
  for (int i = 0; i < n->n; i++)
    free(n->name[i]);
  free(n->name);
}

void rp_set_free(rp_set *s) {
  if (!s)
    return;
  for (int p = 0; p < s->n_points; p++) {
    rp_point *pt = &s->points[p];
    for (int i = 0; i < pt->n_attr; i++)
      free(pt->attr[i]);
    free(pt->attr);
    free(pt->metric);
    free(pt->energy_j);
    for (int l = 0; l < pt->n_layers; l++) {
      free(pt->layers[l].name);
      free(pt->layers[l].metric);
      free(pt->layers[l].energy_j);
    }
    free(pt->layers);
  }
  free(s->points);
  names_free(&s->attrs);
  names_free(&s->metrics);
  names_free(&s->comps);
  names_free(&s->lmetrics);
  free(s);
}

int rp_col(const rp_names *names, const char *name) {
  for (int i = 0; i < names->n; i++)
    if (strcmp(names->name[i], name) == 0)
      return i;
  return -1;
}

/* The column of name, created if new; -1 when out of memory. */
static int col_get(rp_names *names, const char *name, wr_err *e) {
  int c = rp_col(names, name);
  if (c >= 0)
    return c;
  if (names->n == names->cap) {
    int cap = names->cap ? 2 * names->cap : 16;
    char **nn = realloc(names->name, (size_t)cap * sizeof *nn);
    if (!nn)
      goto oom;
    names->name = nn;
    names->cap = cap;
  }
  if (!(names->name[names->n] = strdup(name)))
    goto oom;
  return names->n++;
oom:
  wr_err_set(e, WR_ENOMEM, "out of memory");
  return -1;
}

/* Sets the value of column `name` of cols (created when new) in the array
 * *v of *n values, grown to hold it with `fill` for the values between.
 * WR_ENOMEM on failure, the array left valid. */
static int set_value(rp_names *cols, double **v, int *n, const char *name,
                     double x, double fill, wr_err *e) {
  int c = col_get(cols, name, e);
  if (c < 0)
    return WR_ENOMEM;
  if (c >= *n) {
    double *nv = realloc(*v, (size_t)(c + 1) * sizeof *nv);
    if (!nv)
      return wr_err_set(e, WR_ENOMEM, "out of memory");
    for (int i = *n; i <= c; i++)
      nv[i] = fill;
    *v = nv;
    *n = c + 1;
  }
  (*v)[c] = x;
  return WR_OK;
}

/* The value in column col of the array v of n values; `fill` when the
 * column is -1 or beyond them. */
static double value_at(const double *v, int n, int col, double fill) {
  return col >= 0 && col < n ? v[col] : fill;
}

int rp_add_point(rp_set *s, wr_err *e) {
  if (s->n_points == s->cap_points) {
    int cap = s->cap_points ? 2 * s->cap_points : 64;
    rp_point *np = realloc(s->points, (size_t)cap * sizeof *np);
    if (!np) {
      wr_err_set(e, WR_ENOMEM, "out of memory");
      return -1;
    }
    s->points = np;
    s->cap_points = cap;
  }
  memset(&s->points[s->n_points], 0, sizeof(rp_point));
  return s->n_points++;
}

int rp_set_attr(rp_set *s, int p, const char *name, const char *value,
                wr_err *e) {
  int c = col_get(&s->attrs, name, e);
  if (c < 0)
    return WR_ENOMEM;
  rp_point *pt = &s->points[p];
  if (c >= pt->n_attr) {
    char **na = realloc(pt->attr, (size_t)(c + 1) * sizeof *na);
    if (!na)
      return wr_err_set(e, WR_ENOMEM, "out of memory");
    for (int i = pt->n_attr; i <= c; i++)
      na[i] = NULL;
    pt->attr = na;
    pt->n_attr = c + 1;
  }
  char *v = strdup(value);
  if (!v)
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  free(pt->attr[c]);
  pt->attr[c] = v;
  return WR_OK;
}

int rp_set_metric(rp_set *s, int p, const char *name, double v, wr_err *e) {
  rp_point *pt = &s->points[p];
  return set_value(&s->metrics, &pt->metric, &pt->n_metric, name, v, NAN, e);
}

int rp_set_energy(rp_set *s, int p, const char *component, double joules,
                  wr_err *e) {
  rp_point *pt = &s->points[p];
  return set_value(&s->comps, &pt->energy_j, &pt->n_energy, component, joules,
                   0.0, e);
}

int rp_add_layer(rp_set *s, int p, const char *name, wr_err *e) {
  rp_point *pt = &s->points[p];
  if (pt->n_layers == pt->cap_layers) {
    int cap = pt->cap_layers ? 2 * pt->cap_layers : 16;
    rp_layer *nl = realloc(pt->layers, (size_t)cap * sizeof *nl);
    if (!nl) {
      wr_err_set(e, WR_ENOMEM, "out of memory");
      return -1;
    }
    pt->layers = nl;
    pt->cap_layers = cap;
  }
  rp_layer *l = &pt->layers[pt->n_layers];
  memset(l, 0, sizeof *l);
  if (!(l->name = strdup(name))) {
    wr_err_set(e, WR_ENOMEM, "out of memory");
    return -1;
  }
  return pt->n_layers++;
}

int rp_set_layer_metric(rp_set *s, int p, int l, const char *name, double v,
                        wr_err *e) {
  rp_layer *ly = &s->points[p].layers[l];
  return set_value(&s->lmetrics, &ly->metric, &ly->n_metric, name, v, NAN, e);
}

int rp_set_layer_energy(rp_set *s, int p, int l, const char *component,
                        double joules, wr_err *e) {
  rp_layer *ly = &s->points[p].layers[l];
  return set_value(&s->comps, &ly->energy_j, &ly->n_energy, component, joules,
                   0.0, e);
}

const char *rp_attr(const rp_set *s, int p, int col) {
  const rp_point *pt = &s->points[p];
  return col >= 0 && col < pt->n_attr ? pt->attr[col] : NULL;
}

double rp_metric(const rp_set *s, int p, int col) {
  const rp_point *pt = &s->points[p];
  return value_at(pt->metric, pt->n_metric, col, NAN);
}

double rp_energy(const rp_set *s, int p, int comp) {
  const rp_point *pt = &s->points[p];
  return value_at(pt->energy_j, pt->n_energy, comp, 0.0);
}

double rp_layer_metric(const rp_set *s, int p, int l, int col) {
  const rp_layer *ly = &s->points[p].layers[l];
  return value_at(ly->metric, ly->n_metric, col, NAN);
}

double rp_layer_energy(const rp_set *s, int p, int l, int comp) {
  const rp_layer *ly = &s->points[p].layers[l];
  return value_at(ly->energy_j, ly->n_energy, comp, 0.0);
}

/* Attributes a label shows in its own way, or not at all. */
static int label_attr(const char *name) {
  static const char *const own[] = {RP_ID,         RP_ARCH,      RP_PARAMS,
                                    RP_WORKLOAD,   RP_WIDTH,     RP_PRECISION,
                                    RP_ACC_SOURCE, RP_INFEASIBLE};
  for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
    if (strcmp(name, own[i]) == 0)
      return 1;
  return 0;
}

char *rp_label(const rp_set *s, int p, int no_workload, char *buf, size_t n) {
  const char *id = rp_attr(s, p, rp_col(&s->attrs, RP_ID));
  if (id && *id) {
    snprintf(buf, n, "%s", id);
    return buf;
  }
  static const char *const parts[] = {RP_ARCH, RP_PARAMS, RP_WORKLOAD, RP_WIDTH,
                                      RP_PRECISION};
  size_t u = 0;
  buf[0] = '\0';
  for (int i = 0; i < 5 && u < n; i++) {
    const char *v = rp_attr(s, p, rp_col(&s->attrs, parts[i]));
    if (!v || !*v || (i == 2 && no_workload))
      continue;
    int k =
        snprintf(buf + u, n - u, "%s%s%s", u ? " " : "", i == 3 ? "x" : "", v);
    if (k > 0)
      u += (size_t)k;
  }
  /* any other attribute names a varied value: batch, objective, ... */
  for (int c = 0; c < s->attrs.n && u < n; c++) {
    const char *v = rp_attr(s, p, c);
    if (!v || !*v || label_attr(s->attrs.name[c]))
      continue;
    int k =
        snprintf(buf + u, n - u, "%s%s=%s", u ? " " : "", s->attrs.name[c], v);
    if (k > 0)
      u += (size_t)k;
  }
  if (!buf[0])
    snprintf(buf, n, "#%d", p);
  return buf;
}

char *rp_point_label(const rp_set *s, int p, char *buf, size_t n) {
  return rp_label(s, p, 0, buf, n);
}

/* ---- metric names and objectives ----------------------------------------- */

const char *rp_metric_alias(const char *name) {
  static const char *const alias[][2] = {{"energy", RP_ENERGY},
                                         {"latency", RP_LATENCY},
                                         {"dram", RP_DRAM},
                                         {"area", RP_AREA}};
  for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
    if (strcmp(name, alias[i][0]) == 0)
      return alias[i][1];
  return name;
}

int rp_metric_col(const rp_set *s, const char *name) {
  return rp_col(&s->metrics, rp_metric_alias(name));
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

int rp_metric_maximized(const char *name) {
  return strcmp(name, RP_ACCURACY) == 0 || ends_with(name, "per_s") ||
         ends_with(name, "tops") || ends_with(name, "tops_per_w") ||
         ends_with(name, "utilization");
}

/* Copies [a, b) without surrounding blanks into buf (size n). */
void rp_trim_copy(const char *a, const char *b, char *buf, size_t n) {
  while (a < b && (*a == ' ' || *a == '\t'))
    a++;
  while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
    b--;
  size_t len = (size_t)(b - a) < n - 1 ? (size_t)(b - a) : n - 1;
  memcpy(buf, a, len);
  buf[len] = '\0';
}

/* The metric names of s, comma-separated, for messages. */
static void metric_list(const rp_set *s, char *buf, size_t n) {
  size_t u = 0;
  buf[0] = '\0';
  for (int i = 0; i < s->metrics.n && u < n; i++) {
    int k = snprintf(buf + u, n - u, "%s%s", i ? ", " : "", s->metrics.name[i]);
    if (k > 0)
      u += (size_t)k;
  }
  if (!s->metrics.n)
    snprintf(buf, n, "none: the set is empty");
}

int rp_objectives_parse(const rp_set *s, const char *list, const char *what,
                        rp_objective *out, int max, int *n, wr_err *e) {
  *n = 0;
  const char *p = list;
  for (;;) {
    const char *end = strchr(p, ',');
    if (!end)
      end = p + strlen(p);
    char item[128], avail[512];
    rp_trim_copy(p, end, item, sizeof item);
    if (!item[0])
      return wr_err_set(e, WR_EINPUT, "%s: an empty objective in '%s'", what,
                        list);
    int sense = -1;
    const char *name = item;
    if (strncmp(item, "min", 3) == 0 && (item[3] == ':' || item[3] == ' '))
      sense = 0, name = item + 4;
    else if (strncmp(item, "max", 3) == 0 && (item[3] == ':' || item[3] == ' '))
      sense = 1, name = item + 4;
    while (*name == ' ')
      name++;
    int c = rp_metric_col(s, name);
    if (c < 0) {
      metric_list(s, avail, sizeof avail);
      return wr_err_set(e, WR_EINPUT,
                        "%s: unknown metric '%s' (the points have: %s)", what,
                        name, avail);
    }
    for (int i = 0; i < *n; i++)
      if (out[i].metric == c)
        return wr_err_set(e, WR_EINPUT, "%s: '%s' is given twice", what, name);
    if (*n == max)
      return wr_err_set(e, WR_EINPUT, "%s: more than %d objectives", what, max);
    out[*n].metric = c;
    out[*n].maximize =
        sense >= 0 ? sense : rp_metric_maximized(s->metrics.name[c]);
    (*n)++;
    if (!*end)
      return WR_OK;
    p = end + 1;
  }
}

char *rp_objective_str(const rp_set *s, const rp_objective *o, char *buf,
                       size_t n) {
  snprintf(buf, n, "%s %s", o->maximize ? "max" : "min",
           s->metrics.name[o->metric]);
  return buf;
}
