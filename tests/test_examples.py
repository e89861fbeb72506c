"""The examples run as users run them: the notebook under a real kernel, the scripts as scripts.

All offline: the notebook's map inlines Leaflet and draws no basemap.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def kernel_env(tmp_path, monkeypatch):
    """A ``python3`` kernelspec that runs this very interpreter, first on JUPYTER_PATH.

    A fresh venv has ipykernel's own spec in ``.venv/share/jupyter``, but a user-wide
    ``python3`` spec could point at another Python; this one cannot. Runtime files and IPython's
    history go to the temporary folder too.
    """
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (corridors tests)",
                "language": "python",
            }
        ),
        "utf-8",
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    return tmp_path


def test_the_notebook_runs_top_to_bottom(kernel_env):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    path = EXAMPLES / "corridors_tour.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "stored outputs"
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=180,
        resources={"metadata": {"path": str(kernel_env)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    code = [c for c in nb.cells if c.cell_type == "code"]

    def text(cell) -> str:
        parts = []
        for out in cell.outputs:
            parts.append(out.get("text", ""))
            parts.extend(str(v) for v in out.get("data", {}).values())
        return "\n".join(parts)

    everything = "\n".join(text(c) for c in code)
    assert "1,035 km" in everything
    assert "88 + 508.53 + 422 = 1,018.53" in everything
    assert "CHN" in everything and "LAO" in everything and "VNM" in everything
    assert "GeoPackage: 39 features" in everything
    last = code[-1]
    assert "maps.render" in last.source
    html = last.outputs[-1]["data"]["text/html"]  # the map, shown inline
    assert "leaflet" in html.lower()
    assert "cdn.jsdelivr.net/npm/leaflet" not in html  # Leaflet inline: offline


def run_script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_planner_map_writes_an_offline_html_file(tmp_path):
    target = tmp_path / "planner.html"
    out = run_script(str(EXAMPLES / "planner_map.py"), str(target), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"wrote {target}" in out.stdout
    page = target.read_text("utf-8")
    assert "Laos Railway" in page and "Vung Ang" in page
    assert "unpkg.com" not in page and "cdn.jsdelivr.net" not in page
    bad = run_script(
        str(EXAMPLES / "planner_map.py"), "x.html", "--corridor", "china-lao-railway", cwd=tmp_path
    )
    assert bad.returncode == 1 and "did you mean 'china-laos-railway'" in bad.stderr
    assert not (tmp_path / "x.html").exists()


def test_planner_map_defaults_to_a_temporary_folder(tmp_path):
    out = run_script(str(EXAMPLES / "planner_map.py"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    written = Path(out.stdout.split("wrote ")[1].split(" (")[0])
    try:
        assert written.name == "corridors_map.html" and written.stat().st_size > 100_000
        assert list(tmp_path.iterdir()) == []
    finally:
        written.unlink(missing_ok=True)
        written.parent.rmdir()


def test_analyst_batch_measures_20000_lines(tmp_path):
    out = run_script(str(EXAMPLES / "analyst_batch.py"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("20,000 lines")
    for iso3 in ("CHN", "LAO", "THA", "VNM"):
        assert f"\n{iso3} " in out.stdout
    assert "border crossings on" in out.stdout
