/* cmd_workloads.c — the workload commands: zoo, net, cost, footprint. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *fmt_shape(wr_shape s, char *buf, size_t n) {
  snprintf(buf, n, "%" PRId64 "x%" PRId64 "x%" PRId64, s.c, s.h, s.w);
  return buf;
}

/* ---- zoo ---------------------------------------------------------------- */

int cmd_zoo(int argc, char **argv) {
  cli_format fmt;
  int rc = cli_parse_format_cmd("zoo", argc, argv, &fmt);
  if (rc)
    return rc < 0 ? EXIT_OK : rc;
  static const char *const cols[] = {"name",    "input", "#conv_fc_layers",
                                     "#params", "#macs", "#params_m",
                                     "#gmacs",  "source"};
  cli_table t;
  if (cli_table_init(&t, 8, cols))
    return EXIT_RUNTIME;
  for (size_t i = 0; i < wr_zoo_count(); i++) {
    wr_err e;
    wr_net *n = wr_net_open(wr_zoo_name(i), &e);
    if (!n) {
      cli_table_free(&t);
      return cli_fail(&e);
    }
    wr_net_totals s = wr_net_sum(n);
    char sh[64];
    cli_table_row(
        &t, "%s\t%s\t%" PRId64 "\t%" PRIu64 "\t%" PRIu64 "\t%.3f\t%.4f\t%s",
        n->name, fmt_shape(n->input, sh, sizeof sh), s.n_compute, s.params,
        s.macs, (double)s.params / 1e6, (double)s.macs / 1e9,
        n->source ? n->source : "");
    wr_net_free(n);
  }
  cli_table_print(&t, fmt, stdout);
  cli_table_free(&t);
  return EXIT_OK;
}

/* ---- net ---------------------------------------------------------------- */

static void layer_geometry(const wr_layer *l, char *buf, size_t n) {
  buf[0] = '\0';
  if (l->kind == WR_CONV ||
      ((l->kind == WR_MAXPOOL || l->kind == WR_AVGPOOL) && !l->global)) {
    int len = snprintf(buf, n, "%dx%d/%d", l->kh, l->kw, l->sh);
    if (l->sw != l->sh)
      len += snprintf(buf + len, n - (size_t)len, ",%d", l->sw);
    if (l->pad_t == l->pad_b && l->pad_t == l->pad_l && l->pad_t == l->pad_r) {
      if (l->pad_t)
        len += snprintf(buf + len, n - (size_t)len, " p%d", l->pad_t);
    } else
      len += snprintf(buf + len, n - (size_t)len, " p%d,%d,%d,%d", l->pad_t,
                      l->pad_b, l->pad_l, l->pad_r);
    if (l->dh > 1 || l->dw > 1)
      len += snprintf(buf + len, n - (size_t)len, " d%d", l->dh);
    if (l->groups > 1)
      snprintf(buf + len, n - (size_t)len, " g%d", l->groups);
  } else if (l->global) {
    snprintf(buf, n, "global");
  }
}

int cmd_net(int argc, char **argv) {
  cli_opt o[] = {NET_OPTS};
  cli_format fmt;
  int rc = cli_parse_net_cmd(
      "net",
      "--net NAME|FILE [--width K] [--prec A/W] [--fp32 LIST] "
      "[--layer-prec PAT=A/W]... [--format FMT]",
      argc, argv, o, N_NET_OPTS, &fmt);
  wr_net *net = rc ? NULL : cli_load_net(o, &rc);
  cli_opts_free(o, N_NET_OPTS);
  if (!net)
    return rc < 0 ? EXIT_OK : rc;
  static const char *const cols[] = {"#index",  "name", "kind",   "inputs",
                                     "in",      "out",  "window", "prec",
                                     "#params", "#macs"};
  cli_table t;
  if (cli_table_init(&t, 10, cols)) {
    wr_net_free(net);
    return EXIT_RUNTIME;
  }
  for (int i = 0; i < net->n_layers; i++) {
    const wr_layer *l = &net->layers[i];
    char ins[512] = "", a[64], b[64], g[96], p[16] = "";
    size_t used = 0;
    for (int j = 0; j < l->n_inputs && used < sizeof ins - 1; j++) {
      const char *src =
          l->inputs[j] < 0 ? "input" : net->layers[l->inputs[j]].name;
      int w =
          snprintf(ins + used, sizeof ins - used, "%s%s", j ? " " : "", src);
      used += w > 0 ? (size_t)w : 0;
    }
    layer_geometry(l, g, sizeof g);
    if (l->kind == WR_CONV || l->kind == WR_FC)
      wr_prec_str(l->prec, p, sizeof p);
    cli_table_row(&t, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%" PRId64 "\t%" PRIu64,
                  i, l->name, wr_kind_name(l->kind), ins,
                  fmt_shape(l->in, a, sizeof a), fmt_shape(l->out, b, sizeof b),
                  g, p, l->weights + l->extra_params, l->macs);
  }
  cli_table_print(&t, fmt, stdout);
  cli_table_free(&t);
  if (fmt == FMT_TABLE) {
    wr_net_totals s = wr_net_sum(net);
    printf("\n%s at width %g: %d layer%s (%" PRId64 " conv/fc), %" PRIu64
           " parameter%s, %" PRIu64 " MAC%s per image\n",
           net->name, net->width, net->n_layers, wr_plural(net->n_layers),
           s.n_compute, s.params, wr_plural((long long)s.params), s.macs,
           wr_plural((long long)s.macs));
  }
  wr_net_free(net);
  return EXIT_OK;
}

