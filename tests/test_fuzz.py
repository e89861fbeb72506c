"""Fuzzing with hypothesis: no input ends in "internal error", no output target is damaged.

Every test here is deterministic (``derandomize=True``: the same examples on every run) and runs
the command line in this process through ``corridors.cli.main``. The properties:

* the exit status is 0, 1 or 2, never 3 ("internal error");
* a run that gets past the argument parser (status 0 or 1) writes at most one line on stderr;
* a pre-existing output target is either correctly replaced or byte-for-byte unchanged;
* no temporary file is left in the target's folder.

The API test feeds every public function random bad input and accepts only
:class:`corridors.CorridorsError` subclasses.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corridors
from corridors.cli import main

# building geometries from NaN and huge numbers makes shapely warn; the CLI hides its own
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def fuzz(max_examples: int) -> settings:
    """Deterministic settings: the same ``max_examples`` examples on every run, no database."""
    return settings(
        derandomize=True,
        database=None,
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# -- running the command line -------------------------------------------------------------------


class Run:
    """One in-process run of the command: status, stdout and stderr."""

    def __init__(self, argv: list[str], stdin: bytes = b"") -> None:
        out, err = io.BytesIO(), io.BytesIO()
        out_text = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
        err_text = io.TextIOWrapper(err, encoding="utf-8", write_through=True)
        in_text = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
        saved = sys.stdin, sys.stdout, sys.stderr
        sys.stdin, sys.stdout, sys.stderr = in_text, out_text, err_text
        try:
            try:
                self.status = main(argv)
            except SystemExit as exit_:  # argparse: usage errors and --help
                self.status = exit_.code if isinstance(exit_.code, int) else 2
        finally:
            sys.stdin, sys.stdout, sys.stderr = saved
        self.argv = argv
        self.stdout = out.getvalue()
        self.stderr = err.getvalue().decode("utf-8", "replace")

    def check(self) -> None:
        """The properties every run must have."""
        assert self.status in {0, 1, 2}, (self.argv, self.status, self.stderr)
        if self.status in {0, 1}:  # argparse's usage message (status 2) is its own format
            lines = self.stderr.strip("\n").splitlines()
            assert len(lines) <= 1, (self.argv, self.stderr)
        if self.status == 1:
            assert self.stderr.startswith("corridors: error: "), (self.argv, self.stderr)


def run(argv: list[str], stdin: bytes = b"") -> Run:
    result = Run(argv, stdin)
    result.check()
    return result


# -- random GeoJSON -----------------------------------------------------------------------------

REGION = st.tuples(
    st.floats(95.0, 112.0, allow_nan=False), st.floats(8.0, 28.0, allow_nan=False)
).map(list)
ODD_NUMBER = st.sampled_from(
    [math.nan, math.inf, -math.inf, 1e308, -1e308, 1e20, 0.0, -0.0, 181.0, -91.0, 360.0, 5e-324]
)
NUMBER = st.one_of(
    st.floats(-200, 200, allow_nan=False), ODD_NUMBER, st.integers(-(10**30), 10**30)
)
JUNK = st.one_of(
    st.none(), st.booleans(), st.text(max_size=5), st.just([]), st.just({}), st.just([[]])
)
POSITION = st.one_of(
    REGION,
    REGION.map(lambda p: [p[1], p[0]]),  # swapped lat/lon
    st.lists(NUMBER, min_size=0, max_size=4),
    st.lists(st.one_of(NUMBER, JUNK), min_size=2, max_size=3),
    JUNK,
)
LINE = st.one_of(
    st.lists(REGION, min_size=2, max_size=6),
    st.lists(POSITION, min_size=0, max_size=5),
    REGION.flatmap(lambda p: st.integers(1, 4).map(lambda n: [p] * n)),  # repeated points
    st.lists(REGION, min_size=3, max_size=5).map(lambda c: [*c, c[0]]),  # a ring
)
RING = st.lists(REGION, min_size=3, max_size=5).map(lambda c: [*c, c[0]])


def _geometry(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(lambda c: {"type": "Point", "coordinates": c}, POSITION),
        st.builds(lambda c: {"type": "LineString", "coordinates": c}, LINE),
        st.builds(
            lambda c: {"type": "MultiLineString", "coordinates": c}, st.lists(LINE, max_size=3)
        ),
        st.builds(lambda c: {"type": "Polygon", "coordinates": c}, st.lists(RING, max_size=2)),
        st.builds(lambda c: {"type": "Polygon", "coordinates": [c]}, LINE),  # broken rings
        st.builds(
            lambda c: {"type": "MultiPoint", "coordinates": c}, st.lists(POSITION, max_size=3)
        ),
        st.builds(
            lambda c: {"type": "MultiPolygon", "coordinates": [c]}, st.lists(RING, max_size=2)
        ),
        st.builds(
            lambda g: {"type": "GeometryCollection", "geometries": g},
            st.lists(children, max_size=3),
        ),
        st.builds(lambda t, c: {"type": t, "coordinates": c}, st.text(max_size=8), POSITION),
        st.fixed_dictionaries({}, optional={"type": st.just("LineString")}),  # no coordinates
        JUNK,
    )


GEOMETRY = st.deferred(lambda: _geometry(GEOMETRY))
PROPERTIES = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(["id", "name", "role", "order", "kind", "mode", "status", "figures"]),
        st.one_of(JUNK, NUMBER, st.text(max_size=10), st.sampled_from(["main", "section"])),
        max_size=4,
    ),
    JUNK,
)
FEATURE = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("Feature"), "geometry": GEOMETRY, "properties": PROPERTIES}
    ),
    st.fixed_dictionaries(
        {}, optional={"type": st.just("Feature"), "geometry": GEOMETRY, "properties": PROPERTIES}
    ),
    GEOMETRY,
    JUNK,
)
COLLECTION = st.fixed_dictionaries(
    {"type": st.just("FeatureCollection"), "features": st.lists(FEATURE, max_size=4)},
    optional={"crs": st.one_of(JUNK, st.just({"properties": {"name": "EPSG:3857"}}))},
)
DEEP = st.integers(1, 300).map(lambda n: "[" * n + "]" * n)  # deep nesting, JSON arrays


def _dump(doc: Any) -> bytes:
    return json.dumps(doc, allow_nan=True).encode("utf-8")


DOCUMENT = st.one_of(
    COLLECTION.map(_dump),
    st.one_of(FEATURE, GEOMETRY).map(_dump),
    st.recursive(
        JUNK,
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
    ).map(_dump),
    DEEP.map(lambda s: s.encode()),
    DEEP.map(lambda s: ('{"type":"FeatureCollection","features":' + s + "}").encode()),
    st.binary(max_size=64),  # non-UTF-8 and not JSON at all
    COLLECTION.map(_dump).map(lambda b: b[: len(b) // 2]),  # truncated
    COLLECTION.map(_dump).map(lambda b: b"\xff\xfe" + b),  # a byte-order mark of another encoding
)
FILE_COMMANDS = st.sampled_from(
    ["length", "crossings", "check", "show", "deviation", "map", "export"]
)


def _leftovers(folder: Path, before: set[str]) -> set[str]:
    """Files the run left in ``folder``, other than the expected output."""
    return {p.name for p in folder.iterdir()} - before


@fuzz(600)
@given(doc=DOCUMENT, command=FILE_COMMANDS, via_stdin=st.booleans(), json_out=st.booleans())
def test_any_file_gets_a_clean_answer(doc: bytes, command: str, via_stdin: bool, json_out: bool):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.geojson"
        path.write_bytes(doc)
        target = "-" if via_stdin else str(path)
        argv = [command, target]
        if command == "deviation":
            argv = [command, target, "china-laos-railway", "--step", "5"]
        elif command == "map":
            argv = [command, target, "-o", str(Path(folder) / "out.html"), "--tiles", "none"]
        elif command == "export":
            argv = [command, target, "-o", str(Path(folder) / "out.geojson")]
        if json_out:
            argv.append("--json")
        before = {p.name for p in Path(folder).iterdir()}
        result = run(argv, stdin=doc if via_stdin else b"")
        left = _leftovers(Path(folder), before)
        assert left <= {"out.html", "out.geojson"}, left
        if result.status != 0:
            assert not left, (argv, left)  # nothing written when the command fails


# -- random ids ---------------------------------------------------------------------------------

ODD_IDS = [
    "..", ".", "/", "//", "../..", "a/b", "\\", "~", "~/x", "-", "x.geojson", "/dev/null",
    "/proc/self", "nul", "CON", "china-laos-railway/", "./china-laos-railway", "\x00", "a\x00b",
]  # fmt: skip
ID = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.text(alphabet=st.characters(max_codepoint=31), max_size=8),  # control characters
    st.sampled_from(ODD_IDS),
    st.integers(200, 5000).map(lambda n: "x" * n),  # very long (beyond NAME_MAX and PATH_MAX)
    st.integers(50, 1200).map(lambda n: "a/" * n),
    st.lists(st.sampled_from(["china", "laos", "railway", "-", " ", "é", "中"]), max_size=6).map(
        "".join
    ),
)


@fuzz(300)
@given(ident=ID, command=st.sampled_from(["show", "length", "check", "crossings", "route"]),
       other=ID)  # fmt: skip
def test_any_id_gets_a_clean_answer(ident: str, command: str, other: str):
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        argv = [command, "--", ident] if command != "route" else ["route", "--", ident, other]
        run(argv)
        assert not list(Path(folder).iterdir())


# -- random output targets ----------------------------------------------------------------------

KINDS = ["new", "file", "folder", "fifo", "symlink", "dangling", "under-file", "empty", "stdout"]


@contextlib.contextmanager
def drained(fifo: Path) -> Iterator[list[bytes]]:
    """A reader thread that drains a FIFO while the block runs; yields what it read."""
    got: list[bytes] = []

    def reader() -> None:
        fd = os.open(fifo, os.O_RDONLY)
        try:
            while chunk := os.read(fd, 65536):
                got.append(chunk)
        finally:
            os.close(fd)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        yield got
    finally:
        # unblock a reader still waiting for a writer (a command that failed before writing):
        # opening for writing fails (ENXIO) until the reader has opened its end, so retry
        for _ in range(1000):
            thread.join(0.01)
            if not thread.is_alive():
                break
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        assert not thread.is_alive()


def _make_target(folder: Path, kind: str, content: bytes, mode: int) -> tuple[str, Path | None]:
    """An output target of this kind in ``folder``: (the -o argument, the file behind it)."""
    if kind == "empty":
        return "", None
    if kind == "stdout":
        return "-", None
    path = folder / "out.geojson"
    if kind == "file":
        path.write_bytes(content)
        path.chmod(mode)
    elif kind == "folder":
        path.mkdir()
        (path / "inside").write_bytes(content)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink":
        real = folder / "real.geojson"
        real.write_bytes(content)
        real.chmod(mode)
        path.symlink_to(real)
        return str(path), real
    elif kind == "dangling":
        path.symlink_to(folder / "missing" / "nowhere.geojson")
    elif kind == "under-file":
        (folder / "plain").write_bytes(content)
        return str(folder / "plain" / "out.geojson"), folder / "plain"
    return str(path), path


def _snapshot(folder: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every entry under ``folder`` with its mode and, for a regular file, its bytes."""
    snap = {}
    for p in sorted(folder.rglob("*")):
        info = os.lstat(p)
        body = p.read_bytes() if stat.S_ISREG(info.st_mode) else None
        snap[str(p.relative_to(folder))] = (info.st_mode, body)
    return snap


