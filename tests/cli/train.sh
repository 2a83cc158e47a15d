#!/usr/bin/env bash
# train.sh BIN — end-to-end checks of `wrpnsim train`: a short deterministic
# run whose reported test accuracy `wrpnsim exec` reproduces exactly on the
# weights it wrote (quantized, binary and FP32 networks, a residual and an
# inception-style user workload), the same weights for the same seed, and bad input (exit 2).
set -u
bin=$(realpath "$1")
. "$(dirname "$0")/check.sh" # check, finish
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/res.yaml" <<'Y'
name: tiny-res
input: {shape: [1, 28, 28]}
layers:
  - {name: conv1, conv: {out: 8, k: 3, stride: 2, pad: 1}}
  - {name: bn1, bn: {}}
  - {name: act1, act: {}}
  - {name: conv2, conv: {out: 8, k: 3, pad: 1, groups: 2, bias: false}}
  - {name: bn2, bn: {}}
  - {name: add, add: {inputs: [bn2, act1]}}
  - {name: act2, act: {}}
  - {name: pool, avgpool: {k: 2}}
  - {name: fc, fc: {out: 10}}
  - {name: softmax, softmax: {}}
precision: {default: 4/4, fp32: [first, last]}
Y
cat >"$tmp/cat.yaml" <<'Y'
name: tiny-inception
input: {shape: [1, 28, 28]}
layers:
  - {name: conv1, conv: {out: 8, k: 3, stride: 2, pad: 1}}
  - {name: bn1, bn: {}}
  - {name: act1, act: {}}
  - {name: b1, conv: {out: 4, k: 1, bias: false}}
  - {name: b1_bn, bn: {}}
  - {name: b1_act, act: {}}
  - {name: b2, input: act1, conv: {out: 4, k: 3, pad: 1, bias: false}}
  - {name: b2_bn, bn: {}}
  - {name: b2_act, act: {}}
  - {name: b3, input: act1, maxpool: {k: 3, stride: 1, pad: 1}}
  - {name: cat, concat: {inputs: [b1_act, b2_act, b3]}}
  - {name: pool, maxpool: {k: 2}}
  - {name: fc, fc: {out: 10}}
precision: {default: 4/4, fp32: [first, last], layers: {b1: 8/8}}
Y

# train, then exec on the same test images: the same accuracy, exactly
roundtrip() { # NAME NET PREC [train options...]
  local name=$1 net=$2 prec=$3
  shift 3
  "$bin" train --net "$net" --prec "$prec" --data fashion-mnist --epochs 1 \
    --train-limit 1024 --test-limit 200 --threads 2 --seed 3 --batch 32 --lr 0.005 "$@" \
    --out "$tmp/$name.npz" --format csv >"$tmp/$name.train.csv" 2>"$tmp/$name.log" ||
    { cat "$tmp/$name.log"; return 1; }
  grep -q "^train: epoch 1/1: loss" "$tmp/$name.log" || return 1
  "$bin" exec --net "$net" --prec "$prec" --weights "$tmp/$name.npz" \
    --data fashion-mnist --limit 200 --format csv >"$tmp/$name.exec.csv" 2>/dev/null || return 1
  python3 - "$tmp/$name.train.csv" "$tmp/$name.exec.csv" <<'PY'
import csv, sys
t = list(csv.DictReader(open(sys.argv[1])))[0]
e = list(csv.DictReader(open(sys.argv[2])))[0]
assert t["test_images"] == "200", t
assert float(t["test_acc"]) == float(e["top1"]), (t["test_acc"], e["top1"])
assert float(t["test_acc"]) > 0.3, t["test_acc"]   # far above chance (0.1)
PY
}
check "fmnist-cnn 4/4 reproduced by exec" roundtrip cnn44 fmnist-cnn 4/4
check "fmnist-mlp 2/1 reproduced by exec" roundtrip mlp21 fmnist-mlp 2/1
check "fmnist-mlp 32/32 reproduced by exec" roundtrip mlp32 fmnist-mlp 32/32 --optim sgd
check "residual workload reproduced by exec" roundtrip res "$tmp/res.yaml" 2/2
check "concat workload reproduced by exec" roundtrip cat "$tmp/cat.yaml" 4/4

# deterministic: same seed and threads, the same file
"$bin" train --net fmnist-mlp --prec 4/2 --data fashion-mnist --epochs 1 --train-limit 300 \
  --test-limit 10 --threads 2 --seed 9 --out "$tmp/a.npz" >/dev/null 2>&1
"$bin" train --net fmnist-mlp --prec 4/2 --data fashion-mnist --epochs 1 --train-limit 300 \
  --test-limit 10 --threads 2 --seed 9 --out "$tmp/b.npz" >/dev/null 2>&1
check "same seed, same weights" cmp -s "$tmp/a.npz" "$tmp/b.npz"

# bad input: exit 2, nothing written
exit2() { # NAME ARGS...: exit status 2, a message, no output file
  local name=$1
  shift
  "$bin" train "$@" >/dev/null 2>"$tmp/err"
  local rc=$?
  [ $rc = 2 ] && [ -s "$tmp/err" ] && [ ! -e "$tmp/bad.npz" ] || { echo "rc $rc: $(cat "$tmp/err")"; return 1; }
}
cat >"$tmp/sm.yaml" <<'Y'
name: sm
input: {shape: [1, 28, 28]}
layers:
  - {name: c1, conv: {out: 2, k: 1}}
  - {name: c2, conv: {out: 2, k: 1}}
  - {name: mid, softmax: {}}
  - {name: fc, fc: {out: 10}}
Y
check "unsupported layer" exit2 sm --net "$tmp/sm.yaml" --data fashion-mnist --out "$tmp/bad.npz"
check "names the layer" grep -q "sm.yaml:6:.*softmax 'mid'" "$tmp/err"
check "no --out" exit2 nooout --net fmnist-mlp --data fashion-mnist
check "no --data" exit2 nodata --net fmnist-mlp --out "$tmp/bad.npz"
check "other data" exit2 data --net fmnist-mlp --data x.npy --out "$tmp/bad.npz"
check "bad optimizer" exit2 optim --net fmnist-mlp --data fashion-mnist --optim rmsprop --out "$tmp/bad.npz"
check "bad epochs" exit2 epochs --net fmnist-mlp --data fashion-mnist --epochs 0 --out "$tmp/bad.npz"
check "bad threads" exit2 threads --net fmnist-mlp --data fashion-mnist --threads 65 --out "$tmp/bad.npz"
check "wrong input shape" exit2 shape --net resnet18 --data fashion-mnist --epochs 1 --out "$tmp/bad.npz"
check "help" bash -c "'$bin' train --help | grep -q '^usage: wrpnsim train'"
finish
