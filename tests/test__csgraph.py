"""SciPy-backed shortest paths against networkx's own Dijkstra, exactly."""

from __future__ import annotations

import gc
import itertools
import math
import sys
import weakref

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corridors
from corridors import _csgraph
from corridors._csgraph import WeightError, clear_cache, distance_matrix, shortest_path_nodes

GRAPH_TYPES = [nx.MultiDiGraph, nx.DiGraph, nx.Graph, nx.MultiGraph]

node_ids = st.lists(
    st.one_of(st.integers(-3, 40), st.text("abcxyz", min_size=1, max_size=3)),
    min_size=1,
    max_size=14,
    unique=True,
)
# zeros often, small integers (ties), arbitrary floats, huge and tiny values; None = no attribute
float_weights = st.one_of(
    st.just(0.0),
    st.integers(0, 5).map(float),
    st.floats(0, 1e3, allow_nan=False, allow_infinity=False),
    st.floats(0, 1e-300, allow_nan=False, allow_infinity=False),
)
int_weights = st.integers(0, 30)


@st.composite
def graphs(draw, weights=float_weights, types=GRAPH_TYPES, missing=True) -> nx.Graph:
    """A random graph of ``types`` with a ``length`` on (nearly) every edge."""
    nodes = draw(node_ids)
    G = draw(st.sampled_from(types))()
    G.add_nodes_from(nodes)
    n_edges = draw(st.integers(0, 3 * len(nodes)))
    for _ in range(n_edges):
        u, v = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        w = draw(st.one_of(st.none(), weights) if missing else weights)
        G.add_edge(u, v, **({} if w is None else {"length": w}))
    if n_edges and all("length" not in d for *_, d in G.edges(data=True)):
        u, v, *_ = next(iter(G.edges))
        G.add_edge(u, v, length=draw(weights))  # at least one edge has the attribute
    return G


def networkx_matrix(G, sources, targets, weight="length") -> np.ndarray:
    """What networkx's Dijkstra says, source by source, with inf where it found no path."""
    out = np.full((len(sources), len(targets)), np.inf)
    for i, s in enumerate(sources):
        found = nx.single_source_dijkstra_path_length(G, s, weight=weight)
        for j, t in enumerate(targets):
            if t in found:
                out[i, j] = found[t]
    return out


def assert_exactly_networkx(G, D, weight="length"):
    # Both libraries settle d[v] = min over in-edges of fl(d[u] + w), and fl(a + w) is monotone
    # in a, so d[v] is the smallest left-to-right float sum over all paths, whatever the
    # tie-breaking: equal to the last bit, ties and parallel edges included.
    expected = networkx_matrix(G, list(D.index), list(D.columns), weight)
    assert np.array_equal(D.to_numpy(), expected), (D.to_numpy(), expected)


# -- against networkx ------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(G=graphs(), data=st.data())
def test_random_graphs_match_networkx_exactly(G, data):
    nodes = list(G)
    sources = data.draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=len(nodes)))
    D = distance_matrix(G, sources)
    assert list(D.columns) == nodes
    assert list(D.index) == sources
    assert D.dtypes.eq(np.float64).all()
    assert_exactly_networkx(G, D)


@settings(max_examples=150, deadline=None)
@given(G=graphs(), data=st.data())
def test_graph_views_match_networkx_exactly(G, data):
    # views have no plain dicts inside: the conversion takes the general path through G.edges
    keep = data.draw(st.lists(st.sampled_from(list(G)), min_size=1, unique=True))
    H = G.subgraph(keep)
    if G.is_directed() and data.draw(st.booleans()):
        H = H.reverse(copy=False)
    edges = list(H.edges(data=True))
    if edges and all("length" not in d for *_, d in edges):
        with pytest.raises(corridors.UnknownIdError, match="edge attribute 'length'"):
            distance_matrix(H, list(H))
        return
    assert_exactly_networkx(H, distance_matrix(H, list(H)))


def test_a_view_follows_the_graph_it_shows():
    G = nx.MultiDiGraph()
    G.add_edge(1, 2, length=3.0)
    G.add_edge(2, 3, length=3.0)
    H = G.subgraph([1, 2, 3])
    assert distance_matrix(H, [1], [3]).iloc[0, 0] == 6.0
    G.add_edge(1, 3, length=1.0)
    assert distance_matrix(H, [1], [3]).iloc[0, 0] == 1.0
    R = G.reverse(copy=False)
    assert distance_matrix(R, [3], [1]).iloc[0, 0] == 1.0
    assert distance_matrix(R, [1], [3]).iloc[0, 0] == math.inf


