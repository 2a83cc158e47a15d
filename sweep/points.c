/* points.c — design points: the grid of a spec's axes, sampling (random,
 * Latin hypercube; GSL), shards, and resolving a point to its full
 * configuration and key. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sweep.h"
#include "sweep_internal.h"

#ifndef WRPNSIM_VERSION
#define WRPNSIM_VERSION "unknown"
#endif

const char *sweep_tool_version(void) { return WRPNSIM_VERSION; }

uint64_t sweep_fnv1a64(const void *data, size_t n, uint64_t h) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

const char *sweep_key_str(uint64_t key, char *buf, size_t n) {
  snprintf(buf, n, "%016" PRIx64, key);
  return buf;
}

int sweep_axes(const sweep_spec *s, int *sizes) {
  sizes[SWEEP_AX_WORKLOAD] = s->n_workloads;
  sizes[SWEEP_AX_WIDTH] = s->n_widths;
  sizes[SWEEP_AX_PREC] = s->n_precs;
  sizes[SWEEP_AX_BATCH] = s->n_batches;
  sizes[SWEEP_AX_OBJECTIVE] = s->n_objectives;
  sizes[SWEEP_AX_BASE] = s->n_bases;
  for (int i = 0; i < s->n_vary; i++)
    sizes[SWEEP_AX_VARY0 + i] = s->vary[i].n;
  return SWEEP_AX_VARY0 + s->n_vary;
}

uint64_t sweep_grid_size(const sweep_spec *s) {
  int sizes[SWEEP_MAX_AXES];
  int n = sweep_axes(s, sizes);
  uint64_t g = 1;
  for (int i = 0; i < n; i++)
    g *= (uint64_t)sizes[i];
  return g;
}

void sweep_point_at(const sweep_spec *s, uint64_t index, sweep_point *p) {
  int sizes[SWEEP_MAX_AXES];
  int n = sweep_axes(s, sizes);
  memset(p, 0, sizeof *p);
  p->index = index;
  for (int i = n - 1; i >= 0; i--) {
    p->ax[i] = (int)(index % (uint64_t)sizes[i]);
    index /= (uint64_t)sizes[i];
  }
}

static uint64_t grid_index(const int *sizes, int naxes, const int *levels) {
  uint64_t g = 0;
  for (int k = 0; k < naxes; k++)
    g = g * (uint64_t)sizes[k] + (uint64_t)levels[k];
  return g;
}

int sweep_cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Sorts and removes repeats; returns the new count. */
static size_t sort_unique(uint64_t *v, size_t n) {
  qsort(v, n, sizeof *v, sweep_cmp_u64);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (k == 0 || v[k - 1] != v[i])
      v[k++] = v[i];
  return k;
}

static gsl_rng *rng_new(uint64_t seed, wr_err *e) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!r) {
    wr_err_set(e, WR_ENOMEM, "out of memory");
    return NULL;
  }
  /* mt19937 takes an unsigned long seed; fold 64 bits into it */
  gsl_rng_set(r, (unsigned long)(seed ^ (seed >> 32)));
  return r;
}

int sweep_lhs(const int *sizes, int naxes, size_t n, uint64_t seed, int **out,
              wr_err *e) {
  int *lv = malloc(sizeof *lv * (n ? n : 1) * (size_t)(naxes ? naxes : 1));
  size_t *perm = malloc(sizeof *perm * (n ? n : 1));
  gsl_rng *r = lv && perm ? rng_new(seed, e) : NULL;
  if (!r) {
    free(lv);
    free(perm);
    return e && e->status ? e->status
                          : wr_err_set(e, WR_ENOMEM, "out of memory");
  }
  for (int k = 0; k < naxes; k++) {
    for (size_t i = 0; i < n; i++)
      perm[i] = i;
    gsl_ran_shuffle(r, perm, n, sizeof *perm);
    for (size_t i = 0; i < n; i++) {
      double u = ((double)perm[i] + gsl_rng_uniform(r)) / (double)n;
      int l = (int)(u * sizes[k]);
      lv[i * (size_t)naxes + (size_t)k] = l < sizes[k] ? l : sizes[k] - 1;
    }
  }
  gsl_rng_free(r);
  free(perm);
  *out = lv;
  return WR_OK;
}

/* `want` distinct indices of [0, g) drawn uniformly: selection sampling
 * (Knuth's algorithm S) on small grids, rejection of repeats on large
 * ones. */
static int random_points(uint64_t g, uint64_t want, uint64_t seed, uint64_t *v,
                         size_t *n, wr_err *e) {
  gsl_rng *r = rng_new(seed, e);
  if (!r)
    return e->status;
  size_t k = 0;
  if (g <= ((uint64_t)1 << 24)) {
    for (uint64_t i = 0; i < g && k < want; i++)
      if ((double)(g - i) * gsl_rng_uniform(r) < (double)(want - k))
        v[k++] = i;
  } else {
    while (k < want) {
      while (k < want) {
        uint64_t x = ((uint64_t)gsl_rng_get(r) << 32) | gsl_rng_get(r);
        v[k++] = x % g;
      }
      k = sort_unique(v, k);
    }
  }
  gsl_rng_free(r);
  *n = k;
  return WR_OK;
}

