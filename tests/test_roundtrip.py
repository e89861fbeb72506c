"""Round trips: what ``corridors export`` writes, ``corridors`` reads back as the same corridor.

Every embedded corridor, in every export format, is written and read back with
``Corridor.from_file`` and through the CLI (``export`` then ``length``/``show``), and compared
with the corridor as loaded from the embedded data: same main-line length, same sections (ids,
roles, order), stations, structures, figures and properties. A user's file with optional fields
missing shows them as unknown, never as ``None``, ``nan`` or ``±0.0 km``.
"""

from __future__ import annotations

import json
import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import feature_collection, line_feature, point_feature

import corridors
from corridors import Corridor
from corridors.cli import main
from corridors.corridor import accuracy_text, shown

EXTENSIONS = [".geojson", ".gpkg", ".parquet", ".kml"]
IDS = corridors.catalog()["id"].tolist()
#: The schema's common properties of every feature, compared value by value.
PROPERTIES = [
    "id", "name", "names", "kind", "mode", "status", "opened", "target", "accuracy",
    "error_km", "sources", "figures", "confidence", "role", "order", "from", "to",
]  # fmt: skip
#: The corridor's own properties.
META = [
    "id", "name", "names", "kind", "mode", "status", "opened", "target", "accuracy",
    "error_km", "confidence", "sources", "figures", "relations", "description",
]  # fmt: skip
ODD_STRINGS = ("None", "nan", "NaN", "±0.0 km", "±None", "<NA>")


def _missing(v) -> bool:
    if v is None or v is pd.NA:
        return True
    return isinstance(v, float | np.floating) and math.isnan(v)


def _plain(v):
    """A value as JSON would have it (NumPy scalars as Python ones, missing as None)."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple | np.ndarray):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if _missing(v):
        return None
    if isinstance(v, float) and v.is_integer():
        return int(v)  # 2016.0 in a column with gaps is the year 2016
    return v


def _rows(gdf: pd.DataFrame, columns: list[str]) -> list[dict]:
    """The rows' values; a column that is not there is missing (KML leaves empty ones out)."""
    return [{c: _plain(r.get(c)) for c in columns} for _, r in gdf.iterrows()]


def _figures(c: Corridor) -> list[dict]:
    cols = ["id", "feature", "measure", "value", "unit", "iso3", "from", "to", "source"]
    rows = _rows(c.figures, cols)
    return sorted(rows, key=lambda r: (r["feature"], r["id"]))


@pytest.fixture(scope="module")
def originals() -> dict[str, Corridor]:
    return {cid: corridors.load(cid) for cid in IDS}


def _stdout_json(capsys, argv: list[str]) -> dict:
    capsys.readouterr()
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return json.loads(out)


