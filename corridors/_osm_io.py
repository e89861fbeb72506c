"""Reading local OpenStreetMap files for :mod:`corridors.osm`: OSM XML, OSM PBF and HOT GeoJSON.

* **OSM XML** (``.osm``, ``.osm.bz2``, ``.osm.gz``) and **OSM PBF** (``.osm.pbf``) are read by
  pyosmium (libosmium) in one streaming pass: :class:`osmium.FileProcessor` with its node location
  cache (``with_locations()``) gives ways their coordinates, and libosmium's own filters
  (:class:`osmium.filter.KeyFilter`, :class:`osmium.filter.TagFilter`) drop every node that is not
  a station and every way without a wanted key before any Python object is made, so a country
  extract costs about what libosmium needs to decode it. Way geometries come from
  :class:`osmium.geom.WKBFactory` and are parsed by shapely in one vectorised call.
* **HOT GeoJSON** (the Humanitarian OpenStreetMap Team's exports on HDX, e.g.
  ``hotosm_lao_railways_lines_geojson.geojson``): a FeatureCollection of LineStrings (and the odd
  MultiLineString, for a relation) whose properties are OSM tags, JSON ``null`` for an absent tag,
  plus ``osm_id`` and ``osm_type``. It is read with :mod:`json`; a MultiLineString becomes one way
  per part, with the same ``osm_id``.

The format is told by the file's first bytes (bzip2, gzip, PBF's ``OSMHeader`` block, ``<`` or
``{``), so a file whose extension lies is still read, and a web page saved as ``laos.osm.pbf`` is
reported as what it is. Every failure is a :class:`~corridors.errors.DataFileError` whose one-line
message names the file and what is wrong with it.

Everything here is private: :func:`corridors.osm.corridor_from_osm` and
:func:`corridors.osm.read_ways` are the public way in.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from corridors.errors import DataFileError

__all__: list[str] = []


# -- what is read --------------------------------------------------------------------------------
@dataclass
class _Way:
    osm_id: int
    tags: dict[str, str]
    line: shapely.LineString


@dataclass
class _Node:
    osm_id: int
    tags: dict[str, str]
    lon: float
    lat: float


@dataclass
class _OsmData:
    ways: list[_Way] = field(default_factory=list)  # ways that passed the tag filter
    stations: list[_Node] = field(default_factory=list)
    # way id -> tags of the route relations it belongs to (files only)
    relation_names: dict[int, list[dict[str, str]]] = field(default_factory=dict)
    values: dict[str, Counter[str]] = field(
        default_factory=lambda: {"railway": Counter(), "highway": Counter()}
    )
    incomplete: list[int] = field(default_factory=list)  # ways with nodes missing from the file


#: File name endings read, by the kind of file they name.
SUFFIXES: dict[str, tuple[str, ...]] = {
    "OSM XML": (".osm", ".xml", ".osm.bz2", ".osm.gz", ".xml.bz2", ".xml.gz"),
    "OSM PBF": (".osm.pbf", ".pbf"),
    "HOT GeoJSON": (".geojson", ".json"),
}
_ALL_SUFFIXES = tuple(s for group in SUFFIXES.values() for s in group)
#: Properties of a HOT export that are not OSM tags.
_HOT_META = ("osm_id", "osm_type")
#: Expat's reasons for a document that stops too early.
_XML_TRUNCATED = {
    "no element found", "unclosed token", "unclosed CDATA section", "partial character",
}  # fmt: skip
#: libbzip2's error codes, as libosmium reports them: what the data is, and why.
_BZ2_ERRORS = {
    "-7": ("truncated", "unexpected end of file"),
    "-5": ("corrupt", "bad magic number"),
    "-4": ("corrupt", "data error"),
}
#: What is left at the end of a JSON text cut inside a number or a literal.
_PARTIAL_JSON_VALUE = re.compile(
    r"-?\d*(\.\d*)?([eE][+-]?\d*)?|n(u(ll?)?)?|t(r(ue?)?)?|f(a(l(se?)?)?)?"
)

Match = Callable[[Mapping[str, str]], bool]


# -- the entry point -----------------------------------------------------------------------------
def read(
    path: Path,
    *,
    keys: Iterable[str],
    match: Match,
    stations: Mapping[str, Sequence[str]],
    relations: bool = False,
    count: Sequence[str] = (),
) -> _OsmData:
    """Read the ways, station nodes and (optionally) route relations of a local OSM file.

    Parameters
    ----------
    path
        An OSM XML (``.osm``, ``.osm.bz2``, ``.osm.gz``), OSM PBF (``.osm.pbf``) or HOT GeoJSON
        (``.geojson``, ``.json``) file.
    keys
        Only ways with one of these tag keys can match (libosmium drops the others unread).
    match
        The predicate on a way's tags that decides whether it is kept.
    stations
        ``{key: [values]}``: nodes (or HOT points) with one of these tags are stations.
    relations
        Also read route relations: ``relation_names`` maps each kept way to their tags.
    count
        Tag keys whose values are counted over every way that has them (``values``), for error
        messages that say what the file does contain.

    Returns
    -------
    _OsmData
        Kept ways in the order of the file, stations, relation tags, value counts and the ids of
        the kept ways that have nodes missing from the file (``incomplete``).

    Raises
    ------
    DataFileError
        A missing file, a folder, an unsupported extension, an empty, corrupt or truncated file,
        or a GeoJSON that is not a HOT export.
    """
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"no such file: {path}")
    if path.is_dir():
        raise DataFileError(f"{path} is a folder, not an OSM file")
    if not path.name.lower().endswith(_ALL_SUFFIXES):
        listed = "; ".join(f"{', '.join(s)} ({what})" for what, s in SUFFIXES.items())
        raise DataFileError(f"{path}: unsupported file type; expected {listed}")
    fmt = _sniff(path)
    count = tuple(count)
    if fmt == "geojson":
        return _read_hot(path, match=match, stations=stations, count=count)
    return _read_osmium(
        path, fmt, keys=keys, match=match, stations=stations, relations=relations, count=count
    )


def _sniff(path: Path) -> str:
    """The file's format from its first bytes: an osmium format string, or ``"geojson"``."""
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
    except OSError as err:
        raise DataFileError(f"cannot read {path}: {err.strerror or err}") from None
    if not head:
        raise DataFileError(f"{path} is empty")
    if head.startswith(b"BZh"):
        return "osm.bz2"
    if head.startswith(b"\x1f\x8b"):
        return "osm.gz"
    if head[4:15] == b"\n\tOSMHeader":  # the first BlobHeader of every PBF file
        return "pbf"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<"):
        return "osm"
    if text.startswith((b"{", b"[")):
        return "geojson"
    expected = next(what for what, s in SUFFIXES.items() if path.name.lower().endswith(s))
    raise DataFileError(
        f"{path}: not an OSM XML, OSM PBF or GeoJSON file (expected {expected}; "
        f"it starts with {head[:16]!r})"
    )


