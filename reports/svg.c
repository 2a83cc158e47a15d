/* svg.c — inline SVG plots for the HTML report: a scatter of design
 * points (colour and shape legends, the front drawn solid and labelled),
 * horizontal stacked bars and a roofline.  Axes carry titles with units
 * and tick labels with SI prefixes; an axis whose data span two decades or
 * more is logarithmic.  Legends sit outside the plot area.  Every name is
 * XML-escaped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports_internal.h"

/* Okabe-Ito, colour-blind safe (widths and designs) */
static const char *const pal_cat[] = {"#0072B2", "#E69F00", "#009E73",
                                      "#CC79A7", "#D55E00", "#56B4E9",
                                      "#000000", "#F0E442"};
/* Tableau 10 (energy components) */
static const char *const pal_comp[] = {
    "#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F",
    "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F", "#BAB0AC"};
enum { N_CAT = RP_N_COLORS, N_COMP = 10, N_SHAPES = 9 };

#define FONT "font-family=\"DejaVu Sans, Arial, sans-serif\""

rp_axis_info rp_metric_info(const char *name) {
  static const struct {
    const char *name;
    rp_axis_info info;
  } known[] = {{RP_ENERGY, {"energy", "J"}},
               {RP_LATENCY, {"latency", "s"}},
               {RP_DRAM, {"DRAM traffic", "B"}},
               {RP_AREA, {"area", "mm\xc2\xb2"}},
               {RP_ACCURACY, {"top-1 accuracy", "%"}},
               {RP_PEAK_OPS, {"peak throughput", "ops/s"}},
               {RP_DRAM_BW, {"DRAM bandwidth", "B/s"}}};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strcmp(name, known[i].name) == 0)
      return known[i].info;
  size_t n = strlen(name);
  const char *unit = "";
  if (n > 2 && strcmp(name + n - 2, "_j") == 0)
    unit = "J";
  else if (n > 6 && strcmp(name + n - 6, "_per_s") == 0)
    unit = "1/s";
  else if (n > 2 && strcmp(name + n - 2, "_s") == 0)
    unit = "s";
  else if (n > 6 && strcmp(name + n - 6, "_bytes") == 0)
    unit = "B";
  return (rp_axis_info){name, unit};
}

/* ---- axes ---------------------------------------------------------------- */

typedef struct axis {
  double lo, hi; /* data range shown */
  int log;
  double p0, p1; /* pixel positions of lo and hi */
  const char *unit;
} axis;

static double ax_px(const axis *a, double v) {
  double t = a->log ? (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo))
                    : (v - a->lo) / (a->hi - a->lo);
  return a->p0 + t * (a->p1 - a->p0);
}

static double nice_step(double range) {
  double raw = range / 5, mag = pow(10, floor(log10(raw))), m = raw / mag;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * mag;
}

/* Sets the range from the finite data in [mn, mx] (positive only on a
 * log axis).  A linear axis: `zero` puts 0 in the range (quantities for
 * which 0 is the natural origin: energy, time, bytes, rates, area); `pad`
 * keeps points off the frame; a range of non-negative data never goes
 * below 0, nor a percentage of data within [0, 100] beyond 100. */
static void ax_fit(axis *a, double mn, double mx, int allow_log, int zero,
                   int pad, int percent) {
  if (!(mn <= mx)) /* no data */
    mn = 0, mx = 1;
  a->log = allow_log && mn > 0 && mx / mn >= 100;
  if (a->log) {
    a->lo = pow(10, floor(log10(mn)));
    a->hi = pow(10, ceil(log10(mx)));
    if (a->hi <= a->lo)
      a->hi = a->lo * 10;
    return;
  }
  int nonneg = mn >= 0, capped = percent && mn >= 0 && mx <= 100;
  if (zero && mn > 0)
    mn = 0;
  if (mx == mn) {
    double d = mn == 0 ? 1 : fabs(mn) * 0.1;
    mn -= d;
    mx += d;
    if (nonneg && mn < 0)
      mn = 0;
  }
  double st = nice_step(mx - mn);
  a->lo = floor(mn / st) * st;
  a->hi = ceil(mx / st) * st;
  if (pad) {
    if (mn - a->lo < 0.02 * (a->hi - a->lo) && !(zero && mn == 0))
      a->lo -= st;
    if (a->hi - mx < 0.02 * (a->hi - a->lo))
      a->hi += st;
  }
  if (nonneg && a->lo < 0)
    a->lo = 0;
  if (capped && a->hi > 100)
    a->hi = 100;
}

