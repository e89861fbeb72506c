"""corridors.osm: corridors from OpenStreetMap files (and, monkeypatched, Overpass); road graphs."""

from __future__ import annotations

import bz2
import gzip
import json
import shutil
import socket
from pathlib import Path

import numpy as np
import osmium
import osmnx
import pyproj
import pytest
import shapely
from osmium.osm import mutable

import corridors
from corridors.errors import (
    CorridorsError,
    DataFileError,
    GeometryError,
    UnknownIdError,
)
from corridors.osm import SOURCE, TAG_COLUMNS, attach_road_graph, corridor_from_osm, read_ways

DATA = Path(__file__).parent / "data" / "osm"
OSM = DATA / "boten_line.osm"
BROKEN = DATA / "broken.osm"
NAME = "Boten–Vientiane Railway"
# the railway's nodes in boten_line.osm, north (Boten, at the border) to south (Na Teuy)
LINE_NODES = [
    (101.6790, 21.1950), (101.6740, 21.1800), (101.6680, 21.1650), (101.6600, 21.1500),
    (101.6560, 21.1440), (101.6300, 21.1000), (101.5900, 21.0600), (101.5500, 21.0200),
    (101.5200, 20.9950), (101.5100, 20.9850),
]  # fmt: skip
MAIN_WAYS = [501, 502, 503, 504]
BBOX = (101.4, 20.9, 101.8, 21.3)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Nothing in this module may open a connection or resolve a host name."""

    def refuse(*args, **kwargs):
        raise RuntimeError("network access attempted in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def bz2_file(tmp_path) -> Path:
    path = tmp_path / "boten_line.osm.bz2"
    path.write_bytes(bz2.compress(OSM.read_bytes()))
    return path


@pytest.fixture
def line() -> corridors.Corridor:
    return corridor_from_osm(OSM, name="Boten–Vientiane")


def test_the_network_is_blocked():
    with pytest.raises(RuntimeError, match="network access"):
        socket.create_connection(("overpass-api.de", 80))
    with pytest.raises(RuntimeError, match="network access"):
        socket.socket().connect(("127.0.0.1", 9))


# -- the named railway ----------------------------------------------------------------------------
def test_named_railway_is_one_continuous_line_through_its_nodes_in_order(line):
    assert isinstance(line, corridors.Corridor)
    assert line.id == "boten-vientiane-railway"
    assert line.name == NAME
    assert len(line.sections) == 1
    assert line.geometry.geom_type == "LineString"
    # north to south, as most of the ways are drawn (the bridge is drawn the other way)
    assert shapely.get_coordinates(line.geometry).tolist() == [list(xy) for xy in LINE_NODES]
    assert line.sections["osm_ids"].iloc[0] == MAIN_WAYS
    assert line.osm_ways["osm_id"].tolist() == MAIN_WAYS
    assert line.osm_ways["forward"].tolist() == [True, False, True, True]
    assert line.meta["mode"] == "rail"
    assert line.meta["status"] == "operational"


def test_length_is_the_geodesic_sum_of_the_segments(line):
    lon, lat = np.array(LINE_NODES).T
    _, _, metres = pyproj.Geod(ellps="WGS84").inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    expected_km = metres.sum() / 1000.0
    assert corridors.length_km(line) == pytest.approx(expected_km, rel=1e-12)
    assert line.osm_ways["length_km"].sum() == pytest.approx(expected_km, rel=1e-12)
    assert 29.0 < expected_km < 30.5


def test_siding_and_road_are_left_out():
    named = corridor_from_osm(OSM, name="Boten–Vientiane")
    unnamed = corridor_from_osm(OSM)  # the kind filter alone drops the siding and the road
    for c in (named, unnamed):
        assert c.osm_ways["osm_id"].tolist() == MAIN_WAYS
        assert 601 not in c.sections["osm_ids"].iloc[0]
        assert "highway" not in c.osm_ways.columns
        assert "service" not in c.osm_ways.columns
    # and the other way round: the road alone, without stations
    road = corridor_from_osm(OSM, kind="road")
    assert road.osm_ways["osm_id"].tolist() == [701]
    assert road.sections[["name", "highway", "ref"]].iloc[0].tolist() == [
        "Route 13 North",
        "primary",
        "13",
    ]
    assert road.meta["mode"] == "road"
    assert len(road.stations) == 0
    # a siding wanted on purpose: a custom tag filter replaces the kind's (exclusions too)
    all_rail = corridor_from_osm(OSM, tags={"railway": ["rail"]})
    assert sorted(all_rail.osm_ways["osm_id"]) == [*MAIN_WAYS, 601]


def test_tags_are_kept(line):
    sec = line.sections.iloc[0]
    assert sec["railway"] == "rail"
    assert sec["gauge"] == "1435"
    assert sec["electrified"] == "contact_line"
    assert sec["maxspeed"] == "160"
    assert sec["usage"] == "main"
    assert sec["names"] == {"en": NAME, "lo": "ທາງລົດໄຟ ບໍ່ເຕັນ–ວຽງຈັນ", "zh": "磨万铁路"}
    # the section is neither bridge nor tunnel; the ways and the structures say which are
    assert not isinstance(sec["bridge"], str)
    assert not isinstance(sec["tunnel"], str)
    ways = line.osm_ways.set_index("osm_id")
    assert ways.loc[502, "bridge"] == "yes"
    assert ways.loc[503, "tunnel"] == "yes"
    assert ways.loc[503, "tags"]["tunnel:name"] == "Ban Sin Tunnel"
    assert set(ways["maxspeed"]) == {"160"}
    assert set(ways["section"]) == {"section-1"}

    s = line.structures.set_index("id")
    assert sorted(s.index) == ["bridge-1", "tunnel-1"]
    assert s.loc["bridge-1", "kind"] == "bridge"
    assert s.loc["bridge-1", "osm_ids"] == [502]
    assert s.loc["bridge-1", "name"] == "Bridge (OSM way 502)"
    # drawn along the route, although way 502 is mapped south to north
    assert list(s.loc["bridge-1", "geometry"].coords) == [LINE_NODES[3], LINE_NODES[4]]
    assert s.loc["tunnel-1", "name"] == "Ban Sin Tunnel"
    assert list(s.loc["tunnel-1", "geometry"].coords) == LINE_NODES[4:7]
    # and the corridor model measures them like any other corridor
    report = corridors.check(line)
    assert "29.6 km" in str(report)


def test_stations_near_the_line_are_found_in_order(line):
    st = line.stations
    assert st["name"].tolist() == ["Boten", "Na Teuy"]
    assert st["order"].tolist() == [1, 2]
    assert (st["offset_km"] < 1.0).all()
    assert "Luang Namtha Bus Station" not in set(st["name"])  # ~12 km away
    boten = line.station("Boten")
    # two nodes named Boten: the railway=station one stands for both
    assert boten["osm_ids"] == [1301, 1304]
    assert boten["railway"] == "station"
    assert boten.geometry.coords[0] == (101.6770, 21.1810)
    assert line.station("磨丁")["name"] == "Boten"
    assert line.station("ນາເຕີຍ")["name"] == "Na Teuy"
    assert corridors.distance_km(line, "Boten", "Na Teuy") == pytest.approx(28, abs=1.5)


def test_odbl_attribution(line):
    assert line.meta["license"] == "ODbL-1.0"
    assert "OpenStreetMap contributors" in line.meta["attribution"]
    assert "ODbL" in line.meta["attribution"]
    assert line.meta["sources"] == [SOURCE]
    assert (
        SOURCE == "OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright)"
    )
    features = line.to_geodataframe()
    assert all(s == [SOURCE] for s in features["sources"])
    assert set(features["accuracy"]) == {"traced"}
    assert set(features["error_km"]) == {0.05}
    assert line.meta["accuracy"] == "traced"
    assert line.meta["error_km"] == 0.05


def test_bz2_and_gz_give_the_same_corridor(line, bz2_file, tmp_path):
    gz_file = tmp_path / "boten_line.osm.gz"
    with OSM.open("rb") as src, gzip.open(gz_file, "wb") as dst:
        shutil.copyfileobj(src, dst)
    for path in (bz2_file, str(bz2_file), gz_file):
        other = corridor_from_osm(path, name="Boten–Vientiane")
        assert other.geometry.equals_exact(line.geometry, 0)
        assert other.to_geodataframe().to_json() == line.to_geodataframe().to_json()
        assert other.osm_ways.to_json() == line.osm_ways.to_json()


def test_name_filter_forgives_case_dashes_and_searches_every_name():
    for query in ("boten - vientiane", "BOTEN-VIENTIANE RAILWAY", "磨万", "ບໍ່ເຕັນ–ວຽງຈັນ"):
        assert corridor_from_osm(OSM, name=query).osm_ways["osm_id"].tolist() == MAIN_WAYS
    # the route relation's name finds its member ways too
    via_relation = corridor_from_osm(OSM, name="China–Laos", id="clr")
    assert via_relation.id == "clr"
    assert via_relation.osm_ways["osm_id"].tolist() == MAIN_WAYS
    assert corridor_from_osm(OSM, name="中老铁路").osm_ways["osm_id"].tolist() == MAIN_WAYS


def test_bbox_keeps_the_ways_that_reach_into_it():
    south = corridor_from_osm(OSM, bbox=(101.5, 20.9, 101.6, 21.05))
    assert south.osm_ways["osm_id"].tolist() == [504]
    assert south.stations["name"].tolist() == ["Na Teuy"]


# -- errors ---------------------------------------------------------------------------------------
def test_missing_file(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        corridor_from_osm(tmp_path / "nowhere.osm")
    with pytest.raises(DataFileError, match="no such file"):
        corridor_from_osm(str(tmp_path / "nowhere.osm.bz2"))
    with pytest.raises(DataFileError, match="folder"):
        corridor_from_osm(tmp_path)


def test_corrupt_xml_names_line_and_column(tmp_path):
    with pytest.raises(DataFileError, match=r"broken\.osm: corrupt OSM XML at line 9, column 4"):
        corridor_from_osm(BROKEN)
    truncated = tmp_path / "truncated.osm.bz2"
    truncated.write_bytes(bz2.compress(OSM.read_bytes())[:300])
    with pytest.raises(DataFileError, match="truncated"):
        corridor_from_osm(truncated)
    html = tmp_path / "page.xml"
    html.write_text("<html><body>not OSM</body></html>")
    with pytest.raises(DataFileError, match="root element is <html>"):
        corridor_from_osm(html)
    with pytest.raises(DataFileError, match=r"no such file: .*laos\.osm\.pbf"):
        corridor_from_osm(tmp_path / "laos.osm.pbf")  # PBF is read now; this one is missing
    assert issubclass(DataFileError, CorridorsError)


def test_nothing_matched_says_which_filter_and_what_exists():
    with pytest.raises(GeometryError) as err:
        corridor_from_osm(OSM, tags={"railway": "subway"})
    msg = str(err.value)
    assert "no way matches tags railway=subway" in msg
    assert "railway: rail (5)" in msg
    assert "highway: primary (1)" in msg

    with pytest.raises(GeometryError) as err:
        corridor_from_osm(OSM, name="Vientiane–Hanoi")
    msg = str(err.value)
    assert "4 ways match kind='railway'" in msg
    assert "no name contains 'Vientiane–Hanoi'" in msg
    assert repr(NAME) in msg


def test_unknown_kind_suggests():
    with pytest.raises(UnknownIdError, match="did you mean 'road'"):
        corridor_from_osm(OSM, kind="roads")
    with pytest.raises(UnknownIdError, match="unknown kind 'tram'; known: railway, road"):
        corridor_from_osm(OSM, kind="tram")


# -- Overpass, through OSMnx (monkeypatched: never the network) -----------------------------------
EXPECTED_RAIL_TAGS = {
    "railway": ["rail", "light_rail", "narrow_gauge", "station", "halt"],
    "public_transport": ["station"],
}


@pytest.fixture
def fake_overpass(monkeypatch):
    """Replace OSMnx's Overpass queries by the fixture file, read by OSMnx itself."""
    features = osmnx.features_from_xml(OSM, tags=EXPECTED_RAIL_TAGS)
    calls: list[tuple[str, tuple, dict, bool]] = []

    def fake(function):
        def query(*args, **kwargs):
            calls.append((function, args, kwargs, osmnx.settings.use_cache))
            return features.copy()

        return query

    monkeypatch.setattr(osmnx, "features_from_bbox", fake("bbox"))
    monkeypatch.setattr(osmnx, "features_from_place", fake("place"))
    monkeypatch.setattr(osmnx.settings, "use_cache", True)
    return calls


