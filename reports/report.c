/* report.c — a report's sections (points or fronts, energy breakdown,
 * best designs, baseline comparison) and the writers: text, CSV, JSON,
 * Markdown and the self-contained HTML page with its plots.  Every
 * section is built before anything is written, so a failure leaves the
 * output untouched. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports_internal.h"

int rp_format_parse(const char *s, rp_format *out, wr_err *e) {
  static const char *const names[] = {"table", "csv", "json", "md", "html"};
  if (!s) {
    *out = RP_FMT_TABLE;
    return WR_OK;
  }
  for (int i = 0; i < 5; i++)
    if (strcmp(s, names[i]) == 0) {
      *out = (rp_format)i;
      return WR_OK;
    }
  return wr_err_set(e, WR_EINPUT,
                    "--format: '%s' is not one of table, csv, json, md, html",
                    s);
}

enum { SEC_POINTS, SEC_BREAKDOWN, SEC_BEST, SEC_COMPARE, N_SEC };

typedef struct report {
  const rp_set *s;
  const rp_report_opts *o;
  rp_table *sec[N_SEC];
  int *front; /* the points section: front (or all), grouped by workload */
  int n_front;
  wr_err *e;
} report;

static int oom(report *r) {
  return wr_err_set(r->e, WR_ENOMEM, "out of memory");
}

/* Groups idx[0..n) by workload, in order of first appearance: writes the
 * group of each position to grp and returns the number of groups. */
static int by_workload(const rp_set *s, const int *idx, int n, int *grp) {
  int wc = rp_col(&s->attrs, RP_WORKLOAD), ng = 0;
  int *rep = malloc((size_t)(n ? n : 1) * sizeof *rep);
  if (!rep)
    return -1;
  for (int i = 0; i < n; i++) {
    const char *w = rp_attr(s, idx[i], wc);
    int g = 0;
    for (; g < ng; g++) {
      const char *v = rp_attr(s, rep[g], wc);
      if ((!v && !w) || (v && w && strcmp(v, w) == 0))
        break;
    }
    if (g == ng)
      rep[ng++] = idx[i];
    grp[i] = g;
  }
  free(rep);
  return ng;
}

/* The front of each workload over obj, concatenated; sets *n_out and
 * *missing, and a note "W: n points, f on the front" per group in note. */
static int fronts(report *r, const rp_objective *obj, int k, int **out,
                  int *n_out, int *missing, char *note, size_t nn) {
  const rp_set *s = r->s;
  int n = r->o->n_idx;
  int *grp = malloc((size_t)(n ? n : 1) * sizeof *grp);
  int *sub = malloc((size_t)(n ? n : 1) * sizeof *sub);
  int *res = malloc((size_t)(n ? n : 1) * sizeof *res);
  int ng = grp ? by_workload(s, r->o->idx, n, grp) : -1;
  if (ng < 0 || !sub || !res) {
    free(grp);
    free(sub);
    free(res);
    return oom(r);
  }
  int total = 0, wc = rp_col(&s->attrs, RP_WORKLOAD);
  size_t u = 0;
  *missing = 0;
  if (note && nn)
    note[0] = '\0';
  for (int g = 0; g < ng; g++) {
    int m = 0, nf = 0, miss = 0;
    for (int i = 0; i < n; i++)
      if (grp[i] == g)
        sub[m++] = r->o->idx[i];
    if (rp_pareto(s, sub, m, obj, k, res + total, &nf, &miss, r->e)) {
      free(grp);
      free(sub);
      free(res);
      return r->e->status;
    }
    const char *w = rp_attr(s, sub[0], wc);
    if (note && u < nn) {
      int c =
          snprintf(note + u, nn - u, "%s%s: %d point%s, %d on the front",
                   u ? "; " : "", w ? w : "(no workload)", m, wr_plural(m), nf);
      if (miss && c > 0 && u + (size_t)c < nn)
        c += snprintf(note + u + c, nn - u - (size_t)c,
                      ", %d without a value for an objective", miss);
      if (c > 0)
        u += (size_t)c;
    }
    total += nf;
    *missing += miss;
  }
  free(grp);
  free(sub);
  *out = res;
  *n_out = total;
  return WR_OK;
}

/* Columns present among pts: which attributes and metrics any has. */
static void present(const rp_set *s, const int *pts, int n, int *attr,
                    int *metric) {
  for (int c = 0; c < s->attrs.n; c++) {
    attr[c] = 0;
    for (int i = 0; i < n && !attr[c]; i++)
      attr[c] = rp_attr(s, pts[i], c) != NULL;
  }
  for (int c = 0; c < s->metrics.n; c++) {
    metric[c] = 0;
    for (int i = 0; i < n && !metric[c]; i++)
      metric[c] = !isnan(rp_metric(s, pts[i], c));
  }
}

