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

/* MAC-unit families, each described once in arch/mac.c (docs/arch.md gives
 * each one's throughput rule). */
typedef enum arch_mac_family {
  ARCH_MAC_PARALLEL,   /* fixed N-bit: fewer bits gain nothing */
  ARCH_MAC_SIMD,       /* an N-bit MAC splits into N/k sub-word MACs */
  ARCH_MAC_BITSERIAL,  /* Stripes: time grows with activation bits */
  ARCH_MAC_BITSERIAL2, /* Loom: time grows with activation x weight bits */
  ARCH_MAC_BITFUSION,  /* Bit Fusion: 2-bit bricks fused */
  ARCH_MAC_FP32,       /* binary32 MACs */
  ARCH_MAC_TABLE       /* the architect's own PE: per-mode figures as given */
} arch_mac_family;

const char *arch_mac_family_name(arch_mac_family f);

/* What a layer whose precision the MAC does not support does. */
typedef enum arch_unsupported {
  ARCH_UNSUP_COVER, /* run in the smallest supported mode covering it */
  ARCH_UNSUP_REFUSE /* an error */
} arch_unsupported;

/* What a layer no mode covers does (under ARCH_UNSUP_COVER): a layer the
 * workload keeps FP32, or any precision wider than every mode, on an array
 * without an FP32 mode (docs/arch.md, "Precision modes"). */
typedef enum arch_fp32_layers {
  ARCH_FP32_WIDEST, /* run in the widest mode, flagged per layer */
  ARCH_FP32_REFUSE  /* an error */
} arch_fp32_layers;

typedef struct arch_tech arch_tech;

#define ARCH_MAX_PRECISIONS 32
#define ARCH_MAX_BUFFERS 8

typedef enum arch_tensor {
  ARCH_T_INPUT = 1,
  ARCH_T_WEIGHT = 2,
  ARCH_T_OUTPUT = 4
} arch_tensor;

typedef struct arch_buffer {
  char *name;
  int holds;              /* arch_tensor bits */
  double kib;             /* capacity, KiB */
  double bytes_per_cycle; /* read/write bandwidth */
  int line, col;          /* where its capacity is written (0: unknown) */
} arch_buffer;

/* One mode of a 'table' PE (docs/arch.md, "Your own PE"): the architect's
 * figures, used as they are. */
typedef struct arch_pe_mode {
  double macs_per_pe_cycle; /* > 0 */
  double pj_per_mac;        /* energy per MAC, > 0 */
  char *source;             /* where the figures come from (owned) */
} arch_pe_mode;

typedef struct arch_dram {
  double gbps;       /* bandwidth, GB/s (10^9 bytes per second) */
  double pj_per_bit; /* access energy */
  int burst_bytes;
  double latency_ns;
  double row_efficiency; /* fraction of peak bandwidth reached, (0, 1] */
} arch_dram;

