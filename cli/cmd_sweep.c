/* cmd_sweep.c — the sweep commands: sweep (a spec's points into an SQLite
 * database, with a progress display) and merge (shard databases into
 * one). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "sweep.h"

/* ---- progress on stderr -------------------------------------------------- */

typedef struct progress_ui {
  int tty;
  double last; /* elapsed time of the last line drawn */
  int drawn;
} progress_ui;

static void fmt_duration(double s, char *buf, size_t n) {
  if (!(s >= 0) || s > 1e7)
    snprintf(buf, n, "?");
  else if (s < 60)
    snprintf(buf, n, "%.0fs", s);
  else if (s < 3600)
    snprintf(buf, n, "%dm%02ds", (int)s / 60, (int)s % 60);
  else
    snprintf(buf, n, "%dh%02dm", (int)s / 3600, (int)s / 60 % 60);
}

static void show_progress(const sweep_progress *p, void *ctx) {
  progress_ui *ui = ctx;
  double gap = ui->tty ? 0.1 : 5.0;
  if (!p->finished && ui->drawn && p->elapsed_s - ui->last < gap)
    return;
  ui->last = p->elapsed_s;
  ui->drawn = 1;
  double rate = p->elapsed_s > 0 ? (double)p->evaluated / p->elapsed_s : 0;
  double left = (double)(p->total - p->done);
  char eta[32];
  fmt_duration(rate > 0 ? left / rate : -1, eta, sizeof eta);
  if (p->done == p->total)
    fmt_duration(p->elapsed_s, eta, sizeof eta);
  int pct = p->total ? (int)(100.0 * (double)p->done / (double)p->total) : 100;
  if (ui->tty) {
    char bar[31];
    int fill = pct * 30 / 100;
    for (int i = 0; i < 30; i++)
      bar[i] = i < fill ? '#' : '-';
    bar[30] = '\0';
    fprintf(stderr,
            "\r[%s] %" PRIu64 "/%" PRIu64 " %3d%%  %.1f points/s  %s %s  "
            "(%" PRIu64 " skipped, %" PRIu64 " infeasible)\033[K",
            bar, p->done, p->total, pct, rate,
            p->done == p->total ? "took" : "ETA", eta, p->skipped,
            p->infeasible);
    if (p->finished)
      fputc('\n', stderr);
  } else {
    fprintf(stderr,
            "wrpnsim sweep: %" PRIu64 "/%" PRIu64 " point%s (%d%%), %.1f "
            "points/s, %s %s, %" PRIu64 " skipped, %" PRIu64 " infeasible\n",
            p->done, p->total, wr_plural((long long)p->total), pct, rate,
            p->done == p->total ? "took" : "ETA", eta, p->skipped,
            p->infeasible);
  }
  fflush(stderr);
}

/* A wait for another process's lock: the line goes under the progress
 * bar, which is drawn again below it. */
static void show_wait(const char *path, double waited_s, double timeout_s,
                      void *ctx) {
  progress_ui *ui = ctx;
  if (ui->tty && ui->drawn) {
    fputc('\n', stderr);
    ui->drawn = 0;
  }
  cli_show_wait("sweep", path, waited_s, timeout_s);
}

/* The model stage of a measured sweep: one line per model and epoch. */
static void show_model(const sweep_model_event *ev, void *ctx) {
  progress_ui *ui = ctx;
  if (!ui)
    return;
  char p[16];
  wr_prec_str(ev->prec, p, sizeof p);
  if (strcmp(ev->what, "epoch") == 0) {
    fprintf(stderr,
            "wrpnsim sweep: model %d/%d %s x%g %s: epoch %d/%d, loss %.4f, "
            "train acc %.2f %%, %.0f images/s\n",
            ev->index, ev->total, ev->network, ev->width, p, ev->epoch->epoch,
            ev->epoch->epochs, ev->epoch->loss, 100.0 * ev->epoch->train_acc,
            ev->epoch->images_per_s);
  } else if (ev->accuracy >= 0) {
    fprintf(stderr,
            "wrpnsim sweep: model %d/%d %s x%g %s: %s, accuracy %.2f %% on "
            "%" PRId64 " test image%s%s\n",
            ev->index, ev->total, ev->network, ev->width, p, ev->what,
            ev->accuracy, ev->images, wr_plural(ev->images),
            strcmp(ev->what, "reused") == 0 ? " (cached)" : "");
  } else {
    fprintf(stderr, "wrpnsim sweep: model %d/%d %s x%g %s: %s\n", ev->index,
            ev->total, ev->network, ev->width, p,
            ev->note ? ev->note : ev->what);
  }
  fflush(stderr);
}

