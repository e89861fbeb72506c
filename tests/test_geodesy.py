"""Geodesic lengths and chainage against independent truths and invariants."""

from __future__ import annotations

import itertools
import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
import shapely.ops
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

import corridors

A = 6378137.0  # WGS84 semi-major axis, m
F = 1 / 298.257223563
E2 = F * (2 - F)


def meridian_arc_km(lat1: float, lat2: float) -> float:
    """Meridian arc by numerical integration of the radius of curvature M(phi)."""
    phi = np.linspace(math.radians(lat1), math.radians(lat2), 200_001)
    m = A * (1 - E2) / (1 - E2 * np.sin(phi) ** 2) ** 1.5
    return float(np.sum((m[1:] + m[:-1]) / 2 * np.diff(phi))) / 1000.0


def test_equator_degree_is_a_times_radian():
    line = shapely.LineString([(0, 0), (1, 0)])
    assert corridors.length_km(line) == pytest.approx(A * math.pi / 180 / 1000, abs=1e-9)


def test_quarter_meridian_matches_published_value():
    # 10,001,965.729 m: the WGS84 quarter meridian (GeographicLib, Karney 2011)
    assert corridors.length_km(shapely.LineString([(0, 0), (0, 90)])) == pytest.approx(
        10001.965729, abs=1e-6
    )


@pytest.mark.parametrize(("lat1", "lat2"), [(17.9, 25.0), (-33.0, -12.5), (0.0, 1.0), (60, 61)])
def test_meridian_arcs_match_numerical_integration(lat1, lat2):
    line = shapely.LineString([(102.6, lat1), (102.6, lat2)])
    assert corridors.length_km(line) == pytest.approx(meridian_arc_km(lat1, lat2), rel=1e-9)


def test_many_vertices_on_the_equator_sum_exactly():
    xs = np.linspace(100, 110, 1001)
    line = shapely.LineString(np.column_stack([xs, np.zeros_like(xs)]))
    assert corridors.length_km(line) == pytest.approx(10 * A * math.pi / 180 / 1000, rel=1e-12)


def test_multilinestring_parts_are_not_joined():
    parts = shapely.MultiLineString([[(0, 0), (1, 0)], [(5, 0), (6, 0)]])
    assert corridors.length_km(parts) == pytest.approx(2 * 111.31949079, rel=1e-9)


def test_polygon_length_is_its_perimeter_and_point_is_zero():
    box = shapely.box(0, 0, 1, 1)
    ring = shapely.LineString(box.exterior.coords)
    assert corridors.length_km(box) == pytest.approx(corridors.length_km(ring))
    s = gpd.GeoSeries([shapely.Point(1, 1), ring], crs="EPSG:4326")
    assert corridors.length_km(s).iloc[0] == 0.0


def test_series_in_and_out_keeps_the_index_and_reprojects():
    lines = gpd.GeoSeries(
        [
            shapely.LineString([(102, 18), (102.5, 18.4)]),
            shapely.LineString([(101, 20), (101, 21)]),
        ],
        index=["a", "b"],
        crs="EPSG:4326",
    )
    km = corridors.length_km(lines)
    assert isinstance(km, pd.Series)
    assert list(km.index) == ["a", "b"]
    utm = corridors.length_km(lines.to_crs("EPSG:32648"))
    assert np.allclose(utm, km, rtol=1e-7)
    frame = gpd.GeoDataFrame({"name": ["x", "y"]}, index=lines.index, geometry=lines)
    assert np.allclose(corridors.length_km(frame), km)


def test_length_is_vectorised_per_geometry_not_joined_across_rows():
    lines = gpd.GeoSeries(
        [shapely.LineString([(0, 0), (1, 0)]), shapely.LineString([(50, 50), (50, 51)])],
        crs="EPSG:4326",
    )
    km = corridors.length_km(lines)
    assert km.iloc[0] == pytest.approx(111.319491, abs=1e-6)
    assert km.iloc[1] == pytest.approx(meridian_arc_km(50, 51), rel=1e-9)


lon = st.floats(95, 110, allow_nan=False)
lat = st.floats(10, 28, allow_nan=False)
lines = st.lists(st.tuples(lon, lat), min_size=2, max_size=30, unique=True).map(shapely.LineString)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(lines)
def test_reversing_keeps_the_length(line):
    assert corridors.length_km(shapely.reverse(line)) == pytest.approx(
        corridors.length_km(line), rel=1e-12, abs=1e-9
    )