# -- OSM XML and PBF, through pyosmium -----------------------------------------------------------
def _read_osmium(
    path: Path,
    fmt: str,
    *,
    keys: Iterable[str],
    match: Match,
    stations: Mapping[str, Sequence[str]],
    relations: bool,
    count: tuple[str, ...],
) -> _OsmData:
    import osmium
    from osmium.osm import NODE, NOTHING, RELATION, WAY

    data = _OsmData()
    for key in count:
        data.values.setdefault(key, Counter())

    # libosmium's filters run before any Python object exists, after the location cache has
    # seen every node: only station nodes, ways with a wanted key and route relations come out
    station_filter = osmium.filter.TagFilter(*((k, v) for k, vs in stations.items() for v in vs))
    station_filter.enable_for(NODE)
    way_filter = osmium.filter.KeyFilter(*sorted({*keys, *count}))
    way_filter.enable_for(WAY)
    processor = osmium.FileProcessor(
        osmium.io.File(str(path), fmt), NODE | WAY | (RELATION if relations else NOTHING)
    )
    processor.with_locations().with_filter(station_filter).with_filter(way_filter)
    if relations:
        route_filter = osmium.filter.TagFilter(("type", "route"))
        route_filter.enable_for(RELATION)
        processor.with_filter(route_filter)

    wkb = osmium.geom.WKBFactory()
    all_nodes = osmium.geom.ALL  # keep repeated vertices, as mapped
    kept: list[tuple[int, dict[str, str]]] = []
    geoms: list[str | shapely.LineString | None] = []
    routes: list[tuple[dict[str, str], list[int]]] = []
    try:
        for obj in processor:
            if not obj.visible:  # deleted in a history or change file
                continue
            if obj.is_way():
                tags = dict(obj.tags)
                for key in count:
                    if key in tags:
                        data.values[key][tags[key]] += 1
                if not match(tags):
                    continue
                try:
                    geom: str | shapely.LineString | None = wkb.create_linestring(
                        obj, use_nodes=all_nodes
                    )
                except osmium.InvalidLocationError:  # nodes missing from the file
                    data.incomplete.append(obj.id)
                    xy = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
                    geom = shapely.LineString(xy) if len(set(xy)) >= 2 else None
                except RuntimeError:  # fewer than two nodes
                    geom = None
                if geom is not None:
                    kept.append((obj.id, tags))
                    geoms.append(geom)
            elif obj.is_node():
                loc = obj.location
                if loc.valid():
                    data.stations.append(_Node(obj.id, dict(obj.tags), loc.lon, loc.lat))
            elif obj.is_relation():
                members = [m.ref for m in obj.members if m.type == "w"]
                if members:
                    routes.append((dict(obj.tags), members))
    except RuntimeError as err:
        raise _osmium_error(path, fmt, err) from None
    except UnicodeDecodeError:
        raise DataFileError(f"{path}: corrupt {_label(fmt)}: a tag is not valid UTF-8") from None

    lines = np.empty(len(geoms), dtype=object)
    lines[:] = geoms
    hexed = np.fromiter((isinstance(g, str) for g in geoms), dtype=bool, count=len(geoms))
    if hexed.any():  # GEOS parses bytes several times faster than hex text
        lines[hexed] = shapely.from_wkb([bytes.fromhex(h) for h in lines[hexed]])
    # a way whose nodes all share one location has no line
    real = shapely.length(lines) > 0 if len(lines) else np.zeros(0, dtype=bool)
    data.ways = [
        _Way(osm_id, tags, line)
        for (osm_id, tags), line, ok in zip(kept, lines, real, strict=True)
        if ok
    ]
    if routes:
        way_ids = {w.osm_id for w in data.ways}
        for tags, members in routes:
            for m in dict.fromkeys(members):
                if m in way_ids:
                    data.relation_names.setdefault(m, []).append(tags)
    return data


