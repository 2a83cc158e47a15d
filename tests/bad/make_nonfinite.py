#!/usr/bin/python3
"""make_nonfinite.py — writes the .npy and .npz files of the non-finite,
shape and member cases of tests/bad/expected.tsv (issue 13).

Run from anywhere: /usr/bin/python3 tests/bad/make_nonfinite.py.  Needs only
the standard library: .npy images are built byte by byte as numpy's
numpy/lib/format.py writes them (as tests/data/io/make_fixtures.py does),
.npz archives are packed with zipfile as numpy.savez (stored) and
numpy.savez_compressed (deflated) do.  Values are fixed, so every run
writes the same bytes.

exec/ cases run exec/small-bn.yaml (conv1 [2,1,3,3], bn1 [2], fc [3,32]
with a bias) or tests/data/tiny-cnn.yaml; sweep/ cases run the zoo's
fmnist-mlp (fc1 [256,784] first).
"""
import os
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATE = (1980, 1, 1, 0, 0, 0)
PACK = {"<f4": "f", "<f8": "d", "|u1": "B"}
NAN, INF = float("nan"), float("inf")


def npy(descr, shape, values):
    """A format 1.0 .npy image, header padded to 64 bytes as numpy does."""
    text = "{'descr': '%s', 'fortran_order': False, 'shape': %r, }" % (
        descr, tuple(shape))
    text += " " * (21 - len(repr(shape[0])))
    hlen = len(text) + 1
    pad = 64 - (10 + hlen) % 64
    head = (b"\x93NUMPY\x01\x00" + struct.pack("<H", hlen + pad) +
            text.encode("latin1") + b" " * pad + b"\n")
    return head + struct.pack("<" + PACK[descr] * len(values), *values)


def count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def flat(shape, index):
    """Row-major offset of a multi-dimensional index."""
    k = 0
    for d, i in zip(shape, index):
        k = k * d + i
    return k


def ramp(shape, scale=0.25):
    """Deterministic small values: -1..1 in steps."""
    return [scale * ((7 * i) % 9 - 4) for i in range(count(shape))]


def put(values, shape, index, v):
    values[flat(shape, index)] = v
    return values


def savez(path, arrays, compressed=False):
    """numpy.savez / savez_compressed: one KEY.npy member per array."""
    method = zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
    with zipfile.ZipFile(os.path.join(HERE, path), "w", method) as z:
        for name, (descr, shape, values) in arrays.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=DATE)
            info.compress_type = method
            z.writestr(info, npy(descr, shape, values))


def write(path, blob):
    with open(os.path.join(HERE, path), "wb") as f:
        f.write(blob)


def small_bn(**change):
    """Weights of exec/small-bn.yaml; `change` replaces arrays."""
    ones = [1.0, 1.0]
    w = {
        "conv1.weight": ("<f4", (2, 1, 3, 3), ramp((2, 1, 3, 3))),
        "bn1.weight": ("<f4", (2,), ones),
        "bn1.bias": ("<f4", (2,), [0.0, 0.5]),
        "bn1.running_mean": ("<f4", (2,), [0.0, 0.25]),
        "bn1.running_var": ("<f4", (2,), ones),
        "fc.weight": ("<f4", (3, 32), ramp((3, 32), 0.125)),
        "fc.bias": ("<f4", (3,), [0.0, 0.0, 0.0]),
    }
    w.update(change)
    return w


def main():
    # input images with a NaN / -inf pixel (tiny-cnn: 1x12x12)
    s = (4, 1, 12, 12)
    write("exec/nan-images.npy",
          npy("<f4", s, put([0.5] * count(s), s, (3, 0, 5, 7), NAN)))
    s = (2, 12, 12)
    write("exec/inf-images.npy",
          npy("<f8", s, put([0.5] * count(s), s, (1, 4, 9), -INF)))
    # three channels for a one-channel network
    s = (2, 3, 12, 12)
    write("exec/images-3ch.npy", npy("|u1", s, [i % 256 for i in
                                                range(count(s))]))
    s = (2, 1, 4, 4)
    write("exec/small-images.npy", npy("|u1", s, [(9 * i) % 256 for i in
                                                  range(count(s))]))
    # weights of small-bn with one bad value each
    s = (2, 1, 3, 3)
    savez("exec/inf-weights.npz", small_bn(**{
        "conv1.weight": ("<f4", s, put(ramp(s), s, (1, 0, 2, 1), INF))}))
    savez("exec/nan-var.npz", small_bn(**{
        "bn1.running_var": ("<f4", (2,), [1.0, NAN])}))
    savez("exec/negative-var.npz", small_bn(**{
        "bn1.running_var": ("<f4", (2,), [1.0, -0.5])}))
    savez("exec/nan-mean.npz", small_bn(**{
        "bn1.running_mean": ("<f4", (2,), [-INF, 0.0])}))
    savez("exec/nan-bias.npz", small_bn(**{
        "fc.bias": ("<f4", (3,), [0.0, 0.0, NAN])}))
    s = (3, 32)
    savez("exec/f64-overflow.npz", small_bn(**{
        "fc.weight": ("<f8", s, put(ramp(s, 0.125), s, (2, 17), 1e300))}))
    # measured sweeps over fmnist-mlp: fc1 of the wrong shape, or a NaN
    s = (256, 100)
    savez("sweep/wrong-shape.npz", {"fc1.weight": ("<f4", s,
                                                   [0.0] * count(s))},
          compressed=True)
    s = (256, 784)
    savez("sweep/nan-weights.npz", {"fc1.weight": (
        "<f4", s, put([0.0] * count(s), s, (17, 300), NAN))},
          compressed=True)


if __name__ == "__main__":
    main()
