"""Geodesic lengths and chainage on the WGS84 ellipsoid.

Everything here is vectorised: coordinates are flattened once with
``shapely.get_coordinates(..., return_index=True)``, measured with one call to PROJ's geodesic
(``pyproj.Geod.inv``) and summed per geometry with ``np.bincount``. No Python loop runs over
geometries or vertices. Chainage, offsets, points at a chainage and substrings are thin wrappers
over the batch line-referencing core, :class:`corridors._lines.Lines`. This module knows nothing
of the catalogue: it takes geometries, GeoSeries, GeoDataFrames or anything with a
``to_geoseries()`` method (such as a ``Corridor``). A null or empty row of a GeoSeries or
GeoDataFrame gives NaN for that row.

The antimeridian: every step between two vertices is the geodesic between them, so a step whose
longitudes differ by more than 180° goes the short way, across ±180° (179.5° E to 179.5° W is
about 110 km, not 39,900). Lengths, chainages, points at a chainage and offsets all follow this
rule, and so do :func:`corridors.split_by_country` and :func:`corridors.border_crossings`,
which cut such lines at ±180° (RFC 7946) and report the same chainages.
"""

from __future__ import annotations

import reprlib
from typing import Any, Literal, overload

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from corridors._coerce import check_lonlat, geometry_array, single_line
from corridors._lines import Lines, as_batch
from corridors._lines import geod as geod  # the cached Geod lives in the core; re-exported
from corridors._lines import segment_lengths_m as segment_lengths_m
from corridors.errors import GeometryError

__all__ = ["chainage_km", "length_km", "offset_km", "point_at_km"]


def lengths_km_array(
    geoms: NDArray[np.object_],
    *,
    what: str = "geometry",
    nonfinite: Literal["raise", "nan"] = "raise",
) -> NDArray[np.float64]:
    """Geodesic length in km of each geometry in a NumPy array of lon/lat geometries.

    Lines are measured along their vertices, polygons along their rings, points are 0.
    Multi-part geometries are summed part by part, never joining one part's end to the next
    part's start. Missing and empty geometries measure 0. A geometry with NaN or infinite
    coordinates raises :class:`CoordinateError`, or measures NaN with ``nonfinite="nan"``.
    """
    n = len(geoms)
    parts, part_owner = _simple_parts(geoms)
    coords, vertex_part = shapely.get_coordinates(parts, return_index=True)
    bad_owner = None
    if nonfinite == "nan" and not np.isfinite(coords).all():
        bad_part = np.zeros(len(parts), dtype=bool)
        bad_part[vertex_part[~np.isfinite(coords).all(axis=1)]] = True
        keep = ~bad_part[vertex_part]
        coords, vertex_part = coords[keep], vertex_part[keep]
        bad_owner = np.flatnonzero(bad_part)
        if part_owner is not None:
            bad_owner = part_owner[bad_owner]
    check_lonlat(coords, what=what)
    seg = np.flatnonzero(vertex_part[1:] == vertex_part[:-1])
    dist_m = segment_lengths_m(coords, seg)
    seg_owner = vertex_part[seg]
    if part_owner is not None:
        seg_owner = part_owner[seg_owner]
    km = np.bincount(seg_owner, weights=dist_m, minlength=n) / 1000.0
    if bad_owner is not None:
        km[bad_owner] = np.nan
    return km


def _simple_parts(
    geoms: NDArray[np.object_],
) -> tuple[NDArray[np.object_], NDArray[np.intp] | None]:
    """Split geometries into points and lines (polygons into their rings), with their owners.

    One vectorised pass per level of nesting (a collection of multi-polygons takes three); the
    owner array is ``None`` when every geometry is already simple.
    """
    owner: NDArray[np.intp] | None = None
    while True:
        types = shapely.get_type_id(geoms)
        polygon = types == 3
        if polygon.any():
            geoms = geoms.copy()
            geoms[polygon] = shapely.boundary(geoms[polygon])  # a ring, or rings with holes
            types = shapely.get_type_id(geoms)
        if not ((types >= 4) & (types <= 7)).any():
            return geoms, owner
        geoms, index = shapely.get_parts(geoms, return_index=True)
        owner = index if owner is None else owner[index]


