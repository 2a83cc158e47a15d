#!/usr/bin/env bash
# bad_inputs.sh BIN DIR — runs every case of DIR/expected.tsv
# ("arguments<TAB>expected stderr") from DIR and checks that wrpnsim exits
# with 2, prints nothing on stdout and exactly the expected line on
# stderr (in which @DIR@ stands for DIR's absolute path, for messages
# that name a file by its absolute path).  Every file under DIR/*/ must be
# used by some case.
set -u
bin=$(realpath "$1")
dir=$2
cd "$dir" || exit 1
here=$(pwd -P)
# a refused command leaves every file as it was, and makes none
sums() { find . -type f ! -name expected.tsv -print0 | sort -z | xargs -0 md5sum; }
before=$(sums)
pass=0
fail=0
while IFS=$'\t' read -r args want; do
  [ -z "$args" ] && continue
  want=${want//@DIR@/$here}
  # shellcheck disable=SC2086  # the arguments are words on purpose
  out=$("$bin" $args 2>/tmp/wrpnsim-bad-$$ </dev/null)
  rc=$?
  err=$(cat /tmp/wrpnsim-bad-$$)
  if [ "$rc" = 2 ] && [ -z "$out" ] && [ "$err" = "$want" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    printf 'FAIL: wrpnsim %s\n  exit %s (want 2)\n  stderr: %s\n  want:   %s\n' \
      "$args" "$rc" "$err" "$want"
    [ -n "$out" ] && printf '  stdout not empty: %.200s\n' "$out"
  fi
done <expected.tsv
rm -f /tmp/wrpnsim-bad-$$
if [ "$(sums)" != "$before" ]; then
  fail=$((fail + 1))
  echo "FAIL: files under $dir changed or appeared:"
  diff <(echo "$before") <(sums)
fi
for f in */*; do
  if ! grep -q -- "$f" expected.tsv; then
    fail=$((fail + 1))
    echo "FAIL: $f has no case in expected.tsv"
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