/* Whether 0 is the natural origin of a unit's axis. */
static int ratio_unit(const char *unit) {
  static const char *const u[] = {"J",   "s",   "B",         "ops/s",
                                  "B/s", "1/s", "mm\xc2\xb2"};
  for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
    if (strcmp(unit, u[i]) == 0)
      return 1;
  return 0;
}

/* A value with an SI prefix for units that take one: "2.5 ms". */
static void fmt_si(char *buf, size_t n, double v, const char *unit) {
  int prefixed = strcmp(unit, "J") == 0 || strcmp(unit, "s") == 0 ||
                 strcmp(unit, "B") == 0 || strcmp(unit, "ops/s") == 0 ||
                 strcmp(unit, "B/s") == 0 || strcmp(unit, "1/s") == 0;
  if (!prefixed || v == 0) {
    snprintf(buf, n, "%g", v);
    return;
  }
  static const char *const pre[] = {"f", "p", "n", "\xc2\xb5", "m", "",
                                    "k", "M", "G", "T",        "P"};
  int e3 = (int)floor(log10(fabs(v)) / 3 + 1e-9);
  if (e3 < -5)
    e3 = -5;
  if (e3 > 5)
    e3 = 5;
  double m = v / pow(10, 3 * e3);
  /* %.3g of a mantissa in [1, 1000) never needs an exponent */
  snprintf(buf, n, "%.3g %s%s", m, pre[e3 + 5], unit);
}

static void text(FILE *out, double x, double y, const char *anchor,
                 const char *extra, const char *s) {
  fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s%s>", x, y,
          anchor, extra ? " " : "", extra ? extra : "");
  rp_xml_escape(out, s);
  fputs("</text>\n", out);
}

/* Ticks and grid of a horizontal (horiz = 1) or vertical axis; the other
 * axis spans [q0, q1] pixels. */
static void ax_draw(FILE *out, const axis *a, int horiz, double q0, double q1) {
  double ticks[64];
  int nt = 0, minor[64];
  if (a->log) {
    int d0 = (int)lround(log10(a->lo)), d1 = (int)lround(log10(a->hi));
    int sub = d1 - d0 <= 2;       /* few decades: 2 and 5 too */
    int step = (d1 - d0 + 7) / 8; /* at most ~8 labelled decades */
    for (int d = d0; d <= d1 && nt < 60; d++) {
      ticks[nt] = pow(10, d);
      minor[nt++] = (d - d0) % step != 0;
      if (sub && d < d1) {
        ticks[nt] = 2 * pow(10, d);
        minor[nt++] = 0;
        ticks[nt] = 5 * pow(10, d);
        minor[nt++] = 0;
      }
    }
  } else {
    double st = nice_step(a->hi - a->lo);
    for (double v = ceil(a->lo / st - 1e-9) * st;
         v <= a->hi + st * 1e-9 && nt < 60; v += st) {
      ticks[nt] = fabs(v) < st * 1e-9 ? 0 : v;
      minor[nt++] = 0;
    }
  }
  for (int i = 0; i < nt; i++) {
    double p = ax_px(a, ticks[i]);
    char lab[48];
    fmt_si(lab, sizeof lab, ticks[i], a->unit);
    if (horiz) {
      fprintf(out,
              "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
              "class=\"grid\"/>\n",
              p, q0, p, q1);
      if (!minor[i])
        text(out, p, q1 + 16, "middle", NULL, lab);
    } else {
      fprintf(out,
              "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
              "class=\"grid\"/>\n",
              q0, p, q1, p);
      if (!minor[i])
        text(out, q0 - 6, p + 4, "end", NULL, lab);
    }
  }
}

