"""The planner's map: chosen corridors and a route to the sea, in one HTML file to hand over.

Run it with ``.venv/bin/python examples/planner_map.py [OUTPUT.html] [--corridor ID ...]``.
Without an output path the map goes to ``corridors_map.html`` in a temporary folder. The file is
offline: Leaflet and its plugins are inline, and only the basemap tiles (``--tiles``, default
none: the country borders are drawn as a vector layer) come from the network when it is opened.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import corridors
from corridors import maps

DEFAULT = ["china-laos-railway", "vientiane-vung-ang-railway", "vientiane-hanoi-expressway"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", help="HTML file (default: a temporary folder)")
    parser.add_argument("--corridor", action="append", help="corridor id, repeatable")
    parser.add_argument("--tiles", default="none", help="e.g. OpenStreetMap; default: none")
    args = parser.parse_args(argv)
    output = (
        Path(args.output)
        if args.output
        else Path(tempfile.mkdtemp(prefix="corridors-")) / "corridors_map.html"
    )
    try:
        chosen = [corridors.load(c) for c in (args.corridor or DEFAULT)]
        # the planned rail route from Kunming to the sea, drawn over the corridors
        to_sea = corridors.route(
            "Kunming South", "Vung Ang", scenario="planned", modes=["rail"], weight="length"
        )
        tiles = None if args.tiles.lower() == "none" else args.tiles
        m = maps.render([*chosen, to_sea], offline=True, tiles=tiles, title="Planner's map")
        m.save(str(output))
    except corridors.CorridorsError as err:
        print(f"planner_map: {err}", file=sys.stderr)
        return 1
    for c in chosen:
        print(f"{c.name}: {corridors.length_km(c):,.1f} km, {c.meta.get('status')}")
    print(f"route {to_sea.names[0]} → {to_sea.names[1]}: {to_sea.length_km:,.1f} km")
    print(f"wrote {output} ({output.stat().st_size / 1e6:.2f} MB, offline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
