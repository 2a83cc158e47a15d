/* netopts.c — the options every network command shares: loading a zoo
 * network or workload file, widening it and applying the precision
 * options. */
#include <stdlib.h>

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
  wr_prec prec;
  wr_net_config c = {width,
                     cli_val(&o[O_PREC]) ? &prec : NULL,
                     cli_val(&o[O_FP32]),
                     o[O_LAYER_PREC].vals,
                     o[O_LAYER_PREC].n,
                     name};
  if ((c.prec && wr_prec_parse(cli_val(&o[O_PREC]), "--prec", &prec, &e)) ||
      wr_net_configure(net, &c, &e)) {
    *rc = cli_fail(&e);
    wr_net_free(net);
    return NULL;
  }
  return net;
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
