/* reports_internal.h — what the files of reports/ share and nothing else
 * uses: name helpers, sorting, section tables, a report's sections and the
 * SVG plots. */
#ifndef WRPNSIM_REPORTS_INTERNAL_H
#define WRPNSIM_REPORTS_INTERNAL_H

#include <stdio.h>

#include "reports.h"

/* points.c */
const char *rp_metric_alias(const char *name);
int rp_metric_maximized(const char *name);
void rp_trim_copy(const char *a, const char *b, char *buf, size_t n);
/* rp_point_label, without the workload when no_workload (a plot of one
 * workload). */
char *rp_label(const rp_set *s, int p, int no_workload, char *buf, size_t n);

/* select.c: groups the points idx[0..n) by the value of attribute col
 * (points without it, and every point when col is -1, share one group),
 * in order of first appearance: grp[i] is the group of idx[i], first[g]
 * the first point of group g (both of capacity n).  Returns the number
 * of groups.  Can't fail. */
int rp_group(const rp_set *s, const int *idx, int n, int col, int *grp,
             int *first);

/* pareto.c: sorts idx[0..n) by the objectives (best first; missing
 * values last), then by index. */
int rp_sort_by(const rp_set *s, int *idx, int n, const rp_objective *obj, int k,
               wr_err *e);

/* ---- table.c: a table as one section of a report ----------------------- */
int rp_table_note(rp_table *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes the table as a section: heading (the title, which must be set)
 * and note as the format allows; JSON as an array one level into the
 * report's object. */
void rp_table_write(const rp_table *t, rp_format f, FILE *out);

/* Text escapes the writers share: XML text and attributes, a JSON string
 * literal, and one CSV field, quoted (RFC 4180) when it holds a comma,
 * quote or line break. */
void rp_xml_escape(FILE *out, const char *s);
void rp_json_string(FILE *out, const char *s);
void rp_csv_field(FILE *out, const char *s);
/* A number as text: %.6g, "" for NaN. */
void rp_num(char *buf, size_t n, double v);

/* ---- report.c: a report, its sections built before anything is written */
enum { RP_SEC_POINTS, RP_SEC_BREAKDOWN, RP_SEC_BEST, RP_SEC_COMPARE, RP_N_SEC };

typedef struct rp_report {
  const rp_set *s;
  const rp_report_opts *o;
  rp_table *sec[RP_N_SEC]; /* NULL: a section not asked for */
  int *front; /* the points section: front (or all), grouped by workload */
  int n_front;
  wr_err *e;
} rp_report;

/* The energy components with a nonzero value in any of pts (layers = 0:
 * the designs' totals, else every layer of each); writes their columns
 * to used and returns how many. */
int rp_used_comps(const rp_set *s, const int *pts, int n, int layers,
                  int *used);

/* html.c: the report r as one HTML page (rp_report_write's HTML). */
int rp_html_write(rp_report *r, FILE *out);

/* ---- svg.c: plots ------------------------------------------------------- */

/* How to show a metric on an axis: a title and a unit ("" for none);
 * units J, s, B, ops/s, B/s get SI prefixes on the ticks. */
typedef struct rp_axis_info {
  const char *title;
  const char *unit;
} rp_axis_info;
rp_axis_info rp_metric_info(const char *name);

typedef struct rp_scatter_point {
  double x, y;
  int color, shape, size; /* indices into the legends */
  int front;              /* drawn solid and labelled */
  const char *label;      /* its name on the plot (front points) */
  const char *tip;        /* its full design, for the tooltip and list */
} rp_scatter_point;

/* A scatter: colour, shape and marker size each encode one attribute
 * (legends right of the plot).  Every marker has a <title> tooltip: the
 * point's tip and its x and y.  Front points are labelled with their
 * label, or when labels would collide, numbered along the front and
 * listed under the plot with their tips and figures. */
typedef struct rp_scatter {
  const char *title;
  rp_axis_info x, y;
  const rp_scatter_point *pts;
  int n;
  const char *color_title; /* legend headings and entries */
  const char *const *colors;
  int n_colors;
  const char *shape_title;
  const char *const *shapes;
  int n_shapes;
  const char *size_title;
  const char *const *sizes;
  int n_sizes;
  const char *note; /* under the plot, or NULL */
} rp_scatter;

enum { RP_N_COLORS = 8 }; /* colours of a scatter; more repeat */

void rp_svg_scatter(FILE *out, const rp_scatter *sc);

/* Horizontal stacked bars: n_rows rows of n_comp values (row-major). */
typedef struct rp_bars {
  const char *title;
  rp_axis_info x;
  const char *const *rows;
  int n_rows;
  const char *const *comps;
  int n_comp;
  const double *v;
} rp_bars;

void rp_svg_bars(FILE *out, const rp_bars *b);

/* Roofline: layers at (ops per DRAM byte, ops/s) under the roofs. */
typedef struct rp_roofline {
  const char *title;
  double peak_ops_per_s, dram_bytes_per_s;
  const double *intensity, *ops_per_s;
  const char *const *names;
  int n;
} rp_roofline;

void rp_svg_roofline(FILE *out, const rp_roofline *r);

#endif
