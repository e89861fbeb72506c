"""Split lines at international borders and find where they cross them.

Vectorised with GEOS, PROJ and NumPy, for any number of lines at once, on the line-referencing
core (:class:`corridors._lines.Lines`: one geodesic pass gives the chainage of every vertex):

1. the boundaries are made ready once per boundaries object and cached (:func:`_index`): the
   polygons prepared by GEOS in an STRtree, and their rings split into short chunks in another
   STRtree; the default, embedded boundaries are built once per data folder;
2. one query of the lines against the chunks finds the lines that meet a border; every other
   line lies wholly in one country (or in none), which one of its vertices tells: it is kept whole;
3. the lines that meet a border are cut segment by segment where they meet it, the cut points
   (with their geodesic chainage) inserted among the vertices; each run between cuts takes the
   country of its first sub-segment's midpoint, neighbouring runs of one country are joined
   again, and each piece is cut from its line by chainage (:meth:`~corridors._lines.Lines.cut`),
   its ends where the line meets the border.

Cutting segment by segment keeps lines that loop back or retrace themselves right. A piece's
``length_km`` is its ``end_km - start_km``: geodesic, and the pieces of a line follow each other
without gaps, so they add up to its length. Length outside every polygon (at sea, or beyond the
countries of the boundary layer) is a piece too, with ``iso3`` :data:`OUTSIDE` (``"outside"``);
a line wholly outside is one such piece. Leaving the layer is no border crossing:
:func:`border_crossings` skips those pieces. A missing or empty row of a GeoSeries or
GeoDataFrame has no pieces and no crossings.

Lines that cross the antimeridian follow the package's one rule (:func:`corridors._lines.
cut_at_antimeridian`): a step whose longitudes differ by more than 180° goes the short way,
across ±180°, as the geodesic that :func:`corridors.length_km` measures does. Such lines are
cut there (RFC 7946) before they meet the borders, so their chainages are those of
``length_km`` and :func:`corridors.chainage_km`; the two sides of a cut in one country are one
piece, whose geometry is a MultiLineString.

The geometry functions take the boundaries as an argument; only :func:`_index` supplies the
default (the embedded Natural Earth boundaries) when it is ``None``.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from functools import cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from corridors import _data
from corridors._coerce import WGS84, geometry_array
from corridors._lines import Lines, as_batch, cut_at_antimeridian, geod
from corridors.errors import CRSError, GeometryError

__all__ = ["OUTSIDE", "border_crossings", "split_by_country"]

PIECE_COLUMNS = ["line", "iso3", "start_km", "end_km", "length_km"]
#: The ``iso3`` of a piece of line outside every boundary polygon (at sea, or beyond the
#: countries of the boundary layer).
OUTSIDE = "outside"
NDArrayObj = NDArray[Any]


def _check_boundaries(boundaries: Any, by: str) -> None:
    """The cheap checks: a GeoDataFrame with a CRS and a ``by`` column."""
    if not isinstance(boundaries, gpd.GeoDataFrame):
        raise GeometryError(f"boundaries must be a GeoDataFrame, got {type(boundaries).__name__}")
    if boundaries.crs is None:
        raise CRSError("the boundaries have no CRS; set one with .set_crs(...)")
    if by not in boundaries.columns:
        raise GeometryError(f"the boundaries have no {by!r} column naming the countries")


def _boundaries(boundaries: gpd.GeoDataFrame | None, by: str) -> gpd.GeoDataFrame:
    """``boundaries`` (default: the embedded ones) checked and in EPSG:4326."""
    if boundaries is None:
        boundaries = _data.layer("boundaries")
    _check_boundaries(boundaries, by)
    polygons = np.isin(shapely.get_type_id(geometry_array(boundaries.geometry)), [3, 6])
    if len(boundaries) == 0 or not polygons.all():
        raise GeometryError("the boundaries must be a non-empty GeoDataFrame of polygons")
    return boundaries.to_crs(WGS84) if not boundaries.crs.equals(WGS84) else boundaries


class _BorderIndex:
    """Country polygons made ready for cutting lines: built once per boundaries object."""

    def __init__(self, boundaries: gpd.GeoDataFrame, by: str) -> None:
        self.codes = boundaries[by].to_numpy()
        # a copy of the array, so that changing the frame in place cannot change the index
        self.polygons = geometry_array(boundaries.geometry).copy()
        shapely.prepare(self.polygons)
        self.tree = shapely.STRtree(self.polygons)
        self.chunks = _border_chunks(self.polygons)
        self.chunk_tree = shapely.STRtree(self.chunks)

    def country_at(
        self, xy: NDArray[np.float64], near: NDArrayObj | None = None
    ) -> NDArray[np.intp]:
        """Position of the first polygon holding each point (boundary included), else -1.

        ``near`` may give, per point, a geometry whose bounding box holds it (such as the line
        it is a vertex of), to look the candidates up without making points first.
        """
        out = np.full(len(xy), -1, dtype=np.intp)
        if len(xy) == 0:
            return out
        pi, gi = self.tree.query(shapely.points(xy) if near is None else near)
        inside = shapely.intersects_xy(self.polygons[gi], xy[pi, 0], xy[pi, 1])
        pi, gi = pi[inside], gi[inside]
        order = np.lexsort((gi, pi))  # by point, then polygon: the first polygon first
        pi, gi = pi[order], gi[order]
        first = np.r_[True, pi[1:] != pi[:-1]] if len(pi) else np.zeros(0, dtype=bool)
        out[pi[first]] = gi[first]
        return out


_CACHE: dict[tuple[int, str], tuple[tuple[Any, ...], _BorderIndex]] = {}
_LOCK = threading.Lock()


def _fingerprint(boundaries: gpd.GeoDataFrame, by: str) -> tuple[Any, ...]:
    """What the index is built from: the CRS, the country names and every coordinate."""
    geoms = geometry_array(boundaries.geometry)
    digest = hashlib.blake2b(shapely.get_coordinates(geoms).tobytes(), digest_size=16)
    digest.update(shapely.get_num_coordinates(geoms).tobytes())
    digest.update(shapely.get_type_id(geoms).tobytes())
    try:
        names = pd.util.hash_pandas_object(boundaries[by], index=False).to_numpy().tobytes()
    except TypeError:  # unhashable names (lists, say)
        names = repr(boundaries[by].tolist()).encode()
    digest.update(names)
    return (len(boundaries), boundaries.crs.srs, digest.digest())


@cache
def _default_index(root: str, by: str) -> _BorderIndex:
    return _BorderIndex(_boundaries(_data.layer("boundaries"), by), by)


def _index(boundaries: gpd.GeoDataFrame | None, by: str) -> _BorderIndex:
    """The prepared borders of ``boundaries``, built once per boundaries object and cached.

    ``None`` gives the embedded boundaries (one index per data folder). A GeoDataFrame's index
    is kept while the frame lives and rebuilt if its CRS, names or coordinates change.
    """
    if boundaries is None:
        return _default_index(str(_data.data_root()), by)
    _check_boundaries(boundaries, by)
    key = (id(boundaries), by)
    mark = _fingerprint(boundaries, by)
    with _LOCK:
        hit = _CACHE.get(key)
    if hit is not None and hit[0] == mark:
        return hit[1]
    index = _BorderIndex(_boundaries(boundaries, by), by)
    with _LOCK:
        if key not in _CACHE:
            try:  # the entry goes when the frame goes, before its id can be reused
                weakref.finalize(boundaries, _CACHE.pop, key, None)
            except TypeError:  # not weakly referenceable: not cached
                return index
        _CACHE[key] = (mark, index)
    return index


def _line_rows(x: Any) -> tuple[gpd.GeoSeries, NDArrayObj]:
    series = as_batch(x, what="lines")
    geoms = geometry_array(series)
    if not np.isin(shapely.get_type_id(geoms), [-1, 1, 5]).all():
        raise GeometryError("split and crossings take LineStrings or MultiLineStrings only")
    return series, geoms


def split_by_country(
    x: Any, boundaries: gpd.GeoDataFrame | None = None, *, by: str = "iso3"
) -> gpd.GeoDataFrame:
    """Cut lines at country borders into pieces, each with its country and geodesic length.

    Parameters
    ----------
    x
        Lines: a ``Corridor``, a (Multi)LineString in lon/lat, or a GeoSeries / GeoDataFrame of
        lines with a CRS. Many lines are split at once; a missing or empty row has no pieces.
    boundaries
        Country polygons with a CRS and a ``by`` column; default: the embedded Natural Earth
        1:10m boundaries (:func:`corridors.boundaries`). Either way they are made ready once
        and cached, so passing the same frame again costs nothing more.
    by
        Column of ``boundaries`` naming the country.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per continuous piece, ordered along each line: ``line`` (the input's index label,
        or the corridor id), ``iso3``, ``start_km`` and ``end_km`` (chainage of the piece's ends
        along its line), ``length_km`` (``end_km - start_km``) and the piece's geometry in
        EPSG:4326; a GeoDataFrame's other columns follow. A piece outside every polygon
        has ``iso3`` ``"outside"`` (:data:`OUTSIDE`; the column keeps its dtype, strings for
        the embedded boundaries, with or without such pieces), so the pieces
        of a line always add up to its :func:`corridors.length_km`. A piece across the
        antimeridian is a MultiLineString cut at ±180° (RFC 7946); its chainages are the
        geodesic ones, the short way across ±180°.

    Examples
    --------
    >>> import corridors
    >>> pieces = corridors.split_by_country(corridors.load("china-laos-railway"))
    >>> pieces.groupby("iso3")["length_km"].sum().round().index.tolist()
    ['CHN', 'LAO']
    """
    series, geoms = _line_rows(x)
    index = _index(boundaries, by)
    line_pos, country, start_km, end_km, pieces = _split(geoms, index)
    iso3 = index.codes[country].astype(object, copy=False)
    iso3[country < 0] = OUTSIDE
    out = pd.DataFrame(
        {
            "line": series.index.to_numpy()[line_pos],
            "iso3": iso3,
            "start_km": start_km,
            "end_km": end_km,
            "length_km": end_km - start_km,
        }
    )
    if isinstance(x, gpd.GeoDataFrame):
        extra = x.drop(columns=[x.geometry.name]).iloc[line_pos]
        extra = extra.drop(columns=[c for c in PIECE_COLUMNS if c in extra.columns])
        out = pd.concat([out, extra.reset_index(drop=True)], axis=1)
    return gpd.GeoDataFrame(out, geometry=pieces, crs=WGS84)


def _split(
    geoms: NDArrayObj, index: _BorderIndex
) -> tuple[NDArrayObj, NDArrayObj, NDArrayObj, NDArrayObj, NDArrayObj]:
    """Pieces of lon/lat (Multi)LineStrings in countries of ``index``, ordered along each line.

    Returns the row of each piece's line, its country (position in ``index``), its start and end
    chainage along the whole line (km) and its geometry.
    """
    n = len(geoms)
    if (shapely.get_type_id(geoms) == 5).any():
        parts, part_owner = shapely.get_parts(geoms, return_index=True)
    else:  # only LineStrings (or missing rows): every row is its own part
        parts, part_owner = geoms, np.arange(n)
    lines = Lines(parts, what="lines")
    # a line with NaN coordinates in any part is a null row as a whole
    bad_line = np.zeros(n, dtype=bool)
    bad_line[part_owner[lines.nonfinite]] = True
    # parts that cross the antimeridian are cut there (RFC 7946); ``source`` is the part
    # each new part comes from, so that its pieces on either side can be joined again
    across = cut_at_antimeridian(parts, lines.coords, lines.owner)
    source = None
    if across is not None:
        parts, source = across
        part_owner = part_owner[source]
        lines = Lines(parts, what="lines")
    part_km = np.nan_to_num(lines.length_km)
    before = np.cumsum(part_km) - part_km
    # chainage of each part's start along its whole (multi-part) line
    part_start = before - before[np.searchsorted(part_owner, part_owner)]

    # 1. the parts that meet a border; every other part lies in one country, or in none
    valid = np.flatnonzero(lines.valid & ~bad_line[part_owner])
    meets = np.zeros(len(parts), dtype=bool)
    touching = index.chunk_tree.query(parts[valid], predicate="intersects")[0]
    meets[valid[touching]] = True
    whole = valid[~meets[valid]]
    whole_country = index.country_at(lines.coords[lines.first[whole]], parts[whole])

    # 2. the parts that meet a border, cut where their segments meet it
    cut_part, cut_country, start_m, end_m, head, tail = _cut_at_borders(
        lines, np.flatnonzero(meets), index
    )
    cut_geoms = lines.cut(cut_part, start_m / 1000.0, end_m / 1000.0, ends=(head, tail))

    part = np.concatenate([whole, cut_part])
    start_km = part_start[part] + np.concatenate([np.zeros(len(whole)), start_m / 1000.0])
    end_km = part_start[part] + np.concatenate([lines.length_km[whole], end_m / 1000.0])
    line_pos = part_owner[part]
    order = np.lexsort((start_km, line_pos))
    out = (
        line_pos[order],
        np.concatenate([whole_country, cut_country])[order],
        start_km[order],
        end_km[order],
        np.concatenate([parts[whole], cut_geoms])[order],
    )
    if source is None:
        return out
    return _join_across_antimeridian(*out, source[part[order]])


def _join_across_antimeridian(
    line_pos: NDArrayObj,
    country: NDArrayObj,
    start_km: NDArrayObj,
    end_km: NDArrayObj,
    geoms: NDArrayObj,
    source: NDArrayObj,
) -> tuple[NDArrayObj, NDArrayObj, NDArrayObj, NDArrayObj, NDArrayObj]:
    """Join again the pieces of one country on either side of an antimeridian cut.

    Neighbouring pieces of one input part in one country can only be the two sides of such a
    cut; together they become one piece whose geometry is a MultiLineString of both sides.
    """
    same = np.r_[
        False,
        (line_pos[1:] == line_pos[:-1])
        & (source[1:] == source[:-1])
        & (country[1:] == country[:-1]),
    ]
    group = np.cumsum(~same) - 1
    first = np.flatnonzero(~same)
    last = np.r_[first[1:], len(group)] - 1
    joined = np.flatnonzero(last > first)
    out_geoms = geoms[first].copy()
    if len(joined):
        in_joined = np.isin(group, joined)
        parts, part_of = shapely.get_parts(geoms[in_joined], return_index=True)
        _, grp = np.unique(group[in_joined][part_of], return_inverse=True)
        out_geoms[joined] = shapely.multilinestrings(parts, indices=grp)
    return line_pos[first], country[first], start_km[first], end_km[last], out_geoms


def _cut_at_borders(lines: Lines, rest: NDArrayObj, index: _BorderIndex) -> tuple[NDArrayObj, ...]:
    """Cut the lines ``rest`` wherever one of their segments meets a border, all at once.

    Works segment by segment, so lines that loop back or retrace themselves are cut correctly:
    cut points are inserted among the vertices by position (vertex index + fraction), pieces are
    the runs between cuts, each piece takes the country of its first sub-segment's midpoint, and
    neighbouring pieces of the same country are joined again. Returns, per piece: its line, its
    country, its start and end chainage (m) and the (lon, lat) of both ends.
    """
    if len(rest) == 0:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty, np.empty(0), np.empty(0), np.empty((0, 2)), np.empty((0, 2))
    coords, vpart, cum_m = lines.coords, lines.owner, lines.chainage_m
    # 1. segments of the lines to cut
    in_rest = np.zeros(lines.n, dtype=bool)
    in_rest[rest] = True
    k = np.flatnonzero((vpart[1:] == vpart[:-1]) & in_rest[vpart[:-1]])
    segs = shapely.linestrings(np.stack([coords[k], coords[k + 1]], axis=1))
    # 2. where segments meet the borders (short chunks, so every intersection is between two
    #    small lines), with the geodesic chainage of every cut point from the core
    si, ri = index.chunk_tree.query(segs, predicate="intersects")
    hits = shapely.intersection(segs[si], index.chunks[ri])
    hit_xy, hit_owner = shapely.get_coordinates(hits, return_index=True)
    seg_of_cut = k[si[hit_owner]]
    start_xy = coords[seg_of_cut]
    seg_vec = coords[seg_of_cut + 1] - start_xy
    along = np.einsum("ij,ij->i", hit_xy - start_xy, seg_vec)
    seg_sq = np.einsum("ij,ij->i", seg_vec, seg_vec)  # 0 for a repeated vertex: t = 0, no warning
    t = np.clip(np.divide(along, seg_sq, out=np.zeros_like(along), where=seg_sq > 0), 0.0, 1.0)
    # 3. one table of vertices and cuts, in order along each line
    verts = np.flatnonzero(in_rest[vpart])
    first_vertex = lines.first
    part = np.concatenate([vpart[verts], vpart[seg_of_cut]])
    pos = np.concatenate(
        [verts - first_vertex[vpart[verts]], seg_of_cut - first_vertex[vpart[seg_of_cut]] + t]
    )
    xy = np.concatenate([coords[verts], hit_xy])
    chain = np.concatenate([cum_m[verts], lines.chainage_on_segment(seg_of_cut, hit_xy)])
    is_cut = np.concatenate([np.zeros(len(verts), bool), np.ones(len(hit_xy), bool)])
    order = np.lexsort((is_cut, pos, part))
    part, xy, chain, is_cut = part[order], xy[order], chain[order], is_cut[order]
    # 4. drop repeated points (a cut on a vertex, a point found twice), keeping the cut flag
    dup = np.r_[False, (part[1:] == part[:-1]) & (xy[1:] == xy[:-1]).all(axis=1)]
    run = np.cumsum(~dup) - 1
    flag = np.bincount(run, weights=is_cut) > 0
    keep = ~dup
    part, xy, chain, is_cut = part[keep], xy[keep], chain[keep], flag[run[keep]]
    # 5. raw pieces: runs between cuts; a cut also ends the piece before it
    new_part = np.r_[True, part[1:] != part[:-1]]
    piece = np.cumsum(new_part | is_cut) - 1
    n_pieces = piece[-1] + 1
    head = np.searchsorted(piece, np.arange(n_pieces))  # first row of each piece
    # the last row of each piece: the cut that starts the next piece of the same line, if any
    next_head = np.r_[head[1:], len(piece)]
    continued = np.r_[~new_part[head[1:]], False]
    tail = np.where(continued, next_head, next_head - 1)
    # 6. the country of each piece: its first sub-segment's midpoint (-1: outside every
    #    polygon); a piece of a single point (a line ending on a border) is dropped
    country = np.full(n_pieces, -1, dtype=np.intp)
    valid = tail > head
    mid = (xy[head[valid]] + xy[head[valid] + 1]) / 2.0
    country[valid] = index.country_at(mid)
    head, tail, country = head[valid], tail[valid], country[valid]
    if len(head) == 0:  # only lines of no length, on a border
        return _cut_at_borders(lines, rest[:0], index)
    piece_part = part[head]
    # 7. join neighbouring pieces of the same country (outside included)
    same_as_prev = np.r_[False, (piece_part[1:] == piece_part[:-1]) & (country[1:] == country[:-1])]
    group = np.cumsum(~same_as_prev) - 1
    g_first = np.searchsorted(group, np.arange(group[-1] + 1))
    g_last = np.searchsorted(group, np.arange(group[-1] + 1), side="right") - 1
    g_country = country[g_first]
    g_head, g_tail = head[g_first], tail[g_last]
    return (
        piece_part[g_first],
        g_country,
        chain[g_head],
        chain[g_tail],
        xy[g_head],
        xy[g_tail],
    )


def _border_chunks(polygons: NDArrayObj, size: int = 16) -> NDArrayObj:
    """The polygons' rings as short lines of at most ``size`` segments, for a fast STRtree."""
    rings = shapely.get_rings(shapely.get_parts(polygons))
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    first = np.searchsorted(ring, ring)
    last = np.searchsorted(ring, ring, side="right") - 1
    pos = np.arange(len(ring)) - first
    # the ring's last vertex stays in the last chunk, so that no chunk is a single point
    chunk = (
        ring.astype(np.int64) * (1 + len(xy) // size) + np.minimum(pos, last - first - 1) // size
    )
    # every chunk also takes the first vertex of the next one, so the chunks join up
    joins = np.flatnonzero((pos % size == 0) & (pos > 0) & (pos < last - first))
    xy = np.concatenate([xy, xy[joins]])
    chunk = np.concatenate([chunk, chunk[joins] - 1])
    order = np.argsort(chunk, kind="stable")
    _, ids = np.unique(chunk[order], return_inverse=True)
    return shapely.linestrings(xy[order], indices=ids)


def border_crossings(
    x: Any,
    boundaries: gpd.GeoDataFrame | None = None,
    *,
    gates: gpd.GeoDataFrame | None = None,
    by: str = "iso3",
) -> gpd.GeoDataFrame:
    """Points where lines pass from one country into another, with the nearest border gate.

    Parameters
    ----------
    x
        Lines, as for :func:`split_by_country`.
    boundaries
        Country polygons; default: the embedded Natural Earth boundaries (made ready once and
        cached, as for :func:`split_by_country`).
    gates
        Border gates (points with ``id``, ``name`` and ``countries``); default: the embedded
        :func:`corridors.border_gates`. Gates between the same two countries are preferred.
    by
        Column of ``boundaries`` naming the country.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per crossing, in order along each line: ``line``, ``from_iso3``, ``to_iso3``,
        ``chainage_km``, ``gate_id``, ``gate_name``, ``gate_distance_km`` and the Point where the
        line meets the border. A missing or empty row has none. Leaving the boundary layer is
        not a crossing (a coast is no border): ``"outside"`` pieces of :func:`split_by_country`
        are skipped, so a line going out to sea and back into the same country crosses
        nothing, and one from one country to another by sea crosses where it enters the second.

    Examples
    --------
    >>> import corridors
    >>> crossings = corridors.border_crossings(corridors.load("china-laos-railway"))
    >>> crossings[["from_iso3", "to_iso3"]].values.tolist()
    [['CHN', 'LAO']]
    """
    pieces = split_by_country(x, boundaries, by=by)
    # leaving the boundary layer (out to sea, say) is no border crossing: outside pieces are
    # skipped, so a line from one country to another by way of the sea crosses where it
    # enters the second one, and one that goes out and back into the same country crosses none
    pieces = pieces[pieces["iso3"].to_numpy() != OUTSIDE]
    line = pieces["line"].to_numpy()
    iso = pieces["iso3"].to_numpy()
    change = np.flatnonzero((line[1:] == line[:-1]) & (iso[1:] != iso[:-1])) + 1
    points = shapely.get_point(geometry_array(pieces.geometry)[change], 0)
    out = gpd.GeoDataFrame(
        {
            "line": line[change],
            "from_iso3": iso[change - 1],
            "to_iso3": iso[change],
            "chainage_km": pieces["start_km"].to_numpy()[change],
        },
        geometry=points,
        crs=WGS84,
    )
    gate_id, gate_name, gate_km = _nearest_gates(
        out, _data.layer("border_gates") if gates is None else gates
    )
    out.insert(4, "gate_id", gate_id)
    out.insert(5, "gate_name", gate_name)
    out.insert(6, "gate_distance_km", gate_km)
    return out


def _nearest_gates(
    crossings: gpd.GeoDataFrame, gates: gpd.GeoDataFrame
) -> tuple[NDArrayObj, NDArrayObj, NDArrayObj]:
    n = len(crossings)
    if n == 0 or len(gates) == 0:
        return np.full(n, None), np.full(n, None), np.full(n, np.nan)
    if gates.crs is None:
        raise CRSError("the gates have no CRS; set one with .set_crs(...)")
    gates = gates.to_crs(WGS84)
    g = shapely.get_coordinates(shapely.centroid(geometry_array(gates.geometry)))
    c = shapely.get_coordinates(geometry_array(crossings.geometry))
    cc = np.repeat(c, len(g), axis=0)
    gg = np.tile(g, (n, 1))
    _, _, dist_m = geod().inv(cc[:, 0], cc[:, 1], gg[:, 0], gg[:, 1])
    dist = dist_m.reshape(n, len(g)) / 1000.0
    if "countries" in gates.columns:
        # gates between the two countries of a crossing are preferred, when there are any
        pair = _pair_keys(gates["countries"].to_numpy(dtype=object))
        a = crossings["from_iso3"].to_numpy(dtype=str)
        b = crossings["to_iso3"].to_numpy(dtype=str)
        wanted = np.char.add(np.char.add(np.where(a < b, a, b), "|"), np.where(a < b, b, a))
        match = wanted[:, None] == pair[None, :]
        has = match.any(axis=1, keepdims=True)
        dist_pref = np.where(has & ~match, np.inf, dist)
    else:
        dist_pref = dist
    best = np.argmin(dist_pref, axis=1)
    ids = gates["id"].to_numpy() if "id" in gates.columns else gates.index.to_numpy()
    names = gates["name"].to_numpy() if "name" in gates.columns else ids
    return ids[best], names[best], dist[np.arange(n), best]


def _pair_keys(countries: NDArrayObj) -> NDArrayObj:
    """The set of countries of each gate as one sorted ``"A|B"`` key (``""`` when unknown)."""
    return np.array(
        [
            "|".join(sorted({str(c) for c in v}))
            if isinstance(v, list | tuple | np.ndarray)
            else ""
            for v in countries
        ],
        dtype=str,
    )
