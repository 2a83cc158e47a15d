/*
 * sweep.h — the public interface of the sweep module: sweep specs (YAML,
 * docs/sweep.md), enumeration and sampling of design points, point keys
 * (a hash of the fully resolved configuration), accuracy tables, the
 * parallel runner that stores every point in SQLite, and merging of shard
 * databases.
 *
 * Conventions as in workloads.h: functions that can fail take a `wr_err *`
 * and return a status; nothing here prints or exits (progress goes to a
 * callback).
 */
#ifndef WRPNSIM_SWEEP_H
#define WRPNSIM_SWEEP_H

#include <stdint.h>

#include "arch.h"
#include "sim.h"
#include "workloads.h"

/* The database layout this version writes and reads (PRAGMA user_version;
 * docs/sweep.md describes it). */
#define SWEEP_SCHEMA_VERSION 2
/* PRAGMA application_id of wrpnsim sweep databases ("WRPS"). */
#define SWEEP_APPLICATION_ID 0x57525053

/* The library's version, stored with every point. */
const char *sweep_tool_version(void);

/* ---- hashing ------------------------------------------------------------ */

#define SWEEP_FNV_INIT 0xcbf29ce484222325ULL

/* 64-bit FNV-1a of data[0..n), continuing from `h` (SWEEP_FNV_INIT to
 * start). */
uint64_t sweep_fnv1a64(const void *data, size_t n, uint64_t h);

/* ---- accuracy tables (workloads/accuracy/NAME.yaml, docs/sweep.md) ------ */

typedef struct sweep_acc_row {
  char *network; /* a workload's name (e.g. "resnet34") */
  double width;
  wr_prec prec;
  double accuracy; /* percent */
} sweep_acc_row;

typedef struct sweep_acc_table {
  char *name;
  char *source;              /* citation */
  char *dataset;             /* e.g. "imagenet" */
  char *metric;              /* e.g. "top1" */
  int fp32_first, fp32_last; /* layers the source kept FP32 */
  sweep_acc_row *rows;
  int n_rows;
} sweep_acc_table;

/* A table compiled in from workloads/accuracy/ by name, else a file.
 * Errors are WR_EINPUT with file:line:col.  Free with sweep_acc_free. */
int sweep_acc_open(const char *name_or_path, sweep_acc_table *out, wr_err *e);
int sweep_acc_load_string(const char *text, size_t len, const char *file,
                          sweep_acc_table *out, wr_err *e);
void sweep_acc_free(sweep_acc_table *t);
size_t sweep_acc_count(void);
const char *sweep_acc_name(size_t i);
/* The row for (network, width, precision), or NULL. */
const sweep_acc_row *sweep_acc_find(const sweep_acc_table *t,
                                    const char *network, double width,
                                    wr_prec p);

/* ---- sweep specs -------------------------------------------------------- */

#define SWEEP_MAX_VARY 16

typedef enum sweep_sampling {
  SWEEP_GRID,   /* every point */
  SWEEP_RANDOM, /* `points` distinct grid points drawn uniformly */
  SWEEP_LHS     /* Latin hypercube over the axes */
} sweep_sampling;

typedef struct sweep_workload {
  char *name; /* as written: zoo name or file path */
  char *file; /* file name for messages */
  char *text; /* the workload's YAML text */
  size_t len;
  uint64_t text_fnv; /* FNV-1a of the text */
  char *network;     /* the network's own name (accuracy tables match it) */
} sweep_workload;

typedef struct sweep_vary {
  char *path;    /* arch_set_param path, e.g. "array.rows" */
  char **values; /* scalar texts */
  int n;
} sweep_vary;

/* The optional `measure` section (docs/sweep.md "Measured accuracy and
 * statistics"): how the models of the sweep's workloads are obtained and
 * measured on real data. */
typedef enum sweep_weights {
  SWEEP_W_TRAIN,     /* sim_train from scratch */
  SWEEP_W_SYNTHETIC, /* sim_synthetic_weights(seed) */
  SWEEP_W_FILE       /* an .npz */
} sweep_weights;

