#!/usr/bin/env bash
# help.sh BIN TESTS_DIR — the help matches the commands: for every command
# listed in `wrpnsim --help`, `wrpnsim help CMD` is `wrpnsim CMD --help`;
# every option its help lists is accepted (a working invocation of the
# command plus that option, with a sample value, exits 0); every option
# any command lists, and a few common names, is rejected as unknown by
# the commands that do not list it; the usage line names only listed
# options, and all of them unless it ends in "[...]".  Then counts in
# messages agree in number ("1 point", not "1 points").
set -u
bin=$(realpath "$1")
cd "$2" || exit 1
. cli/check.sh # check, finish
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the general help: commands, --help and --version
"$bin" --help >"$tmp/general.txt"
check "general help lists --version" grep -q '^  --version ' "$tmp/general.txt"
check "general help lists --help" grep -q '^  --help ' "$tmp/general.txt"
check "--version works" bash -c "'$bin' --version | grep -q '^wrpnsim [0-9]'"
mapfile -t cmds < <(sed -n '/^commands:/,/^$/p' "$tmp/general.txt" | awk 'NR > 1 && NF {print $1}')
check "general help lists the commands" test "${#cmds[@]}" -ge 12
check "help of an unknown command exits 2" bash -c "'$bin' help bogus 2>/dev/null; [ \$? = 2 ]"

# inputs the working invocations need: a small sweep database, weights
cat >"$tmp/spec.yaml" <<'EOF'
name: help-test
workloads: [fmnist-mlp]
width: [1]
precision: [8/8]
fp32: none
arch:
  base: [bitfusion-like, stripes-like]
EOF
"$bin" sweep "$tmp/spec.yaml" --db "$tmp/r.db" --quiet >/dev/null || echo "FAIL: setup sweep"
"$bin" weights --net data/tiny-cnn.yaml --out "$tmp/w.npz" 2>/dev/null || echo "FAIL: setup weights"
nets="--net data/tiny-cnn.yaml"

# a working invocation per command (@N@ is replaced by a fresh number)
declare -A base=(
  [zoo]=""
  [presets]=""
  [net]="$nets"
  [cost]="$nets"
  [footprint]="$nets"
  [weights]="$nets --out $tmp/w@N@.npz"
  [exec]="$nets --synthetic 3 --data data/images-12.npy --limit 2"
  [train]="--net fmnist-mlp --data fashion-mnist --epochs 1 --train-limit 64 --test-limit 32 --out $tmp/t@N@.npz"
  [run]="--arch bitfusion-like $nets --fp32 none"
  [sweep]="$tmp/spec.yaml --db $tmp/s@N@.db"
  [merge]="$tmp/m@N@.db $tmp/r.db"
  [report]="--db $tmp/r.db"
)
# sample values: by option name, or by "command --option"; a value
# starting with '!' is the whole argument list instead of base + option
declare -A val=(
  [--width]=2 [--prec]=4/4 [--fp32]=none [--layer-prec]=conv1=8/8
  [--format]=csv [--batch]=2 [--seed]=2 [--out]="$tmp/o@N@"
  [--objective]=cycles [--jobs]=1 [--busy-timeout]=5
  [cost --bits]=8,4
  [exec --weights]="!exec $nets --weights $tmp/w.npz --data data/images-12.npy"
  [exec --train]="!exec --net fmnist-mlp --synthetic 1 --data fashion-mnist --train --limit 2"
  [exec --acc-bits]=24 [exec --overflow]=wrap [exec --requant]=fixed
  [exec --rq-shift]="20 --requant fixed" [exec --rq-mult-bits]="24 --requant fixed"
  [exec --rq-round]="floor --requant fixed" [exec --dump]="$tmp/d@N@"
  [exec --arch]="bitfusion-like --fp32 none"
  [exec --objective]="cycles --arch bitfusion-like --fp32 none"
  [train --layer-prec]=fc2=8/8 [train --batch]=32 [train --lr]=0.01
  [train --optim]=sgd [train --momentum]="0.5 --optim sgd" [train --threads]=1
  [train --train-limit]=32 [train --test-limit]=16 [train --out]="$tmp/t@N@.npz"
  [run --scalesim-cfg]="!run --scalesim-cfg data/scalesim/scale_32x32_ws.cfg --scalesim-topology data/scalesim/alexnet_conv1.csv"
  [run --scalesim-topology]="!run --scalesim-cfg data/scalesim/scale_32x32_ws.cfg --scalesim-topology data/scalesim/alexnet_conv1.csv"
  [run --ideal-memory]="" [run --totals]=""
  [sweep --shard]=1/2 [sweep --dry-run]="" [sweep --quiet]=""
  [report --pareto]=energy,latency [report --where]="width>=1"
  [report --format]=md [report --baseline]=bitfusion-like
  [report --best-under]="area<=1000" [report --objective]="energy --best-under area<=1000"
  [report --breakdown]="" [report --title]=T
)

