"""A real headless Chromium for the map tests: Debian's ``/usr/bin/chromium`` driven by Playwright.

``make test`` installs the ``chromium`` package when it is missing; Playwright's own browser
download (``playwright install``) is never used. Every page is opened offline: ``file:`` and
``data:`` URLs load, every other request is refused and recorded, so a test can tell exactly what
a map tried to fetch. Page errors and console errors are recorded too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("CORRIDORS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
VIEWPORT = {"width": 1200, "height": 800}
ALLOWED_SCHEMES = ("file:", "data:")


class BrowserMissingError(RuntimeError):
    """Chromium or Playwright is not installed: ``make test`` installs both."""


def launch(playwright: Any) -> Any:
    """Launch Debian's chromium, headless, with no network services of its own."""
    if not Path(CHROMIUM).is_file():
        raise BrowserMissingError(
            f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium "
            "(apt-get install chromium); the browser tests never download a browser"
        )
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=60_000
    )


def start_playwright() -> Any:
    """Start Playwright's sync API, or say how to install it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:  # pragma: no cover - the dev extra has it
        raise BrowserMissingError(
            "Playwright for Python is missing: run `make test` (it installs the dev extra)"
        ) from err
    return sync_playwright().start()


@dataclass
class Traffic:
    """What a page did: refused requests, uncaught page errors, console errors."""

    aborted: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """Page errors and console errors together."""
        return [*self.page_errors, *self.console_errors]


def open_offline(target: Any, path: str | Path | None = None) -> Traffic:
    """Refuse the network to a Page or BrowserContext and record what it does; open ``path``.

    Every request whose URL is not ``file:`` or ``data:`` is aborted and its URL appended to
    ``.aborted``. Uncaught exceptions go to ``.page_errors``, ``console.error`` messages (and
    Chromium's own "Failed to load resource" lines) to ``.console_errors``. With a ``path`` (on a
    Page) the file is opened and the load event awaited.
    """
    traffic = Traffic()

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(ALLOWED_SCHEMES):
            r.continue_()
        else:
            traffic.aborted.append(url)
            r.abort("internetdisconnected")

    def console(msg: Any) -> None:
        if msg.type == "error":
            traffic.console_errors.append(msg.text)

    target.route("**/*", route)
    target.on("console", console)
    if hasattr(target, "new_page"):  # a BrowserContext: errors of all its pages
        target.on("weberror", lambda e: traffic.page_errors.append(str(e.error)))
    else:
        target.on("pageerror", lambda e: traffic.page_errors.append(str(e)))
    if path is not None:
        if hasattr(target, "new_page"):
            raise TypeError("open a path on a Page, not on a BrowserContext")
        target.goto(Path(path).resolve().as_uri(), wait_until="load")
    return traffic


# -- Leaflet -----------------------------------------------------------------------------------
# folium names the map object `map_<hex>`; this finds it and the leaf layers: every marker and
# every vector feature (circle markers are paths)
_JS_LEAVES = """
() => {
  const names = Object.keys(window).filter(k => k.startsWith("map_") && window[k] instanceof L.Map);
  if (names.length !== 1) throw new Error("expected one folium map, found " + names.length);
  const map = window[names[0]];
  const leaves = [];
  map.eachLayer(l => { if (l instanceof L.Marker || l instanceof L.Path) leaves.push(l); });
  const where = l => l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
  // the layer a popup or tooltip is bound to: the leaf itself, or the GeoJson group holding it
  const owner = (l, get) => {
    if (l[get] && l[get]()) return l;
    for (const id in (l._eventParents || {})) { const p = l._eventParents[id]; if (p[get] && p[get]()) return p; }
    return null;
  };
  return {map, leaves, where, owner};
}
"""

OPEN_EVERY_OVERLAY = (
    """
() => {
  const {map, leaves, where, owner} = ("""
    + _JS_LEAVES
    + """)();
  const out = {popups: [], tooltips: [], leaves: leaves.length, injected: [], failed: []};
  const injected = () => document.querySelectorAll(
    '.leaflet-popup-content img, .leaflet-tooltip img, .leaflet-popup-content script, .leaflet-tooltip script, img[src="x"]'
  ).length;
  for (const l of leaves) {
    const latlng = where(l);
    // as a reader does it: a click opens the popup, hovering opens the tooltip; the event
    // reaches the GeoJson group that the popup and tooltip are bound to, with this leaf as layer
    const p = owner(l, "getPopup");
    if (p) {
      l.fire("click", {latlng, layer: l}, true);
      const el = p.getPopup().isOpen() && p.getPopup().getElement();
      const content = el && el.querySelector(".leaflet-popup-content");
      if (content) out.popups.push({text: content.innerText, html: content.innerHTML});
      else out.failed.push("popup");
      out.injected.push(injected());
      map.closePopup();
    }
    const t = owner(l, "getTooltip");
    if (t) {
      l.fire("mouseover", {latlng, layer: l}, true);
      const el = t.getTooltip().isOpen() && t.getTooltip().getElement();
      if (el) out.tooltips.push({text: el.innerText, html: el.innerHTML});
      else out.failed.push("tooltip");
      out.injected.push(injected());
      t.closeTooltip();
    }
  }
  return out;
}
"""
)


def open_every_overlay(page: Any) -> dict[str, Any]:
    """Open every popup and every tooltip of the map, one at a time; return their contents.

    Returns ``{"popups": [{"text", "html"}], "tooltips": [...], "leaves": n, "injected": [...],
    "failed": [...]}``: ``injected`` counts, after each opening, the ``img``/``script`` elements
    in popups and tooltips (and any ``img[src="x"]`` anywhere); ``failed`` names each popup or
    tooltip that was bound but did not open.
    """
    return page.evaluate(OPEN_EVERY_OVERLAY)


def count(page: Any, selector: str) -> int:
    """How many elements match a CSS selector."""
    return page.locator(selector).count()
