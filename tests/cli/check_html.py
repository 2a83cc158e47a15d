#!/usr/bin/env python3
"""check_html.py PAGE.html — checks a wrpnsim HTML report: the page is
well-formed XML (so every SVG is), self-contained (no scripts, no external
references), every plot has a title, axis titles and tick labels, and no
legend box overlaps its plot area."""
import re
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
text = open(sys.argv[1], encoding="utf-8").read()
assert text.startswith("<!DOCTYPE html>"), "no doctype"
root = ET.fromstring(text[len("<!DOCTYPE html>"):])  # raises if malformed
assert root.tag == "html"
for bad in ("<script", "<link", "<img", "<iframe", "@import", "url("):
    assert bad not in text, f"external or active content: {bad}"
for m in re.finditer(r'(?:href|src)="([^"]*)"', text):
    raise AssertionError(f"reference to {m.group(1)}")
# the only URL is the SVG namespace
urls = set(re.findall(r"https?://[^\s\"'<>]+", text))
assert urls <= {"http://www.w3.org/2000/svg"}, urls

svgs = root.iter(SVG + "svg")
n = 0
for svg in svgs:
    n += 1
    title = svg.find(SVG + "title")
    assert title is not None and title.text, "plot without a title"
    texts = ["".join(t.itertext()) for t in svg.iter(SVG + "text")]
    assert len(texts) >= 6, f"{title.text}: too few labels"
    area = svg.find(f".//{SVG}rect[@class='plot-area']")
    assert area is not None, f"{title.text}: no plot area"
    ax0, ay0 = float(area.get("x")), float(area.get("y"))
    ax1, ay1 = ax0 + float(area.get("width")), ay0 + float(area.get("height"))
    legends = [g for g in svg.iter(SVG + "g") if g.get("class") == "legend"]
    assert legends, f"{title.text}: no legend"
    for g in legends:
        x0, y0, x1, y1 = map(float, g.get("data-box").split())
        assert x1 <= ax0 or x0 >= ax1 or y1 <= ay0 or y0 >= ay1, \
            f"{title.text}: legend overlaps the plot"
        width = float(svg.get("width"))
        assert x1 <= width, f"{title.text}: legend past the right edge"
    # an axis title with a unit in parentheses
    assert any("(" in t and ")" in t for t in texts), f"{title.text}: no units"
assert n >= 4, f"only {n} plots"
print(f"ok: {n} plots, well-formed, self-contained")
