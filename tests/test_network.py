"""The corridor network, today and as planned, and its spatial look-ups."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

import corridors
from corridors import network, settings
from corridors.geodesy import geod


@pytest.fixture(scope="module")
def planned() -> nx.MultiDiGraph:
    return network.build("planned")


def geodesic_m(a, b) -> np.ndarray:
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    _, _, d = geod().inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    return np.asarray(d)


def test_the_graph_follows_osmnx_conventions(planned):
    assert planned.graph["crs"] == "EPSG:4326"
    for _, d in planned.nodes(data=True):
        assert {"x", "y", "name", "kind"} <= set(d)
    for _, _, d in planned.edges(data=True):
        assert d["length"] >= 0 and d["travel_time"] > 0 and d["geometry"].geom_type == "LineString"
        assert d["length"] > 0 or d["mode"] == "transfer"  # a change of train at one point
        assert {"mode", "corridor", "status", "speed_kph"} <= set(d)
    # corridor edges carry the corridor's own length: the CLR main line sums back to its length
    clr = [d for _, _, d in planned.edges(data=True) if d["corridor"] == "china-laos-railway"]
    assert sum(d["length"] for d in clr) / 2 / 1000 == pytest.approx(
        corridors.length_km(corridors.load("china-laos-railway").sections).sum(), rel=1e-6
    )


def test_every_edge_is_as_long_as_its_line_and_starts_and_ends_at_its_nodes(planned):
    lines = [d["geometry"] for *_, d in planned.edges(data=True)]
    km = corridors.length_km(gpd.GeoSeries(lines, crs="EPSG:4326"))
    metres = np.array([d["length"] for *_, d in planned.edges(data=True)])
    assert np.allclose(km.to_numpy() * 1000, metres, rtol=1e-9, atol=1e-6)
    for (u, v), line in zip(planned.edges(), lines, strict=True):
        first, last = shapely.get_coordinates(line)[[0, -1]]
        assert np.allclose(first, [planned.nodes[u]["x"], planned.nodes[u]["y"]], atol=1e-9)
        assert np.allclose(last, [planned.nodes[v]["x"], planned.nodes[v]["y"]], atol=1e-9)


def test_current_holds_only_what_operates_today(planned):
    current = network.build("current")
    assert {d["status"] for _, _, d in current.edges(data=True)} == {"operational"}
    assert {"planned"} <= {d["status"] for _, _, d in planned.edges(data=True)}
    assert current.number_of_edges() < planned.number_of_edges()
    rail = network.build("planned", modes=["rail"])
    assert {d["mode"] for _, _, d in rail.edges(data=True)} <= {"rail", "transfer", "access"}


def test_transfers_join_exactly_the_nodes_of_different_corridors_within_reach(planned):
    # the truth: every pair of corridor nodes measured, the slow way
    nodes = [(n, d) for n, d in planned.nodes(data=True) if d["corridor"] is not None]
    want = set()
    for (a, da), (b, db) in itertools.combinations(nodes, 2):
        near = (
            geodesic_m([da["x"], da["y"]], [db["x"], db["y"]])[0] <= settings.interchange_km * 1e3
        )
        if near and da["corridor"] != db["corridor"]:
            want |= {(a, b), (b, a)}
    got = {(u, v) for u, v, m in planned.edges(data="mode") if m == "transfer"}
    assert got == want
    assert want  # Vientiane South, Thanaleng: there are transfers to find


def test_each_port_and_gate_reaches_the_nearest_node_of_each_corridor_in_reach(planned):
    places = [(n, d) for n, d in planned.nodes(data=True) if d["corridor"] is None]
    nodes = [(n, d) for n, d in planned.nodes(data=True) if d["corridor"] is not None]
    xy = np.array([(d["x"], d["y"]) for _, d in nodes])
    corridor = np.array([d["corridor"] for _, d in nodes])
    want = set()
    for p, d in places:
        dist = geodesic_m(np.tile([d["x"], d["y"]], (len(xy), 1)), xy)
        for c in set(corridor):
            mine = np.flatnonzero((corridor == c) & (dist <= settings.access_km * 1e3))
            if len(mine):
                want.add((p, nodes[int(mine[np.argmin(dist[mine])])][0]))
    got = {
        (u, v)
        for u, v, m in planned.edges(data="mode")
        if m == "access" and u.startswith(("port:", "gate:"))
    }
    assert got == want


@pytest.mark.parametrize("snap_km", [None, 0.01])
def test_a_station_is_a_node_when_a_kept_section_passes_within_node_snap_km(monkeypatch, snap_km):
    if snap_km is not None:
        monkeypatch.setattr(settings, "node_snap_km", snap_km)
    graph = network.build("planned")
    statuses = network.SCENARIOS["planned"]
    checked = 0
    for cid in corridors.ids():
        c = corridors.load(cid)
        status = [s or c.meta.get("status") for s in c.sections["status"]]
        kept = [g for g, s in zip(c.sections.geometry, status, strict=True) if s in statuses]
        for sid, point in zip(c.stations["id"], c.stations.geometry, strict=True):
            # the truth: the station measured against each section, one at a time
            near = min(corridors.offset_km(line, point) for line in kept)
            assert (f"{cid}:{sid}" in graph) == (near <= settings.node_snap_km), (cid, sid, near)
            checked += 1
    assert checked > 20


def test_nearest_dry_port_to_each_gate_by_network(planned):
    gates = [
        n for n, d in planned.nodes(data=True) if d["kind"] == "border-gate" and planned.degree(n)
    ]
    ports = [
        n for n, d in planned.nodes(data=True) if d["kind"] == "dry-port" and planned.degree(n)
    ]
    m = network.distance_matrix(planned, gates, ports, weight="length")
    assert m.shape == (len(gates), len(ports))
    nearest = m.idxmin(axis=1)
    assert nearest["gate:thanaleng-nong-khai"] == "port:thanaleng"


# -- spatial look-ups: a k-d tree, exactly as measuring every pair ------------------------------


def cluster(seed: int, n: int = 60) -> np.ndarray:
    """Points around Vientiane: some metres apart, some km, a few exact duplicates."""
    rng = np.random.default_rng(seed)
    centre = np.array([102.6, 17.97])
    pts = centre + rng.normal(0, 0.01, (n, 2)) * rng.choice([0.001, 0.1, 1.0, 5.0], (n, 1))
    pts[rng.choice(n, 5, replace=False)] = pts[0]  # several nodes at one place
    return pts


@pytest.mark.parametrize("seed", range(5))
def test_pairs_within_a_distance_are_those_of_every_pair(seed):
    pts = cluster(seed)
    for km in (0.0, 0.05, 1.0, 10.0):
        i, j, d = network._NodeIndex(pts).pairs_within(km)
        want = [
            (a, b)
            for a, b in itertools.combinations(range(len(pts)), 2)
            if geodesic_m(pts[a], pts[b])[0] <= km * 1e3
        ]
        assert list(zip(i.tolist(), j.tolist(), strict=True)) == want
        assert np.array_equal(d, geodesic_m(pts[i], pts[j]))


@pytest.mark.parametrize("seed", range(5))
def test_nearest_is_the_geodesic_nearest_and_the_first_of_equals(seed):
    pts = cluster(seed)
    index = network._NodeIndex(pts)
    rng = np.random.default_rng(100 + seed)
    for q in [*pts[:5], *(pts[0] + rng.normal(0, 0.02, (20, 2)))]:
        d = geodesic_m(np.tile(q, (len(pts), 1)), pts)
        assert index.nearest(*q) == int(np.argmin(d))
    # to another batch of points, by (i, j)
    other = cluster(seed + 50, 30)
    i, j, _ = index.within(network._NodeIndex(other), 2.0)
    want = [
        (a, b)
        for a in range(len(pts))
        for b in range(len(other))
        if geodesic_m(pts[a], other[b])[0] <= 2000
    ]
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == want


def test_nearest_across_the_antimeridian_and_at_the_pole():
    pts = np.array([[179.9, 0.0], [-179.95, 0.0], [0.0, 89.99], [10.0, 89.0]])
    index = network._NodeIndex(pts)
    assert index.nearest(-179.99, 0.0) == 1  # 4 km away across 180°, not 40,000 km
    assert index.nearest(179.99, 0.0) == 1
    assert index.nearest(120.0, 89.999) == 2
