"""Split lines at international borders and find where they cross them.

Vectorised with GEOS and NumPy, for any number of lines at once:

1. one STRtree query, from the few country polygons (prepared once each) into a tree of the
   lines, finds the lines wholly inside one country: they are kept whole, nothing is computed;
2. the other lines are cut segment by segment where they meet a border (the borders are split
   into short chunks so that every intersection is between two small lines), the cut points are
   inserted among the vertices, and each run between cuts takes the country of its midpoint.

Cutting segment by segment keeps lines that loop back or retrace themselves right. Lengths and
chainages are geodesic on WGS84, from :mod:`corridors.geodesy`, in one PROJ call per batch.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from corridors import _data
from corridors._coerce import WGS84, check_lonlat, geometry_array, to_geoseries
from corridors.errors import CRSError, GeometryError
from corridors.geodesy import geod, lengths_km_array, segment_lengths_m

__all__ = ["border_crossings", "split_by_country"]

PIECE_COLUMNS = ["line", "iso3", "start_km", "end_km", "length_km"]
NDArrayObj = NDArray[Any]


def _boundaries(boundaries: gpd.GeoDataFrame | None, by: str) -> gpd.GeoDataFrame:
    if boundaries is None:
        return _data.layer("boundaries")
    if not isinstance(boundaries, gpd.GeoDataFrame):
        raise GeometryError(f"boundaries must be a GeoDataFrame, got {type(boundaries).__name__}")
    if boundaries.crs is None:
        raise CRSError("the boundaries have no CRS; set one with .set_crs(...)")
    if by not in boundaries.columns:
        raise GeometryError(f"the boundaries have no {by!r} column naming the countries")
    polygons = np.isin(shapely.get_type_id(geometry_array(boundaries.geometry)), [3, 6])
    if len(boundaries) == 0 or not polygons.all():
        raise GeometryError("the boundaries must be a non-empty GeoDataFrame of polygons")
    return boundaries.to_crs(WGS84) if not boundaries.crs.equals(WGS84) else boundaries


def _lines(x: Any) -> tuple[gpd.GeoSeries, NDArrayObj]:
    series = to_geoseries(x, what="lines")
    geoms = geometry_array(series)
    if not np.isin(shapely.get_type_id(geoms), [1, 5]).all():
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
        lines with a CRS. Many lines are split at once.
    boundaries
        Country polygons with a CRS and a ``by`` column; default: the embedded Natural Earth
        1:10m boundaries (:func:`corridors.boundaries`).
    by
        Column of ``boundaries`` naming the country.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per continuous piece, ordered along each line: ``line`` (the input's index label,
        or the corridor id), ``iso3``, ``start_km`` and ``end_km`` (chainage of the piece's ends
        along its line), ``length_km`` and the piece's geometry in EPSG:4326; a GeoDataFrame's
        other columns follow. Parts of lines outside every polygon are left out.

    Examples
    --------
    >>> import corridors
    >>> pieces = corridors.split_by_country(corridors.load("china-laos-railway"))
    >>> pieces.groupby("iso3")["length_km"].sum().round().index.tolist()
    ['CHN', 'LAO']
    """
    series, geoms = _lines(x)
    b = _boundaries(boundaries, by)
    bgeoms = geometry_array(b.geometry)
    codes = b[by].to_numpy()

    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    coords, vpart = shapely.get_coordinates(parts, return_index=True)
    check_lonlat(coords, what="lines")
    seg = np.flatnonzero(vpart[1:] == vpart[:-1])
    seg_m = np.zeros(max(len(coords) - 1, 0))
    seg_m[seg] = segment_lengths_m(coords, seg)
    cum_m = np.concatenate([[0.0], np.cumsum(seg_m)])
    first_vertex = np.searchsorted(vpart, np.arange(len(parts)))
    last_vertex = np.searchsorted(vpart, np.arange(len(parts)), side="right") - 1
    part_km = (cum_m[last_vertex] - cum_m[first_vertex]) / 1000.0
    # chainage of each part's start along its whole (multi-part) line
    before = np.cumsum(part_km) - part_km
    part_start = before - before[np.searchsorted(part_owner, part_owner)]

    # Lines wholly inside one country are kept whole. The query runs from the few polygons
    # (prepared once each by GEOS) into a tree of the many lines.
    bi, pi = shapely.STRtree(parts).query(bgeoms, predicate="contains")
    pi, keep = np.unique(pi, return_index=True)  # inside two overlapping polygons: the first
    whole = {
        "part": pi,
        "country": bi[keep],
        "start_km": part_start[pi],
        "end_km": part_start[pi] + part_km[pi],
        "length_km": part_km[pi],
        "geometry": parts[pi],
    }
    rest = np.setdiff1d(np.arange(len(parts)), pi)
    cut = _cut_at_borders(rest, coords, vpart, cum_m, first_vertex, bgeoms)
    cut["start_km"] = part_start[cut["part"]] + cut["start_km"]
    cut["end_km"] = part_start[cut["part"]] + cut["end_km"]

    table = pd.concat([pd.DataFrame(whole), pd.DataFrame(cut)], ignore_index=True)
    table["line_pos"] = part_owner[table["part"].to_numpy(dtype=np.intp)]
    table = table.sort_values(["line_pos", "start_km"], kind="stable").reset_index(drop=True)
    pieces = table["geometry"].to_numpy()
    line_pos = table["line_pos"].to_numpy(dtype=np.intp)
    out = pd.DataFrame(
        {
            "line": series.index.to_numpy()[line_pos],
            "iso3": codes[table["country"].to_numpy(dtype=np.intp)],
            "start_km": table["start_km"].to_numpy(dtype=float),
            "end_km": table["end_km"].to_numpy(dtype=float),
            "length_km": table["length_km"].to_numpy(dtype=float),
        }
    )
    if isinstance(x, gpd.GeoDataFrame):
        extra = x.drop(columns=[x.geometry.name]).iloc[line_pos]
        extra = extra.drop(columns=[c for c in PIECE_COLUMNS if c in extra.columns])
        out = pd.concat([out, extra.reset_index(drop=True)], axis=1)
    return gpd.GeoDataFrame(out, geometry=pieces, crs=WGS84)


