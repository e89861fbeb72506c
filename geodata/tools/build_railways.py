"""Rebuild the railway corridors' geometry from OpenStreetMap extracts.

Reads the authored corridor files in ``geodata/authored/`` (names, figures, sources, relations,
the stretches no extract covers, and ``build`` directives saying how the rest is made from OSM),
chains the mapped track out of the OSM extracts with :func:`corridors.osm.chain_ways`, simplifies
it at 25 m, places the stations at their yards, and writes ``geodata/corridors/<id>.geojson``.
Files without directives are copied as they are, so every corridor file is made by this script.

The extracts are the Humanitarian OpenStreetMap Team's railway exports of Laos, Thailand and
Viet Nam (``hotosm_<iso>_railways_lines_geojson.geojson``), © OpenStreetMap contributors, ODbL 1.0.
What is built from them is a derived database under ODbL 1.0 (see ``geodata/LICENSE``).

Usage, from the repository root::

    .venv/bin/python geodata/tools/build_railways.py            # ../shared/data/osm -> geodata/
    .venv/bin/python geodata/tools/build_railways.py --osm DIR       # your own extracts
    .venv/bin/python geodata/tools/build_railways.py --lao my.osm.pbf --out /tmp/geodata
    .venv/bin/python geodata/tools/build_railways.py --check         # compare, write nothing

Each extract may also be given on its own (``--lao``, ``--tha``, ``--vnm``) as a HOT GeoJSON
export, OSM XML (``.osm``, ``.osm.bz2``, ``.osm.gz``) or OSM PBF (``.osm.pbf``) file. A report of
every chain (length, gaps over 100 m, ways) goes to standard error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from corridors._osm_build import EXTRACTS, build_corridor, dumps_corridor
from corridors.errors import CorridorsError
from corridors.osm import read_ways

HERE = Path(__file__).resolve().parent
GEODATA = HERE.parent
DEFAULT_OSM = GEODATA.parent.parent / "shared" / "data" / "osm"
#: Built in this order: a later corridor may take a position from an earlier one (``same_as``).
ORDER = ("china-laos-railway", "nong-khai-khamsavath-railway", "vientiane-vung-ang-railway")


def build_all(
    authored_dir: Path, extract_paths: dict[str, Path], *, report: bool = True
) -> dict[str, str]:
    """Build every authored corridor; return the text of each output file, by file name."""
    read = {name: read_ways(path) for name, path in extract_paths.items()}
    extracts = {name: ways for name, (ways, _) in read.items()}
    stations = {name: nodes for name, (_, nodes) in read.items()}
    files = sorted(authored_dir.glob("*.geojson"))
    ids = [f.stem for f in files]
    order = [i for i in ORDER if i in ids] + [i for i in ids if i not in ORDER]
    built: dict[str, dict] = {}
    out: dict[str, str] = {}
    for cid in order:
        doc = json.loads((authored_dir / f"{cid}.geojson").read_text(encoding="utf-8"))
        built[cid] = build_corridor(doc, extracts, built, stations)
        out[f"{cid}.geojson"] = dumps_corridor(built[cid])
        if report:
            _report(built[cid])
    return out


def _report(doc: dict) -> None:
    for f in doc["features"]:
        p = f["properties"]
        if "osm" not in p:
            continue
        print(
            f"{doc['corridor']['id']}/{p['id']}: {p['osm']['unsimplified_km']} km "
            f"({p['osm']['ways']} ways), {len(p['gaps'])} gaps over 100 m",
            file=sys.stderr,
        )
        for g in p["gaps"]:
            print(
                f"  gap at km {g['start_km']}: {g['length_km']} km, ±{g['error_km']} km",
                file=sys.stderr,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Rebuild the railway corridors' geometry from OpenStreetMap extracts.",
        epilog="Extracts: HOT GeoJSON exports, OSM XML (.osm, .osm.bz2, .osm.gz) or PBF "
        "(.osm.pbf).",
    )
    parser.add_argument(
        "--osm", type=Path, default=DEFAULT_OSM,
        help=f"folder of the HOT exports {', '.join(EXTRACTS.values())} (default: {DEFAULT_OSM})",
    )  # fmt: skip
    for name in EXTRACTS:
        parser.add_argument(f"--{name}", type=Path, help=f"the {name.upper()} extract, any format")
    parser.add_argument(
        "--authored", type=Path, default=GEODATA / "authored", help="folder of the authored inputs"
    )
    parser.add_argument("--out", type=Path, default=GEODATA / "corridors", help="output folder")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the output folder differs; write nothing"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no report on standard error")
    args = parser.parse_args(argv)
    paths = {n: getattr(args, n) or args.osm / f for n, f in EXTRACTS.items()}
    try:
        texts = build_all(args.authored, paths, report=not args.quiet)
    except (CorridorsError, OSError, KeyError, ValueError) as exc:
        print(f"build_railways: {exc}", file=sys.stderr)
        return 1
    differ = [n for n, t in texts.items() if _read(args.out / n) != t]
    if args.check:
        for n in differ:
            print(
                f"build_railways: {args.out / n} differs from what the build makes", file=sys.stderr
            )
        return 1 if differ else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for n in differ:
        tmp = args.out / f".{n}.tmp"
        tmp.write_text(texts[n], encoding="utf-8")
        tmp.replace(args.out / n)
    return 0


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


if __name__ == "__main__":
    sys.exit(main())
