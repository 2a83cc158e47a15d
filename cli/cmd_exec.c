/* cmd_exec.c — `wrpnsim exec` (bit-accurate execution on real inputs:
 * accuracy and per-layer statistics, optional dumps of every layer's
 * output) and `wrpnsim weights` (seeded synthetic weights as .npz). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "sim.h"

/* Progress on stderr (a sim_progress_fn): a rewritten line on a terminal,
 * otherwise a plain line every 10 seconds. */
typedef struct progress {
  double start, last;
  int tty;
} progress;

static void progress_show(void *ctx, int64_t done, int64_t total, int final) {
  progress *p = ctx;
  double t = wr_now_s();
  if (!final && t - p->last < (p->tty ? 0.25 : 10.0))
    return;
  p->last = t;
  double rate = (double)done / (t - p->start > 1e-9 ? t - p->start : 1e-9);
  double eta = rate > 0 ? (double)(total - done) / rate : 0;
  fprintf(stderr,
          "%sexec: %" PRId64 "/%" PRId64 " image%s, %.1f images/s, "
          "%s %.0f s%s",
          p->tty ? "\r" : "", done, total, wr_plural(total), rate,
          final ? "took" : "ETA", final ? t - p->start : eta,
          p->tty && !final ? "" : "\n");
  fflush(stderr);
}

/* ---- exec --------------------------------------------------------------- */

enum {
  E_WEIGHTS = N_NET_OPTS,
  E_SYNTH,
  E_DATA,
  E_TRAIN,
  E_LIMIT,
  E_ACC,
  E_OVF,
  E_RQ,
  E_RQ_SHIFT,
  E_RQ_MULT,
  E_RQ_ROUND,
  E_DUMP,
  E_JOBS,
  E_ARCH,
  E_OBJECTIVE,
  N_EXEC_OPTS
};

/* --requant and its parameters into cfg; the exit code of a usage error. */
static int parse_requant(cli_opt *o, sim_config *cfg) {
  const char *kind = cli_val(&o[E_RQ]);
  unsigned long long v;
  wr_err e;
  if (kind && strcmp(kind, wr_requant_names[WR_RQ_FIXED]) == 0) {
    cfg->requant = WR_RQ_FIXED;
  } else if (kind && strcmp(kind, wr_requant_names[WR_RQ_FLOAT]) != 0) {
    fprintf(stderr, "wrpnsim: --requant: '%s' is not float or fixed\n", kind);
    return EXIT_INPUT;
  }
  int fixed_opts = o[E_RQ_SHIFT].n + o[E_RQ_MULT].n + o[E_RQ_ROUND].n;
  if (fixed_opts && cfg->requant != WR_RQ_FIXED) {
    fprintf(stderr, "wrpnsim exec: --rq-shift, --rq-mult-bits and "
                    "--rq-round go with --requant fixed\n");
    return EXIT_INPUT;
  }
  if (cli_val(&o[E_RQ_SHIFT])) {
    if (cli_u64("rq-shift", cli_val(&o[E_RQ_SHIFT]), 1, 62, &v))
      return EXIT_INPUT;
    cfg->rq_shift = (int)v;
  }
  if (cli_val(&o[E_RQ_MULT])) {
    if (cli_u64("rq-mult-bits", cli_val(&o[E_RQ_MULT]), 2, 63, &v))
      return EXIT_INPUT;
    cfg->rq_mult_bits = (int)v;
  }
  if (cli_val(&o[E_RQ_ROUND]) &&
      wr_round_parse(cli_val(&o[E_RQ_ROUND]), &cfg->rq_round, &e))
    return cli_fail(&e);
  return 0;
}

static int load_data(const char *spec, int train, int64_t limit, wr_dataset *d,
                     wr_err *e) {
  if (strcmp(spec, "fashion-mnist") == 0)
    return wr_dataset_fashion_mnist(WR_FASHION_MNIST_DIR, train, limit, d, e);
  if (train)
    return wr_err_set(e, WR_EINPUT,
                      "--train applies to --data fashion-mnist only");
  return wr_dataset_npy(spec, limit, d, e);
}

/* "b:fraction" for the bit lengths present. */
static void histogram(const uint64_t *bitlen, uint64_t n, char *buf,
                      size_t cap) {
  size_t used = 0;
  buf[0] = 0;
  for (int b = 0; b <= WR_MAX_INT_BITS && n; b++)
    if (bitlen[b] && used < cap)
      used +=
          (size_t)snprintf(buf + used, cap - used, "%s%d:%.3f", used ? " " : "",
                           b, (double)bitlen[b] / (double)n);
}