OUTPUT_COMMANDS = st.sampled_from(
    [
        ["list"],
        ["length", "{line}"],
        ["check", "{line}"],
        ["show", "{line}"],
        ["crossings", "{line}"],
        ["deviation", "{line}", "{line}", "--step", "10"],
        ["export", "{line}"],
        ["export", "china-laos-railway"],
        ["length", "{bad}"],
        ["route", "Vientiane", "{bad}"],
    ]
)
LINE_DOC = json.dumps(
    {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "fuzz"},
                "geometry": {"type": "LineString", "coordinates": [[101.6, 21.4], [101.7, 21.0]]},
            }
        ],
    }
)


@fuzz(250)
@given(
    kind=st.sampled_from(KINDS),
    command=OUTPUT_COMMANDS,
    content=st.binary(max_size=32),
    mode=st.sampled_from([0o600, 0o644, 0o640, 0o400, 0o755]),
    json_out=st.booleans(),
)
def test_any_output_target_is_replaced_or_unchanged(kind, command, content, mode, json_out):
    if kind == "file" and mode == 0o400 and os.geteuid() == 0:
        mode = 0o444  # root writes anything; the property is the same
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        line = folder / "line.geojson"
        line.write_text(LINE_DOC)
        out_arg, behind = _make_target(folder, kind, content, mode)
        argv = [a.format(line=line, bad=folder / "no-such.geojson") for a in command]
        argv += ["-o", out_arg] + (["--json"] if json_out else [])
        before = _snapshot(folder)
        if kind == "fifo":
            with drained(folder / "out.geojson") as got:
                result = run(argv)
            received = b"".join(got)
        else:
            result = run(argv)
            received = None
        after = _snapshot(folder)
        if result.status != 0 or kind in {"folder", "dangling", "under-file", "empty"}:
            # nothing changed at all, and a failure was reported in one line
            assert after == before, (argv, result.stderr)
            if kind in {"folder", "under-file", "empty"}:
                assert result.status == 1, (argv, result.stderr)
            return
        expected_left = set(before) | ({"out.geojson"} if kind == "new" else set())
        assert set(after) == expected_left, (argv, set(after) ^ expected_left)
        if kind == "fifo":
            assert received, argv
        elif kind == "stdout":
            assert result.stdout
        else:
            assert behind is not None
            key = str(behind.relative_to(folder))
            written = after[key][1]
            assert written, argv
            if json_out and command[0] != "export":
                json.loads(written)
            if kind in {"file", "symlink"}:
                assert stat.S_IMODE(after[key][0]) == mode  # the mode is kept
            if kind == "symlink":
                assert os.path.islink(folder / "out.geojson")


