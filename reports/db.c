/* db.c — a sweep database (sweep/store.c, docs/sweep.md) read into a set
 * of design points, under the names the reports use (reports.h).  The
 * database is opened read-only. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports.h"
#include "sweep.h"

static int db_fail(sqlite3 *db, const char *path, const char *what, wr_err *e) {
  return sweep_db_fail(db, path, what, e);
}

static int first_int(void *v, int n, char **val, char **col) {
  (void)col;
  if (n > 0 && val[0])
    *(sqlite3_int64 *)v = strtoll(val[0], NULL, 10);
  return 0;
}

/* The first column of the first row of `sql` as an integer (0 if none). */
static int pragma_int(sqlite3 *db, const char *sql, sqlite3_int64 *v) {
  *v = 0;
  return sqlite3_exec(db, sql, first_int, v, NULL);
}

/* ---- per-point bookkeeping -------------------------------------------- */

typedef struct pkey {
  char key[24];
  int p;          /* point index */
  int batch;      /* images per batch */
  double lat;     /* the batch's latency, s */
  double cycles;  /* the batch's cycles */
  double peak;    /* max compute roof over its layers' modes */
  double peak_cb; /* fallback: max roof of compute-bound layers */
  int arch;       /* index into the arch cache, or -1 */
} pkey;

static int cmp_pkey(const void *a, const void *b) {
  return strcmp(((const pkey *)a)->key, ((const pkey *)b)->key);
}

typedef struct arch_cache {
  char **id; /* "base|params" */
  arch **a;  /* NULL when it could not be rebuilt */
  int n, cap;
} arch_cache;

/* The architecture of a point rebuilt from its base and parameters
 * ("path=value ..."), to compute its compute roof; -1 when it can't be
 * (e.g. a file base relative to another directory) or out of memory. */
static int cache_get(arch_cache *c, const char *base, const char *params) {
  size_t len = strlen(base) + strlen(params) + 2;
  char *id = malloc(len);
  if (!id)
    return -1;
  snprintf(id, len, "%s|%s", base, params);
  for (int i = 0; i < c->n; i++)
    if (strcmp(c->id[i], id) == 0) {
      free(id);
      return c->a[i] ? i : -1;
    }
  if (c->n == c->cap) {
    int cap = c->cap ? 2 * c->cap : 8;
    char **ni = realloc(c->id, (size_t)cap * sizeof *ni);
    if (ni)
      c->id = ni;
    arch **na = ni ? realloc(c->a, (size_t)cap * sizeof *na) : NULL;
    if (!na) {
      free(id);
      return -1;
    }
    c->a = na;
    c->cap = cap;
  }
  wr_err e;
  arch *a = arch_open(base, &e);
  char *ps = a ? strdup(params) : NULL;
  for (char *tok = ps ? strtok(ps, " ") : NULL; tok && a;
       tok = strtok(NULL, " ")) {
    char *eq = strchr(tok, '=');
    if (!eq || (*eq = '\0', arch_set_param(a, tok, eq + 1, &e))) {
      arch_free(a);
      a = NULL;
    }
  }
  if (a && !ps) {
    arch_free(a);
    a = NULL;
  }
  free(ps);
  c->id[c->n] = id;
  c->a[c->n] = a;
  return a ? c->n++ : (c->n++, -1);
}

static void cache_free(arch_cache *c) {
  for (int i = 0; i < c->n; i++) {
    free(c->id[i]);
    arch_free(c->a[i]);
  }
  free(c->id);
  free(c->a);
}

/* A number after "NAME: " on a line of the canonical configuration. */
static double config_num(const char *config, const char *name) {
  size_t n = strlen(name);
  for (const char *l = config; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l)
    if (strncmp(l, name, n) == 0 && l[n] == ':')
      return strtod(l + n + 1, NULL);
  return NAN;
}

static const char *col_text(sqlite3_stmt *st, int i) {
  return (const char *)sqlite3_column_text(st, i);
}

static double col_num(sqlite3_stmt *st, int i) {
  return sqlite3_column_type(st, i) == SQLITE_NULL
             ? NAN
             : sqlite3_column_double(st, i);
}

/* The short form of a citation: up to its first comma, at most 40
 * characters, then the dataset and metric ("Mishra et al. (imagenet
 * top1)"). */
