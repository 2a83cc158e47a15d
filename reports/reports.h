/*
 * reports.h — design-space reports: a set of design points, Pareto fronts
 * over any objectives, filters, the best design per group under a
 * constraint, comparison against a baseline, and output as a text table,
 * CSV, JSON, Markdown or one self-contained HTML page with inline SVG
 * plots.
 *
 * Everything here works on in-memory data (an rp_set), whatever store it
 * came from.  Functions that can fail take a `wr_err *` and return a
 * status (WR_OK on success); nothing prints except to a FILE * the caller
 * passes, nothing exits.  docs/reports.md describes the formats and the
 * semantics of fronts with ties.
 */
#ifndef WRPNSIM_REPORTS_H
#define WRPNSIM_REPORTS_H

#include <stdio.h>

#include "arch.h"
#include "workloads.h"

/* ---- design points ----------------------------------------------------- */

/* Well-known names.  Metrics are per inference, in base SI units (or
 * the unit in the name); any other name may be used as well. */
#define RP_WORKLOAD "workload"   /* attribute: network name */
#define RP_ARCH "arch"           /* attribute: architecture name */
#define RP_PRECISION "precision" /* attribute: A/W */
#define RP_WIDTH "width"         /* attribute: width multiplier */
#define RP_ID "id"               /* attribute: a design's name (optional) */
#define RP_PARAMS "params" /* attribute: varied parameters, "a.b=1 c.d=2" */
#define RP_ENERGY "energy_j"
#define RP_LATENCY "latency_s"
#define RP_DRAM "dram_bytes"
#define RP_AREA "area_mm2"
#define RP_ACCURACY "accuracy"        /* top-1, percent; often missing */
#define RP_PEAK_OPS "peak_ops_per_s"  /* compute roof (2 ops per MAC) */
#define RP_DRAM_BW "dram_bytes_per_s" /* bandwidth roof */
#define RP_OPS "ops"                  /* layer metric: 2 x MACs */

/* A list of column names; a name's index is its column. */
typedef struct rp_names {
  char **name;
  int n, cap;
} rp_names;

/* One layer of a design: numeric metrics by rp_set.lmetrics (NaN when
 * missing) and energy by component, rp_set.comps (0 when absent). */
typedef struct rp_layer {
  char *name;
  double *metric;
  int n_metric;
  double *energy_j;
  int n_energy;
} rp_layer;

/* One design point: attributes by rp_set.attrs (NULL when unset),
 * metrics by rp_set.metrics (NaN when missing), energy by component
 * (joules, 0 when absent) and its layers (may be none). */
typedef struct rp_point {
  char **attr;
  int n_attr;
  double *metric;
  int n_metric;
  double *energy_j;
  int n_energy;
  rp_layer *layers;
  int n_layers, cap_layers;
} rp_point;

/* A set of design points.  The column lists grow as values are set;
 * a point has no value for a column it never set. */
typedef struct rp_set {
  rp_names attrs, metrics, comps, lmetrics;
  rp_point *points;
  int n_points, cap_points;
} rp_set;

/* A new empty set, or NULL when out of memory.  Free with rp_set_free. */
rp_set *rp_set_new(void);
void rp_set_free(rp_set *s);

/* Index of `name` in `names`, or -1. */
int rp_col(const rp_names *names, const char *name);

/* Appends a point; returns its index, or -1 with WR_ENOMEM in `e`. */
int rp_add_point(rp_set *s, wr_err *e);
/* Setters: the column is created on first use.  WR_ENOMEM on failure,
 * the set left valid.  `p` and `l` must be valid indices. */
int rp_set_attr(rp_set *s, int p, const char *name, const char *value,
                wr_err *e);
int rp_set_metric(rp_set *s, int p, const char *name, double v, wr_err *e);
int rp_set_energy(rp_set *s, int p, const char *component, double joules,
                  wr_err *e);
/* Appends a layer to point p; returns its index or -1 (WR_ENOMEM). */
int rp_add_layer(rp_set *s, int p, const char *name, wr_err *e);
int rp_set_layer_metric(rp_set *s, int p, int l, const char *name, double v,
                        wr_err *e);
int rp_set_layer_energy(rp_set *s, int p, int l, const char *component,
                        double joules, wr_err *e);

