/* testutil.h — helpers shared by the cmocka unit tests: load a workload
 * from a string (failing the test with the loader's message), expect a
 * load error, find a layer. */
#ifndef WRPNSIM_TESTUTIL_H
#define WRPNSIM_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "workloads.h"

#define TEST_UNUSED __attribute__((unused))

static TEST_UNUSED wr_net *load(const char *yaml) {
  wr_err e;
  wr_net *n = wr_net_load_string(yaml, strlen(yaml), "t.yaml", &e);
  if (!n)
    fail_msg("load failed: %s", e.msg);
  return n;
}

/* The load must fail with WR_EINPUT and a message containing `want`. */
static TEST_UNUSED void load_err(const char *yaml, const char *want) {
  wr_err e;
  wr_net *n = wr_net_load_string(yaml, strlen(yaml), "t.yaml", &e);
  assert_null(n);
  assert_int_equal(e.status, WR_EINPUT);
  if (!strstr(e.msg, want))
    fail_msg("got '%s', want '%s'", e.msg, want);
}

static TEST_UNUSED const wr_layer *layer(const wr_net *n, const char *name) {
  int i = wr_net_find(n, name);
  if (i < 0)
    fail_msg("no layer %s", name);
  return &n->layers[i];
}

#endif
