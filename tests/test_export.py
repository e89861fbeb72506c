"""Exports: GeoJSON, GeoPackage, GeoParquet and KML, read back by geopandas and by XML."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from conftest import feature_collection, line_feature, point_feature

import corridors
from corridors import Corridor, _export, _output
from corridors.cli import main

GEODATA = Path(__file__).resolve().parent.parent / "geodata"
EXTENSIONS = [".geojson", ".gpkg", ".parquet", ".kml"]
KML = "{http://www.opengis.net/kml/2.2}"
ODD = '<b>&"x"'  # a name that breaks XML and HTML unless escaped
TEXT = ["corridor", "id", "name", "kind", "mode", "status", "role", "from", "to"]
NUMBERS = ["order", "error_km", "opened"]
JSON_COLUMNS = ["names", "sources", "figures", "corridor_sources", "corridor_figures"]


@pytest.fixture(scope="module")
def user_corridor(tmp_path_factory) -> Corridor:
    """A user's GeoJSON: two lines across the CHN–LAO border, stations, one with an odd name."""
    path = tmp_path_factory.mktemp("user") / "my_route.geojson"
    path.write_text(
        feature_collection(
            line_feature([[101.60, 21.40], [101.65, 21.30], [101.68, 21.20]], name="north part"),
            line_feature([[101.68, 21.20], [101.70, 21.00], [101.75, 20.80]], name=ODD),
            point_feature([101.60, 21.40], name="Mohan – ທາງ 磨憨"),
            point_feature([101.75, 20.80], name=ODD),
        ),
        "utf-8",
    )
    return Corridor.from_file(path, name=ODD)


@pytest.fixture(scope="module", params=["china-laos-railway", "user-geojson"])
def corridor(request, clr, user_corridor) -> Corridor:
    return clr if request.param == "china-laos-railway" else user_corridor


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _same(a, b) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    if isinstance(a, int | float | np.number) and not isinstance(a, bool):
        return float(a) == pytest.approx(float(b), rel=1e-12)
    return a == b


def _json_value(v):
    return None if _missing(v) else json.loads(v)


def _expected_json(original, column: str, meta: dict):
    if column.startswith("corridor_"):
        return [json.loads(json.dumps(meta[column.removeprefix("corridor_")]))] * len(original)
    return [None if _missing(v) else json.loads(json.dumps(v)) for v in original[column]]


def read_back(path) -> gpd.GeoDataFrame:
    if path.suffix == ".parquet":
        return gpd.read_parquet(path)
    return gpd.read_file(path)


@pytest.mark.parametrize("ext", [e for e in EXTENSIONS if e != ".kml"])
def test_export_reads_back_with_the_same_length_and_attributes(corridor, ext, tmp_path):
    path = tmp_path / f"out{ext}"
    written = corridor.to_file(path)
    assert written.path == path and written.features == len(corridor.to_geodataframe())
    assert written.format == _export.FORMATS[ext]
    original = corridor.to_geodataframe()
    back = read_back(path)
    assert len(back) == len(original)
    assert back.crs.equals("EPSG:4326")
    total = corridors.length_km(original).sum()
    assert corridors.length_km(back).sum() == pytest.approx(total, rel=1e-9)
    assert list(back.geom_type) == list(original.geom_type)
    for column in [c for c in TEXT + NUMBERS if c in original.columns]:
        for a, b in zip(back[column], original[column], strict=True):
            assert _same(a, b), (column, a, b)
    for column in JSON_COLUMNS:
        assert [_json_value(v) for v in back[column]] == _expected_json(
            original, column, corridor.meta
        ), column
    assert set(back["corridor_name"]) == {corridor.name}
    # nothing but the file itself is left in the folder
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_geopackage_layer_is_named_after_the_corridor(corridor, tmp_path):
    path = tmp_path / "out.gpkg"
    corridor.to_file(path)
    corridor.to_file(path)  # replaced, not appended to
    layers = pyogrio.list_layers(path)
    expected = corridor.name.lstrip("<")  # GDAL refuses a leading '<': it is dropped
    assert [str(name) for name in layers[:, 0]] == [expected]
    assert len(gpd.read_file(path, layer=expected)) == len(corridor.to_geodataframe())


