"""Distances along a corridor between named stations."""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors import settings
from corridors._coerce import check_lonlat
from corridors.borders import border_crossings, split_by_country
from corridors.catalogue import load
from corridors.corridor import Corridor, _name_keys, _normal
from corridors.errors import GeometryError, NoRouteError, UnknownIdError
from corridors.geodesy import LocatedPoints, geod

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["Route", "distance_km", "route", "station_chainage_km"]


def _corridor(corridor: str | Corridor) -> Corridor:
    return corridor if isinstance(corridor, Corridor) else load(corridor)


def station_chainage_km(corridor: str | Corridor) -> pd.DataFrame:
    """Chainage of every station along the corridor's main line, with its offset from the line.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``name``, ``kind``, ``chainage_km`` (geodesic, from the main line's start) and
        ``offset_km`` (distance from the line), one row per station in line order.

    Examples
    --------
    >>> import corridors
    >>> table = corridors.station_chainage_km("china-laos-railway")
    >>> bool(table["chainage_km"].is_monotonic_increasing)
    True
    """
    c = _corridor(corridor)
    if len(c.stations) == 0:
        raise GeometryError(f"corridor {c.id!r} has no stations")
    if not isinstance(c.geometry, shapely.LineString):
        raise GeometryError(f"corridor {c.id!r}: the main line is not one continuous LineString")
    located = LocatedPoints(c.geometry, np.asarray(c.stations.geometry.array, dtype=object))
    table = c.stations[["id", "name", "kind"]].copy()
    table["chainage_km"] = located.chainage_km
    table["offset_km"] = located.offset_km
    return table.sort_values("chainage_km", kind="stable").reset_index(drop=True)


def distance_km(corridor: str | Corridor, a: str, b: str) -> float:
    """Geodesic distance along the corridor's main line between two stations.

    Parameters
    ----------
    corridor
        A corridor id or a ``Corridor``.
    a, b
        Station ids or names (English or local, case-insensitive).

    Returns
    -------
    float
        Distance in km along the line, always >= 0.

    Raises
    ------
    UnknownIdError
        For an unknown corridor or station, with did-you-mean suggestions.
    GeometryError
        If a station lies farther than ``settings.station_snap_km`` from the main line
        (e.g. it is on a branch).

    Examples
    --------
    >>> import corridors
    >>> corridors.distance_km("china-laos-railway", "Kunming South", "Vientiane") > 900
    True
    """
    c = _corridor(corridor)
    rows = [c.station(a), c.station(b)]
    if not isinstance(c.geometry, shapely.LineString):
        raise GeometryError(f"corridor {c.id!r}: the main line is not one continuous LineString")
    located = LocatedPoints(c.geometry, np.asarray([r.geometry for r in rows], dtype=object))
    far = located.offset_km > settings.station_snap_km
    if far.any():
        r = rows[int(np.flatnonzero(far)[0])]
        raise GeometryError(
            f"station {r['name']!r} is {located.offset_km[far][0]:.1f} km from the main line of "
            f"{c.id!r} (more than settings.station_snap_km = {settings.station_snap_km} km)"
        )
    return float(abs(located.chainage_km[1] - located.chainage_km[0]))


