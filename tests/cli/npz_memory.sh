#!/usr/bin/env bash
# npz_memory.sh BIN DIR — an .npz holding a 256 MiB member the network does
# not need (deflated to a few hundred KiB) is read without inflating it:
# `wrpnsim exec` on it peaks below 64 MiB of resident memory and prints what
# it prints for the same weights without that member.  (Before the npz
# reader streamed and skipped members, it peaked at 2x the member: ~530 MiB.)
set -eu
bin=$(realpath "$1")
dir=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" weights --net "$dir/data/tiny-cnn.yaml" --out "$tmp/w.npz" >/dev/null
/usr/bin/python3 - "$bin" "$dir" "$tmp" <<'PY'
import os, struct, subprocess, sys, zipfile

bin, dir, tmp = sys.argv[1:4]
MIB = 1 << 20
UNUSED = 256 * MIB      # bytes of the member nobody reads
LIMIT = 64 * MIB        # peak resident memory allowed


def npy_header(descr, shape):
    """A format 1.0 header as numpy writes it (data 64-byte aligned)."""
    text = "{'descr': '%s', 'fortran_order': False, 'shape': %r, }" % (
        descr, tuple(shape))
    hlen = len(text) + 1
    pad = 64 - (10 + hlen) % 64
    return (b"\x93NUMPY\x01\x00" + struct.pack("<H", hlen + pad) +
            text.encode() + b" " * pad + b"\n")


src = zipfile.ZipFile(os.path.join(tmp, "w.npz"))
big = os.path.join(tmp, "big.npz")
with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
    for info in src.infolist():
        z.writestr(info, src.read(info))
    info = zipfile.ZipInfo("unused.npy", date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with z.open(info, "w", force_zip64=True) as f:
        f.write(npy_header("<f4", (UNUSED // 4,)))
        zeros = bytes(MIB)
        for _ in range(UNUSED // MIB):
            f.write(zeros)
size = os.path.getsize(big)
assert size < 4 * MIB, size


def run(weights):
    """Runs exec; returns its stdout and peak resident bytes."""
    p = subprocess.Popen([bin, "exec", "--net", dir + "/data/tiny-cnn.yaml",
                          "--weights", weights, "--data",
                          dir + "/data/images-12.npy"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    assert p.returncode == 0, (weights, p.returncode)
    return out, ru.ru_maxrss * 1024


want, _ = run(os.path.join(tmp, "w.npz"))
got, peak = run(big)
print("npz of %d bytes with a %d MiB unused member: peak RSS %.1f MiB"
      % (size, UNUSED // MIB, peak / MIB))
assert got == want, "the unused member changed the output"
assert peak < LIMIT, "peak RSS %.1f MiB >= %d MiB" % (peak / MIB, LIMIT // MIB)
PY
echo "npz_memory: ok"
