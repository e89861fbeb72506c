"""The all-corridors map against ``GeoDataFrame.explore()`` on the same layers.

Both draw the five corridors (sections and stations), dry ports, border gates, seaports and the
country borders, and are rendered to an HTML string. Reported: render time (ratio = explore /
ours, higher is better for us) and HTML bytes (ratio = explore / ours). Ours also computes the
border crossings and every published figure's check for the popups, and simplifies lines by
20 m and borders by 200 m; explore writes every vertex at full precision.
"""

from __future__ import annotations

import time

import pandas as pd
from _common import best_of, report

import corridors
from corridors import maps


def explore_map() -> str:
    """What a user would write with plain geopandas: explore() layer by layer."""
    cs = [corridors.load(i) for i in corridors.ids()]
    sections = pd.concat(
        [c.sections[["name", "status", "geometry"]] for c in cs], ignore_index=True
    )
    stations = pd.concat([c.stations[["name", "geometry"]] for c in cs], ignore_index=True)
    points = pd.concat(
        [df[["name", "kind", "geometry"]] for df in (corridors.ports(), corridors.border_gates())],
        ignore_index=True,
    )
    m = corridors.boundaries()[["name", "iso3", "geometry"]].explore(tiles="OpenStreetMap")
    m = sections.set_crs(4326, allow_override=True).explore(m=m, column="status")
    m = stations.set_crs(4326, allow_override=True).explore(m=m, color="black")
    m = points.set_crs(4326, allow_override=True).explore(m=m, color="teal")
    return m.get_root().render()


def ours(offline: bool = False) -> str:
    """Our map of the same layers."""
    return maps.render(offline=offline).get_root().render()


def main() -> None:
    ours(), explore_map()  # warm caches and imports for both
    t_ours = best_of(ours, 3)
    t_explore = best_of(explore_map, 3)
    report(
        "all-corridors map render time vs GeoDataFrame.explore()",
        t_ours,
        t_explore,
        "higher is better",
    )
    b_ours, b_explore, b_offline = (
        len(ours().encode()),
        len(explore_map().encode()),
        len(ours(True).encode()),
    )
    print(
        f"all-corridors map HTML bytes vs GeoDataFrame.explore(): ours {b_ours:,} B, "
        f"baseline {b_explore:,} B, ratio {b_explore / b_ours:.2f} (higher is smaller for us); "
        f"ours offline with every asset inline: {b_offline:,} B"
    )
    t0 = time.perf_counter()
    ours(True)
    print(f"offline all-corridors map: {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
