/* paths.c — the checks every command makes on the paths it is given,
 * before it reads or writes anything: no empty path, no output that is
 * one of the inputs (the same file by device and inode, whatever the
 * string), no output where a folder is, and the --busy-timeout wait for
 * databases another process holds.  docs/reliability.md lists the rules. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "sweep.h"

int cli_metavar_is_path(const char *metavar) {
  if (!metavar)
    return 0;
  if (strstr(metavar, "FILE") || strstr(metavar, "DIR") ||
      strcmp(metavar, "SRC") == 0)
    return 1;
  /* a file name with an extension: W.npz, FILE.cfg */
  const char *dot = strrchr(metavar, '.');
  if (!dot || !dot[1])
    return 0;
  for (const char *c = dot + 1; *c; c++)
    if (*c < 'a' || *c > 'z')
      return 0;
  return 1;
}

int cli_path_value(const char *cmd, const char *what, const char *path) {
  if (path[strspn(path, " \t\n\r\v\f")])
    return 0;
  fprintf(stderr, "wrpnsim %s: %s: '%s' is an empty path\n", cmd, what, path);
  return EXIT_INPUT;
}

/* ---- same file ----------------------------------------------------------- */

/* The files a path stands for: itself, and for a database its -wal, -shm
 * and -journal side files, which SQLite writes next to it. */
static const char *const db_side[] = {"", "-wal", "-shm", "-journal"};

static int n_side(const cli_path *p) { return p->kind == CLI_DB ? 4 : 1; }

/* stat of p's side file k; 0 when it exists. */
static int side_stat(const cli_path *p, int k, struct stat *st, char *name,
                     size_t n) {
  /* SQLite names the side files after the database with symbolic links
     resolved */
  char *real = k ? realpath(p->path, NULL) : NULL;
  snprintf(name, n, "%s%s", real ? real : p->path, db_side[k]);
  free(real);
  return stat(name, st);
}

/* "WHAT 'path'", or for side file k named `name` "'name' (the -wal file
 * of WHAT 'path')". */
static void describe(const cli_path *p, int k, const char *name, char *buf,
                     size_t n) {
  if (k)
    snprintf(buf, n, "'%s' (the %s file of %s '%s')", name, db_side[k], p->what,
             p->path);
  else
    snprintf(buf, n, "%s '%s'", p->what, p->path);
}

/* Whether x and y name one file in one existing folder (the folders
 * compared by device and inode), whether or not the file exists. */