def _label(fmt: str) -> str:
    return "OSM PBF" if fmt == "pbf" else "OSM XML"


def _osmium_error(path: Path, fmt: str, err: Exception) -> DataFileError:
    """The exception of libosmium as one line that names the file and what is wrong with it."""
    msg = str(err).strip() or type(err).__name__
    if m := re.match(r"XML parsing error at line (\d+), column (\d+): (.*)", msg):
        line, column, reason = m.groups()
        if reason in _XML_TRUNCATED:
            return DataFileError(
                f"{path}: truncated OSM XML: it ends at line {line}, column {column} ({reason})"
            )
        return DataFileError(f"{path}: corrupt OSM XML at line {line}, column {column}: {reason}")
    if m := re.match(r"Unknown top-level element: (.*)", msg):
        return DataFileError(f"{path}: not OSM XML: the root element is <{m[1]}>, not <osm>")
    if msg.startswith("bzip2 error"):
        code = msg.rsplit(":", 1)[-1].strip()
        what, why = _BZ2_ERRORS.get(code, ("corrupt", msg.removeprefix("bzip2 error: ")))
        return DataFileError(f"{path}: {what} bzip2 data (libbzip2 error {code}: {why})")
    if msg.startswith("gzip error"):
        # zlib's gzclose_r fails when the last read ended inside the gzip stream
        what = "truncated" if "close failed" in msg else "corrupt"
        return DataFileError(f"{path}: {what} gzip data ({msg})")
    if fmt == "pbf" and ("EOF" in msg or "truncated" in msg):
        return DataFileError(f"{path}: truncated OSM PBF ({msg})")
    return DataFileError(f"{path}: corrupt {_label(fmt)}: {msg}")


