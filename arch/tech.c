/*
 * tech.c — technology tables (arch/tech/): loading, log-log
 * interpolation of their curves with GSL, and the memory energies and
 * the area model built on them (docs/arch.md, "Energy and area"); the MAC
 * families' energy and PE area are arch/mac.c's.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arch_internal.h"

extern const wr_embedded arch_tech_entries[];
extern const size_t arch_tech_n;

size_t arch_tech_count(void) { return arch_tech_n; }
const char *arch_tech_entry(size_t i) {
  return i < arch_tech_n ? arch_tech_entries[i].name : NULL;
}
const char *arch_tech_name(const arch_tech *t) { return t->name; }

/* ---- curves ------------------------------------------------------------- */

static double end_slope(const tech_curve *c, int i) {
  return (c->ly[i + 1] - c->ly[i]) / (c->lx[i + 1] - c->lx[i]);
}

double tech_curve_at(const tech_curve *c, double x) {
  if (c->n == 0)
    return 0;
  if (c->n == 1)
    return exp(c->ly[0]);
  double lx = log(x);
  if (lx <= c->lx[0])
    return exp(c->ly[0] + end_slope(c, 0) * (lx - c->lx[0]));
  if (lx >= c->lx[c->n - 1])
    return exp(c->ly[c->n - 1] +
               end_slope(c, c->n - 2) * (lx - c->lx[c->n - 1]));
  return exp(gsl_interp_eval(c->interp, c->lx, c->ly, lx, NULL));
}

static void curve_free(tech_curve *c) {
  if (c->interp)
    gsl_interp_free(c->interp);
  c->interp = NULL;
}

void arch_tech_free(arch_tech *t) {
  if (!t)
    return;
  tech_curve *cs[] = {&t->int_add,  &t->int_mult,  &t->sram_pj64, &t->sram_mm2,
                      &t->fixed_pj, &t->fixed_um2, &t->flex_pj,   &t->flex_um2};
  for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
    curve_free(cs[i]);
  free(t->name);
  free(t->source);
  free(t);
}

/* Points (x_i, y_i), x strictly increasing, all positive. */
static int curve_set(ydoc *d, yaml_node_t *at, tech_curve *c, const double *x,
                     const double *y, int n, const char *field, wr_err *e) {
  if (n < 1 || n > TECH_MAX_POINTS)
    return yerr(d, at, e, "%s: expected 1..%d points", field, TECH_MAX_POINTS);
  for (int i = 0; i < n; i++) {
    if (!(x[i] > 0) || !(y[i] > 0))
      return yerr(d, at, e, "%s: values must be positive", field);
    if (i && !(x[i] > x[i - 1]))
      return yerr(d, at, e, "%s: points must be in increasing order", field);
    c->lx[i] = log(x[i]);
    c->ly[i] = log(y[i]);
  }
  c->n = n;
  if (n >= 2) {
    c->interp = gsl_interp_alloc(gsl_interp_linear, (size_t)n);
    if (!c->interp)
      return wr_err_set(e, WR_ENOMEM, "out of memory");
    gsl_interp_init(c->interp, c->lx, c->ly, (size_t)n);
  }
  return WR_OK;
}

/* {x: y, ...} */
static int curve_map(ydoc *d, yaml_node_t *n, const char *field, tech_curve *c,
                     wr_err *e) {
  double x[TECH_MAX_POINTS], y[TECH_MAX_POINTS];
  int k = 0;
  if (!n || n->type != YAML_MAPPING_NODE)
    return yerr(d, n, e, "%s: expected a mapping {x: y, ...}", field);
  if (ymap_check(d, n, NULL, field, e))
    return WR_EINPUT;
  for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
       p < n->data.mapping.pairs.top; p++) {
    if (k == TECH_MAX_POINTS)
      return yerr(d, n, e, "%s: more than %d points", field, TECH_MAX_POINTS);
    if (yreal(d, ydoc_node(d, p->key), 1e-9, 1e12, field, &x[k], e) ||
        yreal(d, ydoc_node(d, p->value), 1e-12, 1e12, field, &y[k], e))
      return WR_EINPUT;
    k++;
  }
  return curve_set(d, n, c, x, y, k, field, e);
}