@pytest.mark.parametrize("ext", EXTENSIONS)
@pytest.mark.parametrize("corridor_id", IDS)
def test_export_reads_back_as_the_same_corridor(originals, corridor_id, ext, tmp_path):
    original = originals[corridor_id]
    path = tmp_path / f"x{ext}"  # the file name says nothing: the id comes from the content
    corridors.export(original, path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning of the libraries underneath either
        back = Corridor.from_file(path)
    assert (back.id, back.name) == (original.id, original.name)
    assert corridors.length_km(back) == pytest.approx(corridors.length_km(original), abs=1e-3)
    assert shapely.equals_exact(back.geometry, original.geometry, tolerance=1e-12)
    assert _rows(back.sections, PROPERTIES) == _rows(original.sections, PROPERTIES)
    assert _rows(back.stations, PROPERTIES) == _rows(original.stations, PROPERTIES)
    assert _rows(back.structures, ["id", "kind", "name"]) == _rows(
        original.structures, ["id", "kind", "name"]
    )
    assert _figures(back) == _figures(original)
    assert {k: _plain(back.meta.get(k)) for k in META} == {
        k: _plain(original.meta.get(k)) for k in META
    }
    assert back.relations == original.relations
    # what is measured from the corridor is the same too
    assert corridors.length_km(back.sections).round(6).tolist() == (
        corridors.length_km(original.sections).round(6).tolist()
    )


@pytest.mark.parametrize("ext", EXTENSIONS)
@pytest.mark.parametrize("corridor_id", IDS)
def test_cli_export_then_length_gives_the_same_main_line(
    originals, corridor_id, ext, tmp_path, capsys
):
    original = originals[corridor_id]
    path = str(tmp_path / f"{corridor_id}{ext}")
    assert main(["export", corridor_id, "-o", path]) == 0
    data = _stdout_json(capsys, ["length", path, "--json"])
    assert data["corridor"] == corridor_id
    assert data["total_km"] == pytest.approx(corridors.length_km(original), abs=1e-3)
    expected = corridors.length_km(original.sections).to_numpy()
    assert list(data["by_section"]) == original.sections["id"].tolist()
    assert list(data["by_section"].values()) == pytest.approx(expected, abs=1e-3)
    shown_data = _stdout_json(capsys, ["show", path, "--json"])
    assert [(s["id"], s["role"]) for s in shown_data["sections"]] == list(
        zip(original.sections["id"], original.sections["role"], strict=True)
    )
    expected_stations = corridors.station_chainage_km(original)["id"].tolist()
    assert [s["id"] for s in shown_data["stations"]] == expected_stations
    assert shown_data["figures"] == len(original.figures)
    for key in ("status", "accuracy", "error_km", "mode"):
        assert shown_data[key] == original.meta[key], key


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_a_user_corridor_round_trips_too(ext, tmp_path):
    """A user's file of two lines and a station: exported, read back, the same corridor."""
    src = tmp_path / "mine.geojson"
    src.write_text(
        feature_collection(
            line_feature([[101.60, 21.40], [101.65, 21.30], [101.68, 21.20]], name="north"),
            line_feature([[101.68, 21.20], [101.70, 21.00]], name="south", status="planned"),
            point_feature([101.60, 21.40], name="Mohan"),
        ),
        "utf-8",
    )
    original = Corridor.from_file(src)
    path = tmp_path / f"copy{ext}"
    original.to_file(path)
    back = Corridor.from_file(path)
    assert back.id == original.id == "mine"
    assert corridors.length_km(back) == pytest.approx(corridors.length_km(original), abs=1e-3)
    assert _rows(back.sections, PROPERTIES) == _rows(original.sections, PROPERTIES)
    assert _rows(back.stations, PROPERTIES) == _rows(original.stations, PROPERTIES)
    for key in ("status", "accuracy", "error_km"):
        assert _plain(back.meta.get(key)) == _plain(original.meta.get(key)), key


def test_from_file_overrides_id_and_name_of_an_export(clr, tmp_path):
    path = tmp_path / "clr.gpkg"
    clr.to_file(path)
    back = Corridor.from_file(path, id="mine", name="My line")
    assert (back.id, back.name) == ("mine", "My line")
    features = {*back.sections["id"], *back.stations["id"], *back.structures["id"]}
    assert set(back.figures["feature"]) - features == {"mine"}  # the corridor's own figures
    assert len(back.figures) == len(clr.figures)


def test_geoparquet_is_read_without_gdal_parquet(clr, tmp_path, monkeypatch):
    """GeoParquet goes through geopandas/pyarrow, whatever the extension, never GDAL's driver."""
    import pyogrio

    path = tmp_path / "clr.parquet"
    clr.to_file(path)
    renamed = tmp_path / "clr.data"  # no telling extension: recognised by its magic bytes
    renamed.write_bytes(path.read_bytes())

    def refuse(*args, **kwargs):
        raise AssertionError("GeoParquet must not be read through GDAL")

    monkeypatch.setattr(pyogrio, "read_dataframe", refuse)
    monkeypatch.setattr(pyogrio, "list_layers", refuse)
    for p in (path, renamed):
        assert corridors.length_km(Corridor.from_file(p)) == pytest.approx(
            corridors.length_km(clr), abs=1e-3
        )


def test_a_broken_geoparquet_is_one_clean_error(tmp_path, capsys):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(corridors.DataFileError, match="cannot read"):
        Corridor.from_file(path)
    assert main(["length", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("corridors: error: cannot read") and err.count("\n") == 1


def test_kml_keeps_types_through_extended_data(clr, tmp_path):
    """KML holds text only: numbers and JSON come back typed; what is lost is documented."""
    path = tmp_path / "clr.kml"
    clr.to_file(path)
    back = Corridor.from_file(path)
    first = back.sections.iloc[0]
    assert isinstance(first["names"], dict) and isinstance(first["figures"], list)
    assert isinstance(first["sources"], list)
    assert float(first["order"]) == 1.0 and float(first["error_km"]) == clr.sections["error_km"][0]
    assert back.sections["id"].map(type).eq(str).all()
    assert "description" not in back.sections.columns  # KML's HTML balloon is not data


def test_every_layer_of_a_multi_layer_file_is_read(tmp_path):
    """A GeoPackage with a layer of lines and one of stations: both read, in layer order."""
    path = tmp_path / "two.gpkg"
    lines = gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=[
            shapely.LineString([(102.0, 18.0), (102.2, 18.3)]),
            shapely.LineString([(102.2, 18.3), (102.4, 18.6)]),
        ],
        crs="EPSG:4326",
    )
    stations = gpd.GeoDataFrame(
        {"name": ["Start", "End"]},
        geometry=[shapely.Point(102.0, 18.0), shapely.Point(102.4, 18.6)],
        crs="EPSG:4326",
    )
    lines.to_file(path, layer="lines", driver="GPKG")
    stations.to_file(path, layer="stations", driver="GPKG")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pyogrio's "more than one layer" is not shown
        c = Corridor.from_file(path)
    assert c.sections["name"].tolist() == ["a", "b"]
    assert c.stations["name"].tolist() == ["Start", "End"]
    expected = corridors.length_km(lines).sum()
    assert corridors.length_km(c) == pytest.approx(expected, rel=1e-9)


def test_every_folder_of_a_user_kml_is_read(tmp_path):
    path = tmp_path / "route.kml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        "<Folder><name>line</name><Placemark><name>the line</name><LineString><coordinates>"
        "102.0,18.0 102.2,18.3 102.4,18.6</coordinates></LineString></Placemark></Folder>"
        "<Folder><name>stops</name><Placemark><name>Start</name><Point><coordinates>"
        "102.0,18.0</coordinates></Point></Placemark><Placemark><name>End</name><Point>"
        "<coordinates>102.4,18.6</coordinates></Point></Placemark></Folder>"
        "</Document></kml>",
        "utf-8",
    )
    c = Corridor.from_file(path)
    assert c.sections["name"].tolist() == ["the line"]
    assert c.stations["name"].tolist() == ["Start", "End"]
    assert not {"tessellate", "altitudeMode", "visibility"} & set(c.sections.columns)


# -- missing optional fields ----------------------------------------------------------------------
@pytest.fixture
def bare_line(tmp_path):
    """A user's GeoJSON line without accuracy, error_km, status or name."""
    path = tmp_path / "bare.geojson"
    path.write_text(
        feature_collection(line_feature([[102.6, 17.97], [102.5, 18.5], [102.4, 19.0]])),
        "utf-8",
    )
    return path


def test_missing_fields_are_unknown_in_the_api(bare_line):
    c = Corridor.from_file(bare_line)
    assert c.meta["error_km"] is None  # not 0.0: nobody said the line is exact
    assert c.meta["accuracy"] is None and c.meta["status"] is None
    for text in (repr(c), c._repr_html_()):
        assert not any(odd in text for odd in ODD_STRINGS), text
    assert "unknown" in repr(c) and "unknown" in c._repr_html_()


def test_shown_and_accuracy_text():
    assert [shown(v) for v in (None, float("nan"), np.nan, pd.NA, "x", 0, 6.5)] == [
        "unknown", "unknown", "unknown", "unknown", "x", "0", "6.5",
    ]  # fmt: skip
    assert accuracy_text("approximate", 6.3) == "approximate (±6.3 km)"
    assert accuracy_text("traced", 0) == "traced (±0 km)"  # a stated zero stays
    assert accuracy_text(None, float("nan")) == "unknown"
    assert accuracy_text(None, 2.0) == "unknown (±2 km)"


@pytest.mark.parametrize("command", ["show", "length"])
def test_missing_fields_are_null_in_json(bare_line, command, capsys):
    data = _stdout_json(capsys, [command, str(bare_line), "--json"])
    text = json.dumps(data)
    assert "NaN" not in text and '"None"' not in text and '"nan"' not in text
    if command == "show":
        assert data["error_km"] is None and data["accuracy"] is None and data["status"] is None
        assert data["sections"][0]["status"] is None


def test_missing_fields_in_length_text(bare_line, capsys):
    assert main(["length", str(bare_line)]) == 0
    out = capsys.readouterr().out
    assert not any(odd in out for odd in ODD_STRINGS), out


def test_missing_fields_are_unknown_in_show_text(bare_line, capsys):
    assert main(["show", str(bare_line)]) == 0
    out = capsys.readouterr().out
    assert not any(odd in out for odd in ODD_STRINGS), out
    assert "unknown" in out


def test_a_file_of_a_line_and_a_polygon_is_read_as_its_line(tmp_path):
    # the polygon is not a section: the corridor is the line alone, measured as such
    path = tmp_path / "mixed.geojson"
    line = [[102.0, 18.0], [102.0, 18.5]]
    ring = [[103.0, 18.0], [103.1, 18.0], [103.1, 18.1], [103.0, 18.0]]
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "LineString", "coordinates": line},
            },
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            },
        ],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    try:
        c = corridors.Corridor.from_file(path)
    except corridors.CorridorsError as err:  # refusing the polygon cleanly is fine too
        assert "Polygon" in str(err) or "polygon" in str(err)
        return
    assert corridors.length_km(c) == pytest.approx(corridors.length_km(shapely.LineString(line)))


def test_a_ring_geos_refuses_is_a_data_file_error_in_the_api(tmp_path):
    path = tmp_path / "ring.geojson"
    path.write_text('{"type":"Polygon","coordinates":[[[0,0],[0,0]]]}', encoding="utf-8")
    with pytest.raises(corridors.DataFileError, match="cannot read"):
        corridors.Corridor.from_file(path)
