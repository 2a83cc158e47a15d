/* cmd_arch.c — the architecture commands: presets (list what ships) and
 * run (one network, or SCALE-Sim inputs, on one architecture: compute
 * cycles per layer with ideal memory). */
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
      "name",        "array",      "dataflow", "mac",   "modes", "#clock_mhz",
      "#buffer_kib", "#dram_gbps", "features", "source"};
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
  N_RUN_OPTS
};

static int run_scalesim(const char *cfg, const char *topo, cli_format fmt) {
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
    cli_table_print(&t, fmt, stdout);
    if (fmt == FMT_TABLE)
      printf("\ntotal: %" PRIu64 " cycles\n", total);
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
    put(&r, "%.4f", tot->peak_ops_per_s > 0 ? 2.0 * (double)tot->macs /
                                                  tot->seconds /
                                                  tot->peak_ops_per_s
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

static int run_net(const arch *a, const wr_net *net,
                   const arch_eval_opts *opt, cli_format fmt) {
  arch_net_result res;
  wr_err e;
  if (arch_eval_net(a, net, opt, &res, &e))
    return cli_fail(&e);
  /* columns: fixed, then per buffer */
  static const char *const head[] = {
      "layer",          "kind",        "prec",        "mode",
      "#macs",          "#compute_cycles", "#stall_cycles", "#cycles",
      "#utilization",   "#dram_rd_input_bytes", "#dram_rd_weight_bytes",
      "#dram_rd_psum_bytes", "#dram_wr_bytes"};
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
           res.seconds * 1e3, res.cycles, res.compute_cycles,
           res.stall_cycles, res.inferences_per_s, res.tops);
    printf("energy %.4f mJ per batch (%.4f mJ per inference), %.3f TOPS/W; "
           "DRAM %.3f MB read, %.3f MB written\n",
           res.energy.total * 1e-9,
           res.energy.total * 1e-9 / (double)opt->batch, res.tops_per_w,
           (double)res.dram_read / 1e6, (double)res.dram_write / 1e6);
    printf("energy breakdown: MAC %.1f%%, RF %.1f%%", 100 * res.energy.mac /
           res.energy.total, 100 * res.energy.rf / res.energy.total);
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

int cmd_run(int argc, char **argv) {
  cli_opt o[] = {
      NET_OPTS,
      {"arch", "PRESET|FILE", "architecture preset or YAML file", 0, NULL, 0},
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
      {"scalesim-topology", "FILE.csv", "a SCALE-Sim v2 topology", 0, NULL, 0}};
  cli_format fmt;
  int rc = cli_parse_net_cmd(
      "run",
      "--arch PRESET|FILE --net NAME|FILE [--width K] [--prec A/W] [--batch "
      "N] [--objective energy|cycles|edp|dram] [--ideal-memory]\n       wrpnsim run --scalesim-cfg FILE.cfg --scalesim-topology "
      "FILE.csv",
      argc, argv, o, N_RUN_OPTS, &fmt);
  const char *cfg = cli_val(&o[R_SS_CFG]), *topo = cli_val(&o[R_SS_TOPO]);
  unsigned long long batch = 1;
  if (!rc && (cfg || topo)) {
    if (!cfg || !topo || cli_val(&o[R_ARCH]) || cli_val(&o[O_NET])) {
      fprintf(stderr, "wrpnsim run: --scalesim-cfg and --scalesim-topology go "
                      "together, without --arch and --net\n");
      rc = EXIT_INPUT;
    } else {
      rc = run_scalesim(cfg, topo, fmt);
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
    arch *a = arch_open(cli_val(&o[R_ARCH]), &e);
    rc = a ? run_net(a, net, &opt, fmt) : cli_fail(&e);
    arch_free(a);
    wr_net_free(net);
  }
  cli_opts_free(o, N_RUN_OPTS);
  return rc < 0 ? EXIT_OK : rc;
}
