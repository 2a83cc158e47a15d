/*
 * synthetic.c — synthetic weights: an .npz image of every array the
 * executor reads for a network, drawn from a seeded GSL mt19937 generator
 * (sim_synthetic_weights in sim_exec.h), so a network runs without a
 * trained model.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "sim.h"
#include "weights_internal.h"

/* Appends to `z` a zeroed float32 array "layer.what" of the given shape. */
static int add_array(wr_npz *z, const char *layer, const char *what, int ndim,
                     const int64_t *shape, wr_err *e) {
  wr_array *na = realloc(z->arrays, (z->n + 1) * sizeof *na);
  if (!na)
    return sim_prep_oom(e);
  z->arrays = na;
  wr_array *a = &na[z->n];
  memset(a, 0, sizeof *a);
  size_t len = strlen(layer) + strlen(what) + 2;
  a->name = malloc(len);
  a->dtype = WR_DT_F32;
  a->ndim = ndim;
  a->count = 1;
  for (int i = 0; i < ndim; i++) {
    a->shape[i] = shape[i];
    a->count *= shape[i];
  }
  a->data = calloc((size_t)(a->count ? a->count : 1), sizeof(float));
  z->n++;
  if (!a->name || !a->data)
    return sim_prep_oom(e);
  snprintf(a->name, len, "%s.%s", layer, what);
  return WR_OK;
}

int sim_synthetic_weights(const wr_net *net, unsigned long seed, wr_npz *out,
                          wr_err *e) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!r)
    return sim_prep_oom(e);
  gsl_rng_set(r, seed);
  memset(out, 0, sizeof *out);
  int rc = WR_OK;
  for (int i = 0; rc == WR_OK && i < net->n_layers; i++) {
    const wr_layer *l = &net->layers[i];
    if (sim_is_compute(l)) {
      int64_t shape[4];
      int rank = sim_weight_shape(l, shape);
      rc = add_array(out, l->name, "weight", rank, shape, e);
      if (rc)
        break;
      float *w = out->arrays[out->n - 1].data;
      double fan_in = (double)(shape[1] * shape[2] * shape[3]);
      double lim =
          wr_bits_is_int(l->prec.a_bits) && wr_bits_is_int(l->prec.w_bits)
              ? 1.0
              : sqrt(6.0 / fan_in);
      for (int64_t k = 0; k < l->weights; k++)
        w[k] = (float)((2.0 * gsl_rng_uniform(r) - 1.0) * lim);
      if (l->bias)
        rc = add_array(out, l->name, "bias", 1, &shape[0], e);
    } else if (l->kind == WR_BN) {
      for (int k = 0; k < 4 && rc == WR_OK; k++) {
        rc = add_array(out, l->name, sim_bn_keys[k], 1, &l->out.c, e);
        if (rc == WR_OK && (k == 0 || k == 3))
          for (int64_t c = 0; c < l->out.c; c++)
            ((float *)out->arrays[out->n - 1].data)[c] = 1.0f;
      }
    }
  }
  gsl_rng_free(r);
  if (rc)
    wr_npz_free(out);
  return rc;
}
