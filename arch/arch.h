/*
 * arch.h — the public interface of the arch module: accelerator
 * descriptions (YAML, docs/arch.md), MAC-unit families and their
 * throughput at each precision, and the systolic-array compute-cycle model
 * (SCALE-Sim v2's fold, fill and drain rules), plus import of SCALE-Sim
 * configurations and topologies.
 *
 * Conventions as in workloads.h: functions that can fail take a `wr_err *`
 * and return a status; nothing here prints or exits.
 */
#ifndef WRPNSIM_ARCH_H
#define WRPNSIM_ARCH_H

#include <stdint.h>

#include "workloads.h"

typedef enum arch_dataflow {
  ARCH_DF_OS, /* output stationary */
  ARCH_DF_WS, /* weight stationary */
  ARCH_DF_IS  /* input stationary */
} arch_dataflow;

const char *arch_dataflow_name(arch_dataflow d);

/* MAC-unit families (docs/arch.md gives each one's throughput rule). */
typedef enum arch_mac_family {
  ARCH_MAC_PARALLEL,   /* fixed N-bit: fewer bits gain nothing */
  ARCH_MAC_SIMD,       /* an N-bit MAC splits into N/k sub-word MACs */
  ARCH_MAC_BITSERIAL,  /* Stripes: time grows with activation bits */
  ARCH_MAC_BITSERIAL2, /* Loom: time grows with activation x weight bits */
  ARCH_MAC_BITFUSION,  /* Bit Fusion: 2-bit bricks fused */
  ARCH_MAC_FP32        /* binary32 MACs */
} arch_mac_family;

const char *arch_mac_family_name(arch_mac_family f);

/* What a layer whose precision the MAC does not support does. */
typedef enum arch_unsupported {
  ARCH_UNSUP_COVER, /* run in the smallest supported mode covering it */
  ARCH_UNSUP_REFUSE /* an error */
} arch_unsupported;

#define ARCH_MAX_PRECISIONS 32
#define ARCH_MAX_BUFFERS 8

typedef enum arch_tensor {
  ARCH_T_INPUT = 1,
  ARCH_T_WEIGHT = 2,
  ARCH_T_OUTPUT = 4
} arch_tensor;

typedef struct arch_buffer {
  char *name;
  int holds;               /* arch_tensor bits */
  double kib;              /* capacity, KiB */
  double bytes_per_cycle;  /* read/write bandwidth */
} arch_buffer;

typedef struct arch_dram {
  double gbps;             /* bandwidth, GB/s (10^9 bytes per second) */
  double pj_per_bit;       /* access energy */
  int burst_bytes;
  double latency_ns;
  double row_efficiency;   /* fraction of peak bandwidth reached, (0, 1] */
} arch_dram;

typedef struct arch {
  char *name;
  char *source;            /* what it models, with citations (optional) */
  char *file;              /* for messages */
  double clock_mhz;
  char *tech;              /* technology table name (arch/tech/NAME.yaml) */
  int rows, cols;
  arch_dataflow dataflow;
  arch_mac_family family;
  int native_bits;         /* parallel/simd/bit-serial lane width */
  wr_prec precisions[ARCH_MAX_PRECISIONS]; /* supported A/W modes */
  int n_precisions;
  arch_unsupported unsupported;
  int acc_bits;
  int overflow;            /* 0 saturate, 1 wrap, 2 error (sim_overflow) */
  arch_buffer buffers[ARCH_MAX_BUFFERS];
  int n_buffers;
  arch_dram dram;
  double static_mw;
} arch;

/* Parses an architecture from YAML text; `file` names it in messages.
 * Every field is checked (unknown fields, wrong units or types, zero PEs,
 * precisions out of range or unsupported by the family, buffers holding
 * nothing or a tensor twice) with file:line:col.  The caller frees with
 * arch_free. */
arch *arch_load_string(const char *text, size_t len, const char *file,
                       wr_err *e);
arch *arch_load_file(const char *path, wr_err *e);
/* A preset (arch/presets/NAME.yaml, compiled in) by name, else a file. */
arch *arch_open(const char *name_or_path, wr_err *e);
void arch_free(arch *a);

size_t arch_preset_count(void);
const char *arch_preset_name(size_t i);
const char *arch_preset_text(const char *name, size_t *len);

/* The mode a layer of precision `p` runs in: `p` itself when supported
 * (FP32 families run everything as 32/32), else under ARCH_UNSUP_COVER the
 * supported mode with a_bits >= p.a, w_bits >= p.w and the fewest a*w
 * bits.  WR_EINPUT naming the layer if there is none or the architecture
 * refuses. */
int arch_mode(const arch *a, wr_prec p, const char *layer, wr_prec *mode,
              wr_err *e);

/* MACs one PE completes per cycle in `mode` (docs/arch.md): parallel 1;
 * simd N / k for k the smallest power of two >= max(A, W) (at most N);
 * bitserial N / A; bitserial2 N*N / (A*W); bitfusion
 * 16 / (ceil(A/2) * ceil(W/2)); fp32 1. */
double arch_macs_per_pe_cycle(const arch *a, wr_prec mode);

/* A layer lowered to a GEMM as SCALE-Sim does it: M output pixels (x
 * batch), N filters, K = kernel height x width x input channels (per
 * group; `groups` GEMMs run one after another). */
typedef struct arch_gemm {
  uint64_t m, n, k;
  uint64_t groups;
} arch_gemm;

/* Compute cycles with ideal memory on an R x C array (SCALE-Sim v2,
 * REFERENCE section 3): spatial and temporal dimensions by dataflow,
 * folds = ceil(Sr/R) * ceil(Sc/C), cycles per fold T' + R + C - 2 (os) or
 * 2R + C + T' - 2 (ws, is), total = groups * folds * cycles per fold - 1,
 * where T' = ceil(T / t) for t MACs per PE per cycle (t = 1: SCALE-Sim's
 * figure exactly). */
typedef struct arch_compute {
  uint64_t folds;
  uint64_t cycles_per_fold;
  uint64_t cycles;
  double mapping_efficiency; /* Sr*Sc / (folds * R * C) */
} arch_compute;

int arch_compute_cycles(int rows, int cols, arch_dataflow df,
                        const arch_gemm *g, double macs_per_pe_cycle,
                        arch_compute *out, wr_err *e);

/* The GEMM of a conv or fc layer of `net` for `batch` images. */
arch_gemm arch_layer_gemm(const wr_layer *l, uint64_t batch);

/* ---- SCALE-Sim import -------------------------------------------------- */

/* One SCALE-Sim topology row, with the output size by its rule
 * E = ceil((H - R + S) / S). */
typedef struct scalesim_layer {
  char name[64];
  int64_t ifmap_h, ifmap_w, filt_h, filt_w, channels, filters, stride;
  int64_t out_h, out_w;
} scalesim_layer;

typedef struct scalesim_run {
  int rows, cols;
  arch_dataflow dataflow;
  double ifmap_kb, filter_kb, ofmap_kb;
  scalesim_layer *layers;
  int n_layers;
} scalesim_run;

/* Reads a SCALE-Sim v2 .cfg (INI) and topology .csv as SCALE-Sim does;
 * errors name file:line and the field.  Free with scalesim_free. */
int scalesim_load(const char *cfg_path, const char *topo_path,
                  scalesim_run *out, wr_err *e);
void scalesim_free(scalesim_run *r);
/* The GEMM of a topology row (SCALE-Sim's lowering). */
arch_gemm scalesim_gemm(const scalesim_layer *l);

#endif
