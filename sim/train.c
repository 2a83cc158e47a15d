/*
 * train.c — quantization-aware training from scratch, as the WRPN paper
 * does it (docs/train.md): FP32 shadow weights clipped to [-1, 1] and
 * quantized in the forward pass with the executor's quantizers, activations
 * clip-and-quantized, straight-through estimators, FP32 gradients, batch
 * norm on batch statistics; the float math on CBLAS (im2col + sgemm).
 *
 * The forward pass mirrors the executor's reading of the network
 * (docs/numerics.md): an act layer quantizes at the bits its readers take
 * (clips to [0, 1] when only FP32 layers read it, ReLU in a network that
 * quantizes nothing); an integer conv/fc (A and W at most 16 bits)
 * quantizes its input at its activation bits; an FP32 conv/fc with
 * W <= 16 uses fake-quantized weights.
 *
 * Threads: every batch operation is split into fixed slices (images,
 * channels or output rows) by thread index; partial weight gradients are
 * summed in thread order, so a run is bit-for-bit repeatable for a given
 * seed and thread count.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sim.h"
#include "weights_internal.h"

/* OpenBLAS runs its own threads unless told otherwise; the trainer runs
 * its own, so it asks for one when the library is OpenBLAS (a weak
 * reference: absent with another CBLAS). */
extern void openblas_set_num_threads(int n) __attribute__((weak));

/* The hottest element-wise loops are also compiled for AVX-512 and AVX2,
 * chosen at load time; each lane does the scalar code's operations, so
 * every path gives the same bits. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TRAIN_CLONES                                                           \
  __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TRAIN_CLONES
#endif

enum { ACT_QUANT, ACT_CLIP, ACT_RELU };

typedef struct tlay {
  wr_kind kind;
  int64_t in_n, out_n; /* values per image of the first input, output */
  float *y, *dy;       /* batch output and its gradient */
  /* conv and fc */
  sim_conv_geom g;
  int64_t kg, p; /* rows of a group's columns (C/groups*kh*kw), positions */
  int a_bits, w_bits;
  int quant_in; /* integer layer: input quantized to a_bits (unless it
                   is codes of those bits already) */
  int out_q;    /* the output values are codes of these bits (0: not) */
  int clamp;    /* shadow weights kept in [-1, 1] */
  int64_t n_w;
  double alpha; /* 1-bit weights: mean |w| of the step */
  float *w, *wq, *gw, *b, *gb;
  float *xq; /* batch input after quantization (quant_in) */
  /* bn */
  float *gamma, *beta, *ggamma, *gbeta, *rmean, *rvar;
  float *xhat, *istd;
  /* act */
  int act_mode, act_bits;
  /* maxpool */
  int32_t *arg;
} tlay;

typedef struct tparam {
  char *name;
  float *v, *g, *m1, *m2;
  int64_t count;
  int clamp;
  int grad; /* trained (running statistics are not) */
} tparam;

typedef struct tscratch {
  float *cols, *dcols, *gw, *gb;
  double *d1, *d2; /* per-channel sums */
} tscratch;

struct sim_trainer {
  const wr_net *net;
  sim_train_opts o;
  tlay *L;
  int logits; /* layer whose output are the logits */
  int64_t classes;
  int batch; /* capacity */
  int nb;    /* images in the current batch */
  float *input;
  float *dxbuf;
  tparam *P;
  int n_params;
  tscratch *S;
  int64_t max_cols, max_w, max_c;
  gsl_rng *rng;
  int64_t step;
  int train_mode;
  int surrogate;
  double *probs; /* batch softmax */
};

static int oom(wr_err *e) {
  return wr_err_set(e, WR_ENOMEM, "out of memory preparing training");
}

sim_train_opts sim_train_opts_default(void) {
  sim_train_opts o;
  memset(&o, 0, sizeof o);
  o.epochs = 10;
  o.batch = 128;
  o.optim = SIM_OPT_ADAM;
  o.lr = 1e-3;
  o.momentum = 0.9;
  o.bn_momentum = 0.1;
  o.seed = 1;
  o.threads = 1;
  return o;
}

/* ---- threads ------------------------------------------------------------ */

typedef void (*par_fn)(sim_trainer *t, int tid, int64_t lo, int64_t hi,
                       void *arg);
typedef struct par_call {
  sim_trainer *t;
  par_fn fn;
  void *arg;
} par_call;

static void par_slice(void *ctx, int k, int64_t lo, int64_t hi) {
  const par_call *c = ctx;
  c->fn(c->t, k, lo, hi, c->arg);
}

/* Runs fn over [0, n) cut into one fixed slice per thread
 * (wr_parallel_for: the slices depend on n and the thread count only). */
static void par_for(sim_trainer *t, int64_t n, par_fn fn, void *arg) {
  par_call c = {t, fn, arg};
  wr_parallel_for(n, t->o.threads, par_slice, &c);
}

/* Columns of group `grp` of one image: cols[(c, r, s)][y, x]. */
static void im2col(const sim_conv_geom *g, int grp, const float *x,
                   float *cols) {
  int64_t cg = g->c_in / g->groups, P = g->h_out * g->w_out;
  for (int64_t c = 0; c < cg; c++) {
    const float *xc = x + (grp * cg + c) * g->h_in * g->w_in;
    for (int r = 0; r < g->kh; r++)
      for (int s = 0; s < g->kw; s++) {
        float *d = cols + ((c * g->kh + r) * g->kw + s) * P;
        int64_t off = (int64_t)s * g->dw - g->pad_l, x0, x1;
        sim_conv_valid_range(g->w_out, g->sw, off, g->w_in, &x0, &x1);
        for (int64_t oy = 0; oy < g->h_out; oy++) {
          int64_t iy = oy * g->sh - g->pad_t + (int64_t)r * g->dh;
          float *dr = d + oy * g->w_out;
          if (iy < 0 || iy >= g->h_in) {
            memset(dr, 0, (size_t)g->w_out * sizeof *dr);
            continue;
          }
          const float *xr = xc + iy * g->w_in;
          for (int64_t ox = 0; ox < x0; ox++)
            dr[ox] = 0.0f;
          if (g->sw == 1 && x1 > x0)
            memcpy(dr + x0, xr + x0 + off, (size_t)(x1 - x0) * sizeof *dr);
          else if (g->sw != 1)
            for (int64_t ox = x0; ox < x1; ox++)
              dr[ox] = xr[ox * g->sw + off];
          for (int64_t ox = x1; ox < g->w_out; ox++)
            dr[ox] = 0.0f;
        }
      }
  }
}

/* Adds columns back into group `grp` of an image's input gradient. */
static void col2im(const sim_conv_geom *g, int grp, const float *cols,
                   float *dx) {
  int64_t cg = g->c_in / g->groups, P = g->h_out * g->w_out;
  for (int64_t c = 0; c < cg; c++) {
    float *xc = dx + (grp * cg + c) * g->h_in * g->w_in;
    for (int r = 0; r < g->kh; r++)
      for (int s = 0; s < g->kw; s++) {
        const float *d = cols + ((c * g->kh + r) * g->kw + s) * P;
        int64_t off = (int64_t)s * g->dw - g->pad_l, x0, x1;
        sim_conv_valid_range(g->w_out, g->sw, off, g->w_in, &x0, &x1);
        for (int64_t oy = 0; oy < g->h_out; oy++) {
          int64_t iy = oy * g->sh - g->pad_t + (int64_t)r * g->dh;
          if (iy < 0 || iy >= g->h_in)
            continue;
          const float *dr = d + oy * g->w_out;
          float *xr = xc + iy * g->w_in;
          for (int64_t ox = x0; ox < x1; ox++)
            xr[ox * g->sw + off] += dr[ox];
        }
      }
  }
}

