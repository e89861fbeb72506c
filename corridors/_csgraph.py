"""Shortest-path distances on networkx graphs with SciPy's compiled Dijkstra.

Any networkx ``Graph``, ``DiGraph``, ``MultiGraph`` or ``MultiDiGraph`` in OSMnx's conventions
(edges with a numeric attribute such as ``length`` in metres or ``travel_time`` in seconds) is
turned once into a SciPy CSR matrix and handed to :func:`scipy.sparse.csgraph.dijkstra`. The
distances are *exactly* those of networkx's Dijkstra with ``weight=`` the attribute name:

* the cost of a hop ``(u, v)`` is the smallest weight among the parallel edges ``u → v``;
* an edge lacking the attribute costs 1 (networkx's ``d.get(weight, 1)``); one whose attribute
  is ``None`` is hidden, as networkx does, and so is one of infinite weight (networkx reports
  what lies beyond it at ``inf``, which is what the matrix says too);
* undirected graphs are read in both directions, as networkx reads them;
* zero-weight edges are edges: SciPy's csgraph routines take an explicit zero stored in a
  sparse matrix as an edge of weight 0 (only dense input reads 0 as "no edge"), and the CSR
  matrix here is built from its arrays, so no zero is ever dropped;
* both libraries settle ``d[v] = min over edges (u, v) of fl(d[u] + w)``, and ``fl(a + w)``
  grows with ``a``, so both return, for every node, the smallest left-to-right float64 sum
  over all paths, whatever the order in which they break ties: equal to the last bit.
  (Hence an undirected graph's matrix is symmetric only to rounding: a path summed from either
  end may differ in the last bit, in networkx as here.)

Two deliberate differences: a negative, NaN or non-numeric weight raises :class:`WeightError`
(networkx may return wrong distances), and a ``weight`` that no edge has raises
:class:`~corridors.errors.UnknownIdError` suggesting the attributes that exist (networkx
would silently count hops: ``"lenght"`` is a typo, not a request for hop counts).

The conversion reads the graph through its public API only: ``G.adjacency()`` for directed
graphs (whose neighbour dicts are walked with C-level ``map``), and ``G.edges(keys=True,
data=weight)`` for everything else (undirected graphs, views, subclasses). Every stored hop
remembers which edge gave its cost, as a position in ``list(G.edges(keys=True))`` (``G.edges``
for simple graphs), so that a path can be turned back into edges and their attributes
(:func:`best_path`, used by :func:`corridors.route`). Among parallel edges of equal weight the
first listed wins, as in ``min(G[u][v].values(), key=...)``.

The conversion is cached per graph and weight, for as long as the graph lives (not in
``G.graph``, so it never ends up in a GraphML file or in a copy of the graph). The cache entry
is keyed on the graph object and checked against a cheap fingerprint: its number of nodes and
of neighbour entries, counted in C from ``G.adjacency()``. Adding or removing a node or an edge
(a parallel one included) renews it on the next call; an edit that keeps both numbers (changing
a weight in place, moving an edge) is not seen: call :func:`clear_cache` after it. A graph view
(``G.subgraph(...)``, ``G.reverse(copy=False)``) is cached like a graph, with its own numbers,
renewed when what the view shows changes; counting and converting a view go through
``G.edges``, which is slower.

Examples
--------
>>> import networkx as nx
>>> G = nx.MultiDiGraph()
>>> G.add_edge("a", "b", length=2.0)
0
>>> G.add_edge("a", "b", length=1.5)
1
>>> G.add_edge("b", "c", length=0.0)
0
>>> distance_matrix(G, ["a", "c"])  # doctest: +NORMALIZE_WHITESPACE
target    a    b    c
source
a       0.0  1.5  1.5
c       inf  inf  0.0
>>> shortest_path_nodes(G, "a", "c")
['a', 'b', 'c']
"""

from __future__ import annotations

import difflib
import itertools
import math
import operator
import weakref
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from corridors.errors import NoRouteError, UnknownIdError, WeightError

__all__ = [
    "ShortestPath",
    "WeightError",
    "best_path",
    "clear_cache",
    "distance_matrix",
    "shortest_path_nodes",
]

