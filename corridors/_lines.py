"""Linear referencing on the WGS84 ellipsoid: many lines at once, one geodesic pass.

:class:`Lines` flattens an array of lon/lat LineStrings once
(``shapely.get_coordinates(..., return_index=True)``), measures every segment with one call to
PROJ's geodesic (``pyproj.Geod.inv``) and keeps the geodesic chainage of every vertex. Its batch
operations then work on any number of (line, point) or (line, km) pairs without a Python loop:

* :meth:`Lines.locate`: chainage along its line of the nearest point, and the distance to it;
* :meth:`Lines.interpolate`: the point at a chainage (geodesic forward from the segment start);
* :meth:`Lines.cut`: the part of a line between two chainages.

Segments are found with ``np.searchsorted`` on one sorted key per vertex, ``line + 1j * chainage``
(NumPy orders complex numbers by real, then imaginary part), so every search stays inside its
own line without rounding from a running sum over the whole batch.

Every step is a geodesic, so a step across the antimeridian (``|Δlon| > 180°``) goes the short
way round; :func:`cut_at_antimeridian` cuts such lines at ±180° (RFC 7946) for the planar
GEOS work of :mod:`corridors.borders`, without changing any chainage.

Null rows (None, empty, or with NaN coordinates) give NaN or an empty geometry for that row and
never an error for the whole batch. This is the lowest geometry layer: it imports only
``settings``, ``_coerce`` and ``errors``; :mod:`corridors.geodesy` and :mod:`corridors.borders`
are built on it.
"""

from __future__ import annotations

from functools import cache, cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray

from corridors import settings
from corridors._coerce import WGS84, check_lonlat, geometry_array, to_geoseries
from corridors.errors import GeometryError

__all__ = ["Lines", "as_batch", "cut_at_antimeridian", "geod", "point_xy", "segment_lengths_m"]

_EMPTY_POINT = shapely.Point()
_EMPTY_LINE = shapely.LineString()


@cache
def _geod(ellipsoid: str) -> pyproj.Geod:
    return pyproj.Geod(ellps=ellipsoid)


def geod() -> pyproj.Geod:
    """Return the ``pyproj.Geod`` for ``settings.ellipsoid`` (cached)."""
    return _geod(settings.ellipsoid)


def segment_lengths_m(coords: NDArray[np.float64], seg: NDArray[np.intp]) -> NDArray[np.float64]:
    """Geodesic length in m from vertex ``seg[i]`` to ``seg[i] + 1``, in one PROJ call.

    The four coordinate arrays are fresh contiguous copies, so PROJ may write into them in place
    instead of copying them again.
    """
    lon1, lat1 = coords[seg, 0], coords[seg, 1]
    lon2, lat2 = coords[seg + 1, 0], coords[seg + 1, 1]
    _, _, dist_m = geod().inv(lon1, lat1, lon2, lat2, inplace=True)
    return np.asarray(dist_m)


def as_batch(x: Any, *, what: str = "geometry") -> gpd.GeoSeries:
    """``x`` as a GeoSeries in EPSG:4326 whose null or empty rows are ``None``.

    A GeoSeries or GeoDataFrame may hold missing or empty rows (they come back as ``None``, on
    the same index); everything else goes through ``_coerce.to_geoseries`` unchanged, which
    refuses an empty single geometry, an empty batch and a missing CRS.
    """
    try:  # the common case, with no null rows, costs nothing more
        return to_geoseries(x, what=what)
    except GeometryError:  # (a missing CRS raises CRSError first, and is not caught)
        series, bad = _null_rows(x)
        if series is None:
            raise
    out = np.full(len(series), None, dtype=object)
    if not bad.all():
        out[~bad] = geometry_array(to_geoseries(series[~bad], what=what))
    return gpd.GeoSeries(out, index=series.index, crs=WGS84, name=series.name)


def _null_rows(x: Any) -> tuple[gpd.GeoSeries | None, NDArray[np.bool_]]:
    """The geometry of a GeoSeries/GeoDataFrame and its missing or empty rows, if it has any."""
    none = np.zeros(0, dtype=bool)
    if not isinstance(x, gpd.GeoSeries | gpd.GeoDataFrame) or len(x) == 0:
        return None, none
    try:
        series = x.geometry if isinstance(x, gpd.GeoDataFrame) else x
    except AttributeError:  # a GeoDataFrame with no active geometry column
        return None, none
    bad = shapely.get_num_coordinates(geometry_array(series)) == 0
    return (series, bad) if bad.any() else (None, none)


