"""Routes over the corridor network: places, the best route between them, and why there is none.

As in OSMnx's ``osmnx.routing``, this module holds :func:`route` and its result,
:class:`Route`, on top of the network of :func:`corridors.network.build`:

* **places**: a name (station, dry port, border gate, port or town, forgiving case, punctuation
  and "station"), a node id, or ``(lon, lat)``: every node within ``settings.access_km`` of it,
  and the geodesically nearest, found with a k-d tree (no distance to every node), is a
  candidate start or end, reached by a straight access leg; a point farther than
  ``settings.max_snap_km`` from every node is refused;
* **the engine**: SciPy's Dijkstra from the candidate origins, on the CSR matrix that
  :func:`corridors.network.distance_matrix` uses too, built once per network and weight and
  cached (``corridors._csgraph``); the cost is exactly networkx's, plus the access legs;
* **the explanation**: when the current network has no route, :class:`NoRouteError` names the
  planned links that would make one.

The network of each scenario, modes and settings is built once per session and kept with its
edge table and place index; changing a setting in :mod:`corridors.settings` builds a new one.

Examples
--------
>>> import corridors
>>> r = corridors.route("Kunming South", "Vientiane", weight="length")
>>> r.legs["corridor"].tolist()
['china-laos-railway']
"""

from __future__ import annotations

import html
import numbers
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors import settings
from corridors._coerce import WGS84, check_lonlat
from corridors._text import match_key, name_keys
from corridors.borders import border_crossings, split_by_country
from corridors.errors import CorridorsError, GeometryError, NoRouteError, UnknownIdError
from corridors.registry import load

if TYPE_CHECKING:
    import networkx as nx
    from numpy.typing import NDArray

__all__ = ["WEIGHTS", "Route", "route"]

#: The weights a route minimises, by the names :func:`route` accepts.
WEIGHTS = {
    "length": "length",
    "distance": "length",
    "travel_time": "travel_time",
    "time": "travel_time",
}
_BOTH = ("rail", "road")
_LEG_COLUMNS = ["leg", "corridor", "mode", "status", "from", "to", "length_km", "travel_time_h"]