/* "energy per inference (J, log scale)" */
static void ax_title(char *buf, size_t n, const rp_axis_info *i, int log) {
  if (i->unit[0])
    snprintf(buf, n, "%s (%s%s)", i->title, i->unit, log ? ", log scale" : "");
  else
    snprintf(buf, n, "%s%s", i->title, log ? " (log scale)" : "");
}

static void svg_open(FILE *out, double w, double h, const char *title) {
  fprintf(out,
          "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
          "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" " FONT
          " font-size=\"12\">\n<title>",
          w, h, w, h);
  rp_xml_escape(out, title);
  fputs("</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
        out);
  text(out, w / 2, 20, "middle", "font-size=\"15\" font-weight=\"bold\"",
       title);
}

static void svg_close(FILE *out, const char *note) {
  fputs("</svg>", out);
  if (note) {
    fputs("<figcaption>", out);
    rp_xml_escape(out, note);
    fputs("</figcaption>", out);
  }
  fputs("</figure>\n", out);
}

/* The plot frame with its class and box, which tests check legends
 * against. */
static void frame(FILE *out, double x, double y, double w, double h) {
  fprintf(out,
          "<rect class=\"plot-area\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
          "height=\"%.1f\" fill=\"none\" stroke=\"#444444\"/>\n",
          x, y, w, h);
}

static void axis_titles(FILE *out, double x, double y, double w, double h,
                        const char *xt, const char *yt) {
  text(out, x + w / 2, y + h + 38, "middle", "font-size=\"13\"", xt);
  char tr[96];
  snprintf(tr, sizeof tr,
           "font-size=\"13\" transform=\"rotate(-90 %.1f %.1f)\"", 18.0,
           y + h / 2);
  text(out, 18, y + h / 2, "middle", tr, yt);
}

/* A marker of shape `s` at (x, y). */
static void marker(FILE *out, int s, double x, double y, double r,
                   const char *fill, const char *extra) {
  switch (s % N_SHAPES) {
  case 0:
    fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"", x, y, r);
    break;
  case 1:
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"",
            x - r, y - r, 2 * r, 2 * r);
    break;
  case 2:
    fprintf(out, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\"", x, y - 1.2 * r,
            x + 1.1 * r, y + 0.9 * r, x - 1.1 * r, y + 0.9 * r);
    break;
  case 3:
    fprintf(out, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\"", x,
            y - 1.3 * r, x + 1.3 * r, y, x, y + 1.3 * r, x - 1.3 * r, y);
    break;
  case 4:
    fprintf(out, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\"", x, y + 1.2 * r,
            x + 1.1 * r, y - 0.9 * r, x - 1.1 * r, y - 0.9 * r);
    break;
  case 5: { /* plus */
    double a = 0.4 * r;
    fprintf(out,
            "<path d=\"M%.1f %.1fH%.1fV%.1fH%.1fV%.1fH%.1fV%.1fH%.1fV%.1fH%."
            "1fV%.1fH%.1fZ\"",
            x - a, y - 1.2 * r, x + a, y - a, x + 1.2 * r, y + a, x + a,
            y + 1.2 * r, x - a, y + a, x - 1.2 * r, y - a, x - a);
    break;
  }
  case 7: { /* a cross (x) */
    double a = 0.35 * r, b = 1.1 * r;
    fprintf(
        out,
        "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f "
        "%.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\"",
        x - b, y - b + a, x - b + a, y - b, x, y - a, x + b - a, y - b, x + b,
        y - b + a, x + a, y, x + b, y + b - a, x + b - a, y + b, x, y + a,
        x - b + a, y + b, x - b, y + b - a, x - a, y);
    break;
  }
  case 8: /* a ring: a hollow circle */
    fprintf(out,
            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" stroke=\"%s\" "
            "stroke-width=\"2.5\" fill-opacity=\"0\"",
            x, y, r * 0.85, fill);
    break;
  default: /* star-ish hexagon */
    fprintf(out,
            "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f "
            "%.1fL%.1f %.1fZ\"",
            x - r, y - 0.6 * r, x, y - 1.2 * r, x + r, y - 0.6 * r, x + r,
            y + 0.6 * r, x, y + 1.2 * r, x - r, y + 0.6 * r);
  }
  fprintf(out, " fill=\"%s\"%s%s/>\n", fill, extra ? " " : "",
          extra ? extra : "");
}