static int same_name(const char *x, const char *y) {
  const char *sx = strrchr(x, '/'), *sy = strrchr(y, '/');
  const char *bx = sx ? sx + 1 : x, *by = sy ? sy + 1 : y;
  if (strcmp(bx, by) != 0)
    return 0;
  char dx[4096], dy[4096];
  snprintf(dx, sizeof dx, "%.*s", sx ? (int)(sx - x) + 1 : 1, sx ? x : ".");
  snprintf(dy, sizeof dy, "%.*s", sy ? (int)(sy - y) + 1 : 1, sy ? y : ".");
  struct stat a, b;
  return stat(dx, &a) == 0 && stat(dy, &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

int cli_same_file(const cli_path *a, const cli_path *b, char *da, char *db,
                  size_t n) {
  char an[4200], bn[4200];
  struct stat as, bs;
  for (int i = 0; i < n_side(a); i++) {
    int ae = side_stat(a, i, &as, an, sizeof an) == 0;
    for (int j = 0; j < n_side(b); j++) {
      int be = side_stat(b, j, &bs, bn, sizeof bn) == 0;
      /* a side file SQLite makes while a database is open (-wal, -shm)
         need not exist now to be one that will be written */
      int same = ae && be ? as.st_dev == bs.st_dev && as.st_ino == bs.st_ino
                          : (i || j) && same_name(an, bn);
      if (!same)
        continue;
      if (da)
        describe(a, i, an, da, n);
      if (db)
        describe(b, j, bn, db, n);
      return 1;
    }
  }
  return 0;
}

/* ---- outputs ------------------------------------------------------------- */

/* The folder of `path` exists: else prints why not and returns
 * EXIT_INPUT.  Trailing slashes name the path itself ("out/" is the
 * folder out, in the current folder). */
static int folder_exists(const char *cmd, const cli_path *out) {
  char dir[4096];
  size_t len = strlen(out->path);
  while (len > 1 && out->path[len - 1] == '/')
    len--;
  const char *slash = NULL;
  for (size_t i = 0; i < len; i++)
    if (out->path[i] == '/')
      slash = out->path + i;
  if (!slash)
    return 0;
  size_t n = slash == out->path ? 1 : (size_t)(slash - out->path);
  if (n >= sizeof dir)
    return 0;
  memcpy(dir, out->path, n);
  dir[n] = '\0';
  struct stat st;
  if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
    return 0;
  if (stat(dir, &st) == 0)
    fprintf(stderr, "wrpnsim %s: %s '%s': '%s' is not a folder\n", cmd,
            out->what, out->path, dir);
  else
    fprintf(stderr, "wrpnsim %s: %s '%s': the folder '%s' does not exist\n",
            cmd, out->what, out->path, dir);
  return EXIT_INPUT;
}

int cli_check_output(const char *cmd, const cli_path *out, const cli_path *ins,
                     int n_ins) {
  if (cli_path_value(cmd, out->what, out->path))
    return EXIT_INPUT;
  struct stat st;
  if (stat(out->path, &st) == 0) {
    int dir = S_ISDIR(st.st_mode);
    if (out->kind == CLI_DIR && !dir) {
      fprintf(stderr,
              "wrpnsim %s: %s '%s' exists and is not a folder (it names "
              "the folder to write into)\n",
              cmd, out->what, out->path);
      return EXIT_INPUT;
    }
    if (out->kind != CLI_DIR && dir) {
      fprintf(stderr,
              "wrpnsim %s: %s '%s' is a folder (give the name of a file to "
              "write)\n",
              cmd, out->what, out->path);
      return EXIT_INPUT;
    }
  } else if ((errno == ENOENT || errno == ENOTDIR) && folder_exists(cmd, out)) {
    return EXIT_INPUT;
  }
  for (int i = 0; i < n_ins; i++) {
    char da[9000], db[9000];
    if (!ins[i].path || !cli_same_file(out, &ins[i], da, db, sizeof da))
      continue;
    fprintf(stderr,
            "wrpnsim %s: %s is the same file as %s: refusing to overwrite "
            "an input (nothing written)\n",
            cmd, da, db);
    return EXIT_INPUT;
  }
  return 0;
}

/* ---- --busy-timeout ------------------------------------------------------ */

void cli_show_wait(const char *cmd, const char *path, double waited_s,
                   double timeout_s) {
  if (waited_s >= timeout_s)
    fprintf(stderr,
            "wrpnsim %s: %s is still locked by another process after %.1f s: "
            "giving up (--busy-timeout %g)\n",
            cmd, path, waited_s, timeout_s);
  else
    fprintf(stderr,
            "wrpnsim %s: %s is locked by another process; waiting (%.0f s "
            "of %g s, --busy-timeout)\n",
            cmd, path, waited_s, timeout_s);
  fflush(stderr);
}

static void show_wait(const char *path, double waited_s, double timeout_s,
                      void *ctx) {
  cli_show_wait(ctx, path, waited_s, timeout_s);
}

int cli_busy_timeout(const char *cmd, const char *val, sweep_db_wait *w) {
  double s = SWEEP_BUSY_TIMEOUT_S;
  if (val && cli_real("busy-timeout", val, 0, 604800, &s))
    return EXIT_INPUT;
  w->timeout_s = s;
  w->waiting = show_wait;
  w->ctx = (void *)cmd;
  return 0;
}
