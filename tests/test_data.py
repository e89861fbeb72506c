"""Every embedded geodata file against the schema and its own lines; the loader and its cache.

The loader (``corridors._data``) reads and caches files; the schema (``corridors._schema``)
validates parsed documents.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely

import corridors
from corridors import _data, _schema

GEODATA = Path(__file__).resolve().parent.parent / "geodata"
CORRIDOR_FILES = sorted((GEODATA / "corridors").glob("*.geojson"))
ALL_FILES = [*CORRIDOR_FILES, *(GEODATA / f"{n}.geojson" for n in _data.LAYERS)]


def test_every_corridor_file_is_embedded_under_its_own_id():
    assert CORRIDOR_FILES  # the embedded data is there
    assert corridors.ids() == [p.stem for p in CORRIDOR_FILES]
    assert list(_data.corridor_paths()) == [p.stem for p in CORRIDOR_FILES]


@pytest.mark.parametrize("path", CORRIDOR_FILES, ids=lambda p: p.name)
def test_corridor_file_is_valid_and_consistent(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    parsed = _schema.validate_corridor(doc, path.name)  # raises SchemaError on any broken rule
    meta, features = parsed["meta"], parsed["features"]
    assert meta["id"] == path.stem
    c = corridors.load(path.stem)
    assert isinstance(c.geometry, shapely.LineString)
    # every station lies on its own section, within its stated position error, and close enough
    # for its chainage to be measured (settings.station_snap_km)
    st = features[features["kind"].isin(["station", "freight-station", "junction"])]
    sections = features.set_index("id")
    for _, row in st.iterrows():
        line = sections.loc[row["section"]].geometry
        off = corridors.offset_km(line, row.geometry)
        assert off <= min(float(row["error_km"]), corridors.settings.station_snap_km), row["id"]
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
    assert ports["id"].is_unique and gates["id"].is_unique and b["iso3"].is_unique
    assert b.geometry.is_valid.all()
    # every country the data names has its polygon: ports, gates and per-country figures
    named = set(ports["country"]) | {iso for pair in gates["countries"] for iso in pair}
    for c in corridors.CORRIDORS.values():
        named |= set(c.figures["iso3"].dropna())
    assert named <= set(b["iso3"])
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
        (
            lambda d: next(f for f in d["features"] if f["properties"].get("order") == 2)[
                "geometry"
            ]["coordinates"][0].__setitem__(1, 0.0),
            "does not start where the previous main section ends",
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
        "gap",
    ],
)
def test_schema_errors_name_the_problem(breakage, message):
    doc = _corridor_doc()
    breakage(doc)
    with pytest.raises(corridors.SchemaError, match=message):
        _schema.validate_corridor(doc, "test.geojson")


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


def test_the_loader_parses_each_file_once(monkeypatch):
    corridors.load("china-laos-railway")  # parsed and cached
    reads = []
    real = _data.read_json
    monkeypatch.setattr(_data, "read_json", lambda path: reads.append(path) or real(path))
    a, b = corridors.load("china-laos-railway"), corridors.load("china-laos-railway")
    assert reads == []
    assert a is not b and a.sections is not b.sections  # copies of the cached parse
    a.meta["figures"].clear()
    assert corridors.load("china-laos-railway").meta["figures"]


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), ("", "is empty"), ("{oops", r"not valid JSON \(line 1")],
)
def test_read_json_errors_are_one_line(tmp_path, content, message):
    path = tmp_path / "x.json"
    if content is not None:
        path.write_text(content, "utf-8")
    with pytest.raises(corridors.DataFileError, match=message):
        _data.read_json(path)
    with pytest.raises(corridors.DataFileError, match="is a folder"):
        _data.read_json(tmp_path)


def test_unknown_layers_and_broken_boundaries_are_refused():
    with pytest.raises(corridors.UnknownIdError, match="did you mean 'ports'"):
        _data.layer("port")
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"name": "x"},
                      "geometry": {"type": "Point", "coordinates": [102, 18]}}],
    }  # fmt: skip
    with pytest.raises(corridors.SchemaError, match="iso3"):
        _schema.validate_boundaries(doc, "b.geojson")
    with pytest.raises(corridors.SchemaError, match="lon/lat on WGS84"):
        _schema.feature_collection(
            {**doc, "crs": {"properties": {"name": "EPSG:32648"}}}, "b.geojson"
        )
