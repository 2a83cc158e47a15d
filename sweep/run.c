/* run.c — the sweep runner: worker threads resolve and evaluate points,
 * the calling thread writes them in batched transactions and reports
 * progress. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sweep.h"
#include "sweep_internal.h"

typedef struct runner {
  const sweep_spec *s;
  const uint64_t *idx; /* grid indices of this shard's points */
  size_t n;
  const uint64_t *keys; /* already stored, sorted */
  size_t n_keys;
  const sweep_model *models; /* measured sweeps (measure_models) */

  pthread_mutex_t mu;
  pthread_cond_t cv;
  size_t next;         /* next position to take */
  store_point **queue; /* evaluated, waiting to be written */
  size_t qn, qcap;
  uint64_t skipped; /* skipped since the writer last looked */
  int running;      /* workers still running */
  int stop;
  int failed;
  wr_err err;

  /* the writer's (slice 0 of the run: the calling thread) */
  sqlite3 *db;
  store_writer *w;
  const sweep_run_opts *o;
  sweep_progress *pr;
  double t0;
  wr_err *e;
  int write_rc;
} runner;

static void point_free(store_point *sp) {
  if (!sp)
    return;
  if (sp->evaluated) {
    for (int i = 0; i < sp->res.n_layers; i++)
      free(sp->layer_names[i]);
    arch_net_result_free(&sp->res);
  }
  free(sp->layer_names);
  sweep_config_free(&sp->c);
  free(sp->reason);
  free(sp);
}

static int set_reason(store_point *sp, const char *msg, wr_err *e) {
  if (!(sp->reason = strdup(msg)))
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  return WR_OK;
}

/* A library error that belongs to the point (bad input) makes it
 * infeasible; others stop the sweep. */
static int infeasible_or_fail(store_point *sp, const wr_err *pe, wr_err *e) {
  if (pe->status == WR_EINPUT)
    return set_reason(sp, pe->msg, e);
  return wr_err_set(e, pe->status, "%s", pe->msg);
}

/* Accuracy from the first table with a row for the point. */
static void attach_accuracy(const sweep_spec *s, store_point *sp,
                            const wr_policy *pol) {
  const sweep_workload *w = &s->workloads[sp->p.ax[SWEEP_AX_WORKLOAD]];
  wr_prec pr = s->precs[sp->p.ax[SWEEP_AX_PREC]];
  double width = s->widths[sp->p.ax[SWEEP_AX_WIDTH]];
  for (int i = 0; i < s->n_acc && !sp->acc; i++) {
    const sweep_acc_table *t = &s->acc[i];
    if (!(sp->acc = sweep_acc_find(t, w->network, width, pr)))
      continue;
    sp->acc_table = t;
    int fp32 = pr.a_bits == WR_FP32_BITS && pr.w_bits == WR_FP32_BITS;
    sp->acc_exact = fp32 || (pol->fp32_first == t->fp32_first &&
                             pol->fp32_last == t->fp32_last &&
                             pol->n_fp32_patterns == 0 && pol->n_rules == 0);
  }
}

/* The area and buffer constraints, before evaluating. */
static int check_arch(const sweep_spec *s, store_point *sp, wr_err *e) {
  const arch *a = sp->c.a;
  wr_err pe;
  if (arch_area_of(a, &sp->area, &pe))
    return infeasible_or_fail(sp, &pe, e);
  sp->has_area = 1;
  double kib = 0;
  for (int i = 0; i < a->n_buffers; i++)
    kib += a->buffers[i].kib;
  char msg[256];
  if (s->max_area_mm2 > 0 && sp->area.total_mm2 > s->max_area_mm2) {
    snprintf(msg, sizeof msg, "area %.4g mm^2 exceeds max_area_mm2 %g",
             sp->area.total_mm2, s->max_area_mm2);
    return set_reason(sp, msg, e);
  }
  if (s->max_buffer_kib > 0 && kib > s->max_buffer_kib) {
    snprintf(msg, sizeof msg,
             "on-chip buffers %g KiB exceed max_buffer_kib "
             "%g",
             kib, s->max_buffer_kib);
    return set_reason(sp, msg, e);
  }
  return WR_OK;
}

/* Evaluates a resolved point into sp; *net is this worker's copy of the
 * point's workload (loaded on first use). */
