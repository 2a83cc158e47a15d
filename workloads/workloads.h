/*
 * workloads.h — the public interface of the workloads module: errors, the
 * network IR, the YAML workload loader, the zoo, width and precision
 * transforms, the WRPN paper's first-order cost and footprint models, and
 * the parallel-for and the clock every module above runs and times with.
 *
 * Every function that can fail takes a `wr_err *` and returns a status
 * (WR_OK on success).  On failure the message in the error names what is
 * wrong (with `file:line:col` where the problem sits in an input file) and
 * the caller's data is left as it was unless the function says otherwise.
 * Nothing here prints or exits.
 */
#ifndef WRPNSIM_WORKLOADS_H
#define WRPNSIM_WORKLOADS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- errors ------------------------------------------------------------ */

/* Status codes; the CLI maps them to exit codes (input -> 2, others -> 1). */
enum wr_status {
  WR_OK = 0,
  WR_ERUNTIME = 1, /* something failed that is not the input's fault */
  WR_EINPUT = 2,   /* bad input: file, option or configuration */
  WR_ENOMEM = 3    /* out of memory */
};

typedef struct wr_err {
  int status;
  char msg[1024];
} wr_err;

/* Resets `e` to WR_OK with an empty message.  Can't fail. */
void wr_err_clear(wr_err *e);

/* Sets `e` (may be NULL) to `status` with a printf-style message and
 * returns `status`. */
