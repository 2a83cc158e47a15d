# check.sh — the pass/fail helpers end-to-end scripts source:
# `check NAME COMMAND...` counts the command's success or prints FAIL, and
# `finish` prints the counts and returns 1 if anything failed.
pass=0
fail=0
check() { # check NAME COMMAND...: the command must succeed
  local name=$1
  shift
  if "$@"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: $name"
  fi
}
finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" = 0 ]
}
