"""The examples run as users run them: the notebook under a real kernel, the scripts as scripts.

All offline: the notebook's map inlines Leaflet and draws no basemap.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

#: runs the notebook and the example scripts: part of make test, not of the quick loop
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CLR_DATA = ROOT / "geodata" / "corridors" / "china-laos-railway.geojson"


def _km(value: float) -> str:
    """A figure as the check prints it: 1,018.53, 508.53, 88."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def published_sum() -> str:
    """The sections-to-total relation of the embedded data, as the check prints it."""
    doc = json.loads(CLR_DATA.read_text("utf-8"))
    figures = {f["id"]: f["value"] for f in doc["corridor"].get("figures", [])}
    for feature in doc["features"]:
        figures.update((f["id"], f["value"]) for f in feature["properties"].get("figures") or [])
    rel = next(r for r in doc["corridor"]["relations"] if r["id"] == "rel-sections-total")
    parts = [figures[i] for i in rel["parts"]]
    return " + ".join(_km(v) for v in parts) + f" = {_km(sum(parts))}"


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
    doc = json.loads(CLR_DATA.read_text("utf-8"))
    published = next(f["value"] for f in doc["corridor"]["figures"] if f["id"] == "cor-length")
    assert f"{published:,} km" in everything  # the published total, as the data has it
    assert published_sum() in everything  # the published figures that do not add up
    assert "what still differs" in everything
    assert "CHN" in everything and "LAO" in everything and "VNM" in everything
    assert f"GeoPackage: {len(doc['features'])} features" in everything
    # the deviation cell: its summary is shown, with the lengths it compares
    dev = next(c for c in code if "corridors.deviation(" in c.source)
    shown = text(dev)
    for key in ("hausdorff_km", "median_km", "length_diff_km", "line_km", "reference_km"):
        assert f"'{key}'" in shown, key
    assert "shorter than the railway" in shown
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


def test_check_1035km_walks_through_the_check(tmp_path):
    out = run_script(str(EXAMPLES / "check_1035km.py"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    doc = json.loads(CLR_DATA.read_text("utf-8"))
    main = [
        f["properties"]["id"]
        for f in doc["features"]
        if f["properties"].get("kind") == "section" and f["properties"].get("role") == "main"
    ]
    assert main and all(f"  section {sid}: " in out.stdout for sid in main)
    assert "main line: " in out.stdout and "crosses CHN → LAO" in out.stdout
    assert published_sum() in out.stdout
