"""corridors: infrastructure-corridor geography for Laos and its neighbours.

Load the China–Laos Railway, the Vientiane–Hanoi Expressway, the Vientiane–Vung Ang railway and
the lines, dry ports and border gates around them as GeoDataFrames; measure them on the WGS84
ellipsoid, split them by country, find their border crossings and check published figures.

Examples
--------
>>> import corridors
>>> clr = corridors.load("china-laos-railway")
>>> km = corridors.length_km(clr)
>>> pieces = corridors.split_by_country(clr)
>>> report = corridors.check(clr)
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from corridors import settings
from corridors.borders import border_crossings, split_by_country
from corridors.catalogue import (
    CORRIDORS,
    Registry,
    border_gates,
    boundaries,
    catalog,
    dry_ports,
    ids,
    load,
    ports,
    seaports,
)
from corridors.check import CheckReport, check
from corridors.corridor import Corridor
from corridors.errors import (
    CoordinateError,
    CorridorsError,
    CRSError,
    DataFileError,
    GeometryError,
    SchemaError,
    UnknownIdError,
)
from corridors.geodesy import chainage_km, length_km, offset_km, point_at_km
from corridors.routes import distance_km, station_chainage_km

try:
    __version__ = version("corridors")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0+unknown"

__all__ = [
    "CORRIDORS",
    "CRSError",
    "CheckReport",
    "CoordinateError",
    "Corridor",
    "CorridorsError",
    "DataFileError",
    "GeometryError",
    "Registry",
    "SchemaError",
    "UnknownIdError",
    "__version__",
    "border_crossings",
    "border_gates",
    "boundaries",
    "catalog",
    "chainage_km",
    "check",
    "distance_km",
    "dry_ports",
    "ids",
    "length_km",
    "load",
    "offset_km",
    "point_at_km",
    "ports",
    "seaports",
    "settings",
    "split_by_country",
    "station_chainage_km",
]
