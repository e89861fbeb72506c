"""split_by_country on 100,000 lines against ``geopandas.overlay`` (goal: ours >= 5x faster).

Both use the embedded Natural Earth boundaries. The baseline is overlay alone (no lengths), so
the ratio is conservative: ours also measures every piece on the ellipsoid.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from _common import best_of, random_lines, report

import corridors

N = 100_000


def main() -> None:
    lines = gpd.GeoDataFrame({"n": np.arange(N)}, geometry=random_lines(N, seed=1))
    countries = corridors.boundaries()[["iso3", "geometry"]]

    def ours() -> object:
        return corridors.split_by_country(lines, countries)

    def overlay() -> object:
        return gpd.overlay(lines, countries, how="intersection", keep_geom_type=True)

    a, b = ours(), overlay()
    a = a[a["iso3"] != "outside"]  # overlay drops what lies outside every polygon
    total_a, total_b = a["length_km"].sum(), corridors.length_km(b).sum()
    assert abs(total_a - total_b) < 1e-6 * total_b, (total_a, total_b)
    report(
        "split_by_country 100k lines vs geopandas.overlay",
        best_of(ours, 3),
        best_of(overlay, 2),
        "goal >= 5",
    )


if __name__ == "__main__":
    main()