int wr_err_set(wr_err *e, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "" when n is 1, else "s": for counts in messages, as in
 * ("%d layer%s", n, wr_plural(n)).  Can't fail. */
static inline const char *wr_plural(long long n) { return n == 1 ? "" : "s"; }

/* Sets `e` to WR_EINPUT with "file:line:col: message" (line and col
 * 1-based; 0 leaves them out) and returns WR_EINPUT. */
int wr_err_at(wr_err *e, const char *file, int line, int col, const char *fmt,
              ...) __attribute__((format(printf, 5, 6)));

/* For the static analyzer (clang-tidy), which sees one file at a time and
 * so not what the error setters return: the status they set.  The files
 * that define them spell the name in parentheses, (wr_err_set). */
#ifdef __clang_analyzer__
#define wr_err_set(e, status, ...)                                             \
  (wr_err_set(e, status, __VA_ARGS__), (status))
#define wr_err_at(...) (wr_err_at(__VA_ARGS__), WR_EINPUT)
#endif

/* ---- files ------------------------------------------------------------ */

/* Reads a whole file into a NUL-terminated buffer (caller frees).
 * WR_EINPUT naming the path if it can't be opened or read. */
int wr_read_file(const char *path, char **text, size_t *len, wr_err *e);

/* ---- precision --------------------------------------------------------- */

/* Bits of activations and weights of one layer: 1..WR_MAX_INT_BITS
 * (integer codes), or WR_FP32_BITS for FP32. */
typedef struct wr_prec {
  int a_bits;
  int w_bits;
} wr_prec;

#define WR_FP32_BITS 32
#define WR_MAX_INT_BITS 16 /* the widest integer precision */

/* 1 when `bits`, a precision's bit count (1..WR_MAX_INT_BITS or
 * WR_FP32_BITS), is an integer precision; 0 for FP32.  Can't fail. */
static inline int wr_bits_is_int(int bits) { return bits <= WR_MAX_INT_BITS; }

/* Parses "A/W" (e.g. "4/2", "32/32").  Returns WR_EINPUT with a message
 * naming `what` (e.g. "--prec") if the text is not two bit counts in 1..16
 * or 32.  `out` is written only on success. */
int wr_prec_parse(const char *text, const char *what, wr_prec *out, wr_err *e);

/* Writes "A/W" into buf (at least 8 bytes).  Returns buf. */
const char *wr_prec_str(wr_prec p, char *buf, size_t n);

/* What an integer accumulator of a given width does with a sum it can't
 * hold (docs/numerics.md). */
typedef enum wr_overflow {
  WR_OVF_SATURATE, /* clamp to the accumulator's range */
  WR_OVF_WRAP,     /* two's complement wrap */
  WR_OVF_ERROR     /* saturate, and the run fails */
} wr_overflow;

/* How an integer layer's accumulator becomes the next activation code. */
typedef enum wr_requant {
  WR_RQ_FLOAT, /* the binary32 rule of docs/numerics.md */
  WR_RQ_FIXED  /* integer multiplier, bias and shift */
} wr_requant;

/* Rounding of the fixed-point requantizer's final right shift. */
typedef enum wr_round {
  WR_ROUND_RNE,     /* half to even */
  WR_ROUND_HALF_UP, /* half towards +infinity: add 2^(s-1), shift */
  WR_ROUND_FLOOR    /* plain arithmetic shift */
} wr_round;

/* Their names, in the arch YAML and on the command line, by enum value. */
extern const char *const wr_overflow_names[3]; /* saturate, wrap, error */
extern const char *const wr_requant_names[2];  /* float, fixed */
extern const char *const wr_round_names[3];    /* rne, half-up, floor */

/* Parses "saturate", "wrap" or "error". */
int wr_overflow_parse(const char *s, wr_overflow *out, wr_err *e);
/* Parses "rne", "half-up" or "floor". */
int wr_round_parse(const char *s, wr_round *out, wr_err *e);

/* One per-layer override: layers whose full name matches the shell glob
 * `pattern` get `prec`. */
typedef struct wr_prec_rule {
  char *pattern;
  wr_prec prec;
} wr_prec_rule;

/* A precision policy: the default, the layers kept at FP32 (first, last
 * and name patterns) and ordered overrides (later rules win over earlier
 * ones and over `fp32`). */
typedef struct wr_policy {
  wr_prec def;
  int fp32_first;
  int fp32_last;
  char **fp32_patterns;
  size_t n_fp32_patterns;
  wr_prec_rule *rules;
  size_t n_rules;
} wr_policy;

/* Frees the strings and arrays a policy owns, and zeroes it.  Can't fail. */
void wr_policy_clear(wr_policy *p);

/* Deep-copies `src` into `dst` (which is overwritten, not freed).
 * Returns WR_ENOMEM on failure, leaving `dst` zeroed. */
int wr_policy_copy(wr_policy *dst, const wr_policy *src, wr_err *e);

/* Appends an override rule (pattern copied).  WR_ENOMEM on failure. */
int wr_policy_add_rule(wr_policy *p, const char *pattern, wr_prec prec,
                       wr_err *e);

/* Parses the CLI's `--fp32` list: "none", or a comma-separated list of
 * "first", "last" and name patterns; replaces the policy's fp32 set. */
int wr_policy_set_fp32(wr_policy *p, const char *list, wr_err *e);

/* ---- network IR -------------------------------------------------------- */

typedef enum wr_kind {
  WR_CONV,
  WR_FC,
  WR_MAXPOOL,
  WR_AVGPOOL,
  WR_BN,
  WR_ACT,
  WR_ADD,
  WR_CONCAT,
  WR_SOFTMAX
} wr_kind;

/* Name of a layer kind as written in YAML ("conv", "fc", ...). */
const char *wr_kind_name(wr_kind k);

/* A feature-map shape of one image: channels x height x width. */
typedef struct wr_shape {
  int64_t c, h, w;
} wr_shape;

/* Elements of a shape (c*h*w); the shapes the loader accepts can't
 * overflow this. */
int64_t wr_shape_elems(wr_shape s);

/* Producer index meaning "the network input". */
#define WR_NET_INPUT (-1)

typedef struct wr_layer {
  char *name; /* full name, PyTorch state_dict style: "layer1.0.conv1" */
  wr_kind kind;
  int line, col; /* where the layer is written (1-based) */

  int *inputs; /* producer indices (earlier layers) or WR_NET_INPUT */
  int n_inputs;

  /* conv and fc: channels as written (conv depthwise: 0) */
  int64_t out_base;
  /* conv and pooling geometry */
  int kh, kw, sh, sw, dh, dw;
  int pad_t, pad_b, pad_l, pad_r;
  int pad_same; /* TensorFlow SAME: pads derived from the input size */
  int groups;   /* conv: 1 = dense; depthwise sets it from the input */
  int depthwise;
  int bias;      /* conv and fc */
  int ceil_mode; /* pooling */
  int global;    /* pooling over the whole map */
  double eps;    /* bn */

  /* derived by shape inference (wr_net_widen) */
  wr_shape in; /* shape of the first input */
  wr_shape out;
  int64_t weights;      /* weight values (conv/fc kernels) */
  int64_t extra_params; /* bias values, BN gamma and beta */
  uint64_t macs;        /* multiply-accumulates per image (conv, fc) */
  int classifier;       /* the last conv or fc layer: keeps its channel count */

  /* set by wr_net_apply_policy (conv and fc only) */
  wr_prec prec;
} wr_layer;

typedef struct wr_net {
  char *name;
  char *source; /* citation text from the file, may be NULL */
  char *file;   /* file name errors refer to */
  wr_shape input;
  double *mean, *std; /* per input channel, or NULL */
  wr_layer *layers;
  int n_layers;
  double width;     /* the width multiplier currently applied */
  wr_policy policy; /* the file's precision policy (or the default) */
} wr_net;

/* Parses a workload from `text` (`len` bytes); `file` names it in error
 * messages.  Shapes are inferred at width 1 and the file's policy is
 * applied.  Returns the network (the caller frees with wr_net_free) or
 * NULL with `e` set. */
wr_net *wr_net_load_string(const char *text, size_t len, const char *file,
                           wr_err *e);

/* Reads and parses a workload file.  NULL with `e` set on failure. */
wr_net *wr_net_load_file(const char *path, wr_err *e);

/* Opens a zoo network by name, or else a workload file by path.  NULL with
 * `e` set (WR_EINPUT naming both tries) on failure. */
wr_net *wr_net_open(const char *name_or_path, wr_err *e);

/* Frees a network and everything it owns.  NULL is fine. */
void wr_net_free(wr_net *n);

/* Applies width multiplier `k` (> 0) to the network as loaded (not on top
 * of an earlier widening) and re-infers every shape, MAC and parameter
 * count.  On failure (k not positive and finite, a layer left with no
 * channels, groups not dividing channels, a kernel larger than its padded
 * input) returns WR_EINPUT naming the layer's file:line:col, and the
 * network's shapes are unspecified until a successful call. */
int wr_net_widen(wr_net *n, double k, wr_err *e);

/* Gives every conv and fc layer its precision from `policy`.  Can't fail
 * (a pattern that matches nothing is allowed here; the readers of
 * patterns refuse one with wr_net_pattern_matches). */
void wr_net_apply_policy(wr_net *n, const wr_policy *policy);

/* 1 if the shell glob `pattern` (fnmatch) matches the name of a conv or
 * fc layer of `n`, the layers a policy gives precisions to; else 0.
 * Can't fail. */
int wr_net_pattern_matches(const wr_net *n, const char *pattern);

/* Index of the layer named `name`, or -1. */
int wr_net_find(const wr_net *n, const char *name);

/* ---- network configuration --------------------------------------------- */

/* How a command configures a loaded network: the CLI's network options
 * (--width, --prec, --fp32, --layer-prec), a sweep point, a measured
 * model.  Borrowed strings; NULL fields keep what the network's file
 * says. */
typedef struct wr_net_config {
  double width;        /* width multiplier, as wr_net_widen takes it */
  const wr_prec *prec; /* default precision of conv and fc layers */
  const char *fp32;    /* the layers kept in FP32, a list as
                          wr_policy_set_fp32 reads it */
  const char *const *layer_prec; /* per-layer rules "PATTERN=A/W", applied
                                    in order after the default */
  int n_layer_prec;
  /* the name the network was opened by (--net), or NULL.  When set, every
   * FP32 pattern of `fp32` and every rule's pattern must select a conv or
   * fc layer, and the message points at 'wrpnsim net --net NAME'. */
  const char *opened_as;
} wr_net_config;

/* The precision policy `c` gives `n`: n's own policy with c's default
 * precision, FP32 list and rules.  WR_EINPUT for a malformed list or rule
 * (messages name --fp32 and --layer-prec) or a pattern that selects no
 * layer; WR_ENOMEM.  On success the caller frees `pol` with
 * wr_policy_clear; on failure it holds nothing.  `n` is not changed. */
int wr_net_config_policy(const wr_net *n, const wr_net_config *c,
                         wr_policy *pol, wr_err *e);

/* Configures `n` as `c` says: the policy of wr_net_config_policy (on
 * failure `n` is unchanged), then wr_net_widen to c->width (WR_EINPUT;
 * the shapes are then as wr_net_widen leaves them) and the policy
 * applied. */
int wr_net_configure(wr_net *n, const wr_net_config *c, wr_err *e);

/* Network totals per image. */
typedef struct wr_net_totals {
  uint64_t macs;     /* conv + fc multiply-accumulates */
  uint64_t params;   /* weights + biases + BN gamma/beta */
  int64_t n_compute; /* conv + fc layers */
} wr_net_totals;

wr_net_totals wr_net_sum(const wr_net *n);

/* For every layer, the bits at which its output is read: the largest
 * activation bits of the conv/fc layers that read it, directly or through
 * bn, act, pooling, add and concat layers; WR_FP32_BITS where no such
 * layer reads it (the network output).  `bits` has n->n_layers entries.
 * Uses the applied precisions.  Can't fail. */
void wr_net_read_bits(const wr_net *n, int *bits);

/* ---- files compiled into the library ----------------------------------- */

/* A YAML file embedded at build time (workloads/embed_files.cmake). */
typedef struct wr_embedded {
  const char *name; /* file name without ".yaml" */
  const char *text;
  size_t len;
} wr_embedded;

/* The text of the entry named `name` among files[0..n), or NULL; *len (may
 * be NULL) receives its length. */
const char *wr_embedded_text(const wr_embedded *files, size_t n,
                             const char *name, size_t *len);

/* 1 when `s` is written as a built-in name (no '/' nor '.'), 0 when it can
 * only be a file path.  Can't fail. */
int wr_builtin_name(const char *s);

/* A set of embedded files that an argument names, else a file path: the
 * files, the folder they come from ("workloads/zoo") and, for messages,
 * what a built-in one is ("a zoo network (see 'wrpnsim zoo')") and what a
 * file is ("a workload file path"). */
typedef struct wr_builtins {
  const wr_embedded *files;
  size_t n;
  const char *dir;
  const char *builtin;
  const char *file_kind;
} wr_builtins;

#define WR_NAMED_FILE_MAX 256

/* What a "built-in name, else a file path" argument names. */
typedef struct wr_named {
  const char *text; /* the built-in file's text (static), NULL for a path */
  size_t len;
  char file[WR_NAMED_FILE_MAX]; /* a built-in's "DIR/NAME.yaml", for
                                   messages; "" for a path */
} wr_named;

/* Looks `name_or_path` up among `b`'s files: a built-in one sets
 * out->text, len and file; a text with '/' or '.' is a file path
 * (out->text NULL: the caller reads it); any other is WR_EINPUT
 * "'NAME' is not BUILTIN nor FILE_KIND". */
int wr_named_find(const wr_builtins *b, const char *name_or_path, wr_named *out,
                  wr_err *e);

/* ---- zoo --------------------------------------------------------------- */

/* The networks compiled into the library from workloads/zoo/. */
size_t wr_zoo_count(void);
const char *wr_zoo_name(size_t i);
/* The YAML text of a zoo network, or NULL if there is none by that name. */
const char *wr_zoo_text(const char *name, size_t *len);
/* A zoo network by name, else a workload file path (wr_named_find). */
int wr_zoo_find(const char *name_or_path, wr_named *out, wr_err *e);

/* ---- arrays: NumPy .npy and .npz ---------------------------------------- */

/* Element types of the arrays wrpnsim reads and writes (little-endian on
 * disk, as NumPy writes them on every common machine). */
typedef enum wr_dtype {
  WR_DT_F32, /* '<f4' */
  WR_DT_F64, /* '<f8' */
  WR_DT_I32, /* '<i4' */
  WR_DT_I64, /* '<i8' */
  WR_DT_U8,  /* '|u1' */
  WR_DT_I8   /* '|i1' */
} wr_dtype;

#define WR_ARRAY_MAX_DIMS 8

/* An n-dimensional array in C (row-major) order, native byte order. */
typedef struct wr_array {
  char *name; /* key in an .npz (without ".npy"), or NULL */
  wr_dtype dtype;
  int ndim; /* 0 (a scalar) .. WR_ARRAY_MAX_DIMS */
  int64_t shape[WR_ARRAY_MAX_DIMS];
  int64_t count; /* product of shape */
  void *data;
} wr_array;

/* Bytes per element of a dtype. */
size_t wr_dtype_size(wr_dtype t);
/* NumPy's descr string of a dtype ("<f4", ...). */
const char *wr_dtype_descr(wr_dtype t);

/* Parses one .npy image (format versions 1.0, 2.0 and 3.0) from memory;
 * `what` names it in errors ("weights.npz:conv1.weight").  Rejects
 * Fortran order, unsupported dtypes, big-endian data, object arrays,
 * shapes that overflow, and data shorter or longer than the header says,
 * with WR_EINPUT.  The caller frees with wr_array_free. */
int wr_npy_parse(const void *buf, size_t len, const char *what, wr_array *out,
                 wr_err *e);
/* Reads a .npy file. */
int wr_npy_read(const char *path, wr_array *out, wr_err *e);
/* Writes the .npy format 1.0 header of an array of a's dtype and shape (its
 * data is not looked at) into buf: magic, version, header length and the
 * header dict padded with spaces and a newline to a multiple of 64 bytes.
 * Returns the header's length, or 0 if it needs more than `cap` bytes.
 * Lets a writer stream the data after it. */
size_t wr_npy_header(const wr_array *a, char *buf, size_t cap);
/* Writes a .npy file (format 1.0) atomically: to a temporary file in the
 * same folder, renamed over `path` only when complete. */
int wr_npy_write(const char *path, const wr_array *a, wr_err *e);

/* Writes any file atomically, as wr_npy_write does: `emit` writes the
 * content to f (returning non-zero on failure) into a temporary file in
 * the same folder, which is flushed, synced (fsync) and renamed over
 * `path`; on any failure the temporary file is removed and `path` left as
 * it was. */
typedef int (*wr_emit_fn)(FILE *f, const void *ctx);
int wr_write_atomic(const char *path, wr_emit_fn emit, const void *ctx,
                    wr_err *e);

/* A file written atomically in parts, at any offsets and from several
 * threads at once (disjoint ranges): wr_atomic_open creates the temporary
 * file "PATH.tmpXXXXXX" in path's folder; wr_atomic_write_at writes into
 * it; wr_atomic_commit syncs it and renames it over `path`; or
 * wr_atomic_discard removes it.  Commit and discard free what open
 * allocated, whatever happens; after a failed commit the temporary file is
 * removed and `path` left as it was.  Failures are wr_write_atomic's
 * (naming `path`). */
typedef struct wr_atomic_file {
  char *path; /* where the file goes */
  char *tmp;  /* the temporary file */
  int fd;     /* open on tmp for writing */
} wr_atomic_file;
int wr_atomic_open(wr_atomic_file *f, const char *path, wr_err *e);
int wr_atomic_write_at(const wr_atomic_file *f, const void *p, size_t n,
                       int64_t offset, wr_err *e);
int wr_atomic_commit(wr_atomic_file *f, wr_err *e);
void wr_atomic_discard(wr_atomic_file *f);

/* The arrays of an .npz archive, in archive order. */
typedef struct wr_npz {
  wr_array *arrays;
  size_t n;
} wr_npz;

/* Reads an .npz (a zip archive of .npy members, as numpy.savez and
 * numpy.savez_compressed write it: stored or deflated members, ZIP64
 * extra fields).  Corrupt archives (bad signatures, CRC mismatch,
 * truncation, unsupported compression, duplicate keys) are WR_EINPUT
 * naming the file and member.  The caller frees with wr_npz_free. */
int wr_npz_read(const char *path, wr_npz *out, wr_err *e);
/* Which members wr_npz_read_some reads: non-zero to read the member
 * stored under `key`. */
typedef int (*wr_npz_want_fn)(const char *key, void *ctx);
/* Reads the members of an .npz that `want` keeps (every one when `want`
 * is NULL), as wr_npz_read does.  Every member's central directory entry
 * is checked (name, encryption, method, duplicate key); the members not
 * kept are never read or inflated.  Members are streamed: the reader
 * holds the kept arrays, the central directory and a 128 KiB buffer, so
 * a large member nobody needs costs nothing.  The caller frees with
 * wr_npz_free. */
int wr_npz_read_some(const char *path, wr_npz_want_fn want, void *ctx,
                     wr_npz *out, wr_err *e);
/* The array stored under `key` (member "key.npy"), or NULL. */
const wr_array *wr_npz_get(const wr_npz *z, const char *key);
/* Writes arrays[0..n) as an .npz (stored members; each array's name is its
 * key), atomically as wr_npy_write does.  numpy.load reads the result. */
int wr_npz_write(const char *path, const wr_array *arrays, size_t n, wr_err *e);

void wr_array_free(wr_array *a);
void wr_npz_free(wr_npz *z);

/* The flat (row-major) index of the first NaN or infinite element of a
 * float32 or float64 array among its first `limit` elements (all of them
 * when limit < 0), or -1 if there is none or the array is not float.
 * Can't fail. */
int64_t wr_array_first_nonfinite(const wr_array *a, int64_t limit);
/* Writes element `flat` of a's shape as a multi-dimensional index,
 * "[3,0,12,7]" ("[]" for a scalar), into buf (n >= 2).  Returns buf. */
const char *wr_array_index_str(const wr_array *a, int64_t flat, char *buf,
                               size_t n);
/* "NaN", "+inf" or "-inf": the name of a non-finite value in messages. */
const char *wr_nonfinite_name(double v);

/* ---- datasets ---------------------------------------------------------- */

/* Images (N x C x H x W, either 8-bit pixels or float values) with
 * optional labels. */
typedef struct wr_dataset {
  int64_t n;
  int64_t c, h, w;
  uint8_t *pixels; /* n*c*h*w pixels, or NULL when `values` is used */
  float *values;   /* n*c*h*w inputs as given (a float .npy), or NULL */
  int32_t *labels; /* n labels, or NULL */
  int n_classes;   /* 1 + the largest label, 0 without labels */
  char *source;    /* the images file, for messages; NULL: "input images" */
} wr_dataset;

/* Default folder of the Debian package dataset-fashion-mnist. */
#define WR_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* Reads Fashion-MNIST from `dir` (gzip IDX files as the Debian package
 * ships them: {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz), the test
 * split (`train` = 0, 10,000 images) or the training split (60,000),
 * keeping the first `limit` images (0 = all).  A missing, truncated or
 * corrupt file, a wrong magic number, or image and label counts that
 * disagree are WR_EINPUT naming the file. */
int wr_dataset_fashion_mnist(const char *dir, int train, int64_t limit,
                             wr_dataset *out, wr_err *e);

/* Reads an IDX file (gzip-compressed or plain) of unsigned bytes: `ndim`
 * receives the number of dimensions (1..4) and dims[] their sizes. The
 * caller frees *data. */
int wr_idx_read(const char *path, int *ndim, int64_t dims[4], uint8_t **data,
                wr_err *e);

/* Reads input images from a .npy: shape [N, C, H, W], [N, H, W] (C = 1)
 * or [C, H, W] (N = 1); uint8 arrays become pixels, float32/float64
 * arrays values; no labels.  `limit` as above. */
int wr_dataset_npy(const char *path, int64_t limit, wr_dataset *out, wr_err *e);

void wr_dataset_free(wr_dataset *d);

/* ---- the paper's first-order models ----------------------------------- */

/* WRPN compute cost (paper footnote): FMAs x (a_bits + w_bits), relative
 * to the FMAs of the 1x FP32 network x 64.  `uniform` given: every layer
 * at that precision, as the paper counts; NULL: each layer's own
 * precision from the applied policy. */
double wr_net_cost(const wr_net *n, const wr_prec *uniform, uint64_t base_fmas);

/* Memory footprint (paper section on memory; formulas in docs/models.md),
 * in bytes, reduced-precision values packed densely (n k-bit values take
 * ceil(n*k/8) bytes). */
typedef struct wr_footprint {
  uint64_t weight_bytes;    /* conv/fc weights at w_bits, biases and
                               BN parameters at 32 bits */
  uint64_t infer_act_bytes; /* max IFM + max OFM over layers, batch N */
  uint64_t infer_total_bytes;
  uint64_t train_act_bytes;  /* every conv/fc input + the output */
  uint64_t train_grad_bytes; /* largest IFM + OFM gradient maps, FP32 */
  uint64_t train_total_bytes;
} wr_footprint;

/* Computes the footprint for `batch` images with the network's applied
 * precisions.  WR_EINPUT if batch is 0 or a count overflows 64 bits. */
int wr_net_footprint(const wr_net *n, uint64_t batch, wr_footprint *out,
                     wr_err *e);

/* Bytes of `count` values of `bits` bits packed densely: ceil(count*bits/8).
 * Returns 0 and sets *overflow on overflow. */
uint64_t wr_packed_bytes(uint64_t count, int bits, int *overflow);

/* ---- threads and time (parallel.c, clock.c) ---------------------------- */

/* One slice of a wr_parallel_for: the k-th, covering [lo, hi). */
typedef void (*wr_slice_fn)(void *ctx, int k, int64_t lo, int64_t hi);

/* Cuts [0, n) into T = min(threads, n) slices (at least 1; threads < 1
 * counts as 1), slice k being [n*k/T, n*(k+1)/T), so the partition depends
 * on n and threads only; with n == threads, slice k is [k, k+1): one task
 * per thread.  Calls fn once per slice, concurrently: slices 1..T-1 each
 * on a thread of its own, slice 0 on the calling thread, and returns when
 * all have returned.  A slice whose thread cannot be started runs on the
 * calling thread before slice 0, so every slice runs exactly once and
 * slice 0 may wait for the others (collect what they produce); the others
 * must wait neither for slice 0 nor for one another.  n * threads must
 * fit in 64 bits.  Can't fail. */
void wr_parallel_for(int64_t n, int threads, wr_slice_fn fn, void *ctx);

/* Seconds on the monotonic clock (CLOCK_MONOTONIC), from an arbitrary
 * origin: for intervals only.  Can't fail. */
double wr_now_s(void);

#endif
