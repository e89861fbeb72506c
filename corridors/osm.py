"""Corridors from OpenStreetMap: read a railway or road from a local OSM file or from Overpass.

:func:`corridor_from_osm` turns the ways of one line into a :class:`~corridors.Corridor`:

* **Offline**, from a local file: OSM XML (``.osm``, ``.osm.bz2``, ``.osm.gz``, e.g. an extract
  saved from JOSM or the OSM website's *Export*), OSM PBF (``.osm.pbf``, e.g. a Geofabrik country
  extract or the output of ``osmium extract``), or a Humanitarian OpenStreetMap Team GeoJSON export
  from HDX (``hotosm_lao_railways_lines_geojson.geojson``). OSM XML and PBF are streamed once by
  pyosmium (libosmium), with its node location cache and filters, so that only the wanted ways and
  the station nodes ever become Python objects; every tag is kept (OSMnx's graph readers drop rail
  tags unless configured).
* **Online**, through OSMnx's Overpass machinery and its response cache
  (:func:`osmnx.features_from_bbox` / :func:`osmnx.features_from_place`). Nothing here touches
  the network unless ``source`` is a place or line name or a bounding box.

Ways are kept by a tag filter (``kind="railway"``: main-line rail, light rail and narrow gauge
without sidings, yards, spurs and crossovers; ``kind="road"``: motorways, trunk, primary and
secondary roads; or an OSMnx-style ``tags`` dict), optionally by name, merged into as few
continuous sections as possible and ordered along the route. Stations within 1 km of the line
come along; bridges and tunnels become the corridor's ``structures``; the ways themselves, with
all their tags, are kept as ``corridor.osm_ways``.

:func:`read_ways` gives the raw material instead: every matching way of a local file (by default
every way with a ``railway`` tag, sidings and yards included) and every station node, as
GeoDataFrames in the file's order, e.g. to chain a railway out of a country extract.

:func:`chain_ways` joins such ways into one line through fixed anchors by a shortest path over
the way graph and reports every gap it bridges; :func:`simplify_line` simplifies it in metres in a
local equidistant projection; :func:`station_yards` finds the station yards beside it. These are
what ``geodata/tools/build_railways.py`` rebuilds the embedded railways with.

``corridors.osm.attach_road_graph`` still works: it is :func:`corridors.network.attach_road_graph`
(which joins the corridors network to an OSMnx road graph at the dry ports), re-exported here for
compatibility and imported from :mod:`corridors.network` only when first used.

This module is the public face and the reading: local files through :mod:`corridors._osm_io`,
Overpass through OSMnx. Putting a corridor together out of the ways (tag filters, sections,
route order, geodesic chainage of ways, stations and structures) is
:mod:`corridors._osm_assemble`, which also holds the constants re-exported here.

Data from OpenStreetMap is © OpenStreetMap contributors, available under the Open Database
License (ODbL 1.0): the corridor's ``meta["attribution"]`` carries the credit to show with it.

Examples
--------
>>> from corridors.osm import corridor_from_osm
>>> clr = corridor_from_osm("boten.osm.bz2", name="Boten–Vientiane")  # doctest: +SKIP
>>> clr.osm_ways[["osm_id", "bridge", "tunnel", "gauge", "length_km"]]  # doctest: +SKIP
>>> ways, stations = read_ways("laos-latest.osm.pbf")  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors import _osm_io
from corridors._coerce import WGS84, check_lonlat
from corridors._osm_assemble import (
    ATTRIBUTION,
    ERROR_KM,
    KINDS,
    LICENSE,
    SOURCE,
    STATION_TAGS,
    TAG_COLUMNS,
    Tags,
    _any_tag,
    _build,
    _check_tags,
    _describe,
    _display_name,
    _is_station,
    _matcher,
)
from corridors._osm_chain import Chain, Gap, chain_ways, simplify_line, station_yards
from corridors._osm_io import _Node, _OsmData, _Way
from corridors.corridor import Corridor
from corridors.errors import (
    CoordinateError,
    CorridorsError,
    DataFileError,
    GeometryError,
    UnknownIdError,
)

if TYPE_CHECKING:
    from corridors.network import attach_road_graph

__all__ = [
    "ATTRIBUTION",
    "ERROR_KM",
    "KINDS",
    "LICENSE",
    "SOURCE",
    "STATION_TAGS",
    "TAG_COLUMNS",
    "Chain",
    "Gap",
    "attach_road_graph",
    "chain_ways",
    "corridor_from_osm",
    "read_ways",
    "simplify_line",
    "station_yards",
]


def __getattr__(name: str) -> Any:
    """``attach_road_graph``, moved to :mod:`corridors.network`, imported from there when used."""
    if name == "attach_road_graph":
        from corridors.network import attach_road_graph

        return attach_road_graph
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- the public functions ----------------------------------------------------------------------
def corridor_from_osm(
    source: str | Path | Sequence[float] | None,
    *,
    name: str | None = None,
    id: str | None = None,
    kind: str = "railway",
    bbox: Sequence[float] | None = None,
    tags: Tags | None = None,
    cache: bool = True,
) -> Corridor:
    """Build a corridor from the OpenStreetMap ways of one railway or road.

    Parameters
    ----------
    source
        One of:

        * a path to a local file (offline): OSM XML (``.osm``, ``.osm.bz2``, ``.osm.gz``), OSM
          PBF (``.osm.pbf``) or a HOT GeoJSON export (``.geojson``, ``.json``; it has no nodes,
          so no stations). A ``pathlib.Path``, an existing file, or a string with a ``/`` or a
          file extension counts as a file, so a mistyped file name never becomes an online query;
        * a bounding box ``(west, south, east, north)`` in degrees: queries Overpass for that box
          (the same as ``source=None, bbox=...``);
        * a string with ``bbox`` given: the name of the line, searched for in the box (the same
          as ``name=``; an explicit ``name`` wins);
        * any other string: a place that Nominatim geocodes to an area (e.g. ``"Luang Namtha
          Province, Laos"``), whose features are queried from Overpass. A railway's name is not a
          place: to find a line by name online, give ``bbox`` too.

        Online queries go through OSMnx (:func:`osmnx.features_from_bbox`,
        :func:`osmnx.features_from_place`) with its settings (``osmnx.settings.overpass_url``,
        ``requests_timeout``, ``cache_folder``, ...).
    name
        Keep only ways whose name contains this text, ignoring case and the kind of dash:
        ``name``, every ``name:xx`` (``name:en``, ``name:lo``, ``name:zh``, ...),
        ``official_name``, ``alt_name`` and ``int_name`` are searched, and in a file also the
        names of the route relations (``type=route``) a way belongs to. ``None`` keeps every way
        that passes the tag filter.
    id
        Id of the corridor; default: made from its name.
    kind
        ``"railway"`` keeps ``railway`` = ``rail``, ``light_rail`` or ``narrow_gauge`` but not
        ``service`` = ``siding``, ``yard``, ``spur`` or ``crossover``, and finds stations
        (``railway`` = ``station`` or ``halt``, ``public_transport=station``) within 1 km of the
        line. ``"road"`` keeps ``highway`` = ``motorway``, ``trunk``, ``primary`` or
        ``secondary`` (not their ``_link`` ramps). See :data:`KINDS`.
    bbox
        ``(west, south, east, north)`` in degrees, the order OSMnx uses. Online: the box to
        query. With a file: keep only ways that reach into the box.
    tags
        OSMnx-style tag filter that replaces the one of ``kind`` (the exclusions too): a way is
        kept when it matches any ``key: value`` pair, where a value is a string, a list of
        strings or ``True`` for any value, e.g. ``{"railway": ["rail", "construction"]}``.
    cache
        Online only: use and fill OSMnx's Overpass response cache (``osmnx.settings.use_cache``
        for this call; the folder is ``osmnx.settings.cache_folder``).

    Returns
    -------
    Corridor
        Built with :meth:`Corridor.from_geodataframe`. The sections are the merged, continuous
        pieces of the line, in order along the route; they keep the direction most of the mapped
        ways (by length) are drawn in. Section columns: ``name`` (``name:en`` or ``name``),
        ``names`` (by language code), ``osm_ids`` (way ids, in order), ``mode``, ``status`` and
        the tags of :data:`TAG_COLUMNS` that occur, each with the value covering most of the
        section's length (for ``bridge`` and ``tunnel``, untagged ways count as "no", so a
        section is marked only when it is mostly bridge or tunnel). Tag values are OSM's
        strings (``maxspeed="160"``). Every feature has ``sources`` crediting OpenStreetMap,
        ``accuracy="traced"`` and ``error_km=0.05``.

        ``stations``: named nodes within 1 km of the line, in order along it, with ``osm_ids``
        and ``offset_km``. ``structures``: the bridges and tunnels, one per run of touching
        ways. ``osm_ways``: a GeoDataFrame of every kept way in route order, with ``osm_id``,
        ``section``, ``name``, ``names``, the tag columns, all its ``tags`` as a dict,
        ``length_km``, ``forward`` (drawn in the corridor's direction) and its geometry as
        mapped (the parts of a HOT MultiLineString are ways of their own, with the same
        ``osm_id``). ``meta`` holds ``attribution``, ``license`` (``"ODbL-1.0"``) and ``osm``
        (what was read and how it was filtered; ``incomplete_ways`` lists the kept ways with
        nodes missing from the file, drawn through the nodes that are there).

    Raises
    ------
    DataFileError
        A missing file, an unsupported extension, an empty, corrupt or truncated file (XML errors
        name the line and column), a GeoJSON that is not a HOT export, or a failed Overpass
        query.
    GeometryError
        No way matches: the message names the filter that matched nothing and lists some
        ``railway`` / ``highway`` values (or names) that do occur.
    UnknownIdError
        An unknown ``kind``.

    Examples
    --------
    >>> from corridors.osm import corridor_from_osm
    >>> line = corridor_from_osm("boten_line.osm", name="Boten–Vientiane")  # doctest: +SKIP
    >>> line.stations["name"].tolist()  # doctest: +SKIP
    ['Boten', 'Na Teuy']

    Online, through Overpass and OSMnx's cache:

    >>> line = corridor_from_osm(  # doctest: +SKIP
    ...     "Boten–Vientiane", bbox=(101.4, 20.9, 101.8, 21.3)
    ... )
    """
    if kind not in KINDS:
        raise UnknownIdError("kind", kind, KINDS)
    match = _matcher(kind, tags)
    box = _check_bbox(bbox) if bbox is not None else None
    path = _as_path(source)
    if path is not None:
        data = _read_file(path, match, _filter_keys(kind, tags), relations=name is not None)
        where = str(path)
        if box is not None:
            data.ways = [w for w in data.ways if shapely.intersects(w.line, shapely.box(*box))]
    else:
        if isinstance(source, str):
            if box is None:
                place = source
            else:
                place, name = None, name if name is not None else source
        elif source is None and box is not None:
            place = None
        elif isinstance(source, Sequence) and not isinstance(source, bytes):
            box, place = _check_bbox(source), None
        else:
            raise CorridorsError(
                "give a source: an OSM file, a place or line name, or a bbox (west, south, "
                f"east, north); got {type(source).__name__}"
            )
        data, where = _query_overpass(place, box, kind, tags, cache=cache)
        data.ways = [w for w in data.ways if match(w.tags)]
    return _build(data, where=where, kind=kind, tags=tags, name=name, id=id)


def read_ways(
    source: str | Path,
    *,
    tags: Tags | None = None,
    bbox: Sequence[float] | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """All ways and station nodes of a local OSM file (XML, PBF or HOT GeoJSON).

    The ways are, by default, every way with a ``railway`` tag, or those an OSMnx-style ``tags``
    filter keeps; the stations are every node tagged as one. This is the raw material of a
    corridor, unfiltered by kind, name or distance: sidings, yards, spurs, disused and planned
    track all come along, so that a build script can chain a line out of a country extract
    itself. OSM XML and PBF are streamed once by pyosmium with its node location cache;
    libosmium's filters drop everything else unread.

    Parameters
    ----------
    source
        A local file: OSM XML (``.osm``, ``.osm.bz2``, ``.osm.gz``), OSM PBF (``.osm.pbf``) or a
        HOT/HDX GeoJSON export (``.geojson``, ``.json``). The format is told from the content.
    tags
        OSMnx-style filter: a way is kept when it matches any ``key: value`` pair, where a value
        is a string, a list of strings or ``True`` for any value, e.g.
        ``{"railway": ["rail", "construction"], "highway": "motorway"}``. Default:
        ``{"railway": True}``.
    bbox
        ``(west, south, east, north)`` in degrees: keep only the ways that reach into the box,
        and the stations inside it.

    Returns
    -------
    ways, stations : geopandas.GeoDataFrame
        In EPSG:4326, rows in the order of the file. ``ways``: ``osm_id`` (int64), ``name``
        (``name:en``, else ``name``; str or None), ``tags`` (a dict of every tag), one column
        per key of :data:`TAG_COLUMNS` that occurs on them (str or None) and a LineString
        geometry; a HOT MultiLineString gives one row per part, with the same ``osm_id``.
        Ways with nodes missing from the file are drawn through the nodes that are there (two at
        least); ``ways.attrs["incomplete"]`` lists their ids. ``stations``: the nodes tagged
        ``railway=station``, ``railway=halt`` or ``public_transport=station``, with ``osm_id``,
        ``name``, ``tags`` and a Point geometry; empty (same columns) for a HOT export, which
        has no nodes.

    Raises
    ------
    DataFileError
        A missing file, an unsupported extension, an empty, corrupt or truncated file, or a
        GeoJSON that is not a HOT export.
    CorridorsError
        A malformed ``tags`` filter.
    CoordinateError
        A malformed ``bbox``.

    Examples
    --------
    >>> from corridors.osm import read_ways
    >>> ways, stations = read_ways("hotosm_lao_railways_lines_geojson.geojson")  # doctest: +SKIP
    >>> ways, stations = read_ways(  # doctest: +SKIP
    ...     "laos-latest.osm.pbf", tags={"railway": ["rail", "construction"]},
    ...     bbox=(101.4, 20.9, 101.8, 21.3),
    ... )
    """
    if not isinstance(source, str | Path):
        raise DataFileError(
            f"read_ways needs the path of a local OSM file, got {type(source).__name__}"
        )
    wanted = _check_tags(tags) if tags is not None else {"railway": True}
    box = _check_bbox(bbox) if bbox is not None else None
    data = _read_file(
        Path(source), lambda t: _any_tag(t, wanted), list(wanted), relations=False, count=()
    )

    lines = np.empty(len(data.ways), dtype=object)
    lines[:] = [w.line for w in data.ways]
    points = shapely.points([(n.lon, n.lat) for n in data.stations]) if data.stations else []
    points = np.asarray(points, dtype=object)
    ways, nodes = data.ways, data.stations
    if box is not None:
        area = shapely.box(*box)
        keep = shapely.intersects(lines, area)
        ways, lines = [w for w, k in zip(ways, keep, strict=True) if k], lines[keep]
        inside = shapely.intersects(points, area)
        nodes, points = [n for n, k in zip(nodes, inside, strict=True) if k], points[inside]

    def column(values: Iterable[Any], dtype: str = "object") -> pd.Series:
        return pd.Series(list(values), dtype=dtype)

    way_table = gpd.GeoDataFrame(
        {
            "osm_id": column((w.osm_id for w in ways), "int64"),
            "name": column(_display_name(w.tags) for w in ways),
            "tags": column(dict(w.tags) for w in ways),
            **{
                t: column(w.tags.get(t) for w in ways)
                for t in TAG_COLUMNS
                if any(t in w.tags for w in ways)
            },
        },
        geometry=gpd.GeoSeries(lines, crs=WGS84),
        crs=WGS84,
    )
    kept = {w.osm_id for w in ways}
    way_table.attrs["incomplete"] = [i for i in dict.fromkeys(data.incomplete) if i in kept]
    station_table = gpd.GeoDataFrame(
        {
            "osm_id": column((n.osm_id for n in nodes), "int64"),
            "name": column(_display_name(n.tags) for n in nodes),
            "tags": column(dict(n.tags) for n in nodes),
        },
        geometry=gpd.GeoSeries(points, crs=WGS84),
        crs=WGS84,
    )
    return way_table, station_table


# -- reading a file ------------------------------------------------------------------------------
def _as_path(source: Any) -> Path | None:
    """``source`` as a file path, or ``None`` when it is a query for Overpass."""
    if isinstance(source, Path):
        path = source
    elif isinstance(source, str):
        # a file: an existing path, a known suffix, a folder separator or one word with an
        # extension ("route.osn" is a missing file, not a place to send to Nominatim)
        path = Path(source)
        looks_like_file = (
            source.lower().endswith((".osm", ".xml", ".bz2", ".gz", ".pbf", ".geojson", ".json"))
            or "/" in source
            or "\\" in source
            or re.fullmatch(r"\S+\.[A-Za-z0-9]{1,5}", source) is not None
        )
        if not (looks_like_file or path.exists()):
            return None
    else:
        return None
    return path


def _filter_keys(kind: str, tags: Tags | None) -> list[str]:
    """The keys a way must have one of to pass the filter (the reader's first, cheap test)."""
    return list(_check_tags(tags) if tags is not None else KINDS[kind]["tags"])


def _read_file(
    path: Path,
    match: Callable[[Mapping[str, str]], bool],
    keys: list[str],
    *,
    relations: bool,
    count: Sequence[str] = ("railway", "highway"),
) -> _OsmData:
    """A local OSM XML, PBF or HOT GeoJSON file, through :mod:`corridors._osm_io`.

    ``count``: the keys whose values are counted over every way, for "nothing matched" messages.
    """
    return _osm_io.read(
        path, keys=keys, match=match, stations=STATION_TAGS, relations=relations, count=count
    )


def _check_bbox(bbox: Any) -> tuple[float, float, float, float]:
    try:
        west, south, east, north = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise CoordinateError(
            f"bbox must be (west, south, east, north) in degrees, got {bbox!r}"
        ) from None
    box = (west, south, east, north)
    check_lonlat(np.array([[west, south], [east, north]]), what="bbox")
    if not (west < east and south < north):
        raise CoordinateError(
            f"bbox {box} is not (west, south, east, north) with west < east and south < north"
        )
    return box


# -- querying Overpass ---------------------------------------------------------------------------
def _query_tags(kind: str, tags: Tags | None) -> dict[str, bool | str | list[str]]:
    """The tags to ask Overpass for: the way filter, plus station tags for railways."""
    wanted = {k: (list(v) if not isinstance(v, bool | str) else v) for k, v in
              (_check_tags(tags) if tags is not None else KINDS[kind]["tags"]).items()}  # fmt: skip
    if kind == "railway":
        for k, values in STATION_TAGS.items():
            have = wanted.get(k)
            if have is True:
                continue
            have = [have] if isinstance(have, str) else list(have or [])
            wanted[k] = have + [v for v in values if v not in have]
    return wanted


def _query_overpass(
    place: str | None,
    box: tuple[float, float, float, float] | None,
    kind: str,
    tags: Tags | None,
    *,
    cache: bool,
) -> tuple[_OsmData, str]:
    """Ask Overpass through OSMnx; the only code here that touches the network."""
    import osmnx as ox

    query_tags = _query_tags(kind, tags)
    where = f"Overpass bbox {box}" if box is not None else f"Overpass place {place!r}"
    saved = ox.settings.use_cache
    ox.settings.use_cache = bool(cache)
    try:
        if box is not None:
            gdf = ox.features_from_bbox(box, tags=query_tags)
        else:
            gdf = ox.features_from_place(place, tags=query_tags)
    except (OSError, ValueError, TypeError) as err:
        # OSMnx raises its InsufficientResponseError (a ValueError, not public API) when
        # Overpass has nothing: known by its class name, without importing osmnx internals
        if type(err).__name__ == "InsufficientResponseError":
            raise GeometryError(
                f"{where}: Overpass found nothing matching {_describe(kind, tags)}"
            ) from None
        hint = (
            "; a line's name is not a place: give bbox=(west, south, east, north) and the name"
            if box is None and isinstance(err, TypeError)
            else ""
        )
        raise DataFileError(f"{where}: the query failed: {err}{hint}") from None
    finally:
        ox.settings.use_cache = saved
    return _from_features(gdf), where


def _from_features(gdf: gpd.GeoDataFrame) -> _OsmData:
    """OSMnx's features GeoDataFrame (indexed by element type and id) as ways and stations."""
    data = _OsmData()
    if len(gdf) == 0:
        return data
    gdf = gdf.to_crs(WGS84) if gdf.crs is not None and not gdf.crs.equals(WGS84) else gdf
    tag_columns = [c for c in gdf.columns if c not in (gdf.geometry.name, "nodes")]
    records = gdf[tag_columns].to_dict("records")
    for (element, osm_id), rec, geom in zip(gdf.index, records, gdf.geometry.array, strict=True):
        tags = {k: v for k, v in rec.items() if isinstance(v, str)}
        if element == "node" and isinstance(geom, shapely.Point):
            if _is_station(tags):
                data.stations.append(_Node(int(osm_id), tags, geom.x, geom.y))
        elif element == "way":
            for key in ("railway", "highway"):
                if key in tags:
                    data.values[key][tags[key]] += 1
            if isinstance(geom, shapely.Polygon):
                geom = geom.exterior
            if isinstance(geom, shapely.LineString | shapely.LinearRing) and len(geom.coords) > 1:
                data.ways.append(_Way(int(osm_id), tags, shapely.LineString(geom.coords)))
    return data
