"""The ``corridors`` command: a thin shell over the public API.

Every command prints a readable table, or JSON with ``--json``; ``-o FILE`` writes the output to
a file instead, through the package's one writer (``corridors._output``): a file is replaced
atomically and keeps its mode, a FIFO or a device is written to in place, ``-`` is standard
output, and nothing is written when the command fails. A FILE argument of ``-`` reads GeoJSON
from standard input. Errors are one line on stderr and a non-zero exit, never a traceback; a
closed pipe (``corridors list | head -1``) ends quietly with status 0, and warnings of the
libraries underneath are not shown (set ``CORRIDORS_DEBUG=1`` to see them, and tracebacks).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import shapely

import corridors
from corridors import _output
from corridors.corridor import Corridor, accuracy_text, shown
from corridors.errors import CorridorsError, DataFileError

TARGET_HELP = "an embedded corridor id, or a file ('-' for GeoJSON on standard input)"
OUTPUT_HELP = "write the output to FILE ('-' for standard output)"
FILE_SUFFIXES = (
    ".geojson", ".json", ".gpkg", ".shp", ".fgb", ".kml", ".gml", ".zip", ".parquet", ".geoparquet",
)  # fmt: skip


STDIN = "-"
_STDIN_NAME = "standard input"
_stdin_cache: dict[str, bytes] = {}  # standard input is read once per run, even for `- -`


def _read_stdin() -> Corridor:
    """The GeoJSON on standard input, as a corridor (through a temporary file)."""
    if STDIN not in _stdin_cache:
        try:
            buffer = getattr(sys.stdin, "buffer", None)
            data = buffer.read() if buffer is not None else sys.stdin.read().encode("utf-8")
        except (OSError, ValueError, UnicodeError) as err:
            raise DataFileError(f"cannot read {_STDIN_NAME}: {err}") from None
        _stdin_cache[STDIN] = data
    with tempfile.TemporaryDirectory(prefix="corridors-stdin.") as folder:
        path = Path(folder) / "stdin.geojson"
        path.write_bytes(_stdin_cache[STDIN])
        try:
            return _from_file(path)
        except DataFileError as err:
            raise DataFileError(str(err).replace(str(path), _STDIN_NAME)) from None


def _resolve(target: str) -> Corridor:
    """An embedded id, a path to a file of lines, or ``-`` for GeoJSON on standard input."""
    if target == STDIN:
        return _read_stdin()
    path = Path(target)
    looks_like_file = os.sep in target or "/" in target or target.lower().endswith(FILE_SUFFIXES)
    try:
        exists = path.exists()
    except (OSError, ValueError) as err:  # a name too long, a NUL byte, a loop of links
        if not looks_like_file:
            return corridors.load(target)
        reason = getattr(err, "strerror", None) or err
        raise DataFileError(f"cannot read {target}: {reason}") from None
    if exists or looks_like_file:
        if not exists:
            raise DataFileError(f"no such file: {target}")
        return _from_file(path)
    return corridors.load(target)


def _from_file(path: Path) -> Corridor:
    """A user's file as a corridor; a geometry that GEOS refuses is a bad file, not a bug."""
    try:
        return Corridor.from_file(path)
    except shapely.errors.GEOSException as err:  # e.g. a ring of two points
        raise DataFileError(f"cannot read {path}: {str(err).splitlines()[0]}") from None


def _table(df: pd.DataFrame) -> str:
    if len(df) == 0:
        return "(none)"
    text = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    df = df.astype({c: object for c in text})
    df[text] = df[text].where(df[text].notna(), "unknown")  # never "None" or "nan"
    return df.to_string(index=False, na_rep="unknown", float_format=lambda v: f"{v:,.2f}")


def _cmd_list(args: argparse.Namespace) -> tuple[Any, str]:
    cat = corridors.catalog()
    cat["length_km"] = corridors.length_km(cat).round(1)
    cols = ["id", "name", "mode", "status", "accuracy", "error_km", "length_km", "stations"]
    data = json.loads(cat[cols].to_json(orient="records", force_ascii=False))
    return data, _table(cat[cols])