/* ---- sweep -------------------------------------------------------------- */

enum { S_DB, S_JOBS, S_SHARD, S_DRY, S_QUIET, S_BUSY, N_SWEEP_OPTS };

static const char sweep_usage[] =
    "[SPEC.yaml] --db FILE [--jobs N] [--shard I/N] [--dry-run] [--quiet]\n"
    "       [--busy-timeout SECONDS]\n"
    "       (without SPEC: the built-in default sweep, "
    "sweep/examples/default.yaml)";

static int load_spec(const char *path, sweep_spec *s) {
  wr_err e;
  int rc;
  if (path) {
    rc = sweep_spec_load_file(path, s, &e);
  } else {
    size_t len;
    const char *t = sweep_default_text(&len);
    rc = sweep_spec_load_string(t, len, SWEEP_DEFAULT_FILE, s, &e);
  }
  return rc ? cli_fail(&e) : EXIT_OK;
}

static int dry_run(const sweep_spec *s, int si, int sn) {
  uint64_t *idx;
  size_t n;
  wr_err e;
  if (sweep_points(s, &idx, &n, &e))
    return cli_fail(&e);
  size_t mine = 0;
  for (size_t i = 0; i < n; i++)
    mine += sweep_in_shard(i, si, sn);
  free(idx);
  printf("sweep %s: %" PRIu64 " grid point%s, %zu to run", s->name,
         sweep_grid_size(s), wr_plural((long long)sweep_grid_size(s)), n);
  if (sn)
    printf(", %zu in shard %d/%d", mine, si, sn);
  printf("\n");
  return EXIT_OK;
}

int cmd_sweep(int argc, char **argv) {
  cli_opt o[] = {
      {"db", "FILE", "the SQLite database (created if missing; required)", 0,
       NULL, 0},
      {"jobs", "N", "points evaluated in parallel (default 1)", 0, NULL, 0},
      {"shard", "I/N", "run only shard I of N (1 <= I <= N)", 0, NULL, 0},
      {"dry-run", NULL, "check the spec and count the points; no database", 0,
       NULL, 0},
      {"quiet", NULL, "no progress display", 0, NULL, 0},
      CLI_BUSY_OPT};
  const char *spec_path = NULL;
  int argc0 = argc;
  char **argv0 = argv;
  if (argc > 0 && strncmp(argv[0], "--", 2) != 0) {
    spec_path = argv[0];
    argc--;
    argv++;
  }
  int rc = cli_parse("sweep", sweep_usage, argc, argv, o, N_SWEEP_OPTS);
  if (rc) {
    cli_opts_free(o, N_SWEEP_OPTS);
    return rc == 1 ? EXIT_OK : rc;
  }
  unsigned long long jobs = 1;
  int si = 0, sn = 0;
  const char *db = cli_val(&o[S_DB]);
  int dry = o[S_DRY].n > 0;
  sweep_db_wait wait;
  if (spec_path)
    rc = cli_path_value("sweep", "SPEC", spec_path);
  if (!rc && !db && !dry) {
    fprintf(stderr, "wrpnsim sweep: --db FILE is required (the database "
                    "the points go to)\n");
    rc = EXIT_INPUT;
  }
  cli_path in = {"SPEC", spec_path, CLI_FILE}, out = {"--db", db, CLI_DB};
  if (!rc && db && !dry)
    rc = cli_check_output("sweep", &out, &in, 1);
  if (!rc)
    rc = cli_busy_timeout("sweep", cli_val(&o[S_BUSY]), &wait);
  if (!rc && cli_val(&o[S_JOBS]))
    rc = cli_u64("jobs", cli_val(&o[S_JOBS]), 1, 256, &jobs);
  wr_err e;
  if (!rc && cli_val(&o[S_SHARD]) &&
      sweep_shard_parse(cli_val(&o[S_SHARD]), &si, &sn, &e))
    rc = cli_fail(&e);
  sweep_spec s;
  memset(&s, 0, sizeof s);
  if (!rc)
    rc = load_spec(spec_path, &s);
  if (!rc && dry) {
    rc = dry_run(&s, si, sn);
  } else if (!rc) {
    if (s.measure.on && s.measure.weights == SWEEP_W_TRAIN)
      cli_blas_rerun("sweep", argc0, argv0);
    progress_ui ui = {isatty(2), 0, 0};
    wait.waiting = show_wait;
    wait.ctx = &ui;
    sweep_run_opts ro = {(int)jobs, si,
                         sn,        o[S_QUIET].n ? NULL : show_progress,
                         &ui,       o[S_QUIET].n ? NULL : show_model,
                         &wait};
    sweep_progress p;
    if (sweep_run(&s, db, &ro, &p, &e)) {
      if (ui.tty && ui.drawn)
        fputc('\n', stderr);
      rc = cli_fail(&e);
    } else {
      printf("sweep %s: %" PRIu64 " point%s%s%s: %" PRIu64
             " evaluated (%" PRIu64 " infeasible), %" PRIu64
             " already stored, %.2f s -> %s\n",
             s.name, p.total, wr_plural((long long)p.total),
             sn ? " in shard " : "", sn ? cli_val(&o[S_SHARD]) : "",
             p.evaluated, p.infeasible, p.skipped, p.elapsed_s, db);
      if (s.measure.on)
        printf("models: %" PRIu64 " measured now, %" PRIu64
               " reused from the database, %" PRIu64 " without a "
               "measurement\n",
               p.models_trained, p.models_reused, p.models_unmeasured);
    }
  }
  sweep_spec_free(&s);
  cli_opts_free(o, N_SWEEP_OPTS);
  return rc;
}

