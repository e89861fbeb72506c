"""Write features to GeoJSON, GeoPackage, GeoParquet or KML, chosen by the file extension.

The exporter is one of the layers users see: it imports the ``Corridor`` model and the
geodesy (for the lengths in KML descriptions), and nothing imports it but the package's
``__init__`` and the CLI. :func:`export` writes a corridor (or any GeoDataFrame) and is what
:meth:`corridors.Corridor.to_file` calls: the exporter registers it with the model on import
(:func:`corridors.corridor.set_file_writer`), so the model never imports the exporter.
:func:`write` is the GeoDataFrame writer underneath.

Formats
-------
``.geojson``, ``.json``
    GeoJSON (RFC 7946): longitude/latitude on WGS84, UTF-8, coordinates written with Python's
    shortest round-trip float form, so a read-back gives the very same doubles.
``.gpkg``
    GeoPackage, one layer named after the corridor (``name``, less any leading punctuation,
    which GDAL refuses), in the data's own CRS.
``.parquet``, ``.geoparquet``
    GeoParquet (``geopandas.to_parquet``, pyarrow), in the data's own CRS.
``.kml``
    KML 2.2 for Google Earth: a Document named after the corridor, one Folder per ``kind``, one
    Style per (mode, status) -- colour by mode, opacity by status (planned lines are fainter,
    KML has no dashes) -- and Placemarks with a name, an HTML description (status, length,
    published figures, sources) and every attribute as ``ExtendedData``.

Attributes
----------
Columns holding lists or dicts (``sources``, ``figures``, ``names``, ...) are written as JSON
text in every format, so that they round-trip: ``json.loads`` gives the list back. Missing
values stay missing (``null``). The same holds for the ``ExtendedData`` values in KML.

Round trips
-----------
A written corridor reads back as the same corridor with :meth:`corridors.Corridor.from_file`
(and every ``corridors`` command taking a FILE): its id (the ``corridor`` column), name,
sources, figures and other properties (``corridor_meta``), and each section's id, role and
order, in every format. KML keeps every value as text in ``ExtendedData``: the reader turns
numbers and JSON text back into their types, so only the typing of a text property that looks
like a number (``"2021"`` in a column other than the schema's text columns) and a property
named ``description`` (KML's own balloon) are lost.

Every file is written by the package's one writer (``corridors._output``): into a temporary
file next to the target, then moved into place with :func:`os.replace`, so a failure never
leaves a partial file and an existing file is replaced as a whole (a GeoPackage is overwritten,
not appended to) and keeps its mode. A FIFO or a device is written to in place, never
replaced; ``"-"`` is standard output (GeoJSON unless the path has an extension); a symbolic
link is followed.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors import _output
from corridors._coerce import WGS84, geometry_array
from corridors._text import slugify
from corridors.corridor import Corridor, set_file_writer
from corridors.errors import CRSError, DataFileError, GeometryError, UnknownIdError
from corridors.geodesy import lengths_km_array

__all__ = ["FORMATS", "KML_STYLE", "Written", "export", "format_of", "write"]

#: Format names by file extension (lower case).
FORMATS = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".parquet": "GeoParquet",
    ".geoparquet": "GeoParquet",
    ".kml": "KML",
}

#: KML look: colours ``#rrggbb`` by mode, opacity (0–1) by status, line width and icon by mode.
KML_STYLE: dict[str, Any] = {
    "colors": {"rail": "#b2182b", "road": "#2166ac", "other": "#4d4d4d"},
    "opacity": {
        "operational": 1.0,
        "under-construction": 0.8,
        "planned": 0.55,
        "proposed": 0.4,
        "other": 0.9,
    },
    "width": 4.0,
    "icons": {
        "rail": "http://maps.google.com/mapfiles/kml/shapes/rail.png",
        "road": "http://maps.google.com/mapfiles/kml/shapes/bus.png",
        "other": "http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png",
    },
}

KML_NS = "http://www.opengis.net/kml/2.2"

#: The corridor properties written as columns of their own (``corridor_name``, ...); the
#: others go, as one JSON object, to ``corridor_meta``.
META_COLUMNS = ("name", "sources", "figures")

#: The extension of the temporary file each format is written to.
_SUFFIXES = {"GeoJSON": ".geojson", "GeoPackage": ".gpkg", "GeoParquet": ".parquet", "KML": ".kml"}


class Written(NamedTuple):
    """What :func:`write` wrote: the file, the number of features and the format name."""

    path: Path
    features: int
    format: str


def format_of(path: str | Path) -> str:
    """The format name for a path's extension, e.g. ``"GeoPackage"`` for ``x.gpkg``.

    Raises
    ------
    UnknownIdError
        For an extension that is not one of :data:`FORMATS`, with the closest as suggestion.

    Examples
    --------
    >>> format_of("railway.GeoJSON")
    'GeoJSON'
    >>> format_of("railway.kmz")
    Traceback (most recent call last):
    ...
    corridors.errors.UnknownIdError: unknown format '.kmz'; did you mean '.kml'?
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UnknownIdError("format", suffix or f"{path.name} (no extension)", FORMATS)
    return FORMATS[suffix]