typedef struct arch {
  char *name;
  char *source; /* what it models, with citations (optional) */
  char *file;   /* for messages */
  double clock_mhz;
  char *tech; /* technology table name (arch/tech/NAME.yaml) */
  int rows, cols;
  arch_dataflow dataflow;
  int rf_bytes; /* per-PE register file (0: pipeline registers
                   only, counted in the PE's energy) */
  arch_mac_family family;
  int native_bits; /* parallel/simd/bit-serial lane width */
  wr_prec precisions[ARCH_MAX_PRECISIONS]; /* supported A/W modes */
  int n_precisions;
  /* family 'table': pe_modes[i] describes precisions[i]; the PE's area
     (um^2) and its source (owned) */
  arch_pe_mode pe_modes[ARCH_MAX_PRECISIONS];
  double pe_um2;
  char *pe_source;
  arch_unsupported unsupported;
  arch_fp32_layers fp32_layers;
  /* where 'unsupported' and 'fp32_layers' are written, else the mac
     mapping (0: unknown), for the errors they cause */
  int unsup_line, unsup_col, fp32l_line, fp32l_col;
  int acc_bits;
  wr_overflow overflow; /* default saturate */
  wr_requant requant;   /* default float (binary32 rule) */
  int rq_mult_bits;     /* fixed: signed multiplier bits, 2..63 (32) */
  int rq_shift;         /* fixed: fraction bits, 1..62 (24) */
  wr_round rq_round;    /* fixed: rounding of the shift (rne) */
  arch_buffer buffers[ARCH_MAX_BUFFERS];
  int n_buffers;
  arch_dram dram;
  double static_mw;
  /* value-dependent features (docs/arch.md, "Measured counts") */
  int zero_gating;         /* MAC and RF energy skipped on a zero operand */
  int zero_skipping;       /* zero activations removed from the reduction */
  int dyn_group;           /* dynamic precision: values per group (0: off) */
  struct arch_tech *techp; /* the loaded table (owned) */
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
/* A preset by name, else an architecture file path (wr_named_find). */
int arch_preset_find(const char *name_or_path, wr_named *out, wr_err *e);

/* The mode a layer of precision `p` runs in: `p` itself when supported
 * (FP32 families run everything as 32/32), else under ARCH_UNSUP_COVER the
 * supported mode with a_bits >= p.a, w_bits >= p.w and the fewest a*w
 * bits; when no mode covers `p` (an FP32 layer on an integer array, or
 * wider than every mode), under ARCH_FP32_WIDEST the widest mode
 * (arch_widest_mode).  WR_EINPUT naming the layer, with the file:line:col
 * of the rule that refuses it ('unsupported: refuse' or 'fp32_layers:
 * refuse'). */
int arch_mode(const arch *a, wr_prec p, const char *layer, wr_prec *mode,
              wr_err *e);

/* 1 when no mode of `a` covers `p` (a_bits >= p.a and w_bits >= p.w), so
 * that arch_mode runs it in the widest mode or refuses it; 0 on FP32
 * families and when a mode covers it.  Can't fail. */
int arch_beyond_modes(const arch *a, wr_prec p);

/* The widest mode of an integer array: `bits`/`bits` for 'any', else the
 * listed mode with the most a*w bits (the first listed on a tie); 32/32
 * on FP32 families.  Can't fail. */
wr_prec arch_widest_mode(const arch *a);

/* MACs one PE completes per cycle in `mode` (docs/arch.md): parallel 1;
 * simd N / k for k the smallest power of two >= max(A, W) (at most N);
 * bitserial N / A; bitserial2 N*N / (A*W); bitfusion
 * 16 / (ceil(A/2) * ceil(W/2)); fp32 1; table the figure listed for
 * `mode` (one of a's modes, as arch_mode gives).  Can't fail. */
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
 * with t MACs per PE per cycle: on ws and is (K on the rows) t > 1 lanes
 * per PE reduce along K, so a fold holds R x t rows of K; otherwise the
 * temporal pass is T' = ceil(T / t) (t = 1: SCALE-Sim's figure exactly). */
typedef struct arch_compute {
  uint64_t folds;
  uint64_t cycles_per_fold;
  uint64_t cycles;
  double mapping_efficiency; /* Sr*Sc / (folds * R' * C) */
  double row_capacity;       /* R' = rows of the spatial dimension a fold
                                holds: R, or R x t on ws/is with t > 1 */
} arch_compute;

int arch_compute_cycles(int rows, int cols, arch_dataflow df,
                        const arch_gemm *g, double macs_per_pe_cycle,
                        arch_compute *out, wr_err *e);

/* The GEMM of a conv or fc layer of `net` for `batch` images. */
arch_gemm arch_layer_gemm(const wr_layer *l, uint64_t batch);

/* ---- technology tables (arch/tech/NAME.yaml, docs/arch.md) --------------- */

/* A technology table: energies and areas with their sources.  Loaded with
 * the architecture that names it; curves are interpolated linearly in
 * log-log space (GSL) between their points and extended beyond them along
 * the end segments' slopes. */