/* ---- set-up ------------------------------------------------------------- */

static int add_param(sim_trainer *t, const char *layer, const char *what,
                     float *v, float *g, int64_t count, int clamp, wr_err *e) {
  tparam *np = realloc(t->P, (size_t)(t->n_params + 1) * sizeof *np);
  if (!np)
    return oom(e);
  t->P = np;
  tparam *p = &np[t->n_params++];
  memset(p, 0, sizeof *p);
  size_t len = strlen(layer) + strlen(what) + 2;
  p->name = malloc(len);
  if (!p->name)
    return oom(e);
  snprintf(p->name, len, "%s.%s", layer, what);
  p->v = v;
  p->g = g;
  p->count = count;
  p->clamp = clamp;
  p->grad = g != NULL;
  if (g && (!(p->m1 = calloc((size_t)count, sizeof *p->m1)) ||
            !(p->m2 = calloc((size_t)count, sizeof *p->m2))))
    return oom(e);
  return WR_OK;
}

static float *falloc(int64_t n) {
  return calloc((size_t)(n > 0 ? n : 1), sizeof(float));
}

static int check_opts(const sim_train_opts *o, wr_err *e) {
  if (o->batch < 1 || o->threads < 1 || o->threads > 64 || o->epochs < 0 ||
      !(o->lr > 0) || !isfinite(o->lr) || !(o->momentum >= 0) ||
      !(o->momentum < 1) || !(o->bn_momentum > 0) || !(o->bn_momentum <= 1))
    return wr_err_set(e, WR_EINPUT,
                      "training options: batch >= 1, threads 1..64, "
                      "epochs >= 0, lr > 0, momentum in [0, 1), "
                      "bn momentum in (0, 1]");
  return WR_OK;
}

static int check_layers(const wr_net *net, wr_err *e) {
  for (int i = 0; i < net->n_layers; i++) {
    const wr_layer *l = &net->layers[i];
    int ok = l->kind != WR_SOFTMAX || i == net->n_layers - 1;
    if (!ok)
      return wr_err_at(e, net->file, l->line, l->col,
                       "%s '%s': training supports conv, fc, maxpool, "
                       "avgpool, bn, act, add, concat and a softmax as the "
                       "last layer",
                       wr_kind_name(l->kind), l->name);
  }
  return WR_OK;
}

/* Set-up of layer i by its kind: its buffers for a batch, its parameters
 * (added in export order) and how its output is represented.  Each
 * returns WR_ENOMEM on allocation failure; what was allocated is freed
 * with the trainer. */

/* conv and fc: geometry, the input's quantization, the weights (drawn
 * from the trainer's generator) and bias. */
static int setup_compute(sim_trainer *t, int i, wr_err *e) {
  const wr_layer *l = &t->net->layers[i];
  tlay *L = &t->L[i];
  int64_t B = t->batch, c = l->out.c;
  sim_conv_geom_of(l, &L->g);
  L->a_bits = l->prec.a_bits;
  L->w_bits = l->prec.w_bits;
  int src_q = l->inputs[0] >= 0 ? t->L[l->inputs[0]].out_q : 0;
  L->quant_in = wr_bits_is_int(L->a_bits) && wr_bits_is_int(L->w_bits) &&
                src_q != L->a_bits;
  L->clamp = wr_bits_is_int(L->w_bits);
  L->n_w = l->weights;
  L->kg = L->g.c_in / L->g.groups * L->g.kh * L->g.kw;
  L->p = L->g.h_out * L->g.w_out;
  if (L->kg * L->p > t->max_cols)
    t->max_cols = L->kg * L->p;
  if (L->n_w > t->max_w)
    t->max_w = L->n_w;
  L->w = falloc(L->n_w);
  L->wq = falloc(L->n_w);
  L->gw = falloc(L->n_w);
  if (!L->w || !L->wq || !L->gw)
    return oom(e);
  if (L->quant_in && !(L->xq = falloc(B * L->in_n)))
    return oom(e);
  /* quantized weights on a scale the quantizer resolves; FP32
     weights He-uniform */
  double fan_in = (double)L->kg, lim = L->clamp ? 1.0 : sqrt(6.0 / fan_in);
  for (int64_t k = 0; k < L->n_w; k++)
    L->w[k] = (float)((2.0 * gsl_rng_uniform(t->rng) - 1.0) * lim);
  int rc = add_param(t, l->name, "weight", L->w, L->gw, L->n_w, L->clamp, e);
  if (rc == WR_OK && l->bias) {
    L->b = falloc(c);
    L->gb = falloc(c);
    rc = (!L->b || !L->gb)
             ? oom(e)
             : add_param(t, l->name, "bias", L->b, L->gb, c, 0, e);
  }
  return rc;
}

/* bn: gamma 1, beta 0 (trained), running mean 0 and variance 1 (not),
 * under the keys the executor reads (sim_bn_keys). */
static int setup_bn(sim_trainer *t, int i, wr_err *e) {
  const wr_layer *l = &t->net->layers[i];
  tlay *L = &t->L[i];
  int64_t c = l->out.c;
  L->gamma = falloc(c);
  L->beta = falloc(c);
  L->ggamma = falloc(c);
  L->gbeta = falloc(c);
  L->rmean = falloc(c);
  L->rvar = falloc(c);
  L->istd = falloc(c);
  L->xhat = falloc(t->batch * L->out_n);
  if (!L->gamma || !L->beta || !L->ggamma || !L->gbeta || !L->rmean ||
      !L->rvar || !L->istd || !L->xhat)
    return oom(e);
  for (int64_t k = 0; k < c; k++)
    L->gamma[k] = L->rvar[k] = 1.0f;
  float *const v[4] = {L->gamma, L->beta, L->rmean, L->rvar};
  float *const g[4] = {L->ggamma, L->gbeta, NULL, NULL};
  int rc = WR_OK;
  for (int k = 0; k < 4 && rc == WR_OK; k++)
    rc = add_param(t, l->name, sim_bn_keys[k], v[k], g[k], c, 0, e);
  return rc;
}

/* act: quantizes to `bits`, the bits at which its output is read
 * (wr_net_read_bits), when they are 1..16; otherwise clips to [0, 1] in a
 * network with quantized layers and is a ReLU in an FP32 one. */
static void setup_act(sim_trainer *t, int i, int bits, int quantized) {
  tlay *L = &t->L[i];
  L->act_bits = bits;
  L->act_mode = wr_bits_is_int(bits) ? ACT_QUANT
                : quantized          ? ACT_CLIP
                                     : ACT_RELU;
  if (L->act_mode == ACT_QUANT)
    L->out_q = bits;
}

/* maxpool: codes when its input is; the argmax of every output. */
static int setup_maxpool(sim_trainer *t, int i, wr_err *e) {
  const wr_layer *l = &t->net->layers[i];
  tlay *L = &t->L[i];
  L->out_q = l->inputs[0] >= 0 ? t->L[l->inputs[0]].out_q : 0;
  if (!(L->arg = malloc((size_t)(t->batch * L->out_n) * sizeof *L->arg)))
    return oom(e);
  return WR_OK;
}

/* concat: codes at the readers' bits (`bits`) when every input is codes
 * (inputs at other bits requantized), else binary32: the executor's
 * rule. */
static void setup_concat(sim_trainer *t, int i, int bits) {
  const wr_layer *l = &t->net->layers[i];
  int codes = wr_bits_is_int(bits);
  for (int k = 0; k < l->n_inputs; k++)
    codes &= l->inputs[k] >= 0 && t->L[l->inputs[k]].out_q > 0;
  t->L[i].out_q = codes ? bits : 0;
}