def _format_for(path: str | Path, where: _output.Target) -> str:
    """The format by the extension; GeoJSON for standard output or a stream without one."""
    if where.kind != "file" and not Path(path).suffix:
        return "GeoJSON"
    return format_of(path)


def write(
    gdf: gpd.GeoDataFrame,
    path: str | Path,
    *,
    name: str | None = None,
    style: Mapping[str, Any] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Written:
    """Write a GeoDataFrame to GeoJSON, GeoPackage, GeoParquet or KML, by the extension.

    Parameters
    ----------
    gdf
        The features, in any CRS (GeoJSON and KML are written in EPSG:4326).
    path
        The file to write: ``.geojson``/``.json``, ``.gpkg``, ``.parquet``/``.geoparquet`` or
        ``.kml``. An existing file is replaced atomically, keeping its mode; a FIFO or a device
        is written to in place; ``"-"`` is standard output (GeoJSON).
    name
        The layer name: the GeoPackage layer, the GeoJSON ``name`` member and the KML Document
        name (default: the file name without extension).
    style
        KML only: overrides of :data:`KML_STYLE` (``colors``, ``opacity``, ``width``,
        ``icons``); ignored by the other formats.
    meta
        Properties of the whole collection (a corridor's ``meta``): its ``name``, ``sources``
        and ``figures`` are added to every row as ``corridor_name``, ``corridor_sources`` and
        ``corridor_figures`` (JSON text), and shown in the KML Document description.

    Returns
    -------
    Written
        The path written, the number of features and the format name.

    Raises
    ------
    UnknownIdError
        For an unknown extension, with did-you-mean.
    DataFileError
        When the path is empty, the folder is missing, the path is a folder or the file cannot
        be written; nothing is left behind.
    GeometryError
        For an empty GeoDataFrame, or anything else than a GeoDataFrame.
    CRSError
        When the GeoDataFrame has no CRS.

    Examples
    --------
    >>> import corridors, tempfile
    >>> clr = corridors.load("china-laos-railway")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write(clr.to_geodataframe(), Path(folder) / "clr.gpkg", name=clr.name).format
    'GeoPackage'
    """
    where = _output.target(path)
    fmt = _format_for(path, where)
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise GeometryError(f"expected a GeoDataFrame to export, got {type(gdf).__name__}")
    if len(gdf) == 0:
        raise GeometryError("nothing to export: the GeoDataFrame has no rows")
    if gdf.crs is None:
        raise CRSError("the GeoDataFrame to export has no CRS; set one with .set_crs(...)")
    written = Path(path) if where.kind == "stdout" else Path(path).expanduser().absolute()
    layer = name or ("corridor" if where.kind == "stdout" else written.stem)
    table = _attributes(gdf, meta)
    suffix = _SUFFIXES[fmt]
    with _output.staged(where, suffix=suffix) as tmp:
        if fmt == "GeoJSON":
            _write_geojson(table, tmp, layer)
        elif fmt == "GeoPackage":
            _write_gpkg(table, tmp, layer)
        elif fmt == "GeoParquet":
            table.to_parquet(tmp, index=False)
        else:
            _write_kml(table, tmp, layer, {**KML_STYLE, **(style or {})}, meta or {})
    return Written(written, len(table), fmt)


def export(
    corridor: Corridor | gpd.GeoDataFrame,
    path: str | Path,
    *,
    style: Mapping[str, Any] | None = None,
) -> Written:
    """Write a corridor to GeoJSON, GeoPackage, GeoParquet or KML, chosen by the extension.

    Every feature is written, with its figures and sources; the corridor's own name, sources
    and figures are added to every row as ``corridor_name``, ``corridor_sources`` and
    ``corridor_figures``, and its other properties (status, accuracy, relations, ...) as one
    JSON object in ``corridor_meta``, so that :meth:`corridors.Corridor.from_file` reads the
    file back as the same corridor. Lists and dicts are written as JSON text (``json.loads``
    them back). The file is written atomically: a failure leaves no partial file and keeps an
    old one.

    Parameters
    ----------
    corridor
        A ``Corridor`` (its layer is named after it), or any GeoDataFrame with a CRS (its layer
        is named after the file).
    path
        ``.geojson``/``.json``, ``.gpkg``, ``.parquet``/``.geoparquet`` or ``.kml``; an existing
        file is replaced.
    style
        KML only: overrides of :data:`KML_STYLE`.

    Returns
    -------
    Written
        ``(path, features, format)``.

    Raises
    ------
    UnknownIdError
        For an unknown extension, with did-you-mean.
    DataFileError
        For a missing folder or a file that cannot be written.

    Examples
    --------
    >>> import corridors, tempfile
    >>> clr = corridors.load("china-laos-railway")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     corridors.export(clr, Path(folder) / "clr.kml").format
    'KML'
    """
    if isinstance(corridor, Corridor):
        return write(
            corridor.to_geodataframe(), path, name=corridor.name, style=style, meta=corridor.meta
        )
    return write(corridor, path, style=style)


set_file_writer(export)


# -- attributes ------------------------------------------------------------------------------------
def _attributes(gdf: gpd.GeoDataFrame, meta: Mapping[str, Any] | None) -> gpd.GeoDataFrame:
    """A copy with list/dict columns as JSON text and the collection's meta on every row."""
    out = gdf.copy()
    geom = out.geometry.name
    if geom != "geometry" and "geometry" not in out.columns:
        out = out.rename_geometry("geometry")
        geom = "geometry"
    out = out.reset_index(drop=True)
    for column in out.columns:
        if column == geom or out[column].dtype != object:
            continue
        values = out[column]
        if any(isinstance(v, list | tuple | dict | np.ndarray) for v in values):
            out[column] = [None if _missing(v) else _json(v) for v in values]
        elif len({_kind(v) for v in values if not _missing(v)}) > 1:
            # mixed text, numbers and others: text throughout (GeoPackage, Parquet need one type)
            out[column] = [None if _missing(v) else _as_text(_plain(v)) for v in values]
    if meta:
        for key in ("name", "sources", "figures"):
            if key in meta and f"corridor_{key}" not in out.columns:
                value = meta[key]
                out[f"corridor_{key}"] = value if isinstance(value, str) else _json(value)
        if "corridor_meta" not in out.columns:
            # the rest of the corridor's own properties (status, accuracy, relations, ...), so
            # that `Corridor.from_file` reads back the very corridor that was written
            rest = {k: v for k, v in meta.items() if k not in META_COLUMNS}
            out["corridor_meta"] = _json(rest)
        out = out[[c for c in out.columns if c != geom] + [geom]]
    return out


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, int | float | np.number | np.bool_):
        return "number"
    return type(value).__name__


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _plain(value: Any) -> Any:
    """``value`` with NumPy scalars, NaN, tuples and dates made JSON-friendly, recursively."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if _missing(value):
        return None
    if isinstance(value, _dt.date | _dt.datetime | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _json(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, allow_nan=False)


# -- GeoJSON and GeoPackage ------------------------------------------------------------------------
def _write_geojson(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    gdf = gdf.to_crs(WGS84)
    geoms = geometry_array(gdf.geometry)
    props = gdf.drop(columns=gdf.geometry.name)
    features = [
        {
            "type": "Feature",
            "properties": {k: _plain(v) for k, v in row.items()},
            "geometry": None if _missing(g) else shapely.geometry.mapping(g),
        }
        for row, g in zip(props.to_dict("records"), geoms, strict=True)
    ]
    doc = {"type": "FeatureCollection", "name": layer, "features": features}
    text = json.dumps(doc, ensure_ascii=False, allow_nan=False, default=_plain)
    path.write_text(text + "\n", encoding="utf-8")


def _write_gpkg(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    import pyogrio

    # GDAL wants a layer name to start with a letter, digit or underscore
    start = next((i for i, c in enumerate(layer) if c.isalnum() or c == "_"), len(layer))
    layer = layer[start:].strip() or "layer"
    if layer.lower().startswith(("gpkg", "sqlite", "rtree")):
        layer = f"layer_{layer}"  # names the GeoPackage and SQLite reserve
    try:
        gdf.to_file(path, driver="GPKG", layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
        raise DataFileError(f"cannot write layer {layer!r}: {str(err).splitlines()[0]}") from None


# -- KML -------------------------------------------------------------------------------------------
def _kml_color(hex_rgb: str, opacity: float) -> str:
    """``#rrggbb`` and an opacity as KML's ``aabbggrr``."""
    rgb = hex_rgb.lstrip("#")
    if len(rgb) != 6:
        raise GeometryError(f"a KML colour must be #rrggbb, got {hex_rgb!r}")
    alpha = round(max(0.0, min(1.0, float(opacity))) * 255)
    return f"{alpha:02x}{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}".lower()


