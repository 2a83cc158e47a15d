/* html.c — a report as one self-contained HTML page: its sections as
 * tables, and the plots (fronts per workload, energy by design and by
 * layer, rooflines) as inline SVG. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports_internal.h"

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
static int html_scatter(rp_report *r, FILE *out, const int *pts, int n,
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
    rc = wr_err_set(r->e, WR_ENOMEM, "out of memory");
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
static int html_bars(rp_report *r, FILE *out, const int *pts, int n, int layers,
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
    return wr_err_set(r->e, WR_ENOMEM, "out of memory");
  }
  int nu = layers >= 0 ? rp_used_comps(s, &layers, 1, 1, used)
                       : rp_used_comps(s, pts, n, 0, used);
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

static int html_roofline(rp_report *r, FILE *out, int p) {
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
    return wr_err_set(r->e, WR_ENOMEM, "out of memory");
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

int rp_html_write(rp_report *r, FILE *out) {
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
  int *first = malloc((size_t)(n ? n : 1) * sizeof *first);
  int *sub = malloc((size_t)(n ? n : 1) * sizeof *sub);
  int ec = rp_col(&s->metrics, RP_ENERGY), lc = rp_col(&s->metrics, RP_LATENCY),
      acc = rp_col(&s->metrics, RP_ACCURACY),
      wc = rp_col(&s->attrs, RP_WORKLOAD);
  int rc = WR_OK;
  if (!grp || !first || !sub) {
    rc = wr_err_set(r->e, WR_ENOMEM, "out of memory");
    goto done;
  }
  int ng = rp_group(s, o->idx, n, wc, grp, first);
  if (ec >= 0 && (lc >= 0 || acc >= 0))
    fputs("<h2>Fronts</h2>\n", out);
  for (int g = 0; g < ng && !rc && ec >= 0; g++) {
    int m = 0;
    for (int i = 0; i < n; i++)
      if (grp[i] == g)
        sub[m++] = o->idx[i];
    const char *w = rp_attr(s, first[g], wc);
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
  for (int i = 0; i < RP_N_SEC && !rc; i++) {
    if (!r->sec[i])
      continue;
    rp_table_write(r->sec[i], RP_FMT_HTML, out);
    if (i == RP_SEC_BREAKDOWN && r->n_front) /* as bars, 40 designs at most */
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
  free(first);
  free(sub);
  return rc;
}