/* Layer i: what every kind has (sizes, the batch output and its
 * gradient), then its kind's set-up; `bits` is the bits at which its
 * output is read, `quantized` whether the network has a quantized conv or
 * fc. */
static int setup_layer(sim_trainer *t, int i, int bits, int quantized,
                       wr_err *e) {
  const wr_layer *l = &t->net->layers[i];
  tlay *L = &t->L[i];
  int64_t B = t->batch;
  L->kind = l->kind;
  L->in_n = wr_shape_elems(l->in);
  L->out_n = wr_shape_elems(l->out);
  if (!(L->y = falloc(B * L->out_n)) || !(L->dy = falloc(B * L->out_n)))
    return oom(e);
  if (l->out.c > t->max_c)
    t->max_c = l->out.c;
  switch (l->kind) {
  case WR_CONV:
  case WR_FC:
    return setup_compute(t, i, e);
  case WR_BN:
    return setup_bn(t, i, e);
  case WR_ACT:
    setup_act(t, i, bits, quantized);
    return WR_OK;
  case WR_MAXPOOL:
    return setup_maxpool(t, i, e);
  case WR_CONCAT:
    setup_concat(t, i, bits);
    return WR_OK;
  default:
    return WR_OK;
  }
}

sim_trainer *sim_trainer_new(const wr_net *net, const sim_train_opts *o,
                             wr_err *e) {
  if (check_opts(o, e) || check_layers(net, e))
    return NULL;
  sim_trainer *t = calloc(1, sizeof *t);
  if (!t) {
    oom(e);
    return NULL;
  }
  t->net = net;
  t->o = *o;
  t->batch = o->batch;
  t->train_mode = 1;
  int n = net->n_layers;
  int *rb = calloc((size_t)n + 1, sizeof *rb);
  t->L = calloc((size_t)n, sizeof *t->L);
  t->rng = gsl_rng_alloc(gsl_rng_mt19937);
  int rc = (!rb || !t->L || !t->rng) ? oom(e) : WR_OK;
  if (rc) {
    free(rb);
    sim_trainer_free(t);
    return NULL;
  }
  gsl_rng_set(t->rng, o->seed);
  wr_net_read_bits(net, rb);
  int quantized = 0;
  for (int i = 0; i < n; i++)
    quantized |= sim_is_compute(&net->layers[i]) &&
                 wr_bits_is_int(net->layers[i].prec.a_bits);
  int64_t B = t->batch, max_in = 1;
  t->max_cols = t->max_w = t->max_c = 1;
  for (int i = 0; rc == WR_OK && i < n; i++) {
    rc = setup_layer(t, i, rb[i], quantized, e);
    if (t->L[i].in_n > max_in && net->layers[i].inputs[0] >= 0)
      max_in = t->L[i].in_n;
  }
  free(rb);
  /* the logits: the softmax's input, or the last layer */
  t->logits = n - 1;
  if (rc == WR_OK && net->layers[n - 1].kind == WR_SOFTMAX)
    t->logits = net->layers[n - 1].inputs[0];
  if (rc == WR_OK && t->logits < 0)
    rc = wr_err_set(e, WR_EINPUT, "network '%s': nothing before its softmax",
                    net->name);
  if (rc == WR_OK)
    t->classes = t->L[t->logits].out_n;
  /* every shape is at least 1x1x1 (the net loader checks) */
  assert(rc != WR_OK || t->classes >= 1);
  int T = o->threads;
  if (rc == WR_OK) {
    t->input = falloc(B * wr_shape_elems(net->input));
    t->dxbuf = falloc(B * max_in);
    t->probs = calloc((size_t)(B * t->classes), sizeof *t->probs);
    t->S = calloc((size_t)T, sizeof *t->S);
    if (!t->input || !t->dxbuf || !t->probs || !t->S)
      rc = oom(e);
  }
  for (int k = 0; rc == WR_OK && k < T; k++) {
    tscratch *s = &t->S[k];
    s->cols = falloc(t->max_cols);
    s->dcols = falloc(t->max_cols);
    s->gw = falloc(t->max_w);
    s->gb = falloc(t->max_c);
    s->d1 = calloc((size_t)t->max_c, sizeof *s->d1);
    s->d2 = calloc((size_t)t->max_c, sizeof *s->d2);
    if (!s->cols || !s->dcols || !s->gw || !s->gb || !s->d1 || !s->d2)
      rc = oom(e);
  }
  if (rc) {
    sim_trainer_free(t);
    return NULL;
  }
  if (openblas_set_num_threads)
    openblas_set_num_threads(1);
  return t;
}

void sim_trainer_free(sim_trainer *t) {
  if (!t)
    return;
  for (int i = 0; t->L && i < t->net->n_layers; i++) {
    tlay *L = &t->L[i];
    free(L->y);
    free(L->dy);
    free(L->w);
    free(L->wq);
    free(L->gw);
    free(L->b);
    free(L->gb);
    free(L->xq);
    free(L->gamma);
    free(L->beta);
    free(L->ggamma);
    free(L->gbeta);
    free(L->rmean);
    free(L->rvar);
    free(L->xhat);
    free(L->istd);
    free(L->arg);
  }
  for (int k = 0; t->S && k < t->o.threads; k++) {
    free(t->S[k].cols);
    free(t->S[k].dcols);
    free(t->S[k].gw);
    free(t->S[k].gb);
    free(t->S[k].d1);
    free(t->S[k].d2);
  }
  for (int k = 0; k < t->n_params; k++) {
    free(t->P[k].name);
    free(t->P[k].m1);
    free(t->P[k].m2);
  }
  free(t->P);
  free(t->S);
  free(t->L);
  free(t->input);
  free(t->dxbuf);
  free(t->probs);
  if (t->rng)
    gsl_rng_free(t->rng);
  free(t);
}

void sim_trainer_set_surrogate(sim_trainer *t, int on) { t->surrogate = on; }
void sim_trainer_set_train_mode(sim_trainer *t, int on) { t->train_mode = on; }

int sim_trainer_n_params(const sim_trainer *t) { return t->n_params; }

sim_train_param sim_trainer_param(sim_trainer *t, int i) {
  sim_train_param p = {t->P[i].name, t->P[i].v, t->P[i].g, t->P[i].count};
  return p;
}

/* ---- forward ------------------------------------------------------------ */

/* Values of layer src's output for the batch (src < 0: the input). */
static float *out_of(sim_trainer *t, int src) {
  return src < 0 ? t->input : t->L[src].y;
}

/* The activation quantizer on n values: y = sim_act_value(sim_act_code(x,
 * bits), bits) — 0 for x <= 0 (and NaN), 1 for x >= 1, else the code
 * round-half-even(fl32(x * (2^bits - 1))) over 2^bits - 1 in binary64,
 * rounded to binary32 — written branch-free so that it vectorizes; with
 * the surrogate, a clip to [0, 1]. */
TRAIN_CLONES static void aquant_run(const sim_trainer *t, const float *x,
                                    float *y, int64_t n, int bits) {
  if (t->surrogate) {
    for (int64_t k = 0; k < n; k++)
      y[k] = x[k] < 0.0f ? 0.0f : (x[k] > 1.0f ? 1.0f : x[k]);
    return;
  }
  const float nf = (float)((1 << bits) - 1);
  const double nd = (double)((1 << bits) - 1);
  for (int64_t k = 0; k < n; k++) {
    float v = x[k];
    float scaled = v * nf; /* one rounding, no FMA */
    /* round half to even: exact for 0 <= scaled < 2^22 */
    float code = (scaled + 12582912.0f) - 12582912.0f;
    float val = (float)((double)code / nd);
    y[k] = v > 0.0f ? (v >= 1.0f ? 1.0f : val) : 0.0f;
  }
}