def _as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _coords(coords: np.ndarray) -> str:
    return " ".join(f"{x!r},{y!r}" for x, y in coords[:, :2].tolist())


def _kml_geometry(parent: ET.Element, geom: Any) -> None:
    sub = ET.SubElement
    kind = geom.geom_type
    if kind == "Point":
        sub(sub(parent, "Point"), "coordinates").text = _coords(shapely.get_coordinates(geom))
    elif kind == "LineString":
        line = sub(parent, "LineString")
        sub(line, "tessellate").text = "1"
        sub(line, "coordinates").text = _coords(shapely.get_coordinates(geom))
    elif kind == "Polygon":
        poly = sub(parent, "Polygon")
        sub(poly, "tessellate").text = "1"
        for tag, rings in (
            ("outerBoundaryIs", [geom.exterior]),
            ("innerBoundaryIs", geom.interiors),
        ):
            for ring in rings:
                coords = shapely.get_coordinates(ring)
                sub(sub(sub(poly, tag), "LinearRing"), "coordinates").text = _coords(coords)
    elif kind.startswith("Multi") or kind == "GeometryCollection":
        multi = sub(parent, "MultiGeometry")
        for part in geom.geoms:
            _kml_geometry(multi, part)
    else:  # pragma: no cover - shapely has no other types
        raise GeometryError(f"cannot write a {kind} to KML")


