"""Trace the China–Laos Railway's Chinese part into ``geodata/authored/china-laos-railway.geojson``.

No complete OpenStreetMap extract of the Chinese part is at hand. What there is:

* the 13 station nodes of the line (OpenStreetMap, exact; the authored station features);
* ``yunnan_clr_reference.json``: a 241-vertex polyline derived from OSM by a third party, partial
  and partly synthetic (see ``shared/data/osm/PROVENANCE.md``).

This script makes the authored geometry of the sections ``kunming-yuxi`` and ``yuxi-mohan`` from
them, and says for every stretch how it was made (``stretches``, each with an accuracy class and
``error_km``):

1. The reference's approach through Kunming station (every vertex north of Jinning, where it
   follows the old Kunming–Yuxi line) is dropped. From Kunming South the line is traced by the
   waypoints in :data:`KUNMING_WAYPOINTS` round the south end of Dianchi to the reference at
   Jinning (``approximate``).
2. Straight interpolated spans of the reference (two or more consecutive steps of equal length,
   to 1 %, and equal bearing, to 0.3°) lose their synthetic inner vertices. What is left of such
   a span is a straight chord between two mapped vertices: the track there is not known, so the
   stretch is ``approximate`` with an error of a quarter of the chord (at least 2 km).
3. Every station node is put on the line as a vertex, in order.
4. Where the reference is genuinely mapped it is ``traced``; its vertices lie 0.5–5 km apart, so
   curves between them are cut: error 1 km.
5. The line ends at the reference's last vertex, the China–Laos border inside the Friendship
   Tunnel as OSM maps it, which is also the first vertex of the Lao section built from the Lao
   extract.

Run it when the reference or the waypoints change, then ``build_railways.py``::

    .venv/bin/python geodata/tools/trace_china.py [--osm DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pyproj
import shapely

HERE = Path(__file__).resolve().parent
AUTHORED = HERE.parent / "authored" / "china-laos-railway.geojson"
DEFAULT_OSM = HERE.parent.parent.parent / "shared" / "data" / "osm"

#: Kunming South round the south end of Dianchi to the reference at Jinning: the data author's
#: waypoints from the route's description (Kunming South lies in Chenggong, east of the lake;
#: the line meets the Yuxi line south of Jinning). Not from map data.
KUNMING_WAYPOINTS = [(102.80, 24.79), (102.74, 24.72), (102.67, 24.68)]
#: First reference vertex used: south of Jinning, where the reference leaves the old line.
JOIN_INDEX = 19
REFERENCE_SOURCE = (
    "© OpenStreetMap contributors, ODbL 1.0: reference polyline of the Chinese part derived "
    "from OSM by a third party (yunnan_clr_reference), used where genuinely mapped"
)
_GEOD = pyproj.Geod(ellps="WGS84")


def _synthetic(xy: np.ndarray) -> np.ndarray:
    """True for inner vertices of straight interpolated runs (equal, collinear steps)."""
    az, _, d = _GEOD.inv(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])
    same = (np.abs(np.diff(d)) < 0.01 * d[1:]) & (np.abs((np.diff(az) + 180) % 360 - 180) < 0.3)
    out = np.zeros(len(xy), bool)
    out[1:-1] = same
    return out


def trace(reference: list[list[float]], stations: list[tuple[str, float, float]]) -> dict:
    """The traced line and its stretches: ``{"coords", "stretches", "station_index"}``."""
    ref = np.asarray(reference, float)
    synth = _synthetic(ref)
    kept = ref[JOIN_INDEX:][~synth[JOIN_INDEX:]]
    # kinds per vertex: where each step *after* the vertex comes from
    gap_after = np.zeros(len(kept), bool)
    idx = np.flatnonzero(~synth[JOIN_INDEX:]) + JOIN_INDEX
    gap_after[:-1] = np.diff(idx) > 1
    start = np.asarray([stations[0][1:], *KUNMING_WAYPOINTS], float)
    coords = np.vstack([start, kept])
    kind = ["waypoint"] * len(start) + ["chord" if g else "mapped" for g in gap_after]
    # put each station on the line as a vertex, after the vertex that starts its nearest step
    for _, lon, lat in stations[1:]:
        segs = shapely.linestrings(np.stack([coords[:-1], coords[1:]], axis=1))
        i = int(np.argmin(shapely.distance(segs, shapely.Point(lon, lat))))
        if np.allclose(coords[i + 1], (lon, lat)) or np.allclose(coords[i], (lon, lat)):
            continue
        coords = np.insert(coords, i + 1, (lon, lat), axis=0)
        kind.insert(i + 1, kind[i])
    at = {
        n: int(np.flatnonzero(np.all(np.isclose(coords, (lo, la)), axis=1))[0])
        for n, lo, la in stations
    }
    _, _, d = _GEOD.inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    km = np.concatenate([[0.0], np.cumsum(d) / 1000.0])
    stretches = []
    for i, k in enumerate(kind[:-1]):
        if stretches and stretches[-1]["basis"] == k:
            stretches[-1]["to_km"] = km[i + 1]
            stretches[-1]["chord_km"] = max(stretches[-1]["chord_km"], d[i] / 1000.0)
            continue
        stretches.append(
            {"basis": k, "from_km": km[i], "to_km": km[i + 1], "chord_km": d[i] / 1000}
        )
    return {"coords": np.round(coords, 5), "km": km, "stretches": stretches, "station_index": at}


_BASIS = {
    "waypoint": (
        "approximate", 5.0, "the data author's waypoints (KUNMING_WAYPOINTS), not map data",
    ),
    "mapped": (
        "traced", 1.0, "the reference polyline where genuinely mapped (vertices 0.5–5 km apart)",
    ),
    "chord": (
        "approximate", None,
        "a straight chord over a span the reference only interpolates: the track is not known",
    ),
}  # fmt: skip


def _stretch(s: dict, offset: float) -> dict:
    acc, err, basis = _BASIS[s["basis"]]
    if err is None:
        err = round(max(2.0, s["chord_km"] / 4), 1)
    return {
        "from_km": round(s["from_km"] - offset, 2),
        "to_km": round(s["to_km"] - offset, 2),
        "accuracy": acc,
        "error_km": err,
        "basis": basis,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osm", type=Path, default=DEFAULT_OSM)
    parser.add_argument("--authored", type=Path, default=AUTHORED)
    args = parser.parse_args(argv)
    ref = json.loads((args.osm / "yunnan_clr_reference.json").read_text(encoding="utf-8"))
    doc = json.loads(args.authored.read_text(encoding="utf-8"))
    feats = {f["properties"]["id"]: f for f in doc["features"]}
    chinese = [
        f for f in doc["features"]
        if f["properties"]["kind"] == "station" and f["geometry"]["coordinates"][1] > 21.2
    ]  # fmt: skip
    chinese.sort(key=lambda f: f["properties"]["order"])
    stations = [(f["properties"]["id"], *f["geometry"]["coordinates"]) for f in chinese]
    t = trace(ref["railway"], stations)
    split = t["station_index"]["yuxi"]
    split_km = float(t["km"][split])
    for sid, lo, hi, off in (
        ("kunming-yuxi", 0, split, 0.0),
        ("yuxi-mohan", split, len(t["coords"]) - 1, split_km),
    ):
        f = feats[sid]
        f["geometry"] = {"type": "LineString", "coordinates": t["coords"][lo : hi + 1].tolist()}
        a, z = float(t["km"][lo]), float(t["km"][hi])
        parts = [
            {**s, "from_km": max(s["from_km"], a), "to_km": min(s["to_km"], z)}
            for s in t["stretches"]
            if s["to_km"] > a and s["from_km"] < z
        ]
        stretches = [_stretch(s, off) for s in parts]
        p = f["properties"]
        p["stretches"] = stretches
        p["error_km"] = max(s["error_km"] for s in stretches)
        p["accuracy"] = "approximate" if any(
            s["accuracy"] == "approximate" for s in stretches
        ) else "traced"  # fmt: skip
        srcs = [s for s in p["sources"] if not s.startswith("own tracing")]
        if REFERENCE_SOURCE not in srcs:
            srcs.append(REFERENCE_SOURCE)
        p["sources"] = srcs
        km_traced = sum(s["to_km"] - s["from_km"] for s in stretches if s["accuracy"] == "traced")
        print(
            f"{sid}: {z - a:.1f} km, {km_traced:.1f} km traced, error_km {p['error_km']}",
            file=sys.stderr,
        )
    sys.path.insert(0, str(HERE.parent.parent))
    from corridors._osm_build import dumps_corridor

    args.authored.write_text(dumps_corridor(doc), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
