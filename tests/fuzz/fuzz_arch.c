/* fuzz_arch.c — architecture YAML: arch_load_string, then (if it loads)
 * the canonical text and arch_eval_net of a tiny network. */
#include "arch.h"
#include "fuzz_util.h"
#include "workloads.h"

static const char tiny[] = "name: tiny\n"
                           "input: {shape: [3, 8, 8]}\n"
                           "layers:\n"
                           "  - {name: c1, conv: {out: 8, k: 3, pad: 1}}\n"
                           "  - {name: p1, maxpool: {k: 2}}\n"
                           "  - {name: c2, conv: {out: 16, k: 3, pad: 1}}\n"
                           "  - {name: fc, fc: {out: 10}}\n"
                           "precision: {default: 4/4, fp32: []}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static wr_net *net;
  wr_err e;
  if (!net) {
    wr_err_clear(&e);
    net = wr_net_load_string(tiny, sizeof tiny - 1, "tiny.yaml", &e);
    if (!net)
      abort();
  }
  wr_err_clear(&e);
  arch *a = arch_load_string((const char *)data, size, "fuzz.yaml", &e);
  FUZZ_CHECK_ERR(e);
  if (!a)
    return 0;
  char *canon = arch_canonical(a, &e);
  free(canon);
  arch_eval_opts o = {2, ARCH_OBJ_ENERGY, 0};
  arch_net_result r;
  wr_err_clear(&e);
  if (arch_eval_net(a, net, &o, &r, &e) == WR_OK)
    arch_net_result_free(&r);
  FUZZ_CHECK_ERR(e);
  arch_free(a);
  return 0;
}
