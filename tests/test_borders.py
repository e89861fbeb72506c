"""Splitting lines at borders and finding crossings."""

from __future__ import annotations

import gc
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import corridors
from corridors import borders


def test_a_line_across_two_countries(two_countries):
    line = shapely.LineString([(100, 20), (101, 20), (103, 20), (104, 20)])
    pieces = corridors.split_by_country(line, two_countries)
    assert pieces["iso3"].tolist() == ["AAA", "BBB"]
    assert pieces.crs.to_epsg() == 4326
    two = corridors.length_km(shapely.LineString([(100, 20), (101, 20), (102, 20)]))
    assert pieces["length_km"].iloc[0] == pytest.approx(two, rel=1e-9)
    assert pieces["start_km"].iloc[1] == pytest.approx(pieces["end_km"].iloc[0])
    crossings = corridors.border_crossings(line, two_countries, gates=_gates())
    assert crossings[["from_iso3", "to_iso3"]].values.tolist() == [["AAA", "BBB"]]
    assert crossings.geometry.iloc[0].x == pytest.approx(102)
    assert crossings["chainage_km"].iloc[0] == pytest.approx(two, rel=1e-9)
    assert crossings["gate_id"].iloc[0] == "g-ab"
    assert crossings["gate_distance_km"].iloc[0] == pytest.approx(
        corridors.length_km(shapely.LineString([(102, 20), (102, 20.5)])), rel=1e-9
    )


def _gates() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["g-ab", "g-other"], "name": ["A–B gate", "elsewhere"],
         "countries": [["AAA", "BBB"], ["AAA", "CCC"]]},
        geometry=[shapely.Point(102, 20.5), shapely.Point(102.001, 20.0)],
        crs="EPSG:4326",
    )  # fmt: skip


def test_back_and_forth_gives_ordered_pieces_and_crossings(two_countries):
    line = shapely.LineString([(101, 15), (103, 16), (101.5, 17), (103.5, 18)])
    pieces = corridors.split_by_country(line, two_countries)
    assert pieces["iso3"].tolist() == ["AAA", "BBB", "AAA", "BBB"]
    assert np.all(np.diff(pieces["start_km"]) > 0)
    # segments of ~250 km are cut where the lon/lat segment meets the border, a few hundred
    # metres off the geodesic's own crossing: the pieces then add up to within a few metres
    assert pieces["length_km"].sum() == pytest.approx(corridors.length_km(line), rel=1e-5)
    cr = corridors.border_crossings(line, two_countries, gates=_gates())
    assert cr["from_iso3"].tolist() == ["AAA", "BBB", "AAA"]
    assert np.all(np.diff(cr["chainage_km"]) > 0)


def test_many_lines_at_once_keep_their_labels_and_columns(two_countries):
    gdf = gpd.GeoDataFrame(
        {"name": ["west", "across", "east"]},
        index=["w", "x", "e"],
        geometry=[
            shapely.LineString([(95, 20), (96, 21)]),
            shapely.LineString([(101, 20), (103, 21)]),
            shapely.MultiLineString([[(105, 20), (106, 21)], [(107, 20), (108, 20)]]),
        ],
        crs="EPSG:4326",
    )
    pieces = corridors.split_by_country(gdf, two_countries)
    assert pieces["line"].tolist() == ["w", "x", "x", "e", "e"]
    assert pieces["name"].tolist() == ["west", "across", "across", "east", "east"]
    totals = pieces.groupby("line")["length_km"].sum()
    assert np.allclose(totals[["w", "x", "e"]], corridors.length_km(gdf)[["w", "x", "e"]])
    # the second part of the MultiLineString starts where the first part's length ends
    e = pieces[pieces["line"] == "e"]
    assert e["start_km"].iloc[1] == pytest.approx(e["length_km"].iloc[0])


def test_projected_input_is_reprojected(two_countries):
    line = gpd.GeoSeries([shapely.LineString([(101, 20), (103, 20)])], crs=4326)
    a = corridors.split_by_country(line, two_countries)
    b = corridors.split_by_country(line.to_crs("EPSG:3857"), two_countries.to_crs("EPSG:3857"))
    assert np.allclose(a["length_km"], b["length_km"], rtol=1e-6)