/* Getters: NULL / NaN / 0 when the column is -1 or the value unset. */
const char *rp_attr(const rp_set *s, int p, int col);
double rp_metric(const rp_set *s, int p, int col);
double rp_energy(const rp_set *s, int p, int comp);
double rp_layer_metric(const rp_set *s, int p, int l, int col);
double rp_layer_energy(const rp_set *s, int p, int l, int comp);

/* The name of point p, the one every table, CSV, JSON and plot shows:
 * its "id" attribute if set, else "arch params workload xW A/W" from the
 * attributes it has (params as stored, e.g. "bitfusion-like
 * buffers.wbuf.kib=128 alexnet x1 4/4"), then "name=value" for every
 * other attribute it has (batch, objective, fp32, ...: the values a sweep
 * varied), except accuracy_source and infeasible.  Writes at most n bytes
 * (NUL-terminated) and returns buf. */
char *rp_point_label(const rp_set *s, int p, char *buf, size_t n);
enum { RP_LABEL_MAX = 512 }; /* a buffer that holds any usual label */

/* Adds the evaluation `r` of `net` (widened, precisions applied) on `a`
 * as a point: attributes workload, arch, width, precision (the caller's
 * text, e.g. "4/2") and batch; metrics per batch of r->batch images:
 * energy_j, latency_s, dram_bytes, area_mm2, macs, cycles,
 * peak_ops_per_s, dram_bytes_per_s, tops_per_w; energy by component (mac,
 * rf, each buffer by name, dram, static); one layer per evaluated layer
 * with latency_s, energy_j, dram_bytes, ops (2 per MAC), macs, cycles and
 * its energy components.  Returns the point's index, or -1 (WR_ENOMEM). */
int rp_add_eval(rp_set *s, const arch *a, const wr_net *net,
                const char *precision, const arch_net_result *r, wr_err *e);

/* ---- objectives and Pareto fronts ---------------------------------------- */

typedef struct rp_objective {
  int metric;   /* column in rp_set.metrics */
  int maximize; /* 1: larger is better */
} rp_objective;

/* Resolves a metric name or alias: energy -> energy_j, latency ->
 * latency_s, dram -> dram_bytes, area -> area_mm2; otherwise the name
 * itself.  Returns the column or -1. */
int rp_metric_col(const rp_set *s, const char *name);

/* Parses a comma-separated list of objectives, each "NAME", "min:NAME",
 * "max:NAME" (or "min NAME" / "max NAME").  A bare name is minimized,
 * except accuracy and rates (names ending in per_s, tops, tops_per_w,
 * utilization), which are maximized.  At most `max` objectives.
 * WR_EINPUT naming `what` and the problem on an unknown metric, an empty
 * item or a repeated objective. */
int rp_objectives_parse(const rp_set *s, const char *list, const char *what,
                        rp_objective *out, int max, int *n, wr_err *e);

/* Writes "min energy_j" etc. into buf; returns buf. */
char *rp_objective_str(const rp_set *s, const rp_objective *o, char *buf,
                       size_t n);

/* The Pareto front of n points with k objectives, values row-major
 * (vals[i * k + j]); objective j is maximized when maximize[j] (NULL: all
 * minimized).  A point is on the front unless another point is at least
 * as good in every objective and strictly better in one; points equal in
 * every objective are therefore all on the front or all off it.  A point
 * with a NaN objective is excluded: on_front[i] = 0 and it is counted in
 * *n_missing (may be NULL).  k = 1 keeps the minima, k = 2 is an
 * O(n log n) sweep, k >= 3 a sort-filter pass (O(n log n + n f k), f the
 * front size).  Returns the front size, or -1 (WR_ENOMEM, WR_EINPUT for
 * k < 1). */
long rp_pareto_values(const double *vals, size_t n, int k, const int *maximize,
                      unsigned char *on_front, size_t *n_missing, wr_err *e);

/* The front of the points idx[0..n) of s over obj[0..k): writes the
 * indices of the points on it to front (capacity n), sorted by the first
 * objective (best first), then the next ones, then index; *n_front its
 * size and *n_missing (may be NULL) how many points lack an objective. */
int rp_pareto(const rp_set *s, const int *idx, int n, const rp_objective *obj,
              int k, int *front, int *n_front, int *n_missing, wr_err *e);

/* ---- filters, best designs, baselines ------------------------------------ */