def _style_id(mode: Any, status: Any) -> str:
    return "-".join(_style_key(v) for v in (mode, status))


def _style_key(value: Any) -> str:
    """A mode or status as a KML style key: its slug, ``"other"`` when missing."""
    return ("" if _missing(value) else slugify(_as_text(value))) or "other"


def _description(row: Mapping[str, Any], km: float | None) -> str:
    """HTML for Google Earth's balloon; every value escaped (ElementTree escapes it again)."""
    esc = html.escape
    parts = []
    for key in ("kind", "mode", "status", "accuracy"):
        if not _missing(row.get(key)):
            parts.append(f"{key}: {esc(_as_text(row[key]))}")
    if km is not None:
        parts.append(f"length: {km:,.1f} km (geodesic, WGS84)")
    text = "<br>".join(parts)
    figures = _loads(row.get("figures"))
    if figures:
        items = "".join(
            f"<li>{esc(_as_text(f.get('value')))} {esc(_as_text(f.get('unit') or ''))} "
            f"{esc(_as_text(f.get('measure') or ''))}: {esc(_as_text(f.get('description') or ''))} "
            f"({esc(_as_text(f.get('source') or ''))})</li>"
            for f in figures
            if isinstance(f, Mapping)
        )
        text += f"<p>published figures:</p><ul>{items}</ul>"
    sources = _loads(row.get("sources"))
    if sources:
        items = "".join(f"<li>{esc(_as_text(s))}</li>" for s in sources)
        text += f"<p>sources:</p><ul>{items}</ul>"
    return text


