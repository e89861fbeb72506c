"""The corridors as one routable network, today and as planned.

:func:`build` joins every embedded corridor into a ``networkx.MultiDiGraph`` in OSMnx's
conventions (``G.graph["crs"]``, node ``x``/``y``, edge ``length`` in metres, ``geometry``,
``travel_time`` in seconds), so OSMnx's own tools work on it, plus ``mode``, ``corridor``,
``status`` and ``speed_kph`` on every edge.

* Nodes are the stations and junctions of every corridor, the ends of its sections, and the dry
  ports, seaports and border gates.
* Corridor edges follow the corridor geometry between consecutive nodes, in both directions.
* ``transfer`` edges join nodes of different corridors that lie within
  ``settings.interchange_km`` of each other (the Vung Ang line starts at Vientiane South, the
  metre-gauge line meets the Thanaleng Dry Port), costing ``settings.transfer_minutes``.
* ``access`` edges join dry ports, seaports and border gates to corridor nodes within
  ``settings.access_km``, at ``settings.speeds_kph["access"]``.
* Edges that cross an international border carry ``settings.border_minutes`` of formalities.

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

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import shapely

from corridors import settings
from corridors._csgraph import clear_cache, distance_matrix, shortest_path_nodes
from corridors.borders import split_by_country
from corridors.catalogue import border_gates, ids, load, ports
from corridors.corridor import Corridor
from corridors.errors import UnknownIdError
from corridors.geodesy import LocatedPoints, geod, lengths_km_array, substring_km

__all__ = ["SCENARIOS", "build", "clear_cache", "distance_matrix", "shortest_path_nodes"]

SCENARIOS = {
    "current": ("operational",),
    "planned": ("operational", "under-construction", "planned"),
}


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

    G = nx.MultiDiGraph(crs="EPSG:4326", scenario=scenario, modes=keep_modes, name="corridors")
    statuses = SCENARIOS[scenario]
    for c in items:
        if c.meta.get("mode") in keep_modes:
            _add_corridor(G, c, statuses)
    _add_interchanges(G)
    _add_access(G)
    _add_border_times(G)
    return G


# -- corridor edges ----------------------------------------------------------------------------
def _add_corridor(G: nx.MultiDiGraph, c: Corridor, statuses: Sequence[str]) -> None:
    mode = c.meta["mode"]
    speed = float(settings.speeds_kph[mode])
    pieces: list[tuple[str, str, shapely.LineString, pd.Series, str]] = []
    for _, sec in c.sections.iterrows():
        status = sec.get("status") or c.meta.get("status")
        if status not in statuses:
            continue
        nodes = _section_nodes(c, sec, c.stations)
        for (u, ku), (v, kv) in itertools.pairwise(nodes):
            if kv - ku > 1e-6:
                pieces.append((u, v, substring_km(sec.geometry, ku, kv), sec, status))
    if not pieces:
        return
    # every edge of the corridor measured in one geodesic pass
    metres = lengths_km_array(np.array([p[2] for p in pieces], dtype=object)) * 1000.0
    for (u, v, geom, sec, status), length_m in zip(pieces, metres, strict=True):
        for node_id, xy in ((u, geom.coords[0]), (v, geom.coords[-1])):
            if node_id not in G:
                G.add_node(node_id, x=xy[0], y=xy[1], **_node_info(c, node_id))
        attrs = {
            "length": float(length_m),
            "travel_time": float(length_m) / (speed / 3.6),
            "speed_kph": speed,
            "mode": mode,
            "corridor": c.id,
            "section": sec["id"],
            "name": str(sec["name"]),
            "status": status,
        }
        G.add_edge(u, v, geometry=geom, **attrs)
        G.add_edge(v, u, geometry=shapely.reverse(geom), **attrs)


def _section_nodes(c: Corridor, sec: pd.Series, stations: pd.DataFrame) -> list[tuple[str, float]]:
    """The nodes along one section with their chainage: its stations, then its two ends."""
    line = sec.geometry
    total = float(lengths_km_array(np.array([line], dtype=object))[0])
    found: list[tuple[str, float]] = []
    if len(stations):
        located = LocatedPoints(line, np.asarray(stations.geometry.array, dtype=object))
        near = located.offset_km <= 0.5
        found = [
            (f"{c.id}:{sid}", float(k))
            for sid, k, ok in zip(stations["id"], located.chainage_km, near, strict=True)
            if ok
        ]
    ends = {k for _, k in found}
    # an end with no station is named by its coordinates, so sections that meet there share it
    first, last = shapely.get_coordinates(line)[[0, -1]]
    if not any(k <= 0.5 for k in ends):
        found.append((f"{c.id}:{first[0]:.5f},{first[1]:.5f}", 0.0))
    if not any(k >= total - 0.5 for k in ends):
        found.append((f"{c.id}:{last[0]:.5f},{last[1]:.5f}", total))
    # a station near an end stands for that end
    found = [(n, 0.0 if k <= 0.5 else total if k >= total - 0.5 else k) for n, k in found]
    return sorted(dict(found).items(), key=lambda item: item[1])


def _node_info(c: Corridor, node_id: str) -> dict[str, Any]:
    sid = node_id.split(":", 1)[1]
    st = c.stations[c.stations["id"] == sid]
    if len(st):
        row = st.iloc[0]
        return {"name": str(row["name"]), "kind": str(row["kind"]), "corridor": c.id}
    return {"name": f"{c.name} (junction at {sid})", "kind": "junction", "corridor": c.id}


# -- links between corridors, ports and gates ---------------------------------------------------
def _geodesic_m(xy1: np.ndarray, xy2: np.ndarray) -> np.ndarray:
    _, _, d = geod().inv(xy1[:, 0], xy1[:, 1], xy2[:, 0], xy2[:, 1])
    return np.asarray(d)


def _link(G: nx.MultiDiGraph, u: Any, v: Any, mode: str, metres: float, extra_s: float) -> None:
    speed = float(settings.speeds_kph[mode])
    geom = shapely.LineString(
        [(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])]
    )
    attrs = {
        "length": float(metres),
        "travel_time": float(metres) / (speed / 3.6) + extra_s,
        "speed_kph": speed,
        "mode": mode,
        "corridor": mode,
        "name": f"{mode}: {G.nodes[u]['name']} – {G.nodes[v]['name']}",
        "status": "operational",
    }
    G.add_edge(u, v, geometry=geom, **attrs)
    G.add_edge(v, u, geometry=shapely.reverse(geom), **attrs)


def _node_table(G: nx.MultiDiGraph) -> pd.DataFrame:
    data = [(n, d["x"], d["y"], d.get("corridor")) for n, d in G.nodes(data=True)]
    return pd.DataFrame(data, columns=["node", "x", "y", "corridor"])


def _pairs_within(
    a: pd.DataFrame, b: pd.DataFrame, km: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs (i in a, j in b) closer than ``km``, with their geodesic distance in m."""
    if len(a) == 0 or len(b) == 0:
        empty = np.empty(0, dtype=int)
        return empty, empty, np.empty(0)
    i, j = np.meshgrid(np.arange(len(a)), np.arange(len(b)), indexing="ij")
    i, j = i.ravel(), j.ravel()
    d = _geodesic_m(a[["x", "y"]].to_numpy()[i], b[["x", "y"]].to_numpy()[j])
    keep = d <= km * 1000.0
    return i[keep], j[keep], d[keep]