/* The table named `name` (compiled in from arch/tech/).  NULL with `e` set
 * (file:line:col of the table) on failure.  Free with arch_tech_free. */
arch_tech *arch_tech_open(const char *name, wr_err *e);
void arch_tech_free(arch_tech *t);
const char *arch_tech_name(const arch_tech *t);
size_t arch_tech_count(void);
const char *arch_tech_entry(size_t i);

/* ---- evaluation: mapper, tile timeline, energy, area --------------------- */

typedef enum arch_objective {
  ARCH_OBJ_ENERGY, /* minimum energy (ties: cycles, then DRAM bytes) */
  ARCH_OBJ_CYCLES, /* minimum cycles (ties: energy, then DRAM bytes) */
  ARCH_OBJ_EDP,    /* minimum energy x cycles */
  ARCH_OBJ_DRAM    /* minimum DRAM bytes (ties: cycles, then energy) */
} arch_objective;

const char *arch_objective_name(arch_objective o);
/* "energy", "cycles", "edp" or "dram"; WR_EINPUT naming `what` else. */
int arch_objective_parse(const char *s, const char *what, arch_objective *o,
                         wr_err *e);

typedef struct arch_eval_opts {
  uint64_t batch;           /* images per batch, >= 1 */
  arch_objective objective; /* what the mapper minimizes */
  int ideal_memory;         /* unbounded buffers and DRAM bandwidth, no
                               latency: compute cycles only (SCALE-Sim) */
} arch_eval_opts;

/* Dimensions the mapper tiles: K filters, C input channels (per group), Y
 * output rows over the batch (a tile of Y rows inside one image, or of
 * whole images). */
enum { ARCH_DIM_K, ARCH_DIM_C, ARCH_DIM_Y, ARCH_N_DIMS };

/* One layer's mapping: tile sizes, trip counts and loop order (outer to
 * inner, ARCH_DIM_* values); groups are an outermost loop. */
typedef struct arch_mapping {
  uint64_t tile[ARCH_N_DIMS];
  uint64_t trips[ARCH_N_DIMS];
  int order[ARCH_N_DIMS];
} arch_mapping;

/* Writes "K64 C32 Y7 | K>C>Y" (tiles, then loop order outer>inner). */
const char *arch_mapping_str(const arch_mapping *m, char *buf, size_t n);

/* Tensors, for per-tensor traffic. */
enum { ARCH_TT_INPUT, ARCH_TT_WEIGHT, ARCH_TT_OUTPUT, ARCH_N_TT };

/* Energy components (pJ). */
typedef struct arch_energy {
  double mac;                   /* PE datapath (MACs) */
  double rf;                    /* per-PE register files */
  double buf[ARCH_MAX_BUFFERS]; /* each on-chip buffer, as arch->buffers */
  double dram;                  /* DRAM transfers */
  double stat;                  /* static power x time */
  double total;
} arch_energy;

/* Adds every component of `x` to `to`. */
void arch_energy_add(arch_energy *to, const arch_energy *x);

typedef struct arch_layer_result {
  int layer;             /* index in the network */
  int kind;              /* wr_kind */
  wr_prec prec, mode;    /* the layer's precision and the mode it runs in */
  int in_bits, out_bits; /* bits of the input and output tensors */
  uint64_t macs;
  uint64_t compute_cycles;       /* array folds, fill and drain (SCALE-Sim) */
  uint64_t dram_stall;           /* waiting for DRAM (latency, bandwidth) */
  uint64_t buffer_stall;         /* waiting for buffer ports */
  uint64_t cycles;               /* compute + stalls */
  double utilization;            /* MACs / (cycles x peak MACs per cycle) */
  uint64_t dram_read[ARCH_N_TT]; /* bytes read: input, weight, partial sums */
  uint64_t dram_write;           /* bytes written: outputs and partial sums */
  double buf_bytes[ARCH_MAX_BUFFERS]; /* bytes read + written per buffer */
  arch_energy energy;
  arch_mapping map;
  uint64_t candidates;   /* mappings the mapper compared */
  int widest;            /* no mode covers `prec`: runs in the widest
                            mode (fp32_layers: widest) */
  double macs_gated;     /* MACs whose energy zero gating skipped */
  double macs_skipped;   /* MACs zero skipping removed */
  double a_bits_eff;     /* activation bits the cycles follow (dynamic
                            precision), else the mode's */
  double intensity;      /* ops (2 per MAC) per DRAM byte */
  double roof_ops_per_s; /* min(compute roof, bandwidth roof x intensity) */
  int memory_bound;      /* intensity below the ridge point */
} arch_layer_result;

