#!/usr/bin/env bash
# paths.sh BIN TESTS_DIR — the path rules that need files set up
# (docs/reliability.md, "Paths, outputs and databases"): an output that is
# an input under another name (a symbolic or hard link, a database's -wal
# file) is refused; empty and whitespace-only paths are refused; merge
# skips an input that is its output instead of waiting on its own lock; a
# lock held by another process (the sqlite3 CLI in a transaction) is
# waited for with progress lines and given up after --busy-timeout; and
# every refused command leaves every file as it was (checksums).
set -u
bin=$(realpath "$1")
cd "$2" || exit 1
tests=$(pwd -P)
. cli/check.sh # check, finish
tmp=$(mktemp -d)
holder=
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; wait; rm -rf "$tmp"' EXIT

# run NAME WANT_RC GREP ARGS...: wrpnsim ARGS exits WANT_RC with GREP
# (a fixed string) in its stderr
run() {
  local name=$1 want=$2 grep=$3
  shift 3
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  local rc=$?
  if [ "$rc" = "$want" ] && grep -qF -- "$grep" "$tmp/err"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    printf 'FAIL: %s\n  wrpnsim %s\n  exit %s (want %s)\n  stderr: %s\n' \
      "$name" "$*" "$rc" "$want" "$(cat "$tmp/err")"
  fi
}
sums() { (cd "$tmp/w" && find . -type f -print0 | sort -z | xargs -0 md5sum); }

mkdir "$tmp/w" && cd "$tmp/w" || exit 1
cp "$tests/bad/report/one-point.db" a.db
cp "$tests/bad/report/one-point.db" b.db
cp "$tests/data/tiny-cnn.yaml" net.yaml
cp "$tests/data/sweep-small.yaml" spec.yaml
"$bin" sweep spec.yaml --db s.db --quiet >/dev/null 2>&1
check "a sweep database to work on" test -s s.db
ln -s a.db link.db
ln a.db hard.db
ln -s net.yaml net-link.yaml
ln -s spec.yaml spec-link.yaml
mkdir dump
cp "$tests/data/images-12.npy" dump/conv1.npy
head -c 20000 a.db >trunc.db
sums >"$tmp/sums.before"

# ---- an output that is an input under another name --------------------------
run "report --out a symbolic link to --db" 2 \
  "--out 'link.db' is the same file as --db 'a.db': refusing to overwrite an input (nothing written)" \
  report --db a.db --format html --out link.db
run "report --out a hard link to --db" 2 \
  "--out 'hard.db' is the same file as --db 'a.db'" \
  report --db a.db --out hard.db
run "report --out ./a.db" 2 "is the same file as --db" \
  report --db "$tmp/w/a.db" --out ./a.db
run "report --out the -wal file of --db (through a link)" 2 \
  "(the -wal file of --db 'link.db')" \
  report --db link.db --out a.db-wal
run "report --out the -shm file" 2 "(the -shm file of --db 's.db')" \
  report --db s.db --out s.db-shm
run "weights --out a link to the --net file" 2 \
  "--out 'net-link.yaml' is the same file as --net 'net.yaml'" \
  weights --net net.yaml --out net-link.yaml
run "train --out the --net file" 2 \
  "--out 'net.yaml' is the same file as --net 'net-link.yaml'" \
  train --net net-link.yaml --data fashion-mnist --out net.yaml
run "exec --dump file that is the --data file" 2 \
  "--dump file 'dump/conv1.npy' is the same file as --data 'dump/conv1.npy'" \
  exec --net net.yaml --synthetic 1 --data dump/conv1.npy --dump dump
run "sweep --db a link to the spec" 2 \
  "--db 'spec-link.yaml' is the same file as SPEC 'spec.yaml'" \
  sweep spec.yaml --db spec-link.yaml

# ---- empty and whitespace-only paths ---------------------------------------
run "sweep --db ''" 2 "wrpnsim sweep: --db: '' is an empty path" \
  sweep spec.yaml --db ''
run "sweep --db '  '" 2 "wrpnsim sweep: --db: '  ' is an empty path" \
  sweep spec.yaml --db '  '
run "sweep '' --db x.db" 2 "wrpnsim sweep: SPEC: '' is an empty path" \
  sweep '' --db x.db
run "merge '' a.db" 2 "wrpnsim merge: OUT: '' is an empty path" \
  merge '' a.db
run "merge x.db ' '" 2 "wrpnsim merge: IN: ' ' is an empty path" \
  merge x.db ' '
run "report --db ' '" 2 "wrpnsim report: --db: ' ' is an empty path" \
  report --db ' '
run "report --out tab" 2 "wrpnsim report: --out: '	' is an empty path" \
  report --db a.db --out "$(printf '\t')"
run "exec --dump ' '" 2 "wrpnsim exec: --dump: ' ' is an empty path" \
  exec --net net.yaml --synthetic 1 --data dump/conv1.npy --dump ' '
