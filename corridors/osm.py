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

:func:`attach_road_graph` joins the corridors network (:func:`corridors.network.build`) to an
OSMnx road graph at the dry ports.

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

import math
import re
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from corridors import _osm_io, settings
from corridors._coerce import WGS84, check_lonlat
from corridors._osm_chain import Chain, Gap, chain_ways, simplify_line, station_yards
from corridors._osm_io import _Node, _OsmData, _Way
from corridors._text import match_key, slugify
from corridors.corridor import Corridor
from corridors.errors import (
    CoordinateError,
    CorridorsError,
    CRSError,
    DataFileError,
    GeometryError,
    UnknownIdError,
)
from corridors.geodesy import geod, lengths_km_array

__all__ = [
    "ATTRIBUTION",
    "KINDS",
    "LICENSE",
    "SOURCE",
    "Chain",
    "Gap",
    "attach_road_graph",
    "chain_ways",
    "corridor_from_osm",
    "read_ways",
    "simplify_line",
    "station_yards",
]

#: The citation put in every feature's ``sources``.
SOURCE = "OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright)"
#: The credit to show next to anything drawn from OpenStreetMap data.
ATTRIBUTION = f"© {SOURCE}"
#: SPDX identifier of the licence of OpenStreetMap data.
LICENSE = "ODbL-1.0"

#: What each ``kind`` keeps: OSMnx-style tags a way must match, and tags that rule it out.
KINDS: dict[str, dict[str, dict[str, list[str]]]] = {
    "railway": {
        "tags": {"railway": ["rail", "light_rail", "narrow_gauge"]},
        "exclude": {"service": ["siding", "yard", "spur", "crossover"]},
    },
    "road": {
        "tags": {"highway": ["motorway", "trunk", "primary", "secondary"]},
        "exclude": {},
    },
}
_MODES = {"railway": "rail", "road": "road"}
#: Nodes with one of these tags are stations (railway corridors only).
STATION_TAGS: dict[str, list[str]] = {
    "railway": ["station", "halt"],
    "public_transport": ["station"],
}
#: Tags copied into columns of the sections, structures and ``osm_ways``, where present.
TAG_COLUMNS = (
    "railway", "highway", "service", "usage", "gauge", "electrified", "voltage", "frequency",
    "maxspeed", "lanes", "ref", "bridge", "tunnel", "layer",
)  # fmt: skip
#: Ways tagged with these (other than "no") become the corridor's structures.
_STRUCTURE_TAGS = ("bridge", "tunnel")
#: Tags whose value over a merged section counts untagged ways as a value of their own.
_LOCAL_TAGS = (*_STRUCTURE_TAGS, "layer")
_NAME_KEYS = ("name", "official_name", "alt_name", "int_name")
_STATUS = {"construction": "under-construction", "proposed": "proposed"}
_GONE = {"disused", "abandoned", "razed", "dismantled"}
#: The error estimate given to OSM geometry, km (mapped from imagery and GPS traces).
ERROR_KM = 0.05

Tags = Mapping[str, bool | str | Sequence[str]]


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


