"""What is embedded: the corridors by id, their catalog, and the shared layers.

``ids``, ``load`` and ``catalog`` give the embedded corridors (or those of
``settings.data_dir``); ``ports``, ``dry_ports``, ``seaports``, ``border_gates`` and
``boundaries`` the shared layers; :data:`CORRIDORS` is the registry, a read-only
``collections.abc.Mapping`` of id to ``Corridor`` with attribute access for notebooks.

The module is named for the registry, not for one of its functions, so that no function hides
it: ``corridors.catalog`` is the function, ``corridors.registry`` this module.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from corridors import _data
from corridors._coerce import WGS84
from corridors._text import slugify
from corridors.corridor import Corridor
from corridors.errors import UnknownIdError

__all__ = [
    "CORRIDORS",
    "Registry",
    "border_gates",
    "boundaries",
    "catalog",
    "dry_ports",
    "ids",
    "load",
    "ports",
    "seaports",
]


def ids() -> list[str]:
    """Ids of the embedded corridors, sorted.

    Examples
    --------
    >>> import corridors
    >>> "china-laos-railway" in corridors.ids()
    True
    """
    return list(_data.corridor_paths())


def load(corridor_id: str) -> Corridor:
    """Load an embedded corridor by id.

    Parameters
    ----------
    corridor_id
        One of :func:`ids`, forgiving case, spaces and underscores (``"China_Laos_Railway"``).

    Returns
    -------
    Corridor
        A new ``Corridor`` each call (the parsed file is cached): changing it changes no other.

    Raises
    ------
    UnknownIdError
        For an id that is not embedded, with did-you-mean suggestions.

    Examples
    --------
    >>> import corridors
    >>> corridors.load("china-laos-railway").name
    'China–Laos Railway'
    """
    if not isinstance(corridor_id, str):
        raise UnknownIdError("corridor", repr(corridor_id), ids())
    key = slugify(corridor_id)
    doc = _data.corridor_doc(key if key in ids() else corridor_id)
    meta = doc["meta"]
    return Corridor(meta["id"], meta["name"], doc["features"], meta)


def catalog() -> gpd.GeoDataFrame:
    """One row per embedded corridor with its main line, status, accuracy and sources.

    Examples
    --------
    >>> import corridors
    >>> corridors.catalog().loc["china-laos-railway", "mode"]
    'rail'
    """
    rows = []
    for cid in ids():
        c = load(cid)
        m = c.meta
        rows.append(
            {
                "id": cid,
                "name": c.name,
                "kind": m.get("kind"),
                "mode": m.get("mode"),
                "status": m.get("status"),
                "opened": m.get("opened"),
                "target": m.get("target"),
                "accuracy": m.get("accuracy"),
                "error_km": m.get("error_km"),
                "sections": len(c.sections),
                "stations": len(c.stations),
                "figures": len(c.figures),
                "sources": list(m.get("sources", [])),
                "geometry": c.geometry,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84).set_index("id", drop=False)


def ports() -> gpd.GeoDataFrame:
    """Dry ports and seaports as points in EPSG:4326."""
    return _data.layer("ports")


def dry_ports() -> gpd.GeoDataFrame:
    """Lao dry ports (``kind == 'dry-port'``) as points in EPSG:4326.

    Examples
    --------
    >>> import corridors
    >>> "thanaleng" in set(corridors.dry_ports()["id"])
    True
    """
    p = ports()
    return p[p["kind"] == "dry-port"].reset_index(drop=True)


def seaports() -> gpd.GeoDataFrame:
    """Seaports (such as Vung Ang) as points in EPSG:4326."""
    p = ports()
    return p[p["kind"] == "seaport"].reset_index(drop=True)


def border_gates() -> gpd.GeoDataFrame:
    """Border gate pairs as points on the border, with ``countries`` and ``sides``."""
    return _data.layer("border_gates")


def boundaries(iso3: str | list[str] | None = None) -> gpd.GeoDataFrame:
    """Natural Earth 1:10m country polygons of the region, with ``iso3``, in EPSG:4326.

    Parameters
    ----------
    iso3
        Keep only these countries (ISO 3166-1 alpha-3), e.g. ``"LAO"`` or ``["LAO", "CHN"]``.
    """
    gdf = _data.layer("boundaries")
    if iso3 is None:
        return gdf
    wanted = [iso3] if isinstance(iso3, str) else list(iso3)
    unknown = [c for c in wanted if c not in set(gdf["iso3"])]
    if unknown:
        raise UnknownIdError("country", unknown[0], gdf["iso3"])
    return gdf[gdf["iso3"].isin(wanted)].reset_index(drop=True)


class Registry(Mapping[str, Corridor]):
    """The embedded corridors: a read-only mapping of id to ``Corridor``, cached.

    Keys are the ids of :func:`ids`, in order. A lookup forgives what :func:`load` forgives
    (``registry["china_laos_railway"]``), and ids are attributes with underscores for hyphens,
    for notebooks. Each corridor is loaded once per data folder (``settings.data_dir``) and the
    same object is returned after that; :func:`load` gives a fresh copy.

    Examples
    --------
    >>> import corridors
    >>> corridors.CORRIDORS.china_laos_railway.id
    'china-laos-railway'
    >>> corridors.CORRIDORS["china-laos-railway"] is corridors.CORRIDORS["china-laos-railway"]
    True
    >>> list(corridors.CORRIDORS) == corridors.ids()
    True
    """

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], Corridor] = {}

    def __getitem__(self, key: str) -> Corridor:
        if not isinstance(key, str):
            raise UnknownIdError("corridor", repr(key), ids())
        root = str(_data.data_root())
        slug = slugify(key)
        cid = slug if slug in ids() else key
        if (root, cid) not in self._cache:
            self._cache[(root, cid)] = load(cid)
        return self._cache[(root, cid)]

    def __iter__(self) -> Iterator[str]:
        return iter(ids())

    def __len__(self) -> int:
        return len(ids())

    def __getattr__(self, name: str) -> Corridor:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except UnknownIdError as err:
            raise AttributeError(str(err)) from None

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *(i.replace("-", "_") for i in ids())]

    def __repr__(self) -> str:
        return f"<corridors registry: {', '.join(ids())}>"

    def _repr_html_(self) -> str:
        table: pd.DataFrame = catalog().drop(columns=["geometry", "sources"])
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
            for row in table.itertuples(index=False)
        )
        head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and v != v) else str(v)


#: The embedded corridors by id (see :class:`Registry`).
CORRIDORS = Registry()
