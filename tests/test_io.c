/* test_io.c — arrays and datasets on disk: .npy and .npz files made the
 * way numpy writes them (data/io/make_fixtures.py), write/read round
 * trips, atomic writes, the exact message of every corrupt file in
 * data/io/bad/, IDX files, and the real Fashion-MNIST split. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#ifndef TEST_IO_DIR
#error "TEST_IO_DIR must name tests/data/io"
#endif

#define PATH_LEN 1024
#define SCRATCH_LEN 64

/* TEST_IO_DIR/name into buf. */
static void fixture(char *buf, const char *name) {
  snprintf(buf, PATH_LEN, "%s/%s", TEST_IO_DIR, name);
}

/* dir/name into out (PATH_LEN bytes). */
static void join(char *out, const char *dir, const char *name) {
  snprintf(out, PATH_LEN, "%s/%s", dir, name);
}

/* A fresh scratch folder under /tmp (the caller removes it with
 * scratch_remove). */
static void scratch_new(char *dir) {
  snprintf(dir, SCRATCH_LEN, "/tmp/wrpnsim-test-io-XXXXXX");
  if (!mkdtemp(dir))
    fail_msg("mkdtemp failed");
}

/* Number of entries of `dir` (without . and ..). */
static int dir_entries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  assert_non_null(d);
  for (struct dirent *de; (de = readdir(d));)
    n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
  closedir(d);
  return n;
}

/* Removes the files (and empty folders) in `dir` and `dir` itself. */
static void scratch_remove(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  char p[PATH_LEN];
  for (struct dirent *de; (de = readdir(d));) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    if (unlink(p) != 0)
      rmdir(p);
  }
  closedir(d);
  assert_int_equal(rmdir(dir), 0);
}

/* Reads a whole small file into buf (at most cap bytes); returns its
 * length. */