/* ---- cost --------------------------------------------------------------- */

/* Parses "32,8,4,2,1" into bits[] (at most 16 entries). */
static int parse_bits_list(const char *s, int *bits, int *n) {
  *n = 0;
  const char *p = s;
  while (*p) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || !((v >= 1 && v <= WR_MAX_INT_BITS) || v == WR_FP32_BITS) ||
        *n == 16 || (*end && *end != ',')) {
      fprintf(stderr,
              "wrpnsim: --bits: '%s' is not a comma-separated list "
              "of bit counts (1..16 or 32)\n",
              s);
      return EXIT_INPUT;
    }
    bits[(*n)++] = (int)v;
    p = *end ? end + 1 : end;
  }
  if (*n == 0) {
    fprintf(stderr, "wrpnsim: --bits: empty list\n");
    return EXIT_INPUT;
  }
  return 0;
}

int cmd_cost(int argc, char **argv) {
  cli_opt o[] = {NET_OPTS,
                 {"bits", "LIST", "bit counts of the grid (default 32,8,4,2,1)",
                  0, NULL, 0}};
  const int n_opts = N_NET_OPTS + 1;
  /* the cost model counts every layer at the grid's precision: the
   * precision options do not apply */
  o[O_PREC].help = o[O_FP32].help = o[O_LAYER_PREC].help = NULL;
  cli_format fmt;
  int bits[16], nb = 0;
  int rc = cli_parse_net_cmd("cost",
                             "--net NAME|FILE [--width K] [--bits LIST] "
                             "[--format FMT]\n"
                             "       (every layer at the grid's precision: "
                             "the precision options do not apply)",
                             argc, argv, o, n_opts, &fmt);
  if (!rc && cli_val(&o[N_NET_OPTS]))
    rc = parse_bits_list(cli_val(&o[N_NET_OPTS]), bits, &nb);
  if (!rc && nb == 0)
    rc = parse_bits_list("32,8,4,2,1", bits, &nb);
  wr_net *net = rc ? NULL : cli_load_net(o, &rc);
  const char *name = cli_val(&o[O_NET]);
  wr_net *base = NULL;
  wr_err e;
  if (net && !(base = wr_net_open(name, &e)))
    rc = cli_fail(&e);
  cli_opts_free(o, n_opts);
  if (!net || !base) {
    wr_net_free(net);
    return rc < 0 ? EXIT_OK : rc;
  }
  uint64_t base_fmas = wr_net_sum(base).macs;
  uint64_t fmas = wr_net_sum(net).macs;
  double growth = (double)fmas / (double)base_fmas;
  wr_net_free(base);
  if (fmt == FMT_TABLE) {
    printf("%s, width %g: %" PRIu64 " FMA%s per image, %.3fx the 1x network "
           "(%" PRIu64 ")\n",
           net->name, net->width, fmas, wr_plural((long long)fmas), growth,
           base_fmas);
    printf("compute cost relative to the 1x FP32 network = FMAs x (A + W) / "
           "(1x FMAs x 64), every layer at A/W\n\n");
    printf("W \\ A");
    for (int j = 0; j < nb; j++)
      printf("  %6d", bits[j]);
    printf("\n");
    for (int i = 0; i < nb; i++) {
      printf("%5d", bits[i]);
      for (int j = 0; j < nb; j++) {
        wr_prec p = {bits[j], bits[i]};
        printf("  %6.3f", wr_net_cost(net, &p, base_fmas));
      }
      printf("\n");
    }
    wr_net_free(net);
    return EXIT_OK;
  }
  static const char *const cols[] = {
      "net",   "#width",   "#act_bits",   "#weight_bits",
      "#fmas", "#fmas_1x", "#fma_growth", "#relative_cost"};
  cli_table t;
  if (cli_table_init(&t, 8, cols)) {
    wr_net_free(net);
    return EXIT_RUNTIME;
  }
  for (int i = 0; i < nb; i++)
    for (int j = 0; j < nb; j++) {
      wr_prec p = {bits[j], bits[i]};
      cli_table_row(&t, "%s\t%g\t%d\t%d\t%" PRIu64 "\t%" PRIu64 "\t%.4f\t%.4f",
                    net->name, net->width, p.a_bits, p.w_bits, fmas, base_fmas,
                    growth, wr_net_cost(net, &p, base_fmas));
    }
  cli_table_print(&t, fmt, stdout);
  cli_table_free(&t);
  wr_net_free(net);
  return EXIT_OK;
}

