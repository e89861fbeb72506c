"""geodata/tools/build_railways.py: the build of the railway corridors from OpenStreetMap.

Three parts: the reproduction of the committed files from the shared extracts (skipped when they
are not there), the build mechanics on a small authored document and extract made here, and
invariants of the committed data, read from the files themselves.
"""

from __future__ import annotations

import copy
import importlib.util
import itertools
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from corridors._osm_build import EXTRACTS, build_corridor, dumps_corridor
from corridors.errors import CorridorsError, GeometryError, SchemaError
from corridors.geodesy import chainage_km
from corridors.osm import read_ways

ROOT = Path(__file__).resolve().parents[1]
GEODATA = ROOT / "geodata"
AUTHORED = GEODATA / "authored"
BUILT = GEODATA / "corridors"
SHARED_OSM = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
CREDIT = "© OpenStreetMap contributors, ODbL 1.0"
GEOD = pyproj.Geod(ellps="WGS84")


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        "build_railways", GEODATA / "tools" / "build_railways.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def km(coords) -> float:
    xy = np.asarray(coords, float)
    return GEOD.line_length(xy[:, 0], xy[:, 1]) / 1000.0


# -- reproduction from the shared extracts ------------------------------------------------------
def _shared_extracts() -> dict[str, Path]:
    paths = {name: SHARED_OSM / file for name, file in EXTRACTS.items()}
    missing = [p.name for p in paths.values() if not p.is_file()]
    if missing:
        pytest.skip(f"shared OSM extracts not found at {SHARED_OSM} (missing {', '.join(missing)})")
    return paths


@pytest.fixture(scope="module")
def rebuilt() -> dict[str, str]:
    return tool.build_all(AUTHORED, _shared_extracts(), report=False)


def test_the_extracts_rebuild_every_corridor_file_byte_for_byte(rebuilt):
    committed = {p.name: p.read_text(encoding="utf-8") for p in BUILT.glob("*.geojson")}
    assert sorted(rebuilt) == sorted(committed)  # every corridor file is made by the build
    for name, text in committed.items():
        assert rebuilt[name] == text, f"{name} differs from what the build makes"


def test_the_command_line_check_passes_on_the_committed_data(capsys):
    _shared_extracts()
    assert tool.main(["--check", "-q", "--osm", str(SHARED_OSM)]) == 0
    assert capsys.readouterr().err == ""
    assert tool.DEFAULT_OSM.resolve() == SHARED_OSM.resolve()  # the default is where we looked


def test_help_names_every_input_format(capsys):
    with pytest.raises(SystemExit) as exit_:
        tool.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert ".osm.pbf" in out and "--check" in out and "--lao" in out


# -- build mechanics on a small line made here ---------------------------------------------------
LON = 102.0


def north(lat: float, metres: float) -> list[float]:
    x, y, _ = GEOD.fwd(LON, lat, 0.0, metres)
    return [float(x), float(y)]


def east(lat: float, metres: float) -> float:
    return float(GEOD.fwd(LON, lat, 90.0 if metres >= 0 else 270.0, abs(metres))[0])


def meridian_km(lat: float) -> float:
    return GEOD.inv(LON, 18.0, LON, lat)[2] / 1000.0


def loop(lat0: float, lat1: float, offset_m: float) -> list[list[float]]:
    """A passing loop between two vertices of the main line, symmetric about its middle."""
    d = (lat1 - lat0) * 0.1
    x = east((lat0 + lat1) / 2, offset_m)
    return [[LON, lat0], [x, lat0 + d], [x, lat1 - d], [LON, lat1]]


