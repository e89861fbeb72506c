"""Routes across the corridor network (corridors.routing), today and as planned."""

from __future__ import annotations

import itertools
import json

import networkx as nx
import numpy as np
import pytest
import shapely

import corridors
from corridors import _csgraph, network, routing, settings
from corridors.cli import main
from corridors.geodesy import geod


@pytest.fixture(scope="module")
def planned() -> nx.MultiDiGraph:
    return network.build("planned")


def test_kunming_south_to_vientiane_follows_the_railway():
    r = corridors.route("Kunming South", "Vientiane", weight="length")
    clr = corridors.load("china-laos-railway")
    assert r.length_km == pytest.approx(corridors.length_km(clr), rel=0.02)
    assert set(r.legs["corridor"]) == {"china-laos-railway"}
    assert r.crossings[["from_iso3", "to_iso3"]].values.tolist() == [["CHN", "LAO"]]
    assert r.km_by_country.sum() == pytest.approx(r.length_km, rel=1e-6)
    assert r.travel_time_h > r.length_km / settings.speeds_kph["rail"]  # border formalities


def test_vientiane_to_vung_ang_runs_on_the_planned_railway_and_crosses_at_mu_gia():
    r = corridors.route("Vientiane", "Vung Ang", scenario="planned", weight="length")
    assert "vientiane-vung-ang-railway" in set(r.legs["corridor"])
    cr = r.crossings
    assert cr[["from_iso3", "to_iso3"]].values.tolist() == [["LAO", "VNM"]]
    assert cr["gate_id"].iloc[0] == "na-phao-cha-lo"
    # every km is in a country or "outside" (the coast at Vung Ang): the pieces add up
    assert r.km_by_country.sum() == pytest.approx(r.length_km, rel=1e-6)


def test_by_rail_today_there_is_no_route_and_the_error_says_what_would_make_one():
    with pytest.raises(corridors.NoRouteError, match="Vientiane – Vung Ang Railway") as err:
        corridors.route("Vientiane", "Vung Ang", modes=["rail"])
    assert "current network by rail" in str(err.value)
    assert "would connect them" in str(err.value)


def test_kunming_to_vung_ang_once_built_and_how_much_is_in_laos():
    r = corridors.route(
        "Kunming South", "Vung Ang", scenario="planned", modes=["rail"], weight="length"
    )
    assert {"china-laos-railway", "vientiane-vung-ang-railway"} <= set(r.legs["corridor"])
    by = r.km_by_country
    # every km is somewhere: the 1.7 km along the coast at Vung Ang, outside Natural Earth's
    # land, is "outside"
    assert set(by.index) == {"CHN", "LAO", "VNM", "outside"}
    assert by.sum() == pytest.approx(r.length_km, rel=0.01)
    assert len(r.crossings) == 2


def test_places_by_coordinates_and_unknown_names():
    r = corridors.route((102.2133, 19.8681), "Vientiane", weight="length")  # Luang Prabang station
    assert r.names[0].startswith("Luang Prabang")
    with pytest.raises(corridors.UnknownIdError, match="did you mean"):
        corridors.route("Luang Prabng", "Vientiane")
    with pytest.raises(corridors.CoordinateError):
        corridors.route((18.0, 102.6), "Vientiane")
    with pytest.raises(corridors.UnknownIdError, match="scenario"):
        corridors.route("Kunming South", "Vientiane", scenario="future")
    with pytest.raises(corridors.UnknownIdError, match="weight"):
        corridors.route("Kunming South", "Vientiane", weight="cost")


def test_settings_change_the_times(monkeypatch):
    base = corridors.route("Kunming South", "Vientiane").travel_time_h
    monkeypatch.setattr(settings, "border_minutes", settings.border_minutes + 60)
    assert corridors.route("Kunming South", "Vientiane").travel_time_h == pytest.approx(base + 1)


# -- one engine, against networkx ----------------------------------------------------------------


PAIRS = [
    ("china-laos-railway:kunming-south", "port:vung-ang"),
    ("port:thanaleng", "china-laos-railway:luang-prabang"),
    ("gate:boten-mohan", "vientiane-vung-ang-railway:thakhek"),
    ("china-laos-railway:vientiane", "port:thanaleng"),
]


@pytest.mark.parametrize("weight", ["length", "travel_time"])
def test_route_and_distance_matrix_cost_what_networkx_says(planned, weight):
    pairs = [(s, t) for s, t in PAIRS if s in planned and t in planned]
    assert len(pairs) >= 3
    m = network.distance_matrix(planned, [s for s, _ in pairs], [t for _, t in pairs], weight)
    for s, t in pairs:
        expected = nx.dijkstra_path_length(planned, s, t, weight=weight)
        assert m.loc[s, t] == expected
        r = corridors.route(s, t, scenario="planned", weight=weight)
        assert (r.origin, r.destination) == (s, t)
        got = r.length_km * 1000 if weight == "length" else r.travel_time_h * 3600
        assert got == pytest.approx(expected, rel=1e-12)
        # the route runs on edges of the graph, hop by hop, each the lightest of its hop
        for (u, v), row in zip(itertools.pairwise(r.nodes), r.edges.itertuples(), strict=True):
            assert (row.u, row.v) == (u, v)
            lightest = min(d[weight] for d in planned[u][v].values())
            cost = row.length_km * 1000 if weight == "length" else row.travel_time_h * 3600
            assert cost == pytest.approx(lightest, rel=1e-12)


