"""The one writer (``corridors._output``): what every ``-o`` and every export does to its target.

Each behaviour has its own test, in-process through ``corridors.cli.main`` where it can be: a
regular file is replaced atomically and keeps its mode, a device or a FIFO is written to in
place, ``-`` is standard output, a symbolic link is followed, a bad target is one line and exit
1 with nothing left behind, a closed pipe ends quietly, ``-`` as a FILE reads standard input,
and the libraries' warnings stay off the terminal. Tests run as root, so an "unwritable place"
is a path under a regular file or a missing folder.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from conftest import feature_collection, line_feature

import corridors
from corridors import _export, _output
from corridors.cli import main

ROUTE = [[101.60, 21.40], [101.68, 21.20], [101.70, 21.00]]


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """The command in this process: (exit status, stdout, stderr)."""
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def expected_stdout(capsys, *args: str) -> str:
    """What the command prints to standard output without ``-o``."""
    status, out, _ = cli(capsys, *args)
    assert status == 0
    return out


def names(folder: Path) -> list[str]:
    """Every entry of a folder, hidden ones (temporary files) included."""
    return sorted(p.name for p in folder.iterdir())


class FifoReader:
    """Read a FIFO whole in a thread, as ``cat fifo > file`` would."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: bytes | None = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        with open(self.path, "rb") as fh:  # blocks until a writer opens it
            self.data = fh.read()

    def result(self) -> bytes | None:
        """The bytes read; ``None`` when no writer ever opened the FIFO."""
        self.thread.join(timeout=0.5)
        if self.thread.is_alive():  # nobody wrote: open and close it so the reader ends
            fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
            self.thread.join(timeout=5)
            return None if not self.data else self.data
        return self.data


@pytest.fixture
def route_text():
    return feature_collection(line_feature(ROUTE, name="mine"))


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


# -- a regular file: replaced atomically, keeping its mode -----------------------------------------
def test_an_existing_file_is_replaced_and_keeps_its_mode(tmp_path, capsys):
    target = tmp_path / "list.txt"
    target.write_text("old\n")
    target.chmod(0o640)
    inode = target.stat().st_ino
    assert cli(capsys, "list", "-o", str(target)) == (0, "", "")
    assert target.read_text("utf-8") == expected_stdout(capsys, "list")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.stat().st_ino != inode  # a new file moved into place, not rewritten
    assert names(tmp_path) == ["list.txt"]


def test_an_exported_file_keeps_its_mode(clr, tmp_path):
    target = tmp_path / "clr.gpkg"
    target.write_bytes(b"old")
    target.chmod(0o640)
    clr.to_file(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert len(gpd.read_file(target)) == len(clr.to_geodataframe())
    assert names(tmp_path) == ["clr.gpkg"]


@pytest.mark.parametrize("command", [["list"], ["export", "china-laos-railway"]])
def test_a_new_file_follows_the_umask(tmp_path, capsys, umask_022, command):
    target = tmp_path / ("new.geojson" if "export" in command else "new.txt")
    assert main([*command, "-o", str(target)]) == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # 0666 less the umask 022
    os.umask(0o077)
    assert main([*command, "-o", str(tmp_path / ("private" + target.suffix))]) == 0
    assert stat.S_IMODE((tmp_path / ("private" + target.suffix)).stat().st_mode) == 0o600
    capsys.readouterr()


def test_a_failed_replace_keeps_the_old_file_and_leaves_no_temp(tmp_path, capsys, monkeypatch):
    target = tmp_path / "list.txt"
    target.write_text("old\n")

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_output.os, "replace", full)
    status, out, err = cli(capsys, "list", "-o", str(target))
    assert status == 1 and out == ""
    assert err == f"corridors: error: cannot write {target}: No space left on device\n"
    assert target.read_text() == "old\n"
    assert names(tmp_path) == ["list.txt"]


# -- a device, a FIFO: written to in place, never replaced ---------------------------------------
def test_dev_null_stays_a_character_device(capsys):
    before = os.stat("/dev/null")
    assert stat.S_ISCHR(before.st_mode)
    assert cli(capsys, "list", "-o", "/dev/null") == (0, "", "")
    assert cli(capsys, "check", "china-laos-railway", "--json", "-o", "/dev/null")[0] == 0
    assert main(["export", "china-laos-railway", "-o", "/dev/null"]) == 0  # GeoJSON
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_ino == before.st_ino