static void print_stats(const wr_net *net, const sim_layer_stats *st,
                        int64_t images, int64_t correct, int labelled,
                        cli_format fmt) {
  static const char *const cols[] = {
      "#index",     "name",         "kind",           "out",
      "#values",    "#zero_frac",   "#mean_bits",     "bit_lengths",
      "#overflows", "#requantized", "#rq_mismatches", "#images",
      "#top1"};
  cli_table t;
  if (cli_table_init(&t, 13, cols))
    return;
  char top1[32] = "";
  if (labelled)
    snprintf(top1, sizeof top1, "%.6f", (double)correct / (double)images);
  for (int i = 0; i < net->n_layers; i++) {
    const sim_layer_stats *s = &st[i];
    char out[16], zf[32] = "", mb[32] = "", hist[256] = "";
    if (wr_bits_is_int(s->out_bits)) {
      snprintf(out, sizeof out, "%d-bit", s->out_bits);
      double sum = 0;
      for (int b = 0; b <= WR_MAX_INT_BITS; b++)
        sum += (double)b * (double)s->bitlen[b];
      histogram(s->bitlen, s->values, hist, sizeof hist);
      snprintf(zf, sizeof zf, "%.4f",
               (double)s->zero_codes / (double)s->values);
      snprintf(mb, sizeof mb, "%.3f", sum / (double)s->values);
    } else {
      snprintf(out, sizeof out, "fp32");
    }
    cli_table_row(&t,
                  "%d\t%s\t%s\t%s\t%" PRIu64 "\t%s\t%s\t%s\t%" PRIu64
                  "\t%" PRIu64 "\t%" PRIu64 "\t%" PRId64 "\t%s",
                  i, net->layers[i].name, wr_kind_name(net->layers[i].kind),
                  out, s->values, zf, mb, hist, s->overflows, s->requantized,
                  s->rq_mismatch, images, top1);
  }
  if (fmt == FMT_TABLE) {
    if (labelled)
      printf("%s: top-1 accuracy %.2f %% (%" PRId64 " of %" PRId64
             " image%s)\n\n",
             net->name, 100.0 * (double)correct / (double)images, correct,
             images, wr_plural(images));
    else
      printf("%s: %" PRId64 " image%s (no labels)\n\n", net->name, images,
             wr_plural(images));
  }
  cli_table_print(&t, fmt, stdout);
  cli_table_free(&t);
}

/* The architecture's counts both ways, per layer and in total. */
static void print_cosim(const sim_cosim *c, int64_t correct, int labelled,
                        cli_format fmt) {
  static const char *const cols[] = {
      "layer",           "kind",           "mode",           "#cycles",
      "#cycles_meas",    "#cycles_min",    "#cycles_max",    "#energy_uj",
      "#energy_meas_uj", "#energy_min_uj", "#energy_max_uj", "#e_mac_uj",
      "#e_mac_meas_uj",  "#nz_act",        "#nz_mac",        "#group_bits",
      "#macs_gated",     "#macs_skipped",  "in_bit_lengths"};
  cli_table t;
  if (cli_table_init(&t, 19, cols))
    return;
  double n = (double)c->images;
  const arch_net_result *b = &c->base;
  for (int j = 0; j < b->n_layers; j++) {
    const arch_layer_result *r = &b->layers[j];
    const sim_cosim_layer *L = &c->layers[j];
    const wr_layer *l = &c->net->layers[r->layer];
    int conv = l->kind == WR_CONV || l->kind == WR_FC;
    char mode[16] = "-", nza[24] = "", nzm[24] = "", gb[24] = "";
    char hist[256] = "";
    if (conv)
      wr_prec_str(r->mode, mode, sizeof mode);
    if (L->ops.act) {
      arch_meas m = sim_meas_of(&L->ops);
      snprintf(nza, sizeof nza, "%.4f", m.nz_act);
      snprintf(nzm, sizeof nzm, "%.4f", m.nz_mac);
      snprintf(gb, sizeof gb, "%.3f", m.dyn_a_bits);
      histogram(L->ops.bitlen, L->ops.act, hist, sizeof hist);
    }
    cli_table_row(&t,
                  "%s\t%s\t%s\t%" PRIu64 "\t%.1f\t%.0f\t%.0f\t%.4f\t%.4f\t"
                  "%.4f\t%.4f\t%.4f\t%.4f\t%s\t%s\t%s\t%.0f\t%.0f\t%s",
                  l->name, wr_kind_name(l->kind), mode, r->cycles,
                  L->cycles_sum / n, L->cycles_min, L->cycles_max,
                  r->energy.total * 1e-6, L->energy_sum / n * 1e-6,
                  L->energy_min * 1e-6, L->energy_max * 1e-6,
                  r->energy.mac * 1e-6, L->energy.mac / n * 1e-6, nza, nzm, gb,
                  L->macs_gated / n, L->macs_skipped / n, hist);
  }
  cli_table_row(&t,
                "total\t-\t-\t%" PRIu64 "\t%.1f\t%.0f\t%.0f\t%.4f\t%.4f\t"
                "%.4f\t%.4f\t%.4f\t\t\t\t\t\t\t",
                b->cycles, c->cycles_sum / n, c->cycles_min, c->cycles_max,
                b->energy.total * 1e-6, c->energy_sum / n * 1e-6,
                c->energy_min * 1e-6, c->energy_max * 1e-6,
                b->energy.mac * 1e-6);
  if (fmt == FMT_TABLE) {
    printf("%s at width %g on %s, %" PRIu64 " image(s)", c->net->name,
           c->net->width, c->a->name, c->images);
    if (labelled)
      printf(", top-1 accuracy %.2f %%",
             100.0 * (double)correct / (double)c->images);
    printf(": cycles and energy per image, data-independent (as 'run') and "
           "measured from the codes (mean, min, max over the images; same "
           "mappings)\n\n");
  }
  cli_table_print(&t, fmt, stdout);
  if (fmt == FMT_TABLE) {
    double mac = 0;
    for (int j = 0; j < b->n_layers; j++)
      mac += c->layers[j].energy.mac / n;
    printf("\nmeasured / data-independent: cycles %.4f, energy %.4f, MAC "
           "energy %.4f\n",
           c->cycles_sum / n / (double)b->cycles,
           c->energy_sum / n / b->energy.total,
           b->energy.mac > 0 ? mac / b->energy.mac : 1.0);
  }
  cli_table_free(&t);
}

