"""The Folium layers of a map.

Basemaps, country borders, corridors (sections, stations, border crossings), point markers,
routes, deviations, the legend and the data credit. Each function builds one folium element from
data that :mod:`corridors._map_inputs` resolved and measured, with the strings of
:mod:`corridors._map_html` (already escaped) and the colours of :mod:`corridors._map_style`.
Every GeoJSON layer gets its coordinates rounded and its features a short numeric id (see
:func:`features`). folium, branca and xyzservices are imported when a layer is built, never when
``corridors`` is.
"""

from __future__ import annotations

import json
import warnings
from functools import cache
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors import _map_html as text
from corridors._map_inputs import CorridorFacts, MapItems
from corridors._map_style import BASEMAPS, CROSSINGS_PANE, OVERLAYS, STYLE
from corridors.comparison import Deviation

if TYPE_CHECKING:
    from branca.colormap import LinearColormap

    from corridors import Route

__all__ = [
    "attribution",
    "borders_layer",
    "corridor_layer",
    "deviation_layer",
    "deviation_scale",
    "features",
    "legend",
    "point_layer",
    "route_layer",
    "tile_layer",
]


def _simplified(gdf: gpd.GeoDataFrame, tol_deg: float) -> gpd.GeoDataFrame:
    return gdf.set_geometry(shapely.simplify(np.asarray(gdf.geometry.array, dtype=object), tol_deg))


def features(gdf: gpd.GeoDataFrame, props: pd.DataFrame, precision: int) -> dict[str, Any]:
    """A GeoJSON FeatureCollection with rounded coordinates and the given (escaped) properties.

    Each feature gets a short numeric ``id``: folium keys its style lookup on a unique identifier
    and, without one, takes the first property with unique values (a tooltip, as a rule), so
    every tooltip would be written into the page a second time.
    """
    geoms = shapely.set_precision(np.asarray(gdf.geometry.array, dtype=object), 10.0**-precision)
    geometries = [json.loads(g) for g in shapely.to_geojson(geoms)]
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": i, "properties": row, "geometry": g}
            for i, (row, g) in enumerate(zip(props.to_dict("records"), geometries, strict=True))
        ],
    }


# -- basemaps and borders ----------------------------------------------------------------------
def tile_layer(name: str, *, overlay: bool, show: bool) -> Any:
    """A basemap or overlay of :data:`BASEMAPS` / :data:`OVERLAYS`, from xyzservices."""
    import folium
    import xyzservices.providers as xyz

    provider = xyz.query_name(BASEMAPS.get(name) or OVERLAYS[name])
    with warnings.catch_warnings():  # CartoDB warns that heavy use needs an API key
        warnings.simplefilter("ignore", UserWarning)
        url = provider.build_url()
    return folium.TileLayer(
        tiles=url,
        attr=provider.html_attribution,
        name=name,
        overlay=overlay,
        control=True,
        show=show,
        max_zoom=provider.get("max_zoom", 19),
    )


def borders_layer(boundaries: gpd.GeoDataFrame, tol_deg: float) -> Any:
    """The country polygons, simplified by ``tol_deg``, with their names as tooltips."""
    import folium

    b = _simplified(boundaries, tol_deg)
    style = {
        "color": "#8a8a8a",
        "weight": 1,
        "fillColor": "#f3f1ea",
        "fillOpacity": 0.35,
        "className": "corridors-boundary",
    }
    return folium.GeoJson(
        features(b, pd.DataFrame({"tip": text.border_tips(b)}), 4),
        name="Country borders (Natural Earth 1:10m)",
        style_function=lambda _f: style,
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
        interactive=True,
    )


