/* precision.c — A/W precision pairs and precision policies (which layers
 * run at which activation and weight bits). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads.h"

static int parse_bits(const char *s, const char *end, int *out) {
  if (s == end || end - s > 2)
    return 0;
  int v = 0;
  for (const char *p = s; p < end; p++) {
    if (*p < '0' || *p > '9')
      return 0;
    v = v * 10 + (*p - '0');
  }
  if (!((v >= 1 && v <= WR_MAX_INT_BITS) || v == WR_FP32_BITS))
    return 0;
  *out = v;
  return 1;
}

int wr_prec_parse(const char *text, const char *what, wr_prec *out, wr_err *e) {
  const char *slash = text ? strchr(text, '/') : NULL;
  wr_prec p;
  if (!slash || !parse_bits(text, slash, &p.a_bits) ||
      !parse_bits(slash + 1, slash + strlen(slash), &p.w_bits))
    return wr_err_set(e, WR_EINPUT,
                      "%s: '%s' is not a precision A/W (activation bits / "
                      "weight bits, each 1..16 or 32 for FP32)",
                      what, text ? text : "");
  *out = p;
  return WR_OK;
}

const char *wr_prec_str(wr_prec p, char *buf, size_t n) {
  snprintf(buf, n, "%d/%d", p.a_bits, p.w_bits);
  return buf;
}

void wr_policy_clear(wr_policy *p) {
  for (size_t i = 0; i < p->n_fp32_patterns; i++)
    free(p->fp32_patterns[i]);
  free(p->fp32_patterns);
  for (size_t i = 0; i < p->n_rules; i++)
    free(p->rules[i].pattern);
  free(p->rules);
  memset(p, 0, sizeof *p);
}

static int add_pattern(wr_policy *p, const char *pat, size_t len) {
  char **np = realloc(p->fp32_patterns, (p->n_fp32_patterns + 1) * sizeof *np);
  if (!np)
    return WR_ENOMEM;
  p->fp32_patterns = np;
  if (!(np[p->n_fp32_patterns] = strndup(pat, len)))
    return WR_ENOMEM;
  p->n_fp32_patterns++;
  return WR_OK;
}

int wr_policy_add_rule(wr_policy *p, const char *pattern, wr_prec prec,
                       wr_err *e) {
  wr_prec_rule *nr = realloc(p->rules, (p->n_rules + 1) * sizeof *nr);
  if (!nr)
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  p->rules = nr;
  if (!(nr[p->n_rules].pattern = strdup(pattern)))
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  nr[p->n_rules].prec = prec;
  p->n_rules++;
  return WR_OK;
}

int wr_policy_copy(wr_policy *dst, const wr_policy *src, wr_err *e) {
  memset(dst, 0, sizeof *dst);
  dst->def = src->def;
  dst->fp32_first = src->fp32_first;
  dst->fp32_last = src->fp32_last;
  for (size_t i = 0; i < src->n_fp32_patterns; i++)
    if (add_pattern(dst, src->fp32_patterns[i],
                    strlen(src->fp32_patterns[i]))) {
      wr_policy_clear(dst);
      return wr_err_set(e, WR_ENOMEM, "out of memory");
    }
  for (size_t i = 0; i < src->n_rules; i++)
    if (wr_policy_add_rule(dst, src->rules[i].pattern, src->rules[i].prec, e)) {
      wr_policy_clear(dst);
      return WR_ENOMEM;
    }
  return WR_OK;
}

int wr_policy_set_fp32(wr_policy *p, const char *list, wr_err *e) {
  for (size_t i = 0; i < p->n_fp32_patterns; i++)
    free(p->fp32_patterns[i]);
  free(p->fp32_patterns);
  p->fp32_patterns = NULL;
  p->n_fp32_patterns = 0;
  p->fp32_first = p->fp32_last = 0;
  if (strcmp(list, "none") == 0)
    return WR_OK;
  const char *s = list;
  for (;;) {
    const char *comma = strchr(s, ',');
    size_t len = comma ? (size_t)(comma - s) : strlen(s);
    if (len == 0)
      return wr_err_set(e, WR_EINPUT,
                        "--fp32: '%s' has an empty item (expected none, or "
                        "first, last and layer name patterns separated by "
                        "commas)",
                        list);
    if (len == 5 && strncmp(s, "first", 5) == 0)
      p->fp32_first = 1;
    else if (len == 4 && strncmp(s, "last", 4) == 0)
      p->fp32_last = 1;
    else if (add_pattern(p, s, len))
      return wr_err_set(e, WR_ENOMEM, "out of memory");
    if (!comma)
      return WR_OK;
    s = comma + 1;
  }
}

/* ---- accumulator rules ----------------------------------------------------
 */

const char *const wr_overflow_names[3] = {"saturate", "wrap", "error"};
const char *const wr_requant_names[2] = {"float", "fixed"};
const char *const wr_round_names[3] = {"rne", "half-up", "floor"};

/* The index of `s` among the n names, or -1. */
static int name_index(const char *s, const char *const *names, int n) {
  for (int i = 0; i < n; i++)
    if (strcmp(s, names[i]) == 0)
      return i;
  return -1;
}

int wr_overflow_parse(const char *s, wr_overflow *out, wr_err *e) {
  int i = name_index(s, wr_overflow_names, 3);
  if (i < 0)
    return wr_err_set(e, WR_EINPUT,
                      "overflow rule '%s': expected saturate, wrap or error",
                      s);
  *out = (wr_overflow)i;
  return WR_OK;
}

int wr_round_parse(const char *s, wr_round *out, wr_err *e) {
  int i = name_index(s, wr_round_names, 3);
  if (i < 0)
    return wr_err_set(e, WR_EINPUT,
                      "rounding '%s': expected rne, half-up or floor", s);
  *out = (wr_round)i;
  return WR_OK;
}
