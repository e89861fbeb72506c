"""The corridor network, today and as planned, its spatial look-ups, and joining a road graph."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx
import pyproj
import pytest
import shapely

import corridors
from corridors import network, settings
from corridors.errors import CorridorsError, CRSError, UnknownIdError
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


def test_only_edges_between_two_countries_cross_a_border(planned):
    # an edge crosses a border exactly when its line runs in two countries; a stretch outside
    # every country (at sea, along the coast at Vung Ang) is no border
    edges = [(u, v, k, d) for u, v, k, d in planned.edges(keys=True, data=True) if "geometry" in d]
    pieces = corridors.split_by_country(
        gpd.GeoSeries([d["geometry"] for *_, d in edges], crs="EPSG:4326")
    )
    land = pieces[pieces["iso3"] != "outside"]
    two = set(land.groupby("line")["iso3"].nunique().loc[lambda n: n > 1].index)
    flagged = {i for i, (*_, d) in enumerate(edges) if d.get("crosses_border")}
    # links are flagged in one direction only: every flagged edge runs in two countries, and
    # every edge in two countries is flagged one way or the other
    assert flagged <= two
    pairs = {frozenset((edges[i][0], edges[i][1])) for i in flagged}
    assert {frozenset((edges[i][0], edges[i][1])) for i in two} == pairs
    at_sea = set(pieces.loc[pieces["iso3"] == "outside", "line"])
    assert at_sea, "the planned network has a stretch outside Natural Earth's land"
    assert any(i not in flagged for i in at_sea)


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


# -- attach_road_graph: joining an OSMnx road graph ------------------------------------------------
@pytest.fixture
def net() -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(crs="EPSG:4326", scenario="current", name="corridors")
    g.add_node("port:thanaleng", x=102.700, y=17.900, kind="dry-port", name="Thanaleng Dry Port")
    g.add_node("port:savannakhet", x=104.800, y=16.600, kind="dry-port", name="Savan Dry Port")
    g.add_node("clr:vientiane", x=102.650, y=17.950, kind="station", name="Vientiane")
    g.add_edge("clr:vientiane", "port:thanaleng", length=7500.0, mode="access")
    return g


@pytest.fixture
def roads() -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(crs="epsg:4326", name="roads")
    for n, xy in {1: (102.750, 17.900), 2: (102.705, 17.902), 3: (102.640, 17.950)}.items():
        g.add_node(n, x=xy[0], y=xy[1])
    g.add_edge(1, 2, length=5300.0, highway="primary")
    g.add_edge(2, 3, length=8400.0, highway="primary")
    return g


def test_attach_road_graph_joins_the_dry_port_to_the_nearest_road_node(net, roads):
    g = network.attach_road_graph(net, roads)
    assert g.graph["road_links"] == {"port:thanaleng": 2}  # Savannakhet is ~270 km away
    assert g.graph["crs"] == "EPSG:4326" and g.graph["scenario"] == "current"
    assert g.number_of_nodes() == 6
    assert g.number_of_edges() == 1 + 2 + 2
    _, _, metres = pyproj.Geod(ellps="WGS84").inv(102.700, 17.900, 102.705, 17.902)
    for u, v in (("port:thanaleng", 2), (2, "port:thanaleng")):
        e = g.edges[u, v, 0]
        assert e["mode"] == "transfer"
        assert e["length"] == pytest.approx(metres)
        assert e["travel_time"] == pytest.approx(metres / (20 / 3.6))
        assert e["geometry"].length > 0
    assert g.edges[1, 2, 0]["mode"] == "road"
    assert g.edges["clr:vientiane", "port:thanaleng", 0]["mode"] == "access"
    assert not g.has_edge("clr:vientiane", 3)
    # the inputs are untouched
    assert net.number_of_edges() == 1 and roads.number_of_edges() == 2
    assert "mode" not in roads.edges[1, 2, 0]


def test_attach_road_graph_points_and_reach(net, roads):
    # Thanaleng's nearest road node is 0.57 km off, Vientiane's 1.06 km
    g = network.attach_road_graph(
        net, roads, points=["clr:vientiane", "port:thanaleng"], max_km=0.5
    )
    assert g.graph["road_links"] == {}
    assert not any(mode == "transfer" for *_, mode in g.edges(data="mode"))
    g = network.attach_road_graph(net, roads, points=["clr:vientiane"], max_km=1.1)
    assert g.graph["road_links"] == {"clr:vientiane": 3}
    assert type(next(iter(g.graph["road_links"].values()))) is int
    assert g.edges["clr:vientiane", 3, 0]["length"] == pytest.approx(1058, abs=2)


def test_attach_road_graph_without_scikit_learn(monkeypatch, net, roads):
    def missing(*args, **kwargs):
        raise ImportError("scikit-learn must be installed")

    monkeypatch.setattr(osmnx.distance, "nearest_nodes", missing)
    g = network.attach_road_graph(net, roads, points=["port:thanaleng", "clr:vientiane"])
    assert g.graph["road_links"] == {"port:thanaleng": 2, "clr:vientiane": 3}


def test_attach_road_graph_errors(net, roads):
    projected = roads.copy()
    projected.graph["crs"] = "EPSG:32648"
    with pytest.raises(CRSError, match="not EPSG:4326"):
        network.attach_road_graph(net, projected)
    with pytest.raises(UnknownIdError, match="did you mean 'port:thanaleng'"):
        network.attach_road_graph(net, roads, points=["port:thanalen"])
    clash = roads.copy()
    clash.add_node("clr:vientiane", x=102.65, y=17.95)
    with pytest.raises(CorridorsError, match="share 1 node ids"):
        network.attach_road_graph(net, clash)
    with pytest.raises(CorridorsError, match="no nodes"):
        network.attach_road_graph(net, nx.MultiDiGraph(crs="EPSG:4326"))
