/* fuzz_idx.c — IDX files, plain or gzip (the Fashion-MNIST reader):
 * wr_idx_read through a temporary file, and wr_dataset_fashion_mnist with
 * the input as the test images next to a fixed 3-label file. */
#include "fuzz_util.h"
#include "workloads.h"

#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *p = fuzz_tmpfile(0, ".idx", data, size);
  int ndim = 0;
  int64_t dims[4];
  uint8_t *px = NULL;
  wr_err e;
  wr_err_clear(&e);
  if (wr_idx_read(p, &ndim, dims, &px, &e) == WR_OK) {
    if (ndim < 1 || ndim > 4)
      abort();
    free(px);
  }
  FUZZ_CHECK_ERR(e);

  /* the same bytes as a Fashion-MNIST image file, next to a labels file
   * (both rewritten when something cleaned the folder away) */
  static char dir[256];
  if (!dir[0])
    snprintf(dir, sizeof dir, "%s/wrpnsim-fuzz-%ld-fmnist",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
             (long)getpid());
  char lp[300], ip[300];
  snprintf(lp, sizeof lp, "%s/t10k-labels-idx1-ubyte.gz", dir);
  snprintf(ip, sizeof ip, "%s/t10k-images-idx3-ubyte.gz", dir);
  if (access(lp, R_OK) != 0) {
    static const uint8_t labels[] = {0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 9};
    mkdir(dir, 0700);
    FILE *f = fopen(lp, "wb");
    if (!f || fwrite(labels, 1, sizeof labels, f) != sizeof labels)
      abort();
    fclose(f);
  }
  FILE *f = fopen(ip, "wb");
  if (!f || (size && fwrite(data, 1, size, f) != size))
    abort();
  fclose(f);
  wr_dataset d;
  wr_err_clear(&e);
  if (wr_dataset_fashion_mnist(dir, 0, 0, &d, &e) == WR_OK)
    wr_dataset_free(&d);
  FUZZ_CHECK_ERR(e);
  return 0;
}