/* Weights as the forward pass uses them: elements [lo, hi) of layer
 * `*arg` (a tlay); 1-bit layers take their scale from L->alpha. */
static void quantize_slice(sim_trainer *t, int tid, int64_t lo, int64_t hi,
                           void *arg) {
  (void)tid;
  tlay *L = arg;
  if (!wr_bits_is_int(L->w_bits) || t->surrogate) {
    memcpy(L->wq + lo, L->w + lo, (size_t)(hi - lo) * sizeof *L->wq);
    return;
  }
  sim_weight_dequant(L->w + lo, hi - lo, L->w_bits, L->alpha, L->wq + lo);
}

static void quantize_weights(sim_trainer *t, tlay *L) {
  if (L->w_bits == 1 && !t->surrogate)
    L->alpha = sim_weight_alpha(L->w, L->n_w);
  par_for(t, L->n_w, quantize_slice, L);
}

typedef struct lay_arg {
  int i;
  int back; /* concat_run: the backward pass */
} lay_arg;

static void conv_fwd(sim_trainer *t, int tid, int64_t lo, int64_t hi,
                     void *arg) {
  int i = ((lay_arg *)arg)->i;
  const wr_layer *l = &t->net->layers[i];
  tlay *L = &t->L[i];
  const sim_conv_geom *g = &L->g;
  float *xin = out_of(t, l->inputs[0]);
  float *cols = t->S[tid].cols;
  int64_t og = g->c_out / g->groups;
  for (int64_t b = lo; b < hi; b++) {
    const float *x = xin + b * L->in_n;
    if (L->quant_in) {
      float *q = L->xq + b * L->in_n;
      aquant_run(t, x, q, L->in_n, L->a_bits);
      x = q;
    }
    float *y = L->y + b * L->out_n;
    for (int grp = 0; grp < g->groups; grp++) {
      im2col(g, grp, x, cols);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)og, (int)L->p,
                  (int)L->kg, 1.0f, L->wq + grp * og * L->kg, (int)L->kg, cols,
                  (int)L->p, 0.0f, y + grp * og * L->p, (int)L->p);
    }
    if (L->b)
      for (int64_t c = 0; c < g->c_out; c++)
        for (int64_t k = 0; k < L->p; k++)
          y[c * L->p + k] += L->b[c];
  }
}

static void fc_fwd(sim_trainer *t, int tid, int64_t lo, int64_t hi, void *arg) {
  (void)tid;
  int i = ((lay_arg *)arg)->i;
  const wr_layer *l = &t->net->layers[i];
  tlay *L = &t->L[i];
  int64_t In = L->in_n, O = L->g.c_out;
  const float *x = out_of(t, l->inputs[0]);
  if (L->quant_in) {
    aquant_run(t, x + lo * In, L->xq + lo * In, (hi - lo) * In, L->a_bits);
    x = L->xq;
  }
  if (hi > lo)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(hi - lo), (int)O,
                (int)In, 1.0f, x + lo * In, (int)In, L->wq, (int)In, 0.0f,
                L->y + lo * O, (int)O);
  if (L->b)
    for (int64_t b = lo; b < hi; b++)
      for (int64_t o = 0; o < O; o++)
        L->y[b * O + o] += L->b[o];
}

/* Per-channel sums of batch norm, four channels (rows P apart) at a time:
 * each channel's sum runs over its row in order, as one loop per channel
 * would, but four independent chains keep the adder busy.  Each adds its
 * row sums into out[0..n): mode 0 sum of x, 1 sum of (x - m[j])^2, 2 sum
 * of x * z (binary64). */
static inline double bn_term(int mode, float x, double m, float z) {
  return mode == 0 ? (double)x
                   : (mode == 1 ? (x - m) * (x - m) : (double)x * z);
}

static inline __attribute__((always_inline)) void
bn_sums(int mode, const float *x, const float *z, const double *m, int64_t n,
        int64_t P, double *out) {
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float *x0 = x + j * P, *z0 = z ? z + j * P : NULL;
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    double m0 = m ? m[j] : 0, m1 = m ? m[j + 1] : 0, m2 = m ? m[j + 2] : 0,
           m3 = m ? m[j + 3] : 0;
    for (int64_t k = 0; k < P; k++) {
      s0 += bn_term(mode, x0[k], m0, z0 ? z0[k] : 0);
      s1 += bn_term(mode, x0[P + k], m1, z0 ? z0[P + k] : 0);
      s2 += bn_term(mode, x0[2 * P + k], m2, z0 ? z0[2 * P + k] : 0);
      s3 += bn_term(mode, x0[3 * P + k], m3, z0 ? z0[3 * P + k] : 0);
    }
    out[j] += s0;
    out[j + 1] += s1;
    out[j + 2] += s2;
    out[j + 3] += s3;
  }
  for (; j < n; j++) {
    double s0 = 0, m0 = m ? m[j] : 0;
    for (int64_t k = 0; k < P; k++)
      s0 += bn_term(mode, x[j * P + k], m0, z ? z[j * P + k] : 0);
    out[j] += s0;
  }
}

/* Batch norm over channels [lo, hi); every sum runs over images, then
 * positions, for each channel (the same order for any slicing), reading
 * memory in order. */
static void bn_fwd(sim_trainer *t, int tid, int64_t lo, int64_t hi, void *arg) {
  int i = ((lay_arg *)arg)->i;
  const wr_layer *l = &t->net->layers[i];
  tlay *L = &t->L[i];
  const float *x = out_of(t, l->inputs[0]);
  int64_t P = l->out.h * l->out.w, C = l->out.c, nb = t->nb, n = hi - lo;
  double *mean = t->S[tid].d1, *acc = t->S[tid].d2;
  if (t->train_mode) {
    double cnt = (double)(nb * P), mom = t->o.bn_momentum;
    for (int64_t c = 0; c < n; c++)
      mean[c] = acc[c] = 0;
    for (int64_t b = 0; b < nb; b++)
      bn_sums(0, x + (b * C + lo) * P, NULL, NULL, n, P, mean);
    for (int64_t c = 0; c < n; c++)
      mean[c] /= cnt;
    for (int64_t b = 0; b < nb; b++)
      bn_sums(1, x + (b * C + lo) * P, NULL, mean, n, P, acc);
    for (int64_t c = lo; c < hi; c++) {
      double s2 = acc[c - lo], var = s2 / cnt;
      L->rmean[c] = (float)((1 - mom) * L->rmean[c] + mom * mean[c - lo]);
      L->rvar[c] = (float)((1 - mom) * L->rvar[c] +
                           mom * (cnt > 1 ? s2 / (cnt - 1) : var));
      acc[c - lo] = var;
    }
  } else {
    for (int64_t c = lo; c < hi; c++) {
      mean[c - lo] = L->rmean[c];
      acc[c - lo] = L->rvar[c];
    }
  }
  for (int64_t c = lo; c < hi; c++)
    L->istd[c] = (float)(1.0 / sqrt(acc[c - lo] + l->eps));
  for (int64_t b = 0; b < nb; b++)
    for (int64_t c = lo; c < hi; c++) {
      int64_t j0 = (b * C + c) * P;
      float m = (float)mean[c - lo], is = L->istd[c], gm = L->gamma[c],
            bt = L->beta[c];
      for (int64_t k = 0; k < P; k++) {
        float xh = (x[j0 + k] - m) * is;
        L->xhat[j0 + k] = xh;
        L->y[j0 + k] = gm * xh + bt;
      }
    }
}

