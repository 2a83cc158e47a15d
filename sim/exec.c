/*
 * exec.c — the functional executor: prepares a widened, quantized network
 * with its weights (quantized weight codes, batch norm and bias folded into
 * binary32 scales and shifts) and runs images through it bit-accurately,
 * following the numeric contract of docs/numerics.md.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "weights_internal.h"

enum { MODE_INT, MODE_F32 };

typedef struct lay {
  int out_bits;      /* 1..16: the output is codes; 32: binary32 values */
  int64_t out_count; /* values per image */
  sim_packed codes;  /* output: codes packed at out_bits, or values */
  float *vals;
  int borrowed; /* a folded bn: the output is its producer's (the same
                   words and values) */
  /* conv and fc */
  int mode; /* MODE_INT or MODE_F32 */
  int a_bits, w_bits;
  sim_conv_geom geom;
  sim_wpack *wpack; /* packed weight codes (MODE_INT) */
  float *wf;        /* weight values (MODE_F32) */
  float *m, *b;     /* per output channel: y = fl32(fl32(acc * m) + b) */
  /* fixed-point requantizer (integer layers read by a quantizing act) */
  int rq_act; /* that act, or -1; the layer writes the act's codes */
  int64_t *rq_M, *rq_B;
  int64_t *wnz; /* non-zero weight counts (sim_weight_nz), MODE_INT */
  /* act */
  int relu; /* FP32 network: ReLU instead of clip to [0, 1] */
} lay;

struct sim_model {
  const wr_net *net;
  int shared; /* a clone: weights belong to the model it came from */
  int64_t max_acc, max_in; /* sizes of the scratch buffers below */
  int64_t max_qin;         /* words of qin */
  const char *wsrc;        /* names the weights in messages (borrowed) */
  sim_config cfg;
  lay *L;
  int *read_bits;
  int64_t *acc;          /* integer accumulators of the largest conv */
  sim_packed qin;        /* requantized input codes of a conv */
  float *fin;            /* input values of the largest FP32 conv */
  int64_t max_pool;      /* codes of pool (an input and an output plane) */
  uint16_t *pool;        /* a pool layer's planes of codes, unpacked */
  float *input;          /* the network input, binary32 */
  int ops_on, ops_group; /* operand statistics (sim_model_operand_stats) */
  int64_t max_cin;       /* codes of the largest integer conv/fc input */
  uint8_t *nzbuf;        /* their non-zero indicators */
};

sim_config sim_config_default(void) {
  sim_config c = {32, WR_OVF_SATURATE, WR_RQ_FLOAT, 24, 32, WR_ROUND_RNE};
  return c;
}

int sim_prep_oom(wr_err *e) {
  return wr_err_set(e, WR_ENOMEM, "out of memory preparing the network");
}

const char *const sim_bn_keys[4] = {"weight", "bias", "running_mean",
                                    "running_var"};

/* ---- weights ------------------------------------------------------------ */

/* Finds `key` in the archive as an array of `count` values with the given
 * shape (ndim entries); converts it to binary32 into `dst`. */
static int take_array(const wr_npz *w, const char *src, const char *key,
                      int ndim, const int64_t *shape, float *dst, wr_err *e) {
  const wr_array *a = wr_npz_get(w, key);
  char want[128] = "", got[128] = "";
  size_t u = 0;
  for (int i = 0; i < ndim; i++)
    u += (size_t)snprintf(want + u, sizeof want - u, "%s%lld", i ? ", " : "",
                          (long long)shape[i]);
  if (!a)
    return wr_err_set(e, WR_EINPUT, "%s: missing array '%s' of shape [%s]", src,
                      key, want);
  int same = a->ndim == ndim;
  for (int i = 0; i < ndim && same; i++)
    same = a->shape[i] == shape[i];
  u = 0;
  for (int i = 0; i < a->ndim && u < sizeof got; i++)
    u += (size_t)snprintf(got + u, sizeof got - u, "%s%lld", i ? ", " : "",
                          (long long)a->shape[i]);
  if (!same)
    return wr_err_set(e, WR_EINPUT,
                      "%s: array '%s' has shape [%s], the network needs [%s]",
                      src, key, got, want);
  if (a->dtype != WR_DT_F32 && a->dtype != WR_DT_F64)
    return wr_err_set(e, WR_EINPUT,
                      "%s: array '%s' is %s, expected float32 or float64", src,
                      key, wr_dtype_descr(a->dtype));
  char at[WR_ARRAY_MAX_DIMS * 21 + 3];
  int64_t bad = wr_array_first_nonfinite(a, -1);
  if (bad >= 0) {
    double v = a->dtype == WR_DT_F32 ? ((const float *)a->data)[bad]
                                     : ((const double *)a->data)[bad];
    return wr_err_set(e, WR_EINPUT,
                      "%s: array '%s' holds a non-finite value (%s) at index "
                      "%s",
                      src, key, wr_nonfinite_name(v),
                      wr_array_index_str(a, bad, at, sizeof at));
  }
  if (a->dtype == WR_DT_F32) {
    memcpy(dst, a->data, (size_t)a->count * sizeof(float));
    return WR_OK;
  }
  const double *s = a->data;
  for (int64_t i = 0; i < a->count; i++) {
    if (fabs(s[i]) > FLT_MAX)
      return wr_err_set(e, WR_EINPUT,
                        "%s: array '%s' holds %g at index %s, which does not "
                        "fit float32",
                        src, key, s[i],
                        wr_array_index_str(a, i, at, sizeof at));
    dst[i] = (float)s[i];
  }
  return WR_OK;
}

