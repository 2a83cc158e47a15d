/* cmd_arch.c — the architecture commands: presets (list what ships) and
 * run (one network, or SCALE-Sim inputs, on one architecture: compute
 * cycles per layer with ideal memory). */
#include <inttypes.h>
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
  static const char *const cols[] = {"name",        "array",      "dataflow",
                                     "mac",         "modes",      "#clock_mhz",
                                     "#buffer_kib", "#dram_gbps", "source"};
  cli_table t;
  if (cli_table_init(&t, 9, cols))
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
    cli_table_row(&t, "%s\t%dx%d\t%s\t%s\t%s\t%g\t%g\t%g\t%s", a->name, a->rows,
                  a->cols, arch_dataflow_name(a->dataflow), mac, modes,
                  a->clock_mhz, kib, a->dram.gbps, a->source ? a->source : "");
    arch_free(a);
  }
  cli_table_print(&t, fmt, stdout);
  cli_table_free(&t);
  return EXIT_OK;
}

/* ---- run ---------------------------------------------------------------- */

enum { R_ARCH = N_NET_OPTS, R_BATCH, R_SS_CFG, R_SS_TOPO, N_RUN_OPTS };

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
    arch_gemm g = scalesim_gemm(&r.layers[i]);
    arch_compute c;
    if (arch_compute_cycles(r.rows, r.cols, r.dataflow, &g, 1.0, &c, &e)) {
      rc = cli_fail(&e);
      break;
    }
    total += c.cycles;
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

static int run_net(const arch *a, const wr_net *net, uint64_t batch,
                   cli_format fmt) {
  static const char *const cols[] = {
      "layer",       "prec", "mode",   "#macs",           "#m",
      "#n",          "#k",   "#folds", "#compute_cycles", "#mapping_efficiency",
      "#utilization"};
  cli_table t;
  if (cli_table_init(&t, 11, cols))
    return EXIT_RUNTIME;
  uint64_t total = 0, macs = 0;
  int rc = EXIT_OK;
  for (int i = 0; i < net->n_layers && rc == EXIT_OK; i++) {
    const wr_layer *l = &net->layers[i];
    if (l->kind != WR_CONV && l->kind != WR_FC)
      continue;
    wr_err e;
    wr_prec mode;
    arch_compute c;
    arch_gemm g = arch_layer_gemm(l, batch);
    if (arch_mode(a, l->prec, l->name, &mode, &e) ||
        arch_compute_cycles(a->rows, a->cols, a->dataflow, &g,
                            arch_macs_per_pe_cycle(a, mode), &c, &e)) {
      rc = cli_fail(&e);
      break;
    }
    uint64_t lm = l->macs * batch;
    double peak = (double)a->rows * a->cols * arch_macs_per_pe_cycle(a, mode);
    char p1[16], p2[16];
    cli_table_row(&t,
                  "%s\t%s\t%s\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
                  "\t%" PRIu64 "\t%" PRIu64 "\t%.4f\t%.4f",
                  l->name, wr_prec_str(l->prec, p1, sizeof p1),
                  wr_prec_str(mode, p2, sizeof p2), lm, g.m, g.n, g.k, c.folds,
                  c.cycles, c.mapping_efficiency,
                  (double)lm / ((double)(c.cycles + 1) * peak));
    total += c.cycles;
    macs += lm;
  }
  if (rc == EXIT_OK) {
    double secs = (double)total / (a->clock_mhz * 1e6);
    if (fmt == FMT_TABLE)
      printf("%s at width %g on %s (%dx%d %s, %s MACs, %g MHz), batch %" PRIu64
             ": compute cycles with ideal memory (DRAM traffic, stalls and "
             "energy are not modelled yet)\n\n",
             net->name, net->width, a->name, a->rows, a->cols,
             arch_dataflow_name(a->dataflow), arch_mac_family_name(a->family),
             a->clock_mhz, batch);
    cli_table_print(&t, fmt, stdout);
    if (fmt == FMT_TABLE)
      printf("\ntotal: %" PRIu64 " MACs, %" PRIu64
             " compute cycles, %.4f ms, %.1f inferences/s, %.3f TOPS "
             "(2 ops per MAC)\n",
             macs, total, secs * 1e3, (double)batch / secs,
             2.0 * (double)macs / secs / 1e12);
  }
  cli_table_free(&t);
  return rc;
}

int cmd_run(int argc, char **argv) {
  cli_opt o[] = {
      NET_OPTS,
      {"arch", "PRESET|FILE", "architecture preset or YAML file", 0, NULL, 0},
      {"batch", "N", "images per batch (default 1)", 0, NULL, 0},
      {"scalesim-cfg", "FILE.cfg",
       "a SCALE-Sim v2 config (with --scalesim-"
       "topology)",
       0, NULL, 0},
      {"scalesim-topology", "FILE.csv", "a SCALE-Sim v2 topology", 0, NULL, 0}};
  cli_format fmt;
  int rc = cli_parse_net_cmd(
      "run",
      "--arch PRESET|FILE --net NAME|FILE [--width K] [--prec A/W] [--batch "
      "N]\n       wrpnsim run --scalesim-cfg FILE.cfg --scalesim-topology "
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
  wr_net *net = rc ? NULL : cli_load_net(o, &rc);
  if (net) {
    wr_err e;
    arch *a = arch_open(cli_val(&o[R_ARCH]), &e);
    rc = a ? run_net(a, net, batch, fmt) : cli_fail(&e);
    arch_free(a);
    wr_net_free(net);
  }
  cli_opts_free(o, N_RUN_OPTS);
  return rc < 0 ? EXIT_OK : rc;
}
