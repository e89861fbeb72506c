"""The per-row operations on a ``dask_geopandas.GeoDataFrame``, partition by partition.

:func:`length_km`, :func:`split_by_country` and :func:`border_crossings` run the in-memory
functions of :mod:`corridors.geodesy` and :mod:`corridors.borders` on every partition and return
dask collections, so the numbers are those of the in-memory path. Every row is measured or cut on
its own, so partitions never need to see one another.

The boundaries (and the border gates) are checked and reprojected once, on the client, and
shipped once: to every worker with ``client.scatter(..., broadcast=True)`` when a
``dask.distributed`` client is active, else as one ``dask.delayed`` object that all partitions
share. The same code runs on the threaded scheduler, a ``LocalCluster`` or a real cluster; build
and compute the result under the same client.

Needs the ``dask`` extra: ``pip install "corridors[dask]"`` (dask, distributed and
dask-geopandas), imported only when these functions are called.

Examples
--------
>>> import dask_geopandas, geopandas as gpd, shapely
>>> from corridors import scale
>>> lines = gpd.GeoDataFrame(
...     {"name": ["a", "b"]},
...     geometry=[shapely.LineString([(101, 20), (101.5, 20.5)]),
...               shapely.LineString([(101.0, 21.2), (101.0, 21.8)])],
...     crs="EPSG:4326",
... )
>>> ddf = dask_geopandas.from_geopandas(lines, npartitions=2)
>>> scale.length_km(ddf).compute().round(1).tolist()
[76.1, 66.4]
>>> scale.split_by_country(ddf).compute()[["line", "iso3"]].values.tolist()
[[0, 'LAO'], [1, 'LAO'], [1, 'MMR'], [1, 'CHN']]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import shapely

from corridors import _data, borders, geodesy
from corridors._coerce import WGS84
from corridors.errors import CRSError, GeometryError

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    import dask.dataframe as dd
    import dask_geopandas

__all__ = ["border_crossings", "length_km", "split_by_country"]

INSTALL_HINT = 'corridors.scale needs dask: pip install "corridors[dask]"'


def _dask_geopandas() -> Any:
    try:
        import dask_geopandas
    except ImportError as err:  # pragma: no cover - the dask extra is in the dev extra
        raise ImportError(INSTALL_HINT) from err
    return dask_geopandas


def _check_input(ddf: Any, what: str) -> None:
    """Refuse anything but a dask-geopandas collection with a CRS."""
    dgpd = _dask_geopandas()
    if not isinstance(ddf, dgpd.GeoDataFrame | dgpd.GeoSeries):
        hint = (
            f"; for one in memory use corridors.{what}(...), or split it with "
            "dask_geopandas.from_geopandas(gdf, npartitions=...)"
            if isinstance(ddf, gpd.GeoDataFrame | gpd.GeoSeries)
            else ""
        )
        raise GeometryError(
            f"corridors.scale.{what} takes a dask_geopandas GeoDataFrame or GeoSeries, "
            f"got {type(ddf).__name__}{hint}"
        )
    if ddf.crs is None:
        raise CRSError(
            "the dask GeoDataFrame has no CRS; set one with .set_crs(...), e.g. EPSG:4326 for "
            "lon/lat"
        )


def _ship(*objects: Any) -> list[Any]:
    """Send each object once: scattered to every worker, else one shared ``dask.delayed``."""
    try:
        from distributed import get_client

        client = get_client()
    except (ImportError, ValueError):  # no dask.distributed, or no client: a local scheduler
        client = None
    if client is not None:
        return list(client.scatter(list(objects), broadcast=True))
    import dask

    return [dask.delayed(obj) for obj in objects]


def _checked_boundaries(boundaries: gpd.GeoDataFrame | None, by: str) -> gpd.GeoDataFrame:
    """The boundaries checked and in EPSG:4326, with only the columns the split reads."""
    b = borders._boundaries(boundaries, by)
    return b[[by, b.geometry.name]]


def _sample(ddf: Any) -> gpd.GeoDataFrame | gpd.GeoSeries:
    """Two short lon/lat lines crossing longitude 0.5, with the columns and index of ``ddf``."""
    from dask.dataframe.utils import meta_nonempty

    meta = ddf._meta
    geometry = [shapely.LineString([(0, 0), (1, 0)]), shapely.LineString([(0, 1), (1, 1)])]
    if isinstance(meta, gpd.GeoSeries):
        index = meta_nonempty(pd.Series([], index=meta.index, dtype=float)).index[:2]
        return gpd.GeoSeries(geometry, index=index, crs=WGS84, name=meta.name)
    name = meta.geometry.name
    frame = meta_nonempty(pd.DataFrame(meta.drop(columns=[name]))).iloc[:2]
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, index=frame.index, crs=WGS84))


def _sample_boundaries(boundaries: gpd.GeoDataFrame, by: str) -> gpd.GeoDataFrame:
    """Two countries either side of longitude 0.5, named like two of ``boundaries``."""
    codes = boundaries[by]
    other = int((codes != codes.iloc[0]).to_numpy().argmax())  # 0 when all are the same
    names = codes.iloc[[0, other]].reset_index(drop=True)
    return gpd.GeoDataFrame(
        {by: names},
        geometry=[shapely.box(-180, -90, 0.5, 90), shapely.box(0.5, -90, 180, 90)],
        crs=WGS84,
    )


def _like(out: gpd.GeoDataFrame, meta: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``out`` with the dtypes of ``meta`` (an empty partition, or an all-None gate column)."""
    if len(out) == 0:
        return meta
    cast = {
        c: meta[c].dtype
        for c in meta.columns
        if c != meta.geometry.name and out[c].dtype != meta[c].dtype
    }
    return out.astype(cast) if cast else out


