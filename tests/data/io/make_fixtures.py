#!/usr/bin/env python3
"""make_fixtures.py — writes the .npy, .npz and IDX fixtures of test_io.c.

Run from anywhere: python3 tests/data/io/make_fixtures.py.  Needs only the
standard library: .npy images are built byte by byte the way numpy's
numpy/lib/format.py writes them (magic, version, header dict with sorted
keys, padded with spaces and a final newline so the data starts at a
multiple of 64 bytes), and .npz archives are packed with zipfile the way
numpy.savez does it (every member opened with force_zip64=True; stored, or
ZIP_DEFLATED like numpy.savez_compressed).  Time stamps are fixed so the
output is the same on every run.  The corrupt files go to bad/.
"""
import gzip
import io
import os
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
BAD = os.path.join(HERE, "bad")
MAGIC = b"\x93NUMPY"
ARRAY_ALIGN = 64
GROWTH_AXIS_MAX_DIGITS = 21
DATE = (1980, 1, 1, 0, 0, 0)
PACK = {"<f4": "f", "<f8": "d", "<i4": "i", "<i8": "q", "|u1": "B",
        "|i1": "b", "<c8": "f", ">f4": "f", "|O": "q"}


def header_text(descr, shape, fortran=False):
    """The header dict as numpy's _write_array_header builds it."""
    d = {"descr": descr, "fortran_order": fortran, "shape": tuple(shape)}
    text = "{"
    for key, value in sorted(d.items()):
        text += "'%s': %s, " % (key, repr(value))
    text += "}"
    if len(shape) > 0:
        axis = shape[-1 if fortran else 0]
        text += " " * (GROWTH_AXIS_MAX_DIGITS - len(repr(axis)))
    return text


def wrap(text, version=(1, 0)):
    """numpy's _wrap_header: magic, version, length, text, padding."""
    fmt = "<H" if version == (1, 0) else "<I"
    raw = text.encode("utf8" if version == (3, 0) else "latin1")
    hlen = len(raw) + 1
    pad = ARRAY_ALIGN - ((len(MAGIC) + 2 + struct.calcsize(fmt) + hlen)
                         % ARRAY_ALIGN)
    return (MAGIC + bytes(version) + struct.pack(fmt, hlen + pad) + raw +
            b" " * pad + b"\n")


def data(descr, values):
    order = ">" if descr.startswith(">") else "<"
    return struct.pack(order + PACK[descr] * len(values), *values)


def npy(descr, shape, values, version=(1, 0), fortran=False):
    return wrap(header_text(descr, shape, fortran), version) + data(
        descr, values)


def savez(path, members, compressed=False):
    """Like numpy.savez / savez_compressed: one member per array."""
    method = zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", compression=method,
                         allowZip64=True) as zf:
        for name, image in members:
            info = zipfile.ZipInfo(name, date_time=DATE)
            info.compress_type = method
            with zf.open(info, "w", force_zip64=True) as f:
                f.write(image)


def zip64_archive(members):
    """A stored archive in full ZIP64 form, as writers emit for archives
    past 4 GiB: central sizes and offsets 0xFFFFFFFF with the values in a
    ZIP64 extra field, a ZIP64 end record and locator."""
    import zlib
    out, central = b"", b""
    for name, image in members:
        name = name.encode()
        crc, size, offset = zlib.crc32(image), len(image), len(out)
        extra = struct.pack("<HHQQ", 1, 16, size, size)
        out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 45, 0, 0, 0, 0x21,
                           crc, 0xFFFFFFFF, 0xFFFFFFFF, len(name),
                           len(extra)) + name + extra + image
        cextra = struct.pack("<HHQQQ", 1, 24, size, size, offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 45, 45, 0,
                               0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                               len(name), len(cextra), 0, 0, 0, 0,
                               0xFFFFFFFF) + name + cextra
    cd_off, n = len(out), len(members)
    out += central
    z64 = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, n, n,
                       len(central), cd_off)
    out += struct.pack("<IIQI", 0x07064b50, 0, z64, 1)
    out += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 0xFFFF, 0xFFFF,
                       0xFFFFFFFF, 0xFFFFFFFF, 0)
    return out