@overload
def length_km(x: gpd.GeoSeries | gpd.GeoDataFrame) -> pd.Series: ...
@overload
def length_km(x: Any) -> float: ...
def length_km(x: Any) -> float | pd.Series:
    """Geodesic length on the WGS84 ellipsoid, in km.

    Every geometry type has a length, by one rule, the same for the API and the command line:

    * a LineString (or LinearRing) is measured along its vertices; a MultiLineString part by
      part, never joining one part's end to the next part's start;
    * a Polygon (or MultiPolygon) is measured along its rings: its perimeter, holes included;
    * a Point (or MultiPoint) measures 0; a GeometryCollection is the sum of its members;
    * a list of geometries is measured as one: the sum of their lengths (one float);
    * a ``Corridor`` is its main line; a GeoSeries or GeoDataFrame gives one value per row.

    A file is not a geometry: ``corridors length FILE`` measures the corridor that
    :meth:`Corridor.from_file` builds, and ``length_km(Corridor.from_file(FILE))`` gives the
    same number; a file without a line, or with polygons, is refused in both with the same
    :class:`GeometryError`. Input that cannot be measured (no geometry, NaN or out-of-range
    coordinates, a missing CRS) raises a :class:`CorridorsError`, never a bare ``ValueError``.

    Parameters
    ----------
    x
        A shapely geometry in lon/lat, a sequence of them, a ``Corridor``, or a GeoSeries or
        GeoDataFrame in any CRS (reprojected to EPSG:4326 first; a missing CRS is refused).

    Returns
    -------
    float or pandas.Series
        One number for a single geometry, a list or a corridor; a Series aligned on the input's
        index for a GeoSeries or GeoDataFrame (NaN for a missing or empty row, or one with NaN
        coordinates).

    Examples
    --------
    >>> import shapely, corridors
    >>> round(corridors.length_km(shapely.LineString([(0, 0), (1, 0)])), 3)
    111.319
    """
    series = as_batch(x)
    if isinstance(x, gpd.GeoSeries | gpd.GeoDataFrame):
        geoms = geometry_array(series)
        km = lengths_km_array(geoms, nonfinite="nan")
        km[shapely.is_missing(geoms)] = np.nan
        return pd.Series(km, index=series.index, name="length_km")
    return float(lengths_km_array(geometry_array(series)).sum())


class LocatedPoints:
    """Where points fall on a line: chainage along it and distance from it, in km.

    A thin wrapper over :meth:`corridors._lines.Lines.locate` for one line; a missing or empty
    point gives NaN.
    """

    def __init__(self, line: shapely.LineString, points: NDArray[np.object_]) -> None:
        points = np.asarray(points, dtype=object)
        if not np.isin(shapely.get_type_id(points), [-1, 0]).all():
            raise ValueError("points must be Point geometries")
        lines = Lines(np.array([line], dtype=object), what="line")
        self.chainage_km, self.offset_km = lines.locate(0, points)
        self.length_km = float(lines.length_km[0])


def _points(points: Any) -> tuple[NDArray[np.object_], pd.Index | None]:
    series = as_batch(points, what="points")
    geoms = geometry_array(series)
    if not np.isin(shapely.get_type_id(geoms), [-1, 0]).all():
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
        A Point, a sequence of Points, or a GeoSeries/GeoDataFrame of points with a CRS (a
        missing or empty row gives NaN).

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

    Chainages outside ``[0, length]`` are clipped to the line's ends; a NaN gives an empty Point.

    Examples
    --------
    >>> import shapely, corridors
    >>> line = shapely.LineString([(0, 0), (2, 0)])
    >>> round(corridors.point_at_km(line, 111.319491).x, 6)
    1.0
    """
    lines = Lines(np.array([single_line(line)], dtype=object), what="line")
    return lines.interpolate(0, _chainages(km))


def _chainages(km: ArrayLike) -> NDArray[np.float64]:
    """``km`` as floats (``None`` is NaN); anything that is not numbers is a GeometryError."""
    try:
        return np.asarray(km, dtype=float)
    except (TypeError, ValueError):
        raise GeometryError(f"chainages must be numbers of km, got {reprlib.repr(km)}") from None


def substring_km(line: Any, start_km: float, end_km: float) -> shapely.LineString:
    """The part of ``line`` between two geodesic chainages, as a LineString in lon/lat.

    Examples
    --------
    >>> import shapely, corridors.geodesy as g
    >>> part = g.substring_km(shapely.LineString([(0, 0), (2, 0)]), 50, 150)
    >>> round(g.length_km(part), 6)
    100.0
    """
    lines = Lines(np.array([single_line(line)], dtype=object), what="line")
    return lines.cut(0, float(start_km), float(end_km))[0]