static char *short_source(const char *src, const char *dataset,
                          const char *metric) {
  size_t n = strcspn(src, ",");
  if (n > 40)
    n = 40;
  size_t len =
      n + (dataset ? strlen(dataset) : 0) + (metric ? strlen(metric) : 0) + 8;
  char *s = malloc(len);
  if (!s)
    return NULL;
  if (dataset || metric)
    snprintf(s, len, "%.*s (%s%s%s)", (int)n, src, dataset ? dataset : "",
             dataset && metric ? " " : "", metric ? metric : "");
  else
    snprintf(s, len, "%.*s", (int)n, src);
  return s;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* The source entry for a point's accuracy; NULL when out of memory. */
static rp_db_source *source_get(rp_db_info *in, const char *src,
                                const char *dataset, const char *metric) {
  for (int i = 0; i < in->n_sources; i++) {
    rp_db_source *x = &in->sources[i];
    if (strcmp(x->source, src) == 0 &&
        strcmp(x->dataset ? x->dataset : "", dataset ? dataset : "") == 0 &&
        strcmp(x->metric ? x->metric : "", metric ? metric : "") == 0)
      return x;
  }
  rp_db_source *ns =
      realloc(in->sources, (size_t)(in->n_sources + 1) * sizeof *ns);
  if (!ns)
    return NULL;
  in->sources = ns;
  rp_db_source *x = &ns[in->n_sources];
  memset(x, 0, sizeof *x);
  x->source = strdup(src);
  x->label = short_source(src, dataset, metric);
  x->dataset = dup_or_null(dataset);
  x->metric = dup_or_null(metric);
  in->n_sources++;
  if (!x->source || !x->label || (dataset && !x->dataset) ||
      (metric && !x->metric))
    return NULL;
  return x;
}

void rp_db_info_free(rp_db_info *in) {
  if (!in)
    return;
  for (int i = 0; i < in->n_sources; i++) {
    rp_db_source *x = &in->sources[i];
    free(x->source);
    free(x->label);
    free(x->dataset);
    free(x->metric);
    for (int k = 0; k < x->n_notes; k++)
      free(x->note[k]);
  }
  free(in->sources);
  free(in->sweeps);
  memset(in, 0, sizeof *in);
}

/* ---- reading ------------------------------------------------------------ */

/* Whether a points column has more than one distinct value, or (for
 * batch) any value but 1. */
static int varies(sqlite3 *db, const char *col, int or_not_one) {
  char sql[160];
  snprintf(sql, sizeof sql, "SELECT count(DISTINCT %s) > 1%s FROM points", col,
           or_not_one ? " OR max(batch) <> 1 OR min(batch) <> 1" : "");
  sqlite3_int64 v = 0;
  return pragma_int(db, sql, &v) == SQLITE_OK && v;
}

enum {
  C_KEY,
  C_NETWORK,
  C_WIDTH,
  C_PREC,
  C_BATCH,
  C_OBJECTIVE,
  C_FP32,
  C_ARCH,
  C_BASE,
  C_PARAMS,
  C_STATUS,
  C_REASON,
  C_CYCLES,
  C_LATENCY,
  C_DRAM,
  C_EMAC,
  C_ERF,
  C_EDRAM,
  C_ESTATIC,
  C_AREA,
  C_ACC,
  C_ACC_METRIC,
  C_ACC_DATASET,
  C_ACC_SOURCE,
  C_ACC_NOTE,
  C_CONFIG,
  C_ENERGY
};

static const char points_sql[] =
    "SELECT key, network, width, precision, batch, objective, fp32, arch,"
    " arch_base, arch_params, status, reason, cycles, latency_s, dram_bytes,"
    " e_mac_pj, e_rf_pj, e_dram_pj, e_static_pj, area_mm2, accuracy,"
    " accuracy_metric, accuracy_dataset, accuracy_source, accuracy_note,"
    " config, energy_pj FROM points ORDER BY network, width, a_bits DESC, "
    "w_bits DESC,"
    " precision, arch, arch_params, batch, objective, fp32, key";

typedef struct reader {
  rp_set *s;
  sqlite3 *db;
  const char *path;
  rp_db_info *info;
  wr_err *e;
  pkey *keys;
  int n_keys;
  arch_cache cache;
  int show_batch, show_obj, show_fp32;
} reader;

static int oom(reader *r) {
  return wr_err_set(r->e, WR_ENOMEM, "out of memory");
}

static int read_point(reader *r, sqlite3_stmt *st) {
  rp_set *s = r->s;
  wr_err *e = r->e;
  int p = rp_add_point(s, e);
  if (p < 0)
    return e->status;
  char buf[64];
  int batch = sqlite3_column_int(st, C_BATCH);
  if (batch < 1)
    batch = 1;
  const char *params = col_text(st, C_PARAMS);
  int rc = rp_set_attr(s, p, RP_WORKLOAD, col_text(st, C_NETWORK), e);
  snprintf(buf, sizeof buf, "%g", sqlite3_column_double(st, C_WIDTH));
  rc = rc ? rc : rp_set_attr(s, p, RP_WIDTH, buf, e);
  rc = rc ? rc : rp_set_attr(s, p, RP_PRECISION, col_text(st, C_PREC), e);
  rc = rc ? rc : rp_set_attr(s, p, RP_ARCH, col_text(st, C_ARCH), e);
  if (!rc && params && *params)
    rc = rp_set_attr(s, p, RP_PARAMS, params, e);
  snprintf(buf, sizeof buf, "%d", batch);
  if (!rc && r->show_batch)
    rc = rp_set_attr(s, p, "batch", buf, e);
  if (!rc && r->show_obj)
    rc = rp_set_attr(s, p, "objective", col_text(st, C_OBJECTIVE), e);
  if (!rc && r->show_fp32)
    rc = rp_set_attr(s, p, "fp32", col_text(st, C_FP32), e);
  if (rc)
    return rc;
  r->info->points++;
  const char *status = col_text(st, C_STATUS);
  if (!status || strcmp(status, "ok") != 0) {
    const char *why = col_text(st, C_REASON);
    r->info->infeasible++;
    return rp_set_attr(s, p, RP_INFEASIBLE, why ? why : "infeasible", e);
  }
  /* accuracy: only what the database holds */
  double acc = col_num(st, C_ACC);
  const char *src = col_text(st, C_ACC_SOURCE);
  if (!isnan(acc)) {
    rp_db_source *x =
        source_get(r->info, src ? src : "unknown", col_text(st, C_ACC_DATASET),
                   col_text(st, C_ACC_METRIC));
    if (!x)
      return oom(r);
    x->points++;
    const char *note = col_text(st, C_ACC_NOTE);
    if (note) {
      int k = 0;
      while (k < x->n_notes && strcmp(x->note[k], note) != 0)
        k++;
      if (k == x->n_notes && k < RP_SOURCE_NOTES) {
        if (!(x->note[k] = strdup(note)))
          return oom(r);
        x->n_notes++;
      }
      if (k < x->n_notes)
        x->noted[k]++;
      else
        x->noted_other++;
    }
    rc = rp_set_metric(s, p, RP_ACCURACY, acc, e);
    rc = rc ? rc : rp_set_attr(s, p, RP_ACC_SOURCE, x->label, e);
  }
  const double J = 1e-12 / batch;
  double emac = col_num(st, C_EMAC), erf = col_num(st, C_ERF),
         edram = col_num(st, C_EDRAM), est = col_num(st, C_ESTATIC);
  rc = rc ? rc : rp_set_metric(s, p, RP_ENERGY, col_num(st, C_ENERGY) * J, e);
  rc = rc ? rc : rp_set_metric(s, p, RP_LATENCY, col_num(st, C_LATENCY), e);
  rc = rc ? rc : rp_set_metric(s, p, RP_DRAM, col_num(st, C_DRAM) / batch, e);
  rc = rc ? rc : rp_set_metric(s, p, RP_AREA, col_num(st, C_AREA), e);
  rc = rc ? rc : rp_set_energy(s, p, "mac", emac * J, e);
  rc = rc ? rc : rp_set_energy(s, p, "rf", erf * J, e);
  rc = rc ? rc : rp_set_energy(s, p, "dram", edram * J, e);
  rc = rc ? rc : rp_set_energy(s, p, "static", est * J, e);
  const char *config = col_text(st, C_CONFIG);
  double bw = config ? config_num(config, "dram.gbps") * 1e9 *
                           config_num(config, "dram.row_efficiency")
                     : NAN;
  if (!rc && !isnan(bw))
    rc = rp_set_metric(s, p, RP_DRAM_BW, bw, e);
  if (rc)
    return rc;
  pkey *k = &r->keys[r->n_keys++];
  snprintf(k->key, sizeof k->key, "%s", col_text(st, C_KEY));
  k->p = p;
  k->batch = batch;
  k->lat = col_num(st, C_LATENCY);
  k->cycles = col_num(st, C_CYCLES);
  k->peak = k->peak_cb = 0;
  k->arch = cache_get(&r->cache, col_text(st, C_BASE), params ? params : "");
  return WR_OK;
}

static pkey *find(reader *r, const char *key) {
  pkey k;
  snprintf(k.key, sizeof k.key, "%s", key ? key : "");
  return bsearch(&k, r->keys, (size_t)r->n_keys, sizeof *r->keys, cmp_pkey);
}

/* Point buffers: their energies by name (per inference). */
static int read_buffers(reader *r) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(r->db,
                         "SELECT key, name, energy_pj FROM point_buffers"
                         " ORDER BY key, buffer",
                         -1, &st, NULL))
    return db_fail(r->db, r->path, "reading buffers", r->e);
  int rc = WR_OK, sr;
  while (!rc && (sr = sqlite3_step(st)) == SQLITE_ROW) {
    pkey *k = find(r, col_text(st, 0));
    double v = col_num(st, 2);
    if (k && !isnan(v))
      rc = rp_set_energy(r->s, k->p, col_text(st, 1), v * 1e-12 / k->batch,
                         r->e);
  }
  if (!rc && sr != SQLITE_DONE)
    rc = db_fail(r->db, r->path, "reading buffers", r->e);
  sqlite3_finalize(st);
  return rc;
}

