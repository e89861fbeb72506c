"""Render the map gallery in ``maps/``: four maps, an index page and screenshots.

Run by ``make maps``. Each map is one self-contained HTML file (``offline=True``): it opens from a
USB stick or an e-mail attachment with no network, and fetches only basemap tiles when online.
Screenshots are taken in headless Chromium (Debian's ``chromium``) with every request to the
network refused, so they show what an offline reader sees: the vector borders, no tiles.

``deviation-old-vs-osm`` draws :func:`corridors.deviation` of the hand-drawn China–Laos Railway
that corridors shipped before the OpenStreetMap rebuild (kept in ``maps/data/``) from the OSM line
embedded now: every sample is a dot coloured by its offset from the other line.
"""

from __future__ import annotations

import dataclasses
import html
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import corridors
from corridors import maps

HERE = Path(__file__).resolve().parent
#: The superseded hand-drawn main line, Kunming South – Vientiane (see maps/README.md).
HAND_DRAWN = HERE / "data" / "clr-2025-hand-drawn.geojson"
#: Samples every 2.5 km along both lines: some 800 dots, a continuous band at the gallery's zoom,
#: and the map stays well under 1 MB (every dot carries its tooltip).
DEVIATION_STEP_KM = 2.5
MAX_HTML_BYTES = 1_000_000
MAX_PNG_BYTES = 300_000


def hand_drawn_deviation(step_km: float = DEVIATION_STEP_KM) -> corridors.Deviation:
    """How far the superseded hand-drawn line strays from the OSM line embedded now."""
    props = json.loads(HAND_DRAWN.read_text("utf-8"))["features"][0]["properties"]
    old = corridors.Corridor.from_file(HAND_DRAWN, name=props["name"])
    d = corridors.deviation(old, corridors.load("china-laos-railway"), step_km=step_km)
    return dataclasses.replace(d, names=(d.names[0], f"{d.names[1]}, rebuilt from OpenStreetMap"))


#: (file stem, what to draw: ids, None for everything, or a function returning the items, title)
GALLERY: list[tuple[str, list[Any] | Callable[[], list[Any]] | None, str]] = [
    ("all-corridors", None, "All corridors, dry ports and border gates"),
    (
        "china-laos-railway",
        ["china-laos-railway"],
        "China–Laos Railway, stations and border crossing",
    ),
    (
        "laos-vietnam-links",
        [
            "vientiane-hanoi-expressway",
            "vientiane-vung-ang-railway",
            "nong-khai-khamsavath-railway",
        ],
        "Laos–Vietnam links: to Hanoi and to Vung Ang",
    ),
    (
        "deviation-old-vs-osm",
        lambda: [hand_drawn_deviation()],
        "China–Laos Railway: the hand-drawn v0.1 line against OpenStreetMap",
    ),
]


def items_of(entry: list[Any] | Callable[[], list[Any]] | None) -> list[Any] | None:
    """What a gallery entry draws (a function is called: its items are built on demand)."""
    return entry() if callable(entry) else entry


CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def build(out: Path = HERE) -> list[tuple[Path, str]]:
    """Write the gallery maps and the index page; return the map paths and titles."""
    written = []
    notes = {}
    for name, items, title in GALLERY:
        path = out / f"{name}.html"
        drawn = items_of(items)
        maps.render(drawn, offline=True, title=title).save(str(path))
        written.append((path, title))
        notes[path] = " ".join(_note(d) for d in drawn or [] if isinstance(d, corridors.Deviation))
        size = path.stat().st_size
        print(f"{path.name}: {size / 1e6:.2f} MB")
        if size >= MAX_HTML_BYTES:
            raise SystemExit(f"{path.name} is {size:,} bytes, over {MAX_HTML_BYTES:,}")
    rows = "".join(
        f'<li><a href="{html.escape(p.name)}">{html.escape(t)}</a> '
        f"({p.stat().st_size / 1e6:.2f} MB)"
        + (f"<br>{html.escape(notes[p])}" if notes[p] else "")
        + f'<br><img src="{html.escape(p.stem)}.png" '
        f'alt="{html.escape(t)}" width="600"></li>'
        for p, t in written
    )
    (out / "index.html").write_text(
        "<!doctype html><meta charset='utf-8'><title>corridors map gallery</title>"
        "<style>body{font:15px system-ui,sans-serif;max-width:760px;margin:2em auto}"
        "li{margin:1.5em 0}img{border:1px solid #ccc}</style>"
        f"<h1>corridors — map gallery</h1><p>corridors {html.escape(corridors.__version__)}: "
        "each map is one self-contained file that works offline (basemap tiles need a "
        "connection; the country borders are drawn without them). Railway geodata "
        f'<a href="{html.escape(maps.DATA_ATTRIBUTION_URL)}">{html.escape(maps.DATA_ATTRIBUTION)}'
        f"</a>; borders Natural Earth (public domain).</p><ul>{rows}</ul>",
        encoding="utf-8",
    )
    return written


def _note(d: corridors.Deviation) -> str:
    """One sentence on a deviation for the index page, from its summary (plain text)."""
    s = d.summary
    return (
        f"{d.names[0]}: {s['line_km']:,.1f} km against {s['reference_km']:,.1f} km "
        f"({s['length_diff_km']:+,.1f} km); median offset {s['median_km']:,.1f} km, "
        f"90 % within {s['p90_km']:,.1f} km, at most {s['hausdorff_km']:,.1f} km (Hausdorff), "
        f"sampled every {s['step_km']:g} km."
    )


def screenshots(written: list[tuple[Path, str]], size: tuple[int, int] = (1200, 800)) -> None:
    """A PNG beside each map, taken in headless Chromium with the network refused."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        page.route(
            "**/*",
            lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort(),
        )
        for path, _ in written:
            page.goto(path.as_uri())
            page.wait_for_function("typeof L === 'object'")
            page.wait_for_timeout(500)
            png = path.with_suffix(".png")
            page.screenshot(path=str(png))
            print(f"{png.name}: {png.stat().st_size / 1e3:.0f} kB")
            if png.stat().st_size >= MAX_PNG_BYTES:
                raise SystemExit(
                    f"{png.name} is {png.stat().st_size:,} bytes, over {MAX_PNG_BYTES:,}"
                )
        browser.close()


if __name__ == "__main__":
    maps_written = build()
    if "--no-screenshots" not in sys.argv:
        screenshots(maps_written)
