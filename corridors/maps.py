"""Interactive Folium maps a planner can hand over as one file.

``render`` draws corridors (styled by mode and status), their stations and computed border
crossings, dry ports, border gates, seaports and country borders, with tooltips, popups that set
published figures against measured ones, a legend, a layer control, a scale bar, full screen and
a measure tool. With ``offline=True`` the saved HTML carries Leaflet and every plugin inline, so
it works with the network unplugged (only basemap tiles are fetched, and ``tiles=None`` draws
none: the country borders are a vector layer, so the map still reads).

Every string that reaches the page is escaped here, in Python, before Folium sees it.

Folium, branca and the offline assets (the ``folium-offline`` package) are imported lazily, so
``import corridors`` stays fast.
"""

from __future__ import annotations

import html
import json
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors.borders import border_crossings
from corridors.catalogue import border_gates, boundaries, dry_ports, ids, load, seaports
from corridors.check import check
from corridors.comparison import Deviation
from corridors.corridor import Corridor
from corridors.errors import CorridorsError, CRSError, DataFileError, GeometryError, UnknownIdError
from corridors.geodesy import lengths_km_array

if TYPE_CHECKING:
    import folium

__all__ = ["BASEMAPS", "DATA_ATTRIBUTION", "STYLE", "render"]

#: Basemaps by name: xyzservices provider paths. The first one named in ``tiles`` is shown.
BASEMAPS = {
    "OpenStreetMap": "OpenStreetMap.Mapnik",
    "CartoDB.Positron": "CartoDB.Positron",
    "Esri.WorldImagery": "Esri.WorldImagery",
}
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

# the assets an offline map needs: folium's Map keeps only Leaflet; the plugins keep their own
_MAP_JS = ("leaflet",)
CROSSINGS_PANE = "corridors-crossings"  # above Leaflet's marker pane (600), below popups (700)
_DEFAULT_POINT_LAYERS = ("Dry ports", "Border gates", "Seaports")
_MAP_CSS = ("leaflet_css",)

