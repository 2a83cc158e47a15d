/*
 * mac.c — the MAC families, each described once (docs/arch.md,
 * "Throughput per PE", "Energy and area", "Your own PE"): its legal modes
 * and widest bits, MACs per PE per cycle at (A, W) bits, energy per MAC
 * from the technology table and the PE's area.  The loader, the mapper
 * and the area model ask this table and nothing else.
 */
#include <math.h>
#include <stdio.h>

#include "arch_internal.h"

/* 2-bit bricks per Bit Fusion fusion unit (Sharma et al., ISCA 2018). */
#define BITFUSION_BRICKS 16.0

/* ---- legal modes -------------------------------------------------------- */

/* Every A and W in 1..max, max the family's widest bits. */
static int within_bits(const arch *a, wr_prec p, char *why, size_t n) {
  const mac_family *f = mac_family_of(a->family);
  int max = f->max_bits ? f->max_bits : a->native_bits;
  char buf[16];
  if (p.a_bits <= max && p.w_bits <= max)
    return 1;
  snprintf(why, n, "%s is beyond what a %s MAC of these bits runs (bits field)",
           wr_prec_str(p, buf, sizeof buf), f->name);
  return 0;
}

static int bitfusion_legal(const arch *a, wr_prec p, char *why, size_t n) {
  char buf[16];
  if (!within_bits(a, p, why, n))
    return 0;
  int okA = p.a_bits == 2 || p.a_bits == 4 || p.a_bits == 8 || p.a_bits == 16;
  int okW = p.w_bits == 2 || p.w_bits == 4 || p.w_bits == 8 || p.w_bits == 16;
  if (okA && okW)
    return 1;
  snprintf(why, n,
           "%s: Bit Fusion composes 2-bit bricks into 2, 4, 8 or 16 bits",
           wr_prec_str(p, buf, sizeof buf));
  return 0;
}

static int fp32_legal(const arch *a, wr_prec p, char *why, size_t n) {
  char buf[16];
  (void)a;
  if (p.a_bits == WR_FP32_BITS && p.w_bits == WR_FP32_BITS)
    return 1;
  snprintf(why, n, "%s is beyond what a fp32 MAC runs (32/32 only)",
           wr_prec_str(p, buf, sizeof buf));
  return 0;
}

static int table_legal(const arch *a, wr_prec p, char *why, size_t n) {
  char buf[16];
  (void)a;
  if (wr_bits_is_int(p.a_bits) && wr_bits_is_int(p.w_bits))
    return 1;
  snprintf(why, n,
           "%s: a table PE's modes are integer, 1..%d bits (an FP32 PE is "
           "family fp32)",
           wr_prec_str(p, buf, sizeof buf), WR_MAX_INT_BITS);
  return 0;
}

/* ---- MACs per PE per cycle at A, W bits ---------------------------------- */

static double one_mac(const arch *a, double ab, double wb) {
  (void)a, (void)ab, (void)wb;
  return 1.0;
}

/* N / k sub-word MACs, k the smallest power of two >= max(A, W), at most N
 * (N is a power of two too, so the quotient is a whole number) */
static double simd_macs(const arch *a, double ab, double wb) {
  int n = a->native_bits, k = 1;
  double widest = ab > wb ? ab : wb;
  while (k < widest && k < n)
    k *= 2;
  return (double)n / k;
}

/* Stripes: N lanes, A cycles per MAC */
static double bitserial_macs(const arch *a, double ab, double wb) {
  (void)wb;
  return (double)a->native_bits / ab;
}

/* Loom: N^2 lanes, A x W cycles per MAC */
static double bitserial2_macs(const arch *a, double ab, double wb) {
  double n = a->native_bits;
  return n * n / (ab * wb);
}

static double bitfusion_macs(const arch *a, double ab, double wb) {
  (void)a;
  return BITFUSION_BRICKS / (ceil(ab / 2) * ceil(wb / 2));
}

/* The listed mode A/W: its index in a->precisions, -1 if none. */
static int table_mode(const arch *a, double ab, double wb) {
  for (int i = 0; i < a->n_precisions; i++)
    if (a->precisions[i].a_bits == ab && a->precisions[i].w_bits == wb)
      return i;
  return -1;
}

static double table_macs(const arch *a, double ab, double wb) {
  int i = table_mode(a, ab, wb);
  return i < 0 ? 0 : a->pe_modes[i].macs_per_pe_cycle;
}

/* ---- energy per MAC in mode m (pJ) --------------------------------------- */

static int cdiv(int x, int y) { return (x + y - 1) / y; }

/* an N x N element, whatever the mode */
static double parallel_pj(const arch *a, wr_prec m) {
  (void)m;
  return tech_curve_at(&a->techp->fixed_pj, a->native_bits);
}

/* a flexible N-bit element shared by its lanes */
static double simd_pj(const arch *a, wr_prec m) {
  return tech_curve_at(&a->techp->flex_pj, a->native_bits) /
         simd_macs(a, m.a_bits, m.w_bits);
}