static int eval_point(const sweep_spec *s, const sweep_model *models,
                      store_point *sp, wr_net **net, wr_err *e) {
  const sweep_point *p = &sp->p;
  const sweep_workload *w = &s->workloads[p->ax[SWEEP_AX_WORKLOAD]];
  wr_err pe;
  wr_policy pol;
  if (!*net && !(*net = wr_net_load_string(w->text, w->len, w->file, e)))
    return e->status;
  wr_net_config nc = {s->widths[p->ax[SWEEP_AX_WIDTH]],
                      &s->precs[p->ax[SWEEP_AX_PREC]],
                      s->fp32,
                      NULL,
                      0,
                      NULL};
  int rc = wr_net_config_policy(*net, &nc, &pol, e);
  if (models)
    sp->model =
        &models[((size_t)p->ax[SWEEP_AX_WORKLOAD] * (size_t)s->n_widths +
                 (size_t)p->ax[SWEEP_AX_WIDTH]) *
                    (size_t)s->n_precs +
                (size_t)p->ax[SWEEP_AX_PREC]];
  if (rc)
    return rc;
  if (!(sp->model && sp->model->measured))
    attach_accuracy(s, sp, &pol);
  wr_policy_clear(&pol);
  if (sp->c.invalid)
    return set_reason(sp, sp->c.invalid, e);
  if ((rc = check_arch(s, sp, e)) || sp->reason)
    return rc;
  /* the spec's fp32 list was checked when it was loaded: WR_EINPUT here
   * is the width's (a layer left with no channels) */
  if (wr_net_configure(*net, &nc, &pe))
    return infeasible_or_fail(sp, &pe, e);
  arch_eval_opts o = {s->batches[p->ax[SWEEP_AX_BATCH]],
                      s->objectives[p->ax[SWEEP_AX_OBJECTIVE]],
                      s->ideal_memory};
  if (arch_eval_net(sp->c.a, *net, &o, &sp->res, &pe))
    return infeasible_or_fail(sp, &pe, e);
  sp->evaluated = 1;
  sp->di_cycles = sp->res.cycles;
  sp->di_energy = sp->res.energy.total;
  sp->di_e_mac = sp->res.energy.mac;
  if (sp->model && sp->model->measured &&
      sp->model->n_layers == (*net)->n_layers) {
    /* the counts measured from the model's data replace them */
    arch_meas *m = malloc(sizeof *m * (size_t)(*net)->n_layers);
    if (!m)
      return wr_err_set(e, WR_ENOMEM, "out of memory");
    memcpy(m, sp->model->meas, sizeof *m * (size_t)(*net)->n_layers);
    /* groups of another size than the measured one: no dynamic precision
       measurement (its counts stay data-independent) */
    if (sp->c.a->dyn_group != SWEEP_MEASURE_GROUP)
      for (int i = 0; i < (*net)->n_layers; i++)
        m[i].dyn_a_bits = 0;
    arch_net_result mr;
    rc = arch_eval_net_measured(sp->c.a, *net, &o, m, &mr, &pe);
    free(m);
    if (rc)
      return infeasible_or_fail(sp, &pe, e);
    arch_net_result_free(&sp->res);
    sp->res = mr;
    sp->measured = 1;
  }
  sp->layer_names = calloc((size_t)(sp->res.n_layers ? sp->res.n_layers : 1),
                           sizeof *sp->layer_names);
  if (!sp->layer_names)
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  for (int i = 0; i < sp->res.n_layers; i++)
    if (!(sp->layer_names[i] =
              strdup((*net)->layers[sp->res.layers[i].layer].name)))
      return wr_err_set(e, WR_ENOMEM, "out of memory");
  if (s->max_latency_ms > 0 && sp->res.seconds * 1e3 > s->max_latency_ms) {
    char msg[160];
    snprintf(msg, sizeof msg, "latency %.4g ms exceeds max_latency_ms %g",
             sp->res.seconds * 1e3, s->max_latency_ms);
    return set_reason(sp, msg, e);
  }
  return WR_OK;
}