_LEGEND_CSS = """
.corridors-legend{position:absolute;z-index:1000;bottom:30px;right:10px;background:#fff;
padding:8px 10px;border-radius:6px;box-shadow:0 1px 5px rgba(0,0,0,.35);
font:12px/1.35 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#222;max-width:260px}
.corridors-legend h4{margin:0 0 4px;font-size:13px}
.corridors-legend .row{display:flex;align-items:center;gap:6px;margin:2px 0}
.corridors-legend svg{flex:none}
.corridors-dry-port,.corridors-gate,.corridors-seaport,.corridors-point{background:none;border:none}
.corridors-point span{display:block;width:10px;height:10px;border-radius:50%;
background:#6a3d9a;border:2px solid #fff;box-shadow:0 0 0 1px #6a3d9a}
.corridors-dry-port span{display:block;width:10px;height:10px;background:#2a9d8f;
border:2px solid #fff;box-shadow:0 0 0 1px #1d6f65}
.corridors-gate span{display:block;width:10px;height:10px;background:#e9c46a;
border:1px solid #7a5c00;transform:rotate(45deg)}
.corridors-seaport span{display:block;width:12px;height:12px;border-radius:50%;
background:#264653;border:2px solid #fff;box-shadow:0 0 0 1px #264653}
.corridors-popup{font:12px/1.4 system-ui,sans-serif;max-width:420px}
.corridors-popup table{border-collapse:collapse;margin:4px 0}
.corridors-popup td,.corridors-popup th{border-bottom:1px solid #ddd;padding:1px 4px;
text-align:left;vertical-align:top}
.corridors-popup .v-consistent{color:#1a7f37}.corridors-popup .v-marginal{color:#9a6700}
.corridors-popup .v-inconsistent{color:#cf222e}
"""


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

    from corridors.routes import Route

    if isinstance(items, str | Path | Corridor | gpd.GeoDataFrame | Route | Deviation):
        items = [items]  # one item, not an iterable of them (a str would give its characters)
    if items is not None:
        items = list(items)
    routes = [i for i in items if isinstance(i, Route)] if items is not None else []
    deviations = [i for i in items if isinstance(i, Deviation)] if items is not None else []
    rest = [i for i in items if not isinstance(i, Route | Deviation)] if items is not None else None
    drawn = routes or deviations
    corridor_list, point_layers = _resolve(rest) if rest or not drawn else ([], [])
    if not corridor_list and not point_layers and not drawn:
        raise GeometryError("nothing to draw: give corridor ids, corridors, GeoDataFrames or files")
    tile_names = [] if tiles is None else [tiles] if isinstance(tiles, str) else list(tiles)
    for name in [*tile_names, *overlays]:
        if name not in BASEMAPS and name not in OVERLAYS:
            raise UnknownIdError("basemap", name, [*BASEMAPS, *OVERLAYS])

    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=False, zoom_control=True)
    for i, name in enumerate(tile_names):
        _tile_layer(name, overlay=False, show=i == 0).add_to(m)
    if tile_names:
        for name in overlays:
            _tile_layer(name, overlay=True, show=False).add_to(m)

    folium.map.CustomPane(CROSSINGS_PANE, z_index=650).add_to(m)
    tol_deg = simplify_m / 111_320.0
    if borders:
        _borders_layer(tol_deg * 10).add_to(m)
    counters = {"rail": 0, "road": 0, "other": 0}
    for c in corridor_list:
        mode = c.meta.get("mode") if c.meta.get("mode") in ("rail", "road") else "other"
        palette = STYLE["colors"][mode]
        color = palette[counters[mode] % len(palette)]
        counters[mode] += 1
        _corridor_layer(c, color, tol_deg, crossings).add_to(m)
    for label, gdf, css in point_layers:
        _point_layer(label, gdf, css).add_to(m)
    for r in routes:
        _route_layer(r, tol_deg).add_to(m)
    scale = _deviation_scale(deviations)
    for d in deviations:
        _deviation_layer(d, scale, tol_deg).add_to(m)

    extra = [r.geometry for r in routes] + [g for d in deviations for g in (d.line, d.reference)]
    bounds = _bounds(corridor_list, point_layers, extra)
    # keep the drawing clear of the legend in the bottom-right corner
    m.fit_bounds(
        [[bounds[1], bounds[0]], [bounds[3], bounds[2]]],
        padding_top_left=(20, 20),
        padding_bottom_right=(280, 20),
    )
    plugins.Fullscreen(position="topleft").add_to(m)
    plugins.MeasureControl(
        position="topleft", primary_length_unit="kilometers", secondary_length_unit="miles"
    ).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    legend = _legend(corridor_list, point_layers, title, bool(routes), scale, crossings, deviations)
    legend.add_to(m)
    _attribution().add_to(m)
    m.get_root().header.add_child(folium.Element(f"<style>{_LEGEND_CSS}</style>"))
    if offline:
        _inline_assets(m)
    return m


# -- items -------------------------------------------------------------------------------------
def _resolve(items: Any) -> tuple[list[Corridor], list[tuple[str, gpd.GeoDataFrame, str]]]:
    if items is None:
        return [load(i) for i in ids()], [
            ("Dry ports", dry_ports(), "corridors-dry-port"),
            ("Border gates", border_gates(), "corridors-gate"),
            ("Seaports", seaports(), "corridors-seaport"),
        ]
    if isinstance(items, str | Path | Corridor | gpd.GeoDataFrame):
        items = [items]
    corridor_list: list[Corridor] = []
    points: list[tuple[str, gpd.GeoDataFrame, str]] = []
    for item in items:
        if isinstance(item, Corridor):
            corridor_list.append(item)
        elif isinstance(item, gpd.GeoDataFrame):
            _add_frame(item, "user-data", corridor_list, points)
        elif isinstance(item, Path) or (isinstance(item, str) and item not in ids()):
            path = Path(item)
            if not path.exists() and isinstance(item, str) and path.suffix == "":
                corridor_list.append(load(item))  # an unknown id: load() suggests the right one
                continue
            try:
                corridor_list.append(Corridor.from_file(path))
            except GeometryError as err:
                if "no LineString" not in str(err):
                    raise
                frame = gpd.read_file(path)
                _add_frame(frame, path.stem, corridor_list, points)
        elif isinstance(item, str):
            corridor_list.append(load(item))
        else:
            raise GeometryError(
                f"cannot draw a {type(item).__name__}: give ids, Corridors, GeoDataFrames or paths"
            )
    return corridor_list, points