HOLE_AT, HOLE_M = 18.2, 300.0
MAIN_WAYS = [  # (osm_id, layer, coordinates): a line due north from 18.0 to 18.3
    (101, None, [[LON, y] for y in (18.0, 18.04, 18.042, 18.048, 18.05, 18.1)]),
    (102, "1", [[LON, 18.1], [LON, 18.11]]),  # a bridge
    (103, None, [[LON, 18.11], [LON, 18.2]]),
    (104, None, [north(HOLE_AT, HOLE_M), [LON, 18.245], [LON, 18.255], [LON, 18.3]]),
]
ALPHA = [loop(18.040, 18.050, 30.0), loop(18.042, 18.048, -30.0)]  # a yard centred on 18.045
BETA = [loop(18.245, 18.255, 30.0)]  # centred on 18.25


def synthetic_extract() -> gpd.GeoDataFrame:
    rows = [(i, "Test Line", layer, coords) for i, layer, coords in MAIN_WAYS]
    rows += [(201 + i, None, None, c) for i, c in enumerate(ALPHA + BETA)]
    return gpd.GeoDataFrame(
        {
            "osm_id": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "layer": [r[2] for r in rows],
        },
        geometry=[shapely.LineString(r[3]) for r in rows],
        crs="EPSG:4326",
    )


def feature(fid, kind, geometry=None, build=None, **props):
    f = {"type": "Feature", "properties": {"id": fid, "kind": kind, **props}}
    f["geometry"] = geometry
    if build is not None:
        f["build"] = build
    return f


def point(xy):
    return {"type": "Point", "coordinates": list(xy)}


def line(coords):
    return {"type": "LineString", "coordinates": [list(c) for c in coords]}


GATE_OLD = [101.99, 17.99]  # where the authored file puts the gate before the build


def authored_doc() -> dict:
    """A corridor: an authored approach, two chain sections between yards, a branch, a bridge."""
    yard = {"chain": "t", "within_km": 1.0}
    return {
        "type": "FeatureCollection",
        "corridor": {
            "id": "test-line",
            "name": "Test Line",
            "figures": [{"id": "len", "value": 40, "unit": "km", "measure": "length"}],
            "relations": [],
            "build": {
                "chains": {
                    "t": {
                        "extract": "lao",
                        "main_name": "^Test Line$",
                        "anchors": [[LON, 18.0], [LON, 18.3]],
                    }
                }
            },
        },
        "features": [
            feature(
                "approach", "section", line([[101.9, 17.9], GATE_OLD]), role="main", order=1,
                sources=["own tracing"],
            ),
            feature("north", "section", None, {"chain": "t", "from": "gate", "to": "alpha"},
                    role="main", order=2),
            feature("middle", "section", None, {"chain": "t", "from": "alpha", "to": "beta"},
                    role="main", order=3),
            feature("tail", "section", None, {"chain": "t", "from": "beta", "to": None},
                    role="branch", order=None),
            feature("gate", "station", point(GATE_OLD), {"chain_km": {"chain": "t", "km": 0.0}},
                    order=1),
            feature("alpha", "station", point([LON, 18.0449]),
                    {"yard": {**yard, "near_km": 5.0}}, order=2),
            feature("beta", "station", point([LON, 18.25]),
                    {"yard": {**yard, "near_km": round(meridian_km(18.25), 1)}}, order=3),
            feature("bridge", "bridge", None,
                    {"layer_run": {"chain": "t", "layer": 1, "near_km": meridian_km(18.105)}}),
        ],
    }  # fmt: skip


def build(doc=None) -> dict:
    return build_corridor(authored_doc() if doc is None else doc, {"lao": synthetic_extract()})


@pytest.fixture(scope="module")
def built() -> dict:
    return build()


def by_id(doc: dict) -> dict[str, dict]:
    return {f["properties"]["id"]: f for f in doc["features"]}