# Rows of distances computed per call to SciPy: at most this many float64 values (32 MB) at once.
_CHUNK_VALUES = 1 << 22
# Work (sources × (nodes + edges)) above which progress=None shows a bar: about 1 s here.
_PROGRESS_WORK = 3e7
_MISSING = object()  # default for edges lacking the weight attribute, told apart from a real 1


class _UnknownNodeError(UnknownIdError):
    """An unknown node id, suggesting nodes whose text is close (``'42'`` for ``42``).

    Node ids may mix types (ints, strings, tuples), so suggestions are the node ids themselves
    and shown with their ``repr``; only the nodes whose text is close are compared, so that a
    typo on a graph of a million nodes is reported at once.
    """

    def __init__(self, key: Hashable, nodes: Iterable[Hashable]) -> None:
        nodes = list(nodes)
        self.what = "node"
        self.key = key
        self.known = nodes
        self.suggestions = _close_nodes(key, nodes)
        Exception.__init__(self, str(self))

    def __str__(self) -> str:
        msg = f"unknown node {self.key!r}"
        if self.suggestions:
            return f"{msg}; did you mean {' or '.join(repr(n) for n in self.suggestions)}?"
        if len(self.known) <= 12:
            return f"{msg}; known: {', '.join(repr(n) for n in self.known)}"
        return msg


def _close_nodes(key: Hashable, nodes: list[Hashable]) -> list[Hashable]:
    """Nodes written like ``key`` (``"42"`` for ``42``), else up to three close in text."""
    text = str(key)
    by_text: dict[str, Hashable] = {}
    for node in nodes:
        by_text.setdefault(str(node), node)
    if text in by_text:
        return [by_text[text]]
    return [by_text[t] for t in difflib.get_close_matches(text, by_text, n=3, cutoff=0.75)]


@dataclass(frozen=True)
class _Weighted:
    """One weight of a graph as SciPy sees it.

    ``matrix`` holds the cost of every hop ``u → v`` (the lightest parallel edge), rows sorted;
    ``edge[i]`` is the position, in ``list(G.edges(keys=True))`` (``G.edges`` for simple
    graphs), of the edge that gives the cost stored at ``matrix.data[i]``.
    """

    matrix: csr_array
    edge: NDArray[np.intp]


@dataclass
class _Converted:
    """A graph as SciPy sees it: node order, node → position, and one matrix per weight."""

    fingerprint: tuple[int, int]
    nodes: list[Hashable]
    position: dict[Hashable, int]
    matrices: dict[str, _Weighted] = field(default_factory=dict)


_CACHE: weakref.WeakKeyDictionary[nx.Graph, _Converted] = weakref.WeakKeyDictionary()


def clear_cache(G: nx.Graph | None = None) -> None:
    """Forget the cached SciPy form of ``G`` (of every graph when ``G`` is None).

    The cache notices added or removed nodes and edges by their number; call this after edits
    that keep both numbers, such as changing an edge's ``length`` in place.

    Parameters
    ----------
    G
        The graph whose conversion to drop; None drops them all.
    """
    if G is None:
        _CACHE.clear()
    else:
        _CACHE.pop(G, None)


def _fingerprint(G: nx.Graph) -> tuple[int, int]:
    """Number of nodes, and of neighbour entries (parallel edges counted), by the public API.

    The neighbour dicts that ``G.adjacency()`` yields are counted with C-level ``map`` (20 ms for
    360,000 edges; ``G.number_of_edges()`` takes 70 ms). An undirected graph counts each edge
    from both ends, which changes with every edit as well. A view's neighbours are not plain
    dicts: it is counted through ``len(G.edges)``.
    """
    nbrs = map(operator.itemgetter(1), G.adjacency())
    try:
        if G.is_multigraph():
            return len(G), sum(map(len, itertools.chain.from_iterable(map(dict.values, nbrs))))
        return len(G), sum(map(len, nbrs))
    except TypeError:  # dict.values on something else than a dict
        return len(G), len(G.edges)


def _converted(G: nx.Graph) -> _Converted:
    """The cached node order and positions of ``G``, renewed when its size changed."""
    fingerprint = _fingerprint(G)
    conv = _CACHE.get(G)
    if conv is None or conv.fingerprint != fingerprint:
        nodes = list(G)
        conv = _Converted(fingerprint, nodes, dict(zip(nodes, range(len(nodes)), strict=True)))
        _CACHE[G] = conv
    return conv