def _add_interchanges(G: nx.MultiDiGraph) -> None:
    nodes = _node_table(G)
    i, j, d = _pairs_within(nodes, nodes, settings.interchange_km)
    other = (i < j) & (nodes["corridor"].to_numpy()[i] != nodes["corridor"].to_numpy()[j])
    for a, b, metres in zip(i[other], j[other], d[other], strict=True):
        _link(
            G,
            nodes["node"][a],
            nodes["node"][b],
            "transfer",
            metres,
            settings.transfer_minutes * 60,
        )


def _add_access(G: nx.MultiDiGraph) -> None:
    p, g = ports(), border_gates()
    places = pd.concat(
        [
            pd.DataFrame(
                {
                    "node": "port:" + p["id"],
                    "name": p["name"],
                    "kind": p["kind"],
                    "iso3": p["country"],
                }
            ),
            pd.DataFrame(
                {
                    "node": "gate:" + g["id"],
                    "name": g["name"],
                    "kind": g["kind"],
                    "iso3": ["-".join(c) for c in g["countries"]],
                }
            ),
        ],
        ignore_index=True,
    )
    xy = shapely.get_coordinates(
        np.concatenate([np.asarray(p.geometry.array), np.asarray(g.geometry.array)])
    )
    places["x"], places["y"] = xy[:, 0], xy[:, 1]
    nodes = _node_table(G)
    # every place is a node, linked or not, so that a route to it can say why there is none
    for row in places.itertuples(index=False):
        G.add_node(
            row.node, x=row.x, y=row.y, name=str(row.name), kind=str(row.kind), corridor=None,
            iso3=row.iso3,
        )  # fmt: skip
    i, j, d = _pairs_within(places, nodes, settings.access_km)
    # each place links to its nearest node of every corridor within reach
    pairs = pd.DataFrame(
        {"place": i, "node": j, "m": d, "corridor": nodes["corridor"].to_numpy()[j]}
    )
    nearest = pairs.sort_values("m").drop_duplicates(["place", "corridor"])
    for place, node, metres in zip(nearest["place"], nearest["node"], nearest["m"], strict=True):
        extra = (
            settings.transfer_minutes * 60
            if places["kind"].iloc[int(place)] != "border-gate"
            else 0.0
        )
        _link(
            G,
            places["node"].iloc[int(place)],
            nodes["node"].iloc[int(node)],
            "access",
            metres,
            extra / 2,
        )


def _add_border_times(G: nx.MultiDiGraph) -> None:
    """Add ``settings.border_minutes`` to every edge whose geometry crosses a border."""
    edges = list(G.edges(keys=True, data="geometry"))
    if not edges:
        return
    geoms = pd.Series([g for *_, g in edges])
    import geopandas as gpd

    pieces = split_by_country(gpd.GeoSeries(geoms.to_numpy(), crs="EPSG:4326"))
    countries = pieces.groupby("line")["iso3"].nunique()
    crossing = set(countries[countries > 1].index)
    for n, (u, v, k, _) in enumerate(edges):
        if n in crossing:
            data = G.edges[u, v, k]
            data["travel_time"] += settings.border_minutes * 60
            data["crosses_border"] = True
