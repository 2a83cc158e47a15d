/* cli.h — shared pieces of the wrpnsim binary: option parsing, result
 * tables (table/csv/json), and the exit-code convention
 * (0 ok, 1 runtime failure, 2 bad input). */
#ifndef WRPNSIM_CLI_H
#define WRPNSIM_CLI_H

#include <stdio.h>

#include "reports.h"
#include "workloads.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_INPUT = 2 };

/* ---- options ---- */
typedef struct cli_opt {
  const char *name;    /* without the leading "--" */
  const char *metavar; /* NULL for a flag */
  const char *help;    /* NULL: not offered by this command (a shared table's
                          entry it turns off): unlisted, and unknown to
                          cli_parse */
  int repeat;          /* may be given more than once */
  /* filled by cli_parse */
  const char **vals;
  int n;
} cli_opt;

/* Parses argv[0..argc) (the words after the command name) against opts.
 * Returns 0 on success, 1 if --help was asked for (usage printed to
 * stdout), EXIT_INPUT after printing an error to stderr. */
int cli_parse(const char *cmd, const char *usage, int argc, char **argv,
              cli_opt *opts, int nopts);
void cli_usage(FILE *f, const char *cmd, const char *usage, const cli_opt *opts,
               int nopts);
void cli_opts_free(cli_opt *opts, int nopts);
/* Last value of an option, or NULL. */
const char *cli_val(const cli_opt *o);

/* Prints an error from the library and returns the exit code for it. */
int cli_fail(const wr_err *e);

/* Parses a decimal number option strictly; prints an error and returns
 * EXIT_INPUT on failure. */
int cli_real(const char *opt, const char *s, double lo, double hi, double *out);
int cli_u64(const char *opt, const char *s, unsigned long long lo,
            unsigned long long hi, unsigned long long *out);

/* ---- paths (paths.c) ---- */
/* An option whose metavar names a path (FILE, DIR, SRC, or a file name
 * with an extension such as W.npz) takes a path: cli_parse refuses an
 * empty or whitespace-only value for it. */
int cli_metavar_is_path(const char *metavar);
/* 0 if `path` names something; else prints "wrpnsim CMD: WHAT: '' is an
 * empty path" and returns EXIT_INPUT. */
int cli_path_value(const char *cmd, const char *what, const char *path);

enum { CLI_FILE, CLI_DB, CLI_DIR };
/* A path a command reads or writes; `what` names it in messages ("--db",
 * "OUT").  A CLI_DB stands for its -wal, -shm and -journal files too. */
typedef struct cli_path {
  const char *what;
  const char *path; /* NULL: not given */
  int kind;
} cli_path;

/* 1 if a and b (or, for databases, their side files) are one existing file
 * (device and inode: a symbolic or hard link is the file it names); then
 * da and db[0..n) (may be NULL) describe which.  A missing file is no
 * other file. */
int cli_same_file(const cli_path *a, const cli_path *b, char *da, char *db,
                  size_t n);
/* Checks an output before anything is written: a non-empty path; a
 * CLI_FILE or CLI_DB that is not a folder, a CLI_DIR that is not a file;
 * a folder to put a new one in; and not the same file as any of
 * ins[0..n_ins) (entries with a NULL path are skipped).  0, or prints why
 * and returns EXIT_INPUT. */
int cli_check_output(const char *cmd, const cli_path *out, const cli_path *ins,
                     int n_ins);

/* The --busy-timeout SECONDS option of the commands that open sweep
 * databases. */
#define CLI_BUSY_OPT                                                           \
  {                                                                            \
    "busy-timeout", "SECONDS",                                                 \
        "wait this long for a database another process holds locked "          \
        "(default 60)",                                                        \
        0, NULL, 0                                                             \
  }
struct sweep_db_wait;
/* Fills *w from --busy-timeout's value (NULL: the default): waiting lines
 * on stderr, one a second, naming the database.  EXIT_INPUT (printed) for
 * a value that is not a number of seconds in 0..604800. */