static void act_fwd(sim_trainer *t, int tid, int64_t lo, int64_t hi,
                    void *arg) {
  (void)tid;
  int i = ((lay_arg *)arg)->i;
  const wr_layer *l = &t->net->layers[i];
  tlay *L = &t->L[i];
  const float *x = out_of(t, l->inputs[0]);
  float *y = L->y;
  int64_t k0 = lo * L->out_n, k1 = hi * L->out_n;
  /* one loop per mode, so that the plain ones vectorize */
  if (L->act_mode == ACT_QUANT)
    aquant_run(t, x + k0, y + k0, k1 - k0, L->act_bits);
  else if (L->act_mode == ACT_RELU)
    for (int64_t k = k0; k < k1; k++)
      y[k] = x[k] > 0.0f ? x[k] : 0.0f;
  else
    for (int64_t k = k0; k < k1; k++)
      y[k] = x[k] < 0.0f ? 0.0f : (x[k] > 1.0f ? 1.0f : x[k]);
}

/* Window of output position o along one axis (as the executor's). */
static void window(int64_t o, int s, int k, int pad, int64_t size, int64_t *lo,
                   int64_t *hi, int64_t *div) {
  int64_t start = o * s - pad, end = start + k;
  int64_t pend = end < size + pad ? end : size + pad;
  *div = pend - start;
  *lo = start < 0 ? 0 : start;
  *hi = end > size ? size : end;
}

static void pool_fwd(sim_trainer *t, int tid, int64_t lo, int64_t hi,
                     void *arg) {
  (void)tid;
  int i = ((lay_arg *)arg)->i;
  const wr_layer *l = &t->net->layers[i];
  tlay *L = &t->L[i];
  const float *xin = out_of(t, l->inputs[0]);
  int64_t H = l->in.h, W = l->in.w;
  for (int64_t b = lo; b < hi; b++)
    for (int64_t c = 0; c < l->out.c; c++) {
      const float *x = xin + b * L->in_n + c * H * W;
      for (int64_t oy = 0; oy < l->out.h; oy++)
        for (int64_t ox = 0; ox < l->out.w; ox++) {
          int64_t y0 = 0, y1 = H, x0 = 0, x1 = W, dy = H, dx = W;
          if (!l->global) {
            window(oy, l->sh, l->kh, l->pad_t, H, &y0, &y1, &dy);
            window(ox, l->sw, l->kw, l->pad_l, W, &x0, &x1, &dx);
          }
          int64_t o = b * L->out_n + (c * l->out.h + oy) * l->out.w + ox;
          if (l->kind == WR_MAXPOOL) {
            float best = -INFINITY;
            int32_t at = -1;
            for (int64_t yy = y0; yy < y1; yy++)
              for (int64_t xx = x0; xx < x1; xx++)
                if (x[yy * W + xx] > best) {
                  best = x[yy * W + xx];
                  at = (int32_t)(yy * W + xx);
                }
            L->y[o] = best;
            L->arg[o] = at;
          } else {
            double s = 0;
            for (int64_t yy = y0; yy < y1; yy++)
              for (int64_t xx = x0; xx < x1; xx++)
                s += x[yy * W + xx];
            L->y[o] = (float)(s / (double)(dy * dx));
          }
        }
    }
}

static void add_fwd(sim_trainer *t, int i) {
  const wr_layer *l = &t->net->layers[i];
  tlay *L = &t->L[i];
  int64_t n = t->nb * L->out_n;
  const float *x0 = out_of(t, l->inputs[0]);
  memcpy(L->y, x0, (size_t)n * sizeof *L->y);
  for (int k = 1; k < l->n_inputs; k++) {
    const float *x = out_of(t, l->inputs[k]);
    for (int64_t j = 0; j < n; j++)
      L->y[j] += x[j];
  }
}

/* Channel concatenation, image by image: forward, each input's slice
 * copied (an input whose codes are not at the output's bits requantized
 * to them, as the executor does); backward (arg->back), each slice of the
 * gradient added to its input's (the requantizer's straight-through
 * estimator passes everything: codes' values lie in [0, 1]). */
static void concat_run(sim_trainer *t, int tid, int64_t lo, int64_t hi,
                       void *arg) {
  (void)tid;
  int i = ((lay_arg *)arg)->i, back = ((lay_arg *)arg)->back;
  const wr_layer *l = &t->net->layers[i];
  tlay *L = &t->L[i];
  for (int64_t b = lo; b < hi; b++) {
    int64_t off = b * L->out_n;
    for (int k = 0; k < l->n_inputs; k++) {
      int src = l->inputs[k];
      int64_t n = src < 0 ? wr_shape_elems(t->net->input) : t->L[src].out_n;
      if (back && src >= 0) {
        float *dx = t->L[src].dy + b * n;
        for (int64_t j = 0; j < n; j++)
          dx[j] += L->dy[off + j];
      } else if (!back) {
        const float *x = out_of(t, src) + b * n;
        /* (out_q > 0 only when every input is a layer's codes) */
        if (L->out_q && t->L[src].out_q != L->out_q)
          aquant_run(t, x, L->y + off, n, L->out_q);
        else
          memcpy(L->y + off, x, (size_t)n * sizeof *L->y);
      }
      off += n;
    }
  }
}

static int load_batch(sim_trainer *t, const wr_dataset *d, const int64_t *idx,
                      int nb, wr_err *e) {
  const wr_net *n = t->net;
  if (sim_input_check(n, d, e))
    return e->status;
  if (nb < 1 || nb > t->batch)
    return wr_err_set(e, WR_EINPUT, "batch of %d images: expected 1..%d", nb,
                      t->batch);
  int64_t count = wr_shape_elems(n->input);
  for (int b = 0; b < nb; b++)
    sim_input_values(n, d, idx[b], t->input + b * count);
  t->nb = nb;
  return WR_OK;
}

static void forward(sim_trainer *t) {
  const wr_net *n = t->net;
  for (int i = 0; i < n->n_layers; i++) {
    const wr_layer *l = &n->layers[i];
    tlay *L = &t->L[i];
    lay_arg a = {i, 0};
    switch (l->kind) {
    case WR_CONV:
      quantize_weights(t, L);
      par_for(t, t->nb, conv_fwd, &a);
      break;
    case WR_FC:
      quantize_weights(t, L);
      par_for(t, t->nb, fc_fwd, &a);
      break;
    case WR_BN:
      par_for(t, l->out.c, bn_fwd, &a);
      break;
    case WR_ACT:
      par_for(t, t->nb, act_fwd, &a);
      break;
    case WR_MAXPOOL:
    case WR_AVGPOOL:
      par_for(t, t->nb, pool_fwd, &a);
      break;
    case WR_ADD:
      add_fwd(t, i);
      break;
    case WR_CONCAT:
      par_for(t, t->nb, concat_run, &a);
      break;
    case WR_SOFTMAX: /* the loss works on its input; probabilities here */
      break;
    }
  }
}

/* Softmax cross-entropy of the logits of the batch's `nb` images (t->nb,
 * from load_batch) with their `labels`: mean loss, correct answers, and
 * the logits' gradient (train) into dy. */