def test_overpass_by_bbox_calls_osmnx_with_the_right_arguments(fake_overpass, line):
    got = corridor_from_osm(BBOX, name="Boten–Vientiane", cache=False)
    assert fake_overpass == [("bbox", (BBOX,), {"tags": EXPECTED_RAIL_TAGS}, False)]
    assert osmnx.settings.use_cache is True  # restored
    assert got.geometry.equals_exact(line.geometry, 0)
    assert got.osm_ways["osm_id"].tolist() == MAIN_WAYS
    assert got.stations["name"].tolist() == ["Boten", "Na Teuy"]
    assert got.structures["id"].tolist() == ["bridge-1", "tunnel-1"]
    assert got.meta["license"] == "ODbL-1.0"
    assert got.meta["osm"]["source"] == f"Overpass bbox {BBOX}"


def test_overpass_line_name_with_bbox(fake_overpass, line):
    got = corridor_from_osm("Boten–Vientiane railway", bbox=list(BBOX))
    assert fake_overpass == [("bbox", (BBOX,), {"tags": EXPECTED_RAIL_TAGS}, True)]
    assert got.osm_ways["osm_id"].tolist() == MAIN_WAYS
    assert got.meta["osm"]["name"] == "Boten–Vientiane railway"


def test_overpass_by_place(fake_overpass):
    got = corridor_from_osm("Luang Namtha Province, Laos", name="Boten", kind="railway")
    assert fake_overpass == [
        ("place", ("Luang Namtha Province, Laos",), {"tags": EXPECTED_RAIL_TAGS}, True)
    ]
    assert got.osm_ways["osm_id"].tolist() == MAIN_WAYS
    # the fake answers with the railway data whatever is asked: no primary road in it
    with pytest.raises(GeometryError, match="no way matches tags highway=primary"):
        corridor_from_osm(
            "Luang Namtha Province, Laos", kind="road", tags={"highway": "primary"}, cache=False
        )
    assert fake_overpass[-1] == (
        "place",
        ("Luang Namtha Province, Laos",),
        {"tags": {"highway": "primary"}},
        False,
    )