/* The energy components with a nonzero value in any of pts (l < 0: the
 * designs' totals, else every layer of pts[0]); writes their columns to
 * used and returns how many. */
static int used_comps(const rp_set *s, const int *pts, int n, int layers,
                      int *used) {
  int m = 0;
  for (int c = 0; c < s->comps.n; c++) {
    int any = 0;
    for (int i = 0; i < n && !any; i++) {
      if (!layers)
        any = rp_energy(s, pts[i], c) != 0;
      for (int l = 0; layers && l < s->points[pts[i]].n_layers && !any; l++)
        any = rp_layer_energy(s, pts[i], l, c) != 0;
    }
    if (any)
      used[m++] = c;
  }
  return m;
}

static int sec_points(report *r) {
  const rp_set *s = r->s;
  const rp_report_opts *o = r->o;
  char note[2048] = "";
  int missing = 0;
  if (o->n_pareto) {
    if (fronts(r, o->pareto, o->n_pareto, &r->front, &r->n_front, &missing,
               note, sizeof note))
      return r->e->status;
  } else {
    r->front = malloc((size_t)(o->n_idx ? o->n_idx : 1) * sizeof *r->front);
    if (!r->front)
      return oom(r);
    memcpy(r->front, o->idx, (size_t)o->n_idx * sizeof *r->front);
    r->n_front = o->n_idx;
  }
  int *ha = calloc((size_t)s->attrs.n + 1, sizeof *ha);
  int *hm = calloc((size_t)s->metrics.n + 1, sizeof *hm);
  const char **cols =
      calloc((size_t)(s->attrs.n + s->metrics.n) + 1, sizeof *cols);
  char **names = calloc((size_t)s->metrics.n + 1, sizeof *names);
  const char **cells =
      calloc((size_t)(s->attrs.n + s->metrics.n) + 1, sizeof *cells);
  char(*num)[32] = calloc((size_t)s->metrics.n + 1, sizeof *num);
  int rc = WR_OK, nc = 0;
  if (!ha || !hm || !cols || !names || !cells || !num) {
    rc = oom(r);
    goto done;
  }
  present(s, r->front, r->n_front, ha, hm);
  for (int i = 0; i < o->n_hide; i++) {
    int c = rp_col(&s->attrs, o->hide[i]), m = rp_col(&s->metrics, o->hide[i]);
    if (c >= 0)
      ha[c] = 0;
    if (m >= 0)
      hm[m] = 0;
  }
  for (int c = 0; c < s->attrs.n; c++)
    if (ha[c])
      cols[nc++] = s->attrs.name[c];
  for (int c = 0; c < s->metrics.n; c++)
    if (hm[c]) {
      size_t len = strlen(s->metrics.name[c]) + 2;
      if (!(names[c] = malloc(len))) {
        rc = oom(r);
        goto done;
      }
      snprintf(names[c], len, "#%s", s->metrics.name[c]);
      cols[nc++] = names[c];
    }
  char title[512] = "design points";
  if (o->n_pareto) {
    size_t u = (size_t)snprintf(title, sizeof title, "Pareto front over ");
    for (int j = 0; j < o->n_pareto && u < sizeof title; j++) {
      char ob[96];
      int k = snprintf(title + u, sizeof title - u, "%s%s", j ? ", " : "",
                       rp_objective_str(s, &o->pareto[j], ob, sizeof ob));
      if (k > 0)
        u += (size_t)k;
    }
    if (u < sizeof title)
      snprintf(title + u, sizeof title - u, " (per workload)");
  }
  r->sec[SEC_POINTS] =
      rp_table_new(o->n_pareto ? "front" : "points", title, nc, cols);
  if (!r->sec[SEC_POINTS]) {
    rc = oom(r);
    goto done;
  }
  if (o->n_pareto)
    rp_table_note(r->sec[SEC_POINTS], "%s", note);
  else
    rp_table_note(r->sec[SEC_POINTS], "%d point%s", o->n_idx,
                  wr_plural(o->n_idx));
  for (int i = 0; i < r->n_front && !rc; i++) {
    int p = r->front[i], k = 0;
    for (int c = 0; c < s->attrs.n; c++)
      if (ha[c])
        cells[k++] = rp_attr(s, p, c);
    for (int c = 0; c < s->metrics.n; c++)
      if (hm[c]) {
        rp_num(num[c], sizeof num[c], rp_metric(s, p, c));
        cells[k++] = num[c];
      }
    rc = rp_table_row(r->sec[SEC_POINTS], cells, r->e);
  }
done:
  for (int c = 0; names && c < s->metrics.n; c++)
    free(names[c]);
  free(ha);
  free(hm);
  free(cols);
  free(names);
  free(cells);
  free(num);
  return rc;
}

