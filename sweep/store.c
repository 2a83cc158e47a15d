/* store.c — the SQLite store of sweep points (schema in docs/sweep.md):
 * opening and creating databases, inserting points with their layers,
 * and merging shard databases. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

const char *sweep_abspath(const char *path, char *buf, size_t n) {
  char *r = realpath(path, NULL), cwd[4096];
  int fits = 0;
  if (r)
    fits = (size_t)snprintf(buf, n, "%s", r) < n;
  else if (path[0] != '/' && getcwd(cwd, sizeof cwd))
    fits = (size_t)snprintf(buf, n, "%s/%s", cwd, path) < n;
  if (!fits)
    snprintf(buf, n, "%s", path);
  free(r);
  return buf;
}

/* Why a file SQLite calls malformed is not intact, when its size tells:
 * the header's page count (valid when its version-valid-for number equals
 * its change counter; https://sqlite.org/fileformat.html#the_database_header)
 * times the page size against the file's length.  "" when it does not. */
static void damage_detail(const char *path, char *buf, size_t n) {
  unsigned char h[100];
  struct stat st;
  buf[0] = '\0';
  FILE *f = fopen(path, "rb");
  if (!f)
    return;
  size_t got = fread(h, 1, sizeof h, f);
  int ok = fstat(fileno(f), &st) == 0;
  fclose(f);
  if (!ok || memcmp(h, "SQLite format 3", 16) != 0)
    return;
  if (got < sizeof h) {
    snprintf(buf, n, "truncated: %lld bytes, shorter than SQLite's header",
             (long long)st.st_size);
    return;
  }
  uint32_t page = (uint32_t)h[16] << 8 | h[17];
  page = page == 1 ? 65536 : page;
  uint32_t pages = (uint32_t)h[28] << 24 | (uint32_t)h[29] << 16 |
                   (uint32_t)h[30] << 8 | h[31];
  int valid = memcmp(h + 24, h + 92, 4) == 0;
  long long want = (long long)pages * page;
  if (valid && page >= 512 && st.st_size < want)
    snprintf(buf, n, "truncated: %lld bytes, its header says %lld",
             (long long)st.st_size, want);
}

int sweep_db_fail(sqlite3 *db, const char *path, const char *what, wr_err *e) {
  char abs[4096], why[160];
  sweep_abspath(path, abs, sizeof abs);
  int code = sqlite3_errcode(db) & 0xff;
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
    damage_detail(path, why, sizeof why);
    return wr_err_set(e, WR_EINPUT,
                      "%s: not an intact wrpnsim sweep database (%s, %s): "
                      "restore it from a copy, or run the sweep again into a "
                      "new file",
                      abs, why[0] ? why : sqlite3_errmsg(db), what);
  }
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
    return wr_err_set(e, WR_ERUNTIME,
                      "%s: %s: locked by another process (a sweep, a merge "
                      "or an sqlite3 session) for the whole busy timeout; "
                      "try again when that process is done",
                      abs, what);
  return wr_err_set(e, WR_ERUNTIME, "%s: %s: %s", abs, what,
                    sqlite3_errmsg(db));
}

int store_fail(sqlite3 *db, const char *what, wr_err *e) {
  return sweep_db_fail(db, sqlite3_db_filename(db, "main"), what, e);
}

/* ---- waiting for another process's lock ---------------------------------- */

/* A connection's busy handler state; the connection owns it. */
typedef struct store_waiter {
  sweep_db_wait w;
  double start, noted; /* of the current wait, monotonic seconds */
  char path[];         /* absolute */
} store_waiter;

static double mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* SQLite's busy handler: `count` is 0 on the first call of each wait.
 * Sleeps short at first (most locks are one batch of points, held for
 * milliseconds), then 100 ms at a time, until the timeout. */
static int store_busy(void *arg, int count) {
  store_waiter *sw = arg;
  double t = mono_s();
  if (count == 0) {
    sw->start = t;
    sw->noted = 0;
  }
  double waited = t - sw->start, left = sw->w.timeout_s - waited;
  if (left <= 0) {
    if (sw->w.waiting)
      sw->w.waiting(sw->path, waited, sw->w.timeout_s, sw->w.ctx);
    return 0;
  }
  if (sw->w.waiting && waited >= sw->noted + 1) {
    sw->noted = (double)(long)waited;
    sw->w.waiting(sw->path, waited, sw->w.timeout_s, sw->w.ctx);
  }
  double ms = count < 7 ? (double)(1 << count) : 100;
  sqlite3_sleep(ms < left * 1000 ? (int)ms : (int)(left * 1000) + 1);
  return 1;
}

static void store_nop(sqlite3_context *c, int n, sqlite3_value **v) {
  (void)n;
  (void)v;
  sqlite3_result_null(c);
}

