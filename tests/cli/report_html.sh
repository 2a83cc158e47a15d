#!/usr/bin/env bash
# report_html.sh REPORT_SAMPLE DIR — writes the sample report in every
# format and checks them: the HTML page is well-formed XML, self-contained,
# with titled axes and legends clear of the plots (check_html.py); JSON
# parses; CSV has a header and rows.
set -eu
sample=$1
dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$sample" "$tmp/r.html" html
python3 "$dir/check_html.py" "$tmp/r.html"
"$sample" "$tmp/r.json" json
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['front'] and d['best'] and d['comparison'] and d['breakdown'], d.keys()" "$tmp/r.json"
"$sample" "$tmp/r.csv" csv
python3 -c "import csv,sys; r=list(csv.DictReader(open(sys.argv[1]))); assert r and 'energy_j' in r[0], r[:1]" "$tmp/r.csv"
"$sample" "$tmp/r.md" md
grep -q '^| workload | width |' "$tmp/r.md"
"$sample" "$tmp/r.txt" table
grep -q '^Pareto front over min energy_j, min latency_s' "$tmp/r.txt"
echo "ok: html, json, csv, md, table"
# and rendered in headless Chromium (render_check.py)
/usr/bin/python3 "$dir/render_check.py" "$tmp/r.html" --png "$tmp/r.png"