/* Energy breakdown by component of the designs of the points section
 * (components none of them has left out). */
static int sec_breakdown(report *r) {
  const rp_set *s = r->s;
  int *used = malloc((size_t)s->comps.n * sizeof *used + 1);
  int nu = used ? used_comps(s, r->front, r->n_front, 0, used) : 0;
  int nc = nu + 2;
  const char **cols = calloc((size_t)nc, sizeof *cols);
  char **names = calloc((size_t)nc, sizeof *names);
  char(*num)[32] = calloc((size_t)nc, sizeof *num);
  const char **cells = calloc((size_t)nc, sizeof *cells);
  int rc = WR_OK;
  if (!used || !cols || !names || !num || !cells) {
    rc = oom(r);
    goto done;
  }
  cols[0] = "design";
  for (int i = 0; i < nu; i++) {
    const char *cn = s->comps.name[used[i]];
    size_t len = strlen(cn) + 4;
    if (!(names[i] = malloc(len))) {
      rc = oom(r);
      goto done;
    }
    snprintf(names[i], len, "#%s_j", cn);
    cols[i + 1] = names[i];
  }
  cols[nc - 1] = "#total_j";
  r->sec[SEC_BREAKDOWN] =
      rp_table_new("breakdown", "energy by component", nc, cols);
  if (!r->sec[SEC_BREAKDOWN]) {
    rc = oom(r);
    goto done;
  }
  for (int i = 0; i < r->n_front && !rc; i++) {
    int p = r->front[i];
    char lab[RP_LABEL_MAX];
    double tot = 0;
    cells[0] = rp_point_label(s, p, lab, sizeof lab);
    for (int c = 0; c < s->comps.n; c++)
      tot += rp_energy(s, p, c);
    for (int j = 0; j < nu; j++) {
      rp_num(num[j], sizeof num[j], rp_energy(s, p, used[j]));
      cells[j + 1] = num[j];
    }
    rp_num(num[nc - 1], sizeof num[0], tot);
    cells[nc - 1] = num[nc - 1];
    rc = rp_table_row(r->sec[SEC_BREAKDOWN], cells, r->e);
  }
done:
  for (int c = 0; names && c < nc; c++)
    free(names[c]);
  free(used);
  free(cols);
  free(names);
  free(num);
  free(cells);
  return rc;
}

static int sec_best(report *r) {
  const rp_set *s = r->s;
  const rp_report_opts *o = r->o;
  int n = o->n_idx;
  int *first = malloc((size_t)(n ? n : 1) * sizeof *first);
  int *best = malloc((size_t)(n ? n : 1) * sizeof *best);
  int rc = WR_OK;
  if (!first || !best) {
    rc = oom(r);
    goto done;
  }
  int ng = rp_best(s, o->idx, n, o->best_group, o->best_under, &o->best_obj,
                   first, best, r->e);
  /* the objective, then the usual metrics */
  const char *std[] = {RP_ENERGY, RP_LATENCY, RP_DRAM, RP_AREA, RP_ACCURACY};
  int mc[6], nm = 0;
  mc[nm++] = o->best_obj.metric;
  for (int i = 0; i < 5; i++) {
    int c = rp_col(&s->metrics, std[i]);
    if (c >= 0 && c != o->best_obj.metric)
      mc[nm++] = c;
  }
  const char *cols[8];
  char names[6][96];
  cols[0] = o->best_group >= 0 ? s->attrs.name[o->best_group] : "group";
  cols[1] = "design";
  for (int i = 0; i < nm; i++) {
    snprintf(names[i], sizeof names[i], "#%s", s->metrics.name[mc[i]]);
    cols[2 + i] = names[i];
  }
  char ob[96];
  r->sec[SEC_BEST] =
      rp_table_new("best", "best design per group", 2 + nm, cols);
  if (!r->sec[SEC_BEST]) {
    rc = oom(r);
    goto done;
  }
  rp_table_note(r->sec[SEC_BEST], "%s among the designs with %s",
                rp_objective_str(s, &o->best_obj, ob, sizeof ob),
                o->best_text ? o->best_text : "no constraint");
  for (int g = 0; g < ng && !rc; g++) {
    const char *cells[8];
    char num[6][32], lab[RP_LABEL_MAX], none[160];
    const char *gv = rp_attr(s, first[g], o->best_group);
    cells[0] = gv ? gv : "";
    snprintf(none, sizeof none, "(none meets %s)",
             o->best_text ? o->best_text : "the constraint");
    cells[1] =
        best[g] >= 0 ? rp_point_label(s, best[g], lab, sizeof lab) : none;
    for (int i = 0; i < nm; i++) {
      rp_num(num[i], sizeof num[i],
             best[g] >= 0 ? rp_metric(s, best[g], mc[i]) : NAN);
      cells[2 + i] = num[i];
    }
    rc = rp_table_row(r->sec[SEC_BEST], cells, r->e);
  }
done:
  free(first);
  free(best);
  return rc;
}

