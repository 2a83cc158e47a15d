/* fuzz_sweep.c — sweep YAML specs: sweep_spec_load_string (which opens
 * the zoo networks, presets and accuracy tables a spec names), then the
 * grid size and the points it draws. */
#include "fuzz_util.h"
#include "sweep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sweep_spec s;
  wr_err e;
  wr_err_clear(&e);
  if (sweep_spec_load_string((const char *)data, size, "fuzz.yaml", &s, &e) !=
      WR_OK) {
    FUZZ_CHECK_ERR(e);
    return 0;
  }
  (void)sweep_grid_size(&s);
  uint64_t *idx = NULL;
  size_t n = 0;
  wr_err_clear(&e);
  if (sweep_points(&s, &idx, &n, &e) == WR_OK)
    free(idx);
  FUZZ_CHECK_ERR(e);
  sweep_spec_free(&s);
  return 0;
}