/* Installs the busy handler of `w` on `db`.  The state lives as long as
 * the connection: it is the user data of a function registered with a
 * destructor, which SQLite calls when the connection closes (or at once
 * when registering fails). */
static int store_set_wait(sqlite3 *db, const char *path, const sweep_db_wait *w,
                          wr_err *e) {
  char abs[4096];
  sweep_abspath(path, abs, sizeof abs);
  store_waiter *sw = calloc(1, sizeof *sw + strlen(abs) + 1);
  if (!sw)
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  if (w)
    sw->w = *w;
  else
    sw->w.timeout_s = SWEEP_BUSY_TIMEOUT_S;
  strcpy(sw->path, abs);
  if (sqlite3_create_function_v2(db, "wrpnsim_waiter", 0, SQLITE_UTF8, sw,
                                 store_nop, NULL, NULL, free) != SQLITE_OK)
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  sqlite3_busy_handler(db, store_busy, sw);
  return WR_OK;
}

/* Checks what is at `path` before SQLite opens it: WR_EINPUT for an empty
 * path (SQLite's anonymous temporary database), a folder or another file
 * that is not a regular one (a device, a pipe), and when `must_exist`, a
 * missing one.  *exists receives whether it exists. */
static int store_check_path(const char *path, int must_exist, int *exists,
                            wr_err *e) {
  char abs[4096];
  struct stat st;
  *exists = 0;
  if (!path[strspn(path, " \t\n\r\v\f")])
    return wr_err_set(e, WR_EINPUT,
                      "'%s': empty database path (give a file name)", path);
  if (stat(path, &st) != 0) {
    if (errno == ENOENT && !must_exist)
      return WR_OK;
    return wr_err_set(e, WR_EINPUT, "%s: %s",
                      sweep_abspath(path, abs, sizeof abs),
                      errno == ENOENT ? "no such database" : strerror(errno));
  }
  *exists = 1;
  if (S_ISDIR(st.st_mode))
    return wr_err_set(e, WR_EINPUT,
                      "%s: is a folder, not a wrpnsim sweep database",
                      sweep_abspath(path, abs, sizeof abs));
  if (!S_ISREG(st.st_mode))
    return wr_err_set(e, WR_EINPUT,
                      "%s: not a regular file, so not a wrpnsim sweep "
                      "database",
                      sweep_abspath(path, abs, sizeof abs));
  return WR_OK;
}

int store_exec(sqlite3 *db, const char *sql, const char *what, wr_err *e) {
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return store_fail(db, what, e);
  return WR_OK;
}

int store_begin(sqlite3 *db, wr_err *e) {
  /* the busy handler (store_busy) waits for another writer up to the
     timeout the user chose, so a busy lock here has been waited for */
  int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  return rc == SQLITE_OK ? WR_OK : store_fail(db, "waiting to write", e);
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
  char sql[160], abs[4096];
  int64_t app, ver, tables;
  sweep_abspath(path, abs, sizeof abs);
  snprintf(sql, sizeof sql, "PRAGMA %s.application_id", schema);
  int rc = pragma_int(db, sql, &app);
  if (rc == SQLITE_NOTADB)
    return wr_err_set(e, WR_EINPUT,
                      "%s: not a wrpnsim sweep database (not SQLite)", abs);
  if (rc != SQLITE_OK)
    return sweep_db_fail(db, path, "reading the schema", e);
  snprintf(sql, sizeof sql, "PRAGMA %s.user_version", schema);
  rc = pragma_int(db, sql, &ver);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.sqlite_master", schema);
  if (rc == SQLITE_OK)
    rc = pragma_int(db, sql, &tables);
  if (rc != SQLITE_OK)
    return sweep_db_fail(db, path, "reading the schema", e);
  *empty = app == 0 && ver == 0 && tables == 0;
  if (*empty)
    return WR_OK;
  if (app != SWEEP_APPLICATION_ID)
    return wr_err_set(e, WR_EINPUT,
                      "%s: not a wrpnsim sweep database (an SQLite file of "
                      "another application)",
                      abs);
  if (ver != SWEEP_SCHEMA_VERSION)
    return wr_err_set(e, WR_EINPUT,
                      "%s: sweep database schema version %" PRId64
                      ", this wrpnsim (%s) reads and writes version %d "
                      "only",
                      abs, ver, sweep_tool_version(), SWEEP_SCHEMA_VERSION);
  return WR_OK;
}

/* Reads every page of database `schema` (PRAGMA quick_check: the
 * b-trees' structure, without comparing indexes with their tables), so
 * that a damaged file is refused before anything is written to it. */