static int take(const wr_npz *w, const char *src, const char *layer,
                const char *what, int ndim, const int64_t *shape, float *dst,
                wr_err *e) {
  char key[512];
  snprintf(key, sizeof key, "%s.%s", layer, what);
  return take_array(w, src, key, ndim, shape, dst, e);
}

/* Batch norm of `c` channels as scale s and shift t (binary64). */
typedef struct bn_params {
  double *s, *t;
} bn_params;

static int read_bn(const wr_npz *w, const char *src, const wr_layer *bn,
                   int64_t c, bn_params *out, wr_err *e) {
  float *buf = malloc((size_t)(4 * c) * sizeof *buf);
  out->s = malloc((size_t)c * sizeof(double));
  out->t = malloc((size_t)c * sizeof(double));
  int rc = (!buf || !out->s || !out->t) ? sim_prep_oom(e) : WR_OK;
  for (int k = 0; k < 4 && rc == WR_OK; k++)
    rc = take(w, src, bn->name, sim_bn_keys[k], 1, &c, buf + k * c, e);
  for (int64_t i = 0; i < c && rc == WR_OK; i++) {
    double var = buf[3 * c + i];
    if (var < 0)
      rc = wr_err_set(e, WR_EINPUT,
                      "%s: array '%s.running_var' holds a negative variance "
                      "(%g) at index [%lld]",
                      src, bn->name, var, (long long)i);
    double s = (double)buf[i] / sqrt(var + bn->eps);
    out->s[i] = s;
    out->t[i] = (double)buf[c + i] - s * (double)buf[2 * c + i];
  }
  free(buf);
  return rc;
}

/* Number of layers reading each layer. */
static int *count_readers(const wr_net *n) {
  int *r = calloc((size_t)n->n_layers + 1, sizeof *r);
  if (!r)
    return NULL;
  for (int j = 0; j < n->n_layers; j++)
    for (int k = 0; k < n->layers[j].n_inputs; k++)
      if (n->layers[j].inputs[k] >= 0)
        r[n->layers[j].inputs[k]]++;
  return r;
}

/* The bn layer folded into compute layer i, or -1. */
static int folded_bn(const wr_net *n, const int *readers, int i) {
  if (readers[i] != 1)
    return -1;
  for (int j = i + 1; j < n->n_layers; j++) {
    const wr_layer *l = &n->layers[j];
    for (int k = 0; k < l->n_inputs; k++)
      if (l->inputs[k] == i)
        return l->kind == WR_BN ? j : -1;
  }
  return -1;
}

void sim_conv_geom_of(const wr_layer *l, sim_conv_geom *g) {
  memset(g, 0, sizeof *g);
  if (l->kind == WR_FC) {
    g->c_in = wr_shape_elems(l->in);
    g->h_in = g->w_in = 1;
    g->kh = g->kw = g->sh = g->sw = g->dh = g->dw = 1;
    g->groups = 1;
  } else {
    g->c_in = l->in.c;
    g->h_in = l->in.h;
    g->w_in = l->in.w;
    g->kh = l->kh;
    g->kw = l->kw;
    g->sh = l->sh;
    g->sw = l->sw;
    g->dh = l->dh;
    g->dw = l->dw;
    g->pad_t = l->pad_t;
    g->pad_l = l->pad_l;
    g->groups = l->groups;
  }
  g->c_out = l->out.c;
  g->h_out = l->out.h;
  g->w_out = l->out.w;
}

/* Quantizes the weights of compute layer `l` and folds its scaling. */
static int prepare_compute(sim_model *m, const wr_npz *w, int i, int bn,
                           wr_err *e) {
  const wr_net *net = m->net;
  const wr_layer *l = &net->layers[i];
  lay *L = &m->L[i];
  sim_conv_geom_of(l, &L->geom);
  int64_t c = l->out.c, n_w = l->weights;
  int64_t shape[4];
  int rank = sim_weight_shape(l, shape);
  float *wf = malloc((size_t)n_w * sizeof *wf);
  double *bias = calloc((size_t)c, sizeof *bias);
  L->m = malloc((size_t)c * sizeof *L->m);
  L->b = malloc((size_t)c * sizeof *L->b);
  if (!wf || !bias || !L->m || !L->b) {
    free(wf);
    free(bias);
    return sim_prep_oom(e);
  }
  int rc = take(w, m->wsrc, l->name, "weight", rank, shape, wf, e);
  if (rc == WR_OK && l->bias) {
    float *bf = malloc((size_t)c * sizeof *bf);
    rc = bf ? take(w, m->wsrc, l->name, "bias", 1, &c, bf, e) : sim_prep_oom(e);
    for (int64_t k = 0; k < c && rc == WR_OK; k++)
      bias[k] = bf[k];
    free(bf);
  }
  L->a_bits = l->prec.a_bits;
  L->w_bits = l->prec.w_bits;
  L->mode = (wr_bits_is_int(L->a_bits) && wr_bits_is_int(L->w_bits)) ? MODE_INT
                                                                     : MODE_F32;
  double scale = 1.0, alpha = 0.0;
  if (rc == WR_OK && L->w_bits == 1)
    alpha = sim_weight_alpha(wf, n_w);
  if (rc == WR_OK && L->mode == MODE_INT) {
    int32_t *wq = malloc((size_t)n_w * sizeof *wq);
    if (!wq)
      rc = sim_prep_oom(e);
    for (int64_t k = 0; rc == WR_OK && k < n_w; k++)
      wq[k] = sim_weight_code(wf[k], L->w_bits);
    if (rc == WR_OK &&
        !(L->wpack = sim_wpack_new(&L->geom, wq, L->a_bits, L->w_bits,
                                   SIM_KERNEL_AUTO, e)))
      rc = WR_ENOMEM;
    if (rc == WR_OK && !(L->wnz = sim_weight_nz(&L->geom, wq, e)))
      rc = WR_ENOMEM;
    int64_t cin = L->geom.c_in * L->geom.h_in * L->geom.w_in;
    if (cin > m->max_cin)
      m->max_cin = cin;
    free(wq);
    double top_a = (double)((1 << L->a_bits) - 1);
    scale = L->w_bits == 1
                ? alpha / top_a
                : 1.0 / (top_a * (double)((1 << (L->w_bits - 1)) - 1));
  } else if (rc == WR_OK) {
    /* FP32 path: weights as binary32 values (fake-quantized when their
       bits are below 32) */
    if (wr_bits_is_int(L->w_bits))
      sim_weight_dequant(wf, n_w, L->w_bits, alpha, wf);
    L->wf = wf;
    wf = NULL;
  }
  free(wf);
  bn_params bp = {NULL, NULL};
  if (rc == WR_OK && bn >= 0)
    rc = read_bn(w, m->wsrc, &net->layers[bn], c, &bp, e);
  for (int64_t k = 0; rc == WR_OK && k < c; k++) {
    double s = bp.s ? bp.s[k] : 1.0, t = bp.t ? bp.t[k] : 0.0;
    L->m[k] = (float)(scale * s);
    L->b[k] = (float)(t + s * bias[k]);
  }
  free(bp.s);
  free(bp.t);
  free(bias);
  return rc;
}