# -- the Python API: only CorridorsError -------------------------------------------------------

BAD_GEOMETRY = st.one_of(
    st.builds(shapely.LineString, st.lists(st.tuples(NUMBER, NUMBER), min_size=2, max_size=4)),
    st.builds(shapely.Point, NUMBER, NUMBER),
    st.just(shapely.Point()),
    st.just(shapely.LineString()),
    st.just(shapely.Polygon()),
    st.just(shapely.GeometryCollection()),
    st.builds(lambda p: shapely.LineString([p, p]), REGION.map(tuple)),
    st.builds(lambda c: shapely.Polygon(c), st.lists(REGION.map(tuple), min_size=3, max_size=5)),
    st.builds(lambda p: shapely.Point(p), REGION.map(tuple)),
    st.builds(
        lambda a, b: shapely.MultiLineString([a, b]),
        st.lists(REGION.map(tuple), min_size=2, max_size=3),
        st.lists(REGION.map(tuple), min_size=2, max_size=3),
    ),
    st.builds(lambda c: shapely.LineString(c), st.lists(REGION.map(tuple), min_size=2, max_size=4)),
)
BAD_VALUE = st.one_of(
    BAD_GEOMETRY,
    st.lists(BAD_GEOMETRY, max_size=3),
    st.lists(st.one_of(BAD_GEOMETRY, JUNK, NUMBER), max_size=3),
    JUNK,
    NUMBER,
    st.text(max_size=20),
    st.binary(max_size=8),
    st.lists(BAD_GEOMETRY, max_size=3).map(lambda g: gpd.GeoSeries(g, dtype=object)),  # no CRS
    st.lists(BAD_GEOMETRY, max_size=3).map(lambda g: gpd.GeoSeries(g, crs="EPSG:4326")),
    st.lists(BAD_GEOMETRY, max_size=3).map(lambda g: gpd.GeoSeries(g, crs="EPSG:3857")),
    st.lists(BAD_GEOMETRY, max_size=3).map(
        lambda g: gpd.GeoDataFrame({"x": range(len(g))}, geometry=g, crs="EPSG:4326")
    ),
    st.just(np.array([[1.0, 2.0]])),
    st.just(gpd.GeoDataFrame({"x": [1]})),
)
GOOD_LINE = st.lists(REGION.map(tuple), min_size=2, max_size=4, unique=True).map(shapely.LineString)
KM = st.one_of(NUMBER, JUNK, st.lists(NUMBER, max_size=3), st.text(max_size=5))