/* A cycles of a 1 x N element */
static double bitserial_pj(const arch *a, wr_prec m) {
  return m.a_bits * tech_curve_at(&a->techp->fixed_pj, sqrt(a->native_bits));
}

/* A x W cycles of a 1 x 1 element */
static double bitserial2_pj(const arch *a, wr_prec m) {
  return (double)m.a_bits * m.w_bits * tech_curve_at(&a->techp->fixed_pj, 1);
}

/* a fusion unit's cycle shared by its F-PEs */
static double bitfusion_pj(const arch *a, wr_prec m) {
  return tech_curve_at(&a->techp->flex_pj, 8) * cdiv(m.a_bits, 2) *
         cdiv(m.w_bits, 2) / BITFUSION_BRICKS;
}

static double fp32_pj(const arch *a, wr_prec m) {
  (void)m;
  return a->techp->fp32_add_pj + a->techp->fp32_mult_pj;
}

static double table_pj(const arch *a, wr_prec m) {
  int i = table_mode(a, m.a_bits, m.w_bits);
  return i < 0 ? 0 : a->pe_modes[i].pj_per_mac;
}

/* ---- PE area (um^2) ------------------------------------------------------ */

static double parallel_um2(const arch *a) {
  return tech_curve_at(&a->techp->fixed_um2, a->native_bits);
}

static double simd_um2(const arch *a) {
  return tech_curve_at(&a->techp->flex_um2, a->native_bits);
}

static double bitserial_um2(const arch *a) {
  double n = a->native_bits;
  return n * tech_curve_at(&a->techp->fixed_um2, sqrt(n));
}

static double bitserial2_um2(const arch *a) {
  double n = a->native_bits;
  return n * n * tech_curve_at(&a->techp->fixed_um2, 1);
}

static double bitfusion_um2(const arch *a) {
  return tech_curve_at(&a->techp->flex_um2, 8);
}

static double fp32_um2(const arch *a) {
  return a->techp->fp32_add_um2 + a->techp->fp32_mult_um2;
}

static double table_um2(const arch *a) { return a->pe_um2; }

/* ---- the table ---------------------------------------------------------- */

static const mac_family families[] = {
    [ARCH_MAC_PARALLEL] = {"parallel", 1, 0, 0, within_bits, one_mac,
                           parallel_pj, parallel_um2,
                           "fixed-precision element, Bit Fusion synthesis "
                           "(45 nm)"},
    [ARCH_MAC_SIMD] = {"simd", 1, 0, 0, within_bits, simd_macs, simd_pj,
                       simd_um2,
                       "precision-flexible element, Bit Fusion synthesis "
                       "(45 nm)"},
    [ARCH_MAC_BITSERIAL] = {"bitserial", 1, 0, 1, within_bits, bitserial_macs,
                            bitserial_pj, bitserial_um2,
                            "N lanes of 1 x N elements, Bit Fusion synthesis "
                            "(45 nm)"},
    [ARCH_MAC_BITSERIAL2] = {"bitserial2", 1, 0, 1, within_bits,
                             bitserial2_macs, bitserial2_pj, bitserial2_um2,
                             "N^2 lanes of 1 x 1 elements, Bit Fusion "
                             "synthesis (45 nm)"},
    [ARCH_MAC_BITFUSION] = {"bitfusion", 0, WR_MAX_INT_BITS, 0, bitfusion_legal,
                            bitfusion_macs, bitfusion_pj, bitfusion_um2,
                            "fusion unit, Bit Fusion synthesis (45 nm)"},
    [ARCH_MAC_FP32] = {"fp32", 0, WR_FP32_BITS, 0, fp32_legal, one_mac, fp32_pj,
                       fp32_um2,
                       "FP32 adder + multiplier, Horowitz ISSCC 2014 (45 nm)"},
    [ARCH_MAC_TABLE] = {"table", 0, WR_MAX_INT_BITS, 0, table_legal, table_macs,
                        table_pj, table_um2, NULL},
};

const mac_family *mac_family_of(arch_mac_family f) {
  return (unsigned)f < MAC_N_FAMILIES ? &families[f] : NULL;
}

const char *arch_mac_family_name(arch_mac_family f) {
  return (unsigned)f < MAC_N_FAMILIES ? families[f].name : "?";
}

double mac_macs_per_pe_cycle(const arch *a, double a_bits, double w_bits) {
  return families[a->family].macs(a, a_bits, w_bits);
}

double arch_macs_per_pe_cycle(const arch *a, wr_prec m) {
  return mac_macs_per_pe_cycle(a, m.a_bits, m.w_bits);
}

double arch_mac_pj(const arch *a, wr_prec m) {
  return families[a->family].pj(a, m);
}

double mac_pe_um2(const arch *a, const char **source) {
  const mac_family *f = &families[a->family];
  *source = f->pe_source ? f->pe_source : a->pe_source;
  return f->pe_um2(a);
}