def _length_partition(part: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    if len(part) == 0:
        return pd.Series([], index=part.index, dtype=float, name="length_km")
    return geodesy.length_km(part)


def _split_partition(
    part: gpd.GeoDataFrame | gpd.GeoSeries,
    boundaries: gpd.GeoDataFrame,
    by: str,
    meta: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    if len(part) == 0:
        return meta
    return _like(borders.split_by_country(part, boundaries, by=by), meta)


def _crossings_partition(
    part: gpd.GeoDataFrame | gpd.GeoSeries,
    boundaries: gpd.GeoDataFrame,
    gates: gpd.GeoDataFrame,
    by: str,
    meta: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    if len(part) == 0:
        return meta
    return _like(borders.border_crossings(part, boundaries, gates=gates, by=by), meta)


def length_km(ddf: dask_geopandas.GeoDataFrame) -> dd.Series:
    """Geodesic length on the WGS84 ellipsoid of every row of a dask GeoDataFrame, in km.

    Parameters
    ----------
    ddf
        A ``dask_geopandas.GeoDataFrame`` or ``GeoSeries`` in any CRS (reprojected to
        EPSG:4326 partition by partition; a missing CRS is refused).

    Returns
    -------
    dask.dataframe.Series
        Named ``length_km``, on the same index and divisions as ``ddf``; its ``compute()`` equals
        :func:`corridors.length_km` of the computed frame.
    """
    _check_input(ddf, "length_km")
    meta = pd.Series([], index=ddf._meta.index, dtype=float, name="length_km")
    return ddf.map_partitions(_length_partition, meta=meta)


def split_by_country(
    ddf: dask_geopandas.GeoDataFrame,
    boundaries: gpd.GeoDataFrame | None = None,
    *,
    by: str = "iso3",
) -> dask_geopandas.GeoDataFrame:
    """Cut the lines of a dask GeoDataFrame at country borders, partition by partition.

    Parameters
    ----------
    ddf
        A ``dask_geopandas.GeoDataFrame`` (or ``GeoSeries``) of LineStrings or
        MultiLineStrings, in any CRS.
    boundaries
        Country polygons with a CRS and a ``by`` column (an in-memory GeoDataFrame); default:
        the embedded Natural Earth boundaries. Checked and reprojected once, then shipped once
        to each worker.
    by
        Column of ``boundaries`` naming the country.

    Returns
    -------
    dask_geopandas.GeoDataFrame
        The columns and dtypes of :func:`corridors.split_by_country`: ``line`` (the input's
        index label), ``iso3`` (``"outside"`` beyond every polygon), ``start_km``, ``end_km``,
        ``length_km``, the other columns of
        ``ddf`` and the pieces in EPSG:4326. The rows come in the in-memory order; the index
        restarts at 0 in every partition (unknown divisions), so
        ``.compute().reset_index(drop=True)`` is the in-memory result.
    """
    _check_input(ddf, "split_by_country")
    b = _checked_boundaries(boundaries, by)
    meta = borders.split_by_country(_sample(ddf), _sample_boundaries(b, by), by=by).iloc[:0]
    (shipped,) = _ship(b)
    return ddf.map_partitions(_split_partition, shipped, by, meta, meta=meta, clear_divisions=True)


def border_crossings(
    ddf: dask_geopandas.GeoDataFrame,
    boundaries: gpd.GeoDataFrame | None = None,
    *,
    gates: gpd.GeoDataFrame | None = None,
    by: str = "iso3",
) -> dask_geopandas.GeoDataFrame:
    """Points where the lines of a dask GeoDataFrame cross a border, partition by partition.

    Parameters
    ----------
    ddf
        Lines, as for :func:`split_by_country`.
    boundaries
        Country polygons; default: the embedded Natural Earth boundaries.
    gates
        Border gates (points with ``id``, ``name`` and ``countries``); default: the embedded
        :func:`corridors.border_gates`. Shipped once with the boundaries.
    by
        Column of ``boundaries`` naming the country.

    Returns
    -------
    dask_geopandas.GeoDataFrame
        The columns of :func:`corridors.border_crossings`: ``line``, ``from_iso3``, ``to_iso3``,
        ``chainage_km``, ``gate_id``, ``gate_name``, ``gate_distance_km`` and the Point; the
        index restarts at 0 in every partition, as for :func:`split_by_country`.
    """
    _check_input(ddf, "border_crossings")
    b = _checked_boundaries(boundaries, by)
    g = _data.layer("border_gates") if gates is None else gates
    if not isinstance(g, gpd.GeoDataFrame):
        raise GeometryError(f"gates must be a GeoDataFrame, got {type(g).__name__}")
    if g.crs is None:
        raise CRSError("the gates have no CRS; set one with .set_crs(...)")
    g = g if g.crs.equals(WGS84) else g.to_crs(WGS84)
    sample = _sample(ddf)
    meta = borders.border_crossings(sample, _sample_boundaries(b, by), gates=g, by=by).iloc[:0]
    shipped_b, shipped_g = _ship(b, g)
    return ddf.map_partitions(
        _crossings_partition, shipped_b, shipped_g, by, meta, meta=meta, clear_divisions=True
    )