@settings(max_examples=150, deadline=None)
@given(G=graphs(weights=int_weights), data=st.data())
def test_integer_weights_match_networkx_exactly(G, data):
    nodes = list(G)
    targets = data.draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=len(nodes)))
    D = distance_matrix(G, nodes, targets)
    assert list(D.columns) == targets
    assert_exactly_networkx(G, D)


@settings(max_examples=150, deadline=None)
@given(G=graphs(types=[nx.Graph, nx.MultiGraph]), integers=st.booleans())
def test_undirected_graphs_are_symmetric(G, integers):
    if integers:
        for *_, d in G.edges(data=True):
            if "length" in d:
                d["length"] = round(d["length"] * 10)
    D = distance_matrix(G, list(G)).to_numpy()
    assert (np.diag(D) == 0).all()
    if integers:
        assert np.array_equal(D, D.T)
    else:
        # float sums depend on their order: a path summed from either end may differ in the
        # last bit (networkx's too), so symmetry holds to rounding only
        assert np.allclose(D, D.T, rtol=1e-12, atol=0)
        assert np.array_equal(np.isinf(D), np.isinf(D.T))


@settings(max_examples=150, deadline=None)
@given(G=graphs(), data=st.data())
def test_shortest_path_nodes_costs_what_networkx_says(G, data):
    nodes = list(G)
    s, t = data.draw(st.sampled_from(nodes)), data.draw(st.sampled_from(nodes))
    try:
        expected = nx.dijkstra_path_length(G, s, t, weight="length")
    except nx.NetworkXNoPath:
        with pytest.raises(corridors.NoRouteError):
            shortest_path_nodes(G, s, t)
        return
    path = shortest_path_nodes(G, s, t, weight="length")
    assert path[0] == s
    assert path[-1] == t
    cost = 0.0
    for u, v in itertools.pairwise(path):
        data_uv = G.get_edge_data(u, v)
        if G.is_multigraph():
            cost += min(d.get("length", 1) for d in data_uv.values())
        else:
            cost += data_uv.get("length", 1)
    assert cost == expected
    assert distance_matrix(G, [s], [t]).iloc[0, 0] == expected


def test_parallel_edges_take_the_lightest_and_zero_weights_are_edges():
    G = nx.MultiDiGraph()
    G.add_edge(1, 2, length=5.0)
    G.add_edge(1, 2, length=0.0)  # an explicit zero: SciPy must keep it as an edge
    G.add_edge(1, 2, length=3.0)
    G.add_edge(2, "three", length=0.0)
    G.add_edge("three", 4, length=2.5)
    G.add_node("island")
    D = distance_matrix(G, [1, 4])
    assert D.loc[1].tolist() == [0.0, 0.0, 0.0, 2.5, math.inf]
    assert D.loc[4].tolist() == [math.inf, math.inf, math.inf, 0.0, math.inf]
    assert shortest_path_nodes(G, 1, 4) == [1, 2, "three", 4]
    assert_exactly_networkx(G, D)


def test_a_zero_weight_cycle_and_zero_undirected_edges():
    G = nx.Graph()
    G.add_edge("a", "b", length=0)
    G.add_edge("b", "c", length=0)
    G.add_edge("c", "a", length=0)
    G.add_edge("c", "d", length=1)
    D = distance_matrix(G, list(G))
    assert D.loc["a"].tolist() == [0, 0, 0, 1]
    assert D.loc["d"].tolist() == [1, 1, 1, 0]


def test_edges_without_the_attribute_cost_one_and_none_hides_an_edge():
    G = nx.DiGraph()
    G.add_edge("a", "b", length=10.0)
    G.add_edge("a", "c")  # no length: networkx's d.get(weight, 1)
    G.add_edge("c", "b", length=2.5)
    G.add_edge("b", "d", length=None)  # networkx skips an edge whose weight is None
    D = distance_matrix(G, ["a"])
    assert D.loc["a"].tolist() == [0.0, 3.5, 1.0, math.inf]
    assert_exactly_networkx(G, D)


