#!/usr/bin/env bash
# install.sh BUILD [CFLAGS [CC]] — `cmake --install` into a scratch prefix,
# then checks the binary runs and that a program built with CFLAGS against
# the installed header and library via pkg-config opens a zoo network.  CC
# (default cc) is the library's compiler, so that a sanitizer build links
# the same sanitizer runtime.
set -u
build=$1
cflags=${2:-}
cc=${3:-cc}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
. "$(dirname "$0")/check.sh" # check, finish
cmake --install "$build" --prefix "$prefix" >/dev/null
check "binary installed" "$prefix/bin/wrpnsim" --version
check "header installed" test -f "$prefix/include/wrpnsim/workloads.h"
pc=$(find "$prefix" -name wrpnsim.pc | head -1)
check "pkg-config file" test -n "$pc"
cat >"$prefix/use.c" <<'C'
#include <stdio.h>
#include <wrpnsim/workloads.h>
int main(void) {
  wr_err e;
  wr_net *n = wr_net_open("resnet18", &e);
  if (!n) { fprintf(stderr, "%s\n", e.msg); return 1; }
  printf("%llu\n", (unsigned long long)wr_net_sum(n).macs);
  wr_net_free(n);
  return 0;
}
C
export PKG_CONFIG_PATH=$(dirname "$pc")
# shellcheck disable=SC2046
check "compile against the installed library" \
  "$cc" -std=c11 $cflags -o "$prefix/use" "$prefix/use.c" $(pkg-config --cflags --libs --static wrpnsim)
check "installed library works" test "$("$prefix/use")" = 1814073344
# sim.h includes its topic headers (sim_exec.h, ...), installed beside it
echo '#include <wrpnsim/sim.h>' >"$prefix/sim.c"
# shellcheck disable=SC2046
check "sim.h compiles from the installed headers" \
  "$cc" -std=c11 $cflags -fsyntax-only "$prefix/sim.c" $(pkg-config --cflags wrpnsim)
finish