# -- HOT GeoJSON exports -------------------------------------------------------------------------
def _read_hot(
    path: Path,
    *,
    match: Match,
    stations: Mapping[str, Sequence[str]],
    count: tuple[str, ...],
) -> _OsmData:
    """A HOT/HDX GeoJSON export: LineString (and MultiLineString) features tagged as in OSM."""
    doc = _load_json(path)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        what = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise DataFileError(
            f"{path}: not a HOT GeoJSON export: expected a FeatureCollection, got {what!r}"
        )
    crs = doc.get("crs")
    if isinstance(crs, dict):
        crs_name = str((crs.get("properties") or {}).get("name", ""))
        if crs_name and not re.search(r"CRS84|4326", crs_name):
            raise DataFileError(f"{path}: the GeoJSON is in {crs_name}, not lon/lat (EPSG:4326)")
    features = doc.get("features")
    if not isinstance(features, list):
        raise DataFileError(f"{path}: not a HOT GeoJSON export: it has no list of features")

    data = _OsmData()
    for key in count:
        data.values.setdefault(key, Counter())
    kept: list[tuple[int, dict[str, str]]] = []
    parts: list[np.ndarray] = []
    where: list[tuple[int, int]] = []  # (feature number, osm_id) of each part
    for i, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict) or "osm_id" not in props:
            raise DataFileError(
                f"{path}: not a HOT GeoJSON export: feature {i} has no osm_id property"
            )
        osm_id = _hot_id(props["osm_id"], path, i)
        tags = {k: _tag_value(v) for k, v in props.items() if v is not None and k not in _HOT_META}
        geometry = feature.get("geometry")
        if geometry is None:
            continue
        gtype = geometry.get("type") if isinstance(geometry, dict) else None
        coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if gtype == "Point":
            if any(tags.get(k) in vs for k, vs in stations.items()):
                xy = _coordinates([coords], path, i, osm_id)
                _check_range(xy, path, [(i, osm_id)], np.zeros(1, dtype=np.intp))
                data.stations.append(_Node(osm_id, tags, float(xy[0, 0]), float(xy[0, 1])))
            continue
        if gtype == "LineString":
            lines = [coords]
        elif gtype == "MultiLineString" and isinstance(coords, list):
            lines = coords
        else:  # polygons and collections: not a line of a corridor
            continue
        for key in count:
            if key in tags:
                data.values[key][tags[key]] += 1
        if not match(tags):
            continue
        for line in lines:
            xy = _coordinates(line, path, i, osm_id)
            if len(xy) >= 2:
                kept.append((osm_id, tags if len(lines) == 1 else dict(tags)))
                where.append((i, osm_id))
                parts.append(xy)
    if parts:
        owner = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
        xy = np.concatenate(parts)
        _check_range(xy, path, where, owner)
        geoms = shapely.linestrings(xy, indices=owner)
        real = shapely.length(geoms) > 0  # all vertices on one point: no line
        data.ways = [
            _Way(osm_id, tags, g)
            for (osm_id, tags), g, ok in zip(kept, geoms, real, strict=True)
            if ok
        ]
    return data


def _load_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DataFileError(f"cannot read {path}: {err.strerror or err}") from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as err:
        at = f"line {err.lineno}, column {err.colno}"
        rest = err.doc[err.pos :].strip()
        if err.msg.startswith("Unterminated string"):  # no closing quote before the end
            raise DataFileError(
                f"{path}: truncated GeoJSON: it ends inside the string that starts at {at}"
            ) from None
        if _PARTIAL_JSON_VALUE.fullmatch(rest):  # nothing, or the start of a number or literal
            raise DataFileError(f"{path}: truncated GeoJSON: it ends at {at} ({err.msg})") from None
        raise DataFileError(f"{path}: corrupt GeoJSON at {at}: {err.msg}") from None
    except UnicodeDecodeError as err:
        if err.reason == "unexpected end of data":  # cut inside a multi-byte character
            raise DataFileError(
                f"{path}: truncated GeoJSON: it ends inside a UTF-8 character"
            ) from None
        raise DataFileError(f"{path}: corrupt GeoJSON: not UTF-8 text ({err.reason})") from None
    except RecursionError:
        raise DataFileError(f"{path}: corrupt GeoJSON: nested too deeply") from None


def _hot_id(value: Any, path: Path, i: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DataFileError(f"{path}: feature {i} has an invalid osm_id {value!r}")
    try:
        osm_id = int(value)
    except ValueError:
        raise DataFileError(f"{path}: feature {i} has an invalid osm_id {value!r}") from None
    if osm_id != value and str(osm_id) != str(value).strip():
        raise DataFileError(f"{path}: feature {i} has an invalid osm_id {value!r}")
    return osm_id


def _tag_value(value: Any) -> str:
    """A property as OSM would have tagged it: text, ``yes``/``no``, numbers as written."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _coordinates(coords: Any, path: Path, i: int, osm_id: int) -> np.ndarray:
    """``(n, 2)`` lon/lat of a GeoJSON list of positions."""
    try:
        xy = np.asarray(coords, dtype=np.float64)
    except (TypeError, ValueError):
        xy = np.empty((0, 0))
    if xy.ndim == 1 and xy.size == 0:  # an empty line
        return np.empty((0, 2))
    if xy.ndim != 2 or xy.shape[1] < 2:
        raise DataFileError(f"{path}: feature {i} (osm_id {osm_id}) has malformed coordinates")
    return xy[:, :2]


def _check_range(
    xy: np.ndarray, path: Path, where: Sequence[tuple[int, int]], owner: np.ndarray
) -> None:
    """Refuse positions that are not finite lon/lat, naming the first feature that has one."""
    ok = np.isfinite(xy).all(axis=1) & (np.abs(xy[:, 0]) <= 180) & (np.abs(xy[:, 1]) <= 90)
    if not ok.all():
        k = int(np.flatnonzero(~ok)[0])
        i, osm_id = where[int(owner[k])]
        lon, lat = xy[k]
        raise DataFileError(
            f"{path}: feature {i} (osm_id {osm_id}) has a position ({lon:g}, {lat:g}) outside "
            "lon/lat range; HOT exports are in EPSG:4326"
        )