def test_geojson_is_rfc7946_lon_lat(clr, tmp_path):
    path = tmp_path / "clr.json"
    clr.to_file(path)
    doc = json.loads(path.read_text("utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert doc["name"] == clr.name
    first = doc["features"][0]
    lon, lat = first["geometry"]["coordinates"][0]
    assert 97 < lon < 110 and 15 < lat < 26
    assert isinstance(first["properties"]["figures"], str)  # JSON text, as documented
    assert json.loads(first["properties"]["figures"]) == clr.sections["figures"].iloc[0]


def _kml_placemarks(path):
    root = ET.parse(path).getroot()
    assert root.tag == f"{KML}kml"
    doc = root.find(f"{KML}Document")
    marks = []
    for mark in doc.iter(f"{KML}Placemark"):
        data = {
            d.get("name"): d.findtext(f"{KML}value")
            for d in mark.iterfind(f"{KML}ExtendedData/{KML}Data")
        }
        coords = [
            [tuple(map(float, xy.split(","))) for xy in c.text.split()]
            for c in mark.iter(f"{KML}coordinates")
        ]
        marks.append(
            {
                "name": mark.findtext(f"{KML}name"),
                "description": mark.findtext(f"{KML}description"),
                "style": mark.findtext(f"{KML}styleUrl"),
                "data": data,
                "coords": coords,
                "point": mark.find(f"{KML}Point") is not None,
            }
        )
    return doc, marks


def test_kml_reads_back_with_names_coordinates_and_attributes(corridor, tmp_path):
    path = tmp_path / "out.kml"
    written = corridor.to_file(path)
    assert written.format == "KML"
    original = corridor.to_geodataframe()
    doc, marks = _kml_placemarks(path)
    assert doc.findtext(f"{KML}name") == corridor.name
    assert len(marks) == len(original)
    by_id = {m["data"]["id"]: m for m in marks}
    assert set(by_id) == set(original["id"])
    styles = {f"#{s.get('id')}" for s in doc.iterfind(f"{KML}Style")}
    lines = []
    for row, geom in zip(original.to_dict("records"), original.geometry, strict=True):
        m = by_id[row["id"]]
        assert m["name"] == row["name"]
        assert m["style"] in styles
        assert m["point"] == (geom.geom_type == "Point")
        coords = shapely.get_coordinates(geom)
        assert sum(len(c) for c in m["coords"]) == len(coords)
        assert np.array_equal(np.vstack(m["coords"]), coords)  # exact doubles
        if geom.geom_type == "LineString":
            lines.append(shapely.LineString(m["coords"][0]))
        for column in TEXT:
            if column in row and not _missing(row[column]):
                assert m["data"][column] == str(row[column]), column
        for column in ("figures", "sources", "names"):
            if not _missing(row[column]):
                assert json.loads(m["data"][column]) == json.loads(json.dumps(row[column]))
        assert json.loads(m["data"]["corridor_figures"]) == json.loads(
            json.dumps(corridor.meta["figures"])
        )
        assert "status" in m["description"] if not _missing(row["status"]) else True
    line_rows = original[original.geom_type == "LineString"]
    assert corridors.length_km(gpd.GeoSeries(lines, crs="EPSG:4326")).sum() == pytest.approx(
        corridors.length_km(line_rows).sum(), rel=1e-9
    )


def test_kml_styles_are_aabbggrr_with_planned_lines_fainter(clr, tmp_path):
    path = tmp_path / "clr.kml"
    clr.to_file(path)
    doc, _ = _kml_placemarks(path)
    colors = {
        s.get("id"): s.findtext(f"{KML}LineStyle/{KML}color") for s in doc.iterfind(f"{KML}Style")
    }
    assert colors["rail-operational"] == "ff2b18b2"  # #b2182b, opaque
    assert colors["rail-planned"].endswith("2b18b2")
    assert int(colors["rail-planned"][:2], 16) < 255
    icons = doc.findall(f"{KML}Style/{KML}IconStyle/{KML}Icon/{KML}href")
    assert icons and all(i.text.startswith("http") for i in icons)


def test_kml_escapes_names_and_descriptions(user_corridor, tmp_path):
    path = tmp_path / "odd.kml"
    user_corridor.to_file(path)
    raw = path.read_text("utf-8")
    assert ODD not in raw  # never written raw into the XML
    doc, marks = _kml_placemarks(path)
    assert doc.findtext(f"{KML}name") == ODD
    odd = [m for m in marks if m["name"] == ODD]
    assert len(odd) == 2  # the line and the station
    for m in odd:
        assert m["data"]["name"] == ODD
        assert "<b>" not in m["description"]  # the balloon's HTML shows it, not bold text
    assert {m["name"] for m in marks} >= {"Mohan – ທາງ 磨憨", "north part"}


def test_kml_reads_back_with_gdal(corridor, tmp_path):
    drivers = pyogrio.list_drivers()
    if not ({"LIBKML", "KML"} & set(drivers)):
        pytest.skip("GDAL has no KML driver")
    path = tmp_path / "out.kml"
    corridor.to_file(path)
    original = corridor.to_geodataframe()
    layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = pd.concat([gpd.read_file(path, layer=layer) for layer in layers])
    assert len(back) == len(original)
    name_column = "Name" if "Name" in back.columns else "name"
    assert sorted(back[name_column]) == sorted(original["name"])
    assert corridors.length_km(back.force_2d()).sum() == pytest.approx(
        corridors.length_km(original).sum(), rel=1e-9
    )


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("out.kmz", "unknown format '.kmz'; did you mean '.kml'?"),
        ("out.gpgk", "did you mean '.gpkg'?"),
        ("out.shp", "unknown format '.shp'; known: .geojson"),
        ("out", "unknown format 'out (no extension)'"),
    ],
)
def test_unknown_extensions_say_which_are_known(clr, tmp_path, name, message):
    with pytest.raises(corridors.UnknownIdError) as err:
        clr.to_file(tmp_path / name)
    assert message in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_bad_paths_give_a_data_file_error(clr, tmp_path):
    with pytest.raises(corridors.DataFileError, match="no folder"):
        clr.to_file(tmp_path / "missing" / "out.gpkg")
    (tmp_path / "folder.kml").mkdir()
    with pytest.raises(corridors.DataFileError, match="is a folder"):
        clr.to_file(tmp_path / "folder.kml")
    assert [p.name for p in tmp_path.iterdir()] == ["folder.kml"]