def test_overpass_failures_become_corridors_errors(monkeypatch):
    class InsufficientResponseError(ValueError):  # what OSMnx raises; not its public API
        pass

    def nothing(*args, **kwargs):
        raise InsufficientResponseError("No data elements in server response.")

    def not_an_area(*args, **kwargs):
        raise TypeError("Nominatim did not geocode query to a geometry of type (Multi)Polygon.")

    monkeypatch.setattr(osmnx, "features_from_bbox", nothing)
    monkeypatch.setattr(osmnx, "features_from_place", not_an_area)
    with pytest.raises(GeometryError, match="Overpass found nothing matching kind='railway'"):
        corridor_from_osm(BBOX)
    with pytest.raises(DataFileError, match=r"give bbox=\(west, south, east, north\)"):
        corridor_from_osm("Boten–Vientiane railway")
    with pytest.raises(corridors.CoordinateError, match="bbox"):
        corridor_from_osm(None, bbox=(101.8, 20.9, 101.4, 21.3))
    with pytest.raises(CorridorsError, match="give a source"):
        corridor_from_osm(None)


# -- attach_road_graph, which moved to corridors.network -------------------------------------------
def test_attach_road_graph_is_still_importable_from_osm_without_loading_network_early():
    import ast

    assert corridors.osm.attach_road_graph is corridors.network.attach_road_graph
    assert attach_road_graph is corridors.network.attach_road_graph
    # a lazy re-export: osm.py imports corridors.network only inside its __getattr__
    tree = ast.parse(Path(corridors.osm.__file__).read_text("utf-8"))
    top = {n.module for n in tree.body if isinstance(n, ast.ImportFrom) and n.module is not None}
    assert "corridors.network" not in top
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = corridors.osm.nope