/* A layer's (or design's, l < 0) latency, energy and DRAM bytes. */
static void lvals(const rp_set *s, int p, int l, double v[3]) {
  const char *names[] = {RP_LATENCY, RP_ENERGY, RP_DRAM};
  for (int i = 0; i < 3; i++)
    v[i] = l < 0 ? rp_metric(s, p, rp_col(&s->metrics, names[i]))
                 : rp_layer_metric(s, p, l, rp_col(&s->lmetrics, names[i]));
  if (isnan(v[1])) { /* energy from its components */
    double sum = 0;
    for (int c = 0; c < s->comps.n; c++)
      sum += l < 0 ? rp_energy(s, p, c) : rp_layer_energy(s, p, l, c);
    v[1] = s->comps.n ? sum : NAN;
  }
}

static double ratio(double a, double b) {
  return b != 0 && !isnan(a) && !isnan(b) ? a / b : NAN;
}

static int compare_rows(report *r, int p, int b) {
  const rp_set *s = r->s;
  char dl[RP_LABEL_MAX], bl[RP_LABEL_MAX], num[4][32];
  const char *cells[7] = {rp_point_label(s, p, dl, sizeof dl),
                          rp_point_label(s, b, bl, sizeof bl)};
  int ac = rp_col(&s->metrics, RP_AREA);
  for (int l = -1; l < s->points[p].n_layers; l++) {
    int bl_i = -1;
    if (l >= 0) {
      for (int j = 0; j < s->points[b].n_layers && bl_i < 0; j++)
        if (strcmp(s->points[b].layers[j].name, s->points[p].layers[l].name) ==
            0)
          bl_i = j;
      if (bl_i < 0)
        continue; /* no such layer in the baseline */
    }
    double d[3], base[3];
    lvals(s, p, l, d);
    lvals(s, b, l < 0 ? -1 : bl_i, base);
    cells[2] = l < 0 ? "total" : s->points[p].layers[l].name;
    rp_num(num[0], 32, ratio(base[0], d[0]));
    rp_num(num[1], 32, ratio(d[1], base[1]));
    rp_num(num[2], 32, ratio(d[2], base[2]));
    rp_num(num[3], 32,
           l < 0 ? ratio(rp_metric(s, p, ac), rp_metric(s, b, ac)) : NAN);
    for (int i = 0; i < 4; i++)
      cells[3 + i] = num[i];
    if (rp_table_row(r->sec[SEC_COMPARE], cells, r->e))
      return r->e->status;
  }
  return WR_OK;
}

static int sec_compare(report *r) {
  const rp_set *s = r->s;
  const rp_report_opts *o = r->o;
  static const char *const cols[] = {
      "design",        "baseline",    "layer",      "#speedup",
      "#energy_ratio", "#dram_ratio", "#area_ratio"};
  int any = 0;
  for (int p = 0; p < s->n_points && !any; p++) {
    const char *v = rp_attr(s, p, o->baseline_attr);
    any = v && strcmp(v, o->baseline) == 0;
  }
  if (!any)
    return wr_err_set(r->e, WR_EINPUT, "--baseline: no point has %s = '%s'",
                      o->baseline_attr >= 0 ? s->attrs.name[o->baseline_attr]
                                            : "arch",
                      o->baseline);
  const char *aname =
      o->baseline_attr >= 0 ? s->attrs.name[o->baseline_attr] : "arch";
  char same[256] = "";
  size_t u = 0;
  for (int i = 0; i < o->n_match && u < sizeof same; i++) {
    if (o->match[i] < 0 ||
        strcmp(s->attrs.name[o->match[i]], RP_INFEASIBLE) == 0)
      continue;
    int k = snprintf(same + u, sizeof same - u, "%s%s", u ? ", " : "",
                     s->attrs.name[o->match[i]]);
    if (k > 0)
      u += (size_t)k;
  }
  if (!same[0])
    snprintf(same, sizeof same, "(nothing: any point)");
  r->sec[SEC_COMPARE] =
      rp_table_new("comparison", "comparison against the baseline", 7, cols);
  if (!r->sec[SEC_COMPARE])
    return oom(r);
  int without = 0, rc = WR_OK;
  for (int i = 0; i < r->n_front && !rc; i++) {
    int p = r->front[i];
    const char *v = rp_attr(s, p, o->baseline_attr);
    if (v && strcmp(v, o->baseline) == 0)
      continue;
    int b = rp_find_baseline(s, p, o->baseline_attr, o->baseline, o->match,
                             o->n_match);
    if (b >= 0) {
      rc = compare_rows(r, p, b);
      continue;
    }
    /* no baseline: a row that says so, in every format */
    char dl[RP_LABEL_MAX], why[RP_LABEL_MAX];
    const char *cells[7] = {
        rp_point_label(s, p, dl, sizeof dl), why, "total", "", "", "", ""};
    snprintf(why, sizeof why, "(none: no %s = %s with the same %s)", aname,
             o->baseline, same);
    without++;
    rc = rp_table_row(r->sec[SEC_COMPARE], cells, r->e);
  }
  rp_table_note(r->sec[SEC_COMPARE],
                "baseline %s = %s with the same %s as the design; speedup = "
                "baseline latency / design latency, other ratios design / "
                "baseline; %d design(s) without a matching baseline",
                aname, o->baseline, same, without);
  return rc;
}

