"""Shortest-path distances on a 90,000-node street-like graph against networkx and OSMnx.

The graph is a 300 × 300 grid as an OSMnx-style ``MultiDiGraph`` (both directions, ``x``/``y``
on the nodes, a random ``length`` of 50–150 m on every edge, fixed seed): 90,000 nodes and
358,800 edges, the size of a city's drive network.

1. ``distance_matrix`` from 20 sources to every node against a loop of networkx's
   ``single_source_dijkstra_path_length`` over the same sources (goal: ours >= 10x faster).
2. 200 random origin–destination pairs: ``distance_matrix`` once for the unique origins and
   destinations, then a lookup per pair, against ``osmnx.shortest_path(G, origs, dests,
   weight="length", cpus=1)`` (goal: ours >= 10x faster). OSMnx returns node lists, not
   distances, so the baseline is what a user runs first to get them.

3. The embedded corridor network: a warm ``corridors.route()`` (network built, CSR cached)
   against the same route with networkx's ``multi_source_dijkstra`` once per target node and
   the path's edges gathered into a GeoDataFrame, as ``route()`` did before it ran on the
   engine (goal: ours faster, ratio >= 1); and the time ``network.build("planned")`` takes
   (best of 5, reported on its own: there is no other builder to compare with).

"Cold" times include turning the graph into SciPy's CSR form, as the first call on a graph does
(``clear_cache`` before each run); "warm" times reuse it, as every later call does. networkx's
and OSMnx's runs on the grid are timed once (the run whose answers are checked against ours):
they take seconds, and repeating them would take minutes without changing the ratio much.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
from _common import best_of, report

import corridors
from corridors import network, routing
from corridors._csgraph import clear_cache, distance_matrix

SIDE = 300
N_SOURCES = 20
N_PAIRS = 200


def grid_graph(side: int = SIDE, seed: int = 0) -> nx.MultiDiGraph:
    """A ``side`` × ``side`` grid in OSMnx's conventions with random lengths."""
    grid = nx.convert_node_labels_to_integers(nx.grid_2d_graph(side, side), label_attribute="ij")
    G = nx.MultiDiGraph(grid.to_directed())
    G.graph["crs"] = "EPSG:3857"
    for _, data in G.nodes(data=True):
        i, j = data.pop("ij")
        data["x"], data["y"] = 100.0 * i, 100.0 * j
    rng = np.random.default_rng(seed)
    lengths = rng.uniform(50.0, 150.0, G.number_of_edges())
    for (_, _, data), length in zip(G.edges(data=True), lengths, strict=True):
        data["length"] = float(length)
    return G


def timed(func: Callable[[], Any]) -> tuple[Any, float]:
    """The result of one run of ``func`` and its wall-clock time in seconds."""
    t0 = time.perf_counter()
    result = func()
    return result, time.perf_counter() - t0


def main() -> None:
    G = grid_graph()
    rng = np.random.default_rng(1)
    nodes = np.array(G.nodes)
    many_to_all(G, [int(s) for s in rng.choice(nodes, N_SOURCES, replace=False)])
    origs = [int(n) for n in rng.choice(nodes, N_PAIRS)]
    dests = [int(n) for n in rng.choice(nodes, N_PAIRS)]
    pairs(G, origs, dests)
    corridor_network()


def many_to_all(G: nx.MultiDiGraph, sources: list[int]) -> None:
    """20 sources to every node: ours against a networkx loop."""

    def ours() -> np.ndarray:
        return distance_matrix(G, sources, progress=False).to_numpy()

    def cold() -> np.ndarray:
        clear_cache(G)
        return ours()

    def loop() -> list[dict[int, float]]:
        return [nx.single_source_dijkstra_path_length(G, s, weight="length") for s in sources]

    got = cold()
    expected, t_loop = timed(loop)
    for row, found in zip(got, expected, strict=True):
        assert np.array_equal(row, np.array([found.get(n, np.inf) for n in G.nodes]))
    label = f"distance_matrix {N_SOURCES} sources x 90k nodes vs nx single_source_dijkstra loop"
    report(f"{label} (cold)", best_of(cold, 3), t_loop, "goal >= 10")
    report(f"{label} (warm)", best_of(ours, 3), t_loop, "goal >= 10")


def pairs(G: nx.MultiDiGraph, origs: list[int], dests: list[int]) -> None:
    """Distances for 200 origin–destination pairs: ours against osmnx.shortest_path."""

    def ours() -> np.ndarray:
        uniq_origs, uniq_dests = list(dict.fromkeys(origs)), list(dict.fromkeys(dests))
        D = distance_matrix(G, uniq_origs, uniq_dests, progress=False)
        return D.to_numpy()[D.index.get_indexer(origs), D.columns.get_indexer(dests)]

    def cold() -> np.ndarray:
        clear_cache(G)
        return ours()

    def osmnx_paths() -> list[list[int] | None]:
        return ox.shortest_path(G, origs, dests, weight="length", cpus=1)

    got = cold()
    paths, t_osmnx = timed(osmnx_paths)
    costs = [
        sum(min(d["length"] for d in G[u][v].values()) for u, v in itertools.pairwise(p))
        for p in paths
    ]
    # equal-cost paths may sum in another order: equal up to rounding
    assert np.allclose(got, costs, rtol=1e-12, atol=0)
    label = f"distance_matrix {N_PAIRS} o-d pairs on 90k nodes vs osmnx.shortest_path"
    report(f"{label} (cold)", best_of(cold, 2), t_osmnx, "goal >= 10")
    report(f"{label} (warm)", best_of(ours, 2), t_osmnx, "goal >= 10")


def corridor_network() -> None:
    """network.build on the embedded corridors, and a warm route() against networkx's way."""
    items = [corridors.load(i) for i in corridors.ids()]
    t_build = best_of(lambda: network.build("planned"), 5)
    t_loaded = best_of(lambda: network.build("planned", corridors=items), 5)
    print(
        f"network.build('planned') on the embedded corridors: {t_build:.4f} s "
        f"({t_loaded:.4f} s with the corridors already loaded), best of 5"
    )
    origin, destination = "Kunming South", "Vung Ang"
    kw: dict[str, Any] = {"scenario": "planned", "modes": ["rail"], "weight": "length"}
    ours = corridors.route(origin, destination, **kw)  # warm: the network and its CSR are built
    net = routing._network("planned", ("rail",), routing._knobs())

    def networkx_route() -> gpd.GeoDataFrame:
        sources, targets = net.places.resolve(origin), net.places.resolve(destination)
        best: tuple[float, list[str]] | None = None
        for t in targets:
            try:
                cost, path = nx.multi_source_dijkstra(
                    net.graph, set(sources), target=t, weight="length"
                )
            except nx.NetworkXNoPath:
                continue
            if best is None or cost < best[0]:
                best = (cost, path)
        assert best is not None
        rows = [
            min(net.graph[u][v].values(), key=lambda d: d["length"])
            for u, v in itertools.pairwise(best[1])
        ]
        return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")

    theirs = networkx_route()
    assert np.isclose(ours.length_km * 1000, theirs["length"].sum(), rtol=1e-12)
    report(
        f"route() {origin} -> {destination}, warm, vs nx.multi_source_dijkstra per target",
        best_of(lambda: corridors.route(origin, destination, **kw), 20),
        best_of(networkx_route, 20),
        "goal >= 1",
    )


if __name__ == "__main__":
    main()