def test_a_gap_gives_sections_in_route_order(tmp_path):
    """Without the bridge the line falls apart in two; they still come out north to south."""
    text = OSM.read_text(encoding="utf-8")
    start = text.index('  <way id="502">')
    gapped = tmp_path / "gapped.osm"
    gapped.write_text(text[:start] + text[text.index("</way>", start) + 7 :], encoding="utf-8")
    c = corridor_from_osm(gapped, name="Boten–Vientiane")
    assert c.sections["osm_ids"].tolist() == [[501], [503, 504]]
    assert [list(g.coords) for g in c.sections.geometry] == [LINE_NODES[:4], LINE_NODES[4:]]
    assert c.geometry.geom_type == "MultiLineString"
    assert c.stations["section"].tolist() == ["section-1", "section-2"]
    assert c.structures["id"].tolist() == ["tunnel-1"]


def test_a_mistyped_file_name_is_not_sent_to_overpass(monkeypatch):
    def no_query(*args, **kwargs):
        raise AssertionError("osmnx was called")

    monkeypatch.setattr(osmnx, "features_from_place", no_query)
    with pytest.raises(DataFileError, match=r"no such file: boten_line\.osn"):
        corridor_from_osm("boten_line.osn")


# -- every input format: pyosmium's writer and a HOT GeoJSON export, built here -------------------
RAIL = {
    "name": NAME, "name:en": NAME, "name:lo": "ທາງລົດໄຟ ບໍ່ເຕັນ–ວຽງຈັນ", "name:zh": "磨万铁路",
    "gauge": "1435", "electrified": "contact_line", "voltage": "25000", "frequency": "50",
    "maxspeed": "160", "usage": "main",
}  # fmt: skip
# the content of boten_line.osm, in its order, as (id, lon, lat, tags) and (id, node refs, tags)
NODES = [
    (1003, 101.6680, 21.1650, {}), (1001, 101.6790, 21.1950, {}), (1002, 101.6740, 21.1800, {}),
    (1004, 101.6600, 21.1500, {}), (1005, 101.6560, 21.1440, {}), (1006, 101.6300, 21.1000, {}),
    (1007, 101.5900, 21.0600, {}), (1008, 101.5500, 21.0200, {}), (1009, 101.5200, 20.9950, {}),
    (1010, 101.5100, 20.9850, {}), (1101, 101.6770, 21.1790, {}), (1102, 101.6785, 21.1760, {}),
    (1201, 101.6900, 21.1900, {}), (1202, 101.6700, 21.1500, {}), (1203, 101.6400, 21.0900, {}),
    (1301, 101.6770, 21.1810, {"railway": "station", "public_transport": "station", "train": "yes",
                               "name": "Boten", "name:en": "Boten", "name:lo": "ບໍ່ເຕັນ",
                               "name:zh": "磨丁"}),
    (1304, 101.6748, 21.1803, {"public_transport": "station", "name": "Boten"}),
    (1302, 101.5080, 20.9870, {"railway": "station", "name": "Na Teuy", "name:lo": "ນາເຕີຍ",
                               "name:zh": "纳堆"}),
    (1303, 101.4000, 21.0000, {"public_transport": "station", "bus": "yes",
                               "name": "Luang Namtha Bus Station"}),
]  # fmt: skip
WAYS = [
    (503, [1005, 1006, 1007], {"railway": "rail", "tunnel": "yes", "layer": "-1",
                               "tunnel:name": "Ban Sin Tunnel", **RAIL}),
    (701, [1201, 1202, 1203], {"highway": "primary", "ref": "13", "name": "Route 13 North"}),
    (501, [1001, 1002, 1003, 1004], {"railway": "rail", **RAIL}),
    (601, [1002, 1101, 1102], {"railway": "rail", "service": "siding", "gauge": "1435"}),
    (504, [1007, 1008, 1009, 1010], {"railway": "rail", **RAIL}),
    (502, [1005, 1004], {"railway": "rail", "bridge": "yes", "layer": "1", **RAIL}),
]  # fmt: skip
RELATIONS = [
    (9001, [("w", 501, ""), ("w", 502, ""), ("w", 503, ""), ("w", 504, ""), ("n", 1301, "stop")],
     {"type": "route", "route": "railway", "name": "China–Laos Railway", "name:zh": "中老铁路"}),
]  # fmt: skip
OSM_SUFFIXES = (".osm", ".osm.gz", ".osm.bz2", ".osm.pbf")
#: the columns of a real HOT railway export (hotosm_lao_railways_lines_geojson), before osm_id
HOT_KEYS = (
    "name", "name:en", "railway", "ele", "operator:type", "layer", "addr:full", "addr:city",
    "source", "name:lo",
)  # fmt: skip


