#!/usr/bin/env bash
# sweep.sh BIN TESTS_DIR — end-to-end checks of `wrpnsim sweep` and
# `wrpnsim merge` on tests/data/sweep-small.yaml (144 points): re-runs skip
# stored points, runs killed with SIGKILL at several points resume to the
# same database as an uninterrupted run (PRAGMA integrity_check ok), shards
# run with GNU parallel and merged equal a single run, two processes
# writing one database lose nothing, bad specs and databases leave files
# alone.  Database contents are compared with the sqlite3 CLI.
set -u
bin=$(realpath "$1")
cd "$2" || exit 1
spec=data/sweep-small.yaml
. cli/check.sh # check, finish
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# dump, count and integrity of a database
. cli/sweep_db.sh

for c in sweep merge; do
  check "$c --help" bash -c "'$bin' $c --help | grep -q '^usage: wrpnsim $c'"
done

# reference: one uninterrupted run with 2 jobs
"$bin" sweep "$spec" --db "$tmp/ref.db" --jobs 2 >"$tmp/ref.out" 2>"$tmp/ref.err"
check "reference run" grep -q '^sweep test-small: 144 points: 144 evaluated (24 infeasible), 0 already stored' "$tmp/ref.out"
check "plain progress lines off a terminal" grep -q '^wrpnsim sweep: 144/144 points (100%)' "$tmp/ref.err"
check "reference integrity" integrity "$tmp/ref.db"
dump "$tmp/ref.db" >"$tmp/ref.dump"
check "layers stored" test "$(sqlite3 "$tmp/ref.db" "SELECT count(DISTINCT key) FROM layers")" = 120
check "schema version" test "$(sqlite3 "$tmp/ref.db" 'PRAGMA user_version')" = 2
check "WAL mode" test "$(sqlite3 "$tmp/ref.db" 'PRAGMA journal_mode')" = wal
check "infeasible with reasons" test "$(sqlite3 "$tmp/ref.db" "SELECT count(*) FROM points WHERE status = 'infeasible' AND reason LIKE '%max_area_mm2 20'")" = 24
# FP32 points on integer arrays run in the array's widest mode (docs/arch.md)
check "FP32 layers in the widest mode" test "$(sqlite3 "$tmp/ref.db" "SELECT group_concat(d) FROM (SELECT DISTINCT p.arch || ' ' || l.mode AS d FROM points p JOIN layers l ON l.key = p.key WHERE p.precision = '32/32' AND l.kind = 'conv' ORDER BY d)")" = "bitfusion-like 16/16,scalesim-32x32 8/8,stripes-like 16/16"
check "only the area budget is infeasible" test "$(sqlite3 "$tmp/ref.db" "SELECT count(*) FROM points WHERE status = 'infeasible' AND reason NOT LIKE '%max_area_mm2 20'")" = 0
check "widest-mode accuracy noted" test "$(sqlite3 "$tmp/ref.db" "SELECT count(*) FROM points WHERE precision = '32/32' AND accuracy IS NOT NULL AND accuracy_note LIKE '%widest mode%'")" = 5
check "paper accuracy attached" test "$(sqlite3 "$tmp/ref.db" "SELECT accuracy FROM points WHERE network = 'inception-bn' AND width = 2 AND precision = '2/2' GROUP BY accuracy")" = 70.75
check "no accuracy invented" test "$(sqlite3 "$tmp/ref.db" "SELECT count(*) FROM points WHERE accuracy IS NULL AND accuracy_source = 'none'")" = \
  "$(sqlite3 "$tmp/ref.db" "SELECT count(*) FROM points WHERE NOT (network = 'inception-bn' AND ((width = 1 AND precision = '32/32') OR (width = 2 AND precision IN ('4/4', '2/2'))))")"
check "totals are layer sums" test "$(sqlite3 "$tmp/ref.db" "SELECT count(*) FROM points p WHERE status = 'ok' AND cycles <> (SELECT sum(cycles) FROM layers l WHERE l.key = p.key)")" = 0

# a re-run stores nothing new
"$bin" sweep "$spec" --db "$tmp/ref.db" --quiet >"$tmp/rerun.out"
check "re-run skips everything" grep -q ': 0 evaluated (0 infeasible), 144 already stored' "$tmp/rerun.out"
check "re-run changes nothing" cmp -s "$tmp/ref.dump" <(dump "$tmp/ref.db")