def _weighted(G: nx.Graph, conv: _Converted, weight: str) -> _Weighted:
    """The matrix of ``G`` for ``weight`` (cached): the lightest parallel edge per hop."""
    if not isinstance(weight, str):
        raise WeightError(f"weight must be the name of an edge attribute, not {weight!r}")
    found = conv.matrices.get(weight)
    if found is None:
        found = conv.matrices[weight] = _build(G, conv, weight)
    return found


def _build(G: nx.Graph, conv: _Converted, weight: str) -> _Weighted:
    n = len(conv.nodes)
    edges = _adjacency_edges(G, conv, weight) or _listed_edges(G, conv, weight)
    rows, cols = edges.rows, edges.cols
    weights = _weights(G, conv, weight, edges)
    edge = np.arange(len(weights))  # the position of every raw value in G.edges
    if edges.per_pair is not None and len(weights) > len(edges.per_pair):  # parallel edges
        starts = np.zeros(len(edges.per_pair), np.intp)
        np.cumsum(edges.per_pair[:-1], out=starts[1:])
        lightest = np.minimum.reduceat(weights, starts)
        # the first edge of each run that weighs its run's minimum (inf == inf counts)
        hits = np.flatnonzero(weights == np.repeat(lightest, edges.per_pair))
        run = np.repeat(np.arange(len(starts)), edges.per_pair)[hits]
        edge = hits[np.r_[True, run[1:] != run[:-1]]]
        weights = lightest
    if edges.mirror:  # undirected edges listed once: add the other direction
        rows, cols = np.concatenate([rows, cols]), np.concatenate([cols, rows])
        weights, edge = np.concatenate([weights, weights]), np.concatenate([edge, edge])
    if edges.duplicates:  # keep the lightest of each hop, the first listed among equals
        order = np.lexsort((edge, weights, cols, rows))
        rows, cols, weights, edge = rows[order], cols[order], weights[order], edge[order]
        first = np.ones(len(rows), bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        rows, cols, weights, edge = rows[first], cols[first], weights[first], edge[first]
    # an infinite (or hidden) edge leads nowhere Dijkstra can report as finite: leave it out
    finite = np.isfinite(weights)
    if not finite.all():
        rows, cols, weights, edge = rows[finite], cols[finite], weights[finite], edge[finite]
    if len(rows) and (rows[1:] < rows[:-1]).any():
        order = np.argsort(rows, kind="stable")
        rows, cols, weights, edge = rows[order], cols[order], weights[order], edge[order]
    itype = np.int32 if max(n, len(rows)) < 2**31 - 1 else np.int64
    indptr = np.zeros(n + 1, itype)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    # built from its arrays, so explicit zeros stay: SciPy's csgraph reads them as 0-cost edges
    matrix = csr_array((weights, cols.astype(itype), indptr), shape=(n, n))
    return _Weighted(matrix, edge)


@dataclass
class _Edges:
    """The edges of a graph as arrays of matrix positions, before any conversion of weights.

    ``raw`` holds one attribute value (or ``_MISSING``) per edge, in ``G.edges`` order;
    ``rows`` and ``cols`` one position per hop ``(u, v)``, which has ``per_pair`` parallel
    edges, consecutive in ``raw`` (None: one each). ``mirror``: undirected edges listed in one
    direction only; ``duplicates``: hops may repeat.
    """

    rows: NDArray[np.intp]
    cols: NDArray[np.intp]
    raw: list[Any]
    per_pair: NDArray[np.intp] | None = None
    mirror: bool = False
    duplicates: bool = False

    def hop(self, i: int) -> tuple[int, int]:
        """Positions of the ends of edge ``i`` of ``raw``."""
        if self.per_pair is not None:
            i = int(np.searchsorted(np.cumsum(self.per_pair), i, side="right"))
        return int(self.rows[i]), int(self.cols[i])


def _adjacency_edges(G: nx.Graph, conv: _Converted, weight: str) -> _Edges | None:
    """The edges of a directed graph from ``G.adjacency()``, with every loop in C.

    ``G.edges(data=...)`` runs a Python generator per edge; the neighbour dicts that
    ``G.adjacency()`` yields are walked with ``map`` and ``itertools.chain`` instead, 1.6x
    faster, in the same order as ``G.edges(keys=True)``. Returns None for undirected graphs
    (whose adjacency lists every edge twice, not in ``G.edges`` order) and for graphs whose
    adjacency is not plain dicts, such as views.
    """
    if not G.is_directed():
        return None
    position = conv.position.__getitem__
    get = operator.methodcaller("get", weight, _MISSING)
    try:
        adjacency = dict(G.adjacency())  # node -> its neighbours' dict, copied in C
        nbrs = list(adjacency.values())
        heads = np.fromiter(map(position, adjacency), np.intp, len(nbrs))
        degree = np.fromiter(map(len, nbrs), np.intp, len(nbrs))
        n_hops = int(degree.sum())
        inner = itertools.chain.from_iterable(map(dict.values, nbrs))
        cols = np.fromiter(map(position, itertools.chain.from_iterable(nbrs)), np.intp, n_hops)
        if G.is_multigraph():
            keydicts = list(inner)
            per_pair = np.fromiter(map(len, keydicts), np.intp, n_hops)
            raw = list(map(get, itertools.chain.from_iterable(map(dict.values, keydicts))))
        else:
            per_pair = None
            raw = list(map(get, inner))
    except TypeError:  # dict.values on something else than a dict
        return None
    return _Edges(np.repeat(heads, degree), cols, raw, per_pair)


def _listed_edges(G: nx.Graph, conv: _Converted, weight: str) -> _Edges:
    """The edges of any graph, view or subclass, through ``G.edges``: the general, slower way."""
    if G.is_multigraph():
        edges = [(u, v, w) for u, v, _, w in G.edges(keys=True, data=weight, default=_MISSING)]
    else:
        edges = list(iter(G.edges(data=weight, default=_MISSING)))
    position = conv.position.__getitem__
    rows = np.fromiter(map(position, (e[0] for e in edges)), np.intp, len(edges))
    cols = np.fromiter(map(position, (e[1] for e in edges)), np.intp, len(edges))
    raw = [e[2] for e in edges]
    return _Edges(rows, cols, raw, mirror=not G.is_directed(), duplicates=True)


def _weights(G: nx.Graph, conv: _Converted, weight: str, edges: _Edges) -> NDArray[np.float64]:
    """Float weights of ``edges.raw``, checked for Dijkstra: 1 where missing, inf where None."""
    raw = edges.raw
    try:
        values = np.array(raw)
    except (TypeError, ValueError):  # e.g. lists of different lengths
        values = np.zeros((0, 0))
    if values.ndim == 1 and values.dtype.kind in "biuf":  # every edge has a number: the usual case
        weights = values.astype(np.float64)
    else:  # some edges lack the attribute, have None, or a value that is not a number
        if raw and all(w is _MISSING for w in raw):
            raise UnknownIdError("edge attribute", weight, _edge_attributes(G))
        weights = np.ones(len(raw))
        for i, w in enumerate(raw):
            if w is None:  # networkx hides the edge
                weights[i] = np.inf
            elif w is not _MISSING:
                if isinstance(w, str | bytes) or not _is_real(w):
                    u, v = (conv.nodes[p] for p in edges.hop(i))
                    raise WeightError(
                        f"edge ({u!r}, {v!r}) has a {weight!r} that is not a number: {w!r}"
                    )
                weights[i] = float(w)
    bad = ~(weights >= 0)  # negative or NaN
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        u, v = (conv.nodes[p] for p in edges.hop(i))
        what = "NaN" if math.isnan(weights[i]) else "negative"
        raise WeightError(
            f"edge ({u!r}, {v!r}) has a {what} {weight!r} ({raw[i]!r}); Dijkstra needs weights "
            f">= 0 ({int(bad.sum())} such edges)"
        )
    return weights


def _is_real(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _edge_attributes(G: nx.Graph, sample: int = 1000) -> set[str]:
    """Names of the edge attributes found on the first ``sample`` edges."""
    names: set[str] = set()
    for _, _, data in itertools.islice(G.edges(data=True), sample):
        names.update(k for k in data if isinstance(k, str))
    return names


def _positions(conv: _Converted, nodes: Iterable[Hashable]) -> NDArray[np.intp]:
    """Positions of ``nodes`` in the matrix; an unknown node raises with close matches."""
    position = conv.position
    out = []
    for node in nodes:
        try:
            out.append(position[node])
        except (KeyError, TypeError):  # TypeError: an unhashable id such as a list
            raise _UnknownNodeError(node, conv.nodes) from None
    return np.asarray(out, dtype=np.intp)


def _as_list(nodes: Iterable[Hashable] | Hashable) -> list[Hashable]:
    """A list of node ids; a single string or non-iterable id is a list of one."""
    if isinstance(nodes, str | bytes) or not isinstance(nodes, Iterable):
        return [nodes]
    return list(nodes)


def distance_matrix(
    G: nx.Graph,
    sources: Iterable[Hashable] | Hashable,
    targets: Iterable[Hashable] | Hashable | None = None,
    weight: str = "length",
    *,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Shortest-path costs from each source to each target, exactly as networkx's Dijkstra.

    SciPy's Dijkstra runs from the sources, a chunk of them per call (at most 32 MB of
    distances at once), on a CSR matrix of ``G`` that is built once and cached (see
    :func:`clear_cache`): about 14 ms per source on a 90,000-node, 360,000-edge graph.

    Parameters
    ----------
    G
        A networkx ``Graph``, ``DiGraph``, ``MultiGraph`` or ``MultiDiGraph``, e.g. from OSMnx
        or :func:`corridors.network.build`.
    sources
        Node ids to measure from (a single string or non-iterable id is one source; a tuple is
        a sequence of ids).
    targets
        Node ids to measure to; default: every node of ``G``, in ``G``'s order.
    weight
        Name of the numeric edge attribute to minimise, such as ``"length"`` (m) or
        ``"travel_time"`` (s). Over parallel edges the smallest counts; an edge without it
        costs 1 and one where it is None is skipped, as in networkx.
    progress
        Show a tqdm progress bar over the sources; None shows one when the work is expected to
        take more than about a second (e.g. 70 sources on a 90,000-node street network).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``sources`` (named ``source``), one column per target (named ``target``),
        float costs; ``inf`` where the target cannot be reached.

    Raises
    ------
    UnknownIdError
        For a source or target that is not a node of ``G`` (suggesting close ids), or when no
        edge has the attribute ``weight`` (suggesting the attributes that exist).
    WeightError
        For a negative, NaN or non-numeric weight.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.Graph()
    >>> G.add_edge(1, 2, length=3.0)
    >>> G.add_edge(2, "x", length=4.0)
    >>> distance_matrix(G, [1], [2, "x"]).loc[1].tolist()
    [3.0, 7.0]
    """
    conv = _converted(G)
    source_ids = _as_list(sources)
    src = _positions(conv, source_ids)
    if targets is None:
        target_ids, tgt = conv.nodes, None
    else:
        target_ids = _as_list(targets)
        tgt = _positions(conv, target_ids)
    matrix = _weighted(G, conv, weight).matrix
    n = len(conv.nodes)
    out = np.empty((len(src), n if tgt is None else len(tgt)))
    step = max(1, _CHUNK_VALUES // max(n, 1))
    if progress is None:
        progress = len(src) * (n + matrix.nnz) > _PROGRESS_WORK
    bar = _progress_bar(len(src)) if progress else None
    try:
        for start in range(0, len(src), step):
            rows = src[start : start + step]
            dist = dijkstra(matrix, directed=True, indices=rows)
            out[start : start + len(rows)] = dist if tgt is None else dist[:, tgt]
            if bar is not None:
                bar.update(len(rows))
    finally:
        if bar is not None:
            bar.close()
    return pd.DataFrame(
        out,
        index=pd.Index(source_ids, name="source", tupleize_cols=False),
        columns=pd.Index(target_ids, name="target", tupleize_cols=False),
        copy=False,
    )


def _progress_bar(total: int) -> Any:
    from tqdm import tqdm  # imported on demand: most calls never show a bar

    return tqdm(total=total, desc="distance_matrix", unit="source")


def shortest_path_nodes(
    G: nx.Graph, source: Hashable, target: Hashable, weight: str = "length"
) -> list[Hashable]:
    """The nodes of one shortest path from ``source`` to ``target``.

    Its cost equals networkx's ``dijkstra_path_length`` exactly; among paths of equal cost the
    one chosen may differ from networkx's. A target reached only through an edge of infinite
    weight counts as unreachable.

    Parameters
    ----------
    G
        A networkx (Multi)(Di)Graph, as for :func:`distance_matrix`.
    source
        Node id to start from.
    target
        Node id to reach.
    weight
        Name of the numeric edge attribute to minimise, as for :func:`distance_matrix`.

    Returns
    -------
    list
        Node ids from ``source`` to ``target``, both included (``[source]`` when they are the
        same node).

    Raises
    ------
    NoRouteError
        When ``target`` cannot be reached from ``source``.
    UnknownIdError
        For an unknown node or an attribute that no edge has.
    WeightError
        For a negative, NaN or non-numeric weight.
    """
    found = best_path(G, [source], [target], weight)
    if found is None:
        raise NoRouteError(f"no path from {source!r} to {target!r} by {weight!r}")
    return found.nodes


@dataclass(frozen=True)
class ShortestPath:
    """One cheapest path, from :func:`best_path`.

    Attributes
    ----------
    cost
        Its cost, the sum of its edges' weights.
    nodes
        Its node ids, first to last.
    edges
        Its edges, one per hop, as positions in ``list(G.edges(keys=True))`` (``G.edges`` for
        simple graphs): the lightest of each hop's parallel edges, the first listed among equals.
    """

    cost: float
    nodes: list[Hashable]
    edges: NDArray[np.intp]


def best_path(
    G: nx.Graph,
    sources: Iterable[Hashable] | Hashable,
    targets: Iterable[Hashable] | Hashable,
    weight: str = "length",
) -> ShortestPath | None:
    """The cheapest path from any of ``sources`` to any of ``targets``; None when none exists.

    One SciPy Dijkstra runs from every source at once (``min_only=True``), so its cost is
    exactly that of networkx's ``multi_source_dijkstra`` to the cheapest target. Among targets
    of equal cost the first listed wins; among paths of equal cost the one chosen may differ
    from networkx's.

    Parameters
    ----------
    G
        A networkx (Multi)(Di)Graph, as for :func:`distance_matrix`.
    sources, targets
        Node ids to start from and to reach (a single string or non-iterable id is one).
    weight
        Name of the numeric edge attribute to minimise, as for :func:`distance_matrix`.

    Returns
    -------
    ShortestPath or None
        The path, or None when no target can be reached (or either list is empty).

    Raises
    ------
    UnknownIdError
        For an unknown node or an attribute that no edge has.
    WeightError
        For a negative, NaN or non-numeric weight.
    """
    conv = _converted(G)
    src = _positions(conv, _as_list(sources))
    tgt = _positions(conv, _as_list(targets))
    found = _weighted(G, conv, weight)
    if len(src) == 0 or len(tgt) == 0:
        return None
    dist, pred, _ = dijkstra(
        found.matrix,
        directed=True,
        indices=np.unique(src),
        return_predecessors=True,
        min_only=True,
    )
    costs = dist[tgt]
    best = int(np.argmin(costs))
    if not np.isfinite(costs[best]):
        return None
    path = [int(tgt[best])]
    while pred[path[-1]] >= 0:  # back to the source it was reached from (-9999)
        path.append(int(pred[path[-1]]))
    hops = np.asarray(path[::-1], dtype=np.intp)
    entries = _entries(found.matrix, hops[:-1], hops[1:])
    return ShortestPath(float(costs[best]), [conv.nodes[p] for p in hops], found.edge[entries])


def _entries(matrix: csr_array, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray[np.intp]:
    """Positions in ``matrix.data`` of the hops ``rows[i] → cols[i]``, all stored, in order.

    Each hop's row is scanned at once: the stored columns of every row, side by side, compared
    with the column wanted (a matrix holds each hop once, so exactly one matches per hop).
    """
    starts = matrix.indptr[rows].astype(np.intp)
    counts = matrix.indptr[rows + 1] - starts
    first = np.repeat(starts - np.cumsum(counts) + counts, counts)
    candidates = first + np.arange(int(counts.sum()))
    return candidates[matrix.indices[candidates] == np.repeat(cols, counts)]