@settings(max_examples=100, deadline=None, derandomize=True)
@given(lines, st.integers(1, 5))
def test_densifying_along_the_geodesic_keeps_the_length(line, n):
    g = pyproj.Geod(ellps="WGS84")
    coords = shapely.get_coordinates(line)
    dense = [tuple(coords[0])]
    for (x1, y1), (x2, y2) in itertools.pairwise(coords):
        dense += [*g.npts(x1, y1, x2, y2, n), (x2, y2)]
    assert corridors.length_km(shapely.LineString(dense)) == pytest.approx(
        corridors.length_km(line), rel=1e-9, abs=1e-9
    )


step = st.floats(-0.2, 0.2, allow_nan=False)
walks = st.tuples(
    st.floats(96, 108), st.floats(12, 26), st.lists(st.tuples(step, step), min_size=1, max_size=40)
).map(lambda w: shapely.LineString(np.cumsum(np.vstack([[w[0], w[1]], w[2]]), axis=0)))


def _unambiguous(line: shapely.LineString, pts: np.ndarray) -> np.ndarray:
    """Whether each point's place on ``line`` is unambiguous (planar test, in degrees).

    Around the point's own projection the line must run nearly straight for ~1 km either side
    (no fold), and the rest of the line must stay ~50 m away: a line that folds back or runs
    along itself near the point is caught whatever ``is_simple`` says.
    """
    reach, clear = 0.01, 5e-4
    out = []
    for p in pts:
        s = line.project(p)
        window = shapely.ops.substring(line, max(s - reach, 0.0), min(s + reach, line.length))
        ends = shapely.get_coordinates(window)[[0, -1]]
        straight = np.hypot(*(ends[1] - ends[0])) >= 0.9 * window.length
        others = [
            shapely.ops.substring(line, a, b)
            for a, b in ((0.0, s - reach), (s + reach, line.length))
            if b > a
        ]
        out.append(straight and all(o.distance(p) > clear for o in others))
    return np.array(out, dtype=bool)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(walks, st.lists(st.floats(0, 1), min_size=1, max_size=20))
# a walk that comes back along itself 6e-8 degrees (7 mm) away: simple, yet ambiguous
@example(
    shapely.LineString([(96, 12), (96, 11.875), (96 + 6e-8, 12), (96.125, 12), (96.125, 12.125)]),
    [0.125, 0.25, 0.9],
)
def test_chainage_is_monotonic_and_inverts_point_at_km(line, fractions):
    # vertices up to ~20 km apart, as in traced data: locating a point that lies on the geodesic
    # between two vertices on the planar segment is then exact to well under a metre
    total = corridors.length_km(line)
    assume(total > 0)
    km = np.sort(np.asarray(fractions)) * total
    pts = corridors.point_at_km(line, km)
    ch = corridors.chainage_km(line, list(pts))
    # a point where the line passes near itself may locate on the other pass: compare where the
    # projection is unambiguous
    clear = _unambiguous(line, pts)
    assume(clear.any())  # (Hypothesis fails the test if this filters out too many walks)
    assert np.allclose(ch[clear], km[clear], atol=1e-3)
    assert np.all(np.diff(ch[clear]) >= -1e-6)


