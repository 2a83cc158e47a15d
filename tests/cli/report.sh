#!/usr/bin/env bash
# report.sh BIN DIR — end-to-end tests of `wrpnsim report`: runs a small
# sweep (DIR/data/report-small.yaml), then reports it in every format and
# checks: the CSV fronts against a brute-force front computed in python3
# from every point (2 and 3 objectives, per workload, with --where); the
# HTML page with check_html.py; JSON notes (infeasible count, accuracy
# sources); accuracy never invented (counts against sqlite3); the database
# left untouched; --out written atomically and not at all on bad input.
set -eu
bin=$(realpath "$1")
dir=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() {
  echo "FAIL: $*"
  exit 1
}

"$bin" sweep "$dir/data/report-small.yaml" --db s.db --jobs 2 --quiet >/dev/null
sqlite3 s.db "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
sum0=$(sha256sum s.db | cut -d' ' -f1)

# every format; the table by default
"$bin" report --db s.db >t.txt
grep -q '^Pareto front over min energy_j, min latency_s (per workload)' t.txt ||
  fail "table heading"
grep -q '^alexnet: 40 points, .*; resnet18: 40 points, ' t.txt || fail "table note: $(sed -n 2p t.txt)"
grep -q 'infeasible design points left out' t.txt || fail "no infeasible note"
# each distinct accuracy caveat with its own count (docs/sweep.md)
want=$(sqlite3 s.db "SELECT count(*) FROM points WHERE status = 'ok' AND accuracy_note LIKE 'the source keeps%'")
grep -q "on $want of those points: the source keeps the first and last layers FP32; this point's FP32 layers differ" t.txt ||
  fail "FP32-layers caveat ($want points)"
want=$(sqlite3 s.db "SELECT count(*) FROM points WHERE status = 'ok' AND accuracy_note LIKE 'layers the workload keeps FP32%'")
[ "$want" -gt 0 ] && grep -q "on $want of those points: layers the workload keeps FP32 (or wider than the array) ran in the array's widest mode" t.txt ||
  fail "widest-mode caveat ($want points)"
"$bin" report --db s.db --format md --out r.md
grep -q '^| workload | width |' r.md || fail "markdown table"
grep -q '^## Notes' r.md || fail "markdown notes"
"$bin" report --db s.db --format html --out r.html --breakdown \
  --best-under 'area<=5' --baseline int8-tpu-like
python3 "$dir/cli/check_html.py" r.html
"$bin" report --db s.db --format json --out r.json --breakdown \
  --best-under 'area<=5' --baseline int8-tpu-like --pareto energy,accuracy
ls | grep -q tmp && fail "a temporary file was left: $(ls)"

# JSON: sections, notes, counts against sqlite3
bad=$(sqlite3 s.db "SELECT count(*) FROM points WHERE status='infeasible'")
acc=$(sqlite3 s.db "SELECT count(*) FROM points WHERE status='ok' AND accuracy IS NOT NULL")
ok=$(sqlite3 s.db "SELECT count(*) FROM points WHERE status='ok'")
python3 - "$bad" "$acc" "$ok" <<'EOF'
import json, sys
bad, acc, ok = map(int, sys.argv[1:])
d = json.load(open("r.json"))
for k in ("front", "breakdown", "best", "comparison", "notes"):
    assert d.get(k), k
notes = "\n".join(d["notes"])
assert f"{bad} infeasible design points left out" in notes, notes
assert f"accuracy: {acc} of {ok} design points have one" in notes, notes
assert "Mishra et al." in notes, notes
for r in d["front"]:  # energy vs accuracy: only points with an accuracy
    assert r["accuracy"] is not None and r["accuracy_source"], r
print("ok: json")
EOF

