/* pareto.c — Pareto fronts over any number of objectives, with ties.
 *
 * All objectives are first turned into "smaller is better" (maximized
 * ones negated).  q dominates p when q <= p in every objective and q < p
 * in one; the front is every point nothing dominates, so equal points
 * share their fate.  If q dominates p, q also precedes p in lexicographic
 * order, and some point of the front dominates p (dominance is a strict
 * partial order on finitely many points), which is what both sweeps
 * below rely on. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports.h"
#include "reports_internal.h"

/* A point's row of normalized values; sorted lexicographically, then by
 * index so that the order is total and the same on every libc. */
typedef struct row {
  const double *v;
  int k;
  size_t i;
} row;

static int row_cmp(const void *pa, const void *pb) {
  const row *a = pa, *b = pb;
  for (int j = 0; j < a->k; j++) {
    if (a->v[j] < b->v[j])
      return -1;
    if (a->v[j] > b->v[j])
      return 1;
  }
  return (a->i > b->i) - (a->i < b->i);
}

static int dominates(const double *q, const double *p, int k) {
  int strict = 0;
  for (int j = 0; j < k; j++) {
    if (q[j] > p[j])
      return 0;
    strict |= q[j] < p[j];
  }
  return strict;
}

/* Two objectives: sorted by (a, b), a point is dominated exactly when a
 * point of its own a-group has a smaller b, or an earlier group (smaller
 * a) reaches a b no larger than its group's smallest. */
static void sweep2(const row *r, size_t n, unsigned char *on_front) {
  double best = INFINITY;
  int have = 0;
  for (size_t g = 0; g < n;) {
    size_t end = g + 1;
    while (end < n && r[end].v[0] == r[g].v[0])
      end++;
    double bmin = r[g].v[1];
    int dominated_group = have && best <= bmin;
    for (size_t i = g; i < end && r[i].v[1] == bmin; i++)
      on_front[r[i].i] = !dominated_group;
    if (!have || bmin < best)
      best = bmin;
    have = 1;
    g = end;
  }
}

/* Any k: in lexicographic order, a point is on the front unless a point
 * already on it dominates it; later points never dominate earlier ones. */
static int sweepk(const row *r, size_t n, int k, unsigned char *on_front,
                  wr_err *e) {
  size_t *win = malloc((n ? n : 1) * sizeof *win), nw = 0;
  if (!win)
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    int dom = 0;
    for (size_t w = 0; w < nw && !dom; w++)
      dom = dominates(r[win[w]].v, r[i].v, k);
    if (!dom) {
      win[nw++] = i;
      on_front[r[i].i] = 1;
    }
  }
  free(win);
  return WR_OK;
}

long rp_pareto_values(const double *vals, size_t n, int k, const int *maximize,
                      unsigned char *on_front, size_t *n_missing, wr_err *e) {
  if (k < 1)
    return wr_err_set(e, WR_EINPUT, "a Pareto front needs an objective"), -1;
  size_t missing = 0;
  double *norm = malloc((n ? n : 1) * (size_t)k * sizeof *norm);
  row *r = malloc((n ? n : 1) * sizeof *r);
  if (!norm || !r) {
    free(norm);
    free(r);
    wr_err_set(e, WR_ENOMEM, "out of memory");
    return -1;
  }
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    on_front[i] = 0;
    int bad = 0;
    for (int j = 0; j < k; j++) {
      double v = vals[i * (size_t)k + (size_t)j];
      bad |= isnan(v);
      norm[m * (size_t)k + (size_t)j] = maximize && maximize[j] ? -v : v;
    }
    if (bad) {
      missing++;
      continue;
    }
    r[m] = (row){norm + m * (size_t)k, k, i};
    m++;
  }
  qsort(r, m, sizeof *r, row_cmp);
  int rc = WR_OK;
  if (k == 1) {
    for (size_t i = 0; i < m && r[i].v[0] == r[0].v[0]; i++)
      on_front[r[i].i] = 1;
  } else if (k == 2) {
    sweep2(r, m, on_front);
  } else {
    rc = sweepk(r, m, k, on_front, e);
  }
  free(norm);
  free(r);
  if (rc)
    return -1;
  if (n_missing)
    *n_missing = missing;
  long f = 0;
  for (size_t i = 0; i < n; i++)
    f += on_front[i];
  return f;
}

int rp_sort_by(const rp_set *s, int *idx, int n, const rp_objective *obj, int k,
               wr_err *e) {
  double *v = malloc((n ? (size_t)n : 1) * (size_t)k * sizeof *v);
  row *r = malloc((n ? (size_t)n : 1) * sizeof *r);
  if (!v || !r) {
    free(v);
    free(r);
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  }
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < k; j++) {
      double x = rp_metric(s, idx[i], obj[j].metric);
      /* missing values sort last */
      v[(size_t)i * (size_t)k + (size_t)j] = isnan(x)          ? INFINITY
                                             : obj[j].maximize ? -x
                                                               : x;
    }
    r[i] = (row){v + (size_t)i * (size_t)k, k, (size_t)idx[i]};
  }
  qsort(r, (size_t)n, sizeof *r, row_cmp);
  for (int i = 0; i < n; i++)
    idx[i] = (int)r[i].i;
  free(v);
  free(r);
  return WR_OK;
}

int rp_pareto(const rp_set *s, const int *idx, int n, const rp_objective *obj,
              int k, int *front, int *n_front, int *n_missing, wr_err *e) {
  double *v = calloc((n ? (size_t)n : 1) * (size_t)(k > 0 ? k : 1), sizeof *v);
  int *mx = malloc((size_t)(k > 0 ? k : 1) * sizeof *mx);
  unsigned char *on = malloc(n ? (size_t)n : 1);
  int rc = WR_OK;
  if (!v || !mx || !on) {
    rc = wr_err_set(e, WR_ENOMEM, "out of memory");
    goto done;
  }
  for (int j = 0; j < k; j++)
    mx[j] = obj[j].maximize;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < k; j++)
      v[(size_t)i * (size_t)k + (size_t)j] =
          rp_metric(s, idx[i], obj[j].metric);
  size_t miss = 0;
  if (rp_pareto_values(v, (size_t)n, k, mx, on, &miss, e) < 0) {
    rc = e ? e->status : WR_ERUNTIME;
    goto done;
  }
  int f = 0;
  for (int i = 0; i < n; i++)
    if (on[i])
      front[f++] = idx[i];
  *n_front = f;
  if (n_missing)
    *n_missing = (int)miss;
  rc = rp_sort_by(s, front, f, obj, k, e);
done:
  free(v);
  free(mx);
  free(on);
  return rc;
}