def attach_road_graph(
    G_network: nx.MultiDiGraph,
    G_roads: nx.MultiDiGraph,
    *,
    points: Iterable[Hashable] | None = None,
    max_km: float = 5.0,
) -> nx.MultiDiGraph:
    """Join the corridors network to an OSMnx road graph at the dry ports.

    Both graphs are copied into one new ``MultiDiGraph`` (the inputs are left alone); each of
    ``points`` is then joined to its nearest road node, when that is within ``max_km``, by a pair
    of ``transfer`` edges (one each way) in the network's conventions: ``mode="transfer"``,
    ``length`` in geodesic metres, ``travel_time`` in seconds at
    ``settings.speeds_kph["transfer"]`` (20 km/h, drayage or walking, with no handling time
    added), ``speed_kph``, ``geometry``, ``name``. Road edges without a ``mode`` get
    ``mode="road"``; add their ``travel_time`` first with :func:`osmnx.add_edge_speeds` and
    :func:`osmnx.add_edge_travel_times` if you route by time.

    Parameters
    ----------
    G_network
        The corridors network, e.g. from :func:`corridors.network.build`: OSMnx conventions,
        nodes with ``x``, ``y`` (lon/lat) and ``kind``.
    G_roads
        An OSMnx road graph in EPSG:4326 (``G_roads.graph["crs"]``), e.g. from
        :func:`osmnx.graph_from_xml` or :func:`osmnx.graph_from_bbox`. Its node ids must differ
        from the network's (OSMnx uses integer OSM ids, the network strings).
    points
        Nodes of ``G_network`` to join; default: every node whose ``kind`` is ``"dry-port"``.
    max_km
        Points farther than this from every road node stay unjoined.

    Returns
    -------
    networkx.MultiDiGraph
        The composed graph, with the network's graph attributes (``crs``, ``scenario``, ...)
        and ``graph["road_links"]``: ``{point: road node}`` for every point joined.

    Raises
    ------
    CRSError
        A graph that is not in EPSG:4326.
    UnknownIdError
        A point that is not a node of ``G_network``.
    CorridorsError
        Node ids shared by both graphs, or an empty road graph.

    Notes
    -----
    The nearest road node comes from :func:`osmnx.distance.nearest_nodes`, which needs
    scikit-learn for unprojected graphs; without it a NumPy haversine search over all road nodes
    is used instead. The distance kept is the geodesic one on ``settings.ellipsoid``.

    Examples
    --------
    >>> import networkx as nx
    >>> from corridors.osm import attach_road_graph
    >>> net = nx.MultiDiGraph(crs="EPSG:4326")
    >>> net.add_node("port:thanaleng", x=102.70, y=17.90, kind="dry-port", name="Thanaleng")
    >>> roads = nx.MultiDiGraph(crs="EPSG:4326")
    >>> roads.add_node(1, x=102.71, y=17.90)
    >>> G = attach_road_graph(net, roads)
    >>> G.graph["road_links"], G.edges["port:thanaleng", 1, 0]["mode"]
    ({'port:thanaleng': 1}, 'transfer')
    """
    for label, G in (("network", G_network), ("road", G_roads)):
        _check_graph_crs(G, label)
    if G_roads.number_of_nodes() == 0:
        raise CorridorsError("the road graph has no nodes")
    shared = set(G_network.nodes) & set(G_roads.nodes)
    if shared:
        some = ", ".join(repr(n) for n in sorted(shared, key=str)[:3])
        raise CorridorsError(
            f"the network and the road graph share {len(shared)} node ids ({some}); "
            "relabel one of them, e.g. with networkx.relabel_nodes"
        )
    if points is None:
        chosen = [n for n, k in G_network.nodes(data="kind") if k == "dry-port"]
    else:
        chosen = list(points)
        for p in chosen:
            if p not in G_network:
                raise UnknownIdError("network node", str(p), (str(n) for n in G_network.nodes))

    G = nx.MultiDiGraph()
    G.graph.update(G_roads.graph)
    G.graph.update(G_network.graph)
    G.add_nodes_from(G_network.nodes(data=True))
    G.add_edges_from(G_network.edges(keys=True, data=True))
    G.add_nodes_from(G_roads.nodes(data=True))
    G.add_edges_from(
        (u, v, k, {"mode": "road", **d}) for u, v, k, d in G_roads.edges(keys=True, data=True)
    )
    links: dict[Hashable, Hashable] = {}
    G.graph["road_links"] = links
    if not chosen:
        return G

    xy = np.array([(G_network.nodes[p]["x"], G_network.nodes[p]["y"]) for p in chosen], float)
    nearest = _nearest_road_nodes(G_roads, xy)
    road_xy = np.array([(G_roads.nodes[n]["x"], G_roads.nodes[n]["y"]) for n in nearest], float)
    _, _, metres = geod().inv(xy[:, 0], xy[:, 1], road_xy[:, 0], road_xy[:, 1])
    speed = float(settings.speeds_kph["transfer"])
    for p, r, a, b, m in zip(chosen, nearest, xy, road_xy, np.atleast_1d(metres), strict=True):
        if m > max_km * 1000.0:
            continue
        label = G_network.nodes[p].get("name", p)
        attrs = {
            "length": float(m),
            "travel_time": float(m) / (speed / 3.6),
            "speed_kph": speed,
            "mode": "transfer",
            "corridor": "transfer",
            "name": f"transfer: {label} – road node {r}",
            "status": "operational",
        }
        G.add_edge(p, r, geometry=shapely.LineString([a, b]), **attrs)
        G.add_edge(r, p, geometry=shapely.LineString([b, a]), **attrs)
        links[p] = r
    return G


