/* store.c — the SQLite store of sweep points (schema in docs/sweep.md):
 * opening and creating databases, inserting points with their layers,
 * and merging shard databases. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sweep.h"
#include "sweep_internal.h"

/* Version 2 of the schema (version 1 had no models, model_layers, nor the
 * points columns from `model` on).  Energies in pJ, areas in mm^2, bytes and
 * cycles as integers; per batch unless a name says otherwise. */
static const char schema_sql[] =
    "CREATE TABLE sweeps("
    " spec_fnv1a64 TEXT PRIMARY KEY, name TEXT NOT NULL, file TEXT,"
    " spec TEXT NOT NULL, objectives TEXT, tool_version TEXT NOT NULL);"
    "CREATE TABLE runs("
    " id INTEGER PRIMARY KEY, spec_fnv1a64 TEXT NOT NULL,"
    " tool_version TEXT NOT NULL, started_utc TEXT NOT NULL,"
    " finished_utc TEXT, shard TEXT, jobs INTEGER, points INTEGER,"
    " evaluated INTEGER, skipped INTEGER, infeasible INTEGER);"
    "CREATE TABLE points("
    " key TEXT PRIMARY KEY, sweep TEXT NOT NULL, tool_version TEXT NOT NULL,"
    " config TEXT NOT NULL, workload TEXT NOT NULL, network TEXT NOT NULL,"
    " width REAL NOT NULL, precision TEXT NOT NULL, a_bits INTEGER NOT NULL,"
    " w_bits INTEGER NOT NULL, fp32 TEXT NOT NULL, batch INTEGER NOT NULL,"
    " objective TEXT NOT NULL, ideal_memory INTEGER NOT NULL,"
    " arch TEXT NOT NULL, arch_base TEXT NOT NULL, arch_params TEXT NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('ok', 'infeasible')),"
    " reason TEXT,"
    " macs INTEGER, compute_cycles INTEGER, stall_cycles INTEGER,"
    " cycles INTEGER, latency_s REAL, inferences_per_s REAL, tops REAL,"
    " tops_per_w REAL, dram_read_bytes INTEGER, dram_write_bytes INTEGER,"
    " dram_bytes INTEGER, energy_pj REAL, energy_per_inference_pj REAL,"
    " e_mac_pj REAL, e_rf_pj REAL, e_buf_pj REAL, e_dram_pj REAL,"
    " e_static_pj REAL, area_mm2 REAL, area_array_mm2 REAL,"
    " area_rf_mm2 REAL, area_buf_mm2 REAL, buffer_kib REAL,"
    " accuracy REAL, accuracy_metric TEXT, accuracy_dataset TEXT,"
    " accuracy_source TEXT NOT NULL, accuracy_note TEXT,"
    " model TEXT, counts TEXT, di_cycles INTEGER, di_energy_pj REAL,"
    " di_e_mac_pj REAL);"
    "CREATE TABLE models("
    " key TEXT PRIMARY KEY, tool_version TEXT NOT NULL, config TEXT NOT NULL,"
    " network TEXT NOT NULL, workload TEXT NOT NULL, width REAL NOT NULL,"
    " precision TEXT NOT NULL, fp32 TEXT NOT NULL, dataset TEXT NOT NULL,"
    " weights TEXT NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('measured', 'unmeasured')),"
    " note TEXT, accuracy REAL, correct INTEGER, images INTEGER,"
    " accuracy_source TEXT, train_images INTEGER, epochs INTEGER,"
    " seed INTEGER, loss REAL, train_acc REAL, train_s REAL, exec_s REAL,"
    " weights_fnv1a64 TEXT, weights_npz BLOB, created_utc TEXT NOT NULL);"
    "CREATE TABLE model_layers("
    " key TEXT NOT NULL, layer INTEGER NOT NULL, name TEXT NOT NULL,"
    " macs INTEGER, nz_macs INTEGER, act INTEGER, nz_act INTEGER,"
    " groups INTEGER, group_bits INTEGER, nz_act_frac REAL, nz_mac_frac REAL,"
    " dyn_a_bits REAL, images INTEGER, PRIMARY KEY (key, layer))"
    " WITHOUT ROWID;"
    "CREATE TABLE point_buffers("
    " key TEXT NOT NULL, buffer INTEGER NOT NULL, name TEXT NOT NULL,"
    " holds TEXT NOT NULL, kib REAL NOT NULL, bytes_per_cycle REAL NOT NULL,"
    " energy_pj REAL, area_mm2 REAL, PRIMARY KEY (key, buffer))"
    " WITHOUT ROWID;"
    "CREATE TABLE layers("
    " key TEXT NOT NULL, idx INTEGER NOT NULL, layer INTEGER NOT NULL,"
    " name TEXT NOT NULL, kind TEXT NOT NULL, precision TEXT, mode TEXT,"
    " in_bits INTEGER, out_bits INTEGER, macs INTEGER,"
    " compute_cycles INTEGER, dram_stall INTEGER, buffer_stall INTEGER,"
    " cycles INTEGER, utilization REAL, dram_rd_input_bytes INTEGER,"
    " dram_rd_weight_bytes INTEGER, dram_rd_psum_bytes INTEGER,"
    " dram_write_bytes INTEGER, e_mac_pj REAL, e_rf_pj REAL, e_buf_pj REAL,"
    " e_dram_pj REAL, e_static_pj REAL, energy_pj REAL, mapping TEXT,"
    " candidates INTEGER, intensity REAL, roof_ops_per_s REAL,"
    " memory_bound INTEGER, PRIMARY KEY (key, idx)) WITHOUT ROWID;"
    "CREATE TABLE layer_buffers("
    " key TEXT NOT NULL, idx INTEGER NOT NULL, buffer INTEGER NOT NULL,"
    " bytes REAL, energy_pj REAL, PRIMARY KEY (key, idx, buffer))"
    " WITHOUT ROWID;"
    "CREATE INDEX points_by_design ON points(network, arch, width,"
    " precision);";

