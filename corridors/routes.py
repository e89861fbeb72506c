"""Distances along a corridor between named stations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from corridors import settings
from corridors.catalogue import load
from corridors.corridor import Corridor
from corridors.errors import GeometryError
from corridors.geodesy import LocatedPoints

__all__ = ["distance_km", "station_chainage_km"]


def _corridor(corridor: str | Corridor) -> Corridor:
    return corridor if isinstance(corridor, Corridor) else load(corridor)


def station_chainage_km(corridor: str | Corridor) -> pd.DataFrame:
    """Chainage of every station along the corridor's main line, with its offset from the line.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``name``, ``kind``, ``chainage_km`` (geodesic, from the main line's start) and
        ``offset_km`` (distance from the line), one row per station in line order.

    Examples
    --------
    >>> import corridors
    >>> table = corridors.station_chainage_km("china-laos-railway")
    >>> bool(table["chainage_km"].is_monotonic_increasing)
    True
    """
    c = _corridor(corridor)
    if len(c.stations) == 0:
        raise GeometryError(f"corridor {c.id!r} has no stations")
    if not isinstance(c.geometry, shapely.LineString):
        raise GeometryError(f"corridor {c.id!r}: the main line is not one continuous LineString")
    located = LocatedPoints(c.geometry, np.asarray(c.stations.geometry.array, dtype=object))
    table = c.stations[["id", "name", "kind"]].copy()
    table["chainage_km"] = located.chainage_km
    table["offset_km"] = located.offset_km
    return table.sort_values("chainage_km", kind="stable").reset_index(drop=True)


def distance_km(corridor: str | Corridor, a: str, b: str) -> float:
    """Geodesic distance along the corridor's main line between two stations.

    Parameters
    ----------
    corridor
        A corridor id or a ``Corridor``.
    a, b
        Station ids or names (English or local, case-insensitive).

    Returns
    -------
    float
        Distance in km along the line, always >= 0.

    Raises
    ------
    UnknownIdError
        For an unknown corridor or station, with did-you-mean suggestions.
    GeometryError
        If a station lies farther than ``settings.station_snap_km`` from the main line
        (e.g. it is on a branch).

    Examples
    --------
    >>> import corridors
    >>> corridors.distance_km("china-laos-railway", "Kunming South", "Vientiane") > 900
    True
    """
    c = _corridor(corridor)
    rows = [c.station(a), c.station(b)]
    if not isinstance(c.geometry, shapely.LineString):
        raise GeometryError(f"corridor {c.id!r}: the main line is not one continuous LineString")
    located = LocatedPoints(c.geometry, np.asarray([r.geometry for r in rows], dtype=object))
    far = located.offset_km > settings.station_snap_km
    if far.any():
        r = rows[int(np.flatnonzero(far)[0])]
        raise GeometryError(
            f"station {r['name']!r} is {located.offset_km[far][0]:.1f} km from the main line of "
            f"{c.id!r} (more than settings.station_snap_km = {settings.station_snap_km} km)"
        )
    return float(abs(located.chainage_km[1] - located.chainage_km[0]))