step = st.floats(-0.2, 0.2, allow_nan=False)
walks = st.tuples(
    st.floats(101, 103), st.floats(15, 25), st.lists(st.tuples(step, step), min_size=1, max_size=40)
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(walks)
def test_pieces_sum_to_the_whole_and_crossings_count_sign_changes(two_countries, walk):
    # Random walks with steps up to ~20 km, like real traced lines: the cut point found on the
    # lon/lat segment is then within millimetres of the geodesic one.
    x0, y0, steps = walk
    pts = np.cumsum(np.vstack([[x0, y0], steps]), axis=0)
    xs = pts[:, 0]
    assume(np.all(np.abs(xs - 102) > 1e-3))
    line = shapely.LineString(pts)
    assume(line.length > 0)
    pieces = corridors.split_by_country(line, two_countries)
    assert pieces["length_km"].sum() == pytest.approx(corridors.length_km(line), rel=5e-7)
    side = np.sign(xs - 102)
    expected = int(np.sum(side[1:] != side[:-1]))
    crossings = corridors.border_crossings(line, two_countries, gates=_gates())
    assert len(crossings) == expected
    assert np.all(np.diff(crossings["chainage_km"]) >= 0)


def test_bad_boundaries_are_refused(two_countries):
    line = shapely.LineString([(101, 20), (103, 20)])
    with pytest.raises(corridors.CRSError):
        corridors.split_by_country(line, two_countries.set_crs(None, allow_override=True))
    with pytest.raises(corridors.GeometryError, match="iso3"):
        corridors.split_by_country(line, two_countries.rename(columns={"iso3": "code"}))
    with pytest.raises(corridors.GeometryError, match="LineStrings"):
        corridors.split_by_country(shapely.Point(101, 20), two_countries)
    renamed = two_countries.rename(columns={"iso3": "c"})
    assert corridors.split_by_country(line, renamed, by="c")["iso3"].tolist() == ["AAA", "BBB"]


def test_a_line_that_retraces_itself_is_cut_on_both_passes(two_countries):
    line = shapely.LineString([(102.0625, 15), (101.9375, 15), (102.0625, 15)])
    pieces = corridors.split_by_country(line, two_countries)
    assert pieces["iso3"].tolist() == ["BBB", "AAA", "BBB"]
    assert pieces["length_km"].sum() == pytest.approx(corridors.length_km(line), rel=5e-7)
    assert len(corridors.border_crossings(line, two_countries, gates=_gates())) == 2


def test_a_closed_loop_keeps_both_crossings(two_countries):
    line = shapely.LineString(
        [(102.0625, 15), (102.0625, 14.875), (101.9375, 14.875), (102.0625, 15)]
    )
    cr = corridors.border_crossings(line, two_countries, gates=_gates())
    assert cr[["from_iso3", "to_iso3"]].values.tolist() == [["BBB", "AAA"], ["AAA", "BBB"]]


def test_a_line_starting_on_the_border_and_one_outside_every_country(two_countries):
    on = shapely.LineString([(102, 20), (101, 20)])
    assert corridors.split_by_country(on, two_countries)["iso3"].tolist() == ["AAA"]
    assert len(corridors.border_crossings(on, two_countries, gates=_gates())) == 0
    outside = shapely.LineString([(0, 0), (1, 1)])
    piece = corridors.split_by_country(outside, two_countries)
    assert piece[["iso3", "start_km"]].values.tolist() == [["outside", 0.0]]
    assert piece["length_km"].iloc[0] == pytest.approx(corridors.length_km(outside), rel=1e-12)
    assert piece.geometry.iloc[0].equals(outside)
    half_out = shapely.LineString([(101, 29), (101, 31)])
    pieces = corridors.split_by_country(half_out, two_countries)
    assert pieces["iso3"].tolist() == ["AAA", "outside"]
    to_edge = corridors.length_km(shapely.LineString([(101, 29), (101, 30)]))
    assert pieces["end_km"].iloc[0] == pytest.approx(to_edge, rel=1e-9)
    assert pieces["end_km"].iloc[1] == corridors.length_km(half_out)
    assert len(corridors.border_crossings(half_out, two_countries, gates=_gates())) == 0


def test_split_agrees_with_geopandas_overlay_on_the_real_borders():
    rng = np.random.default_rng(7)
    n = 400
    start = np.column_stack([rng.uniform(99, 108, n), rng.uniform(14, 24, n)])
    end = start + rng.uniform(-0.6, 0.6, (n, 2))
    mid = (start + end) / 2 + rng.uniform(-0.1, 0.1, (n, 2))
    lines = gpd.GeoDataFrame(
        {"n": np.arange(n)},
        geometry=shapely.linestrings(np.stack([start, mid, end], axis=1)),
        crs=4326,
    )
    countries = corridors.boundaries()[["iso3", "geometry"]]
    ours = corridors.split_by_country(lines, countries)
    ours = ours[ours["iso3"] != "outside"].groupby(["n", "iso3"])["length_km"].sum()
    theirs = gpd.overlay(lines, countries, how="intersection", keep_geom_type=True)
    theirs = pd.Series(
        corridors.length_km(theirs).to_numpy(),
        index=pd.MultiIndex.from_frame(theirs[["n", "iso3"]]),
    )
    theirs = theirs.groupby(level=[0, 1]).sum()
    assert set(ours.index) == set(theirs.index)
    assert np.allclose(ours.sort_index(), theirs.sort_index(), rtol=1e-6, atol=1e-6)
    assert (ours.groupby(level=0).size() > 1).sum() > 20  # many lines really cross a border


def _batch_with_bad_rows(n: int = 20_000) -> tuple[gpd.GeoSeries, dict[int, str]]:
    """``n`` short random lines over the region, four of them bad in different ways."""
    rng = np.random.default_rng(3)
    start = np.column_stack([rng.uniform(99, 108, n), rng.uniform(14, 24, n)])
    end = start + rng.uniform(-0.3, 0.3, (n, 2))
    geoms = shapely.linestrings(np.stack([start, end], axis=1))
    bad = {10: "missing", 20: "empty", 30: "one point twice", 40: "NaN coordinate"}
    geoms[10] = None
    geoms[20] = shapely.LineString()
    geoms[30] = shapely.LineString([(102.13, 19.89), (102.13, 19.89)])  # invalid for GEOS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # shapely warns on NaN coordinates
        geoms[40] = shapely.LineString([(102.6, 18.0), (np.nan, 18.5)])
    return gpd.GeoSeries(geoms, crs="EPSG:4326"), bad


def test_a_big_batch_with_bad_rows_finishes_and_leaves_the_good_rows_alone():
    lines, bad = _batch_with_bad_rows()
    good = lines.drop(index=list(bad))
    pieces = corridors.split_by_country(lines)
    want = corridors.split_by_country(good)
    got = pieces[~pieces["line"].isin(list(bad))].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        pd.DataFrame(got.drop(columns="geometry")), pd.DataFrame(want.drop(columns="geometry"))
    )
    # no pieces for a missing, empty or NaN row; the one-point line is Luang Prabang, Laos
    assert set(pieces["line"]) & set(bad) == {30}
    assert pieces.loc[pieces["line"] == 30, ["iso3", "length_km"]].values.tolist() == [["LAO", 0]]
    crossings = corridors.border_crossings(lines)
    assert not set(crossings["line"]) & set(bad)
    assert len(crossings) == len(corridors.border_crossings(good)) > 100