def _add_frame(
    gdf: gpd.GeoDataFrame, name: str, corridor_list: list[Corridor], points: list[Any]
) -> None:
    types = shapely.get_type_id(np.asarray(gdf.geometry.array, dtype=object))
    if np.isin(types, [1, 5]).any():
        corridor_list.append(Corridor.from_geodataframe(gdf, id=name, name=name))
    else:
        if gdf.crs is None:
            raise CRSError(f"{name}: the GeoDataFrame has no CRS; set one with .set_crs(...)")
        pts = gdf.to_crs(4326)
        points.append((name, pts[types == 0], "corridors-point"))


def _bounds(corridor_list: list[Corridor], points: list[Any], extra: list[Any]) -> np.ndarray:
    geoms = [*extra, *(c.geometry for c in corridor_list)] + [
        g for _, gdf, _ in points for g in gdf.geometry if g is not None
    ]
    return np.asarray(shapely.total_bounds(np.asarray(geoms, dtype=object)))


# -- layers ------------------------------------------------------------------------------------
def _tile_layer(name: str, *, overlay: bool, show: bool) -> Any:
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


def _esc(value: Any) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    return html.escape(str(value), quote=True)


def _features(gdf: gpd.GeoDataFrame, props: pd.DataFrame, precision: int) -> dict[str, Any]:
    """A GeoJSON FeatureCollection with rounded coordinates and the given (escaped) properties.

    Each feature gets a short numeric ``id``: folium keys its style lookup on a unique identifier
    and, without one, takes the first property with unique values (a tooltip, as a rule), so
    every tooltip would be written into the page a second time.
    """
    geoms = shapely.set_precision(np.asarray(gdf.geometry.array, dtype=object), 10.0**-precision)
    features = [
        {
            "type": "Feature",
            "id": i,
            "properties": row,
            "geometry": json.loads(shapely.to_geojson(g)),
        }
        for i, (row, g) in enumerate(zip(props.to_dict("records"), geoms, strict=True))
    ]
    return {"type": "FeatureCollection", "features": features}


def _borders_layer(tol_deg: float) -> Any:
    import folium

    b = boundaries()
    b = b.set_geometry(shapely.simplify(np.asarray(b.geometry.array, dtype=object), tol_deg))
    props = pd.DataFrame(
        {
            "tip": [
                f"<b>{_esc(n)}</b> ({_esc(i)})" for n, i in zip(b["name"], b["iso3"], strict=True)
            ]
        }
    )
    style = {
        "color": "#8a8a8a",
        "weight": 1,
        "fillColor": "#f3f1ea",
        "fillOpacity": 0.35,
        "className": "corridors-boundary",
    }
    return folium.GeoJson(
        _features(b, props, 4),
        name="Country borders (Natural Earth 1:10m)",
        style_function=lambda _f: style,
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
        interactive=True,
    )


def _corridor_layer(c: Corridor, color: str, tol_deg: float, crossings: bool) -> Any:
    import folium

    group = folium.FeatureGroup(name=_esc(c.name), show=True)
    sections = c.sections.copy()
    km = lengths_km_array(np.asarray(sections.geometry.array, dtype=object))
    figures = _figure_rows(c)
    mode = _css(c.meta.get("mode") or "other")
    records = []
    for (_, r), k in zip(sections.iterrows(), km, strict=True):  # a handful of sections
        status = r.get("status") or c.meta.get("status")
        records.append(
            {
                "tip": f"<b>{_esc(r['name'])}</b><br>{_esc(status)} · {k:,.1f} km",
                "popup": _section_popup(c, r, k, figures),
                "status": _css(status),
                "role": _css(r.get("role") or "main"),
            }
        )
    props = pd.DataFrame.from_records(records)
    sections = sections.set_geometry(
        shapely.simplify(np.asarray(sections.geometry.array, dtype=object), tol_deg)
    )
    cid = _css(c.id)

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
        _features(sections, props, 5),
        name=f"{_esc(c.name)} — lines",
        style_function=style,
        highlight_function=lambda _f: {"weight": 7, "opacity": 1},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=460),
        control=False,
    ).add_to(group)

    if len(c.stations):
        _stations(c, color).add_to(group)
    if crossings:
        try:
            cr = border_crossings(c)
        except CorridorsError:
            cr = None
        if cr is not None and len(cr):
            _crossings(c.name, cr).add_to(group)
    return group