static int prepare_bn(sim_model *m, const wr_npz *w, int i, wr_err *e) {
  const wr_layer *l = &m->net->layers[i];
  lay *L = &m->L[i];
  int64_t c = l->out.c;
  bn_params bp;
  L->m = malloc((size_t)c * sizeof *L->m);
  L->b = malloc((size_t)c * sizeof *L->b);
  if (!L->m || !L->b)
    return sim_prep_oom(e);
  int rc = read_bn(w, m->wsrc, l, c, &bp, e);
  for (int64_t k = 0; rc == WR_OK && k < c; k++) {
    L->m[k] = (float)bp.s[k];
    L->b[k] = (float)bp.t[k];
  }
  free(bp.s);
  free(bp.t);
  return rc;
}

/* ---- model ------------------------------------------------------------- */

void sim_model_free(sim_model *m) {
  if (!m)
    return;
  for (int i = 0; m->L && i < m->net->n_layers; i++) {
    lay *L = &m->L[i];
    if (!L->borrowed) {
      sim_packed_free(&L->codes);
      free(L->vals);
    }
    if (m->shared)
      continue;
    sim_wpack_free(L->wpack);
    free(L->wnz);
    free(L->rq_M);
    free(L->rq_B);
    free(L->wf);
    free(L->m);
    free(L->b);
  }
  free(m->L);
  if (!m->shared)
    free(m->read_bits);
  free(m->acc);
  sim_packed_free(&m->qin);
  free(m->fin);
  free(m->pool);
  free(m->input);
  free(m->nzbuf);
  free(m);
}

/* Allocates the buffers one run needs: every layer's output (a folded bn
 * shares its producer's; codes packed at their bits), and scratch. */
static int alloc_buffers(sim_model *m, wr_err *e) {
  const wr_net *net = m->net;
  for (int i = 0; i < net->n_layers; i++) {
    lay *L = &m->L[i];
    if (L->borrowed) {
      L->codes = m->L[net->layers[i].inputs[0]].codes;
      L->vals = m->L[net->layers[i].inputs[0]].vals;
    } else if (wr_bits_is_int(L->out_bits)) {
      if (sim_packed_reset(&L->codes, L->out_count, L->out_bits, e))
        return e->status;
    } else if (!(L->vals = malloc((size_t)L->out_count * sizeof *L->vals))) {
      return sim_prep_oom(e);
    }
  }
  /* the requantized input of a conv: the words of the largest (4 (n - 1)
     codes of 16 bits take n), reshaped for each conv without allocating */
  if (sim_packed_reset(&m->qin, (m->max_qin - 1) * 4, WR_MAX_INT_BITS, e))
    return e->status;
  m->acc = malloc((size_t)m->max_acc * sizeof *m->acc);
  m->fin = malloc((size_t)m->max_in * sizeof *m->fin);
  m->pool = malloc((size_t)m->max_pool * sizeof *m->pool);
  m->input = malloc((size_t)wr_shape_elems(net->input) * sizeof *m->input);
  return (!m->acc || !m->fin || !m->pool || !m->input) ? sim_prep_oom(e)
                                                       : WR_OK;
}

