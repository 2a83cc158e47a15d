#!/usr/bin/env bash
# render_html.sh BIN DIR — the HTML report in a real browser: runs the
# built-in default sweep, writes its report and a comparison report
# (--baseline), and renders both in headless Chromium with
# render_check.py: every plot inside the page, not blank, nothing in it
# clipped, every scatter marker with a <title>, and every design of each
# workload in its "energy vs latency" plot.  Chromium and python3-pil are
# test dependencies (scripts/deps); without them this test fails: it
# never skips.
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
command -v chromium >/dev/null || command -v chromium-browser >/dev/null ||
  fail "chromium is not installed (scripts/deps installs it)"
/usr/bin/python3 -c "import PIL" 2>/dev/null ||
  fail "python3-pil is not installed (scripts/deps installs it)"

"$bin" sweep --db d.db --jobs 2 --quiet >/dev/null
"$bin" report --db d.db --pareto none --format csv --out all.csv
"$bin" report --db d.db --format html --out report.html
"$bin" report --db d.db --format html --out compare.html \
  --baseline int8-tpu-like --breakdown
grep -q 'comparison against the baseline' compare.html ||
  fail "compare.html has no comparison"
# both pages at once (each Chromium has its own profile)
/usr/bin/python3 "$dir/cli/render_check.py" report.html --points all.csv \
  --png report.png >report.log 2>&1 &
p1=$!
/usr/bin/python3 "$dir/cli/render_check.py" compare.html --points all.csv \
  --png compare.png >compare.log 2>&1 &
p2=$!
rc=0
wait $p1 || rc=1
wait $p2 || rc=1
cat report.log compare.log
[ $rc -eq 0 ] || fail "a rendered page failed its checks"
echo "ok: render_html"
