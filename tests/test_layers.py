"""Data flows one way: each module imports only the layers below it, read from the source.

geodata/ -> loader (``_data``, ``_schema``) -> registry and the ``Corridor`` model -> geometry
(``geodesy``, ``borders``) -> what users see (``checks``, exports, ...) -> the CLI. The text
helpers, the errors, ``_coerce`` and ``settings`` sit under everything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "corridors"
BASE = {"_text", "errors", "_coerce", "settings"}

#: What each module may import from the package (everything it imports, lazily or not).
ALLOWED = {
    "_text": set(),
    "errors": {"_text"},
    "settings": set(),
    "_coerce": {"errors"},
    "_schema": BASE,
    "_data": BASE | {"_schema"},
    "corridor": BASE | {"_data", "_schema"},
    "registry": BASE | {"_data", "corridor"},
    "checks": BASE | {"corridor", "registry", "geodesy", "borders"},
    "_export": BASE | {"corridor", "geodesy", "_output"},
    "_output": {"errors"},  # the one writer, under everything that writes
    # pure geometry: the line-referencing core, then geodesy and borders on it
    "_lines": BASE,
    "geodesy": BASE | {"_lines"},
    "borders": BASE | {"_data", "_lines"},
    "_csgraph": BASE,
    "_osm_io": BASE,
    "_osm_chain": BASE | {"geodesy"},
    "_osm_build": BASE | {"_osm_chain", "geodesy"},
    "_osm_assemble": BASE | {"corridor", "_lines", "_osm_io", "geodesy"},
    # what users see
    "comparison": BASE | {"geodesy"},
    "stations": BASE | {"corridor", "registry", "geodesy"},
    "network": BASE | {"corridor", "registry", "_lines", "geodesy", "borders", "_csgraph"},
    "routing": BASE | {"registry", "borders", "network", "_csgraph"},
    # the public face; attach_road_graph is re-exported lazily from network
    "osm": BASE | {"corridor", "_osm_io", "_osm_chain", "_osm_assemble", "network"},
    "scale": BASE | {"_data", "geodesy", "borders"},
    "_map_style": set(),
    "_map_assets": BASE,
    "_map_html": BASE | {"_map_style", "comparison", "corridor"},
    "_map_inputs": BASE | {"_map_html", "_map_style", "comparison", "corridor", "Route"},
    "_map_layers": BASE | {"_map_html", "_map_inputs", "_map_style", "comparison", "Route"},
    "maps": BASE
    | {
        "_map_assets",
        "_map_html",
        "_map_inputs",
        "_map_layers",
        "_map_style",
        "comparison",
        "corridor",
    },
    "cli": BASE | {"corridor", "maps", "_output"},
}


def package_imports(module: str) -> set[str]:
    """The ``corridors`` modules a module imports, anywhere in its source."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "corridors":  # from corridors import _data, settings
                found |= {a.name for a in node.names}
                continue
            names = [node.module]
        else:
            continue
        found |= {n.split(".")[1] for n in names if n.startswith("corridors.")}
    return found


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_a_module_imports_only_the_layers_below_it(module):
    assert package_imports(module) <= ALLOWED[module], module


def test_the_model_does_not_import_the_exporter_nor_anything_that_measures():
    assert not package_imports("corridor") & {"_export", "geodesy", "borders", "checks"}


def test_only_the_package_and_the_cli_import_the_exporter_and_nothing_imports_the_cli():
    for path in sorted(PACKAGE.glob("*.py")):
        imports = package_imports(path.stem)
        assert "cli" not in imports, path.name
        if path.stem not in {"__init__", "cli"}:
            assert "_export" not in imports, path.name


def test_no_function_shares_a_name_with_a_module():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        functions = {
            n.name
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        }
        shared = sorted(functions & modules)
        assert not shared, f"{path.name} defines {shared}, named like modules of corridors/"
