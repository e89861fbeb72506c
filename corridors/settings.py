"""Module-level settings, read at call time.

Change them by assignment, e.g. ``corridors.settings.station_snap_km = 3.0``.

Attributes
----------
data_dir
    Folder to read geodata from instead of the embedded ``corridors/geodata``. ``None`` uses the
    embedded data (the default).
station_snap_km
    Largest distance, in km, between a station and its line for chainage and distances along the
    line to be computed; a station farther away raises :class:`corridors.GeometryError`.
ellipsoid
    Name of the PROJ ellipsoid that every length is measured on.
"""

from __future__ import annotations

from pathlib import Path

data_dir: str | Path | None = None
station_snap_km: float = 2.0
ellipsoid: str = "WGS84"
