/*
 * kernels_internal.h — what the conv kernel files share: the packed-weights
 * object, the padded channels-last input layout the bit-plane and int8
 * kernels read, and the per-instruction-set block functions.
 *
 * The bit-plane and int8 kernels compute a block of output channels for a
 * block of output pixels at a time.  Output channels are vector lanes
 * (8 per 512-bit vector of 64-bit bit-plane words, 16 per vector of four
 * int8 weights); the input of one pixel is broadcast to every lane.  The
 * input is packed once per call, channels last and zero-padded, so that
 * every output pixel and kernel tap is one offset (pix_off + tap_off) and
 * no bounds are checked in the inner loops.
 */
#ifndef WRPNSIM_KERNELS_INTERNAL_H
#define WRPNSIM_KERNELS_INTERNAL_H

#include <stdint.h>

#include "sim.h"

/* Register blocking: up to 8 pixels (a 64-byte row of int64 sums per
 * output channel) x 2 vectors of output channels. */
#define SIM_BLOCK_PIX 8
#define SIM_BLOCK_VECS 2
/* Lanes of a 512-bit vector: 64-bit words, 32-bit sums. */
#define SIM_BP_LANES 8
#define SIM_I8_LANES 16

struct sim_wpack {
  sim_conv_geom g;
  sim_kernel kind;
  sim_isa isa; /* the path in use */
  int a_bits, w_bits;
  int64_t cg_in, cg_out, k_len, taps, n_pix;
  /* direct: the weight codes */
  int32_t *w;
  /* bit planes and int8: blocking and the padded input layout */
  int vecs;         /* vectors per block of output channels, 1..2 */
  int64_t blk_oc;   /* output channels per block: vecs * lanes */
  int64_t n_blk;    /* blocks of output channels per group */
  int64_t hp, wp;   /* padded input rows and columns */
  int64_t digits;   /* activation bytes per channel: 1 or 2 */
  int64_t cp;       /* bytes per padded pixel and byte digit */
  int64_t pix_len;  /* elements (bit-plane words, int8 quads) a pixel */
  int64_t *pix_off; /* [n_pix]: element offset of each output pixel */
  int64_t *tap_off; /* [taps]: element offset of each kernel tap */
  int64_t blk_len;  /* elements of one block's packed weights */
  /* bit planes */
  int wplanes;   /* weight planes: w_bits, or 1 ("is +1") */
  int64_t words; /* 64-bit words per plane: ceil(cg_in / 64) */
  uint64_t *w_p; /* [grp][blk][w plane][tap][word][vecs*8] */
  /* int8 */
  int wdigits;         /* signed weight digits of 7 bits: 1..3 */
  int64_t quads;       /* groups of 4 channels: ceil(cg_in / 4) */
  int64_t chunk_taps;  /* taps per int32 chunk */
  int64_t chunk_quads; /* quads per int32 chunk */
  int8_t *w_i8;        /* [grp][blk][w digit][tap][quad][vecs*16][4] */
};

/* Block function of the bit-plane kernel: for the `n_pix` (1..8) pixels
 * at offsets `pix` of the packed input `in` (one group, planes
 * [pixel][a plane][word]) and the packed weights `w` of one block, writes
 * tile[pixel][lane] = sum over plane pairs of +-2^(i+j) * popcount(a_i &
 * w_j) (binary weights: 2^(i+1) * popcount(a_i & w_+1); the caller
 * subtracts the input's ones).  Can't fail. */
typedef void (*sim_bp_block_fn)(const sim_wpack *p, const uint64_t *in,
                                const int64_t *pix, int n_pix,
                                const uint64_t *w, int64_t *tile);

/* Block function of the int8 kernel: as above for int8 digits: tile =
 * sum over digit pairs of 2^(8d + 7e) * sum(a_d * w_e), with 32-bit
 * partial sums over chunks that can't overflow.  Can't fail. */
typedef void (*sim_i8_block_fn)(const sim_wpack *p, const uint32_t *in,
                                const int64_t *pix, int n_pix, const int8_t *w,
                                int64_t *tile);

/* A conv's input codes (CHW): one a uint16 (`codes`), or packed at
 * their bit width (`packed`); the other is NULL. */
typedef struct sim_src {
  const uint16_t *codes;
  const sim_packed *packed;
} sim_src;

/* Input code i of `s`. */
static inline uint32_t sim_src_get(const sim_src *s, int64_t i) {
  return s->packed ? sim_packed_get(s->packed, i) : s->codes[i];
}

/* Packs one input row of one group into a padded row of the channels-last
 * bytes [wp][digit][cp] (zeros in the padding columns and in channels
 * past cg_in): row[c * cstride + x] is channel c (of the group), column
 * x.  Can't fail. */
typedef void (*sim_pack_row_fn)(const sim_wpack *p, const uint16_t *row,
                                int64_t cstride, uint8_t *drow);

/* Bit planes [pixel][a plane][word] of packed bytes.  Can't fail. */
typedef void (*sim_planes_fn)(const sim_wpack *p, const uint8_t *bytes,
                              uint64_t *planes);

