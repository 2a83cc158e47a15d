#!/usr/bin/env bash
# full_disk.sh BIN TESTS_DIR — writers on a full disk and a read-only
# database, on small tmpfs mounts of their own (needs root and mount; exit
# 77, skipped, elsewhere).  A sweep that fills the disk stops with a clear
# error and exit 1, keeps what it committed intact and resumes elsewhere to
# the database an uninterrupted run stores; weights, dumps and reports on a
# full disk leave no file behind, not even a temporary one; a sweep on a
# read-only database says so and leaves it unchanged.
set -u
bin=$(realpath "$1")
cd "$2" || exit 1
. cli/sweep_db.sh # dump, count, integrity
tmp=$(mktemp -d)
mnt=$tmp/mnt
mkdir "$mnt"
trap 'umount "$mnt" 2>/dev/null; rm -rf "$tmp"' EXIT
if ! mount -t tmpfs -o size=300k tmpfs "$mnt" 2>/dev/null; then
  echo "full_disk.sh: skipped (cannot mount a tmpfs here)"
  exit 77
fi
. cli/check.sh # check, finish
spec=data/sweep-small.yaml
"$bin" sweep "$spec" --db "$tmp/ref.db" --quiet >/dev/null
dump "$tmp/ref.db" >"$tmp/ref.dump"

# a sweep fills the disk: exit 1, a clear message, what it stored intact
"$bin" sweep "$spec" --db "$mnt/s.db" --quiet >/dev/null 2>"$tmp/err"
check "sweep on a full disk exits 1" test $? = 1
check "sweep says the disk is full" grep -q "^wrpnsim: $mnt/s.db: .*database or disk is full" "$tmp/err"
check "full disk: integrity" integrity "$mnt/s.db"
got=$(count "$mnt/s.db")
check "full disk: part of the sweep stored ($got of 144)" test "$got" -lt 144
cp "$mnt"/s.db* "$tmp/"
"$bin" sweep "$spec" --db "$tmp/s.db" --quiet >/dev/null
check "resumed off the full disk = uninterrupted run" cmp -s "$tmp/ref.dump" <(dump "$tmp/s.db")
rm -f "$mnt"/s.db*

# weights, dumps and reports: no file left on a full disk
head -c 250000 /dev/zero >"$mnt/filler"
"$bin" weights --net resnet18 --seed 1 --out "$mnt/w.npz" >/dev/null 2>"$tmp/err"
check "weights on a full disk exits 1" test $? = 1
check "weights says no space" grep -q "No space left on device" "$tmp/err"
"$bin" exec --net data/tiny-cnn.yaml --synthetic 1 --data data/images-12.npy \
  --fp32 none --dump "$mnt/d" >/dev/null 2>"$tmp/err"
check "exec --dump on a full disk exits 1" test $? = 1
"$bin" report --db "$tmp/ref.db" --format html --out "$mnt/r.html" >/dev/null 2>"$tmp/err"
check "report --out on a full disk exits 1" test $? = 1
check "nothing left behind but the filler and an empty dump folder" \
  test "$(find "$mnt" -type f | grep -v /filler)" = ""
rm -rf "${mnt:?}"/*

# a read-only database: the sweep refuses, the file is unchanged
mount -o remount,size=8m "$mnt" # two copies of the 2.5 MB database
cp "$tmp/ref.db" "$mnt/ro.db"
sqlite3 "$mnt/ro.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
sum0=$(sha256sum "$mnt/ro.db" | cut -d' ' -f1)
mount -o remount,ro "$mnt"
"$bin" sweep data/sweep-small.yaml --db "$mnt/ro.db" --quiet >/dev/null 2>"$tmp/err"
rc=$?
check "sweep on a read-only database fails (exit $rc)" test "$rc" = 1 -o "$rc" = 2
check "sweep says why: $(head -1 "$tmp/err")" grep -q "^wrpnsim: $mnt/ro.db: " "$tmp/err"
# a WAL database in a read-only folder (no -shm can be made) is read as
# immutable: the same report as from a writable copy
"$bin" report --db "$tmp/ref.db" --format csv >"$tmp/report-rw.csv" 2>/dev/null
"$bin" report --db "$mnt/ro.db" --format csv >"$tmp/report.csv" 2>"$tmp/err"
check "report reads a WAL database in a read-only folder" test $? = 0
check "report from a read-only folder equals a writable copy's" cmp -s "$tmp/report.csv" "$tmp/report-rw.csv"
mount -o remount,rw "$mnt"
check "read-only database unchanged" test "$(sha256sum "$mnt/ro.db" | cut -d' ' -f1)" = "$sum0"
# ... but not when a -wal file holds commits the database lacks: it says so
python3 - "$tmp/ref.db" "$mnt/wal.db" <<'PY'
import shutil, sqlite3, sys
src, dst = sys.argv[1], sys.argv[2]
shutil.copy(src, dst)
c = sqlite3.connect(dst)
c.execute("PRAGMA wal_autocheckpoint=0")
c.execute("DELETE FROM points WHERE rowid IN (SELECT rowid FROM points LIMIT 3)")
c.commit()
shutil.copy(dst + "-wal", dst + "-wal.keep")
c.close()  # checkpoints and removes the -wal: put the copy back
shutil.copy(src, dst)
shutil.move(dst + "-wal.keep", dst + "-wal")
PY
mount -o remount,ro "$mnt"
"$bin" report --db "$mnt/wal.db" >/dev/null 2>"$tmp/err"
rc=$?
check "report refuses a read-only folder with pending WAL commits (exit $rc)" test "$rc" = 2
check "and says why: $(head -1 "$tmp/err")" grep -q "its folder is read-only and $mnt/wal.db-wal holds" "$tmp/err"
mount -o remount,rw "$mnt"

finish
