"""The wheel ships the geodata, and an installed copy reads it through importlib.resources."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    from hatchling.builders.wheel import WheelBuilder

    out = tmp_path_factory.mktemp("dist")
    return Path(
        next(iter(WheelBuilder(str(ROOT)).build(directory=str(out), versions=["standard"])))
    )


@pytest.mark.slow
def test_the_wheel_holds_the_package_the_geodata_and_the_marker(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "corridors/py.typed" in names
    assert "corridors/geodata/corridors/china-laos-railway.geojson" in names
    assert "corridors/geodata/boundaries.geojson" in names
    assert "corridors/geodata/README.md" in names
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)


@pytest.mark.slow
def test_an_installed_wheel_loads_its_own_geodata(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    code = (
        "import corridors, pathlib; "
        "from corridors import _data; "
        "root = pathlib.Path(str(_data.data_root())); "
        "assert 'site' in root.parts and root.parts[-2:] == ('corridors', 'geodata'), root; "
        "print(len(corridors.ids()), round(corridors.length_km(corridors.load('china-laos-railway'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    count, km = map(int, out.stdout.split())
    # the same data as the source tree's
    import corridors

    assert count == len(list((ROOT / "geodata" / "corridors").glob("*.geojson")))
    assert km == round(corridors.length_km(corridors.load("china-laos-railway")))


def _requirement_names(requirements: list[str]) -> set[str]:
    """Distribution names a list of requirements installs; ``dask[distributed]`` gives both."""
    out = set()
    for req in requirements:
        name, _, rest = re.split(r"[<>=!~ ;]", req, maxsplit=1)[0].partition("[")
        out.add(name)
        out |= {e.strip() for e in rest.rstrip("]").split(",") if e.strip()}
    return {re.sub(r"[-_.]+", "-", n).lower() for n in out}


def test_every_third_party_import_is_a_declared_dependency():
    """Each ``import X`` in corridors/ is in ``dependencies`` (or, for ``scale``, the dask extra)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    required = _requirement_names(project["dependencies"])
    extras = _requirement_names(
        [r for extra in project["optional-dependencies"].values() for r in extra]
    )
    distributions = packages_distributions()
    for path in sorted((ROOT / "corridors").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for top in {m.split(".")[0] for m in modules} - set(sys.stdlib_module_names):
                if top == "corridors":
                    continue
                names = {re.sub(r"[-_.]+", "-", d).lower() for d in distributions.get(top, [top])}
                declared = required | (extras if path.stem == "scale" else set())
                assert names & declared, f"{path.name} imports {top}, not a declared dependency"
