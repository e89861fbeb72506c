"""Geodesic lengths and chainage on the WGS84 ellipsoid.

Everything here is vectorised: coordinates are flattened once with
``shapely.get_coordinates(..., return_index=True)``, measured with one call to PROJ's geodesic
(``pyproj.Geod.inv``) and summed per geometry with ``np.bincount``. No Python loop runs over
geometries or vertices. This module knows nothing of the catalogue: it takes geometries,
GeoSeries, GeoDataFrames or anything with a ``to_geoseries()`` method (such as a ``Corridor``).
"""

from __future__ import annotations

from functools import cache
from typing import Any, overload

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray

from corridors import settings
from corridors._coerce import (
    WGS84,
    check_lonlat,
    geometry_array,
    single_line,
    to_geoseries,
)
from corridors.errors import GeometryError

__all__ = ["chainage_km", "length_km", "offset_km", "point_at_km"]


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


def lengths_km_array(geoms: NDArray[np.object_], *, what: str = "geometry") -> NDArray[np.float64]:
    """Geodesic length in km of each geometry in a NumPy array of lon/lat geometries.

    Lines are measured along their vertices, polygons along their rings, points are 0.
    Multi-part geometries are summed part by part, never joining one part's end to the next
    part's start.
    """
    n = len(geoms)
    types = shapely.get_type_id(geoms)
    # Polygons are measured along their rings; everything is then split into simple parts once.
    polygonal = (types == 3) | (types == 6)
    if polygonal.any():
        geoms = geoms.copy()
        geoms[polygonal] = shapely.boundary(geoms[polygonal])
    if polygonal.any() or ((types >= 4) & (types <= 7)).any():
        parts, part_owner = shapely.get_parts(geoms, return_index=True)
    else:  # only simple geometries: skip the copy into parts
        parts, part_owner = geoms, None
    coords, vertex_part = shapely.get_coordinates(parts, return_index=True)
    check_lonlat(coords, what=what)
    seg = np.flatnonzero(vertex_part[1:] == vertex_part[:-1])
    dist_m = segment_lengths_m(coords, seg)
    seg_owner = vertex_part[seg]
    if part_owner is not None:
        seg_owner = part_owner[seg_owner]
    return np.bincount(seg_owner, weights=dist_m, minlength=n) / 1000.0


@overload
def length_km(x: gpd.GeoSeries | gpd.GeoDataFrame) -> pd.Series: ...
@overload
def length_km(x: Any) -> float: ...
def length_km(x: Any) -> float | pd.Series:
    """Geodesic length on the WGS84 ellipsoid, in km.

    Parameters
    ----------
    x
        A shapely geometry in lon/lat, a ``Corridor``, or a GeoSeries or GeoDataFrame in any CRS
        (reprojected to EPSG:4326 first; a missing CRS is refused).

    Returns
    -------
    float or pandas.Series
        One number for a single geometry or corridor; a Series aligned on the input's index for a
        GeoSeries or GeoDataFrame.

    Examples
    --------
    >>> import shapely, corridors
    >>> round(corridors.length_km(shapely.LineString([(0, 0), (1, 0)])), 3)
    111.319
    """
    series = to_geoseries(x)
    km = lengths_km_array(geometry_array(series))
    if isinstance(x, gpd.GeoSeries | gpd.GeoDataFrame):
        return pd.Series(km, index=series.index, name="length_km")
    return float(km.sum())


class LocatedPoints:
    """Where points fall on a line: chainage along it and distance from it, in km."""

    def __init__(self, line: shapely.LineString, points: NDArray[np.object_]) -> None:
        coords = shapely.get_coordinates(line)
        pts = shapely.get_coordinates(points)
        if len(pts) != len(points):
            raise ValueError("points must be Point geometries")
        check_lonlat(pts, what="points")
        g = geod()
        az, _, seg_m = g.inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
        cum_m = np.concatenate([[0.0], np.cumsum(seg_m)])
        # Locate on a local azimuthal equidistant plane centred on the line: good enough to find
        # the segment and the fraction along it; the chainage itself is then geodesic.
        lon0, lat0 = shapely.get_coordinates(line.interpolate(0.5, normalized=True))[0]
        to_plane = _aeqd(round(float(lon0), 3), round(float(lat0), 3))
        xy = np.column_stack(to_plane.transform(coords[:, 0], coords[:, 1]))
        pxy = np.column_stack(to_plane.transform(pts[:, 0], pts[:, 1]))
        plane_line = shapely.LineString(xy)
        along = shapely.line_locate_point(plane_line, shapely.points(pxy))
        plane_cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
        seg = np.clip(np.searchsorted(plane_cum, along, side="right") - 1, 0, len(seg_m) - 1)
        seg_len = plane_cum[seg + 1] - plane_cum[seg]
        frac = np.divide(
            along - plane_cum[seg], seg_len, out=np.zeros_like(along), where=seg_len > 0
        )
        frac = np.clip(frac, 0.0, 1.0)
        self.chainage_km = (cum_m[seg] + frac * seg_m[seg]) / 1000.0
        foot_lon, foot_lat, _ = g.fwd(coords[seg, 0], coords[seg, 1], az[seg], frac * seg_m[seg])
        _, _, off_m = g.inv(pts[:, 0], pts[:, 1], foot_lon, foot_lat)
        self.offset_km = np.asarray(off_m) / 1000.0
        self.length_km = cum_m[-1] / 1000.0