def write_osm(path: Path, nodes=NODES, ways=WAYS, relations=RELATIONS) -> Path:
    """Write nodes, ways and relations with pyosmium; the suffix picks XML, gzip, bzip2 or PBF."""
    with osmium.SimpleWriter(str(path)) as writer:
        for i, lon, lat, tags in nodes:
            writer.add_node(mutable.Node(id=i, location=(lon, lat), tags=tags, version=1))
        for i, refs, tags in ways:
            writer.add_way(mutable.Way(id=i, nodes=refs, tags=tags, version=1))
        for i, members, tags in relations:
            writer.add_relation(mutable.Relation(id=i, members=members, tags=tags, version=1))
    return path


def hot_feature(osm_id: int, tags: dict, coords: list, *, multi: bool = False) -> dict:
    """One feature laid out as in a HOT export: every key of the export, null where untagged."""
    keys = dict.fromkeys([*HOT_KEYS, *(k for _, _, t in WAYS for k in t), *tags])
    props = {k: tags.get(k) for k in keys}
    props |= {"osm_id": osm_id, "osm_type": "relations" if multi else "ways_line"}
    kind = "MultiLineString" if multi else "LineString"
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": kind, "coordinates": coords},
    }


def write_hot(path: Path, features: list[dict]) -> Path:
    doc = {"type": "FeatureCollection", "name": path.stem, "features": features}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=0), encoding="utf-8")
    return path


def way_coords(refs: list[int]) -> list[list[float]]:
    where = {i: [lon, lat] for i, lon, lat, _ in NODES}
    return [where[r] for r in refs]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """The same data as every format: four written by pyosmium, one HOT GeoJSON export."""
    folder = tmp_path_factory.mktemp("formats")
    out = {s: write_osm(folder / f"boten{s}") for s in OSM_SUFFIXES}
    hot = [hot_feature(i, tags, way_coords(refs)) for i, refs, tags in WAYS]
    out[".geojson"] = write_hot(folder / "hotosm_test_railways_lines_geojson.geojson", hot)
    return out


def summary(ways) -> list[tuple]:
    """What must agree between formats: ids, names, tags, columns, vertices and lengths."""
    km = corridors.length_km(ways).round(12).tolist() if len(ways) else []
    coords = [shapely.get_coordinates(g).tolist() for g in ways.geometry]
    columns = [c for c in ways.columns if c != "tags"]
    rows = ways[columns].drop(columns="geometry").astype(object).values.tolist()
    return list(zip(rows, ways["tags"], coords, km, strict=True))


def test_read_ways_columns_order_and_types(files):
    ways, stations = read_ways(files[".osm.pbf"])
    assert ways["osm_id"].tolist() == [503, 501, 601, 504, 502]  # the file's order, rail only
    assert ways["osm_id"].dtype == np.int64
    assert ways.crs == "EPSG:4326" and stations.crs == "EPSG:4326"
    assert list(ways.columns[:3]) == ["osm_id", "name", "tags"]
    present = {"railway", "service", "gauge", "electrified", "voltage", "frequency", "maxspeed",
               "usage", "bridge", "tunnel", "layer"}  # fmt: skip
    assert list(ways.columns[3:-1]) == [t for t in TAG_COLUMNS if t in present]
    assert ways.geometry.name == "geometry" and set(ways.geom_type) == {"LineString"}
    siding = ways.set_index("osm_id").loc[601]
    assert siding["name"] is None and siding["bridge"] is None and siding["service"] == "siding"
    assert siding["tags"] == {"railway": "rail", "service": "siding", "gauge": "1435"}
    assert ways.set_index("osm_id").loc[503, "tags"]["tunnel:name"] == "Ban Sin Tunnel"
    assert ways["name"].tolist()[0] == NAME
    assert list(ways.geometry.iloc[0].coords) == LINE_NODES[4:7]
    assert ways.attrs["incomplete"] == []
    # every station node, in the file's order, whatever its distance from the line
    assert list(stations.columns) == ["osm_id", "name", "tags", "geometry"]
    assert stations["osm_id"].tolist() == [1301, 1304, 1302, 1303]
    assert stations["osm_id"].dtype == np.int64
    assert stations["name"].tolist() == ["Boten", "Boten", "Na Teuy", "Luang Namtha Bus Station"]
    assert stations["tags"].iloc[0]["name:zh"] == "磨丁"
    assert stations.geometry.iloc[2].coords[0] == (101.5080, 20.9870)


