"""The corridor network and routing across it, today and as planned."""

from __future__ import annotations

import json
import subprocess
import sys

import networkx as nx
import pytest

import corridors
from corridors import network, settings


@pytest.fixture(scope="module")
def planned() -> nx.MultiDiGraph:
    return network.build("planned")


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


def test_current_holds_only_what_operates_today(planned):
    current = network.build("current")
    assert {d["status"] for _, _, d in current.edges(data=True)} == {"operational"}
    assert {"planned"} <= {d["status"] for _, _, d in planned.edges(data=True)}
    assert current.number_of_edges() < planned.number_of_edges()
    rail = network.build("planned", modes=["rail"])
    assert {d["mode"] for _, _, d in rail.edges(data=True)} <= {"rail", "transfer", "access"}


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
    assert r.km_by_country.sum() == pytest.approx(
        r.length_km, rel=0.01
    )  # the port sits on the coast


def test_by_rail_today_there_is_no_route_and_the_error_says_what_would_make_one():
    with pytest.raises(corridors.NoRouteError, match="Vientiane – Vung Ang Railway") as err:
        corridors.route("Vientiane", "Vung Ang", modes=["rail"])
    assert "current network by rail" in str(err.value)


def test_kunming_to_vung_ang_once_built_and_how_much_is_in_laos():
    r = corridors.route(
        "Kunming South", "Vung Ang", scenario="planned", modes=["rail"], weight="length"
    )
    assert {"china-laos-railway", "vientiane-vung-ang-railway"} <= set(r.legs["corridor"])
    by = r.km_by_country
    assert set(by.index) == {"CHN", "LAO", "VNM"}
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


def test_settings_change_the_times(monkeypatch):
    base = corridors.route("Kunming South", "Vientiane").travel_time_h
    monkeypatch.setattr(settings, "border_minutes", settings.border_minutes + 60)
    assert corridors.route("Kunming South", "Vientiane").travel_time_h == pytest.approx(base + 1)


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


def test_cli_route_and_map_of_a_route(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "corridors.cli", "route", "Kunming South", "Vung Ang", "--scenario", "planned",
         "--mode", "rail", "--by", "distance", "--json"],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data["km_by_country"]) == {"CHN", "LAO", "VNM"} and len(data["crossings"]) == 2
    fail = subprocess.run(
        [sys.executable, "-m", "corridors.cli", "route", "Vientiane", "Vung Ang", "--mode", "rail"],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert (
        fail.returncode == 1
        and "would connect them" in fail.stderr
        and "Traceback" not in fail.stderr
    )
    from corridors import maps

    r = corridors.route("Kunming South", "Vientiane")
    page = maps.render([r], offline=True, tiles=None).get_root().render()
    assert "corridors-route" in page