#define SWEEP_MEASURE_GROUP                                                    \
  16 /* input channels per dynamic-precision group                             \
      */

typedef struct sweep_measure {
  int on;
  char *data; /* "fashion-mnist" */
  sweep_weights weights;
  char *weights_file;   /* SWEEP_W_FILE: the path (relative to the cwd) */
  uint64_t weights_fnv; /* SWEEP_W_FILE: FNV-1a of its bytes */
  sim_train_opts train; /* SWEEP_W_TRAIN; seed also for synthetic */
  int threads_set;      /* train.threads written (else: the sweep's jobs) */
  uint64_t train_limit; /* first N training images (0: all) */
  uint64_t limit;       /* first N test images (0: all) */
} sweep_measure;

typedef struct sweep_spec {
  char *name;
  char *file;
  char *text; /* the spec as read */
  size_t len;
  uint64_t text_fnv;

  sweep_workload *workloads;
  int n_workloads;
  double *widths;
  int n_widths;
  wr_prec *precs;
  int n_precs;
  uint64_t *batches;
  int n_batches;
  arch_objective *objectives; /* the mapper's objective (an axis) */
  int n_objectives;
  char *fp32; /* layers kept FP32: "none" or "first,last,PATTERN..." */
  int ideal_memory;

  char **bases; /* presets or files, as written */
  arch **base_archs;
  int n_bases;
  sweep_vary vary[SWEEP_MAX_VARY];
  int n_vary;

  /* constraints; 0 = none */
  double max_area_mm2, max_buffer_kib, max_latency_ms;

  sweep_sampling sampling;
  uint64_t sample_points;
  uint64_t seed;

  sweep_acc_table *acc; /* accuracy tables, first match wins */
  int n_acc;
  char *report_objectives; /* "min energy, max accuracy", or NULL */
  sweep_measure measure;
} sweep_spec;

/* Parses and resolves a spec: every workload, preset, architecture file
 * and accuracy table is opened and every varied value is checked on every
 * base, so that a spec that loads can only fail later on a point's own
 * problem.  Errors are WR_EINPUT with file:line:col.  Free with
 * sweep_spec_free. */
int sweep_spec_load_string(const char *text, size_t len, const char *file,
                           sweep_spec *out, wr_err *e);
int sweep_spec_load_file(const char *path, sweep_spec *out, wr_err *e);
void sweep_spec_free(sweep_spec *s);
/* The built-in default sweep (sweep/examples/default.yaml). */
const char *sweep_default_text(size_t *len);
#define SWEEP_DEFAULT_FILE "sweep/examples/default.yaml"

/* ---- enumeration -------------------------------------------------------- */

/* Axes, slowest first: workload, width, precision, batch, objective, base,
 * then the varied parameters in the order written. */
enum {
  SWEEP_AX_WORKLOAD,
  SWEEP_AX_WIDTH,
  SWEEP_AX_PREC,
  SWEEP_AX_BATCH,
  SWEEP_AX_OBJECTIVE,
  SWEEP_AX_BASE,
  SWEEP_AX_VARY0,
  SWEEP_MAX_AXES = SWEEP_AX_VARY0 + SWEEP_MAX_VARY
};

typedef struct sweep_point {
  uint64_t index; /* position in the full grid */
  int ax[SWEEP_MAX_AXES];
} sweep_point;

/* Number of axes (SWEEP_AX_VARY0 + n_vary); sizes[] receives each one's
 * length. */
int sweep_axes(const sweep_spec *s, int *sizes);
/* Points in the full grid (the loader refuses grids over 2^48). */
uint64_t sweep_grid_size(const sweep_spec *s);
/* Decodes a grid index (the last axis varies fastest). */
void sweep_point_at(const sweep_spec *s, uint64_t index, sweep_point *p);