static double loss_of(sim_trainer *t, const int32_t *labels, int nb,
                      int64_t *correct, int grad) {
  tlay *L = &t->L[t->logits];
  int64_t C = t->classes;
  double loss = 0;
  for (int64_t b = 0; b < nb; b++) {
    const float *z = L->y + b * C;
    int best = 0;
    double mx = z[0];
    for (int64_t k = 1; k < C; k++)
      if (z[k] > z[best]) {
        best = (int)k;
        mx = z[k];
      }
    double s = 0;
    double *p = t->probs + b * C;
    for (int64_t k = 0; k < C; k++)
      s += p[k] = exp((double)z[k] - mx);
    for (int64_t k = 0; k < C; k++)
      p[k] /= s;
    int lab = labels[b];
    loss -= log(p[lab] > 1e-300 ? p[lab] : 1e-300);
    *correct += best == lab;
    if (grad)
      for (int64_t k = 0; k < C; k++)
        L->dy[b * C + k] += (float)((p[k] - (k == lab)) / (double)nb);
  }
  /* the softmax layer's output, for completeness */
  int last = t->net->n_layers - 1;
  if (t->net->layers[last].kind == WR_SOFTMAX)
    for (int64_t k = 0; k < nb * C; k++)
      t->L[last].y[k] = (float)t->probs[k];
  return loss / (double)nb;
}

/* ---- backward ----------------------------------------------------------- */

/* Adds dx (the gradient of layer i's input for images [lo, hi), in
 * t->dxbuf) into the producer's gradient, through the input quantizer's
 * straight-through estimator (pass where 0 <= x <= 1). */
static void give_dx(sim_trainer *t, int i, int64_t lo, int64_t hi) {
  const wr_layer *l = &t->net->layers[i];
  tlay *L = &t->L[i];
  int src = l->inputs[0];
  if (src < 0)
    return;
  float *dy = t->L[src].dy;
  const float *x = t->L[src].y;
  for (int64_t k = lo * L->in_n; k < hi * L->in_n; k++)
    if (!L->quant_in || (x[k] >= 0.0f && x[k] <= 1.0f))
      dy[k] += t->dxbuf[k];
}

static void conv_bwd(sim_trainer *t, int tid, int64_t lo, int64_t hi,
                     void *arg) {
  int i = ((lay_arg *)arg)->i;
  const wr_layer *l = &t->net->layers[i];
  tlay *L = &t->L[i];
  const sim_conv_geom *g = &L->g;
  tscratch *s = &t->S[tid];
  int64_t og = g->c_out / g->groups;
  const float *xin = L->quant_in ? L->xq : out_of(t, l->inputs[0]);
  int need_dx = l->inputs[0] >= 0;
  memset(s->gw, 0, (size_t)L->n_w * sizeof *s->gw);
  memset(s->gb, 0, (size_t)g->c_out * sizeof *s->gb);
  for (int64_t b = lo; b < hi; b++) {
    const float *x = xin + b * L->in_n;
    const float *dy = L->dy + b * L->out_n;
    float *dx = t->dxbuf + b * L->in_n;
    if (need_dx)
      memset(dx, 0, (size_t)L->in_n * sizeof *dx);
    for (int grp = 0; grp < g->groups; grp++) {
      const float *dyg = dy + grp * og * L->p;
      im2col(g, grp, x, s->cols);
      /* dW[og x kg] += dY[og x P] * cols^T */
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)og, (int)L->kg,
                  (int)L->p, 1.0f, dyg, (int)L->p, s->cols, (int)L->p, 1.0f,
                  s->gw + grp * og * L->kg, (int)L->kg);
      if (need_dx) {
        /* dcols[kg x P] = W^T * dY */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)L->kg,
                    (int)L->p, (int)og, 1.0f, L->wq + grp * og * L->kg,
                    (int)L->kg, dyg, (int)L->p, 0.0f, s->dcols, (int)L->p);
        col2im(g, grp, s->dcols, dx);
      }
    }
    if (L->b)
      for (int64_t c = 0; c < g->c_out; c++) {
        float sum = 0;
        for (int64_t k = 0; k < L->p; k++)
          sum += dy[c * L->p + k];
        s->gb[c] += sum;
      }
  }
  if (need_dx)
    give_dx(t, i, lo, hi);
}

static void fc_bwd_x(sim_trainer *t, int tid, int64_t lo, int64_t hi,
                     void *arg) {
  (void)tid;
  int i = ((lay_arg *)arg)->i;
  tlay *L = &t->L[i];
  int64_t In = L->in_n, O = L->g.c_out;
  if (hi > lo)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(hi - lo),
                (int)In, (int)O, 1.0f, L->dy + lo * O, (int)O, L->wq, (int)In,
                0.0f, t->dxbuf + lo * In, (int)In);
  give_dx(t, i, lo, hi);
}

/* dW rows [lo, hi) = dY^T X; bias gradient of those outputs. */
static void fc_bwd_w(sim_trainer *t, int tid, int64_t lo, int64_t hi,
                     void *arg) {
  (void)tid;
  int i = ((lay_arg *)arg)->i;
  const wr_layer *l = &t->net->layers[i];
  tlay *L = &t->L[i];
  int64_t In = L->in_n, O = L->g.c_out;
  const float *x = L->quant_in ? L->xq : out_of(t, l->inputs[0]);
  if (hi > lo)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(hi - lo),
                (int)In, t->nb, 1.0f, L->dy + lo, (int)O, x, (int)In, 0.0f,
                L->gw + lo * In, (int)In);
  if (L->gb)
    for (int64_t o = lo; o < hi; o++) {
      float s = 0;
      for (int64_t b = 0; b < t->nb; b++)
        s += L->dy[b * O + o];
      L->gb[o] = s;
    }
}

static void bn_bwd(sim_trainer *t, int tid, int64_t lo, int64_t hi, void *arg) {
  int i = ((lay_arg *)arg)->i;
  const wr_layer *l = &t->net->layers[i];
  tlay *L = &t->L[i];
  int64_t P = l->out.h * l->out.w, C = l->out.c, nb = t->nb, n = hi - lo;
  int src = l->inputs[0];
  double *sb = t->S[tid].d1, *sg = t->S[tid].d2;
  for (int64_t c = 0; c < n; c++)
    sb[c] = sg[c] = 0;
  for (int64_t b = 0; b < nb; b++) {
    int64_t j0 = (b * C + lo) * P;
    bn_sums(0, L->dy + j0, NULL, NULL, n, P, sb);
    bn_sums(2, L->dy + j0, L->xhat + j0, NULL, n, P, sg);
  }
  for (int64_t c = lo; c < hi; c++) {
    L->ggamma[c] = (float)sg[c - lo];
    L->gbeta[c] = (float)sb[c - lo];
  }
  if (src < 0)
    return;
  float *dx = t->L[src].dy;
  double cnt = (double)(nb * P);
  for (int64_t b = 0; b < nb; b++)
    for (int64_t c = lo; c < hi; c++) {
      int64_t j0 = (b * C + c) * P;
      float k1 = L->gamma[c] * L->istd[c];
      float mb = t->train_mode ? (float)(sb[c - lo] / cnt) : 0.0f;
      float mg = t->train_mode ? (float)(sg[c - lo] / cnt) : 0.0f;
      for (int64_t k = 0; k < P; k++)
        dx[j0 + k] += k1 * (L->dy[j0 + k] - mb - L->xhat[j0 + k] * mg);
    }
}

static void act_bwd(sim_trainer *t, int tid, int64_t lo, int64_t hi,
                    void *arg) {
  (void)tid;
  int i = ((lay_arg *)arg)->i;
  const wr_layer *l = &t->net->layers[i];
  tlay *L = &t->L[i];
  int src = l->inputs[0];
  if (src < 0)
    return;
  const float *x = t->L[src].y;
  float *dx = t->L[src].dy;
  const float *dy = L->dy;
  int64_t k0 = lo * L->out_n, k1 = hi * L->out_n;
  if (L->act_mode == ACT_RELU)
    for (int64_t k = k0; k < k1; k++)
      dx[k] += x[k] > 0.0f ? dy[k] : 0.0f;
  else
    for (int64_t k = k0; k < k1; k++)
      dx[k] += x[k] >= 0.0f && x[k] <= 1.0f ? dy[k] : 0.0f;
}