# CSV fronts against brute force, from all points (--pareto none)
"$bin" report --db s.db --pareto none --format csv --out all.csv
n=$(python3 -c "import csv; print(len(list(csv.DictReader(open('all.csv')))))")
[ "$n" = "$ok" ] || fail "all points: $n rows, the database has $ok feasible"
# accuracy never invented: as many values as the database holds
n=$(python3 -c "import csv; print(sum(r['accuracy'] != '' for r in csv.DictReader(open('all.csv'))))")
[ "$n" = "$acc" ] || fail "accuracy: $n values, the database has $acc"
check_front() { # OBJS [WHERE]
  local w=()
  [ $# -gt 1 ] && w=(--where "$2")
  "$bin" report --db s.db --pareto "$1" "${w[@]}" --format csv --out f.csv
  "$bin" report --db s.db --pareto none "${w[@]}" --format csv --out a.csv
  python3 - "$1" <<'EOF'
import csv, math, sys
alias = {"energy": "energy_j", "latency": "latency_s", "area": "area_mm2",
         "dram": "dram_bytes"}
objs = [alias.get(o, o) for o in sys.argv[1].split(",")]
sign = [-1 if o == "accuracy" else 1 for o in objs]
rows = list(csv.DictReader(open("a.csv")))
def key(r):
    return (r["workload"], r["width"], r["precision"], r["arch"],
            r.get("params", ""))
def vec(r):
    v = [r[o] for o in objs]
    return None if "" in v else [s * float(x) for s, x in zip(sign, v)]
want = set()
for r in rows:
    v = vec(r)
    if v is None:
        continue
    dominated = any(
        q["workload"] == r["workload"] and vec(q) is not None and
        all(a <= b for a, b in zip(vec(q), v)) and
        any(a < b for a, b in zip(vec(q), v)) for q in rows)
    if not dominated:
        want.add(key(r))
got = [key(r) for r in csv.DictReader(open("f.csv"))]
assert len(got) == len(set(got)), "duplicates in the front"
assert set(got) == want, (sorted(set(got) - want), sorted(want - set(got)))
print(f"ok: front over {sys.argv[1]}: {len(want)} points")
EOF
}
check_front energy,latency
check_front energy,latency,accuracy
check_front energy,area 'width>=2'
check_front latency,dram,area 'workload=res*'

# the baseline of a design varied in array.rows is the baseline point with
# the same array.rows (not the first one found), and every label names it
"$bin" report --db s.db --baseline int8-tpu-like --where arch=bitfusion-like \
  --pareto none --format csv --out cmp.csv
"$bin" report --db s.db --pareto none --breakdown --format csv --out bd.csv
python3 - <<'EOF'
import csv
pts = list(csv.DictReader(open("all.csv")))
def label(r):
    return " ".join([r["arch"], r["params"], r["workload"], "x" + r["width"],
                     r["precision"]])
area = {label(r): float(r["area_mm2"]) for r in pts}
assert len(area) == len(pts), "two points with the same label"
rows = [r for r in csv.DictReader(open("cmp.csv")) if r["layer"] == "total"]
assert len(rows) == 32, len(rows)
for r in rows:
    d, b = r["design"], r["baseline"]
    # the 32-row int8-tpu-like is over the spec's area budget (infeasible),
    # so a 32-row design has no baseline and says so, not the 16-row one's
    if "array.rows=32" in d:
        assert b.startswith("(none: no arch = int8-tpu-like"), (d, b)
        assert r["speedup"] == r["area_ratio"] == "", r
        continue
    assert d in area and b in area, (d, b)
    assert b == d.replace("bitfusion-like", "int8-tpu-like", 1), (d, b)
    want = area[d] / area[b]
    assert abs(float(r["area_ratio"]) - want) <= 1e-5 * want, (r, want)
designs = [r["design"] for r in csv.DictReader(open("bd.csv"))]
assert len(designs) == len(pts) == len(set(designs)), "labels repeat"
assert set(designs) == set(area), sorted(set(designs) ^ set(area))
print("ok: baselines match the varied parameters; labels name them")
EOF
# with the 16-row baseline points gone too, no design has a baseline: each
# row says so (none falls back to a point with other varied values)
cp s.db nb.db
sqlite3 nb.db "DELETE FROM points WHERE arch = 'int8-tpu-like' AND arch_params = 'array.rows=16'"
"$bin" report --db nb.db --baseline int8-tpu-like --where arch=bitfusion-like \
  --pareto none --format csv --out nb.csv
python3 - <<'EOF'
import csv
rows = [r for r in csv.DictReader(open("nb.csv")) if r["layer"] == "total"]
none = [r for r in rows if r["baseline"].startswith("(none")]
assert len(rows) == 32 and len(none) == 32, (len(rows), len(none))
for r in rows:
    assert r["speedup"] == r["area_ratio"] == "", r
assert none[0]["baseline"] == ("(none: no arch = int8-tpu-like with the same "
                               "workload, width, precision, params)"), none[0]
print("ok: designs without a baseline say so")
EOF

# bad input writes nothing, and the database is untouched
if "$bin" report --db s.db --where 'bogus<1' --out bad.html 2>/dev/null; then
  fail "a bad --where succeeded"
fi
[ ! -e bad.html ] || fail "bad input wrote --out"
echo old >keep.txt
"$bin" report --db s.db --pareto energy,nothing --out keep.txt 2>/dev/null &&
  fail "a bad --pareto succeeded"
[ "$(cat keep.txt)" = old ] || fail "bad input overwrote --out"
[ "$(sha256sum s.db | cut -d' ' -f1)" = "$sum0" ] || fail "the database changed"
echo "ok: report"