/* A filter: comparisons joined by "," or " and ", all of which must
 * hold.  Each is NAME OP VALUE with OP one of = == != < <= > >=.  NAME is
 * an attribute (= and != match a glob, the others compare numerically)
 * or a metric or its alias (numeric; a point missing the metric does not
 * match).  Opaque; free with rp_filter_free. */
typedef struct rp_filter rp_filter;

/* Parses expr; NULL with WR_EINPUT "<what>: ..." on a syntax error or an
 * unknown name. */
rp_filter *rp_filter_parse(const rp_set *s, const char *expr, const char *what,
                           wr_err *e);
int rp_filter_match(const rp_filter *f, const rp_set *s, int p);
void rp_filter_free(rp_filter *f);

/* Writes the indices of the points matching f (NULL: all) to idx
 * (capacity s->n_points); returns their count.  Can't fail. */
int rp_select(const rp_set *s, const rp_filter *f, int *idx);

/* The best design of each group: the points idx[0..n) are grouped by the
 * value of attribute `group` (in order of first appearance; points
 * without it form one group, and -1 puts every point in one); in each,
 * among the points matching `constraint` (NULL: all) and having a value
 * for obj, best[g] is the best by obj (ties: the first in idx), or -1
 * when none qualifies; first[g] is the group's first point.  Arrays have
 * capacity n.  Returns the number of groups, or -1: WR_EINPUT when obj is
 * not a metric column of s or group neither -1 nor an attribute column,
 * WR_ENOMEM (first and best then left as they were). */
int rp_best(const rp_set *s, const int *idx, int n, int group,
            const rp_filter *constraint, const rp_objective *obj, int *first,
            int *best, wr_err *e);

/* The baseline of point p: the first point whose attribute `attr` equals
 * `name` and whose attributes match[0..n_match) equal p's (both unset
 * counts as equal).  Returns its index or -1. */
int rp_find_baseline(const rp_set *s, int p, int attr, const char *name,
                     const int *match, int n_match);

/* ---- output -------------------------------------------------------------- */

typedef enum {
  RP_FMT_TABLE,
  RP_FMT_CSV,
  RP_FMT_JSON,
  RP_FMT_MD,
  RP_FMT_HTML
} rp_format;

/* Parses table|csv|json|md|html (NULL: table); WR_EINPUT otherwise. */
int rp_format_parse(const char *s, rp_format *out, wr_err *e);

/* A table of text cells: a report's section, or a result table of its own
 * (the CLI's). */
typedef struct rp_table {
  char *key;   /* JSON key of a section (NULL: a table on its own) */
  char *title; /* heading of a section (NULL: a table on its own) */
  char *note;  /* a line under the heading, or NULL */
  int ncols;
  char **head;
  int *numeric; /* per column: right-aligned, unquoted in JSON */
  char **cells; /* nrows x ncols, row-major; "" for no value */
  int nrows, cap;
} rp_table;

/* A new table without rows.  Columns: names, a leading '#' marking a
 * numeric column; everything is copied.  NULL when out of memory.  Free
 * with rp_table_free (NULL is fine). */
rp_table *rp_table_new(const char *key, const char *title, int ncols,
                       const char *const *cols);
/* Appends a row of ncols cells, copied (NULL: no value).  WR_ENOMEM on
 * failure, the table left as it was. */
int rp_table_row(rp_table *t, const char *const *cells, wr_err *e);
void rp_table_free(rp_table *t);
/* Prints the table on its own: RP_FMT_CSV a header line and a line per
 * row; RP_FMT_JSON an array of one object per row, numeric columns
 * unquoted (null when empty), and a newline; any other format the header
 * and rows as aligned text columns (numeric ones right-aligned).  No
 * heading or note.  Can't fail but for a text table out of memory, then
 * nothing is printed. */
void rp_table_print(const rp_table *t, rp_format f, FILE *out);

