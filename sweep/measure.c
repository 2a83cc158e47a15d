/* measure.c — measured sweeps (docs/sweep.md "Measured accuracy and
 * statistics"): for each distinct (workload, width, precision) of a sweep
 * with a `measure` section, the model is trained (or its weights loaded),
 * run by the bit-accurate executor on the test images, and its accuracy
 * and per-layer operand statistics are cached in the database (tables
 * models and model_layers), keyed by the model's configuration — not by
 * the architecture, so every design point of the model reuses them. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sweep.h"
#include "sweep_internal.h"

static int oom(wr_err *e) { return wr_err_set(e, WR_ENOMEM, "out of memory"); }

char *sweep_model_text(const sweep_spec *s, int workload, int width, int prec,
                       uint64_t *key) {
  const sweep_workload *w = &s->workloads[workload];
  const sweep_measure *m = &s->measure;
  char p[16], wsrc[64];
  if (m->weights == SWEEP_W_FILE)
    snprintf(wsrc, sizeof wsrc, "file %016" PRIx64, m->weights_fnv);
  else
    snprintf(wsrc, sizeof wsrc, "%s",
             m->weights == SWEEP_W_TRAIN ? "train" : "synthetic");
  char train[256] = "";
  if (m->weights == SWEEP_W_TRAIN)
    snprintf(train, sizeof train,
             "epochs: %d\nbatch: %d\noptim: %s\nlr: %.17g\nmomentum: %.17g\n"
             "bn_momentum: %.17g\nthreads: %d\ntrain_limit: %" PRIu64 "\n",
             m->train.epochs, m->train.batch,
             m->train.optim == SIM_OPT_ADAM ? "adam" : "sgd", m->train.lr,
             m->train.momentum, m->train.bn_momentum, m->train.threads,
             m->train_limit);
  const char *fmt =
      "wrpnsim model 1\nnetwork: %s\nworkload_fnv1a64: %016" PRIx64
      "\nwidth: %.17g\nprecision: %s\nfp32: %s\ndata: %s\n"
      "weights: %s\nseed: %lu\n%slimit: %" PRIu64 "\ngroup: %d\n";
  wr_prec_str(s->precs[prec], p, sizeof p);
#define MODEL_ARGS                                                             \
  w->network, w->text_fnv, s->widths[width], p, s->fp32, m->data, wsrc,        \
      m->train.seed, train, m->limit, SWEEP_MEASURE_GROUP
  int n = snprintf(NULL, 0, fmt, MODEL_ARGS);
  char *t = n < 0 ? NULL : malloc((size_t)n + 1);
  if (!t)
    return NULL;
  snprintf(t, (size_t)n + 1, fmt, MODEL_ARGS);
#undef MODEL_ARGS
  *key = sweep_fnv1a64(t, (size_t)n, SWEEP_FNV_INIT);
  return t;
}

void measure_models_free(sweep_model *m, size_t n) {
  for (size_t i = 0; m && i < n; i++) {
    free(m[i].note);
    free(m[i].source);
    free(m[i].meas);
  }
  free(m);
}

/* ---- the database ----------------------------------------------------- */

/* A query on the models tables with the model's key bound to its one
 * parameter. */
static int prepare_keyed(sqlite3 *db, const char *sql, const char *key,
                         sqlite3_stmt **st, wr_err *e) {
  if (sqlite3_prepare_v2(db, sql, -1, st, NULL))
    return store_fail(db, "reading models", e);
  sqlite3_bind_text(*st, 1, key, -1, SQLITE_TRANSIENT);
  return WR_OK;
}

/* Loads a cached model; *found = 0 if there is none. */
static int load_model(sqlite3 *db, sweep_model *md, int n_layers, int *found,
                      wr_err *e) {
  char key[24];
  sweep_key_str(md->key, key, sizeof key);
  sqlite3_stmt *st;
  *found = 0;
  if (prepare_keyed(db,
                    "SELECT status, note, accuracy, images,"
                    " accuracy_source FROM models WHERE key = ?",
                    key, &st, e))
    return e->status;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *found = 1;
    const char *status = (const char *)sqlite3_column_text(st, 0);
    const char *note = (const char *)sqlite3_column_text(st, 1);
    const char *src = (const char *)sqlite3_column_text(st, 4);
    md->measured = status && strcmp(status, "measured") == 0;
    md->accuracy = sqlite3_column_double(st, 2);
    md->images = sqlite3_column_int64(st, 3);
    if ((note && !(md->note = strdup(note))) ||
        (src && !(md->source = strdup(src))))
      rc = SQLITE_NOMEM;
  }
  sqlite3_finalize(st);
  if (rc == SQLITE_NOMEM)
    return oom(e);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_fail(db, "reading models", e);
  if (!*found || !md->measured)
    return WR_OK;
  if (prepare_keyed(db,
                    "SELECT layer, nz_act_frac, nz_mac_frac, dyn_a_bits"
                    " FROM model_layers WHERE key = ?",
                    key, &st, e))
    return e->status;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int l = sqlite3_column_int(st, 0);
    if (l >= 0 && l < n_layers) {
      md->meas[l].nz_act = sqlite3_column_double(st, 1);
      md->meas[l].nz_mac = sqlite3_column_double(st, 2);
      md->meas[l].dyn_a_bits = sqlite3_column_double(st, 3);
    }
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? WR_OK : store_fail(db, "reading models", e);
}