def _loads(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return None


def _write_kml(
    gdf: gpd.GeoDataFrame, path: Path, layer: str, style: Mapping[str, Any], meta: Mapping
) -> None:
    gdf = gdf.to_crs(WGS84)
    geoms = geometry_array(gdf.geometry)
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    km = np.full(len(gdf), np.nan)
    if valid.any():
        km[valid] = lengths_km_array(geoms[valid])
    props = gdf.drop(columns=gdf.geometry.name)
    sub = ET.SubElement
    root = ET.Element("kml", xmlns=KML_NS)
    doc = sub(root, "Document")
    sub(doc, "name").text = layer
    sub(doc, "open").text = "1"
    if meta:
        sub(doc, "description").text = _description(
            {
                "status": meta.get("status"),
                **{k: _json(meta.get(k)) for k in ("figures", "sources")},
            },
            None,
        )
    colors, opacity, icons = style["colors"], style["opacity"], style["icons"]
    modes = props["mode"] if "mode" in props.columns else pd.Series([None] * len(props))
    status = props["status"] if "status" in props.columns else pd.Series([None] * len(props))
    for m, s in dict.fromkeys(zip(modes, status, strict=True)):
        mode_key = _style_key(m) if _style_key(m) in colors else "other"
        status_key = _style_key(s) if _style_key(s) in opacity else "other"
        color = _kml_color(colors[mode_key], opacity[status_key])
        st = sub(doc, "Style", id=_style_id(m, s))
        icon = sub(st, "IconStyle")
        sub(icon, "color").text = color
        sub(icon, "scale").text = "1.0"
        sub(sub(icon, "Icon"), "href").text = icons.get(mode_key, icons["other"])
        sub(sub(st, "LabelStyle"), "scale").text = "0.8"
        line = sub(st, "LineStyle")
        sub(line, "color").text = color
        sub(line, "width").text = _as_text(float(style["width"]))
        poly = sub(st, "PolyStyle")
        sub(poly, "color").text = _kml_color(colors[mode_key], 0.3)
    kinds = props["kind"] if "kind" in props.columns else pd.Series(["features"] * len(props))
    folders: dict[str, ET.Element] = {}
    for i, row in enumerate(props.to_dict("records")):
        kind = "features" if _missing(kinds.iloc[i]) else str(kinds.iloc[i])
        if kind not in folders:
            folders[kind] = sub(doc, "Folder")
            sub(folders[kind], "name").text = kind
        mark = sub(folders[kind], "Placemark")
        label = row.get("name")
        sub(mark, "name").text = _as_text(row.get("id", i + 1) if _missing(label) else label)
        line_km = float(km[i]) if np.isfinite(km[i]) and km[i] > 0 else None
        sub(mark, "description").text = _description(row, line_km)
        sub(mark, "styleUrl").text = f"#{_style_id(modes.iloc[i], status.iloc[i])}"
        data = sub(mark, "ExtendedData")
        for key, value in row.items():
            plain = _plain(value)
            if plain is None:
                continue
            item = sub(data, "Data", name=str(key))
            sub(item, "value").text = _as_text(plain)
        if valid[i]:
            _kml_geometry(mark, geoms[i])
    ET.indent(root, space=" ")
    tree = ET.ElementTree(root)
    tree.write(path, encoding="UTF-8", xml_declaration=True)
