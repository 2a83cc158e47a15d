/* run.c — runs of a prepared model over a dataset: images on model clones
 * in parallel (wr_parallel_for), statistics and co-simulation counts
 * summed, progress through a callback, optional dumps of every layer's
 * output (dump.c).  Nothing here prints. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dump_internal.h"
#include "sim.h"

void sim_stats_add(sim_layer_stats *dst, const sim_layer_stats *src, int n) {
  for (int i = 0; i < n; i++) {
    const sim_layer_stats *s = &src[i];
    sim_layer_stats *d = &dst[i];
    if (s->values) /* a job that ran no image knows no representation */
      d->out_bits = s->out_bits;
    d->values += s->values;
    d->zero_codes += s->zero_codes;
    for (int b = 0; b <= WR_MAX_INT_BITS; b++)
      d->bitlen[b] += s->bitlen[b];
    d->overflows += s->overflows;
    d->requantized += s->requantized;
    d->rq_mismatch += s->rq_mismatch;
    sim_operand_add(&d->ops, &s->ops);
  }
}

/* One worker runs images k, k + jobs, k + 2*jobs, ... */
typedef struct worker {
  sim_model *m;
  sim_layer_stats *st;  /* NULL: no statistics */
  sim_layer_stats *img; /* one image's statistics (co-simulation) */
  sim_cosim *cs;        /* NULL without co-simulation */
  int n_layers;
  int64_t correct;
  int rc;
  int64_t failed_image;
  wr_err e;
} worker;

/* State the workers share. */
typedef struct run_shared {
  const wr_dataset *data;
  const sim_exec_opts *o; /* jobs >= 1 */
  const sim_dumps *dumps; /* NULL: no dumps */
  worker *w;              /* one per job */
  pthread_mutex_t lock;   /* guards done, first_bad and progress */
  int64_t done;
  int64_t first_bad; /* the lowest failed image so far (-1: none) */
} run_shared;

static void worker_main(void *ctx, int k, int64_t lo, int64_t hi) {
  (void)lo;
  (void)hi;
  run_shared *sh = ctx;
  worker *w = &sh->w[k];
  sim_dump_writer dw = {sh->dumps, 0, NULL, 0};
  for (int64_t i = k; i < sh->data->n; i += sh->o->jobs) {
    /* images below the lowest failure still run, so the error reported is
       that of the lowest failing image whatever the timing */
    pthread_mutex_lock(&sh->lock);
    int stop = sh->first_bad >= 0 && i > sh->first_bad;
    pthread_mutex_unlock(&sh->lock);
    if (stop)
      break;
    int top1;
    dw.image = i;
    if (w->cs)
      memset(w->img, 0, sizeof *w->img * (size_t)w->n_layers);
    w->rc = sim_run_image(w->m, sh->data, i, &top1, w->cs ? w->img : w->st,
                          sh->dumps ? sim_dump_write : NULL, &dw, &w->e);
    if (w->cs && !w->rc) {
      if (w->st)
        sim_stats_add(w->st, w->img, w->n_layers);
      w->rc = sim_cosim_add(w->cs, w->img, &w->e);
    }
    pthread_mutex_lock(&sh->lock);
    if (w->rc) {
      w->failed_image = i;
      if (sh->first_bad < 0 || i < sh->first_bad)
        sh->first_bad = i;
    } else {
      w->correct += sh->data->labels && top1 == sh->data->labels[i];
      sh->done++;
      if (sh->o->progress)
        sh->o->progress(sh->o->progress_ctx, sh->done, sh->data->n, 0);
    }
    pthread_mutex_unlock(&sh->lock);
    if (w->rc)
      break;
  }
  free(dw.ibuf);
}

/* Gives worker j its model (m itself for j = 0, else a clone), its
 * statistics and its co-simulation accumulator. */
