#!/usr/bin/env bash
# valgrind.sh BIN TESTS_DIR — the main commands end to end under valgrind
# memcheck: any memory error or definite/indirect leak fails the run, on
# the success paths and on a few error paths (exit 2).  Needs a build
# without sanitizers (scripts/check runs it on build/).
set -u
bin=$(realpath "$1")
cd "$2" || exit 1
if ! command -v valgrind >/dev/null; then
  echo "valgrind.sh: valgrind is not installed (scripts/deps)"
  exit 1
fi
export OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
# vg WANT_EXIT ARGS...: runs wrpnsim ARGS under memcheck
vg() {
  local want=$1
  shift
  valgrind -q --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
    --log-file="$tmp/vg.log" "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" = "$want" ] && ! grep -q . "$tmp/vg.log"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: wrpnsim $* (exit $rc, want $want)"
    head -40 "$tmp/vg.log" "$tmp/err"
  fi
}

vg 0 zoo
vg 0 net --net resnet18 --width 2 --prec 4/2
vg 0 net --net inception-bn --format json
vg 0 cost --net alexnet --width 2 --format csv
vg 0 footprint --net alexnet --width 2 --prec 4/4 --batch 32
vg 0 presets
vg 0 weights --net data/tiny-cnn.yaml --width 2 --seed 1 --out "$tmp/w.npz"
vg 0 exec --net data/tiny-cnn.yaml --width 2 --weights "$tmp/w.npz" \
  --data data/images-12.npy --dump "$tmp/dump" --jobs 2
vg 0 exec --net data/tiny-cnn.yaml --synthetic 1 --data data/images-12.npy \
  --limit 4 --prec 2/2 --fp32 none --arch bitfusion-like
if [ -d /usr/share/datasets/fashion-mnist ]; then
  vg 0 exec --net fmnist-mlp --synthetic 3 --data fashion-mnist --limit 8
fi
vg 0 run --arch bitfusion-like --net resnet18 --width 2 --prec 4/4 --fp32 none
vg 0 run --arch eyeriss-like --net data/tiny-cnn.yaml --fp32 none --batch 4 \
  --format json
vg 0 run --arch stripes-like --net mobilenet-v1 --prec 8/8 --fp32 none \
  --objective cycles
vg 0 run --scalesim-cfg data/scalesim/scale_32x32_ws.cfg \
  --scalesim-topology data/scalesim/alexnet_conv1.csv
# a small sweep into SQLite (2 jobs), then reports out of it
cat >"$tmp/spec.yaml" <<SPEC
name: valgrind
workloads: [$PWD/data/tiny-cnn.yaml, fmnist-cnn]
width: [1, 2]
precision: [8/8, 4/4, 2/2]
fp32: none
arch:
  base: [bitfusion-like, int8-tpu-like]
  vary: {array.rows: [8, 16]}
SPEC
vg 0 sweep "$tmp/spec.yaml" --db "$tmp/s.db" --jobs 2 --quiet
vg 0 report --db "$tmp/s.db"
vg 0 report --db "$tmp/s.db" --format html --out "$tmp/r.html" --breakdown
# error paths free what they hold too
vg 2 net --net bad/workloads/unknown-block.yaml
vg 2 net --net bad/workloads/block-bomb.yaml
vg 2 run --arch bad/arch/unknown-field.yaml --net data/tiny-cnn.yaml
vg 2 run --arch bad/arch/tiny-buffer.yaml --net data/tiny-cnn.yaml --fp32 none
vg 2 run --scalesim-cfg bad/scalesim/ok.cfg --scalesim-topology bad/scalesim/comma-row.csv
vg 2 exec --net data/tiny-cnn.yaml --weights bad/exec/wide.npz --data data/images-12.npy
vg 2 exec --net data/tiny-cnn.yaml --synthetic 1 --data bad/exec/huge-shape.npy

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