run "weights --out ''" 2 "wrpnsim weights: --out: '' is an empty path" \
  weights --net net.yaml --out ''
run "run --net ''" 2 "wrpnsim run: --net: '' is an empty path" \
  run --net '' --arch bitfusion-like

# ---- databases that are not intact -------------------------------------------
run "sweep into a truncated database" 2 \
  "$tmp/w/trunc.db: not an intact wrpnsim sweep database (truncated: 20000 bytes, its header says 53248" \
  sweep spec.yaml --db trunc.db --quiet
run "merge into a truncated database" 2 "$tmp/w/trunc.db: not an intact" \
  merge trunc.db b.db

# ---- merge: an input that is the output --------------------------------------
t0=$(date +%s)
run "merge self.db self.db" 2 \
  "wrpnsim merge: skipping IN 'a.db': it is the same file as OUT 'a.db'" \
  merge a.db a.db
check "... says there is nothing to merge" \
  grep -qF "nothing to merge: every IN.db is OUT.db 'a.db'" "$tmp/err"
run "merge a link to itself" 2 "skipping IN 'a.db'" merge link.db a.db
check "... at once, not after a lock wait" test $(($(date +%s) - t0)) -lt 5
check "refused commands changed no file" diff "$tmp/sums.before" <(sums)

cp s.db s2.db
run "merge OUT *.db skips OUT, merges the rest" 0 \
  "skipping IN 's2.db': it is the same file as OUT 's2.db'" \
  merge s2.db s2.db a.db
check "... and merged the other input" \
  grep -q '^merged 1 database into s2.db: 1 point added' "$tmp/out"
rm -f s2.db s2.db-wal s2.db-shm

# ---- a lock held by another process -----------------------------------------
# hold DB SQL: the sqlite3 CLI runs SQL (taking a lock) and holds it until
# release closes its input; returns once it has the lock
hold() {
  rm -f "$tmp/held" "$tmp/fifo"
  mkfifo "$tmp/fifo"
  sqlite3 "$1" <"$tmp/fifo" &
  holder=$!
  exec 3>"$tmp/fifo"
  printf '%s\n.shell touch %s\n' "$2" "$tmp/held" >&3
  for _ in $(seq 100); do
    [ -e "$tmp/held" ] && return 0
    sleep 0.1
  done
  echo "FAIL: the sqlite3 CLI did not take the lock on $1"
  return 1
}
release() {
  exec 3>&-
  wait "$holder" 2>/dev/null
  holder=
}
# the WAL database can't change under a lock; its checksum with the -wal
sums >"$tmp/sums.before"

hold a.db "BEGIN EXCLUSIVE;"
t0=$(date +%s)
run "merge into a database another process holds" 1 \
  "wrpnsim merge: $tmp/w/a.db is locked by another process; waiting (1 s of 1.5 s, --busy-timeout)" \
  merge a.db b.db --busy-timeout 1.5
check "... then gives up" grep -qF \
  "wrpnsim merge: $tmp/w/a.db is still locked by another process after 1.5 s: giving up (--busy-timeout 1.5)" \
  "$tmp/err"
check "... with the error naming the file" grep -qF \
  "wrpnsim: $tmp/w/a.db: reading the schema: locked by another process" \
  "$tmp/err"
run "report on a database another process holds" 1 \
  "wrpnsim report: $tmp/w/a.db is still locked by another process after 1.0 s: giving up (--busy-timeout 1)" \
  report --db a.db --busy-timeout 1
# (bounds far above the 2.5 s of timeouts, far below the 60 s default a
# lost option would wait: a loaded machine must not fail these)
check "... both within their timeouts" test $(($(date +%s) - t0)) -lt 20
release

hold s.db "BEGIN EXCLUSIVE;"
t0=$(date +%s)
run "sweep into a database another process writes" 1 \
  "wrpnsim: $tmp/w/s.db: storing the spec: locked by another process" \
  sweep spec.yaml --db s.db --quiet --busy-timeout 1
run "merge into a database another process writes" 1 \
  "still locked by another process after 0.5 s" \
  merge s.db b.db --busy-timeout 0.5
check "... within their timeouts" test $(($(date +%s) - t0)) -lt 20
release
check "waits that gave up changed no file" diff "$tmp/sums.before" <(sums)

hold s.db "BEGIN EXCLUSIVE;"
t0=$(date +%s)
# (without the holder's input, which would keep it holding)
"$bin" merge s.db b.db --busy-timeout 30 >"$tmp/out" 2>"$tmp/err" 3>&- &
merger=$!
sleep 2.5
release
wait "$merger"
check "a lock released during the wait: the merge goes on" test $? = 0
check "... after waiting lines" grep -qF \
  "$tmp/w/s.db is locked by another process; waiting (1 s of 30 s" "$tmp/err"
check "... and merged" grep -q '^merged 1 database into s.db: 1 point added' \
  "$tmp/out"
check "... once the lock was released" test $(($(date +%s) - t0)) -lt 28

finish