def test_every_format_gives_the_same_ways_tags_lengths_and_stations(files):
    ways, stations = read_ways(OSM)  # the hand-written XML: the written files hold the same data
    for suffix, path in files.items():
        other_ways, other_stations = read_ways(path)
        assert summary(other_ways) == summary(ways), suffix
        assert other_ways["osm_id"].dtype == np.int64
        if suffix == ".geojson":  # HOT exports have no nodes
            assert len(other_stations) == 0
            assert list(other_stations.columns) == list(stations.columns)
            assert other_stations.crs == "EPSG:4326"
        else:
            assert other_stations.to_json() == stations.to_json(), suffix
            assert other_ways.to_json() == ways.to_json(), suffix


def test_corridor_from_osm_is_the_same_from_every_format(files, line):
    for suffix, path in files.items():
        other = corridor_from_osm(path, name="Boten–Vientiane")
        assert other.geometry.equals_exact(line.geometry, 0), suffix
        assert corridors.length_km(other) == corridors.length_km(line)
        assert other.meta["osm"]["source"] == str(path)
        if suffix == ".geojson":
            assert len(other.stations) == 0  # no nodes in a HOT export
            assert other.sections[["name", "osm_ids"]].to_json() == (
                line.sections[["name", "osm_ids"]].to_json()
            )
            assert other.structures["id"].tolist() == ["bridge-1", "tunnel-1"]
            assert summary(other.osm_ways.drop(columns="names")) == summary(
                line.osm_ways.drop(columns="names")
            )
        else:
            assert other.to_geodataframe().to_json() == line.to_geodataframe().to_json(), suffix
            assert other.osm_ways.to_json() == line.osm_ways.to_json(), suffix
            # the route relation's names are read from every OSM format
            assert corridor_from_osm(path, name="中老铁路").osm_ways["osm_id"].tolist() == MAIN_WAYS
    # a HOT export has no relations, so only the ways' own names find them
    with pytest.raises(GeometryError, match="no name contains '中老铁路'"):
        corridor_from_osm(files[".geojson"], name="中老铁路")
    road = corridor_from_osm(files[".geojson"], kind="road")
    assert road.osm_ways["osm_id"].tolist() == [701]


def test_the_format_is_told_by_content(files, tmp_path):
    renamed = tmp_path / "really_a_pbf.osm"
    renamed.write_bytes(files[".osm.pbf"].read_bytes())
    gz_named_osm = tmp_path / "really_gzip.osm"
    gz_named_osm.write_bytes(files[".osm.gz"].read_bytes())
    hot_json = tmp_path / "export.json"
    hot_json.write_bytes(files[".geojson"].read_bytes())
    expected = summary(read_ways(OSM)[0])
    for path in (renamed, gz_named_osm, str(hot_json)):
        assert summary(read_ways(path)[0]) == expected


def test_hot_export_layout(tmp_path):
    tags = {"railway": "rail", "name:en": "Thanaleng line", "layer": "1"}
    props = {k: None for k in HOT_KEYS} | tags | {"osm_id": 1062918163, "osm_type": "ways_line"}
    coords = [[102.7153486, 17.9159956], [102.7152641, 17.9153962], [102.7151625, 17.9149652]]
    geometry = {"type": "LineString", "coordinates": coords}
    feature = {"type": "Feature", "properties": props, "geometry": geometry}
    path = write_hot(tmp_path / "hotosm_lao_railways_lines_geojson.geojson", [feature])
    ways, stations = read_ways(path)
    assert ways["osm_id"].tolist() == [1062918163]
    assert ways["tags"].iloc[0] == tags
    assert ways["name"].tolist() == ["Thanaleng line"]
    assert ways[["railway", "layer"]].iloc[0].tolist() == ["rail", "1"]
    assert shapely.get_coordinates(ways.geometry.iloc[0]).tolist() == coords
    assert len(stations) == 0


def test_hot_multilinestring_is_exploded_into_its_parts(tmp_path):
    parts = [way_coords([1001, 1002, 1003, 1004]), way_coords([1007, 1008, 1009, 1010])]
    features = [
        hot_feature(501, WAYS[2][2], way_coords(WAYS[2][1])),
        hot_feature(7106561, {"railway": "rail", "name:en": "Boten branch"}, parts, multi=True),
        hot_feature(601, WAYS[3][2], way_coords(WAYS[3][1])),
    ]
    path = write_hot(tmp_path / "multi.geojson", features)
    ways, _ = read_ways(path)
    assert ways["osm_id"].tolist() == [501, 7106561, 7106561, 601]
    assert set(ways.geom_type) == {"LineString"}
    assert [shapely.get_coordinates(g).tolist() for g in ways.geometry[1:3]] == parts
    assert ways["name"].tolist() == [NAME, "Boten branch", "Boten branch", None]
    assert (
        ways["tags"].iloc[1]
        == ways["tags"].iloc[2]
        == {"railway": "rail", "name:en": "Boten branch"}
    )
    assert ways["tags"].iloc[1] is not ways["tags"].iloc[2]
    c = corridor_from_osm(path, name="Boten branch")
    assert c.osm_ways["osm_id"].tolist() == [7106561, 7106561]
    assert len(c.sections) == 2


