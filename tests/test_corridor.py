"""The Corridor model on users' own data: files and GeoDataFrames, good and bad."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from conftest import feature_collection, line_feature, point_feature

import corridors
from corridors import Corridor

ROUTE = [(102.60, 17.97), (102.65, 18.10), (102.70, 18.30), (102.75, 18.50)]


def test_a_users_geojson_of_lines_and_points(tmp_path):
    path = tmp_path / "route.geojson"
    path.write_text(
        feature_collection(
            line_feature(ROUTE[:2], name="first"),
            line_feature(ROUTE[1:], name="second"),
            point_feature(ROUTE[0], name="Start"),
            point_feature([102.701, 18.3], name="Middle Stop"),
        ),
        "utf-8",
    )
    c = Corridor.from_file(path)
    assert c.id == "route"
    assert list(c.sections["id"]) == ["section-1", "section-2"]
    assert list(c.stations["name"]) == ["Start", "Middle Stop"]
    assert c.geometry.equals(shapely.LineString(ROUTE))
    assert corridors.length_km(c) == pytest.approx(corridors.length_km(shapely.LineString(ROUTE)))
    d = corridors.distance_km(c, "start", "middle-stop")
    assert d == pytest.approx(corridors.length_km(shapely.LineString(ROUTE[:3])), abs=0.2)
    with pytest.raises(corridors.UnknownIdError, match="did you mean 'middle-stop'"):
        corridors.distance_km(c, "start", "midle-stop")


def test_a_projected_geopackage_is_reprojected(tmp_path):
    gdf = gpd.GeoDataFrame(geometry=[shapely.LineString(ROUTE)], crs="EPSG:4326").to_crs(32648)
    gdf.to_file(tmp_path / "route.gpkg")
    c = Corridor.from_file(tmp_path / "route.gpkg")
    assert corridors.length_km(c) == pytest.approx(
        corridors.length_km(shapely.LineString(ROUTE)), rel=1e-6
    )


def test_multilinestrings_become_ordered_sections():
    gdf = gpd.GeoDataFrame(geometry=[shapely.MultiLineString([ROUTE[:2], ROUTE[1:]])], crs=4326)
    c = Corridor.from_geodataframe(gdf, id="multi")
    assert len(c.sections) == 2
    assert c.geometry.geom_type == "LineString"


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (None, corridors.DataFileError, "no such file"),
        ("", corridors.DataFileError, "empty"),
        ("{not json", corridors.DataFileError, "not valid JSON"),
        ('{"type": "FeatureCollection", "features": []}', corridors.DataFileError, "no features"),
        (
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [line_feature([[18.0, 102.6], [18.5, 102.7]])],
                }
            ),
            corridors.CoordinateError,
            "swapped",
        ),
        (
            json.dumps({"type": "FeatureCollection", "features": [point_feature([102.6, 18.0])]}),
            corridors.GeometryError,
            "no LineString",
        ),
        (
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {},
                            "geometry": {
                                "type": "Polygon",
                                "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
                            },
                        },
                        line_feature(ROUTE),
                    ],
                }
            ),
            corridors.GeometryError,
            "invalid geometry|only lines and points",
        ),
    ],
    ids=["missing", "empty", "corrupt", "no-features", "swapped", "no-lines", "bad-polygon"],
)
def test_bad_files_raise_one_clear_error(tmp_path, content, error, message):
    path = tmp_path / "bad.geojson"
    if content is not None:
        path.write_text(content, "utf-8")
    with pytest.raises(error, match=message):
        Corridor.from_file(path)


def test_a_shapefile_without_crs_is_refused(tmp_path):
    gdf = gpd.GeoDataFrame(geometry=[shapely.LineString(ROUTE)], crs=4326)
    gdf.to_file(tmp_path / "route.shp")
    (tmp_path / "route.prj").unlink()
    with pytest.raises(corridors.CRSError, match="no CRS"):
        Corridor.from_file(tmp_path / "route.shp")


def test_geodataframe_errors():
    with pytest.raises(corridors.CRSError):
        Corridor.from_geodataframe(gpd.GeoDataFrame(geometry=[shapely.LineString(ROUTE)]))
    with pytest.raises(corridors.GeometryError, match="no rows"):
        Corridor.from_geodataframe(gpd.GeoDataFrame(geometry=[], crs=4326))
    with pytest.raises(corridors.GeometryError, match="no geometry"):
        Corridor.from_geodataframe(gpd.GeoDataFrame(geometry=[None], crs=4326))
    with pytest.raises(corridors.GeometryError, match="expected a GeoDataFrame"):
        Corridor.from_geodataframe([shapely.LineString(ROUTE)])


def test_html_is_escaped(tmp_path):
    path = tmp_path / "x.geojson"
    path.write_text(
        feature_collection(
            line_feature(ROUTE, name="<script>alert(1)</script>"),
            point_feature(ROUTE[0], name="<b>&</b>"),
        ),
        "utf-8",
    )
    html = Corridor.from_file(path, name="<img src=x>")._repr_html_()
    assert "<script>" not in html and "<img" not in html and "<b>&" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x&gt;" in html


def test_to_file_is_the_exporter_registered_with_the_model(tmp_path, monkeypatch):
    from corridors import corridor as model

    c = Corridor.from_geodataframe(
        gpd.GeoDataFrame(geometry=[shapely.LineString(ROUTE)], crs=4326), id="mine"
    )
    assert model._file_writer is corridors.export  # `import corridors` registered it
    a = c.to_file(tmp_path / "a.geojson")
    b = corridors.export(c, tmp_path / "b.geojson")
    assert (a.features, a.format) == (b.features, b.format) == (1, "GeoJSON")
    assert (
        json.loads(a.path.read_text("utf-8"))["features"]
        == json.loads(b.path.read_text("utf-8"))["features"]
    )
    calls = []
    monkeypatch.setattr(model, "_file_writer", None)
    model.set_file_writer(lambda corridor, path: calls.append((corridor, path)) or "written")
    assert c.to_file("x.kml") == "written" and calls == [(c, "x.kml")]


@pytest.mark.parametrize(
    "key", ["Middle Stop", "middle-stop", "MIDDLE_STOP", " middle  stop. ", "ｍｉｄｄｌｅ ｓｔｏｐ"]
)
def test_a_station_is_found_by_any_form_of_its_name(key):
    gdf = gpd.GeoDataFrame(
        {"name": [None, "Middle Stop"]},
        geometry=[shapely.LineString(ROUTE), shapely.Point(102.701, 18.3)],
        crs=4326,
    )
    c = Corridor.from_geodataframe(gdf, id="mine")
    assert c.station(key)["id"] == "middle-stop"
