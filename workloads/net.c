/*
 * net.c — the network IR: shape inference, per-layer MAC and parameter
 * counts, the width transform and the precision policy (docs/workloads.md,
 * "Width and precision": width k makes every layer's output channels
 * round(k*C), except the classifier's).
 */
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_internal.h"

const char *wr_kind_name(wr_kind k) {
  static const char *const names[] = {"conv", "fc",  "maxpool", "avgpool", "bn",
                                      "act",  "add", "concat",  "softmax"};
  return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

int64_t wr_shape_elems(wr_shape s) { return s.c * s.h * s.w; }

static int is_compute(const wr_layer *l) {
  return l->kind == WR_CONV || l->kind == WR_FC;
}

void wr_net_free(wr_net *n) {
  if (!n)
    return;
  for (int i = 0; i < n->n_layers; i++) {
    free(n->layers[i].name);
    free(n->layers[i].inputs);
  }
  free(n->layers);
  free(n->name);
  free(n->source);
  free(n->file);
  free(n->mean);
  free(n->std);
  wr_policy_clear(&n->policy);
  free(n);
}

int wr_net_find(const wr_net *n, const char *name) {
  for (int i = 0; i < n->n_layers; i++)
    if (strcmp(n->layers[i].name, name) == 0)
      return i;
  return -1;
}

static int layer_err(const wr_net *n, const wr_layer *l, wr_err *e,
                     const char *msg) {
  return wr_err_at(e, n->file, l->line, l->col, "%s '%s': %s",
                   wr_kind_name(l->kind), l->name, msg);
}

static int mul_ok(uint64_t a, uint64_t b, uint64_t *out) {
  return !__builtin_mul_overflow(a, b, out);
}

/* Output size of a sliding window along one axis (PyTorch's rule, with
 * ceil_mode as in torch.nn.MaxPool2d). */
static int64_t window_out(int64_t in, int pad0, int pad1, int k, int d, int s,
                          int ceil_mode) {
  int64_t span = in + pad0 + pad1 - (int64_t)d * (k - 1) - 1;
  if (span < 0)
    return 0;
  int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (o - 1) * s >= in + pad0)
    o--;
  return o;
}

/* TensorFlow SAME padding along one axis: output ceil(in/s), the odd
 * pixel of padding at the end. */
static void same_pad(int64_t in, int k, int d, int s, int *p0, int *p1) {
  int64_t out = (in + s - 1) / s;
  int64_t total = (out - 1) * s + (int64_t)d * (k - 1) + 1 - in;
  if (total < 0)
    total = 0;
  *p0 = (int)(total / 2);
  *p1 = (int)(total - total / 2);
}

static int infer_window(const wr_net *n, wr_layer *l, wr_err *e) {
  char msg[256];
  if (l->pad_same) {
    same_pad(l->in.h, l->kh, l->dh, l->sh, &l->pad_t, &l->pad_b);
    same_pad(l->in.w, l->kw, l->dw, l->sw, &l->pad_l, &l->pad_r);
  }
  l->out.h = window_out(l->in.h, l->pad_t, l->pad_b, l->kh, l->dh, l->sh,
                        l->ceil_mode);
  l->out.w = window_out(l->in.w, l->pad_l, l->pad_r, l->kw, l->dw, l->sw,
                        l->ceil_mode);
  if (l->out.h < 1 || l->out.w < 1) {
    snprintf(msg, sizeof msg,
             "a %dx%d window (dilation %dx%d) does not fit the %lldx%lld "
             "input padded by %d,%d,%d,%d",
             l->kh, l->kw, l->dh, l->dw, (long long)l->in.h, (long long)l->in.w,
             l->pad_t, l->pad_b, l->pad_l, l->pad_r);
    return layer_err(n, l, e, msg);
  }
  return WR_OK;
}

/* Output channels of a conv/fc at width k. */
static int wide_channels(const wr_net *n, wr_layer *l, double k, int64_t *out,
                         wr_err *e) {
  char msg[256];
  if (l->classifier) {
    *out = l->out_base;
    return WR_OK;
  }
  double c = round(k * (double)l->out_base);
  if (c < 1) {
    snprintf(msg, sizeof msg, "width %g leaves %lld x %g < 0.5 channels", k,
             (long long)l->out_base, k);
    return layer_err(n, l, e, msg);
  }
  if (c > WR_MAX_WIDE_CHANNELS) {
    snprintf(msg, sizeof msg, "width %g gives %.0f channels (limit %d)", k, c,
             WR_MAX_WIDE_CHANNELS);
    return layer_err(n, l, e, msg);
  }
  *out = (int64_t)c;
  return WR_OK;
}

