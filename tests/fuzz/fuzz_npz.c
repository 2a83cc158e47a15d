/* fuzz_npz.c — .npz (zip of .npy members): wr_npz_read through a
 * temporary file, then a lookup. */
#include "fuzz_util.h"
#include "workloads.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *p = fuzz_tmpfile(0, ".npz", data, size);
  wr_npz z;
  wr_err e;
  wr_err_clear(&e);
  if (wr_npz_read(p, &z, &e) == WR_OK) {
    for (size_t i = 0; i < z.n; i++)
      if (wr_npz_get(&z, z.arrays[i].name) == NULL)
        abort();
    wr_npz_free(&z);
  }
  FUZZ_CHECK_ERR(e);
  return 0;
}