sim_model *sim_model_clone(const sim_model *src, wr_err *e) {
  sim_model *m = calloc(1, sizeof *m);
  if (!m) {
    sim_prep_oom(e);
    return NULL;
  }
  *m = *src;
  m->shared = 1;
  m->acc = NULL;
  memset(&m->qin, 0, sizeof m->qin);
  m->fin = NULL;
  m->pool = NULL;
  m->input = NULL;
  m->nzbuf = NULL;
  if (src->ops_on && !(m->nzbuf = malloc((size_t)src->max_cin + 1))) {
    free(m);
    sim_prep_oom(e);
    return NULL;
  }
  m->L = calloc((size_t)src->net->n_layers, sizeof *m->L);
  if (!m->L) {
    free(m);
    sim_prep_oom(e);
    return NULL;
  }
  for (int i = 0; i < src->net->n_layers; i++) {
    m->L[i] = src->L[i];
    memset(&m->L[i].codes, 0, sizeof m->L[i].codes);
    m->L[i].vals = NULL;
  }
  if (alloc_buffers(m, e)) {
    sim_model_free(m);
    return NULL;
  }
  return m;
}

int sim_model_operand_stats(sim_model *m, int group, wr_err *e) {
  uint8_t *b = realloc(m->nzbuf, (size_t)m->max_cin + 1);
  if (!b)
    return sim_prep_oom(e);
  m->nzbuf = b;
  m->ops_on = 1;
  m->ops_group = group > 0 ? group : 0;
  return WR_OK;
}

int sim_model_out_bits(const sim_model *m, int layer) {
  return m->L[layer].out_bits;
}

sim_act_bytes sim_model_act_bytes(const sim_model *m) {
  sim_act_bytes b = {0, 0, 0};
  for (int i = 0; i < m->net->n_layers; i++) {
    const lay *L = &m->L[i];
    if (L->borrowed)
      continue;
    b.codes += L->codes.cap * (int64_t)sizeof *L->codes.words;
    b.values += L->vals ? L->out_count * (int64_t)sizeof *L->vals : 0;
  }
  b.values += wr_shape_elems(m->net->input) * (int64_t)sizeof *m->input;
  b.scratch = m->max_acc * (int64_t)sizeof *m->acc +
              m->qin.cap * (int64_t)sizeof *m->qin.words +
              m->max_in * (int64_t)sizeof *m->fin +
              m->max_pool * (int64_t)sizeof *m->pool;
  return b;
}

/* The one layer reading layer i, or -1 (none or several). */
static int sole_reader(const wr_net *n, const int *readers, int i) {
  if (readers[i] != 1)
    return -1;
  for (int j = i + 1; j < n->n_layers; j++)
    for (int k = 0; k < n->layers[j].n_inputs; k++)
      if (n->layers[j].inputs[k] == i)
        return j;
  return -1;
}

/* Fixed-point requantizer constants of integer layer i, when an act that
 * quantizes reads it (through a folded bn). */
static int prepare_requant(sim_model *m, const int *readers, int i, wr_err *e) {
  const wr_net *n = m->net;
  lay *L = &m->L[i];
  L->rq_act = -1;
  int r = sole_reader(n, readers, i);
  if (r >= 0 && m->L[r].borrowed)
    r = sole_reader(n, readers, r);
  if (r < 0 || n->layers[r].kind != WR_ACT || !wr_bits_is_int(m->L[r].out_bits))
    return WR_OK;
  const wr_layer *l = &n->layers[i];
  int64_t c = l->out.c;
  double scale = ldexp((double)((1 << m->L[r].out_bits) - 1), m->cfg.rq_shift);
  double lim = ldexp(1.0, m->cfg.rq_mult_bits - 1);
  L->rq_M = malloc((size_t)c * sizeof *L->rq_M);
  L->rq_B = malloc((size_t)c * sizeof *L->rq_B);
  if (!L->rq_M || !L->rq_B)
    return sim_prep_oom(e);
  for (int64_t k = 0; k < c; k++) {
    double M = nearbyint((double)L->m[k] * scale);
    double B = nearbyint((double)L->b[k] * scale);
    if (!(fabs(M) < lim) || !(fabs(B) < ldexp(1.0, 62)))
      return wr_err_set(e, WR_EINPUT,
                        "fixed-point requantizer: %s '%s' channel %lld needs "
                        "a multiplier of %.0f, more than %d signed bits hold; "
                        "use fewer fraction bits (--rq-shift)",
                        wr_kind_name(l->kind), l->name, (long long)k, M,
                        m->cfg.rq_mult_bits);
    L->rq_M[k] = (int64_t)M;
    L->rq_B[k] = (int64_t)B;
  }
  L->rq_act = r;
  return WR_OK;
}

/* Representation of every layer's output (see docs/numerics.md). */
static int out_bits_of(const sim_model *m, int i) {
  const wr_net *n = m->net;
  const wr_layer *l = &n->layers[i];
  int in0 = l->inputs[0] < 0 ? WR_FP32_BITS : m->L[l->inputs[0]].out_bits;
  switch (l->kind) {
  case WR_ACT:
    return m->read_bits[i];
  case WR_MAXPOOL:
    return in0;
  case WR_CONCAT:
    for (int k = 0; k < l->n_inputs; k++) {
      int b = l->inputs[k] < 0 ? WR_FP32_BITS : m->L[l->inputs[k]].out_bits;
      if (b == WR_FP32_BITS)
        return WR_FP32_BITS;
    }
    return wr_bits_is_int(m->read_bits[i]) ? m->read_bits[i] : WR_FP32_BITS;
  default:
    return WR_FP32_BITS;
  }
}