static void pool_bwd(sim_trainer *t, int tid, int64_t lo, int64_t hi,
                     void *arg) {
  (void)tid;
  int i = ((lay_arg *)arg)->i;
  const wr_layer *l = &t->net->layers[i];
  tlay *L = &t->L[i];
  int src = l->inputs[0];
  if (src < 0)
    return;
  float *dxin = t->L[src].dy;
  int64_t H = l->in.h, W = l->in.w;
  for (int64_t b = lo; b < hi; b++)
    for (int64_t c = 0; c < l->out.c; c++) {
      float *dx = dxin + b * L->in_n + c * H * W;
      for (int64_t oy = 0; oy < l->out.h; oy++)
        for (int64_t ox = 0; ox < l->out.w; ox++) {
          int64_t o = b * L->out_n + (c * l->out.h + oy) * l->out.w + ox;
          if (l->kind == WR_MAXPOOL) {
            if (L->arg[o] >= 0)
              dx[L->arg[o]] += L->dy[o];
            continue;
          }
          int64_t y0 = 0, y1 = H, x0 = 0, x1 = W, dy = H, dxs = W;
          if (!l->global) {
            window(oy, l->sh, l->kh, l->pad_t, H, &y0, &y1, &dy);
            window(ox, l->sw, l->kw, l->pad_l, W, &x0, &x1, &dxs);
          }
          float gsh = (float)((double)L->dy[o] / (double)(dy * dxs));
          for (int64_t yy = y0; yy < y1; yy++)
            for (int64_t xx = x0; xx < x1; xx++)
              dx[yy * W + xx] += gsh;
        }
    }
}

static void add_bwd(sim_trainer *t, int i) {
  const wr_layer *l = &t->net->layers[i];
  tlay *L = &t->L[i];
  int64_t n = t->nb * L->out_n;
  for (int k = 0; k < l->n_inputs; k++) {
    int src = l->inputs[k];
    if (src < 0)
      continue;
    float *dx = t->L[src].dy;
    for (int64_t j = 0; j < n; j++)
      dx[j] += L->dy[j];
  }
}

static void backward(sim_trainer *t) {
  const wr_net *n = t->net;
  for (int i = n->n_layers - 1; i >= 0; i--) {
    const wr_layer *l = &n->layers[i];
    tlay *L = &t->L[i];
    lay_arg a = {i, 0};
    switch (l->kind) {
    case WR_CONV: {
      par_for(t, t->nb, conv_bwd, &a);
      int T = t->o.threads < t->nb ? t->o.threads : t->nb;
      for (int64_t k = 0; k < L->n_w; k++) {
        float s = 0;
        for (int j = 0; j < T; j++)
          s += t->S[j].gw[k];
        L->gw[k] = s;
      }
      for (int64_t c = 0; L->gb && c < L->g.c_out; c++) {
        float s = 0;
        for (int j = 0; j < T; j++)
          s += t->S[j].gb[c];
        L->gb[c] = s;
      }
      break;
    }
    case WR_FC:
      par_for(t, L->g.c_out, fc_bwd_w, &a);
      if (l->inputs[0] >= 0)
        par_for(t, t->nb, fc_bwd_x, &a);
      break;
    case WR_BN:
      par_for(t, l->out.c, bn_bwd, &a);
      break;
    case WR_ACT:
      par_for(t, t->nb, act_bwd, &a);
      break;
    case WR_MAXPOOL:
    case WR_AVGPOOL:
      par_for(t, t->nb, pool_bwd, &a);
      break;
    case WR_ADD:
      add_bwd(t, i);
      break;
    case WR_CONCAT: {
      lay_arg ab = {i, 1};
      par_for(t, t->nb, concat_run, &ab);
      break;
    }
    case WR_SOFTMAX:
      break;
    }
  }
}

/* Zeroes the gradients of images [lo, hi) in every layer. */
static void clear_dy(sim_trainer *t, int tid, int64_t lo, int64_t hi,
                     void *arg) {
  (void)tid;
  (void)arg;
  for (int i = 0; i < t->net->n_layers; i++)
    memset(t->L[i].dy + lo * t->L[i].out_n, 0,
           (size_t)((hi - lo) * t->L[i].out_n) * sizeof(float));
}

int sim_trainer_grad(sim_trainer *t, const wr_dataset *d, const int64_t *idx,
                     int nb, double *loss, int64_t *correct, wr_err *e) {
  if (!d->labels)
    return wr_err_set(e, WR_EINPUT, "training needs labelled data");
  int rc = load_batch(t, d, idx, nb, e);
  if (rc)
    return rc;
  int32_t lab[4096];
  int32_t *labels = nb <= 4096 ? lab : malloc((size_t)nb * sizeof *labels);
  if (!labels)
    return oom(e);
  for (int b = 0; b < nb; b++) {
    labels[b] = d->labels[idx[b]];
    if (labels[b] < 0 || labels[b] >= t->classes) {
      if (labels != lab)
        free(labels);
      return wr_err_set(e, WR_EINPUT,
                        "label %d of image %lld: network '%s' has %lld "
                        "output%s",
                        (int)d->labels[idx[b]], (long long)idx[b], t->net->name,
                        (long long)t->classes, wr_plural(t->classes));
    }
  }
  forward(t);
  par_for(t, t->nb, clear_dy, NULL);
  int64_t c = 0;
  double l = loss_of(t, labels, nb, &c, 1);
  if (labels != lab)
    free(labels);
  backward(t);
  if (loss)
    *loss = l;
  if (correct)
    *correct += c;
  return WR_OK;
}

/* ---- optimizer ---------------------------------------------------------- */

typedef struct upd_arg {
  tparam *p;
  double lr, c1, c2;
} upd_arg;

/* Elements [lo, hi) of one parameter (each on its own: any slicing gives
 * the same values); its divisions and square roots vectorize (clones). */
TRAIN_CLONES static void update_slice(sim_trainer *t, int tid, int64_t lo,
                                      int64_t hi, void *arg) {
  (void)tid;
  const upd_arg *u = arg;
  tparam *p = u->p;
  float *restrict v = p->v, *restrict m1 = p->m1, *restrict m2 = p->m2;
  const float *restrict g = p->g;
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8, lr = u->lr, c1 = u->c1,
               c2 = u->c2, mom = t->o.momentum;
  const int clamp = p->clamp;
  if (t->o.optim == SIM_OPT_ADAM)
    for (int64_t j = lo; j < hi; j++) {
      double gj = g[j];
      float a = (float)(b1 * m1[j] + (1 - b1) * gj);
      float q = (float)(b2 * m2[j] + (1 - b2) * gj * gj);
      m1[j] = a;
      m2[j] = q;
      double x = v[j] - lr * (a / c1) / (sqrt(q / c2) + eps);
      if (clamp)
        x = x < -1.0 ? -1.0 : (x > 1.0 ? 1.0 : x);
      v[j] = (float)x;
    }
  else
    for (int64_t j = lo; j < hi; j++) {
      float a = (float)(mom * m1[j] + g[j]);
      m1[j] = a;
      double x = v[j] - lr * a;
      if (clamp)
        x = x < -1.0 ? -1.0 : (x > 1.0 ? 1.0 : x);
      v[j] = (float)x;
    }
}

