"""The line-referencing core, corridors._lines.Lines, against independent truths.

Lines are built in the tests with PROJ's geodesic (``pyproj.Geod.fwd``: known step lengths and
headings), so their lengths and the chainage of every vertex are known without the code under
test. Points off a line are built the same way: a foot on a segment, then a geodesic
perpendicular to the segment at the foot, so the foot is the nearest point and the offset is the
perpendicular's length.
"""

from __future__ import annotations

import warnings

import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import corridors
from corridors._lines import Lines

GEOD = pyproj.Geod(ellps="WGS84")
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)


def geodesic_line(
    lon: float, lat: float, heading: float, turns: list[float], steps_m: list[float]
) -> tuple[shapely.LineString, np.ndarray]:
    """A line of geodesic steps of known length, turning by ``turns`` degrees at each vertex;
    returns it and the chainage of its vertices, m."""
    xs, ys, az = [lon], [lat], heading
    for turn, step in zip(turns, steps_m, strict=True):
        az += turn
        x, y, back = GEOD.fwd(xs[-1], ys[-1], az, step)
        xs.append(float(x))
        ys.append(float(y))
        az = back + 180.0
    return shapely.LineString(np.column_stack([xs, ys])), np.r_[0.0, np.cumsum(steps_m)]


@st.composite
def smooth_lines(draw, max_steps: int = 12) -> tuple[shapely.LineString, np.ndarray]:
    """Lines of 1–``max_steps`` geodesic steps of 1–20 km, turning at most 15° at a vertex, so
    that (turning less than 180° in all) they never come back near themselves."""
    n = draw(st.integers(1, max_steps))
    turn = st.floats(-15, 15)
    return geodesic_line(
        draw(st.floats(95, 110)),
        draw(st.floats(-40, 55)),
        draw(st.floats(0, 360)),
        [draw(turn) for _ in range(n)],
        [draw(st.floats(1e3, 20e3)) for _ in range(n)],
    )