# -- corridors ---------------------------------------------------------------------------------
def corridor_layer(facts: CorridorFacts, color: str, tol_deg: float) -> Any:
    """One corridor's group: its sections, stations and border crossings."""
    import folium

    c = facts.corridor
    group = folium.FeatureGroup(name=text.esc(c.name), show=True)
    props = text.section_properties(c, facts.section_km, facts.figures)
    sections = _simplified(c.sections, tol_deg)
    cid = text.css_class(c.id)
    mode = text.css_class(c.meta.get("mode") or "other")

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        p = feature["properties"]
        role = p["role"] if p["role"] in STYLE["weight"] else "main"
        return {
            "color": color,
            "weight": STYLE["weight"][role],
            "opacity": STYLE["opacity"][role],
            "dashArray": STYLE["dash"].get(p["status"]),
            "lineCap": "round",
            "className": f"corridors-line corridor-{cid} status-{p['status']} mode-{mode}",
        }

    folium.GeoJson(
        features(sections, props, 5),
        name=f"{text.esc(c.name)} — lines",
        style_function=style,
        highlight_function=lambda _f: {"weight": 7, "opacity": 1},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=460),
        control=False,
    ).add_to(group)
    if len(c.stations):
        _stations(facts, color).add_to(group)
    if facts.crossings is not None and len(facts.crossings):
        _crossings(c.name, facts.crossings).add_to(group)
    return group


def _stations(facts: CorridorFacts, color: str) -> Any:
    import folium

    c = facts.corridor
    st = c.stations
    props = pd.DataFrame(
        {
            "tip": text.station_tips(st, facts.station_km),
            "kind": [text.css_class(k) for k in st["kind"]],
        }
    )
    return folium.GeoJson(
        features(st, props, 5),
        name=f"{text.esc(c.name)} — stations",
        marker=folium.CircleMarker(radius=4.5, fill=True),
        style_function=lambda f: {
            "color": color,
            "weight": 2,
            "fillColor": "#ffffff" if f["properties"]["kind"] == "station" else color,
            "fillOpacity": 1,
            "className": f"corridors-station kind-{f['properties']['kind']}",
        },
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        control=False,
    )


def _crossings(label: str, cr: gpd.GeoDataFrame) -> Any:
    import folium

    return folium.GeoJson(
        features(cr, pd.DataFrame({"tip": text.crossing_tips(cr)}), 5),
        name=f"{text.esc(label)} — border crossings",
        marker=folium.CircleMarker(radius=6, fill=True),
        # the pane goes in the style: folium drops a CircleMarker template's ``pane`` from the
        # options its pointToLayer builds, so the crossings would sink under the port and gate
        # markers; the style is merged into those options before each circle is made
        style_function=lambda _f: {
            "pane": CROSSINGS_PANE,
            "color": "#111111",
            "weight": 2,
            "fillColor": "#ffd400",
            "fillOpacity": 1,
            "className": "corridors-crossing",
        },
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        control=False,
    )


# -- points, routes, deviations ----------------------------------------------------------------
def point_layer(label: str, gdf: gpd.GeoDataFrame, css: str) -> Any:
    """A group of point markers (a ``DivIcon`` of CSS class ``css``), with tooltips and popups."""
    import folium

    group = folium.FeatureGroup(name=text.esc(label), show=True)
    if len(gdf) == 0:
        return group
    props = pd.DataFrame({"tip": text.point_tips(label, gdf), "popup": text.point_popups(gdf)})
    folium.GeoJson(
        features(gdf, props, 5),
        name=text.esc(label),
        marker=folium.Marker(
            icon=folium.DivIcon(
                html="<span></span>", class_name=css, icon_size=(14, 14), icon_anchor=(7, 7)
            )
        ),
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=360),
        control=False,
    ).add_to(group)
    return group


def route_layer(r: Route, tol_deg: float) -> Any:
    """A route, cased in white, with its legs' table as popup and its border crossings."""
    import folium

    group = folium.FeatureGroup(name=text.esc(f"Route: {r.names[0]} → {r.names[1]}"), show=True)
    legs = r.legs
    summary, popup = text.route_texts(r, legs)
    legs = _simplified(legs, tol_deg)
    props = pd.DataFrame({"tip": [summary] * len(legs), "popup": [popup] * len(legs)})
    for casing, color, weight in ((True, "#ffffff", 11), (False, "#ff7f00", 6)):
        folium.GeoJson(
            features(legs, props, 5),
            style_function=lambda _f, c=color, w=weight, k=casing: {
                "color": c,
                "weight": w,
                "opacity": 0.9 if k else 1.0,
                "className": "corridors-route-casing" if k else "corridors-route",
            },
            tooltip=None if casing else folium.GeoJsonTooltip(fields=["tip"], labels=False),
            popup=None
            if casing
            else folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=460),
            control=False,
        ).add_to(group)
    cr = r.crossings
    if len(cr):
        _crossings(f"route {r.names[0]} → {r.names[1]}", cr).add_to(group)
    return group


