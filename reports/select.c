/* select.c — filters over design points (--where, constraints), the best
 * design per group under a constraint, and finding a design's baseline. */
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports.h"
#include "reports_internal.h"

typedef enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } op_kind;

typedef struct clause {
  int attr;   /* attribute column, or -1 */
  int metric; /* metric column, or -1 */
  op_kind op;
  char value[128];
  double num; /* value as a number (metrics, ordered attribute compares) */
} clause;

struct rp_filter {
  clause *c;
  int n;
};

void rp_filter_free(rp_filter *f) {
  if (f) {
    free(f->c);
    free(f);
  }
}

static int parse_clause(const rp_set *s, const char *text, const char *what,
                        clause *c, wr_err *e) {
  static const struct {
    const char *tok;
    op_kind op;
  } ops[] = {{"<=", OP_LE}, {">=", OP_GE}, {"!=", OP_NE}, {"==", OP_EQ},
             {"=", OP_EQ},  {"<", OP_LT},  {">", OP_GT}};
  const char *at = NULL;
  size_t toklen = 0;
  for (const char *p = text; *p && !at; p++)
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
      if (strncmp(p, ops[i].tok, strlen(ops[i].tok)) == 0) {
        at = p;
        toklen = strlen(ops[i].tok);
        c->op = ops[i].op;
        break;
      }
  if (!at)
    return wr_err_set(e, WR_EINPUT,
                      "%s: '%s' is not NAME OP VALUE (OP one of = != < <= > "
                      ">=)",
                      what, text);
  char name[128];
  rp_trim_copy(text, at, name, sizeof name);
  rp_trim_copy(at + toklen, text + strlen(text), c->value, sizeof c->value);
  size_t vl = strlen(c->value);
  if (vl >= 2 && (c->value[0] == '\'' || c->value[0] == '"') &&
      c->value[vl - 1] == c->value[0]) {
    memmove(c->value, c->value + 1, vl - 2);
    c->value[vl - 2] = '\0';
  }
  if (!name[0] || !c->value[0])
    return wr_err_set(e, WR_EINPUT, "%s: '%s' lacks a name or a value", what,
                      text);
  c->attr = rp_col(&s->attrs, name);
  c->metric = c->attr < 0 ? rp_metric_col(s, name) : -1;
  if (c->attr < 0 && c->metric < 0)
    return wr_err_set(e, WR_EINPUT,
                      "%s: '%s' is neither an attribute nor a metric of the "
                      "points",
                      what, name);
  char *end;
  c->num = strtod(c->value, &end);
  int numeric = end != c->value && *end == '\0' && !isnan(c->num);
  int ordered = c->op != OP_EQ && c->op != OP_NE;
  if ((c->metric >= 0 || ordered) && !numeric)
    return wr_err_set(e, WR_EINPUT, "%s: '%s' is not a number in '%s'", what,
                      c->value, text);
  return WR_OK;
}

rp_filter *rp_filter_parse(const rp_set *s, const char *expr, const char *what,
                           wr_err *e) {
  rp_filter *f = calloc(1, sizeof *f);
  size_t len = strlen(expr);
  if (!f || !(f->c = calloc(len / 2 + 1, sizeof *f->c))) {
    free(f);
    wr_err_set(e, WR_ENOMEM, "out of memory");
    return NULL;
  }
  const char *p = expr;
  for (;;) {
    const char *comma = strchr(p, ','), *and = strstr(p, " and ");
    const char *end = comma && (!and || comma < and) ? comma : and;
    if (!end)
      end = p + strlen(p);
    char text[256];
    rp_trim_copy(p, end, text, sizeof text);
    if (!text[0]) {
      wr_err_set(e, WR_EINPUT, "%s: an empty condition in '%s'", what, expr);
      rp_filter_free(f);
      return NULL;
    }
    if (parse_clause(s, text, what, &f->c[f->n], e)) {
      rp_filter_free(f);
      return NULL;
    }
    f->n++;
    if (!*end)
      return f;
    p = end + (*end == ',' ? 1 : 5);
  }
}