typedef struct arch_area {
  double pe_um2;    /* one PE */
  double array_mm2; /* rows x cols PEs */
  double rf_mm2;    /* register files of all PEs */
  double buf_mm2[ARCH_MAX_BUFFERS];
  double total_mm2;
  const char *pe_source;   /* where the PE figure comes from (static, or
                              the architecture's: valid while it lives) */
  const char *sram_source; /* where the buffer figures come from */
} arch_area;

typedef struct arch_net_result {
  arch_layer_result *layers; /* one per evaluated layer (conv, fc, pooling,
                                add); bn, act, softmax fold into their
                                producer, concat is free */
  int n_layers;
  uint64_t batch;
  uint64_t macs, compute_cycles, stall_cycles, cycles;
  uint64_t dram_read, dram_write;
  arch_energy energy;
  arch_area area;
  double seconds; /* cycles / clock */
  double inferences_per_s;
  double tops; /* 2 ops per MAC */
  double tops_per_w;
  double peak_ops_per_s, dram_bytes_per_s;
} arch_net_result;

/* Evaluates every layer of `net` (widened and with precisions applied) on
 * `a`: for conv and fc layers the mapper searches the candidate tilings
 * and loop orders (docs/arch.md) that fit the buffers, keeps the best by
 * the objective, and plays its tiles; a layer no mode covers runs in the
 * widest mode (arch_mode), flagged `widest`.  WR_EINPUT naming the
 * architecture file and layer when a layer can't run (a precision it
 * refuses, with the options that set one it runs; no tile fits).  On
 * success the caller frees with arch_net_result_free. */
int arch_eval_net(const arch *a, const wr_net *net, const arch_eval_opts *o,
                  arch_net_result *out, wr_err *e);
void arch_net_result_free(arch_net_result *r);

/* One conv or fc layer whose output is stored at `out_bits` (the next
 * layer's activation bits; 32 for FP32), mapped by the mapper, or with the
 * given mapping when `fixed` is not NULL (its tiles must fit; tiles and
 * order are taken from it, trips recomputed). */
int arch_eval_layer(const arch *a, const wr_layer *l, int out_bits,
                    const arch_eval_opts *o, const arch_mapping *fixed,
                    arch_layer_result *out, wr_err *e);

/* ---- measured counts (co-simulation with the executor) ------------------ */

/* What the executor measured for one conv or fc layer on real data. */
typedef struct arch_meas {
  double nz_act;     /* fraction of non-zero input activation codes */
  double nz_mac;     /* fraction of MACs whose operand codes are both
                        non-zero */
  double dyn_a_bits; /* mean over groups of `dyn_group` input codes of the
                        largest effective bit length (>= 1; 0 = not
                        measured) */
} arch_meas;

/* arch_eval_layer with the measured statistics of the layer's data: the
 * architecture's value-dependent features (zero gating, zero skipping,
 * dynamic precision) use them; an architecture without such features
 * gives exactly arch_eval_layer's counts.  `m` may be NULL. */
int arch_eval_layer_measured(const arch *a, const wr_layer *l, int out_bits,
                             const arch_eval_opts *o, const arch_mapping *fixed,
                             const arch_meas *m, arch_layer_result *out,
                             wr_err *e);