static int read_layers(reader *r) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(
          r->db,
          "SELECT key, idx, name, kind, mode, macs, cycles,"
          " dram_rd_input_bytes + dram_rd_weight_bytes + dram_rd_psum_bytes +"
          " dram_write_bytes, e_mac_pj, e_rf_pj, e_dram_pj, e_static_pj,"
          " energy_pj, memory_bound, roof_ops_per_s FROM layers"
          " ORDER BY key, idx",
          -1, &st, NULL))
    return db_fail(r->db, r->path, "reading layers", r->e);
  int rc = WR_OK, sr;
  rp_set *s = r->s;
  wr_err *e = r->e;
  while (!rc && (sr = sqlite3_step(st)) == SQLITE_ROW) {
    pkey *k = find(r, col_text(st, 0));
    if (!k)
      continue;
    int p = k->p, l = rp_add_layer(s, p, col_text(st, 2), e);
    if (l < 0)
      return e->status;
    double B = k->batch, J = 1e-12 / B;
    double macs = col_num(st, 5), cyc = col_num(st, 6);
    double lat = k->cycles > 0 ? k->lat * cyc / k->cycles / B : NAN;
    rc = rp_set_layer_metric(s, p, l, RP_LATENCY, lat, e);
    rc = rc ? rc
            : rp_set_layer_metric(s, p, l, RP_ENERGY, col_num(st, 12) * J, e);
    rc = rc ? rc : rp_set_layer_metric(s, p, l, RP_DRAM, col_num(st, 7) / B, e);
    rc = rc ? rc : rp_set_layer_metric(s, p, l, RP_OPS, 2 * macs / B, e);
    rc = rc ? rc : rp_set_layer_metric(s, p, l, "macs", macs / B, e);
    rc = rc ? rc : rp_set_layer_energy(s, p, l, "mac", col_num(st, 8) * J, e);
    rc = rc ? rc : rp_set_layer_energy(s, p, l, "rf", col_num(st, 9) * J, e);
    rc = rc ? rc : rp_set_layer_energy(s, p, l, "dram", col_num(st, 10) * J, e);
    rc = rc ? rc
            : rp_set_layer_energy(s, p, l, "static", col_num(st, 11) * J, e);
    /* the compute roof: the widest of its layers' modes */
    const char *mode = col_text(st, 4);
    wr_prec m;
    wr_err pe;
    if (mode && k->arch >= 0 && !wr_prec_parse(mode, "mode", &m, &pe)) {
      const arch *a = r->cache.a[k->arch];
      double pk = 2.0 * a->rows * a->cols * arch_macs_per_pe_cycle(a, m) *
                  a->clock_mhz * 1e6;
      if (pk > k->peak)
        k->peak = pk;
    }
    double roof = col_num(st, 14);
    if (mode && !sqlite3_column_int(st, 13) && roof > k->peak_cb)
      k->peak_cb = roof;
  }
  if (!rc && sr != SQLITE_DONE)
    rc = db_fail(r->db, r->path, "reading layers", r->e);
  sqlite3_finalize(st);
  if (rc)
    return rc;
  if (sqlite3_prepare_v2(
          r->db,
          "SELECT lb.key, lb.idx, pb.name, lb.energy_pj FROM layer_buffers lb"
          " JOIN point_buffers pb ON pb.key = lb.key AND pb.buffer = lb.buffer"
          " ORDER BY lb.key, lb.idx, lb.buffer",
          -1, &st, NULL))
    return db_fail(r->db, r->path, "reading layer buffers", r->e);
  while (!rc && (sr = sqlite3_step(st)) == SQLITE_ROW) {
    pkey *k = find(r, col_text(st, 0));
    int l = sqlite3_column_int(st, 1);
    double v = col_num(st, 3);
    if (k && l >= 0 && l < s->points[k->p].n_layers && !isnan(v))
      rc = rp_set_layer_energy(s, k->p, l, col_text(st, 2),
                               v * 1e-12 / k->batch, e);
  }
  if (!rc && sr != SQLITE_DONE)
    rc = db_fail(r->db, r->path, "reading layer buffers", r->e);
  sqlite3_finalize(st);
  for (int i = 0; i < r->n_keys && !rc; i++) {
    double pk = r->keys[i].peak > 0 ? r->keys[i].peak : r->keys[i].peak_cb;
    if (pk > 0)
      rc = rp_set_metric(s, r->keys[i].p, RP_PEAK_OPS, pk, e);
  }
  return rc;
}

