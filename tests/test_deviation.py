"""corridors.deviation against hand-checked geometry, independent geodesics and invariants."""

from __future__ import annotations

import json
import math
import pickle

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import corridors

GEOD = pyproj.Geod(ellps="WGS84")  # independent of corridors.geodesy
LAT0, LAT1 = 17.5, 18.5
STRAIGHT = shapely.LineString([(102.0, LAT0), (102.0, LAT1)])  # along the meridian 102°E
H = 0.05  # the bump's height, degrees of longitude
BUMP_S, BUMP_N = 17.9, 18.1
BUMPED = shapely.LineString(
    [
        (102.0, LAT0),
        (102.0, BUMP_S),
        (102.0 + H, BUMP_S),
        (102.0 + H, BUMP_N),
        (102.0, BUMP_N),
        (102.0, LAT1),
    ]
)
ZIGZAG = shapely.LineString([(102.0, 18.0), (102.3, 18.2), (102.1, 18.5), (102.6, 18.9)])


def km_along_parallel(lon1: float, lon2: float, lat: float) -> float:
    return GEOD.inv(lon1, lat, lon2, lat)[2] / 1000.0


def test_parallel_meridians_are_their_geodesic_distance_apart():
    d = 0.05
    other = shapely.LineString([(102.0 + d, LAT0), (102.0 + d, LAT1)])
    dev = corridors.deviation(STRAIGHT, other, step_km=0.5)
    s = dev.samples
    # every sample is its parallel's geodesic distance from the other meridian (to 1 mm: the
    # shortest geodesic to a meridian meets it a few dm off the parallel, ~5e-8 km shorter)
    x = np.where(s["of"] == "line", 102.0 + d, 102.0)
    expected = GEOD.inv(s.geometry.x, s.geometry.y, x, s.geometry.y)[2] / 1000.0
    np.testing.assert_allclose(s["offset_km"], expected, atol=1e-6)
    mid = km_along_parallel(102.0, 102.0 + d, (LAT0 + LAT1) / 2)
    south = km_along_parallel(102.0, 102.0 + d, LAT0)  # farther apart nearer the equator
    summary = dev.summary
    assert summary["median_km"] == pytest.approx(mid, abs=1e-6)
    assert summary["max_km"] == pytest.approx(south, abs=1e-6)
    assert summary["hausdorff_km"] == pytest.approx(south, abs=1e-6)
    assert summary["max_km"] == pytest.approx(summary["median_km"], rel=5e-3)  # ≈ 5.3 km
    assert summary["length_diff_km"] == pytest.approx(0.0, abs=1e-9)
    assert summary["worst_lat"] == pytest.approx(LAT0)


def test_a_rectangular_bump_gives_its_height_and_twice_its_height_in_length():
    dev = corridors.deviation(BUMPED, STRAIGHT, step_km=1.0)
    bottom = km_along_parallel(102.0, 102.0 + H, BUMP_S)
    top = km_along_parallel(102.0, 102.0 + H, BUMP_N)
    summary = dev.summary
    # the far side of the bump is farthest at its southern corner; samples are ≤ 1 km apart and
    # the offset changes by ~0.3 m per km along the side
    assert summary["max_km"] == pytest.approx(bottom, abs=1e-3)
    assert summary["hausdorff_km"] == pytest.approx(bottom, abs=1e-3)
    assert summary["worst_of"] == "line"
    assert summary["worst_lon"] == pytest.approx(102.0 + H)
    assert BUMP_S <= summary["worst_lat"] < BUMP_S + 0.01
    # the two sides are equal meridian arcs: the bump adds exactly its top and bottom
    assert summary["length_diff_km"] == pytest.approx(top + bottom, abs=1e-9)
    assert summary["length_diff_km"] == pytest.approx(2 * bottom, rel=2e-3)
    assert summary["median_km"] == pytest.approx(0.0, abs=1e-6)  # most of the line is on it
    # seen from the straight line, the bump is as far as the far side at the parallel
    assert summary["reference_max_km"] == pytest.approx(bottom, abs=0.01)


def test_identical_lines_deviate_by_nothing():
    dev = corridors.deviation(ZIGZAG, ZIGZAG, step_km=0.3)
    assert dev.samples["offset_km"].max() < 1e-6
    for key in ("median_km", "p90_km", "max_km", "hausdorff_km", "length_diff_km", "mean_km"):
        assert dev.summary[key] == pytest.approx(0.0, abs=1e-6), key
    assert dev.summary["line_km"] == pytest.approx(corridors.length_km(ZIGZAG), rel=1e-12)


