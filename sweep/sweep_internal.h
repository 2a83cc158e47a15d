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

/* The columns of the database's tables (docs/sweep.md), each X(name,
 * declaration) in table order: they give the schema (store.c) and the
 * column indices that inserts bind values to (PT_key, MD_weights_npz, ...;
 * sqlite3 parameter index = column + 1), so a column is named once.
 * Version 2 of the schema (version 1 had no models, model_layers, nor the
 * points columns from `model` on).  Energies in pJ, areas in mm^2, bytes
 * and cycles as integers; per batch unless a name says otherwise. */
#define STORE_SWEEPS(X)                                                        \
  X(spec_fnv1a64, "TEXT PRIMARY KEY")                                          \
  X(name, "TEXT NOT NULL")                                                     \
  X(file, "TEXT")                                                              \
  X(spec, "TEXT NOT NULL")                                                     \
  X(objectives, "TEXT")                                                        \
  X(tool_version, "TEXT NOT NULL")

#define STORE_RUNS(X)                                                          \
  X(id, "INTEGER PRIMARY KEY")                                                 \
  X(spec_fnv1a64, "TEXT NOT NULL")                                             \
  X(tool_version, "TEXT NOT NULL")                                             \
  X(started_utc, "TEXT NOT NULL")                                              \
  X(finished_utc, "TEXT")                                                      \
  X(shard, "TEXT")                                                             \
  X(jobs, "INTEGER")                                                           \
  X(points, "INTEGER")                                                         \
  X(evaluated, "INTEGER")                                                      \
  X(skipped, "INTEGER")                                                        \
  X(infeasible, "INTEGER")

#define STORE_POINTS(X)                                                        \
  X(key, "TEXT PRIMARY KEY")                                                   \
  X(sweep, "TEXT NOT NULL")                                                    \
  X(tool_version, "TEXT NOT NULL")                                             \
  X(config, "TEXT NOT NULL")                                                   \
  X(workload, "TEXT NOT NULL")                                                 \
  X(network, "TEXT NOT NULL")                                                  \
  X(width, "REAL NOT NULL")                                                    \
  X(precision, "TEXT NOT NULL")                                                \
  X(a_bits, "INTEGER NOT NULL")                                                \
  X(w_bits, "INTEGER NOT NULL")                                                \
  X(fp32, "TEXT NOT NULL")                                                     \
  X(batch, "INTEGER NOT NULL")                                                 \
  X(objective, "TEXT NOT NULL")                                                \
  X(ideal_memory, "INTEGER NOT NULL")                                          \
  X(arch, "TEXT NOT NULL")                                                     \
  X(arch_base, "TEXT NOT NULL")                                                \
  X(arch_params, "TEXT NOT NULL")                                              \
  X(status, "TEXT NOT NULL CHECK (status IN ('ok', 'infeasible'))")            \
  X(reason, "TEXT")                                                            \
  X(macs, "INTEGER")                                                           \
  X(compute_cycles, "INTEGER")                                                 \
  X(stall_cycles, "INTEGER")                                                   \
  X(cycles, "INTEGER")                                                         \
  X(latency_s, "REAL")                                                         \
  X(inferences_per_s, "REAL")                                                  \
  X(tops, "REAL")                                                              \
  X(tops_per_w, "REAL")                                                        \
  X(dram_read_bytes, "INTEGER")                                                \
  X(dram_write_bytes, "INTEGER")                                               \
  X(dram_bytes, "INTEGER")                                                     \
  X(energy_pj, "REAL")                                                         \
  X(energy_per_inference_pj, "REAL")                                           \
  X(e_mac_pj, "REAL")                                                          \
  X(e_rf_pj, "REAL")                                                           \
  X(e_buf_pj, "REAL")                                                          \
  X(e_dram_pj, "REAL")                                                         \
  X(e_static_pj, "REAL")                                                       \
  X(area_mm2, "REAL")                                                          \
  X(area_array_mm2, "REAL")                                                    \
  X(area_rf_mm2, "REAL")                                                       \
  X(area_buf_mm2, "REAL")                                                      \
  X(buffer_kib, "REAL")                                                        \
  X(accuracy, "REAL")                                                          \
  X(accuracy_metric, "TEXT")                                                   \
  X(accuracy_dataset, "TEXT")                                                  \
  X(accuracy_source, "TEXT NOT NULL")                                          \
  X(accuracy_note, "TEXT")                                                     \
  X(model, "TEXT")                                                             \
  X(counts, "TEXT")                                                            \
  X(di_cycles, "INTEGER")                                                      \
  X(di_energy_pj, "REAL")                                                      \
  X(di_e_mac_pj, "REAL")

#define STORE_MODELS(X)                                                        \
  X(key, "TEXT PRIMARY KEY")                                                   \
  X(tool_version, "TEXT NOT NULL")                                             \
  X(config, "TEXT NOT NULL")                                                   \
  X(network, "TEXT NOT NULL")                                                  \
  X(workload, "TEXT NOT NULL")                                                 \
  X(width, "REAL NOT NULL")                                                    \
  X(precision, "TEXT NOT NULL")                                                \
  X(fp32, "TEXT NOT NULL")                                                     \
  X(dataset, "TEXT NOT NULL")                                                  \
  X(weights, "TEXT NOT NULL")                                                  \
  X(status, "TEXT NOT NULL CHECK (status IN ('measured', 'unmeasured'))")      \
  X(note, "TEXT")                                                              \
  X(accuracy, "REAL")                                                          \
  X(correct, "INTEGER")                                                        \
  X(images, "INTEGER")                                                         \
  X(accuracy_source, "TEXT")                                                   \
  X(train_images, "INTEGER")                                                   \
  X(epochs, "INTEGER")                                                         \
  X(seed, "INTEGER")                                                           \
  X(loss, "REAL")                                                              \
  X(train_acc, "REAL")                                                         \
  X(train_s, "REAL")                                                           \
  X(exec_s, "REAL")                                                            \
  X(weights_fnv1a64, "TEXT")                                                   \
  X(weights_npz, "BLOB")                                                       \
  X(created_utc, "TEXT NOT NULL")