# options a help lists: "--name" per line of its options section
opts_of() { sed -n '/^options:/,$p' "$1" | grep -oE '^  --[a-z0-9-]+' | sed 's/^  //'; }

n=0
declare -A listed_by
all_listed=""
for c in "${cmds[@]}"; do
  "$bin" "$c" --help >"$tmp/$c.help" 2>"$tmp/$c.help.err"
  check "$c --help exits 0" test $? = 0
  check "help $c = $c --help" bash -c "'$bin' help $c | cmp -s - '$tmp/$c.help'"
  check "$c --help has an option list" grep -q '^options:' "$tmp/$c.help"
  listed=$(opts_of "$tmp/$c.help" | grep -vx -- --help)
  listed_by[$c]=" $(echo $listed) "
  all_listed="$all_listed $listed"
  # the usage line names listed options only, and all unless "[...]"
  usage=$(sed -n '1,/^$/p' "$tmp/$c.help")
  for u in $(grep -oE -- '--[a-z0-9-]+' <<<"$usage" | sort -u); do
    check "$c: usage's $u is listed" grep -q -- "^  $u\b" "$tmp/$c.help"
  done
  if ! grep -qF '[...]' <<<"$usage"; then
    for o in $listed; do
      check "$c: usage names $o (or ends in [...])" grep -q -- "$o\b" <<<"$usage"
    done
  fi
  # every listed option is accepted
  if [ -z "${base[$c]+x}" ]; then
    echo "FAIL: no working invocation of '$c' in help.sh"
    fail=$((fail + 1))
    continue
  fi
  for o in $listed; do
    case " ${base[$c]} " in *" $o "*) continue ;; esac # in the base already
    n=$((n + 1))
    if [ -n "${val[$c $o]+x}" ]; then
      v=${val[$c $o]}
    elif [ -n "${val[$o]+x}" ]; then
      v=${val[$o]}
    else
      echo "FAIL: $c $o: no sample value in help.sh"
      fail=$((fail + 1))
      continue
    fi
    v=${v//@N@/$n}
    if [ "${v:0:1}" = '!' ]; then
      args="${v:1}"
    else
      args="$c ${base[$c]//@N@/$n} $o $v"
    fi
    # shellcheck disable=SC2086 # word splitting wanted
    "$bin" $args >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "$c accepts $o ($args: exit $rc: $(head -c 300 "$tmp/err"))" test $rc = 0
  done
done

# options nobody lists, and those other commands list, are unknown (the
# probes run four at a time: there are several hundred)
extra="--version --verbose --output --config --help-all --force --limit --net"
for c in "${cmds[@]}"; do
  for o in $(echo $all_listed $extra | tr ' ' '\n' | sort -u); do
    case "${listed_by[$c]}" in *" $o "*) continue ;; esac
    printf '%s %s\n' "$c" "$o"
  done