def _cmd_show(args: argparse.Namespace) -> tuple[Any, str]:
    c = _resolve(args.target)
    # (a file read back may lack a column, e.g. a KML without status: it shows as missing)
    sections = pd.DataFrame(c.sections).reindex(columns=["id", "name", "role", "status"])
    sections["length_km"] = corridors.length_km(c.sections).round(2).to_numpy()
    stations = corridors.station_chainage_km(c) if len(c.stations) else pd.DataFrame()
    meta = {k: v for k, v in c.meta.items() if k not in {"figures", "relations"}}
    data = {
        **meta,
        "length_km": round(corridors.length_km(c), 3),
        "sections": json.loads(sections.to_json(orient="records", force_ascii=False)),
        "stations": json.loads(stations.round(3).to_json(orient="records", force_ascii=False))
        if len(stations)
        else [],
        "figures": len(c.figures),
    }
    text = "\n".join(
        [
            f"{c.name} ({c.id}): {shown(meta.get('status'))}, {shown(meta.get('mode'))}, "
            f"accuracy {accuracy_text(meta.get('accuracy'), meta.get('error_km'))}",
            f"main line: {data['length_km']:,.1f} km; {len(c.figures)} published figures",
            "",
            "sections:",
            _table(sections),
            "",
            "stations:",
            _table(stations.round(2)) if len(stations) else "(none)",
        ]
    )
    return data, text


def _cmd_length(args: argparse.Namespace) -> tuple[Any, str]:
    c = _resolve(args.target)
    total = corridors.length_km(c)
    pieces = corridors.split_by_country(c)
    by_country = pieces.groupby("iso3")["length_km"].sum().round(3)
    by_section = corridors.length_km(c.sections).round(3)
    by_section.index = c.sections["id"].to_numpy()
    data = {
        "corridor": c.id,
        "total_km": round(total, 3),
        "by_country": by_country.to_dict(),
        "by_section": by_section.to_dict(),
    }
    text = "\n".join(
        [
            f"{c.name}: {total:,.1f} km (geodesic, WGS84)",
            "by country: " + ", ".join(f"{k} {v:,.1f} km" for k, v in by_country.items()),
            "by section: " + ", ".join(f"{k} {v:,.1f} km" for k, v in by_section.items()),
        ]
    )
    return data, text


def _cmd_crossings(args: argparse.Namespace) -> tuple[Any, str]:
    c = _resolve(args.target)
    cr = corridors.border_crossings(c)
    cr["lon"] = cr.geometry.x.round(5)
    cr["lat"] = cr.geometry.y.round(5)
    cols = ["from_iso3", "to_iso3", "chainage_km", "lon", "lat", "gate_name", "gate_distance_km"]
    table = pd.DataFrame(cr[cols])
    data = json.loads(table.to_json(orient="records", force_ascii=False))
    return data, f"{c.name}: {len(cr)} border crossing(s)\n{_table(table)}"


def _cmd_check(args: argparse.Namespace) -> tuple[Any, str]:
    report = corridors.check(_resolve(args.target))
    return report.to_dict(), str(report)


def _cmd_map(args: argparse.Namespace) -> tuple[Any, str]:
    from corridors import maps  # folium is heavy: only for this command

    items = [_resolve(t) for t in args.targets] or None
    tiles = None if args.tiles.lower() == "none" else args.tiles
    m = maps.render(items, offline=not args.online, tiles=tiles, title=args.title)
    page = m.get_root().render()
    _output.write_text(args.output, page)
    data = {"output": args.output, "bytes": len(page.encode()), "offline": not args.online}
    mode = "online (CDN assets)" if args.online else "offline (one self-contained file)"
    return data, f"wrote {args.output}: {data['bytes'] / 1e6:.2f} MB, {mode}"


def _cmd_deviation(args: argparse.Namespace) -> tuple[Any, str]:
    dev = corridors.deviation(_resolve(args.line), _resolve(args.reference), step_km=args.step)
    return dev.to_dict(worst=5), str(dev)


