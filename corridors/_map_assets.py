"""Offline maps: the scripts and stylesheets a map loads from CDNs, put inline in its page.

The one adapter to the optional ``folium-offline`` package (imported as ``offlinefolium``), used
through its public interface only. folium-offline is a copy of folium whose elements embed their
JavaScript and CSS in the page instead of linking to a CDN: its ``JSCSSMixin`` element, given
the same ``(name, url)`` pairs as folium's ``default_js`` and ``default_css``, writes each asset
inline into the page's header when the page renders. :func:`inline_assets` hands every asset of
the map and its plugins over to such an element and empties their link lists, so the saved HTML
loads nothing from the network.

folium-offline is imported only here, and only when an offline map is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from corridors.errors import DataFileError

__all__ = ["inline_assets"]

# What an offline map needs of folium's Map: Leaflet only (not jQuery, Bootstrap, Font Awesome
# and awesome-markers, which folium links for markers these maps do not use). The plugins need
# all of theirs.
MAP_JS = ("leaflet",)
MAP_CSS = ("leaflet_css",)


def inline_assets(m: Any, plugins: Sequence[Any]) -> None:
    """Make ``m`` carry Leaflet and the assets of ``plugins`` inline instead of linking them.

    Parameters
    ----------
    m
        A ``folium.Map``.
    plugins
        The folium elements added to ``m`` that link assets of their own (``default_js`` or
        ``default_css``), e.g. ``folium.plugins.Fullscreen``.

    Raises
    ------
    DataFileError
        When folium-offline is not installed, or has no copy of an asset (e.g. after folium
        moved to a newer Leaflet than folium-offline embeds).
    """
    try:
        from branca.element import Figure
        from offlinefolium.elements import JSCSSMixin
    except ImportError as err:  # pragma: no cover - a declared dependency
        raise DataFileError(
            "offline maps need the folium-offline package: pip install folium-offline"
        ) from err

    root = m.get_root()
    wanted = [
        (
            m,
            [a for a in m.default_js if a[0] in MAP_JS],
            [a for a in m.default_css if a[0] in MAP_CSS],
        )
    ] + [(p, list(p.default_js), list(p.default_css)) for p in plugins]
    for index, (element, js, css) in enumerate(wanted):
        inline = JSCSSMixin()
        inline.default_js, inline.default_css = (
            js,
            css,
        )  # on the instance: the class lists are shared
        _check(inline, Figure)
        # first among the page's children: written into the header before the map renders
        root.add_child(inline, name=f"corridors_offline_assets_{index}", index=index)
        element.default_js, element.default_css = [], []


def _check(inline: Any, figure: type) -> None:
    """Render ``inline`` once into a scratch page: folium-offline refuses an asset it lacks."""
    scratch = figure()
    scratch.add_child(inline)
    try:
        inline.render()
    except KeyError as err:
        raise DataFileError(f"no offline copy of {err.args[0]} in folium-offline") from None
