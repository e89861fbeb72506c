"""The analyst's batch job: thousands of lines measured, split by country and checked at borders.

Run it with ``.venv/bin/python examples/analyst_batch.py [N]``. It makes N random segments (default
20,000) across Laos and its neighbours -- stand-ins for a GPS track log or a survey table -- and
computes in a few vectorised calls: the geodesic length of each, the kilometres in each country
and the border crossings. No Python loop runs over the lines.
"""

from __future__ import annotations

import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import corridors


def random_segments(n: int, seed: int = 42) -> gpd.GeoSeries:
    """N straight segments of 2–45 km in random directions, between 100–108 E and 14–25 N."""
    rng = np.random.default_rng(seed)
    start = np.column_stack([rng.uniform(100, 108, n), rng.uniform(14, 25, n)])
    angle = rng.uniform(0, 2 * np.pi, n)
    step = rng.uniform(0.02, 0.4, n)[:, None]
    end = start + np.column_stack([np.cos(angle), np.sin(angle)]) * step
    return gpd.GeoSeries(shapely.linestrings(np.stack([start, end], axis=1)), crs="EPSG:4326")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    n = int(argv[0]) if argv else 20_000
    t0 = time.perf_counter()
    lines = random_segments(n)

    km = corridors.length_km(lines)  # one geodesic length per line, km
    pieces = corridors.split_by_country(lines)  # one row per piece of a line in a country
    crossings = corridors.border_crossings(lines)  # one row per border crossing
    seconds = time.perf_counter() - t0

    by_country = pieces.groupby("iso3").agg(
        lines=("line", "nunique"), pieces=("line", "size"), km=("length_km", "sum")
    )
    outside = km.sum() - by_country["km"].sum()  # at sea, or beyond the boundaries layer
    by_country.loc["(outside)"] = [int((~lines.index.isin(pieces["line"])).sum()), 0, outside]
    by_country["share_%"] = 100 * by_country["km"] / km.sum()
    pairs = crossings.groupby(["from_iso3", "to_iso3"]).size().rename("crossings")

    print(f"{n:,} lines, {km.sum():,.0f} km in all (mean {km.mean():.1f} km), in {seconds:.2f} s")
    print()
    print(by_country.round(1).to_string(float_format=lambda v: f"{v:,.1f}"))
    print()
    print(f"{len(crossings):,} border crossings on {crossings['line'].nunique():,} lines")
    print(pd.DataFrame(pairs).sort_values("crossings", ascending=False).head(8).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