done >"$tmp/unlisted"
# shellcheck disable=SC2016 # expanded by the inner shell
xargs -P 4 -n 2 bash -c 'bin=$0 tmp=$1 c=$2 o=$3
  "$bin" "$c" "$o" >/dev/null 2>"$tmp/err.$c$o"
  rc=$?
  if [ $rc = 2 ] && grep -qF -- "unknown option '"'"'$o'"'"'" "$tmp/err.$c$o"; then
    echo ok
  else
    echo "FAIL: $c rejects unlisted $o as unknown (exit $rc: $(head -c 200 "$tmp/err.$c$o"))"
  fi' "$bin" "$tmp" <"$tmp/unlisted" >"$tmp/unlisted.out" 2>&1
check "unlisted options probed" test "$(wc -l <"$tmp/unlisted.out")" = "$(wc -l <"$tmp/unlisted")"
check "unlisted options probed: more than 300" test "$(wc -l <"$tmp/unlisted")" -gt 300
grep -v '^ok$' "$tmp/unlisted.out"
pass=$((pass + $(grep -c '^ok$' "$tmp/unlisted.out")))
fail=$((fail + $(grep -vc '^ok$' "$tmp/unlisted.out")))

# counts agree in number
cat >"$tmp/one.yaml" <<'EOF'
name: one-point
workloads: [fmnist-mlp]
width: [1]
precision: [8/8]
fp32: none
arch: {base: [bitfusion-like]}
EOF
"$bin" sweep "$tmp/one.yaml" --db "$tmp/one.db" --quiet >"$tmp/one.out"
check "sweep: 1 point" grep -q '^sweep one-point: 1 point: 1 evaluated' "$tmp/one.out"
"$bin" sweep "$tmp/one.yaml" --dry-run >"$tmp/dry.out"
check "dry run: 1 grid point" grep -q '^sweep one-point: 1 grid point, 1 to run' "$tmp/dry.out"
"$bin" merge "$tmp/one-m.db" "$tmp/one.db" >"$tmp/merge.out"
check "merge: 1 point added" grep -q '^merged 1 database into .*: 1 point added$' "$tmp/merge.out"
"$bin" exec --net fmnist-mlp --synthetic 1 --data fashion-mnist --limit 1 >"$tmp/exec.out" 2>"$tmp/exec.err"
check "exec: of 1 image" grep -q '(. of 1 image)$' "$tmp/exec.out"
check "exec progress: 1/1 image" grep -q 'exec: 1/1 image,' "$tmp/exec.err"
"$bin" train --net fmnist-mlp --data fashion-mnist --epochs 1 --train-limit 64 --test-limit 1 \
  --threads 1 --out "$tmp/t1.npz" >/dev/null 2>"$tmp/train.err"
check "train: 1 epoch, 1 test image, 1 thread" grep -q ' test image, 1 epoch of batch .*, 1 thread (' "$tmp/train.err"
check "train: of 1 image" grep -q ' of 1 image, ' "$tmp/train.err"
printf 'name: one\ninput: {shape: [1, 1, 1]}\nlayers:\n  - {name: fc, fc: {out: 1, bias: false}}\n' >"$tmp/one-net.yaml"
"$bin" net --net "$tmp/one-net.yaml" >"$tmp/net.out"
check "net: 1 layer, 1 parameter, 1 MAC" grep -q ': 1 layer (1 conv/fc), 1 parameter, 1 MAC per image$' "$tmp/net.out"
"$bin" cost --net "$tmp/one-net.yaml" >"$tmp/cost.out"
check "cost: 1 FMA" grep -q ': 1 FMA per image' "$tmp/cost.out"
"$bin" weights --net "$tmp/one-net.yaml" --out "$tmp/one.npz" 2>"$tmp/weights.err"
check "weights: 1 array" grep -q ': 1 array for one' "$tmp/weights.err"
printf '\x93' >"$tmp/short.npy"
"$bin" exec --net "$tmp/one-net.yaml" --synthetic 1 --data "$tmp/short.npy" >/dev/null 2>"$tmp/short.err"
check "npy: 1 byte" grep -q 'truncated: 1 byte, too short' "$tmp/short.err"

finish