/* The sweep's points as grid indices in ascending order: the whole grid,
 * or the distinct points drawn by the spec's sampling (GSL mt19937 seeded
 * with `seed`).  The caller frees *idx. */
int sweep_points(const sweep_spec *s, uint64_t **idx, size_t *n, wr_err *e);

/* Latin hypercube over axes of the given sizes: n points, out[i*naxes+k]
 * the level of axis k for point i.  Each axis is cut into n equal strata
 * of [0, 1), one point per stratum, strata permuted independently per
 * axis; a point at u in [0, 1) takes level floor(u * size).  The caller
 * frees *out. */
int sweep_lhs(const int *sizes, int naxes, size_t n, uint64_t seed, int **out,
              wr_err *e);

/* Parses "I/N" (1 <= I <= N): the shard that runs the points at positions
 * p (0-based, in sweep_points order) with p % N == I - 1. */
int sweep_shard_parse(const char *text, int *i, int *n, wr_err *e);
/* Whether position `pos` belongs to shard i of n (n = 0: no sharding). */
int sweep_in_shard(size_t pos, int i, int n);

/* ---- resolving a point -------------------------------------------------- */

typedef struct sweep_config {
  arch *a;       /* the base with the varied parameters set */
  char *text;    /* canonical text of the fully resolved configuration */
  uint64_t key;  /* sweep_fnv1a64 of `text` */
  char *params;  /* the varied values, "array.rows=16 dram.gbps=12.8" */
  char *invalid; /* why the parameters could not be set, or NULL */
} sweep_config;

/* Resolves point `p`: clones its base, sets the varied parameters and
 * builds the canonical text and key.  A parameter combination the
 * architecture rejects is not an error: `invalid` says why (the point is
 * stored as infeasible).  WR_ENOMEM and the like are errors. */
int sweep_resolve(const sweep_spec *s, const sweep_point *p, sweep_config *c,
                  wr_err *e);
void sweep_config_free(sweep_config *c);

/* The canonical text of the model a measured sweep uses for (workload,
 * width, precision) axis levels: network, workload hash, width,
 * precision, FP32 layers and the measure section (not the architecture);
 * its FNV-1a is the model's key.  NULL on allocation failure; the caller
 * frees. */
char *sweep_model_text(const sweep_spec *s, int workload, int width, int prec,
                       uint64_t *key);
/* "%016" PRIx64 text of a key (buf >= 17 bytes). */
const char *sweep_key_str(uint64_t key, char *buf, size_t n);

/* ---- running ------------------------------------------------------------ */

typedef struct sweep_progress {
  uint64_t total;      /* points in this shard */
  uint64_t done;       /* stored or skipped so far */
  uint64_t skipped;    /* already in the database */
  uint64_t evaluated;  /* evaluated and stored by this run */
  uint64_t infeasible; /* of those, stored as infeasible */
  double elapsed_s;
  int finished; /* the last call */
  /* measured sweeps: models (distinct workload, width, precision) */
  uint64_t models_trained;    /* trained (or loaded) and measured now */
  uint64_t models_reused;     /* found in the database */
  uint64_t models_unmeasured; /* of all, those without a measurement (the
                                 workload does not fit the data) */
} sweep_progress;

/* What the model stage of a measured sweep is doing (before the points). */
typedef struct sweep_model_event {
  int index, total; /* 1-based model, models in this run */
  const char *network;
  double width;
  wr_prec prec;
  const char *what;             /* "reused", "training", "epoch", "measuring",
                                   "measured", "unmeasured" */
  const sim_train_epoch *epoch; /* "epoch" */
  double accuracy;              /* "measured", "reused": percent (-1: none) */
  int64_t images;               /* test images run */
  double seconds;               /* "measured": training + measuring */
  const char *note;             /* "unmeasured": why */
} sweep_model_event;

typedef void (*sweep_model_fn)(const sweep_model_event *ev, void *ctx);

typedef void (*sweep_progress_fn)(const sweep_progress *p, void *ctx);

/* ---- waiting for a database another process holds --------------------- */

