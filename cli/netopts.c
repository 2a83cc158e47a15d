/* netopts.c — the options every network command shares: loading a zoo
 * network or workload file, widening it and applying the precision
 * options. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Loads, widens and applies the precision options.  Returns the network or
 * NULL with *rc set to the exit code (the error already printed). */
wr_net *cli_load_net(cli_opt *o, int *rc) {
  wr_err e;
  wr_err_clear(&e);
  const char *name = cli_val(&o[O_NET]);
  if (!name) {
    fprintf(stderr, "wrpnsim: --net is required (a zoo name from 'wrpnsim "
                    "zoo', or a workload file)\n");
    *rc = EXIT_INPUT;
    return NULL;
  }
  double width = 1.0;
  if (cli_val(&o[O_WIDTH]) &&
      (*rc = cli_real("width", cli_val(&o[O_WIDTH]), 1e-6, 1e6, &width)))
    return NULL;
  if (!(width > 0)) {
    fprintf(stderr, "wrpnsim: --width: must be greater than 0\n");
    *rc = EXIT_INPUT;
    return NULL;
  }
  wr_net *net = wr_net_open(name, &e);
  if (!net) {
    *rc = cli_fail(&e);
    return NULL;
  }
  wr_policy pol;
  if (wr_policy_copy(&pol, &net->policy, &e))
    goto fail;
  if (cli_val(&o[O_PREC]) &&
      wr_prec_parse(cli_val(&o[O_PREC]), "--prec", &pol.def, &e))
    goto fail_pol;
  if (cli_val(&o[O_FP32]) && wr_policy_set_fp32(&pol, cli_val(&o[O_FP32]), &e))
    goto fail_pol;
  /* every pattern --fp32 gave must select a layer: a typo does nothing */
  for (size_t i = 0; cli_val(&o[O_FP32]) && i < pol.n_fp32_patterns; i++)
    if (!wr_net_pattern_matches(net, pol.fp32_patterns[i])) {
      wr_err_set(&e, WR_EINPUT,
                 "--fp32: pattern '%s' matches no conv or fc layer of "
                 "network '%s' (see 'wrpnsim net --net %s')",
                 pol.fp32_patterns[i], net->name, name);
      goto fail_pol;
    }
  for (int i = 0; i < o[O_LAYER_PREC].n; i++) {
    const char *v = o[O_LAYER_PREC].vals[i];
    const char *eq = strrchr(v, '=');
    wr_prec p;
    if (!eq || eq == v) {
      wr_err_set(&e, WR_EINPUT,
                 "--layer-prec: '%s' is not PATTERN=A/W (e.g. 'layer4.*=8/8')",
                 v);
      goto fail_pol;
    }
    char *pat = strndup(v, (size_t)(eq - v));
    int bad = !pat || wr_prec_parse(eq + 1, "--layer-prec", &p, &e) ||
              wr_policy_add_rule(&pol, pat, p, &e);
    if (!bad && !wr_net_pattern_matches(net, pat)) {
      wr_err_set(&e, WR_EINPUT,
                 "--layer-prec: pattern '%s' matches no conv or fc layer of "
                 "network '%s' (see 'wrpnsim net --net %s')",
                 pat, net->name, name);
      bad = 1;
    }
    free(pat);
    if (bad) {
      if (!pat)
        wr_err_set(&e, WR_ENOMEM, "out of memory");
      goto fail_pol;
    }
  }
  if (wr_net_widen(net, width, &e))
    goto fail_pol;
  wr_net_apply_policy(net, &pol);
  wr_policy_clear(&pol);
  return net;
fail_pol:
  wr_policy_clear(&pol);
fail:
  *rc = cli_fail(&e);
  wr_net_free(net);
  return NULL;
}

int cli_parse_net_cmd(const char *cmd, const char *usage, int argc, char **argv,
                      cli_opt *o, int n, cli_format *fmt) {
  int rc = cli_parse(cmd, usage, argc, argv, o, n);
  if (rc == 1)
    return -1; /* help printed */
  if (rc)
    return rc;
  return cli_format_parse(cli_val(&o[O_FORMAT]), fmt);
}

int cli_parse_format_cmd(const char *cmd, int argc, char **argv,
                         cli_format *fmt) {
  cli_opt o[] = {
      {"format", "FMT", "table, csv or json (default table)", 0, NULL, 0}};
  int rc = cli_parse(cmd, "[--format table|csv|json]", argc, argv, o, 1);
  if (rc == 1)
    rc = -1;
  else if (rc == 0)
    rc = cli_format_parse(cli_val(&o[0]), fmt);
  cli_opts_free(o, 1);
  return rc;
}