def test_sections_are_cut_from_the_chain_between_their_stations(built):
    f = by_id(built)
    gate = f["gate"]["geometry"]["coordinates"]
    assert gate == [LON, 18.0]  # chain_km 0: the start of the chain
    alpha, beta = (f[s]["geometry"]["coordinates"] for s in ("alpha", "beta"))
    # a yard station sits at its yard's centre: the middle of its symmetric loops
    assert GEOD.inv(*alpha, LON, 18.045)[2] < 10.0
    assert GEOD.inv(*beta, LON, 18.25)[2] < 10.0
    north_, middle, tail = (f[s]["geometry"]["coordinates"] for s in ("north", "middle", "tail"))
    assert north_[0] == gate and north_[-1] == alpha == middle[0]
    assert middle[-1] == beta == tail[0] and tail[-1] == [LON, 18.3]
    assert km(north_) == pytest.approx(meridian_km(18.045), abs=0.011)
    assert km(middle) == pytest.approx(meridian_km(18.25) - meridian_km(18.045), abs=0.011)
    assert km(tail) == pytest.approx(meridian_km(18.3) - meridian_km(18.25), abs=0.011)
    for sid, ways in (("north", 1), ("middle", 4)):
        p = f[sid]["properties"]
        assert p["accuracy"] == "traced"
        assert p["osm"]["extracts"] == ["lao"] and p["osm"]["ways"] == ways
        assert p["osm"]["unsimplified_km"] == pytest.approx(
            km(f[sid]["geometry"]["coordinates"]), abs=0.011
        )
        assert any(CREDIT in s for s in p["sources"])


def test_the_hole_is_a_gap_of_the_section_it_lies_in(built):
    f = by_id(built)
    assert f["north"]["properties"]["gaps"] == [] and f["tail"]["properties"]["gaps"] == []
    assert f["north"]["properties"]["error_km"] == 0.05  # mapped track
    (gap,) = f["middle"]["properties"]["gaps"]
    assert gap["length_km"] == pytest.approx(HOLE_M / 1000.0, abs=0.005)
    assert gap["start_km"] == pytest.approx(meridian_km(HOLE_AT) - meridian_km(18.045), abs=0.011)
    assert gap["end_km"] == pytest.approx(gap["start_km"] + HOLE_M / 1000.0, abs=0.011)
    assert gap["start"] == [LON, HOLE_AT] and gap["end"] == [
        round(c, 5) for c in north(HOLE_AT, HOLE_M)
    ]
    # 10 % of a gap bridged straight plus the 50 m of mapped track, for the gap and its section
    assert gap["error_km"] == pytest.approx(0.05 + 0.1 * HOLE_M / 1000.0, abs=0.005)
    assert f["middle"]["properties"]["error_km"] == gap["error_km"]


def test_yard_stations_record_their_yard(built):
    f = by_id(built)
    for sid, tracks, lat0, lat1 in (
        ("alpha", ALPHA, 18.040, 18.050),
        ("beta", BETA, 18.245, 18.255),
    ):
        p = f[sid]["properties"]
        assert p["yard"]["tracks"] == len(tracks)
        assert p["yard"]["track_km"] == pytest.approx(sum(km(t) for t in tracks), abs=0.005)
        assert p["yard"]["start_km"] == pytest.approx(meridian_km(lat0), abs=0.011)
        assert p["yard"]["end_km"] == pytest.approx(meridian_km(lat1), abs=0.011)
        assert p["accuracy"] == "traced"
        half = (meridian_km(lat1) - meridian_km(lat0)) / 2
        assert p["error_km"] == pytest.approx(max(0.2, half), abs=0.051)


def test_a_mapped_station_node_wins_over_the_yard_centre():
    # an OSM station node 120 m east of the line at 18.047: beta's yard is 22 km away
    node_xy = (east(18.047, 120.0), 18.047)
    nodes = gpd.GeoDataFrame(
        {"osm_id": [9001], "name": ["Alpha"]}, geometry=[shapely.Point(node_xy)], crs="EPSG:4326"
    )
    doc = build_corridor(authored_doc(), {"lao": synthetic_extract()}, stations={"lao": nodes})
    f = by_id(doc)
    alpha = f["alpha"]["properties"]
    assert alpha["osm_node"] == 9001 and "yard" not in alpha
    # the node, snapped onto the line: on the meridian, at the node's latitude
    lon, lat = f["alpha"]["geometry"]["coordinates"]
    assert lon == LON and GEOD.inv(lon, lat, LON, 18.047)[2] < 2.0
    assert f["north"]["geometry"]["coordinates"][-1] == [lon, lat]
    assert "osm_node" not in f["beta"]["properties"]  # no node near it: its yard
    assert "yard" in f["beta"]["properties"]