def test_a_fifo_reader_gets_the_text_and_the_fifo_stays(tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    assert cli(capsys, "list", "--json", "-o", str(fifo)) == (0, "", "")
    data = reader.result()
    assert data is not None
    assert [d["id"] for d in json.loads(data)] == corridors.ids()
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert names(tmp_path) == ["pipe"]


@pytest.mark.parametrize("ext", [".gpkg", ".geojson", ".kml", ".parquet"])
def test_an_export_to_a_fifo_streams_the_finished_file(clr, tmp_path, ext):
    fifo = tmp_path / f"pipe{ext}"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    written = clr.to_file(fifo)
    data = reader.result()
    assert data is not None and written.format == _export.FORMATS[ext]
    copy = tmp_path / f"copy{ext}"
    copy.write_bytes(data)
    back = gpd.read_parquet(copy) if ext == ".parquet" else None
    if ext in {".gpkg", ".geojson"}:
        back = gpd.read_file(copy)
    if back is not None:
        assert len(back) == len(clr.to_geodataframe())
    else:
        assert data.startswith(b"<?xml") and data.count(b"<Placemark") == written.features
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert names(tmp_path) == sorted([fifo.name, copy.name])


# -- standard output and symbolic links ----------------------------------------------------------
@pytest.mark.parametrize("dash", ["-", "/dev/stdout"])
def test_dash_writes_to_standard_output(tmp_path, capsys, monkeypatch, dash):
    monkeypatch.chdir(tmp_path)
    listing = expected_stdout(capsys, "list")
    assert cli(capsys, "list", "-o", dash) == (0, listing, "")
    status, out, err = cli(capsys, "export", "china-laos-railway", "-o", dash)
    assert status == 0 and err == ""
    doc = json.loads(out)  # the GeoJSON itself, and nothing else
    assert doc["type"] == "FeatureCollection" and doc["name"] == "China–Laos Railway"
    assert names(tmp_path) == []  # no file named "-"


def test_a_map_to_standard_output_is_the_page_alone(capsys):
    status, out, err = cli(capsys, "map", "china-laos-railway", "--tiles", "none", "-o", "-")
    assert status == 0 and err == ""
    assert out.lstrip().lower().startswith("<!doctype html>") and "wrote" not in out[-200:]


@pytest.mark.parametrize(
    "command",
    [["list"], ["check", "china-laos-railway", "--json"], ["export", "china-laos-railway"]],
    ids=["list", "check", "export"],
)
def test_a_symlink_is_followed_and_stays_a_link(tmp_path, capsys, command):
    real = tmp_path / "real.geojson"
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "link.geojson"
    link.symlink_to(real.name)
    assert main([*command, "-o", str(link)]) == 0
    capsys.readouterr()
    assert link.is_symlink() and os.readlink(link) == real.name
    assert real.read_text("utf-8") != "old" and real.stat().st_size > 10
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert names(tmp_path) == ["link.geojson", "real.geojson"]


def test_a_dangling_symlink_creates_the_file_it_points_to(tmp_path, capsys):
    link = tmp_path / "link.txt"
    link.symlink_to("made.txt")
    assert cli(capsys, "list", "-o", str(link))[0] == 0
    assert link.is_symlink() and (tmp_path / "made.txt").read_text("utf-8").strip()


# -- bad targets: one line, exit 1, nothing left behind ------------------------------------------
def bad_targets(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """name -> (path, the message it gives); a regular FILE stands in for an unwritable place."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("keep")
    return {
        "folder": (str(tmp_path / "folder"), "it is a folder"),
        "empty": ("", "empty path"),
        "missing-parent": (str(tmp_path / "missing" / "out.geojson"), "no folder"),
        "under-a-file": (str(tmp_path / "file" / "out.geojson"), "no folder"),
    }


COMMANDS = {
    "list": ["list"],
    "check": ["check", "china-laos-railway", "--json"],
    "route": ["route", "Vientiane", "Boten"],
    "export": ["export", "china-laos-railway"],
    "map": ["map", "china-laos-railway", "--tiles", "none"],
    "deviation": ["deviation", "china-laos-railway", "china-laos-railway", "--step", "50"],
}


@pytest.mark.parametrize("bad", ["folder", "empty", "missing-parent", "under-a-file"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_bad_target_is_one_line_exit_1_and_leaves_nothing(tmp_path, capsys, command, bad):
    path, message = bad_targets(tmp_path)[bad]
    status, out, err = cli(capsys, *COMMANDS[command], "-o", path)
    assert status == 1 and out == ""
    assert err.startswith("corridors: error: cannot write") and message in err
    assert err.count("\n") == 1
    assert names(tmp_path) == ["file", "folder"]
    assert names(tmp_path / "folder") == [] and (tmp_path / "file").read_text() == "keep"


@pytest.mark.parametrize("bad", ["folder", "empty", "missing-parent", "under-a-file"])
def test_the_api_gives_a_data_file_error_for_a_bad_target(clr, tmp_path, bad):
    path, message = bad_targets(tmp_path)[bad]
    with pytest.raises(corridors.DataFileError, match=message):
        corridors.export(clr, path)
    with pytest.raises(corridors.DataFileError, match=message):
        _output.write_text(path, "text")
    assert names(tmp_path) == ["file", "folder"]


def test_a_folder_that_refuses_a_temp_file_is_a_data_file_error(tmp_path, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_output.tempfile, "mkdtemp", refuse)
    status, _, err = cli(capsys, "list", "-o", str(tmp_path / "out.txt"))
    assert status == 1 and err.endswith(": Permission denied\n") and err.count("\n") == 1
    assert names(tmp_path) == []


# -- a closed pipe ends quietly ------------------------------------------------------------------
class ClosedPipe(io.StringIO):
    """Standard output whose reader has gone (``| head -1`` after its line)."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["route", "Vientiane", "Boten", "--json"],
        ["export", "china-laos-railway", "-o", "-"],
        ["list", "-o", "-"],
    ],
    ids=["list", "route-json", "export-to-stdout", "list-to-dash"],
)
def test_a_closed_pipe_exits_0_without_a_word(monkeypatch, capsys, args):
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(args) == 0
    assert capsys.readouterr().err == ""


