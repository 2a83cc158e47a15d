#!/usr/bin/env bash
# sweep_soak.sh BIN TESTS_DIR [KILLS] — kills `wrpnsim sweep` (2 jobs) with
# SIGKILL at random moments, at least KILLS times (default 25), resuming each
# time: after every kill the database must pass PRAGMA integrity_check, and
# every sweep carried to its end must store exactly what an uninterrupted
# run stores.  The moments are drawn from [0, T/6] of the uninterrupted
# run's time T (so most kills land mid-sweep, some during start-up or
# commit); when a sweep finishes before enough kills, a new one starts on a
# fresh database.  Spec: tests/data/sweep-small.yaml (144 points).
set -u
bin=$(realpath "$1")
cd "$2" || exit 1
want=${3:-25}
spec=data/sweep-small.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
. cli/sweep_db.sh # dump, count, integrity

t0=$(date +%s%N)
"$bin" sweep "$spec" --db "$tmp/ref.db" --jobs 2 --quiet >/dev/null || exit 1
ms=$((($(date +%s%N) - t0) / 1000000))
dump "$tmp/ref.db" >"$tmp/ref.dump"
total=$(count "$tmp/ref.db")
max=$((ms / 6 > 20 ? ms / 6 : 20)) # kill moments in [0, max] ms

RANDOM=${SOAK_SEED:-8}
kills=0 rounds=0 partial=0 runs=0
db=$tmp/soak-0.db
while [ $kills -lt "$want" ] || [ "$(count "$db")" -lt "$total" ]; do
  runs=$((runs + 1))
  "$bin" sweep "$spec" --db "$db" --jobs 2 --quiet >/dev/null 2>"$tmp/err" &
  pid=$!
  if [ $kills -lt "$want" ]; then
    r=$((RANDOM % max))
    sleep "$(printf '%d.%03d' $((r / 1000)) $((r % 1000)))"
    kill -KILL $pid 2>/dev/null
  fi
  wait $pid 2>/dev/null
  rc=$?
  [ "$rc" = 137 ] && kills=$((kills + 1)) # else it ended before the kill
  got=$(count "$db")
  if ! integrity "$db"; then
    fail=$((fail + 1))
    echo "FAIL: integrity_check after run $runs ($got points stored)"
  fi
  if [ "$rc" != 0 ] && [ "$rc" != 137 ]; then
    fail=$((fail + 1))
    echo "FAIL: run $runs exited $rc: $(head -3 "$tmp/err")"
  fi
  [ "$got" -gt 0 ] && [ "$got" -lt "$total" ] && partial=$((partial + 1))
  if [ "$got" -ge "$total" ]; then
    rounds=$((rounds + 1))
    if ! cmp -s "$tmp/ref.dump" <(dump "$db"); then
      fail=$((fail + 1))
      echo "FAIL: round $rounds (after $kills kills) differs from an uninterrupted run"
    fi
    [ $kills -lt "$want" ] && db=$tmp/soak-$rounds.db
  fi
done
echo "$kills SIGKILLs over $runs runs ($partial left part of the sweep stored), $rounds sweeps completed, each equal to an uninterrupted run; $fail failures"
[ "$fail" = 0 ] && [ "$partial" -gt 0 ]
