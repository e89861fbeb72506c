"""The line-referencing core on many lines at once against one call per line (goal: >= 10x).

2,000 random-walk lines of 2–30 vertices and 20,000 points (ten per line, about a kilometre
off it). Ours: one ``Lines`` built once, then one ``locate``, one ``interpolate`` and one ``cut``
over all (line, point) pairs. The baseline is what the public one-line functions give when called
line by line: ``chainage_km`` and ``offset_km`` (one locate each), ``point_at_km`` and
``substring_km``, in a Python loop over the lines.
"""

from __future__ import annotations

import numpy as np
import shapely
from _common import best_of, random_lines, report

from corridors import geodesy
from corridors._lines import Lines

N_LINES, PER_LINE = 2_000, 10


def main() -> None:
    geoms = np.asarray(random_lines(N_LINES, vertices=(2, 30), seed=2).array, dtype=object)
    rng = np.random.default_rng(2)
    which = np.repeat(np.arange(N_LINES), PER_LINE)
    lines = Lines(geoms)
    km = rng.uniform(0, 1, len(which)) * lines.length_km[which]
    xy = lines.interpolate_xy(which, km) + rng.normal(0, 0.01, (len(which), 2))
    pts = shapely.points(xy)

    def ours() -> object:
        batch = Lines(geoms)
        chainage, offset = batch.locate(which, pts)
        at = batch.interpolate(which, chainage)
        return chainage, offset, at, batch.cut(which, chainage, chainage + 1.0)

    def per_line() -> object:
        out = []
        for i, g in enumerate(geoms):
            p = list(pts[i * PER_LINE : (i + 1) * PER_LINE])
            ch = geodesy.chainage_km(g, p)
            out.append((ch, geodesy.offset_km(g, p), geodesy.point_at_km(g, ch)))
            out.extend(geodesy.substring_km(g, c, c + 1.0) for c in ch)
        return out

    chainage, *_ = ours()
    one = [geodesy.chainage_km(geoms[i], list(pts[which == i])) for i in range(5)]
    assert np.allclose(np.concatenate(one), chainage[which < 5], atol=1e-9)
    report(
        "Lines locate+interpolate+cut, 20k points on 2k lines vs one call per line",
        best_of(ours, 3),
        best_of(per_line, 1),
        "goal >= 10",
    )


if __name__ == "__main__":
    main()