static int read_sweeps(reader *r) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(r->db,
                         "SELECT group_concat(name, ', ') FROM (SELECT"
                         " DISTINCT name FROM sweeps ORDER BY name)",
                         -1, &st, NULL))
    return db_fail(r->db, r->path, "reading sweeps", r->e);
  int rc = WR_OK;
  if (sqlite3_step(st) == SQLITE_ROW && col_text(st, 0) &&
      !(r->info->sweeps = strdup(col_text(st, 0))))
    rc = oom(r);
  sqlite3_finalize(st);
  return rc;
}

int rp_db_read(rp_set *s, const char *path, rp_db_info *info, wr_err *e) {
  return rp_db_read_wait(s, path, NULL, info, e);
}

int rp_db_read_wait(rp_set *s, const char *path, const struct sweep_db_wait *w,
                    rp_db_info *info, wr_err *e) {
  rp_db_info own;
  if (!info)
    info = &own;
  memset(info, 0, sizeof *info);
  reader r = {.s = s, .path = path, .info = info, .e = e};
  int rc = sweep_db_open_readonly(path, w, &r.db, e);
  if (rc)
    goto out;
  /* one read transaction: a sweep still writing is seen consistently */
  if (sqlite3_exec(r.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
    rc = db_fail(r.db, path, "reading", e);
    goto out;
  }
  sqlite3_int64 n = 0;
  if (pragma_int(r.db, "SELECT count(*) FROM points", &n) != SQLITE_OK) {
    rc = db_fail(r.db, path, "reading points", e);
    goto out;
  }
  r.keys = malloc((size_t)(n ? n : 1) * sizeof *r.keys);
  if (!r.keys) {
    rc = oom(&r);
    goto out;
  }
  r.show_batch = varies(r.db, "batch", 1);
  r.show_obj = varies(r.db, "objective", 0);
  r.show_fp32 = varies(r.db, "fp32", 0);
  rc = read_sweeps(&r);
  sqlite3_stmt *st = NULL;
  if (!rc && sqlite3_prepare_v2(r.db, points_sql, -1, &st, NULL))
    rc = db_fail(r.db, path, "reading points", e);
  int sr = SQLITE_DONE;
  while (!rc && r.n_keys < n && (sr = sqlite3_step(st)) == SQLITE_ROW)
    rc = read_point(&r, st);
  if (!rc && sr != SQLITE_DONE && sr != SQLITE_ROW)
    rc = db_fail(r.db, path, "reading points", e);
  sqlite3_finalize(st);
  if (!rc) {
    qsort(r.keys, (size_t)r.n_keys, sizeof *r.keys, cmp_pkey);
    rc = read_buffers(&r);
  }
  if (!rc)
    rc = read_layers(&r);
out:
  if (r.db) {
    sqlite3_exec(r.db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(r.db);
  }
  cache_free(&r.cache);
  free(r.keys);
  if (rc || info == &own)
    rp_db_info_free(info);
  return rc;
}