def test_service_tracks_and_other_railway_values_never_make_the_main_line():
    from corridors._osm_build import _Built

    spec = authored_doc()["corridor"]["build"]["chains"]["t"]
    plain = _Built("t", spec, {"lao": synthetic_extract()})
    assert plain.chain.side_km == pytest.approx(0.0, abs=1e-9)
    siding_km = meridian_km(18.2) - meridian_km(18.11)  # way 103
    for column, value in (("service", "siding"), ("railway", "disused")):
        ways = synthetic_extract()
        ways[column] = None
        ways.loc[ways["osm_id"] == 103, column] = value
        ch = _Built("t", spec, {"lao": ways})
        # the way is still track the line may run on, but as side track, not main line
        assert ch.chain.side_km == pytest.approx(siding_km, abs=0.01), column
        assert ch.chain.length_km == pytest.approx(plain.chain.length_km, abs=1e-6)


def test_an_authored_vertex_at_a_stations_old_place_follows_the_station(built):
    f = by_id(built)
    approach = f["approach"]["geometry"]["coordinates"]
    assert approach[0] == [101.9, 17.9]
    assert approach[-1] == f["gate"]["geometry"]["coordinates"] != GATE_OLD
    assert f["approach"]["properties"]["sources"] == ["own tracing"]  # not built from OSM


def test_a_layer_run_is_the_main_line_along_the_tagged_ways(built):
    p = by_id(built)["bridge"]["properties"]
    coords = by_id(built)["bridge"]["geometry"]["coordinates"]
    assert p["mapped_km"] == pytest.approx(km(MAIN_WAYS[1][2]), abs=0.005)
    assert GEOD.inv(*coords[0], LON, 18.1)[2] < 5.0 and GEOD.inv(*coords[-1], LON, 18.11)[2] < 5.0
    assert km(coords) == pytest.approx(km(MAIN_WAYS[1][2]), abs=0.011)
    assert p["accuracy"] == "traced" and p["error_km"] == 0.05
    assert any(CREDIT in s for s in p["sources"])


def _has_build(obj) -> bool:
    if isinstance(obj, dict):
        return "build" in obj or any(_has_build(v) for v in obj.values())
    if isinstance(obj, list):
        return any(_has_build(v) for v in obj)
    return False


def test_build_directives_are_removed_and_the_input_left_alone(built):
    doc = authored_doc()
    before = copy.deepcopy(doc)
    out = build(doc)
    assert doc == before
    assert _has_build(before) and not _has_build(out) and not _has_build(built)
    assert [f["properties"]["id"] for f in out["features"]] == [
        f["properties"]["id"] for f in before["features"]
    ]
    assert out["corridor"]["figures"] == before["corridor"]["figures"]


def test_dumps_corridor_is_deterministic_and_round_trips(built):
    text = dumps_corridor(built)
    assert text == dumps_corridor(build())  # a second build writes the same bytes
    assert json.loads(text) == built
    assert text.endswith("}\n") and "[101.9, 17.9]" in text  # one position per line
    assert not re.search(r"^\s*-?\d+(\.\d+)?,?$", text, flags=re.M)  # no bare coordinate lines


def test_a_section_that_does_not_join_the_next_is_an_error():
    doc = authored_doc()
    feats = by_id(doc)
    feats["approach"]["geometry"]["coordinates"][-1] = [101.98, 17.98]  # no station there
    doc["features"] = [f for f in doc["features"] if f["properties"]["id"] != "bridge"]
    with pytest.raises(GeometryError, match="'north' does not start where 'approach' ends"):
        build(doc)
    doc = authored_doc()
    by_id(doc)["approach"]["geometry"]["coordinates"][-1] = [101.98, 17.98]
    with pytest.raises(CorridorsError, match="bridge: the main sections do not make one line"):
        build(doc)