int store_fail(sqlite3 *db, const char *what, wr_err *e) {
  return wr_err_set(e, WR_ERUNTIME, "%s: %s: %s", sqlite3_db_filename(db, NULL),
                    what, sqlite3_errmsg(db));
}

int store_exec(sqlite3 *db, const char *sql, const char *what, wr_err *e) {
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return store_fail(db, what, e);
  return WR_OK;
}

int store_begin(sqlite3 *db, wr_err *e) {
  int rc = SQLITE_BUSY;
  /* the busy handler waits up to its timeout; a writer that keeps the
     lock longer than that is retried a few times */
  for (int i = 0; i < 10 && (rc == SQLITE_BUSY || rc == SQLITE_LOCKED); i++)
    rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  return rc == SQLITE_OK ? WR_OK : store_fail(db, "begin", e);
}

static int pragma_int(sqlite3 *db, const char *sql, int64_t *v) {
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    *v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  sqlite3_finalize(st);
  return rc;
}

/* Checks the database named `schema` of `db` ("main" or an attached
 * one): WR_OK if it is a sweep database of this version; *empty set for
 * an empty file. */
static int read_schema(sqlite3 *db, const char *schema, const char *path,
                       int *empty, wr_err *e);

static int check_schema(sqlite3 *db, const char *schema, const char *path,
                        int *empty, wr_err *e) {
  /* one read transaction, so that a concurrent creator is seen whole */
  int own = sqlite3_get_autocommit(db);
  if (own && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
    return store_fail(db, "reading the schema", e);
  int rc = read_schema(db, schema, path, empty, e);
  if (own)
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  return rc;
}

static int read_schema(sqlite3 *db, const char *schema, const char *path,
                       int *empty, wr_err *e) {
  char sql[160];
  int64_t app, ver, tables;
  snprintf(sql, sizeof sql, "PRAGMA %s.application_id", schema);
  int rc = pragma_int(db, sql, &app);
  if (rc == SQLITE_NOTADB)
    return wr_err_set(e, WR_EINPUT,
                      "%s: not a wrpnsim sweep database (not SQLite)", path);
  if (rc != SQLITE_OK)
    return store_fail(db, "reading the schema", e);
  snprintf(sql, sizeof sql, "PRAGMA %s.user_version", schema);
  rc = pragma_int(db, sql, &ver);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.sqlite_master", schema);
  if (rc == SQLITE_OK)
    rc = pragma_int(db, sql, &tables);
  if (rc != SQLITE_OK)
    return store_fail(db, "reading the schema", e);
  *empty = app == 0 && ver == 0 && tables == 0;
  if (*empty)
    return WR_OK;
  if (app != SWEEP_APPLICATION_ID)
    return wr_err_set(e, WR_EINPUT,
                      "%s: not a wrpnsim sweep database (an SQLite file of "
                      "another application)",
                      path);
  if (ver != SWEEP_SCHEMA_VERSION)
    return wr_err_set(e, WR_EINPUT,
                      "%s: sweep database schema version %" PRId64
                      ", this wrpnsim (%s) reads and writes version %d "
                      "only",
                      path, ver, sweep_tool_version(), SWEEP_SCHEMA_VERSION);
  return WR_OK;
}

int store_open(const char *path, sqlite3 **out, wr_err *e) {
  sqlite3 *db = NULL;
  *out = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      NULL) != SQLITE_OK) {
    int rc = wr_err_set(e, WR_EINPUT, "%s: cannot open the database: %s",
                        path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return rc;
  }
  sqlite3_busy_timeout(db, 60000);
  int empty;
  int rc = check_schema(db, "main", path, &empty, e);
  if (!rc && empty) {
    /* create it, unless a concurrent process just did */
    rc = store_exec(db, "PRAGMA journal_mode=WAL", "WAL mode", e);
    if (!rc)
      rc = store_begin(db, e);
    if (!rc) {
      rc = check_schema(db, "main", path, &empty, e);
      char sql[96];
      snprintf(sql, sizeof sql,
               "PRAGMA application_id=%d; PRAGMA user_version=%d;",
               SWEEP_APPLICATION_ID, SWEEP_SCHEMA_VERSION);
      if (!rc && empty)
        rc = store_exec(db, schema_sql, "creating the schema", e);
      if (!rc && empty)
        rc = store_exec(db, sql, "creating the schema", e);
      rc = rc ? (sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), rc)
              : store_exec(db, "COMMIT", "creating the schema", e);
    }
  }
  if (!rc)
    rc = store_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                    "WAL mode", e);
  if (rc) {
    sqlite3_close(db);
    return rc;
  }
  *out = db;
  return WR_OK;
}