int sweep_points(const sweep_spec *s, uint64_t **idx, size_t *n, wr_err *e) {
  uint64_t g = sweep_grid_size(s);
  uint64_t want =
      s->sampling == SWEEP_GRID || s->sample_points >= g ? g : s->sample_points;
  if (want > ((uint64_t)1 << 32))
    return wr_err_set(e, WR_EINPUT,
                      "%s: %" PRIu64 " points is too many to run (sample "
                      "at most 2^32)",
                      s->file, want);
  uint64_t *v = malloc(sizeof *v * (size_t)(want ? want : 1));
  if (!v)
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  size_t k = 0;
  int rc = WR_OK;
  if (want == g) {
    for (uint64_t i = 0; i < g; i++)
      v[k++] = i;
  } else if (s->sampling == SWEEP_RANDOM) {
    rc = random_points(g, want, s->seed, v, &k, e);
  } else {
    int sizes[SWEEP_MAX_AXES], *lv;
    int na = sweep_axes(s, sizes);
    rc = sweep_lhs(sizes, na, (size_t)want, s->seed, &lv, e);
    if (!rc) {
      for (size_t i = 0; i < want; i++)
        v[i] = grid_index(sizes, na, lv + i * (size_t)na);
      k = sort_unique(v, (size_t)want);
      free(lv);
    }
  }
  if (rc) {
    free(v);
    return rc;
  }
  *idx = v;
  *n = k;
  return WR_OK;
}

int sweep_shard_parse(const char *text, int *i, int *n, wr_err *e) {
  int a, b, used = 0;
  if (sscanf(text, "%d/%d%n", &a, &b, &used) != 2 || text[used] || b < 1 ||
      a < 1 || a > b || b > 1000000)
    return wr_err_set(e, WR_EINPUT,
                      "--shard: '%s' is not I/N with 1 <= I <= N (e.g. 3/8)",
                      text);
  *i = a;
  *n = b;
  return WR_OK;
}

int sweep_in_shard(size_t pos, int i, int n) {
  return n <= 0 || (int)(pos % (size_t)n) == i - 1;
}

/* ---- resolving ---------------------------------------------------------- */

/* A growing string. */
typedef struct sbuf {
  char *s;
  size_t n, cap;
  int bad;
} sbuf;

static void sb_put(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_put(sbuf *b, const char *fmt, ...) {
  for (int tries = 0; tries < 2 && !b->bad; tries++) {
    va_list ap;
    va_start(ap, fmt);
    int k =
        vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
    va_end(ap);
    if (k < 0) {
      b->bad = 1;
      return;
    }
    if (b->s && (size_t)k < b->cap - b->n) {
      b->n += (size_t)k;
      return;
    }
    size_t cap = (b->cap + (size_t)k + 1) * 2;
    char *ns = realloc(b->s, cap);
    if (!ns) {
      b->bad = 1;
      return;
    }
    b->s = ns;
    b->cap = cap;
  }
}

int sweep_resolve(const sweep_spec *s, const sweep_point *p, sweep_config *c,
                  wr_err *e) {
  memset(c, 0, sizeof *c);
  const arch *base = s->base_archs[p->ax[SWEEP_AX_BASE]];
  if (!(c->a = arch_clone(base, e)))
    return e->status;
  sbuf params = {0};
  sb_put(&params, "%s", "");
  for (int i = 0; i < s->n_vary; i++) {
    const sweep_vary *v = &s->vary[i];
    const char *val = v->values[p->ax[SWEEP_AX_VARY0 + i]];
    sb_put(&params, "%s%s=%s", i ? " " : "", v->path, val);
    wr_err pe;
    if (!c->invalid && arch_set_param(c->a, v->path, val, &pe) &&
        !(c->invalid = strdup(pe.msg)))
      params.bad = 1;
  }
  char *canon = arch_canonical(c->a, e);
  const sweep_workload *w = &s->workloads[p->ax[SWEEP_AX_WORKLOAD]];
  char prec[16];
  sbuf t = {0};
  sb_put(&t,
         "wrpnsim sweep point 1\nnetwork: %s\nworkload_fnv1a64: %016" PRIx64
         "\nwidth: %.17g\nprecision: %s\nfp32: %s\nbatch: %" PRIu64
         "\nobjective: %s\nideal_memory: %d\n",
         w->network, w->text_fnv, s->widths[p->ax[SWEEP_AX_WIDTH]],
         wr_prec_str(s->precs[p->ax[SWEEP_AX_PREC]], prec, sizeof prec),
         s->fp32, s->batches[p->ax[SWEEP_AX_BATCH]],
         arch_objective_name(s->objectives[p->ax[SWEEP_AX_OBJECTIVE]]),
         s->ideal_memory);
  if (s->measure.on) {
    /* measured points: the model whose statistics and accuracy they use */
    uint64_t mk = 0;
    char *mt =
        sweep_model_text(s, p->ax[SWEEP_AX_WORKLOAD], p->ax[SWEEP_AX_WIDTH],
                         p->ax[SWEEP_AX_PREC], &mk);
    if (!mt)
      t.bad = 1;
    free(mt);
    sb_put(&t, "measure_model: %016" PRIx64 "\n", mk);
  }
  /* parameters that could not be set are part of the configuration */
  if (c->invalid)
    sb_put(&t, "invalid: %s\n", params.s);
  sb_put(&t, "%s", canon ? canon : "");
  int canon_ok = canon != NULL;
  free(canon);
  c->params = params.s;
  c->text = t.s;
  if (!canon_ok || t.bad || params.bad) {
    sweep_config_free(c);
    return canon_ok ? wr_err_set(e, WR_ENOMEM, "out of memory") : e->status;
  }
  c->key = sweep_fnv1a64(c->text, t.n, SWEEP_FNV_INIT);
  return WR_OK;
}

void sweep_config_free(sweep_config *c) {
  arch_free(c->a);
  free(c->text);
  free(c->params);
  free(c->invalid);
  memset(c, 0, sizeof *c);
}
