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

/* A failing cmocka test ends in _fail (fail, fail_msg), which jumps out of
 * the test, but cmocka.h does not say it does not return: tell the static
 * analyzer, so that it does not follow a failed test past the failure. */
#ifdef __clang_analyzer__
void _fail(const char *const file, const int line)
    __attribute__((analyzer_noreturn));
#endif

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

/* Architectures (tests that include arch.h first): a preset, or one
 * parsed from a string, failing the test with the loader's message. */
#ifdef WRPNSIM_ARCH_H
static TEST_UNUSED arch *arch_from(const char *yaml, const char *file) {
  wr_err e;
  arch *a = yaml ? arch_load_string(yaml, strlen(yaml), file, &e)
                 : arch_open(file, &e);
  if (!a)
    fail_msg("%s: %s", file, e.msg);
  return a;
}
static TEST_UNUSED arch *preset(const char *name) {
  return arch_from(NULL, name);
}
#endif

#endif
