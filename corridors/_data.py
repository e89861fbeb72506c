"""Read, validate and cache the embedded geodata (and user files in the same schema).

The loader is the only module that touches files. It checks every corridor file against the
schema in ``geodata/README.md`` and raises :class:`corridors.SchemaError` naming the file, the
feature and the problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from corridors import settings
from corridors._coerce import WGS84, check_lonlat
from corridors.errors import CoordinateError, DataFileError, SchemaError, UnknownIdError

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
LAYERS = ("ports", "border_gates", "boundaries")


def data_root() -> Traversable:
    """The folder the geodata is read from: ``settings.data_dir``, else the embedded copy.

    In an installed wheel the data sits in ``corridors/geodata``; in a source checkout (an
    editable install) it is the repository's top-level ``geodata/``.
    """
    if settings.data_dir is not None:
        root = Path(settings.data_dir)
        if not root.is_dir():
            raise DataFileError(f"settings.data_dir {str(root)!r} is not a folder")
        return root
    packaged = resources.files("corridors") / "geodata"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "geodata"


def read_json(path: Traversable | Path | str) -> Any:
    """Parse a JSON file, turning every failure into a one-line :class:`DataFileError`."""
    path = Path(path) if isinstance(path, str) else path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise DataFileError(f"{path} is a folder, not a file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise DataFileError(f"cannot read {path}: {err}") from None
    if not text.strip():
        raise DataFileError(f"{path} is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise DataFileError(
            f"{path} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})"
        ) from None


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


def _feature_collection(doc: Any, source: str) -> list[Any]:
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


def validate_layer(doc: Any, source: str) -> gpd.GeoDataFrame:
    """Validate a shared layer (ports, border gates) and return it as a GeoDataFrame."""
    features = _feature_collection(doc, source)
    rows, geoms = zip(*(_check_feature(f, source, i) for i, f in enumerate(features)), strict=True)
    _unique([r["id"] for r in rows], source, "feature")
    return gpd.GeoDataFrame(list(rows), geometry=list(geoms), crs=WGS84)


def _unique(ids: list[str], source: str, what: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise SchemaError(f"{source}: duplicate {what} id {i!r}")
        seen.add(i)


def validate_corridor(doc: Any, source: str) -> dict[str, Any]:
    """Validate a corridor document; return ``{"meta", "features": GeoDataFrame}``.

    Raises
    ------
    SchemaError
        Naming the file, the feature and the broken rule.
    """
    features = _feature_collection(doc, source)
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
    ends = shapely.get_coordinates(
        shapely.get_point(np.asarray(main.geometry.array), [-1] * len(main))
    )
    starts = shapely.get_coordinates(
        shapely.get_point(np.asarray(main.geometry.array), [0] * len(main))
    )
    gaps = np.hypot(*(starts[1:] - ends[:-1]).T)
    if (gaps > 1e-6).any():
        sid = main["id"].iloc[int(np.argmax(gaps > 1e-6)) + 1]
        raise _fail(
            source, f"section {sid!r}", "does not start where the previous main section ends"
        )
    return {"meta": meta, "features": gdf}


def corridor_paths() -> dict[str, Traversable]:
    """Map each embedded corridor id to its file."""
    folder = data_root() / "corridors"
    if not folder.is_dir():
        raise DataFileError(f"no corridors folder in the geodata at {data_root()}")
    return {
        p.name.removesuffix(".geojson"): p
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".geojson")
    }


@cache
def _corridor_cached(root: str, corridor_id: str) -> dict[str, Any]:
    paths = corridor_paths()
    if corridor_id not in paths:
        raise UnknownIdError("corridor", corridor_id, paths)
    path = paths[corridor_id]
    parsed = validate_corridor(read_json(path), path.name)
    if parsed["meta"]["id"] != corridor_id:
        raise SchemaError(f"{path.name}: corridor id {parsed['meta']['id']!r} != file name")
    return parsed


def corridor_doc(corridor_id: str) -> dict[str, Any]:
    """The validated corridor ``{"meta", "features"}`` for an embedded id (cached; copies)."""
    parsed = _corridor_cached(str(data_root()), corridor_id)
    return {"meta": json.loads(json.dumps(parsed["meta"])), "features": parsed["features"].copy()}


@cache
def _layer_cached(root: str, name: str) -> gpd.GeoDataFrame:
    path = data_root() / f"{name}.geojson"
    doc = read_json(path)
    if name == "boundaries":
        features = _feature_collection(doc, path.name)
        gdf = gpd.GeoDataFrame.from_features(features, crs=WGS84)
        if "iso3" not in gdf.columns or not gdf.geometry.is_valid.all():
            raise SchemaError(f"{path.name}: boundaries need an iso3 column and valid polygons")
        return gdf
    return validate_layer(doc, path.name)


def layer(name: str) -> gpd.GeoDataFrame:
    """A shared layer (``ports``, ``border_gates`` or ``boundaries``) as a GeoDataFrame copy."""
    if name not in LAYERS:
        raise UnknownIdError("layer", name, LAYERS)
    return _layer_cached(str(data_root()), name).copy()