# -- routing over the network --------------------------------------------------------------------
@dataclass(eq=False)
class Route:
    """A route through the corridor network, from :func:`route`.

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
        ``status``, ``length_km``, ``travel_time_h``, ``crosses_border`` and the geometry.
    """

    origin: str
    destination: str
    scenario: str
    weight: str
    modes: tuple[str, ...]
    nodes: list[str]
    edges: gpd.GeoDataFrame
    names: tuple[str, str]

    @property
    def length_km(self) -> float:
        """Length along the network, km."""
        return float(self.edges["length_km"].sum())

    @property
    def travel_time_h(self) -> float:
        """Travel time, hours, with transfers and border formalities."""
        return float(self.edges["travel_time_h"].sum())

    @property
    def geometry(self) -> shapely.LineString:
        """The whole route as one LineString in EPSG:4326."""
        coords = np.vstack([np.asarray(g.coords) for g in self.edges.geometry])
        keep = np.r_[True, np.any(np.diff(coords, axis=0) != 0, axis=1)]
        return shapely.LineString(coords[keep])

    @property
    def legs(self) -> gpd.GeoDataFrame:
        """Consecutive edges on the same corridor and mode, merged: one row per leg."""
        e = self.edges
        key = e["corridor"].astype(str) + "|" + e["mode"].astype(str)
        leg = (key != key.shift()).cumsum().to_numpy() - 1
        rows = []
        for i in range(int(leg.max()) + 1):
            part = e[leg == i]
            coords = np.vstack([np.asarray(g.coords) for g in part.geometry])
            rows.append(
                {
                    "leg": i + 1,
                    "corridor": part["corridor"].iloc[0],
                    "mode": part["mode"].iloc[0],
                    "status": ", ".join(sorted(set(part["status"]))),
                    "from": part["u"].iloc[0],
                    "to": part["v"].iloc[-1],
                    "length_km": float(part["length_km"].sum()),
                    "travel_time_h": float(part["travel_time_h"].sum()),
                    "geometry": shapely.LineString(coords) if len(coords) > 1 else None,
                }
            )
        return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")

    @property
    def km_by_country(self) -> pd.Series:
        """Kilometres in each country (ISO alpha-3), on the Natural Earth borders."""
        pieces = split_by_country(self.to_geoseries())
        return pieces.groupby("iso3")["length_km"].sum().rename("km")

    @property
    def crossings(self) -> gpd.GeoDataFrame:
        """Border crossings along the route, with chainage and the nearest border gate."""
        return border_crossings(self.to_geoseries())

    def to_geoseries(self) -> gpd.GeoSeries:
        """The route's line as a one-row GeoSeries (so geodesy and borders accept a Route)."""
        return gpd.GeoSeries(
            [self.geometry], index=[f"{self.origin}→{self.destination}"], crs="EPSG:4326"
        )

    def __repr__(self) -> str:
        return (
            f"<Route {self.names[0]} → {self.names[1]} ({self.scenario}, by {self.weight}): "
            f"{self.length_km:,.1f} km, {self.travel_time_h:,.1f} h, {len(self.legs)} legs>"
        )

    def _repr_html_(self) -> str:
        esc = html.escape
        legs = self.legs.drop(columns="geometry")
        by_country = ", ".join(f"{esc(k)} {v:,.1f} km" for k, v in self.km_by_country.items())
        return (
            f"<div><b>{esc(self.names[0])} → {esc(self.names[1])}</b> ({esc(self.scenario)}, by "
            f"{esc(self.weight)}): {self.length_km:,.1f} km, {self.travel_time_h:,.1f} h<br>"
            f"by country: {by_country}{legs.to_html(index=False, escape=True)}</div>"
        )


WEIGHTS = {
    "length": "length",
    "distance": "length",
    "travel_time": "travel_time",
    "time": "travel_time",
}


@cache
def _network(scenario: str, modes: tuple[str, ...], knobs: tuple[Any, ...]) -> nx.MultiDiGraph:
    from corridors import network

    return network.build(scenario, modes=modes)


def _knobs() -> tuple[Any, ...]:
    return (
        str(settings.data_dir),
        tuple(sorted(settings.speeds_kph.items())),
        settings.transfer_minutes,
        settings.border_minutes,
        settings.interchange_km,
        settings.access_km,
    )