@cache
def _aeqd(lon0: float, lat0: float) -> pyproj.Transformer:
    crs = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m")
    return pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)


def _points(points: Any) -> tuple[NDArray[np.object_], pd.Index | None]:
    series = to_geoseries(points, what="points")
    geoms = geometry_array(series)
    if not (shapely.get_type_id(geoms) == 0).all():
        raise GeometryError("points must all be Point geometries")
    keep_index = isinstance(points, gpd.GeoSeries | gpd.GeoDataFrame)
    return geoms, (series.index if keep_index else None)


def _locate(line: Any, points: Any) -> tuple[LocatedPoints, pd.Index | None, bool]:
    geom = single_line(line)
    pts, index = _points(points)
    scalar = isinstance(points, shapely.Point)
    return LocatedPoints(geom, pts), index, scalar


def _shaped(
    values: NDArray[np.float64], index: pd.Index | None, scalar: bool, name: str
) -> float | NDArray[np.float64] | pd.Series:
    """A float for one point, a Series on the points' index, or the array itself."""
    if scalar:
        return float(values[0])
    if index is not None:
        return pd.Series(values, index=index, name=name)
    return values


def chainage_km(line: Any, points: Any) -> float | NDArray[np.float64] | pd.Series:
    """Geodesic distance along ``line`` from its start to where each point projects onto it.

    Parameters
    ----------
    line
        One continuous line: a LineString in lon/lat, a ``Corridor``, or a one-row GeoSeries or
        GeoDataFrame with a CRS.
    points
        A Point, a sequence of Points, or a GeoSeries/GeoDataFrame of points with a CRS.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        A float for one Point, a Series aligned on the points' index for a GeoSeries or
        GeoDataFrame, an array otherwise.

    Examples
    --------
    >>> import shapely, corridors
    >>> line = shapely.LineString([(0, 0), (2, 0)])
    >>> round(corridors.chainage_km(line, shapely.Point(1, 0.1)), 3)
    111.319
    """
    located, index, scalar = _locate(line, points)
    return _shaped(located.chainage_km, index, scalar, "chainage_km")


def offset_km(line: Any, points: Any) -> float | NDArray[np.float64] | pd.Series:
    """Geodesic distance in km from each point to the nearest point of ``line``.

    Takes the same arguments and returns the same shapes as :func:`chainage_km`.

    Examples
    --------
    >>> import shapely, corridors
    >>> line = shapely.LineString([(0, 0), (2, 0)])
    >>> round(corridors.offset_km(line, shapely.Point(1, 0.1)), 2)
    11.06
    """
    located, index, scalar = _locate(line, points)
    return _shaped(located.offset_km, index, scalar, "offset_km")


def point_at_km(line: Any, km: ArrayLike) -> shapely.Point | NDArray[np.object_]:
    """Points at the given geodesic chainage(s) along ``line``, in lon/lat.

    Chainages outside ``[0, length]`` are clipped to the line's ends.

    Examples
    --------
    >>> import shapely, corridors
    >>> line = shapely.LineString([(0, 0), (2, 0)])
    >>> round(corridors.point_at_km(line, 111.319491).x, 6)
    1.0
    """
    geom = single_line(line)
    coords = shapely.get_coordinates(geom)
    g = geod()
    az, _, seg_m = g.inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    cum_m = np.concatenate([[0.0], np.cumsum(seg_m)])
    target = np.clip(np.atleast_1d(np.asarray(km, dtype=float)) * 1000.0, 0.0, cum_m[-1])
    seg = np.clip(np.searchsorted(cum_m, target, side="right") - 1, 0, len(seg_m) - 1)
    lon, lat, _ = g.fwd(coords[seg, 0], coords[seg, 1], az[seg], target - cum_m[seg])
    pts = shapely.points(np.column_stack([lon, lat]))
    return pts[0] if np.ndim(km) == 0 else pts


def substring_km(line: Any, start_km: float, end_km: float) -> shapely.LineString:
    """The part of ``line`` between two geodesic chainages, as a LineString in lon/lat.

    Examples
    --------
    >>> import shapely, corridors.geodesy as g
    >>> part = g.substring_km(shapely.LineString([(0, 0), (2, 0)]), 50, 150)
    >>> round(g.length_km(part), 6)
    100.0
    """
    geom = single_line(line)
    coords = shapely.get_coordinates(geom)
    seg = np.arange(len(coords) - 1)
    cum_km = np.concatenate([[0.0], np.cumsum(segment_lengths_m(coords, seg))]) / 1000.0
    a, b = sorted((float(start_km), float(end_km)))
    ends = point_at_km(geom, [a, b])
    inner = coords[(cum_km > a) & (cum_km < b)]
    xy = np.vstack([shapely.get_coordinates(ends[0]), inner, shapely.get_coordinates(ends[1])])
    return shapely.LineString(xy)
