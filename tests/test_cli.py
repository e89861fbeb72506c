"""The command line: exit codes, stdout and stderr, in-process through ``corridors.cli.main``.

A few end-to-end tests (marked ``slow``) run ``python -m corridors.cli`` as users run it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import shapely
from conftest import feature_collection, line_feature

import corridors
from corridors.cli import main

ROUTE = [[101.60, 21.40], [101.68, 21.20], [101.70, 21.00]]
CLR_DATA = (
    Path(__file__).resolve().parent.parent / "geodata" / "corridors" / "china-laos-railway.geojson"
)


def run(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    """The command in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "corridors.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """The command in this process: (exit status, stdout, stderr)."""
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def published_sum() -> str:
    """The sections-to-total relation of the embedded data, as the check prints it."""
    doc = json.loads(CLR_DATA.read_text("utf-8"))
    figures = {f["id"]: f["value"] for f in doc["corridor"]["figures"]}
    for feature in doc["features"]:
        figures.update((f["id"], f["value"]) for f in feature["properties"]["figures"])
    rel = next(r for r in doc["corridor"]["relations"] if r["id"] == "rel-sections-total")
    parts, whole = [figures[i] for i in rel["parts"]], figures[rel["whole"]]

    def km(v: float) -> str:
        return f"{v:,.3f}".rstrip("0").rstrip(".")

    return f"{' + '.join(km(v) for v in parts)} = {km(sum(parts))} ≠ {km(whole)} km"


@pytest.fixture
def route_file(tmp_path):
    path = tmp_path / "route.geojson"
    path.write_text(feature_collection(line_feature(ROUTE, name="mine")), "utf-8")
    return path


def test_list_and_json(capsys):
    status, out, _ = cli(capsys, "list")
    assert status == 0
    assert all(cid in out for cid in corridors.ids())
    status, out, _ = cli(capsys, "list", "--json")
    data = json.loads(out)
    assert [d["id"] for d in data] == corridors.ids()
    for d in data:
        km = corridors.length_km(corridors.load(d["id"]))
        assert d["length_km"] == pytest.approx(km, abs=0.05)


def test_check_prints_the_published_sum_that_does_not_add_up(capsys):
    status, out, _ = cli(capsys, "check", "china-laos-railway")
    assert status == 0
    assert published_sum() in out
    assert str(corridors.check("china-laos-railway")) == out.rstrip("\n")


def test_length_crossings_check_and_show_on_a_users_file(route_file, capsys):
    status, out, _ = cli(capsys, "length", str(route_file), "--json")
    length = json.loads(out)
    line = shapely.LineString(ROUTE)
    assert length["total_km"] == pytest.approx(corridors.length_km(line), abs=1e-3)
    pieces = corridors.split_by_country(line).groupby("iso3")["length_km"].sum()
    assert length["by_country"] == pytest.approx(pieces.round(3).to_dict())
    status, out, _ = cli(capsys, "crossings", str(route_file), "--json")
    expected = corridors.border_crossings(line)
    assert [(c["from_iso3"], c["to_iso3"]) for c in json.loads(out)] == list(
        zip(expected["from_iso3"], expected["to_iso3"], strict=True)
    )
    assert all(c["gate_name"] for c in json.loads(out))
    assert cli(capsys, "check", str(route_file))[0] == 0
    status, out, _ = cli(capsys, "show", str(route_file))
    assert status == 0 and "section-1" in out


def test_output_file_is_written_whole(tmp_path, capsys):
    target = tmp_path / "report.json"
    status, out, _ = cli(capsys, "check", "china-laos-railway", "--json", "-o", str(target))
    assert status == 0 and out == ""
    data = json.loads(target.read_text("utf-8"))
    assert data == json.loads(json.dumps(corridors.check("china-laos-railway").to_dict()))
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "china-lao-railway"], "did you mean 'china-laos-railway'"),
        (["check", "nowhere.geojson"], "no such file"),
        (["length", "{corrupt}"], "unknown corridor"),
    ],
)
def test_errors_are_one_line_without_traceback(args, message, tmp_path, capsys):
    target = tmp_path / "out.json"
    status, out, err = cli(capsys, *args, "-o", str(target))
    assert status == 1 and out == ""
    assert err.startswith("corridors: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not target.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("{oops", "not valid JSON"),
        (feature_collection(), "no features"),
        (feature_collection(line_feature([[21.0, 101.6], [21.2, 101.7]])), "swapped"),
        (feature_collection(line_feature([[500000, 2300000], [510000, 2310000]])), "projected"),
    ],
    ids=["empty", "corrupt", "no-features", "swapped", "projected"],
)
@pytest.mark.parametrize("command", ["length", "crossings", "check", "show"])
def test_bad_files_fail_cleanly_and_write_nothing(tmp_path, capsys, command, content, message):
    bad = tmp_path / "bad.geojson"
    bad.write_text(content, "utf-8")
    target = tmp_path / "out.txt"
    status, _, err = cli(capsys, command, str(bad), "-o", str(target))
    assert status == 1
    assert message in err and "Traceback" not in err and err.count("\n") == 1
    assert not target.exists()


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["frobnicate"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_a_bug_is_one_line_with_exit_3_unless_debugging(monkeypatch, capsys):
    def broken(_target):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(corridors.cli, "_resolve", broken)
    monkeypatch.delenv("CORRIDORS_DEBUG", raising=False)
    status, _, err = cli(capsys, "show", "china-laos-railway")
    assert status == 3 and "internal error: ZeroDivisionError: boom" in err
    assert err.count("\n") == 1
    monkeypatch.setenv("CORRIDORS_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["show", "china-laos-railway"])


# -- end to end: the real entry point in its own process ---------------------------------------
@pytest.mark.slow
def test_the_check_command_end_to_end():
    out = run("check", "china-laos-railway")
    assert out.returncode == 0, out.stderr
    assert published_sum() in out.stdout


@pytest.mark.slow
def test_an_error_end_to_end_is_one_line_on_stderr_and_exit_1(tmp_path):
    out = run("show", "china-lao-railway", "-o", str(tmp_path / "out.txt"))
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr == (
        "corridors: error: unknown corridor 'china-lao-railway'; "
        "did you mean 'china-laos-railway'?\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_usage_errors_end_to_end_exit_2():
    out = run("frobnicate")
    assert out.returncode == 2 and "invalid choice" in out.stderr


# -- deviation ---------------------------------------------------------------------------------
STRAIGHT = [[102.0, 17.5], [102.0, 18.5]]
BUMPED = [
    [102.0, 17.5],
    [102.0, 17.9],
    [102.05, 17.9],
    [102.05, 18.1],
    [102.0, 18.1],
    [102.0, 18.5],
]


@pytest.fixture
def two_lines(tmp_path):
    paths = []
    for name, coords in (("bumped", BUMPED), ("straight", STRAIGHT)):
        path = tmp_path / f"{name}.geojson"
        path.write_text(feature_collection(line_feature(coords, name=name)), "utf-8")
        paths.append(str(path))
    return paths


def test_deviation_prints_the_summary_and_the_five_worst_places(two_lines, capsys):
    bump_km = corridors.deviation(shapely.LineString(BUMPED), shapely.LineString(STRAIGHT))
    assert main(["deviation", *two_lines, "--step", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "Hausdorff distance" in out and "median offset" in out and "length difference" in out
    assert f"{bump_km.summary['hausdorff_km']:,.2f}" in out  # km, two decimals
    worst = out.split("worst places:")[1].strip().splitlines()
    assert worst[0].split() == ["of", "chainage_km", "km", "on", "line", "lon", "lat", "offset_km"]
    assert len(worst) == 1 + 5 and all(" 102.05000 " in row for row in worst[1:])

    assert main(["deviation", *two_lines, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["max_km"] == pytest.approx(bump_km.summary["max_km"], abs=1e-6)
    assert data["summary"]["n_samples"] == bump_km.summary["n_samples"]  # the default step, 1 km
    assert len(data["worst"]) == 5 and {"lon", "lat", "offset_km", "of"} <= set(data["worst"][0])


def test_deviation_takes_ids_and_writes_atomically(tmp_path, capsys):
    target = tmp_path / "dev.json"
    args = ["deviation", "china-laos-railway", "china-laos-railway", "--step", "25"]
    assert main([*args, "--json", "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    data = json.loads(target.read_text("utf-8"))
    assert data["line"] == "China–Laos Railway" and data["summary"]["hausdorff_km"] < 1e-6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["china-laos-railway", "nowhere.geojson"], "no such file"),
        (["china-lao-railway", "china-laos-railway"], "did you mean 'china-laos-railway'"),
        (["china-laos-railway", "china-laos-railway", "--step", "0"], "step_km"),
        (["china-laos-railway", "china-laos-railway", "--step", "nan"], "step_km"),
    ],
)
def test_deviation_errors_are_one_line_and_write_nothing(args, message, tmp_path, capsys):
    target = tmp_path / "out.txt"
    assert main(["deviation", *args, "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


# -- issue 10: every input gets a clean answer (cases found by tests/test_fuzz.py) ---------------


@pytest.mark.parametrize("ident", ["x" * 256, "x" * 5000, "é" * 200, "a\x00b"])
@pytest.mark.parametrize("command", ["show", "length", "check"])
def test_an_id_too_long_for_a_file_name_is_an_unknown_id(ident, command, capsys):
    # (was: exit 3, "internal error: OSError: [Errno 36] File name too long")
    status, out, err = cli(capsys, command, ident)
    assert status == 1 and out == ""
    assert err.startswith("corridors: error: unknown corridor") and err.count("\n") == 1


def test_a_path_too_long_is_one_clean_line(capsys):
    status, _, err = cli(capsys, "length", "a/" * 3000 + "x.geojson")
    assert status == 1 and err.startswith("corridors: error: ") and err.count("\n") == 1


RING_OF_TWO = '{"type":"Polygon","coordinates":[[[101,20],[101,20]]]}'


def test_a_ring_that_geos_refuses_is_a_bad_file(tmp_path, capsys, monkeypatch):
    # (was: exit 3, "internal error: GEOSException: ... LinearRing found 2 - must be 0 or >= 3")
    path = tmp_path / "ring.geojson"
    path.write_text(RING_OF_TWO)
    status, _, err = cli(capsys, "length", str(path))
    assert status == 1 and err.count("\n") == 1
    assert err.startswith(f"corridors: error: cannot read {path}: ") and "LinearRing" in err
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(RING_OF_TWO.encode())))
    status, _, err = cli(capsys, "crossings", "-")
    assert status == 1 and err.startswith("corridors: error: cannot read standard input: ")


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet", ".kml"])
def test_every_command_reads_back_what_export_wrote(suffix, route_file, tmp_path, capsys):
    # (was: `show` of an exported KML: exit 3, "internal error: KeyError: ['status'] not in index")
    written = tmp_path / f"back{suffix}"
    assert main(["export", str(route_file), "-o", str(written)]) == 0
    capsys.readouterr()
    for command in (["show"], ["length"], ["crossings"], ["check"]):
        status, _, err = cli(capsys, *command, str(written))
        assert (status, err) == (0, ""), (command, err)
    status, _, err = cli(capsys, "deviation", str(written), str(route_file), "--step", "5")
    assert (status, err) == (0, "")


LINES = [[(101.0, 20.0), (102.0, 20.0)], [(102.0, 20.0), (102.0, 21.0)]]


def test_length_is_the_same_rule_in_the_api_and_the_cli(tmp_path, capsys):
    """A file is read as a corridor: its lines summed; polygons and points alone are refused."""
    two = tmp_path / "two.geojson"
    two.write_text(feature_collection(*(line_feature([list(p) for p in c]) for c in LINES)))
    lines = [shapely.LineString(c) for c in LINES]
    expected = sum(corridors.length_km(g) for g in lines)  # each line measured on its own
    assert corridors.length_km(lines) == pytest.approx(expected, rel=1e-12)  # a list: the sum
    assert corridors.length_km(corridors.Corridor.from_file(two)) == pytest.approx(expected)
    status, out, _ = cli(capsys, "length", str(two), "--json")
    assert status == 0 and json.loads(out)["total_km"] == pytest.approx(expected, abs=1e-3)
    # a polygon or a point is a geometry with a length (perimeter, 0) but not a corridor
    box = shapely.box(101, 20, 102, 21)
    assert corridors.length_km(box) == pytest.approx(corridors.length_km(box.exterior))
    assert corridors.length_km(shapely.Point(101, 20)) == 0.0
    for geometry in (shapely.geometry.mapping(box), {"type": "Point", "coordinates": [101, 20]}):
        path = tmp_path / "shape.geojson"
        path.write_text(json.dumps(geometry))
        with pytest.raises(corridors.GeometryError) as api_err:
            corridors.length_km(corridors.Corridor.from_file(path))
        status, _, err = cli(capsys, "length", str(path))
        assert status == 1 and err == f"corridors: error: {api_err.value}\n"


@pytest.mark.parametrize("ident", ["\r/", "a\nb", "x\u2028y.geojson", "bad\x1bname"])
def test_control_characters_in_an_error_stay_on_one_line(ident, capsys):
    # (was: "corridors: error: no such file: \r/" printed a line break of the user's id)
    status, _, err = cli(capsys, "show", "--", ident)
    assert status == 1 and err.startswith("corridors: error: ")
    assert len(err.splitlines()) == 1 and err.endswith("\n")