/* ---- HTML ---------------------------------------------------------------- */

static const char *css =
    "body{font-family:'DejaVu Sans',Arial,sans-serif;margin:24px;color:#222;"
    "max-width:1100px}"
    "h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px "
    "solid #ccc}h3{font-size:15px}"
    "table{border-collapse:collapse;font-size:12px}"
    "td,th{border:1px solid #ddd;padding:3px 6px;text-align:left}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    "tr:nth-child(even){background:#f6f6f6}"
    ".scroll{overflow-x:auto}figure{margin:12px 0}"
    "figcaption{font-size:12px;color:#555}.meta{color:#555}";

/* Distinct values of attribute col among pts, sorted numerically when
 * all are numbers, else in order of appearance. */
static int distinct(const rp_set *s, const int *pts, int n, int col,
                    const char **out) {
  int m = 0;
  for (int i = 0; i < n; i++) {
    const char *v = rp_attr(s, pts[i], col);
    if (!v)
      v = "?";
    int j = 0;
    while (j < m && strcmp(out[j], v) != 0)
      j++;
    if (j == m)
      out[m++] = v;
  }
  int numeric = 1;
  for (int i = 0; i < m && numeric; i++) {
    char *end;
    strtod(out[i], &end);
    numeric = end != out[i] && !*end;
  }
  for (int i = 1; numeric && i < m; i++) /* insertion sort: few values */
    for (int j = i; j > 0 && strtod(out[j - 1], NULL) > strtod(out[j], NULL);
         j--) {
      const char *t = out[j];
      out[j] = out[j - 1];
      out[j - 1] = t;
    }
  return m;
}

static int find_str(const char **v, int n, const char *s) {
  for (int i = 0; i < n; i++)
    if (strcmp(v[i], s ? s : "?") == 0)
      return i;
  return 0;
}

/* One scatter of pts over x (min) and y (min, or max when ymax), the
 * front over these two marked: colour = architecture, shape = precision,
 * size = width; every marker's tooltip is its design's label. */
static int html_scatter(report *r, FILE *out, const int *pts, int n,
                        const char *title, int xc, int yc, int ymax) {
  const rp_set *s = r->s;
  size_t n1 = (size_t)(n ? n : 1);
  rp_scatter_point *sp = calloc(n1, sizeof *sp);
  int *fr = malloc(n1 * sizeof *fr);
  const char **widths = calloc(n1, sizeof *widths);
  const char **precs = calloc(n1, sizeof *precs);
  const char **archs = calloc(n1, sizeof *archs);
  char(*labels)[RP_LABEL_MAX] = calloc(n1, sizeof *labels);
  char(*tips)[RP_LABEL_MAX] = calloc(n1, sizeof *tips);
  char(*wl)[48] = calloc(n1, sizeof *wl);
  const char **wn = calloc(n1, sizeof *wn);
  int rc = WR_OK;
  if (!sp || !fr || !widths || !precs || !archs || !labels || !tips || !wl ||
      !wn) {
    rc = oom(r);
    goto done;
  }
  int wc = rp_col(&s->attrs, RP_WIDTH), pc = rp_col(&s->attrs, RP_PRECISION);
  int ac = rp_col(&s->attrs, RP_ARCH);
  int nw = distinct(s, pts, n, wc, widths), np = distinct(s, pts, n, pc, precs);
  int na = distinct(s, pts, n, ac, archs);
  rp_objective ob[2] = {{xc, 0}, {yc, ymax}};
  int nf = 0, miss = 0;
  if (rp_pareto(s, pts, n, ob, 2, fr, &nf, &miss, r->e)) {
    rc = r->e->status;
    goto done;
  }
  int m = 0;
  for (int i = 0; i < n; i++) {
    int p = pts[i];
    double x = rp_metric(s, p, xc), y = rp_metric(s, p, yc);
    if (isnan(x) || isnan(y))
      continue;
    sp[m].x = x;
    sp[m].y = y;
    sp[m].color = find_str(archs, na, rp_attr(s, p, ac));
    sp[m].shape = find_str(precs, np, rp_attr(s, p, pc));
    sp[m].size = find_str(widths, nw, rp_attr(s, p, wc));
    for (int j = 0; j < nf; j++)
      sp[m].front |= fr[j] == p;
    sp[m].label = rp_label(s, p, 1, labels[m], sizeof labels[m]);
    sp[m].tip = rp_point_label(s, p, tips[m], sizeof tips[m]);
    m++;
  }
  char note[320];
  int k = snprintf(note, sizeof note,
                   "%d design%s, %d on the front (solid, labelled); %d without "
                   "a value not shown; hover over a point for its design",
                   m, wr_plural(m), nf, miss);
  if (na > RP_N_COLORS && k > 0 && (size_t)k < sizeof note)
    snprintf(note + k, sizeof note - (size_t)k,
             "; %d architectures share %d colours", na, RP_N_COLORS);
  for (int i = 0; i < nw; i++) {
    snprintf(wl[i], sizeof wl[i], "%sx", widths[i]);
    wn[i] = wl[i];
  }
  rp_scatter sc = {.title = title,
                   .x = rp_metric_info(s->metrics.name[xc]),
                   .y = rp_metric_info(s->metrics.name[yc]),
                   .pts = sp,
                   .n = m,
                   .color_title = "architecture",
                   .colors = archs,
                   .n_colors = na,
                   .shape_title = "precision (A/W)",
                   .shapes = precs,
                   .n_shapes = np,
                   .size_title = "width",
                   .sizes = wn,
                   .n_sizes = nw,
                   .note = note};
  rp_svg_scatter(out, &sc);
done:
  free(sp);
  free(fr);
  free(widths);
  free(precs);
  free(archs);
  free(labels);
  free(tips);
  free(wl);
  free(wn);
  return rc;
}

/* Stacked energy bars: one row per design of pts (layers < 0), or per
 * layer of design `layers`; only the components in use. */
static int html_bars(report *r, FILE *out, const int *pts, int n, int layers,
                     const char *title) {
  const rp_set *s = r->s;
  int nr = layers >= 0 ? s->points[layers].n_layers : n;
  int *used = malloc((size_t)s->comps.n * sizeof *used + 1);
  const char **rows = calloc((size_t)nr + 1, sizeof *rows);
  const char **comps = calloc((size_t)s->comps.n + 1, sizeof *comps);
  char(*labs)[RP_LABEL_MAX] = calloc((size_t)nr + 1, sizeof *labs);
  double *v = calloc((size_t)nr * (size_t)s->comps.n + 1, sizeof *v);
  if (!used || !rows || !comps || !labs || !v) {
    free(used);
    free(rows);
    free(comps);
    free(labs);
    free(v);
    return oom(r);
  }
  int nu = layers >= 0 ? used_comps(s, &layers, 1, 1, used)
                       : used_comps(s, pts, n, 0, used);
  for (int j = 0; j < nu; j++)
    comps[j] = s->comps.name[used[j]];
  for (int i = 0; i < nr; i++) {
    rows[i] = layers >= 0 ? s->points[layers].layers[i].name
                          : rp_point_label(s, pts[i], labs[i], sizeof labs[i]);
    for (int j = 0; j < nu; j++)
      v[(size_t)i * (size_t)nu + (size_t)j] =
          layers >= 0 ? rp_layer_energy(s, layers, i, used[j])
                      : rp_energy(s, pts[i], used[j]);
  }
  rp_bars b = {title, {"energy", "J"}, rows, nr, comps, nu, v};
  rp_svg_bars(out, &b);
  free(used);
  free(rows);
  free(comps);
  free(labs);
  free(v);
  return WR_OK;
}

static int html_roofline(report *r, FILE *out, int p) {
  const rp_set *s = r->s;
  const rp_point *pt = &s->points[p];
  double peak = rp_metric(s, p, rp_col(&s->metrics, RP_PEAK_OPS));
  double bw = rp_metric(s, p, rp_col(&s->metrics, RP_DRAM_BW));
  int oc = rp_col(&s->lmetrics, RP_OPS), tc = rp_col(&s->lmetrics, RP_LATENCY),
      dc = rp_col(&s->lmetrics, RP_DRAM);
  char lab[RP_LABEL_MAX], title[RP_LABEL_MAX + 16];
  rp_point_label(s, p, lab, sizeof lab);
  if (!(peak > 0) || !(bw > 0) || oc < 0 || tc < 0 || dc < 0) {
    fputs("<p>No roofline for ", out);
    rp_xml_escape(out, lab);
    fputs(": its peak throughput, DRAM bandwidth or per-layer ops, time and "
          "DRAM bytes are not recorded.</p>\n",
          out);
    return WR_OK;
  }
  int nl = pt->n_layers;
  double *in = calloc((size_t)nl + 1, sizeof *in);
  double *ops = calloc((size_t)nl + 1, sizeof *ops);
  const char **names = calloc((size_t)nl + 1, sizeof *names);
  if (!in || !ops || !names) {
    free(in);
    free(ops);
    free(names);
    return oom(r);
  }
  for (int l = 0; l < nl; l++) {
    double o = rp_layer_metric(s, p, l, oc), t = rp_layer_metric(s, p, l, tc),
           d = rp_layer_metric(s, p, l, dc);
    in[l] = d > 0 ? o / d : NAN;
    ops[l] = t > 0 ? o / t : NAN;
    names[l] = pt->layers[l].name;
  }
  snprintf(title, sizeof title, "roofline: %s", lab);
  rp_roofline rf = {title, peak, bw, in, ops, names, nl};
  rp_svg_roofline(out, &rf);
  free(in);
  free(ops);
  free(names);
  return WR_OK;
}

static int write_html(report *r, FILE *out) {
  const rp_set *s = r->s;
  const rp_report_opts *o = r->o;
  const char *title = o->title ? o->title : "wrpnsim design-space report";
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\n"
        "<title>",
        out);
  rp_xml_escape(out, title);
  fprintf(out, "</title>\n<style>%s</style></head><body>\n<h1>", css);
  rp_xml_escape(out, title);
  fprintf(out, "</h1>\n<p class=\"meta\">%d design points", o->n_idx);
  if (o->source) {
    fputs(" from ", out);
    rp_xml_escape(out, o->source);
  }
  if (o->where) {
    fputs(", filtered by ", out);
    rp_xml_escape(out, o->where);
  }
  fputs(".</p>\n", out);
  if (o->n_notes) {
    fputs("<ul class=\"meta\">\n", out);
    for (int i = 0; i < o->n_notes; i++) {
      fputs("<li>", out);
      rp_xml_escape(out, o->notes[i]);
      fputs("</li>\n", out);
    }
    fputs("</ul>\n", out);
  }

  /* fronts, one pair of plots per workload */
  int n = o->n_idx;
  int *grp = malloc((size_t)(n ? n : 1) * sizeof *grp);
  int *sub = malloc((size_t)(n ? n : 1) * sizeof *sub);
  int ng = grp ? by_workload(s, o->idx, n, grp) : -1;
  int ec = rp_col(&s->metrics, RP_ENERGY), lc = rp_col(&s->metrics, RP_LATENCY),
      acc = rp_col(&s->metrics, RP_ACCURACY),
      wc = rp_col(&s->attrs, RP_WORKLOAD);
  int rc = WR_OK;
  if (ng < 0 || !sub) {
    rc = oom(r);
    goto done;
  }
  if (ec >= 0 && (lc >= 0 || acc >= 0))
    fputs("<h2>Fronts</h2>\n", out);
  for (int g = 0; g < ng && !rc && ec >= 0; g++) {
    int m = 0;
    for (int i = 0; i < n; i++)
      if (grp[i] == g)
        sub[m++] = o->idx[i];
    const char *w = rp_attr(s, sub[0], wc);
    char t[256];
    fputs("<h3>", out);
    rp_xml_escape(out, w ? w : "all designs");
    fputs("</h3>\n", out);
    if (lc >= 0) {
      snprintf(t, sizeof t, "%s: energy vs latency", w ? w : "designs");
      rc = html_scatter(r, out, sub, m, t, ec, lc, 0);
    }
    int has_acc = 0;
    for (int i = 0; i < m && acc >= 0; i++)
      has_acc |= !isnan(rp_metric(s, sub[i], acc));
    if (!rc && has_acc) {
      snprintf(t, sizeof t, "%s: accuracy vs energy", w ? w : "designs");
      rc = html_scatter(r, out, sub, m, t, ec, acc, 1);
    }
  }
  for (int i = 0; i < N_SEC && !rc; i++) {
    if (!r->sec[i])
      continue;
    rp_table_write(r->sec[i], RP_FMT_HTML, out);
    if (i == SEC_BREAKDOWN && r->n_front) /* as bars, 40 designs at most */
      rc = html_bars(r, out, r->front, r->n_front < 40 ? r->n_front : 40, -1,
                     "energy by design");
  }
  /* layers of a few designs spread along the front */
  int maxd = o->max_designs > 0 ? o->max_designs : 4, shown = 0;
  for (int i = 0; i < r->n_front && !rc && shown < maxd; i++) {
    int pick = r->n_front <= maxd
                   ? i
                   : (int)((double)shown * (r->n_front - 1) / (maxd - 1) + 0.5);
    if (pick != i)
      continue;
    int p = r->front[i];
    if (!s->points[p].n_layers)
      continue;
    if (!shown)
      fputs("<h2>Layers</h2>\n<p>Designs spread along the front: energy by "
            "component per layer, and each layer on the design's roofline "
            "(ops are 2 per MAC).</p>\n",
            out);
    shown++;
    char lab[RP_LABEL_MAX], bt[RP_LABEL_MAX + 24];
    snprintf(bt, sizeof bt, "energy per layer: %s",
             rp_point_label(s, p, lab, sizeof lab));
    rc = html_bars(r, out, NULL, 0, p, bt);
    if (!rc)
      rc = html_roofline(r, out, p);
  }
  fputs("</body></html>\n", out);
done:
  free(grp);
  free(sub);
  return rc;
}