# killed with SIGKILL once it has stored n points, for several n, then
# resumed to the end
db=$tmp/killed.db
partial=0
for n in 1 20 50 90 120; do
  "$bin" sweep "$spec" --db "$db" --jobs 1 --quiet >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    [ "$(count "$db")" -ge $n ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.01
  done
  kill -KILL $pid 2>/dev/null
  wait $pid 2>/dev/null
  got=$(count "$db")
  [ "$got" -lt 144 ] && partial=$((partial + 1))
  check "integrity after SIGKILL at $n ($got stored)" integrity "$db"
done
echo "killed runs that had stored part of the sweep: $partial of 5"
"$bin" sweep "$spec" --db "$db" --jobs 2 --quiet >/dev/null
check "resumed after SIGKILL = uninterrupted run" cmp -s "$tmp/ref.dump" <(dump "$db")
check "resumed integrity" integrity "$db"

# shards with GNU parallel, then merge = one run
parallel "'$bin' sweep '$spec' --db '$tmp/shard{}.db' --shard {}/3 --quiet >/dev/null" ::: 1 2 3
check "shards partition the points" test \
  "$(($(count "$tmp/shard1.db") + $(count "$tmp/shard2.db") + $(count "$tmp/shard3.db")))" = 144
"$bin" merge "$tmp/merged.db" "$tmp"/shard{1,2,3}.db >"$tmp/merge.out"
check "merge output" grep -q '^merged 3 databases into .*: 144 points added' "$tmp/merge.out"
check "shards + merge = one run" cmp -s "$tmp/ref.dump" <(dump "$tmp/merged.db")
check "merged integrity" integrity "$tmp/merged.db"
check "merge again adds nothing" bash -c "'$bin' merge '$tmp/merged.db' '$tmp/shard2.db' | grep -q ': 0 points added'"
check "merged runs recorded" test "$(sqlite3 "$tmp/merged.db" 'SELECT count(*) FROM runs')" = 3

# two processes writing one database at once
"$bin" sweep "$spec" --db "$tmp/two.db" --jobs 1 --quiet >"$tmp/two1.out" &
p1=$!
"$bin" sweep "$spec" --db "$tmp/two.db" --jobs 1 --quiet >"$tmp/two2.out" &
p2=$!
wait $p1
r1=$?
wait $p2
r2=$?
check "two writers succeed" test "$r1$r2" = 00
check "two writers lose nothing, duplicate nothing" cmp -s "$tmp/ref.dump" <(dump "$tmp/two.db")

# bad databases and specs: exit 2, nothing written
sqlite3 "$tmp/v99.db" "PRAGMA application_id = 1465012307; PRAGMA user_version = 99; CREATE TABLE points(key);"
"$bin" merge "$tmp/out99.db" "$tmp/v99.db" >/dev/null 2>"$tmp/v99.err"
check "merge refuses another schema version" test $? = 2
check "schema version message" grep -q 'sweep database schema version 99, this wrpnsim .* reads and writes version 2 only' "$tmp/v99.err"
check "refused merge writes nothing" test ! -e "$tmp/out99.db"
echo "not a database" >"$tmp/text.db"
"$bin" sweep "$spec" --db "$tmp/text.db" --quiet >/dev/null 2>"$tmp/text.err"
check "sweep refuses a non-database" test $? = 2
check "non-database message" grep -q 'not a wrpnsim sweep database' "$tmp/text.err"
printf 'name: x\nworkloads: [resnet18]\nprecision: []\narch: {base: [bitfusion-like]}\n' >"$tmp/bad.yaml"
"$bin" sweep "$tmp/bad.yaml" --db "$tmp/bad.db" 2>"$tmp/bad.err"
check "bad spec exits 2" test $? = 2
check "bad spec names file:line:col" grep -q "bad.yaml:3:12: precision: empty list" "$tmp/bad.err"
check "bad spec touches no database" test ! -e "$tmp/bad.db"
cp "$tmp/ref.db" "$tmp/ref2.db"
"$bin" sweep "$tmp/bad.yaml" --db "$tmp/ref2.db" 2>/dev/null
check "bad spec leaves a database as it was" cmp -s "$tmp/ref.db" "$tmp/ref2.db"

# dry run and the built-in default
check "dry run counts shards" bash -c "'$bin' sweep '$spec' --shard 2/5 --dry-run | grep -q '144 grid points, 144 to run, 29 in shard 2/5'"
check "default sweep dry run" bash -c "'$bin' sweep --dry-run | grep -q '^sweep wrpn-default: 432 grid points'"
# every shipped example spec loads (the demo runs demo-fmnist.yaml)
for ex in ../sweep/examples/*.yaml; do
  check "example $(basename "$ex") loads" bash -c "'$bin' sweep '$ex' --dry-run >/dev/null"
done
check "demo-fmnist dry run" bash -c "'$bin' sweep ../sweep/examples/demo-fmnist.yaml --dry-run | grep -q '^sweep demo-fmnist: 24 grid points'"
finish
