/* dump.c — every layer's outputs of a run over a dataset as .npy files,
 * written in parallel at each image's offset through the atomic file
 * I/O of workloads/ (so a failed run leaves no half-written dump). */
#include <stdlib.h>
#include <string.h>

#include "dump_internal.h"

typedef struct dump_file {
  wr_atomic_file f;
  int open;
  int64_t hdr_len, elem_size, per_image;
} dump_file;

struct sim_dumps {
  const wr_net *net;
  dump_file *files;
};

static int dump_open_layer(sim_dumps *d, const sim_model *m, int i,
                           const char *dir, int64_t n_images, wr_err *e) {
  const wr_layer *l = &d->net->layers[i];
  dump_file *df = &d->files[i];
  size_t len = strlen(dir) + strlen(l->name) + 16;
  char *path = malloc(len);
  if (!path)
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  snprintf(path, len, "%s/%s.npy", dir, l->name);
  int rc = wr_atomic_open(&df->f, path, e);
  free(path);
  if (rc)
    return rc;
  df->open = 1;
  int codes = wr_bits_is_int(sim_model_out_bits(m, i));
  wr_array shape = {NULL, codes ? WR_DT_I32 : WR_DT_F32,
                    4,    {n_images, l->out.c, l->out.h, l->out.w},
                    0,    NULL};
  char hdr[256];
  size_t n = wr_npy_header(&shape, hdr, sizeof hdr);
  if (!n)
    return wr_err_set(e, WR_ERUNTIME, "%s: cannot write the .npy header",
                      df->f.path);
  if (wr_atomic_write_at(&df->f, hdr, n, 0, e))
    return e->status;
  df->hdr_len = (int64_t)n;
  df->elem_size = 4;
  df->per_image = wr_shape_elems(l->out);
  return WR_OK;
}

int sim_dumps_open(sim_dumps **out, const sim_model *m, const wr_net *net,
                   const char *dir, int64_t n_images, wr_err *e) {
  *out = NULL;
  sim_dumps *d = calloc(1, sizeof *d);
  if (!d)
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  d->net = net;
  d->files = calloc((size_t)net->n_layers, sizeof *d->files);
  if (!d->files) {
    free(d);
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  }
  for (int i = 0; i < net->n_layers; i++)
    if (dump_open_layer(d, m, i, dir, n_images, e)) {
      wr_err ignored;
      sim_dumps_close(d, 0, &ignored);
      return e->status;
    }
  *out = d;
  return WR_OK;
}

int sim_dump_write(void *ctx, const sim_output *o, wr_err *e) {
  sim_dump_writer *w = ctx;
  const dump_file *df = &w->dumps->files[o->layer];
  const void *src = o->values;
  if (wr_bits_is_int(o->bits)) {
    if (o->count > w->ibuf_len) {
      int32_t *nb = realloc(w->ibuf, (size_t)o->count * sizeof *nb);
      if (!nb)
        return wr_err_set(e, WR_ENOMEM, "out of memory");
      w->ibuf = nb;
      w->ibuf_len = o->count;
    }
    for (int64_t k = 0; k < o->count; k++)
      w->ibuf[k] = (int32_t)sim_packed_get(o->codes, k);
    src = w->ibuf;
  }
  return wr_atomic_write_at(
      &df->f, src, (size_t)(o->count * df->elem_size),
      df->hdr_len + w->image * df->per_image * df->elem_size, e);
}

int sim_dumps_close(sim_dumps *d, int ok, wr_err *e) {
  int rc = WR_OK;
  for (int i = 0; d && i < d->net->n_layers; i++) {
    dump_file *df = &d->files[i];
    if (!df->open)
      continue;
    if (ok && rc == WR_OK)
      rc = wr_atomic_commit(&df->f, e);
    else
      wr_atomic_discard(&df->f);
  }
  if (d)
    free(d->files);
  free(d);
  return rc;
}
