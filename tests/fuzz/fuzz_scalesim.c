/* fuzz_scalesim.c — SCALE-Sim .cfg and topology .csv: the input is split
 * at its first NUL byte (or the first "\n----\n") into the cfg and the
 * csv, written to temporary files, read by scalesim_load and, if they
 * load, every row lowered to a GEMM and its compute cycles counted. */
#include "arch.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t cut = size, skip = 0;
  const uint8_t *z = memchr(data, 0, size);
  if (z) {
    cut = (size_t)(z - data);
    skip = 1;
  } else {
    for (size_t i = 0; i + 6 <= size; i++)
      if (memcmp(data + i, "\n----\n", 6) == 0) {
        cut = i + 1;
        skip = 5;
        break;
      }
  }
  if (cut == size)
    skip = 0;
  const char *cfg = fuzz_tmpfile(0, ".cfg", data, cut);
  const char *csv =
      fuzz_tmpfile(1, ".csv", data + cut + skip, size - cut - skip);
  scalesim_run r;
  wr_err e;
  wr_err_clear(&e);
  if (scalesim_load(cfg, csv, &r, &e) == WR_OK) {
    for (int i = 0; i < r.n_layers; i++) {
      arch_gemm g;
      arch_compute c;
      wr_err ce;
      (void)scalesim_layer_cycles(&r, i, &g, &c, &ce);
    }
    scalesim_free(&r);
  }
  FUZZ_CHECK_ERR(e);
  return 0;
}
