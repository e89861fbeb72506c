"""The ``Corridor`` model: one route with its sections, stations, structures and figures.

The model sits on the loader (:mod:`corridors._data`, :mod:`corridors._schema`) and knows
nothing of the layers above it: measuring, checking, routing, maps and exports take a
``Corridor``, never the reverse. :meth:`Corridor.to_file` delegates to the writer the exporter
registers with :func:`set_file_writer` (:func:`corridors.export`), so the model does not import
the exporter.
"""

from __future__ import annotations

import html
import json
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors import _data, _schema, settings
from corridors._coerce import WGS84, check_lonlat, geometry_array
from corridors._text import match_key, name_keys, slugify
from corridors.errors import (
    CorridorsError,
    CRSError,
    DataFileError,
    GeometryError,
    UnknownIdError,
)

__all__ = ["Corridor", "accuracy_text", "set_file_writer", "shown"]

STATION_KINDS = ("station", "freight-station", "junction")
STRUCTURE_KINDS = ("tunnel", "bridge")
FIGURE_COLUMNS = [
    "id", "feature", "measure", "value", "unit", "iso3", "from", "to", "origin",
    "description", "source", "date", "confidence",
]  # fmt: skip


class Corridor:
    """One corridor: a main line made of ordered sections, with stations and published figures.

    Get an embedded one with :func:`corridors.load`, or build your own with
    :meth:`Corridor.from_file` or :meth:`Corridor.from_geodataframe`.

    Attributes
    ----------
    id, name
        Identifier and English name.
    sections
        GeoDataFrame of the line sections (``role`` main / branch / alternative, ``order``).
    stations
        GeoDataFrame of stations, freight stations and junctions, in order along the line.
    structures
        GeoDataFrame of tunnels and bridges.
    figures
        DataFrame of every published figure: ``feature`` names what it is about (the corridor id
        for figures about the whole line), ``measure`` what it measures.
    meta
        The corridor's own properties (status, accuracy, error_km, sources, relations, ...).

    Examples
    --------
    >>> import corridors
    >>> clr = corridors.load("china-laos-railway")
    >>> clr.geometry.geom_type
    'LineString'
    """

    def __init__(self, id: str, name: str, features: gpd.GeoDataFrame, meta: Mapping[str, Any]):
        self.id = id
        self.name = name
        self.meta = dict(meta)
        features = features.reset_index(drop=True)
        kinds = features["kind"]
        self.sections = _sorted(features[kinds == "section"], ["order"])
        self.stations = _sorted(features[kinds.isin(STATION_KINDS)], ["order"])
        self.structures = features[kinds.isin(STRUCTURE_KINDS)].reset_index(drop=True)
        self._features = features
        self.figures = _figures(id, self.meta.get("figures", []), features)
        self.relations: list[dict[str, Any]] = list(self.meta.get("relations", []))
        self.geometry = _main_line(self.sections)

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def from_file(cls, path: str | Path, *, id: str | None = None, name: str | None = None):
        """Read a corridor from a file: a corridors-schema GeoJSON, or any vector file of lines.

        Parameters
        ----------
        path
            GeoJSON, GeoPackage, GeoParquet, KML, Shapefile, ... (pyogrio; GeoParquet with
            pyarrow). A GeoJSON with a top-level ``corridor`` object is validated against the
            embedded schema; a file written by :func:`corridors.export` (a ``corridor``
            column) is read back as the corridor that was written, sections, roles, figures
            and properties included; any other file is read as lines (the route, in file
            order) and optional points (stations). Every layer of a file with several (a KML
            with folders, a GeoPackage) is read, in order.
        id, name
            Override the id and name (default: the file name).

        Examples
        --------
        >>> import corridors
        >>> corridors.Corridor.from_file("my_route.geojson")  # doctest: +SKIP
        """
        path = Path(path)
        if not path.exists():
            raise DataFileError(f"no such file: {path}")
        if path.is_dir():
            raise DataFileError(f"{path} is a folder, not a file")
        if path.suffix.lower() in {".geojson", ".json"}:
            doc = _data.read_json(path)
            if isinstance(doc, Mapping) and "corridor" in doc:
                parsed = _schema.validate_corridor(doc, path.name)
                meta = parsed["meta"]
                return cls(id or meta["id"], name or meta["name"], parsed["features"], meta)
            if (
                isinstance(doc, Mapping)
                and doc.get("type") == "FeatureCollection"
                and not doc.get("features")
            ):
                raise DataFileError(f"{path}: the FeatureCollection has no features")
        gdf = _read_table(path)
        if len(gdf) == 0:
            raise DataFileError(f"{path} has no features")
        if _is_export(gdf):
            return _from_export(cls, gdf, id=id, name=name)
        return cls.from_geodataframe(gdf, id=id or path.stem, name=name or path.stem)

    @classmethod
    def from_geodataframe(
        cls, gdf: gpd.GeoDataFrame, *, id: str = "user-corridor", name: str | None = None
    ) -> Corridor:
        """Build a corridor from a GeoDataFrame of lines (the route, in row order) and points.

        Lines become main sections in row order; points become stations. Columns named like the
        schema's properties (``name``, ``kind``, ``status``, ``accuracy``, ``error_km``, ...) are
        kept. The GeoDataFrame must have a CRS; it is reprojected to EPSG:4326.

        Examples
        --------
        >>> import geopandas as gpd, shapely, corridors
        >>> gdf = gpd.GeoDataFrame(geometry=[shapely.LineString([(102, 18), (102.5, 18.5)])],
        ...                        crs="EPSG:4326")
        >>> corridors.Corridor.from_geodataframe(gdf, id="mine").sections["role"].tolist()
        ['main']
        """
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise GeometryError(f"expected a GeoDataFrame, got {type(gdf).__name__}")
        if len(gdf) == 0:
            raise GeometryError(f"corridor {id!r}: the GeoDataFrame has no rows")
        if gdf.crs is None:
            raise CRSError(
                f"corridor {id!r}: the GeoDataFrame has no CRS; set one with .set_crs(...)"
            )
        gdf = gdf.to_crs(WGS84).reset_index(drop=True)
        geoms = geometry_array(gdf.geometry)
        bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        if bad.any():
            raise GeometryError(
                f"corridor {id!r}: row {int(np.flatnonzero(bad)[0])} has no geometry"
            )
        check_lonlat(shapely.get_coordinates(geoms), what=f"corridor {id!r}")
        invalid = ~shapely.is_valid(geoms)
        if invalid.any():
            i = int(np.flatnonzero(invalid)[0])
            raise GeometryError(
                f"corridor {id!r}: row {i} has an invalid geometry "
                f"({shapely.is_valid_reason(geoms[i])})"
            )
        types = shapely.get_type_id(geoms)
        lines = np.isin(types, [1, 5])
        points = types == 0
        if not lines.any():
            raise GeometryError(f"corridor {id!r}: no LineString in the data")
        if not (lines | points).all():
            kind = geoms[~(lines | points)][0].geom_type
            raise GeometryError(f"corridor {id!r}: only lines and points are allowed, got {kind}")
        # Multi-part lines become one section per part, in order.
        gdf = gdf.explode(index_parts=False).reset_index(drop=True)
        geoms = geometry_array(gdf.geometry)
        lines = shapely.get_type_id(geoms) == 1
        n = len(gdf)
        out = gdf.copy()
        names = out["name"] if "name" in out.columns else pd.Series([None] * n)
        out["kind"] = np.where(lines, "section", "station")
        out["id"] = np.where(
            lines,
            [f"section-{i + 1}" for i in range(n)],
            [slugify(nm) or f"point-{i + 1}" for i, nm in enumerate(names)],
        )
        out["name"] = names.where(names.notna(), out["id"])
        out["role"] = np.where(lines, "main", None)
        out["order"] = np.cumsum(lines) * lines
        out.loc[~lines, "order"] = np.arange(int((~lines).sum())) + 1
        out["figures"] = [[] for _ in range(n)]
        defaults: dict[str, Any] = {
            "names": None, "mode": None, "status": None, "opened": None, "target": None,
            "accuracy": None, "error_km": np.nan, "confidence": None,
        }  # fmt: skip
        for column, value in defaults.items():
            if column not in out.columns:
                out[column] = value
        if "sources" not in out.columns:
            out["sources"] = [["user data"] for _ in range(n)]
        meta = {
            "id": id,
            "name": name or id,
            "status": _first(gdf, "status"),
            "accuracy": _first(gdf, "accuracy"),
            "error_km": _number(_first(gdf, "error_km")),  # None when unknown, never 0
            "sources": ["user data"],
            "figures": [],
        }
        return cls(id, name or id, out, meta)

    # -- access -----------------------------------------------------------------------------
    def station(self, key: str) -> pd.Series:
        """A station by id, name or local name, forgiving case, punctuation and "station".

        ``"Kunming South"``, ``"kunming-south"`` and ``"Kunming South station"`` find the same
        station; a name given in brackets (``"Oudomxay"`` for "Muang Xay (Oudomxay) station")
        works too.

        Raises
        ------
        UnknownIdError
            With the closest ids as suggestions.
        """
        wanted = match_key(str(key))
        for i, row in self.stations.iterrows():
            names = row.get("names")
            local = list(names.values()) if isinstance(names, Mapping) else []
            keys = {match_key(str(row["id"])), *name_keys(str(row["name"])), *map(match_key, local)}
            if wanted in keys:
                return self.stations.loc[i]
        raise UnknownIdError(f"station on {self.id}", key, self.stations["id"].tolist())

    def to_geoseries(self) -> gpd.GeoSeries:
        """The main line as a one-row GeoSeries in EPSG:4326, indexed by the corridor id."""
        return gpd.GeoSeries([self.geometry], index=[self.id], crs=WGS84)

    def to_geodataframe(self) -> gpd.GeoDataFrame:
        """Every feature (sections, stations, structures) as one GeoDataFrame in EPSG:4326."""
        gdf = self._features.copy()
        gdf.insert(0, "corridor", self.id)
        return gdf

    def to_file(self, path: str | Path) -> Any:
        """Write every feature to GeoJSON, GeoPackage, GeoParquet or KML, by the extension.

        The same as ``corridors.export(corridor, path)``: ``.geojson``/``.json``, ``.gpkg``,
        ``.parquet``/``.geoparquet`` or ``.kml``, written atomically. Each row keeps its figures
        and sources; the corridor's own name, sources and figures are added to every row as
        ``corridor_name``, ``corridor_sources`` and ``corridor_figures``. Lists and dicts are
        written as JSON text (``json.loads`` them back).

        Returns
        -------
        Written
            ``(path, features, format)``.

        Raises
        ------
        UnknownIdError
            For an unknown extension (with did-you-mean).
        DataFileError
            For a missing folder or a file that cannot be written; no partial file is left.

        Examples
        --------
        >>> import corridors
        >>> corridors.load("china-laos-railway").to_file("clr.gpkg")  # doctest: +SKIP
        """
        if _file_writer is None:  # pragma: no cover - `import corridors` registers the exporter
            raise CorridorsError("no file writer is registered; import corridors first")
        return _file_writer(self, path)

    @property
    def __geo_interface__(self) -> dict[str, Any]:
        """The corridor as a GeoJSON FeatureCollection (geo interface protocol)."""
        return json.loads(self._features.to_json(drop_id=True))

    # -- display ----------------------------------------------------------------------------
    def __repr__(self) -> str:
        return (
            f"<Corridor {self.id!r}: {self.name}, {shown(self.meta.get('status'))}, "
            f"{len(self.sections)} sections, {len(self.stations)} stations, "
            f"{len(self.figures)} figures>"
        )

    def _repr_html_(self) -> str:
        esc = html.escape
        meta = self.meta
        rows = "".join(
            f"<tr><td>{esc(shown(r['id']))}</td><td>{esc(shown(r['name']))}</td>"
            f"<td>{esc(shown(r.get('role')))}</td><td>{esc(shown(r.get('status')))}</td></tr>"
            for _, r in self.sections.iterrows()
        )
        stations = ", ".join(esc(str(n)) for n in self.stations["name"]) or "none"
        sources = "".join(f"<li>{esc(str(s))}</li>" for s in meta.get("sources", []))
        return (
            f"<div class='corridors-corridor'><strong>{esc(self.name)}</strong> "
            f"<code>{esc(self.id)}</code><br>"
            f"status: {esc(shown(meta.get('status')))}; "
            f"accuracy: {esc(accuracy_text(meta.get('accuracy'), meta.get('error_km')))}; "
            f"{len(self.figures)} published figures"
            f"<table><thead><tr><th>section</th><th>name</th><th>role</th><th>status</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>"
            f"<p>stations: {stations}</p><details><summary>sources</summary><ul>{sources}"
            f"</ul></details></div>"
        )


