/*
 * fuzz_util.h — helpers shared by the libFuzzer harnesses: parsers that
 * take a path get the input through a temporary file in /dev/shm (or
 * $TMPDIR when /dev/shm is missing), one per process.
 */
#ifndef WRPNSIM_FUZZ_UTIL_H
#define WRPNSIM_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes data[0..n) to this process's temporary file number `slot` (0..3)
 * ending in `suffix`, and returns its path (static storage per slot). */
static const char *fuzz_tmpfile(int slot, const char *suffix,
                                const uint8_t *data, size_t n) {
  static char paths[4][256];
  char *p = paths[slot & 3];
  const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  snprintf(p, sizeof paths[0], "%s/wrpnsim-fuzz-%ld-%d%s", dir, (long)getpid(),
           slot, suffix);
  FILE *f = fopen(p, "wb");
  if (!f)
    abort();
  if (n && fwrite(data, 1, n, f) != n)
    abort();
  if (fclose(f) != 0)
    abort();
  return p;
}

/* Every error message must be a non-empty, NUL-terminated line. */
#define FUZZ_CHECK_ERR(e)                                                      \
  do {                                                                         \
    if ((e).status != 0 &&                                                     \
        ((e).msg[0] == 0 || memchr((e).msg, 0, sizeof(e).msg) == NULL))        \
      abort();                                                                 \
  } while (0)

#endif
