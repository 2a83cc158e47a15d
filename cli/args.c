/* args.c — option parsing for the wrpnsim subcommands: "--name value",
 * "--name=value" and flags; anything else is a usage error (exit 2). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sim.h"

void cli_usage(FILE *f, const char *cmd, const char *usage, const cli_opt *opts,
               int nopts) {
  fprintf(f, "usage: wrpnsim %s %s\n\noptions:\n", cmd, usage);
  for (int i = 0; i < nopts; i++) {
    if (!opts[i].help)
      continue; /* not offered by this command */
    char left[64];
    snprintf(left, sizeof left, "--%s%s%s", opts[i].name,
             opts[i].metavar ? " " : "",
             opts[i].metavar ? opts[i].metavar : "");
    fprintf(f, "  %-24s %s\n", left, opts[i].help);
  }
  fprintf(f, "  %-24s %s\n", "--help", "show this help");
}

int cli_parse(const char *cmd, const char *usage, int argc, char **argv,
              cli_opt *opts, int nopts) {
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      cli_usage(stdout, cmd, usage, opts, nopts);
      return 1;
    }
    if (strncmp(a, "--", 2) != 0) {
      fprintf(stderr,
              "wrpnsim %s: unexpected argument '%s' (see 'wrpnsim %s "
              "--help')\n",
              cmd, a, cmd);
      return EXIT_INPUT;
    }
    /* the name: the len characters after "--", up to any '=' */
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
    cli_opt *o = NULL;
    for (int j = 0; j < nopts && !o; j++)
      if (opts[j].help && strlen(opts[j].name) == len &&
          memcmp(opts[j].name, a + 2, len) == 0)
        o = &opts[j];
    if (!o) {
      fprintf(stderr,
              "wrpnsim %s: unknown option '%.*s' (see 'wrpnsim %s "
              "--help')\n",
              cmd, (int)len + 2, a, cmd);
      return EXIT_INPUT;
    }
    const char *val = "";
    if (o->metavar) {
      if (eq) {
        val = eq + 1;
      } else if (i + 1 < argc) {
        val = argv[++i];
      } else {
        fprintf(stderr, "wrpnsim %s: option --%s needs a value (%s)\n", cmd,
                o->name, o->metavar);
        return EXIT_INPUT;
      }
    } else if (eq) {
      fprintf(stderr, "wrpnsim %s: option --%s takes no value\n", cmd, o->name);
      return EXIT_INPUT;
    }
    if (cli_metavar_is_path(o->metavar)) {
      char what[64];
      snprintf(what, sizeof what, "--%s", o->name);
      if (cli_path_value(cmd, what, val))
        return EXIT_INPUT;
    }
    if (o->n && !o->repeat) {
      fprintf(stderr, "wrpnsim %s: option --%s given twice\n", cmd, o->name);
      return EXIT_INPUT;
    }
    const char **nv = realloc(o->vals, (size_t)(o->n + 1) * sizeof *nv);
    if (!nv) {
      fprintf(stderr, "wrpnsim: out of memory\n");
      return EXIT_RUNTIME;
    }
    o->vals = nv;
    o->vals[o->n++] = val;
  }
  return 0;
}

void cli_opts_free(cli_opt *opts, int nopts) {
  for (int i = 0; i < nopts; i++) {
    free(opts[i].vals);
    opts[i].vals = NULL;
    opts[i].n = 0;
  }
}

const char *cli_val(const cli_opt *o) {
  return o->n ? o->vals[o->n - 1] : NULL;
}

int cli_fail(const wr_err *e) {
  fprintf(stderr, "wrpnsim: %s\n", e->msg[0] ? e->msg : "failed");
  return e->status == WR_EINPUT ? EXIT_INPUT : EXIT_RUNTIME;
}

int cli_real(const char *opt, const char *s, double lo, double hi,
             double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (!*s || *end || errno || !(v >= lo && v <= hi)) {
    fprintf(stderr, "wrpnsim: --%s: '%s' is not a number in %g..%g\n", opt, s,
            lo, hi);
    return EXIT_INPUT;
  }
  *out = v;
  return 0;
}

int cli_u64(const char *opt, const char *s, unsigned long long lo,
            unsigned long long hi, unsigned long long *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (!*s || *end || *s == '-' || errno || v < lo || v > hi) {
    fprintf(stderr, "wrpnsim: --%s: '%s' is not a whole number in %llu..%llu\n",
            opt, s, lo, hi);
    return EXIT_INPUT;
  }
  *out = v;
  return 0;
}

void cli_blas_rerun(const char *cmd, int argc, char **argv) {
  const char *core = sim_blas_coretype();
  char **args = core ? calloc((size_t)argc + 3, sizeof *args) : NULL;
  if (!args)
    return;
  args[0] = "wrpnsim";
  args[1] = (char *)cmd;
  for (int i = 0; i < argc; i++)
    args[i + 2] = argv[i];
  setenv("OPENBLAS_CORETYPE", core, 1);
  execv("/proc/self/exe", args);
  free(args);
}