def _cmd_export(args: argparse.Namespace) -> tuple[Any, str]:
    written = _resolve(args.target).to_file(args.output)
    data = {"output": args.output, "features": written.features, "format": written.format}
    return data, f"wrote {args.output}: {written.features} features, {written.format}"


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], tuple[Any, str]], str, bool]] = {
    "list": (_cmd_list, "list the embedded corridors", False),
    "show": (_cmd_show, "a corridor's sections and stations", True),
    "length": (_cmd_length, "geodesic length: total, by country, by section", True),
    "crossings": (_cmd_crossings, "border crossings with the nearest border gate", True),
    "check": (_cmd_check, "published figures against the geometry", True),
}


def _place(text: str) -> Any:
    """``"102.6,18.0"`` as (lon, lat); anything else as a name or id."""
    parts = text.split(",")
    if len(parts) == 2:
        try:
            return (float(parts[0]), float(parts[1]))
        except ValueError:
            pass
    return text


def _cmd_route(args: argparse.Namespace) -> tuple[Any, str]:
    weight = "length" if args.by == "distance" else "travel_time"
    r = corridors.route(
        _place(args.origin), _place(args.destination), scenario=args.scenario, weight=weight,
        modes=args.mode or None,
    )  # fmt: skip
    legs = r.legs.drop(columns="geometry")
    by_country = r.km_by_country.round(1)
    cr = r.crossings
    data = {
        "from": r.names[0],
        "to": r.names[1],
        "scenario": r.scenario,
        "by": args.by,
        "length_km": round(r.length_km, 3),
        "travel_time_h": round(r.travel_time_h, 3),
        "origin_snap_km": round(r.origin_snap_km, 3),
        "destination_snap_km": round(r.destination_snap_km, 3),
        "km_by_country": by_country.to_dict(),
        "legs": json.loads(legs.round(3).to_json(orient="records", force_ascii=False)),
        "crossings": json.loads(
            cr[["from_iso3", "to_iso3", "chainage_km", "gate_name"]]
            .round(3)
            .to_json(orient="records")
        ),
    }
    text = "\n".join(
        [
            f"{r.names[0]} → {r.names[1]} ({r.scenario}, by {args.by}): "
            f"{r.length_km:,.1f} km, {r.travel_time_h:,.1f} h"
            + (
                f"; snapped {r.origin_snap_km:,.2f} km at the start and "
                f"{r.destination_snap_km:,.2f} km at the end"
                if r.origin_snap_km or r.destination_snap_km
                else ""
            ),
            "by country: " + ", ".join(f"{k} {v:,.1f} km" for k, v in by_country.items()),
            "crossings: "
            + (
                ", ".join(
                    f"{a} → {b} at km {k:,.1f} ({g})"
                    for a, b, k, g in zip(
                        cr["from_iso3"],
                        cr["to_iso3"],
                        cr["chainage_km"],
                        cr["gate_name"],
                        strict=True,
                    )
                )
                or "none"
            ),
            "",
            _table(legs),
        ]
    )
    return data, text


def _add_route_parser(sub: Any) -> None:
    p = sub.add_parser(
        "route",
        help="the best route between two places over the corridor network",
        description="Route between stations, dry ports, gates, ports or lon,lat points.",
    )
    p.add_argument("origin", help='a name or id, or "lon,lat"')
    p.add_argument("destination", help='a name or id, or "lon,lat"')
    p.add_argument("--scenario", choices=["current", "planned"], default="current")
    p.add_argument("--by", choices=["time", "distance"], default="time")
    p.add_argument("--mode", action="append", choices=["rail", "road"], help="repeatable")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)


def _add_map_parser(sub: Any) -> None:
    p = sub.add_parser(
        "map",
        help="an interactive HTML map (offline by default: one file that needs no network)",
        description="Render corridors, ports, gates and borders to one HTML file.",
    )
    p.add_argument("targets", nargs="*", metavar="ID|FILE", help="default: everything embedded")
    p.add_argument("-o", "--output", required=True, metavar="PATH", help="the HTML file to write")
    p.add_argument(
        "--online", action="store_true", help="load Leaflet from CDNs instead of inlining it"
    )
    p.add_argument("--offline", action="store_true", help="inline every asset (the default)")
    p.add_argument(
        "--tiles",
        default="OpenStreetMap",
        help="basemap: OpenStreetMap, CartoDB.Positron, "
        "Esri.WorldImagery or none (default OpenStreetMap)",
    )
    p.add_argument("--title", help="a title for the legend")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")


