#!/usr/bin/env bash
# run.sh [SECONDS] [OUT] [HARNESS...] — builds the libFuzzer harnesses of
# tests/fuzz/ with clang (libFuzzer + ASan + UBSan, every UB report fatal)
# and runs each in turn for SECONDS (default 600) at nice 19.  OUT (default
# build-fuzz/out) receives per harness: corpus/NAME (seeded from the repo's
# own valid and bad files), crashes/NAME-* (crashing, leaking, slow or
# out-of-memory inputs) and NAME.log; OUT/summary.tsv gets one line per run
# (harness, seconds, runs, exec/s, cov, ft, corpus, crashes).  HARNESS
# names (workload, arch, scalesim, npy, npz, idx, sweep) pick a subset.
# Exit status 1 if any harness found a crash.
#
# Replay an input:  build-fuzz/fuzz_NAME OUT/crashes/NAME-crash-...
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-600}
out=$(realpath -m "${2:-$root/build-fuzz/out}")
shift 2 2>/dev/null || shift $#
all=(workload arch scalesim npy npz idx sweep)
names=("$@")
[ ${#names[@]} = 0 ] && names=("${all[@]}")
bdir=$root/build-fuzz
cc=${CC_FUZZ:-clang}
flags="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"

echo "== build the library with $cc ($bdir)"
cmake -S "$root" -B "$bdir" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_BUILD_TYPE=Debug -DWRPNSIM_TESTS=OFF -DWRPNSIM_WERROR=OFF \
  -DCMAKE_C_FLAGS="$flags -fsanitize=fuzzer-no-link" >/dev/null
nice -n 19 cmake --build "$bdir" --target libwrpnsim -j2 >/dev/null
libs=$(pkg-config --libs yaml-0.1 gsl zlib openblas sqlite3)
incs="-I$root/workloads -I$root/arch -I$root/sim -I$root/reports -I$root/sweep"
for n in "${names[@]}"; do
  nice -n 19 "$cc" $flags -fsanitize=fuzzer -std=c11 -D_POSIX_C_SOURCE=200809L \
    $incs "$root/tests/fuzz/fuzz_$n.c" "$bdir/libwrpnsim.a" $libs -lpthread -lm \
    -o "$bdir/fuzz_$n"
done

# put DIR FILE...: copies each file into DIR as seed-N-NAME (files of
# different folders may share a name)
put() {
  local d=$1 f i=0
  shift
  for f in "$@"; do
    cp "$f" "$d/seed-$i-$(basename "$f")"
    i=$((i + 1))
  done
}
# seeds: the repo's own files of each format
seed() {
  local n=$1 d=$out/corpus/$1
  mkdir -p "$d"
  case $n in
    workload) put "$d" "$root"/workloads/zoo/*.yaml "$root"/tests/bad/workloads/* \
                "$root"/tests/data/tiny-cnn.yaml ;;
    arch) put "$d" "$root"/arch/presets/*.yaml "$root"/arch/examples/*.yaml "$root"/arch/tech/*.yaml \
            "$root"/tests/bad/arch/* ;;
    scalesim)  # cfg, a NUL byte, csv
      local i=0 c t
      for c in "$root"/tests/data/scalesim/*.cfg "$root"/tests/bad/scalesim/*.cfg; do
        for t in "$root"/tests/data/scalesim/*.csv "$root"/tests/bad/scalesim/*.csv; do
          { cat "$c"; printf '\0'; cat "$t"; } >"$d/seed-$i"
          i=$((i + 1))
        done
      done ;;
    npy) put "$d" "$root"/tests/data/io/*.npy "$root"/tests/data/io/bad/*.npy \
           "$root"/tests/data/images-12.npy "$root"/tests/bad/exec/*.npy ;;
    npz) put "$d" "$root"/tests/data/io/*.npz "$root"/tests/data/io/bad/*.npz \
           "$root"/tests/bad/exec/*.npz ;;
    idx) put "$d" "$root"/tests/data/io/*.idx* "$root"/tests/data/io/bad/idx-* \
           "$root"/tests/data/io/fmnist/* "$root"/tests/data/io/bad/fmnist-*/* ;;
    sweep) put "$d" "$root"/sweep/examples/*.yaml
           [ -d "$root/tests/bad/sweep" ] && put "$d" "$root"/tests/bad/sweep/* ;;
  esac
  return 0
}
# a dictionary of the YAML keys and values the seeds use
dict() {
  local n=$1
  case $n in
    workload|arch|sweep) ;;
    *) return 1 ;;
  esac
  cat "$out/corpus/$n"/* 2>/dev/null | grep -aoE '[a-z_][a-z0-9_]*:|[0-9]+/[0-9]+' |
    sort -u | head -300 | sed 's/.*/"&"/' >"$out/$n.dict"
  printf '"{"\n"}"\n"["\n"]"\n"- "\n"&a"\n"*a"\n"!!str"\n"$"\n' >>"$out/$n.dict"
}

mkdir -p "$out/crashes"
found=0
for n in "${names[@]}"; do
  [ -d "$out/corpus/$n" ] || seed "$n"
  extra=()
  dict "$n" && extra+=("-dict=$out/$n.dict")
  echo "== fuzz_$n for ${secs}s"
  rc=0
  (cd "$out" && nice -n 19 "$bdir/fuzz_$n" "${extra[@]}" \
     -max_total_time="$secs" -timeout=10 -rss_limit_mb=1536 \
     -print_final_stats=1 -artifact_prefix="$out/crashes/$n-" \
     "$out/corpus/$n" >"$out/$n.log" 2>&1) || rc=$?
  last=$(grep -E '^#[0-9]+' "$out/$n.log" | tail -1)
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$out/$n.log" | grep -oE '[0-9]+$' || echo "?")
  eps=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$out/$n.log" | grep -oE '[0-9]+$' || echo "?")
  cov=$(echo "$last" | grep -oE 'cov: [0-9]+' | grep -oE '[0-9]+' || echo "?")
  ft=$(echo "$last" | grep -oE 'ft: [0-9]+' | grep -oE '[0-9]+' || echo "?")
  corp=$(echo "$last" | grep -oE 'corp: [0-9]+' | grep -oE '[0-9]+' || echo "?")
  crashes=$(ls "$out/crashes" | grep -c "^$n-" || true)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$secs" "$runs" "$eps" "$cov" \
    "$ft" "$corp" "$crashes" | tee -a "$out/summary.tsv"
  if [ "$rc" != 0 ] || [ "$crashes" != 0 ]; then
    found=1
    echo "fuzz_$n: exit $rc, see $out/$n.log and $out/crashes/$n-*"
    grep -E 'ERROR|SUMMARY|runtime error' "$out/$n.log" | head -5 || true
  fi
done
rm -rf /dev/shm/wrpnsim-fuzz-* 2>/dev/null || true
exit $found
