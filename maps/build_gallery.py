"""Render the map gallery in ``maps/``: three maps, an index page and screenshots.

Run by ``make maps``. Each map is one self-contained HTML file (``offline=True``): it opens from a
USB stick or an e-mail attachment with no network, and fetches only basemap tiles when online.
Screenshots are taken in headless Chromium (Debian's ``chromium``) with every request to the
network refused, so they show what an offline reader sees: the vector borders, no tiles.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

import corridors
from corridors import maps

HERE = Path(__file__).resolve().parent
GALLERY = [
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
]
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def build(out: Path = HERE) -> list[tuple[Path, str]]:
    """Write the gallery maps and the index page; return the map paths and titles."""
    written = []
    for name, items, title in GALLERY:
        path = out / f"{name}.html"
        maps.render(items, offline=True, title=title).save(str(path))
        written.append((path, title))
        print(f"{path.name}: {path.stat().st_size / 1e6:.2f} MB")
    rows = "".join(
        f'<li><a href="{html.escape(p.name)}">{html.escape(t)}</a> '
        f'({p.stat().st_size / 1e6:.2f} MB)<br><img src="{html.escape(p.stem)}.png" '
        f'alt="{html.escape(t)}" width="600"></li>'
        for p, t in written
    )
    (out / "index.html").write_text(
        "<!doctype html><meta charset='utf-8'><title>corridors map gallery</title>"
        "<style>body{font:15px system-ui,sans-serif;max-width:760px;margin:2em auto}"
        "li{margin:1.5em 0}img{border:1px solid #ccc}</style>"
        f"<h1>corridors — map gallery</h1><p>corridors {html.escape(corridors.__version__)}: "
        "each map is one self-contained file that works offline (basemap tiles need a "
        f"connection; the country borders are drawn without them).</p><ul>{rows}</ul>",
        encoding="utf-8",
    )
    return written


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
            page.screenshot(path=str(path.with_suffix(".png")))
            print(f"{path.with_suffix('.png').name}")
        browser.close()


if __name__ == "__main__":
    maps_written = build()
    if "--no-screenshots" not in sys.argv:
        screenshots(maps_written)