/* arch_eval_net with per-layer measurements (`m` has net->n_layers
 * entries, used for conv and fc layers; NULL: none). */
int arch_eval_net_measured(const arch *a, const wr_net *net,
                           const arch_eval_opts *o, const arch_meas *m,
                           arch_net_result *out, wr_err *e);

/* Energy of one MAC in `mode` (pJ), the PE's area (um^2) and their
 * sources (docs/arch.md, arch/tech/). */
double arch_mac_pj(const arch *a, wr_prec mode);
int arch_area_of(const arch *a, arch_area *out, wr_err *e);
/* Energy per bit of an access to an on-chip SRAM of `kib` KiB (pJ). */
double arch_sram_pj_per_bit(const arch *a, double kib);

/* ---- editing (sweeps) ---------------------------------------------------- */

/* A deep copy. */
arch *arch_clone(const arch *a, wr_err *e);

/* Sets one parameter addressed by path, as the YAML names it: clock_mhz,
 * static_mw, array.rows, array.cols, array.dataflow, array.rf_bytes,
 * mac.bits, mac.acc_bits, features.zero_gating, features.zero_skipping
 * (true/false), features.dynamic_precision (group size, 0 = off), dram.gbps,
 * dram.pj_per_bit, dram.burst_bytes, dram.latency_ns, dram.row_efficiency,
 * buffers.NAME.kib, buffers.NAME.bytes_per_cycle; a buffer is named, or
 * addressed by a tensor it holds: buffers[input], buffers[weight],
 * buffers[output] (buffers[weight].kib).  `value` is the text of a scalar,
 * checked against the range the loader checks (one table of parameters in
 * arch.c serves both).  WR_EINPUT "<path>: ..." on an unknown path
 * or a bad value, leaving `a` unchanged. */
int arch_set_param(arch *a, const char *path, const char *value, wr_err *e);

/* A canonical text of every field (one "path: value" per line, fixed
 * order and number format), for hashing and storing resolved
 * configurations.  The caller frees. */
char *arch_canonical(const arch *a, wr_err *e);

/* ---- SCALE-Sim import -------------------------------------------------- */

/* One SCALE-Sim topology row, with the output size by its rule
 * E = ceil((H - R + S) / S). */
typedef struct scalesim_layer {
  char *name; /* whole, CSV quoting removed (owned by the run) */
  int line;   /* its row in the topology file */
  int64_t ifmap_h, ifmap_w, filt_h, filt_w, channels, filters, stride;
  int64_t out_h, out_w;
} scalesim_layer;

typedef struct scalesim_run {
  int rows, cols;
  arch_dataflow dataflow;
  int rf_bytes; /* per-PE register file (0: pipeline registers
                   only, counted in the PE's energy) */
  double ifmap_kb, filter_kb, ofmap_kb;
  scalesim_layer *layers;
  int n_layers;
  char *topology; /* the topology file's path, for messages */
} scalesim_run;

/* Reads a SCALE-Sim v2 .cfg (INI) and topology .csv as SCALE-Sim does;
 * the CSV's fields follow RFC 4180 quoting ("Conv1" is Conv1, "" inside
 * quotes is one quote; a quoted field may hold commas).  Errors name
 * file:line and the field.  Free with scalesim_free. */
int scalesim_load(const char *cfg_path, const char *topo_path,
                  scalesim_run *out, wr_err *e);
void scalesim_free(scalesim_run *r);
/* The GEMM of a topology row (SCALE-Sim's lowering). */
arch_gemm scalesim_gemm(const scalesim_layer *l);
/* Compute cycles of row `i` of `r` on its array with ideal memory
 * (arch_compute_cycles); WR_EINPUT naming the topology file, the row and
 * the layer when they overflow 64 bits. */
int scalesim_layer_cycles(const scalesim_run *r, int i, arch_gemm *g,
                          arch_compute *out, wr_err *e);

#endif
