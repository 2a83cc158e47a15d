/* report_sample.c — writes a report of a small real design space to a
 * file: AlexNet and ResNet-18 at widths 1-3 and five precisions on four
 * shipped presets, evaluated by the architecture model (every layer
 * quantized), with the WRPN paper's AlexNet top-1 accuracies where a point
 * matches one.  The HTML and render tests (tests/cli/) read its output.
 *
 * usage: report_sample OUT [table|csv|json|md|html] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports.h"

/* Mishra et al., "WRPN: Wide Reduced-Precision Networks", arXiv:1709.01134
 * (ICLR 2018), AlexNet top-1 on ImageNet; the paper keeps the first and
 * last layers FP32, the evaluation here quantizes them too. */
static const struct {
  double width;
  const char *prec;
  double top1;
} wrpn_alexnet[] = {{1, "4/4", 54.4}, {1, "2/2", 51.3}, {1, "1/1", 44.2},
                    {2, "8/8", 59.0}, {2, "4/4", 58.6}, {2, "4/2", 57.2},
                    {2, "2/2", 55.8}, {2, "1/1", 48.3}};

static int add_points(rp_set *s, wr_err *e) {
  const char *nets[] = {"alexnet", "resnet18"};
  const char *archs[] = {"bitfusion-like", "stripes-like", "int8-tpu-like",
                         "eyeriss-like"};
  const double widths[] = {1, 2, 3};
  const char *precs[] = {"8/8", "4/4", "4/2", "2/2", "1/1"};
  for (int n = 0; n < 2; n++)
    for (int a = 0; a < 4; a++) {
      arch *ar = arch_open(archs[a], e);
      if (!ar)
        return e->status;
      for (int w = 0; w < 3; w++)
        for (int q = 0; q < 5; q++) {
          wr_net *net = wr_net_open(nets[n], e);
          if (!net)
            return e->status;
          wr_policy pol;
          int rc = wr_policy_copy(&pol, &net->policy, e);
          rc = rc ? rc : wr_prec_parse(precs[q], "prec", &pol.def, e);
          rc = rc ? rc : wr_policy_set_fp32(&pol, "none", e);
          rc = rc ? rc : wr_net_widen(net, widths[w], e);
          if (!rc)
            wr_net_apply_policy(net, &pol);
          wr_policy_clear(&pol);
          arch_eval_opts o = {1, ARCH_OBJ_ENERGY, 0};
          arch_net_result r;
          if (!rc && arch_eval_net(ar, net, &o, &r, e) == 0) {
            int p = rp_add_eval(s, ar, net, precs[q], &r, e);
            arch_net_result_free(&r);
            if (p < 0)
              rc = e->status;
            for (size_t i = 0; !rc && n == 0 &&
                               i < sizeof wrpn_alexnet / sizeof wrpn_alexnet[0];
                 i++)
              if (wrpn_alexnet[i].width == widths[w] &&
                  strcmp(wrpn_alexnet[i].prec, precs[q]) == 0)
                rc = rp_set_metric(s, p, RP_ACCURACY, wrpn_alexnet[i].top1, e);
          }
          wr_net_free(net);
          if (rc)
            return rc;
        }
      arch_free(ar);
    }
  return WR_OK;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: report_sample OUT [table|csv|json|md|html]\n");
    return 2;
  }
  wr_err e;
  rp_format f = RP_FMT_HTML;
  if (argc > 2 && rp_format_parse(argv[2], &f, &e)) {
    fprintf(stderr, "report_sample: %s\n", e.msg);
    return 2;
  }
  rp_set *s = rp_set_new();
  int *idx = NULL, rc = s ? add_points(s, &e) : WR_ENOMEM;
  if (!rc && !(idx = malloc((size_t)s->n_points * sizeof *idx)))
    rc = WR_ENOMEM;
  if (!rc) {
    int n = rp_select(s, NULL, idx);
    rp_objective ob[3];
    int k = 0;
    rc = rp_objectives_parse(s, "energy,latency,accuracy", "objectives", ob, 3,
                             &k, &e);
    int match[] = {rp_col(&s->attrs, RP_WORKLOAD), rp_col(&s->attrs, RP_WIDTH),
                   rp_col(&s->attrs, RP_PRECISION)};
    rp_filter *c = rc ? NULL : rp_filter_parse(s, "area<=3", "constraint", &e);
    rp_report_opts o = {.title = "wrpnsim sample report <AlexNet & ResNet-18>",
                        .source = "the architecture model (report_sample)",
                        .idx = idx,
                        .n_idx = n,
                        .pareto = ob,
                        .n_pareto = 2,
                        .breakdown = f != RP_FMT_CSV,
                        .best_under = c,
                        .best_text = f != RP_FMT_CSV ? "area<=3" : NULL,
                        .best_group = match[0],
                        .best_obj = ob[0],
                        .baseline = f != RP_FMT_CSV ? "int8-tpu-like" : NULL,
                        .baseline_attr = rp_col(&s->attrs, RP_ARCH),
                        .match = match,
                        .n_match = 3};
    FILE *out = rc ? NULL : fopen(argv[1], "w");
    if (!rc && !out)
      rc = wr_err_set(&e, WR_ERUNTIME, "%s: cannot write", argv[1]);
    if (!rc)
      rc = rp_report_write(s, &o, f, out, &e);
    if (out && fclose(out) && !rc)
      rc = wr_err_set(&e, WR_ERUNTIME, "%s: write failed", argv[1]);
    rp_filter_free(c);
  }
  if (rc)
    fprintf(stderr, "report_sample: %s\n",
            rc == WR_ENOMEM ? "out of memory" : e.msg);
  free(idx);
  rp_set_free(s);
  return rc ? 1 : 0;
}