def test_bad_directives_are_schema_errors_that_name_the_feature():
    doc = authored_doc()
    by_id(doc)["alpha"]["build"]["yard"]["near_km"] = 12.0  # no yard within 1 km
    with pytest.raises(SchemaError, match=r"test-line: alpha: no yard within 1\.0 km"):
        build(doc)
    doc = authored_doc()
    by_id(doc)["middle"]["build"].update({"from": "beta", "to": "alpha"})
    with pytest.raises(SchemaError, match=r"test-line: middle: from km .* is not before to km"):
        build(doc)


def _hot(path: Path, gdf: gpd.GeoDataFrame) -> Path:
    feats = []
    for r in gdf.itertuples():
        props = {"name": r.name, "railway": "rail", "layer": r.layer, "osm_id": int(r.osm_id)}
        props["osm_type"] = "ways_line"
        geometry = {
            "type": "LineString",
            "coordinates": shapely.get_coordinates(r.geometry).tolist(),
        }
        feats.append({"type": "Feature", "properties": props, "geometry": geometry})
    doc = {"type": "FeatureCollection", "name": path.stem, "features": feats}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_the_command_line_writes_checks_and_reports_on_any_extracts(tmp_path, capsys):
    src, out = tmp_path / "authored", tmp_path / "out"
    src.mkdir()
    (src / "test-line.geojson").write_text(json.dumps(authored_doc()), encoding="utf-8")
    lao = _hot(tmp_path / "lao.geojson", synthetic_extract())
    far = _hot(tmp_path / "far.geojson", synthetic_extract().iloc[:1])
    args = ["--lao", str(lao), "--tha", str(far), "--vnm", str(far), "--authored", str(src)]
    args += ["--out", str(out)]
    assert tool.main([*args, "--check", "-q"]) == 1  # nothing written yet: it differs
    assert not out.exists()
    assert tool.main(args) == 0
    assert "test-line/middle" in capsys.readouterr().err  # the report of every chain
    written = (out / "test-line.geojson").read_text(encoding="utf-8")
    extracts = {"lao": read_ways(lao)[0], "tha": read_ways(far)[0], "vnm": read_ways(far)[0]}
    assert written == dumps_corridor(build_corridor(authored_doc(), extracts))
    assert tool.main([*args, "--check", "-q"]) == 0
    (out / "test-line.geojson").write_text("stale", encoding="utf-8")
    assert tool.main([*args, "--check", "-q"]) == 1
    assert "differs from what the build makes" in capsys.readouterr().err
    assert (out / "test-line.geojson").read_text(encoding="utf-8") == "stale"
    broken = authored_doc()
    by_id(broken)["alpha"]["build"]["yard"]["near_km"] = 12.0
    (src / "test-line.geojson").write_text(json.dumps(broken), encoding="utf-8")
    assert tool.main([*args, "-q"]) == 1
    assert capsys.readouterr().err.startswith("build_railways: ")


# -- invariants of the committed data ------------------------------------------------------------
def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


CORRIDOR_IDS = sorted(p.stem for p in BUILT.glob("*.geojson"))


@pytest.fixture(scope="module", params=CORRIDOR_IDS)
def pair(request) -> tuple[dict, dict]:
    return _read(AUTHORED / f"{request.param}.geojson"), _read(BUILT / f"{request.param}.geojson")


def _main_sections(doc: dict) -> list[dict]:
    mains = [
        f for f in doc["features"]
        if f["properties"]["kind"] == "section" and f["properties"].get("role") == "main"
    ]  # fmt: skip
    return sorted(mains, key=lambda f: f["properties"]["order"])


def test_every_authored_corridor_is_built():
    assert sorted(p.stem for p in AUTHORED.glob("*.geojson")) == CORRIDOR_IDS
    assert "china-laos-railway" in CORRIDOR_IDS


