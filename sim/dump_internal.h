/*
 * dump_internal.h — the layer dumps of a run over a dataset (dump.c, used
 * by run.c): one .npy per layer, [N, C, H, W], codes as int32 and binary32
 * values as float32.
 */
#ifndef WRPNSIM_DUMP_INTERNAL_H
#define WRPNSIM_DUMP_INTERNAL_H

#include <stdint.h>

#include "sim.h"

/* Every layer's file, created with its header up front; image i's output
 * goes to its own offset, so parallel workers can write in any order.
 * Each file is written atomically (wr_atomic_file). */
typedef struct sim_dumps sim_dumps;

/* Creates DIR/<layer>.npy (as temporary files) for every layer of `net`
 * (the network `m` was prepared for) and `n_images` images; DIR must
 * exist.  On failure *out is NULL and nothing is left behind. */
int sim_dumps_open(sim_dumps **out, const sim_model *m, const wr_net *net,
                   const char *dir, int64_t n_images, wr_err *e);

/* Closes every dump: renames them into place when `ok` (until one fails),
 * removes the others; frees `d` (NULL: nothing to do). */
int sim_dumps_close(sim_dumps *d, int ok, wr_err *e);

/* One worker's writer: the image being run and a conversion buffer.  Set
 * `image` before each sim_run_image; free `ibuf` when done. */
typedef struct sim_dump_writer {
  const sim_dumps *dumps;
  int64_t image;
  int32_t *ibuf;
  int64_t ibuf_len;
} sim_dump_writer;

/* A sim_dump_fn: writes one layer's output of the writer's image (ctx, a
 * sim_dump_writer). */
int sim_dump_write(void *ctx, const sim_output *o, wr_err *e);

#endif
