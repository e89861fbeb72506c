"""Read and cache the geodata files: the embedded copy, or ``settings.data_dir``.

The loader is the only module that opens files of the embedded data. It reads the JSON, hands
each parsed document to :mod:`corridors._schema` for validation, and caches the result per data
folder, so that a second ``load`` costs a copy, not a parse. Every read error is one
:class:`corridors.DataFileError`, every broken rule one :class:`corridors.SchemaError`.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import geopandas as gpd

from corridors import _schema, settings
from corridors.errors import DataFileError, SchemaError, UnknownIdError

__all__ = ["LAYERS", "corridor_doc", "corridor_paths", "data_root", "layer", "read_json"]

#: The shared layers, each a ``<name>.geojson`` next to the ``corridors`` folder.
LAYERS = ("ports", "border_gates", "boundaries")


def data_root() -> Traversable:
    """The folder the geodata is read from: ``settings.data_dir``, else the embedded copy.

    In an installed wheel the data sits in ``corridors/geodata``; in a source checkout (an
    editable install) it is the repository's top-level ``geodata/``.
    """
    if settings.data_dir is not None:
        root = Path(settings.data_dir)
        if not root.is_dir():
            raise DataFileError(f"settings.data_dir {str(root)!r} is not a folder")
        return root
    packaged = resources.files("corridors") / "geodata"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "geodata"


def read_json(path: Traversable | Path | str) -> Any:
    """Parse a JSON file, turning every failure into a one-line :class:`DataFileError`."""
    path = Path(path) if isinstance(path, str) else path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise DataFileError(f"{path} is a folder, not a file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise DataFileError(f"cannot read {path}: {err}") from None
    if not text.strip():
        raise DataFileError(f"{path} is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise DataFileError(
            f"{path} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})"
        ) from None


def corridor_paths() -> dict[str, Traversable]:
    """Map each embedded corridor id to its file, sorted by id."""
    folder = data_root() / "corridors"
    if not folder.is_dir():
        raise DataFileError(f"no corridors folder in the geodata at {data_root()}")
    return {
        p.name.removesuffix(".geojson"): p
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".geojson")
    }


@cache
def _corridor_cached(root: str, corridor_id: str) -> dict[str, Any]:
    paths = corridor_paths()
    if corridor_id not in paths:
        raise UnknownIdError("corridor", corridor_id, paths)
    path = paths[corridor_id]
    parsed = _schema.validate_corridor(read_json(path), path.name)
    if parsed["meta"]["id"] != corridor_id:
        raise SchemaError(f"{path.name}: corridor id {parsed['meta']['id']!r} != file name")
    return parsed


def corridor_doc(corridor_id: str) -> dict[str, Any]:
    """The validated corridor ``{"meta", "features"}`` for an embedded id (cached; copies)."""
    parsed = _corridor_cached(str(data_root()), corridor_id)
    return {"meta": json.loads(json.dumps(parsed["meta"])), "features": parsed["features"].copy()}


@cache
def _layer_cached(root: str, name: str) -> gpd.GeoDataFrame:
    path = data_root() / f"{name}.geojson"
    doc = read_json(path)
    if name == "boundaries":
        return _schema.validate_boundaries(doc, path.name)
    return _schema.validate_layer(doc, path.name)


def layer(name: str) -> gpd.GeoDataFrame:
    """A shared layer (``ports``, ``border_gates`` or ``boundaries``) as a GeoDataFrame copy."""
    if name not in LAYERS:
        raise UnknownIdError("layer", name, LAYERS)
    return _layer_cached(str(data_root()), name).copy()