#: Directives that read an OSM extract, or a chain made of one, directly.
FROM_EXTRACTS = {"chain", "yard", "chain_km", "chain_anchor", "chain_end", "layer_run", "snap"}


def test_what_is_built_from_the_extracts_carries_the_odbl_credit(pair):
    authored, doc = pair
    built = by_id(doc)
    for f in authored["features"]:
        p = built[f["properties"]["id"]]["properties"]
        if FROM_EXTRACTS & set(f.get("build") or {}) or "osm" in p:
            assert any(s.startswith(CREDIT) for s in p["sources"]), p["id"]


def test_everything_taken_from_osm_lines_carries_the_odbl_credit():
    missing = []
    for cid in CORRIDOR_IDS:
        authored, doc = _read(AUTHORED / f"{cid}.geojson"), _read(BUILT / f"{cid}.geojson")
        built = by_id(doc)
        for f in authored["features"]:
            p = built[f["properties"]["id"]]["properties"]
            sources = p.get("sources") or []
            taken = {"onto_main", "centred", "same_as"} & set(f.get("build") or {})
            if (taken or any("OpenStreetMap" in s for s in sources)) and not any(
                s.startswith(CREDIT) for s in sources
            ):
                missing.append(f"{cid}/{p['id']}")
    assert missing == []


def test_osm_sections_record_their_gaps(pair):
    _, doc = pair
    for f in doc["features"]:
        p = f["properties"]
        if "osm" not in p:
            continue
        length = km(f["geometry"]["coordinates"])
        assert isinstance(p["gaps"], list), p["id"]
        for g in p["gaps"]:
            assert g["length_km"] > 0 and g["error_km"] > 0, (p["id"], g)
            assert -0.01 <= g["start_km"] <= g["end_km"] <= length + 0.05, (p["id"], g)
            assert g["end_km"] - g["start_km"] == pytest.approx(g["length_km"], abs=0.05)
            assert g["error_km"] == pytest.approx(0.05 + 0.1 * g["length_km"], abs=0.011)
        starts = [g["start_km"] for g in p["gaps"]]
        assert starts == sorted(starts), p["id"]
        assert p["error_km"] == max([0.05, *(g["error_km"] for g in p["gaps"])]), p["id"]
        # simplification only cuts corners: the unsimplified chain is a little longer
        assert -0.01 <= p["osm"]["unsimplified_km"] - length <= 0.01 * length + 0.02, p["id"]


def _chain_lines(authored: dict, doc: dict) -> dict[str, shapely.LineString]:
    """Each chain, from its start, as far as the sections cut from it cover it without a break."""
    built = by_id(doc)
    pieces: dict[str, list] = {}
    for f in authored["features"]:
        b = f.get("build") or {}
        if "chain" in b:
            pieces.setdefault(b["chain"], []).append((b.get("from"), b.get("to"), f))
    out = {}
    for name, secs in pieces.items():
        at, coords = None, []
        while (nxt := next((s for s in secs if s[0] == at), None)) is not None:
            xy = built[nxt[2]["properties"]["id"]]["geometry"]["coordinates"]
            coords += xy if not coords else xy[1:]
            if nxt[1] is None:
                break
            at = nxt[1]
        if coords:
            out[name] = shapely.LineString(coords)
    return out


def test_yard_stations_lie_in_their_yards(pair):
    authored, doc = pair
    lines = _chain_lines(authored, doc)
    built = by_id(doc)
    checked = 0
    for f in authored["features"]:
        spec = (f.get("build") or {}).get("yard")
        if not spec:
            continue
        p = built[f["properties"]["id"]]["properties"]
        y = p["yard"]
        assert y["start_km"] <= y["end_km"] and y["track_km"] > 0 and y["tracks"] >= 1
        assert p["error_km"] == round(max(0.2, (y["end_km"] - y["start_km"]) / 2), 1)
        assert abs((y["start_km"] + y["end_km"]) / 2 - spec["near_km"]) <= spec["within_km"] + (
            y["end_km"] - y["start_km"]
        )
        if spec["chain"] not in lines:  # the sections do not cover the chain from its start
            continue
        where = shapely.Point(built[f["properties"]["id"]]["geometry"]["coordinates"])
        at = float(chainage_km(lines[spec["chain"]], where))
        assert y["start_km"] - 0.05 <= at <= y["end_km"] + 0.05, (p["id"], at, y)
        checked += 1
    if doc["corridor"]["id"] == "china-laos-railway":
        assert checked >= 5


