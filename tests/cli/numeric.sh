#!/usr/bin/env bash
# numeric.sh BIN TESTS_DIR — absurd but valid configurations run with exact
# counts (a one-PE array, a batch of a million, a 1x1 SCALE-Sim array);
# the ones past 64-bit counts are refused in the bad-input corpus
# (tests/bad/expected.tsv: --batch 4294967296, --width 1000).
set -u
bin=$(realpath "$1")
cd "$2" || exit 1
. cli/check.sh # check, finish
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# totals of a run's CSV: MACs and cycles as exact integers
totals() { # totals CSV: prints "macs cycles"
  python3 -c "import csv,sys; r=[x for x in csv.DictReader(open(sys.argv[1])) if x['layer']=='total'][0]; print(int(r['macs']), int(r['cycles']))" "$1"
}

# one 8-bit PE: every MAC takes a cycle of its own
"$bin" run --arch data/one-pe.yaml --net resnet18 --prec 4/4 --fp32 none \
  --format csv >"$tmp/one.csv"
check "one PE runs resnet18" test -s "$tmp/one.csv"
read -r macs cycles < <(totals "$tmp/one.csv")
check "one PE: MACs of resnet18" test "$macs" = 1814073344
check "one PE: cycles >= MACs" test "$cycles" -ge "$macs"

# a batch of a million images: MACs exactly 10^6 x the network's
"$bin" run --arch bitfusion-like --net vgg16 --prec 4/4 --fp32 none \
  --batch 1000000 --format csv >"$tmp/batch.csv"
read -r macs cycles < <(totals "$tmp/batch.csv")
check "batch 1e6: MACs" test "$macs" = 15470264320000000
check "batch 1e6: cycles" python3 -c "assert $cycles >= $macs // (16 * 16 * 4)"
"$bin" run --arch data/one-pe.yaml --net vgg16 --prec 8/8 --fp32 none \
  --batch 1000000 --format csv >"$tmp/onebatch.csv"
read -r macs cycles < <(totals "$tmp/onebatch.csv")
check "one PE, batch 1e6: cycles >= MACs" python3 -c "assert $cycles >= $macs == 15470264320000000"
check "footprint batch 1e6" bash -c "'$bin' footprint --net vgg16 --batch 1000000 --format csv | grep -q ."

# the largest batch the CLI takes, on a small network
"$bin" run --arch bitfusion-like --net data/tiny-cnn.yaml --fp32 none \
  --batch 4294967296 --format csv >"$tmp/max.csv"
read -r macs cycles < <(totals "$tmp/max.csv")
check "batch 2^32: MACs" python3 -c "assert $macs == 4294967296 * (10368 + 41472 + 5760)"

# SCALE-Sim with a 1x1 array: one MAC per cycle plus fill and drain
sed -e 's/^ArrayHeight:.*/ArrayHeight: 1/' -e 's/^ArrayWidth:.*/ArrayWidth: 1/' \
  data/scalesim/scale_32x32_ws.cfg >"$tmp/one.cfg"
check "SCALE-Sim 1x1" bash -c "'$bin' run --scalesim-cfg '$tmp/one.cfg' \
  --scalesim-topology data/scalesim/alexnet_conv1.csv --format csv | grep -q '^Conv1,'"

finish