/* ---- merge -------------------------------------------------------------- */

static const char merge_usage[] =
    "OUT.db IN.db... [--busy-timeout SECONDS]\n\n"
    "Copies every point of the inputs not yet in OUT.db (by key) with its "
    "layers;\nOUT.db is created if missing. Inputs must be sweep databases "
    "of this schema\nversion. An input that is OUT.db itself (merge "
    "sweep.db *.db) is skipped with a note.";

int cmd_merge(int argc, char **argv) {
  cli_opt o[] = {CLI_BUSY_OPT};
  /* the words that are not options (nor an option's value) are paths */
  char **opt = calloc((size_t)argc + 1, sizeof *opt);
  const char **pos = calloc((size_t)argc + 1, sizeof *pos);
  int nopt = 0, npos = 0, rc = 0;
  if (!opt || !pos) {
    fprintf(stderr, "wrpnsim: out of memory\n");
    rc = EXIT_RUNTIME;
  }
  for (int i = 0; !rc && i < argc; i++) {
    if (strncmp(argv[i], "--", 2) != 0 && strcmp(argv[i], "-h") != 0) {
      pos[npos++] = argv[i];
      continue;
    }
    opt[nopt++] = argv[i];
    if (strcmp(argv[i], "--busy-timeout") == 0 && i + 1 < argc)
      opt[nopt++] = argv[++i];
  }
  if (!rc)
    rc = cli_parse("merge", merge_usage, nopt, opt, o, 1);
  if (rc == 1) {
    rc = EXIT_OK;
    goto done;
  }
  if (!rc && npos < 2) {
    fprintf(stderr, "wrpnsim merge: needs OUT.db and at least one IN.db "
                    "(see 'wrpnsim merge --help')\n");
    rc = EXIT_INPUT;
  }
  for (int i = 0; !rc && i < npos; i++)
    rc = cli_path_value("merge", i ? "IN" : "OUT", pos[i]);
  sweep_db_wait wait;
  if (!rc)
    rc = cli_busy_timeout("merge", cli_val(&o[0]), &wait);
  /* an input that is the output is skipped, not waited for: merging a
     database into itself would wait on its own lock */
  cli_path out = {"OUT", pos ? pos[0] : NULL, CLI_DB};
  int nin = 0;
  for (int i = 1; !rc && i < npos; i++) {
    cli_path in = {"IN", pos[i], CLI_DB};
    if (cli_same_file(&in, &out, NULL, NULL, 0))
      fprintf(stderr,
              "wrpnsim merge: skipping IN '%s': it is the same file as OUT "
              "'%s' (a database is not merged into itself)\n",
              pos[i], pos[0]);
    else
      pos[1 + nin++] = pos[i];
  }
  if (!rc && !nin) {
    fprintf(stderr,
            "wrpnsim merge: nothing to merge: every IN.db is OUT.db "
            "'%s'\n",
            pos[0]);
    rc = EXIT_INPUT;
  }
  if (!rc)
    rc = cli_check_output("merge", &out, NULL, 0);
  wr_err e;
  uint64_t added;
  if (!rc && sweep_merge(pos[0], pos + 1, nin, &wait, &added, &e))
    rc = cli_fail(&e);
  else if (!rc)
    printf("merged %d database%s into %s: %" PRIu64 " point%s added\n", nin,
           nin > 1 ? "s" : "", pos[0], added, added == 1 ? "" : "s");
done:
  free(opt);
  free(pos);
  cli_opts_free(o, 1);
  return rc;
}