def test_a_second_weight_and_travel_time():
    G = nx.MultiDiGraph()
    G.add_edge(1, 2, length=1000.0, travel_time=60.0)
    G.add_edge(1, 2, length=800.0, travel_time=90.0)
    assert distance_matrix(G, [1], [2]).iloc[0, 0] == 800.0
    assert distance_matrix(G, [1], [2], weight="travel_time").iloc[0, 0] == 60.0


def test_tuple_node_ids_stay_whole():
    G = nx.grid_2d_graph(3, 3)
    nx.set_edge_attributes(G, 1.0, "length")
    D = distance_matrix(G, [(0, 0)], [(2, 2), (0, 1)])
    assert list(D.columns) == [(2, 2), (0, 1)]
    assert D.loc[[(0, 0)]].to_numpy().tolist() == [[4.0, 1.0]]


def test_a_single_node_id_and_no_sources():
    G = nx.path_graph(["x", "y", "z"])
    nx.set_edge_attributes(G, 2.0, "length")
    assert distance_matrix(G, "x", "z").to_numpy().tolist() == [[4.0]]
    empty = distance_matrix(G, [])
    assert empty.shape == (0, 3)


def test_a_graph_without_edges():
    G = nx.DiGraph()
    G.add_nodes_from([1, 2])
    assert distance_matrix(G, [1, 2]).to_numpy().tolist() == [[0, math.inf], [math.inf, 0]]


def test_chunks_give_the_same_answer(monkeypatch):
    G = nx.gnm_random_graph(60, 200, seed=3, directed=True)
    rng = np.random.default_rng(3)
    for _, _, d in G.edges(data=True):
        d["length"] = float(rng.uniform(0, 10))
    whole = distance_matrix(G, list(G))
    monkeypatch.setattr(_csgraph, "_CHUNK_VALUES", 7 * 60)  # 7 rows per SciPy call
    pd.testing.assert_frame_equal(distance_matrix(G, list(G)), whole)
    pd.testing.assert_frame_equal(distance_matrix(G, list(G), [5, 1]), whole[[5, 1]])


def test_progress_bar(capsys):
    G = nx.path_graph(5)
    nx.set_edge_attributes(G, 1.0, "length")
    distance_matrix(G, [0, 1], progress=True)
    assert "distance_matrix" in capsys.readouterr().err
    distance_matrix(G, [0, 1])  # small: no bar
    assert capsys.readouterr().err == ""


# -- the cache ---------------------------------------------------------------------------------


def cached_matrix(G, weight="length"):
    return _csgraph._CACHE[G].matrices[weight]


def test_the_conversion_is_cached_per_weight():
    G = nx.MultiDiGraph()
    G.add_edge(1, 2, length=3.0, travel_time=1.0)
    distance_matrix(G, [1])
    first = cached_matrix(G)
    distance_matrix(G, [2])
    assert cached_matrix(G) is first
    distance_matrix(G, [1], weight="travel_time")
    assert cached_matrix(G) is first
    assert set(_csgraph._CACHE[G].matrices) == {"length", "travel_time"}
    assert "_corridors_csr" not in G.graph  # nothing leaks into GraphML or copies


def test_adding_an_edge_or_node_renews_the_cache():
    G = nx.MultiDiGraph()
    G.add_edge(1, 2, length=3.0)
    G.add_edge(2, 3, length=3.0)
    assert distance_matrix(G, [1], [3]).iloc[0, 0] == 6.0
    G.add_edge(1, 3, length=1.0)
    assert distance_matrix(G, [1], [3]).iloc[0, 0] == 1.0
    G.add_edge(1, 3, length=0.5)  # a parallel edge: the same (u, v) pairs, one more edge
    assert distance_matrix(G, [1], [3]).iloc[0, 0] == 0.5
    G.add_node(4)
    assert distance_matrix(G, [4]).loc[4].tolist() == [math.inf] * 3 + [0.0]
    G.remove_edge(1, 3)
    G.remove_edge(1, 3)
    assert distance_matrix(G, [1], [3]).iloc[0, 0] == 6.0


