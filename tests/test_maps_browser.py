"""The maps in a real headless Chromium (tests/browser.py), with every network request refused.

What a reader of a saved map sees: Leaflet runs from the inline copy, every corridor, station,
crossing, port, gate and border is drawn, the legend shows, and no page error occurs; with a
basemap, the tiles are the only thing the page tries to fetch. Names from a user's file show as
text in every tooltip and popup and never run as script. The gallery maps (maps/build_gallery.py)
are photographed.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browser import count, open_every_overlay, open_offline
from conftest import feature_collection, line_feature, point_feature

import corridors
from corridors import maps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "maps"))
import build_gallery  # maps/ is no package: the gallery's own list of maps

#: headless Chromium: part of make test, not of the quick loop
pytestmark = pytest.mark.slow

SHOTS = Path("/tmp/map-shots")  # a copy of each screenshot, to look at
GALLERY = {name: items for name, items, _title in build_gallery.GALLERY}
XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=2</script>"
JINJA = "{{ 7*7 }} {% if true %}x{% endif %}"  # branca renders pages as Jinja templates
_REFUSED = "Failed to load resource"  # Chromium's console line for each refused request


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Render and save a map once per module and arguments; return the HTML path."""
    out = tmp_path_factory.mktemp("maps")
    cache: dict[str, Path] = {}

    def save(name, items=None, **kwargs):
        if name not in cache:
            path = out / f"{name}.html"
            maps.render(build_gallery.items_of(items), **kwargs).save(str(path))
            cache[name] = path
        return cache[name]

    return save


def settle(page) -> None:
    """Wait until Leaflet has drawn: fonts loaded and two animation frames past the load event."""
    page.evaluate(
        "() => document.fonts.ready.then(() => new Promise(r =>"
        " requestAnimationFrame(() => requestAnimationFrame(r))))"
    )


def main_line_stations(c: corridors.Corridor) -> int:
    main = set(c.sections.loc[c.sections["role"].fillna("main") == "main", "id"])
    return int(c.stations["section"].isin(main).sum())


def test_the_offline_map_draws_everything_with_the_network_refused(page, saved):
    path = saved("all-corridors", None, offline=True, tiles=None)
    traffic = open_offline(page, path)
    settle(page)

    assert traffic.aborted == [], "the offline map fetched something"
    assert page.evaluate("typeof L") == "object", "Leaflet did not load"
    assert page.evaluate("Object.keys(window).filter(k => k.startsWith('map_')).length") == 1

    viewport = page.viewport_size
    for cid in corridors.ids():
        c = corridors.load(cid)
        lines = page.locator(f"path.corridors-line.corridor-{cid}")
        assert lines.count() >= 1, f"{cid}: no line drawn"
        boxes = [lines.nth(i).bounding_box() for i in range(lines.count())]
        assert any(
            b
            and b["width"] + b["height"] > 2
            and b["x"] < viewport["width"]
            and b["y"] < viewport["height"]
            for b in boxes
        ), f"{cid}: its lines are empty or off screen: {boxes}"
        mode = c.meta.get("mode") or "other"
        assert count(page, f"path.corridor-{cid}.mode-{mode}") == lines.count()
        for status in set(c.sections["status"].fillna(c.meta.get("status") or "unknown")):
            assert count(page, f"path.corridor-{cid}.status-{status}") >= 1, (cid, status)

    stations = sum(main_line_stations(corridors.load(cid)) for cid in corridors.ids())
    assert count(page, ".leaflet-overlay-pane path.corridors-station") >= stations
    # CHN → LAO at least, in their own pane above the port and gate markers
    assert count(page, ".leaflet-corridors-crossings-pane path.corridors-crossing") >= 1
    assert count(page, ".leaflet-overlay-pane path.corridors-crossing") == 0
    assert count(page, ".leaflet-overlay-pane path.corridors-boundary") >= 5  # Laos and neighbours
    markers = page.locator(".leaflet-marker-pane")
    assert markers.locator("div.corridors-dry-port").count() == len(corridors.dry_ports())
    assert markers.locator("div.corridors-gate").count() == len(corridors.border_gates())
    assert markers.locator("div.corridors-seaport").count() == len(corridors.seaports())

    # the full-screen and measure controls run from their inline code, with their inline icons
    for control in (".leaflet-control-zoom-fullscreen", ".leaflet-control-measure-toggle"):
        button = page.locator(control)
        assert button.count() == 1 and button.is_visible(), control
        icon = button.evaluate("e => getComputedStyle(e).backgroundImage")
        assert icon.startswith('url("data:'), (control, icon[:80])

    legend = page.locator("div.corridors-legend")
    assert legend.count() == 1 and legend.is_visible()
    box = legend.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0
    assert box["x"] + box["width"] <= viewport["width"]
    assert box["y"] + box["height"] <= viewport["height"]

    # every popup and tooltip opens, and none throws
    opened = open_every_overlay(page)
    assert opened["failed"] == []
    assert len(opened["tooltips"]) == opened["leaves"], "a feature has no tooltip"
    assert opened["popups"], "no popup opened"
    assert all(t["text"].strip() for t in opened["tooltips"] + opened["popups"])

    assert traffic.page_errors == []
    assert traffic.console_errors == []