sim_model *sim_model_new(const wr_net *net, const wr_npz *w, const char *wsrc,
                         const sim_config *cfg, wr_err *e) {
  if (cfg->acc_bits < 2 || cfg->acc_bits > 64) {
    wr_err_set(e, WR_EINPUT, "accumulator bits %d: expected 2..64",
               cfg->acc_bits);
    return NULL;
  }
  if (cfg->requant == WR_RQ_FIXED &&
      (cfg->rq_shift < 1 || cfg->rq_shift > 62 || cfg->rq_mult_bits < 2 ||
       cfg->rq_mult_bits > 63)) {
    wr_err_set(e, WR_EINPUT,
               "fixed-point requantizer: shift %d and multiplier bits %d "
               "must be in 1..62 and 2..63",
               cfg->rq_shift, cfg->rq_mult_bits);
    return NULL;
  }
  sim_model *m = calloc(1, sizeof *m);
  int *readers = count_readers(net);
  if (!m || !readers) {
    free(m);
    free(readers);
    sim_prep_oom(e);
    return NULL;
  }
  m->net = net;
  m->wsrc = wsrc ? wsrc : "weights";
  m->cfg = *cfg;
  m->L = calloc((size_t)net->n_layers, sizeof *m->L);
  m->read_bits = calloc((size_t)net->n_layers + 1, sizeof *m->read_bits);
  int rc = (!m->L || !m->read_bits) ? sim_prep_oom(e) : WR_OK;
  if (rc == WR_OK)
    wr_net_read_bits(net, m->read_bits);
  int quantized = 0;
  for (int i = 0; i < net->n_layers; i++)
    quantized |= sim_is_compute(&net->layers[i]) &&
                 wr_bits_is_int(net->layers[i].prec.a_bits);
  int64_t max_acc = 0, max_in = 0, max_qin = 1, max_pool = 1;
  for (int i = 0; rc == WR_OK && i < net->n_layers; i++) {
    const wr_layer *l = &net->layers[i];
    lay *L = &m->L[i];
    L->rq_act = -1;
    L->out_count = wr_shape_elems(l->out);
    if (sim_is_compute(l)) {
      int bn = folded_bn(net, readers, i);
      rc = prepare_compute(m, w, i, bn, e);
      if (bn >= 0)
        m->L[bn].borrowed = 1;
      if (l->out.c * l->out.h * l->out.w > max_acc)
        max_acc = l->out.c * l->out.h * l->out.w;
      if (wr_shape_elems(l->in) > max_in)
        max_in = wr_shape_elems(l->in);
      int in_bits =
          l->inputs[0] < 0 ? WR_FP32_BITS : m->L[l->inputs[0]].out_bits;
      int64_t words = sim_packed_words(wr_shape_elems(l->in), L->a_bits);
      if (rc == WR_OK && L->mode == MODE_INT && in_bits != L->a_bits &&
          words > max_qin)
        max_qin = words;
    } else if (l->kind == WR_MAXPOOL || l->kind == WR_AVGPOOL) {
      int64_t n = l->in.h * l->in.w + l->out.h * l->out.w;
      max_pool = n > max_pool ? n : max_pool;
    } else if (l->kind == WR_BN && !L->borrowed) {
      rc = prepare_bn(m, w, i, e);
    }
    L->relu = !quantized;
    L->out_bits = L->borrowed ? m->L[l->inputs[0]].out_bits : out_bits_of(m, i);
  }
  for (int i = 0;
       rc == WR_OK && cfg->requant == WR_RQ_FIXED && i < net->n_layers; i++)
    if (sim_is_compute(&net->layers[i]) && m->L[i].mode == MODE_INT)
      rc = prepare_requant(m, readers, i, e);
  m->max_acc = max_acc ? max_acc : 1;
  m->max_in = max_in ? max_in : 1;
  m->max_qin = max_qin;
  m->max_pool = max_pool;
  if (rc == WR_OK)
    rc = alloc_buffers(m, e);
  free(readers);
  if (rc) {
    sim_model_free(m);
    return NULL;
  }
  return m;
}

/* ---- running ------------------------------------------------------------ */

/* Codes converted a chunk at a time between packed and one a uint16. */
enum { CHUNK = 256 };

/* Codes in the chunk of a tensor of `count` codes starting at k0. */
static int64_t chunk_len(int64_t count, int64_t k0) {
  return count - k0 < CHUNK ? count - k0 : CHUNK;
}

typedef struct view {
  int bits;
  const sim_packed *codes;
  const float *vals;
  int64_t count;
} view;

static view input_of(const sim_model *m, int src) {
  view v;
  if (src < 0) {
    v.bits = WR_FP32_BITS;
    v.codes = NULL;
    v.vals = m->input;
    v.count = wr_shape_elems(m->net->input);
  } else {
    const lay *L = &m->L[src];
    v.bits = L->out_bits;
    v.codes = &L->codes;
    v.vals = L->vals;
    v.count = L->out_count;
  }
  return v;
}

static float value_at(view v, int64_t k) {
  return wr_bits_is_int(v.bits)
             ? sim_act_value((int32_t)sim_packed_get(v.codes, k), v.bits)
             : v.vals[k];
}

/* Codes of `v` at `bits` into *out: as they are, or requantized into
 * `buf` (counted). */
static int codes_at(view v, int bits, sim_packed *buf, const sim_packed **out,
                    uint64_t *requantized, wr_err *e) {
  *out = v.codes;
  if (v.bits == bits)
    return WR_OK;
  int rc = sim_packed_reset(buf, v.count, bits, e);
  for (int64_t k = 0; rc == WR_OK && k < v.count; k++)
    sim_packed_set(buf, k, (uint32_t)sim_act_code(value_at(v, k), bits));
  *requantized += (uint64_t)v.count;
  *out = buf;
  return rc;
}