def test_swapping_keeps_the_hausdorff_distance():
    a = corridors.deviation(BUMPED, STRAIGHT, step_km=0.7)
    b = corridors.deviation(STRAIGHT, BUMPED, step_km=0.7)
    assert a.summary["hausdorff_km"] == pytest.approx(b.summary["hausdorff_km"], abs=1e-9)
    assert a.summary["max_km"] == pytest.approx(b.summary["reference_max_km"], abs=1e-9)
    assert a.summary["length_diff_km"] == pytest.approx(-b.summary["length_diff_km"], abs=1e-9)
    assert a.summary["max_km"] != pytest.approx(b.summary["max_km"], abs=1e-3)


@pytest.mark.parametrize("which", ["line", "reference"])
def test_reversing_a_line_keeps_the_summary(which):
    forward = corridors.deviation(BUMPED, ZIGZAG, step_km=0.8)
    args = (BUMPED.reverse(), ZIGZAG) if which == "line" else (BUMPED, ZIGZAG.reverse())
    backward = corridors.deviation(*args, step_km=0.8)
    for key, value in forward.summary.items():
        if key == "worst_chainage_km" and which == forward.summary["worst_of"]:
            own = forward.summary["line_km" if which == "line" else "reference_km"]
            assert backward.summary[key] == pytest.approx(own - value, abs=1e-9)
        elif isinstance(value, float):
            assert backward.summary[key] == pytest.approx(value, abs=1e-9), key
        else:
            assert backward.summary[key] == value, key


@pytest.mark.parametrize("step", [0.25, 1.0, 3.7, 1e4])
def test_step_km_sets_the_number_of_samples(step):
    dev = corridors.deviation(ZIGZAG, STRAIGHT, step_km=step)
    length = corridors.length_km(ZIGZAG)
    n = dev.summary["n_samples"]
    assert n == max(1, math.ceil(length / step)) + 1
    assert length / step + 1 <= n < length / step + 2 or step > length
    line = dev.samples[dev.samples["of"] == "line"]
    gaps = np.diff(line["chainage_km"])
    assert line["chainage_km"].iloc[0] == 0.0 and line["chainage_km"].iloc[-1] == pytest.approx(
        length
    )
    assert np.all(gaps <= step + 1e-9) and np.ptp(gaps) < 1e-9  # evenly spread, both ends in
    # every sample is where its chainage says, on the line
    assert corridors.offset_km(ZIGZAG, list(line.geometry)).max() < 1e-6
    np.testing.assert_allclose(
        corridors.chainage_km(ZIGZAG, list(line.geometry)), line["chainage_km"], atol=1e-6
    )
    assert len(dev.samples) == n + dev.summary["n_reference_samples"]


def test_samples_frame_and_json():
    dev = corridors.deviation(BUMPED, STRAIGHT, step_km=2.0)
    s = dev.samples
    assert s.crs.equals("EPSG:4326")
    assert {"of", "chainage_km", "offset_km", "line_chainage_km", "reference_chainage_km"} <= set(
        s.columns
    )
    assert set(s["of"]) == {"line", "reference"} and (s.geom_type == "Point").all()
    np.testing.assert_allclose(
        s.loc[s["of"] == "line", "line_chainage_km"], s.loc[s["of"] == "line", "chainage_km"]
    )
    data = json.loads(json.dumps(dev.to_dict(worst=5)))
    assert data["summary"]["hausdorff_km"] == pytest.approx(dev.summary["hausdorff_km"], abs=1e-6)
    assert len(data["worst"]) == 5 and data["worst"][0]["offset_km"] == max(
        w["offset_km"] for w in data["worst"]
    )
    worst = dev.worst(3)
    assert list(worst["offset_km"]) == sorted(s["offset_km"], reverse=True)[:3]
    assert "Hausdorff" in repr(dev) and "worst places" in str(dev)
    assert pickle.loads(pickle.dumps(dev)).summary == dev.summary