#: What :meth:`Corridor.to_file` calls: set by the exporter (corridors._export) when imported.
_file_writer: Callable[[Corridor, str | Path], Any] | None = None


def set_file_writer(writer: Callable[[Corridor, str | Path], Any]) -> None:
    """Make :meth:`Corridor.to_file` call ``writer(corridor, path)``.

    The exporter registers :func:`corridors.export` here when it is imported (``import
    corridors`` does), so that the model need not import the exporter, which sits above it.
    """
    global _file_writer
    _file_writer = writer


def shown(value: Any, unknown: str = "unknown") -> str:
    """A property as text for people: ``unknown`` when it is missing (None, NaN), never "nan".

    Examples
    --------
    >>> shown("planned"), shown(None), shown(float("nan")), shown(6.3)
    ('planned', 'unknown', 'unknown', '6.3')
    """
    return unknown if _is_missing(value) else str(value)


def accuracy_text(accuracy: Any, error_km: Any) -> str:
    """A geometry's accuracy and error as text: ``"approximate (±6.3 km)"``; unknown parts say so.

    A missing error is left out rather than shown as ``±0.0 km``, which would claim a perfect
    line.

    Examples
    --------
    >>> accuracy_text("approximate", 6.3), accuracy_text(None, None), accuracy_text("traced", None)
    ('approximate (±6.3 km)', 'unknown', 'traced')
    """
    err = _number(error_km)
    text = shown(accuracy)
    return text if err is None else f"{text} (±{err:g} km)"


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and not np.isfinite(value)


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or None when it is missing or not a number."""
    if _is_missing(value) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


# -- reading files -----------------------------------------------------------------------------
PARQUET_SUFFIXES = (".parquet", ".geoparquet")
KML_SUFFIXES = (".kml", ".kmz")
#: What GDAL's KML drivers add to every Placemark: styling and time, not the data's own.
_KML_FIELDS = (
    "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude", "visibility",
    "drawOrder", "icon",
)  # fmt: skip
#: Properties that are text even when they look like numbers (KML keeps everything as text).
_TEXT_COLUMNS = {
    "id", "name", "corridor", "kind", "mode", "status", "accuracy", "confidence", "role",
    "from", "to", "section", "notes", "description", "corridor_name",
}  # fmt: skip


def _is_parquet(path: Path) -> bool:
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return True
    try:
        with path.open("rb") as f:
            return f.read(4) == b"PAR1"
    except OSError:
        return False


def _read_table(path: Path) -> gpd.GeoDataFrame:
    """Every feature of a vector file, all its layers in order; GeoParquet through pyarrow."""
    import pyogrio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio's "more than one layer", GDAL's notes
        if _is_parquet(path):
            try:
                return gpd.read_parquet(path)
            except (OSError, ValueError, TypeError, ImportError) as err:
                first = str(err).splitlines()[0] if str(err) else type(err).__name__
                raise DataFileError(f"cannot read {path}: {first}") from None
        try:
            names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
            frames = [gpd.read_file(path, layer=n) for n in names] if len(names) > 1 else []
            if not frames:
                frames = [gpd.read_file(path)]
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
            raise DataFileError(f"cannot read {path}: {str(err).splitlines()[0]}") from None
        except shapely.errors.GEOSException as err:  # e.g. a ring of two points
            raise DataFileError(f"cannot read {path}: {str(err).splitlines()[0]}") from None
    frames = [f for f in frames if isinstance(f, gpd.GeoDataFrame) and len(f)] or frames[:1]
    if len(frames) == 1:
        gdf = frames[0]
    else:
        crs = next((f.crs for f in frames if f.crs is not None), None)
        if crs is not None:
            frames = [f.set_crs(crs) if f.crs is None else f.to_crs(crs) for f in frames]
        gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise DataFileError(f"{path} has no geometry")
    if path.suffix.lower() in KML_SUFFIXES:
        drop = [c for c in _KML_FIELDS if c in gdf.columns]
        # GDAL's own id/name when ExtendedData has an id/name too (empty: the data's went first)
        drop += [c for c in ("id2", "name2") if c in gdf.columns and gdf[c].isna().all()]
        if "corridor" in gdf.columns:
            drop.append("description")  # an export's HTML balloon, not a property
        gdf = gdf.drop(columns=[c for c in drop if c in gdf.columns])
        if "Name" in gdf.columns:
            gdf = (
                gdf.drop(columns="Name")
                if "name" in gdf.columns
                else gdf.rename(columns={"Name": "name"})
            )
        gdf = _typed(gdf)
    return gdf


def _typed(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """KML's text values as numbers where a whole column is numbers (text columns excepted)."""
    geom = gdf.geometry.name
    for column in gdf.columns:
        if column == geom or column in _TEXT_COLUMNS or gdf[column].dtype.kind in "biufcmM":
            continue
        values = gdf[column]
        present = values[values.notna()]
        if len(present) == 0 or not all(isinstance(v, str) for v in present):
            continue
        numbers = pd.to_numeric(present, errors="coerce")
        if numbers.notna().all():
            gdf[column] = pd.to_numeric(values, errors="coerce")
    return gdf