static size_t file_bytes(const char *path, void *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  size_t n = fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

static void check_shape(const wr_array *a, wr_dtype t, int ndim,
                        const int64_t *shape) {
  assert_int_equal(a->dtype, t);
  assert_int_equal(a->ndim, ndim);
  int64_t count = 1;
  for (int i = 0; i < ndim; i++) {
    assert_int_equal(a->shape[i], shape[i]);
    count *= shape[i];
  }
  assert_int_equal(a->count, count);
  assert_non_null(a->data);
}

static const float f4_values[6] = {0.5f, -1.25f, 2.0f, 3.75f, -0.0625f, 100.0f};
static const int64_t i8_values[4] = {1, -2, 3000000000LL,
                                     -9000000000000000000LL};

/* The members every savez-like fixture has (see make_fixtures.py). */
static void check_savez_members(const wr_npz *z) {
  static const int64_t s23[2] = {2, 3}, s4[1] = {4}, s04[2] = {0, 4},
                       s2112[4] = {2, 1, 1, 2};
  static const int8_t i1[4] = {-128, -1, 0, 127};
  assert_string_equal(z->arrays[0].name, "a");
  const wr_array *a = wr_npz_get(z, "a");
  check_shape(a, WR_DT_F32, 2, s23);
  assert_memory_equal(a->data, f4_values, sizeof f4_values);
  const wr_array *b = wr_npz_get(z, "b");
  check_shape(b, WR_DT_I64, 1, s4);
  assert_memory_equal(b->data, i8_values, sizeof i8_values);
  if (z->n == 2)
    return;
  const wr_array *s = wr_npz_get(z, "scalar");
  check_shape(s, WR_DT_U8, 0, NULL);
  assert_int_equal(*(const uint8_t *)s->data, 200);
  check_shape(wr_npz_get(z, "empty"), WR_DT_F64, 2, s04);
  const wr_array *w = wr_npz_get(z, "layer1.0.conv1.weight");
  check_shape(w, WR_DT_I8, 4, s2112);
  assert_memory_equal(w->data, i1, sizeof i1);
  assert_null(wr_npz_get(z, "layer1.0.conv1.weight.npy"));
  assert_null(wr_npz_get(z, "missing"));
}

static void dtypes(void **state) {
  (void)state;
  static const char *const descr[] = {"<f4", "<f8", "<i4", "<i8", "|u1", "|i1"};
  static const size_t size[] = {4, 8, 4, 8, 1, 1};
  for (int t = WR_DT_F32; t <= WR_DT_I8; t++) {
    assert_string_equal(wr_dtype_descr((wr_dtype)t), descr[t]);
    assert_int_equal(wr_dtype_size((wr_dtype)t), size[t]);
  }
  assert_int_equal(wr_dtype_size((wr_dtype)99), 0);
  assert_string_equal(wr_dtype_descr((wr_dtype)99), "?");
}

static void npy_fixtures(void **state) {
  (void)state;
  char p[PATH_LEN];
  wr_err e;
  wr_array a;
  static const int64_t s23[2] = {2, 3}, s4[1] = {4}, s04[2] = {0, 4},
                       s22[2] = {2, 2};
  fixture(p, "f4-2x3.npy");
  assert_int_equal(wr_npy_read(p, &a, &e), WR_OK);
  check_shape(&a, WR_DT_F32, 2, s23);
  assert_null(a.name);
  assert_memory_equal(a.data, f4_values, sizeof f4_values);
  wr_array_free(&a);
  fixture(p, "i8-vec-v2.npy"); /* format 2.0 */
  assert_int_equal(wr_npy_read(p, &a, &e), WR_OK);
  check_shape(&a, WR_DT_I64, 1, s4);
  assert_memory_equal(a.data, i8_values, sizeof i8_values);
  wr_array_free(&a);
  fixture(p, "u1-scalar-v3.npy"); /* format 3.0, 0-d */
  assert_int_equal(wr_npy_read(p, &a, &e), WR_OK);
  check_shape(&a, WR_DT_U8, 0, NULL);
  assert_int_equal(*(uint8_t *)a.data, 200);
  wr_array_free(&a);
  fixture(p, "f8-empty.npy");
  assert_int_equal(wr_npy_read(p, &a, &e), WR_OK);
  check_shape(&a, WR_DT_F64, 2, s04);
  wr_array_free(&a);
  fixture(p, "i4-keys.npy"); /* other key order, double quotes */
  assert_int_equal(wr_npy_read(p, &a, &e), WR_OK);
  check_shape(&a, WR_DT_I32, 2, s22);
  static const int32_t i4[4] = {1, -1, INT32_MAX, INT32_MIN};
  assert_memory_equal(a.data, i4, sizeof i4);
  wr_array_free(&a);
  wr_array_free(NULL);
}

static void npz_fixtures(void **state) {
  (void)state;
  char p[PATH_LEN];
  wr_err e;
  wr_npz z;
  fixture(p, "savez.npz"); /* stored, ZIP64 local headers */
  assert_int_equal(wr_npz_read(p, &z, &e), WR_OK);
  assert_int_equal(z.n, 5);
  check_savez_members(&z);
  wr_npz_free(&z);
  fixture(p, "savez-compressed.npz"); /* deflated */
  assert_int_equal(wr_npz_read(p, &z, &e), WR_OK);
  assert_int_equal(z.n, 6);
  check_savez_members(&z);
  const wr_array *r = wr_npz_get(&z, "ramp");
  assert_int_equal(r->count, 1000);
  for (int i = 0; i < 1000; i++)
    assert_int_equal(((uint8_t *)r->data)[i], i % 7);
  wr_npz_free(&z);
  fixture(p, "zip64.npz"); /* ZIP64 end record and central extra fields */
  assert_int_equal(wr_npz_read(p, &z, &e), WR_OK);
  assert_int_equal(z.n, 2);
  check_savez_members(&z);
  wr_npz_free(&z);
  wr_npz_free(NULL);
}

/* Arrays of every dtype, 0 to 8 dims, one of them empty. */
typedef struct test_arrays {
  wr_array a[6];
  float f32[6];
  double f64;
  int64_t i64[3];
  uint8_t u8[8];
  int8_t i8[1];
} test_arrays;

static void make_arrays(test_arrays *t) {
  memset(t, 0, sizeof *t);
  memcpy(t->f32, f4_values, sizeof f4_values);
  t->f64 = -2.5;
  t->i64[0] = INT64_MIN;
  t->i64[2] = INT64_MAX;
  for (int i = 0; i < 8; i++)
    t->u8[i] = (uint8_t)(250 + i);
  t->i8[0] = -7;
  wr_array a[6] = {
      {"conv1.weight", WR_DT_F32, 2, {2, 3}, 6, t->f32},
      {"scalar", WR_DT_F64, 0, {0}, 1, &t->f64},
      {"empty", WR_DT_I32, 2, {3, 0}, 0, NULL},
      {"fc.bias", WR_DT_I64, 1, {3}, 3, t->i64},
      {"cube", WR_DT_U8, 3, {2, 2, 2}, 8, t->u8},
      {"deep", WR_DT_I8, 8, {1, 1, 1, 1, 1, 1, 1, 1}, 1, t->i8},
  };
  memcpy(t->a, a, sizeof a);
}

static void same_array(const wr_array *got, const wr_array *want) {
  check_shape(got, want->dtype, want->ndim, want->shape);
  if (want->count)
    assert_memory_equal(got->data, want->data,
                        (size_t)want->count * wr_dtype_size(want->dtype));
}

static void npz_round_trip(void **state) {
  (void)state;
  char dir[SCRATCH_LEN], p[PATH_LEN];
  wr_err e;
  test_arrays t;
  make_arrays(&t);
  scratch_new(dir);
  join(p, dir, "w.npz");
  assert_int_equal(wr_npz_write(p, t.a, 6, &e), WR_OK);
  wr_npz z;
  assert_int_equal(wr_npz_read(p, &z, &e), WR_OK);
  assert_int_equal(z.n, 6);
  for (int i = 0; i < 6; i++) {
    assert_string_equal(z.arrays[i].name, t.a[i].name);
    same_array(&z.arrays[i], &t.a[i]);
  }
  wr_npz_free(&z);
  /* overwriting replaces the archive */
  assert_int_equal(wr_npz_write(p, &t.a[3], 1, &e), WR_OK);
  assert_int_equal(wr_npz_read(p, &z, &e), WR_OK);
  assert_int_equal(z.n, 1);
  same_array(wr_npz_get(&z, "fc.bias"), &t.a[3]);
  wr_npz_free(&z);
  /* an empty archive */
  assert_int_equal(wr_npz_write(p, NULL, 0, &e), WR_OK);
  assert_int_equal(wr_npz_read(p, &z, &e), WR_OK);
  assert_int_equal(z.n, 0);
  wr_npz_free(&z);
  assert_int_equal(dir_entries(dir), 1); /* no temporary files left */
  scratch_remove(dir);
}

static void npy_round_trip(void **state) {
  (void)state;
  char dir[SCRATCH_LEN], p[PATH_LEN];
  wr_err e;
  test_arrays t;
  make_arrays(&t);
  scratch_new(dir);
  join(p, dir, "a.npy");
  for (int i = 0; i < 6; i++) {
    wr_array got;
    assert_int_equal(wr_npy_write(p, &t.a[i], &e), WR_OK);
    assert_int_equal(wr_npy_read(p, &got, &e), WR_OK);
    same_array(&got, &t.a[i]);
    wr_array_free(&got);
  }
  /* the bytes numpy writes for the same arrays */
  static const char *const twins[2] = {"f4-2x3.npy", "f8-empty.npy"};
  wr_array f8 = {NULL, WR_DT_F64, 2, {0, 4}, 0, NULL};
  const wr_array *src[2] = {&t.a[0], &f8};
  for (int i = 0; i < 2; i++) {
    char want[512], got[512], q[PATH_LEN];
    fixture(q, twins[i]);
    assert_int_equal(wr_npy_write(p, src[i], &e), WR_OK);
    size_t n = file_bytes(q, want, sizeof want);
    assert_int_equal(file_bytes(p, got, sizeof got), n);
    assert_memory_equal(got, want, n);
  }
  struct stat st;
  assert_int_equal(stat(p, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644);
  assert_int_equal(dir_entries(dir), 1);
  scratch_remove(dir);
}

static void npy_header(void **state) {
  (void)state;
  char h[256];
  wr_array a = {NULL, WR_DT_I32, 4, {10000, 64, 56, 56}, 0, NULL};
  size_t n = wr_npy_header(&a, h, sizeof h);
  assert_int_equal(n, 128);
  assert_int_equal(h[n - 1], '\n');
  const char dict[] = "{'descr': '<i4', 'fortran_order': False, 'shape': "
                      "(10000, 64, 56, 56), }";
  assert_memory_equal(h + 10, dict, sizeof dict - 1);
  assert_int_equal(wr_npy_header(&a, h, 127), 0);
  a.ndim = 9;
  assert_int_equal(wr_npy_header(&a, h, sizeof h), 0);
  a.ndim = 1;
  a.shape[0] = -1;
  assert_int_equal(wr_npy_header(&a, h, sizeof h), 0);
}

/* `rc` must be `status` with message `want`. */
static void expect_err(int rc, const wr_err *e, int status, const char *want) {
  assert_int_equal(rc, status);
  assert_int_equal(e->status, status);
  assert_string_equal(e->msg, want);
}

static void write_errors(void **state) {
  (void)state;
  char dir[SCRATCH_LEN], p[PATH_LEN], want[2 * PATH_LEN];
  wr_err e;
  test_arrays t;
  make_arrays(&t);
  scratch_new(dir);
  join(p, dir, "no/such/dir/w.npz");
  snprintf(want, sizeof want,
           "%s: cannot create a temporary file: No such file or directory", p);
  expect_err(wr_npz_write(p, t.a, 6, &e), &e, WR_EINPUT, want);
  /* renaming over a folder fails after writing: the temporary goes */
  join(p, dir, "folder");
  assert_int_equal(mkdir(p, 0755), 0);
  snprintf(want, sizeof want,
           "%s: cannot rename the temporary file into place: Is a directory",
           p);
  expect_err(wr_npz_write(p, t.a, 6, &e), &e, WR_ERUNTIME, want);
  expect_err(wr_npy_write(p, t.a, &e), &e, WR_ERUNTIME, want);
  assert_int_equal(dir_entries(dir), 1);
  assert_int_equal(rmdir(p), 0);
  /* an existing archive stays as it was when a write fails */
  join(p, dir, "w.npz");
  assert_int_equal(wr_npz_write(p, &t.a[1], 1, &e), WR_OK);
  wr_array big = {"big", WR_DT_F32, 1, {(int64_t)1 << 30}, (int64_t)1 << 30,
                  t.f32};
  snprintf(want, sizeof want,
           "%s: the arrays need 4 GiB or more, too large for an .npz "
           "without ZIP64",
           p);
  expect_err(wr_npz_write(p, &big, 1, &e), &e, WR_EINPUT, want);
  wr_array two[2] = {t.a[0], t.a[0]};
  snprintf(want, sizeof want, "%s: duplicate array name 'conv1.weight'", p);
  expect_err(wr_npz_write(p, two, 2, &e), &e, WR_EINPUT, want);
  two[1].name = NULL;
  snprintf(want, sizeof want, "%s: array 2 has no name", p);
  expect_err(wr_npz_write(p, two, 2, &e), &e, WR_EINPUT, want);
  two[1] = t.a[1];
  two[1].count = 2;
  snprintf(want, sizeof want,
           "%s: array 'scalar': count 2 is not the product of the shape (1)",
           p);
  expect_err(wr_npz_write(p, two, 2, &e), &e, WR_EINPUT, want);
  two[1] = t.a[1];
  two[1].dtype = (wr_dtype)42;
  snprintf(want, sizeof want, "%s: array 'scalar': unknown dtype 42", p);
  expect_err(wr_npz_write(p, two, 2, &e), &e, WR_EINPUT, want);
  wr_npz z;
  assert_int_equal(wr_npz_read(p, &z, &e), WR_OK);
  assert_int_equal(z.n, 1);
  same_array(&z.arrays[0], &t.a[1]);
  wr_npz_free(&z);
  join(p, dir, "x.npy");
  wr_array nodata = {NULL, WR_DT_U8, 1, {4}, 4, NULL};
  snprintf(want, sizeof want, "%s: no data", p);
  expect_err(wr_npy_write(p, &nodata, &e), &e, WR_EINPUT, want);
  nodata.ndim = 9;
  snprintf(want, sizeof want, "%s: 9 dimensions (0..8 supported)", p);
  expect_err(wr_npy_write(p, &nodata, &e), &e, WR_EINPUT, want);
  assert_int_equal(dir_entries(dir), 1);
  scratch_remove(dir);
}

/* Parses a .npy image with header dict `dict` (padded as numpy pads it)
 * and `data_len` zero bytes of data; returns the status, with the message
 * in e. */
static int parse_dict(const char *dict, size_t data_len, wr_err *e) {
  char buf[512];
  size_t n = strlen(dict);
  size_t total = (10 + n + 1 + 63) / 64 * 64;
  assert_true(total + data_len <= sizeof buf);
  memcpy(buf, "\x93NUMPY\x01\x00", 8);
  buf[8] = (char)(total - 10);
  buf[9] = 0;
  memcpy(buf + 10, dict, n);
  memset(buf + 10 + n, ' ', total - 10 - n);
  buf[total - 1] = '\n';
  memset(buf + total, 0, data_len);
  wr_array a;
  int rc = wr_npy_parse(buf, total + data_len, "m", &a, e);
  if (rc == WR_OK)
    wr_array_free(&a);
  return rc;
}

static void parse_dict_err(const char *dict, const char *want) {
  wr_err e;
  expect_err(parse_dict(dict, 0, &e), &e, WR_EINPUT, want);
}

static void npy_header_errors(void **state) {
  (void)state;
  wr_err e;
  assert_int_equal(parse_dict("{'descr':'|u1','fortran_order':False,"
                              "'shape':(2,3,),}",
                              6, &e),
                   WR_OK);
  assert_int_equal(parse_dict("{'descr': '<f8', 'fortran_order': False, "
                              "'shape': (1, 1, 1, 1, 1, 1, 1, 1), }",
                              8, &e),
                   WR_OK);
  parse_dict_err("{'descr': '<f4', 'fortran_order': False}",
                 "m: the header has no 'shape' key");
  parse_dict_err("{'descr': '<f4', 'descr': '<f4'}",
                 "m: duplicate key 'descr' in the header");
  parse_dict_err("{'descr': '<f4', 'fortran_order': False, 'shape': (), "
                 "'extra': 1}",
                 "m: unknown key 'extra' in the header");
  parse_dict_err("{'descr': [('x', '<f4')], 'fortran_order': False, "
                 "'shape': ()}",
                 "m: structured dtypes are not supported");
  parse_dict_err("{'descr': '<f4', 'fortran_order': 0, 'shape': ()}",
                 "m: malformed .npy header at byte 44: expected True or "
                 "False");
  parse_dict_err("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",
                 "m: negative dimension in the shape");
  parse_dict_err("{'descr': '<f4', 'fortran_order': False, 'shape': [3]}",
                 "m: malformed .npy header at byte 60: expected a shape "
                 "tuple");
  parse_dict_err("{'descr': '<f4', 'fortran_order': False, 'shape': "
                 "(1, 1, 1, 1, 1, 1, 1, 1, 1)}",
                 "m: more than 8 dimensions are not supported");
  parse_dict_err("{'descr': '<f4', 'fortran_order': False, 'shape': "
                 "(99999999999999999999,)}",
                 "m: a dimension of the shape is too large");
  parse_dict_err("{'descr': '<f8', 'fortran_order': False, 'shape': "
                 "(4294967296, 4294967296)}",
                 "m: the array is too large (size overflows)");
  parse_dict_err("{'descr': '<f4', 'fortran_order': False, 'shape': ()} x",
                 "m: malformed .npy header at byte 64: expected the end of "
                 "the header after '}'");
  parse_dict_err("{'descr': '<f4' 'fortran_order': False}",
                 "m: malformed .npy header at byte 26: expected ',' or '}'");
  expect_err(wr_npy_parse(NULL, 0, "m", NULL, &e), &e, WR_EINPUT,
             "m: truncated: 0 bytes, too short for a .npy header");
  expect_err(wr_npy_parse("\x93NUMPY\x01\x00\x40\x00{}", 12, "m", NULL, &e), &e,
             WR_EINPUT,
             "m: truncated: the header needs 64 bytes, 2 are "
             "there");
}

/* wr_npz_read_some callback: keeps the members named in the NULL-ended
 * list ctx. */
static int keep_listed(const char *key, void *ctx) {
  for (const char *const *k = ctx; *k; k++)
    if (strcmp(*k, key) == 0)
      return 1;
  return 0;
}

/* Only the members asked for are read; the others are still checked in
 * the central directory (a duplicate key among them is an error) but never
 * read (a corrupt member nobody asks for is no error). */
static void npz_some(void **state) {
  (void)state;
  char p[PATH_LEN], want[2 * PATH_LEN];
  wr_err e;
  wr_npz z;
  static const char *const ramp[] = {"ramp", NULL}, *const none[] = {NULL};
  static const char *const a[] = {"a", NULL};
  fixture(p, "savez-compressed.npz");
  assert_int_equal(wr_npz_read_some(p, keep_listed, (void *)ramp, &z, &e),
                   WR_OK);
  assert_int_equal(z.n, 1);
  assert_int_equal(wr_npz_get(&z, "ramp")->count, 1000);
  assert_null(wr_npz_get(&z, "a"));
  wr_npz_free(&z);
  assert_int_equal(wr_npz_read_some(p, keep_listed, (void *)none, &z, &e),
                   WR_OK);
  assert_int_equal(z.n, 0);
  wr_npz_free(&z);
  fixture(p, "bad/crc.npz"); /* member a's CRC is wrong */
  assert_int_equal(wr_npz_read_some(p, keep_listed, (void *)none, &z, &e),
                   WR_OK);
  wr_npz_free(&z);
  snprintf(want, sizeof want,
           "%s: member 'a.npy': CRC-32 mismatch: the archive says "
           "0xc68eb4da, the data has 0xb052f54a",
           p);
  expect_err(wr_npz_read_some(p, keep_listed, (void *)a, &z, &e), &e, WR_EINPUT,
             want);
  fixture(p, "bad/duplicate.npz");
  snprintf(want, sizeof want, "%s: member 'a.npy': duplicate key 'a'", p);
  expect_err(wr_npz_read_some(p, keep_listed, (void *)none, &z, &e), &e,
             WR_EINPUT, want);
}

/* Non-finite values are found at their multi-dimensional index. */
static void nonfinite_index(void **state) {
  (void)state;
  float f[24] = {0};
  double d[3] = {1, 2, -INFINITY};
  wr_array a = {NULL, WR_DT_F32, 3, {2, 3, 4}, 24, f};
  char buf[64];
  assert_int_equal(wr_array_first_nonfinite(&a, -1), -1);
  f[23] = NAN;
  f[17] = INFINITY;
  assert_int_equal(wr_array_first_nonfinite(&a, -1), 17);
  assert_int_equal(wr_array_first_nonfinite(&a, 17), -1);
  assert_string_equal(wr_array_index_str(&a, 17, buf, sizeof buf), "[1,1,1]");
  assert_string_equal(wr_array_index_str(&a, 23, buf, sizeof buf), "[1,2,3]");
  assert_string_equal(wr_nonfinite_name(f[17]), "+inf");
  assert_string_equal(wr_nonfinite_name(f[23]), "NaN");
  wr_array b = {NULL, WR_DT_F64, 1, {3}, 3, d};
  assert_int_equal(wr_array_first_nonfinite(&b, -1), 2);
  assert_string_equal(wr_nonfinite_name(d[2]), "-inf");
  wr_array s = {NULL, WR_DT_F64, 0, {0}, 1, d};
  assert_string_equal(wr_array_index_str(&s, 0, buf, sizeof buf), "[]");
  wr_array u = {NULL, WR_DT_U8, 1, {3}, 3, d};
  assert_int_equal(wr_array_first_nonfinite(&u, -1), -1);
}

/* One corrupt file of data/io/bad/ and the message it must give after
 * "PATH: ". */
typedef struct bad_case {
  const char *file;
  const char *msg;
} bad_case;

static const bad_case bad_cases[] = {
    {"truncated.npy", "truncated: expected 24 bytes of data, got 10"},
    {"trailing.npy", "3 trailing bytes after the 24 bytes of data"},
    {"bad-magic.npy", "not a .npy file (bad magic number)"},
    {"bad-version.npy",
     "unsupported .npy format version 4.0 (expected 1.0, 2.0 or 3.0)"},
    {"fortran.npy",
     "Fortran-order arrays are not supported; save a C-contiguous array"},
    {"big-endian.npy",
     "big-endian data ('>f4') is not supported; save the array little-endian"},
    {"unknown-dtype.npy",
     "unsupported dtype '<c8' (expected <f4, <f8, <i4, <i8, |u1 or |i1)"},
    {"object.npy",
     "unsupported dtype '|O' (expected <f4, <f8, <i4, <i8, |u1 or |i1)"},
    {"bad-header.npy", "malformed .npy header at byte 63: expected ',' after "
                       "the only dimension, as in (3,)"},
    {"crc.npz", "member 'a.npy': CRC-32 mismatch: the archive says "
                "0xc68eb4da, the data has 0xb052f54a"},
    {"crc-deflated.npz", "member 'a.npy': CRC-32 mismatch: the archive says "
                         "0xc68eb425, the data has 0xc68eb4da"},
    {"corrupt-deflate.npz",
     "member 'a.npy': corrupt deflate data: invalid distance too far back"},
    {"truncated.npz", "not a zip archive: no end-of-central-directory record "
                      "(truncated?)"},
    {"not-npy.npz", "member 'readme.txt': not an .npy array (member names "
                    "must be KEY.npy)"},
    {"duplicate.npz", "member 'a.npy': duplicate key 'a'"},
    {"method.npz", "member 'a.npy': compression method 12 is not supported "
                   "(only stored and deflated)"},
    {"encrypted.npz", "member 'a.npy': encrypted members are not supported"},
    {"bad-member.npz", "member 'w.npy': Fortran-order arrays are not "
                       "supported; save a C-contiguous array"},
    {"bad-local.npz", "member 'a.npy': bad local header signature"},
    {"offset.npz", "member 'a.npy': local header offset 9999 lies outside "
                   "the file"},
    {"idx-truncated.idx.gz", "truncated: expected 10 bytes of data, got 5"},
    {"idx-cut.idx.gz", "truncated: expected 2352 bytes of data, got 134"},
    {"idx-bad-magic.idx",
     "bad magic number 0x12340801 (not an IDX file of 1 to 4 dimensions)"},
    {"idx-int-type.idx",
     "IDX data type 0x0c is not supported (only 0x08, unsigned bytes)"},
    {"idx-trailing.idx", "2 trailing bytes after the 2 bytes of data"},
    {"idx-corrupt.idx.gz", "corrupt gzip data: incorrect data check"},
    {"idx-empty.idx", "truncated: 0 bytes, too short for an IDX header"},
    {"idx-short-header.idx", "truncated: the IDX header ends after 7 bytes"},
    {"idx-huge.idx", "the IDX dims are too large"},
    {"idx-not-gzip.idx.gz", "corrupt gzip data: invalid code lengths set"},
};

/* Reads `path` with the reader its name calls for; checks that the
 * output is left alone on failure. */
static int read_any(const char *path, wr_err *e) {
  size_t n = strlen(path);
  int rc;
  if (strcmp(path + n - 4, ".npz") == 0) {
    wr_npz z = {(wr_array *)&z, 77}, before = z;
    rc = wr_npz_read(path, &z, e);
    assert_memory_equal(&z, &before, sizeof z);
  } else if (strcmp(path + n - 4, ".npy") == 0) {
    wr_array a, before;
    memset(&a, 0x5a, sizeof a);
    before = a;
    rc = wr_npy_read(path, &a, e);
    assert_memory_equal(&a, &before, sizeof a);
  } else {
    int nd = -5;
    uint8_t *data = (uint8_t *)&nd;
    int64_t dims[4] = {-1, -1, -1, -1};
    rc = wr_idx_read(path, &nd, dims, &data, e);
    assert_int_equal(nd, -5);
    assert_ptr_equal(data, &nd);
    assert_int_equal(dims[0], -1);
  }
  return rc;
}

static void bad_files(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
    char p[PATH_LEN], name[128], want[2 * PATH_LEN];
    wr_err e;
    snprintf(name, sizeof name, "bad/%s", bad_cases[i].file);
    fixture(p, name);
    snprintf(want, sizeof want, "%s: %s", p, bad_cases[i].msg);
    expect_err(read_any(p, &e), &e, WR_EINPUT, want);
  }
}

static void missing_files(void **state) {
  (void)state;
  wr_err e;
  const char *p = "/nonexistent/x";
  expect_err(read_any("/nonexistent/x.npz", &e), &e, WR_EINPUT,
             "/nonexistent/x.npz: cannot open: No such file or directory");
  expect_err(read_any("/nonexistent/x.npy", &e), &e, WR_EINPUT,
             "/nonexistent/x.npy: cannot open: No such file or directory");
  expect_err(read_any(p, &e), &e, WR_EINPUT,
             "/nonexistent/x: cannot open: No such file or directory");
  expect_err(read_any("/tmp/.npy", &e), &e, WR_EINPUT,
             "/tmp/.npy: cannot open: No such file or directory");
  char dir[PATH_LEN], want[2 * PATH_LEN];
  fixture(dir, "fmnist");
  snprintf(want, sizeof want, "%s: not a regular file", dir);
  wr_array a;
  expect_err(wr_npy_read(dir, &a, &e), &e, WR_EINPUT, want);
}

static void idx_files(void **state) {
  (void)state;
  static const char *const names[2] = {"u8-2x3.idx", "u8-2x3.idx.gz"};
  static const uint8_t want[6] = {1, 2, 3, 4, 5, 255};
  for (int i = 0; i < 2; i++) {
    char p[PATH_LEN];
    int nd = 0;
    int64_t dims[4] = {0, 0, 0, 0};
    uint8_t *data = NULL;
    wr_err e;
    fixture(p, names[i]);
    assert_int_equal(wr_idx_read(p, &nd, dims, &data, &e), WR_OK);
    assert_int_equal(nd, 2);
    assert_int_equal(dims[0], 2);
    assert_int_equal(dims[1], 3);
    assert_memory_equal(data, want, sizeof want);
    free(data);
  }
}

static void fmnist_small(void **state) {
  (void)state;
  char dir[PATH_LEN], want[4 * PATH_LEN];
  wr_err e;
  wr_dataset d;
  fixture(dir, "fmnist");
  assert_int_equal(wr_dataset_fashion_mnist(dir, 0, 0, &d, &e), WR_OK);
  assert_int_equal(d.n, 3);
  assert_int_equal(d.c, 1);
  assert_int_equal(d.h, 28);
  assert_int_equal(d.w, 28);
  assert_null(d.values);
  for (int k = 0; k < 3 * 28 * 28; k++)
    assert_int_equal(d.pixels[k], (3 * k) % 256);
  assert_int_equal(d.labels[0], 2);
  assert_int_equal(d.labels[2], 7);
  assert_int_equal(d.n_classes, 8);
  wr_dataset_free(&d);
  /* the first image only; n_classes still counts the whole file */
  assert_int_equal(wr_dataset_fashion_mnist(dir, 0, 1, &d, &e), WR_OK);
  assert_int_equal(d.n, 1);
  assert_int_equal(d.labels[0], 2);
  assert_int_equal(d.n_classes, 8);
  wr_dataset_free(&d);
  wr_dataset_free(NULL);
  expect_err(wr_dataset_fashion_mnist(dir, 0, -1, &d, &e), &e, WR_EINPUT,
             "image limit -1: expected 0 (all) or a positive count");
  snprintf(want, sizeof want,
           "%s/train-images-idx3-ubyte.gz: cannot open: No such file or "
           "directory",
           dir);
  expect_err(wr_dataset_fashion_mnist(dir, 1, 0, &d, &e), &e, WR_EINPUT, want);
  fixture(dir, "bad/fmnist-count");
  snprintf(want, sizeof want,
           "%s/t10k-labels-idx1-ubyte.gz: 2 labels, but "
           "%s/t10k-images-idx3-ubyte.gz has 3 images",
           dir, dir);
  expect_err(wr_dataset_fashion_mnist(dir, 0, 0, &d, &e), &e, WR_EINPUT, want);
  fixture(dir, "bad/fmnist-shape");
  snprintf(want, sizeof want,
           "%s/t10k-images-idx3-ubyte.gz: expected images of shape [N, 28, "
           "28], got [3, 28, 27]",
           dir);
  expect_err(wr_dataset_fashion_mnist(dir, 0, 0, &d, &e), &e, WR_EINPUT, want);
  fixture(dir, "bad/fmnist-label");
  snprintf(want, sizeof want,
           "%s/t10k-labels-idx1-ubyte.gz: label 12 of image 1 is out of "
           "range (0..9)",
           dir);
  expect_err(wr_dataset_fashion_mnist(dir, 0, 0, &d, &e), &e, WR_EINPUT, want);
}

/* Sum of `n` pixels. */
static uint64_t pixel_sum(const uint8_t *p, int64_t n) {
  uint64_t s = 0;
  for (int64_t i = 0; i < n; i++)
    s += p[i];
  return s;
}

/* The Debian package's files; sums computed with Python's gzip module. */
static void fmnist_real(void **state) {
  (void)state;
  wr_err e;
  wr_dataset d;
  int rc = wr_dataset_fashion_mnist(WR_FASHION_MNIST_DIR, 0, 0, &d, &e);
  if (rc)
    fail_msg("%s (install dataset-fashion-mnist: scripts/deps)", e.msg);
  assert_int_equal(d.n, 10000);
  assert_int_equal(d.n_classes, 10);
  assert_int_equal(d.labels[0], 9); /* ankle boot */
  assert_int_equal(d.labels[1], 2);
  assert_int_equal(d.labels[9999], 5);
  assert_int_equal(pixel_sum(d.pixels, 784), 33456);
  assert_int_equal(pixel_sum(d.pixels + (size_t)9999 * 784, 784), 24390);
  assert_int_equal(pixel_sum(d.pixels, (int64_t)10000 * 784), 573469082);
  wr_dataset_free(&d);
  assert_int_equal(wr_dataset_fashion_mnist(WR_FASHION_MNIST_DIR, 1, 2, &d, &e),
                   WR_OK);
  assert_int_equal(d.n, 2);
  assert_int_equal(d.labels[0], 9);
  assert_int_equal(d.labels[1], 0);
  assert_int_equal(pixel_sum(d.pixels, 784), 76247);
  wr_dataset_free(&d);
}

static void dataset_npy(void **state) {
  (void)state;
  char p[PATH_LEN], want[2 * PATH_LEN];
  wr_err e;
  wr_dataset d;
  fixture(p, "images-u8.npy"); /* [N, H, W] */
  assert_int_equal(wr_dataset_npy(p, 0, &d, &e), WR_OK);
  assert_int_equal(d.n, 2);
  assert_int_equal(d.c, 1);
  assert_int_equal(d.h, 4);
  assert_int_equal(d.w, 5);
  assert_null(d.values);
  assert_null(d.labels);
  assert_int_equal(d.n_classes, 0);
  assert_int_equal(d.pixels[39], 39);
  wr_dataset_free(&d);
  assert_int_equal(wr_dataset_npy(p, 1, &d, &e), WR_OK);
  assert_int_equal(d.n, 1);
  assert_int_equal(d.pixels[19], 19);
  wr_dataset_free(&d);
  fixture(p, "images-f32.npy"); /* [N, C, H, W] */
  assert_int_equal(wr_dataset_npy(p, 5, &d, &e), WR_OK);
  assert_int_equal(d.n, 2);
  assert_int_equal(d.c, 3);
  assert_null(d.pixels);
  assert_true(d.values[23] == 23.0f / 4);
  wr_dataset_free(&d);
  fixture(p, "image-f64.npy"); /* [3, H, W]: one RGB image */
  assert_int_equal(wr_dataset_npy(p, 0, &d, &e), WR_OK);
  assert_int_equal(d.n, 1);
  assert_int_equal(d.c, 3);
  assert_int_equal(d.h, 2);
  assert_true(d.values[0] == -5.5f && d.values[11] == 5.5f);
  wr_dataset_free(&d);
  fixture(p, "images-i4.npy");
  snprintf(want, sizeof want,
           "%s: images of dtype <i4 are not supported (expected uint8, "
           "float32 or float64)",
           p);
  expect_err(wr_dataset_npy(p, 0, &d, &e), &e, WR_EINPUT, want);
  fixture(p, "f4-2x3.npy");
  snprintf(want, sizeof want,
           "%s: expected images of shape [N, C, H, W], [N, H, W] or "
           "[C, H, W], got 2 dimensions",
           p);
  expect_err(wr_dataset_npy(p, 0, &d, &e), &e, WR_EINPUT, want);
  fixture(p, "bad/fortran.npy");
  snprintf(want, sizeof want,
           "%s: Fortran-order arrays are not supported; save a C-contiguous "
           "array",
           p);
  expect_err(wr_dataset_npy(p, 0, &d, &e), &e, WR_EINPUT, want);
  expect_err(wr_dataset_npy(p, -3, &d, &e), &e, WR_EINPUT,
             "image limit -3: expected 0 (all) or a positive count");
}

/* A file written in parts (wr_atomic_file): nothing at `path` until the
 * commit, the parts in place whatever their order; a discard or a failed
 * commit leaves nothing behind. */
static void atomic_parts(void **state) {
  (void)state;
  char dir[SCRATCH_LEN], p[PATH_LEN], want[2 * PATH_LEN], got[16];
  wr_err e;
  wr_atomic_file f;
  scratch_new(dir);
  join(p, dir, "parts.bin");
  assert_int_equal(wr_atomic_open(&f, p, &e), WR_OK);
  assert_int_equal(wr_atomic_write_at(&f, "world", 5, 6, &e), WR_OK);
  assert_int_equal(wr_atomic_write_at(&f, "hello ", 6, 0, &e), WR_OK);
  assert_int_equal(access(p, F_OK), -1);
  assert_int_equal(dir_entries(dir), 1);
  assert_int_equal(wr_atomic_commit(&f, &e), WR_OK);
  assert_int_equal(file_bytes(p, got, sizeof got), 11);
  assert_memory_equal(got, "hello world", 11);
  /* a discarded file leaves the old one as it was */
  assert_int_equal(wr_atomic_open(&f, p, &e), WR_OK);
  assert_int_equal(wr_atomic_write_at(&f, "x", 1, 0, &e), WR_OK);
  wr_atomic_discard(&f);
  assert_int_equal(dir_entries(dir), 1);
  assert_int_equal(file_bytes(p, got, sizeof got), 11);
  /* renaming over a folder fails at the commit: the temporary goes */
  join(p, dir, "folder");
  assert_int_equal(mkdir(p, 0755), 0);
  assert_int_equal(wr_atomic_open(&f, p, &e), WR_OK);
  snprintf(want, sizeof want,
           "%s: cannot rename the temporary file into place: Is a directory",
           p);
  expect_err(wr_atomic_commit(&f, &e), &e, WR_ERUNTIME, want);
  assert_int_equal(dir_entries(dir), 2);
  join(p, dir, "no/such/dir/parts.bin");
  snprintf(want, sizeof want,
           "%s: cannot create a temporary file: No such file or directory", p);
  expect_err(wr_atomic_open(&f, p, &e), &e, WR_EINPUT, want);
  scratch_remove(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(dtypes),         cmocka_unit_test(npy_fixtures),
      cmocka_unit_test(npz_fixtures),   cmocka_unit_test(npz_round_trip),
      cmocka_unit_test(npz_some),       cmocka_unit_test(nonfinite_index),
      cmocka_unit_test(npy_round_trip), cmocka_unit_test(npy_header),
      cmocka_unit_test(write_errors),   cmocka_unit_test(npy_header_errors),
      cmocka_unit_test(bad_files),      cmocka_unit_test(missing_files),
      cmocka_unit_test(idx_files),      cmocka_unit_test(fmnist_small),
      cmocka_unit_test(fmnist_real),    cmocka_unit_test(dataset_npy),
      cmocka_unit_test(atomic_parts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