def test_chainage_and_offset_of_points_off_the_line():
    line = shapely.LineString([(100, 20), (101, 20), (101, 21)])
    pts = gpd.GeoSeries([shapely.Point(100.5, 20.05), shapely.Point(101.1, 20.5)], crs=4326)
    ch = corridors.chainage_km(line, pts)
    off = corridors.offset_km(line, pts)
    first_leg = corridors.length_km(shapely.LineString([(100, 20), (101, 20)]))
    assert ch.iloc[0] == pytest.approx(first_leg / 2, rel=2e-3)
    assert ch.iloc[1] == pytest.approx(first_leg + meridian_arc_km(20, 20.5), rel=2e-3)
    assert off.iloc[0] == pytest.approx(meridian_arc_km(20, 20.05), rel=2e-2)
    assert off.iloc[1] == pytest.approx(0.1 * 111.32 * math.cos(math.radians(20.5)), rel=2e-2)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_errors_for_bad_input():
    with pytest.raises(corridors.CRSError, match="no CRS"):
        corridors.length_km(gpd.GeoSeries([shapely.LineString([(0, 0), (1, 1)])]))
    with pytest.raises(corridors.CoordinateError, match="swapped"):
        corridors.length_km(shapely.LineString([(18.0, 102.6), (18.5, 102.7)]))
    with pytest.raises(corridors.CoordinateError, match="projected"):
        corridors.length_km(shapely.LineString([(500000, 2000000), (510000, 2000000)]))
    with pytest.raises(corridors.GeometryError, match="empty"):
        corridors.length_km(shapely.LineString())
    with pytest.raises(corridors.GeometryError, match="empty"):
        corridors.length_km(gpd.GeoSeries([], crs=4326))
    with pytest.raises(corridors.GeometryError, match="expected"):
        corridors.length_km("not a geometry")
    with pytest.raises(corridors.CoordinateError, match="NaN"):
        corridors.length_km(shapely.LineString([(0, 0), (float("nan"), 1)]))
    with pytest.raises(corridors.GeometryError, match="one continuous"):
        corridors.chainage_km(
            shapely.MultiLineString([[(0, 0), (1, 0)], [(5, 0), (6, 0)]]), shapely.Point(0, 0)
        )
    with pytest.raises(corridors.GeometryError, match="Point"):
        corridors.chainage_km(
            shapely.LineString([(0, 0), (1, 0)]), [shapely.LineString([(0, 0), (1, 1)])]
        )


def test_a_big_batch_with_bad_rows_gives_nan_for_them_only():
    rng = np.random.default_rng(2)
    n = 20_000
    start = np.column_stack([rng.uniform(97, 108, n), rng.uniform(10, 25, n)])
    end = start + rng.uniform(-0.2, 0.2, (n, 2))
    geoms = shapely.linestrings(np.stack([start, end], axis=1))
    geoms[10] = None
    geoms[20] = shapely.LineString()
    geoms[30] = shapely.LineString([(102, 18), (102, 18)])  # invalid for GEOS: one point
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # shapely warns on NaN coordinates
        geoms[40] = shapely.LineString([(102, 18), (np.nan, 18.5)])
    lines = gpd.GeoSeries(geoms, index=np.arange(n) * 2, crs="EPSG:4326")
    km = corridors.length_km(lines)
    truth = pyproj.Geod(ellps="WGS84").inv(start[:, 0], start[:, 1], end[:, 0], end[:, 1])[2]
    ok = np.ones(n, dtype=bool)
    ok[[10, 20, 30, 40]] = False
    assert list(km.index) == list(lines.index)
    assert np.allclose(km.to_numpy()[ok], truth[ok] / 1000.0, rtol=1e-12)
    assert np.isnan(km.iloc[[10, 20, 40]]).all()
    assert km.iloc[30] == 0.0
    # chainage and offset of a GeoSeries of points with missing and empty rows
    line = shapely.LineString([(97, 10), (108, 25)])
    pts = gpd.GeoSeries(shapely.points(start), crs="EPSG:4326")
    pts.iloc[5] = None
    pts.iloc[6] = shapely.Point()
    ch, off = corridors.chainage_km(line, pts), corridors.offset_km(line, pts)
    assert np.isnan(ch.iloc[[5, 6]]).all() and np.isnan(off.iloc[[5, 6]]).all()
    rest = pts.drop(index=[5, 6])
    assert np.array_equal(ch.drop(index=[5, 6]), corridors.chainage_km(line, rest))
    assert np.array_equal(off.drop(index=[5, 6]), corridors.offset_km(line, rest))


def test_substring_and_point_at_km_keep_their_shapes():
    line = shapely.LineString([(100, 20), (101, 20), (101, 21)])
    total = corridors.length_km(line)
    part = corridors.geodesy.substring_km(line, total, 10.0)  # given backwards
    assert corridors.length_km(part) == pytest.approx(total - 10.0, rel=1e-9)
    assert shapely.get_coordinates(part)[1].tolist() == [101.0, 20.0]
    assert isinstance(corridors.point_at_km(line, 5.0), shapely.Point)
    grid = corridors.point_at_km(line, np.full((2, 3), 5.0))
    assert grid.shape == (2, 3)
    assert shapely.equals(grid, corridors.point_at_km(line, 5.0)).all()