def test_the_border_index_is_built_once_per_boundaries_and_follows_changes(
    two_countries, monkeypatch
):
    built = []

    class Counting(borders._BorderIndex):
        def __init__(self, *args, **kwargs):
            built.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(borders, "_BorderIndex", Counting)
    b = two_countries.copy()
    line = shapely.LineString([(101, 20), (103, 20)])
    corridors.split_by_country(line, b)
    corridors.border_crossings(line, b, gates=_gates())
    corridors.split_by_country(gpd.GeoSeries([line, line], crs=4326), b)
    assert len(built) == 1
    # changed in place: the index follows the names and the polygons
    b.loc[0, "iso3"] = "ZZZ"
    assert corridors.split_by_country(line, b)["iso3"].tolist() == ["ZZZ", "BBB"]
    b.loc[1, "geometry"] = shapely.box(102.5, 10, 114, 30)
    pieces = corridors.split_by_country(line, b)
    assert pieces["iso3"].tolist() == ["ZZZ", "outside", "BBB"]  # a gap from 102 to 102.5
    assert pieces["start_km"].iloc[2] == pytest.approx(
        corridors.length_km(shapely.LineString([(101, 20), (102.5, 20)])), rel=1e-9
    )
    assert len(built) == 3
    # the cached index goes with its frame
    key = (id(b), "iso3")
    assert key in borders._CACHE
    del b
    gc.collect()
    assert key not in borders._CACHE


def test_a_check_builds_the_default_border_index_at_most_once(monkeypatch):
    built = []

    class Counting(borders._BorderIndex):
        def __init__(self, *args, **kwargs):
            built.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(borders, "_BorderIndex", Counting)
    borders._default_index.cache_clear()
    corridors.check("china-laos-railway")
    corridors.border_crossings(corridors.load("china-laos-railway"))
    assert len(built) == 1
    assert borders._index(None, "iso3") is borders._index(None, "iso3")