def _add_deviation_parser(sub: Any) -> None:
    p = sub.add_parser(
        "deviation",
        help="how far one line is from another: median, p90, max and Hausdorff offsets",
        description="Sample both lines every --step km and measure each sample's geodesic "
        "distance to the other line; print the summary and the five worst places.",
    )
    p.add_argument("line", metavar="A", help="the line to validate: a corridor id or a file")
    p.add_argument("reference", metavar="B", help="the reference line: a corridor id or a file")
    p.add_argument(
        "--step", type=float, default=1.0, metavar="KM", help="largest step between samples, km"
    )
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)


def _add_export_parser(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="write a corridor to GeoJSON, GeoPackage, GeoParquet or KML (by the extension)",
        description="Write every feature of a corridor, with its figures and sources, to a file.",
    )
    p.add_argument("target", metavar="ID|FILE", help=TARGET_HELP)
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="PATH",
        help=".geojson, .gpkg, .parquet or .kml ('-': GeoJSON on standard output)",
    )
    p.add_argument("--json", action="store_true", help="print JSON for scripts")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``corridors`` command."""
    parser = argparse.ArgumentParser(
        prog="corridors",
        description="Infrastructure-corridor geography: lengths, borders and figure checks.",
    )
    parser.add_argument("--version", action="version", version=f"corridors {corridors.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text, takes_target) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if takes_target:
            p.add_argument("target", metavar="ID|FILE", help=TARGET_HELP)
        p.add_argument("--json", action="store_true", help="print JSON for scripts")
        p.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)
    _add_map_parser(sub)
    _add_route_parser(sub)
    _add_export_parser(sub)
    _add_deviation_parser(sub)
    return parser


def _silence_stdout() -> None:
    """After a closed pipe: point standard output at /dev/null, so the exit flush is quiet."""
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file descriptor (a test harness)
        pass


def _one_line(text: str) -> str:
    r"""``text`` with its line breaks and control characters escaped (``\n``), on one line.

    Examples
    --------
    >>> print(_one_line("unknown corridor 'a\nb\r'"))
    unknown corridor 'a\nb\r'
    """
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) in {"Cc", "Zl", "Zp"}
        else ch
        for ch in text
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 on success, 1 on an error).

    Warnings of the libraries underneath (shapely, pyogrio, ...) are not shown, unless
    ``CORRIDORS_DEBUG`` is set; a closed pipe on standard output ends quietly with status 0.
    """
    with warnings.catch_warnings():
        if not os.environ.get("CORRIDORS_DEBUG"):
            warnings.simplefilter("ignore")
        try:
            return _run(argv)
        except BrokenPipeError:  # `corridors list | head -1`: the reader has all it wants
            _silence_stdout()
            return 0


def _run(argv: Sequence[str] | None) -> int:
    _stdin_cache.clear()
    args = build_parser().parse_args(argv)
    extra = {
        "map": _cmd_map,
        "route": _cmd_route,
        "export": _cmd_export,
        "deviation": _cmd_deviation,
    }
    func = extra.get(args.command) or COMMANDS[args.command][0]
    try:
        if args.output is not None:  # a bad -o fails before any work, the same everywhere
            _output.target(args.output)
        data, text = func(args)
        out = json.dumps(data, ensure_ascii=False, indent=2, default=str) if args.json else text
        if args.output is not None and args.command not in {"map", "export"}:
            _output.write_text(args.output, out + "\n")
        elif not (args.command in {"map", "export"} and _output.is_stdout(args.output)):
            print(out)  # (a map or an export written to standard output is the whole output)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except CorridorsError as err:
        print(f"corridors: error: {_one_line(str(err))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("corridors: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug, not bad input: still one line, unless debugging
        if os.environ.get("CORRIDORS_DEBUG"):
            raise
        print(
            f"corridors: internal error: {type(err).__name__}: {_one_line(str(err))} "
            "(set CORRIDORS_DEBUG=1 for the traceback, and please report it)",
            file=sys.stderr,
        )
        return 3
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