static int worker_init(worker *w, int j, sim_model *m, const wr_net *net,
                       int stats, const sim_cosim *cs, wr_err *e) {
  w->n_layers = net->n_layers;
  if (!(w->m = j ? sim_model_clone(m, e) : m))
    return e->status;
  if (stats && !(w->st = calloc((size_t)net->n_layers, sizeof *w->st)))
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  if (cs) {
    w->img = calloc((size_t)net->n_layers, sizeof *w->img);
    w->cs = calloc(1, sizeof *w->cs);
    if (!w->img || !w->cs)
      return wr_err_set(e, WR_ENOMEM, "out of memory");
    return sim_cosim_init(w->cs, cs->a, net, &cs->opts, e);
  }
  return WR_OK;
}

/* Runs the images on every worker; the error of the lowest failing image
 * into *e. */
static int run_workers(run_shared *sh, int64_t *correct, wr_err *e) {
  int jobs = sh->o->jobs;
  wr_parallel_for(jobs, jobs, worker_main, sh);
  int64_t first_bad = -1;
  for (int j = 0; j < jobs; j++) {
    const worker *w = &sh->w[j];
    if (w->rc && (first_bad < 0 || w->failed_image < first_bad)) {
      first_bad = w->failed_image;
      *e = w->e;
    }
    *correct += w->correct;
  }
  return first_bad >= 0 ? e->status : WR_OK;
}

int sim_exec_images(sim_model *m, const wr_net *net, const wr_dataset *d,
                    const sim_exec_opts *o, sim_layer_stats *stats,
                    int64_t *correct, wr_err *e) {
  sim_dumps *dumps = NULL;
  if (o->dump_dir && sim_dumps_open(&dumps, m, net, o->dump_dir, d->n, e))
    return e->status;
  sim_exec_opts oj = *o;
  int jobs = oj.jobs = o->jobs < 1 ? 1 : o->jobs;
  run_shared sh = {.data = d,
                   .o = &oj,
                   .dumps = dumps,
                   .lock = PTHREAD_MUTEX_INITIALIZER,
                   .first_bad = -1};
  sh.w = calloc((size_t)jobs, sizeof *sh.w);
  int rc = sh.w ? WR_OK : wr_err_set(e, WR_ENOMEM, "out of memory");
  for (int j = 0; sh.w && rc == WR_OK && j < jobs; j++)
    rc = worker_init(&sh.w[j], j, m, net, stats != NULL, o->cosim, e);
  if (rc == WR_OK)
    rc = run_workers(&sh, correct, e);
  for (int j = 0; sh.w && j < jobs; j++) {
    worker *w = &sh.w[j];
    if (stats && w->st)
      sim_stats_add(stats, w->st, net->n_layers);
    if (w->cs && w->cs->layers) {
      sim_cosim_merge(o->cosim, w->cs);
      sim_cosim_free(w->cs);
    }
    free(w->cs);
    free(w->img);
    free(w->st);
    if (j && w->m)
      sim_model_free(w->m);
  }
  if (rc == WR_OK && o->progress)
    o->progress(o->progress_ctx, d->n, d->n, 1);
  wr_err de;
  int drc = sim_dumps_close(dumps, rc == WR_OK, &de);
  if (rc == WR_OK && drc) {
    rc = drc;
    *e = de;
  }
  pthread_mutex_destroy(&sh.lock);
  free(sh.w);
  return rc;
}

int sim_exec_run(const wr_net *net, const wr_npz *w, const char *wsrc,
                 const wr_dataset *d, int threads, int group,
                 sim_layer_stats *stats, int64_t *correct, wr_err *e) {
  sim_config cfg = sim_config_default();
  sim_model *m = sim_model_new(net, w, wsrc, &cfg, e);
  if (!m)
    return e->status;
  int rc = group >= 0 ? sim_model_operand_stats(m, group, e) : WR_OK;
  sim_exec_opts o = {.jobs = threads < 1 ? 1 : threads > 64 ? 64 : threads};
  *correct = 0;
  if (rc == WR_OK)
    rc = sim_exec_images(m, net, d, &o, stats, correct, e);
  sim_model_free(m);
  return rc;
}

int sim_exec_accuracy(const wr_net *net, const wr_npz *w, const char *wsrc,
                      const wr_dataset *d, int threads, int64_t *correct,
                      wr_err *e) {
  return sim_exec_run(net, w, wsrc, d, threads, -1, NULL, correct, e);
}
