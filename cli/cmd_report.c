/* cmd_report.c — the report command: a sweep database's design points as
 * Pareto fronts, best designs under a constraint, a comparison against a
 * baseline and energy breakdowns, in text, CSV, JSON, Markdown or HTML
 * (docs/reports.md). */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "reports.h"
#include "sweep.h"

enum {
  R_DB,
  R_PARETO,
  R_WHERE,
  R_FORMAT,
  R_OUT,
  R_BASELINE,
  R_BEST,
  R_OBJECTIVE,
  R_BREAKDOWN,
  R_TITLE,
  R_BUSY,
  N_REPORT_OPTS
};

static const char report_usage[] =
    "--db FILE [--pareto OBJ,...|none] [--where EXPR] "
    "[--format table|csv|json|md|html]\n"
    "       [--out FILE] [--baseline ARCH] [--best-under CONSTRAINT "
    "[--objective OBJ]] [--breakdown]\n"
    "       [--title TEXT] [--busy-timeout SECONDS]";

/* Notes under the report: growable list of formatted lines. */
typedef struct notes {
  char **line;
  int n;
} notes;

static int note_add(notes *ns, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int note_add(notes *ns, const char *fmt, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  char **nl = realloc(ns->line, (size_t)(ns->n + 1) * sizeof *nl);
  if (!nl)
    return -1;
  ns->line = nl;
  if (!(nl[ns->n] = strdup(buf)))
    return -1;
  ns->n++;
  return 0;
}

static void notes_free(notes *ns) {
  for (int i = 0; i < ns->n; i++)
    free(ns->line[i]);
  free(ns->line);
}

/* "N of the selected points are infeasible and left out: arch a, arch b
 * (first reason)". */
static int note_infeasible(notes *ns, const rp_set *s, const int *bad, int nb,
                           const char *db) {
  if (!nb)
    return 0;
  int ac = rp_col(&s->attrs, RP_ARCH), ic = rp_col(&s->attrs, RP_INFEASIBLE);
  char by[1024] = "";
  size_t u = 0;
  for (int i = 0; i < nb; i++) {
    const char *a = rp_attr(s, bad[i], ac);
    int seen = 0, count = 0;
    for (int j = 0; j < nb; j++) {
      const char *b = rp_attr(s, bad[j], ac);
      int same = a && b && strcmp(a, b) == 0;
      seen |= same && j < i;
      count += same;
    }
    if (seen || !a || u >= sizeof by)
      continue;
    int k = snprintf(by + u, sizeof by - u, "%s%s %d", u ? ", " : "", a, count);
    if (k > 0)
      u += (size_t)k;
  }
  return note_add(ns,
                  "%d infeasible design point%s left out (%s); e.g. %s. "
                  "All reasons: sqlite3 %s \"SELECT arch, network, width, "
                  "precision, reason FROM points WHERE status = "
                  "'infeasible'\"",
                  nb, nb == 1 ? "" : "s", by, rp_attr(s, bad[0], ic), db);
}

typedef struct report_out {
  const rp_set *s;
  const rp_report_opts *ro;
  rp_format f;
  wr_err err; /* the report writer's own failure */
  int failed;
} report_out;

static int emit_report(FILE *f, const void *ctx) {
  report_out *r = (report_out *)ctx;
  r->failed = rp_report_write(r->s, r->ro, r->f, f, &r->err) != WR_OK;
  return r->failed ? -1 : 0;
}

/* The report on stdout, or written atomically (synced, then renamed) to
 * `path`. */
static int write_atomic(const rp_set *s, const rp_report_opts *ro, rp_format f,
                        const char *path, wr_err *e) {
  if (!path)
    return rp_report_write(s, ro, f, stdout, e);
  report_out r = {s, ro, f, {0}, 0};
  int rc = wr_write_atomic(path, emit_report, &r, e);
  if (rc && r.failed) {
    *e = r.err;
    rc = r.err.status;
  }
  return rc;
}

int cmd_report(int argc, char **argv) {
  cli_opt o[] = {
      {"db", "FILE", "the sweep database (required; opened read-only)", 0, NULL,
       0},
      {"pareto", "OBJ,...",
       "front objectives per workload (default energy,latency; none: all "
       "points)",
       0, NULL, 0},
      {"where", "EXPR",
       "only points matching, e.g. 'workload=alexnet, "
       "width>=2'",
       0, NULL, 0},
      {"format", "FMT", "table, csv, json, md or html (default table)", 0, NULL,
       0},
      {"out", "FILE", "write here (atomically) instead of stdout", 0, NULL, 0},
      {"baseline", "ARCH",
       "compare each front design with ARCH at the same workload, width, "
       "precision and varied parameters",
       0, NULL, 0},
      {"best-under", "CONSTRAINT",
       "best design per workload meeting it, e.g. 'area<=2'", 0, NULL, 0},
      {"objective", "OBJ", "what --best-under optimizes (default energy)", 0,
       NULL, 0},
      {"breakdown", NULL, "add the energy breakdown by component", 0, NULL, 0},
      {"title", "TEXT", "the report's title", 0, NULL, 0},
      CLI_BUSY_OPT};
  int rc = cli_parse("report", report_usage, argc, argv, o, N_REPORT_OPTS);
  if (rc) {
    cli_opts_free(o, N_REPORT_OPTS);
    return rc == 1 ? EXIT_OK : rc;
  }
  const char *db = cli_val(&o[R_DB]);
  const char *pareto = cli_val(&o[R_PARETO]);
  const char *where = cli_val(&o[R_WHERE]);
  const char *best = cli_val(&o[R_BEST]);
  const char *objective = cli_val(&o[R_OBJECTIVE]);
  const char *baseline = cli_val(&o[R_BASELINE]);
  wr_err e;
  rp_format f = RP_FMT_TABLE;
  rp_set *s = NULL;
  rp_db_info info;
  memset(&info, 0, sizeof info);
  rp_filter *filt = NULL, *cons = NULL;
  int *idx = NULL, *bad = NULL;
  notes ns = {NULL, 0};
  if (!db) {
    fprintf(stderr, "wrpnsim report: --db FILE is required (a database "
                    "written by 'wrpnsim sweep')\n");
    rc = EXIT_INPUT;
    goto done;
  }
  sweep_db_wait wait;
  cli_path in = {"--db", db, CLI_DB},
           out = {"--out", cli_val(&o[R_OUT]), CLI_FILE};
  if ((out.path && (rc = cli_check_output("report", &out, &in, 1))) ||
      (rc = cli_busy_timeout("report", cli_val(&o[R_BUSY]), &wait)))
    goto done;
  if (objective && !best) {
    fprintf(stderr, "wrpnsim report: --objective goes with --best-under\n");
    rc = EXIT_INPUT;
    goto done;
  }
  if (rp_format_parse(cli_val(&o[R_FORMAT]), &f, &e) ||
      (!(s = rp_set_new()) && wr_err_set(&e, WR_ENOMEM, "out of memory")) ||
      rp_db_read_wait(s, db, &wait, &info, &e)) {
    rc = cli_fail(&e);
    goto done;
  }
  rp_objective pobj[8], bobj = {-1, 0};
  int np = 0;
  if (!pareto)
    pareto = "energy,latency";
  if (strcmp(pareto, "none") != 0 && s->metrics.n &&
      rp_objectives_parse(s, pareto, "--pareto", pobj, 8, &np, &e)) {
    rc = cli_fail(&e);
    goto done;
  }
  if (where && !(filt = rp_filter_parse(s, where, "--where", &e))) {
    rc = cli_fail(&e);
    goto done;
  }
  if (best) {
    int nb = 0;
    if (!(cons = rp_filter_parse(s, best, "--best-under", &e)) ||
        rp_objectives_parse(s, objective ? objective : "energy", "--objective",
                            &bobj, 1, &nb, &e)) {
      rc = cli_fail(&e);
      goto done;
    }
  }
  int ac = rp_col(&s->attrs, RP_ARCH);
  idx = malloc((size_t)(s->n_points ? s->n_points : 1) * sizeof *idx);
  bad = malloc((size_t)(s->n_points ? s->n_points : 1) * sizeof *bad);
  if (!idx || !bad) {
    rc = EXIT_RUNTIME;
    fprintf(stderr, "wrpnsim: out of memory\n");
    goto done;
  }
  /* infeasible points are counted, not shown */
  int n = rp_select(s, filt, idx), nok = 0, nbad = 0,
      ic = rp_col(&s->attrs, RP_INFEASIBLE);
  for (int i = 0; i < n; i++) {
    if (rp_attr(s, idx[i], ic))
      bad[nbad++] = idx[i];
    else
      idx[nok++] = idx[i];
  }
  int acc = rp_col(&s->metrics, RP_ACCURACY), nacc = 0;
  for (int i = 0; i < nok; i++)
    nacc += acc >= 0 && !isnan(rp_metric(s, idx[i], acc));
  int bc = rp_col(&s->attrs, "batch");
  int err = note_add(&ns,
                     "energy_j, dram_bytes and the energy breakdown are per "
                     "inference; latency_s is the latency of a batch of %s "
                     "(per inference at batch 1); layers' figures are per "
                     "inference",
                     bc >= 0 ? "'batch' images" : "1 image");
  err = err ? err : note_infeasible(&ns, s, bad, nbad, db);
  err = err ? err
            : note_add(&ns,
                       "accuracy: %d of %d design point%s ha%s one%s; the "
                       "others have none, never an invented one",
                       nacc, nok, wr_plural(nok), nacc == 1 ? "s" : "ve",
                       info.n_sources ? " (from the sources below)" : "");
  for (int i = 0; i < info.n_sources && !err; i++) {
    rp_db_source *x = &info.sources[i];
    err = note_add(&ns, "accuracy_source '%s': %s%s%s%s%s (%d point%s)",
                   x->label, x->source, x->dataset ? ", " : "",
                   x->dataset ? x->dataset : "", x->metric ? " " : "",
                   x->metric ? x->metric : "", x->points, wr_plural(x->points));
    for (int k = 0; k < x->n_notes && !err; k++)
      err = note_add(&ns, "'%s' on %d of those points: %s", x->label,
                     x->noted[k], x->note[k]);
    if (!err && x->noted_other)
      err = note_add(&ns,
                     "'%s' on %d of those points: other caveats (see "
                     "points.accuracy_note)",
                     x->label, x->noted_other);
  }
  if (err) {
    rc = EXIT_RUNTIME;
    fprintf(stderr, "wrpnsim: out of memory\n");
    goto done;
  }
  /* a baseline shares these, the varied parameters included (and is
   * feasible: both lack "infeasible") */
  int match[8], nm = 0;
  const char *mnames[] = {RP_WORKLOAD, RP_WIDTH,     RP_PRECISION,
                          RP_PARAMS,   "batch",      "objective",
                          "fp32",      RP_INFEASIBLE};
  for (int i = 0; i < 8; i++)
    if (rp_col(&s->attrs, mnames[i]) >= 0)
      match[nm++] = rp_col(&s->attrs, mnames[i]);
  char title[512], source[1024];
  snprintf(title, sizeof title, "wrpnsim report: %s", db);
  snprintf(source, sizeof source, "%s (sweep %s; %d stored, %d infeasible)", db,
           info.sweeps ? info.sweeps : "?", info.points, info.infeasible);
  /* the roofs are for the rooflines; tables for reading leave them out */
  static const char *const roofs[] = {RP_PEAK_OPS, RP_DRAM_BW};
  rp_report_opts ro = {.title =
                           cli_val(&o[R_TITLE]) ? cli_val(&o[R_TITLE]) : title,
                       .source = source,
                       .where = where,
                       .idx = idx,
                       .n_idx = nok,
                       .pareto = pobj,
                       .n_pareto = np,
                       .breakdown = o[R_BREAKDOWN].n > 0,
                       .best_under = cons,
                       .best_text = best,
                       .best_group = rp_col(&s->attrs, RP_WORKLOAD),
                       .best_obj = bobj,
                       .baseline = baseline,
                       .baseline_attr = ac,
                       .match = match,
                       .n_match = nm,
                       .notes = (const char *const *)ns.line,
                       .n_notes = ns.n,
                       .hide = roofs,
                       .n_hide = f == RP_FMT_TABLE || f == RP_FMT_MD ? 2 : 0};
  if (write_atomic(s, &ro, f, cli_val(&o[R_OUT]), &e))
    rc = cli_fail(&e);
done:
  notes_free(&ns);
  free(idx);
  free(bad);
  rp_filter_free(filt);
  rp_filter_free(cons);
  rp_db_info_free(&info);
  rp_set_free(s);
  cli_opts_free(o, N_REPORT_OPTS);
  return rc;
}
