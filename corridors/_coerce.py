"""Turn what users pass (geometries, GeoSeries, GeoDataFrames, corridors) into checked arrays.

This is the lowest layer: it imports nothing else from the package but the errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from corridors.errors import CoordinateError, CRSError, GeometryError

WGS84 = "EPSG:4326"


@runtime_checkable
class SupportsGeoSeries(Protocol):
    """Anything that can give its geometry as a GeoSeries with a CRS (e.g. a ``Corridor``)."""

    def to_geoseries(self) -> gpd.GeoSeries:
        """Return the geometry as a GeoSeries with its CRS."""
        ...


def to_geoseries(x: Any, *, what: str = "geometry") -> gpd.GeoSeries:
    """Return ``x`` as a GeoSeries in EPSG:4326, refusing empty input and a missing CRS.

    Bare shapely geometries (and sequences of them) are taken as longitude/latitude on WGS84.
    """
    if isinstance(x, SupportsGeoSeries) and not isinstance(x, gpd.GeoSeries | gpd.GeoDataFrame):
        x = x.to_geoseries()
    if isinstance(x, gpd.GeoDataFrame):
        column = getattr(x, "_geometry_column_name", None)  # None, or a dropped column
        if column is None or column not in x.columns:
            raise GeometryError(f"the GeoDataFrame given as {what} has no active geometry column")
        x = x.geometry
    if isinstance(x, gpd.GeoSeries):
        if x.crs is None:
            raise CRSError(
                f"the {what} has no CRS; set one with .set_crs(...), e.g. EPSG:4326 for lon/lat"
            )
        series = x if x.crs.equals(WGS84) else x.to_crs(WGS84)
    elif isinstance(x, shapely.Geometry):
        series = gpd.GeoSeries([x], crs=WGS84)
    elif isinstance(x, np.ndarray | Sequence) and not isinstance(x, str | bytes):
        arr = np.asarray(x, dtype=object)
        if arr.ndim != 1 or not all(isinstance(g, shapely.Geometry) for g in arr):
            raise GeometryError(f"expected shapely geometries as {what}, got {type(x).__name__}")
        series = gpd.GeoSeries(arr, crs=WGS84)
    else:
        raise GeometryError(
            f"expected a shapely geometry, GeoSeries, GeoDataFrame or Corridor as {what}, "
            f"got {type(x).__name__}"
        )
    if len(series) == 0:
        raise GeometryError(f"the {what} is empty: no geometries given")
    geoms = geometry_array(series)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        label = series.index[int(np.flatnonzero(missing)[0])]
        raise GeometryError(f"the {what} has an empty or missing geometry (at index {label!r})")
    return series


def geometry_array(series: gpd.GeoSeries) -> NDArray[np.object_]:
    """Return the shapely geometries of a GeoSeries as a NumPy object array (no copy)."""
    return np.asarray(series.array, dtype=object)


def check_lonlat(coords: NDArray[np.float64], *, what: str = "geometry") -> None:
    """Raise :class:`CoordinateError` unless every (lon, lat) row is finite and in range.

    Latitudes beyond ±90° whose longitudes would be valid latitudes are reported as swapped.
    """
    if coords.size == 0:
        return
    lon, lat = coords[:, 0], coords[:, 1]
    if not np.isfinite(coords).all():
        raise CoordinateError(f"the {what} has NaN or infinite coordinates")
    bad_lat = np.abs(lat) > 90.0
    if bad_lat.any():
        i = int(np.flatnonzero(bad_lat)[0])
        if abs(lon[i]) <= 90.0 and abs(lat[i]) <= 180.0:
            raise CoordinateError(
                f"the {what} has latitude {lat[i]:g} at ({lon[i]:g}, {lat[i]:g}): "
                "coordinates look swapped; GeoJSON and corridors expect (lon, lat)"
            )
        raise CoordinateError(
            f"the {what} has latitude {lat[i]:g}, outside [-90, 90]: are the coordinates "
            "projected? give a GeoSeries or GeoDataFrame with its CRS"
        )
    bad_lon = np.abs(lon) > 180.0
    if bad_lon.any():
        i = int(np.flatnonzero(bad_lon)[0])
        raise CoordinateError(
            f"the {what} has longitude {lon[i]:g}, outside [-180, 180]: are the coordinates "
            "projected? give a GeoSeries or GeoDataFrame with its CRS"
        )


def single_line(x: Any, *, what: str = "line") -> shapely.LineString:
    """Return ``x`` as one continuous LineString in lon/lat, merging parts that join."""
    series = to_geoseries(x, what=what)
    if len(series) != 1:
        geoms = geometry_array(series)
        other = ~np.isin(shapely.get_type_id(geoms), [1, 2, 5])  # not (Multi)LineStrings
        if other.any():
            raise GeometryError(
                f"the {what} must be one continuous LineString, got a "
                f"{geoms[other][0].geom_type} among {len(geoms)} geometries"
            )
        check_lonlat(shapely.get_coordinates(geoms), what=what)
        try:
            geom = shapely.line_merge(shapely.union_all(geoms))
        except shapely.errors.GEOSException as err:  # e.g. a robustness failure of the overlay
            raise GeometryError(f"the {what} cannot be joined into one line: {err}") from None
    else:
        geom = series.iloc[0]
        if isinstance(geom, shapely.MultiLineString):
            geom = shapely.line_merge(geom)
    if not isinstance(geom, shapely.LineString):
        raise GeometryError(
            f"the {what} must be one continuous LineString, got {geom.geom_type}"
            + (
                f" of {shapely.get_num_geometries(geom)} parts"
                if geom.geom_type.startswith("Multi")
                else ""
            )
        )
    check_lonlat(shapely.get_coordinates(geom), what=what)
    return geom