static int run_compute(sim_model *m, int i, sim_layer_stats *st, wr_err *e) {
  const wr_layer *l = &m->net->layers[i];
  lay *L = &m->L[i];
  view v = input_of(m, l->inputs[0]);
  const sim_conv_geom *g = &L->geom;
  int64_t plane = g->h_out * g->w_out;
  if (L->mode == MODE_F32) {
    const float *x = v.vals;
    if (wr_bits_is_int(v.bits)) {
      for (int64_t k = 0; k < v.count; k++)
        m->fin[k] = value_at(v, k);
      x = m->fin;
    }
    sim_conv_f32(g, x, L->wf, L->vals);
    for (int64_t c = 0; c < g->c_out; c++)
      for (int64_t k = 0; k < plane; k++) {
        volatile float p = L->vals[c * plane + k] * L->m[c];
        L->vals[c * plane + k] = p + L->b[c];
      }
    return WR_OK;
  }
  uint64_t dummy = 0;
  const sim_packed *q;
  int rc =
      codes_at(v, L->a_bits, &m->qin, &q, st ? &st->requantized : &dummy, e);
  if (rc == WR_OK)
    rc = sim_conv_packed_in(L->wpack, q, m->acc, e);
  if (rc)
    return rc;
  if (m->ops_on && st) {
    sim_operand_stats o;
    sim_operand_count(g, q, L->wnz, m->ops_group, &o, m->nzbuf);
    sim_operand_add(&st->ops, &o);
  }
  sim_packed *rq = L->rq_act >= 0 ? &m->L[L->rq_act].codes : NULL;
  uint64_t ovf = 0;
  for (int64_t c = 0; c < g->c_out; c++)
    for (int64_t k = 0; k < plane; k++) {
      int64_t a = sim_acc_apply(m->acc[c * plane + k], m->cfg.acc_bits,
                                m->cfg.overflow, &ovf);
      if (ovf && m->cfg.overflow == WR_OVF_ERROR)
        return wr_err_set(e, WR_ERUNTIME,
                          "%s '%s': accumulator overflow (%d bits) at output "
                          "channel %lld, position %lld: exact sum %lld",
                          wr_kind_name(l->kind), l->name, m->cfg.acc_bits,
                          (long long)c, (long long)k,
                          (long long)m->acc[c * plane + k]);
      volatile float p = (float)a * L->m[c];
      L->vals[c * plane + k] = p + L->b[c];
      if (rq)
        sim_packed_set(rq, c * plane + k,
                       (uint32_t)sim_requant_fixed(a, L->rq_M[c], L->rq_B[c],
                                                   m->cfg.rq_shift,
                                                   m->cfg.rq_round, rq->bits));
    }
  if (st)
    st->overflows += ovf;
  return WR_OK;
}

static void run_bn(sim_model *m, int i) {
  const wr_layer *l = &m->net->layers[i];
  lay *L = &m->L[i];
  view v = input_of(m, l->inputs[0]);
  int64_t plane = l->out.h * l->out.w;
  for (int64_t c = 0; c < l->out.c; c++)
    for (int64_t k = 0; k < plane; k++) {
      volatile float p = value_at(v, c * plane + k) * L->m[c];
      L->vals[c * plane + k] = p + L->b[c];
    }
}

static void run_act(sim_model *m, int i, sim_layer_stats *st) {
  const wr_layer *l = &m->net->layers[i];
  lay *L = &m->L[i];
  view v = input_of(m, l->inputs[0]);
  int src = l->inputs[0];
  if (src >= 0 && m->L[src].borrowed)
    src = m->net->layers[src].inputs[0];
  if (src >= 0 && m->L[src].rq_act == i) {
    /* the architecture's fixed-point requantizer gave the codes (written
       by the conv/fc); count where the binary32 rule would differ */
    uint64_t diff = 0;
    for (int64_t k = 0; k < L->out_count; k++)
      diff += sim_packed_get(&L->codes, k) !=
              (uint32_t)sim_act_code(v.vals[k], L->out_bits);
    if (st)
      st->rq_mismatch += diff;
    return;
  }
  if (wr_bits_is_int(L->out_bits)) {
    /* codes a chunk at a time, packed in one stream */
    uint16_t buf[CHUNK];
    for (int64_t k0 = 0; k0 < L->out_count; k0 += CHUNK) {
      int64_t n = chunk_len(L->out_count, k0);
      for (int64_t k = 0; k < n; k++)
        buf[k] = (uint16_t)sim_act_code(value_at(v, k0 + k), L->out_bits);
      sim_packed_pack(&L->codes, k0, n, buf);
    }
    return;
  }
  for (int64_t k = 0; k < L->out_count; k++) {
    float x = value_at(v, k);
    if (L->relu)
      L->vals[k] = x > 0.0f ? x : 0.0f;
    else
      L->vals[k] = x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x);
  }
}

/* Window start and end (exclusive) along one axis, clipped to the input;
 * *span_end is the end clipped to the padded input (for the divisor). */
static void window(int64_t o, int s, int k, int pad, int64_t size, int64_t *lo,
                   int64_t *hi, int64_t *pad_lo, int64_t *pad_hi) {
  int64_t start = o * s - pad, end = start + k;
  *pad_lo = start;
  *pad_hi = end < size + pad ? end : size + pad;
  *lo = start < 0 ? 0 : start;
  *hi = end > size ? size : end;
}