static int real_list(ydoc *d, yaml_node_t *n, const char *field, double *v,
                     int *count, wr_err *e) {
  if (!n || n->type != YAML_SEQUENCE_NODE || yseq_len(n) == 0 ||
      yseq_len(n) > TECH_MAX_POINTS)
    return yerr(d, n, e, "%s: expected a list of 1..%d numbers", field,
                TECH_MAX_POINTS);
  *count = yseq_len(n);
  for (int i = 0; i < *count; i++)
    if (yreal(d, yseq_at(d, n, i), 1e-12, 1e12, field, &v[i], e))
      return WR_EINPUT;
  return WR_OK;
}

/* {bits: [...], pj_per_cycle: [...], um2: [...]} */
static int element_table(ydoc *d, yaml_node_t *n, const char *field,
                         tech_curve *pj, tech_curve *um2, wr_err *e) {
  static const char *const keys[] = {"bits", "pj_per_cycle", "um2", NULL};
  double b[TECH_MAX_POINTS], p[TECH_MAX_POINTS], a[TECH_MAX_POINTS];
  int nb, np, na;
  char f[96];
  if (ymap_check(d, n, keys, field, e))
    return WR_EINPUT;
  snprintf(f, sizeof f, "%s 'bits'", field);
  if (real_list(d, ymap_get(d, n, "bits"), f, b, &nb, e))
    return WR_EINPUT;
  snprintf(f, sizeof f, "%s 'pj_per_cycle'", field);
  if (real_list(d, ymap_get(d, n, "pj_per_cycle"), f, p, &np, e))
    return WR_EINPUT;
  snprintf(f, sizeof f, "%s 'um2'", field);
  if (real_list(d, ymap_get(d, n, "um2"), f, a, &na, e))
    return WR_EINPUT;
  if (np != nb || na != nb)
    return yerr(d, n, e, "%s: bits, pj_per_cycle and um2 need equal lengths",
                field);
  return curve_set(d, n, pj, b, p, nb, field, e) ||
         curve_set(d, n, um2, b, a, nb, field, e);
}

static int real_key(ydoc *d, yaml_node_t *root, const char *key, double *out,
                    wr_err *e) {
  yaml_node_t *n = ymap_get(d, root, key);
  if (!n)
    return yerr(d, root, e, "technology table: missing field '%s'", key);
  return yreal(d, n, 0, 1e12, key, out, e);
}

static int load_absolute(ydoc *d, yaml_node_t *root, arch_tech *t, wr_err *e) {
  static const char *const keys[] = {
      "name",          "node_nm",       "source",
      "int_add_pj",    "int_mult_pj",   "fp32_add_pj",
      "fp32_mult_pj",  "fp32_add_um2",  "fp32_mult_um2",
      "sram_64bit_pj", "dram_64bit_pj", "pe_fixed",
      "pe_flexible",   "sram_area_mm2", NULL};
  static const char *const dkeys[] = {"low", "high", NULL};
  yaml_node_t *n;
  double lo, hi;
  if (ymap_check(d, root, keys, "technology table", e) ||
      curve_map(d, ymap_get(d, root, "int_add_pj"), "int_add_pj", &t->int_add,
                e) ||
      curve_map(d, ymap_get(d, root, "int_mult_pj"), "int_mult_pj",
                &t->int_mult, e) ||
      real_key(d, root, "fp32_add_pj", &t->fp32_add_pj, e) ||
      real_key(d, root, "fp32_mult_pj", &t->fp32_mult_pj, e) ||
      real_key(d, root, "fp32_add_um2", &t->fp32_add_um2, e) ||
      real_key(d, root, "fp32_mult_um2", &t->fp32_mult_um2, e) ||
      curve_map(d, ymap_get(d, root, "sram_64bit_pj"), "sram_64bit_pj",
                &t->sram_pj64, e) ||
      curve_map(d, ymap_get(d, root, "sram_area_mm2"), "sram_area_mm2",
                &t->sram_mm2, e))
    return WR_EINPUT;
  n = ymap_get(d, root, "dram_64bit_pj");
  if (!n)
    return yerr(d, root, e, "technology table: missing field 'dram_64bit_pj'");
  if (ymap_check(d, n, dkeys, "dram_64bit_pj", e) ||
      real_key(d, n, "low", &lo, e) || real_key(d, n, "high", &hi, e))
    return WR_EINPUT;
  if (hi < lo)
    return yerr(d, n, e, "dram_64bit_pj: high is below low");
  t->dram_pj_per_bit = lo / 64;
  n = ymap_get(d, root, "pe_fixed");
  if (!n)
    return yerr(d, root, e, "technology table: missing field 'pe_fixed'");
  if (element_table(d, n, "pe_fixed", &t->fixed_pj, &t->fixed_um2, e))
    return WR_EINPUT;
  n = ymap_get(d, root, "pe_flexible");
  if (!n)
    return yerr(d, root, e, "technology table: missing field 'pe_flexible'");
  return element_table(d, n, "pe_flexible", &t->flex_pj, &t->flex_um2, e);
}