def _tile_pattern(template: str) -> re.Pattern[str]:
    """A regex for every URL a Leaflet tile template can produce."""
    parts = re.split(r"(\{[^}]+\})", template)
    subs = {"{s}": r"[a-z0-9-]+", "{r}": r"(@2x)?", "{z}": r"\d+", "{x}": r"\d+", "{y}": r"\d+"}
    return re.compile(
        "".join(subs.get(p, r"[^/?#]+") if p.startswith("{") else re.escape(p) for p in parts)
        + r"([?#].*)?"
    )


def test_with_a_basemap_the_tiles_are_all_it_fetches(page, tmp_path):
    import folium
    import xyzservices.providers as xyz

    m = maps.render(offline=True)  # the default basemap
    templates = [
        child.tiles for child in m._children.values() if isinstance(child, folium.TileLayer)
    ]
    assert templates, "the default map has no basemap"
    path = tmp_path / "default-tiles.html"
    m.save(str(path))
    traffic = open_offline(page, path)
    page.wait_for_load_state("networkidle")

    assert page.evaluate("typeof L") == "object"
    assert traffic.aborted, "no tile was requested"
    patterns = [_tile_pattern(t) for t in templates]
    others = [u for u in traffic.aborted if not any(p.fullmatch(u) for p in patterns)]
    assert others == [], f"fetched besides the tiles: {others[:5]}"
    # the basemap shown by default is OpenStreetMap (CartoDB now wants an API key)
    shown = xyz.query_name(maps.BASEMAPS["OpenStreetMap"])
    host = urlsplit(shown["url"]).hostname.removeprefix("{s}.")
    hosts = {urlsplit(u).hostname for u in traffic.aborted}
    assert all(h == host or h.endswith("." + host) for h in hosts), (
        f"the tiles shown by default are not OpenStreetMap ({host}): {sorted(hosts)}"
    )
    assert traffic.page_errors == []
    assert [e for e in traffic.console_errors if not e.startswith(_REFUSED)] == []


@pytest.mark.parametrize("stem", ["my-route", XSS_IMG.replace("1", "3")], ids=["names", "file"])
def test_user_names_render_as_text_and_never_run(page, tmp_path, stem):
    path = tmp_path / f"{stem}.geojson"
    path.write_text(
        feature_collection(
            line_feature([[102.6, 18.0], [102.5, 18.5]], name=XSS_IMG, status="planned"),
            point_feature([102.6, 18.0], name=XSS_SCRIPT),
            point_feature([102.5, 18.5], name=JINJA),
        ),
        "utf-8",
    )
    html_path = tmp_path / "user.html"
    maps.render([path], offline=True, tiles=None, title=JINJA).save(str(html_path))
    traffic = open_offline(page, html_path)
    settle(page)
    assert page.evaluate("typeof L") == "object"
    if count(page, ".leaflet-control-layers"):
        page.locator(".leaflet-control-layers").hover()  # expanded: it shows the layer names

    opened = open_every_overlay(page)
    page.wait_for_timeout(300)  # an injected <img src=x> would fail to load and run onerror by now

    assert opened["failed"] == []
    assert opened["popups"] and opened["tooltips"], "no popup or tooltip opened"
    assert page.evaluate("typeof window.__xss") == "undefined", "a user's name ran as script"
    assert max(opened["injected"]) == 0, "a user's name became an <img> or <script> element"
    assert count(page, 'img[src="x"]') == 0
    texts = [o["text"] for o in opened["popups"] + opened["tooltips"]]
    assert any("<img src=x" in t for t in texts), texts
    assert any(XSS_SCRIPT in t for t in texts), texts
    assert any(JINJA in t for t in texts), texts  # shown as typed, not evaluated
    assert JINJA in page.locator("div.corridors-legend h4").inner_text()
    assert traffic.aborted == []
    assert traffic.page_errors == []
    assert traffic.console_errors == []