/* Legend entries, one per line: returns the y after the last. */
static double legend_head(FILE *out, double x, double y, const char *title) {
  text(out, x, y, "start", "font-weight=\"bold\"", title);
  return y + 18;
}

/* ---- scatter ------------------------------------------------------------- */

typedef struct box {
  double x0, y0, x1, y1;
} box;

static int overlaps(const box *a, const box *b) {
  return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

static int front_cmp(const void *pa, const void *pb) {
  const rp_scatter_point *a = *(const rp_scatter_point *const *)pa,
                         *b = *(const rp_scatter_point *const *)pb;
  return (a->x > b->x) - (a->x < b->x);
}

/* A figure with its unit: "2.5 ms", "44.2 %". */
static void fig(char *buf, size_t n, double v, const char *unit) {
  fmt_si(buf, n, v, unit);
  if (unit[0] && !strstr(buf, unit)) {
    size_t u = strlen(buf);
    snprintf(buf + u, n - u, " %s", unit);
  }
}

/* "TIP: energy 1.96 mJ, latency 389 µs" */
static void point_text(FILE *out, const rp_scatter *sc,
                       const rp_scatter_point *p) {
  char a[64], b[64];
  fig(a, sizeof a, p->x, sc->x.unit);
  fig(b, sizeof b, p->y, sc->y.unit);
  if (p->tip) {
    rp_xml_escape(out, p->tip);
    fputs(": ", out);
  }
  rp_xml_escape(out, sc->x.title);
  fputc(' ', out);
  rp_xml_escape(out, a);
  fputs(", ", out);
  rp_xml_escape(out, sc->y.title);
  fputc(' ', out);
  rp_xml_escape(out, b);
}

static double marker_r(int size, int front) {
  return 3.5 + 1.5 * (size % 4) + (front ? 1 : 0);
}

static double max_len(const char *const *v, int n) {
  size_t m = 0;
  for (int i = 0; i < n; i++)
    if (v[i] && strlen(v[i]) > m)
      m = strlen(v[i]);
  return (double)m;
}

void rp_svg_scatter(FILE *out, const rp_scatter *sc) {
  const double L = 110, T = 40, W = 500, H = 340, LEGX = L + W + 30;
  double legend_h = 30 + 18.0 * (sc->n_colors + sc->n_shapes + sc->n_sizes + 6);
  double lm = fmax(
      max_len(sc->colors, sc->n_colors),
      fmax(max_len(sc->shapes, sc->n_shapes), max_len(sc->sizes, sc->n_sizes)));
  double legend_w = fmax(185, 30 + 7.5 * lm);
  double h = T + H + 60 > legend_h + T ? T + H + 60 : legend_h + T;
  double xmn = INFINITY, xmx = -INFINITY, ymn = INFINITY, ymx = -INFINITY;
  for (int i = 0; i < sc->n; i++) {
    if (!isfinite(sc->pts[i].x) || !isfinite(sc->pts[i].y))
      continue;
    xmn = fmin(xmn, sc->pts[i].x);
    xmx = fmax(xmx, sc->pts[i].x);
    ymn = fmin(ymn, sc->pts[i].y);
    ymx = fmax(ymx, sc->pts[i].y);
  }
  axis ax = {.p0 = L, .p1 = L + W, .unit = sc->x.unit};
  axis ay = {.p0 = T + H, .p1 = T, .unit = sc->y.unit};
  ax_fit(&ax, xmn, xmx, 1, ratio_unit(sc->x.unit), 1,
         strcmp(sc->x.unit, "%") == 0);
  ax_fit(&ay, ymn, ymx, 1, ratio_unit(sc->y.unit), 1,
         strcmp(sc->y.unit, "%") == 0);
  svg_open(out, LEGX + legend_w + 5, h, sc->title);
  ax_draw(out, &ax, 1, T, T + H);
  ax_draw(out, &ay, 0, L, L + W);
  frame(out, L, T, W, H);
  char xt[160], yt[160];
  ax_title(xt, sizeof xt, &sc->x, ax.log);
  ax_title(yt, sizeof yt, &sc->y, ay.log);
  axis_titles(out, L, T, W, H, xt, yt);

  /* the front as a dashed line through its points, left to right */
  const rp_scatter_point **fr =
      malloc((size_t)(sc->n ? sc->n : 1) * sizeof *fr);
  int nf = 0;
  for (int i = 0; fr && i < sc->n; i++)
    if (sc->pts[i].front && isfinite(sc->pts[i].x) && isfinite(sc->pts[i].y))
      fr[nf++] = &sc->pts[i];
  if (fr && nf > 1) {
    qsort(fr, (size_t)nf, sizeof *fr, front_cmp);
    fputs("<polyline class=\"front\" fill=\"none\" stroke=\"#333333\" "
          "stroke-dasharray=\"5 3\" points=\"",
          out);
    for (int i = 0; i < nf; i++)
      fprintf(out, "%s%.1f,%.1f", i ? " " : "", ax_px(&ax, fr[i]->x),
              ax_px(&ay, fr[i]->y));
    fputs("\"/>\n", out);
  }
  /* front labels: names when none collide, else numbers along the front
   * (listed under the plot); never left out */
  box *placed = malloc((size_t)(nf ? nf : 1) * sizeof *placed);
  int numbered = !placed;
  for (int i = 0; placed && i < nf && !numbered; i++) {
    double x = ax_px(&ax, fr[i]->x) + 8, y = ax_px(&ay, fr[i]->y) - 6;
    /* with a margin: labels closer than 2 px read as one */
    box b = {x - 2, y - 13,
             x + 2 + 6.2 * (double)strlen(fr[i]->label ? fr[i]->label : ""),
             y + 4};
    numbered = !fr[i]->label || b.x1 > L + W || b.y0 < T;
    for (int j = 0; j < i && !numbered; j++)
      numbered = overlaps(&b, &placed[j]);
    placed[i] = b;
  }
  /* dominated points first, faint; the front on top; each with its
   * design and figures as a tooltip */
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < sc->n; i++) {
      const rp_scatter_point *p = &sc->pts[i];
      if (p->front != pass || !isfinite(p->x) || !isfinite(p->y))
        continue;
      fputs(pass ? "<g class=\"point front\"><title>"
                 : "<g class=\"point\"><title>",
            out);
      point_text(out, sc, p);
      for (int j = 0; pass && j < nf; j++)
        if (fr[j] == p)
          fprintf(out, " (Pareto front, %d of %d)", j + 1, nf);
      fputs("</title>", out);
      marker(out, p->shape, ax_px(&ax, p->x), ax_px(&ay, p->y),
             marker_r(p->size, pass), pal_cat[p->color % N_CAT],
             pass ? "stroke=\"#222222\" stroke-width=\"1\""
                  : "fill-opacity=\"0.35\"");
      fputs("</g>\n", out);
    }
  for (int i = 0; placed && i < nf; i++) {
    double px = ax_px(&ax, fr[i]->x), py = ax_px(&ay, fr[i]->y);
    if (!numbered) {
      text(out, px + 8, py - 6, "start",
           "class=\"front-label\" font-size=\"10\" fill=\"#222222\"",
           fr[i]->label);
      continue;
    }
    char num[16];
    snprintf(num, sizeof num, "%d", i + 1);
    double w = 7.0 * (double)strlen(num) + 2;
    const double off[][2] = {{8, -6},      {-8 - w, -6},  {8, 15},
                             {-8 - w, 15}, {-w / 2, -10}, {-w / 2, 20}};
    int k = 0;
    for (int c = 0; c < 6; c++) {
      box b = {px + off[c][0], py + off[c][1] - 11, px + off[c][0] + w,
               py + off[c][1] + 2};
      int clash = b.x0 < L || b.x1 > L + W || b.y0 < T || b.y1 > T + H;
      for (int j = 0; j < i && !clash; j++)
        clash = overlaps(&b, &placed[j]);
      if (!clash) {
        k = c;
        break;
      }
    }
    placed[i] = (box){px + off[k][0], py + off[k][1] - 11, px + off[k][0] + w,
                      py + off[k][1] + 2};
    text(out, px + off[k][0] + 1, py + off[k][1], "start",
         "class=\"front-label\" font-size=\"11\" font-weight=\"bold\" "
         "fill=\"#222222\"",
         num);
  }
  free(placed);

  /* legends, right of the plot area */
  double y = T + 10;
  fprintf(out, "<g class=\"legend\" data-box=\"%.0f %.0f %.0f %.0f\">\n",
          LEGX - 5, T, LEGX + legend_w, legend_h + T - 20);
  y = legend_head(out, LEGX, y, sc->color_title);
  for (int i = 0; i < sc->n_colors; i++, y += 18) {
    marker(out, 0, LEGX + 6, y - 4, 5, pal_cat[i % N_CAT], NULL);
    text(out, LEGX + 18, y, "start", NULL, sc->colors[i]);
  }
  y = legend_head(out, LEGX, y + 6, sc->shape_title);
  for (int i = 0; i < sc->n_shapes; i++, y += 18) {
    marker(out, i, LEGX + 6, y - 4, 5, "#777777", NULL);
    text(out, LEGX + 18, y, "start", NULL, sc->shapes[i]);
  }
  if (sc->n_sizes) {
    y = legend_head(out, LEGX, y + 6, sc->size_title);
    for (int i = 0; i < sc->n_sizes; i++, y += 18) {
      marker(out, 0, LEGX + 6, y - 4, marker_r(i, 0), "#777777", NULL);
      text(out, LEGX + 18, y, "start", NULL, sc->sizes[i]);
    }
  }
  y += 6;
  fprintf(out,
          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
          "stroke=\"#333333\" stroke-dasharray=\"5 3\"/>\n",
          LEGX, y - 4, LEGX + 14, y - 4);
  text(out, LEGX + 18, y, "start", NULL, "Pareto front (solid)");
  fputs("</g>\n</svg>", out);
  fputs("<figcaption>", out);
  if (sc->note)
    rp_xml_escape(out, sc->note);
  if (numbered && nf) {
    fputs("<ol class=\"front-list\">", out);
    for (int i = 0; i < nf; i++) {
      fputs("<li>", out);
      point_text(out, sc, fr[i]);
      fputs("</li>", out);
    }
    fputs("</ol>", out);
  }
  fputs("</figcaption></figure>\n", out);
  free(fr);
}