static void update(sim_trainer *t, double lr) {
  t->step++;
  upd_arg u = {NULL, lr, 1.0 - pow(0.9, (double)t->step),
               1.0 - pow(0.999, (double)t->step)};
  for (int k = 0; k < t->n_params; k++)
    if (t->P[k].grad) {
      u.p = &t->P[k];
      par_for(t, u.p->count, update_slice, &u);
    }
}

int sim_trainer_step(sim_trainer *t, const wr_dataset *d, const int64_t *idx,
                     int nb, double lr, double *loss, int64_t *correct,
                     wr_err *e) {
  t->train_mode = 1;
  int rc = sim_trainer_grad(t, d, idx, nb, loss, correct, e);
  if (rc == WR_OK)
    update(t, lr);
  return rc;
}

int sim_trainer_eval(sim_trainer *t, const wr_dataset *d, int64_t *correct,
                     double *loss, wr_err *e) {
  int saved = t->train_mode;
  t->train_mode = 0;
  int64_t idx[4096];
  int B = t->batch < 4096 ? t->batch : 4096;
  double sum = 0;
  int rc = WR_OK;
  *correct = 0;
  for (int64_t s = 0; rc == WR_OK && s < d->n; s += B) {
    int nb = (int)(d->n - s < B ? d->n - s : B);
    for (int b = 0; b < nb; b++)
      idx[b] = s + b;
    rc = load_batch(t, d, idx, nb, e);
    if (rc)
      break;
    forward(t);
    int32_t lab[4096];
    for (int b = 0; b < nb; b++) {
      lab[b] = d->labels ? d->labels[s + b] : 0;
      if (lab[b] < 0 || lab[b] >= t->classes)
        lab[b] = 0;
    }
    sum += loss_of(t, lab, nb, correct, 0) * nb;
  }
  if (loss)
    *loss = d->n ? sum / (double)d->n : 0;
  t->train_mode = saved;
  return rc;
}

/* ---- export ------------------------------------------------------------- */

int sim_trainer_export(const sim_trainer *t, wr_npz *out, wr_err *e) {
  memset(out, 0, sizeof *out);
  out->arrays =
      calloc((size_t)(t->n_params ? t->n_params : 1), sizeof *out->arrays);
  if (!out->arrays)
    return oom(e);
  for (int k = 0; k < t->n_params; k++) {
    const tparam *p = &t->P[k];
    wr_array *a = &out->arrays[out->n++];
    a->dtype = WR_DT_F32;
    a->name = strdup(p->name);
    a->data = malloc((size_t)p->count * sizeof(float));
    if (!a->name || !a->data) {
      wr_npz_free(out);
      return oom(e);
    }
    memcpy(a->data, p->v, (size_t)p->count * sizeof(float));
    a->count = p->count;
    /* the shape: conv [O, C/g, kh, kw], fc [O, In], others [C] */
    a->ndim = 1;
    a->shape[0] = p->count;
    size_t len = strlen(p->name);
    if (len > 7 && strcmp(p->name + len - 7, ".weight") == 0) {
      char layer[512];
      snprintf(layer, sizeof layer, "%.*s", (int)(len - 7), p->name);
      int li = wr_net_find(t->net, layer);
      const wr_layer *l = li >= 0 ? &t->net->layers[li] : NULL;
      if (l && l->kind == WR_CONV) {
        const sim_conv_geom *g = &t->L[li].g;
        a->ndim = 4;
        a->shape[0] = g->c_out;
        a->shape[1] = g->c_in / g->groups;
        a->shape[2] = g->kh;
        a->shape[3] = g->kw;
      } else if (l && l->kind == WR_FC) {
        a->ndim = 2;
        a->shape[0] = l->out.c;
        a->shape[1] = t->L[li].in_n;
      }
    }
  }
  return WR_OK;
}

/* ---- BLAS ---------------------------------------------------------------- */

char *openblas_get_corename(void);

const char *sim_blas_coretype(void) {
  if (getenv("OPENBLAS_CORETYPE") ||
      strcmp(openblas_get_corename(), "Prescott") != 0)
    return NULL;
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") ? "SkylakeX"
         : __builtin_cpu_supports("avx2")  ? "Haswell"
                                           : NULL;
}

/* ---- the whole run ------------------------------------------------------ */

int sim_train(const wr_net *net, const wr_dataset *train,
              const wr_dataset *test, const sim_train_opts *o,
              sim_train_progress_fn progress, void *ctx, wr_npz *out,
              sim_train_result *res, wr_err *e) {
  memset(res, 0, sizeof *res);
  memset(out, 0, sizeof *out);
  if (!train->labels || train->n < 1 || (test && !test->labels))
    return wr_err_set(e, WR_EINPUT, "training needs labelled images");
  int rc0 = sim_input_check(net, train, e);
  if (rc0 == WR_OK && test)
    rc0 = sim_input_check(net, test, e);
  if (rc0)
    return rc0;
  sim_trainer *t = sim_trainer_new(net, o, e);
  if (!t)
    return e->status;
  int64_t *perm = malloc((size_t)train->n * sizeof *perm);
  int rc = perm ? WR_OK : oom(e);
  for (int64_t k = 0; perm && k < train->n; k++)
    perm[k] = k;
  int64_t steps_per_epoch = (train->n + o->batch - 1) / o->batch;
  int64_t total = steps_per_epoch * o->epochs, s = 0;
  double t_train = 0;
  for (int ep = 0; rc == WR_OK && ep < o->epochs; ep++) {
    gsl_ran_shuffle(t->rng, perm, (size_t)train->n, sizeof *perm);
    double t0 = wr_now_s(), lsum = 0;
    int64_t correct = 0;
    for (int64_t at = 0; rc == WR_OK && at < train->n; at += o->batch, s++) {
      int nb = (int)(train->n - at < o->batch ? train->n - at : o->batch);
      double lr =
          o->lr * 0.5 *
          (1.0 + cos(3.14159265358979323846 * (double)s / (double)total));
      double l;
      rc = sim_trainer_step(t, train, perm + at, nb, lr, &l, &correct, e);
      if (rc == WR_OK)
        lsum += l * nb;
    }
    double dt = wr_now_s() - t0;
    t_train += dt;
    if (rc)
      break;
    sim_train_epoch ev;
    memset(&ev, 0, sizeof ev);
    ev.epoch = ep + 1;
    ev.epochs = o->epochs;
    ev.loss = lsum / (double)train->n;
    ev.train_acc = (double)correct / (double)train->n;
    ev.images_per_s = (double)train->n / dt;
    ev.seconds = dt;
    ev.test_acc = -1;
    if (test) {
      int64_t tc;
      rc = sim_trainer_eval(t, test, &tc, NULL, e);
      ev.test_acc = (double)tc / (double)test->n;
    }
    res->loss = ev.loss;
    res->train_acc = ev.train_acc;
    res->float_test_acc = ev.test_acc;
    if (rc == WR_OK && progress)
      progress(ctx, &ev);
  }
  res->train_seconds = t_train;
  res->images_per_s = t_train > 0 ? (double)train->n * o->epochs / t_train : 0;
  if (rc == WR_OK)
    rc = sim_trainer_export(t, out, e);
  free(perm);
  sim_trainer_free(t);
  if (rc == WR_OK && test) {
    int64_t c;
    double t0 = wr_now_s();
    rc =
        sim_exec_accuracy(net, out, "trained weights", test, o->threads, &c, e);
    res->exec_seconds = wr_now_s() - t0;
    res->test_correct = c;
    res->test_n = test->n;
    res->test_acc = (double)c / (double)test->n;
  }
  if (rc)
    wr_npz_free(out);
  return rc;
}
