#!/usr/bin/env bash
# render_html.sh PAGE.html [OUT.png] — renders a wrpnsim HTML report in
# headless Chromium and checks the picture is not blank (enough non-white
# pixels, and several colours: plots, not just text).  Chromium is not a
# build dependency (it is large); without it this script says so and
# exits 0.  Install it with: apt-get install chromium
set -eu
page=$(realpath "$1")
out=${2:-$(mktemp --suffix=.png)}
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "render_html: SKIPPED: chromium is not installed (apt-get install chromium)"
  exit 0
fi
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
HOME=$home timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
  --hide-scrollbars --user-data-dir="$home" --window-size=1100,3000 \
  --screenshot="$out" "file://$page" >/dev/null 2>&1
python3 - "$out" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), (depth, ctype)
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
nonwhite, colours = 0, set()
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp * 4):  # every 4th pixel
        px = tuple(line[x:x + 3])
        if px != (255, 255, 255):
            nonwhite += 1
            colours.add((px[0] >> 5, px[1] >> 5, px[2] >> 5))
    prev = line
total = w * h // 4
print(f"render_html: {w}x{h}, {100.0 * nonwhite / total:.1f}% non-white, {len(colours)} colour bins")
assert nonwhite > total // 100, "blank page"
assert len(colours) >= 8, "no coloured plots"
PY
echo "render_html: ok ($out)"