/* ---- stacked bars -------------------------------------------------------- */

void rp_svg_bars(FILE *out, const rp_bars *b) {
  /* row names whole (a design's label names its parameters): the left
   * margin fits the longest */
  double L = 190;
  for (int r = 0; r < b->n_rows; r++)
    L = fmax(L, 12 + 6.4 * (double)strlen(b->rows[r]));
  const double T = 40, W = 460, ROW = 16, LEGX = L + W + 30;
  double H = ROW * b->n_rows + 4;
  if (H < 80)
    H = 80;
  double legend_h = 30 + 18.0 * b->n_comp;
  double h = T + H + 60 > legend_h + T ? T + H + 60 : legend_h + T;
  double mx = 0;
  for (int r = 0; r < b->n_rows; r++) {
    double sum = 0;
    for (int c = 0; c < b->n_comp; c++)
      sum += fmax(0, b->v[(size_t)r * (size_t)b->n_comp + (size_t)c]);
    mx = fmax(mx, sum);
  }
  axis ax = {.p0 = L, .p1 = L + W, .unit = b->x.unit};
  ax_fit(&ax, 0, mx > 0 ? mx : 1, 0, 1, 0, 0);
  svg_open(out, LEGX + 170, h, b->title);
  ax_draw(out, &ax, 1, T, T + H);
  char xt[160];
  ax_title(xt, sizeof xt, &b->x, 0);
  text(out, L + W / 2, T + H + 38, "middle", "font-size=\"13\"", xt);
  for (int r = 0; r < b->n_rows; r++) {
    double y = T + 2 + ROW * r, x = L;
    text(out, L - 6, y + ROW - 5, "end", "font-size=\"11\"", b->rows[r]);
    for (int c = 0; c < b->n_comp; c++) {
      double v = fmax(0, b->v[(size_t)r * (size_t)b->n_comp + (size_t)c]);
      double w = ax_px(&ax, v) - ax_px(&ax, 0);
      if (w <= 0)
        continue;
      fprintf(out,
              "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
              "fill=\"%s\"><title>",
              x, y, w, ROW - 3, pal_comp[c % N_COMP]);
      char val[48];
      fmt_si(val, sizeof val, v, "J");
      rp_xml_escape(out, b->rows[r]);
      fputs(": ", out);
      rp_xml_escape(out, b->comps[c]);
      fprintf(out, " %s</title></rect>\n", val);
      x += w;
    }
  }
  frame(out, L, T, W, H);
  double y = T + 10;
  fprintf(out, "<g class=\"legend\" data-box=\"%.0f %.0f %.0f %.0f\">\n",
          LEGX - 5, T, LEGX + 165, legend_h + T - 10);
  y = legend_head(out, LEGX, y, "component");
  for (int c = 0; c < b->n_comp; c++, y += 18) {
    fprintf(out,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" "
            "fill=\"%s\"/>\n",
            LEGX, y - 10, pal_comp[c % N_COMP]);
    text(out, LEGX + 18, y, "start", NULL, b->comps[c]);
  }
  fputs("</g>\n", out);
  svg_close(out, NULL);
}