def test_corridors_geoseries_in_any_crs_and_escaped_html(clr):
    utm = gpd.GeoSeries([BUMPED], crs="EPSG:4326").to_crs("EPSG:32648")
    a = corridors.deviation(utm, gpd.GeoDataFrame(geometry=[STRAIGHT], crs=4326))
    b = corridors.deviation(BUMPED, STRAIGHT)
    assert a.summary["max_km"] == pytest.approx(b.summary["max_km"], abs=1e-6)
    same = corridors.deviation(clr, clr.to_geoseries(), step_km=5.0)
    assert same.summary["hausdorff_km"] < 1e-6 and same.names[0] == clr.name
    assert same.summary["line_km"] == pytest.approx(corridors.length_km(clr), rel=1e-12)
    evil = corridors.Corridor.from_geodataframe(
        gpd.GeoDataFrame(geometry=[ZIGZAG], crs=4326), id="evil", name="<script>alert(1)</script>"
    )
    page = corridors.deviation(evil, STRAIGHT)._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page and "<table" in page
    assert page.count("<tr>") >= 9 + 10  # the summary and the 10 worst samples


def test_a_geoseries_without_crs_is_refused():
    with pytest.raises(corridors.CRSError, match="no CRS"):
        corridors.deviation(gpd.GeoSeries([STRAIGHT]), STRAIGHT)
    with pytest.raises(corridors.CRSError):
        corridors.deviation(STRAIGHT, gpd.GeoDataFrame(geometry=[STRAIGHT]))


@pytest.mark.parametrize("step", [0, -1.0, float("nan"), float("inf"), "1", None, True])
def test_a_bad_step_is_refused(step):
    with pytest.raises(corridors.GeometryError, match="step_km"):
        corridors.deviation(STRAIGHT, ZIGZAG, step_km=step)


@pytest.mark.parametrize(
    ("line", "error", "message"),
    [
        (shapely.LineString(), corridors.GeometryError, "empty"),
        (
            shapely.LineString([(102.0, 18.0), (102.0, 18.0)]),
            corridors.GeometryError,
            "zero length",
        ),
        (shapely.Point(102.0, 18.0), corridors.GeometryError, "LineString"),
        (
            shapely.MultiLineString([[(102, 18), (102, 19)], [(103, 18), (103, 19)]]),
            corridors.GeometryError,
            "continuous",
        ),
        (shapely.LineString([(18.0, 102.0), (18.5, 102.0)]), corridors.CoordinateError, "swapped"),
        ("china-laos-railway", corridors.GeometryError, "expected"),
    ],
    ids=["empty", "zero-length", "point", "disjoint", "swapped", "string"],
)
def test_bad_geometry_is_refused(line, error, message):
    for args in ((line, STRAIGHT), (STRAIGHT, line)):
        with pytest.raises(error, match=message) as info:
            corridors.deviation(*args)
        assert isinstance(info.value, corridors.CorridorsError)


def test_a_step_too_small_for_the_line_is_refused():
    with pytest.raises(corridors.GeometryError, match="at least"):
        corridors.deviation(STRAIGHT, ZIGZAG, step_km=1e-6)


lonlat = st.tuples(st.floats(101.0, 104.0), st.floats(17.0, 20.0))


@settings(max_examples=30, deadline=None)
@given(
    st.lists(lonlat, min_size=2, max_size=6, unique=True),
    st.lists(lonlat, min_size=2, max_size=6, unique=True),
)
def test_offsets_are_distances_and_the_statistics_are_ordered(a, b):
    dev = corridors.deviation(shapely.LineString(a), shapely.LineString(b), step_km=20.0)
    s, off = dev.summary, dev.samples["offset_km"]
    assert (off >= 0).all()
    assert s["hausdorff_km"] >= s["max_km"] >= s["p90_km"] >= s["median_km"] >= 0
    assert s["max_km"] >= s["mean_km"] >= 0
    assert s["hausdorff_km"] == pytest.approx(max(s["max_km"], s["reference_max_km"]))
    # a sample is never farther from the other line than from that line's nearest vertex (to
    # 1 m in 1,000 km: the nearest point is found on a plane, then measured on the ellipsoid)
    other = {"line": shapely.LineString(b), "reference": shapely.LineString(a)}
    for side, line in other.items():
        pts = dev.samples[dev.samples["of"] == side].geometry
        xy = shapely.get_coordinates(line)
        lon1 = np.repeat(pts.x.to_numpy(), len(xy))
        lat1 = np.repeat(pts.y.to_numpy(), len(xy))
        _, _, m = GEOD.inv(lon1, lat1, np.tile(xy[:, 0], len(pts)), np.tile(xy[:, 1], len(pts)))
        nearest_vertex_km = (np.asarray(m) / 1000.0).reshape(len(pts), len(xy)).min(axis=1)
        assert (
            dev.samples.loc[pts.index, "offset_km"].to_numpy()
            <= nearest_vertex_km * (1 + 1e-6) + 1e-6
        ).all()