@dataclass(eq=False)
class Route:
    """A route through the corridor network, from :func:`route`.

    ``geometry``, ``legs``, ``km_by_country`` and ``crossings`` are computed on first use and
    kept (treat them as read-only).

    Attributes
    ----------
    origin, destination
        The node ids the route starts and ends at.
    scenario, weight, modes
        How it was found.
    nodes
        The node ids along the route.
    edges
        GeoDataFrame, one row per edge: ``u``, ``v``, ``mode``, ``corridor``, ``section``,
        ``name``, ``status``, ``length_km``, ``travel_time_h``, ``crosses_border`` and the
        geometry.
    names
        The names of the first and last node.
    origin_snap_km, destination_snap_km
        Geodesic distance, km, from a ``(lon, lat)`` origin or destination to the node the
        route starts or ends at (0 for a place given by name or id). These access legs are
        not part of ``length_km`` or ``travel_time_h``.
    """

    origin: str
    destination: str
    scenario: str
    weight: str
    modes: tuple[str, ...]
    nodes: list[str]
    edges: gpd.GeoDataFrame
    names: tuple[str, str]
    origin_snap_km: float = 0.0
    destination_snap_km: float = 0.0

    @property
    def length_km(self) -> float:
        """Length along the network, km."""
        return float(self.edges["length_km"].sum())

    @property
    def travel_time_h(self) -> float:
        """Travel time, hours, with transfers and border formalities."""
        return float(self.edges["travel_time_h"].sum())

    @cached_property
    def geometry(self) -> shapely.LineString:
        """The whole route as one LineString in EPSG:4326 (empty for a route of no edge)."""
        coords = shapely.get_coordinates(np.asarray(self.edges.geometry.array, dtype=object))
        keep = np.r_[True, np.any(np.diff(coords, axis=0) != 0, axis=1)][: len(coords)]
        return shapely.LineString(coords[keep])

    @cached_property
    def legs(self) -> gpd.GeoDataFrame:
        """Consecutive edges on the same corridor and mode, merged: one row per leg."""
        e = self.edges
        if len(e) == 0:
            empty = {c: [] for c in _LEG_COLUMNS}
            return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=WGS84))
        key = e["corridor"].astype(str) + "|" + e["mode"].astype(str)
        starts = np.flatnonzero((key != key.shift()).to_numpy())
        leg = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(e)]))
        ends = np.r_[starts[1:], len(e)] - 1
        coords, owner = shapely.get_coordinates(
            np.asarray(e.geometry.array, dtype=object), return_index=True
        )
        status = e["status"].astype(str).tolist()
        runs = zip(starts.tolist(), ends.tolist(), strict=True)
        table = {
            "leg": np.arange(1, len(starts) + 1),
            "corridor": e["corridor"].to_numpy()[starts],
            "mode": e["mode"].to_numpy()[starts],
            "status": [", ".join(sorted(set(status[a : b + 1]))) for a, b in runs],
            "from": e["u"].to_numpy()[starts],
            "to": e["v"].to_numpy()[ends],
            "length_km": np.add.reduceat(e["length_km"].to_numpy(dtype=float), starts),
            "travel_time_h": np.add.reduceat(e["travel_time_h"].to_numpy(dtype=float), starts),
        }
        geometry = shapely.linestrings(coords, indices=leg[owner])
        return gpd.GeoDataFrame(table, geometry=geometry, crs=WGS84)

    @cached_property
    def _pieces(self) -> gpd.GeoDataFrame:
        return split_by_country(self.to_geoseries())

    @cached_property
    def km_by_country(self) -> pd.Series:
        """Kilometres in each country (ISO alpha-3), on the Natural Earth borders."""
        return self._pieces.groupby("iso3")["length_km"].sum().rename("km")

    @cached_property
    def crossings(self) -> gpd.GeoDataFrame:
        """Border crossings along the route, with chainage and the nearest border gate."""
        return border_crossings(self.to_geoseries())

    def to_geoseries(self) -> gpd.GeoSeries:
        """The route's line as a one-row GeoSeries (so geodesy and borders accept a Route)."""
        return gpd.GeoSeries(
            [self.geometry], index=[f"{self.origin}→{self.destination}"], crs=WGS84
        )

    def __repr__(self) -> str:
        return (
            f"<Route {self.names[0]} → {self.names[1]} ({self.scenario}, by {self.weight}): "
            f"{self.length_km:,.1f} km, {self.travel_time_h:,.1f} h, {len(self.legs)} legs"
            f"{self._snapped()}>"
        )

    def _snapped(self) -> str:
        """How far the ends lie off the network, when either does (else nothing)."""
        if not (self.origin_snap_km or self.destination_snap_km):
            return ""
        return (
            f", snapped {self.origin_snap_km:,.2f} km at the start and "
            f"{self.destination_snap_km:,.2f} km at the end"
        )

    def _repr_html_(self) -> str:
        esc = html.escape
        legs = self.legs.drop(columns="geometry")
        by_country = ", ".join(f"{esc(k)} {v:,.1f} km" for k, v in self.km_by_country.items())
        return (
            f"<div><b>{esc(self.names[0])} → {esc(self.names[1])}</b> ({esc(self.scenario)}, by "
            f"{esc(self.weight)}): {self.length_km:,.1f} km, {self.travel_time_h:,.1f} h"
            f"{esc(self._snapped())}<br>"
            f"by country: {by_country}{legs.to_html(index=False, escape=True)}</div>"
        )


# -- the network, its edge table and its places, built once -------------------------------------
class _Places:
    """Which nodes of a network a place names: an index of names, ids and positions."""

    def __init__(self, graph: nx.MultiDiGraph) -> None:
        from corridors.network import _NodeIndex

        data = list(graph.nodes(data=True))
        self.nodes = [n for n, _ in data]
        self.ids = set(self.nodes)
        self.by_name: dict[str, list[Hashable]] = {}
        self.by_id: dict[str, list[Hashable]] = {}
        self.by_alias: dict[str, list[Hashable]] = {}
        for n, d in data:
            name = str(d.get("name", ""))
            full = match_key(name)
            for key in dict.fromkeys([full, full.removesuffix(" station")]):
                self.by_name.setdefault(key, []).append(n)
            self.by_id.setdefault(match_key(str(n).split(":", 1)[-1]), []).append(n)
            for key in name_keys(name):
                self.by_alias.setdefault(key, []).append(n)
        self.names = [str(d.get("name", "")) for _, d in data]
        self.index = _NodeIndex(np.array([(d["x"], d["y"]) for _, d in data], dtype=float))

    def resolve(self, place: Any) -> list[Hashable]:
        """The candidate nodes of ``place``, as :meth:`candidates` gives them."""
        return self.candidates(place)[0]

    def candidates(self, place: Any) -> tuple[list[Hashable], NDArray[np.float64]]:
        """The nodes ``place`` may start or end at, and the metres from it to each.

        A name gives its nodes, best first: by name, then by id, then by an alias (a name in
        brackets, ``"Oudomxay"`` in "Muang Xay (Oudomxay) station"), each 0 m away. A
        ``(lon, lat)`` pair gives the geodesically nearest node first (the first of equals),
        then every other node within ``settings.access_km``, nearest first.
        """
        if _is_lonlat(place):
            lon, lat = map(float, place)
            check_lonlat(np.array([[lon, lat]]), what="place")
            return self._near(lon, lat)
        return (nodes := self._named(place)), np.zeros(len(nodes))

    def _near(self, lon: float, lat: float) -> tuple[list[Hashable], NDArray[np.float64]]:
        from corridors.network import _NodeIndex

        if not self.nodes:
            return [], np.zeros(0)
        k = self.index.nearest(lon, lat)
        _, j, metres = _NodeIndex(np.array([[lon, lat]])).within(self.index, settings.access_km)
        nearest_m = self.index._from(lon, lat, np.array([k]))[0]  # geodesic, m
        order = np.argsort(metres, kind="stable")
        j, metres = j[order], metres[order]
        keep = j != k
        positions = np.r_[k, j[keep]]
        return [self.nodes[p] for p in positions], np.r_[float(nearest_m), metres[keep]]

    def _named(self, place: Any) -> list[Hashable]:
        if isinstance(place, tuple | list | np.ndarray):
            text = repr(place if isinstance(place, tuple | list) else place.tolist())
            more = "..." if len(text) > 60 else ""
            raise GeometryError(f"a (lon, lat) place is two numbers, not {text[:60]}{more}")
        if not isinstance(place, str):
            raise GeometryError(
                f"a place is a name, an id or (lon, lat), not {type(place).__name__}"
            )
        if place in self.ids:
            return [place]
        wanted = match_key(place)
        for index in (self.by_name, self.by_id, self.by_alias):
            if wanted in index:
                return list(index[wanted])
        known = {match_key(str(n).split(":", 1)[-1]).replace(" ", "-") for n in self.nodes} | {
            match_key(name).removesuffix(" station").replace(" ", "-") for name in self.names
        }
        raise UnknownIdError("place", place, sorted(known))


