/* report.c — a report's sections (points or fronts, energy breakdown,
 * best designs, baseline comparison) and its writers: text, CSV, JSON and
 * Markdown here, the HTML page in html.c.  Every section is built before
 * anything is written, so a failure leaves the output untouched. */
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

static int oom(rp_report *r) {
  return wr_err_set(r->e, WR_ENOMEM, "out of memory");
}

/* The front of each workload over obj, concatenated; sets *n_out and
 * *missing, and a note "W: n points, f on the front" per group in note. */
static int fronts(rp_report *r, const rp_objective *obj, int k, int **out,
                  int *n_out, int *missing, char *note, size_t nn) {
  const rp_set *s = r->s;
  int n = r->o->n_idx;
  int *grp = malloc((size_t)(n ? n : 1) * sizeof *grp);
  int *first = malloc((size_t)(n ? n : 1) * sizeof *first);
  int *sub = malloc((size_t)(n ? n : 1) * sizeof *sub);
  int *res = malloc((size_t)(n ? n : 1) * sizeof *res);
  if (!grp || !first || !sub || !res) {
    free(grp);
    free(first);
    free(sub);
    free(res);
    return oom(r);
  }
  int wc = rp_col(&s->attrs, RP_WORKLOAD), total = 0;
  int ng = rp_group(s, r->o->idx, n, wc, grp, first);
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
      free(first);
      free(sub);
      free(res);
      return r->e->status;
    }
    const char *w = rp_attr(s, first[g], wc);
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
  free(first);
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

int rp_used_comps(const rp_set *s, const int *pts, int n, int layers,
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

static int sec_points(rp_report *r) {
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
  r->sec[RP_SEC_POINTS] =
      rp_table_new(o->n_pareto ? "front" : "points", title, nc, cols);
  if (!r->sec[RP_SEC_POINTS]) {
    rc = oom(r);
    goto done;
  }
  if (o->n_pareto)
    rp_table_note(r->sec[RP_SEC_POINTS], "%s", note);
  else
    rp_table_note(r->sec[RP_SEC_POINTS], "%d point%s", o->n_idx,
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
    rc = rp_table_row(r->sec[RP_SEC_POINTS], cells, r->e);
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
static int sec_breakdown(rp_report *r) {
  const rp_set *s = r->s;
  int *used = malloc((size_t)s->comps.n * sizeof *used + 1);
  int nu = used ? rp_used_comps(s, r->front, r->n_front, 0, used) : 0;
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
  r->sec[RP_SEC_BREAKDOWN] =
      rp_table_new("breakdown", "energy by component", nc, cols);
  if (!r->sec[RP_SEC_BREAKDOWN]) {
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
    rc = rp_table_row(r->sec[RP_SEC_BREAKDOWN], cells, r->e);
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

static int sec_best(rp_report *r) {
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
  if (ng < 0) {
    rc = r->e->status;
    goto done;
  }
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
  r->sec[RP_SEC_BEST] =
      rp_table_new("best", "best design per group", 2 + nm, cols);
  if (!r->sec[RP_SEC_BEST]) {
    rc = oom(r);
    goto done;
  }
  rp_table_note(r->sec[RP_SEC_BEST], "%s among the designs with %s",
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
    rc = rp_table_row(r->sec[RP_SEC_BEST], cells, r->e);
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

static int compare_rows(rp_report *r, int p, int b) {
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
    if (rp_table_row(r->sec[RP_SEC_COMPARE], cells, r->e))
      return r->e->status;
  }
  return WR_OK;
}

static int sec_compare(rp_report *r) {
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
  r->sec[RP_SEC_COMPARE] =
      rp_table_new("comparison", "comparison against the baseline", 7, cols);
  if (!r->sec[RP_SEC_COMPARE])
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
    rc = rp_table_row(r->sec[RP_SEC_COMPARE], cells, r->e);
  }
  rp_table_note(r->sec[RP_SEC_COMPARE],
                "baseline %s = %s with the same %s as the design; speedup = "
                "baseline latency / design latency, other ratios design / "
                "baseline; %d design(s) without a matching baseline",
                aname, o->baseline, same, without);
  return rc;
}

int rp_report_write(const rp_set *s, const rp_report_opts *o, rp_format f,
                    FILE *out, wr_err *e) {
  rp_report r = {.s = s, .o = o, .e = e};
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
      rc = rp_html_write(&r, out);
      break;
    case RP_FMT_CSV: {
      int which = RP_SEC_POINTS;
      for (int i = RP_SEC_BREAKDOWN; i < RP_N_SEC; i++)
        if (r.sec[i] && (i != RP_SEC_BREAKDOWN || o->breakdown))
          which = i;
      rp_table_write(r.sec[which], f, out);
      break;
    }
    case RP_FMT_JSON: {
      fputs("{", out);
      int first = 1;
      for (int i = 0; i < RP_N_SEC; i++) {
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
      for (int i = 0; i < RP_N_SEC; i++)
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
  for (int i = 0; i < RP_N_SEC; i++)
    rp_table_free(r.sec[i]);
  free(r.front);
  return rc;
}