int store_keys(sqlite3 *db, uint64_t **keys, size_t *n, wr_err *e) {
  sqlite3_stmt *st;
  size_t cap = 1024, k = 0;
  uint64_t *v = malloc(sizeof *v * cap);
  if (!v)
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  if (sqlite3_prepare_v2(db, "SELECT key FROM points", -1, &st, NULL)) {
    free(v);
    return store_fail(db, "reading keys", e);
  }
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *t = (const char *)sqlite3_column_text(st, 0);
    if (k == cap) {
      uint64_t *nv = realloc(v, sizeof *v * cap * 2);
      if (!nv) {
        rc = SQLITE_NOMEM;
        break;
      }
      v = nv;
      cap *= 2;
    }
    v[k++] = t ? strtoull(t, NULL, 16) : 0;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    free(v);
    return rc == SQLITE_NOMEM ? wr_err_set(e, WR_ENOMEM, "out of memory")
                              : store_fail(db, "reading keys", e);
  }
  qsort(v, k, sizeof *v, sweep_cmp_u64);
  *keys = v;
  *n = k;
  return WR_OK;
}

int store_put_sweep(sqlite3 *db, const sweep_spec *s, wr_err *e) {
  sqlite3_stmt *st;
  char key[24];
  if (sqlite3_prepare_v2(db,
                         "INSERT OR IGNORE INTO sweeps VALUES (?,?,?,?,?,?)",
                         -1, &st, NULL))
    return store_fail(db, "storing the spec", e);
  sqlite3_bind_text(st, 1, sweep_key_str(s->text_fnv, key, sizeof key), -1,
                    SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, s->name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, s->file, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, s->text, (int)s->len, SQLITE_STATIC);
  if (s->report_objectives)
    sqlite3_bind_text(st, 5, s->report_objectives, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, sweep_tool_version(), -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? WR_OK : store_fail(db, "storing the spec", e);
}

/* ---- inserting points ----------------------------------------------------- */

enum { ST_POINT, ST_BUF, ST_LAYER, ST_LAYER_BUF, N_ST };

struct store_writer {
  sqlite3 *db;
  sqlite3_stmt *st[N_ST];
};

static const char *const insert_sql[N_ST] = {
    "INSERT OR IGNORE INTO points VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
    "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
    "?,?,?,?,?)",
    "INSERT OR IGNORE INTO point_buffers VALUES (?,?,?,?,?,?,?,?)",
    "INSERT OR IGNORE INTO layers VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
    "?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT OR IGNORE INTO layer_buffers VALUES (?,?,?,?,?)"};

int store_writer_open(sqlite3 *db, store_writer **out, wr_err *e) {
  store_writer *w = calloc(1, sizeof *w);
  if (!w)
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  w->db = db;
  for (int i = 0; i < N_ST; i++)
    if (sqlite3_prepare_v2(db, insert_sql[i], -1, &w->st[i], NULL)) {
      int rc = store_fail(db, "preparing inserts", e);
      store_writer_close(w);
      return rc;
    }
  *out = w;
  return WR_OK;
}

void store_writer_close(store_writer *w) {
  if (!w)
    return;
  for (int i = 0; i < N_ST; i++)
    sqlite3_finalize(w->st[i]);
  free(w);
}

/* Binds values in order: a cursor over one statement's parameters. */
typedef struct binder {
  sqlite3_stmt *st;
  int i;
} binder;

static void b_text(binder *b, const char *s) {
  if (s)
    sqlite3_bind_text(b->st, ++b->i, s, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(b->st, ++b->i);
}
static void b_int(binder *b, int64_t v) {
  sqlite3_bind_int64(b->st, ++b->i, v);
}
static void b_real(binder *b, double v) {
  sqlite3_bind_double(b->st, ++b->i, v);
}
static void b_null(binder *b, int n) {
  while (n-- > 0)
    sqlite3_bind_null(b->st, ++b->i);
}

static int step(store_writer *w, int which, wr_err *e) {
  sqlite3_stmt *st = w->st[which];
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE ? WR_OK : store_fail(w->db, "storing a point", e);
}

static double buf_sum(const double *v, int n) {
  double s = 0;
  for (int i = 0; i < n; i++)
    s += v[i];
  return s;
}

static const char *holds_str(int holds, char *buf, size_t n) {
  snprintf(buf, n, "%s%s%s%s%s", holds & ARCH_T_INPUT ? "input" : "",
           (holds & ARCH_T_INPUT) && (holds & ~ARCH_T_INPUT) ? "," : "",
           holds & ARCH_T_WEIGHT ? "weight" : "",
           (holds & ARCH_T_WEIGHT) && (holds & ARCH_T_OUTPUT) ? "," : "",
           holds & ARCH_T_OUTPUT ? "output" : "");
  return buf;
}

static void bind_energy(binder *b, const arch_energy *en, int nbuf) {
  b_real(b, en->mac);
  b_real(b, en->rf);
  b_real(b, buf_sum(en->buf, nbuf));
  b_real(b, en->dram);
  b_real(b, en->stat);
}

static int put_layers(store_writer *w, const char *key, const store_point *sp,
                      wr_err *e) {
  const arch *a = sp->c.a;
  for (int i = 0; i < sp->res.n_layers; i++) {
    const arch_layer_result *l = &sp->res.layers[i];
    int conv = l->kind == WR_CONV || l->kind == WR_FC;
    char p1[16], p2[16], map[128];
    binder b = {w->st[ST_LAYER], 0};
    b_text(&b, key);
    b_int(&b, i);
    b_int(&b, l->layer);
    b_text(&b, sp->layer_names[i]);
    b_text(&b, wr_kind_name((wr_kind)l->kind));
    b_text(&b, conv ? wr_prec_str(l->prec, p1, sizeof p1) : NULL);
    b_text(&b, conv ? wr_prec_str(l->mode, p2, sizeof p2) : NULL);
    b_int(&b, l->in_bits);
    b_int(&b, l->out_bits);
    b_int(&b, (int64_t)l->macs);
    b_int(&b, (int64_t)l->compute_cycles);
    b_int(&b, (int64_t)l->dram_stall);
    b_int(&b, (int64_t)l->buffer_stall);
    b_int(&b, (int64_t)l->cycles);
    b_real(&b, l->utilization);
    for (int k = 0; k < ARCH_N_TT; k++)
      b_int(&b, (int64_t)l->dram_read[k]);
    b_int(&b, (int64_t)l->dram_write);
    bind_energy(&b, &l->energy, a->n_buffers);
    b_real(&b, l->energy.total);
    b_text(&b, conv ? arch_mapping_str(&l->map, map, sizeof map) : NULL);
    b_int(&b, (int64_t)l->candidates);
    b_real(&b, l->intensity);
    b_real(&b, l->roof_ops_per_s);
    b_int(&b, l->memory_bound);
    if (step(w, ST_LAYER, e))
      return WR_ERUNTIME;
    for (int k = 0; k < a->n_buffers; k++) {
      binder c = {w->st[ST_LAYER_BUF], 0};
      b_text(&c, key);
      b_int(&c, i);
      b_int(&c, k);
      b_real(&c, l->buf_bytes[k]);
      b_real(&c, l->energy.buf[k]);
      if (step(w, ST_LAYER_BUF, e))
        return WR_ERUNTIME;
    }
  }
  return WR_OK;
}

int store_put(store_writer *w, const sweep_spec *s, const store_point *sp,
              int *inserted, wr_err *e) {
  const sweep_point *p = &sp->p;
  const sweep_config *c = &sp->c;
  const arch *a = c->a;
  const arch_net_result *r = &sp->res;
  char key[24], prec[16], mkey[24];
  sweep_key_str(c->key, key, sizeof key);
  wr_prec pr = s->precs[p->ax[SWEEP_AX_PREC]];
  binder b = {w->st[ST_POINT], 0};
  b_text(&b, key);
  b_text(&b, s->name);
  b_text(&b, sweep_tool_version());
  b_text(&b, c->text);
  b_text(&b, s->workloads[p->ax[SWEEP_AX_WORKLOAD]].name);
  b_text(&b, s->workloads[p->ax[SWEEP_AX_WORKLOAD]].network);
  b_real(&b, s->widths[p->ax[SWEEP_AX_WIDTH]]);
  b_text(&b, wr_prec_str(pr, prec, sizeof prec));
  b_int(&b, pr.a_bits);
  b_int(&b, pr.w_bits);
  b_text(&b, s->fp32);
  b_int(&b, (int64_t)s->batches[p->ax[SWEEP_AX_BATCH]]);
  b_text(&b, arch_objective_name(s->objectives[p->ax[SWEEP_AX_OBJECTIVE]]));
  b_int(&b, s->ideal_memory);
  b_text(&b, a->name);
  b_text(&b, s->bases[p->ax[SWEEP_AX_BASE]]);
  b_text(&b, c->params);
  b_text(&b, sp->reason ? "infeasible" : "ok");
  b_text(&b, sp->reason);
  if (sp->evaluated) {
    b_int(&b, (int64_t)r->macs);
    b_int(&b, (int64_t)r->compute_cycles);
    b_int(&b, (int64_t)r->stall_cycles);
    b_int(&b, (int64_t)r->cycles);
    b_real(&b, r->seconds);
    b_real(&b, r->inferences_per_s);
    b_real(&b, r->tops);
    b_real(&b, r->tops_per_w);
    b_int(&b, (int64_t)r->dram_read);
    b_int(&b, (int64_t)r->dram_write);
    b_int(&b, (int64_t)(r->dram_read + r->dram_write));
    b_real(&b, r->energy.total);
    b_real(&b, r->energy.total / (double)(r->batch ? r->batch : 1));
    bind_energy(&b, &r->energy, a->n_buffers);
  } else {
    b_null(&b, 18);
  }
  if (sp->has_area) {
    b_real(&b, sp->area.total_mm2);
    b_real(&b, sp->area.array_mm2);
    b_real(&b, sp->area.rf_mm2);
    b_real(&b, buf_sum(sp->area.buf_mm2, a->n_buffers));
  } else {
    b_null(&b, 4);
  }
  double kib = 0;
  for (int i = 0; i < a->n_buffers; i++)
    kib += a->buffers[i].kib;
  b_real(&b, kib);
  /* layers the architecture ran in its widest mode (arch_mode): their
     accuracy is the workload's precision's, not that mode's */
  int widest = 0;
  for (int i = 0; sp->evaluated && i < r->n_layers; i++)
    widest |= r->layers[i].widest;
  static const char *const notes[2][2] = {
      {NULL, "layers the workload keeps FP32 (or wider than the array) ran "
             "in the array's widest mode, so the accuracy is not that "
             "mode's"},
      {"the source keeps the first and last layers FP32; this point's FP32 "
       "layers differ",
       "the source keeps the first and last layers FP32; this point's FP32 "
       "layers differ, and the array ran layers kept FP32 (or wider) in its "
       "widest mode"}};
  if (sp->acc) {
    b_real(&b, sp->acc->accuracy);
    b_text(&b, sp->acc_table->metric);
    b_text(&b, sp->acc_table->dataset);
    b_text(&b, sp->acc_table->source);
    b_text(&b, notes[!sp->acc_exact][widest]);
  } else if (sp->model && sp->model->measured) {
    b_real(&b, sp->model->accuracy);
    b_text(&b, "top1");
    b_text(&b, s->measure.data);
    b_text(&b, sp->model->source);
    b_text(&b, notes[0][widest]);
  } else {
    b_null(&b, 3);
    b_text(&b, "none");
    b_text(&b, sp->model ? sp->model->note : NULL);
  }
  if (sp->model)
    b_text(&b, sweep_key_str(sp->model->key, mkey, sizeof mkey));
  else
    b_null(&b, 1);
  if (sp->evaluated) {
    b_text(&b, sp->measured ? "measured" : "data-independent");
    b_int(&b, (int64_t)sp->di_cycles);
    b_real(&b, sp->di_energy);
    b_real(&b, sp->di_e_mac);
  } else {
    b_null(&b, 4);
  }
  if (step(w, ST_POINT, e))
    return WR_ERUNTIME;
  *inserted = sqlite3_changes(w->db) == 1;
  if (!*inserted)
    return WR_OK;
  for (int i = 0; i < a->n_buffers; i++) {
    char h[32];
    binder bb = {w->st[ST_BUF], 0};
    b_text(&bb, key);
    b_int(&bb, i);
    b_text(&bb, a->buffers[i].name);
    b_text(&bb, holds_str(a->buffers[i].holds, h, sizeof h));
    b_real(&bb, a->buffers[i].kib);
    b_real(&bb, a->buffers[i].bytes_per_cycle);
    if (sp->evaluated)
      b_real(&bb, r->energy.buf[i]);
    else
      b_null(&bb, 1);
    if (sp->has_area)
      b_real(&bb, sp->area.buf_mm2[i]);
    else
      b_null(&bb, 1);
    if (step(w, ST_BUF, e))
      return WR_ERUNTIME;
  }
  return sp->evaluated ? put_layers(w, key, sp, e) : WR_OK;
}

void sweep_db_remove(const char *path) {
  static const char *const side[] = {"", "-wal", "-shm", "-journal"};
  for (int i = 0; i < 4; i++) {
    char p[4200];
    snprintf(p, sizeof p, "%s%s", path, side[i]);
    remove(p);
  }
}

/* ---- merge ---------------------------------------------------------------- */

static int file_exists(const char *p) { return access(p, F_OK) == 0; }

/* The folder of `path` (a copy), for access checks. */
static char *folder_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    return strdup(".");
  size_t n = slash == path ? 1 : (size_t)(slash - path);
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, path, n);
    d[n] = '\0';
  }
  return d;
}