def _is_lonlat(place: Any) -> bool:
    """Whether ``place`` is a pair of real numbers (not booleans), as ``(lon, lat)``."""
    return (
        isinstance(place, tuple | list | np.ndarray)
        and len(place) == 2
        and all(isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_) for v in place)
    )


@dataclass(frozen=True)
class _Network:
    """A built network with what routing needs of it, made once.

    ``edges`` has one row per edge in ``list(graph.edges(keys=True))`` order, the order in which
    the engine (``_csgraph.best_path``) numbers them.
    """

    graph: nx.MultiDiGraph
    edges: gpd.GeoDataFrame
    places: _Places


@cache
def _network(scenario: str, modes: tuple[str, ...], knobs: tuple[Any, ...]) -> _Network:
    from corridors import network

    graph = network.build(scenario, modes=modes)
    rows = [
        {
            "u": u,
            "v": v,
            "mode": d["mode"],
            "corridor": d["corridor"],
            "section": d.get("section"),
            "name": d.get("name"),
            "status": d["status"],
            "length_km": d["length"] / 1000.0,
            "travel_time_h": d["travel_time"] / 3600.0,
            "crosses_border": bool(d.get("crosses_border", False)),
            "geometry": d["geometry"],
        }
        for u, v, d in graph.edges(data=True)
    ]
    edges = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    return _Network(graph, edges, _Places(graph))


def _knobs() -> tuple[Any, ...]:
    """The settings a network depends on: a new value builds a new network."""
    return (
        str(settings.data_dir),
        settings.ellipsoid,
        tuple(sorted(settings.speeds_kph.items())),
        settings.transfer_minutes,
        settings.border_minutes,
        settings.interchange_km,
        settings.access_km,
        settings.node_snap_km,
    )


def _mode_key(modes: Sequence[str] | str | None) -> tuple[str, ...]:
    """The modes as a sorted tuple without repeats; a string is one mode."""
    if modes is None:
        return _BOTH
    wanted = [modes] if isinstance(modes, str) else list(modes)
    for m in wanted:
        if not isinstance(m, str) or m not in _BOTH:
            raise UnknownIdError("mode", str(m), _BOTH)
    if not wanted:
        raise CorridorsError("no mode to route by: give 'rail', 'road' or both (None: both)")
    return tuple(sorted(set(wanted)))