static arch_tech *tech_load(const char *name, int depth, wr_err *e);

static int load_normalized(ydoc *d, yaml_node_t *root, arch_tech *t, int depth,
                           wr_err *e) {
  static const char *const keys[] = {
      "name",  "node_nm",       "source",   "anchor",        "relative_to",
      "mac16", "register_file", "pe_to_pe", "global_buffer", "dram",
      NULL};
  yaml_node_t *n;
  const char *anchor, *rel;
  double mac16, pe;
  if (ymap_check(d, root, keys, "technology table", e) ||
      !(n = ymap_get(d, root, "relative_to")) ||
      ystr(d, n, "relative_to", &rel, e))
    return e->status ? e->status
                     : yerr(d, root, e,
                            "technology table: missing field 'relative_to'");
  if (strcmp(rel, "mac16") != 0)
    return yerr(d, n, e, "relative_to: only 'mac16' is known");
  n = ymap_get(d, root, "anchor");
  if (!n)
    return yerr(d, root, e, "technology table: missing field 'anchor'");
  if (ystr(d, n, "anchor", &anchor, e))
    return WR_EINPUT;
  if (depth > 0)
    return yerr(d, n, e, "anchor: an anchor table can't be normalized itself");
  if (real_key(d, root, "mac16", &mac16, e) ||
      real_key(d, root, "register_file", &t->rel_rf, e) ||
      real_key(d, root, "pe_to_pe", &pe, e) ||
      real_key(d, root, "global_buffer", &t->rel_buffer, e) ||
      real_key(d, root, "dram", &t->rel_dram, e))
    return WR_EINPUT;
  if (mac16 != 1)
    return yerr(d, ymap_get(d, root, "mac16"), e,
                "mac16: the unit of a normalized table must be 1");
  wr_err sub;
  arch_tech *a = tech_load(anchor, depth + 1, &sub);
  if (!a)
    return yerr(d, n, e, "anchor '%s': %s", anchor, sub.msg);
  /* take the anchor's curves */
  char *nm = t->name, *src = t->source;
  double rf = t->rel_rf, buf = t->rel_buffer, dr = t->rel_dram;
  int node = t->node_nm;
  *t = *a;
  free(a->name);
  free(a->source);
  free(a);
  t->name = nm;
  t->source = src;
  t->node_nm = node;
  t->normalized = 1;
  t->rel_rf = rf;
  t->rel_buffer = buf;
  t->rel_dram = dr;
  return WR_OK;
}

