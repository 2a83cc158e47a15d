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
#include <unistd.h>

#include "sweep.h"
#include "sweep_internal.h"

#define STORE_COL_DECL(c, decl) #c " " decl,
static const char *const sweeps_cols[] = {STORE_SWEEPS(STORE_COL_DECL)};
static const char *const runs_cols[] = {STORE_RUNS(STORE_COL_DECL)};
static const char *const points_cols[] = {STORE_POINTS(STORE_COL_DECL)};
static const char *const models_cols[] = {STORE_MODELS(STORE_COL_DECL)};
static const char *const model_layers_cols[] = {
    STORE_MODEL_LAYERS(STORE_COL_DECL)};
static const char *const point_buffers_cols[] = {
    STORE_POINT_BUFFERS(STORE_COL_DECL)};
static const char *const layers_cols[] = {STORE_LAYERS(STORE_COL_DECL)};
static const char *const layer_buffers_cols[] = {
    STORE_LAYER_BUFFERS(STORE_COL_DECL)};

/* A table of the schema: its columns (sweep_internal.h) and what follows
 * the last one. */
typedef struct store_table {
  const char *name;
  const char *const *cols;
  size_t n;
  const char *tail;
} store_table;

#define STORE_TABLE(name, tail)                                                \
  { #name, name##_cols, sizeof name##_cols / sizeof *name##_cols, tail }

/* in the order they are created */
static const store_table schema_tables[] = {
    STORE_TABLE(sweeps, ")"),
    STORE_TABLE(runs, ")"),
    STORE_TABLE(points, ")"),
    STORE_TABLE(models, ")"),
    STORE_TABLE(model_layers, ", PRIMARY KEY (key, layer)) WITHOUT ROWID"),
    STORE_TABLE(point_buffers, ", PRIMARY KEY (key, buffer)) WITHOUT ROWID"),
    STORE_TABLE(layers, ", PRIMARY KEY (key, idx)) WITHOUT ROWID"),
    STORE_TABLE(layer_buffers,
                ", PRIMARY KEY (key, idx, buffer)) WITHOUT ROWID")};

static const char schema_index_sql[] =
    "CREATE INDEX points_by_design ON points(network, arch, width,"
    " precision);";

/* Writes the schema's SQL into buf[0..n) (NULL, 0: nothing) and returns
 * its length: "CREATE TABLE NAME( col decl, col decl...TAIL;" per table,
 * then the index. */
static size_t schema_write(char *buf, size_t n) {
  size_t u = 0;
#define PUT(...)                                                               \
  u += (size_t)snprintf(buf ? buf + u : NULL, buf && u < n ? n - u : 0,        \
                        __VA_ARGS__)
  for (size_t t = 0; t < sizeof schema_tables / sizeof *schema_tables; t++) {
    const store_table *T = &schema_tables[t];
    PUT("CREATE TABLE %s(", T->name);
    for (size_t c = 0; c < T->n; c++)
      PUT("%s %s", c ? "," : "", T->cols[c]);
    PUT("%s;", T->tail);
  }
  PUT("%s", schema_index_sql);
#undef PUT
  return u;
}

/* The schema's SQL (caller frees), NULL when out of memory. */
static char *schema_sql(void) {
  size_t n = schema_write(NULL, 0) + 1;
  char *s = malloc(n);
  if (s)
    schema_write(s, n);
  return s;
}

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

/* SQLite's busy handler: `count` is 0 on the first call of each wait.
 * Sleeps short at first (most locks are one batch of points, held for
 * milliseconds), then 100 ms at a time, until the timeout. */
static int store_busy(void *arg, int count) {
  store_waiter *sw = arg;
  double t = wr_now_s();
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
  size_t len = strlen(abs);
  store_waiter *sw = calloc(1, sizeof *sw + len + 1);
  if (!sw)
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  if (w)
    sw->w = *w;
  else
    sw->w.timeout_s = SWEEP_BUSY_TIMEOUT_S;
  memcpy(sw->path, abs, len + 1);
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
      if (*c == '\n')
        *c = ';';
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
      char *schema = !rc && empty ? schema_sql() : NULL;
      if (!rc && empty && !schema)
        rc = wr_err_set(e, WR_ENOMEM, "out of memory");
      if (!rc && empty)
        rc = store_exec(db, schema, "creating the schema", e);
      free(schema);
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

int store_prepare_insert(sqlite3 *db, const char *head, int n_cols,
                         sqlite3_stmt **st) {
  size_t n = strlen(head) + 16 + 2 * (size_t)n_cols;
  char *sql = malloc(n);
  *st = NULL;
  if (!sql)
    return SQLITE_NOMEM;
  size_t u = (size_t)snprintf(sql, n, "%s VALUES (", head);
  for (int i = 0; i < n_cols; i++)
    u += (size_t)snprintf(sql + u, n - u, "%s?", i ? "," : "");
  snprintf(sql + u, n - u, ")");
  int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);
  free(sql);
  return rc;
}

void store_bind_text(sqlite3_stmt *st, int col, const char *s) {
  if (s)
    sqlite3_bind_text(st, col + 1, s, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, col + 1);
}

void store_bind_int(sqlite3_stmt *st, int col, int64_t v) {
  sqlite3_bind_int64(st, col + 1, v);
}

void store_bind_real(sqlite3_stmt *st, int col, double v) {
  sqlite3_bind_double(st, col + 1, v);
}

int store_put_sweep(sqlite3 *db, const sweep_spec *s, wr_err *e) {
  sqlite3_stmt *st;
  char key[24];
  if (store_prepare_insert(db, "INSERT OR IGNORE INTO sweeps", SW_N, &st))
    return store_fail(db, "storing the spec", e);
  store_bind_text(st, SW_spec_fnv1a64,
                  sweep_key_str(s->text_fnv, key, sizeof key));
  store_bind_text(st, SW_name, s->name);
  store_bind_text(st, SW_file, s->file);
  sqlite3_bind_text(st, SW_spec + 1, s->text, (int)s->len, SQLITE_STATIC);
  store_bind_text(st, SW_objectives, s->report_objectives);
  store_bind_text(st, SW_tool_version, sweep_tool_version());
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? WR_OK : store_fail(db, "storing the spec", e);
}

/* ---- inserting points ---------------------------------------------------- */

enum { ST_POINT, ST_BUF, ST_LAYER, ST_LAYER_BUF, N_ST };

struct store_writer {
  sqlite3 *db;
  sqlite3_stmt *st[N_ST];
};

/* one statement per table, indexed by the enum */
static const struct {
  const char *head;
  int n_cols;
} inserts[N_ST] = {
    [ST_POINT] = {"INSERT OR IGNORE INTO points", PT_N},
    [ST_BUF] = {"INSERT OR IGNORE INTO point_buffers", PB_N},
    [ST_LAYER] = {"INSERT OR IGNORE INTO layers", LY_N},
    [ST_LAYER_BUF] = {"INSERT OR IGNORE INTO layer_buffers", LB_N}};

int store_writer_open(sqlite3 *db, store_writer **out, wr_err *e) {
  store_writer *w = calloc(1, sizeof *w);
  if (!w)
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  w->db = db;
  for (int i = 0; i < N_ST; i++)
    if (store_prepare_insert(db, inserts[i].head, inserts[i].n_cols,
                             &w->st[i])) {
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

static int step(store_writer *w, int which, wr_err *e) {
  sqlite3_stmt *st = w->st[which];
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st); /* every column the next row leaves is NULL */
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

/* The energy components of points and layers: e_mac_pj .. e_static_pj,
 * adjacent in both tables. */
_Static_assert(PT_e_static_pj - PT_e_mac_pj == 4 &&
                   LY_e_static_pj - LY_e_mac_pj == 4,
               "energy columns e_mac_pj, e_rf_pj, e_buf_pj, e_dram_pj, "
               "e_static_pj");

static void bind_energy(sqlite3_stmt *st, int e_mac_col, const arch_energy *en,
                        int nbuf) {
  store_bind_real(st, e_mac_col, en->mac);
  store_bind_real(st, e_mac_col + 1, en->rf);
  store_bind_real(st, e_mac_col + 2, buf_sum(en->buf, nbuf));
  store_bind_real(st, e_mac_col + 3, en->dram);
  store_bind_real(st, e_mac_col + 4, en->stat);
}

/* dram_rd_input_bytes .. dram_rd_psum_bytes follow ARCH_TT_* */
_Static_assert(LY_dram_rd_weight_bytes - LY_dram_rd_input_bytes ==
                       ARCH_TT_WEIGHT &&
                   LY_dram_rd_psum_bytes - LY_dram_rd_input_bytes ==
                       ARCH_TT_OUTPUT,
               "layers' DRAM read columns in ARCH_TT_* order");

static int put_layers(store_writer *w, const char *key, const store_point *sp,
                      wr_err *e) {
  const arch *a = sp->c.a;
  for (int i = 0; i < sp->res.n_layers; i++) {
    const arch_layer_result *l = &sp->res.layers[i];
    int conv = l->kind == WR_CONV || l->kind == WR_FC;
    char p1[16], p2[16], map[128];
    sqlite3_stmt *st = w->st[ST_LAYER];
    store_bind_text(st, LY_key, key);
    store_bind_int(st, LY_idx, i);
    store_bind_int(st, LY_layer, l->layer);
    store_bind_text(st, LY_name, sp->layer_names[i]);
    store_bind_text(st, LY_kind, wr_kind_name((wr_kind)l->kind));
    store_bind_text(st, LY_precision,
                    conv ? wr_prec_str(l->prec, p1, sizeof p1) : NULL);
    store_bind_text(st, LY_mode,
                    conv ? wr_prec_str(l->mode, p2, sizeof p2) : NULL);
    store_bind_int(st, LY_in_bits, l->in_bits);
    store_bind_int(st, LY_out_bits, l->out_bits);
    store_bind_int(st, LY_macs, (int64_t)l->macs);
    store_bind_int(st, LY_compute_cycles, (int64_t)l->compute_cycles);
    store_bind_int(st, LY_dram_stall, (int64_t)l->dram_stall);
    store_bind_int(st, LY_buffer_stall, (int64_t)l->buffer_stall);
    store_bind_int(st, LY_cycles, (int64_t)l->cycles);
    store_bind_real(st, LY_utilization, l->utilization);
    for (int k = 0; k < ARCH_N_TT; k++)
      store_bind_int(st, LY_dram_rd_input_bytes + k, (int64_t)l->dram_read[k]);
    store_bind_int(st, LY_dram_write_bytes, (int64_t)l->dram_write);
    bind_energy(st, LY_e_mac_pj, &l->energy, a->n_buffers);
    store_bind_real(st, LY_energy_pj, l->energy.total);
    store_bind_text(st, LY_mapping,
                    conv ? arch_mapping_str(&l->map, map, sizeof map) : NULL);
    store_bind_int(st, LY_candidates, (int64_t)l->candidates);
    store_bind_real(st, LY_intensity, l->intensity);
    store_bind_real(st, LY_roof_ops_per_s, l->roof_ops_per_s);
    store_bind_int(st, LY_memory_bound, l->memory_bound);
    if (step(w, ST_LAYER, e))
      return WR_ERUNTIME;
    for (int k = 0; k < a->n_buffers; k++) {
      sqlite3_stmt *bt = w->st[ST_LAYER_BUF];
      store_bind_text(bt, LB_key, key);
      store_bind_int(bt, LB_idx, i);
      store_bind_int(bt, LB_buffer, k);
      store_bind_real(bt, LB_bytes, l->buf_bytes[k]);
      store_bind_real(bt, LB_energy_pj, l->energy.buf[k]);
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
  sqlite3_stmt *st = w->st[ST_POINT];
  store_bind_text(st, PT_key, key);
  store_bind_text(st, PT_sweep, s->name);
  store_bind_text(st, PT_tool_version, sweep_tool_version());
  store_bind_text(st, PT_config, c->text);
  store_bind_text(st, PT_workload, s->workloads[p->ax[SWEEP_AX_WORKLOAD]].name);
  store_bind_text(st, PT_network,
                  s->workloads[p->ax[SWEEP_AX_WORKLOAD]].network);
  store_bind_real(st, PT_width, s->widths[p->ax[SWEEP_AX_WIDTH]]);
  store_bind_text(st, PT_precision, wr_prec_str(pr, prec, sizeof prec));
  store_bind_int(st, PT_a_bits, pr.a_bits);
  store_bind_int(st, PT_w_bits, pr.w_bits);
  store_bind_text(st, PT_fp32, s->fp32);
  store_bind_int(st, PT_batch, (int64_t)s->batches[p->ax[SWEEP_AX_BATCH]]);
  store_bind_text(
      st, PT_objective,
      arch_objective_name(s->objectives[p->ax[SWEEP_AX_OBJECTIVE]]));
  store_bind_int(st, PT_ideal_memory, s->ideal_memory);
  store_bind_text(st, PT_arch, a->name);
  store_bind_text(st, PT_arch_base, s->bases[p->ax[SWEEP_AX_BASE]]);
  store_bind_text(st, PT_arch_params, c->params);
  store_bind_text(st, PT_status, sp->reason ? "infeasible" : "ok");
  store_bind_text(st, PT_reason, sp->reason);
  if (sp->evaluated) {
    store_bind_int(st, PT_macs, (int64_t)r->macs);
    store_bind_int(st, PT_compute_cycles, (int64_t)r->compute_cycles);
    store_bind_int(st, PT_stall_cycles, (int64_t)r->stall_cycles);
    store_bind_int(st, PT_cycles, (int64_t)r->cycles);
    store_bind_real(st, PT_latency_s, r->seconds);
    store_bind_real(st, PT_inferences_per_s, r->inferences_per_s);
    store_bind_real(st, PT_tops, r->tops);
    store_bind_real(st, PT_tops_per_w, r->tops_per_w);
    store_bind_int(st, PT_dram_read_bytes, (int64_t)r->dram_read);
    store_bind_int(st, PT_dram_write_bytes, (int64_t)r->dram_write);
    store_bind_int(st, PT_dram_bytes, (int64_t)(r->dram_read + r->dram_write));
    store_bind_real(st, PT_energy_pj, r->energy.total);
    store_bind_real(st, PT_energy_per_inference_pj,
                    r->energy.total / (double)(r->batch ? r->batch : 1));
    bind_energy(st, PT_e_mac_pj, &r->energy, a->n_buffers);
  }
  if (sp->has_area) {
    store_bind_real(st, PT_area_mm2, sp->area.total_mm2);
    store_bind_real(st, PT_area_array_mm2, sp->area.array_mm2);
    store_bind_real(st, PT_area_rf_mm2, sp->area.rf_mm2);
    store_bind_real(st, PT_area_buf_mm2,
                    buf_sum(sp->area.buf_mm2, a->n_buffers));
  }
  double kib = 0;
  for (int i = 0; i < a->n_buffers; i++)
    kib += a->buffers[i].kib;
  store_bind_real(st, PT_buffer_kib, kib);
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
    store_bind_real(st, PT_accuracy, sp->acc->accuracy);
    store_bind_text(st, PT_accuracy_metric, sp->acc_table->metric);
    store_bind_text(st, PT_accuracy_dataset, sp->acc_table->dataset);
    store_bind_text(st, PT_accuracy_source, sp->acc_table->source);
    store_bind_text(st, PT_accuracy_note, notes[!sp->acc_exact][widest]);
  } else if (sp->model && sp->model->measured) {
    store_bind_real(st, PT_accuracy, sp->model->accuracy);
    store_bind_text(st, PT_accuracy_metric, "top1");
    store_bind_text(st, PT_accuracy_dataset, s->measure.data);
    store_bind_text(st, PT_accuracy_source, sp->model->source);
    store_bind_text(st, PT_accuracy_note, notes[0][widest]);
  } else {
    store_bind_text(st, PT_accuracy_source, "none");
    store_bind_text(st, PT_accuracy_note, sp->model ? sp->model->note : NULL);
  }
  if (sp->model)
    store_bind_text(st, PT_model,
                    sweep_key_str(sp->model->key, mkey, sizeof mkey));
  if (sp->evaluated) {
    store_bind_text(st, PT_counts,
                    sp->measured ? "measured" : "data-independent");
    store_bind_int(st, PT_di_cycles, (int64_t)sp->di_cycles);
    store_bind_real(st, PT_di_energy_pj, sp->di_energy);
    store_bind_real(st, PT_di_e_mac_pj, sp->di_e_mac);
  }
  if (step(w, ST_POINT, e))
    return WR_ERUNTIME;
  *inserted = sqlite3_changes(w->db) == 1;
  if (!*inserted)
    return WR_OK;
  for (int i = 0; i < a->n_buffers; i++) {
    char h[32];
    sqlite3_stmt *bt = w->st[ST_BUF];
    store_bind_text(bt, PB_key, key);
    store_bind_int(bt, PB_buffer, i);
    store_bind_text(bt, PB_name, a->buffers[i].name);
    store_bind_text(bt, PB_holds, holds_str(a->buffers[i].holds, h, sizeof h));
    store_bind_real(bt, PB_kib, a->buffers[i].kib);
    store_bind_real(bt, PB_bytes_per_cycle, a->buffers[i].bytes_per_cycle);
    if (sp->evaluated)
      store_bind_real(bt, PB_energy_pj, r->energy.buf[i]);
    if (sp->has_area)
      store_bind_real(bt, PB_area_mm2, sp->area.buf_mm2[i]);
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

/* ---- merge --------------------------------------------------------------- */

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
  static const char tail[] = "?immutable=1";
  memcpy(o, tail, sizeof tail);
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
  int empty = 0;
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
