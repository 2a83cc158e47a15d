#!/usr/bin/python3
"""render_check.py PAGE.html [--png OUT.png] [--points POINTS.csv]

Renders a wrpnsim HTML report in headless Chromium and fails (exit 1) on
a plot that is blank or clipped, or a scatter point without a tooltip:

* layout: the page is loaded once with a probe script added (a copy; the
  report itself has no scripts) and its DOM dumped (--dump-dom): the box
  of every <svg> on the page, and every drawn element of each plot whose
  box leaves the plot's viewport (clipped: cut off by the browser);
* pixels: the page is screenshot at its full height; each plot's region
  must lie inside the screenshot, hold enough non-background pixels, and
  its plot area (rect.plot-area) coloured marks, not only grid lines;
* tooltips: in the DOM Chromium built (the probe's dump), every
  marker (g.point) of a scatter has a non-empty <title>; with --points
  (the CSV of `wrpnsim report --pareto none --format csv`), every design
  of each workload has a marker titled with its label in that workload's
  "energy vs latency" plot; every front marker has a label on the plot.

Needs chromium and python3-pil (scripts/deps).  Run as root it passes
--no-sandbox; it uses a temporary --user-data-dir and HOME.
"""
import argparse
import csv
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from PIL import Image, ImageChops

PROBE = r"""<script>
(function () {
  var out = {w: document.documentElement.scrollWidth,
             h: document.documentElement.scrollHeight, svgs: []};
  document.querySelectorAll("svg").forEach(function (svg) {
    var r = svg.getBoundingClientRect(), t = svg.querySelector("title");
    var vw = svg.width.baseVal.value, vh = svg.height.baseVal.value;
    var area = svg.querySelector("rect.plot-area"), a = null, cut = [];
    if (area) {
      var q = area.getBoundingClientRect();
      a = [q.left - r.left, q.top - r.top, q.width, q.height];
    }
    svg.querySelectorAll("text, circle, rect, path, line, polyline")
        .forEach(function (el) {
      var b = el.getBoundingClientRect();
      if (b.width === 0 && b.height === 0) return;
      if (b.left < r.left - 1 || b.top < r.top - 1 ||
          b.right > r.left + vw + 1 || b.bottom > r.top + vh + 1)
        cut.push(el.tagName + " '" + (el.textContent || "").slice(0, 60) +
                 "' at " + [b.left - r.left, b.top - r.top, b.width,
                            b.height].map(Math.round).join(","));
    });
    out.svgs.push({title: t ? t.textContent : "", x: r.left + scrollX,
                   y: r.top + scrollY, w: r.width, h: r.height, area: a,
                   cut: cut});
  });
  var pre = document.createElement("pre");
  pre.id = "wr-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""

WIDTH = 1200  # the window: wider than the page's max-width, as on a desktop


def fail(msg):
    print(f"render_check: FAIL: {msg}")
    sys.exit(1)


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    fail("chromium is not installed (scripts/deps installs it: "
         "apt-get install chromium)")


def run(browser, home, args, url):
    cmd = [browser, "--headless", "--disable-gpu", "--hide-scrollbars",
           "--no-first-run", "--mute-audio", "--force-device-scale-factor=1",
           f"--user-data-dir={home}"]
    if os.geteuid() == 0:
        cmd.append("--no-sandbox")
    env = dict(os.environ, HOME=home)
    try:
        p = subprocess.run(cmd + args + [url], env=env, capture_output=True,
                           timeout=60)
    except subprocess.TimeoutExpired:
        fail(f"chromium timed out on {url}")
    if p.returncode != 0:
        fail(f"chromium exited {p.returncode}: {p.stderr.decode()[-800:]}")
    return p.stdout.decode("utf-8", "replace")


class Points(html.parser.HTMLParser):
    """Per <svg>: its title and the <title> of each g.point marker."""

    def __init__(self):
        super().__init__()
        self.svgs, self.stack, self.text = [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svgs.append({"title": None, "points": []})
        if tag == "title" and self.svgs:
            self.text = ""
        self.stack.append((tag, "point" in (a.get("class") or "").split()))

    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break
        if tag == "title" and self.text is not None:
            svg = self.svgs[-1]
            parent_point = self.stack and self.stack[-1][1]
            if parent_point:
                svg["points"].append(self.text)
            elif svg["title"] is None:
                svg["title"] = self.text
            self.text = None

    def handle_data(self, data):
        if self.text is not None:
            self.text += data


def count_points(dom):
    """Per svg: its g.point markers (with or without a title), its front
    markers and its front labels."""
    counts = []
    for svg in re.findall(r"<svg\b.*?</svg>", dom, re.S):
        counts.append((len(re.findall(r'<g class="point[ "]', svg)),
                       len(re.findall(r'<g class="point front"', svg)),
                       len(re.findall(r'class="front-label"', svg))))
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("page")
    ap.add_argument("--png")
    ap.add_argument("--points")
    o = ap.parse_args()
    page = os.path.realpath(o.page)
    browser = chromium()
    tmp = tempfile.mkdtemp(prefix="render_check.")
    try:
        src = open(page, encoding="utf-8").read()
        probe = os.path.join(tmp, "probe.html")
        with open(probe, "w", encoding="utf-8") as f:
            f.write(src.replace("</body>", PROBE + "</body>", 1))
        home = os.path.join(tmp, "home")
        os.mkdir(home)
        dom = run(browser, home, [f"--window-size={WIDTH},1000",
                                  "--dump-dom"], "file://" + probe)
        m = re.search(r'<pre id="wr-probe">(.*?)</pre>', dom, re.S)
        if not m:
            fail("the probe found no layout (did the page load?)")
        lay = json.loads(html.unescape(m.group(1)))
        if not lay["svgs"]:
            fail("no plots on the page")
        png = o.png or os.path.join(tmp, "page.png")
        height = int(lay["h"]) + 10
        run(browser, home, [f"--window-size={WIDTH},{height}",
                            f"--screenshot={png}"], "file://" + page)
        img = Image.open(png).convert("RGB")
        check_pixels(img, lay)
        # the DOM Chromium built (the probe only appended its <pre>)
        check_titles(dom, o.points)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"render_check: ok: {len(lay['svgs'])} plots in "
          f"{img.size[0]}x{img.size[1]} px ({os.path.basename(page)})")


def check_pixels(img, lay):
    W, H = img.size
    for i, s in enumerate(lay["svgs"]):
        name = f"plot {i + 1} '{s['title']}'"
        if s["cut"]:
            fail(f"{name}: {len(s['cut'])} element(s) outside the plot's "
                 f"viewport, clipped: {s['cut'][:3]}")
        x0, y0 = int(s["x"]), int(s["y"])
        x1, y1 = int(s["x"] + s["w"]), int(s["y"] + s["h"])
        if s["w"] < 100 or s["h"] < 100:
            fail(f"{name}: {s['w']}x{s['h']} px, collapsed")
        if x0 < 0 or y0 < 0 or x1 > W or y1 > H:
            fail(f"{name} at {x0},{y0}-{x1},{y1} is cut by the "
                 f"{W}x{H} screenshot")
        region = img.crop((x0, y0, x1, y1))
        grey = region.convert("L").point(lambda v: 255 if v < 235 else 0)
        ink, total = grey.histogram()[255], region.size[0] * region.size[1]
        if ink < 0.01 * total:
            fail(f"{name}: blank ({100.0 * ink / total:.2f}% non-white)")
        if not s["area"]:
            continue
        ax, ay, aw, ah = s["area"]
        area = region.crop((int(ax) + 2, int(ay) + 2, int(ax + aw) - 2,
                            int(ay + ah) - 2))
        r, g, b = area.split()
        hi = ImageChops.lighter(ImageChops.lighter(r, g), b)
        lo = ImageChops.darker(ImageChops.darker(r, g), b)
        chroma = ImageChops.subtract(hi, lo).point(
            lambda v: 255 if v > 40 else 0)
        colour = chroma.histogram()[255]
        if colour < 40:
            fail(f"{name}: nothing drawn in the plot area ({colour} "
                 "coloured pixels)")


def label(r):
    parts = [r["arch"], r.get("params", ""), r["workload"], "x" + r["width"],
             r["precision"]]
    extra = [f"{k}={r[k]}" for k in ("batch", "objective", "fp32")
             if r.get(k)]
    return " ".join(p for p in parts + extra if p)


def check_titles(dom, points_csv):
    p = Points()
    p.feed(dom)
    counts = count_points(dom)
    if len(counts) != len(p.svgs):
        fail(f"{len(p.svgs)} plots parsed, {len(counts)} found")
    scatters = 0
    for svg, (n, nf, nl) in zip(p.svgs, counts):
        if not n:
            continue
        if nf != nl:
            fail(f"'{svg['title']}': {nf} front points, {nl} labelled")
        scatters += 1
        if len(svg["points"]) != n:
            fail(f"'{svg['title']}': {n} markers, {len(svg['points'])} "
                 "with a <title>")
        empty = [t for t in svg["points"] if not t.strip()]
        if empty:
            fail(f"'{svg['title']}': {len(empty)} empty tooltips")
    if not scatters:
        fail("no scatter plot with markers")
    if not points_csv:
        return
    want = {}
    for r in csv.DictReader(open(points_csv, encoding="utf-8")):
        want.setdefault(r["workload"], []).append(label(r))
    for w, labels in want.items():
        plot = [s for s in p.svgs if s["title"] == f"{w}: energy vs latency"]
        if len(plot) != 1:
            fail(f"{len(plot)} plots titled '{w}: energy vs latency'")
        got = [t.split(": energy ")[0] for t in plot[0]["points"]]
        if sorted(got) != sorted(labels):
            missing = sorted(set(labels) - set(got))
            extra = sorted(set(got) - set(labels))
            fail(f"'{w}: energy vs latency': {len(got)} tooltips for "
                 f"{len(labels)} designs; missing {missing[:3]}, "
                 f"unexpected {extra[:3]}")


if __name__ == "__main__":
    main()
