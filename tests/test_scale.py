"""corridors.scale on dask-geopandas: the same numbers as the in-memory functions.

On a LocalCluster of two worker processes (the boundaries scattered to both) and on dask's
threaded scheduler (the boundaries one ``dask.delayed`` in the graph), for random-walk lines in
1–4 partitions, some of which cross borders.

Chainages and lengths are compared to 1e-9 km (1 µm) as well as relatively: the in-memory split
takes them as differences of one running sum over the whole batch, so its own rounding grows with
the total length of the batch (about 1e-10 km for 20,000 lines) and a partition, being a smaller
batch, can differ from it in the last bits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corridors
from corridors import scale

dask_geopandas = pytest.importorskip("dask_geopandas")
distributed = pytest.importorskip("distributed")
gpd = pytest.importorskip("geopandas")

RTOL, ATOL = 1e-9, 1e-9  # km
FLOATS = ["start_km", "end_km", "length_km"]
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def client():
    """Two worker processes of one thread each; not the default client outside ``as_current``."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()


@st.composite
def random_walks(draw) -> tuple[gpd.GeoDataFrame, int]:
    """1–20 random-walk lines (steps ≤ 0.2°) starting in lon 97–108, lat 12–25, and a count of
    partitions; the index labels are shuffled and are not the row positions."""
    n = draw(st.integers(1, 20))
    step = st.floats(-0.2, 0.2)
    geoms = []
    for _ in range(n):
        start = (draw(st.floats(97, 108)), draw(st.floats(12, 25)))
        steps = draw(st.lists(st.tuples(step, step), min_size=1, max_size=12))
        xy = np.cumsum(np.vstack([start, steps]), axis=0)
        geoms.append(shapely.LineString(xy))
    labels = 100 + np.asarray(draw(st.permutations(range(n))))
    gdf = gpd.GeoDataFrame(
        {"name": [f"l{i}" for i in labels], "k": np.arange(n)},
        geometry=geoms,
        index=pd.Index(labels, name="id"),
        crs="EPSG:4326",
    )
    return gdf, draw(st.integers(1, 4))


def _sorted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.sort_values(by, kind="stable").reset_index(drop=True)


def assert_same(gdf: gpd.GeoDataFrame, npartitions: int) -> None:
    """Every scale function, computed, against the in-memory function on ``gdf``."""
    ddf = dask_geopandas.from_geopandas(gdf, npartitions=npartitions)

    lengths = scale.length_km(ddf)
    assert lengths.name == "length_km"
    got = lengths.compute()
    want = corridors.length_km(gdf)
    assert got.index.sort_values().equals(want.index.sort_values())
    np.testing.assert_allclose(got.loc[want.index], want, rtol=1e-9, atol=1e-12)

    pieces = scale.split_by_country(ddf)
    assert isinstance(pieces, dask_geopandas.GeoDataFrame)
    got = _sorted(pieces.compute(), ["line", "start_km"])
    want = _sorted(corridors.split_by_country(gdf), ["line", "start_km"])
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    assert (got["line"].to_numpy() == want["line"].to_numpy()).all()
    assert (got["iso3"].to_numpy() == want["iso3"].to_numpy()).all()
    assert (got["name"].to_numpy() == want["name"].to_numpy()).all()
    for col in FLOATS:
        assert np.allclose(got[col], want[col], rtol=RTOL, atol=ATOL), col
    assert got.geometry.geom_equals_exact(want.geometry, tolerance=1e-12).all()
    assert got.crs == want.crs

    crossings = scale.border_crossings(ddf)
    got = _sorted(crossings.compute(), ["line", "chainage_km"])
    want = _sorted(corridors.border_crossings(gdf), ["line", "chainage_km"])
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for col in ["line", "from_iso3", "to_iso3", "gate_id"]:
        assert (got[col].to_numpy() == want[col].to_numpy()).all(), col
    for col in ["chainage_km", "gate_distance_km"]:
        assert np.allclose(got[col], want[col], rtol=RTOL, atol=ATOL), col


@SETTINGS
@given(case=random_walks())
@pytest.mark.slow
def test_a_local_cluster_gives_the_in_memory_numbers(client, case):
    gdf, npartitions = case
    with client.as_current():
        assert_same(gdf, npartitions)


@SETTINGS
@given(case=random_walks())
def test_the_threaded_scheduler_gives_the_in_memory_numbers(case):
    gdf, npartitions = case
    assert_same(gdf, npartitions)


def lines(n: int = 300, seed: int = 3) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    start = np.column_stack([rng.uniform(97, 108, n), rng.uniform(12, 25, n)])
    walk = np.cumsum(rng.uniform(-0.2, 0.2, (n, 6, 2)), axis=1)
    geoms = shapely.linestrings(start[:, None, :] + walk)
    return gpd.GeoDataFrame({"k": np.arange(n)}, geometry=geoms, crs="EPSG:4326")