static arch_tech *tech_load(const char *name, int depth, wr_err *e) {
  size_t len;
  const char *text =
      wr_embedded_text(arch_tech_entries, arch_tech_n, name, &len);
  if (!text) {
    wr_err_set(e, WR_EINPUT, "no technology table '%s' (arch/tech/%s.yaml)",
               name, name);
    return NULL;
  }
  char file[256];
  snprintf(file, sizeof file, "arch/tech/%s.yaml", name);
  arch_tech *t = calloc(1, sizeof *t);
  ydoc d;
  if (!t) {
    wr_err_set(e, WR_ENOMEM, "out of memory");
    return NULL;
  }
  if (ydoc_load(&d, text, len, file, e)) {
    free(t);
    return NULL;
  }
  yaml_node_t *root = ydoc_root(&d), *n;
  const char *s;
  int64_t node = 0;
  int rc = WR_OK;
  if (root->type != YAML_MAPPING_NODE)
    rc = yerr(&d, root, e, "technology table: expected a mapping");
  if (!rc && (!(n = ymap_get(&d, root, "name")) || ystr(&d, n, "name", &s, e)))
    rc = e->status
             ? e->status
             : yerr(&d, root, e, "technology table: missing field 'name'");
  if (!rc && !(t->name = strdup(s)))
    rc = wr_err_set(e, WR_ENOMEM, "out of memory");
  if (!rc && (n = ymap_get(&d, root, "source"))) {
    if (ystr(&d, n, "source", &s, e))
      rc = WR_EINPUT;
    else if (!(t->source = strdup(s)))
      rc = wr_err_set(e, WR_ENOMEM, "out of memory");
  }
  if (!rc && (n = ymap_get(&d, root, "node_nm"))) {
    rc = yint(&d, n, 1, 100000, "node_nm", &node, e);
    t->node_nm = (int)node;
  }
  if (!rc)
    rc = ymap_get(&d, root, "anchor") ? load_normalized(&d, root, t, depth, e)
                                      : load_absolute(&d, root, t, e);
  ydoc_free(&d);
  if (rc) {
    arch_tech_free(t);
    return NULL;
  }
  return t;
}

arch_tech *arch_tech_open(const char *name, wr_err *e) {
  return tech_load(name, 0, e);
}

/* ---- energy and area ---------------------------------------------------- */

/* the 16-bit MAC a normalized table counts in */
static double mac16_pj(const arch_tech *t) {
  return tech_curve_at(&t->fixed_pj, 16);
}

double arch_sram_pj_per_bit(const arch *a, double kib) {
  const arch_tech *t = a->techp;
  if (t->normalized)
    return t->rel_buffer * mac16_pj(t) / 16;
  return tech_curve_at(&t->sram_pj64, kib) / 64;
}

double arch_rf_pj_per_bit(const arch *a) {
  const arch_tech *t = a->techp;
  if (a->rf_bytes <= 0)
    return 0;
  if (t->normalized)
    return t->rel_rf * mac16_pj(t) / 16;
  return tech_curve_at(&t->sram_pj64, a->rf_bytes / 1024.0) / 64;
}

double arch_tech_dram_pj_per_bit(const arch_tech *t) {
  return t->normalized ? t->rel_dram * mac16_pj(t) / 16 : t->dram_pj_per_bit;
}

int arch_area_of(const arch *a, arch_area *out, wr_err *e) {
  const arch_tech *t = a->techp;
  memset(out, 0, sizeof *out);
  out->pe_um2 = mac_pe_um2(a, &out->pe_source);
  out->sram_source = "CACTI 45 nm (Bit Fusion repository)";
  double pes = (double)a->rows * a->cols;
  out->array_mm2 = pes * out->pe_um2 * 1e-6;
  if (a->rf_bytes > 0)
    out->rf_mm2 = pes * tech_curve_at(&t->sram_mm2, a->rf_bytes / 1024.0);
  out->total_mm2 = out->array_mm2 + out->rf_mm2;
  for (int i = 0; i < a->n_buffers; i++) {
    out->buf_mm2[i] = tech_curve_at(&t->sram_mm2, a->buffers[i].kib);
    out->total_mm2 += out->buf_mm2[i];
  }
  if (!(out->total_mm2 < 1e12))
    return wr_err_set(e, WR_EINPUT, "%s: area out of range", a->file);
  return WR_OK;
}