# -- attach_road_graph helpers -----------------------------------------------------------------
def _check_graph_crs(G: nx.MultiDiGraph, label: str) -> None:
    crs = G.graph.get("crs")
    if crs is None:
        raise CRSError(f'the {label} graph has no graph["crs"]; expected EPSG:4326')
    try:
        ok = pyproj.CRS.from_user_input(crs).equals(WGS84)
    except pyproj.exceptions.CRSError:
        ok = False
    if not ok:
        raise CRSError(
            f"the {label} graph is in {crs}, not EPSG:4326; use osmnx.project_graph(G, "
            'to_crs="EPSG:4326")'
        )


def _nearest_road_nodes(G_roads: nx.MultiDiGraph, xy: NDArray[np.float64]) -> list[Hashable]:
    """The road node nearest each (lon, lat) row: OSMnx's ball tree, or NumPy haversine."""
    try:
        import osmnx

        found = osmnx.distance.nearest_nodes(G_roads, xy[:, 0], xy[:, 1])
        return np.asarray(found).tolist()  # NumPy ints back to the graph's own ids
    except ImportError:  # scikit-learn is missing: search every node
        ids = list(G_roads.nodes)
        nodes = np.radians([(G_roads.nodes[n]["x"], G_roads.nodes[n]["y"]) for n in ids])
        pts = np.radians(xy)
        dlon = nodes[None, :, 0] - pts[:, None, 0]
        dlat = nodes[None, :, 1] - pts[:, None, 1]
        h = (
            np.sin(dlat / 2) ** 2
            + np.cos(pts[:, None, 1]) * np.cos(nodes[None, :, 1]) * np.sin(dlon / 2) ** 2
        )
        return [ids[i] for i in np.argmin(h, axis=1)]


# -- tag filters ---------------------------------------------------------------------------------
def _matcher(kind: str, tags: Tags | None) -> Callable[[Mapping[str, str]], bool]:
    """A predicate on a way's tags: the ``kind`` filter, or the OSMnx-style ``tags``."""
    if tags is None:
        wanted, exclude = KINDS[kind]["tags"], KINDS[kind]["exclude"]
    else:
        wanted, exclude = _check_tags(tags), {}

    def match(t: Mapping[str, str]) -> bool:
        return _any_tag(t, wanted) and not (exclude and _any_tag(t, exclude))

    return match


def _check_tags(tags: Any) -> dict[str, bool | str | Sequence[str]]:
    if not isinstance(tags, Mapping) or not tags:
        raise CorridorsError(
            f"tags must be a non-empty dict like {{'railway': ['rail']}}, got {tags!r}"
        )
    for k, v in tags.items():
        ok = isinstance(k, str) and (
            isinstance(v, bool | str)
            or (isinstance(v, Sequence) and all(isinstance(x, str) for x in v))
        )
        if not ok:
            raise CorridorsError(f"tags: {k!r}: {v!r} is not a string, a list of strings or True")
    return dict(tags)


