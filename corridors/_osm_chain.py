"""Assemble OpenStreetMap ways into one line: chaining, gaps, simplification and station yards.

This is the library code behind ``geodata/tools/build_railways.py`` and the public
:func:`corridors.osm.chain_ways`, :func:`corridors.osm.simplify_line` and
:func:`corridors.osm.station_yards`.

* **Chaining.** Every vertex of every way is a node of one graph (ways that share an OSM node share
  its coordinates); every pair of consecutive vertices is an edge, measured on the ellipsoid in one
  PROJ call. Main-line ways cost their length, other track (sidings, yards, spurs, unnamed track)
  ``side_factor`` times it, so it is used only where the main line has a hole; where no track at
  all joins two pieces, a straight *gap* edge joins each loose way end to the nearest node of every
  other piece within ``max_gap_km`` and costs ``gap_factor`` times its length. The line is the
  shortest path (SciPy's Dijkstra on a sparse graph) through the anchors, in order. Every gap the
  path bridges is reported with where it is and how long it is, never silently.
* **Simplification** runs in an azimuthal equidistant projection centred on the line, where a
  tolerance in metres means metres everywhere along a 1,000 km line (the scale error 500 km from
  the centre is about 0.05 %).
* **Station yards** are clusters of non-main track beside the main line: sidings, passing loops and
  freight tracks. Each cluster's centre (the length-weighted mean chainage of its tracks) is a
  station position on the line.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from corridors._coerce import WGS84
from corridors.errors import GeometryError
from corridors.geodesy import chainage_km, lengths_km_array, segment_lengths_m

__all__ = ["Chain", "Gap", "chain_ways", "simplify_line", "station_yards"]

_MAIN, _SIDE, _GAP = 1, 2, 3
#: Coordinates equal to 1e-7° (about 1 cm, OSM's own precision) are one node.
_GRID = 1e7


@dataclass(frozen=True)
class Gap:
    """A stretch of a chained line that no mapped track covers, bridged straight."""

    start_km: float
    length_km: float
    start: tuple[float, float]
    end: tuple[float, float]

    @property
    def end_km(self) -> float:
        """Chainage of the far end of the gap, km."""
        return self.start_km + self.length_km

    def to_dict(self, error_km: float | None = None) -> dict[str, object]:
        """The gap as plain JSON-ready values, rounded to 10 m (positions to 1e-5°)."""
        out: dict[str, object] = {
            "start_km": round(self.start_km, 2),
            "end_km": round(self.end_km, 2),
            "length_km": round(self.length_km, 2),
            "start": [round(self.start[0], 5), round(self.start[1], 5)],
            "end": [round(self.end[0], 5), round(self.end[1], 5)],
        }
        if error_km is not None:
            out["error_km"] = error_km
        return out


@dataclass(frozen=True, eq=False)
class Chain:
    """The result of :func:`chain_ways`: one line through the anchors and how it was made."""

    line: shapely.LineString
    length_km: float
    gaps: tuple[Gap, ...]
    #: Gaps of at most ``min_gap_km``: joins between ways whose ends do not quite touch.
    joins: int
    #: km of the line on track that is not main line (``side`` ways).
    side_km: float
    #: OSM ids of the ways the line runs on, in order (each once).
    osm_ids: tuple[int, ...]
    #: Distance from each anchor to the node it was snapped to, km.
    anchor_snap_km: tuple[float, ...] = field(default=())
    #: Geodesic chainage of every vertex of ``line``, km.
    vertex_km: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    #: Chainage of each anchor along ``line``, km.
    anchor_km: tuple[float, ...] = field(default=())
    #: For every step from vertex i to i + 1, the row of ``ways`` it runs on (-1: a gap).
    step_way: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def gap_km(self) -> float:
        """Total length of the reported gaps, km."""
        return float(sum(g.length_km for g in self.gaps))


def _aeqd(lon0: float, lat0: float) -> pyproj.Transformer:
    crs = pyproj.CRS.from_proj4(
        f"+proj=aeqd +lat_0={lat0:.6f} +lon_0={lon0:.6f} +ellps=WGS84 +units=m +no_defs"
    )
    return pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)


def _centre(coords: NDArray[np.float64]) -> tuple[float, float]:
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    return float((lo[0] + hi[0]) / 2), float((lo[1] + hi[1]) / 2)


def chain_ways(
    ways: gpd.GeoSeries | gpd.GeoDataFrame,
    anchors: Sequence[tuple[float, float]],
    *,
    main: Sequence[bool] | NDArray[np.bool_] | pd.Series | None = None,
    osm_ids: Sequence[int] | NDArray[np.int64] | pd.Series | None = None,
    side_factor: float = 1.5,
    gap_factor: float = 3.0,
    max_gap_km: float = 15.0,
    min_gap_km: float = 0.1,
    max_snap_km: float = 2.0,
) -> Chain:
    """Chain OSM ways into one line through ``anchors`` by a shortest path over the way graph.

    Parameters
    ----------
    ways
        LineStrings in EPSG:4326 (a GeoDataFrame's geometry is used; its ``osm_id`` column is
        taken when ``osm_ids`` is not given).
    anchors
        ``(lon, lat)`` points the line must pass, in order: at least the two ends. Each is snapped
        to the nearest vertex of any way.
    main
        Which ways are main line (default: all). Other ways cost ``side_factor`` times their
        length, so the line uses them only to get round a hole in the main line.
    osm_ids
        Way ids to report in :attr:`Chain.osm_ids`.
    side_factor, gap_factor
        Cost per km of non-main track and of a straight gap, relative to main-line track.
    max_gap_km
        Longest straight gap considered.
    min_gap_km
        Gaps up to this length are counted as :attr:`Chain.joins`, not reported one by one.
    max_snap_km
        An anchor farther than this from every way is an error.

    Returns
    -------
    Chain
        ``line`` (the chained LineString, unsimplified), ``length_km``, ``gaps`` (each with its
        chainage, length and end points), ``joins``, ``side_km``, ``osm_ids`` and
        ``anchor_snap_km``.

    Raises
    ------
    GeometryError
        No ways, fewer than two anchors, an anchor too far from the ways, anchors that all snap
        to one vertex, or anchors that no path joins (even across gaps of ``max_gap_km``).

    Examples
    --------
    >>> import shapely
    >>> a = shapely.LineString([(102.0, 18.0), (102.0, 18.1)])
    >>> b = shapely.LineString([(102.0, 18.102), (102.0, 18.2)])  # 220 m hole
    >>> chain = chain_ways(gpd.GeoSeries([a, b], crs="EPSG:4326"), [(102.0, 18.0), (102.0, 18.2)])
    >>> round(chain.length_km, 1), [round(g.length_km, 2) for g in chain.gaps]
    (22.1, [0.22])
    """
    if isinstance(ways, gpd.GeoDataFrame):
        if osm_ids is None and "osm_id" in ways.columns:
            osm_ids = ways["osm_id"].to_numpy()
        geoms = ways.geometry
    else:
        geoms = ways
    if geoms.crs is None or not pyproj.CRS(geoms.crs).equals(pyproj.CRS(WGS84)):
        raise GeometryError("chain_ways needs ways in EPSG:4326 (lon/lat)")
    arr = shapely.get_parts(np.asarray(geoms.values, dtype=object))
    if len(arr) == 0:
        raise GeometryError("chain_ways: no ways to chain")
    if len(anchors) < 2:
        raise GeometryError("chain_ways needs at least two anchors (the ends of the line)")
    owner_of_part = shapely.get_parts(np.asarray(geoms.values, dtype=object), return_index=True)[1]
    is_main = (np.ones(len(geoms), bool) if main is None else np.asarray(main, dtype=bool))[
        owner_of_part
    ]
    ids = (
        np.arange(len(geoms), dtype=np.int64)
        if osm_ids is None
        else np.asarray(osm_ids, dtype=np.int64)
    )[owner_of_part]

    coords, vowner = shapely.get_coordinates(arr, return_index=True)
    keys = np.round(coords * _GRID).astype(np.int64)
    _, first, node_of = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    node_of = node_of.ravel()
    nodes = coords[first]
    n = len(nodes)

    seg = np.flatnonzero(vowner[1:] == vowner[:-1])
    u, v = node_of[seg], node_of[seg + 1]
    keep = u != v
    seg, u, v = seg[keep], u[keep], v[keep]
    length_m = segment_lengths_m(coords, seg)
    way = vowner[seg]
    kind = np.where(is_main[way], _MAIN, _SIDE)
    cost = length_m * np.where(kind == _MAIN, 1.0, side_factor)

    # Straight gap edges: from every loose way end to the nearest node of each other piece.
    lon0, lat0 = _centre(nodes)
    fwd = _aeqd(lon0, lat0)
    xy = np.column_stack(fwd.transform(nodes[:, 0], nodes[:, 1]))
    real = sparse.coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    _, comp = csgraph.connected_components(real, directed=False)
    degree = np.bincount(np.concatenate([u, v]), minlength=n)
    loose = np.flatnonzero(degree <= 1)
    tree = cKDTree(xy)
    gu, gv = _gap_candidates(tree, xy, loose, comp, max_gap_km * 1000.0)
    if len(gu):
        _, _, gap_m = pyproj.Geod(ellps="WGS84").inv(
            nodes[gu, 0], nodes[gu, 1], nodes[gv, 0], nodes[gv, 1]
        )
        gap_m = np.asarray(gap_m)
    else:
        gap_m = np.zeros(0)

    all_u = np.concatenate([u, gu])
    all_v = np.concatenate([v, gv])
    all_cost = np.concatenate([cost, gap_m * gap_factor])
    all_len = np.concatenate([length_m, gap_m])
    all_kind = np.concatenate([kind, np.full(len(gu), _GAP)])
    row_of_part = np.asarray(owner_of_part, dtype=np.int64)
    all_way = np.concatenate([way, np.full(len(gu), -1)])
    # Undirected, and where two edges join the same nodes the cheapest wins.
    a = np.concatenate([all_u, all_v])
    b = np.concatenate([all_v, all_u])
    c = np.concatenate([all_cost, all_cost])
    e = np.concatenate([np.arange(len(all_u))] * 2)
    order = np.lexsort((c, b, a))
    a, b, c, e = a[order], b[order], c[order], e[order]
    firsts = np.ones(len(a), bool)
    firsts[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    a, b, c, e = a[firsts], b[firsts], c[firsts], e[firsts]
    # Zero-cost edges would vanish from a sparse matrix: give them a floor of 1 mm.
    graph = sparse.csr_matrix((np.maximum(c, 1e-3), (a, b)), shape=(n, n))
    edge_of = sparse.csr_matrix((e + 1, (a, b)), shape=(n, n))

    anchor_xy = np.column_stack(fwd.transform([p[0] for p in anchors], [p[1] for p in anchors]))
    snap_m, anchor_node = tree.query(anchor_xy)
    for i, d in enumerate(snap_m):
        if d > max_snap_km * 1000.0:
            lon, lat = anchors[i]
            raise GeometryError(
                f"anchor {i + 1} ({lon:.5f}, {lat:.5f}) is {d / 1000:.2f} km from the nearest "
                f"way (more than {max_snap_km} km)"
            )

    if len(set(anchor_node.tolist())) == 1:
        raise GeometryError(
            f"every anchor snaps to the same vertex ({nodes[anchor_node[0], 0]:.5f}, "
            f"{nodes[anchor_node[0], 1]:.5f}): the line would have no length"
        )
    path: list[int] = [int(anchor_node[0])]
    anchor_at = [0]
    for s, t in itertools.pairwise(anchor_node):
        _, pred = csgraph.dijkstra(graph, directed=True, indices=int(s), return_predecessors=True)
        if s != t and pred[t] < 0:
            raise GeometryError(
                f"no path joins anchor ({nodes[s, 0]:.5f}, {nodes[s, 1]:.5f}) to "
                f"({nodes[t, 0]:.5f}, {nodes[t, 1]:.5f}), even across gaps of {max_gap_km} km"
            )
        leg = [int(t)]
        while leg[-1] != s:
            leg.append(int(pred[leg[-1]]))
        path.extend(reversed(leg[:-1]))
        anchor_at.append(len(path) - 1)

    p = np.asarray(path)
    edges = np.asarray(edge_of[p[:-1], p[1:]]).ravel() - 1
    step_kind = all_kind[edges]
    step_len = all_len[edges] / 1000.0
    chain_at = np.concatenate([[0.0], np.cumsum(step_len)])
    is_gap = step_kind == _GAP
    long_gap = is_gap & (step_len > min_gap_km)
    gaps = tuple(
        Gap(
            start_km=float(chain_at[i]),
            length_km=float(step_len[i]),
            start=(float(nodes[p[i], 0]), float(nodes[p[i], 1])),
            end=(float(nodes[p[i + 1], 0]), float(nodes[p[i + 1], 1])),
        )
        for i in np.flatnonzero(long_gap)
    )
    way_seq = all_way[edges]
    way_seq = way_seq[way_seq >= 0]
    run_start = np.ones(len(way_seq), bool)
    run_start[1:] = way_seq[1:] != way_seq[:-1]
    _, first_seen = np.unique(ids[way_seq[run_start]], return_index=True)
    used = ids[way_seq[run_start]][np.sort(first_seen)]
    line = shapely.LineString(nodes[p])
    return Chain(
        line=line,
        length_km=float(chain_at[-1]),
        gaps=gaps,
        joins=int((is_gap & ~long_gap).sum()),
        side_km=float(step_len[step_kind == _SIDE].sum()),
        osm_ids=tuple(int(x) for x in used),
        anchor_snap_km=tuple(float(x) / 1000.0 for x in snap_m),
        anchor_km=tuple(float(chain_at[i]) for i in anchor_at),
        vertex_km=chain_at,
        step_way=np.where(all_way[edges] >= 0, row_of_part[np.maximum(all_way[edges], 0)], -1),
    )


def _gap_candidates(
    tree: cKDTree,
    xy: NDArray[np.float64],
    loose: NDArray[np.intp],
    comp: NDArray[np.int32],
    radius_m: float,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """For each loose end, the nearest node of every other connected piece within the radius."""
    if len(loose) == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    loose_tree = cKDTree(xy[loose])
    pairs = loose_tree.sparse_distance_matrix(tree, radius_m, output_type="ndarray")
    i = loose[pairs["i"]]
    j = pairs["j"].astype(np.intp)
    d = pairs["v"]
    other = comp[i] != comp[j]
    i, j, d = i[other], j[other], d[other]
    order = np.lexsort((d, comp[j], i))
    i, j = i[order], j[order]
    first = np.ones(len(i), bool)
    first[1:] = (i[1:] != i[:-1]) | (comp[j][1:] != comp[j][:-1])
    return i[first], j[first]


def simplify_line(line: shapely.LineString, tolerance_m: float = 25.0) -> shapely.LineString:
    """Simplify a lon/lat line by Douglas–Peucker in metres, rounding to 5 decimals (about 1 m).

    The line is projected to an azimuthal equidistant projection centred on it, simplified there
    with :func:`shapely.simplify` and projected back; both end points are kept exactly.

    Examples
    --------
    >>> wiggle = shapely.LineString([(102.0, 18.0), (102.0001, 18.05), (102.0, 18.1)])
    >>> len(simplify_line(wiggle, 25.0).coords)  # the 10 m wiggle goes
    2
    """
    if tolerance_m < 0 or not np.isfinite(tolerance_m):
        raise GeometryError(f"tolerance_m must be a finite number >= 0, got {tolerance_m!r}")
    coords = shapely.get_coordinates(line)
    if len(coords) < 2:
        raise GeometryError("simplify_line needs a line of at least two vertices")
    lon0, lat0 = _centre(coords)
    fwd = _aeqd(lon0, lat0)
    x, y = fwd.transform(coords[:, 0], coords[:, 1])
    simple = shapely.simplify(shapely.LineString(np.column_stack([x, y])), tolerance_m)
    sx, sy = shapely.get_coordinates(simple).T
    lon, lat = fwd.transform(sx, sy, direction=pyproj.enums.TransformDirection.INVERSE)
    out = np.round(np.column_stack([lon, lat]), 5)
    out[0], out[-1] = np.round(coords[0], 5), np.round(coords[-1], 5)
    keep = np.ones(len(out), bool)
    keep[1:] = (out[1:] != out[:-1]).any(axis=1)
    return shapely.LineString(out[keep])


def station_yards(
    line: shapely.LineString,
    tracks: gpd.GeoSeries,
    *,
    max_offset_km: float = 0.3,
    merge_km: float = 0.5,
    min_track_km: float = 0.4,
) -> pd.DataFrame:
    """Find station yards: clusters of non-main track lying beside a main line.

    Parameters
    ----------
    line
        The main line (lon/lat).
    tracks
        Other track in EPSG:4326: sidings, loops, yards (main-line ways left out).
    max_offset_km
        A track counts when its middle lies this close to the line.
    merge_km
        Tracks whose stretches of chainage come closer than this are one yard.
    min_track_km
        Yards with less track than this are left out (a lone crossover is not a station).

    Returns
    -------
    pandas.DataFrame
        One row per yard, in chainage order: ``chainage_km`` (the length-weighted mean of its
        tracks' middles), ``start_km``, ``end_km``, ``track_km`` (length of its tracks),
        ``tracks`` (how many).

    Examples
    --------
    >>> main = shapely.LineString([(102.0, 18.0), (102.0, 18.2)])
    >>> loop = shapely.LineString([(102.0, 18.1), (102.0003, 18.101), (102.0003, 18.109)])
    >>> yards = station_yards(main, gpd.GeoSeries([loop], crs="EPSG:4326"))
    >>> round(float(yards["chainage_km"].iloc[0]), 1)
    11.6
    """
    cols = ["chainage_km", "start_km", "end_km", "track_km", "tracks"]
    geoms = shapely.get_parts(np.asarray(tracks.values, dtype=object))
    if len(geoms) == 0:
        return pd.DataFrame(columns=cols)
    coords = shapely.get_coordinates(line)
    lon0, lat0 = _centre(coords)
    fwd = _aeqd(lon0, lat0)
    pline = shapely.LineString(np.column_stack(fwd.transform(coords[:, 0], coords[:, 1])))
    tc, towner = shapely.get_coordinates(geoms, return_index=True)
    tx, ty = fwd.transform(tc[:, 0], tc[:, 1])
    ptracks = shapely.linestrings(np.column_stack([tx, ty]), indices=towner)
    mids = shapely.line_interpolate_point(ptracks, 0.5, normalized=True)
    near = shapely.distance(mids, pline) <= max_offset_km * 1000.0
    if not near.any():
        return pd.DataFrame(columns=cols)
    track_km = lengths_km_array(geoms[near])
    # A track spans the chainages of its two end vertices and of its middle. Not
    # shapely.boundary: that is empty for a closed ring (a balloon loop), which shifted every
    # later track's ends onto the wrong track. The middle keeps a ring (and the centre of every
    # yard) inside the stretch it spans.
    ends = np.stack([shapely.get_point(geoms[near], 0), shapely.get_point(geoms[near], -1)], axis=1)
    mid_ll = shapely.get_coordinates(
        shapely.line_interpolate_point(geoms[near], 0.5, normalized=True)
    )
    km_mid = np.asarray(chainage_km(line, shapely.points(mid_ll)))
    km_ends = np.asarray(chainage_km(line, ends.ravel())).reshape(-1, 2)
    lo = np.minimum(km_ends.min(axis=1), km_mid)
    hi = np.maximum(km_ends.max(axis=1), km_mid)
    order = np.argsort(lo, kind="stable")
    lo, hi, km_mid, track_km = lo[order], hi[order], km_mid[order], track_km[order]
    reach = np.maximum.accumulate(hi)
    new = np.ones(len(lo), bool)
    new[1:] = lo[1:] > reach[:-1] + merge_km
    group = np.cumsum(new) - 1
    total = np.bincount(group, weights=track_km)
    centre = np.bincount(group, weights=km_mid * track_km) / np.where(total > 0, total, 1)
    out = pd.DataFrame(
        {
            "chainage_km": centre,
            "start_km": np.minimum.reduceat(lo, np.flatnonzero(new)),
            "end_km": np.maximum.reduceat(hi, np.flatnonzero(new)),
            "track_km": total,
            "tracks": np.bincount(group),
        }
    )
    return out[out["track_km"] >= min_track_km].reset_index(drop=True)
