"""corridors.osm.chain_ways, simplify_line and station_yards on hand-built track.

Every expected length is measured independently here, on the WGS84 ellipsoid with pyproj.Geod;
every fixture is a small set of LineStrings in EPSG:4326 built in code.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from corridors.errors import CorridorsError, GeometryError
from corridors.osm import Gap, chain_ways, simplify_line, station_yards

GEOD = pyproj.Geod(ellps="WGS84")
LON = 102.0  # every fixture runs up (or beside) this meridian, from latitude 18


def km(coords) -> float:
    """Geodesic length of a polyline, km."""
    xy = np.asarray(coords, float)
    return GEOD.line_length(xy[:, 0], xy[:, 1]) / 1000.0


def north(lat: float, metres: float, lon: float = LON) -> tuple[float, float]:
    """The point ``metres`` due north of (lon, lat)."""
    x, y, _ = GEOD.fwd(lon, lat, 0.0, metres)
    return (float(x), float(y))


def east(lat: float, metres: float, lon: float = LON) -> float:
    """Longitude of the point ``metres`` due east (negative: west) of (lon, lat)."""
    return float(GEOD.fwd(lon, lat, 90.0 if metres >= 0 else 270.0, abs(metres))[0])


def meridian_km(lat: float) -> float:
    """Chainage of latitude ``lat`` along the meridian from latitude 18, km."""
    return GEOD.inv(LON, 18.0, LON, lat)[2] / 1000.0


def ways(*lines, ids=None, crs="EPSG:4326") -> gpd.GeoDataFrame:
    geoms = [shapely.LineString(c) if not isinstance(c, shapely.Geometry) else c for c in lines]
    ids = list(range(1, len(geoms) + 1)) if ids is None else list(ids)
    return gpd.GeoDataFrame({"osm_id": ids}, geometry=geoms, crs=crs)


# -- chaining ------------------------------------------------------------------------------------
A = [(LON, 18.0), (102.01, 18.03), (LON, 18.06)]
B = [(LON, 18.06), (102.02, 18.1), (102.03, 18.15)]


@pytest.mark.parametrize(
    ("a", "b", "swap"),
    [(A, B, False), (A[::-1], B, False), (A, B[::-1], False), (A[::-1], B[::-1], True)],
    ids=["as-drawn", "first-reversed", "second-reversed", "both-reversed-and-swapped"],
)
def test_two_ways_sharing_an_end_chain_into_the_sum_of_their_lengths(a, b, swap):
    gdf = ways(b, a, ids=[2, 1]) if swap else ways(a, b)
    chain = chain_ways(gdf, [A[0], B[-1]])
    assert chain.length_km == pytest.approx(km(A) + km(B), abs=1e-6)
    assert shapely.get_coordinates(chain.line).tolist() == [list(p) for p in A + B[1:]]
    assert chain.gaps == () and chain.joins == 0 and chain.side_km == 0
    assert chain.osm_ids == (1, 2)
    assert chain.anchor_km == pytest.approx((0.0, chain.length_km))
    assert chain.anchor_snap_km == pytest.approx((0.0, 0.0), abs=1e-9)
    assert np.all(np.diff(chain.vertex_km) > 0)
    assert chain.vertex_km[-1] == pytest.approx(chain.length_km)
    # the other way round: the same line, reversed, of the same length
    back = chain_ways(gdf, [B[-1], A[0]])
    assert back.length_km == pytest.approx(chain.length_km, abs=1e-9)
    assert shapely.get_coordinates(back.line).tolist() == [list(p) for p in (A + B[1:])[::-1]]
    assert back.osm_ids == (2, 1)


@st.composite
def split_polylines(draw):
    """A random polyline, cut into ways that are shuffled and some of them reversed."""
    n = draw(st.integers(2, 25))
    steps = draw(
        st.lists(st.tuples(st.floats(0, 359.9), st.floats(50.0, 3000.0)), min_size=n, max_size=n)
    )
    xy = [(LON, 18.0)]
    for az, dist in steps:
        lon, lat, _ = GEOD.fwd(*xy[-1], az, dist)
        xy.append((float(lon), float(lat)))
    inner = list(range(1, len(xy) - 1))
    cuts = sorted(draw(st.sets(st.sampled_from(inner), max_size=6))) if inner else []
    bounds = [0, *cuts, len(xy) - 1]
    pieces = [xy[i : j + 1] for i, j in itertools.pairwise(bounds)]
    flips = draw(st.lists(st.booleans(), min_size=len(pieces), max_size=len(pieces)))
    order = draw(st.permutations(range(len(pieces))))
    return xy, pieces, flips, order


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(split_polylines())
def test_any_split_of_a_line_chains_back_into_it(case):
    xy, pieces, flips, order = case
    drawn = [pieces[i][::-1] if flips[i] else pieces[i] for i in order]
    chain = chain_ways(ways(*drawn, ids=[100 + i for i in order]), [xy[0], xy[-1]])
    assert chain.length_km == pytest.approx(km(xy), rel=1e-9, abs=1e-9)
    np.testing.assert_allclose(shapely.get_coordinates(chain.line), xy, atol=1e-9)
    assert chain.osm_ids == tuple(100 + i for i in range(len(pieces)))  # in path order, once each
    assert chain.gaps == () and chain.joins == 0
    # every step runs on the row it came from: pieces in path order are rows order.index(i)
    rows = [order.index(i) for i, p in enumerate(pieces) for _ in range(len(p) - 1)]
    assert chain.step_way.tolist() == rows
    assert np.all(np.diff(chain.vertex_km) >= 0)


@pytest.mark.parametrize("hole_m", [150.0, 300.0, 2000.0])
def test_a_hole_is_reported_as_one_gap_of_its_length(hole_m):
    a = [(LON, 18.0), (LON, 18.05), (LON, 18.1)]
    b = [north(18.1, hole_m), (LON, 18.2)]
    chain = chain_ways(ways(a, b, ids=[7, 9]), [a[0], b[-1]])
    assert len(chain.gaps) == 1 and chain.joins == 0
    gap = chain.gaps[0]
    assert isinstance(gap, Gap)
    assert gap.length_km == pytest.approx(hole_m / 1000.0, abs=0.001)
    assert gap.start_km == pytest.approx(km(a), abs=1e-6)
    assert gap.end_km == pytest.approx(km(a) + hole_m / 1000.0, abs=0.001)
    assert gap.start == pytest.approx(a[-1]) and gap.end == pytest.approx(b[0])
    assert chain.gap_km == pytest.approx(gap.length_km)
    assert chain.length_km == pytest.approx(km(a) + hole_m / 1000.0 + km(b), abs=0.001)
    assert chain.step_way.tolist() == [0, 0, -1, 1]  # the gap is the only step on no way
    assert chain.osm_ids == (7, 9)
    d = gap.to_dict(0.08)
    assert d["length_km"] == round(gap.length_km, 2) and d["error_km"] == 0.08
    assert d["start"] == [round(a[-1][0], 5), round(a[-1][1], 5)]
    assert d["end_km"] == round(gap.start_km + gap.length_km, 2)


def test_a_hole_under_min_gap_km_is_a_join_not_a_gap():
    a = [(LON, 18.0), (LON, 18.1)]
    b = [north(18.1, 50.0), (LON, 18.2)]
    chain = chain_ways(ways(a, b), [a[0], b[-1]])  # min_gap_km=0.1 by default
    assert chain.gaps == () and chain.joins == 1
    assert chain.length_km == pytest.approx(km(a) + 0.05 + km(b), abs=0.001)
    assert chain.step_way.tolist() == [0, -1, 1]
    fine = chain_ways(ways(a, b), [a[0], b[-1]], min_gap_km=0.01)
    assert fine.joins == 0 and [round(g.length_km, 3) for g in fine.gaps] == [0.05]


def test_a_side_track_is_used_only_across_a_hole_in_the_main_line():
    siding = [(LON, 18.05), (east(18.055, 100.0), 18.055), (LON, 18.06)]
    m1, m2 = [(LON, 18.0), (LON, 18.05)], [(LON, 18.06), (LON, 18.1)]
    holed = chain_ways(
        ways(m1, m2, siding, ids=[11, 12, 13]), [m1[0], m2[-1]], main=[True, True, False]
    )
    assert holed.gaps == ()
    assert holed.side_km == pytest.approx(km(siding), abs=1e-6)
    assert holed.length_km == pytest.approx(km(m1) + km(siding) + km(m2), abs=1e-6)
    assert holed.osm_ids == (11, 13, 12)
    # the same siding beside a main line without the hole is not used
    whole = [(LON, 18.0), (LON, 18.05), (LON, 18.06), (LON, 18.1)]
    kept = chain_ways(ways(whole, siding, ids=[11, 13]), [whole[0], whole[-1]], main=[True, False])
    assert kept.side_km == 0 and kept.osm_ids == (11,)
    assert kept.length_km == pytest.approx(km(whole), abs=1e-6)


def test_the_main_line_is_preferred_to_a_parallel_shortcut():
    bend = [(LON, 18.0), (102.01, 18.05), (LON, 18.1)]  # about 2 % longer than the chord
    chord = [(LON, 18.0), (LON, 18.1)]
    gdf = ways(bend, chord, ids=[1, 2])
    chain = chain_ways(gdf, [bend[0], bend[-1]], main=[True, False])
    assert chain.osm_ids == (1,) and chain.side_km == 0
    assert chain.length_km == pytest.approx(km(bend), abs=1e-6)
    # at equal cost per km the shorter chord wins: the preference is the side_factor's doing
    cheap = chain_ways(gdf, [bend[0], bend[-1]], main=[True, False], side_factor=1.0)
    assert cheap.osm_ids == (2,) and cheap.side_km == pytest.approx(km(chord), abs=1e-6)


def test_three_anchors_force_the_path_through_the_middle_one():
    direct = [(LON, 18.0), (LON, 18.1)]
    detour = [(LON, 18.0), (102.02, 18.05), (LON, 18.1)]
    gdf = ways(direct, detour)
    assert chain_ways(gdf, [direct[0], direct[-1]]).length_km == pytest.approx(km(direct))
    chain = chain_ways(gdf, [direct[0], detour[1], direct[-1]])
    assert chain.length_km == pytest.approx(km(detour), abs=1e-6)
    assert chain.osm_ids == (2,)
    assert chain.anchor_km == pytest.approx((0.0, km(detour[:2]), km(detour)), abs=1e-6)


def test_anchor_km_increases_and_snaps_to_the_nearest_vertex():
    line = [(LON, 18.0 + 0.01 * i) for i in range(11)]
    anchors = [(east(18.0, 40.0), 18.0), (LON, 18.03), (east(18.07, -60.0), 18.07), line[-1]]
    chain = chain_ways(ways(line), anchors)
    assert np.all(np.diff(chain.anchor_km) > 0)
    assert chain.anchor_km == pytest.approx([meridian_km(y) for y in (18.0, 18.03, 18.07, 18.1)])
    assert chain.anchor_snap_km == pytest.approx((0.04, 0.0, 0.06, 0.0), abs=1e-4)


def test_an_anchor_far_from_every_way_is_an_error():
    gdf = ways([(LON, 18.0), (LON, 18.1)])
    off = (east(18.1, 3000.0), 18.1)  # 3 km east of the end
    with pytest.raises(GeometryError, match=r"anchor 2 .* 3\.00 km from the nearest way"):
        chain_ways(gdf, [(LON, 18.0), off])
    assert issubclass(GeometryError, CorridorsError)
    ok = chain_ways(gdf, [(LON, 18.0), off], max_snap_km=5.0)
    assert ok.anchor_snap_km[1] == pytest.approx(3.0, abs=1e-3)


def test_pieces_farther_apart_than_max_gap_km_are_not_joined():
    a, b = [(LON, 18.0), (LON, 18.1)], [north(18.1, 10_000.0), (LON, 18.4)]
    with pytest.raises(GeometryError, match="no path joins"):
        chain_ways(ways(a, b), [a[0], b[-1]], max_gap_km=5.0)
    joined = chain_ways(ways(a, b), [a[0], b[-1]])  # max_gap_km=15 by default
    assert [round(g.length_km, 3) for g in joined.gaps] == [10.0]


@pytest.mark.parametrize(
    ("gdf", "anchors", "match"),
    [
        (ways(), [(LON, 18.0), (LON, 18.1)], "no ways"),
        (ways([(LON, 18.0), (LON, 18.1)]), [(LON, 18.0)], "at least two anchors"),
        (
            ways([(LON, 18.0), (LON, 18.1)]).to_crs(3857),
            [(LON, 18.0), (LON, 18.1)],
            "EPSG:4326",
        ),
        (
            gpd.GeoSeries([shapely.LineString([(LON, 18.0), (LON, 18.1)])]),
            [(LON, 18.0), (LON, 18.1)],
            "EPSG:4326",
        ),
        (
            ways([(LON, 18.0), (LON, 18.1)]),
            [(LON, 18.0), (east(18.0, 20.0), 18.0001)],
            "snaps to the same vertex",
        ),
    ],
    ids=["no-ways", "one-anchor", "web-mercator", "no-crs", "one-vertex"],
)
def test_bad_input_is_a_geometry_error(gdf, anchors, match):
    with pytest.raises(GeometryError, match=match):
        chain_ways(gdf, anchors)


def test_osm_ids_list_the_ways_in_path_order_once_each():
    p = [(LON, 18.0 + 0.01 * i) for i in range(6)]
    multi = shapely.MultiLineString([p[0:2], p[3:6]])  # one OSM relation in two parts
    spur = [(east(18.05, 500.0), 18.05), (east(18.05, 900.0), 18.06)]  # not on the way
    gdf = ways(spur, p[1:4], multi, ids=[99, 8, 7])
    gdf.index = ["x", "y", "z"]  # rows are positions, whatever the index
    chain = chain_ways(gdf, [p[0], p[-1]])
    assert chain.osm_ids == (7, 8)
    assert chain.step_way.tolist() == [2, 1, 1, 2, 2]
    assert chain.length_km == pytest.approx(km(p), abs=1e-6)
    # osm_ids given explicitly win over the column
    assert chain_ways(gdf, [p[0], p[-1]], osm_ids=[1, 2, 3]).osm_ids == (3, 2)


def test_step_way_marks_every_gap_with_minus_one():
    a = [(LON, 18.0), (LON, 18.05)]
    b = [north(18.05, 400.0), (LON, 18.1)]
    c = [north(18.1, 80.0), (LON, 18.15), (LON, 18.2)]
    chain = chain_ways(ways(a, b, c), [a[0], c[-1]])
    assert chain.step_way.tolist() == [0, -1, 1, -1, 2, 2]
    assert len(chain.step_way) == len(chain.line.coords) - 1
    assert len(chain.gaps) == 1 and chain.joins == 1
    gap_steps = np.diff(chain.vertex_km)[chain.step_way == -1]
    assert sorted(np.round(gap_steps, 3)) == [0.08, 0.4]


# -- simplification ------------------------------------------------------------------------------
def local_xy(lines, lon0, lat0):
    """The lines in an azimuthal equidistant projection of our own, centred on (lon0, lat0)."""
    t = pyproj.Transformer.from_crs(
        "EPSG:4326",
        f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +ellps=WGS84 +units=m",
        always_xy=True,
    )
    return [shapely.transform(g, lambda xy: np.column_stack(t.transform(*xy.T))) for g in lines]


@st.composite
def wiggly_lines(draw):
    """A line heading roughly one way, 20-200 vertices 20-500 m apart, wandering either side."""
    n = draw(st.integers(3, 200))
    heading = draw(st.floats(0, 360))
    steps = draw(
        st.lists(st.tuples(st.floats(-60.0, 60.0), st.floats(20.0, 500.0)), min_size=n, max_size=n)
    )
    xy = [(LON, 18.0)]
    for turn, dist in steps:
        lon, lat, _ = GEOD.fwd(*xy[-1], heading + turn, dist)
        xy.append((float(lon), float(lat)))
    return shapely.LineString(xy)


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(wiggly_lines(), st.floats(1.0, 200.0))
def test_simplified_line_keeps_its_ends_and_stays_within_the_tolerance(line, tolerance_m):
    out = simplify_line(line, tolerance_m)
    xy, sxy = shapely.get_coordinates(line), shapely.get_coordinates(out)
    assert sxy[0].tolist() == np.round(xy[0], 5).tolist()
    assert sxy[-1].tolist() == np.round(xy[-1], 5).tolist()
    assert np.all(np.round(sxy, 5) == sxy)  # rounded to 5 decimals
    assert len(sxy) <= len(xy)
    orig_m, simple_m = local_xy([line, out], *xy[0])
    assert shapely.hausdorff_distance(orig_m, simple_m) <= tolerance_m + 1.0
    # shorter (chords), give or take the rounding of each vertex, and never below the chord
    assert km(sxy) <= km(xy) + 0.0015 * len(sxy)
    assert km(sxy) >= km([xy[0], xy[-1]]) - 0.0015


def test_simplifying_an_arc_loses_at_most_the_sagitta_share_of_its_length():
    # a quarter circle of radius 5 km, every 0.5°: a chord of sagitta h cuts h / 3R of its arc
    r_m, tol = 5000.0, 25.0
    lon, lat, _ = GEOD.fwd(
        np.full(181, LON), np.full(181, 18.0), np.linspace(0, 90, 181), np.full(181, r_m)
    )
    line = shapely.LineString(np.column_stack([lon, lat]))
    out = simplify_line(line, tol)
    assert 3 < len(out.coords) < 40
    assert km(out.coords) <= km(line.coords)
    assert km(out.coords) >= km(line.coords) * (1 - tol / (2 * r_m))


def test_zero_tolerance_keeps_every_vertex():
    rng = np.random.default_rng(7)
    lat = 18.0 + np.cumsum(rng.uniform(0.001, 0.01, 60))
    lon = LON + rng.uniform(-0.005, 0.005, 60)
    line = shapely.LineString(np.column_stack([lon, lat]))
    out = simplify_line(line, 0.0)
    assert (
        shapely.get_coordinates(out).tolist() == np.round(np.column_stack([lon, lat]), 5).tolist()
    )


def test_vertices_that_round_to_one_are_kept_once():
    line = shapely.LineString([(LON, 18.0), (LON + 1e-7, 18.0 + 1e-7), (LON, 18.1)])
    assert shapely.get_coordinates(simplify_line(line, 0.0)).tolist() == [[LON, 18.0], [LON, 18.1]]


@pytest.mark.parametrize("tolerance", [-1.0, float("nan"), float("inf")])
def test_a_bad_tolerance_is_an_error(tolerance):
    with pytest.raises(GeometryError, match="tolerance_m"):
        simplify_line(shapely.LineString([(LON, 18.0), (LON, 18.1)]), tolerance)


def test_an_empty_line_is_an_error():
    with pytest.raises(GeometryError, match="two vertices"):
        simplify_line(shapely.LineString(), 25.0)


# -- station yards -------------------------------------------------------------------------------
MAIN = shapely.LineString([(LON, 18.0 + 0.05 * i) for i in range(7)])  # 18.0 to 18.3, 33 km


def loop(lat0: float, lat1: float, offset_m: float) -> list[tuple[float, float]]:
    """A passing loop leaving the main line at lat0 and rejoining it at lat1, offset_m beside it
    (negative: west), symmetric about its middle."""
    d = (lat1 - lat0) * 0.1
    x = east((lat0 + lat1) / 2, offset_m)
    return [(LON, lat0), (x, lat0 + d), (x, lat1 - d), (LON, lat1)]


def siding(lat0: float, lat1: float, offset_m: float) -> list[tuple[float, float]]:
    """A straight track beside the line, offset_m to the east (negative: west)."""
    x = east((lat0 + lat1) / 2, offset_m)
    return [(x, lat0), (x, lat1)]


def tracks(*coords) -> gpd.GeoSeries:
    return gpd.GeoSeries([shapely.LineString(c) for c in coords], crs="EPSG:4326")


YARD_1 = [loop(18.040, 18.050, 30.0), loop(18.042, 18.048, -30.0)]  # centred on 18.045
YARD_2 = [loop(18.200, 18.212, 25.0)]  # centred on 18.206
CROSSOVER = siding(18.12, 18.1209, 15.0)  # 0.1 km
FAR = siding(18.25, 18.27, 1000.0)  # 1 km off the line


def test_two_clusters_of_sidings_are_two_yards_in_chainage_order():
    got = station_yards(MAIN, tracks(*YARD_2, FAR, CROSSOVER, *YARD_1))
    assert list(got.columns) == ["chainage_km", "start_km", "end_km", "track_km", "tracks"]
    assert len(got) == 2
    assert got["chainage_km"].tolist() == pytest.approx(
        [meridian_km(18.045), meridian_km(18.206)], abs=0.005
    )
    assert got["start_km"].tolist() == pytest.approx(
        [meridian_km(18.040), meridian_km(18.200)], abs=0.005
    )
    assert got["end_km"].tolist() == pytest.approx(
        [meridian_km(18.050), meridian_km(18.212)], abs=0.005
    )
    assert got["track_km"].tolist() == pytest.approx(
        [sum(km(t) for t in YARD_1), km(YARD_2[0])], abs=1e-6
    )
    assert got["tracks"].tolist() == [2, 1]
    assert (got["start_km"] <= got["chainage_km"]).all()
    assert (got["chainage_km"] <= got["end_km"]).all()


def test_a_lone_crossover_and_far_track_are_left_out_unless_asked_for():
    assert len(station_yards(MAIN, tracks(CROSSOVER))) == 0
    short = station_yards(MAIN, tracks(CROSSOVER), min_track_km=0.05)
    assert short["track_km"].tolist() == pytest.approx([km(CROSSOVER)], abs=1e-6)
    assert short["chainage_km"].tolist() == pytest.approx([meridian_km(18.12045)], abs=0.005)
    assert len(station_yards(MAIN, tracks(FAR))) == 0  # max_offset_km=0.3 by default
    wide = station_yards(MAIN, tracks(FAR), max_offset_km=2.0)
    assert wide["chainage_km"].tolist() == pytest.approx([meridian_km(18.26)], abs=0.005)


def test_merge_km_joins_or_splits_clusters():
    first, second = siding(18.100, 18.105, 30.0), siding(18.1077, 18.112, -30.0)
    apart = meridian_km(18.1077) - meridian_km(18.105)  # about 0.3 km of chainage between them
    assert 0.25 < apart < 0.35
    one = station_yards(MAIN, tracks(first, second), merge_km=0.5)
    assert one["tracks"].tolist() == [2]
    assert one["track_km"].tolist() == pytest.approx([km(first) + km(second)], abs=1e-6)
    mids = [meridian_km(18.1025), meridian_km(18.10985)]
    weights = [km(first), km(second)]
    assert one["chainage_km"].iloc[0] == pytest.approx(np.average(mids, weights=weights), abs=0.005)
    two = station_yards(MAIN, tracks(first, second), merge_km=0.1)
    assert two["tracks"].tolist() == [1, 1]
    assert two["chainage_km"].tolist() == pytest.approx(mids, abs=0.005)


def test_a_closed_balloon_loop_is_one_track_of_its_own():
    # a closed ring has no boundary points: it must neither vanish nor lend its ends to another
    ring = [
        (east(18.1, 30.0), 18.1), (east(18.1, 300.0), 18.1), (east(18.11, 300.0), 18.11),
        (east(18.11, 30.0), 18.11), (east(18.1, 30.0), 18.1),
    ]  # fmt: skip
    yard = loop(18.040, 18.050, 30.0)
    for order in ((ring, yard), (yard, ring)):
        got = station_yards(MAIN, tracks(*order), max_offset_km=0.5)
        assert got["track_km"].tolist() == pytest.approx([km(yard), km(ring)], abs=1e-6)
        assert got["start_km"].iloc[0] == pytest.approx(meridian_km(18.040), abs=0.005)
        assert got["end_km"].iloc[0] == pytest.approx(meridian_km(18.050), abs=0.005)
        assert (got["start_km"] <= got["chainage_km"]).all()
        assert (got["chainage_km"] <= got["end_km"]).all()
        assert meridian_km(18.1) - 0.005 <= got["start_km"].iloc[1]
        assert got["end_km"].iloc[1] <= meridian_km(18.11) + 0.005


def test_no_tracks_no_yards():
    empty = station_yards(MAIN, gpd.GeoSeries([], crs="EPSG:4326"))
    assert len(empty) == 0
    assert list(empty.columns) == ["chainage_km", "start_km", "end_km", "track_km", "tracks"]
