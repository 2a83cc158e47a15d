/* error.c — the one error-reporting path of libwrpnsim: a status and a
 * message, with "file:line:col:" in front for problems in input files. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "workloads.h"

void wr_err_clear(wr_err *e) {
  if (!e)
    return;
  e->status = WR_OK;
  e->msg[0] = '\0';
}

static void vset(wr_err *e, int status, const char *prefix, const char *fmt,
                 va_list ap) {
  size_t n = 0;
  e->status = status;
  if (prefix) {
    snprintf(e->msg, sizeof e->msg, "%s", prefix);
    n = strlen(e->msg);
  }
  vsnprintf(e->msg + n, sizeof e->msg - n, fmt, ap);
}

int(wr_err_set)(wr_err *e, int status, const char *fmt, ...) {
  if (!e)
    return status;
  va_list ap;
  va_start(ap, fmt);
  vset(e, status, NULL, fmt, ap);
  va_end(ap);
  return status;
}

int(wr_err_at)(wr_err *e, const char *file, int line, int col, const char *fmt,
               ...) {
  if (!e)
    return WR_EINPUT;
  char prefix[512];
  if (line > 0 && col > 0)
    snprintf(prefix, sizeof prefix, "%s:%d:%d: ", file, line, col);
  else if (line > 0)
    snprintf(prefix, sizeof prefix, "%s:%d: ", file, line);
  else
    snprintf(prefix, sizeof prefix, "%s: ", file);
  va_list ap;
  va_start(ap, fmt);
  vset(e, WR_EINPUT, prefix, fmt, ap);
  va_end(ap);
  return WR_EINPUT;
}