def _call(name: str, a: Any, b: Any, km: Any, text: str) -> Any:
    c = corridors
    calls = {
        "length_km": lambda: c.length_km(a),
        "chainage_km": lambda: c.chainage_km(a, b),
        "offset_km": lambda: c.offset_km(a, b),
        "point_at_km": lambda: c.point_at_km(a, km),
        "split_by_country": lambda: c.split_by_country(a),
        "border_crossings": lambda: c.border_crossings(a),
        "deviation": lambda: c.deviation(a, b, step_km=km),
        "load": lambda: c.load(text),
        "check": lambda: c.check(a),
        "distance_km": lambda: c.distance_km(a, b, text),
        "distance_km_ids": lambda: c.distance_km("china-laos-railway", text, str(km)),
        "load_any": lambda: c.load(a),
        "check_id": lambda: c.check(text),
    }
    return calls[name]()


API = [
    "length_km", "chainage_km", "offset_km", "point_at_km", "split_by_country",
    "border_crossings", "deviation", "load", "check", "distance_km",
]  # fmt: skip
CALLS = [*API, "distance_km_ids", "load_any", "check_id"]


@fuzz(1000)
@given(name=st.sampled_from(CALLS), a=st.one_of(GOOD_LINE, BAD_VALUE), b=BAD_VALUE, km=KM, text=ID)
def test_the_api_raises_only_corridors_errors(name, a, b, km, text):
    with np.errstate(all="ignore"), contextlib.suppress(corridors.CorridorsError):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _call(name, a, b, km, text)