def _cut_at_borders(
    rest: NDArrayObj,
    coords: NDArrayObj,
    vpart: NDArrayObj,
    cum_m: NDArrayObj,
    first_vertex: NDArrayObj,
    bgeoms: NDArrayObj,
) -> dict[str, NDArrayObj]:
    """Cut the parts ``rest`` wherever one of their segments meets a border, all at once.

    Works segment by segment, so lines that loop back or retrace themselves are cut correctly:
    cut points are inserted among the vertices by position (vertex index + fraction), pieces are
    the runs between cuts, each piece takes the country of its first sub-segment's midpoint, and
    neighbouring pieces of the same country are joined again.
    """
    empty = {
        "part": np.empty(0, dtype=np.intp),
        "country": np.empty(0, dtype=np.intp),
        "length_km": np.empty(0),
        "start_km": np.empty(0),
        "end_km": np.empty(0),
    }
    if len(rest) == 0:
        return {**empty, "geometry": np.empty(0, dtype=object)}
    # 1. segments of the parts to cut
    in_rest = np.zeros(vpart.max() + 1, dtype=bool)
    in_rest[rest] = True
    k = np.flatnonzero((vpart[1:] == vpart[:-1]) & in_rest[vpart[:-1]])
    segs = shapely.linestrings(np.stack([coords[k], coords[k + 1]], axis=1))
    # 2. where segments meet polygon boundaries, cut into short chunks so that every
    #    intersection is between two small lines
    rings = _border_chunks(bgeoms)
    si, ri = shapely.STRtree(rings).query(segs, predicate="intersects")
    hits = shapely.intersection(segs[si], rings[ri])
    hit_xy, hit_owner = shapely.get_coordinates(hits, return_index=True)
    seg_of_cut = k[si[hit_owner]]
    start_xy = coords[seg_of_cut]
    seg_vec = coords[seg_of_cut + 1] - start_xy
    t = np.clip(
        np.einsum("ij,ij->i", hit_xy - start_xy, seg_vec) / np.einsum("ij,ij->i", seg_vec, seg_vec),
        0.0,
        1.0,
    )
    _, _, into_m = geod().inv(start_xy[:, 0], start_xy[:, 1], hit_xy[:, 0], hit_xy[:, 1])
    # 3. one table of vertices and cuts, in order along each part
    verts = np.flatnonzero(in_rest[vpart])
    part = np.concatenate([vpart[verts], vpart[seg_of_cut]])
    pos = np.concatenate(
        [verts - first_vertex[vpart[verts]], seg_of_cut - first_vertex[vpart[seg_of_cut]] + t]
    )
    xy = np.concatenate([coords[verts], hit_xy])
    chain = np.concatenate([cum_m[verts], cum_m[seg_of_cut] + into_m])
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
    dup_end = np.flatnonzero(is_cut & ~new_part)  # cut rows that also close the previous piece
    rows = np.concatenate([np.arange(len(part)), dup_end])
    row_piece = np.concatenate([piece, piece[dup_end] - 1])
    order = np.lexsort((np.r_[np.zeros(len(part)), -np.ones(len(dup_end))], rows, row_piece))
    rows, row_piece = rows[order], row_piece[order]
    n_pieces = piece.max() + 1
    size = np.bincount(row_piece, minlength=n_pieces)
    # 6. the country of each piece: its first sub-segment's midpoint
    head = np.searchsorted(row_piece, np.arange(n_pieces))
    valid = size >= 2
    mid = (xy[rows[head[valid]]] + xy[rows[head[valid] + 1]]) / 2.0
    country = np.full(n_pieces, -1)
    mc, mi = shapely.STRtree(shapely.points(mid)).query(bgeoms, predicate="intersects")
    mi, first = np.unique(mi, return_index=True)
    country[np.flatnonzero(valid)[mi]] = mc[first]
    piece_part = part[rows[head]]
    # 7. join neighbouring pieces of the same country; drop pieces outside every polygon
    same_as_prev = np.r_[False, (piece_part[1:] == piece_part[:-1]) & (country[1:] == country[:-1])]
    group = np.cumsum(~same_as_prev) - 1
    row_group = group[row_piece]
    repeated = np.r_[False, (row_group[1:] == row_group[:-1]) & (rows[1:] == rows[:-1])]
    rows, row_group = rows[~repeated], row_group[~repeated]
    group_country = country[np.searchsorted(group, np.arange(group.max() + 1))]
    good = (group_country >= 0)[row_group]
    rows, row_group = rows[good], row_group[good]
    if len(rows) == 0:
        return {**empty, "geometry": np.empty(0, dtype=object)}
    gid, row_group = np.unique(row_group, return_inverse=True)
    geometry = shapely.linestrings(xy[rows], indices=row_group)
    g_head = np.searchsorted(row_group, np.arange(len(gid)))
    g_tail = np.searchsorted(row_group, np.arange(len(gid)), side="right") - 1
    g_part = part[rows[g_head]]
    base = cum_m[first_vertex[g_part]]
    return {
        "part": g_part,
        "country": group_country[gid],
        "length_km": lengths_km_array(geometry, what="lines"),
        "start_km": (chain[rows[g_head]] - base) / 1000.0,
        "end_km": (chain[rows[g_tail]] - base) / 1000.0,
        "geometry": geometry,
    }


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
        Country polygons; default: the embedded Natural Earth boundaries.
    gates
        Border gates (points with ``id``, ``name`` and ``countries``); default: the embedded
        :func:`corridors.border_gates`. Gates between the same two countries are preferred.
    by
        Column of ``boundaries`` naming the country.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per crossing, in order along each line: ``line``, ``from_iso3``, ``to_iso3``,
        ``chainage_km``, ``gate_id``, ``gate_name``, ``gate_distance_km`` and the Point.

    Examples
    --------
    >>> import corridors
    >>> crossings = corridors.border_crossings(corridors.load("china-laos-railway"))
    >>> crossings[["from_iso3", "to_iso3"]].values.tolist()
    [['CHN', 'LAO']]
    """
    pieces = split_by_country(x, boundaries, by=by)
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
        pairs = [
            frozenset(v) if isinstance(v, list | tuple) else frozenset() for v in gates["countries"]
        ]
        wanted = [
            frozenset(p) for p in zip(crossings["from_iso3"], crossings["to_iso3"], strict=True)
        ]
        match = np.array([[w == p for p in pairs] for w in wanted])
        has = match.any(axis=1, keepdims=True)
        dist_pref = np.where(has & ~match, np.inf, dist)
    else:
        dist_pref = dist
    best = np.argmin(dist_pref, axis=1)
    ids = gates["id"].to_numpy() if "id" in gates.columns else gates.index.to_numpy()
    names = gates["name"].to_numpy() if "name" in gates.columns else ids
    return ids[best], names[best], dist[np.arange(n), best]
