/* eval.c — an architecture evaluation (arch_eval_net) as a design point,
 * under the names the reports use (reports.h). */
#include <stdio.h>

#include "reports.h"

/* Energy components of one result (pJ in arch_energy) as joules. */
static int add_energy(rp_set *s, int p, int l, const arch *a,
                      const arch_energy *en, wr_err *e) {
  const double J = 1e-12;
  int rc = 0;
#define PUT(name, v)                                                           \
  rc = rc      ? rc                                                            \
       : l < 0 ? rp_set_energy(s, p, name, (v)*J, e)                           \
               : rp_set_layer_energy(s, p, l, name, (v)*J, e)
  PUT("mac", en->mac);
  PUT("rf", en->rf);
  for (int b = 0; b < a->n_buffers; b++)
    PUT(a->buffers[b].name, en->buf[b]);
  PUT("dram", en->dram);
  PUT("static", en->stat);
#undef PUT
  return rc;
}

int rp_add_eval(rp_set *s, const arch *a, const wr_net *net,
                const char *precision, const arch_net_result *r, wr_err *e) {
  int p = rp_add_point(s, e);
  if (p < 0)
    return -1;
  char buf[64];
  int rc = rp_set_attr(s, p, RP_WORKLOAD, net->name, e);
  snprintf(buf, sizeof buf, "%g", net->width);
  rc = rc ? rc : rp_set_attr(s, p, RP_WIDTH, buf, e);
  rc = rc ? rc : rp_set_attr(s, p, RP_PRECISION, precision, e);
  rc = rc ? rc : rp_set_attr(s, p, RP_ARCH, a->name, e);
  snprintf(buf, sizeof buf, "%llu", (unsigned long long)r->batch);
  rc = rc ? rc : rp_set_attr(s, p, "batch", buf, e);
  const struct {
    const char *name;
    double v;
  } m[] = {{RP_ENERGY, r->energy.total * 1e-12},
           {RP_LATENCY, r->seconds},
           {RP_DRAM, (double)(r->dram_read + r->dram_write)},
           {RP_AREA, r->area.total_mm2},
           {"macs", (double)r->macs},
           {"cycles", (double)r->cycles},
           {RP_PEAK_OPS, r->peak_ops_per_s},
           {RP_DRAM_BW, r->dram_bytes_per_s},
           {"tops_per_w", r->tops_per_w}};
  for (size_t i = 0; i < sizeof m / sizeof m[0] && !rc; i++)
    rc = rp_set_metric(s, p, m[i].name, m[i].v, e);
  rc = rc ? rc : add_energy(s, p, -1, a, &r->energy, e);
  double hz = a->clock_mhz * 1e6;
  for (int i = 0; i < r->n_layers && !rc; i++) {
    const arch_layer_result *L = &r->layers[i];
    int l = rp_add_layer(s, p, net->layers[L->layer].name, e);
    if (l < 0)
      return -1;
    uint64_t dram = L->dram_write;
    for (int k = 0; k < ARCH_N_TT; k++)
      dram += L->dram_read[k];
    const struct {
      const char *name;
      double v;
    } lm[] = {{RP_LATENCY, (double)L->cycles / hz},
              {RP_ENERGY, L->energy.total * 1e-12},
              {RP_DRAM, (double)dram},
              {RP_OPS, 2.0 * (double)L->macs},
              {"macs", (double)L->macs},
              {"cycles", (double)L->cycles}};
    for (size_t j = 0; j < sizeof lm / sizeof lm[0] && !rc; j++)
      rc = rp_set_layer_metric(s, p, l, lm[j].name, lm[j].v, e);
    rc = rc ? rc : add_energy(s, p, l, a, &L->energy, e);
  }
  return rc ? -1 : p;
}
