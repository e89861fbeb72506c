"""What a map draws: the items a user passes, resolved, and what each corridor's popups say.

:func:`resolve` turns corridor ids, ``Corridor`` objects, GeoDataFrames (lines become a
corridor, points a marker layer), paths to files, ``Route`` and ``Deviation`` objects into one
:class:`MapItems`. :func:`corridor_facts` measures every corridor drawn once per map: one
:func:`corridors.check` per corridor for the published figures, one :func:`corridors.length_km`
over the sections of every corridor, one :func:`corridors.border_crossings` over every main line,
and one :func:`corridors.chainage_km` per corridor for its stations.

Only the package's public functions are called, through the package (``corridors.check``), so
this module does not depend on how the checks, the geometry and the routing are laid out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

import corridors
from corridors._map_html import FIGURE_COLUMNS
from corridors._map_style import DEFAULT_POINT_LAYERS
from corridors.comparison import Deviation
from corridors.corridor import Corridor
from corridors.errors import CorridorsError, CRSError, GeometryError

if TYPE_CHECKING:
    from corridors import Route

__all__ = ["CorridorFacts", "MapItems", "PointLayer", "corridor_facts", "resolve"]

WGS84 = "EPSG:4326"


class PointLayer(NamedTuple):
    """A layer of point markers: its label, the points (EPSG:4326) and their CSS class."""

    label: str
    frame: gpd.GeoDataFrame
    css: str


@dataclass
class MapItems:
    """Everything one map draws, by kind, in the order given."""

    corridor_list: list[Corridor]
    points: list[PointLayer]
    routes: list[Route]
    deviations: list[Deviation]

    def bounds(self) -> NDArray[np.float64]:
        """``[minx, miny, maxx, maxy]`` of every line and point drawn (borders aside)."""
        lines = [
            *(r.geometry for r in self.routes),
            *(g for d in self.deviations for g in (d.line, d.reference)),
            *(c.geometry for c in self.corridor_list),
        ]
        geoms = np.concatenate(
            [np.asarray(lines, dtype=object)]
            + [np.asarray(p.frame.geometry.array, dtype=object) for p in self.points]
        )
        return np.asarray(shapely.total_bounds(geoms))


def resolve(items: Any) -> MapItems:
    """Sort what ``render`` was given into corridors, point layers, routes and deviations.

    ``None`` is every embedded corridor, dry port, border gate and seaport.

    Raises
    ------
    GeometryError
        When there is nothing to draw, or an item of a kind that cannot be drawn.
    UnknownIdError
        For a corridor id that is not in the catalogue (with suggestions).
    DataFileError, CRSError
        For a file that cannot be read, or points without a CRS.
    """
    if items is None:
        loaders = (corridors.dry_ports, corridors.border_gates, corridors.seaports)
        points = [
            PointLayer(label, load(), css)
            for (label, css, _), load in zip(DEFAULT_POINT_LAYERS, loaders, strict=True)
        ]
        return MapItems([corridors.load(i) for i in corridors.ids()], points, [], [])
    drawable = (str, Path, Corridor, gpd.GeoDataFrame, corridors.Route, Deviation)
    # one item, not an iterable of them (a str would give its characters)
    items = [items] if isinstance(items, drawable) else list(items)
    routes = [i for i in items if isinstance(i, corridors.Route)]
    deviations = [i for i in items if isinstance(i, Deviation)]
    rest = [i for i in items if not isinstance(i, corridors.Route | Deviation)]
    corridor_list, points = _corridors_and_points(rest)
    if not corridor_list and not points and not routes and not deviations:
        raise GeometryError("nothing to draw: give corridor ids, corridors, GeoDataFrames or files")
    return MapItems(corridor_list, points, routes, deviations)


def _corridors_and_points(items: list[Any]) -> tuple[list[Corridor], list[PointLayer]]:
    known = set(corridors.ids())
    corridor_list: list[Corridor] = []
    points: list[PointLayer] = []
    for item in items:
        if isinstance(item, Corridor):
            corridor_list.append(item)
        elif isinstance(item, gpd.GeoDataFrame):
            _add_frame(item, "user-data", corridor_list, points)
        elif isinstance(item, Path) or (isinstance(item, str) and item not in known):
            path = Path(item)
            if not path.exists() and isinstance(item, str) and path.suffix == "":
                corridor_list.append(corridors.load(item))  # unknown: load() suggests the right id
                continue
            try:
                corridor_list.append(Corridor.from_file(path))
            except GeometryError as err:
                if "no LineString" not in str(err):
                    raise
                _add_frame(gpd.read_file(path), path.stem, corridor_list, points)
        elif isinstance(item, str):
            corridor_list.append(corridors.load(item))
        else:
            raise GeometryError(
                f"cannot draw a {type(item).__name__}: give ids, Corridors, GeoDataFrames or paths"
            )
    return corridor_list, points


def _add_frame(
    gdf: gpd.GeoDataFrame, name: str, corridor_list: list[Corridor], points: list[PointLayer]
) -> None:
    """Lines (with any points as stations) become a corridor; points alone a marker layer."""
    types = shapely.get_type_id(np.asarray(gdf.geometry.array, dtype=object))
    if np.isin(types, [1, 5]).any():
        corridor_list.append(Corridor.from_geodataframe(gdf, id=name, name=name))
        return
    if gdf.crs is None:
        raise CRSError(f"{name}: the GeoDataFrame has no CRS; set one with .set_crs(...)")
    points.append(PointLayer(name, gdf.to_crs(4326)[types == 0], "corridors-point"))


# -- what the popups say -----------------------------------------------------------------------
@dataclass(frozen=True)
class CorridorFacts:
    """What a map shows about one corridor, measured once.

    Attributes
    ----------
    corridor
        The corridor.
    section_km
        Geodesic length of each section, in the order of ``corridor.sections``.
    figures
        The corridor's check table (:attr:`corridors.CheckReport.table`); no rows when the
        corridor cannot be checked.
    station_km
        Chainage of each station along the main line, in the order of ``corridor.stations``;
        ``None`` when there are no stations or the main line is not one line.
    crossings
        Its border crossings (:func:`corridors.border_crossings`), ``None`` when not asked for or
        not computable.
    """

    corridor: Corridor
    section_km: NDArray[np.float64]
    figures: pd.DataFrame
    station_km: NDArray[np.float64] | None
    crossings: gpd.GeoDataFrame | None


def corridor_facts(corridor_list: list[Corridor], *, crossings: bool) -> list[CorridorFacts]:
    """Measure every corridor drawn, once: figures, section lengths, stations, crossings.

    A corridor whose figures, stations or crossings cannot be computed (a
    :class:`~corridors.CorridorsError`) is still drawn, without them.
    """
    if not corridor_list:
        return []
    counts = [len(c.sections) for c in corridor_list]
    sections = gpd.GeoSeries(
        np.concatenate(
            [np.asarray(c.sections.geometry.array, dtype=object) for c in corridor_list]
        ),
        crs=WGS84,
    )
    km = np.split(corridors.length_km(sections).to_numpy(), np.cumsum(counts)[:-1])
    cross = _crossings(corridor_list) if crossings else [None] * len(corridor_list)
    return [
        CorridorFacts(c, k, _figures(c), _station_km(c), cr)
        for c, k, cr in zip(corridor_list, km, cross, strict=True)
    ]


def _figures(c: Corridor) -> pd.DataFrame:
    try:
        return corridors.check(c).table
    except CorridorsError:
        return pd.DataFrame(columns=FIGURE_COLUMNS)


def _station_km(c: Corridor) -> NDArray[np.float64] | None:
    if len(c.stations) == 0:
        return None
    try:
        return np.asarray(corridors.chainage_km(c, c.stations), dtype=float)
    except CorridorsError:
        return None


def _crossings(corridor_list: list[Corridor]) -> list[gpd.GeoDataFrame | None]:
    """Every corridor's border crossings, from one call over all the main lines."""
    lines = np.asarray([c.geometry for c in corridor_list], dtype=object)
    ok = np.isin(shapely.get_type_id(lines), [1, 5]) & ~shapely.is_empty(lines)
    out: list[gpd.GeoDataFrame | None] = [None] * len(corridor_list)
    which = np.flatnonzero(ok)
    if len(which) == 0:
        return out
    try:
        found = corridors.border_crossings(gpd.GeoSeries(lines[which], index=which, crs=WGS84))
    except CorridorsError:  # one bad line spoils the batch: the others keep their crossings
        return [_crossings_of(c) for c in corridor_list]
    by_line = dict(tuple(found.groupby("line", sort=False)))
    for i in which:
        part = by_line.get(i, found.iloc[0:0])
        out[i] = part.reset_index(drop=True).assign(line=corridor_list[i].id)
    return out


def _crossings_of(c: Corridor) -> gpd.GeoDataFrame | None:
    try:
        return corridors.border_crossings(c)
    except CorridorsError:
        return None