def off_line_points(
    line: shapely.LineString, rng: np.random.Generator, m: int = 15
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``m`` points off ``line``: returns (points, foot chainage m, foot (lon, lat), offset m).

    Each foot lies in the middle of a segment and the perpendicular is short next to the
    segment, so that the foot is the nearest point of a line that turns at most 15°."""
    xy = shapely.get_coordinates(line)
    seg_az, _, seg_m = GEOD.inv(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])
    cum = np.r_[0.0, np.cumsum(seg_m)]
    i = rng.integers(0, len(seg_m), m)
    into = rng.uniform(0.3, 0.7, m) * seg_m[i]
    fx, fy, back = GEOD.fwd(xy[i, 0], xy[i, 1], seg_az[i], into)
    h = rng.uniform(-1, 1, m) * np.minimum(2e3, 0.2 * seg_m[i])
    px, py, _ = GEOD.fwd(fx, fy, back + 180.0 + 90.0, h)
    return np.column_stack([px, py]), cum[i] + into, np.column_stack([fx, fy]), np.abs(h)


def geodesic_gap_m(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])[2])


@SETTINGS
@given(smooth_lines())
def test_length_and_vertex_chainage_are_the_steps(case):
    line, cum = case
    lines = Lines([line])
    # GeographicLib's forward and inverse problems agree to some nanometres per step
    assert lines.length_km[0] == pytest.approx(cum[-1] / 1000.0, rel=1e-12, abs=1e-9)
    assert np.allclose(lines.chainage_m, cum, rtol=1e-12, atol=1e-6)
    assert lines.length_km[0] == pytest.approx(corridors.length_km(line), rel=1e-12)


@SETTINGS
@given(smooth_lines(), st.integers(0, 2**32 - 1))
def test_locate_finds_the_foot_of_the_perpendicular(case, seed):
    line, _ = case
    pts, foot_m, foot_xy, off_m = off_line_points(line, np.random.default_rng(seed))
    chainage, offset = Lines([line]).locate(0, pts)
    assert np.allclose(chainage * 1000.0, foot_m, atol=0.1)  # 10 cm
    assert np.allclose(offset * 1000.0, off_m, atol=1e-3)  # 1 mm
    # interpolate(locate(p)) is the projection of p: the foot
    back = Lines([line]).interpolate_xy(0, chainage)
    assert geodesic_gap_m(back, foot_xy).max() < 0.1


@SETTINGS
@given(smooth_lines(), st.lists(st.floats(0, 1), min_size=2, max_size=30))
def test_interpolate_lies_on_the_geodesic_and_chainage_is_monotonic(case, fractions):
    line, cum = case
    lines = Lines([line])
    km = np.sort(fractions) * lines.length_km[0]
    xy = lines.interpolate_xy(0, km)
    # on segment i: the distances to both of its ends add up to the segment (the geodesic)
    i = np.clip(np.searchsorted(cum, km * 1000.0, side="right") - 1, 0, len(cum) - 2)
    v = shapely.get_coordinates(line)
    to_start = geodesic_gap_m(v[i], xy)
    to_end = geodesic_gap_m(xy, v[i + 1])
    assert np.allclose(to_start, km * 1000.0 - cum[i], atol=1e-6)
    assert np.allclose(to_start + to_end, cum[i + 1] - cum[i], atol=1e-6)
    chainage, offset = lines.locate(0, xy)
    assert np.all(np.diff(chainage) >= -1e-9)
    assert np.allclose(chainage, km, atol=1e-4)  # 10 cm
    assert offset.max() < 1e-4


@SETTINGS
@given(smooth_lines(), st.integers(0, 2**32 - 1))
def test_reversing_keeps_the_length_and_maps_chainage_c_to_l_minus_c(case, seed):
    line, _ = case
    pts, *_ = off_line_points(line, np.random.default_rng(seed))
    lines = Lines([line, shapely.reverse(line)])
    total = lines.length_km
    assert total[1] == pytest.approx(total[0], rel=1e-12)
    forward, off_f = lines.locate(0, pts)
    backward, off_b = lines.locate(1, pts)
    assert np.allclose(backward, total[0] - forward, atol=1e-4)
    assert np.allclose(off_b, off_f, atol=1e-6)


@SETTINGS
@given(smooth_lines(), st.lists(st.floats(0, 1), min_size=1, max_size=6))
def test_cut_pieces_sum_to_the_whole_and_end_where_interpolate_says(case, fractions):
    line, _ = case
    lines = Lines([line])
    total = lines.length_km[0]
    stops = np.r_[0.0, np.sort(fractions) * total, total]
    pieces = lines.cut(0, stops[:-1], stops[1:])
    lengths = np.array([GEOD.geometry_length(p) for p in pieces]) / 1000.0
    assert np.allclose(lengths, np.diff(stops), atol=1e-9)
    assert lengths.sum() == pytest.approx(total, rel=1e-12, abs=1e-9)
    ends = lines.interpolate_xy(0, stops)
    heads = shapely.get_coordinates(shapely.get_point(pieces, 0))
    tails = shapely.get_coordinates(shapely.get_point(pieces, -1))
    assert geodesic_gap_m(heads, ends[:-1]).max() < 1e-6
    assert geodesic_gap_m(tails, ends[1:]).max() < 1e-6
    # in between, the pieces hold the line's own vertices, each once (but one right at a stop)
    inner = np.vstack([np.empty((0, 2))] + [shapely.get_coordinates(p)[1:-1] for p in pieces])
    at_stop = np.isin(lines.chainage_m[1:-1], stops * 1000.0)
    assert np.array_equal(inner, shapely.get_coordinates(line)[1:-1][~at_stop])


def test_cut_clips_and_orders_its_chainages():
    line, _ = geodesic_line(100, 20, 90, [0, 10], [10e3, 10e3])
    lines = Lines([line])
    whole, backwards = lines.cut(0, [-5, 15], [1e6, 5])
    assert shapely.equals_exact(whole, line, tolerance=1e-9)
    assert GEOD.geometry_length(backwards) == pytest.approx(10e3, abs=1e-6)
    assert shapely.get_coordinates(backwards)[1] == pytest.approx(shapely.get_coordinates(line)[1])


def test_many_lines_at_once_equal_one_line_at_a_time():
    rng = np.random.default_rng(5)
    made = [
        geodesic_line(
            rng.uniform(95, 110),
            rng.uniform(0, 30),
            rng.uniform(0, 360),
            list(rng.uniform(-15, 15, k)),
            list(rng.uniform(1e3, 20e3, k)),
        )[0]
        for k in rng.integers(1, 30, 200)
    ]
    batch = Lines(made)
    which = rng.integers(0, len(made), 2000)
    on_line = batch.interpolate_xy(which, rng.uniform(0, 500, 2000))
    pts = on_line + rng.normal(0, 0.01, (2000, 2))  # about a kilometre off
    km = rng.uniform(-10, 400, 2000)
    ch, off = batch.locate(which, pts)
    at = batch.interpolate_xy(which, km)
    cut = batch.cut(which, km, km / 2)
    for i in np.unique(which)[:40]:
        one = Lines([made[i]])
        rows = which == i
        c1, o1 = one.locate(0, pts[rows])
        assert np.allclose(ch[rows], c1, rtol=0, atol=1e-9)
        assert np.allclose(off[rows], o1, rtol=0, atol=1e-9)
        assert np.allclose(at[rows], one.interpolate_xy(0, km[rows]), rtol=0, atol=1e-12)
        assert shapely.equals_exact(cut[rows], one.cut(0, km[rows], km[rows] / 2), 1e-12).all()
    assert np.allclose(batch.length_km, [GEOD.geometry_length(g) / 1000.0 for g in made])


def test_null_rows_give_nan_or_empty_and_leave_the_others_alone():
    line, _ = geodesic_line(100, 20, 45, [0, 5, -5], [5e3, 5e3, 5e3])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # shapely warns on NaN coordinates
        nan_line = shapely.LineString([(100, 20), (np.nan, 21)])
    rows = [None, line, shapely.LineString(), nan_line, line]
    lines = Lines(rows)
    assert lines.valid.tolist() == [False, True, False, False, True]
    assert np.isnan(lines.length_km[[0, 2, 3]]).all()
    assert lines.length_km[[1, 4]] == pytest.approx([Lines([line]).length_km[0]] * 2, rel=1e-12)
    p = shapely.Point(100.02, 20.03)
    ch, off = lines.locate(np.arange(5), p)
    assert np.isnan(ch[[0, 2, 3]]).all() and np.isnan(off[[0, 2, 3]]).all()
    assert ch[[1, 4]] == pytest.approx([Lines([line]).locate(0, p)[0][0]] * 2, rel=1e-12)
    # a missing or empty point gives NaN too
    ch, _ = lines.locate(1, np.array([None, shapely.Point(), p], dtype=object))
    assert np.isnan(ch[:2]).all() and np.isfinite(ch[2])
    at = lines.interpolate(np.arange(5), 3.0)
    assert shapely.is_empty(at).tolist() == [True, False, True, True, False]
    assert shapely.is_empty(lines.interpolate(1, [np.nan, 1.0])).tolist() == [True, False]
    cut = lines.cut(np.arange(5), 1.0, 2.0)
    assert shapely.is_empty(cut).tolist() == [True, False, True, True, False]
    assert (shapely.get_type_id(cut) == 1).all()


def test_a_batch_of_only_null_rows_and_degenerate_lines():
    lines = Lines([None, shapely.LineString()])
    assert not lines.valid.any()
    ch, off = lines.locate([0, 1], shapely.Point(0, 0))
    assert np.isnan(ch).all() and np.isnan(off).all()
    assert shapely.is_empty(lines.cut([0, 1], 0, 1)).all()
    still = Lines([shapely.LineString([(100, 20), (100, 20)])])  # invalid for GEOS: one point
    assert still.length_km[0] == 0.0
    ch, off = still.locate(0, shapely.Point(100, 20.1))
    assert ch[0] == 0.0
    assert off[0] == pytest.approx(GEOD.inv(100, 20, 100, 20.1)[2] / 1000.0)


def test_bad_input_is_refused():
    with pytest.raises(corridors.GeometryError, match="LineStrings"):
        Lines([shapely.Point(0, 0)])
    with pytest.raises(corridors.CoordinateError, match="swapped"):
        Lines([shapely.LineString([(18.0, 102.6), (18.5, 102.7)])])
    lines = Lines([shapely.LineString([(0, 0), (1, 0)])])
    with pytest.raises(IndexError):
        lines.interpolate(1, 0.0)
    with pytest.raises(TypeError):
        lines.interpolate(0.5, 0.0)
    with pytest.raises(corridors.GeometryError, match="Point"):
        lines.locate(0, np.array([shapely.LineString([(0, 0), (1, 1)])], dtype=object))
