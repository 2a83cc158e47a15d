/* cmd_arch.c — the architecture commands: presets (list what ships) and
 * run (one network, or SCALE-Sim inputs, on one architecture: compute
 * cycles per layer with ideal memory). */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "cli.h"

/* ---- presets ------------------------------------------------------------ */

static void modes_text(const arch *a, char *buf, size_t n) {
  if (a->n_precisions == 0) {
    snprintf(buf, n, "any A/W <= %d", a->native_bits);
    return;
  }
  size_t u = 0;
  for (int i = 0; i < a->n_precisions && u < n; i++) {
    char p[16];
    u += (size_t)snprintf(buf + u, n - u, "%s%s", i ? " " : "",
                          wr_prec_str(a->precisions[i], p, sizeof p));
  }
}

int cmd_presets(int argc, char **argv) {
  cli_format fmt;
  int rc = cli_parse_format_cmd("presets", argc, argv, &fmt);
  if (rc)
    return rc < 0 ? EXIT_OK : rc;
  static const char *const cols[] = {
      "name",       "array",       "dataflow",   "mac",      "modes",
      "#clock_mhz", "#buffer_kib", "#dram_gbps", "features", "source"};
  cli_table t;
  if (cli_table_init(&t, 10, cols))
    return EXIT_RUNTIME;
  for (size_t i = 0; i < arch_preset_count(); i++) {
    wr_err e;
    arch *a = arch_open(arch_preset_name(i), &e);
    if (!a) {
      cli_table_free(&t);
      return cli_fail(&e);
    }
    char mac[48], modes[512];
    double kib = 0;
    for (int b = 0; b < a->n_buffers; b++)
      kib += a->buffers[b].kib;
    if (a->native_bits)
      snprintf(mac, sizeof mac, "%s %d-bit", arch_mac_family_name(a->family),
               a->native_bits);
    else
      snprintf(mac, sizeof mac, "%s", arch_mac_family_name(a->family));
    modes_text(a, modes, sizeof modes);
    char feat[96] = "";
    snprintf(feat, sizeof feat, "%s%s%s", a->zero_gating ? "zero_gating " : "",
             a->zero_skipping ? "zero_skipping " : "",
             a->dyn_group ? "dynamic_precision" : "");
    cli_table_row(&t, "%s\t%dx%d\t%s\t%s\t%s\t%g\t%g\t%g\t%s\t%s", a->name,
                  a->rows, a->cols, arch_dataflow_name(a->dataflow), mac, modes,
                  a->clock_mhz, kib, a->dram.gbps, feat,
                  a->source ? a->source : "");
    arch_free(a);
  }
  cli_table_print(&t, fmt, stdout);
  cli_table_free(&t);
  return EXIT_OK;
}

/* ---- run ---------------------------------------------------------------- */

enum {
  R_ARCH = N_NET_OPTS,
  R_BATCH,
  R_OBJECTIVE,
  R_IDEAL,
  R_SS_CFG,
  R_SS_TOPO,
  R_TOTALS,
  N_RUN_OPTS
};

/* --totals of SCALE-Sim inputs: the layer count and total compute
 * cycles as one record. */
static int print_scalesim_total(int n_layers, uint64_t cycles, cli_format fmt) {
  static const char *const cols[] = {"#layers", "#cycles"};
  cli_table t;
  if (cli_table_init(&t, 2, cols) ||
      cli_table_row(&t, "%d\t%" PRIu64, n_layers, cycles)) {
    cli_table_free(&t);
    return EXIT_RUNTIME;
  }
  cli_table_print(&t, fmt, stdout);
  cli_table_free(&t);
  return EXIT_OK;
}

static int run_scalesim(const char *cfg, const char *topo, cli_format fmt,
                        int totals_only) {
  scalesim_run r;
  wr_err e;
  if (scalesim_load(cfg, topo, &r, &e))
    return cli_fail(&e);
  static const char *const cols[] = {"layer",   "#m",
                                     "#n",      "#k",
                                     "#folds",  "#cycles_per_fold",
                                     "#cycles", "#mapping_efficiency"};
  cli_table t;
  if (cli_table_init(&t, 8, cols)) {
    scalesim_free(&r);
    return EXIT_RUNTIME;
  }
  uint64_t total = 0;
  int rc = EXIT_OK;
  for (int i = 0; i < r.n_layers && rc == EXIT_OK; i++) {
    arch_gemm g;
    arch_compute c;
    if (scalesim_layer_cycles(&r, i, &g, &c, &e)) {
      rc = cli_fail(&e);
      break;
    }
    if (__builtin_add_overflow(total, c.cycles, &total)) { /* issue 8 */
      wr_err_at(&e, topo, r.layers[i].line, 0,
                "layer '%s': the total compute cycles exceed 2^64 (too large)",
                r.layers[i].name);
      rc = cli_fail(&e);
      break;
    }
    cli_table_row(&t,
                  "%s\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
                  "\t%" PRIu64 "\t%" PRIu64 "\t%.4f",
                  r.layers[i].name, g.m, g.n, g.k, c.folds, c.cycles_per_fold,
                  c.cycles, c.mapping_efficiency);
  }
  if (rc == EXIT_OK) {
    if (fmt == FMT_TABLE)
      printf("SCALE-Sim inputs %s + %s: %dx%d %s array, compute cycles with "
             "ideal memory (as SCALE-Sim reports them with no stalls)\n\n",
             cfg, topo, r.rows, r.cols, arch_dataflow_name(r.dataflow));
    if (totals_only)
      rc = print_scalesim_total(r.n_layers, total, fmt);
    else
      cli_table_print(&t, fmt, stdout);
    if (fmt == FMT_TABLE && !totals_only)
      printf("\ntotal: %" PRIu64 " cycle%s\n", total,
             wr_plural((long long)total));
  }
  cli_table_free(&t);
  scalesim_free(&r);
  return rc;
}