def idx(dims, payload):
    return struct.pack(">BBBB", 0, 0, 8, len(dims)) + struct.pack(
        ">" + "I" * len(dims), *dims) + bytes(payload)


def write(name, blob, folder=HERE):
    path = os.path.join(folder, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(blob)


def gz(blob):
    return gzip.compress(blob, mtime=0)


def patch(blob, offset, new):
    return blob[:offset] + new + blob[offset + len(new):]


def central_offset(blob):
    """Offset of the first central directory header."""
    return blob.index(b"PK\x01\x02")


F4 = [0.5, -1.25, 2.0, 3.75, -0.0625, 100.0]
I8 = [1, -2, 3000000000, -9000000000000000000]
RAMP = [i % 7 for i in range(1000)]
IMAGES = [(3 * i) % 256 for i in range(3 * 28 * 28)]


def good():
    write("f4-2x3.npy", npy("<f4", (2, 3), F4))
    write("i8-vec-v2.npy", npy("<i8", (4,), I8, version=(2, 0)))
    write("u1-scalar-v3.npy", npy("|u1", (), [200], version=(3, 0)))
    write("f8-empty.npy", npy("<f8", (0, 4), []))
    # keys in another order, double quotes, no trailing comma
    text = '{"shape": (2, 2), "descr": "<i4", "fortran_order": False}'
    write("i4-keys.npy", wrap(text) + data("<i4", [1, -1, 2147483647,
                                                  -2147483648]))
    members = [("a.npy", npy("<f4", (2, 3), F4)),
               ("b.npy", npy("<i8", (4,), I8)),
               ("scalar.npy", npy("|u1", (), [200])),
               ("empty.npy", npy("<f8", (0, 4), [])),
               ("layer1.0.conv1.weight.npy", npy("|i1", (2, 1, 1, 2),
                                                 [-128, -1, 0, 127]))]
    savez(os.path.join(HERE, "savez.npz"), members)
    savez(os.path.join(HERE, "savez-compressed.npz"),
          members + [("ramp.npy", npy("|u1", (1000,), RAMP))], True)
    write("zip64.npz", zip64_archive(members[:2]))
    write("images-u8.npy", npy("|u1", (2, 4, 5), list(range(40))))
    write("images-f32.npy", npy("<f4", (2, 3, 2, 2),
                                [i / 4 for i in range(24)]))
    write("image-f64.npy", npy("<f8", (3, 2, 2), [i - 5.5 for i in range(12)]))
    write("images-i4.npy", npy("<i4", (1, 2, 2), [1, 2, 3, 4]))
    write("u8-2x3.idx", idx((2, 3), [1, 2, 3, 4, 5, 255]))
    write("u8-2x3.idx.gz", gz(idx((2, 3), [1, 2, 3, 4, 5, 255])))
    write("fmnist/t10k-images-idx3-ubyte.gz", gz(idx((3, 28, 28), IMAGES)))
    write("fmnist/t10k-labels-idx1-ubyte.gz", gz(idx((3,), [2, 0, 7])))


def bad_npy():
    f4 = npy("<f4", (2, 3), F4)
    write("truncated.npy", f4[:-14], BAD)
    write("trailing.npy", f4 + b"\0\0\0", BAD)
    write("bad-magic.npy", b"\x93NUMPX" + f4[6:], BAD)
    write("fortran.npy", npy("<f4", (2, 3), F4, fortran=True), BAD)
    write("big-endian.npy", npy(">f4", (2, 3), F4), BAD)
    write("unknown-dtype.npy", npy("<c8", (1,), [1.0, 2.0]), BAD)
    write("object.npy", npy("|O", (1,), [0]), BAD)
    write("bad-version.npy", patch(f4, 6, b"\x04"), BAD)
    text = "{'descr': '<f4', 'fortran_order': False, 'shape': (6), }"
    write("bad-header.npy", wrap(text) + data("<f4", F4), BAD)


def bad_npz():
    a = npy("<f4", (2, 3), F4)
    buf = io.BytesIO()
    savez(buf, [("a.npy", a), ("b.npy", npy("<i8", (4,), I8))])
    good_npz = buf.getvalue()
    # a data byte of member a flipped: its CRC no longer matches
    at = good_npz.index(a) + len(a) - 1
    write("crc.npz", patch(good_npz, at, bytes([good_npz[at] ^ 0x40])), BAD)
    buf = io.BytesIO()
    savez(buf, [("a.npy", a)], compressed=True)
    deflated = buf.getvalue()
    cd = central_offset(deflated)
    write("crc-deflated.npz",
          patch(deflated, cd + 16, bytes([deflated[cd + 16] ^ 0xff])), BAD)
    # a byte in the middle of the deflate stream (after the local header,
    # its name and ZIP64 extra field)
    start = 30 + len("a.npy") + 20
    write("corrupt-deflate.npz", patch(deflated, start + 1, b"\xff\xff"), BAD)
    write("truncated.npz", good_npz[:len(good_npz) // 2], BAD)
    buf = io.BytesIO()
    savez(buf, [("a.npy", a), ("readme.txt", b"not an array\n")])
    write("not-npy.npz", buf.getvalue(), BAD)
    buf = io.BytesIO()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        savez(buf, [("a.npy", a), ("a.npy", a)])
    write("duplicate.npz", buf.getvalue(), BAD)
    cd = central_offset(good_npz)
    method = patch(patch(good_npz, 8, b"\x0c\x00"), cd + 10, b"\x0c\x00")
    write("method.npz", method, BAD)
    write("encrypted.npz", patch(good_npz, cd + 8, b"\x01\x00"), BAD)
    buf = io.BytesIO()
    savez(buf, [("w.npy", npy("<f4", (2, 3), F4, fortran=True))])
    write("bad-member.npz", buf.getvalue(), BAD)
    write("bad-local.npz", patch(good_npz, 0, b"PK\x05\x05"), BAD)
    write("offset.npz", patch(good_npz, cd + 42, struct.pack("<I", 9999)),
          BAD)


def bad_idx():
    write("idx-truncated.idx.gz", gz(idx((10,), [1, 2, 3, 4, 5])), BAD)
    write("idx-bad-magic.idx", b"\x12\x34\x08\x01" + b"\0\0\0\1\7", BAD)
    write("idx-int-type.idx", b"\x00\x00\x0c\x01" + b"\0\0\0\1\0\0\0\7", BAD)
    write("idx-trailing.idx", idx((2,), [1, 2]) + b"\0\0", BAD)
    blob = gz(idx((3,), [1, 2, 3]))
    write("idx-corrupt.idx.gz", patch(blob, len(blob) - 8,
                                      bytes([blob[-8] ^ 1])), BAD)
    blob = gz(idx((3, 28, 28), IMAGES))
    write("idx-cut.idx.gz", blob[:len(blob) // 2], BAD)
    write("idx-empty.idx", b"", BAD)
    write("idx-short-header.idx", b"\x00\x00\x08\x03\x00\x00\x00", BAD)
    write("idx-huge.idx", idx((0xFFFFFFFF,) * 4, [1, 2, 3, 4]), BAD)
    write("idx-not-gzip.idx.gz", b"\x1f\x8b\x08\x00" + b"no deflate" * 4, BAD)
    images = gz(idx((3, 28, 28), IMAGES))
    write("fmnist-count/t10k-images-idx3-ubyte.gz", images, BAD)
    write("fmnist-count/t10k-labels-idx1-ubyte.gz", gz(idx((2,), [1, 2])),
          BAD)
    write("fmnist-label/t10k-images-idx3-ubyte.gz", images, BAD)
    write("fmnist-label/t10k-labels-idx1-ubyte.gz",
          gz(idx((3,), [1, 12, 0])), BAD)
    write("fmnist-shape/t10k-images-idx3-ubyte.gz",
          gz(idx((3, 28, 27), IMAGES[:3 * 28 * 27])), BAD)
    write("fmnist-shape/t10k-labels-idx1-ubyte.gz", gz(idx((3,), [1, 2, 0])),
          BAD)


if __name__ == "__main__":
    good()
    bad_npy()
    bad_npz()
    bad_idx()