/* "file:PATH?immutable=1" with PATH percent-encoded (RFC 3986 unreserved
 * characters and '/' kept), for sqlite3_open_v2 with SQLITE_OPEN_URI. */
static char *immutable_uri(const char *path) {
  size_t n = strlen(path);
  char *u = malloc(3 * n + 32);
  if (!u)
    return NULL;
  char *o = u + sprintf(u, "file:");
  for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
    if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
        (*c >= '0' && *c <= '9') || strchr("/-._~", *c))
      *o++ = (char)*c;
    else
      o += sprintf(o, "%%%02X", *c);
  }
  strcpy(o, "?immutable=1");
  return u;
}

static int open_ro(const char *name, int flags, sqlite3 **db) {
  *db = NULL;
  return sqlite3_open_v2(name, db, SQLITE_OPEN_READONLY | flags, NULL);
}

int sweep_db_open_readonly(const char *path, sqlite3 **out, wr_err *e) {
  *out = NULL;
  if (!file_exists(path))
    return wr_err_set(e, WR_EINPUT, "%s: no such database", path);
  sqlite3 *db = NULL;
  if (open_ro(path, 0, &db) != SQLITE_OK) {
    int rc = wr_err_set(e, WR_EINPUT, "%s: cannot open: %s", path,
                        db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return rc;
  }
  sqlite3_busy_timeout(db, 60000);
  int empty;
  int rc = check_schema(db, "main", path, &empty, e);
  if (rc) {
    /* A WAL database in a folder we can't write (a read-only share):
     * SQLite can't make its -shm file.  Nothing can be writing it from
     * here, so it is read as immutable — unless a -wal file holds commits
     * not yet in the database, which that would ignore. */
    char *dir = folder_of(path);
    size_t n = strlen(path) + 8;
    char *wal = malloc(n);
    if (dir && wal && access(dir, W_OK) != 0) {
      snprintf(wal, n, "%s-wal", path);
      struct stat wst;
      long wal_len = stat(wal, &wst) == 0 ? (long)wst.st_size : 0;
      if (wal_len > 0) {
        rc = wr_err_set(e, WR_EINPUT,
                        "%s: its folder is read-only and %s holds %ld bytes "
                        "of commits not yet in the database: copy both to a "
                        "writable folder to read them",
                        path, wal, wal_len);
      } else {
        char *uri = immutable_uri(path);
        sqlite3_close(db);
        db = NULL;
        if (uri && open_ro(uri, SQLITE_OPEN_URI, &db) == SQLITE_OK) {
          wr_err e2;
          rc = check_schema(db, "main", path, &empty, &e2);
          if (rc)
            *e = e2;
        }
        free(uri);
      }
    }
    free(dir);
    free(wal);
  }
  if (!rc && empty)
    rc = wr_err_set(e, WR_EINPUT, "%s: not a wrpnsim sweep database (empty)",
                    path);
  if (rc) {
    sqlite3_close(db);
    return rc;
  }
  *out = db;
  return WR_OK;
}

/* Checks an input before anything is written. */
static int check_input(const char *path, wr_err *e) {
  sqlite3 *db;
  int rc = sweep_db_open_readonly(path, &db, e);
  sqlite3_close(db);
  return rc;
}

static int merge_one(sqlite3 *db, const char *in, uint64_t *added,
                     wr_err *e) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, "ATTACH ? AS src", -1, &st, NULL))
    return store_fail(db, "attaching an input", e);
  sqlite3_bind_text(st, 1, in, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return store_fail(db, "attaching an input", e);
  int empty;
  rc = check_schema(db, "src", in, &empty, e);
  if (!rc)
    rc = store_begin(db, e);
  if (!rc) {
    rc = store_exec(db,
                    "INSERT OR IGNORE INTO main.points SELECT * FROM "
                    "src.points",
                    "merging points", e);
    if (!rc)
      *added += (uint64_t)sqlite3_changes(db);
    static const char *const rest =
        "INSERT OR IGNORE INTO main.point_buffers SELECT * FROM "
        "src.point_buffers;"
        "INSERT OR IGNORE INTO main.layers SELECT * FROM src.layers;"
        "INSERT OR IGNORE INTO main.layer_buffers SELECT * FROM "
        "src.layer_buffers;"
        "INSERT OR IGNORE INTO main.sweeps SELECT * FROM src.sweeps;"
        "INSERT OR IGNORE INTO main.models SELECT * FROM src.models;"
        "INSERT OR IGNORE INTO main.model_layers SELECT * FROM "
        "src.model_layers;"
        "INSERT INTO main.runs (spec_fnv1a64, tool_version, started_utc,"
        " finished_utc, shard, jobs, points, evaluated, skipped, infeasible)"
        " SELECT spec_fnv1a64, tool_version, started_utc, finished_utc,"
        " shard, jobs, points, evaluated, skipped, infeasible FROM src.runs r"
        " WHERE NOT EXISTS (SELECT 1 FROM main.runs m WHERE"
        " m.spec_fnv1a64 = r.spec_fnv1a64 AND m.started_utc = r.started_utc"
        " AND m.shard IS r.shard AND m.jobs IS r.jobs"
        " AND m.finished_utc IS r.finished_utc);";
    if (!rc)
      rc = store_exec(db, rest, "merging", e);
    rc = rc ? (sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), rc)
            : store_exec(db, "COMMIT", "merging", e);
  }
  sqlite3_exec(db, "DETACH src", NULL, NULL, NULL);
  return rc;
}

int sweep_merge(const char *out, const char *const *ins, int n,
                uint64_t *added, wr_err *e) {
  uint64_t count = 0;
  for (int i = 0; i < n; i++)
    if (check_input(ins[i], e))
      return e->status;
  int fresh = !file_exists(out);
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp-%ld", out, (long)getpid());
  const char *target = fresh ? tmp : out;
  sqlite3 *db;
  if (fresh)
    remove(tmp);
  int rc = store_open(target, &db, e);
  for (int i = 0; i < n && !rc; i++)
    rc = merge_one(db, ins[i], &count, e);
  if (!rc && fresh)
    rc = store_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpoint", e);
  if (db && sqlite3_close(db) != SQLITE_OK && !rc)
    rc = wr_err_set(e, WR_ERUNTIME, "%s: cannot close", target);
  if (fresh) {
    if (!rc && rename(tmp, out) != 0)
      rc = wr_err_set(e, WR_ERUNTIME, "%s: cannot rename to %s", tmp, out);
    if (rc)
      sweep_db_remove(tmp);
  }
  if (added)
    *added = count;
  return rc;
}