def test_edits_that_keep_the_counts_need_clear_cache():
    G = nx.DiGraph()
    G.add_edge("a", "b", length=3.0)
    assert distance_matrix(G, ["a"], ["b"]).iloc[0, 0] == 3.0
    G.edges["a", "b"]["length"] = 7.0
    assert distance_matrix(G, ["a"], ["b"]).iloc[0, 0] == 3.0  # stale, as documented
    clear_cache(G)
    assert distance_matrix(G, ["a"], ["b"]).iloc[0, 0] == 7.0
    G.edges["a", "b"]["length"] = 8.0
    clear_cache()
    assert distance_matrix(G, ["a"], ["b"]).iloc[0, 0] == 8.0
    clear_cache(nx.Graph())  # a graph never seen: nothing to do


def test_the_cache_lets_graphs_go():
    G = nx.path_graph(3)
    nx.set_edge_attributes(G, 1.0, "length")
    distance_matrix(G, [0])
    assert G in _csgraph._CACHE
    ref = weakref.ref(G)
    del G
    gc.collect()  # a graph's cached views make reference cycles
    assert ref() is None
    assert all(g is not None for g in _csgraph._CACHE)


# -- bad input ---------------------------------------------------------------------------------


@pytest.fixture
def towns() -> nx.MultiDiGraph:
    G = nx.MultiDiGraph()
    G.add_edge("Vientiane", "Vang Vieng", length=110_000.0)
    G.add_edge("Vang Vieng", "Luang Prabang", length=230_000.0)
    G.add_edge(42, "Vientiane", length=5_000.0)
    return G


def test_an_unknown_node_suggests_close_ones(towns):
    with pytest.raises(corridors.UnknownIdError, match="did you mean 'Vang Vieng'") as err:
        distance_matrix(towns, ["Vientiane"], ["Vang Veing"])
    assert isinstance(err.value, corridors.CorridorsError)
    assert isinstance(err.value, KeyError)
    with pytest.raises(corridors.UnknownIdError, match=r"unknown node '42'; did you mean 42\?"):
        distance_matrix(towns, ["42"])
    with pytest.raises(corridors.UnknownIdError, match="unknown node 'Pakse'; known: "):
        shortest_path_nodes(towns, "Pakse", "Vientiane")
    with pytest.raises(corridors.UnknownIdError, match=r"unknown node \[1\]"):
        distance_matrix(towns, [[1]])


def test_an_unknown_node_on_a_big_graph_is_reported_quickly():
    G = nx.path_graph(200_000, create_using=nx.DiGraph)
    nx.set_edge_attributes(G, 1.0, "length")
    with pytest.raises(corridors.UnknownIdError, match="did you mean 199999"):
        distance_matrix(G, ["1999999"], weight="length")


def test_negative_nan_and_non_numeric_weights_are_refused(towns):
    towns.add_edge("Luang Prabang", "Vientiane", length=-1.0)
    with pytest.raises(WeightError, match=r"'Luang Prabang', 'Vientiane'\).*negative") as err:
        distance_matrix(towns, ["Vientiane"])
    assert isinstance(err.value, corridors.CorridorsError)
    assert isinstance(err.value, ValueError)
    G = nx.Graph()
    G.add_edge(1, 2, length=float("nan"))
    with pytest.raises(WeightError, match="NaN"):
        distance_matrix(G, [1])
    G = nx.Graph()
    G.add_edge(1, 2, length="12.5")
    G.add_edge(2, 3, length=1.0)
    with pytest.raises(WeightError, match=r"not a number: '12\.5'"):
        distance_matrix(G, [1])
    with pytest.raises(WeightError, match="name of an edge attribute"):
        distance_matrix(G, [1], weight=lambda u, v, d: 1)


def test_a_weight_no_edge_has_is_refused_with_suggestions(towns):
    with pytest.raises(corridors.UnknownIdError, match="did you mean 'length'"):
        distance_matrix(towns, ["Vientiane"], weight="lenght")
    with pytest.raises(corridors.UnknownIdError, match="edge attribute 'travel_time'"):
        shortest_path_nodes(towns, "Vientiane", "Luang Prabang", weight="travel_time")


def test_no_path_raises_no_route_error(towns):
    with pytest.raises(corridors.NoRouteError, match="no path from 'Luang Prabang' to 42"):
        shortest_path_nodes(towns, "Luang Prabang", 42)
    assert shortest_path_nodes(towns, 42, 42) == [42]
    assert shortest_path_nodes(towns, 42, "Luang Prabang") == [
        42,
        "Vientiane",
        "Vang Vieng",
        "Luang Prabang",
    ]