def test_border_crossings_are_drawn_above_every_marker(page, saved):
    """At Boten the crossing, the border gate and the dry port nearly coincide: the computed
    crossing is on top (its own pane, above Leaflet's marker pane), so it can be seen and hovered."""
    path = saved("all-corridors", None, offline=True, tiles=None)
    traffic = open_offline(page, path)
    settle(page)
    crossings = page.locator("path.corridors-crossing")
    assert crossings.count() >= 1
    viewport = page.viewport_size
    for i in range(crossings.count()):
        b = crossings.nth(i).bounding_box()
        x, y = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
        if not (0 <= x < viewport["width"] and 0 <= y < viewport["height"]):
            continue
        on_top = page.evaluate(
            "([x, y]) => { const e = document.elementFromPoint(x, y);"
            " return e ? (e.closest('.corridors-crossing, .corridors-legend') ? 'ok' :"
            " e.className.baseVal ?? e.className) : null; }",
            [x, y],
        )
        assert on_top == "ok", f"crossing {i} at ({x:.0f}, {y:.0f}) is covered by {on_top!r}"
    assert traffic.errors == []


@pytest.mark.parametrize("name", list(GALLERY))
def test_gallery_screenshot(page, saved, tmp_path, name):
    path = saved(name, GALLERY[name], offline=True, tiles=None)
    assert path.stat().st_size < build_gallery.MAX_HTML_BYTES, f"{name}: the map is too big"
    traffic = open_offline(page, path)
    settle(page)
    page.wait_for_timeout(300)  # fit-bounds and fade animations
    assert page.viewport_size == {"width": 1200, "height": 800}
    png = tmp_path / f"{name}.png"
    page.screenshot(path=str(png))
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(png, SHOTS / png.name)

    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == 1200 and int.from_bytes(data[20:24], "big") == 800
    assert len(data) > 20_000, f"{name}: the screenshot is nearly blank ({len(data)} bytes)"
    assert len(data) < build_gallery.MAX_PNG_BYTES, f"{name}: the screenshot is too big"
    assert page.locator("div.corridors-legend").is_visible()
    # the geodata's credit, visible in the bottom-right corner, inside the frame
    credit = page.locator(".leaflet-control-attribution")
    assert maps.DATA_ATTRIBUTION in credit.inner_text()
    box = credit.bounding_box()
    assert box["x"] + box["width"] <= 1200 and box["y"] + box["height"] <= 800
    assert box["x"] > 600 and box["y"] > 700, box
    items = build_gallery.items_of(GALLERY[name])
    ids = [i for i in items if isinstance(i, str)] if items is not None else corridors.ids()
    for cid in ids:
        assert count(page, f"path.corridor-{cid}") >= 1, cid
    for d in (i for i in items or [] if isinstance(i, corridors.Deviation)):
        assert count(page, "path.corridors-deviation-sample") == len(d.samples)
        for side in ("line", "reference"):
            assert count(page, f"path.corridors-deviation-{side}") == 1, side
        assert page.locator(".corridors-deviation-scale").is_visible()
    # the drawing fills the frame: lines and markers span most of the map's width or height
    extent = page.evaluate(
        """() => {
      const boxes = [...document.querySelectorAll(
        'path.corridors-line, path.corridors-deviation-sample, path.corridors-station,'
        + ' .leaflet-marker-pane > .leaflet-marker-icon')]
        .map(e => e.getBoundingClientRect()).filter(b => b.width + b.height > 0);
      const x0 = Math.min(...boxes.map(b => b.left)), x1 = Math.max(...boxes.map(b => b.right));
      const y0 = Math.min(...boxes.map(b => b.top)), y1 = Math.max(...boxes.map(b => b.bottom));
      return {x0, x1, y0, y1};
    }"""
    )
    assert extent["x0"] >= 0 and extent["y0"] >= 0, extent
    assert extent["x1"] <= 1200 and extent["y1"] <= 800, extent
    assert extent["x1"] - extent["x0"] > 0.4 * 1200 or extent["y1"] - extent["y0"] > 0.6 * 800
    assert traffic.aborted == [] and traffic.errors == []