static int check_intact(sqlite3 *db, const char *schema, const char *path,
                        wr_err *e) {
  char sql[64], msg[512] = "", abs[4096];
  snprintf(sql, sizeof sql, "PRAGMA %s.quick_check(1)", schema);
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *t = (const char *)sqlite3_column_text(st, 0);
    /* "*** in database main ***\nPage 11: ..." on one line */
    const char *nl = t && strncmp(t, "*** ", 4) == 0 ? strchr(t, '\n') : NULL;
    snprintf(msg, sizeof msg, "%s", nl ? nl + 1 : t ? t : "?");
    for (char *c = msg; *c; c++)
      *c = *c == '\n' ? ';' : *c;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW)
    return sweep_db_fail(db, path, "checking it", e);
  if (strcmp(msg, "ok") != 0)
    return wr_err_set(e, WR_EINPUT,
                      "%s: not an intact wrpnsim sweep database (SQLite's "
                      "check: %s): restore it from a copy, or run the sweep "
                      "again into a new file",
                      sweep_abspath(path, abs, sizeof abs), msg);
  return WR_OK;
}

int store_open(const char *path, const sweep_db_wait *w, sqlite3 **out,
               wr_err *e) {
  sqlite3 *db = NULL;
  *out = NULL;
  int exists;
  if (store_check_path(path, 0, &exists, e))
    return e->status;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      NULL) != SQLITE_OK) {
    char abs[4096];
    int rc = wr_err_set(e, WR_EINPUT, "%s: cannot open the database: %s",
                        sweep_abspath(path, abs, sizeof abs),
                        db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return rc;
  }
  if (store_set_wait(db, path, w, e)) {
    sqlite3_close(db);
    return e->status;
  }
  int empty;
  int rc = check_schema(db, "main", path, &empty, e);
  if (!rc && !empty)
    rc = check_intact(db, "main", path, e);
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

/* ---- inserting points -----------------------------------------------------
 */

enum { ST_POINT, ST_BUF, ST_LAYER, ST_LAYER_BUF, N_ST };

struct store_writer {
  sqlite3 *db;
  sqlite3_stmt *st[N_ST];
};

/* one statement per table, indexed by the enum (designated, so a long
 * statement split over lines can't be mistaken for two elements) */
static const char *const insert_sql[N_ST] = {
    [ST_POINT] = "INSERT OR IGNORE INTO points VALUES "
                 "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                 "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                 "?,?,?,?,?)",
    [ST_BUF] = "INSERT OR IGNORE INTO point_buffers VALUES (?,?,?,?,?,?,?,?)",
    [ST_LAYER] = "INSERT OR IGNORE INTO layers VALUES "
                 "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                 "?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_LAYER_BUF] = "INSERT OR IGNORE INTO layer_buffers VALUES (?,?,?,?,?)"};

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

/* ---- merge ----------------------------------------------------------------
 */

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

int sweep_db_open_readonly(const char *path, const sweep_db_wait *w,
                           sqlite3 **out, wr_err *e) {
  *out = NULL;
  char abs[4096];
  int exists;
  if (store_check_path(path, 1, &exists, e))
    return e->status;
  sweep_abspath(path, abs, sizeof abs);
  sqlite3 *db = NULL;
  if (open_ro(path, 0, &db) != SQLITE_OK) {
    int rc = wr_err_set(e, WR_EINPUT, "%s: cannot open: %s", abs,
                        db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return rc;
  }
  int empty;
  int rc = store_set_wait(db, path, w, e);
  if (!rc)
    rc = check_schema(db, "main", path, &empty, e);
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
                        "%s: its folder is read-only and %s holds %ld byte%s "
                        "of commits not yet in the database: copy both to a "
                        "writable folder to read them",
                        path, wal, wal_len, wr_plural(wal_len));
      } else {
        char *uri = immutable_uri(path);
        sqlite3_close(db);
        db = NULL;
        if (uri && open_ro(uri, SQLITE_OPEN_URI, &db) == SQLITE_OK) {
          wr_err e2;
          rc = store_set_wait(db, path, w, &e2);
          if (!rc)
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
                    abs);
  if (rc) {
    sqlite3_close(db);
    return rc;
  }
  *out = db;
  return WR_OK;
}

/* Checks an input before anything is written. */
static int check_input(const char *path, const sweep_db_wait *w, wr_err *e) {
  sqlite3 *db;
  int rc = sweep_db_open_readonly(path, w, &db, e);
  if (!rc)
    rc = check_intact(db, "main", path, e);
  sqlite3_close(db);
  return rc;
}

static int merge_one(sqlite3 *db, const char *in, uint64_t *added, wr_err *e) {
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
                const sweep_db_wait *w, uint64_t *added, wr_err *e) {
  uint64_t count = 0;
  int fresh;
  if (store_check_path(out, 0, &fresh, e))
    return e->status;
  fresh = !fresh;
  for (int i = 0; i < n; i++)
    if (check_input(ins[i], w, e))
      return e->status;
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp-%ld", out, (long)getpid());
  const char *target = fresh ? tmp : out;
  sqlite3 *db;
  if (fresh)
    remove(tmp);
  int rc = store_open(target, w, &db, e);
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
