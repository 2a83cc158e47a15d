/* fuzz_npy.c — .npy: wr_npy_parse from memory, and wr_dataset_npy (the
 * image reader built on it) through a temporary file. */
#include "fuzz_util.h"
#include "workloads.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wr_array a;
  wr_err e;
  wr_err_clear(&e);
  if (wr_npy_parse(data, size, "fuzz.npy", &a, &e) == WR_OK) {
    if (a.count > 0 && a.data) {
      /* touch the last byte: the data must be as long as the header says */
      volatile uint8_t last =
          ((const uint8_t *)
               a.data)[(size_t)a.count * wr_dtype_size(a.dtype) - 1];
      (void)last;
    }
    wr_array_free(&a);
  }
  FUZZ_CHECK_ERR(e);
  const char *p = fuzz_tmpfile(0, ".npy", data, size);
  wr_dataset d;
  wr_err_clear(&e);
  if (wr_dataset_npy(p, 3, &d, &e) == WR_OK)
    wr_dataset_free(&d);
  FUZZ_CHECK_ERR(e);
  return 0;
}
