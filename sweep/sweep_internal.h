/* sweep_internal.h — pieces shared by the sweep module's files; not part
 * of the public interface (sweep.h). */
#ifndef WRPNSIM_SWEEP_INTERNAL_H
#define WRPNSIM_SWEEP_INTERNAL_H

#include <sqlite3.h>

#include "sweep.h"
#include "yaml_util.h" /* the module's YAML readers */

/* qsort comparison of uint64_t values. */
int sweep_cmp_u64(const void *a, const void *b);

/* Loads the shipped accuracy tables a spec without `accuracy:` uses. */
int sweep_default_accuracy(sweep_spec *s, wr_err *e);

/* ---- measured sweeps (measure.c) ---- */

/* A model of a measured sweep, as the points use it. */
typedef struct sweep_model {
  uint64_t key;
  int measured;    /* accuracy and statistics available */
  char *note;      /* unmeasured: why (NULL if measured) */
  double accuracy; /* percent */
  int64_t images;  /* test images run */
  char *source;    /* the accuracy_source text */
  arch_meas *meas; /* n_layers entries: conv/fc measured, others {1,1,0} */
  int n_layers;
} sweep_model;

/* 1 if `data` (a dataset measure: data names) fits the network: its
 * 1x28x28 images and 10 classes.  Else 0, with the reason ("not measured:
 * ...") in why[0..n).  Can't fail. */
int measure_fits(const wr_net *net, const char *data, char *why, size_t n);

/* The model stage of sweep_run: for every distinct (workload, width,
 * precision) among the points idx[0..n), the cached model from `db`, or
 * else one trained (or loaded) and measured now and stored in its own
 * transaction.  *out receives n_workloads x n_widths x n_precs entries
 * (index (workload * n_widths + width) * n_precs + precision; those not
 * needed are zero); free with measure_models_free. */
int measure_models(sqlite3 *db, const sweep_spec *s, const uint64_t *idx,
                   size_t n, const sweep_run_opts *o, sweep_model **out,
                   sweep_progress *pr, wr_err *e);
void measure_models_free(sweep_model *m, size_t n);

/* ---- the SQLite store (store.c) ---- */

/* Opens (creating if missing) a sweep database: WAL mode, the lock wait
 * of `w` (may be NULL), schema created or checked.  WR_EINPUT for an
 * empty path, a folder or another non-regular file, a file of another
 * kind or schema version, or one not intact; WR_ERUNTIME for SQLite
 * errors. */
int store_open(const char *path, const sweep_db_wait *w, sqlite3 **db,
               wr_err *e);
/* Runs SQL text (several statements); WR_ERUNTIME naming `what`. */
int store_exec(sqlite3 *db, const char *sql, const char *what, wr_err *e);
/* Sets `e` from the database's last error (sweep_db_fail on its main
 * file); returns the status. */
int store_fail(sqlite3 *db, const char *what, wr_err *e);
/* BEGIN IMMEDIATE, waiting (the busy handler) while another writer holds
 * the lock. */
int store_begin(sqlite3 *db, wr_err *e);

/* A point ready to store: what the runner evaluated. */
typedef struct store_point {
  sweep_point p;
  sweep_config c;
  int evaluated; /* res holds results */
  arch_net_result res;
  arch_area area; /* valid when has_area */
  int has_area;
  char *reason;       /* infeasible: why (else NULL) */
  char **layer_names; /* res.n_layers names */
  const sweep_acc_row *acc;
  const sweep_acc_table *acc_table;
  int acc_exact;            /* the point's FP32 layers are the table's */
  const sweep_model *model; /* measured sweeps: the point's model */
  int measured;       /* res holds counts measured from the model's data */
  uint64_t di_cycles; /* evaluated: the data-independent totals */
  double di_energy, di_e_mac;
} store_point;

/* Prepared statements of a writer. */
typedef struct store_writer store_writer;
int store_writer_open(sqlite3 *db, store_writer **w, wr_err *e);
void store_writer_close(store_writer *w);
/* Inserts one point with its layers (inside the caller's transaction);
 * an existing key is left alone (*inserted = 0). */
int store_put(store_writer *w, const sweep_spec *s, const store_point *sp,
              int *inserted, wr_err *e);
/* Records the spec (once per spec text). */
int store_put_sweep(sqlite3 *db, const sweep_spec *s, wr_err *e);
/* Every stored key, sorted (caller frees). */
int store_keys(sqlite3 *db, uint64_t **keys, size_t *n, wr_err *e);

#endif
