"""The ``corridors`` command: a thin shell over the public API.

Every command prints a readable table, or JSON with ``--json``; ``-o FILE`` writes the output to
a file instead, atomically (nothing is written when the command fails). Errors are one line on
stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

import corridors
from corridors.corridor import Corridor
from corridors.errors import CorridorsError, DataFileError

FILE_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".kml", ".gml", ".zip")


def _resolve(target: str) -> Corridor:
    """An embedded id, or a path to a file of lines."""
    path = Path(target)
    looks_like_file = os.sep in target or "/" in target or target.lower().endswith(FILE_SUFFIXES)
    if path.exists() or looks_like_file:
        if not path.exists():
            raise DataFileError(f"no such file: {target}")
        return Corridor.from_file(path)
    return corridors.load(target)


def _table(df: pd.DataFrame) -> str:
    if len(df) == 0:
        return "(none)"
    return df.to_string(index=False, float_format=lambda v: f"{v:,.2f}")


def _cmd_list(args: argparse.Namespace) -> tuple[Any, str]:
    cat = corridors.catalog()
    cat["length_km"] = corridors.length_km(cat).round(1)
    cols = ["id", "name", "mode", "status", "accuracy", "error_km", "length_km", "stations"]
    data = json.loads(cat[cols].to_json(orient="records", force_ascii=False))
    return data, _table(cat[cols])


def _cmd_show(args: argparse.Namespace) -> tuple[Any, str]:
    c = _resolve(args.target)
    sections = c.sections[["id", "name", "role", "status"]].copy()
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
            f"{c.name} ({c.id}): {meta.get('status')}, {meta.get('mode')}, "
            f"accuracy {meta.get('accuracy')} (±{meta.get('error_km')} km)",
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
    _write_atomically(Path(args.output), page)
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
            f"{r.length_km:,.1f} km, {r.travel_time_h:,.1f} h",
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
    p.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE")


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
    p.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE")


def _add_export_parser(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="write a corridor to GeoJSON, GeoPackage, GeoParquet or KML (by the extension)",
        description="Write every feature of a corridor, with its figures and sources, to a file.",
    )
    p.add_argument("target", metavar="ID|FILE", help="an embedded corridor id or a file")
    p.add_argument(
        "-o", "--output", required=True, metavar="PATH", help=".geojson, .gpkg, .parquet or .kml"
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
            p.add_argument("target", metavar="ID|FILE", help="an embedded corridor id or a file")
        p.add_argument("--json", action="store_true", help="print JSON for scripts")
        p.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE")
    _add_map_parser(sub)
    _add_route_parser(sub)
    _add_export_parser(sub)
    _add_deviation_parser(sub)
    return parser


def _write_atomically(path: Path, text: str) -> None:
    path = path.resolve()
    if not path.parent.is_dir():
        raise DataFileError(f"cannot write {path}: no folder {path.parent}")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 on success, 1 on an error)."""
    args = build_parser().parse_args(argv)
    extra = {
        "map": _cmd_map,
        "route": _cmd_route,
        "export": _cmd_export,
        "deviation": _cmd_deviation,
    }
    func = extra.get(args.command) or COMMANDS[args.command][0]
    try:
        data, text = func(args)
        out = json.dumps(data, ensure_ascii=False, indent=2, default=str) if args.json else text
        if args.output and args.command not in {"map", "export"}:
            _write_atomically(Path(args.output), out + "\n")
        else:
            print(out)
    except CorridorsError as err:
        print(f"corridors: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("corridors: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug, not bad input: still one line, unless debugging
        if os.environ.get("CORRIDORS_DEBUG"):
            raise
        print(
            f"corridors: internal error: {type(err).__name__}: {err} "
            "(set CORRIDORS_DEBUG=1 for the traceback, and please report it)",
            file=sys.stderr,
        )
        return 3
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