int rp_report_write(const rp_set *s, const rp_report_opts *o, rp_format f,
                    FILE *out, wr_err *e) {
  report r = {.s = s, .o = o, .e = e};
  int rc = WR_OK;
  int extra = !!o->breakdown + !!o->best_text + !!o->baseline;
  if (f == RP_FMT_CSV && extra > 1)
    return wr_err_set(e, WR_EINPUT,
                      "--format csv holds one table: ask for one of the "
                      "breakdown, --best-under and --baseline at a time");
  rp_objective def[2];
  rp_report_opts oh;
  if (f == RP_FMT_HTML && !o->n_pareto) { /* the page shows a front */
    int ec = rp_col(&s->metrics, RP_ENERGY),
        lc = rp_col(&s->metrics, RP_LATENCY);
    if (ec >= 0 && lc >= 0) {
      oh = *o;
      def[0] = (rp_objective){ec, 0};
      def[1] = (rp_objective){lc, 0};
      oh.pareto = def;
      oh.n_pareto = 2;
      oh.breakdown = 1;
      r.o = o = &oh;
    }
  }
  rc = sec_points(&r);
  if (!rc && (o->breakdown || f == RP_FMT_HTML) && s->comps.n)
    rc = sec_breakdown(&r);
  if (!rc && o->best_text)
    rc = sec_best(&r);
  if (!rc && o->baseline)
    rc = sec_compare(&r);
  if (!rc) {
    switch (f) {
    case RP_FMT_HTML:
      rc = write_html(&r, out);
      break;
    case RP_FMT_CSV: {
      int which = SEC_POINTS;
      for (int i = SEC_BREAKDOWN; i < N_SEC; i++)
        if (r.sec[i] && (i != SEC_BREAKDOWN || o->breakdown))
          which = i;
      rp_table_write(r.sec[which], f, out);
      break;
    }
    case RP_FMT_JSON: {
      fputs("{", out);
      int first = 1;
      for (int i = 0; i < N_SEC; i++) {
        if (!r.sec[i])
          continue;
        fputs(first ? "\n " : ",\n ", out);
        first = 0;
        rp_json_string(out, r.sec[i]->key);
        fputs(": ", out);
        rp_table_write(r.sec[i], f, out);
      }
      if (o->n_notes) {
        fputs(first ? "\n \"notes\": [" : ",\n \"notes\": [", out);
        for (int i = 0; i < o->n_notes; i++) {
          fputs(i ? ",\n  " : "\n  ", out);
          rp_json_string(out, o->notes[i]);
        }
        fputs("\n ]", out);
      }
      fputs("\n}\n", out);
      break;
    }
    default:
      for (int i = 0; i < N_SEC; i++)
        if (r.sec[i]) {
          rp_table_write(r.sec[i], f, out);
          if (f == RP_FMT_TABLE)
            fputc('\n', out);
        }
      if (o->n_notes)
        fputs(f == RP_FMT_MD ? "## Notes\n\n" : "Notes\n", out);
      for (int i = 0; i < o->n_notes; i++)
        fprintf(out, "%s%s\n", f == RP_FMT_MD ? "* " : "  ", o->notes[i]);
    }
  }
  for (int i = 0; i < N_SEC; i++)
    rp_table_free(r.sec[i]);
  free(r.front);
  return rc;
}