int cli_busy_timeout(const char *cmd, const char *val, struct sweep_db_wait *w);
/* The waiting line cli_busy_timeout's callback prints (for a command that
 * wraps it, e.g. to end a progress bar's line first). */
void cli_show_wait(const char *cmd, const char *path, double waited_s,
                   double timeout_s);

/* ---- result tables ---- */
/* The formats of a result table: those of the reports module. */
typedef enum {
  FMT_TABLE = RP_FMT_TABLE,
  FMT_CSV = RP_FMT_CSV,
  FMT_JSON = RP_FMT_JSON
} cli_format;

/* Parses --format (NULL = table); prints an error on failure. */
int cli_format_parse(const char *s, cli_format *out);

/* A result table: the reports module's table (rp_table), filled from
 * printf'd rows. */
typedef struct cli_table {
  rp_table *t;
} cli_table;

/* Columns: names, with a leading '#' marking a numeric column (copied:
 * the caller's strings need not outlive the table).  On failure the
 * caller still frees with cli_table_free. */
int cli_table_init(cli_table *t, int ncols, const char *const *cols);
/* Appends a row of ncols printf'd cells: fmt is one printf format per
 * cell joined by '\t' (missing cells are empty; the row is cut at 4095
 * bytes).  0, or EXIT_RUNTIME when out of memory. */
int cli_table_row(cli_table *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints it as rp_table_print does. */
void cli_table_print(const cli_table *t, cli_format f, FILE *out);
void cli_table_free(cli_table *t);

/* ---- network options ---- */
/* The options of every command that takes a network, first in its option
 * table, in this order. */
/* (a table clang-format would realign into nonsense: kept as written) */
// clang-format off
#define NET_OPTS                                                               \
  {"net", "NAME|FILE", "zoo network or workload YAML file (required)", 0,     \
   NULL, 0},                                                                   \
  {"width", "K", "width multiplier, any real > 0 (default 1)", 0, NULL, 0},    \
  {"prec", "A/W", "default precision (default: the workload's)", 0, NULL, 0},  \
  {"fp32", "LIST", "layers kept FP32: none, or first,last,PATTERN...", 0,      \
   NULL, 0},                                                                   \
  {"layer-prec", "PAT=A/W", "per-layer precision override (repeatable)", 1,    \
   NULL, 0},                                                                   \
  {"format", "FMT", "table, csv or json (default table)", 0, NULL, 0}
// clang-format on
enum { O_NET, O_WIDTH, O_PREC, O_FP32, O_LAYER_PREC, O_FORMAT, N_NET_OPTS };

/* Loads --net, applies --width, --prec, --fp32 and --layer-prec.  Returns
 * the network, or NULL with *rc the exit code (the error printed). */
wr_net *cli_load_net(cli_opt *o, int *rc);

/* cli_parse plus --format: returns 0 to go on, -1 when --help was printed,
 * or the exit code of a usage error (printed). */
int cli_parse_net_cmd(const char *cmd, const char *usage, int argc, char **argv,
                      cli_opt *o, int n, cli_format *fmt);

/* Parses a command whose only option is --format: 0 to go on, -1 when
 * --help was printed, or the exit code of a usage error (printed). */
int cli_parse_format_cmd(const char *cmd, int argc, char **argv,
                         cli_format *fmt);

/* ---- commands ---- */
int cmd_zoo(int argc, char **argv);
int cmd_net(int argc, char **argv);
int cmd_cost(int argc, char **argv);
int cmd_footprint(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_weights(int argc, char **argv);
int cmd_presets(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Runs `wrpnsim CMD ARGS...` again with OPENBLAS_CORETYPE set when
 * OpenBLAS misdetects the CPU (sim_blas_coretype); returns when no re-run
 * is needed or it failed (the run goes on with the generic kernels). */
void cli_blas_rerun(const char *cmd, int argc, char **argv);

#endif