def _any_tag(t: Mapping[str, str], filt: Mapping[str, bool | str | Sequence[str]]) -> bool:
    for key, want in filt.items():
        value = t.get(key)
        if value is None:
            continue
        if want is True or (isinstance(want, str) and value == want):
            return True
        if not isinstance(want, bool | str) and value in want:
            return True
    return False


def _describe(kind: str, tags: Tags | None) -> str:
    def fmt(filt: Mapping[str, Any]) -> str:
        parts = []
        for k, v in filt.items():
            if v is True:
                parts.append(f"any {k}")
            elif isinstance(v, str):
                parts.append(f"{k}={v}")
            else:
                parts.append(f"{k} in {{{', '.join(v)}}}")
        return " or ".join(parts)

    if tags is not None:
        return f"tags {fmt(tags)}"
    spec = KINDS[kind]
    text = f"kind={kind!r} ({fmt(spec['tags'])}"
    if spec["exclude"]:
        text += f", not {fmt(spec['exclude'])}"
    return text + ")"


def _is_station(t: Mapping[str, str]) -> bool:
    return _any_tag(t, STATION_TAGS)


def _names_of(t: Mapping[str, str]) -> list[str]:
    return [v for k, v in t.items() if k in _NAME_KEYS or k.startswith("name:")]


def _display_name(t: Mapping[str, str]) -> str | None:
    return t.get("name:en") or t.get("name")


def _lang_names(t: Mapping[str, str]) -> dict[str, str]:
    return {k[5:]: v for k, v in t.items() if k.startswith("name:") and len(k) > 5}


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


# -- building the corridor -----------------------------------------------------------------------
def _name_filter(data: _OsmData, name: str) -> list[_Way]:
    wanted = match_key(name)
    keep = []
    for w in data.ways:
        names = _names_of(w.tags) + [
            n for rel in data.relation_names.get(w.osm_id, []) for n in _names_of(rel)
        ]
        if any(wanted in match_key(n) for n in names):
            keep.append(w)
    return keep


def _nothing_matched(
    data: _OsmData, where: str, kind: str, tags: Tags | None, name: str | None
) -> GeometryError:
    what = _describe(kind, tags)
    if data.ways and name is not None:
        names = Counter(n for w in data.ways if (n := _display_name(w.tags)))
        listed = ", ".join(repr(n) for n, _ in names.most_common(5)) or "none of them is named"
        return GeometryError(
            f"{where}: {len(data.ways)} ways match {what}, but no name contains {name!r}; "
            f"names on them: {listed}"
        )
    found = [
        f"{key}: " + ", ".join(f"{v} ({n})" for v, n in counts.most_common(6))
        for key, counts in data.values.items()
        if counts
    ]
    hint = (
        "; values in the data: " + "; ".join(found)
        if found
        else "; it has no railway or highway ways"
    )
    return GeometryError(f"{where}: no way matches {what}{hint}")