/* --dump DIR is a folder, and none of the files it will hold (one per
 * layer of `net`; NULL: only the folder) is an input. */
static int check_dump(const cli_opt *o, const wr_net *net) {
  cli_path ins[] = {{"--net", cli_val(&o[O_NET]), CLI_FILE},
                    {"--weights", cli_val(&o[E_WEIGHTS]), CLI_FILE},
                    {"--data", cli_val(&o[E_DATA]), CLI_FILE},
                    {"--arch", cli_val(&o[E_ARCH]), CLI_FILE}};
  const char *dir = cli_val(&o[E_DUMP]);
  cli_path out = {"--dump", dir, CLI_DIR};
  int rc = cli_check_output("exec", &out, ins, 4);
  /* a folder not made yet holds no input */
  for (int i = 0; net && !rc && access(dir, F_OK) == 0 && i < net->n_layers;
       i++) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.npy", dir, net->layers[i].name);
    cli_path f = {"--dump file", path, CLI_FILE};
    rc = cli_check_output("exec", &f, ins, 4);
  }
  return rc;
}

int cmd_exec(int argc, char **argv) {
  cli_opt o[] = {
      NET_OPTS,
      {"weights", "W.npz", "weights (PyTorch state_dict names)", 0, NULL, 0},
      {"synthetic", "SEED", "use seeded synthetic weights instead", 0, NULL, 0},
      {"data", "SRC", "fashion-mnist (test split) or an images .npy", 0, NULL,
       0},
      {"train", NULL, "fashion-mnist: the training split", 0, NULL, 0},
      {"limit", "N", "run the first N images only", 0, NULL, 0},
      {"acc-bits", "B", "accumulator bits, 2..64 (default 32)", 0, NULL, 0},
      {"overflow", "RULE", "saturate (default), wrap or error", 0, NULL, 0},
      {"requant", "KIND", "float (default) or fixed (integer multiplier)", 0,
       NULL, 0},
      {"rq-shift", "N", "fixed: fraction bits, 1..62 (default 24)", 0, NULL, 0},
      {"rq-mult-bits", "N", "fixed: multiplier bits, 2..63 (default 32)", 0,
       NULL, 0},
      {"rq-round", "MODE", "fixed: rne (default), half-up or floor", 0, NULL,
       0},
      {"dump", "DIR", "write every layer's outputs as DIR/<layer>.npy", 0, NULL,
       0},
      {"jobs", "N", "images run in parallel, 1..256 (default: the cores)", 0,
       NULL, 0},
      {"arch", "PRESET|FILE",
       "also count cycles and energy on this architecture, both "
       "data-independent and from the real codes",
       0, NULL, 0},
      {"objective", "OBJ",
       "--arch: what the mapper minimizes (energy, cycles, edp, dram)", 0, NULL,
       0}};
  cli_format fmt;
  wr_err e;
  wr_err_clear(&e);
  int rc = cli_parse_net_cmd(
      "exec",
      "--net NAME|FILE (--weights W.npz | --synthetic SEED) --data SRC "
      "[--limit N] [--dump DIR] [...]",
      argc, argv, o, N_EXEC_OPTS, &fmt);
  unsigned long long limit = 0, seed = 0, acc_bits = 32;
  sim_config cfg = sim_config_default();
  if (!rc && !cli_val(&o[E_DATA])) {
    fprintf(stderr, "wrpnsim exec: --data is required (fashion-mnist or a "
                    ".npy of images)\n");
    rc = EXIT_INPUT;
  }
  if (!rc && !cli_val(&o[E_WEIGHTS]) == !cli_val(&o[E_SYNTH])) {
    fprintf(stderr, "wrpnsim exec: give exactly one of --weights and "
                    "--synthetic\n");
    rc = EXIT_INPUT;
  }
  if (!rc && cli_val(&o[E_LIMIT]))
    rc = cli_u64("limit", cli_val(&o[E_LIMIT]), 1, 1ULL << 40, &limit);
  if (!rc && cli_val(&o[E_SYNTH]))
    rc = cli_u64("synthetic", cli_val(&o[E_SYNTH]), 0, UINT32_MAX, &seed);
  if (!rc && cli_val(&o[E_ACC]))
    rc = cli_u64("acc-bits", cli_val(&o[E_ACC]), 2, 64, &acc_bits);
  cfg.acc_bits = (int)acc_bits;
  if (!rc && cli_val(&o[E_OVF]) &&
      wr_overflow_parse(cli_val(&o[E_OVF]), &cfg.overflow, &e))
    rc = cli_fail(&e);
  rc = rc ? rc : parse_requant(o, &cfg);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned long long jobs =
      cores > 0 && cores < 256 ? (unsigned long long)cores : 1;
  if (!rc && cli_val(&o[E_JOBS]))
    rc = cli_u64("jobs", cli_val(&o[E_JOBS]), 1, 256, &jobs);
  arch *a = NULL;
  arch_eval_opts aopt = {1, ARCH_OBJ_ENERGY, 0};
  if (!rc && cli_val(&o[E_OBJECTIVE]) && !cli_val(&o[E_ARCH])) {
    fprintf(stderr, "wrpnsim exec: --objective goes with --arch\n");
    rc = EXIT_INPUT;
  }
  if (!rc && cli_val(&o[E_OBJECTIVE]) &&
      arch_objective_parse(cli_val(&o[E_OBJECTIVE]), "--objective",
                           &aopt.objective, &e))
    rc = cli_fail(&e);
  if (!rc && cli_val(&o[E_ARCH])) {
    if (!(a = arch_open(cli_val(&o[E_ARCH]), &e))) {
      rc = cli_fail(&e);
    } else {
      /* the architecture's accumulator and requantizer, unless given */
      if (!cli_val(&o[E_ACC]))
        cfg.acc_bits = a->acc_bits;
      if (!cli_val(&o[E_OVF]))
        cfg.overflow = a->overflow;
      if (!cli_val(&o[E_RQ]) && a->requant == WR_RQ_FIXED) {
        cfg.requant = WR_RQ_FIXED;
        cfg.rq_mult_bits = a->rq_mult_bits;
        cfg.rq_shift = a->rq_shift;
        cfg.rq_round = a->rq_round;
      }
    }
  }
  if (!rc && cli_val(&o[E_DUMP]))
    rc = check_dump(o, NULL);
  wr_net *net = rc ? NULL : cli_load_net(o, &rc);
  if (net && cli_val(&o[E_DUMP]) && (rc = check_dump(o, net))) {
    wr_net_free(net);
    net = NULL;
  }
  sim_cosim cs;
  memset(&cs, 0, sizeof cs);
  wr_npz w = {NULL, 0};
  wr_dataset data;
  memset(&data, 0, sizeof data);
  sim_model *m = NULL;
  sim_layer_stats *st = NULL;
  if (net) {
    if (cli_val(&o[E_WEIGHTS]))
      rc = sim_weights_read(net, cli_val(&o[E_WEIGHTS]), &w, &e);
    else
      rc = sim_synthetic_weights(net, (unsigned long)seed, &w, &e);
    if (rc == WR_OK)
      rc = load_data(cli_val(&o[E_DATA]), o[E_TRAIN].n > 0, (int64_t)limit,
                     &data, &e);
    if (rc == WR_OK &&
        !(m = sim_model_new(net, &w,
                            cli_val(&o[E_WEIGHTS]) ? cli_val(&o[E_WEIGHTS])
                                                   : "synthetic weights",
                            &cfg, &e)))
      rc = e.status;
    if (rc == WR_OK && !(st = calloc((size_t)net->n_layers, sizeof *st)))
      rc = wr_err_set(&e, WR_ENOMEM, "out of memory");
    if (rc == WR_OK && a) {
      rc = sim_cosim_init(&cs, a, net, &aopt, &e);
      if (rc == WR_OK)
        rc = sim_model_operand_stats(m, a->dyn_group > 0 ? a->dyn_group : 16,
                                     &e);
    }
    const char *dump_dir = cli_val(&o[E_DUMP]);
    if (rc == WR_OK && dump_dir && mkdir(dump_dir, 0777) != 0 &&
        errno != EEXIST)
      rc = wr_err_set(&e, WR_EINPUT, "--dump %s: cannot create: %s", dump_dir,
                      strerror(errno));
    int64_t correct = 0;
    progress prog = {wr_now_s(), wr_now_s(), isatty(2)};
    sim_exec_opts xo = {.jobs = (int)jobs,
                        .dump_dir = dump_dir,
                        .cosim = a ? &cs : NULL,
                        .progress = progress_show,
                        .progress_ctx = &prog};
    if (rc == WR_OK)
      rc = sim_exec_images(m, net, &data, &xo, st, &correct, &e);
    if (rc == WR_OK) {
      sim_act_bytes ab = sim_model_act_bytes(m);
      fprintf(
          stderr,
          "exec: activations held per job: %" PRId64 " bytes (codes %" PRId64
          ", binary32 %" PRId64 ", scratch %" PRId64 ")\n",
          ab.codes + ab.values + ab.scratch, ab.codes, ab.values, ab.scratch);
      if (a)
        print_cosim(&cs, correct, data.labels != NULL, fmt);
      else
        print_stats(net, st, data.n, correct, data.labels != NULL, fmt);
    } else {
      rc = cli_fail(&e);
    }
  }
  free(st);
  if (cs.layers)
    sim_cosim_free(&cs);
  arch_free(a);
  sim_model_free(m);
  wr_dataset_free(&data);
  wr_npz_free(&w);
  wr_net_free(net);
  cli_opts_free(o, N_EXEC_OPTS);
  return rc < 0 ? EXIT_OK : rc;
}