/* What a database operation waits for a lock held by another process
 * (another sweep, a merge, an open sqlite3 session) by default, in
 * seconds. */
#define SWEEP_BUSY_TIMEOUT_S 60.0

/* Called about once a second while a database is locked by another
 * process, with the database's absolute path, the seconds waited so far
 * and the limit; called once more when the wait gives up (waited_s >=
 * timeout_s), after which the operation fails with WR_ERUNTIME. */
typedef void (*sweep_wait_fn)(const char *path, double waited_s,
                              double timeout_s, void *ctx);

/* How long to wait for another process's lock and whom to tell. */
typedef struct sweep_db_wait {
  double timeout_s;      /* >= 0; 0: give up at once */
  sweep_wait_fn waiting; /* may be NULL */
  void *ctx;
} sweep_db_wait;

typedef struct sweep_run_opts {
  int jobs;                   /* worker threads, >= 1 */
  int shard_i, shard_n;       /* 1-based shard; 0/0 = everything */
  sweep_progress_fn progress; /* called from the calling thread after each
                                 committed batch and at least every 0.2 s;
                                 may be NULL */
  void *ctx;
  sweep_model_fn model_progress; /* measured sweeps; may be NULL */
  const sweep_db_wait *wait;     /* NULL: SWEEP_BUSY_TIMEOUT_S, silently */
} sweep_run_opts;

/* Runs the sweep into the database at `db_path` (created if missing, WAL
 * mode): points already stored (by key) are skipped, the others evaluated
 * by `jobs` threads and written by this thread in batched transactions, so
 * that a killed run loses at most the points not yet committed and a
 * re-run completes it.  Several processes may write one database.
 * WR_EINPUT for a file that is not a sweep database of this schema
 * version; WR_ERUNTIME for database errors. */
int sweep_run(const sweep_spec *s, const char *db_path, const sweep_run_opts *o,
              sweep_progress *out, wr_err *e);

/* Joins databases: every point of ins[0..n) not yet in `out` (by key) is
 * copied with its layers; `out` is created if missing (written to a
 * temporary file and renamed when complete) or else extended in one
 * transaction per input.  Refuses inputs of another schema version or
 * that are not sweep databases (WR_EINPUT naming the file).  The caller
 * leaves out of `ins` any that is the same file as `out` (merging a
 * database into itself would wait on its own lock).  `w` (may be NULL)
 * bounds the wait for other processes' locks.  *added (may be NULL)
 * receives the points copied. */
int sweep_merge(const char *out, const char *const *ins, int n,
                const sweep_db_wait *w, uint64_t *added, wr_err *e);

/* Opens a sweep database read-only, after checking that it is one of
 * this schema version: WR_EINPUT naming the file (absolute path) for a
 * missing file, a folder, a file that is not SQLite, not intact
 * (truncated, damaged) or not a sweep database, or another version.  `w`
 * (may be NULL) bounds the wait for another process's lock.  Close with
 * sqlite3_close. */
struct sqlite3;
int sweep_db_open_readonly(const char *path, const sweep_db_wait *w,
                           struct sqlite3 **db, wr_err *e);

/* Sets `e` from the last error of `db` while doing `what` to the database
 * at `path`: WR_EINPUT when the file is not an intact database (SQLite's
 * "malformed", "not a database"), naming its absolute path and, for a
 * truncated file, both sizes; WR_ERUNTIME for a lock held past the busy
 * timeout and other SQLite errors.  Returns the status. */
int sweep_db_fail(struct sqlite3 *db, const char *path, const char *what,
                  wr_err *e);

/* The absolute form of `path` in buf[0..n) (symbolic links resolved when
 * it exists; joined to the working folder when it does not); returns buf.
 * Never fails: `path` itself when nothing better fits. */
const char *sweep_abspath(const char *path, char *buf, size_t n);

/* Removes a database file and its -wal, -shm and -journal side files. */
void sweep_db_remove(const char *path);

#endif
