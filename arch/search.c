/*
 * search.c — the mapping search of one conv or fc layer: candidate tile
 * sizes along K, C and Y, the six loop orders less those that are the
 * same schedule, each played on the tile timeline (timeline.c) and the
 * best kept by the objective; the objectives' names and a mapping's text
 * (docs/arch.md, "Mapper").
 */
#include <math.h>
#include <string.h>

#include "arch_internal.h"

static const char dim_letter[ARCH_N_DIMS] = {'K', 'C', 'Y'};

const char *arch_objective_name(arch_objective o) {
  static const char *const n[] = {"energy", "cycles", "edp", "dram"};
  return (unsigned)o < 4 ? n[o] : "?";
}

int arch_objective_parse(const char *s, const char *what, arch_objective *o,
                         wr_err *e) {
  for (int i = 0; i < 4; i++)
    if (strcmp(s, arch_objective_name((arch_objective)i)) == 0) {
      *o = (arch_objective)i;
      return WR_OK;
    }
  return wr_err_set(e, WR_EINPUT,
                    "%s: '%s' is not an objective (energy, cycles, edp, dram)",
                    what, s);
}

const char *arch_mapping_str(const arch_mapping *m, char *buf, size_t n) {
  snprintf(buf, n, "K%llu C%llu Y%llu | %c>%c>%c",
           (unsigned long long)m->tile[ARCH_DIM_K],
           (unsigned long long)m->tile[ARCH_DIM_C],
           (unsigned long long)m->tile[ARCH_DIM_Y], dim_letter[m->order[0]],
           dim_letter[m->order[1]], dim_letter[m->order[2]]);
  return buf;
}

static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                 {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};

/* Whether x beats y under the objective (ties broken by the other
 * criteria, then by the earlier candidate). */
static int better(arch_objective obj, const outcome *x, const outcome *y) {
  double kx[3], ky[3];
  switch (obj) {
  case ARCH_OBJ_CYCLES:
    kx[0] = x->cycles, kx[1] = x->en.total, kx[2] = outcome_dram_bytes(x);
    ky[0] = y->cycles, ky[1] = y->en.total, ky[2] = outcome_dram_bytes(y);
    break;
  case ARCH_OBJ_EDP:
    kx[0] = x->cycles * x->en.total, kx[1] = x->en.total, kx[2] = x->cycles;
    ky[0] = y->cycles * y->en.total, ky[1] = y->en.total, ky[2] = y->cycles;
    break;
  case ARCH_OBJ_DRAM:
    kx[0] = outcome_dram_bytes(x), kx[1] = x->cycles, kx[2] = x->en.total;
    ky[0] = outcome_dram_bytes(y), ky[1] = y->cycles, ky[2] = y->en.total;
    break;
  default:
    kx[0] = x->en.total, kx[1] = x->cycles, kx[2] = outcome_dram_bytes(x);
    ky[0] = y->en.total, ky[1] = y->cycles, ky[2] = outcome_dram_bytes(y);
    break;
  }
  for (int i = 0; i < 3; i++) {
    /* relative tolerance: equal up to rounding */
    double tol = 1e-12 * fmax(fabs(kx[i]), fabs(ky[i]));
    if (kx[i] < ky[i] - tol)
      return 1;
    if (kx[i] > ky[i] + tol)
      return 0;
  }
  return 0;
}

/* Tile sizes tried along a dimension of `n`: ceil(n / 2^i). */
static int sizes(double n, double *out, int cap) {
  int k = 0;
  for (double d = 1; k < cap; d *= 2) {
    double s = ceil(n / d);
    if (k == 0 || s < out[k - 1])
      out[k++] = s;
    if (s <= 1)
      break;
  }
  return k;
}

/* Candidate tile sizes: along K and C, and for Y rows of one image
 * (rows < P, one image) or whole images (rows = P). */
typedef struct candidates {
  double k[24], c[24], y_rows[48], y_imgs[48];
  int nk, nc, ny;
} candidates;