def test_main_sections_join_end_to_start(pair):
    _, doc = pair
    mains = _main_sections(doc)
    assert mains
    for prev, nxt in itertools.pairwise(mains):
        assert prev["geometry"]["coordinates"][-1] == nxt["geometry"]["coordinates"][0], (
            prev["properties"]["id"],
            nxt["properties"]["id"],
        )


def test_stations_of_the_china_laos_railway_are_in_order_along_the_main_line():
    doc = _read(BUILT / "china-laos-railway.geojson")
    mains = _main_sections(doc)
    main = shapely.line_merge(
        shapely.MultiLineString([f["geometry"]["coordinates"] for f in mains])
    )
    assert main.geom_type == "LineString"
    on_main = {f["properties"]["id"] for f in mains}
    stations = sorted(
        (f for f in doc["features"]
         if f["properties"]["kind"] == "station" and f["properties"].get("section") in on_main),
        key=lambda f: f["properties"]["order"],
    )  # fmt: skip
    lao = [f for f in stations if f["properties"]["section"] == "boten-vientiane"]
    assert len(lao) >= 10
    for group in (lao, stations):
        at = chainage_km(main, [shapely.Point(f["geometry"]["coordinates"]) for f in group])
        assert np.all(np.diff(at) > 0), [f["properties"]["id"] for f in group]


def test_stretches_cover_their_section_without_overlap(pair):
    _, doc = pair
    for f in doc["features"]:
        p = f["properties"]
        if "stretches" not in p:
            continue
        s = p["stretches"]
        assert s and s[0]["from_km"] == pytest.approx(0.0, abs=0.05), p["id"]
        for a, b in itertools.pairwise(s):
            assert a["from_km"] < a["to_km"], p["id"]
            assert b["from_km"] == pytest.approx(a["to_km"], abs=0.05), p["id"]
        assert s[-1]["to_km"] == pytest.approx(km(f["geometry"]["coordinates"]), abs=0.05)
        assert p["error_km"] == max(st["error_km"] for st in s), p["id"]
        worst = "approximate" if any(st["accuracy"] == "approximate" for st in s) else "traced"
        assert p["accuracy"] == worst, p["id"]


#: What the build writes into a feature's properties (everything else is the authored text).
BUILT_KEYS = {"accuracy", "error_km", "sources", "gaps", "osm", "yard", "mapped_km"}


def test_nothing_authored_is_lost(pair):
    authored, doc = pair
    meta = {k: v for k, v in authored["corridor"].items() if k != "build"}
    assert doc["corridor"] == meta  # figures, relations, sources, names: all as authored
    assert [f["properties"]["id"] for f in doc["features"]] == [
        f["properties"]["id"] for f in authored["features"]
    ]
    for a, b in zip(authored["features"], doc["features"], strict=True):
        pa, pb = a["properties"], b["properties"]
        for key, value in pa.items():
            if key == "sources":
                assert value == pb["sources"][: len(value)], pa["id"]
            elif key not in BUILT_KEYS:
                assert pb[key] == value, (pa["id"], key)
        assert pb.get("figures") == pa.get("figures"), pa["id"]
        assert set(pb) - set(pa) <= BUILT_KEYS, pa["id"]
        if not a.get("build") and pa["kind"] != "section":
            assert b["geometry"] == a["geometry"], pa["id"]
        elif not a.get("build"):  # authored sections keep their vertices (some moved with a point)
            assert len(b["geometry"]["coordinates"]) == len(a["geometry"]["coordinates"]), pa["id"]