def test_an_unwritable_folder_gives_a_data_file_error(clr, tmp_path, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    if os.geteuid() == 0:  # root writes anywhere: make the folder refuse as it would a user

        def refuse(*args, **kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(_output.tempfile, "mkdtemp", refuse)
    try:
        with pytest.raises(corridors.DataFileError, match=r"cannot write .*Permission denied"):
            clr.to_file(folder / "out.geojson")
    finally:
        folder.chmod(0o700)
    assert list(folder.iterdir()) == []


def test_empty_or_crs_less_frames_are_refused(tmp_path):
    empty = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    with pytest.raises(corridors.GeometryError, match="no rows"):
        _export.write(empty, tmp_path / "out.geojson")
    bare = gpd.GeoDataFrame(geometry=[shapely.LineString([(102, 18), (103, 19)])])
    with pytest.raises(corridors.CRSError):
        _export.write(bare, tmp_path / "out.kml")
    with pytest.raises(corridors.GeometryError, match="expected a GeoDataFrame"):
        _export.write(pd.DataFrame({"a": [1]}), tmp_path / "out.gpkg")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_a_failure_leaves_no_partial_file_and_keeps_the_old_one(clr, tmp_path, monkeypatch, ext):
    path = tmp_path / f"out{ext}"
    path.write_bytes(b"old")

    def broken(*args, **kwargs):
        tmp = next(a for a in args if hasattr(a, "suffix"))
        tmp.write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_export, "_write_geojson", broken)
    monkeypatch.setattr(_export, "_write_gpkg", broken)
    monkeypatch.setattr(_export, "_write_kml", broken)
    monkeypatch.setattr(gpd.GeoDataFrame, "to_parquet", broken)
    with pytest.raises(corridors.DataFileError, match="No space left on device"):
        clr.to_file(path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_projected_data_is_written_as_lon_lat_in_geojson_and_kml(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"name": ["a"], "sources": [["x", "y"]]},
        geometry=[shapely.LineString([(102.6, 17.9), (102.8, 18.2)])],
        crs="EPSG:4326",
    )
    utm = gdf.to_crs("EPSG:32648")
    _export.write(utm, tmp_path / "a.geojson")
    back = gpd.read_file(tmp_path / "a.geojson")
    assert back.crs.equals("EPSG:4326")
    assert corridors.length_km(back).sum() == pytest.approx(corridors.length_km(gdf).sum(), 1e-6)
    assert json.loads(back["sources"].iloc[0]) == ["x", "y"]
    _export.write(utm, tmp_path / "a.gpkg")  # kept in its own CRS
    assert gpd.read_file(tmp_path / "a.gpkg").crs.equals("EPSG:32648")


# -- the public function ------------------------------------------------------------------------
def test_export_takes_a_corridor_or_a_geodataframe(clr, tmp_path):
    written = corridors.export(clr, tmp_path / "clr.gpkg")
    assert written == clr.to_file(tmp_path / "again.gpkg")._replace(path=written.path)
    assert [str(n) for n in pyogrio.list_layers(written.path)[:, 0]] == [clr.name]
    gdf = clr.sections
    plain = corridors.export(gdf, tmp_path / "sections.geojson")
    assert plain.features == len(gdf)
    doc = json.loads(plain.path.read_text("utf-8"))
    assert doc["name"] == "sections" and "corridor_name" not in doc["features"][0]["properties"]


# -- command line, in-process (corridors.cli.main) ------------------------------------------------
def _feature_count(corridor_id: str) -> int:
    """How many features the corridor's file holds, read from the file itself."""
    path = GEODATA / "corridors" / f"{corridor_id}.geojson"
    return len(json.loads(path.read_text("utf-8"))["features"])


def test_cli_export_writes_each_format(tmp_path, capsys):
    n = _feature_count("china-laos-railway")
    for ext in EXTENSIONS:
        path = tmp_path / f"clr{ext}"
        assert main(["export", "china-laos-railway", "--output", str(path)]) == 0
        fmt = _export.FORMATS[ext]
        assert capsys.readouterr().out == f"wrote {path}: {n} features, {fmt}\n"
        assert path.stat().st_size > 0
    target = tmp_path / "clr.geoparquet"
    assert main(["export", "china-laos-railway", "-o", str(target), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "output": str(target),
        "features": n,
        "format": "GeoParquet",
    }
    assert len(gpd.read_parquet(target)) == n


def test_cli_export_of_a_users_file(tmp_path, capsys):
    src = tmp_path / "route.geojson"
    src.write_text(
        feature_collection(line_feature([[101.6, 21.4], [101.7, 21.0]], name="mine")), "utf-8"
    )
    assert main(["export", str(src), "-o", str(tmp_path / "route.kml")]) == 0
    _, marks = _kml_placemarks(tmp_path / "route.kml")
    assert [m["name"] for m in marks] == ["mine"]


@pytest.mark.parametrize(
    ("target", "output", "message"),
    [
        ("china-laos-railway", "out.kmz", "did you mean '.kml'?"),
        ("china-laos-railway", "missing/out.gpkg", "no folder"),
        ("china-lao-railway", "out.gpkg", "did you mean 'china-laos-railway'"),
        ("nowhere.geojson", "out.gpkg", "no such file"),
    ],
)
def test_cli_export_errors_are_one_line_and_write_nothing(
    tmp_path, capsys, target, output, message
):
    assert main(["export", target, "--output", str(tmp_path / output)]) == 1
    out, err = capsys.readouterr()
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert out == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_the_export_command_end_to_end(tmp_path):
    """As users run it: a real process, its exit status and its output."""
    path = tmp_path / "clr.kml"
    out = subprocess.run(
        [sys.executable, "-m", "corridors.cli", "export", "china-laos-railway", "-o", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    n = _feature_count("china-laos-railway")
    assert out.stdout == f"wrote {path}: {n} features, KML\n"
    assert len(_kml_placemarks(path)[1]) == n


def test_export_to_dash_writes_geojson_to_standard_output(clr, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    written = corridors.export(clr, "-")
    assert written.format == "GeoJSON" and written.path == Path("-")
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["features"]) == written.features == len(clr.to_geodataframe())
    assert list(tmp_path.iterdir()) == []  # no file named "-"
    os.mkfifo(tmp_path / "pipe.kmz")  # an unknown extension is refused, even on a FIFO
    with pytest.raises(corridors.UnknownIdError, match=r"did you mean '\.kml'"):
        corridors.export(clr, tmp_path / "pipe.kmz")