static int holds(op_kind op, int cmp) {
  switch (op) {
  case OP_EQ:
    return cmp == 0;
  case OP_NE:
    return cmp != 0;
  case OP_LT:
    return cmp < 0;
  case OP_LE:
    return cmp <= 0;
  case OP_GT:
    return cmp > 0;
  default:
    return cmp >= 0;
  }
}

static int clause_match(const clause *c, const rp_set *s, int p) {
  if (c->attr >= 0) {
    const char *v = rp_attr(s, p, c->attr);
    if (!v)
      v = "";
    if (c->op == OP_EQ || c->op == OP_NE)
      return holds(c->op, fnmatch(c->value, v, 0) == 0 ? 0 : 1);
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end)
      return 0;
    return holds(c->op, (x > c->num) - (x < c->num));
  }
  double x = rp_metric(s, p, c->metric);
  if (isnan(x))
    return 0;
  if (c->op == OP_EQ || c->op == OP_NE)
    return holds(c->op, x == c->num ? 0 : 1);
  return holds(c->op, (x > c->num) - (x < c->num));
}

int rp_filter_match(const rp_filter *f, const rp_set *s, int p) {
  for (int i = 0; i < f->n; i++)
    if (!clause_match(&f->c[i], s, p))
      return 0;
  return 1;
}

int rp_select(const rp_set *s, const rp_filter *f, int *idx) {
  int n = 0;
  for (int p = 0; p < s->n_points; p++)
    if (!f || rp_filter_match(f, s, p))
      idx[n++] = p;
  return n;
}

static int same_attr(const rp_set *s, int p, int q, int col) {
  const char *a = rp_attr(s, p, col), *b = rp_attr(s, q, col);
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int rp_group(const rp_set *s, const int *idx, int n, int col, int *grp,
             int *first) {
  int ng = 0;
  for (int i = 0; i < n; i++) {
    int g = 0;
    while (g < ng && !same_attr(s, idx[i], first[g], col))
      g++;
    if (g == ng)
      first[ng++] = idx[i];
    grp[i] = g;
  }
  return ng;
}

int rp_best(const rp_set *s, const int *idx, int n, int group,
            const rp_filter *constraint, const rp_objective *obj, int *first,
            int *best, wr_err *e) {
  if (obj->metric < 0 || obj->metric >= s->metrics.n) {
    wr_err_set(e, WR_EINPUT, "best design: objective column %d is not a metric",
               obj->metric);
    return -1;
  }
  if (group < -1 || group >= s->attrs.n) {
    wr_err_set(e, WR_EINPUT, "best design: group column %d is not an attribute",
               group);
    return -1;
  }
  int *grp = malloc((size_t)(n > 0 ? n : 1) * sizeof *grp);
  if (!grp) {
    wr_err_set(e, WR_ENOMEM, "out of memory");
    return -1;
  }
  int ng = rp_group(s, idx, n, group, grp, first);
  for (int g = 0; g < ng; g++)
    best[g] = -1;
  for (int i = 0; i < n; i++) {
    int p = idx[i], g = grp[i];
    if (constraint && !rp_filter_match(constraint, s, p))
      continue;
    double v = rp_metric(s, p, obj->metric);
    if (isnan(v))
      continue;
    double b = best[g] < 0 ? NAN : rp_metric(s, best[g], obj->metric);
    if (best[g] < 0 || (obj->maximize ? v > b : v < b))
      best[g] = p;
  }
  free(grp);
  return ng;
}

int rp_find_baseline(const rp_set *s, int p, int attr, const char *name,
                     const int *match, int n_match) {
  for (int q = 0; q < s->n_points; q++) {
    const char *v = rp_attr(s, q, attr);
    if (!v || strcmp(v, name) != 0)
      continue;
    int ok = 1;
    for (int i = 0; i < n_match && ok; i++)
      ok = same_attr(s, p, q, match[i]);
    if (ok)
      return q;
  }
  return -1;
}