/* ---- roofline ------------------------------------------------------------ */

void rp_svg_roofline(FILE *out, const rp_roofline *r) {
  const double L = 110, T = 40, W = 500, H = 340, LEGX = L + W + 30;
  double peak = r->peak_ops_per_s, bw = r->dram_bytes_per_s, ridge = peak / bw;
  double xmn = ridge, xmx = ridge, ymn = peak, ymx = peak;
  for (int i = 0; i < r->n; i++) {
    if (!(r->intensity[i] > 0) || !isfinite(r->intensity[i]) ||
        !(r->ops_per_s[i] > 0))
      continue;
    xmn = fmin(xmn, r->intensity[i]);
    xmx = fmax(xmx, r->intensity[i]);
    ymn = fmin(ymn, r->ops_per_s[i]);
    ymx = fmax(ymx, r->ops_per_s[i]);
  }
  axis ax = {.p0 = L, .p1 = L + W, .unit = "ops/B"};
  axis ay = {.p0 = T + H, .p1 = T, .unit = "ops/s"};
  /* always log-log, at least a decade around the data and the ridge */
  ax.log = ay.log = 1;
  ax.lo = pow(10, floor(log10(xmn / 2)));
  ax.hi = pow(10, ceil(log10(xmx * 2)));
  ay.lo = pow(10, floor(log10(ymn / 2)));
  ay.hi = pow(10, ceil(log10(ymx * 2)));
  double legend_h = 4 * 18 + 20;
  svg_open(out, LEGX + 210, T + H + 60, r->title);
  ax_draw(out, &ax, 1, T, T + H);
  ax_draw(out, &ay, 0, L, L + W);
  frame(out, L, T, W, H);
  axis_titles(out, L, T, W, H,
              "operational intensity (ops per DRAM byte, log scale)",
              "attained throughput (ops/s, log scale)");
  /* bandwidth roof from where it enters the plot to the ridge, then flat */
  double x0 = fmax(ax.lo, ay.lo / bw);
  fprintf(out,
          "<polyline class=\"roof\" fill=\"none\" stroke=\"#D55E00\" "
          "stroke-width=\"2\" points=\"%.1f,%.1f %.1f,%.1f\"/>\n",
          ax_px(&ax, x0), ax_px(&ay, bw * x0), ax_px(&ax, ridge),
          ax_px(&ay, peak));
  fprintf(out,
          "<polyline class=\"roof\" fill=\"none\" stroke=\"#0072B2\" "
          "stroke-width=\"2\" points=\"%.1f,%.1f %.1f,%.1f\"/>\n",
          ax_px(&ax, ridge), ax_px(&ay, peak), ax_px(&ax, ax.hi),
          ax_px(&ay, peak));
  fprintf(out,
          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
          "stroke=\"#999999\" stroke-dasharray=\"2 3\"/>\n",
          ax_px(&ax, ridge), ax_px(&ay, peak), ax_px(&ax, ridge), T + H);
  int skipped = 0;
  for (int i = 0; i < r->n; i++) {
    if (!(r->intensity[i] > 0) || !isfinite(r->intensity[i]) ||
        !(r->ops_per_s[i] > 0)) {
      skipped++;
      continue;
    }
    char tip[256], a[48], b[48];
    fmt_si(a, sizeof a, r->ops_per_s[i], "ops/s");
    snprintf(b, sizeof b, "%.3g ops/B", r->intensity[i]);
    snprintf(tip, sizeof tip, "%s: %s at %s", r->names[i], a, b);
    fprintf(out,
            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#009E73\" "
            "fill-opacity=\"0.8\" stroke=\"#222222\"><title>",
            ax_px(&ax, r->intensity[i]), ax_px(&ay, r->ops_per_s[i]));
    rp_xml_escape(out, tip);
    fputs("</title></circle>\n", out);
  }
  double y = T + 10;
  char pk[48], bwl[64], rl[64];
  fmt_si(pk, sizeof pk, peak, "ops/s");
  fmt_si(bwl, sizeof bwl, bw, "B/s");
  snprintf(rl, sizeof rl, "ridge %.4g ops/B", ridge);
  fprintf(out, "<g class=\"legend\" data-box=\"%.0f %.0f %.0f %.0f\">\n",
          LEGX - 5, T, LEGX + 205, T + legend_h);
  y = legend_head(out, LEGX, y, "roofs");
  const char *cols[] = {"#0072B2", "#D55E00"};
  const char *labs[] = {pk, bwl};
  for (int i = 0; i < 2; i++, y += 18) {
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"%s\" stroke-width=\"2\"/>\n",
            LEGX, y - 4, LEGX + 14, y - 4, cols[i]);
    text(out, LEGX + 18, y, "start", NULL, labs[i]);
  }
  text(out, LEGX + 18, y, "start", NULL, rl);
  y += 18;
  marker(out, 0, LEGX + 7, y - 4, 4, "#009E73", NULL);
  text(out, LEGX + 18, y, "start", NULL, "layers");
  fputs("</g>\n", out);
  char note[96];
  snprintf(note, sizeof note,
           "%d layer(s) without DRAM traffic or time not "
           "shown",
           skipped);
  svg_close(out, skipped ? note : NULL);
}
