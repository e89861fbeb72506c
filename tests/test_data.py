"""Every embedded geodata file against the schema and against its own lines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely

import corridors
from corridors import _data

GEODATA = Path(__file__).resolve().parent.parent / "geodata"
CORRIDOR_FILES = sorted((GEODATA / "corridors").glob("*.geojson"))
ALL_FILES = [*CORRIDOR_FILES, *(GEODATA / f"{n}.geojson" for n in _data.LAYERS)]


def test_the_expected_corridors_are_embedded():
    assert {
        "china-laos-railway",
        "vientiane-hanoi-expressway",
        "vientiane-vung-ang-railway",
        "nong-khai-khamsavath-railway",
        "vientiane-vang-vieng-expressway",
    } <= set(corridors.ids())


@pytest.mark.parametrize("path", CORRIDOR_FILES, ids=lambda p: p.name)
def test_corridor_file_is_valid_and_consistent(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    parsed = _data.validate_corridor(doc, path.name)  # raises SchemaError on any broken rule
    meta, features = parsed["meta"], parsed["features"]
    assert meta["id"] == path.stem
    c = corridors.load(path.stem)
    assert isinstance(c.geometry, shapely.LineString)
    # every station lies within 1 km of its section
    st = features[features["kind"].isin(["station", "freight-station", "junction"])]
    sections = features.set_index("id")
    for _, row in st.iterrows():
        line = sections.loc[row["section"]].geometry
        assert corridors.offset_km(line, row.geometry) < 1.0, row["id"]
    # stations are in order along the main line
    on_main = st[st["section"].isin(c.sections.loc[c.sections["role"] == "main", "id"])]
    ch = corridors.chainage_km(c, list(on_main.sort_values("order").geometry))
    assert np.all(np.diff(ch) > 0), path.name
    # every feature and every figure is sourced
    for _, row in features.iterrows():
        assert row["sources"], row["id"]
        assert all(f.get("source") for f in row["figures"]), row["id"]


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_files_are_lonlat_geojson_with_5_decimals_at_most(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    xy = shapely.get_coordinates([shapely.geometry.shape(f["geometry"]) for f in doc["features"]])
    assert np.all(np.abs(xy[:, 0]) <= 180) and np.all(np.abs(xy[:, 1]) <= 90)
    assert np.allclose(xy, np.round(xy, 5), atol=1e-9)


def test_shared_layers_are_valid_and_in_the_region():
    ports = corridors.ports()
    gates = corridors.border_gates()
    b = corridors.boundaries()
    assert ports["id"].is_unique and gates["id"].is_unique
    assert set(b["iso3"]) == {"CHN", "LAO", "VNM", "THA", "KHM", "MMR"}
    assert b.geometry.is_valid.all()
    # each port lies in the country it names
    joined = ports.sjoin(b[["iso3", "geometry"]], predicate="within")
    assert (joined["country"] == joined["iso3"]).all()
    assert len(joined) == len(ports)
    # each gate lies on the border between its two countries, within the stated errors of the
    # gate's position and of the Natural Earth border
    border_error = float(b["error_km"].max())
    for _, g in gates.iterrows():
        a, c = g["countries"]
        border = shapely.intersection(
            b.loc[b["iso3"] == a].geometry.iloc[0].boundary,
            b.loc[b["iso3"] == c].geometry.iloc[0].buffer(0.05),
        )
        near = shapely.ops.nearest_points(border, g.geometry)[0]
        off = corridors.length_km(shapely.LineString([g.geometry, near]))
        assert off < border_error + float(g["error_km"]), g["id"]
    for name in ("thanaleng", "savannakhet", "thakhek", "paksan", "laksao"):
        assert name in set(corridors.dry_ports()["id"]), name
    assert "vung-ang" in set(corridors.seaports()["id"])


def _corridor_doc():
    return json.loads((GEODATA / "corridors" / "china-laos-railway.geojson").read_text("utf-8"))


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda d: d["features"][0]["properties"].pop("sources"), "missing properties"),
        (lambda d: d["features"][0]["properties"].update(status="done"), "status"),
        (lambda d: d["features"][0]["properties"].update(id="Bad Id"), "lower-case"),
        (
            lambda d: d["features"][1]["properties"].update(
                id=d["features"][0]["properties"]["id"]
            ),
            "duplicate",
        ),
        (
            lambda d: d["features"][0].update(geometry={"type": "LineString", "coordinates": []}),
            "empty",
        ),
        (
            lambda d: d["features"][0].update(
                geometry={"type": "Point", "coordinates": [21.0, 101.7]}
            ),
            "swapped",
        ),
        (lambda d: d.pop("corridor"), "corridor"),
        (
            lambda d: d["corridor"]["figures"].append(
                {"id": "x", "value": 1, "unit": "km", "measure": "volume", "source": "s"}
            ),
            "measure",
        ),
        (
            lambda d: d["corridor"]["relations"].append(
                {"id": "r", "kind": "sum", "parts": ["nope"], "whole": "nope"}
            ),
            "unknown figures",
        ),
    ],
    ids=[
        "unsourced",
        "bad-status",
        "bad-id",
        "duplicate-id",
        "empty",
        "swapped",
        "no-meta",
        "bad-measure",
        "bad-relation",
    ],
)
def test_schema_errors_name_the_problem(breakage, message):
    doc = _corridor_doc()
    breakage(doc)
    with pytest.raises(corridors.SchemaError, match=message):
        _data.validate_corridor(doc, "test.geojson")


def test_settings_data_dir_reads_another_folder(tmp_path, monkeypatch):
    (tmp_path / "corridors").mkdir()
    doc = _corridor_doc()
    doc["corridor"]["id"] = "my-copy"
    (tmp_path / "corridors" / "my-copy.geojson").write_text(json.dumps(doc), "utf-8")
    monkeypatch.setattr(corridors.settings, "data_dir", tmp_path)
    assert corridors.ids() == ["my-copy"]
    assert corridors.load("my-copy").id == "my-copy"
    monkeypatch.setattr(corridors.settings, "data_dir", tmp_path / "missing")
    with pytest.raises(corridors.DataFileError, match="not a folder"):
        corridors.ids()