def test_rows_come_in_the_in_memory_order_with_the_in_memory_dtypes(client):
    ddf = dask_geopandas.from_geopandas(lines(), npartitions=4)
    with client.as_current():
        for func in (scale.split_by_country, scale.border_crossings):
            lazy = func(ddf)
            got = lazy.compute()
            want = getattr(corridors, func.__name__)(ddf.compute())
            assert lazy.dtypes.equals(want.dtypes)
            assert len(got) > 0
            pd.testing.assert_frame_equal(
                pd.DataFrame(got.drop(columns="geometry")).reset_index(drop=True),
                pd.DataFrame(want.drop(columns="geometry")),
                check_exact=False,
                rtol=RTOL,
                atol=ATOL,
            )


def test_the_boundaries_are_scattered_once_to_each_worker(client):
    ddf = dask_geopandas.from_geopandas(lines(50), npartitions=4)
    with client.as_current():
        before = set(client.who_has())
        pieces = scale.split_by_country(ddf)
        new = {k: v for k, v in client.who_has().items() if k not in before}
        assert len(new) == 1  # one scattered copy of the boundaries ...
        (holders,) = new.values()
        assert len(holders) == 2  # ... on both workers
        from distributed import get_task_stream

        with get_task_stream(client=client) as stream:
            pieces.compute()
        assert len({task["worker"] for task in stream.data}) == 2


def test_without_a_client_the_graph_holds_one_copy_of_the_boundaries():
    ddf = dask_geopandas.from_geopandas(lines(50), npartitions=4)
    graph = dict(scale.split_by_country(ddf).__dask_graph__())
    copies = [
        v
        for v in graph.values()
        if isinstance(getattr(v, "value", None), gpd.GeoDataFrame) and "iso3" in v.value.columns
    ]
    assert len(copies) == 1


def test_other_crs_own_boundaries_and_empty_partitions(two_countries):
    gdf = lines(200).to_crs("EPSG:3857")
    ddf = dask_geopandas.from_geopandas(gdf, npartitions=4)
    ddf = ddf[ddf["k"] >= 100]  # the first two partitions are now empty
    got = scale.split_by_country(ddf, two_countries).compute().reset_index(drop=True)
    want = corridors.split_by_country(gdf[gdf["k"] >= 100], two_countries)
    assert set(got["iso3"]) == {"AAA", "BBB"}
    pd.testing.assert_frame_equal(
        pd.DataFrame(got.drop(columns="geometry")),
        pd.DataFrame(want.drop(columns="geometry")),
        check_exact=False,
        rtol=RTOL,
        atol=ATOL,
    )
    km = scale.length_km(ddf).compute()
    pd.testing.assert_series_equal(km, corridors.length_km(gdf[gdf["k"] >= 100]), rtol=1e-12)
    crossings = scale.border_crossings(ddf, two_countries).compute()
    assert len(crossings) == len(corridors.border_crossings(gdf[gdf["k"] >= 100], two_countries))
    assert len(crossings) > 0


def test_a_dask_geoseries_is_taken_too():
    gs = lines(200).geometry
    ds = dask_geopandas.from_geopandas(gs, npartitions=3)
    pd.testing.assert_series_equal(scale.length_km(ds).compute(), corridors.length_km(gs))
    got = scale.split_by_country(ds).compute().reset_index(drop=True)
    want = corridors.split_by_country(gs)
    assert list(got.columns) == list(want.columns)
    assert (got["iso3"].to_numpy() == want["iso3"].to_numpy()).all()


@pytest.mark.parametrize("func", [scale.length_km, scale.split_by_country, scale.border_crossings])
def test_in_memory_input_is_refused_with_a_hint(func):
    gdf = lines(5)
    with pytest.raises(corridors.GeometryError, match=f"corridors.{func.__name__}"):
        func(gdf)
    with pytest.raises(corridors.GeometryError, match="dask_geopandas GeoDataFrame"):
        func(list(gdf.geometry))


@pytest.mark.parametrize("func", [scale.length_km, scale.split_by_country, scale.border_crossings])
def test_a_missing_crs_is_refused(func):
    ddf = dask_geopandas.from_geopandas(lines(5).set_crs(None, allow_override=True), npartitions=2)
    with pytest.raises(corridors.CRSError, match="no CRS"):
        func(ddf)


def test_bad_boundaries_and_gates_are_refused_before_computing(two_countries):
    ddf = dask_geopandas.from_geopandas(lines(5), npartitions=2)
    with pytest.raises(corridors.GeometryError, match="'country' column"):
        scale.split_by_country(ddf, two_countries, by="country")
    with pytest.raises(corridors.CRSError):
        scale.split_by_country(ddf, two_countries.set_crs(None, allow_override=True))
    with pytest.raises(corridors.CRSError, match="gates"):
        scale.border_crossings(
            ddf, gates=corridors.border_gates().set_crs(None, allow_override=True)
        )
