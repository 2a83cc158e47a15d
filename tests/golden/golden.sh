#!/usr/bin/env bash
# golden.sh — the behaviour the code must keep (issue 14): every figure the
# architecture model, the executor, the trainer, the sweeps and the reports
# print, recorded once and compared byte for byte after every change.
#
#   bash tests/golden/golden.sh WRPNSIM            compare with tests/golden/expected
#   bash tests/golden/golden.sh WRPNSIM --record   write tests/golden/expected anew
#
# What it records (into expected/):
#   run/    `run --format csv` (stdout and stderr) of every preset on
#           alexnet, resnet34 and inception-bn at widths 1 and 2.5 and
#           precisions 8/8, 4/2 and 1/1;
#   exec/   `exec --format csv` and the SHA-256 of every file of
#           `exec --dump` on fmnist-cnn, 500 Fashion-MNIST test images, at
#           4/4 and 1/1, with synthetic weights (seed 7) and with weights
#           `train` writes (one epoch on 1,000 images, one thread: the
#           trained file's SHA-256 is recorded too);
#   sweep/  the default sweep's tables in key order (points, layers,
#           point_buffers, layer_buffers; sqlite3 CLI, CSV with header; the
#           layers and layer_buffers tables stored gzipped), and
#           `report` of it in CSV and JSON (and every point with its energy
#           breakdown in CSV).
# Wall-clock figures (images/s, seconds) are left out; nothing else is.
# The trained weights depend on OpenBLAS's kernel (its "BLAS core", which
# `train` prints): on a machine whose core differs from the one recorded in
# expected/blas-core, that part cannot match and the test says so.
#
# A commit that changes a model on purpose re-records and says which model
# changed and why (DEVELOPERS' guide, "golden outputs").
set -euo pipefail
wrpnsim=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
expected=$here/expected
record=0
[ "${2:-}" = --record ] && record=1
out=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$out" "$work"' EXIT
cd "$work"

# --- run: the architecture model ------------------------------------------
mkdir -p "$out/run"
presets=$(ls "$here/../../arch/presets" | sed -n 's/\.yaml$//p')
for p in $presets; do
  for n in alexnet resnet34 inception-bn; do
    for w in 1 2.5; do
      for prec in 8/8 4/2 1/1; do
        f="$out/run/$p-$n-w$w-${prec/\//-}"
        "$wrpnsim" run --arch "$p" --net "$n" --width "$w" --prec "$prec" \
          --format csv >"$f.csv" 2>"$f.err"
      done
    done
  done
done

# --- exec: the bit-accurate executor, on synthetic and trained weights ----
mkdir -p "$out/exec"
core=""
for prec in 4/4 1/1; do
  tag=${prec/\//-}
  "$wrpnsim" train --net fmnist-cnn --data fashion-mnist --prec "$prec" \
    --epochs 1 --train-limit 1000 --test-limit 100 --batch 64 --lr 5e-3 \
    --threads 1 --seed 1 --format csv --out "trained-$tag.npz" \
    >train-$tag.csv 2>train-$tag.err
  core=$(sed -n 's/.*(BLAS core \(.*\))$/\1/p' train-$tag.err | head -1)
  # the trainer's table without its wall-clock columns
  /usr/bin/python3 - train-$tag.csv >"$out/exec/train-$tag.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
drop = {"images_per_s", "train_s", "exec_s"}
keep = [i for i, h in enumerate(rows[0]) if h not in drop]
w = csv.writer(sys.stdout, lineterminator="\n")
for r in rows:
    w.writerow([r[i] for i in keep])
EOF
  sha256sum "trained-$tag.npz" >"$out/exec/train-$tag.sha256"
  for weights in synthetic trained; do
    if [ $weights = synthetic ]; then src=(--synthetic 7); else src=(--weights "trained-$tag.npz"); fi
    d="dump-$weights-$tag"
    "$wrpnsim" exec --net fmnist-cnn "${src[@]}" --prec "$prec" \
      --data fashion-mnist --limit 500 --dump "$d" --format csv \
      >"$out/exec/$weights-$tag.csv"
    (cd "$d" && sha256sum -- *) >"$out/exec/$weights-$tag.dump.sha256"
    rm -rf "$d"
  done
done
echo "$core" >"$out/blas-core"

# --- sweep and report -----------------------------------------------------
mkdir -p "$out/sweep"
"$wrpnsim" sweep --db default.db --quiet >/dev/null
q() { sqlite3 -header -csv default.db "$1"; }
q "SELECT * FROM points ORDER BY key" >"$out/sweep/points.csv"
q "SELECT * FROM layers ORDER BY key, idx" >"$out/sweep/layers.csv"
q "SELECT * FROM point_buffers ORDER BY key, buffer" >"$out/sweep/point_buffers.csv"
q "SELECT * FROM layer_buffers ORDER BY key, idx, buffer" >"$out/sweep/layer_buffers.csv"
"$wrpnsim" report --db default.db --format csv >"$out/sweep/report.csv"
"$wrpnsim" report --db default.db --format json >"$out/sweep/report.json"
"$wrpnsim" report --db default.db --pareto none --breakdown --format csv \
  >"$out/sweep/report-all.csv"

# the two largest tables are kept gzipped in expected/ (gzip -n: no name
# or time in the file, so a re-record of the same bytes is the same file)
big=(sweep/layers.csv sweep/layer_buffers.csv)
if [ $record = 1 ]; then
  rm -rf "$expected"
  cp -r "$out" "$expected"
  for f in "${big[@]}"; do gzip -9n "$expected/$f"; done
  echo "golden: recorded $(find "$expected" -type f | wc -l) files in $expected"
  exit 0
fi
cp -r "$expected" "$work/expected"
for f in "${big[@]}"; do gunzip "$work/expected/$f.gz"; done
expected=$work/expected
if [ "$(cat "$expected/blas-core")" != "$core" ]; then
  echo "golden: OpenBLAS core here is '$core', expected/ was recorded on" \
    "'$(cat "$expected/blas-core")': the trained weights cannot match" >&2
fi
if diff -r "$expected" "$out" >"$work/diff"; then
  echo "golden: $(find "$expected" -type f | wc -l) files byte-identical"
else
  echo "golden: outputs differ from tests/golden/expected:" >&2
  head -c 20000 "$work/diff" >&2
  exit 1
fi