def _stations(c: Corridor, color: str) -> Any:
    import folium

    st = c.stations
    try:
        from corridors.routes import station_chainage_km

        chain = station_chainage_km(c).set_index("id")["chainage_km"]
    except CorridorsError:
        chain = pd.Series(dtype=float)
    props = pd.DataFrame(
        {
            "tip": [
                f"<b>{_esc(n)}</b>" + (f"<br>km {chain[i]:,.1f}" if i in chain.index else "")
                for i, n in zip(st["id"], st["name"], strict=True)
            ],
            "kind": [_css(k) for k in st["kind"]],
        }
    )
    return folium.GeoJson(
        _features(st, props, 5),
        name=f"{_esc(c.name)} — stations",
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

    props = pd.DataFrame(
        {
            "tip": [
                f"<b>{_esc(a)} → {_esc(b)}</b> at km {k:,.1f}<br>"
                f"nearest gate: {_esc(g)} ({d:,.1f} km)"
                for a, b, k, g, d in zip(
                    cr["from_iso3"],
                    cr["to_iso3"],
                    cr["chainage_km"],
                    cr["gate_name"],
                    cr["gate_distance_km"],
                    strict=True,
                )
            ]
        }
    )
    return folium.GeoJson(
        _features(cr, props, 5),
        name=f"{_esc(label)} — border crossings",
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


def _point_layer(label: str, gdf: gpd.GeoDataFrame, css: str) -> Any:
    import folium

    group = folium.FeatureGroup(name=_esc(label), show=True)
    if len(gdf) == 0:
        return group
    names = gdf["name"] if "name" in gdf.columns else pd.Series([label] * len(gdf))
    props = pd.DataFrame(
        {
            "tip": [f"<b>{_esc(n)}</b>" for n in names],
            "popup": [_point_popup(r) for _, r in gdf.iterrows()],
        }
    )
    folium.GeoJson(
        _features(gdf, props, 5),
        name=_esc(label),
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


def _route_layer(r: Any, tol_deg: float) -> Any:
    import folium

    group = folium.FeatureGroup(name=_esc(f"Route: {r.names[0]} → {r.names[1]}"), show=True)
    legs = r.legs
    summary = (
        f"<b>{_esc(r.names[0])} → {_esc(r.names[1])}</b><br>{_esc(r.scenario)}, by "
        f"{_esc(r.weight)}: {r.length_km:,.1f} km, {r.travel_time_h:,.1f} h"
    )
    by_country = ", ".join(f"{_esc(k)} {v:,.1f} km" for k, v in r.km_by_country.items())
    rows = "".join(
        f"<tr><td>{int(g['leg'])}</td><td>{_esc(g['corridor'])}</td><td>{_esc(g['mode'])}</td>"
        f"<td>{_esc(g['status'])}</td><td>{g['length_km']:,.1f}</td><td>{g['travel_time_h']:,.1f}</td></tr>"
        for _, g in legs.iterrows()
    )
    popup = (
        f"<div class='corridors-popup'>{summary}<br>by country: {by_country}<table><tr><th>leg</th>"
        f"<th>corridor</th><th>mode</th><th>status</th><th>km</th><th>h</th></tr>{rows}</table></div>"
    )
    legs = legs.set_geometry(
        shapely.simplify(np.asarray(legs.geometry.array, dtype=object), tol_deg)
    )
    props = pd.DataFrame({"tip": [summary] * len(legs), "popup": [popup] * len(legs)})
    for casing, color, weight in ((True, "#ffffff", 11), (False, "#ff7f00", 6)):
        folium.GeoJson(
            _features(legs, props, 5),
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


def _deviation_scale(deviations: list[Deviation]) -> Any:
    """One sequential colour scale (branca) over the offsets of every deviation drawn."""
    if not deviations:
        return None
    from branca.colormap import LinearColormap

    off = np.concatenate([d.samples["offset_km"].to_numpy() for d in deviations])
    lo, hi = float(off.min()), float(off.max())
    return LinearColormap(STYLE["deviation"], vmin=lo, vmax=hi, caption="offset, km")


def _deviation_layer(d: Deviation, scale: Any, tol_deg: float) -> Any:
    import folium

    names = {"line": d.names[0], "reference": d.names[1]}
    labels = {k: _esc(n) if n == k else f"{_esc(n)} ({k})" for k, n in names.items()}
    group = folium.FeatureGroup(
        name=_esc(f"Deviation: {d.names[0]} against {d.names[1]}"), show=True
    )
    lines = gpd.GeoDataFrame(
        {"of": ["reference", "line"]},
        geometry=shapely.simplify(np.asarray([d.reference, d.line], dtype=object), tol_deg),
        crs="EPSG:4326",
    )
    s = d.summary
    line_tips = [
        f"<b>{labels['reference']}</b><br>{s['reference_km']:,.1f} km",
        f"<b>{labels['line']}</b><br>{s['line_km']:,.1f} km · median offset "
        f"{s['median_km']:,.2f} km, max {s['max_km']:,.2f} km",
    ]
    line_layer = folium.GeoJson(
        _features(lines, pd.DataFrame({"tip": line_tips, "of": lines["of"]}), 5),
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
    samples = d.samples
    off = samples["offset_km"].to_numpy()
    props = pd.DataFrame(
        {
            "tip": [
                f"<b>{labels[o]}</b><br>km {k:,.2f} · offset {v:,.3f} km"
                for o, k, v in zip(samples["of"], samples["chainage_km"], off, strict=True)
            ],
            "color": [scale.rgb_hex_str(v) for v in off],
        }
    )
    folium.GeoJson(
        _features(samples, props, 6),
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


# -- popups ------------------------------------------------------------------------------------
def _css(value: Any) -> str:
    """A safe CSS class fragment: lower-case letters, digits and hyphens only."""
    text = str(value or "unknown").lower()
    return "".join(ch if ch.isalnum() else "-" for ch in text)[:40]


def _figure_rows(c: Corridor) -> pd.DataFrame:
    try:
        return check(c).table
    except CorridorsError:
        return pd.DataFrame(
            columns=["feature", "scope", "published_km", "measured_km", "verdict", "source"]
        )


def _figures_table(rows: pd.DataFrame) -> str:
    rows = rows[rows["verdict"] != "not a length"]
    if len(rows) == 0:
        return ""
    cells = []
    for _, r in rows.iterrows():
        measured = "" if pd.isna(r["measured_km"]) else f"{r['measured_km']:,.1f}"
        cells.append(
            f"<tr><td>{_esc(r['scope'])}</td><td>{r['published_km']:,.3f}".rstrip("0").rstrip(".")
            + f"</td><td>{measured}</td><td class='v-{_css(r['verdict'])}'>{_esc(r['verdict'])}"
            f"</td><td>{_esc(r['source'])}</td></tr>"
        )
    return (
        "<table><tr><th>figure</th><th>published km</th><th>measured km</th><th>verdict</th>"
        f"<th>source</th></tr>{''.join(cells)}</table>"
    )


def _section_popup(c: Corridor, row: pd.Series, km: float, figures: pd.DataFrame) -> str:
    own = figures[figures["feature"] == row["id"]]
    whole = figures[figures["feature"] == c.id] if row.get("role") == "main" else figures.iloc[0:0]
    sources = row.get("sources") if isinstance(row.get("sources"), list) else []
    parts = [
        f"<div class='corridors-popup'><b>{_esc(row['name'])}</b><br>",
        f"{_esc(c.name)} · {_esc(row.get('role') or 'main')} section · "
        f"{_esc(row.get('status') or c.meta.get('status'))}<br>",
        f"measured {km:,.1f} km (geodesic, WGS84) · {_esc(_accuracy(row))}",
        _figures_table(own),
        ("<br><i>whole corridor</i>" + _figures_table(whole)) if len(whole) else "",
        "<br><i>sources</i><ul>" + "".join(f"<li>{_esc(s)}</li>" for s in sources) + "</ul>"
        if sources
        else "",
        "</div>",
    ]
    return "".join(parts)


def _accuracy(row: pd.Series) -> str:
    """'geometry traced ±1.5 km', or 'accuracy not given' for user data without it (plain text)."""
    acc, err = row.get("accuracy"), row.get("error_km")
    if not isinstance(acc, str) or not acc:
        return "accuracy not given"
    known = isinstance(err, int | float) and np.isfinite(err)
    return f"geometry {acc}" + (f" ±{err:g} km" if known else "")


def _point_popup(row: pd.Series) -> str:
    fields = [
        ("kind", row.get("kind")),
        ("status", row.get("status")),
        ("country", row.get("country")),
        (
            "countries",
            " – ".join(row["countries"]) if isinstance(row.get("countries"), list) else None,
        ),
        ("accuracy", _accuracy(row)),
    ]
    lines = "".join(f"{k}: {_esc(v)}<br>" for k, v in fields if v is not None and v == v)
    sources = row.get("sources") if isinstance(row.get("sources"), list) else []
    src = "".join(f"<li>{_esc(s)}</li>" for s in sources)
    name = row.get("name", "")
    return f"<div class='corridors-popup'><b>{_esc(name)}</b><br>{lines}<ul>{src}</ul></div>"


# -- legend and assets -------------------------------------------------------------------------
def _line_sample(color: str, dash: str | None, opacity: float = 0.95) -> str:
    d = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<svg width="34" height="10"><line x1="2" y1="5" x2="32" y2="5" stroke="{color}" '
        f'stroke-width="4" stroke-linecap="round" stroke-opacity="{opacity}"{d}/></svg>'
    )


def _legend(
    corridor_list: list[Corridor],
    points: list[Any],
    title: str | None,
    route: bool = False,
    deviation: Any = None,
    crossings: bool = True,
    deviations: Sequence[Deviation] = (),
) -> Any:
    from branca.element import MacroElement, Template

    rows = [f"<div class='row'>{_line_sample('#ff7f00', None)}route</div>"] if route else []
    if deviation is not None:  # the branca scale of the deviation samples, with its km range
        ramp = ",".join(
            deviation.rgb_hex_str(v) for v in np.linspace(deviation.vmin, deviation.vmax, 7)
        )
        rows.append(
            "<div class='row corridors-deviation-scale'><span style='flex:none;width:34px;"
            f"height:10px;border-radius:2px;background:linear-gradient(to right,{ramp})'></span>"
            f"offset {deviation.vmin:,.2f} – {deviation.vmax:,.2f} km (deviation)</div>"
        )
    for d in deviations:  # which line is which: solid the line, dashed the reference
        for name, dash in ((d.names[0], None), (d.names[1], "6 5")):
            rows.append(f"<div class='row'>{_line_sample('#444444', dash, 0.8)}{_esc(name)}</div>")
    modes = {c.meta.get("mode") for c in corridor_list}
    for mode, label in (("rail", "railway"), ("road", "expressway / road")):
        if mode in modes:
            color = STYLE["colors"][mode][0]
            rows.append(f"<div class='row'>{_line_sample(color, None)}{label}</div>")
    statuses = {
        str(r.get("status") or c.meta.get("status"))
        for c in corridor_list
        for _, r in c.sections.iterrows()
    }
    for status in ("operational", "under-construction", "planned", "proposed"):
        if status in statuses:
            sample = _line_sample("#555", STYLE["dash"][status])
            rows.append(f"<div class='row'>{sample}{status.replace('-', ' ')}</div>")
    if any(
        (c.sections.get("role") == "alternative").any()
        for c in corridor_list
        if "role" in c.sections
    ):
        rows.append(
            f"<div class='row'>{_line_sample('#555', None, 0.45)}alternative alignment</div>"
        )
    # only the markers the map can show: a map of deviations alone has no station or crossing
    if any(len(c.stations) for c in corridor_list):
        rows.append(
            "<div class='row'><svg width='34' height='12'><circle cx='17' cy='6' r='4.5' "
            "fill='#fff' stroke='#555' stroke-width='2'/></svg>station</div>"
        )
    if any((c.stations["kind"] != "station").any() for c in corridor_list if len(c.stations)):
        rows.append(
            "<div class='row'><svg width='34' height='12'><circle cx='17' cy='6' r='4.5' "
            "fill='#555' stroke='#555' stroke-width='2'/></svg>freight station / junction</div>"
        )
    if route or (crossings and corridor_list):
        rows.append(
            "<div class='row'><svg width='34' height='14'><circle cx='17' cy='7' r='6' "
            "fill='#ffd400' stroke='#111' stroke-width='2'/></svg>border crossing (computed)</div>"
        )
    labels = {
        "corridors-dry-port": "dry port",
        "corridors-gate": "border gate",
        "corridors-seaport": "seaport",
    }
    for label, _gdf, css in points:
        rows.append(
            f"<div class='row'><span style='width:34px;display:flex;justify-content:center'>"
            f"<span class='{css}' style='display:block'><span></span></span></span>"
            f"{_esc(labels.get(css, label) if label in _DEFAULT_POINT_LAYERS else label)}</div>"
        )
    heading = f"<h4>{_esc(title)}</h4>" if title else "<h4>corridors</h4>"
    body = heading + "".join(rows)
    template = Template(
        "{% macro html(this, kwargs) %}<div class='corridors-legend'>"
        + body.replace("{", "&#123;")
        + "</div>{% endmacro %}"
    )
    legend = MacroElement()
    legend._template = template
    return legend


def _attribution() -> Any:
    """Add :data:`DATA_ATTRIBUTION` to the map's attribution control (shown even with no tiles)."""
    from branca.element import MacroElement, Template

    link = (
        f'<a href="{_esc(DATA_ATTRIBUTION_URL)}" target="_blank" rel="noopener">'
        f"{_esc(DATA_ATTRIBUTION)}</a>"
    )
    literal = json.dumps(link, ensure_ascii=False).replace("</", "<\\/")  # safe in a <script>
    element = MacroElement()
    element._template = Template(
        "{% macro script(this, kwargs) %}{{ this._parent.get_name() }}.attributionControl"
        f".addAttribution({literal});{{% endmacro %}}"
    )
    return element


def _inline_assets(m: folium.Map) -> None:
    """Replace every CDN link of the map and its plugins by the asset inline (folium-offline)."""
    import folium
    from offlinefolium.elements import _res as assets

    root = m.get_root()
    objects = [m, *(child for child in _walk(m) if hasattr(child, "default_js"))]
    missing = []
    for obj in objects:
        js = [(n, u) for n, u in obj.default_js if obj is not m or n in _MAP_JS]
        css = [(n, u) for n, u in obj.default_css if obj is not m or n in _MAP_CSS]
        for name, url in js:
            if url not in assets:
                missing.append(url)
                continue
            root.header.add_child(folium.Element(f"<script>{assets[url]}</script>"), name=name)
        for name, url in css:
            if url not in assets:
                missing.append(url)
                continue
            root.header.add_child(folium.Element(f"<style>{assets[url]}</style>"), name=name)
        obj.default_js = []
        obj.default_css = []
    if missing:
        raise DataFileError(f"no offline copy of {missing[0]} in folium-offline")


def _walk(element: Any) -> Iterable[Any]:
    for child in element._children.values():
        yield child
        yield from _walk(child)
