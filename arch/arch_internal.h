/*
 * arch_internal.h — shared inside the arch module only: the technology
 * table's layout and its interpolated curves.
 */
#ifndef WRPNSIM_ARCH_INTERNAL_H
#define WRPNSIM_ARCH_INTERNAL_H

#include <gsl/gsl_interp.h>

#include "arch.h"
#include "yaml_util.h" /* the module's YAML readers */

#define TECH_MAX_POINTS 16

/* y(x) given at n points, interpolated linearly in log-log space (GSL)
 * and extended beyond its ends along the end segments' slopes; one point
 * is a constant. */
typedef struct tech_curve {
  int n;
  double lx[TECH_MAX_POINTS], ly[TECH_MAX_POINTS];
  gsl_interp *interp;
} tech_curve;

double tech_curve_at(const tech_curve *c, double x);

struct arch_tech {
  char *name, *source;
  int node_nm;
  tech_curve int_add, int_mult; /* pJ by operand bits */
  double fp32_add_pj, fp32_mult_pj, fp32_add_um2, fp32_mult_um2;
  tech_curve sram_pj64;           /* pJ per 64-bit access by KiB */
  tech_curve sram_mm2;            /* mm^2 by KiB */
  double dram_pj_per_bit;         /* the table's DRAM figure (low end) */
  tech_curve fixed_pj, fixed_um2; /* fixed-precision element by bits */
  tech_curve flex_pj, flex_um2;   /* precision-flexible element by bits */
  /* a normalized table: per 16-bit access in units of the 16-bit MAC */
  int normalized;
  double rel_rf, rel_buffer, rel_dram;
};

/* Energy per bit of a per-PE register-file access (0 without one). */
double arch_rf_pj_per_bit(const arch *a);
/* The table's DRAM energy per bit (default of dram.pj_per_bit). */
double arch_tech_dram_pj_per_bit(const arch_tech *t);

#endif