@pytest.mark.parametrize("suffix", OSM_SUFFIXES)
def test_incomplete_ways_are_reported(tmp_path, suffix):
    nodes = [n for n in NODES if n[0] != 1003]  # way 501 loses a node
    ways = [*WAYS, (505, [1010, 99998, 99999], {"railway": "rail"})]  # one node left: no line
    path = write_osm(tmp_path / f"gaps{suffix}", nodes=nodes, ways=ways)
    got, _ = read_ways(path)
    assert got["osm_id"].tolist() == [503, 501, 601, 504, 502]
    assert got.attrs["incomplete"] == [501]
    line_501 = got.set_index("osm_id").loc[501, "geometry"]
    assert list(line_501.coords) == [LINE_NODES[0], LINE_NODES[1], LINE_NODES[3]]
    c = corridor_from_osm(path, name="Boten–Vientiane")
    assert c.meta["osm"]["incomplete_ways"] == [501]
    assert c.osm_ways["osm_id"].tolist() == MAIN_WAYS


def test_tags_filter_and_bbox(files):
    for suffix, path in files.items():
        road, _ = read_ways(path, tags={"highway": "primary"})
        assert road["osm_id"].tolist() == [701], suffix
        expected = ["Route 13 North", "primary", "13"]
        assert road[["name", "highway", "ref"]].iloc[0].tolist() == expected
        assert "railway" not in road.columns
        both, _ = read_ways(path, tags={"railway": ["rail"], "highway": True})
        assert both["osm_id"].tolist() == [503, 701, 501, 601, 504, 502]
        bridges, _ = read_ways(path, tags={"bridge": "yes", "tunnel": "yes"})
        assert bridges["osm_id"].tolist() == [503, 502]
        none, none_stations = read_ways(path, tags={"railway": "subway"})
        assert len(none) == 0 and list(none.columns) == ["osm_id", "name", "tags", "geometry"]
        assert none["osm_id"].dtype == np.int64
        assert len(none_stations) == (0 if suffix == ".geojson" else 4)
        south, stations = read_ways(path, bbox=(101.5, 20.9, 101.6, 21.07))
        assert south["osm_id"].tolist() == [503, 504], suffix  # both reach into the box
        assert stations["name"].tolist() == ([] if suffix == ".geojson" else ["Na Teuy"])
    with pytest.raises(CorridorsError, match="tags must be a non-empty dict"):
        read_ways(files[".osm.pbf"], tags={})
    with pytest.raises(CorridorsError, match="not a string, a list of strings or True"):
        read_ways(files[".osm.pbf"], tags={"railway": 3})
    with pytest.raises(corridors.CoordinateError, match="bbox"):
        read_ways(files[".osm.pbf"], bbox=(101.6, 20.9, 101.5, 21.05))


