"""The command line, run as users run it: a real subprocess, with exit codes and stderr."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import shapely
from conftest import feature_collection, line_feature

import corridors
from corridors.cli import main

ROUTE = [[101.60, 21.40], [101.68, 21.20], [101.70, 21.00]]


def run(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "corridors.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture
def route_file(tmp_path):
    path = tmp_path / "route.geojson"
    path.write_text(feature_collection(line_feature(ROUTE, name="mine")), "utf-8")
    return path


def test_list_and_json():
    out = run("list")
    assert out.returncode == 0, out.stderr
    assert "china-laos-railway" in out.stdout
    data = json.loads(run("list", "--json").stdout)
    assert {d["id"] for d in data} >= {"china-laos-railway", "vientiane-vung-ang-railway"}
    assert all(d["length_km"] > 0 for d in data)


def test_check_prints_the_1035_km_check():
    out = run("check", "china-laos-railway")
    assert out.returncode == 0, out.stderr
    assert "1,035 km" in out.stdout
    assert "88 + 508.53 + 422 = 1,018.53 ≠ 1,035 km" in out.stdout


def test_length_crossings_and_check_on_a_users_file(route_file):
    length = json.loads(run("length", str(route_file), "--json").stdout)
    assert set(length["by_country"]) == {"CHN", "LAO"}
    assert sum(length["by_country"].values()) == pytest.approx(length["total_km"], rel=1e-6)
    crossings = json.loads(run("crossings", str(route_file), "--json").stdout)
    assert [(c["from_iso3"], c["to_iso3"]) for c in crossings] == [("CHN", "LAO")]
    assert crossings[0]["gate_name"]
    check = run("check", str(route_file))
    assert check.returncode == 0, check.stderr
    show = run("show", str(route_file))
    assert show.returncode == 0 and "section-1" in show.stdout


def test_output_file_is_written_whole(tmp_path):
    target = tmp_path / "report.json"
    out = run("check", "china-laos-railway", "--json", "-o", str(target))
    assert out.returncode == 0 and out.stdout == ""
    assert json.loads(target.read_text("utf-8"))["corridor"] == "china-laos-railway"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "china-lao-railway"], "did you mean 'china-laos-railway'"),
        (["check", "nowhere.geojson"], "no such file"),
        (["length", "{corrupt}"], "unknown corridor"),
    ],
)
def test_errors_are_one_line_without_traceback(args, message, tmp_path):
    target = tmp_path / "out.json"
    out = run(*args, "-o", str(target))
    assert out.returncode == 1
    assert message in out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
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
def test_bad_files_fail_cleanly_and_write_nothing(tmp_path, content, message):
    bad = tmp_path / "bad.geojson"
    bad.write_text(content, "utf-8")
    target = tmp_path / "out.txt"
    for command in ("length", "crossings", "check", "show"):
        out = run(command, str(bad), "-o", str(target))
        assert out.returncode == 1, command
        assert message in out.stderr and "Traceback" not in out.stderr, (command, out.stderr)
        assert not target.exists()


def test_usage_errors_exit_2():
    out = run("frobnicate")
    assert out.returncode == 2
    assert "invalid choice" in out.stderr


# -- deviation, run in-process through corridors.cli.main --------------------------------------
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