def _run_into_a_closed_pipe(*args: str, read: int) -> subprocess.CompletedProcess[bytes]:
    """Run the command, read ``read`` bytes of its output (0: none) and close the pipe."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "corridors.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    head = proc.stdout.read(read) if read else b""
    proc.stdout.close()  # as `head` does once it has what it wants
    err = proc.stderr.read()
    proc.stderr.close()
    return subprocess.CompletedProcess(proc.args, proc.wait(timeout=120), head, err)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "read"),
    [
        (["list"], 0),
        (["route", "Vientiane", "Boten", "--json"], 0),
        (["export", "china-laos-railway", "-o", "-"], 100),  # more than a pipe holds
    ],
    ids=["list-head-1", "route-json-head-c", "export-head-c-100"],
)
def test_a_closed_pipe_end_to_end_exits_0_quietly(args, read):
    out = _run_into_a_closed_pipe(*args, read=read)
    assert out.returncode == 0, out.stderr
    assert out.stderr == b""
    assert len(out.stdout) == read


# -- standard input ------------------------------------------------------------------------------
def stdin_of(monkeypatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))


@pytest.mark.parametrize("command", ["length", "crossings", "check", "show"])
def test_dash_reads_geojson_from_standard_input(tmp_path, capsys, monkeypatch, route_text, command):
    path = tmp_path / "stdin.geojson"  # the same name, so that ids and names agree
    path.write_text(route_text, "utf-8")
    from_file = expected_stdout(capsys, command, str(path), "--json")
    stdin_of(monkeypatch, route_text)
    assert cli(capsys, command, "-", "--json") == (0, from_file, "")


def test_length_from_standard_input_is_the_lines_length(capsys, monkeypatch, route_text):
    stdin_of(monkeypatch, route_text)
    status, out, _ = cli(capsys, "length", "-", "--json")
    assert status == 0
    total = json.loads(out)["total_km"]
    assert total == pytest.approx(corridors.length_km(shapely.LineString(ROUTE)), abs=1e-3)


def test_standard_input_is_read_once_for_two_dashes(capsys, monkeypatch, route_text):
    stdin_of(monkeypatch, route_text)
    status, out, _ = cli(capsys, "deviation", "-", "-", "--json")
    assert status == 0 and json.loads(out)["summary"]["hausdorff_km"] < 1e-9


def test_export_and_map_read_standard_input(tmp_path, capsys, monkeypatch, route_text):
    stdin_of(monkeypatch, route_text)
    assert main(["export", "-", "-o", str(tmp_path / "out.gpkg")]) == 0
    assert len(gpd.read_file(tmp_path / "out.gpkg")) == 1
    stdin_of(monkeypatch, route_text)
    assert main(["map", "-", "--tiles", "none", "-o", str(tmp_path / "map.html")]) == 0
    assert "mine" in (tmp_path / "map.html").read_text("utf-8")
    capsys.readouterr()


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "standard input is empty"), ("{oops", "standard input is not valid JSON")],
    ids=["empty", "corrupt"],
)
def test_bad_standard_input_is_one_line_naming_it(capsys, monkeypatch, content, message):
    stdin_of(monkeypatch, content)
    status, out, err = cli(capsys, "length", "-")
    assert status == 1 and out == ""
    assert err.startswith(f"corridors: error: {message}") and err.count("\n") == 1
    assert "stdin.geojson" not in err  # never the temporary file's name


# -- warnings of the libraries underneath --------------------------------------------------------
def test_library_warnings_never_reach_the_terminal(tmp_path, capsys):
    kml = tmp_path / "clr.kml"
    corridors.export(corridors.load("china-laos-railway"), kml)  # several layers for GDAL
    with warnings.catch_warnings(record=True) as api:
        warnings.simplefilter("always")
        gpd.read_file(kml)  # the control: pyogrio itself warns about the layers
    assert any("more than one layer" in str(w.message).lower() for w in api), "no control"
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        status, out, err = cli(capsys, "length", str(kml))
    assert status == 0 and "km" in out
    assert seen == [] and err == ""


def test_a_shapely_runtime_warning_is_not_shown(capsys, monkeypatch):
    real = corridors.cli._resolve

    def warning_resolve(target):
        warnings.warn("invalid value encountered in line_locate_point", RuntimeWarning, 2)
        return real(target)

    monkeypatch.setattr(corridors.cli, "_resolve", warning_resolve)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        status, _, err = cli(capsys, "length", "china-laos-railway")
    assert status == 0 and seen == [] and err == ""
    monkeypatch.setenv("CORRIDORS_DEBUG", "1")  # for a developer, they are shown
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert main(["length", "china-laos-railway"]) == 0
    assert any(issubclass(w.category, RuntimeWarning) for w in seen)