/* ---- weights ------------------------------------------------------------ */

int cmd_weights(int argc, char **argv) {
  cli_opt o[] = {NET_OPTS,
                 {"seed", "S", "random seed (default 1)", 0, NULL, 0},
                 {"out", "W.npz", "the .npz to write (required)", 0, NULL, 0}};
  const int n_opts = N_NET_OPTS + 2;
  o[O_FORMAT].help = NULL; /* writes a file; prints no results */
  cli_format fmt;
  unsigned long long seed = 1;
  int rc = cli_parse_net_cmd("weights",
                             "--net NAME|FILE [--width K] [--prec A/W] "
                             "[--seed S] --out W.npz [...]",
                             argc, argv, o, n_opts, &fmt);
  if (!rc && cli_val(&o[N_NET_OPTS]))
    rc = cli_u64("seed", cli_val(&o[N_NET_OPTS]), 0, UINT32_MAX, &seed);
  const char *out = cli_val(&o[N_NET_OPTS + 1]);
  if (!rc && !out) {
    fprintf(stderr, "wrpnsim weights: --out is required\n");
    rc = EXIT_INPUT;
  }
  cli_path in = {"--net", cli_val(&o[O_NET]), CLI_FILE},
           outp = {"--out", out, CLI_FILE};
  if (!rc)
    rc = cli_check_output("weights", &outp, &in, 1);
  wr_net *net = rc ? NULL : cli_load_net(o, &rc);
  if (net) {
    wr_npz w;
    wr_err e;
    rc = sim_synthetic_weights(net, (unsigned long)seed, &w, &e);
    size_t count = 0;
    if (rc == WR_OK) {
      count = w.n;
      rc = wr_npz_write(out, w.arrays, w.n, &e);
      wr_npz_free(&w);
    }
    if (rc == WR_OK)
      fprintf(stderr, "wrote %s: %zu array%s for %s at width %g\n", out, count,
              wr_plural((long long)count), net->name, net->width);
    else
      rc = cli_fail(&e);
    wr_net_free(net);
  }
  cli_opts_free(o, n_opts);
  return rc < 0 ? EXIT_OK : rc;
}