# -- best paths: cost, nodes and the edges they run on ----------------------------------------


def hop_weights(G, u, v):
    """(position in G.edges, weight) of every edge u → v, in G.edges order (missing costs 1)."""
    if G.is_multigraph():
        listed = list(G.edges(keys=True, data="length", default=1))
    else:
        listed = list(G.edges(data="length", default=1))
    out = []
    for i, e in enumerate(listed):
        a, b, w = e[0], e[1], e[-1]
        if (a, b) == (u, v) or (not G.is_directed() and (b, a) == (u, v)):
            out.append((i, w))
    return out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(G=graphs(), data=st.data())
def test_best_path_costs_what_networkx_says_and_names_the_lightest_edges(G, data):
    nodes = list(G)
    sources = data.draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=4))
    targets = data.draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=4))
    reach = nx.multi_source_dijkstra_path_length(G, set(sources), weight="length")
    costs = [reach.get(t, math.inf) for t in targets]
    found = _csgraph.best_path(G, sources, targets, weight="length")
    if min(costs) == math.inf:
        assert found is None
        return
    assert found.cost == min(costs)
    assert found.nodes[0] in sources
    assert found.nodes[-1] == targets[costs.index(min(costs))]  # the first of equal targets
    assert len(found.edges) == len(found.nodes) - 1
    total = 0.0
    for (u, v), e in zip(itertools.pairwise(found.nodes), found.edges, strict=True):
        candidates = hop_weights(G, u, v)
        lightest = min(w for _, w in candidates)
        assert int(e) == next(i for i, w in candidates if w == lightest)
        total += lightest
    assert total == found.cost  # summed along the path, as Dijkstra does


def test_best_path_from_several_sources_to_several_targets():
    G = nx.MultiDiGraph()
    G.add_edge("a", "x", length=5.0)
    G.add_edge("b", "x", length=2.0)
    G.add_edge("x", "t1", length=4.0)
    G.add_edge("x", "t2", length=1.0, name="slow")
    G.add_edge("x", "t2", length=1.0, name="same weight, listed second")
    found = _csgraph.best_path(G, ["a", "b"], ["t1", "t2"])
    assert (found.cost, found.nodes) == (3.0, ["b", "x", "t2"])
    listed = list(G.edges(keys=True, data="name"))
    assert [listed[i][:3] for i in found.edges] == [("b", "x", 0), ("x", "t2", 0)]
    assert _csgraph.best_path(G, ["t1"], ["a"]) is None
    assert _csgraph.best_path(G, [], ["a"]) is None
    assert _csgraph.best_path(G, "x", "x").nodes == ["x"]


def test_best_path_follows_an_edit_and_reuses_the_cached_matrix():
    G = nx.MultiDiGraph()
    G.add_edge(1, 2, length=3.0)
    G.add_edge(2, 3, length=3.0)
    assert _csgraph.best_path(G, [1], [3]).nodes == [1, 2, 3]
    first = cached_matrix(G)
    _csgraph.best_path(G, [2], [3])
    distance_matrix(G, [1])
    assert cached_matrix(G) is first  # one conversion serves both
    G.add_edge(1, 3, length=1.0)
    found = _csgraph.best_path(G, [1], [3])
    assert found.nodes == [1, 3]
    assert list(G.edges(keys=True))[int(found.edges[0])] == (1, 3, 0)
    assert cached_matrix(G) is not first


def test_the_conversion_reads_only_the_public_graph_api():
    class Recorded(nx.MultiDiGraph):
        """A graph whose adjacency is read only through G.adjacency() and G.edges."""

        def __getattribute__(self, name):
            if (
                name in {"_adj", "_succ", "_pred", "_node"}
                and sys._getframe(1).f_globals.get("__name__") == "corridors._csgraph"
            ):
                raise AssertionError(f"corridors._csgraph read G.{name}")
            return super().__getattribute__(name)

    G = Recorded()
    G.add_edge("a", "b", length=2.0)
    G.add_edge("a", "b", length=1.0)
    G.add_edge("b", "c", length=1.0)
    assert distance_matrix(G, ["a"]).loc["a"].tolist() == [0.0, 1.0, 2.0]
    assert shortest_path_nodes(G, "a", "c") == ["a", "b", "c"]