/* Pools one channel plane of codes (`cin`, unpacked, when `bits` is an
 * integer width) or values (`fin`) into `cout` (maxpool of codes) or
 * `fout`. */
static void pool_plane(const wr_layer *l, int bits, const uint16_t *cin,
                       const float *fin, uint16_t *cout, float *fout) {
  const int codes = wr_bits_is_int(bits);
  int64_t H = l->in.h, W = l->in.w;
  for (int64_t oy = 0; oy < l->out.h; oy++)
    for (int64_t ox = 0; ox < l->out.w; ox++) {
      int64_t y0, y1, x0, x1, py0, py1, px0, px1;
      if (l->global) {
        y0 = py0 = x0 = px0 = 0;
        y1 = py1 = H;
        x1 = px1 = W;
      } else {
        window(oy, l->sh, l->kh, l->pad_t, H, &y0, &y1, &py0, &py1);
        window(ox, l->sw, l->kw, l->pad_l, W, &x0, &x1, &px0, &px1);
      }
      int64_t o = oy * l->out.w + ox;
      if (l->kind == WR_MAXPOOL) {
        if (codes) {
          uint16_t best = 0;
          for (int64_t y = y0; y < y1; y++)
            for (int64_t x = x0; x < x1; x++)
              best = cin[y * W + x] > best ? cin[y * W + x] : best;
          cout[o] = best;
        } else {
          float best = -INFINITY;
          for (int64_t y = y0; y < y1; y++)
            for (int64_t x = x0; x < x1; x++)
              if (fin[y * W + x] > best)
                best = fin[y * W + x];
          fout[o] = best;
        }
        continue;
      }
      /* average: PyTorch's count_include_pad divisor */
      double div = (double)((py1 - py0) * (px1 - px0));
      if (codes) {
        int64_t sum = 0;
        for (int64_t y = y0; y < y1; y++)
          for (int64_t x = x0; x < x1; x++)
            sum += cin[y * W + x];
        fout[o] = (float)((double)sum / (div * (double)((1 << bits) - 1)));
      } else {
        double sum = 0;
        for (int64_t y = y0; y < y1; y++)
          for (int64_t x = x0; x < x1; x++)
            sum += fin[y * W + x];
        fout[o] = (float)(sum / div);
      }
    }
}

/* A channel plane at a time; codes are unpacked into the pool scratch
 * (input plane, then output plane) and a maxpool's packed back. */
static void run_pool(sim_model *m, int i) {
  const wr_layer *l = &m->net->layers[i];
  lay *L = &m->L[i];
  view v = input_of(m, l->inputs[0]);
  const int64_t iplane = l->in.h * l->in.w, oplane = l->out.h * l->out.w;
  uint16_t *cin = m->pool, *cout = m->pool + iplane;
  const int codes = wr_bits_is_int(v.bits);
  for (int64_t c = 0; c < l->out.c; c++) {
    if (codes)
      sim_packed_unpack(v.codes, c * iplane, iplane, cin);
    /* a maxpool's output is in its input's representation, an avgpool's
       in float (out_bits_of) */
    pool_plane(l, v.bits, codes ? cin : NULL,
               codes ? NULL : v.vals + c * iplane, cout,
               l->kind == WR_MAXPOOL && codes ? NULL : L->vals + c * oplane);
    if (wr_bits_is_int(L->out_bits))
      sim_packed_pack(&L->codes, c * oplane, oplane, cout);
  }
}

static void run_add(sim_model *m, int i) {
  const wr_layer *l = &m->net->layers[i];
  lay *L = &m->L[i];
  for (int k = 0; k < l->n_inputs; k++) {
    view v = input_of(m, l->inputs[k]);
    for (int64_t j = 0; j < L->out_count; j++) {
      float x = value_at(v, j);
      if (k == 0) {
        L->vals[j] = x;
      } else {
        volatile float s = L->vals[j] + x;
        L->vals[j] = s;
      }
    }
  }
}

static void run_concat(sim_model *m, int i, sim_layer_stats *st) {
  const wr_layer *l = &m->net->layers[i];
  lay *L = &m->L[i];
  int64_t off = 0;
  for (int k = 0; k < l->n_inputs; k++) {
    view v = input_of(m, l->inputs[k]);
    if (wr_bits_is_int(L->out_bits)) {
      uint64_t dummy = 0;
      for (int64_t j = 0; j < v.count; j++)
        sim_packed_set(
            &L->codes, off + j,
            v.bits == L->out_bits
                ? sim_packed_get(v.codes, j)
                : (uint32_t)sim_act_code(value_at(v, j), L->out_bits));
      if (v.bits != L->out_bits)
        *(st ? &st->requantized : &dummy) += (uint64_t)v.count;
    } else {
      for (int64_t j = 0; j < v.count; j++)
        L->vals[off + j] = value_at(v, j);
    }
    off += v.count;
  }
}

static void run_softmax(sim_model *m, int i) {
  const wr_layer *l = &m->net->layers[i];
  lay *L = &m->L[i];
  view v = input_of(m, l->inputs[0]);
  double mx = -INFINITY, sum = 0;
  for (int64_t k = 0; k < v.count; k++)
    if (value_at(v, k) > mx)
      mx = value_at(v, k);
  for (int64_t k = 0; k < v.count; k++)
    sum += exp((double)value_at(v, k) - mx);
  for (int64_t k = 0; k < v.count; k++)
    L->vals[k] = (float)(exp((double)value_at(v, k) - mx) / sum);
}