def route(
    origin: Any,
    destination: Any,
    *,
    scenario: str = "current",
    weight: str = "travel_time",
    modes: Sequence[str] | str | None = None,
) -> Route:
    """The best route between two places over the corridor network.

    Parameters
    ----------
    origin, destination
        A station, dry port, border gate, port or town name (``"Kunming South"``,
        ``"Vung Ang"``), a node id, or ``(lon, lat)``. A name shared by several nodes
        (``"Vientiane"``) starts or ends at whichever of them is best. A ``(lon, lat)`` point
        starts or ends at whichever node within ``settings.access_km`` of it (or the nearest
        node) gives the cheapest total, counting a straight access leg to it: its geodesic
        length by ``"length"``, that length at ``settings.speeds_kph["access"]`` by
        ``"travel_time"``; the route's ``origin_snap_km`` and ``destination_snap_km`` say how
        long those legs are.
    scenario
        ``"current"`` or ``"planned"`` (see :mod:`corridors.network`).
    weight
        ``"travel_time"`` (or ``"time"``) or ``"length"`` (or ``"distance"``).
    modes
        Keep only these modes (``"rail"``, ``"road"``, or one of them as a string); default:
        both.

    Returns
    -------
    Route
        Its nodes and edges, with its length, travel time, legs, kilometres by country and
        border crossings. Among routes of equal cost, which one is returned is unspecified.

    Raises
    ------
    NoRouteError
        When no route exists in the scenario, naming the planned links that would make one, or
        when a ``(lon, lat)`` place is farther than ``settings.max_snap_km`` from every node.
    CoordinateError
        For a ``(lon, lat)`` place out of range.
    CorridorsError
        For an empty ``modes``.
    UnknownIdError
        For an unknown place (with suggestions), weight, scenario or mode.

    Examples
    --------
    >>> import corridors
    >>> r = corridors.route("Kunming South", "Vientiane", weight="length")
    >>> r.crossings[["from_iso3", "to_iso3"]].values.tolist()
    [['CHN', 'LAO']]
    """
    from corridors.network import SCENARIOS

    if not isinstance(weight, str) or weight not in WEIGHTS:
        raise UnknownIdError("weight", str(weight), WEIGHTS)
    if not isinstance(scenario, str) or scenario not in SCENARIOS:
        raise UnknownIdError("scenario", str(scenario), SCENARIOS)
    attr = WEIGHTS[weight]
    mode_key = _mode_key(modes)
    net = _network(scenario, mode_key, _knobs())
    sources, source_m = _snapped(net, origin, scenario)
    targets, target_m = _snapped(net, destination, scenario)
    from corridors._csgraph import best_path, distance_matrix

    # the cheapest total: access leg + network + access leg, over every pair of candidates
    access = 1.0 if attr == "length" else 3.6 / float(settings.speeds_kph["access"])  # per m
    cost = distance_matrix(net.graph, sources, targets, attr).to_numpy()
    total = (source_m * access)[:, None] + cost + (target_m * access)[None, :]
    i, j = np.unravel_index(int(np.argmin(total)), total.shape)
    found = best_path(net.graph, [sources[i]], [targets[j]], attr)
    if found is None or not np.isfinite(total[i, j]):
        raise NoRouteError(_no_route_message(origin, destination, scenario, attr, mode_key))
    edges = net.edges.iloc[found.edges].reset_index(drop=True)
    path = list(found.nodes)
    names = (str(net.graph.nodes[path[0]].get("name")), str(net.graph.nodes[path[-1]].get("name")))
    snap = (float(source_m[i]) / 1000.0, float(target_m[j]) / 1000.0)
    return Route(path[0], path[-1], scenario, attr, mode_key, path, edges, names, *snap)


def _snapped(
    net: _Network, place: Any, scenario: str
) -> tuple[list[Hashable], NDArray[np.float64]]:
    """The candidate nodes of ``place`` and their distance, m; refused when it is too far."""
    nodes, metres = net.places.candidates(place)
    limit = float(settings.max_snap_km)
    if len(nodes) and metres[0] > limit * 1000.0:
        name = net.graph.nodes[nodes[0]].get("name") or nodes[0]
        raise NoRouteError(
            f"the place {tuple(map(float, place))} is {metres[0] / 1000.0:,.1f} km from the "
            f"nearest node of the {scenario} network ({name}), beyond settings.max_snap_km "
            f"= {limit:g} km"
        )
    return nodes, metres


def _no_route_message(
    origin: Any, destination: Any, scenario: str, attr: str, modes: tuple[str, ...]
) -> str:
    """Why there is no route: in the current network, the planned links that would make one."""
    by = f" by {' and '.join(modes)}" if modes != _BOTH else ""
    head = f"no route from {origin!r} to {destination!r} in the {scenario} network{by}"
    if scenario != "current":
        return head
    try:
        planned = route(origin, destination, scenario="planned", weight=attr, modes=modes)
    except NoRouteError:
        return f"{head}, and none even with the planned lines"
    future = planned.edges[planned.edges["status"] != "operational"]
    names = []
    for cid in dict.fromkeys(future["corridor"]):
        part = future[future["corridor"] == cid]
        sections = ", ".join(dict.fromkeys(part["section"].dropna()))
        status = "/".join(sorted(set(part["status"])))
        names.append(f"the {status} {_corridor_name(cid, str(settings.data_dir))} ({sections})")
    return f"{head}; {' and '.join(names)} would connect them ({planned.length_km:,.0f} km)"


@cache
def _corridor_name(corridor_id: str, data_dir: str) -> str:
    """A corridor's name, read once per data folder (``load`` builds a whole ``Corridor``)."""
    return load(corridor_id).name
