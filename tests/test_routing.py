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
    # 190 m from Luang Prabang station; by time the 8.7 km access leg to the next station, at
    # the access speed, costs more than the train between them
    r = corridors.route((102.2133, 19.8681), "Vientiane")
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
        nodes, metres = places.candidates(tuple(q))
        assert nodes[0] == ids[int(np.argmin(dist))]  # the nearest first
        # then every other node within access_km, each at its geodesic distance
        near = {ids[k] for k in np.flatnonzero(dist <= settings.access_km * 1000)}
        assert set(nodes[1:]) == near - {nodes[0]}
        assert len(nodes) >= 3
        assert metres == pytest.approx(dist[[ids.index(n) for n in nodes]], rel=1e-12, abs=1e-6)


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


# -- coordinates off the network: candidates, snap distance, refusal -----------------------------


def _access_cost(metres: np.ndarray, weight: str) -> np.ndarray:
    return metres if weight == "length" else metres / (settings.speeds_kph["access"] / 3.6)


@pytest.mark.parametrize("weight", ["length", "travel_time"])
def test_a_point_between_two_stations_starts_where_the_whole_trip_is_cheapest(weight):
    graph = network.build()  # the truth: networkx on a network built afresh
    ids = list(graph.nodes)
    xy = np.array([(d["x"], d["y"]) for _, d in graph.nodes(data=True)])
    a = xy[ids.index("china-laos-railway:luang-prabang")]
    b = xy[ids.index("china-laos-railway:xieng-ngeun")]
    end = "china-laos-railway:vientiane"
    to_end = nx.single_source_dijkstra_path_length(graph.reverse(copy=False), end, weight=weight)
    not_the_nearest = 0
    for t in np.linspace(0.0, 1.0, 11):
        p = a + t * (b - a)
        _, _, d = geod().inv(np.full(len(xy), p[0]), np.full(len(xy), p[1]), xy[:, 0], xy[:, 1])
        d = np.asarray(d)
        near = np.flatnonzero((d <= settings.access_km * 1000) | (d == d.min()))
        totals = {
            ids[k]: _access_cost(d[k], weight) + to_end[ids[k]] for k in near if ids[k] in to_end
        }
        best = min(totals, key=totals.get)
        r = corridors.route(tuple(p), end, weight=weight)
        assert r.origin == best
        got = r.length_km * 1000 if weight == "length" else r.travel_time_h * 3600
        assert _access_cost(r.origin_snap_km * 1000, weight) + got == pytest.approx(
            totals[best], rel=1e-9
        )
        # the snap distance is the geodesic to the node the route starts at
        assert r.origin_snap_km * 1000 == pytest.approx(d[ids.index(r.origin)], rel=1e-9)
        assert r.destination_snap_km == 0
        not_the_nearest += best != ids[int(np.argmin(d))]
    assert not_the_nearest  # some points are best served by a station that is not the nearest


def test_a_point_far_from_the_network_is_refused_with_its_distance(monkeypatch):
    graph = network.build()
    xy = np.array([(d["x"], d["y"]) for _, d in graph.nodes(data=True)])
    paris = (2.35, 48.85)
    _, _, d = geod().inv(np.full(len(xy), paris[0]), np.full(len(xy), paris[1]), xy[:, 0], xy[:, 1])
    with pytest.raises(corridors.NoRouteError, match="max_snap_km") as err:
        corridors.route(paris, "Vientiane")
    assert f"{min(d) / 1000:,.1f} km" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(corridors.NoRouteError, match="max_snap_km"):
        corridors.route("Vientiane", (-179.0, -80.0), scenario="planned")
    # the limit is the setting, read at call time: 190 m from Luang Prabang station
    near = (102.2133, 19.8681)
    assert corridors.route(near, "Vientiane").origin_snap_km < settings.max_snap_km
    monkeypatch.setattr(settings, "max_snap_km", 0.1)
    with pytest.raises(corridors.NoRouteError, match=r"0\.2 km .*max_snap_km = 0\.1 km"):
        corridors.route(near, "Vientiane")
    assert corridors.route("Luang Prabang", "Vientiane").origin_snap_km == 0


def test_a_route_from_a_point_to_itself_is_empty_at_its_nearest_node():
    p = (102.2133, 19.8681)
    r = corridors.route(p, p)
    assert r.nodes == [r.origin] and r.origin == r.destination and len(r.edges) == 0
    nodes, metres = routing._network(
        "current", ("rail", "road"), routing._knobs()
    ).places.candidates(p)
    assert r.origin == nodes[0]
    assert r.origin_snap_km == r.destination_snap_km == pytest.approx(metres[0] / 1000)
    assert "snapped 0.19 km at the start" in repr(r) and "snapped" in r._repr_html_()
    assert "snapped" not in repr(corridors.route("Kunming South", "Vientiane"))


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"modes": ["air"]}, "unknown mode 'air'"),
        ({"modes": ["rail", 1]}, "unknown mode '1'"),
        ({"modes": [None]}, "unknown mode 'None'"),
        ({"modes": []}, "no mode"),
        ({"weight": "cost"}, "unknown weight 'cost'"),
        ({"weight": ["length"]}, "unknown weight"),
        ({"weight": None}, "unknown weight 'None'"),
        ({"scenario": "future"}, "unknown scenario 'future'"),
        ({"scenario": ["planned"]}, "unknown scenario"),
        ({"scenario": None}, "unknown scenario 'None'"),
    ],
)
def test_unknown_modes_weights_and_scenarios_give_one_clean_line(kwargs, words):
    with pytest.raises(corridors.CorridorsError) as err:
        corridors.route("Kunming South", "Vientiane", **kwargs)
    assert words in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("place", [(True, False), (1, 2, 3), [], None, 3.5, ("a", "b")])
def test_a_place_that_is_neither_a_name_nor_two_numbers_is_refused(place):
    with pytest.raises(corridors.GeometryError, match="place"):
        corridors.route(place, "Vientiane")


def test_one_mode_may_be_given_as_a_string():
    by_list = corridors.route("Kunming South", "Vientiane", modes=["rail", "rail"])
    by_str = corridors.route("Kunming South", "Vientiane", modes="rail")
    assert by_str.modes == by_list.modes == ("rail",)
    assert by_str.nodes == by_list.nodes


def test_cli_route_reports_the_snap_distance(capsys):
    assert main(["route", "102.2133,19.8681", "Vientiane", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    r = corridors.route((102.2133, 19.8681), "Vientiane")
    assert data["origin_snap_km"] == round(r.origin_snap_km, 3) and data["destination_snap_km"] == 0
    assert main(["route", "102.2133,19.8681", "Vientiane"]) == 0
    assert f"snapped {r.origin_snap_km:,.2f} km at the start" in capsys.readouterr().out
    assert main(["route", "2.35,48.85", "Vientiane"]) == 1
    err = capsys.readouterr().err
    assert "max_snap_km" in err and len(err.strip().splitlines()) == 1
