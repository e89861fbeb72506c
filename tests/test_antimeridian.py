"""Lines across the antimeridian, and length outside the boundary layer (issue 10)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import corridors
from corridors import borders
from corridors._lines import cut_at_antimeridian

GEOD = pyproj.Geod(ellps="WGS84")


def _geodesic_km(coords) -> float:
    xy = np.asarray(coords, dtype=float)
    _, _, d = GEOD.inv(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])
    return float(np.sum(d)) / 1000.0


def _boxes(west: float) -> gpd.GeoDataFrame:
    """AAA and BBB side by side at ``west + 10``: lon 0 for west=-10, ±180 for west=170.

    Each box is cut at ±180 where it would cross it, so the two layouts are the same shapes on
    the ellipsoid, 180° of longitude apart.
    """

    def box(x0: float, x1: float) -> shapely.Geometry:
        x0, x1 = (x0 + 180) % 360 - 180, (x1 + 180) % 360 - 180
        if x1 == -180:
            x1 = 180.0
        if x0 < x1:
            return shapely.box(x0, -30, x1, 30)
        return shapely.MultiPolygon([shapely.box(x0, -30, 180, 30), shapely.box(-180, -30, x1, 30)])

    return gpd.GeoDataFrame(
        {"iso3": ["AAA", "BBB"]},
        geometry=[box(west, west + 10), box(west + 10, west + 20)],
        crs="EPSG:4326",
    )


def _contiguous(pieces: pd.DataFrame, total_km: float) -> None:
    start, end = pieces["start_km"].to_numpy(), pieces["end_km"].to_numpy()
    assert start[0] == 0.0
    assert np.allclose(start[1:], end[:-1], rtol=0, atol=1e-9)
    assert end[-1] == pytest.approx(total_km, rel=1e-12)
    assert pieces["length_km"].sum() == pytest.approx(total_km, rel=1e-9)


def test_a_line_from_179_5_east_to_179_5_west_is_cut_at_the_antimeridian():
    a, b = (179.5, 10.0), (-179.5, 10.0)
    line = shapely.LineString([a, b])
    want = _geodesic_km([a, b])
    assert want == pytest.approx(109.6, abs=0.05)
    assert corridors.length_km(line) == pytest.approx(want, rel=1e-12)
    pieces = corridors.split_by_country(line)  # the embedded boundaries: all at sea
    assert pieces["iso3"].tolist() == ["outside"]
    _contiguous(pieces, want)
    geom = pieces.geometry.iloc[0]
    assert geom.geom_type == "MultiLineString"
    east, west = shapely.get_parts(geom)
    assert east.coords[-1][0] == 180.0 and west.coords[0][0] == -180.0
    # by symmetry the geodesic crosses ±180 at its midpoint, which PROJ gives independently
    az, _, d = GEOD.inv(*a, *b)
    _, mid_lat, _ = GEOD.fwd(*a, az, d / 2)
    assert east.coords[-1][1] == pytest.approx(mid_lat, abs=1e-9)
    assert west.coords[0][1] == east.coords[-1][1]
    assert len(corridors.border_crossings(line)) == 0


def test_crossings_at_the_antimeridian_agree_with_chainage_and_point_at_km():
    line = shapely.LineString([(175.0, 5.0), (179.0, 6.0), (-178.0, 8.0), (-175.0, 9.0)])
    total = _geodesic_km(line.coords)
    countries = _boxes(170.0)  # AAA 170..180, BBB -180..-170
    pieces = corridors.split_by_country(line, countries)
    assert pieces["iso3"].tolist() == ["AAA", "BBB"]
    _contiguous(pieces, total)
    cr = corridors.border_crossings(line, countries, gates=countries.iloc[:0].assign(id=[]))
    assert cr[["from_iso3", "to_iso3"]].values.tolist() == [["AAA", "BBB"]]
    x, y = cr.geometry.iloc[0].x, cr.geometry.iloc[0].y
    assert abs(x) == 180.0
    km = cr["chainage_km"].iloc[0]
    # the crossing lies on the geodesic step: the two halves add up to the step
    before = _geodesic_km([(175.0, 5.0), (179.0, 6.0), (x, y)])
    after = _geodesic_km([(x, y), (-178.0, 8.0), (-175.0, 9.0)])
    assert before + after == pytest.approx(total, rel=1e-12)
    assert km == pytest.approx(before, rel=1e-12)
    assert corridors.chainage_km(line, shapely.Point(x, y)) == pytest.approx(km, abs=1e-6)
    p = corridors.point_at_km(line, km)
    assert abs(p.x) == pytest.approx(180.0, abs=1e-9) and p.y == pytest.approx(y, abs=1e-9)


def test_a_country_across_the_antimeridian_is_one_piece_and_no_crossing():
    fiji = gpd.GeoDataFrame(
        {"iso3": ["FJI"]},
        geometry=[shapely.MultiPolygon([shapely.box(175, -20, 180, -15), shapely.box(-180, -20, -178, -15)])],
        crs="EPSG:4326",
    )  # fmt: skip
    line = shapely.LineString([(177.0, -17.0), (-179.0, -18.0)])
    pieces = corridors.split_by_country(line, fiji)
    assert pieces["iso3"].tolist() == ["FJI"]
    assert pieces.geometry.iloc[0].geom_type == "MultiLineString"
    _contiguous(pieces, _geodesic_km(line.coords))
    assert len(corridors.border_crossings(line, fiji, gates=fiji.iloc[:0])) == 0


def test_a_line_wrapping_twice():
    # back and forth across the antimeridian, then twice round the equator eastwards
    there_and_back = [(178.0, 0.0), (-178.0, 1.0), (178.0, 2.0)]
    twice_round = [(0.0, 0.0), (120.0, 0.0), (-120.0, 0.0), (0.0, 0.0)] * 2
    for coords in (there_and_back, twice_round):
        line = shapely.LineString(coords)
        total = _geodesic_km(coords)
        assert corridors.length_km(line) == pytest.approx(total, rel=1e-12)
        pieces = corridors.split_by_country(line, _boxes(170.0))
        _contiguous(pieces, total)
    pieces = corridors.split_by_country(shapely.LineString(there_and_back), _boxes(170.0))
    assert pieces["iso3"].tolist() == ["AAA", "BBB", "AAA"]
    cr = corridors.border_crossings(
        shapely.LineString(there_and_back), _boxes(170.0), gates=_boxes(170.0).iloc[:0]
    )
    assert cr[["from_iso3", "to_iso3"]].values.tolist() == [["AAA", "BBB"], ["BBB", "AAA"]]
    assert np.allclose(cr["chainage_km"], pieces["start_km"].iloc[1:], rtol=1e-12)


def test_a_line_along_the_antimeridian():
    for coords in ([(180.0, 10.0), (180.0, 20.0)], [(180.0, 10.0), (-180.0, 20.0), (180.0, 30.0)]):
        line = shapely.LineString(coords)
        total = _geodesic_km(coords)
        pieces = corridors.split_by_country(line)
        assert pieces["iso3"].tolist() == ["outside"]
        _contiguous(pieces, total)
        xy = shapely.get_coordinates(pieces.geometry.iloc[0])
        assert np.all(np.abs(xy[:, 0]) == 180.0)


def test_cut_at_antimeridian_leaves_lines_that_do_not_cross_alone():
    geoms = np.array([shapely.LineString([(0, 0), (1, 1)]), None], dtype=object)
    xy, owner = shapely.get_coordinates(geoms, return_index=True)
    assert cut_at_antimeridian(geoms, xy, owner) is None


def test_normal_lines_take_the_same_path_byte_for_byte(monkeypatch):
    rng = np.random.default_rng(11)
    n = 3000
    start = np.column_stack([rng.uniform(97, 110, n), rng.uniform(8, 26, n)])
    mid = start + rng.uniform(-0.5, 0.5, (n, 2))
    end = mid + rng.uniform(-0.5, 0.5, (n, 2))
    lines = gpd.GeoSeries(shapely.linestrings(np.stack([start, mid, end], axis=1)), crs=4326)
    got = corridors.split_by_country(lines)
    monkeypatch.setattr(borders, "cut_at_antimeridian", lambda *args: None)
    want = corridors.split_by_country(lines)
    pd.testing.assert_frame_equal(
        pd.DataFrame(got.drop(columns="geometry")),
        pd.DataFrame(want.drop(columns="geometry")),
        check_exact=True,
    )
    assert (shapely.to_wkb(got.geometry.array) == shapely.to_wkb(want.geometry.array)).all()
    assert {"outside", "LAO", "VNM"} <= set(got["iso3"])


step = st.floats(-0.2, 0.2, allow_nan=False)  # up to ~30 km, like traced lines
walks = st.tuples(
    st.floats(-12, 12), st.floats(-25, 25), st.lists(st.tuples(step, step), min_size=1, max_size=30)
)


@settings(max_examples=120, deadline=None, derandomize=True)
@given(walks)
def test_pieces_sum_to_the_geodesic_length_and_rotate_with_the_globe(walk):
    # a random walk around lon 0 against boxes meeting at lon 0, and the same walk and boxes
    # turned 180° about the axis (so across the antimeridian): the same pieces on the ellipsoid
    x0, y0, steps = walk
    pts = np.cumsum(np.vstack([[x0, y0], steps]), axis=0)
    assume(np.all(np.abs(pts[:, 0]) > 1e-6))  # no vertex on the border: turning rounds it
    turned = pts.copy()
    turned[:, 0] = (turned[:, 0] + 360.0) % 360.0 - 180.0
    here, there = shapely.LineString(pts), shapely.LineString(turned)
    total = _geodesic_km(turned)
    assume(total > 1e-6)  # a line of no length on a border has no pieces
    assert corridors.length_km(there) == pytest.approx(total, rel=1e-12, abs=1e-12)
    a = corridors.split_by_country(here, _boxes(-10.0))
    b = corridors.split_by_country(there, _boxes(170.0))
    assert b["length_km"].sum() == pytest.approx(total, rel=1e-9, abs=1e-9)
    assert b["end_km"].iloc[-1] == pytest.approx(total, rel=1e-12, abs=1e-12)
    assert a["iso3"].tolist() == b["iso3"].tolist()
    # the cut at lon 0 is where the lon/lat segment meets the border, the one at ±180 where the
    # geodesic does: up to about a metre apart on steps this long
    assert np.allclose(a["start_km"], b["start_km"], rtol=0, atol=5e-3)
    assert np.allclose(a["end_km"], b["end_km"], rtol=0, atol=5e-3)


@pytest.mark.parametrize("corridor_id", corridors.catalog()["id"].tolist())
def test_the_pieces_of_every_embedded_corridor_add_up_to_its_length(corridor_id):
    c = corridors.load(corridor_id)
    pieces = corridors.split_by_country(c)
    total = corridors.length_km(c)
    assert pieces["length_km"].sum() == pytest.approx(total, rel=1e-9)
    assert pieces["iso3"].map(type).eq(str).all()
    cr = corridors.border_crossings(c)
    assert "outside" not in set(cr["from_iso3"]) | set(cr["to_iso3"])
    # a crossing is wherever the country changes, once the outside pieces are left out
    inside = pieces[pieces["iso3"] != "outside"]["iso3"].to_numpy()
    assert len(cr) == int(np.sum(inside[1:] != inside[:-1]))


def test_length_at_sea_is_an_outside_piece_and_the_coast_is_no_border(two_countries):
    # from AAA out beyond the boxes' northern edge (lat 30) and back into AAA
    line = shapely.LineString([(100, 29), (100, 31), (101, 31), (101, 29)])
    pieces = corridors.split_by_country(line, two_countries)
    assert pieces["iso3"].tolist() == ["AAA", "outside", "AAA"]
    inland = corridors.split_by_country(shapely.LineString([(100, 20), (103, 20)]), two_countries)
    assert pieces["iso3"].dtype == inland["iso3"].dtype  # the same dtype, outside or not
    _contiguous(pieces, _geodesic_km(line.coords))
    at_sea = corridors.length_km(shapely.LineString([(100, 30), (100, 31), (101, 31), (101, 30)]))
    assert pieces["length_km"].iloc[1] == pytest.approx(at_sea, rel=1e-6)
    assert len(corridors.border_crossings(line, two_countries, gates=two_countries.iloc[:0])) == 0
    # from AAA by sea into BBB: one crossing, where the line enters BBB
    by_sea = shapely.LineString([(101, 29), (101, 31), (103, 31), (103, 29)])
    cr = corridors.border_crossings(by_sea, two_countries, gates=two_countries.iloc[:0])
    assert cr[["from_iso3", "to_iso3"]].values.tolist() == [["AAA", "BBB"]]
    assert (cr.geometry.iloc[0].x, cr.geometry.iloc[0].y) == pytest.approx((103, 30))
