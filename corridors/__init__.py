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
from corridors._export import export
from corridors.borders import border_crossings, split_by_country
from corridors.checks import CheckReport, check
from corridors.comparison import Deviation, deviation
from corridors.corridor import Corridor
from corridors.errors import (
    CoordinateError,
    CorridorsError,
    CRSError,
    DataFileError,
    GeometryError,
    NoRouteError,
    SchemaError,
    UnknownIdError,
    WeightError,
)
from corridors.geodesy import chainage_km, length_km, offset_km, point_at_km
from corridors.registry import (
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
from corridors.routing import Route, route
from corridors.stations import distance_km, station_chainage_km

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
    "Deviation",
    "GeometryError",
    "NoRouteError",
    "Registry",
    "Route",
    "SchemaError",
    "UnknownIdError",
    "WeightError",
    "__version__",
    "border_crossings",
    "border_gates",
    "boundaries",
    "catalog",
    "chainage_km",
    "check",
    "deviation",
    "distance_km",
    "dry_ports",
    "export",
    "ids",
    "length_km",
    "load",
    "offset_km",
    "point_at_km",
    "ports",
    "route",
    "seaports",
    "settings",
    "split_by_country",
    "station_chainage_km",
]


_LAZY = {"maps", "network", "osm", "scale"}  # folium, networkx, osmnx, dask load when used


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"corridors.{name}")
    raise AttributeError(f"module 'corridors' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*__all__, *_LAZY])
