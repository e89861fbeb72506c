"""The wheel ships the geodata, and an installed copy reads it through importlib.resources."""

from __future__ import annotations

import subprocess
import sys
import zipfile
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


def test_the_wheel_holds_the_package_the_geodata_and_the_marker(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "corridors/py.typed" in names
    assert "corridors/geodata/corridors/china-laos-railway.geojson" in names
    assert "corridors/geodata/boundaries.geojson" in names
    assert "corridors/geodata/README.md" in names
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)


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
    assert count >= 5 and km > 900