def test_a_name_of_several_nodes_starts_at_the_best_of_them():
    # Vang Vieng is a station of the railway and a node of the expressway
    net = routing._network("current", ("rail", "road"), routing._knobs())
    starts = net.places.resolve("Vang Vieng")
    assert len(starts) > 1
    ends = net.places.resolve("Luang Prabang")
    r = corridors.route("Vang Vieng", "Luang Prabang")
    assert r.origin in starts and r.destination in ends
    best = min(
        nx.dijkstra_path_length(net.graph, s, t, weight="travel_time")
        for s in starts
        for t in ends
        if nx.has_path(net.graph, s, t)
    )
    assert r.travel_time_h * 3600 == pytest.approx(best, rel=1e-12)


def test_the_network_and_its_matrix_are_built_once_and_shared(monkeypatch):
    net = routing._network("planned", ("rail", "road"), routing._knobs())
    _csgraph.clear_cache(net.graph)
    built = []
    real = _csgraph._build
    monkeypatch.setattr(_csgraph, "_build", lambda *a: built.append(a[2]) or real(*a))
    corridors.route("Kunming South", "Vung Ang", scenario="planned", weight="length")
    matrix = _csgraph._CACHE[net.graph].matrices["length"]
    corridors.route("Vientiane", "Vung Ang", scenario="planned", weight="length")
    network.distance_matrix(net.graph, ["port:vung-ang"], weight="length")
    assert built == ["length"]  # one conversion for two routes and a distance matrix
    assert _csgraph._CACHE[net.graph].matrices["length"] is matrix
    assert routing._network("planned", ("rail", "road"), routing._knobs()) is net


def test_coordinates_snap_to_the_geodesically_nearest_of_several_nodes_close_together(planned):
    xy = np.array([(d["x"], d["y"]) for _, d in planned.nodes(data=True)])
    ids = list(planned.nodes)
    # a node with other nodes within 5 km (the Vientiane stations, the dry port and the gate)
    _, _, d = geod().inv(
        np.repeat(xy[:, 0], len(xy)), np.repeat(xy[:, 1], len(xy)),
        np.tile(xy[:, 0], len(xy)), np.tile(xy[:, 1], len(xy)),
    )  # fmt: skip
    close = (np.asarray(d).reshape(len(xy), len(xy)) < 5000).sum(axis=1) - 1
    crowded = int(np.argmax(close))
    assert close[crowded] >= 2
    places = routing._network("planned", ("rail", "road"), routing._knobs()).places
    rng = np.random.default_rng(7)
    for q in [xy[crowded], *(xy[crowded] + rng.normal(0, 0.01, (30, 2)))]:
        _, _, dist = geod().inv(np.full(len(xy), q[0]), np.full(len(xy), q[1]), xy[:, 0], xy[:, 1])
        assert places.resolve(tuple(q)) == [ids[int(np.argmin(dist))]]
    r = corridors.route(tuple(xy[crowded]), "Kunming South", scenario="planned", weight="length")
    assert r.origin == ids[crowded]


# -- the Route, computed once --------------------------------------------------------------------


def test_the_route_line_joins_its_edges_and_its_legs_sum_them():
    r = corridors.route("Kunming South", "Vung Ang", scenario="planned", weight="length")
    assert r.geometry is r.geometry and r.legs is r.legs and r.crossings is r.crossings
    # the truth, edge by edge: every vertex in turn, each repeat once
    coords = []
    for line in r.edges.geometry:
        for xy in shapely.get_coordinates(line):
            if not coords or (xy != coords[-1]).any():
                coords.append(xy)
    assert np.array_equal(shapely.get_coordinates(r.geometry), np.array(coords))
    runs = [k for k, _ in itertools.groupby(zip(r.edges["corridor"], r.edges["mode"], strict=True))]
    assert list(zip(r.legs["corridor"], r.legs["mode"], strict=True)) == runs
    assert r.legs["length_km"].sum() == pytest.approx(r.length_km, rel=1e-12)
    assert r.legs["from"].iloc[0] == r.origin and r.legs["to"].iloc[-1] == r.destination
    for leg in r.legs.itertuples():
        assert corridors.length_km(leg.geometry) == pytest.approx(leg.length_km, rel=1e-6)
    assert f"{len(r.legs)} legs" in repr(r)


def test_a_route_from_a_place_to_itself_is_empty():
    r = corridors.route("Kunming South", "kunming-south")
    assert r.nodes == [r.origin] and r.origin == r.destination
    assert r.length_km == 0 and len(r.edges) == 0 and len(r.legs) == 0
    assert r.geometry.is_empty


# -- the command line ----------------------------------------------------------------------------


def test_cli_route_and_map_of_a_route(capsys):
    args = ["route", "Kunming South", "Vung Ang", "--scenario", "planned", "--mode", "rail"]
    assert main([*args, "--by", "distance", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["km_by_country"]) == {"CHN", "LAO", "VNM", "outside"}
    assert len(data["crossings"]) == 2
    assert main(["route", "Vientiane", "Vung Ang", "--mode", "rail"]) == 1
    err = capsys.readouterr().err
    assert "would connect them" in err and "Traceback" not in err
    from corridors import maps

    r = corridors.route("Kunming South", "Vientiane")
    page = maps.render([r], offline=True, tiles=None).get_root().render()
    assert "corridors-route" in page
