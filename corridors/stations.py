"""Where the stations of a corridor lie along its main line, and the distances between them.

Linear referencing on one corridor: each station is located on the main line (geodesic
chainage from the line's start, and its offset from the line) with
:func:`corridors.geodesy.chainage_km` and :func:`~corridors.geodesy.offset_km`, all stations in
one batch. Routing over the network of every corridor lives in :mod:`corridors.routing`.

Examples
--------
>>> import corridors
>>> round(corridors.distance_km("china-laos-railway", "Vientiane", "Vientiane"), 1)
0.0
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from corridors import settings
from corridors.corridor import Corridor
from corridors.errors import GeometryError
from corridors.geodesy import chainage_km, offset_km
from corridors.registry import load

__all__ = ["distance_km", "station_chainage_km"]


def _corridor(corridor: str | Corridor) -> Corridor:
    return corridor if isinstance(corridor, Corridor) else load(corridor)


def _main_line(c: Corridor) -> shapely.LineString:
    if not isinstance(c.geometry, shapely.LineString):
        raise GeometryError(f"corridor {c.id!r}: the main line is not one continuous LineString")
    return c.geometry


def station_chainage_km(corridor: str | Corridor) -> pd.DataFrame:
    """Chainage of every station along the corridor's main line, with its offset from the line.

    Parameters
    ----------
    corridor
        A corridor id or a ``Corridor``.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``name``, ``kind``, ``chainage_km`` (geodesic, from the main line's start) and
        ``offset_km`` (distance from the line), one row per station in line order.

    Raises
    ------
    GeometryError
        If the corridor has no stations or its main line is not one continuous LineString.

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
    line = _main_line(c)
    points = np.asarray(c.stations.geometry.array, dtype=object)
    table = c.stations[["id", "name", "kind"]].copy()
    table["chainage_km"] = chainage_km(line, points)
    table["offset_km"] = offset_km(line, points)
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
    line = _main_line(c)
    points = np.array([r.geometry for r in rows], dtype=object)
    offset = offset_km(line, points)
    far = offset > settings.station_snap_km
    if far.any():
        r = rows[int(np.flatnonzero(far)[0])]
        raise GeometryError(
            f"station {r['name']!r} is {offset[far][0]:.1f} km from the main line of "
            f"{c.id!r} (more than settings.station_snap_km = {settings.station_snap_km} km)"
        )
    chainage = chainage_km(line, points)
    return float(abs(chainage[1] - chainage[0]))