/* ---- footprint ---------------------------------------------------------- */

int cmd_footprint(int argc, char **argv) {
  cli_opt o[] = {NET_OPTS,
                 {"batch", "N", "images per batch (default 1)", 0, NULL, 0}};
  const int n_opts = N_NET_OPTS + 1;
  cli_format fmt;
  unsigned long long batch = 1;
  int rc =
      cli_parse_net_cmd("footprint",
                        "--net NAME|FILE [--width K] [--prec A/W] [--batch N] "
                        "[--format FMT] [...]",
                        argc, argv, o, n_opts, &fmt);
  if (!rc && cli_val(&o[N_NET_OPTS]))
    rc = cli_u64("batch", cli_val(&o[N_NET_OPTS]), 1, 1ULL << 40, &batch);
  char prec_text[64];
  snprintf(prec_text, sizeof prec_text, "precision %s",
           cli_val(&o[O_PREC]) ? cli_val(&o[O_PREC]) : "from the workload");
  wr_net *net = rc ? NULL : cli_load_net(o, &rc);
  cli_opts_free(o, n_opts);
  if (!net)
    return rc < 0 ? EXIT_OK : rc;
  wr_footprint f;
  wr_err e;
  if (wr_net_footprint(net, batch, &f, &e)) {
    wr_net_free(net);
    return cli_fail(&e);
  }
  static const char *const cols[] = {"phase", "what", "#bytes", "#mib",
                                     "#share"};
  struct {
    const char *phase, *what;
    uint64_t bytes, total;
  } rows[] = {
      {"inference", "weights", f.weight_bytes, f.infer_total_bytes},
      {"inference", "activations (max IFM + max OFM)", f.infer_act_bytes,
       f.infer_total_bytes},
      {"inference", "total", f.infer_total_bytes, f.infer_total_bytes},
      {"training", "weights", f.weight_bytes, f.train_total_bytes},
      {"training", "activations (all layer inputs)", f.train_act_bytes,
       f.train_total_bytes},
      {"training", "gradient maps (largest, FP32)", f.train_grad_bytes,
       f.train_total_bytes},
      {"training", "total", f.train_total_bytes, f.train_total_bytes},
  };
  cli_table t;
  if (cli_table_init(&t, 5, cols)) {
    wr_net_free(net);
    return EXIT_RUNTIME;
  }
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    cli_table_row(&t, "%s\t%s\t%" PRIu64 "\t%.3f\t%.4f", rows[i].phase,
                  rows[i].what, rows[i].bytes,
                  (double)rows[i].bytes / 1048576.0,
                  (double)rows[i].bytes / (double)rows[i].total);
  if (fmt == FMT_TABLE) {
    wr_net_totals s = wr_net_sum(net);
    int fp32 = 0;
    for (int i = 0; i < net->n_layers; i++)
      fp32 +=
          (net->layers[i].kind == WR_CONV || net->layers[i].kind == WR_FC) &&
          net->layers[i].prec.a_bits == WR_FP32_BITS &&
          net->layers[i].prec.w_bits == WR_FP32_BITS;
    printf("%s, width %g, batch %llu, %s; %d of %" PRId64 " conv/fc layers "
           "at FP32 (weights at their bits, biases and BN at 32)\n\n",
           net->name, net->width, batch, prec_text, fp32, s.n_compute);
  }
  cli_table_print(&t, fmt, stdout);
  cli_table_free(&t);
  wr_net_free(net);
  return EXIT_OK;
}
