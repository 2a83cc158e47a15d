#!/usr/bin/env bash
# run_compare.sh BIN TESTS_DIR — `run --totals` gives, in CSV and JSON, every
# figure the table prints under its layers, with the table's values; `run`
# with several --arch compares the designs: each design's totals equal its
# own single run, the ratios are those of the single runs, and per layer
# the cycles and energy are those of each design's own run.
set -u
bin=$(realpath "$1")
cd "$2" || exit 1
. cli/check.sh # check, finish
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

net="--net resnet18 --prec 4/4 --fp32 none --batch 2"
"$bin" run --arch bitfusion-like $net >"$tmp/table.txt"
"$bin" run --arch bitfusion-like $net --totals --format csv >"$tmp/tot.csv"
"$bin" run --arch bitfusion-like $net --totals --format json >"$tmp/tot.json"
"$bin" run --arch bitfusion-like $net --format csv >"$tmp/layers.csv"
check "totals = the table's figures" python3 - "$tmp/table.txt" "$tmp/tot.csv" "$tmp/tot.json" "$tmp/layers.csv" <<'PY'
import csv, json, re, sys
text = open(sys.argv[1]).read()
rows = list(csv.DictReader(open(sys.argv[2])))
assert len(rows) == 1, rows
t = rows[0]
js = json.load(open(sys.argv[3]))
assert len(js) == 1 and all(isinstance(js[0][k], (int, float)) for k in t
                            if k not in ('design', 'arch', 'pe_source', 'sram_source')), js
for k, v in t.items():
    assert str(js[0][k]) == v or float(js[0][k]) == float(v), (k, v, js[0][k])
f = {k: float(v) for k, v in t.items() if k not in ('design', 'arch', 'pe_source', 'sram_source')}
def same(value, shown, what):
    decimals = len(shown.split('.')[1]) if '.' in shown else 0
    assert f"{value:.{decimals}f}" == shown, (what, value, shown)
m = re.search(r'latency (\S+) ms \((\d+) cycles: (\d+) compute, (\d+) stall\), (\S+) inferences/s, (\S+) TOPS', text)
same(f['latency_ms'], m[1], 'latency')
assert int(m[2]) == f['cycles'] and int(m[3]) == f['compute_cycles'] and int(m[4]) == f['stall_cycles']
same(f['inferences_per_s'], m[5], 'inferences/s')
same(f['tops'], m[6], 'TOPS')
m = re.search(r'energy (\S+) mJ per batch \((\S+) mJ per inference\), (\S+) TOPS/W; DRAM (\S+) MB read, (\S+) MB written', text)
same(f['energy_uj'] / 1e3, m[1], 'energy')
same(f['energy_per_inference_uj'] / 1e3, m[2], 'energy per inference')
same(f['tops_per_w'], m[3], 'TOPS/W')
same(f['dram_read_mb'], m[4], 'DRAM read')
same(f['dram_written_mb'], m[5], 'DRAM written')
m = re.search(r'energy breakdown: (.*)\n', text)
parts = dict(re.findall(r'(\w+) (\S+)%', m[1]))
names = {'MAC': 'e_mac_uj', 'RF': 'e_rf_uj', 'DRAM': 'e_dram_uj', 'static': 'e_static_uj'}
assert len(parts) == 7, parts
for p, shown in parts.items():
    same(100 * f[names.get(p, f'e_{p}_uj')] / f['energy_uj'], shown, p)
m = re.search(r'roofs: compute (\S+) TOPS, DRAM (\S+) GB/s \(ridge (\S+) ops/byte\)', text)
same(f['peak_tops'], m[1], 'peak')
same(f['dram_gbps'], m[2], 'bandwidth')
same(f['ridge_ops_per_byte'], m[3], 'ridge')
m = re.search(r'area (\S+) mm\^2: PE array (\S+) \((\S+) um\^2 per PE: ([^)]*\)?)\), (.*) \(buffers: (.*)\)\n', text)
same(f['area_mm2'], m[1], 'area')
same(f['array_mm2'], m[2], 'array')
same(f['pe_um2'], m[3], 'PE')
assert t['pe_source'] == m[4], (t['pe_source'], m[4])
for name, shown in re.findall(r'(\w+) (\S+?)(?:,|$)', m[5]):
    same(f[f'{name}_mm2'], shown, name)
assert t['sram_source'] == m[6]
total = [r for r in csv.DictReader(open(sys.argv[4])) if r['layer'] == 'total'][0]
assert int(total['cycles']) == f['cycles'] and int(total['macs']) == f['macs']
assert abs(float(total['e_total_uj']) - f['energy_uj']) <= 1e-4
assert all(f[k] == 1 for k in f if k.endswith('_x'))
PY

# a comparison: two presets and a proposal (the preset with a bigger array)
sed 's/^name: bitfusion-like/name: mine/; s/rows: 16, cols: 32/rows: 32, cols: 32/' \
  ../arch/presets/bitfusion-like.yaml >"$tmp/mine.yaml"
designs=(bitfusion-like stripes-like "$tmp/mine.yaml")
for i in 0 1 2; do
  "$bin" run --arch "${designs[$i]}" $net --totals --format csv >"$tmp/t$i.csv"
  "$bin" run --arch "${designs[$i]}" $net --format csv >"$tmp/l$i.csv"