/* What a model's training and measurement gave, for its row. */
typedef struct model_row {
  const char *text; /* canonical configuration */
  const sweep_workload *w;
  double width;
  wr_prec prec;
  const wr_net *net; /* NULL when not built */
  sim_layer_stats *stats;
  int64_t correct, train_images;
  sim_train_result tr;
  int trained;
  double exec_s;
  const void *npz; /* the weights as an .npz image, or NULL */
  size_t npz_len;
} model_row;

static void utc_now(char *buf, size_t n) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Stores a model with its layers in one transaction of its own, so that a
 * killed sweep keeps every model it finished. */
static int store_model(sqlite3 *db, const sweep_spec *s, const sweep_model *md,
                       const model_row *r, wr_err *e) {
  const sweep_measure *ms = &s->measure;
  char key[24], prec[16], when[32], wfnv[24];
  sweep_key_str(md->key, key, sizeof key);
  utc_now(when, sizeof when);
  if (store_begin(db, e))
    return e->status;
  sqlite3_stmt *st;
  int rc = store_prepare_insert(db, "INSERT OR IGNORE INTO models", MD_N, &st);
  if (rc == SQLITE_OK) {
    store_bind_text(st, MD_key, key);
    store_bind_text(st, MD_tool_version, sweep_tool_version());
    store_bind_text(st, MD_config, r->text);
    store_bind_text(st, MD_network, r->w->network);
    store_bind_text(st, MD_workload, r->w->name);
    store_bind_real(st, MD_width, r->width);
    store_bind_text(st, MD_precision, wr_prec_str(r->prec, prec, sizeof prec));
    store_bind_text(st, MD_fp32, s->fp32);
    store_bind_text(st, MD_dataset, ms->data);
    store_bind_text(st, MD_weights,
                    ms->weights == SWEEP_W_FILE    ? ms->weights_file
                    : ms->weights == SWEEP_W_TRAIN ? "train"
                                                   : "synthetic");
    store_bind_text(st, MD_status, md->measured ? "measured" : "unmeasured");
    store_bind_text(st, MD_note, md->note);
    if (md->measured) {
      store_bind_real(st, MD_accuracy, md->accuracy);
      store_bind_int(st, MD_correct, r->correct);
      store_bind_int(st, MD_images, md->images);
      store_bind_text(st, MD_accuracy_source, md->source);
      store_bind_real(st, MD_exec_s, r->exec_s);
    }
    if (r->trained) {
      store_bind_int(st, MD_train_images, r->train_images);
      store_bind_int(st, MD_epochs, ms->train.epochs);
      store_bind_int(st, MD_seed, (int64_t)ms->train.seed);
      store_bind_real(st, MD_loss, r->tr.loss);
      store_bind_real(st, MD_train_acc, 100.0 * r->tr.train_acc);
      store_bind_real(st, MD_train_s, r->tr.train_seconds);
    }
    if (r->npz) {
      sweep_key_str(sweep_fnv1a64(r->npz, r->npz_len, SWEEP_FNV_INIT), wfnv,
                    sizeof wfnv);
      store_bind_text(st, MD_weights_fnv1a64, wfnv);
      sqlite3_bind_blob64(st, MD_weights_npz + 1, r->npz, r->npz_len,
                          SQLITE_STATIC);
    }
    store_bind_text(st, MD_created_utc, when);
    rc = sqlite3_step(st);
    rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  sqlite3_finalize(st);
  int inserted = rc == SQLITE_OK && sqlite3_changes(db) == 1;
  if (rc == SQLITE_OK && inserted && md->measured) {
    rc = store_prepare_insert(db, "INSERT INTO model_layers", ML_N, &st);
    for (int l = 0; rc == SQLITE_OK && l < r->net->n_layers; l++) {
      const sim_operand_stats *o = &r->stats[l].ops;
      if (!o->macs)
        continue;
      store_bind_text(st, ML_key, key);
      store_bind_int(st, ML_layer, l);
      store_bind_text(st, ML_name, r->net->layers[l].name);
      store_bind_int(st, ML_macs, (int64_t)o->macs);
      store_bind_int(st, ML_nz_macs, (int64_t)o->nz_macs);
      store_bind_int(st, ML_act, (int64_t)o->act);
      store_bind_int(st, ML_nz_act, (int64_t)o->nz_act);
      store_bind_int(st, ML_groups, (int64_t)o->groups);
      store_bind_int(st, ML_group_bits, (int64_t)o->group_bits);
      store_bind_real(st, ML_nz_act_frac, md->meas[l].nz_act);
      store_bind_real(st, ML_nz_mac_frac, md->meas[l].nz_mac);
      store_bind_real(st, ML_dyn_a_bits, md->meas[l].dyn_a_bits);
      store_bind_int(st, ML_images, md->images);
      rc = sqlite3_step(st);
      rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
      sqlite3_reset(st);
      sqlite3_clear_bindings(st);
    }
    sqlite3_finalize(st);
  }
  if (rc != SQLITE_OK) {
    int r2 = store_fail(db, "storing a model", e);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return r2;
  }
  return store_exec(db, "COMMIT", "storing a model", e);
}

/* ---- running the executor --------------------------------------------- */

/* Runs every test image on `threads` model clones: top-1 hits into
 * *correct, the layer statistics (with operand statistics) summed into
 * stats[0..n_layers). */
static int run_exec(const wr_net *net, const wr_npz *w, const char *wsrc,
                    const wr_dataset *d, int threads, sim_layer_stats *stats,
                    int64_t *correct, wr_err *e) {
  return sim_exec_run(net, w, wsrc, d, threads, SWEEP_MEASURE_GROUP, stats,
                      correct, e);
}

/* The weights as an .npz image in memory (written to a temporary file and
 * read back: wr_npz_write is the one writer numpy is tested against). */
static int npz_image(const wr_npz *w, char **buf, size_t *len, wr_err *e) {
  const char *dir = getenv("TMPDIR");
  char path[4200];
  snprintf(path, sizeof path, "%s/wrpnsim-model-XXXXXX",
           dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path);
  if (fd < 0)
    return wr_err_set(e, WR_ERUNTIME, "%s: cannot create a temporary file",
                      path);
  close(fd);
  int rc = wr_npz_write(path, w->arrays, w->n, e);
  if (!rc)
    rc = wr_read_file(path, buf, len, e);
  if (rc && rc != WR_ENOMEM)
    rc = wr_err_set(e, WR_ERUNTIME, "storing the weights: %s", e->msg);
  remove(path);
  return rc;
}

/* ---- the stage ---------------------------------------------------------- */

typedef struct stage {
  sqlite3 *db;
  const sweep_spec *s;
  const sweep_run_opts *o;
  sweep_model_event ev;
  wr_dataset train, test;
  int have_train, have_test;
  int threads;
} stage;

static void emit(stage *g, const char *what) {
  g->ev.what = what;
  if (g->o->model_progress)
    g->o->model_progress(&g->ev, g->o->ctx);
}

static void on_epoch(void *ctx, const sim_train_epoch *ep) {
  stage *g = ctx;
  g->ev.epoch = ep;
  emit(g, "epoch");
  g->ev.epoch = NULL;
}

/* A problem of the model's own (bad input) makes it unmeasured, with the
 * reason; others stop the sweep. */
static int unmeasured(sweep_model *md, const wr_err *pe, wr_err *e) {
  if (pe->status != WR_EINPUT)
    return wr_err_set(e, pe->status, "%s", pe->msg);
  if (!(md->note = strdup(pe->msg)))
    return oom(e);
  return WR_OK;
}

int measure_fits(const wr_net *net, const char *data, char *why, size_t n) {
  const wr_layer *last = &net->layers[net->n_layers - 1];
  if (net->input.c != 1 || net->input.h != 28 || net->input.w != 28) {
    snprintf(why, n,
             "not measured: the network's input %" PRId64 "x%" PRId64
             "x%" PRId64 " is not %s's 1x28x28",
             net->input.c, net->input.h, net->input.w, data);
    return 0;
  }
  if (wr_shape_elems(last->out) < 10) {
    snprintf(why, n,
             "not measured: the network has %" PRId64 " outputs, %s has 10 "
             "classes",
             wr_shape_elems(last->out), data);
    return 0;
  }
  return 1;
}

/* Trains or loads, then measures, one model. */
static int build_model(stage *g, sweep_model *md, wr_net *net, model_row *r,
                       wr_err *e) {
  const sweep_measure *ms = &g->s->measure;
  wr_err pe;
  wr_err_clear(&pe);
  char msg[320];
  if (!measure_fits(net, ms->data, msg, sizeof msg))
    return (md->note = strdup(msg)) ? WR_OK : oom(e);
  if (!g->have_test) {
    if (wr_dataset_fashion_mnist(WR_FASHION_MNIST_DIR, 0, (int64_t)ms->limit,
                                 &g->test, e))
      return e->status;
    g->have_test = 1;
  }
  wr_npz w = {NULL, 0};
  int rc = WR_OK;
  double t0 = wr_now_s();
  const char *wsrc = "trained weights";
  if (ms->weights == SWEEP_W_TRAIN) {
    if (!g->have_train) {
      if (wr_dataset_fashion_mnist(WR_FASHION_MNIST_DIR, 1,
                                   (int64_t)ms->train_limit, &g->train, e))
        return e->status;
      g->have_train = 1;
    }
    emit(g, "training");
    sim_train_opts to = ms->train;
    to.threads = g->threads;
    if (sim_train(net, &g->train, NULL, &to, on_epoch, g, &w, &r->tr, &pe))
      return unmeasured(md, &pe, e);
    r->trained = 1;
    r->train_images = g->train.n;
  } else if (ms->weights == SWEEP_W_SYNTHETIC) {
    wsrc = "synthetic weights";
    if (sim_synthetic_weights(net, ms->train.seed, &w, &pe))
      return unmeasured(md, &pe, e);
  } else {
    wsrc = ms->weights_file;
    if (sim_weights_read(net, ms->weights_file, &w, &pe))
      return unmeasured(md, &pe, e);
  }
  emit(g, "measuring");
  r->stats = calloc((size_t)net->n_layers, sizeof *r->stats);
  if (!r->stats)
    rc = oom(e);
  double t1 = wr_now_s();
  if (!rc &&
      run_exec(net, &w, wsrc, &g->test, g->threads, r->stats, &r->correct, &pe))
    rc = unmeasured(md, &pe, e);
  r->exec_s = wr_now_s() - t1;
  char *npz = NULL;
  size_t npz_len = 0;
  if (!rc && !md->note && ms->weights != SWEEP_W_FILE)
    rc = npz_image(&w, &npz, &npz_len, e);
  wr_npz_free(&w);
  if (rc || md->note) {
    free(npz);
    return rc;
  }
  r->npz = npz;
  r->npz_len = npz_len;
  md->measured = 1;
  md->images = g->test.n;
  md->accuracy = 100.0 * (double)r->correct / (double)g->test.n;
  for (int l = 0; l < net->n_layers; l++)
    if (r->stats[l].ops.macs)
      md->meas[l] = sim_meas_of(&r->stats[l].ops);
  char src[400];
  if (ms->weights == SWEEP_W_TRAIN) {
    char lim[64] = "";
    if (ms->train_limit)
      snprintf(lim, sizeof lim, " on %" PRId64 " training image%s",
               r->train_images, wr_plural(r->train_images));
    snprintf(src, sizeof src,
             "measured: wrpnsim exec, %s test, %" PRId64
             " image%s, trained %d epoch%s%s seed %lu",
             ms->data, md->images, wr_plural(md->images), ms->train.epochs,
             ms->train.epochs == 1 ? "" : "s", lim, ms->train.seed);
  } else if (ms->weights == SWEEP_W_SYNTHETIC) {
    snprintf(src, sizeof src,
             "measured: wrpnsim exec, %s test, %" PRId64
             " image%s, synthetic weights seed %lu",
             ms->data, md->images, wr_plural(md->images), ms->train.seed);
  } else {
    snprintf(src, sizeof src,
             "measured: wrpnsim exec, %s test, %" PRId64 " image%s, weights %s",
             ms->data, md->images, wr_plural(md->images), ms->weights_file);
  }
  if (!(md->source = strdup(src)))
    return oom(e);
  g->ev.accuracy = md->accuracy;
  g->ev.images = md->images;
  g->ev.seconds = wr_now_s() - t0;
  return WR_OK;
}

/* Builds the network of a model: the workload configured with the point's
 * width, precision and FP32 layers (wr_net_configure, as the runner does
 * for points).  A width the network cannot take is left in *pe, and the
 * network is still returned. */
static int model_net(const sweep_spec *s, const sweep_workload *w, double width,
                     wr_prec prec, wr_net **out, wr_err *pe, wr_err *e) {
  wr_net *net = wr_net_load_string(w->text, w->len, w->file, e);
  if (!net)
    return e->status ? e->status : WR_EINPUT;
  wr_net_config nc = {width, &prec, s->fp32, NULL, 0, NULL};
  /* the spec's fp32 list was checked when it was loaded: WR_EINPUT here
   * is the width's, which leaves the model unmeasured */
  int rc = wr_net_configure(net, &nc, pe);
  if (rc && rc != WR_EINPUT) {
    rc = wr_err_set(e, rc, "%s", pe->msg);
    wr_net_free(net);
    return rc;
  }
  *out = net;
  return WR_OK;
}

int measure_models(sqlite3 *db, const sweep_spec *s, const uint64_t *idx,
                   size_t n, const sweep_run_opts *o, sweep_model **out,
                   sweep_progress *pr, wr_err *e) {
  size_t nm = (size_t)s->n_workloads * (size_t)s->n_widths * (size_t)s->n_precs;
  sweep_model *models = calloc(nm, sizeof *models);
  char *need = calloc(nm, 1);
  *out = NULL;
  if (!models || !need) {
    free(models);
    free(need);
    return oom(e);
  }
  int total = 0;
  for (size_t i = 0; i < n; i++) {
    sweep_point p;
    sweep_point_at(s, idx[i], &p);
    size_t k = ((size_t)p.ax[SWEEP_AX_WORKLOAD] * (size_t)s->n_widths +
                (size_t)p.ax[SWEEP_AX_WIDTH]) *
                   (size_t)s->n_precs +
               (size_t)p.ax[SWEEP_AX_PREC];
    total += !need[k];
    need[k] = 1;
  }
  stage g;
  memset(&g, 0, sizeof g);
  g.db = db;
  g.s = s;
  g.o = o;
  g.threads = s->measure.threads_set ? s->measure.train.threads
                                     : (o->jobs < 1 ? 1 : o->jobs);
  g.ev.total = total;
  int rc = WR_OK;
  for (size_t k = 0; k < nm && !rc; k++) {
    if (!need[k])
      continue;
    int wi = (int)(k / ((size_t)s->n_widths * (size_t)s->n_precs));
    int xi = (int)(k / (size_t)s->n_precs % (size_t)s->n_widths);
    int pi = (int)(k % (size_t)s->n_precs);
    const sweep_workload *w = &s->workloads[wi];
    sweep_model *md = &models[k];
    model_row r;
    memset(&r, 0, sizeof r);
    r.w = w;
    r.width = s->widths[xi];
    r.prec = s->precs[pi];
    char *text = sweep_model_text(s, wi, xi, pi, &md->key);
    wr_net *net = NULL;
    wr_err pe;
    wr_err_clear(&pe);
    if (!text)
      rc = oom(e);
    if (!rc)
      rc = model_net(s, w, r.width, r.prec, &net, &pe, e);
    if (!rc) {
      md->n_layers = net->n_layers;
      if (!(md->meas = calloc((size_t)net->n_layers, sizeof *md->meas)))
        rc = oom(e);
      for (int l = 0; !rc && l < net->n_layers; l++)
        md->meas[l] = (arch_meas){1, 1, 0};
    }
    g.ev.index++;
    g.ev.network = w->network;
    g.ev.width = r.width;
    g.ev.prec = r.prec;
    g.ev.accuracy = -1;
    g.ev.images = 0;
    g.ev.seconds = 0;
    g.ev.note = NULL;
    int found = 0;
    if (!rc)
      rc = load_model(db, md, md->n_layers, &found, e);
    if (!rc && found) {
      pr->models_reused++;
      g.ev.accuracy = md->measured ? md->accuracy : -1;
      g.ev.images = md->images;
      g.ev.note = md->note;
      emit(&g, "reused");
    } else if (!rc) {
      r.text = text;
      r.net = net;
      if (pe.status)
        rc = unmeasured(md, &pe, e); /* the width leaves no channels */
      else
        rc = build_model(&g, md, net, &r, e);
      if (!rc)
        rc = store_model(db, s, md, &r, e);
      if (!rc) {
        pr->models_trained += md->measured;
        g.ev.note = md->note;
        emit(&g, md->measured ? "measured" : "unmeasured");
      }
      free(r.stats);
      free((void *)r.npz);
    }
    if (!rc && !md->measured)
      pr->models_unmeasured++;
    free(text);
    wr_net_free(net);
  }
  if (g.have_train)
    wr_dataset_free(&g.train);
  if (g.have_test)
    wr_dataset_free(&g.test);
  free(need);
  if (rc) {
    measure_models_free(models, nm);
    return rc;
  }
  *out = models;
  return WR_OK;
}