def point_xy(points: ArrayLike, *, what: str = "points") -> NDArray[np.float64]:
    """(lon, lat) of each Point as an ``(n, 2)`` array, NaN for a missing or empty one."""
    pts = np.asarray(points, dtype=object).ravel()
    types = shapely.get_type_id(pts)
    if not np.isin(types, [-1, 0]).all():
        raise GeometryError(f"the {what} must all be Point geometries")
    xy = np.full((len(pts), 2), np.nan)
    ok = (types == 0) & ~shapely.is_empty(pts)
    xy[ok] = shapely.get_coordinates(pts[ok])
    check_lonlat(xy[np.isfinite(xy).all(axis=1)], what=what)
    return xy


class Lines:
    """Many lon/lat LineStrings with the geodesic chainage of every vertex.

    Parameters
    ----------
    geoms
        LineStrings (or LinearRings) in lon/lat; ``None``, empty rows and rows with NaN or
        infinite coordinates are null rows: NaN or an empty geometry wherever they are used.
    what
        What the lines are, for error messages.

    Attributes
    ----------
    n
        Number of rows.
    valid
        Whether each row is a measurable line (not null).
    length_km
        Geodesic length of each line, km (NaN for a null row).
    coords, owner
        Every vertex (lon, lat) of the valid rows, and the row it belongs to (sorted).
    first, stop
        Index in ``coords`` of each row's first vertex and one past its last.
    chainage_m
        Geodesic distance of every vertex from its line's start, m.
    seg_m, azimuth
        Geodesic length (m) and forward azimuth (°) of the segment that starts at each vertex
        (0 at a line's last vertex).

    Examples
    --------
    >>> import numpy as np, shapely
    >>> lines = Lines([shapely.LineString([(0, 0), (2, 0)]), None])
    >>> np.round(lines.length_km, 3).tolist()
    [222.639, nan]
    >>> ch, off = lines.locate([0, 0], [shapely.Point(1, 0.1), shapely.Point(3, 0)])
    >>> np.round(ch, 3).tolist(), np.round(off, 2).tolist()
    ([111.319, 222.639], [11.06, 111.32])
    >>> lines.interpolate(0, 111.319491)
    <POINT (1 0)>
    """

    def __init__(self, geoms: ArrayLike, *, what: str = "lines") -> None:
        geoms = np.asarray(geoms, dtype=object).ravel()
        types = shapely.get_type_id(geoms)
        if not np.isin(types, [-1, 1, 2]).all():
            raise GeometryError(f"the {what} must be LineStrings")
        self.n = n = len(geoms)
        coords, owner = shapely.get_coordinates(geoms, return_index=True)
        finite = np.isfinite(coords).all(axis=1)
        #: rows left out because some of their coordinates are NaN or infinite
        self.nonfinite = np.zeros(n, dtype=bool)
        if not finite.all():
            self.nonfinite[owner[~finite]] = True
            keep = ~self.nonfinite[owner]
            coords, owner = coords[keep], owner[keep]
        check_lonlat(coords, what=what)
        rows = np.arange(n)
        self.coords, self.owner = coords, owner
        self.first = np.searchsorted(owner, rows)
        self.stop = np.searchsorted(owner, rows, side="right")
        self.valid = self.stop - self.first >= 2
        seg = np.flatnonzero(owner[1:] == owner[:-1])
        az, _, dist = geod().inv(
            coords[seg, 0], coords[seg, 1], coords[seg + 1, 0], coords[seg + 1, 1], inplace=True
        )
        self.seg_m = np.zeros(len(coords))
        self.seg_m[seg] = dist
        self.azimuth = np.zeros(len(coords))
        self.azimuth[seg] = az
        run = np.concatenate([[0.0], np.cumsum(self.seg_m[:-1])])
        self.chainage_m = run - run[self.first[owner]] if len(coords) else run[:0]
        length_m = np.full(n, np.nan)
        length_m[self.valid] = self.chainage_m[self.stop[self.valid] - 1]
        self.length_m = length_m

    @property
    def length_km(self) -> NDArray[np.float64]:
        """Geodesic length of each line, km (NaN for a null row)."""
        return self.length_m / 1000.0

    @cached_property
    def _key(self) -> NDArray[np.complex128]:
        return self.owner + 1j * self.chainage_m

    def _segment(
        self, line: NDArray[np.intp], key: NDArray[np.complex128], at: NDArray[np.float64]
    ) -> NDArray[np.intp]:
        """The segment (index of its first vertex) of ``line`` on which ``at`` falls, by ``key``."""
        seg = np.searchsorted(key, line + 1j * at, side="right") - 1
        return np.clip(seg, self.first[line], self.stop[line] - 2)

    def _rows(self, line: ArrayLike, *values: ArrayLike) -> tuple[NDArray[Any], ...]:
        """``line`` and ``values`` broadcast together and flattened; ``line`` as row indices."""
        arrays = np.broadcast_arrays(np.asarray(line), *(np.asarray(v) for v in values))
        line = arrays[0].ravel()
        if line.size and not np.issubdtype(line.dtype, np.integer):
            raise TypeError("line indices must be integers")
        line = line.astype(np.intp)
        if line.size and (line.min() < 0 or line.max() >= self.n):
            raise IndexError(f"line index out of range for {self.n} lines")
        return (line, *(a.ravel() for a in arrays[1:]))

    def _xy_at(self, line: NDArray[np.intp], at_m: NDArray[np.float64]) -> NDArray[np.float64]:
        """(lon, lat) at chainage ``at_m`` (already in ``[0, length]``) of valid ``line`` rows."""
        seg = self._segment(line, self._key, at_m)
        lon, lat, _ = geod().fwd(
            self.coords[seg, 0], self.coords[seg, 1], self.azimuth[seg], at_m - self.chainage_m[seg]
        )
        return np.column_stack([lon, lat])

    def interpolate_xy(self, line: ArrayLike, km: ArrayLike) -> NDArray[np.float64]:
        """(lon, lat) at geodesic chainage ``km`` along ``line``, as an ``(n, 2)`` array.

        ``line`` (row indices) and ``km`` broadcast together. Chainages outside
        ``[0, length]`` are clipped to the line's ends; a null row or a NaN ``km`` gives NaN.
        """
        line, km = self._rows(line, np.asarray(km, dtype=float))
        out = np.full((len(line), 2), np.nan)
        ok = self.valid[line] & np.isfinite(km)
        li = line[ok]
        out[ok] = self._xy_at(li, np.clip(km[ok] * 1000.0, 0.0, self.length_m[li]))
        return out

    def interpolate(self, line: ArrayLike, km: ArrayLike) -> Any:
        """Points at geodesic chainage ``km`` along ``line``: forward from the segment start.

        ``line`` and ``km`` broadcast together; a scalar pair gives one Point, else an array of
        Points (an empty Point for a null row or a NaN ``km``).
        """
        xy = self.interpolate_xy(line, km)
        out = np.full(len(xy), _EMPTY_POINT, dtype=object)
        ok = np.isfinite(xy).all(axis=1)
        out[ok] = shapely.points(xy[ok])
        shape = np.broadcast_shapes(np.shape(line), np.shape(km))
        return out[0] if shape == () else out.reshape(shape)

    @cached_property
    def _plane(self) -> tuple[NDArray[Any], ...]:
        """Every line on its own azimuthal equidistant plane, centred on its midpoint.

        The plane coordinates of a vertex are the geodesic distance and azimuth from the centre
        (what PROJ's ``aeqd`` does on the ellipsoid), so one ``Geod.inv`` call projects all lines.
        """
        valid = np.flatnonzero(self.valid)
        centre = np.full((self.n, 2), np.nan)
        centre[valid] = self._xy_at(valid, self.length_m[valid] / 2.0)
        xy = self._to_plane(centre[self.owner], self.coords)
        lines = np.full(self.n, None, dtype=object)
        if len(xy):
            shapely.linestrings(xy, indices=self.owner, out=lines)
        step = np.zeros(len(xy))
        same = self.owner[1:] == self.owner[:-1]
        step[:-1][same] = np.hypot(*(xy[1:] - xy[:-1])[same].T)
        run = np.concatenate([[0.0], np.cumsum(step[:-1])])
        cum = run - run[self.first[self.owner]] if len(xy) else run[:0]
        return centre, lines, cum, self.owner + 1j * cum

    @staticmethod
    def _to_plane(centre: NDArray[np.float64], xy: NDArray[np.float64]) -> NDArray[np.float64]:
        az, _, dist = geod().inv(centre[:, 0], centre[:, 1], xy[:, 0], xy[:, 1])
        az = np.radians(az)
        return np.column_stack([dist * np.sin(az), dist * np.cos(az)])

    def locate(
        self, line: ArrayLike, points: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Chainage (km) of the nearest point of ``line`` to each point, and the distance (km).

        The nearest point is found on the line's azimuthal equidistant plane (GEOS
        ``line_locate_point``), which fixes the segment and the fraction along it; the chainage
        is then the geodesic chainage of that segment's start plus the fraction of its geodesic
        length, and the distance is geodesic. ``line`` (row indices) and ``points`` (Points, or
        an ``(n, 2)`` array of lon/lat) broadcast together; a null row or point gives NaN.
        """
        pts = np.asarray(points)
        if pts.dtype != object:
            xy = np.asarray(pts, dtype=float).reshape(-1, 2)
            check_lonlat(xy[np.isfinite(xy).all(axis=1)], what="points")
        else:
            xy = point_xy(pts)
        line, pos = self._rows(line, np.arange(len(xy)))
        xy = xy[pos]
        chainage = np.full(len(line), np.nan)
        offset = np.full(len(line), np.nan)
        ok = self.valid[line] & np.isfinite(xy).all(axis=1)
        if not ok.any():
            return chainage, offset
        li, p = line[ok], xy[ok]
        centre, plane_lines, plane_cum, plane_key = self._plane
        along = shapely.line_locate_point(
            plane_lines[li], shapely.points(self._to_plane(centre[li], p))
        )
        seg = self._segment(li, plane_key, along)
        seg_len = plane_cum[seg + 1] - plane_cum[seg]
        frac = np.divide(
            along - plane_cum[seg], seg_len, out=np.zeros_like(along), where=seg_len > 0
        )
        into_m = np.clip(frac, 0.0, 1.0) * self.seg_m[seg]
        chainage[ok] = (self.chainage_m[seg] + into_m) / 1000.0
        g = geod()
        foot_lon, foot_lat, _ = g.fwd(
            self.coords[seg, 0], self.coords[seg, 1], self.azimuth[seg], into_m
        )
        _, _, off_m = g.inv(p[:, 0], p[:, 1], foot_lon, foot_lat)
        offset[ok] = np.asarray(off_m) / 1000.0
        return chainage, offset

    def chainage_on_segment(
        self, vertex: NDArray[np.intp], xy: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Chainage (m) of points known to lie on the segment that starts at ``vertex``.

        The geodesic chainage of the segment's start plus the geodesic distance to the point,
        at most the segment's length; for cut points found by intersecting segments.
        """
        _, _, into_m = geod().inv(
            self.coords[vertex, 0], self.coords[vertex, 1], xy[:, 0], xy[:, 1]
        )
        return self.chainage_m[vertex] + np.minimum(into_m, self.seg_m[vertex])

    def cut(
        self,
        line: ArrayLike,
        start_km: ArrayLike,
        end_km: ArrayLike,
        *,
        ends: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
    ) -> NDArray[np.object_]:
        """The parts of ``line`` between two geodesic chainages, as LineStrings in lon/lat.

        Each part runs from the point at the smaller chainage through the line's vertices
        strictly between the two to the point at the larger one; chainages are clipped to the
        line's ends. ``line``, ``start_km`` and ``end_km`` broadcast together. ``ends`` may give
        the (lon, lat) of both ends instead (e.g. where the line meets a border), as two
        ``(n, 2)`` arrays in the order of the sorted chainages. A null row or a NaN chainage
        gives an empty LineString.
        """
        line, a, b = self._rows(line, np.asarray(start_km, float), np.asarray(end_km, float))
        out = np.full(len(line), _EMPTY_LINE, dtype=object)
        ok = self.valid[line] & np.isfinite(a) & np.isfinite(b)
        if not ok.any():
            return out
        li = line[ok]
        length = self.length_m[li]
        lo_m = np.clip(np.minimum(a[ok], b[ok]) * 1000.0, 0.0, length)
        hi_m = np.clip(np.maximum(a[ok], b[ok]) * 1000.0, 0.0, length)
        if ends is None:
            head, tail = self._xy_at(li, lo_m), self._xy_at(li, hi_m)
        else:
            head, tail = (np.asarray(e, dtype=float).reshape(-1, 2)[ok] for e in ends)
        first_inner = np.searchsorted(self._key, li + 1j * lo_m, side="right")
        stop_inner = np.searchsorted(self._key, li + 1j * hi_m, side="left")
        counts = np.maximum(stop_inner - first_inner, 0) + 2
        start = np.cumsum(counts) - counts
        row = np.repeat(np.arange(len(li)), counts)
        pos = np.arange(len(row)) - start[row]
        xy = np.empty((len(row), 2))
        inner = (pos > 0) & (pos < counts[row] - 1)
        xy[inner] = self.coords[(first_inner[row] + pos - 1)[inner]]
        xy[start] = head
        xy[start + counts - 1] = tail
        shapely.linestrings(xy, indices=np.flatnonzero(ok)[row], out=out)
        return out