def _build(
    data: _OsmData,
    *,
    where: str,
    kind: str,
    tags: Tags | None,
    name: str | None,
    id: str | None,
) -> Corridor:
    ways = _name_filter(data, name) if name is not None else data.ways
    if not ways:
        raise _nothing_matched(data, where, kind, tags, name)
    # ways in a fixed order so that the result does not depend on the file's order
    ways = sorted(ways, key=lambda w: w.osm_id)
    lines = np.array([w.line for w in ways], dtype=object)
    way_km = lengths_km_array(lines, what="OSM ways")

    chains = _order_chains(
        list(shapely.get_parts(shapely.line_merge(shapely.MultiLineString(list(lines)))))
    )
    chain_of, start_at, end_at = _locate_ways(chains, lines)
    backward = float(way_km[end_at < start_at].sum())
    if backward > float(way_km[end_at > start_at].sum()):
        chains = [shapely.reverse(c) for c in chains[::-1]]
        chain_of, start_at, end_at = _locate_ways(chains, lines)
    forward = end_at >= start_at
    mid = (start_at + end_at) / 2
    order = np.lexsort((mid, chain_of))
    section_ids = [f"section-{i + 1}" for i in range(len(chains))]

    mode = _MODES[kind]
    way_table = gpd.GeoDataFrame(
        {
            "osm_id": [ways[i].osm_id for i in order],
            "section": [section_ids[chain_of[i]] for i in order],
            "name": [_display_name(ways[i].tags) for i in order],
            "names": [_lang_names(ways[i].tags) for i in order],
            **{
                t: [ways[i].tags.get(t) for i in order]
                for t in TAG_COLUMNS
                if any(t in w.tags for w in ways)
            },
            "tags": [dict(ways[i].tags) for i in order],
            "status": [_status(ways[i].tags, kind) for i in order],
            "length_km": way_km[order],
            "forward": forward[order],
        },
        geometry=list(lines[order]),
        crs=WGS84,
    )
    corridor_name = _weighted_mode(way_table["name"], way_table["length_km"]) or name
    cid = id or slugify(corridor_name, ascii_only=True) or f"osm-{kind}"
    corridor_name = corridor_name or cid
    common = {"mode": mode, "sources": SOURCE, "accuracy": "traced", "error_km": ERROR_KM}

    rows: list[dict[str, Any]] = []
    for j, chain in enumerate(chains):
        part = way_table[way_table["section"] == section_ids[j]]
        km = part["length_km"].to_numpy()
        row: dict[str, Any] = {
            "name": _weighted_mode(part["name"], km) or corridor_name,
            "names": dict(_weighted_mode([_freeze(n) for n in part["names"]], km) or ()),
            "osm_ids": part["osm_id"].tolist(),
            "status": _weighted_mode(part["status"], km),
        }
        for t in TAG_COLUMNS:
            if t in part.columns:
                row[t] = _weighted_mode(
                    part[t],
                    km,
                    missing_is_value=t in _LOCAL_TAGS,
                    no_means_missing=t in _STRUCTURE_TAGS,
                )
        rows.append({**row, **common, "geometry": chain})

    stations = _stations(data.stations, chains) if kind == "railway" else []
    for st in stations:
        rows.append({**st, **common, "status": None})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    gdf["sources"] = [[SOURCE] for _ in range(len(gdf))]

    made = Corridor.from_geodataframe(gdf, id=cid, name=corridor_name)
    features = made.to_geodataframe().drop(columns="corridor")
    structures = _structures(way_table, chains, common)
    if len(structures):
        features = pd.concat([features, structures], ignore_index=True)
        features = gpd.GeoDataFrame(features, geometry="geometry", crs=WGS84)
    statuses = [s for s in gdf["status"] if isinstance(s, str)]
    meta = {
        **made.meta,
        "mode": mode,
        "status": Counter(statuses).most_common(1)[0][0] if statuses else None,
        "accuracy": "traced",
        "error_km": ERROR_KM,
        "sources": [SOURCE],
        "attribution": ATTRIBUTION,
        "license": LICENSE,
        "osm": {
            "source": where,
            "filter": _describe(kind, tags),
            "name": name,
            "ways": len(ways),
            "incomplete_ways": sorted(set(data.incomplete) & {w.osm_id for w in ways}),
        },
    }
    corridor = Corridor(cid, corridor_name, features, meta)
    corridor.osm_ways = way_table.reset_index(drop=True)  # type: ignore[attr-defined]
    return corridor