/* What a report holds.  Zeroed fields ask for nothing. */
typedef struct rp_report_opts {
  const char *title;  /* page title and heading (NULL: a default) */
  const char *source; /* where the points come from (e.g. a file) */
  const char *where;  /* the filter's text, to show (may be NULL) */
  const int *idx;     /* the selected points */
  int n_idx;
  const rp_objective *pareto; /* front objectives; n_pareto = 0: all points */
  int n_pareto;
  int breakdown;               /* add the energy breakdown by component */
  const rp_filter *best_under; /* with best_text: best design per group */
  const char *best_text;
  int best_group; /* attribute column to group by */
  rp_objective best_obj;
  const char *baseline; /* value of baseline_attr naming the baseline; each
                           design of the points section (the front) is
                           compared with its baseline */
  int baseline_attr;
  const int *match; /* attributes a baseline must share */
  int n_match;
  int max_designs;          /* designs drawn in layer plots (0: 4) */
  const char *const *notes; /* lines shown after the sections (text, md,
                               HTML) or as "notes" (JSON); not in CSV */
  int n_notes;
  const char *const *hide; /* attributes and metrics left out of the points
                              table (still used by the plots) */
  int n_hide;
} rp_report_opts;

/* Writes the report to out.  Text, Markdown and HTML hold every section
 * asked for; JSON an object with one array per section; CSV holds one
 * table only: the best designs, the comparison or the breakdown when
 * exactly one of them is asked for, else the points (or the front).
 * WR_EINPUT when CSV is asked for more than one of those, WR_ENOMEM.
 * The HTML page is self-contained (inline CSS and SVG, no scripts, no
 * external references) and well-formed XML. */
int rp_report_write(const rp_set *s, const rp_report_opts *o, rp_format f,
                    FILE *out, wr_err *e);

/* ---- sweep databases (reports/db.c) ------------------------------------ */

#define RP_INFEASIBLE "infeasible"      /* attribute: why, when it is */
#define RP_ACC_SOURCE "accuracy_source" /* attribute: short citation */

#define RP_SOURCE_NOTES 4

/* Where the accuracies of a database's points come from. */
typedef struct rp_db_source {
  char *source;  /* the citation as stored */
  char *label;   /* the short form in the accuracy_source attribute */
  char *dataset; /* e.g. "imagenet" (may be NULL) */
  char *metric;  /* e.g. "top1" (may be NULL) */
  int points;    /* points with an accuracy from it */
  /* the distinct caveats stored with some of those points, in the order
     first read, and how many points carry each (a caveat beyond the
     RP_SOURCE_NOTES-th is counted in noted_other) */
  char *note[RP_SOURCE_NOTES];
  int noted[RP_SOURCE_NOTES];
  int n_notes;
  int noted_other;
} rp_db_source;

typedef struct rp_db_info {
  int points;     /* rows read */
  int infeasible; /* of those, stored as infeasible */
  char *sweeps;   /* the sweeps' names, comma-separated */
  rp_db_source *sources;
  int n_sources;
} rp_db_info;

/* Reads the sweep database at `path` (docs/sweep.md; opened read-only,
 * nothing written) into s, one point per stored point, ordered by
 * workload, width, precision (widest bits first), arch, parameters, batch
 * and key.  Attributes: workload (the network's name), width, precision,
 * arch, and when the database has them: params (varied architecture
 * parameters), batch, objective (the mapper's), fp32, accuracy_source;
 * infeasible points get only attributes and "infeasible" (the reason).
 * Metrics: energy_j and dram_bytes per inference (the batch's divided by
 * the batch), latency_s of the whole batch (per inference at batch 1),
 * area_mm2, accuracy (NaN when the database has none; never invented),
 * peak_ops_per_s and dram_bytes_per_s; the energy breakdown per inference.
 * Layers: latency_s, energy_j, dram_bytes, ops, macs per inference (the
 * batch's divided by the batch, so that ops/s and ops per byte are those
 * of the batch).  WR_EINPUT naming the file for a missing file, a file
 * that is not SQLite or not a sweep database, or another schema version;
 * WR_ERUNTIME for database errors.  `info` (may be NULL) receives counts
 * and accuracy sources; free with rp_db_info_free. */
int rp_db_read(rp_set *s, const char *path, rp_db_info *info, wr_err *e);
/* rp_db_read waiting for another process's lock as `w` says (sweep.h;
 * NULL: the default timeout, silently); a lock held past it is
 * WR_ERUNTIME, a file not intact (truncated, damaged) WR_EINPUT naming
 * its absolute path. */
struct sweep_db_wait;
int rp_db_read_wait(rp_set *s, const char *path, const struct sweep_db_wait *w,
                    rp_db_info *info, wr_err *e);
void rp_db_info_free(rp_db_info *info);

#endif