def _antimeridian_crossings(
    a: NDArray[np.float64], b: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Where the geodesics from ``a[i]`` to ``b[i]`` (lon, lat) cross the antimeridian.

    For steps with ``|Δlon| > 180``: the longitude (±180) on the side of ``a`` and the latitude
    at which the geodesic reaches it, found by bisection on the distance along the geodesic
    (vectorised over all steps; 60 halvings leave well under a micrometre). A start on ±180 is
    its own crossing, at its own latitude; an end on ±180 likewise.
    """
    g = geod()
    lon1, lat1, lon2, lat2 = a[:, 0], a[:, 1], b[:, 0], b[:, 1]
    side = np.where(lon1 > 0, 180.0, -180.0)
    az, _, dist = g.inv(lon1, lat1, lon2, lat2)
    az, dist = np.asarray(az), np.asarray(dist)

    def reached(s: NDArray[np.float64]) -> NDArray[np.bool_]:
        lon, _, _ = g.fwd(lon1, lat1, az, s)
        unwrapped = lon1 + (np.asarray(lon) - lon1 + 180.0) % 360.0 - 180.0
        return (unwrapped - side) * np.sign(side) >= 0.0

    lo, hi = np.zeros(len(a)), dist.copy()
    at_start = (np.abs(lon1) == 180.0) | reached(lo)
    for _ in range(60):  # a fixed number of vectorised halvings, not a loop over geometries
        mid = (lo + hi) / 2.0
        past = reached(mid)
        hi = np.where(past, mid, hi)
        lo = np.where(past, lo, mid)
    _, lat, _ = g.fwd(lon1, lat1, az, hi)
    lat = np.where(at_start, lat1, np.where(hi >= dist, lat2, np.asarray(lat)))
    return side, lat


def cut_at_antimeridian(
    geoms: NDArray[np.object_], coords: NDArray[np.float64], owner: NDArray[np.intp]
) -> tuple[NDArray[np.object_], NDArray[np.intp]] | None:
    """Cut lon/lat LineStrings where they cross the antimeridian, as RFC 7946 (§3.1.9) asks.

    The rule, the same everywhere in the package: a step between two vertices whose longitudes
    differ by more than 180° goes the short way round, across ±180° (as the geodesic that
    ``length_km`` measures does). Such a line is cut there into parts that end and start on
    ±180° at the latitude where the geodesic crosses it; the parts' geodesic lengths add up to
    the line's. ``coords`` and ``owner`` are the lines' vertices and the row of each (as from
    ``shapely.get_coordinates(geoms, return_index=True)``, without NaN rows).

    Returns ``None`` when no line crosses (the common case, at the cost of one ``np.diff``);
    else the parts, in order, and the row of ``geoms`` each part comes from. Lines that do not
    cross are kept as they are (the same objects); a part of fewer than two distinct vertices
    (a line that only touches ±180° at its end) is left out.
    """
    step = np.flatnonzero((owner[1:] == owner[:-1]) & (np.abs(np.diff(coords[:, 0])) > 180.0))
    if len(step) == 0:
        return None
    side, lat = _antimeridian_crossings(coords[step], coords[step + 1])
    crossing = np.zeros(len(geoms), dtype=bool)
    crossing[owner[step]] = True
    verts = np.flatnonzero(crossing[owner])
    # every vertex of the crossing lines, and two points per crossing: one ends a part on the
    # side of the step's start, the other starts the next part on the far side
    pos = np.concatenate([verts, step + 0.25, step + 0.5])
    xy = np.concatenate(
        [coords[verts], np.column_stack([side, lat]), np.column_stack([-side, lat])]
    )
    row = np.concatenate([owner[verts], owner[step], owner[step]])
    starts = np.concatenate([np.zeros(len(verts) + len(step), bool), np.ones(len(step), bool)])
    order = np.argsort(pos, kind="stable")
    xy, row, starts = xy[order], row[order], starts[order]
    part = np.cumsum(starts | np.r_[True, row[1:] != row[:-1]]) - 1
    # an end or start on ±180 is found twice: keep one of the two
    dup = np.r_[False, (part[1:] == part[:-1]) & (xy[1:] == xy[:-1]).all(axis=1)]
    xy, row, part = xy[~dup], row[~dup], part[~dup]
    counts = np.bincount(part)
    keep = counts[part] >= 2
    xy, row, part = xy[keep], row[keep], part[keep]
    _, part = np.unique(part, return_inverse=True)
    pieces = shapely.linestrings(xy, indices=part)
    piece_row = row[np.searchsorted(part, np.arange(len(pieces)))]
    # the new parts take the place of their lines, in order
    others = np.flatnonzero(~crossing)
    out_row = np.concatenate([others, piece_row])
    out = np.concatenate([geoms[others], pieces])
    order = np.argsort(out_row, kind="stable")
    return out[order], out_row[order]