static int infer_layer(const wr_net *n, wr_layer *l, double k, wr_err *e) {
  char msg[256];
  wr_shape in0 =
      l->inputs[0] == WR_NET_INPUT ? n->input : n->layers[l->inputs[0]].out;
  l->in = in0;
  l->out = in0;
  l->macs = 0;
  l->weights = 0;
  l->extra_params = 0;
  uint64_t w, m;
  int64_t cout = 0;
  switch (l->kind) {
  case WR_CONV:
    if (l->depthwise) {
      l->groups = (int)in0.c;
      cout = in0.c;
    } else if (wide_channels(n, l, k, &cout, e)) {
      return WR_EINPUT;
    }
    if (in0.c % l->groups || cout % l->groups) {
      snprintf(msg, sizeof msg,
               "groups %d must divide the input channels (%lld) and the "
               "output channels (%lld)",
               l->groups, (long long)in0.c, (long long)cout);
      return layer_err(n, l, e, msg);
    }
    if (infer_window(n, l, e))
      return WR_EINPUT;
    l->out.c = cout;
    if (!mul_ok((uint64_t)cout * (uint64_t)(in0.c / l->groups),
                (uint64_t)l->kh * (uint64_t)l->kw, &w) ||
        !mul_ok(w, (uint64_t)(l->out.h * l->out.w), &m) || w > INT64_MAX)
      return layer_err(n, l, e, "weight or MAC count overflows 64 bits");
    l->weights = (int64_t)w;
    l->macs = m;
    l->extra_params = l->bias ? cout : 0;
    break;
  case WR_FC:
    if (wide_channels(n, l, k, &cout, e))
      return WR_EINPUT;
    if (!mul_ok((uint64_t)wr_shape_elems(in0), (uint64_t)cout, &w) ||
        w > INT64_MAX)
      return layer_err(n, l, e, "weight count overflows 64 bits");
    l->weights = (int64_t)w;
    l->macs = w;
    l->extra_params = l->bias ? cout : 0;
    l->out.c = cout;
    l->out.h = l->out.w = 1;
    break;
  case WR_MAXPOOL:
  case WR_AVGPOOL:
    if (l->global) {
      l->kh = (int)in0.h;
      l->kw = (int)in0.w;
      l->out.h = l->out.w = 1;
    } else if (infer_window(n, l, e)) {
      return WR_EINPUT;
    }
    break;
  case WR_BN:
    l->extra_params = 2 * in0.c;
    break;
  case WR_ADD:
  case WR_CONCAT:
    for (int j = 1; j < l->n_inputs; j++) {
      wr_shape s =
          l->inputs[j] == WR_NET_INPUT ? n->input : n->layers[l->inputs[j]].out;
      int same_map = s.h == in0.h && s.w == in0.w;
      if (!same_map || (l->kind == WR_ADD && s.c != in0.c)) {
        snprintf(msg, sizeof msg,
                 "input %d has shape %lldx%lldx%lld but input 1 has "
                 "%lldx%lldx%lld (%s)",
                 j + 1, (long long)s.c, (long long)s.h, (long long)s.w,
                 (long long)in0.c, (long long)in0.h, (long long)in0.w,
                 l->kind == WR_ADD ? "add needs equal shapes"
                                   : "concat needs equal height and width");
        return layer_err(n, l, e, msg);
      }
      if (l->kind == WR_CONCAT)
        l->out.c += s.c;
    }
    if (l->out.c > WR_MAX_WIDE_CHANNELS)
      return layer_err(n, l, e, "too many channels");
    break;
  case WR_ACT:
  case WR_SOFTMAX:
    break;
  }
  return WR_OK;
}

int wr_net_widen(wr_net *n, double k, wr_err *e) {
  if (!(k > 0) || !isfinite(k) || k > 1e6)
    return wr_err_set(e, WR_EINPUT,
                      "width %g: expected a number greater than 0 (and at "
                      "most 1e6)",
                      k);
  for (int i = 0; i < n->n_layers; i++)
    if (infer_layer(n, &n->layers[i], k, e))
      return WR_EINPUT;
  n->width = k;
  return WR_OK;
}

int wr_net_pattern_matches(const wr_net *n, const char *pattern) {
  for (int i = 0; i < n->n_layers; i++)
    if (is_compute(&n->layers[i]) &&
        fnmatch(pattern, n->layers[i].name, 0) == 0)
      return 1;
  return 0;
}

void wr_net_apply_policy(wr_net *n, const wr_policy *p) {
  int first = 1;
  for (int i = 0; i < n->n_layers; i++) {
    wr_layer *l = &n->layers[i];
    if (!is_compute(l))
      continue;
    wr_prec pr = p->def;
    int fp32 = (first && p->fp32_first) || (l->classifier && p->fp32_last);
    for (size_t j = 0; j < p->n_fp32_patterns && !fp32; j++)
      fp32 = fnmatch(p->fp32_patterns[j], l->name, 0) == 0;
    if (fp32)
      pr.a_bits = pr.w_bits = WR_FP32_BITS;
    for (size_t j = 0; j < p->n_rules; j++)
      if (fnmatch(p->rules[j].pattern, l->name, 0) == 0)
        pr = p->rules[j].prec;
    l->prec = pr;
    first = 0;
  }
}

int net_finish(wr_net *n, wr_err *e) {
  int last = -1;
  for (int i = 0; i < n->n_layers; i++)
    if (is_compute(&n->layers[i]))
      last = i;
  if (last < 0)
    return wr_err_at(e, n->file, 0, 0, "the network has no conv or fc layer");
  n->layers[last].classifier = 1;
  if (wr_net_widen(n, 1.0, e))
    return WR_EINPUT;
  wr_net_apply_policy(n, &n->policy);
  return WR_OK;
}

wr_net_totals wr_net_sum(const wr_net *n) {
  wr_net_totals t = {0, 0, 0};
  for (int i = 0; i < n->n_layers; i++) {
    const wr_layer *l = &n->layers[i];
    /* saturate rather than wrap on absurd networks */
    if (__builtin_add_overflow(t.macs, l->macs, &t.macs))
      t.macs = UINT64_MAX;
    if (__builtin_add_overflow(t.params,
                               (uint64_t)l->weights + (uint64_t)l->extra_params,
                               &t.params))
      t.params = UINT64_MAX;
    t.n_compute += is_compute(l);
  }
  return t;
}