def test_every_api_function_is_fuzzed():
    assert set(API) <= set(corridors.__all__)
    assert {c.split("_ids")[0].removesuffix("_any").removesuffix("_id") for c in CALLS} == set(API)


# -- regression tests of what the fuzzing found -------------------------------------------------

A_LINE = shapely.LineString([(101, 20), (102, 21)])


@pytest.mark.parametrize("km", ["x", ["x"], {}, [[1, 2], [3]], object()])
def test_point_at_km_refuses_chainages_that_are_not_numbers(km):
    # (was: ValueError "could not convert string to float" or TypeError)
    with pytest.raises(corridors.GeometryError, match="chainages must be numbers of km"):
        corridors.point_at_km(A_LINE, km)


def test_point_at_km_still_takes_numbers_and_none():
    assert corridors.point_at_km(A_LINE, 0).equals(shapely.Point(101, 20))
    assert corridors.point_at_km(A_LINE, None).is_empty
    assert len(corridors.point_at_km(A_LINE, [0, 1.5, np.nan])) == 3


@pytest.mark.parametrize(
    "func",
    [corridors.length_km, corridors.split_by_country, corridors.border_crossings,
     lambda g: corridors.chainage_km(g, shapely.Point(101, 20)),
     lambda g: corridors.point_at_km(g, 1.0), lambda g: corridors.deviation(g, A_LINE)],
)  # fmt: skip
def test_a_geodataframe_without_geometry_is_a_geometry_error(func):
    # (was: AttributeError "active geometry column to use has not been set")
    with pytest.raises(corridors.GeometryError, match="no active geometry column"):
        func(gpd.GeoDataFrame({"x": [1]}))


def test_a_collection_is_measured_member_by_member():
    # (was: a polygon with a hole inside a GeometryCollection joined its rings: 1,931.5 km, not
    # its perimeter of 1,774.6 km; a MultiLineString inside one joined its parts)
    holed = shapely.Polygon([(0, 0), (3, 0), (3, 3), (0, 3)], [[(1, 1), (2, 1), (2, 2), (1, 2)]])
    rings = [holed.exterior, *holed.interiors]
    perimeter = sum(corridors.length_km(shapely.LineString(r.coords)) for r in rings)
    assert corridors.length_km(holed) == pytest.approx(perimeter, rel=1e-12)
    assert corridors.length_km(shapely.GeometryCollection([holed])) == pytest.approx(perimeter)
    parts = shapely.MultiLineString([[(0, 0), (1, 0)], [(5, 0), (6, 0)]])
    nested = shapely.GeometryCollection([parts, shapely.Point(9, 9), shapely.MultiPolygon([holed])])
    assert corridors.length_km(nested) == pytest.approx(
        corridors.length_km(parts) + perimeter, rel=1e-12
    )


def test_a_list_that_is_not_one_line_is_a_geometry_error():
    # (was: shapely.errors.GEOSException "Scale factor must be non-zero" from the union)
    degenerate = shapely.LineString([(95, 8), (95, 8)])
    flat = shapely.Polygon([(95, 9), (95, 10), (95, 8), (96, 8)])
    with pytest.raises(corridors.GeometryError, match="got a Polygon among 2 geometries"):
        corridors.chainage_km([degenerate, flat], shapely.Point(95, 8))
    joined = [shapely.LineString([(0, 0), (1, 0)]), shapely.LineString([(1, 0), (2, 0)])]
    assert corridors.chainage_km(joined, shapely.Point(2, 0)) == pytest.approx(
        corridors.length_km(joined)
    )