def _is_export(gdf: gpd.GeoDataFrame) -> bool:
    """Whether a table is what :func:`corridors.export` writes for a corridor."""
    if not {"corridor", "kind", "id"} <= set(gdf.columns):
        return False
    owners = gdf["corridor"].dropna().unique()
    return len(owners) == 1 and bool((gdf["kind"] == "section").any())


def _decoded(values: pd.Series) -> pd.Series | None:
    """A column of JSON text (lists, objects) decoded; None when it is not one."""
    present = values[values.notna()]
    if len(present) == 0:
        return None
    out = []
    for v in values:
        if _is_missing(v):
            out.append(None)
            continue
        if not isinstance(v, str) or not v.lstrip().startswith(("[", "{")):
            return None
        try:
            out.append(json.loads(v))
        except ValueError:
            return None
    return pd.Series(out, index=values.index, dtype=object)


def _from_export(
    cls: type[Corridor], gdf: gpd.GeoDataFrame, *, id: str | None, name: str | None
) -> Corridor:
    """The corridor :func:`corridors.export` wrote: features, figures and properties."""
    owner = str(gdf["corridor"].dropna().iloc[0])
    if gdf.crs is None:
        raise CRSError(f"corridor {owner!r}: the file has no CRS")
    gdf = gdf.to_crs(WGS84).reset_index(drop=True)
    geom = gdf.geometry.name
    for column in gdf.columns:
        if column != geom and gdf[column].dtype.kind not in "biufcmM":
            decoded = _decoded(gdf[column])
            if decoded is not None:
                gdf[column] = decoded
    own = {
        c.removeprefix("corridor_"): gdf[c].dropna().iloc[0]
        for c in gdf.columns
        if c.startswith("corridor_") and gdf[c].notna().any()
    }
    meta = dict(own.pop("meta", None) or {})
    meta.update({k: v for k, v in own.items() if k in {"name", "sources", "figures"}})
    meta["id"] = id or owner
    meta["name"] = name or meta.get("name") or meta["id"]
    meta.setdefault("sources", [])
    meta.setdefault("figures", [])
    if not isinstance(meta["figures"], list):
        meta["figures"] = []
    drop = [c for c in gdf.columns if c == "corridor" or c.startswith("corridor_")]
    features = gdf.drop(columns=drop)
    if "order" in features.columns:
        features["order"] = pd.to_numeric(features["order"], errors="coerce")
    return cls(meta["id"], meta["name"], features, meta)


