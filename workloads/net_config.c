/* net_config.c — configuring a loaded network: its width, default
 * precision, FP32 layers and per-layer precision rules, as the CLI's
 * network options, a sweep point and a measured model give them. */
#include <stdlib.h>
#include <string.h>

#include "workloads.h"

/* WR_EINPUT "OPTION: pattern 'PAT' matches no conv or fc layer ..." unless
 * `pat` selects a layer of n (checked only when c->opened_as is set). */
static int check_pattern(const wr_net *n, const wr_net_config *c,
                         const char *option, const char *pat, wr_err *e) {
  if (!c->opened_as || wr_net_pattern_matches(n, pat))
    return WR_OK;
  return wr_err_set(e, WR_EINPUT,
                    "%s: pattern '%s' matches no conv or fc layer of "
                    "network '%s' (see 'wrpnsim net --net %s')",
                    option, pat, n->name, c->opened_as);
}

/* Adds the rule "PATTERN=A/W" `v` to pol. */
static int add_rule(const wr_net *n, const wr_net_config *c, wr_policy *pol,
                    const char *v, wr_err *e) {
  const char *eq = strrchr(v, '=');
  wr_prec p;
  if (!eq || eq == v)
    return wr_err_set(
        e, WR_EINPUT,
        "--layer-prec: '%s' is not PATTERN=A/W (e.g. 'layer4.*=8/8')", v);
  char *pat = strndup(v, (size_t)(eq - v));
  if (!pat)
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  int rc = wr_prec_parse(eq + 1, "--layer-prec", &p, e);
  if (!rc)
    rc = wr_policy_add_rule(pol, pat, p, e);
  if (!rc)
    rc = check_pattern(n, c, "--layer-prec", pat, e);
  free(pat);
  return rc;
}

int wr_net_config_policy(const wr_net *n, const wr_net_config *c,
                         wr_policy *pol, wr_err *e) {
  int rc = wr_policy_copy(pol, &n->policy, e);
  if (rc)
    return rc;
  if (c->prec)
    pol->def = *c->prec;
  if (c->fp32 && (rc = wr_policy_set_fp32(pol, c->fp32, e)))
    goto fail;
  /* every FP32 pattern must select a layer: a typo does nothing */
  for (size_t i = 0; c->fp32 && i < pol->n_fp32_patterns; i++)
    if ((rc = check_pattern(n, c, "--fp32", pol->fp32_patterns[i], e)))
      goto fail;
  for (int i = 0; i < c->n_layer_prec; i++)
    if ((rc = add_rule(n, c, pol, c->layer_prec[i], e)))
      goto fail;
  return WR_OK;
fail:
  wr_policy_clear(pol);
  return rc;
}

int wr_net_configure(wr_net *n, const wr_net_config *c, wr_err *e) {
  wr_policy pol;
  int rc = wr_net_config_policy(n, c, &pol, e);
  if (rc)
    return rc;
  rc = wr_net_widen(n, c->width, e);
  if (!rc)
    wr_net_apply_policy(n, &pol);
  wr_policy_clear(&pol);
  return rc;
}