int sim_input_check(const wr_net *n, const wr_dataset *d, wr_err *e) {
  if (d->c != n->input.c || d->h != n->input.h || d->w != n->input.w)
    return wr_err_set(
        e, WR_EINPUT,
        "%s%s are %lldx%lldx%lld, network '%s' takes "
        "%lldx%lldx%lld",
        d->source ? d->source : "input images", d->source ? ": images" : "",
        (long long)d->c, (long long)d->h, (long long)d->w, n->name,
        (long long)n->input.c, (long long)n->input.h, (long long)n->input.w);
  return WR_OK;
}

static int load_input(sim_model *m, const wr_dataset *d, int64_t idx,
                      wr_err *e) {
  if (sim_input_check(m->net, d, e))
    return e->status;
  sim_input_values(m->net, d, idx, m->input);
  return WR_OK;
}

static void add_stats(const lay *L, sim_layer_stats *st) {
  st->out_bits = L->out_bits;
  st->values += (uint64_t)L->out_count;
  if (!wr_bits_is_int(L->out_bits))
    return;
  uint16_t buf[CHUNK];
  for (int64_t k0 = 0; k0 < L->out_count; k0 += CHUNK) {
    int64_t n = chunk_len(L->out_count, k0);
    sim_packed_unpack(&L->codes, k0, n, buf);
    for (int64_t k = 0; k < n; k++) {
      uint32_t c = buf[k];
      int len = c ? 32 - __builtin_clz(c) : 0;
      st->bitlen[len]++;
      st->zero_codes += c == 0;
    }
  }
}

int sim_run_image(sim_model *m, const wr_dataset *data, int64_t idx, int *top1,
                  sim_layer_stats *stats, sim_dump_fn dump, void *dump_ctx,
                  wr_err *e) {
  const wr_net *n = m->net;
  int rc = load_input(m, data, idx, e);
  for (int i = 0; rc == WR_OK && i < n->n_layers; i++) {
    const wr_layer *l = &n->layers[i];
    lay *L = &m->L[i];
    sim_layer_stats *st = stats ? &stats[i] : NULL;
    switch (l->kind) {
    case WR_CONV:
    case WR_FC:
      rc = run_compute(m, i, st, e);
      break;
    case WR_BN:
      if (!L->borrowed)
        run_bn(m, i);
      break;
    case WR_ACT:
      run_act(m, i, st);
      break;
    case WR_MAXPOOL:
    case WR_AVGPOOL:
      run_pool(m, i);
      break;
    case WR_ADD:
      run_add(m, i);
      break;
    case WR_CONCAT:
      run_concat(m, i, st);
      break;
    case WR_SOFTMAX:
      run_softmax(m, i);
      break;
    }
    if (rc == WR_OK && st)
      add_stats(L, st);
    if (rc == WR_OK && dump) {
      sim_output o = {i, L->out_bits, &L->codes, L->vals, L->out_count};
      rc = dump(dump_ctx, &o, e);
    }
  }
  if (rc == WR_OK && top1) {
    view v = input_of(m, n->n_layers - 1);
    int best = 0;
    for (int64_t k = 1; k < v.count; k++)
      if (value_at(v, k) > value_at(v, best))
        best = (int)k;
    *top1 = best;
  }
  return rc;
}

/* ---- reading and checking weight files ---------------------------------- */

int sim_weight_key(const wr_net *net, const char *key) {
  const char *dot = strrchr(key, '.');
  if (!dot || dot == key)
    return 0;
  const char *what = dot + 1;
  for (int i = 0; i < net->n_layers; i++) {
    const wr_layer *l = &net->layers[i];
    size_t n = strlen(l->name);
    if (n != (size_t)(dot - key) || memcmp(l->name, key, n) != 0)
      continue;
    if (sim_is_compute(l))
      return strcmp(what, "weight") == 0 ||
             (l->bias && strcmp(what, "bias") == 0);
    if (l->kind == WR_BN)
      return strcmp(what, "weight") == 0 || strcmp(what, "bias") == 0 ||
             strcmp(what, "running_mean") == 0 ||
             strcmp(what, "running_var") == 0;
    return 0;
  }
  return 0;
}

static int want_key(const char *key, void *net) {
  return sim_weight_key(net, key);
}

int sim_weights_read(const wr_net *net, const char *path, wr_npz *out,
                     wr_err *e) {
  return wr_npz_read_some(path, want_key, (void *)net, out, e);
}

int sim_weights_check(const wr_net *net, const wr_npz *w, const char *wsrc,
                      wr_err *e) {
  if (!wsrc)
    wsrc = "weights";
  int rc = WR_OK;
  for (int i = 0; rc == WR_OK && i < net->n_layers; i++) {
    const wr_layer *l = &net->layers[i];
    if (sim_is_compute(l)) {
      int64_t c = l->out.c;
      int64_t shape[4];
      int rank = sim_weight_shape(l, shape);
      float *buf =
          malloc((size_t)(l->weights > c ? l->weights : c) * sizeof *buf);
      rc = buf ? take(w, wsrc, l->name, "weight", rank, shape, buf, e)
               : sim_prep_oom(e);
      if (rc == WR_OK && l->bias)
        rc = take(w, wsrc, l->name, "bias", 1, &c, buf, e);
      free(buf);
    } else if (l->kind == WR_BN) {
      bn_params bp = {NULL, NULL};
      rc = read_bn(w, wsrc, l, l->out.c, &bp, e);
      free(bp.s);
      free(bp.t);
    }
  }
  return rc;
}
