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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from corridors import settings
from corridors._coerce import WGS84, single_line
from corridors._csgraph import clear_cache, distance_matrix, shortest_path_nodes
from corridors._lines import Lines
from corridors.borders import split_by_country
from corridors.corridor import Corridor
from corridors.errors import UnknownIdError
from corridors.geodesy import geod, length_km
from corridors.registry import border_gates, ids, load, ports

__all__ = ["SCENARIOS", "build", "clear_cache", "distance_matrix", "shortest_path_nodes"]

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