def _order_chains(chains: list[shapely.LineString]) -> list[shapely.LineString]:
    """Chain the merged pieces into one route, longest first, then nearest end to end.

    Each further piece is the one whose end lies nearest the route's head or tail, turned to
    continue it.
    """
    if len(chains) <= 1:
        return chains
    ends = np.array([[c.coords[0], c.coords[-1]] for c in chains])  # (n, 2 ends, lon/lat)
    km = lengths_km_array(np.array(chains, dtype=object))
    first = int(np.argmax(km))
    route = [chains[first]]
    head, tail = ends[first, 0], ends[first, 1]
    left = np.ones(len(chains), bool)
    left[first] = False
    while left.any():
        idx = np.flatnonzero(left)
        # (candidates, their 2 ends, head/tail) distances, scaled for the latitude
        d = np.stack([_flat_dist(ends[idx], head), _flat_dist(ends[idx], tail)], axis=-1)
        c, end, side = np.unravel_index(int(np.argmin(d)), d.shape)
        i = int(idx[c])
        left[i] = False
        piece = chains[i]
        if side == 1:  # after the tail: start at the end nearest the tail
            piece = piece if end == 0 else shapely.reverse(piece)
            route.append(piece)
            tail = np.asarray(piece.coords[-1])
        else:  # before the head: finish at the end nearest the head
            piece = piece if end == 1 else shapely.reverse(piece)
            route.insert(0, piece)
            head = np.asarray(piece.coords[0])
    return route


def _flat_dist(xy: NDArray[np.float64], to: NDArray[np.float64]) -> NDArray[np.float64]:
    scale = math.cos(math.radians(float(to[1])))
    return np.hypot((xy[..., 0] - to[0]) * scale, xy[..., 1] - to[1])


def _locate_ways(
    chains: list[shapely.LineString], lines: NDArray[np.object_]
) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]:
    """For each way: the chain it lies on, and where along it the way starts and ends."""
    tree = shapely.STRtree(chains)
    mids = shapely.line_interpolate_point(lines, 0.5, normalized=True)
    _, chain_of = tree.query_nearest(mids, all_matches=False)
    owner = np.asarray(chains, dtype=object)[chain_of]
    start = shapely.line_locate_point(owner, shapely.get_point(lines, 0))
    end = shapely.line_locate_point(owner, shapely.get_point(lines, -1))
    return chain_of, start, end


def _stations(nodes: list[_Node], chains: list[shapely.LineString]) -> list[dict[str, Any]]:
    """Station nodes within ``settings.osm_station_km`` of the line, in order, one per name."""
    if not nodes:
        return []
    pts = shapely.points([(n.lon, n.lat) for n in nodes])
    tree = shapely.STRtree(chains)
    _, chain_of = tree.query_nearest(pts, all_matches=False)
    owner = np.asarray(chains, dtype=object)[chain_of]
    on_line = shapely.get_coordinates(shapely.get_point(shapely.shortest_line(owner, pts), 0))
    _, _, metres = geod().inv(
        on_line[:, 0], on_line[:, 1], [n.lon for n in nodes], [n.lat for n in nodes]
    )
    at = shapely.line_locate_point(owner, pts)
    table = pd.DataFrame(
        {
            "i": np.arange(len(nodes)),
            "chain": chain_of,
            "at": at,
            "km": np.asarray(metres) / 1000.0,
            "name": [_display_name(n.tags) or f"OSM node {n.osm_id}" for n in nodes],
        }
    )
    table["railway"] = [n.tags.get("railway") in STATION_TAGS["railway"] for n in nodes]
    table = table[table["km"] <= settings.osm_station_km]
    # one station per name: the node tagged railway=station/halt if any, else the nearest
    ids = table.groupby("name")["i"].agg(lambda i: [nodes[k].osm_id for k in i])
    table = table.sort_values(["railway", "km"], ascending=[False, True], kind="stable")
    table = table.drop_duplicates("name").sort_values(["chain", "at"], kind="stable")
    out = []
    for i, chain, name, km in table[["i", "chain", "name", "km"]].itertuples(index=False):
        n = nodes[int(i)]
        row: dict[str, Any] = {
            "name": name,
            "names": _lang_names(n.tags),
            "osm_ids": ids[name],
            "section": f"section-{int(chain) + 1}",
            "offset_km": float(km),
            "geometry": shapely.Point(n.lon, n.lat),
        }
        for t in ("railway", "public_transport"):
            if t in n.tags:
                row[t] = n.tags[t]
        out.append(row)
    return out