static void fail(runner *r, const wr_err *e) {
  pthread_mutex_lock(&r->mu);
  if (!r->failed) {
    r->failed = 1;
    r->err = *e;
  }
  r->stop = 1;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

static int push(runner *r, store_point *sp) {
  pthread_mutex_lock(&r->mu);
  if (sp) {
    if (r->qn == r->qcap) {
      size_t cap = r->qcap ? r->qcap * 2 : 64;
      store_point **q = realloc(r->queue, sizeof *q * cap);
      if (!q) {
        pthread_mutex_unlock(&r->mu);
        return WR_ENOMEM;
      }
      r->queue = q;
      r->qcap = cap;
    }
    r->queue[r->qn++] = sp;
  } else {
    r->skipped++;
  }
  pthread_cond_signal(&r->cv);
  pthread_mutex_unlock(&r->mu);
  return WR_OK;
}

static void worker(runner *r) {
  const sweep_spec *s = r->s;
  wr_net **nets = calloc((size_t)s->n_workloads, sizeof *nets);
  wr_err e;
  wr_err_clear(&e);
  if (!nets)
    wr_err_set(&e, WR_ENOMEM, "out of memory");
  while (!e.status) {
    pthread_mutex_lock(&r->mu);
    size_t pos = r->next;
    int go = !r->stop && pos < r->n;
    if (go)
      r->next++;
    pthread_mutex_unlock(&r->mu);
    if (!go)
      break;
    store_point *sp = calloc(1, sizeof *sp);
    if (!sp) {
      wr_err_set(&e, WR_ENOMEM, "out of memory");
      break;
    }
    sweep_point_at(s, r->idx[pos], &sp->p);
    if (sweep_resolve(s, &sp->p, &sp->c, &e)) {
      free(sp);
      break;
    }
    if (bsearch(&sp->c.key, r->keys, r->n_keys, sizeof *r->keys,
                sweep_cmp_u64)) {
      point_free(sp);
      sp = NULL;
    } else if (eval_point(s, r->models, sp, &nets[sp->p.ax[SWEEP_AX_WORKLOAD]],
                          &e)) {
      point_free(sp);
      break;
    }
    if (push(r, sp)) {
      point_free(sp);
      wr_err_set(&e, WR_ENOMEM, "out of memory");
    }
  }
  if (e.status)
    fail(r, &e);
  for (int i = 0; nets && i < s->n_workloads; i++)
    wr_net_free(nets[i]);
  free(nets);
  pthread_mutex_lock(&r->mu);
  r->running--;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

static void utc_now(char *buf, size_t n) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Records the run (runs table); *id receives its row. */
static int run_record(sqlite3 *db, int64_t *id, const sweep_spec *s,
                      const sweep_run_opts *o, const sweep_progress *pr,
                      wr_err *e) {
  char when[32], key[24], shard[32];
  utc_now(when, sizeof when);
  snprintf(shard, sizeof shard, "%d/%d", o->shard_n ? o->shard_i : 1,
           o->shard_n ? o->shard_n : 1);
  sqlite3_stmt *st;
  const char *sql =
      *id ? "UPDATE runs SET finished_utc=?2, evaluated=?3, skipped=?4,"
            " infeasible=?5 WHERE id=?1"
          : "INSERT INTO runs (spec_fnv1a64, tool_version, started_utc,"
            " shard, jobs, points) VALUES (?6, ?7, ?2, ?8, ?9, ?10)";
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL))
    return store_fail(db, "recording the run", e);
  sqlite3_bind_int64(st, 1, *id);
  sqlite3_bind_text(st, 2, when, -1, SQLITE_TRANSIENT);
  if (*id) {
    sqlite3_bind_int64(st, 3, (int64_t)pr->evaluated);
    sqlite3_bind_int64(st, 4, (int64_t)pr->skipped);
    sqlite3_bind_int64(st, 5, (int64_t)pr->infeasible);
  } else {
    sqlite3_bind_text(st, 6, sweep_key_str(s->text_fnv, key, sizeof key), -1,
                      SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, sweep_tool_version(), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, shard, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 9, o->jobs);
    sqlite3_bind_int64(st, 10, (int64_t)pr->total);
  }
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return store_fail(db, "recording the run", e);
  if (!*id)
    *id = sqlite3_last_insert_rowid(db);
  return WR_OK;
}

/* Writes a batch of points in one transaction. */
static int write_batch(sqlite3 *db, store_writer *w, const sweep_spec *s,
                       store_point **q, size_t n, sweep_progress *pr,
                       wr_err *e) {
  if (store_begin(db, e))
    return e->status;
  for (size_t i = 0; i < n; i++) {
    int ins;
    if (store_put(w, s, q[i], &ins, e)) {
      sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
      return e->status;
    }
    if (ins) {
      pr->evaluated++;
      pr->infeasible += q[i]->reason != NULL;
    } else {
      pr->skipped++; /* another process stored it meanwhile */
    }
  }
  return store_exec(db, "COMMIT", "committing points", e);
}

