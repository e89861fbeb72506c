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
speeds_kph, transfer_minutes, border_minutes, interchange_km, access_km
    How :func:`corridors.network.build` turns corridors into a routable network (see below).
"""

from __future__ import annotations

from pathlib import Path

data_dir: str | Path | None = None
station_snap_km: float = 2.0
ellipsoid: str = "WGS84"

# -- networks (corridors.network, corridors.route) ---------------------------------------------
#: Average running speed by mode, km/h, used for ``travel_time`` on corridor edges.
speeds_kph: dict[str, float] = {"rail": 100.0, "road": 80.0, "access": 40.0, "transfer": 20.0}
#: Minutes to change between corridors or modes (transshipment at a dry port, change of train).
transfer_minutes: float = 60.0
#: Minutes of border formalities added to every edge that crosses an international border.
border_minutes: float = 120.0
#: Nodes of different corridors closer than this (km) are joined by a transfer edge.
interchange_km: float = 1.0
#: Dry ports, seaports and border gates are joined to corridor nodes within this distance (km).
access_km: float = 10.0
