#!/usr/bin/env bash
# sweep_measure.sh BIN TESTS_DIR — a measured sweep (docs/sweep.md
# "Measured accuracy and statistics") on tests/data/sweep-measure.yaml:
# models trained once per (workload, width, precision) and cached in the
# database, reused by a re-run with another architecture (nothing
# trained), and after a SIGKILL; the stored accuracy equals what `wrpnsim
# exec` reports on the stored weights; on a preset without value-dependent
# features the measured counts equal the data-independent ones, on
# eyeriss-like (zero gating) the energy is lower; a network that does not
# fit the data keeps the paper's accuracy with a note; merge carries the
# models; a bad measure section exits 2 without creating the database.
set -u
bin=$(realpath "$1")
cd "$2" || exit 1
spec=data/sweep-measure.yaml
. cli/check.sh
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
. cli/sweep_db.sh
q() { sqlite3 "$1" "$2"; }

if [ ! -e /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
  echo "skipped: Fashion-MNIST is not installed (dataset-fashion-mnist)"
  exit 77
fi

"$bin" sweep "$spec" --db "$tmp/m.db" --jobs 2 >"$tmp/m.out" 2>"$tmp/m.err"
check "first run" test $? = 0
check "first run trains" grep -q '^models: 2 measured now, 0 reused from the database, 2 without a measurement' "$tmp/m.out"
check "8 points" grep -q '^sweep test-measure: 8 points: 8 evaluated' "$tmp/m.out"
check "models stored" test "$(q "$tmp/m.db" "SELECT status, count(*) FROM models GROUP BY status ORDER BY status")" = "measured|2
unmeasured|2"
check "model layers" test "$(q "$tmp/m.db" "SELECT count(*) FROM model_layers")" = 6
check "measured points" test "$(q "$tmp/m.db" "SELECT count(*) FROM points WHERE counts = 'measured' AND accuracy_source LIKE 'measured: wrpnsim exec, fashion-mnist test, 100 images, trained 1 epoch on 256 training images seed 3' AND accuracy_dataset = 'fashion-mnist'")" = 4
# no value-dependent feature: measured counts are the data-independent ones
check "bitfusion-like: measured = data-independent" test "$(q "$tmp/m.db" "SELECT count(*) FROM points WHERE arch = 'bitfusion-like' AND counts = 'measured' AND energy_pj = di_energy_pj AND cycles = di_cycles AND e_mac_pj = di_e_mac_pj")" = 2
check "eyeriss-like: zero gating saves energy" test "$(q "$tmp/m.db" "SELECT count(*) FROM points WHERE arch = 'eyeriss-like' AND counts = 'measured' AND energy_pj < di_energy_pj AND e_mac_pj < di_e_mac_pj")" = 2
check "alexnet: the paper's accuracy, not measured" test "$(q "$tmp/m.db" "SELECT count(*) FROM points p JOIN models m ON p.model = m.key WHERE p.network = 'alexnet' AND p.counts = 'data-independent' AND p.accuracy_dataset = 'imagenet' AND m.status = 'unmeasured' AND m.note LIKE '%input 3x224x224 is not fashion-mnist''s 1x28x28%'")" = 4
dump "$tmp/m.db" >"$tmp/m.dump"
check "unmeasured note on the run" grep -q "alexnet x1 4/4: not measured: the network's input 3x224x224" "$tmp/m.err"

# the stored accuracy is what `wrpnsim exec` gives on the stored weights
for w in 1 2; do
  python3 - "$tmp/m.db" "$w" "$tmp/w$w.npz" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
blob, = db.execute("SELECT weights_npz FROM models WHERE network = "
                   "'fmnist-mlp' AND width = ?", (float(sys.argv[2]),)).fetchone()
open(sys.argv[3], "wb").write(blob)
PY
  acc=$(q "$tmp/m.db" "SELECT printf('%.2f', accuracy) FROM models WHERE network = 'fmnist-mlp' AND width = $w")
  "$bin" exec --net fmnist-mlp --width "$w" --prec 4/4 --fp32 none \
    --weights "$tmp/w$w.npz" --data fashion-mnist --limit 100 >"$tmp/e$w.out" 2>&1
  check "exec reproduces x$w ($acc %)" grep -q "top-1 accuracy $acc %" "$tmp/e$w.out"
done

# another architecture: the models are reused, nothing is trained
sed 's/base: \[bitfusion-like, eyeriss-like\]/base: [bitfusion-like, eyeriss-like, stripes-like]/' \
  "$spec" >"$tmp/more.yaml"
"$bin" sweep "$tmp/more.yaml" --db "$tmp/m.db" --jobs 2 >"$tmp/r.out" 2>"$tmp/r.err"
check "re-run" test $? = 0
check "re-run reuses every model" grep -q '^models: 0 measured now, 4 reused from the database, 2 without a measurement' "$tmp/r.out"
check "re-run trains nothing" bash -c "! grep -q 'training' '$tmp/r.err'"
check "re-run: 4 new points" grep -q '^sweep test-measure: 12 points: 4 evaluated (0 infeasible), 8 already stored' "$tmp/r.out"
check "stripes-like: measured = data-independent" test "$(q "$tmp/m.db" "SELECT count(*) FROM points WHERE arch = 'stripes-like' AND counts = 'measured' AND energy_pj = di_energy_pj AND cycles = di_cycles")" = 2

# killed with SIGKILL, then resumed: the database of an uninterrupted run
for delay in 0.3 0.8; do
  rm -f "$tmp/k.db"*
  "$bin" sweep "$spec" --db "$tmp/k.db" --jobs 2 --quiet >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  check "integrity after kill ($delay s)" bash -c "[ ! -e '$tmp/k.db' ] || [ \"\$(sqlite3 '$tmp/k.db' 'PRAGMA integrity_check')\" = ok ]"
  "$bin" sweep "$spec" --db "$tmp/k.db" --jobs 2 --quiet >"$tmp/k.out" 2>&1
  check "resume after kill ($delay s)" grep -q '^models: [0-2] measured now, [0-4] reused' "$tmp/k.out"
  check "resumed = uninterrupted ($delay s)" test "$(dump "$tmp/k.db" | md5sum)" = "$(md5sum <"$tmp/m.dump")"
done

# merge carries the models
"$bin" merge "$tmp/merged.db" "$tmp/m.db" >/dev/null
check "merge carries models" test "$(q "$tmp/merged.db" "SELECT count(*) FROM models WHERE weights_npz IS NOT NULL")" = 2
check "merge carries model layers" test "$(q "$tmp/merged.db" "SELECT count(*) FROM model_layers")" = 6

# bad measure sections: exit 2, file:line:col, no database
bad() { # bad NAME SED MESSAGE
  sed "$2" "$spec" >"$tmp/bad.yaml"
  "$bin" sweep "$tmp/bad.yaml" --db "$tmp/bad.db" >/dev/null 2>"$tmp/bad.err"
  check "$1: exit 2" test $? = 2
  check "$1: message" grep -q "$3" "$tmp/bad.err" || cat "$tmp/bad.err"
  check "$1: no database" test ! -e "$tmp/bad.db"
}
bad "unknown dataset" 's/data: fashion-mnist/data: cifar10/' "bad.yaml:12:9: measure: data: 'cifar10' is not a dataset"
bad "bad weights" 's/weights: train/weights: pretrained/' "bad.yaml:13:12: measure: weights: expected train, synthetic or an .npz file"
bad "bad epochs" 's/epochs: 1,/epochs: 0,/' "bad.yaml:14:19: measure: train: epochs"
bad "unknown key" 's/limit: 100/limits: 100/' "bad.yaml:16:3: measure: unknown field .limits."

finish