def _places(G: nx.MultiDiGraph, place: Any) -> list[str]:
    """The nodes a place names: a node id, a name, a station id, or (lon, lat) snapped."""
    if (
        isinstance(place, tuple | list)
        and len(place) == 2
        and all(isinstance(v, int | float) for v in place)
    ):
        lon, lat = map(float, place)
        check_lonlat(np.array([[lon, lat]]), what="place")
        nodes = list(G.nodes)
        xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes])
        _, _, d = geod().inv(np.full(len(xy), lon), np.full(len(xy), lat), xy[:, 0], xy[:, 1])
        return [nodes[int(np.argmin(d))]]
    if not isinstance(place, str):
        raise GeometryError(f"a place is a name, an id or (lon, lat), not {type(place).__name__}")
    if place in G:
        return [place]
    wanted = _normal(place)
    # best first: the name itself, then the id, then an alias in brackets ("Oudomxay" in
    # "Muang Xay (Oudomxay) station")
    ranks: list[list[str]] = [[], [], []]
    for n, d in G.nodes(data=True):
        name = str(d.get("name", ""))
        full = _normal(name)
        if wanted in {full, full.removesuffix(" station")}:
            ranks[0].append(n)
        elif wanted == _normal(str(n).split(":", 1)[-1]):
            ranks[1].append(n)
        elif wanted in _name_keys(name):
            ranks[2].append(n)
    for hits in ranks:
        if hits:
            return hits
    known = sorted(
        {_normal(str(n).split(":", 1)[-1]).replace(" ", "-") for n in G.nodes}
        | {
            _normal(str(d.get("name", ""))).removesuffix(" station").replace(" ", "-")
            for _, d in G.nodes(data=True)
        }
    )
    raise UnknownIdError("place", place, known)


def route(
    origin: Any,
    destination: Any,
    *,
    scenario: str = "current",
    weight: str = "travel_time",
    modes: Sequence[str] | None = None,
) -> Route:
    """The best route between two places over the corridor network.

    Parameters
    ----------
    origin, destination
        A station, dry port, border gate, port or town name (``"Kunming South"``,
        ``"Vung Ang"``), a node id, or ``(lon, lat)`` snapped to the nearest node. A name shared
        by several nodes (``"Vientiane"``) starts or ends at whichever of them is best.
    scenario
        ``"current"`` or ``"planned"`` (see :mod:`corridors.network`).
    weight
        ``"travel_time"`` (or ``"time"``) or ``"length"`` (or ``"distance"``).
    modes
        Keep only these modes (``"rail"``, ``"road"``); default: both.

    Raises
    ------
    NoRouteError
        When no route exists in the scenario, naming the planned links that would make one.

    Examples
    --------
    >>> import corridors
    >>> r = corridors.route("Kunming South", "Vientiane", weight="length")
    >>> r.crossings[["from_iso3", "to_iso3"]].values.tolist()
    [['CHN', 'LAO']]
    """
    if weight not in WEIGHTS:
        raise UnknownIdError("weight", weight, WEIGHTS)
    attr = WEIGHTS[weight]
    mode_key = tuple(sorted(modes)) if modes is not None else ("rail", "road")
    G = _network(scenario, mode_key, _knobs())
    import networkx as nx

    sources, targets = _places(G, origin), _places(G, destination)
    best: tuple[float, list[str]] | None = None
    for t in targets:
        try:
            cost, path = nx.multi_source_dijkstra(G, set(sources), target=t, weight=attr)
        except nx.NetworkXNoPath:
            continue
        if best is None or cost < best[0]:
            best = (cost, path)
    if best is None:
        raise NoRouteError(_no_route_message(origin, destination, scenario, attr, mode_key))
    path = best[1]
    rows = []
    for u, v in itertools.pairwise(path):
        data = min(G.get_edge_data(u, v).values(), key=lambda d: d[attr])
        rows.append(
            {
                "u": u,
                "v": v,
                "mode": data["mode"],
                "corridor": data["corridor"],
                "section": data.get("section"),
                "name": data.get("name"),
                "status": data["status"],
                "length_km": data["length"] / 1000.0,
                "travel_time_h": data["travel_time"] / 3600.0,
                "crosses_border": bool(data.get("crosses_border", False)),
                "geometry": data["geometry"],
            }
        )
    edges = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    names = (str(G.nodes[path[0]].get("name")), str(G.nodes[path[-1]].get("name")))
    return Route(path[0], path[-1], scenario, attr, mode_key, path, edges, names)


def _no_route_message(
    origin: Any, destination: Any, scenario: str, attr: str, modes: tuple[str, ...]
) -> str:
    by = f" by {' and '.join(modes)}" if modes != ("rail", "road") else ""
    head = f"no route from {origin!r} to {destination!r} in the {scenario} network{by}"
    if scenario == "current":
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
            names.append(f"the {status} {load(cid).name} ({sections})")
        return f"{head}; {' and '.join(names)} would connect them ({planned.length_km:,.0f} km)"
    return head