/* A growing tab-separated row. */
typedef struct rowbuf {
  char s[4096];
  size_t n;
} rowbuf;

static void put(rowbuf *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(rowbuf *r, const char *fmt, ...) {
  if (r->n >= sizeof r->s)
    return;
  va_list ap;
  va_start(ap, fmt);
  if (r->n)
    r->s[r->n++] = '\t';
  int k = vsnprintf(r->s + r->n, sizeof r->s - r->n, fmt, ap);
  va_end(ap);
  if (k > 0)
    r->n += (size_t)k;
  if (r->n > sizeof r->s - 1)
    r->n = sizeof r->s - 1;
}

/* One row: a layer, or the totals (l == NULL). */
static void layer_row(cli_table *t, const arch *a, const wr_net *net,
                      const arch_layer_result *l, const arch_net_result *tot) {
  rowbuf r = {.n = 0};
  char p1[16], p2[16], map[96];
  const arch_energy *en = l ? &l->energy : &tot->energy;
  if (l) {
    int conv = l->kind == WR_CONV || l->kind == WR_FC;
    put(&r, "%s", net->layers[l->layer].name);
    put(&r, "%s", wr_kind_name((wr_kind)l->kind));
    put(&r, "%s", conv ? wr_prec_str(l->prec, p1, sizeof p1) : "-");
    put(&r, "%s", conv ? wr_prec_str(l->mode, p2, sizeof p2) : "-");
    put(&r, "%" PRIu64, l->macs);
    put(&r, "%" PRIu64, l->compute_cycles);
    put(&r, "%" PRIu64, l->dram_stall + l->buffer_stall);
    put(&r, "%" PRIu64, l->cycles);
    put(&r, "%.4f", l->utilization);
    for (int k = 0; k < ARCH_N_TT; k++)
      put(&r, "%" PRIu64, l->dram_read[k]);
    put(&r, "%" PRIu64, l->dram_write);
    for (int b = 0; b < a->n_buffers; b++)
      put(&r, "%.0f", l->buf_bytes[b]);
  } else {
    put(&r, "total");
    put(&r, "-");
    put(&r, "-");
    put(&r, "-");
    put(&r, "%" PRIu64, tot->macs);
    put(&r, "%" PRIu64, tot->compute_cycles);
    put(&r, "%" PRIu64, tot->stall_cycles);
    put(&r, "%" PRIu64, tot->cycles);
    put(&r, "%.4f",
        tot->peak_ops_per_s > 0
            ? 2.0 * (double)tot->macs / tot->seconds / tot->peak_ops_per_s
            : 0.0);
    uint64_t rd[ARCH_N_TT] = {0};
    double bb[ARCH_MAX_BUFFERS] = {0};
    for (int i = 0; i < tot->n_layers; i++) {
      for (int k = 0; k < ARCH_N_TT; k++)
        rd[k] += tot->layers[i].dram_read[k];
      for (int b = 0; b < a->n_buffers; b++)
        bb[b] += tot->layers[i].buf_bytes[b];
    }
    for (int k = 0; k < ARCH_N_TT; k++)
      put(&r, "%" PRIu64, rd[k]);
    put(&r, "%" PRIu64, tot->dram_write);
    for (int b = 0; b < a->n_buffers; b++)
      put(&r, "%.0f", bb[b]);
  }
  /* energies in uJ */
  put(&r, "%.4f", en->mac * 1e-6);
  put(&r, "%.4f", en->rf * 1e-6);
  for (int b = 0; b < a->n_buffers; b++)
    put(&r, "%.4f", en->buf[b] * 1e-6);
  put(&r, "%.4f", en->dram * 1e-6);
  put(&r, "%.4f", en->stat * 1e-6);
  put(&r, "%.4f", en->total * 1e-6);
  if (l && (l->kind == WR_CONV || l->kind == WR_FC)) {
    put(&r, "%.2f", l->intensity);
    put(&r, "%s", l->memory_bound ? "memory" : "compute");
    put(&r, "%s", arch_mapping_str(&l->map, map, sizeof map));
  } else {
    put(&r, "%s", "");
    put(&r, "%s", l ? "memory" : "");
    put(&r, "%s", "");
  }
  cli_table_row(t, "%s", r.s);
}

/* How many layers of `res` ran in the widest mode (arch_layer_result's
 * `widest`). */
static int n_widest(const arch_net_result *res) {
  int n = 0;
  for (int i = 0; i < res->n_layers; i++)
    n += res->layers[i].widest != 0;
  return n;
}

/* The layers no mode of `a` covers, counted in its widest mode (the
 * `mode` column shows it): one note, after the table's heading (table
 * format) or on stderr (csv, json: the data stays parsable). */
static void widest_note(const arch *a, const wr_net *net,
                        const arch_net_result *res, cli_format fmt) {
  char names[256] = "", wm[16];
  size_t u = 0;
  int n = 0;
  for (int i = 0; i < res->n_layers; i++) {
    if (!res->layers[i].widest)
      continue;
    if (n < 6 && u < sizeof names)
      u += (size_t)snprintf(names + u, sizeof names - u, "%s%s", n ? ", " : "",
                            net->layers[res->layers[i].layer].name);
    n++;
  }
  if (!n)
    return;
  FILE *f = fmt == FMT_TABLE ? stdout : stderr;
  fprintf(f,
          "%snote: %d layer%s (%s%s) run%s at a precision no mode of %s "
          "covers (FP32 or wider): counted in its widest mode %s "
          "(fp32_layers: widest, docs/arch.md)\n%s",
          fmt == FMT_TABLE ? "" : "wrpnsim: ", n, n == 1 ? "" : "s", names,
          n > 6 ? ", ..." : "", n == 1 ? "s" : "", a->name,
          wr_prec_str(arch_widest_mode(a), wm, sizeof wm),
          fmt == FMT_TABLE ? "\n" : "");
}

static int run_net(const arch *a, const wr_net *net, const arch_eval_opts *opt,
                   cli_format fmt) {
  arch_net_result res;
  wr_err e;
  if (arch_eval_net(a, net, opt, &res, &e))
    return cli_fail(&e);
  /* columns: fixed, then per buffer */
  static const char *const head[] = {"layer",
                                     "kind",
                                     "prec",
                                     "mode",
                                     "#macs",
                                     "#compute_cycles",
                                     "#stall_cycles",
                                     "#cycles",
                                     "#utilization",
                                     "#dram_rd_input_bytes",
                                     "#dram_rd_weight_bytes",
                                     "#dram_rd_psum_bytes",
                                     "#dram_wr_bytes"};
  enum { NHEAD = 13 };
  const char *cols[NHEAD + 2 * ARCH_MAX_BUFFERS + 11];
  char names[2 * ARCH_MAX_BUFFERS][96];
  int nc = 0;
  for (int i = 0; i < NHEAD; i++)
    cols[nc++] = head[i];
  for (int b = 0; b < a->n_buffers; b++) {
    snprintf(names[b], sizeof names[b], "#%s_bytes", a->buffers[b].name);
    cols[nc++] = names[b];
  }
  cols[nc++] = "#e_mac_uj";
  cols[nc++] = "#e_rf_uj";
  for (int b = 0; b < a->n_buffers; b++) {
    snprintf(names[ARCH_MAX_BUFFERS + b], sizeof names[0], "#e_%s_uj",
             a->buffers[b].name);
    cols[nc++] = names[ARCH_MAX_BUFFERS + b];
  }
  cols[nc++] = "#e_dram_uj";
  cols[nc++] = "#e_static_uj";
  cols[nc++] = "#e_total_uj";
  cols[nc++] = "#ops_per_byte";
  cols[nc++] = "bound";
  cols[nc++] = "mapping";
  cli_table t;
  if (cli_table_init(&t, nc, cols)) {
    arch_net_result_free(&res);
    return EXIT_RUNTIME;
  }
  for (int i = 0; i < res.n_layers; i++)
    layer_row(&t, a, net, &res.layers[i], &res);
  layer_row(&t, a, net, NULL, &res);
  if (fmt == FMT_TABLE)
    printf("%s at width %g on %s (%dx%d %s, %s MACs, %g MHz, tech %s), "
           "batch %" PRIu64 ", objective %s%s\n\n",
           net->name, net->width, a->name, a->rows, a->cols,
           arch_dataflow_name(a->dataflow), arch_mac_family_name(a->family),
           a->clock_mhz, a->tech, opt->batch,
           arch_objective_name(opt->objective),
           opt->ideal_memory ? ", ideal memory (compute cycles only)" : "");
  widest_note(a, net, &res, fmt);
  cli_table_print(&t, fmt, stdout);
  if (fmt == FMT_TABLE) {
    const arch_area *ar = &res.area;
    printf("\nlatency %.4f ms (%" PRIu64 " cycles: %" PRIu64
           " compute, %" PRIu64 " stall), %.1f inferences/s, %.3f TOPS "
           "(2 ops per MAC)\n",
           res.seconds * 1e3, res.cycles, res.compute_cycles, res.stall_cycles,
           res.inferences_per_s, res.tops);
    printf("energy %.4f mJ per batch (%.4f mJ per inference), %.3f TOPS/W; "
           "DRAM %.3f MB read, %.3f MB written\n",
           res.energy.total * 1e-9,
           res.energy.total * 1e-9 / (double)opt->batch, res.tops_per_w,
           (double)res.dram_read / 1e6, (double)res.dram_write / 1e6);
    printf("energy breakdown: MAC %.1f%%, RF %.1f%%",
           100 * res.energy.mac / res.energy.total,
           100 * res.energy.rf / res.energy.total);
    for (int b = 0; b < a->n_buffers; b++)
      printf(", %s %.1f%%", a->buffers[b].name,
             100 * res.energy.buf[b] / res.energy.total);
    printf(", DRAM %.1f%%, static %.1f%%\n",
           100 * res.energy.dram / res.energy.total,
           100 * res.energy.stat / res.energy.total);
    printf("roofs: compute %.3f TOPS, DRAM %.2f GB/s (ridge %.1f ops/byte)\n",
           res.peak_ops_per_s / 1e12, res.dram_bytes_per_s / 1e9,
           res.peak_ops_per_s / res.dram_bytes_per_s);
    printf("area %.3f mm^2: PE array %.3f (%.1f um^2 per PE: %s)",
           ar->total_mm2, ar->array_mm2, ar->pe_um2, ar->pe_source);
    if (ar->rf_mm2 > 0)
      printf(", register files %.3f", ar->rf_mm2);
    for (int b = 0; b < a->n_buffers; b++)
      printf(", %s %.3f", a->buffers[b].name, ar->buf_mm2[b]);
    printf(" (buffers: %s)\n", ar->sram_source);
  }
  cli_table_free(&t);
  arch_net_result_free(&res);
  return EXIT_OK;
}

/* ---- run: totals, and several designs compared ------------------------ */

enum { RUN_MAX_DESIGNS = 16 }; /* designs in one comparison */

/* One design of a run: its architecture and results. */
typedef struct run_design {
  arch *a;
  const char *arg; /* the --arch value */
  char label[96];  /* the architecture's name, "#k" added when it repeats */
  arch_net_result res;
} run_design;

/* The distinct buffer names of the designs, in order of appearance. */
typedef struct buf_names {
  const char *name[8 * ARCH_MAX_BUFFERS];
  int n;
} buf_names;

static void buf_names_of(const run_design *d, int nd, buf_names *bn) {
  bn->n = 0;
  for (int i = 0; i < nd; i++)
    for (int b = 0; b < d[i].a->n_buffers; b++) {
      int k = 0;
      while (k < bn->n && strcmp(bn->name[k], d[i].a->buffers[b].name) != 0)
        k++;
      if (k == bn->n && bn->n < (int)(sizeof bn->name / sizeof *bn->name))
        bn->name[bn->n++] = d[i].a->buffers[b].name;
    }
}

/* Index of buffer `name` in `a`, or -1. */
static int buf_index(const arch *a, const char *name) {
  for (int b = 0; b < a->n_buffers; b++)
    if (strcmp(a->buffers[b].name, name) == 0)
      return b;
  return -1;
}

/* Puts x / first with printf format `fmt`, or an empty cell (null in
 * JSON) when first is 0: a ratio to nothing is undefined. */
static void put_ratio(rowbuf *w, const char *fmt, double x, double first) {
  if (first > 0) {
    char v[64];
    snprintf(v, sizeof v, fmt, x / first);
    put(w, "%s", v);
  } else {
    put(w, "%s", "");
  }
}

/* The totals of every design, one record each: every figure the run table
 * prints under its layers (energies in uJ per batch, as the layer rows),
 * and the ratios of the main figures to the first design's.  Returns 0 or
 * EXIT_RUNTIME (out of memory; t is then freed). */
static int totals_table(const run_design *d, int nd, const arch_eval_opts *opt,
                        cli_table *t) {
  static const char *const head[] = {"design",
                                     "arch",
                                     "#batch",
                                     "#macs",
                                     "#cycles",
                                     "#compute_cycles",
                                     "#stall_cycles",
                                     "#latency_ms",
                                     "#inferences_per_s",
                                     "#tops",
                                     "#tops_per_w",
                                     "#energy_uj",
                                     "#energy_per_inference_uj",
                                     "#e_mac_uj",
                                     "#e_rf_uj"};
  enum { NHEAD = 15 };
  buf_names bn;
  buf_names_of(d, nd, &bn);
  const char *cols[NHEAD + 2 * 8 * ARCH_MAX_BUFFERS + 32];
  char names[2 * 8 * ARCH_MAX_BUFFERS][96];
  int nc = 0;
  for (int i = 0; i < NHEAD; i++)
    cols[nc++] = head[i];
  for (int b = 0; b < bn.n; b++) {
    snprintf(names[b], sizeof names[b], "#e_%s_uj", bn.name[b]);
    cols[nc++] = names[b];
  }
  static const char *const mid[] = {"#e_dram_uj",
                                    "#e_static_uj",
                                    "#dram_read_mb",
                                    "#dram_written_mb",
                                    "#peak_tops",
                                    "#dram_gbps",
                                    "#ridge_ops_per_byte",
                                    "#area_mm2",
                                    "#array_mm2",
                                    "#pe_um2",
                                    "#rf_mm2"};
  for (size_t i = 0; i < sizeof mid / sizeof *mid; i++)
    cols[nc++] = mid[i];
  for (int b = 0; b < bn.n; b++) {
    snprintf(names[8 * ARCH_MAX_BUFFERS + b], sizeof names[0], "#%s_mm2",
             bn.name[b]);
    cols[nc++] = names[8 * ARCH_MAX_BUFFERS + b];
  }
  static const char *const tail[] = {"#latency_x",    "#energy_x", "#tops_x",
                                     "#tops_per_w_x", "#area_x",   "pe_source",
                                     "sram_source"};
  for (size_t i = 0; i < sizeof tail / sizeof *tail; i++)
    cols[nc++] = tail[i];
  if (cli_table_init(t, nc, cols)) {
    cli_table_free(t);
    return EXIT_RUNTIME;
  }
  const arch_net_result *f = &d[0].res;
  for (int i = 0; i < nd; i++) {
    const arch_net_result *r = &d[i].res;
    const arch *a = d[i].a;
    rowbuf w = {.n = 0};
    put(&w, "%s", d[i].label);
    put(&w, "%s", d[i].arg);
    put(&w, "%" PRIu64, opt->batch);
    put(&w, "%" PRIu64, r->macs);
    put(&w, "%" PRIu64, r->cycles);
    put(&w, "%" PRIu64, r->compute_cycles);
    put(&w, "%" PRIu64, r->stall_cycles);
    put(&w, "%.10g", r->seconds * 1e3);
    put(&w, "%.10g", r->inferences_per_s);
    put(&w, "%.10g", r->tops);
    put(&w, "%.10g", r->tops_per_w);
    put(&w, "%.10g", r->energy.total * 1e-6);
    put(&w, "%.10g", r->energy.total * 1e-6 / (double)opt->batch);
    put(&w, "%.10g", r->energy.mac * 1e-6);
    put(&w, "%.10g", r->energy.rf * 1e-6);
    for (int b = 0; b < bn.n; b++) {
      int k = buf_index(a, bn.name[b]);
      if (k < 0)
        put(&w, "%s", "");
      else
        put(&w, "%.10g", r->energy.buf[k] * 1e-6);
    }
    put(&w, "%.10g", r->energy.dram * 1e-6);
    put(&w, "%.10g", r->energy.stat * 1e-6);
    put(&w, "%.10g", (double)r->dram_read / 1e6);
    put(&w, "%.10g", (double)r->dram_write / 1e6);
    put(&w, "%.10g", r->peak_ops_per_s / 1e12);
    put(&w, "%.10g", r->dram_bytes_per_s / 1e9);
    put(&w, "%.10g", r->peak_ops_per_s / r->dram_bytes_per_s);
    put(&w, "%.10g", r->area.total_mm2);
    put(&w, "%.10g", r->area.array_mm2);
    put(&w, "%.10g", r->area.pe_um2);
    put(&w, "%.10g", r->area.rf_mm2);
    for (int b = 0; b < bn.n; b++) {
      int k = buf_index(a, bn.name[b]);
      if (k < 0)
        put(&w, "%s", "");
      else
        put(&w, "%.10g", r->area.buf_mm2[k]);
    }
    put_ratio(&w, "%.10g", r->seconds, f->seconds);
    put_ratio(&w, "%.10g", r->energy.total, f->energy.total);
    put_ratio(&w, "%.10g", r->tops, f->tops);
    put_ratio(&w, "%.10g", r->tops_per_w, f->tops_per_w);
    put_ratio(&w, "%.10g", r->area.total_mm2, f->area.total_mm2);
    put(&w, "%s", r->area.pe_source ? r->area.pe_source : "");
    put(&w, "%s", r->area.sram_source ? r->area.sram_source : "");
    if (cli_table_row(t, "%s", w.s)) {
      cli_table_free(t);
      return EXIT_RUNTIME;
    }
  }
  return 0;
}

/* Prints the totals record of each design side by side: one line per
 * figure, one column per design, then each design's ratio to the first
 * (the record's *_x columns and its text columns are left out). */
static int totals_print_side(const cli_table *t, const run_design *d, int nd,
                             FILE *out) {
  const char *cols[2 + 2 * RUN_MAX_DESIGNS];
  char names[2 * RUN_MAX_DESIGNS][200];
  int nc = 0;
  cols[nc++] = "figure";
  for (int i = 0; i < nd; i++) {
    snprintf(names[i], sizeof names[i], "#%s", d[i].label);
    cols[nc++] = names[i];
  }
  for (int i = 1; i < nd; i++) {
    snprintf(names[RUN_MAX_DESIGNS + i], sizeof names[0], "#%s/%s", d[i].label,
             d[0].label);
    cols[nc++] = names[RUN_MAX_DESIGNS + i];
  }
  cli_table s;
  if (cli_table_init(&s, nc, cols)) {
    cli_table_free(&s);
    return EXIT_RUNTIME;
  }
  const rp_table *rt = t->t;
  int rc = 0;
  for (int c = 0; c < rt->ncols && !rc; c++) {
    size_t len = strlen(rt->head[c]);
    if (!rt->numeric[c] ||
        (len > 2 && strcmp(rt->head[c] + len - 2, "_x") == 0))
      continue;
    rowbuf w = {.n = 0};
    put(&w, "%s", rt->head[c]);
    const char *first = rt->cells[c];
    for (int i = 0; i < nd; i++) {
      const char *v = rt->cells[(size_t)i * (size_t)rt->ncols + (size_t)c];
      if (!*v)
        put(&w, "%s", "-");
      else if (strpbrk(v, ".e")) /* a real: 6 digits are enough to read */
        put(&w, "%.6g", strtod(v, NULL));
      else
        put(&w, "%s", v);
    }
    for (int i = 1; i < nd; i++) {
      const char *v = rt->cells[(size_t)i * (size_t)rt->ncols + (size_t)c];
      double x = strtod(v, NULL), y = strtod(first, NULL);
      if (*v && *first && y != 0)
        put(&w, "%.4f", x / y);
      else
        put(&w, "%s", "-");
    }
    rc = cli_table_row(&s, "%s", w.s);
  }
  if (!rc)
    cli_table_print(&s, FMT_TABLE, out);
  cli_table_free(&s);
  return rc;
}

/* Per layer the cycles and energy (uJ per batch) on each design, and each
 * design's ratios to the first; then a total row.  The designs ran the same
 * network, so their layers are the same.  Returns 0 or EXIT_RUNTIME. */
static int compare_layers_table(const wr_net *net, const run_design *d, int nd,
                                cli_table *t) {
  const char *cols[3 + 5 * RUN_MAX_DESIGNS];
  char names[5 * RUN_MAX_DESIGNS][128];
  int nc = 0, nn = 0;
  cols[nc++] = "layer";
  cols[nc++] = "kind";
  cols[nc++] = "prec";
  for (int i = 0; i < nd; i++) {
    snprintf(names[nn], sizeof names[0], "%s_mode", d[i].label);
    cols[nc++] = names[nn++];
    snprintf(names[nn], sizeof names[0], "#%s_cycles", d[i].label);
    cols[nc++] = names[nn++];
    snprintf(names[nn], sizeof names[0], "#%s_e_uj", d[i].label);
    cols[nc++] = names[nn++];
  }
  for (int i = 1; i < nd; i++) {
    snprintf(names[nn], sizeof names[0], "#%s_cycles_x", d[i].label);
    cols[nc++] = names[nn++];
    snprintf(names[nn], sizeof names[0], "#%s_energy_x", d[i].label);
    cols[nc++] = names[nn++];
  }
  if (cli_table_init(t, nc, cols)) {
    cli_table_free(t);
    return EXIT_RUNTIME;
  }
  const arch_net_result *f = &d[0].res;
  for (int l = 0; l <= f->n_layers; l++) {
    int tot = l == f->n_layers;
    rowbuf w = {.n = 0};
    char p[16];
    if (tot) {
      put(&w, "total");
      put(&w, "-");
      put(&w, "-");
    } else {
      const arch_layer_result *x = &f->layers[l];
      int conv = x->kind == WR_CONV || x->kind == WR_FC;
      put(&w, "%s", net->layers[x->layer].name);
      put(&w, "%s", wr_kind_name((wr_kind)x->kind));
      put(&w, "%s", conv ? wr_prec_str(x->prec, p, sizeof p) : "-");
    }
    for (int i = 0; i < nd; i++) {
      const arch_net_result *r = &d[i].res;
      const arch_layer_result *x = tot ? NULL : &r->layers[l];
      put(&w, "%s",
          x && (x->kind == WR_CONV || x->kind == WR_FC)
              ? wr_prec_str(x->mode, p, sizeof p)
              : "-");
      put(&w, "%" PRIu64, tot ? r->cycles : r->layers[l].cycles);
      put(&w, "%.4f",
          (tot ? r->energy.total : r->layers[l].energy.total) * 1e-6);
    }
    for (int i = 1; i < nd; i++) {
      const arch_net_result *r = &d[i].res;
      double c0 = (double)(tot ? f->cycles : f->layers[l].cycles);
      double e0 = tot ? f->energy.total : f->layers[l].energy.total;
      double c = (double)(tot ? r->cycles : r->layers[l].cycles);
      double en = tot ? r->energy.total : r->layers[l].energy.total;
      put_ratio(&w, "%.4f", c, c0);
      put_ratio(&w, "%.4f", en, e0);
    }
    if (cli_table_row(t, "%s", w.s)) {
      cli_table_free(t);
      return EXIT_RUNTIME;
    }
  }
  return 0;
}

/* `run` with --totals or several --arch: evaluates `net` on every design,
 * then prints the totals (side by side in a table, one record per design
 * in CSV and JSON) and, without --totals, the layers of each side by
 * side. */
static int run_designs(const char *const *archs, int nd, const wr_net *net,
                       const arch_eval_opts *opt, cli_format fmt,
                       int totals_only) {
  if (nd > RUN_MAX_DESIGNS) {
    fprintf(stderr, "wrpnsim run: at most %d --arch in one comparison\n",
            RUN_MAX_DESIGNS);
    return EXIT_INPUT;
  }
  run_design d[RUN_MAX_DESIGNS];
  memset(d, 0, sizeof d);
  int rc = EXIT_OK, ok = 0;
  wr_err e;
  for (int i = 0; i < nd && rc == EXIT_OK; i++) {
    d[i].arg = archs[i];
    if (!(d[i].a = arch_open(archs[i], &e)) ||
        arch_eval_net(d[i].a, net, opt, &d[i].res, &e)) {
      rc = cli_fail(&e);
      break;
    }
    ok = i + 1;
    int same = 0;
    for (int j = 0; j < i; j++)
      same += strcmp(d[j].a->name, d[i].a->name) == 0;
    if (same)
      snprintf(d[i].label, sizeof d[i].label, "%s#%d", d[i].a->name, same + 1);
    else
      snprintf(d[i].label, sizeof d[i].label, "%s", d[i].a->name);
    if (d[i].res.n_layers != d[0].res.n_layers) {
      fprintf(stderr, "wrpnsim run: %s and %s evaluated different layers\n",
              archs[0], archs[i]);
      rc = EXIT_RUNTIME;
    }
  }
  /* cli_fail never returns EXIT_OK: past here every design is open */
  assert(rc != EXIT_OK || ok == nd);
  cli_table tt, lt;
  int have_tt = 0, have_lt = 0;
  if (rc == EXIT_OK)
    have_tt = (rc = totals_table(d, nd, opt, &tt)) == EXIT_OK;
  if (rc == EXIT_OK && !totals_only)
    have_lt = (rc = compare_layers_table(net, d, nd, &lt)) == EXIT_OK;
  if (rc == EXIT_OK && fmt == FMT_TABLE) {
    printf("%s at width %g, batch %" PRIu64 ", objective %s%s: %d design%s\n",
           net->name, net->width, opt->batch,
           arch_objective_name(opt->objective),
           opt->ideal_memory ? ", ideal memory (compute cycles only)" : "", nd,
           wr_plural(nd));
    for (int i = 0; i < nd; i++) {
      const arch *a = d[i].a;
      printf("  %s: %s (%dx%d %s, %s MACs, %g MHz, tech %s)\n", d[i].label,
             d[i].arg, a->rows, a->cols, arch_dataflow_name(a->dataflow),
             arch_mac_family_name(a->family), a->clock_mhz, a->tech);
    }
    /* each design's layers that ran in its widest mode, as run says them
       for one design (a note ends in a blank line) */
    int noted = 0;
    for (int i = 0; i < nd; i++)
      if (n_widest(&d[i].res)) {
        if (!noted)
          putchar('\n');
        widest_note(d[i].a, net, &d[i].res, fmt);
        noted = 1;
      }
    const char *nl = noted ? "" : "\n";
    if (nd > 1)
      printf("%stotals (energies in uJ per batch; ratios to %s)\n\n", nl,
             d[0].label);
    else
      printf("%stotals (energies in uJ per batch)\n\n", nl);
    rc = totals_print_side(&tt, d, nd, stdout);
    if (!rc && have_lt) {
      printf("\nper layer: cycles and energy (uJ per batch)\n\n");
      cli_table_print(&lt, FMT_TABLE, stdout);
    }
  } else if (rc == EXIT_OK) {
    for (int i = 0; i < nd; i++)
      widest_note(d[i].a, net, &d[i].res, fmt); /* to stderr */
    cli_table_print(have_lt ? &lt : &tt, fmt, stdout);
  }
  if (have_tt)
    cli_table_free(&tt);
  if (have_lt)
    cli_table_free(&lt);
  for (int i = 0; i < nd; i++) {
    if (i < ok)
      arch_net_result_free(&d[i].res);
    arch_free(d[i].a);
  }
  return rc;
}

int cmd_run(int argc, char **argv) {
  cli_opt o[] = {
      NET_OPTS,
      {"arch", "PRESET|FILE",
       "architecture preset or YAML file (repeatable: the designs "
       "compared, with ratios to the first)",
       1, NULL, 0},
      {"batch", "N", "images per batch (default 1)", 0, NULL, 0},
      {"objective", "OBJ",
       "what the mapper minimizes: energy (default), cycles, edp, dram", 0,
       NULL, 0},
      {"ideal-memory", NULL,
       "unbounded buffers and bandwidth: compute cycles only (SCALE-Sim)", 0,
       NULL, 0},
      {"scalesim-cfg", "FILE.cfg",
       "a SCALE-Sim v2 config (with --scalesim-"
       "topology)",
       0, NULL, 0},
      {"scalesim-topology", "FILE.csv", "a SCALE-Sim v2 topology", 0, NULL, 0},
      {"totals", NULL,
       "only the totals (every figure under the table; in CSV and JSON one "
       "record per design) instead of the layers",
       0, NULL, 0}};
  cli_format fmt;
  int rc = cli_parse_net_cmd(
      "run",
      "--arch PRESET|FILE --net NAME|FILE [--width K] [--prec A/W] [--batch "
      "N] [--objective energy|cycles|edp|dram] [--ideal-memory] [--totals] "
      "[...]\n"
      "       wrpnsim run --arch A --arch B [--arch C]... --net NAME|FILE "
      "[...]   (a comparison)\n"
      "       wrpnsim run --scalesim-cfg FILE.cfg --scalesim-topology "
      "FILE.csv [--totals]",
      argc, argv, o, N_RUN_OPTS, &fmt);
  const char *cfg = cli_val(&o[R_SS_CFG]), *topo = cli_val(&o[R_SS_TOPO]);
  unsigned long long batch = 1;
  if (!rc && (cfg || topo)) {
    if (!cfg || !topo || cli_val(&o[R_ARCH]) || cli_val(&o[O_NET])) {
      fprintf(stderr, "wrpnsim run: --scalesim-cfg and --scalesim-topology go "
                      "together, without --arch and --net\n");
      rc = EXIT_INPUT;
    } else {
      rc = run_scalesim(cfg, topo, fmt, o[R_TOTALS].n > 0);
    }
    cli_opts_free(o, N_RUN_OPTS);
    return rc < 0 ? EXIT_OK : rc;
  }
  if (!rc && !cli_val(&o[R_ARCH])) {
    fprintf(stderr, "wrpnsim run: --arch is required (a preset from "
                    "'wrpnsim presets', or an architecture file)\n");
    rc = EXIT_INPUT;
  }
  if (!rc && cli_val(&o[R_BATCH]))
    rc = cli_u64("batch", cli_val(&o[R_BATCH]), 1, 1ULL << 32, &batch);
  arch_eval_opts opt = {batch, ARCH_OBJ_ENERGY, o[R_IDEAL].n > 0};
  if (!rc && cli_val(&o[R_OBJECTIVE])) {
    wr_err e;
    if (arch_objective_parse(cli_val(&o[R_OBJECTIVE]), "--objective",
                             &opt.objective, &e))
      rc = cli_fail(&e);
  }
  wr_net *net = rc ? NULL : cli_load_net(o, &rc);
  if (net) {
    wr_err e;
    if (o[R_ARCH].n > 1 || o[R_TOTALS].n) {
      rc = run_designs(o[R_ARCH].vals, o[R_ARCH].n, net, &opt, fmt,
                       o[R_TOTALS].n > 0);
    } else {
      arch *a = arch_open(cli_val(&o[R_ARCH]), &e);
      rc = a ? run_net(a, net, &opt, fmt) : cli_fail(&e);
      arch_free(a);
    }
    wr_net_free(net);
  }
  cli_opts_free(o, N_RUN_OPTS);
  return rc < 0 ? EXIT_OK : rc;
}
