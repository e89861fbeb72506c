"""The corridors geodata schema: validate parsed GeoJSON documents, never read a file.

The rules are those of ``geodata/README.md``. Every check raises :class:`corridors.SchemaError`
naming the file, the feature and the broken rule. :mod:`corridors._data` reads the files and
hands the parsed documents here; :meth:`corridors.Corridor.from_file` does the same for users'
files.

Main sections must join end to start within ``settings.join_tolerance_deg``, the tolerance the
``Corridor`` model uses to join them into one main line (:func:`join_gaps_deg`), so that a file
that validates always has a continuous main line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from corridors import settings
from corridors._coerce import WGS84, check_lonlat
from corridors.errors import CoordinateError, DataFileError, SchemaError

__all__ = [
    "ACCURACY",
    "CONFIDENCE",
    "KINDS",
    "MEASURES",
    "MODES",
    "POINT_KINDS",
    "ROLES",
    "STATUSES",
    "feature_collection",
    "join_gaps_deg",
    "validate_boundaries",
    "validate_corridor",
    "validate_layer",
]

KINDS = {
    "section",
    "station",
    "freight-station",
    "junction",
    "tunnel",
    "bridge",
    "dry-port",
    "seaport",
    "border-gate",
}
MODES = {"rail", "road", "port", "multimodal"}
STATUSES = {"operational", "under-construction", "planned", "proposed"}
ACCURACY = {"surveyed", "traced", "approximate", "schematic"}
CONFIDENCE = {"high", "medium", "low"}
MEASURES = {"length", "length_in_country", "distance", "chainage", "info"}
POINT_KINDS = {"station", "freight-station", "junction", "dry-port", "seaport", "border-gate"}
ROLES = {"main", "branch", "alternative"}
COMMON = (
    "id",
    "name",
    "names",
    "kind",
    "mode",
    "status",
    "opened",
    "target",
    "accuracy",
    "error_km",
    "sources",
    "figures",
    "confidence",
)
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def join_gaps_deg(lines: NDArray[np.object_]) -> NDArray[np.float64]:
    """Distance, in degrees, from the end of each line to the start of the next (n - 1 values).

    Consecutive main sections join where this is at most ``settings.join_tolerance_deg``.

    Examples
    --------
    >>> import numpy as np, shapely
    >>> a, b = shapely.LineString([(0, 0), (1, 0)]), shapely.LineString([(1, 0.5), (2, 0)])
    >>> join_gaps_deg(np.array([a, b])).tolist()
    [0.5]
    """
    lines = np.asarray(lines, dtype=object)
    if len(lines) < 2:
        return np.zeros(0)
    ends = shapely.get_coordinates(shapely.get_point(lines[:-1], -1))
    starts = shapely.get_coordinates(shapely.get_point(lines[1:], 0))
    return np.hypot(*(starts - ends).T)


def _fail(source: str, where: str, problem: str) -> SchemaError:
    return SchemaError(f"{source}: {where}: {problem}")


def _check_figures(figures: Any, source: str, where: str) -> None:
    if not isinstance(figures, list):
        raise _fail(source, where, "'figures' must be a list")
    for fig in figures:
        if not isinstance(fig, Mapping):
            raise _fail(source, where, "each figure must be an object")
        fid = fig.get("id", "?")
        for key in ("id", "value", "unit", "measure", "source"):
            if key not in fig:
                raise _fail(source, f"{where}, figure {fid!r}", f"missing {key!r}")
        if fig["measure"] not in MEASURES:
            raise _fail(source, f"{where}, figure {fid!r}", f"unknown measure {fig['measure']!r}")
        if fig["measure"] != "info" and not isinstance(fig["value"], int | float):
            raise _fail(source, f"{where}, figure {fid!r}", "value must be a number")
        needs = {
            "length_in_country": ("iso3",),
            "distance": ("from", "to"),
            "chainage": ("origin",),
        }
        for key in needs.get(fig["measure"], ()):
            if not fig.get(key):
                raise _fail(source, f"{where}, figure {fid!r}", f"{fig['measure']} needs {key!r}")
        if fig.get("confidence", "medium") not in CONFIDENCE:
            raise _fail(source, f"{where}, figure {fid!r}", "bad confidence")


def _check_properties(props: Mapping[str, Any], source: str, where: str) -> None:
    missing = [k for k in COMMON if k not in props]
    if missing:
        raise _fail(source, where, f"missing properties {', '.join(missing)}")
    if not isinstance(props["id"], str) or not ID_RE.match(props["id"]):
        raise _fail(source, where, f"id {props['id']!r} is not lower-case-with-hyphens")
    for key, allowed in (
        ("kind", KINDS),
        ("mode", MODES),
        ("status", STATUSES),
        ("accuracy", ACCURACY),
        ("confidence", CONFIDENCE),
    ):
        if props[key] not in allowed:
            raise _fail(source, where, f"{key} {props[key]!r} is not one of {sorted(allowed)}")
    err = props["error_km"]
    if not isinstance(err, int | float) or err < 0:
        raise _fail(source, where, "error_km must be a number >= 0")
    if not isinstance(props["sources"], list) or not props["sources"]:
        raise _fail(source, where, "sources must be a non-empty list of citations")
    if not isinstance(props["names"], Mapping):
        raise _fail(source, where, "names must be an object of language code -> name")
    _check_figures(props["figures"], source, where)


def _check_feature(feature: Any, source: str, i: int) -> tuple[dict[str, Any], shapely.Geometry]:
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise _fail(source, f"feature {i}", "not a GeoJSON Feature")
    props = feature.get("properties") or {}
    where = f"feature {props.get('id', i)!r}"
    _check_properties(props, source, where)
    try:
        geom = shapely.geometry.shape(feature["geometry"])
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException) as err:
        raise _fail(source, where, f"unreadable geometry ({err})") from None
    if geom.is_empty:
        raise _fail(source, where, "empty geometry")
    try:
        check_lonlat(shapely.get_coordinates(geom), what=where)
    except CoordinateError as err:
        raise _fail(source, where, str(err)) from None
    if not geom.is_valid:
        raise _fail(source, where, f"invalid geometry ({shapely.is_valid_reason(geom)})")
    kind = props["kind"]
    if kind == "section":
        if geom.geom_type != "LineString":
            raise _fail(source, where, "a section must be a LineString")
        if props.get("role") not in ROLES:
            raise _fail(source, where, f"role must be one of {sorted(ROLES)}")
        if props["role"] == "main" and not isinstance(props.get("order"), int):
            raise _fail(source, where, "a main section needs an integer order")
    elif kind in POINT_KINDS and geom.geom_type != "Point":
        raise _fail(source, where, f"a {kind} must be a Point")
    return dict(props), geom


def feature_collection(doc: Any, source: str) -> list[Any]:
    """The features of a lon/lat GeoJSON FeatureCollection; refuse anything else.

    Raises
    ------
    SchemaError
        For a document that is not a FeatureCollection, or one in another CRS.
    DataFileError
        For a FeatureCollection without features.
    """
    if not isinstance(doc, Mapping) or doc.get("type") != "FeatureCollection":
        raise SchemaError(f"{source}: not a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise DataFileError(f"{source}: the FeatureCollection has no features")
    crs = doc.get("crs")
    if crs is not None:
        name = str((crs.get("properties") or {}).get("name", ""))
        if not name.endswith(("CRS84", "4326")):
            raise SchemaError(f"{source}: GeoJSON must be lon/lat on WGS84, not {name!r}")
    return features


def _unique(ids: list[str], source: str, what: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise SchemaError(f"{source}: duplicate {what} id {i!r}")
        seen.add(i)


def validate_layer(doc: Any, source: str) -> gpd.GeoDataFrame:
    """Validate a shared layer (ports, border gates) and return it as a GeoDataFrame."""
    features = feature_collection(doc, source)
    rows, geoms = zip(*(_check_feature(f, source, i) for i, f in enumerate(features)), strict=True)
    _unique([r["id"] for r in rows], source, "feature")
    return gpd.GeoDataFrame(list(rows), geometry=list(geoms), crs=WGS84)


def validate_boundaries(doc: Any, source: str) -> gpd.GeoDataFrame:
    """Validate the country polygons (an ``iso3`` column, valid geometries) as a GeoDataFrame."""
    features = feature_collection(doc, source)
    gdf = gpd.GeoDataFrame.from_features(features, crs=WGS84)
    if "iso3" not in gdf.columns or not gdf.geometry.is_valid.all():
        raise SchemaError(f"{source}: boundaries need an iso3 column and valid polygons")
    return gdf


def validate_corridor(doc: Any, source: str) -> dict[str, Any]:
    """Validate a corridor document; return ``{"meta", "features": GeoDataFrame}``.

    Raises
    ------
    SchemaError
        Naming the file, the feature and the broken rule.
    """
    features = feature_collection(doc, source)
    meta = doc.get("corridor")
    if not isinstance(meta, Mapping):
        raise SchemaError(f"{source}: missing the top-level 'corridor' object")
    meta = dict(meta)
    _check_properties({**meta, "kind": "section"}, source, "corridor")
    rows, geoms = zip(*(_check_feature(f, source, i) for i, f in enumerate(features)), strict=True)
    _unique([r["id"] for r in rows], source, "feature")
    fig_ids = [f["id"] for f in meta["figures"]] + [f["id"] for r in rows for f in r["figures"]]
    _unique(fig_ids, source, "figure")
    known = set(fig_ids)
    ids = {r["id"] for r in rows}
    for rel in meta.get("relations", []):
        refs = [*rel.get("parts", []), rel.get("whole")]
        unknown = [r for r in refs if r not in known]
        if rel.get("kind") != "sum" or not rel.get("parts") or unknown:
            raise _fail(
                source, f"relation {rel.get('id')!r}", f"bad kind or unknown figures {unknown}"
            )
    for fig in [*meta["figures"], *(f for r in rows for f in r["figures"])]:
        for key in ("from", "to", "origin"):
            ref = fig.get(key)
            if ref and not str(ref).startswith("border:") and ref not in ids:
                raise _fail(source, f"figure {fig['id']!r}", f"{key} {ref!r} is not a feature id")
    gdf = gpd.GeoDataFrame(list(rows), geometry=list(geoms), crs=WGS84)
    main = gdf[(gdf["kind"] == "section") & (gdf.get("role") == "main")].sort_values("order")
    gaps = join_gaps_deg(np.asarray(main.geometry.array, dtype=object))
    tolerance = float(settings.join_tolerance_deg)
    if (gaps > tolerance).any():
        i = int(np.argmax(gaps > tolerance))
        raise _fail(
            source,
            f"section {main['id'].iloc[i + 1]!r}",
            f"does not start where the previous main section ends ({gaps[i]:.2g}° apart, more "
            f"than settings.join_tolerance_deg = {tolerance:g}°)",
        )
    return {"meta": meta, "features": gdf}