done
arches="--arch bitfusion-like --arch stripes-like --arch $tmp/mine.yaml"
"$bin" run $arches $net --totals --format csv >"$tmp/ct.csv"
"$bin" run $arches $net --totals --format json >"$tmp/ct.json"
"$bin" run $arches $net --format csv >"$tmp/cl.csv"
"$bin" run $arches $net --format json >"$tmp/cl.json"
"$bin" run $arches $net >"$tmp/c.txt"
check "comparison = the single runs" python3 - "$tmp" <<'PY'
import csv, json, sys
d = sys.argv[1]
single = [list(csv.DictReader(open(f'{d}/t{i}.csv')))[0] for i in range(3)]
layers = [list(csv.DictReader(open(f'{d}/l{i}.csv'))) for i in range(3)]
comp = list(csv.DictReader(open(f'{d}/ct.csv')))
assert [r['design'] for r in comp] == ['bitfusion-like', 'stripes-like', 'mine'], comp
assert json.load(open(f'{d}/ct.json'))[2]['design'] == 'mine'
for s, c in zip(single, comp):
    for k, v in s.items():
        if k.endswith('_x'):
            continue
        if k in c:
            assert c[k] == v, (k, v, c[k])
        else:
            assert v == '', (k, v)  # a buffer the others lack
first = comp[0]
for c in comp:
    for x, k in [('latency_x', 'latency_ms'), ('energy_x', 'energy_uj'),
                 ('tops_x', 'tops'), ('tops_per_w_x', 'tops_per_w'), ('area_x', 'area_mm2')]:
        want = float(c[k]) / float(first[k])
        assert abs(float(c[x]) - want) <= 1e-8 * want, (c['design'], x, c[x], want)
assert float(comp[2]['area_x']) > 1 and float(comp[1]['latency_x']) != 1
cl = list(csv.DictReader(open(f'{d}/cl.csv')))
names = ['bitfusion-like', 'stripes-like', 'mine']
assert len(cl) == len(layers[0]) and cl[-1]['layer'] == 'total'
for row, *ls in zip(cl, *layers):
    assert all(l['layer'] == row['layer'] for l in ls)
    for n, l in zip(names, ls):
        assert int(row[f'{n}_cycles']) == int(l['cycles']), (row, l)
        assert row[f'{n}_e_uj'] == l['e_total_uj'], (row, l)
        assert row[f'{n}_mode'] == (l['mode'] if row['layer'] != 'total' else '-'), (row, l)
    for n, l in zip(names[1:], ls[1:]):
        c0, e0 = int(ls[0]['cycles']), float(ls[0]['e_total_uj'])
        assert abs(float(row[f'{n}_cycles_x']) - int(l['cycles']) / c0) <= 1e-4
        if e0 > 0.01:
            assert abs(float(row[f'{n}_energy_x']) - float(l['e_total_uj']) / e0) <= 2e-3 * float(l['e_total_uj']) / e0 + 1e-4
js = json.load(open(f'{d}/cl.json'))
assert len(js) == len(cl) and js[0]['mine_cycles'] == int(cl[0]['mine_cycles'])
txt = open(f'{d}/c.txt').read()
assert 'stripes-like/bitfusion-like' in txt and 'mine/bitfusion-like' in txt
line = [l for l in txt.splitlines() if l.startswith('latency_ms ')][0].split()
assert abs(float(line[5]) - float(comp[2]['latency_x'])) < 1e-4, line
PY

# the same preset twice: the second is labelled apart
"$bin" run --arch stripes-like --arch stripes-like $net --totals --format csv >"$tmp/twice.csv"
check "repeated design labelled #2" grep -q '^stripes-like#2,stripes-like,' "$tmp/twice.csv"
# SCALE-Sim inputs: --totals is the total the table prints
check "scalesim --totals" bash -c "'$bin' run --scalesim-cfg data/scalesim/scale_32x32_ws.cfg --scalesim-topology data/scalesim/alexnet_conv1.csv --totals --format csv | cmp -s - <(printf 'layers,cycles\n1,112283\n')"
# a bad design in a comparison is exit 2, and nothing goes to stdout
"$bin" run --arch bitfusion-like --arch nosuch $net >"$tmp/bad.out" 2>"$tmp/bad.err"
check "bad design exit 2" test $? = 2
check "bad design: nothing printed" test ! -s "$tmp/bad.out"
many=$(for i in $(seq 17); do printf -- '--arch stripes-like '; done)
"$bin" run $many $net >/dev/null 2>"$tmp/many.err"
check "17 designs: exit 2" test $? = 2
check "17 designs: message" grep -q 'at most 16 --arch' "$tmp/many.err"

# a comparison says, per design, which layers ran in its widest mode (as a
# single run does): above the tables, or on stderr for CSV
"$bin" run --arch int8-tpu-like --arch bitfusion-like --net alexnet \
  --fp32 none >"$tmp/wide.txt"
check "comparison: widest-mode note of each design" bash -c "
  grep -q '^note: 8 layers .* no mode of int8-tpu-like covers .* widest mode 8/8' '$tmp/wide.txt' &&
  grep -q '^note: 8 layers .* no mode of bitfusion-like covers .* widest mode 16/16' '$tmp/wide.txt'"
"$bin" run --arch int8-tpu-like --arch bitfusion-like --net alexnet \
  --fp32 none --format csv >"$tmp/wide.csv" 2>"$tmp/wide.err"
check "comparison csv: the notes on stderr, not in the data" bash -c "
  test \$(grep -c '^wrpnsim: note: 8 layers' '$tmp/wide.err') = 2 &&
  ! grep -q note '$tmp/wide.csv'"
finish
