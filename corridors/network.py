"""The corridors as one routable network, today and as planned.

:func:`build` joins every embedded corridor into a ``networkx.MultiDiGraph`` in OSMnx's
conventions (``G.graph["crs"]``, node ``x``/``y``, edge ``length`` in metres, ``geometry``,
``travel_time`` in seconds), so OSMnx's own tools work on it, plus ``mode``, ``corridor``,
``status`` and ``speed_kph`` on every edge.

* Nodes are the stations and junctions of every corridor, the ends of its sections, and the dry
  ports, seaports and border gates. A station within ``settings.node_snap_km`` of a section is a
  node on it (at the section's end when it is that close to the end).
* Corridor edges follow the corridor geometry between consecutive nodes, in both directions.
* ``transfer`` edges join nodes of different corridors that lie within
  ``settings.interchange_km`` of each other (the Vung Ang line starts at Vientiane South, the
  metre-gauge line meets the Thanaleng Dry Port), costing ``settings.transfer_minutes``.
* ``access`` edges join dry ports, seaports and border gates to corridor nodes within
  ``settings.access_km``, at ``settings.speeds_kph["access"]``.
* Edges that cross an international border carry ``settings.border_minutes`` of formalities.

The build is vectorised: each section is cut into its edges with one :func:`point_at_km` call,
every edge is measured in one geodesic pass and split by country in one call, and the node
pairs within reach are found with a k-d tree (:class:`_NodeIndex`), not by trying every pair.
Shortest paths run on SciPy's compiled Dijkstra (:func:`distance_matrix`, cached per graph).

:func:`attach_road_graph` joins the network to an OSMnx road graph (e.g. from
:func:`osmnx.graph_from_xml`) by ``transfer`` edges at the dry ports; it was
``corridors.osm.attach_road_graph``, which still imports it.

``scenario="current"`` keeps what operates today; ``"planned"`` adds what is under construction
and planned (``proposed`` lines stay out of both).

Examples
--------
>>> import corridors
>>> G = corridors.network.build("planned")
>>> G.graph["crs"]
'EPSG:4326'
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from corridors import settings
from corridors._coerce import WGS84, single_line
from corridors._csgraph import clear_cache, distance_matrix, shortest_path_nodes
from corridors._lines import Lines
from corridors.borders import OUTSIDE, split_by_country
from corridors.corridor import Corridor
from corridors.errors import CorridorsError, CRSError, UnknownIdError
from corridors.geodesy import geod, length_km
from corridors.registry import border_gates, ids, load, ports

__all__ = [
    "SCENARIOS",
    "attach_road_graph",
    "build",
    "clear_cache",
    "distance_matrix",
    "shortest_path_nodes",
]

SCENARIOS = {
    "current": ("operational",),
    "planned": ("operational", "under-construction", "planned"),
}
# Shortest piece of a section kept as an edge, km (nodes closer together are one place).
_MIN_PIECE_KM = 1e-6


def build(
    scenario: str = "current",
    modes: Sequence[str] | None = None,
    corridors: Iterable[str | Corridor] | None = None,
) -> nx.MultiDiGraph:
    """Join the corridors into one routable network.

    Parameters
    ----------
    scenario
        ``"current"`` (operational lines only) or ``"planned"`` (adds lines under construction
        and planned).
    modes
        Keep only these line modes (``"rail"``, ``"road"``); transfers and access links between
        what is kept stay. Default: all.
    corridors
        Corridor ids or ``Corridor`` objects; default: every embedded corridor.

    Returns
    -------
    networkx.MultiDiGraph
        In OSMnx's conventions; ``G.graph["scenario"]`` and ``G.graph["modes"]`` record the
        choices. Node attributes: ``x``, ``y``, ``name``, ``kind``, ``corridor``, ``iso3`` (for
        ports and gates, the country or countries).
    """
    if scenario not in SCENARIOS:
        raise UnknownIdError("scenario", scenario, SCENARIOS)
    keep_modes = tuple(modes) if modes is not None else ("rail", "road")
    for m in keep_modes:
        if m not in ("rail", "road"):
            raise UnknownIdError("mode", m, ("rail", "road"))
    items = [c if isinstance(c, Corridor) else load(c) for c in (corridors or ids())]

    G = nx.MultiDiGraph(crs=WGS84, scenario=scenario, modes=keep_modes, name="corridors")
    links = _Links()
    kept = [c for c in items if c.meta.get("mode") in keep_modes]
    _corridor_edges(G, kept, SCENARIOS[scenario], links)
    nodes = _Nodes.of(G)
    _interchanges(nodes, links)
    _access(G, nodes, links)
    _add_links(G, links)
    return G


# -- edges before they enter the graph ----------------------------------------------------------
@dataclass
class _Links:
    """Every edge of the network, one direction each, gathered before they enter the graph.

    ``geometry`` runs from ``u`` to ``v`` (the reverse edge gets the reversed line) and
    ``length_m`` is its length; ``attrs`` holds ``mode``, ``corridor``, (``section``), ``name``
    (None for a link, named from its ends' names) and ``status``; ``extra_s`` is the transfer
    time it costs on top of running at ``settings.speeds_kph[mode]``.
    """

    u: list[Any] = field(default_factory=list)
    v: list[Any] = field(default_factory=list)
    geometry: list[NDArray[np.object_]] = field(default_factory=list)
    length_m: list[NDArray[np.float64]] = field(default_factory=list)
    extra_s: list[NDArray[np.float64]] = field(default_factory=list)
    attrs: list[dict[str, Any]] = field(default_factory=list)


# -- corridor edges ----------------------------------------------------------------------------
def _corridor_edges(
    G: nx.MultiDiGraph, items: Sequence[Corridor], statuses: Sequence[str], links: _Links
) -> None:
    """Cut every kept section of every corridor at its nodes, all sections in one batch.

    The nodes of a section are its corridor's stations within ``settings.node_snap_km`` of it
    (one that close to an end stands for that end) and, at an end with no station, a junction
    named by its coordinates, so that sections meeting there share it. One ``Lines`` holds every
    section: one ``locate`` places every (section, station) pair, one ``interpolate_xy`` every
    node, one ``cut`` every edge and one ``length_km`` measures them. The nodes go into ``G``
    (in the order they are first met), the edges into ``links``.
    """
    secs = _Sections.of(items, statuses)
    if not len(secs.geometry):
        return
    lines = Lines(secs.geometry, what="sections")
    total = lines.length_km
    snap = settings.node_snap_km
    chain, off = lines.locate(secs.pair_sec, secs.pair_point)
    near = off <= snap
    sec_of, name, km = secs.pair_sec[near], secs.pair_node[near], chain[near]
    at_end = np.zeros((2, len(total)), bool)  # a station stands for the start, for the end
    at_end[0, sec_of[km <= snap]] = True
    at_end[1, sec_of[km >= total[sec_of] - snap]] = True
    for end in (0, 1):  # after the stations, so that a station comes first among equals
        s = np.flatnonzero(~at_end[end])
        xy = shapely.get_coordinates(shapely.get_point(secs.geometry[s], -end))
        at = zip(secs.corridor[s], xy.tolist(), strict=True)
        junctions = np.array([f"{c}:{x:.5f},{y:.5f}" for c, (x, y) in at], dtype=object)
        sec_of, name = np.r_[sec_of, s], np.r_[name, junctions]
        km = np.r_[km, total[s] if end else np.zeros(len(s))]
    key = [f"{s}|{n}" for s, n in zip(sec_of.tolist(), name, strict=True)]
    first = np.sort(np.unique(key, return_index=True)[1])  # a node once per section
    sec_of, name, km = sec_of[first], name[first], km[first]
    km = np.where(km <= snap, 0.0, np.where(km >= total[sec_of] - snap, total[sec_of], km))
    order = np.lexsort((km, sec_of))  # stable: stations, then junctions, among equal chainages
    sec_of, name, km = sec_of[order], name[order], km[order]
    # an edge between consecutive nodes of a section, unless they are at one place
    r = np.flatnonzero((sec_of[1:] == sec_of[:-1]) & (np.diff(km) > _MIN_PIECE_KM))
    if not len(r):
        return
    ends = np.column_stack([r, r + 1]).ravel()  # u, v of every edge in turn
    _, first = np.unique(name[ends], return_index=True)
    new = ends[np.sort(first)]  # every node, in the order it is first met
    xy = lines.interpolate_xy(sec_of[new], km[new])
    info = _node_info(items)
    G.add_nodes_from(
        (n, {"x": x, "y": y, **info(n)})
        for n, (x, y) in zip(name[new].tolist(), xy.tolist(), strict=True)
        if n not in G
    )
    geoms = lines.cut(sec_of[r], km[r], km[r + 1])
    links.u.extend(name[r].tolist())
    links.v.extend(name[r + 1].tolist())
    links.geometry.append(geoms)
    links.length_m.append(length_km(gpd.GeoSeries(geoms, crs=WGS84)).to_numpy() * 1000.0)
    links.extra_s.append(np.zeros(len(r)))
    links.attrs.extend(secs.attrs[s] for s in sec_of[r].tolist())


@dataclass
class _Sections:
    """The kept sections of the corridors, one row each, and every (section, station) pair."""

    geometry: NDArray[np.object_]
    corridor: NDArray[np.object_]
    attrs: list[dict[str, Any]]
    pair_sec: NDArray[np.intp]
    pair_node: NDArray[np.object_]
    pair_point: NDArray[np.object_]

    @classmethod
    def of(cls, items: Sequence[Corridor], statuses: Sequence[str]) -> _Sections:
        geometry, corridor, attrs, pair_sec, pair_node, pair_point = [], [], [], [], [], []
        for c in items:  # gathering only: the geometry is done in batches by the caller
            s = c.sections
            own = s["status"].tolist() if "status" in s.columns else [None] * len(s)
            status = [v or c.meta.get("status") for v in own]  # its own status, else its line's
            kept = [i for i, v in enumerate(status) if v in statuses]
            if not kept:
                continue
            geoms = np.asarray(s.geometry.array, dtype=object)[kept]
            row0 = len(geometry)
            geometry.extend(
                g if isinstance(g, shapely.LineString) else single_line(g, what="section")
                for g in geoms
            )
            corridor.extend([c.id] * len(kept))
            sid, name = s["id"].tolist(), s["name"].astype(str).tolist()
            attrs.extend(
                {"mode": c.meta["mode"], "corridor": c.id, "section": sid[i], "name": name[i],
                 "status": status[i]}
                for i in kept
            )  # fmt: skip
            nodes = np.array([f"{c.id}:{i}" for i in c.stations["id"]], dtype=object)
            pair_sec.append(np.repeat(row0 + np.arange(len(kept)), len(nodes)))
            pair_node.append(np.tile(nodes, len(kept)))
            pair_point.append(np.tile(np.asarray(c.stations.geometry.array, object), len(kept)))
        return cls(
            np.array(geometry, dtype=object),
            np.array(corridor, dtype=object),
            attrs,
            np.concatenate(pair_sec or [np.zeros(0, np.intp)]),
            np.concatenate(pair_node or [np.zeros(0, object)]),
            np.concatenate(pair_point or [np.zeros(0, object)]),
        )


def _node_info(items: Sequence[Corridor]) -> Callable[[str], dict[str, Any]]:
    """A function from a corridor node id to its ``name``, ``kind`` and ``corridor``."""
    known: dict[str, tuple[str, str]] = {}
    for c in items:
        st = c.stations
        name_kind = zip(st["name"].astype(str), st["kind"].astype(str), strict=True)
        known.update(zip([f"{c.id}:{i}" for i in st["id"]], name_kind, strict=True))
    names = {c.id: c.name for c in items}

    def info(node_id: str) -> dict[str, Any]:
        cid, sid = node_id.split(":", 1)
        if node_id in known:
            name, kind = known[node_id]
            return {"name": name, "kind": kind, "corridor": cid}
        return {"name": f"{names[cid]} (junction at {sid})", "kind": "junction", "corridor": cid}

    return info


# -- links between corridors, ports and gates ---------------------------------------------------
@dataclass
class _Nodes:
    """Node ids, (lon, lat) and corridor of some nodes, as arrays."""

    ids: NDArray[np.object_]
    xy: NDArray[np.float64]
    corridor: NDArray[np.object_]

    @classmethod
    def of(cls, G: nx.MultiDiGraph) -> _Nodes:
        data = list(G.nodes(data=True))
        return cls(
            np.array([n for n, _ in data], dtype=object),
            np.array([(d["x"], d["y"]) for _, d in data], dtype=float).reshape(-1, 2),
            np.array([d.get("corridor") for _, d in data], dtype=object),
        )


def _interchanges(nodes: _Nodes, links: _Links) -> None:
    """Transfer links between nodes of different corridors within ``settings.interchange_km``."""
    i, j, d = _NodeIndex(nodes.xy).pairs_within(settings.interchange_km)
    other = nodes.corridor[i] != nodes.corridor[j]
    extra = np.full(int(other.sum()), settings.transfer_minutes * 60.0)
    _links_between(nodes, i[other], nodes, j[other], d[other], "transfer", extra, links)


def _access(G: nx.MultiDiGraph, nodes: _Nodes, links: _Links) -> None:
    """Ports and gates as nodes, each linked to its nearest node of every corridor in reach.

    The nearest is the first in ``nodes`` order among equally near ones.
    """
    p, g = ports(), border_gates()
    ids = ["port:" + i for i in p["id"]] + ["gate:" + i for i in g["id"]]
    names = p["name"].astype(str).tolist() + g["name"].astype(str).tolist()
    kinds = p["kind"].astype(str).tolist() + g["kind"].astype(str).tolist()
    iso3 = p["country"].tolist() + ["-".join(c) for c in g["countries"]]
    xy = shapely.get_coordinates(
        np.concatenate([np.asarray(p.geometry.array), np.asarray(g.geometry.array)])
    )
    # every place is a node, linked or not, so that a route to it can say why there is none
    G.add_nodes_from(
        (n, {"x": x, "y": y, "name": name, "kind": kind, "corridor": None, "iso3": c})
        for n, (x, y), name, kind, c in zip(ids, xy.tolist(), names, kinds, iso3, strict=True)
    )
    places = _Nodes(np.array(ids, dtype=object), xy, np.full(len(ids), None, dtype=object))
    i, j, d = _NodeIndex(xy).within(_NodeIndex(nodes.xy), settings.access_km)
    # the nearest node of each corridor for each place: the first of its (place, corridor) pairs
    # once sorted by distance
    order = np.argsort(d, kind="stable")
    _, corridor = np.unique(nodes.corridor[j].astype(str), return_inverse=True)
    _, first = np.unique((i * (corridor.max(initial=0) + 1) + corridor)[order], return_index=True)
    keep = order[np.sort(first)]
    # half the transfer time at each end of a port's access link; none at a gate
    port = np.array(kinds, dtype=object)[i[keep]] != "border-gate"
    extra = np.where(port, settings.transfer_minutes * 60 / 2, 0.0)
    _links_between(places, i[keep], nodes, j[keep], d[keep], "access", extra, links)


def _links_between(
    a: _Nodes,
    i: NDArray[np.intp],
    b: _Nodes,
    j: NDArray[np.intp],
    metres: NDArray[np.float64],
    mode: str,
    extra_s: NDArray[np.float64],
    links: _Links,
) -> None:
    """Straight links from nodes ``i`` of ``a`` to nodes ``j`` of ``b``, ``metres`` long."""
    links.u.extend(a.ids[i].tolist())
    links.v.extend(b.ids[j].tolist())
    links.geometry.append(shapely.linestrings(np.stack([a.xy[i], b.xy[j]], axis=1)))
    links.length_m.append(np.asarray(metres, dtype=float))
    links.extra_s.append(np.asarray(extra_s, dtype=float))
    # named from both ends' names once the graph has every node
    links.attrs.extend(
        {"mode": mode, "corridor": mode, "name": None, "status": "operational"} for _ in i
    )


def _add_links(G: nx.MultiDiGraph, links: _Links) -> None:
    """Add every link both ways, with its speed, travel time and border formalities.

    One ``split_by_country`` call finds the links that cross a border (one direction each: the
    reverse crosses the same borders).
    """
    if not links.u:
        return
    geoms = np.concatenate(links.geometry)
    pieces = split_by_country(gpd.GeoSeries(geoms, crs=WGS84))
    pieces = pieces[pieces["iso3"] != OUTSIDE]  # a stretch at sea is no border crossing
    countries = pieces.groupby("line")["iso3"].nunique()
    crossing = np.zeros(len(geoms), bool)
    crossing[countries.index[countries.to_numpy() > 1].to_numpy(dtype=np.intp)] = True
    metres = np.concatenate(links.length_m).tolist()
    extra = np.concatenate(links.extra_s).tolist()
    reverse = shapely.reverse(geoms)
    name_of = G.nodes.data("name")
    border_s = settings.border_minutes * 60
    edges = []
    for n, attrs in enumerate(links.attrs):  # networkx keeps one dict per edge
        speed = float(settings.speeds_kph[attrs["mode"]])
        data = {
            "length": metres[n],
            "travel_time": metres[n] / (speed / 3.6) + extra[n],
            "speed_kph": speed,
            **attrs,
        }
        if data["name"] is None:
            data["name"] = f"{attrs['mode']}: {name_of[links.u[n]]} – {name_of[links.v[n]]}"
        if crossing[n]:
            data["travel_time"] += border_s
            data["crosses_border"] = True
        edges.append((links.u[n], links.v[n], {"geometry": geoms[n], **data}))
        edges.append((links.v[n], links.u[n], {"geometry": reverse[n], **data}))
    G.add_edges_from(edges)


# -- spatial look-ups --------------------------------------------------------------------------
class _NodeIndex:
    """Points (lon, lat) in a k-d tree, for geodesic nearest-point and within-distance look-ups.

    The tree holds geocentric coordinates (x, y, z in metres on the ``settings.ellipsoid``
    surface). A straight chord is never longer than the geodesic between the same two points, so
    a ball query of the tree by chord returns every point within a geodesic distance, and a few
    more; the geodesic then decides. The answers are exactly those of measuring every pair with
    ``pyproj.Geod.inv``, in O(n log n) instead of O(n²).
    """

    def __init__(self, lonlat: NDArray[np.float64]) -> None:
        self.lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
        self.tree = cKDTree(_geocentric(self.lonlat))

    def _geodesic_m(
        self, i: NDArray[np.intp], other: _NodeIndex, j: NDArray[np.intp]
    ) -> NDArray[np.float64]:
        a, b = self.lonlat[i], other.lonlat[j]
        _, _, d = geod().inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
        return np.asarray(d, dtype=float)

    def within(
        self, other: _NodeIndex, km: float
    ) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
        """Pairs (i here, j in ``other``) at most ``km`` apart, by (i, j), and their distance, m."""
        found = self.tree.sparse_distance_matrix(other.tree, _reach_m(km), output_type="ndarray")
        return self._kept(found["i"], other, found["j"], km)

    def pairs_within(
        self, km: float
    ) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
        """Pairs ``i < j`` of points at most ``km`` apart, by (i, j), and their distance, m."""
        found = self.tree.query_pairs(_reach_m(km), output_type="ndarray").reshape(-1, 2)
        return self._kept(found[:, 0], self, found[:, 1], km)

    def _kept(
        self, i: NDArray[Any], other: _NodeIndex, j: NDArray[Any], km: float
    ) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
        i, j = np.asarray(i, dtype=np.intp), np.asarray(j, dtype=np.intp)
        order = np.lexsort((j, i))
        i, j = i[order], j[order]
        d = self._geodesic_m(i, other, j)
        keep = d <= km * 1000.0
        return i[keep], j[keep], d[keep]

    def nearest(self, lon: float, lat: float) -> int:
        """Position of the point geodesically nearest (lon, lat); the first of equals."""
        if not len(self.lonlat):
            raise ValueError("no points to find the nearest of")
        here = _geocentric(np.array([[lon, lat]], dtype=float))[0]
        _, k = self.tree.query(here)  # nearest by chord: its geodesic bounds the answer's
        reach = self._from(lon, lat, np.array([k]))[0]
        candidates = np.sort(self.tree.query_ball_point(here, _reach_m(reach / 1e3)))
        return int(candidates[int(np.argmin(self._from(lon, lat, candidates)))])

    def _from(self, lon: float, lat: float, i: NDArray[np.intp]) -> NDArray[np.float64]:
        """Geodesic distance in m from (lon, lat) to the points ``i``."""
        n = len(i)
        _, _, d = geod().inv(np.full(n, lon), np.full(n, lat), self.lonlat[i, 0], self.lonlat[i, 1])
        return np.asarray(d, dtype=float)


def _reach_m(km: float) -> float:
    """A chord length that no pair within ``km`` (geodesic) exceeds, rounding included."""
    return km * 1000.0 * (1 + 1e-9) + 1e-3


def _geocentric(lonlat: NDArray[np.float64]) -> NDArray[np.float64]:
    """Geocentric x, y, z in metres of (lon, lat) points on the ellipsoid's surface."""
    g = geod()
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    n = g.a / np.sqrt(1.0 - g.es * np.sin(lat) ** 2)
    return np.column_stack(
        [n * np.cos(lat) * np.cos(lon), n * np.cos(lat) * np.sin(lon), n * (1 - g.es) * np.sin(lat)]
    )


# -- joining an OSMnx road graph -------------------------------------------------------------------
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
    This lived in :mod:`corridors.osm` before; ``corridors.osm.attach_road_graph`` still imports
    this same function, for compatibility.

    The nearest road node comes from :func:`osmnx.distance.nearest_nodes`, which needs
    scikit-learn for unprojected graphs; without it a NumPy haversine search over all road nodes
    is used instead. The distance kept is the geodesic one on ``settings.ellipsoid``.

    Examples
    --------
    >>> import networkx as nx
    >>> from corridors.network import attach_road_graph
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