def _structures(
    ways: gpd.GeoDataFrame, chains: list[shapely.LineString], common: Mapping[str, Any]
) -> gpd.GeoDataFrame:
    """Bridges and tunnels: touching ways of each kind merged, drawn along the route."""
    rows: list[dict[str, Any]] = []
    geoms = np.asarray(ways.geometry.array, dtype=object)
    along = np.where(ways["forward"].to_numpy(), geoms, shapely.reverse(geoms))
    for kind in _STRUCTURE_TAGS:
        if kind not in ways.columns:
            continue
        sel = (ways[kind].notna() & (ways[kind] != "no")).to_numpy()
        if not sel.any():
            continue
        merged = shapely.get_parts(
            shapely.line_merge(shapely.MultiLineString(list(along[sel])), directed=True)
        )
        mids = shapely.line_interpolate_point(along[sel], 0.5, normalized=True)
        tree = shapely.STRtree(merged)
        _, part_of = tree.query_nearest(mids, all_matches=False)
        _, chain_of = shapely.STRtree(chains).query_nearest(
            shapely.get_point(merged, 0), all_matches=False
        )
        at = shapely.line_locate_point(
            np.asarray(chains, dtype=object)[chain_of], shapely.get_point(merged, 0)
        )
        picked = ways[sel]
        for n, p in enumerate(np.lexsort((at, chain_of))):
            members = picked[part_of == p]
            tags = members["tags"].tolist()
            own = next((t[f"{kind}:name"] for t in tags if f"{kind}:name" in t), None)
            ids = ", ".join(str(i) for i in members["osm_id"])
            label = f"{kind.capitalize()} (OSM way{'s' if len(members) > 1 else ''} {ids})"
            rows.append(
                {
                    "id": f"{kind}-{n + 1}",
                    "name": own or label,
                    "names": {
                        k.split(":")[-1]: v
                        for t in tags
                        for k, v in t.items()
                        if k.startswith(f"{kind}:name:")
                    },
                    "kind": kind,
                    kind: members[kind].iloc[0],
                    "osm_ids": members["osm_id"].tolist(),
                    "section": members["section"].iloc[0],
                    "role": None,
                    "order": np.nan,
                    "figures": [],
                    "status": members["status"].iloc[0],
                    **common,
                    "sources": [SOURCE],
                    "geometry": merged[p],
                }
            )
    if not rows:
        return gpd.GeoDataFrame(geometry=[], crs=WGS84)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)


def _status(t: Mapping[str, str], kind: str) -> str | None:
    """Status from the main tag; ``None`` for disused and abandoned lines."""
    value = t.get("railway" if kind == "railway" else "highway")
    if value in _STATUS:
        return _STATUS[value]
    if value in _GONE or t.get("disused") == "yes" or t.get("abandoned") == "yes":
        return None
    return "operational"


def _weighted_mode(
    values: Iterable[Any],
    weights: Iterable[float],
    *,
    missing_is_value: bool = False,
    no_means_missing: bool = False,
) -> Any:
    """The value covering the most weight; the first seen wins ties.

    Missing values are skipped, or count as a value of their own with ``missing_is_value``.
    """
    totals: dict[Any, float] = {}
    for v, w in zip(values, weights, strict=True):
        if (
            v is None
            or (isinstance(v, float) and math.isnan(v))
            or (no_means_missing and v == "no")
        ):
            v = None
            if not missing_is_value:
                continue
        totals[v] = totals.get(v, 0.0) + float(w)
    if not totals:
        return None
    return max(totals, key=totals.__getitem__)


def _freeze(names: Mapping[str, str]) -> tuple[tuple[str, str], ...] | None:
    return tuple(sorted(names.items())) or None