#define STORE_MODEL_LAYERS(X)                                                  \
  X(key, "TEXT NOT NULL")                                                      \
  X(layer, "INTEGER NOT NULL")                                                 \
  X(name, "TEXT NOT NULL")                                                     \
  X(macs, "INTEGER")                                                           \
  X(nz_macs, "INTEGER")                                                        \
  X(act, "INTEGER")                                                            \
  X(nz_act, "INTEGER")                                                         \
  X(groups, "INTEGER")                                                         \
  X(group_bits, "INTEGER")                                                     \
  X(nz_act_frac, "REAL")                                                       \
  X(nz_mac_frac, "REAL")                                                       \
  X(dyn_a_bits, "REAL")                                                        \
  X(images, "INTEGER")

#define STORE_POINT_BUFFERS(X)                                                 \
  X(key, "TEXT NOT NULL")                                                      \
  X(buffer, "INTEGER NOT NULL")                                                \
  X(name, "TEXT NOT NULL")                                                     \
  X(holds, "TEXT NOT NULL")                                                    \
  X(kib, "REAL NOT NULL")                                                      \
  X(bytes_per_cycle, "REAL NOT NULL")                                          \
  X(energy_pj, "REAL")                                                         \
  X(area_mm2, "REAL")

#define STORE_LAYERS(X)                                                        \
  X(key, "TEXT NOT NULL")                                                      \
  X(idx, "INTEGER NOT NULL")                                                   \
  X(layer, "INTEGER NOT NULL")                                                 \
  X(name, "TEXT NOT NULL")                                                     \
  X(kind, "TEXT NOT NULL")                                                     \
  X(precision, "TEXT")                                                         \
  X(mode, "TEXT")                                                              \
  X(in_bits, "INTEGER")                                                        \
  X(out_bits, "INTEGER")                                                       \
  X(macs, "INTEGER")                                                           \
  X(compute_cycles, "INTEGER")                                                 \
  X(dram_stall, "INTEGER")                                                     \
  X(buffer_stall, "INTEGER")                                                   \
  X(cycles, "INTEGER")                                                         \
  X(utilization, "REAL")                                                       \
  X(dram_rd_input_bytes, "INTEGER")                                            \
  X(dram_rd_weight_bytes, "INTEGER")                                           \
  X(dram_rd_psum_bytes, "INTEGER")                                             \
  X(dram_write_bytes, "INTEGER")                                               \
  X(e_mac_pj, "REAL")                                                          \
  X(e_rf_pj, "REAL")                                                           \
  X(e_buf_pj, "REAL")                                                          \
  X(e_dram_pj, "REAL")                                                         \
  X(e_static_pj, "REAL")                                                       \
  X(energy_pj, "REAL")                                                         \
  X(mapping, "TEXT")                                                           \
  X(candidates, "INTEGER")                                                     \
  X(intensity, "REAL")                                                         \
  X(roof_ops_per_s, "REAL")                                                    \
  X(memory_bound, "INTEGER")

#define STORE_LAYER_BUFFERS(X)                                                 \
  X(key, "TEXT NOT NULL")                                                      \
  X(idx, "INTEGER NOT NULL")                                                   \
  X(buffer, "INTEGER NOT NULL")                                                \
  X(bytes, "REAL")                                                             \
  X(energy_pj, "REAL")

#define STORE_COL_SW(c, decl) SW_##c,
#define STORE_COL_PT(c, decl) PT_##c,
#define STORE_COL_MD(c, decl) MD_##c,
#define STORE_COL_ML(c, decl) ML_##c,
#define STORE_COL_PB(c, decl) PB_##c,
#define STORE_COL_LY(c, decl) LY_##c,
#define STORE_COL_LB(c, decl) LB_##c,
enum { STORE_SWEEPS(STORE_COL_SW) SW_N };
enum { STORE_POINTS(STORE_COL_PT) PT_N };
enum { STORE_MODELS(STORE_COL_MD) MD_N };
enum { STORE_MODEL_LAYERS(STORE_COL_ML) ML_N };
enum { STORE_POINT_BUFFERS(STORE_COL_PB) PB_N };
enum { STORE_LAYERS(STORE_COL_LY) LY_N };
enum { STORE_LAYER_BUFFERS(STORE_COL_LB) LB_N };

/* Prepares "HEAD VALUES (?,...)" with `n_cols` parameters (HEAD: "INSERT
 * OR IGNORE INTO points"); an SQLite result code. */
int store_prepare_insert(sqlite3 *db, const char *head, int n_cols,
                         sqlite3_stmt **st);
/* Bind a value to column `col` of an insert (parameter col + 1); a NULL
 * text binds NULL, and so does every column left unbound. */
void store_bind_text(sqlite3_stmt *st, int col, const char *s);
void store_bind_int(sqlite3_stmt *st, int col, int64_t v);
void store_bind_real(sqlite3_stmt *st, int col, double v);

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