/* The writer loop: drains the queue until the workers are done. */
static int write_loop(runner *r) {
  const sweep_run_opts *o = r->o;
  sweep_progress *pr = r->pr;
  wr_err *e = r->e;
  int rc = WR_OK;
  for (;;) {
    pthread_mutex_lock(&r->mu);
    if (r->qn == 0 && r->skipped == 0 && r->running > 0 && !r->stop) {
      struct timespec until;
      clock_gettime(CLOCK_REALTIME, &until);
      until.tv_nsec += 200000000L;
      if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
      }
      pthread_cond_timedwait(&r->cv, &r->mu, &until);
    }
    store_point **q = r->queue;
    size_t n = r->qn;
    r->queue = NULL;
    r->qn = r->qcap = 0;
    pr->skipped += r->skipped;
    r->skipped = 0;
    int over = r->running == 0 || r->stop;
    pthread_mutex_unlock(&r->mu);
    if (!rc && n)
      rc = write_batch(r->db, r->w, r->s, q, n, pr, e);
    for (size_t i = 0; i < n; i++)
      point_free(q[i]);
    free(q);
    pr->done = pr->skipped + pr->evaluated;
    pr->elapsed_s = wr_now_s() - r->t0;
    if (rc) {
      pthread_mutex_lock(&r->mu);
      r->stop = 1;
      pthread_mutex_unlock(&r->mu);
    }
    if (over && n == 0)
      return rc;
    if (o->progress && !rc)
      o->progress(pr, o->ctx);
  }
}

/* Slice 0 of the run (the calling thread) writes what slices 1..jobs,
 * the workers, evaluate. */
static void run_slice(void *ctx, int k, int64_t lo, int64_t hi) {
  (void)lo;
  (void)hi;
  runner *r = ctx;
  if (k == 0)
    r->write_rc = write_loop(r);
  else
    worker(r);
}

int sweep_run(const sweep_spec *s, const char *db_path, const sweep_run_opts *o,
              sweep_progress *out, wr_err *e) {
  double t0 = wr_now_s();
  sweep_progress pr;
  memset(&pr, 0, sizeof pr);
  uint64_t *all, *keys = NULL;
  size_t n_all, n_keys = 0, n = 0;
  if (sweep_points(s, &all, &n_all, e))
    return e->status;
  /* this shard's points */
  for (size_t i = 0; i < n_all; i++)
    if (sweep_in_shard(i, o->shard_i, o->shard_n))
      all[n++] = all[i];
  pr.total = n;
  sqlite3 *db;
  store_writer *w = NULL;
  int64_t run_id = 0;
  int rc = store_open(db_path, o->wait, &db, e);
  if (rc) {
    free(all);
    return rc;
  }
  rc = store_keys(db, &keys, &n_keys, e);
  if (!rc)
    rc = store_put_sweep(db, s, e);
  if (!rc)
    rc = run_record(db, &run_id, s, o, &pr, e);
  sweep_model *models = NULL;
  size_t n_models =
      (size_t)s->n_workloads * (size_t)s->n_widths * (size_t)s->n_precs;
  if (!rc && s->measure.on)
    rc = measure_models(db, s, all, n, o, &models, &pr, e);
  if (!rc)
    rc = store_writer_open(db, &w, e);
  runner r;
  memset(&r, 0, sizeof r);
  r.s = s;
  r.idx = all;
  r.n = n;
  r.keys = keys;
  r.n_keys = n_keys;
  r.models = models;
  int jobs = o->jobs < 1 ? 1 : o->jobs;
  if (!rc) {
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    r.running = jobs;
    r.db = db;
    r.w = w;
    r.o = o;
    r.pr = &pr;
    r.t0 = t0;
    r.e = e;
    wr_parallel_for(jobs + 1, jobs + 1, run_slice, &r);
    rc = r.write_rc;
    /* what the workers queued after the writer stopped */
    for (size_t i = 0; i < r.qn; i++)
      point_free(r.queue[i]);
    free(r.queue);
    if (!rc && r.failed) {
      *e = r.err;
      rc = e->status;
    }
    pthread_cond_destroy(&r.cv);
    pthread_mutex_destroy(&r.mu);
  }
  store_writer_close(w);
  if (!rc)
    rc = run_record(db, &run_id, s, o, &pr, e);
  if (sqlite3_close(db) != SQLITE_OK && !rc)
    rc = wr_err_set(e, WR_ERUNTIME, "%s: cannot close the database", db_path);
  free(all);
  free(keys);
  measure_models_free(models, n_models);
  pr.finished = 1;
  pr.elapsed_s = wr_now_s() - t0;
  if (out)
    *out = pr;
  if (!rc && o->progress)
    o->progress(&pr, o->ctx);
  return rc;
}