def deviation_scale(deviations: list[Deviation]) -> LinearColormap | None:
    """One sequential colour scale (branca) over the offsets of every deviation drawn."""
    if not deviations:
        return None
    from branca.colormap import LinearColormap

    off = np.concatenate([d.samples["offset_km"].to_numpy() for d in deviations])
    lo, hi = float(off.min()), float(off.max())
    return LinearColormap(STYLE["deviation"], vmin=lo, vmax=hi, caption="offset, km")


def deviation_layer(d: Deviation, scale: LinearColormap, tol_deg: float) -> Any:
    """Both lines of a deviation (the reference dashed) over its samples, coloured by offset."""
    import folium

    group = folium.FeatureGroup(
        name=text.esc(f"Deviation: {d.names[0]} against {d.names[1]}"), show=True
    )
    lines = gpd.GeoDataFrame(
        {"of": ["reference", "line"]},
        geometry=shapely.simplify(np.asarray([d.reference, d.line], dtype=object), tol_deg),
        crs="EPSG:4326",
    )
    line_layer = folium.GeoJson(
        features(lines, pd.DataFrame({"tip": text.deviation_line_tips(d), "of": lines["of"]}), 5),
        style_function=lambda f: {
            "color": "#444444",
            "weight": 2,
            "opacity": 0.8,
            "dashArray": "6 5" if f["properties"]["of"] == "reference" else None,
            "className": f"corridors-deviation-{f['properties']['of']}",
        },
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
        control=False,
    )
    off = d.samples["offset_km"].to_numpy()
    props = pd.DataFrame(
        {"tip": text.deviation_sample_tips(d), "color": [scale.rgb_hex_str(v) for v in off]}
    )
    folium.GeoJson(
        features(d.samples, props, 6),
        marker=folium.CircleMarker(radius=3.5, fill=True),
        style_function=lambda f: {
            "color": f["properties"]["color"],
            "weight": 1,
            "fillColor": f["properties"]["color"],
            "fillOpacity": 0.9,
            "className": "corridors-deviation-sample",
        },
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        control=False,
    ).add_to(group)
    line_layer.add_to(group)  # over the dots: under them the two lines could not be seen
    return group


# -- legend and credit -------------------------------------------------------------------------
@cache
def _macro(name: str, template: str) -> type:
    """An element class drawn by a branca macro template (branca's way to define an element).

    The keywords given to the class become attributes the template reads as ``this.<name>``.
    """
    from branca.element import MacroElement, Template

    def init(self: Any, **values: Any) -> None:
        MacroElement.__init__(self)
        self._name = name
        vars(self).update(values)

    return type(name, (MacroElement,), {"_template": Template(template), "__init__": init})


def legend(
    drawn: MapItems, title: str | None, scale: LinearColormap | None, crossings: bool
) -> Any:
    """The legend, in the bottom-right corner: only what the map shows."""
    ramp = None
    if scale is not None:  # the branca scale of the deviation samples, with its km range
        colors = [scale.rgb_hex_str(v) for v in np.linspace(scale.vmin, scale.vmax, 7)]
        ramp = (colors, scale.vmin, scale.vmax)
    body = text.legend_html(
        drawn.corridor_list,
        [(p.label, p.css) for p in drawn.points],
        title,
        route=bool(drawn.routes),
        ramp=ramp,
        crossings=crossings,
        deviations=drawn.deviations,
    )
    element = _macro(
        "Legend",
        "{% macro html(this, kwargs) %}<div class='corridors-legend'>{{ this.body }}</div>"
        "{% endmacro %}",
    )
    return element(body=body)  # the body is HTML, escaped already


def attribution() -> Any:
    """Adds :data:`DATA_ATTRIBUTION` to the map's attribution control (shown even with no tiles)."""
    element = _macro(
        "Attribution",
        "{% macro script(this, kwargs) %}{{ this._parent.get_name() }}.attributionControl"
        ".addAttribution({{ this.literal }});{% endmacro %}",
    )
    return element(literal=text.attribution_literal())
