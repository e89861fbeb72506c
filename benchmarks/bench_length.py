"""length_km on 50,000 short lines against what a user would otherwise write.

Short lines have 2–6 vertices about 2 km apart, like road or rail segments; a run on 8-vertex
lines is printed too. Both the baselines and ours pay GeographicLib's ~0.6 µs per segment, so
the ratio against the loop falls as lines get more vertices (the loop's per-geometry overhead
matters less).

Baselines: a per-geometry ``Geod.geometry_length`` loop (goal: ours >= 3x faster), and one raw
``Geod.inv`` over the flattened coordinates with ``np.bincount`` (goal: ours within 1.2x of it,
i.e. ratio >= 0.83), which is the floor any vectorised implementation pays.
"""

from __future__ import annotations

import numpy as np
import pyproj
import shapely
from _common import best_of, random_lines, report

import corridors

N = 50_000


def main() -> None:
    for label, vertices in (("short lines (2-6 vertices)", (2, 6)), ("8-vertex lines", (8, 8))):
        run(label, random_lines(N, vertices=vertices))


def run(label: str, lines: object) -> None:
    """Time ours and both baselines on ``lines``."""
    geoms = np.asarray(lines.array, dtype=object)
    geod = pyproj.Geod(ellps="WGS84")

    def ours() -> object:
        return corridors.length_km(lines)

    def loop() -> object:
        return [geod.geometry_length(g) / 1000.0 for g in geoms]

    def raw() -> object:
        xy, idx = shapely.get_coordinates(geoms, return_index=True)
        same = idx[1:] == idx[:-1]
        a, b = xy[:-1][same], xy[1:][same]
        _, _, d = geod.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
        return np.bincount(idx[:-1][same], weights=d, minlength=len(geoms)) / 1000.0

    assert np.allclose(ours().to_numpy(), loop(), rtol=1e-9)
    assert np.allclose(ours().to_numpy(), raw(), rtol=1e-12)
    t_ours = best_of(ours)
    report(
        f"length_km 50k {label} vs Geod.geometry_length loop", t_ours, best_of(loop, 3), "goal >= 3"
    )
    report(
        f"length_km 50k {label} vs raw Geod.inv + bincount", t_ours, best_of(raw), "goal >= 0.83"
    )


if __name__ == "__main__":
    main()