def _sorted(gdf: gpd.GeoDataFrame, by: list[str]) -> gpd.GeoDataFrame:
    if len(gdf) and all(c in gdf.columns for c in by):
        gdf = gdf.sort_values(by, kind="stable", na_position="last")
    return gdf.reset_index(drop=True)


def _first(gdf: pd.DataFrame, column: str) -> Any:
    if column in gdf.columns and gdf[column].notna().any():
        return gdf[column].dropna().iloc[0]
    return None


def _figures(corridor_id: str, own: list[dict[str, Any]], features: pd.DataFrame) -> pd.DataFrame:
    records = [{**f, "feature": corridor_id} for f in own]
    if "figures" in features.columns:
        for fid, figs in zip(features["id"], features["figures"], strict=True):
            if isinstance(figs, list):
                records.extend({**f, "feature": fid} for f in figs)
    frame = pd.DataFrame.from_records(records)
    for column in FIGURE_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    return frame[FIGURE_COLUMNS + [c for c in frame.columns if c not in FIGURE_COLUMNS]]


def _main_line(sections: gpd.GeoDataFrame) -> shapely.Geometry:
    """Join the main sections end to start; fall back to merging all sections."""
    if len(sections) == 0:
        raise CorridorsError("a corridor needs at least one section")
    main = sections[sections["role"] == "main"] if "role" in sections.columns else sections
    if len(main) == 0:
        main = sections
    geoms = geometry_array(main.geometry)
    if (_schema.join_gaps_deg(geoms) <= settings.join_tolerance_deg).all():
        # each section's first vertex is (within the tolerance) the previous one's last: drop it
        coords, owner = shapely.get_coordinates(geoms, return_index=True)
        first_vertex = np.r_[True, owner[1:] != owner[:-1]]
        first_vertex[0] = False
        return shapely.LineString(coords[~first_vertex])
    return shapely.line_merge(shapely.union_all(geoms))