# -- broken files of every format ---------------------------------------------------------------
def broken_versions(path: Path, tmp_path: Path) -> dict[str, Path]:
    """Truncated and corrupted copies of a file (same suffix)."""
    raw = path.read_bytes()
    name = path.name
    truncated = tmp_path / f"truncated_{name}"
    truncated.write_bytes(raw[: len(raw) * 2 // 3])
    corrupt = tmp_path / f"corrupt_{name}"
    if name.endswith((".osm", ".geojson")):  # text: break the syntax in the middle
        text = raw.decode("utf-8")
        cut = len(text) // 2
        corrupt.write_text(text[:cut] + "<<}}{{>>" + text[cut:], encoding="utf-8")
    else:  # compressed or PBF: overwrite bytes in the middle of the stream
        middle = len(raw) // 2
        corrupt.write_bytes(raw[:middle] + b"\xff" * 64 + raw[middle + 64 :])
    return {"truncated": truncated, "corrupt": corrupt}


@pytest.mark.parametrize("suffix", [*OSM_SUFFIXES, ".geojson"])
def test_truncated_and_corrupt_files_give_data_file_errors(files, tmp_path, suffix):
    broken = broken_versions(files[suffix], tmp_path)
    for what, path in broken.items():
        for read in (read_ways, corridor_from_osm):
            with pytest.raises(DataFileError) as err:
                read(path)
            msg = str(err.value)
            assert "\n" not in msg
            assert msg.startswith(f"{path}: ")  # the file first, then what is wrong with it
            problem = msg.removeprefix(f"{path}: ")
            if what == "truncated":
                assert problem.startswith("truncated "), msg
            else:
                assert problem.startswith("corrupt "), msg


def test_files_that_are_not_what_they_say(tmp_path):
    cases = {
        "page.osm.pbf": ("<!DOCTYPE html><html><body>404</body></html>", "root element is <html>"),
        "noise.osm.pbf": ("\x00\x01 no header here" * 4, "not an OSM XML, OSM PBF or GeoJSON"),
        "text.osm": ("hello", "not an OSM XML, OSM PBF or GeoJSON file"),
        "empty.osm.pbf": ("", "is empty"),
        "empty.geojson": ("", "is empty"),
        "feature.geojson": (
            json.dumps({"type": "Feature", "properties": {}, "geometry": None}),
            "not a HOT GeoJSON export: expected a FeatureCollection, got 'Feature'",
        ),
        "list.json": ("[1, 2]", "expected a FeatureCollection, got 'list'"),
        "plain.geojson": (
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {"name": "x"},
                            "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
                        }
                    ],
                }
            ),
            "feature 0 has no osm_id property",
        ),
        "projected.geojson": (
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        hot_feature(
                            1, {"railway": "rail"}, [[240000.0, 2300000.0], [250000.0, 2310000.0]]
                        )
                    ],
                }
            ),
            r"feature 0 \(osm_id 1\) has a position \(240000, 2.3e\+06\) outside lon/lat range",
        ),
        "broken_id.geojson": (
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        hot_feature(1, {"railway": "rail"}, [[101.0, 20.0], [101.1, 20.1]])
                    ],
                }
            ).replace('"osm_id": 1', '"osm_id": "w1"'),
            "feature 0 has an invalid osm_id 'w1'",
        ),
        "lines.csv": ("osm_id,railway\n1,rail\n", "unsupported file type"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        for read in (read_ways, corridor_from_osm):
            with pytest.raises(DataFileError, match=message) as err:
                read(path)
            assert str(err.value).startswith(str(path)), name
    with pytest.raises(DataFileError, match=r"no such file: .*nowhere\.geojson"):
        read_ways(tmp_path / "nowhere.geojson")
    with pytest.raises(DataFileError, match="folder"):
        read_ways(tmp_path)
    with pytest.raises(DataFileError, match="needs the path of a local OSM file"):
        read_ways(42)


# -- geodesic, not planar, order along the line ---------------------------------------------------
def test_stations_are_ordered_by_geodesic_chainage_where_planar_degrees_would_swap_them(tmp_path):
    """At 60° N a degree of longitude is half a degree of latitude on the ground, so the foot of
    a perpendicular drawn in lon/lat degrees slides along a diagonal line: a station 0.8 km north-
    west of it moves back by about half a kilometre, one south-east moves on. Two stations 300 m
    apart on opposite sides then swap under planar ``line_locate_point``; pyproj.Geod puts them
    where they are. The line has a vertex every kilometre along the geodesic, so that drawn
    straight in lon/lat or as geodesics its segments are the same line to the millimetre."""
    g = pyproj.Geod(ellps="WGS84")
    start, end = (10.0, 60.0), (12.0, 61.0)
    az, _, _ = g.inv(*start, *end)
    vertices = [start, *g.npts(*start, *end, 156), end]
    # feet on the line at 50.3 km (north-west station) and 50.0 km (south-east station)
    feet_km = {"North West": 50.3, "South East": 50.0}
    side = {"North West": -90.0, "South East": 90.0}
    nodes = {}
    for name, km in feet_km.items():
        lon, lat, back = g.fwd(*start, az, km * 1000.0)
        heading = back + 180.0  # the line's azimuth at the foot
        nodes[name] = g.fwd(lon, lat, heading + side[name], 800.0)[:2]
    station_xml = "".join(
        f'  <node id="{20 + i}" lat="{lat:.7f}" lon="{lon:.7f}">\n'
        f'    <tag k="railway" v="station"/>\n    <tag k="name" v="{name}"/>\n  </node>\n'
        for i, (name, (lon, lat)) in enumerate(nodes.items())
    )
    path = tmp_path / "diagonal_60n.osm"
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n"
        + "".join(
            f'  <node id="{1000 + i}" lat="{lat:.7f}" lon="{lon:.7f}"/>\n'
            for i, (lon, lat) in enumerate(vertices)
        )
        + station_xml
        + '  <way id="10">\n'
        + "".join(f'    <nd ref="{1000 + i}"/>\n' for i in range(len(vertices)))
        + '    <tag k="railway" v="rail"/>\n    <tag k="name" v="Diagonal Line"/>\n  </way>\n'
        + "</osm>\n",
        encoding="utf-8",
    )
    line = corridor_from_osm(path)
    # the planar answer in degrees is the wrong way round (else this test would prove nothing)
    drawn = line.sections.geometry.iloc[0]
    planar = {n: shapely.line_locate_point(drawn, shapely.Point(xy)) for n, xy in nodes.items()}
    assert planar["North West"] < planar["South East"]
    # geodesic: in order of the feet on the ground, each 0.8 km off the line
    assert line.stations["name"].tolist() == ["South East", "North West"]
    assert line.stations["offset_km"].tolist() == pytest.approx([0.8, 0.8], abs=1e-3)
