/* fuzz_workload.c — workload YAML: wr_net_load_string, then wr_net_widen
 * at a few widths and the first-order models on what loads. */
#include "fuzz_util.h"
#include "workloads.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wr_err e;
  wr_err_clear(&e);
  wr_net *n = wr_net_load_string((const char *)data, size, "fuzz.yaml", &e);
  FUZZ_CHECK_ERR(e);
  if (!n)
    return 0;
  static const double widths[] = {2.0, 0.5, 3.7, 1.0};
  for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
    wr_err_clear(&e);
    if (wr_net_widen(n, widths[i], &e) != WR_OK) {
      FUZZ_CHECK_ERR(e);
      continue;
    }
    wr_net_totals t = wr_net_sum(n);
    (void)wr_net_cost(n, NULL, t.macs ? t.macs : 1);
    wr_footprint fp;
    wr_err_clear(&e);
    (void)wr_net_footprint(n, 8, &fp, &e);
    FUZZ_CHECK_ERR(e);
  }
  wr_net_free(n);
  return 0;
}