/* Portable bodies (kernels_bitplane.c, kernels_int8.c, kernels_hwc.c). */
void sim_bp_block_portable(const sim_wpack *p, const uint64_t *in,
                           const int64_t *pix, int n_pix, const uint64_t *w,
                           int64_t *tile);
void sim_i8_block_portable(const sim_wpack *p, const uint32_t *in,
                           const int64_t *pix, int n_pix, const int8_t *w,
                           int64_t *tile);
void sim_pack_row_portable(const sim_wpack *p, const uint16_t *row,
                           int64_t cstride, uint8_t *drow);
void sim_planes_portable(const sim_wpack *p, const uint8_t *bytes,
                         uint64_t *planes);

/* AVX-512 bodies (kernels_avx512.c); the same contracts.  Callers check
 * sim_cpu_has_* first. */
void sim_bp_block_avx512(const sim_wpack *p, const uint64_t *in,
                         const int64_t *pix, int n_pix, const uint64_t *w,
                         int64_t *tile);
void sim_i8_block_avx512(const sim_wpack *p, const uint32_t *in,
                         const int64_t *pix, int n_pix, const int8_t *w,
                         int64_t *tile);
void sim_pack_row_avx512(const sim_wpack *p, const uint16_t *row,
                         int64_t cstride, uint8_t *drow);
void sim_planes_avx512(const sim_wpack *p, const uint8_t *bytes,
                       uint64_t *planes);

/* sim_tile_store with 8 x 8 transposes in registers. */
void sim_tile_store_avx512(const sim_wpack *p, const int64_t *tile, int grp,
                           int64_t blk, int64_t p0, int n_pix,
                           const int64_t *ones, int64_t *out);

/* FP32 conv rows (kernels.c): acc[j * ld + k] += x[k * sw] * wv[j] in
 * binary64, for j < nj and k < n; the AVX-512 body takes sw = 1 only. */
void sim_f32_row_portable(double *acc, int64_t ld, int nj, const float *x,
                          int sw, int64_t n, const double *wv);
void sim_f32_row_avx512(double *acc, int64_t ld, int nj, const float *x,
                        int64_t n, const double *wv);
int sim_cpu_has_f32_avx512(void);

/* Whether the running CPU (and OS) supports the AVX-512 bit-plane path
 * (F, BW, VPOPCNTDQ) and the int8 path (F, BW, VNNI).  Can't fail. */
int sim_cpu_has_bp_avx512(void);
int sim_cpu_has_i8_avx512(void);

/* ---- shared layout helpers (kernels_hwc.c) ------------------------------ */

/* malloc of n * size bytes aligned to 64 (at least 64 bytes), NULL on
 * overflow or failure; free with free(). */
void *sim_alloc64(int64_t n, int64_t size);

/* Sets hp, wp, cp (bytes a pixel and byte digit) and pix_len (elements a
 * pixel of the kernel's packed input) and fills pix_off and tap_off
 * (allocated here, in elements).  WR_ENOMEM on allocation failure (the
 * caller frees p). */
int sim_layout_init(sim_wpack *p, int64_t cp, int64_t pix_len, wr_err *e);

/* Packs group `grp` of the input into the padded channels-last bytes
 * [hp][wp][digit][cp], a row at a time with `row_fn`; packed codes are
 * first unpacked a band of rows at a time (at least 256 codes of each
 * channel, see sim_row_scratch) into `band`, NULL for uint16 codes.
 * Can't fail. */
void sim_pack_hwc(const sim_wpack *p, const sim_src *in, int grp,
                  sim_pack_row_fn row_fn, uint16_t *band, uint8_t *dst);

/* The band scratch sim_pack_hwc needs for `in`: NULL for uint16 codes
 * (*ok = 1), else cg_in x (rows of at least 256 codes, at most h_in) x
 * w_in codes (*ok = 0 on allocation failure). */
uint16_t *sim_row_scratch(const sim_wpack *p, const sim_src *in, int *ok);

/* Writes tile[pixel][lane] (n_pix x blk_oc) of block `blk` of group `grp`
 * at pixels [p0, p0 + n_pix) into out, less ones[pixel] if ones is not
 * NULL.  Can't fail. */
typedef void (*sim_store_fn)(const sim_wpack *p, const int64_t *tile, int grp,
                             int64_t blk, int64_t p0, int n_pix,
                             const int64_t *ones, int64_t *out);
void sim_tile_store(const sim_wpack *p, const int64_t *tile, int grp,
                    int64_t blk, int64_t p0, int n_pix, const int64_t *ones,
                    int64_t *out);

/* Drivers (kernels_bitplane.c, kernels_int8.c): the conv of
 * sim_conv_packed.  WR_ENOMEM on allocation failure. */
int sim_bp_prepare(sim_wpack *p, const int32_t *w, wr_err *e);
int sim_bp_conv(const sim_wpack *p, const sim_src *in, int64_t *out, wr_err *e);
int sim_i8_prepare(sim_wpack *p, const int32_t *w, wr_err *e);
int sim_i8_conv(const sim_wpack *p, const sim_src *in, int64_t *out, wr_err *e);

/* Error helper: sets WR_ENOMEM and returns it. */
int sim_kernel_oom(wr_err *e);

#endif
