"""What the maps look like: basemaps, line colours and dashes, the data credit, the panes.

Plain constants, shared by the layers (:mod:`corridors._map_layers`) and the legend
(:mod:`corridors._map_html`); :mod:`corridors.maps` re-exports the public ones. Nothing here
imports folium.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "BASEMAPS",
    "CROSSINGS_PANE",
    "DATA_ATTRIBUTION",
    "DATA_ATTRIBUTION_URL",
    "DEFAULT_POINT_LAYERS",
    "OVERLAYS",
    "STYLE",
    "corridor_colors",
    "mode_of",
]

#: Basemaps by name: xyzservices provider paths. The first one named in ``tiles`` is shown.
BASEMAPS = {
    "OpenStreetMap": "OpenStreetMap.Mapnik",
    "CartoDB.Positron": "CartoDB.Positron",
    "Esri.WorldImagery": "Esri.WorldImagery",
}
#: Tile overlays by name (xyzservices provider paths), offered hidden at first.
OVERLAYS = {"OpenRailwayMap": "OpenRailwayMap"}
#: The credit for the embedded geodata, rebuilt from OpenStreetMap: shown on every map, tiles or
#: none, in Leaflet's attribution control (linked to the OSM copyright page).
DATA_ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"
DATA_ATTRIBUTION_URL = "https://www.openstreetmap.org/copyright"

#: Line colours by mode (one shade per corridor, in order) and dash patterns by status.
STYLE: dict[str, Any] = {
    "colors": {
        "rail": ["#b2182b", "#7a0f2b", "#e0603d", "#a3501e"],
        "road": ["#2166ac", "#0b3d73", "#4f97c9", "#35708f"],
        "other": ["#4d4d4d", "#7a7a7a"],
    },
    "dash": {
        "operational": None,
        "under-construction": "10 6",
        "planned": "4 7",
        "proposed": "1 7",
    },
    "weight": {"main": 4.5, "branch": 3.0, "alternative": 3.0},
    "opacity": {"main": 0.95, "branch": 0.9, "alternative": 0.45},
    # deviation samples: a sequential scale from small (light) to large (dark red) offsets
    "deviation": ["#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026"],
}

#: The crossings' own Leaflet pane: above the marker pane (600), below the popups (700).
CROSSINGS_PANE = "corridors-crossings"

#: The embedded point layers drawn by default: (layer label, CSS class, legend label).
DEFAULT_POINT_LAYERS = (
    ("Dry ports", "corridors-dry-port", "dry port"),
    ("Border gates", "corridors-gate", "border gate"),
    ("Seaports", "corridors-seaport", "seaport"),
)


def mode_of(meta: dict[str, Any]) -> str:
    """The palette a corridor is drawn in: ``"rail"``, ``"road"`` or ``"other"``."""
    mode = meta.get("mode")
    return mode if mode in ("rail", "road") else "other"


def corridor_colors(modes: Sequence[str]) -> list[str]:
    """One colour per corridor: the shades of its mode's palette in turn, in drawing order."""
    used = {"rail": 0, "road": 0, "other": 0}
    colors = []
    for mode in modes:
        palette = STYLE["colors"][mode]
        colors.append(palette[used[mode] % len(palette)])
        used[mode] += 1
    return colors
