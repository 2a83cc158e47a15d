#!/usr/bin/env bash
# table_pe.sh BIN REPO — a 'table' PE that restates a built-in family gives
# that family's figures exactly: arch/examples/bitfusion-table.yaml (Bit
# Fusion's 16 modes with the horowitz45 table's energies and area) prints,
# layer by layer and in its totals, what bitfusion-like prints, on several
# networks, widths, precisions, objectives and dataflows; only the design's
# name and the area's source differ.
set -u
bin=$(realpath "$1")
cd "$2" || exit 1
. tests/cli/check.sh # check, finish
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
table=arch/examples/bitfusion-table.yaml

same() { # same ARGS...: per-layer CSV and totals equal, stderr but the name
  "$bin" run --arch bitfusion-like "$@" --format csv >"$tmp/b.csv" 2>"$tmp/b.err" &&
    "$bin" run --arch "$table" "$@" --format csv >"$tmp/t.csv" 2>"$tmp/t.err" &&
    cmp -s "$tmp/b.csv" "$tmp/t.csv" &&
    diff -q "$tmp/b.err" <(sed 's/bitfusion-table/bitfusion-like/g' "$tmp/t.err") >/dev/null &&
    "$bin" run --arch bitfusion-like --arch "$table" "$@" --totals \
      --format csv >"$tmp/tot.csv" 2>/dev/null &&
    python3 - "$tmp/tot.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 2, rows
differ = {"design", "arch", "pe_source"}
for k in rows[0]:
    if k not in differ and rows[0][k] != rows[1][k]:
        sys.exit("totals differ in %s: %s vs %s" % (k, rows[0][k], rows[1][k]))
PY
}

for net in alexnet resnet34; do
  for prec in 8/8 4/2 1/1 16/16; do
    check "$net $prec" same --net "$net" --prec "$prec"
  done
done
check "inception-bn width 2.5, 2/8, --fp32 none" same --net inception-bn --width 2.5 --prec 2/8 --fp32 none
check "mixed layer precisions" same --net resnet18 --prec 4/4 --layer-prec 'layer1*=8/2' --fp32 none
check "objective cycles, batch 4" same --net alexnet --prec 4/4 --objective cycles --batch 4
check "ideal memory" same --net resnet18 --prec 2/2 --ideal-memory

# on an output-stationary array as well
sed 's/dataflow: ws/dataflow: os/' arch/presets/bitfusion-like.yaml >"$tmp/bf-os.yaml"
sed 's/dataflow: ws/dataflow: os/' "$table" >"$tmp/table-os.yaml"
"$bin" run --arch "$tmp/bf-os.yaml" --net resnet18 --prec 4/8 --format csv >"$tmp/a.csv" 2>/dev/null
"$bin" run --arch "$tmp/table-os.yaml" --net resnet18 --prec 4/8 --format csv >"$tmp/b.csv" 2>/dev/null
check "os dataflow" cmp -s "$tmp/a.csv" "$tmp/b.csv"
finish