static void candidates_of(const layer_geom *g, const arch_eval_opts *opt,
                          const arch_mapping *fixed, candidates *c) {
  c->ny = 0;
  if (opt->ideal_memory) { /* one tile: SCALE-Sim's view */
    c->k[0] = g->K, c->c[0] = g->C, c->y_rows[0] = g->P, c->y_imgs[0] = g->B;
    c->nk = c->nc = c->ny = 1;
  } else if (fixed) {
    double y = (double)fixed->tile[ARCH_DIM_Y];
    c->k[0] = fmax(1, fmin(g->K, (double)fixed->tile[ARCH_DIM_K]));
    c->c[0] = fmax(1, fmin(g->C, (double)fixed->tile[ARCH_DIM_C]));
    c->y_rows[0] = fmax(1, fmin(y, g->P));
    c->y_imgs[0] = y < g->P ? 1 : fmax(1, fmin(g->B, floor(y / g->P)));
    c->nk = c->nc = c->ny = 1;
  } else {
    double rs[24], bs[24];
    c->nk = sizes(g->K, c->k, 24);
    c->nc = sizes(g->C, c->c, 24);
    int nr = sizes(g->P, rs, 24), nb = sizes(g->B, bs, 24);
    for (int i = 0; i < nr; i++)
      if (rs[i] < g->P)
        c->y_rows[c->ny] = rs[i], c->y_imgs[c->ny++] = 1;
    for (int i = 0; i < nb; i++)
      c->y_rows[c->ny] = g->P, c->y_imgs[c->ny++] = bs[i];
  }
}

/* Whether loop orders x and y differ only in where loops of one trip sit,
 * and so are the same schedule. */
static int same_schedule(const double trips[ARCH_N_DIMS], const int *x,
                         const int *y) {
  int qa = 0, qb = 0;
  for (;;) {
    while (qa < ARCH_N_DIMS && trips[x[qa]] <= 1)
      qa++;
    while (qb < ARCH_N_DIMS && trips[y[qb]] <= 1)
      qb++;
    if (qa == ARCH_N_DIMS || qb == ARCH_N_DIMS)
      return qa == ARCH_N_DIMS && qb == ARCH_N_DIMS;
    if (x[qa++] != y[qb++])
      return 0;
  }
}

int search_mapping(const arch *a, const layer_geom *g, const layer_pj *pj,
                   const arch_eval_opts *opt, const arch_mapping *fixed,
                   const char *layer, search_best *best, wr_err *e) {
  candidates cd;
  candidates_of(g, opt, fixed, &cd);
  /* loop orders tried: all six, or the given one */
  int n_ord = 6;
  const int(*ords)[3] = orders;
  int fixed_ord[1][3];
  if (fixed && !opt->ideal_memory) {
    memcpy(fixed_ord[0], fixed->order, sizeof fixed_ord[0]);
    ords = (const int(*)[3])fixed_ord;
    n_ord = 1;
  }
  int found = 0, tight = -1;
  tiling T;
  outcome o;
  memset(best, 0, sizeof *best);
  best->ord = orders[0];
  for (int yi = 0; yi < cd.ny; yi++) {
    double rows = cd.y_rows[yi], imgs = cd.y_imgs[yi];
    for (int ki = 0; ki < cd.nk; ki++)
      for (int ci = 0; ci < cd.nc; ci++) {
        int mt = timeline_tiling(a, g, cd.k[ki], cd.c[ci], rows, imgs,
                                 opt->ideal_memory, &T, &tight, e);
        if (mt < 0)
          return WR_EINPUT;
        if (mt > 0)
          continue;
        for (int oi = 0; oi < n_ord; oi++) {
          int dup = 0;
          for (int prev = 0; prev < oi && !dup; prev++)
            dup = same_schedule(T.trips, ords[oi], ords[prev]);
          if (dup)
            continue;
          best->candidates++;
          if (!timeline_play(a, g, &T, ords[oi], opt->ideal_memory, pj, &o,
                             &tight))
            continue;
          if (!found || better(opt->objective, &o, &best->o)) {
            found = 1;
            best->o = o;
            best->T = T;
            best->ord = fixed && !opt->ideal_memory ? fixed->order : orders[oi];
          }
        }
      }
  }
  if (!found) {
    const arch_buffer *b = &a->buffers[tight < 0 ? 0 : tight];
    return wr_err_at(e, a->file, b->line, b->col,
                     "buffer '%s' (%g KiB) is too small for layer '%s': %s",
                     b->name, b->kib, layer,
                     fixed ? "the given mapping does not fit"
                           : "no tiling fits, not even 1 filter x 1 channel "
                             "x 1 output row (double-buffered)");
  }
  return WR_OK;
}
