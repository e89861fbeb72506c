"""Interactive Folium maps a planner can hand over as one file.

``render`` draws corridors (styled by mode and status), their stations and computed border
crossings, dry ports, border gates, seaports and country borders, with tooltips, popups that set
published figures against measured ones, a legend, a layer control, a scale bar, full screen and
a measure tool. With ``offline=True`` the saved HTML carries Leaflet and every plugin inline, so
it works with the network unplugged (only basemap tiles are fetched, and ``tiles=None`` draws
none: the country borders are a vector layer, so the map still reads).

This module is the public face; the work is done by one private module per concept:

* :mod:`corridors._map_inputs`: what to draw (ids, corridors, GeoDataFrames, files, routes,
  deviations) and what each corridor's popups say, measured once per map;
* :mod:`corridors._map_layers`: the Folium layers, legend and credit;
* :mod:`corridors._map_html`: every string of the page (tooltips, popups, legend, CSS), escaped
  there, in Python, before Folium sees it;
* :mod:`corridors._map_style`: basemaps, colours and dashes;
* :mod:`corridors._map_assets`: the offline assets, the one adapter to ``folium-offline``.

Folium, branca, xyzservices and folium-offline are imported only when a map is made, so
``import corridors`` stays fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd

import corridors
from corridors import _map_layers as layers
from corridors._map_assets import inline_assets
from corridors._map_html import LEGEND_CSS
from corridors._map_inputs import corridor_facts, resolve
from corridors._map_style import BASEMAPS, DATA_ATTRIBUTION, STYLE, corridor_colors, mode_of
from corridors._map_style import CROSSINGS_PANE as CROSSINGS_PANE
from corridors._map_style import DATA_ATTRIBUTION_URL as DATA_ATTRIBUTION_URL
from corridors._map_style import OVERLAYS as OVERLAYS
from corridors.comparison import Deviation
from corridors.corridor import Corridor
from corridors.errors import UnknownIdError

if TYPE_CHECKING:
    import folium

__all__ = ["BASEMAPS", "DATA_ATTRIBUTION", "STYLE", "render"]


def render(
    items: Iterable[Any] | str | Corridor | gpd.GeoDataFrame | Path | Deviation | None = None,
    *,
    offline: bool = False,
    tiles: str | Sequence[str] | None = "OpenStreetMap",
    overlays: Sequence[str] = ("OpenRailwayMap",),
    borders: bool = True,
    crossings: bool = True,
    simplify_m: float = 20.0,
    title: str | None = None,
) -> folium.Map:
    """Draw corridors, ports, gates and borders on an interactive Folium map.

    Parameters
    ----------
    items
        What to draw: corridor ids, ``Corridor`` objects, GeoDataFrames (lines become a corridor,
        points a marker layer), paths to files, ``Route`` objects, or ``Deviation`` objects from
        :func:`corridors.deviation` (both lines, and every sample as a dot coloured by its offset
        on one scale for all of them). Default: every embedded corridor, dry port, border gate
        and seaport.
    offline
        Inline Leaflet, the plugins and their CSS and icons in the HTML, so that the saved file
        needs no network but for basemap tiles.
    tiles
        Basemap name, or several (the first is shown, the others are choices in the layer
        control), from :data:`BASEMAPS`; ``None`` for no basemap and no overlays at all.
    overlays
        Tile overlays offered (hidden at first), from ``OVERLAYS`` (OpenRailwayMap).
    borders
        Draw the country borders as a vector layer.
    crossings
        Compute and mark where each corridor crosses a border.
    simplify_m
        Simplify lines by this many metres (far under the display resolution); stations keep
        within this distance of their line. Borders are simplified by ten times as much, still
        well under Natural Earth's own 1–4 km error.
    title
        A title shown at the top of the legend.

    Returns
    -------
    folium.Map
        Shown inline in a notebook; ``.save(path)`` writes the HTML file. Every map credits the
        geodata with :data:`DATA_ATTRIBUTION`, besides each basemap's own attribution.

    Examples
    --------
    >>> import corridors.maps
    >>> m = corridors.maps.render(["china-laos-railway"], offline=True, tiles=None)
    >>> m.save("clr.html")  # doctest: +SKIP
    """
    import folium
    from folium import plugins

    drawn = resolve(items)
    tile_names = [] if tiles is None else [tiles] if isinstance(tiles, str) else list(tiles)
    for name in [*tile_names, *overlays]:
        if name not in BASEMAPS and name not in OVERLAYS:
            raise UnknownIdError("basemap", name, [*BASEMAPS, *OVERLAYS])

    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=False, zoom_control=True)
    for i, name in enumerate(tile_names):
        layers.tile_layer(name, overlay=False, show=i == 0).add_to(m)
    if tile_names:
        for name in overlays:
            layers.tile_layer(name, overlay=True, show=False).add_to(m)

    folium.map.CustomPane(CROSSINGS_PANE, z_index=650).add_to(m)
    tol_deg = simplify_m / 111_320.0
    if borders:
        layers.borders_layer(corridors.boundaries(), tol_deg * 10).add_to(m)
    facts = corridor_facts(drawn.corridor_list, crossings=crossings)
    colors = corridor_colors([mode_of(c.meta) for c in drawn.corridor_list])
    for f, color in zip(facts, colors, strict=True):
        layers.corridor_layer(f, color, tol_deg).add_to(m)
    for p in drawn.points:
        layers.point_layer(p.label, p.frame, p.css).add_to(m)
    for r in drawn.routes:
        layers.route_layer(r, tol_deg).add_to(m)
    scale = layers.deviation_scale(drawn.deviations)
    for d in drawn.deviations:
        layers.deviation_layer(d, scale, tol_deg).add_to(m)

    west, south, east, north = drawn.bounds()
    # keep the drawing clear of the legend in the bottom-right corner
    m.fit_bounds(
        [[south, west], [north, east]], padding_top_left=(20, 20), padding_bottom_right=(280, 20)
    )
    controls = [
        plugins.Fullscreen(position="topleft"),
        plugins.MeasureControl(
            position="topleft", primary_length_unit="kilometers", secondary_length_unit="miles"
        ),
    ]
    for control in controls:
        control.add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    layers.legend(drawn, title, scale, crossings).add_to(m)
    layers.attribution().add_to(m)
    m.get_root().header.add_child(folium.Element(f"<style>{LEGEND_CSS}</style>"))
    if offline:
        inline_assets(m, controls)
    return m
