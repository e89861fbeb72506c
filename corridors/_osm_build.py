"""Build corridor files from authored inputs and OpenStreetMap extracts.

An *authored* corridor file (``geodata/authored/<id>.geojson``) is a corridor file as the loader
reads it, in which some features carry a foreign member ``"build"`` saying how their geometry is
made from OSM. Everything else (names, figures, sources, relations, the stretches no extract
covers) is copied as it is. The corridor member may carry ``"build": {"chains": {...}}``: named
lines chained out of the extracts by :func:`corridors.osm.chain_ways`.

Directives, by feature:

``{"chain": NAME, "from": STATION|null, "to": STATION|null}`` (sections)
    The piece of chain ``NAME`` between two stations built from it (null: the chain's end).
``{"yard": {"chain": NAME, "near_km": KM, "within_km": KM}}`` (stations)
    The OSM station node nearest ``near_km`` along the chain where the input has station nodes,
    else the centre of the station yard nearest it; where neither lies within ``within_km`` the
    build fails (an authored fallback is ``chain_km``).
``{"chain_km": {"chain": NAME, "km": KM}}`` (stations)
    The point at a published chainage along the chain (e.g. an unverified plan chainage).
``{"chain_anchor": {"chain": NAME, "index": I}}`` (stations)
    The point where the chain passes its anchor ``I`` (a published station position).
``{"chain_end": NAME}`` (stations)
    The last point of the chain.
``{"layer_run": {"chain": NAME, "layer": L, "near_km": KM, "extend_before_km": KM}}``
    (tunnels, bridges) The run of ways tagged ``layer=L`` nearest ``near_km``, optionally
    extended backwards along the main line (e.g. into a stretch no extract covers).
``{"onto_main": true}`` (tunnels, bridges)
    The main line between the chainages of the authored geometry's two ends.
``{"centred": {"at": [LON, LAT], "length_km": KM}}`` (tunnels, bridges)
    A stretch of the main line of a published length, centred on a point.
``{"snap": {"extract": X, "name": REGEX, "within_km": KM}}`` (points)
    The nearest point of the mapped ways of that name; section vertices at the authored
    position move with it.
``{"same_as": "CORRIDOR/FEATURE"}`` (points)
    The position of a feature of a corridor built before; section vertices move with it.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors._coerce import WGS84
from corridors._osm_chain import Chain, chain_ways, simplify_line, station_yards
from corridors.errors import GeometryError, SchemaError
from corridors.geodesy import chainage_km, length_km, offset_km, point_at_km, substring_km

__all__ = ["EXTRACTS", "build_corridor", "dumps_corridor", "gap_error_km"]

#: The HOT export file of each extract name used in the authored files.
EXTRACTS = {
    "lao": "hotosm_lao_railways_lines_geojson.geojson",
    "tha": "hotosm_tha_railways_lines_geojson.geojson",
    "vnm": "hotosm_vnm_railways_lines_geojson.geojson",
}
#: How each extract is cited in the ``sources`` of what is built from it.
EXTRACT_SOURCES = {
    "lao": "© OpenStreetMap contributors, ODbL 1.0: Humanitarian OpenStreetMap Team export "
    "'hotosm_lao_railways' (Laos railways, lines), via the Humanitarian Data Exchange, c. 2024",
    "tha": "© OpenStreetMap contributors, ODbL 1.0: Humanitarian OpenStreetMap Team export "
    "'hotosm_tha_railways' (Thailand railways, lines), via the Humanitarian Data Exchange",
    "vnm": "© OpenStreetMap contributors, ODbL 1.0: Humanitarian OpenStreetMap Team export "
    "'hotosm_vnm_railways' (Viet Nam railways, lines), via the Humanitarian Data Exchange",
}
#: The credit every source derived from OpenStreetMap starts with.
_ODBL = "© OpenStreetMap contributors, ODbL 1.0"
#: Service tracks: never main line, but what station yards are made of.
SERVICE_TRACKS = ("siding", "yard", "spur", "crossover")
#: Station nodes farther than this from the chained line are not its stations, km.
NODE_KM = 1.0
#: Error of mapped OSM track, km (traced from imagery at 0.5 m or better; see geodata/README).
TRACK_ERROR_KM = 0.05
#: How far the real track may lie from a straight bridge over a gap, as a share of its length.
GAP_ERROR_SHARE = 0.1


def gap_error_km(length_km: float) -> float:
    """Honest error of a gap bridged straight: 10 % of its length plus the track error.

    Unmapped stretches of a mountain railway are mostly tunnels, which run nearly straight; 10 %
    of the length bounds the sagitta of a curve of radius 1.2 km or more across the gap.
    """
    return round(TRACK_ERROR_KM + GAP_ERROR_SHARE * length_km, 2)


class _Built:
    """One chain: the unsimplified chain, its simplified line and the ways it came from."""

    def __init__(
        self,
        name: str,
        spec: Mapping[str, Any],
        extracts: Mapping[str, Any],
        stations: Mapping[str, gpd.GeoDataFrame] | None = None,
    ) -> None:
        names = spec["extract"] if isinstance(spec["extract"], list) else [spec["extract"]]
        frames = [extracts[n] for n in names]
        ways = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        ways = gpd.GeoDataFrame(ways, geometry="geometry", crs=WGS84)
        if "bbox" in spec:
            w, s, e, n = spec["bbox"]
            ways = ways.cx[w:e, s:n].reset_index(drop=True)
        label = ways["name"].fillna("").astype(str)
        main = np.ones(len(ways), bool)
        if "main_name" in spec:
            main &= label.str.contains(spec["main_name"], regex=True).to_numpy()
        # main line is railway=rail, never a service track (where the input has those tags)
        if "railway" in ways.columns:
            main &= (ways["railway"].fillna("rail") == "rail").to_numpy()
        if "service" in ways.columns:
            main &= ~ways["service"].isin(SERVICE_TRACKS).to_numpy()
        if "exclude_name" in spec:
            drop = label.str.contains(spec["exclude_name"], regex=True).to_numpy()
            ways, main = ways[~drop].reset_index(drop=True), main[~drop]
        nodes = [stations[n] for n in names if stations is not None and n in stations]
        nodes = [n for n in nodes if n is not None and len(n)]
        self.nodes = (
            gpd.GeoDataFrame(pd.concat(nodes, ignore_index=True), geometry="geometry", crs=WGS84)
            if nodes
            else None
        )
        self.name = name
        self.extracts = names
        self.ways = ways
        self.chain: Chain = chain_ways(
            ways,
            [tuple(a) for a in spec["anchors"]],
            main=main,
            max_snap_km=float(spec.get("max_snap_km", 2.0)),
        )
        self.tolerance_m = float(spec.get("tolerance_m", 25.0))
        self.line = simplify_line(self.chain.line, self.tolerance_m)
        used = np.zeros(len(ways), bool)
        used[self.chain.step_way[self.chain.step_way >= 0]] = True
        self.used = used
        self.yard_merge_km = float(spec.get("yard_merge_km", 0.5))
        self._yards: pd.DataFrame | None = None

    def km_on_line(self, km_raw: Any) -> Any:
        """Chainage on the simplified line of the point(s) at ``km_raw`` on the raw chain."""
        km = np.asarray(chainage_km(self.line, point_at_km(self.chain.line, km_raw)))
        return float(km) if np.ndim(km_raw) == 0 else km

    def station_nodes(self) -> pd.DataFrame:
        """OSM station nodes within ``NODE_KM`` of the chain: ``osm_id``, ``name``, chainage."""
        cols = ["osm_id", "name", "chainage_km"]
        if self.nodes is None:
            return pd.DataFrame(columns=cols)
        pts = np.asarray(self.nodes.geometry.array, dtype=object)
        off = np.asarray(offset_km(self.chain.line, pts))
        near = off <= NODE_KM
        return pd.DataFrame(
            {
                "osm_id": self.nodes["osm_id"].to_numpy()[near],
                "name": self.nodes["name"].to_numpy()[near],
                "chainage_km": np.asarray(chainage_km(self.chain.line, pts[near])),
            }
        )

    def yards(self) -> pd.DataFrame:
        if self._yards is None:
            self._yards = station_yards(
                self.chain.line, self.ways.geometry[~self.used], merge_km=self.yard_merge_km
            )
        return self._yards

    def gaps_between(self, a_km: float, b_km: float) -> list[dict[str, object]]:
        """Gaps whose middle lies between two chainages of the simplified line."""
        gaps = self.chain.gaps
        if not gaps:
            return []
        raw = np.array([(g.start_km, g.start_km + g.length_km / 2, g.end_km) for g in gaps])
        start, mid, end = self.km_on_line(raw.ravel()).reshape(-1, 3).T  # one batch for all
        out = []
        for i in np.flatnonzero((a_km <= mid) & (mid < b_km)):
            d = gaps[i].to_dict(gap_error_km(gaps[i].length_km))
            d["start_km"] = round(float(start[i]) - a_km, 2)
            d["end_km"] = round(float(end[i]) - a_km, 2)
            out.append(d)
        return out


def _point(xy: Any) -> dict[str, Any]:
    lon, lat = shapely.get_coordinates(xy)[0] if not isinstance(xy, list | tuple) else xy
    return {"type": "Point", "coordinates": [round(float(lon), 5), round(float(lat), 5)]}


def _line(geom: shapely.LineString) -> dict[str, Any]:
    xy = np.round(shapely.get_coordinates(geom), 5)
    keep = np.ones(len(xy), bool)
    keep[1:] = (xy[1:] != xy[:-1]).any(axis=1)
    return {"type": "LineString", "coordinates": xy[keep].tolist()}


def _add_source(props: dict[str, Any], sources: list[str]) -> None:
    have = list(props.get("sources") or [])
    props["sources"] = have + [s for s in sources if s not in have]


def build_corridor(
    authored: Mapping[str, Any],
    extracts: Mapping[str, gpd.GeoDataFrame],
    built: Mapping[str, Mapping[str, Any]] | None = None,
    stations: Mapping[str, gpd.GeoDataFrame] | None = None,
) -> dict[str, Any]:
    """Build one corridor document from its authored file and the OSM extracts.

    Parameters
    ----------
    authored
        The authored corridor document (parsed JSON).
    extracts
        Ways of each extract named in :data:`EXTRACTS`, as read by
        :func:`corridors.osm.read_ways`.
    built
        Corridor documents built before, by id, for ``same_as``.
    stations
        Station nodes of each extract (the second result of :func:`corridors.osm.read_ways`;
        empty for HOT exports). A ``yard`` station takes the node within ``within_km`` of its
        ``near_km`` where there is one, else the centre of the nearest yard.

    Returns
    -------
    dict
        The corridor document, every ``build`` member resolved and removed.
    """
    doc = json.loads(json.dumps(authored))
    meta = doc["corridor"]
    cid = meta.get("id", "?")
    recipe = meta.pop("build", {}) or {}
    chains = {
        n: _Built(n, spec, extracts, stations) for n, spec in recipe.get("chains", {}).items()
    }
    feats = doc["features"]

    def fail(fid: str, problem: str) -> SchemaError:
        return SchemaError(f"{cid}: {fid}: {problem}")

    # 1. station positions on the chains (simplified-line chainage, km)
    moved: dict[tuple[float, float], list[float]] = {}
    station_km: dict[str, tuple[str, float]] = {}
    for f in feats:
        b, p = f.get("build"), f["properties"]
        if not b or not ({"yard", "chain_km", "chain_end", "chain_anchor"} & set(b)):
            continue
        if "yard" in b:
            name = b["yard"]["chain"]
            km = _station_at_yard(chains[name], b["yard"], p, fail)
        elif "chain_anchor" in b:
            name = b["chain_anchor"]["chain"]
            ch = chains[name]
            km = ch.km_on_line(ch.chain.anchor_km[int(b["chain_anchor"]["index"])])
            p["accuracy"] = "traced"
            p["error_km"] = round(
                max(0.1, ch.chain.anchor_snap_km[int(b["chain_anchor"]["index"])]), 1
            )
        elif "chain_km" in b:
            name, km = b["chain_km"]["chain"], float(b["chain_km"]["km"])
        else:
            name = b["chain_end"]
            km = float(length_km(chains[name].line))
        station_km[p["id"]] = (name, km)
        pt = point_at_km(chains[name].line, km)
        if f.get("geometry"):
            moved[tuple(f["geometry"]["coordinates"])] = _point(pt)["coordinates"]
        f["geometry"] = _point(pt)
        _add_source(p, [EXTRACT_SOURCES[e] for e in chains[name].extracts])

    # 2. sections cut from the chains between stations
    for f in feats:
        b, p = f.get("build"), f["properties"]
        if not b or "chain" not in b:
            continue
        ch = chains[b["chain"]]
        total = float(length_km(ch.line))
        a = 0.0 if b.get("from") is None else station_km[b["from"]][1]
        z = total if b.get("to") is None else station_km[b["to"]][1]
        if not a < z:
            raise fail(p["id"], f"from km {a:.2f} is not before to km {z:.2f}")
        piece = ch.line if (a, z) == (0.0, total) else substring_km(ch.line, a, z)
        f["geometry"] = _line(piece)
        gaps = ch.gaps_between(a, z)
        raw_a = a * ch.chain.length_km / total
        raw_z = z * ch.chain.length_km / total
        p["accuracy"] = "traced"
        p["error_km"] = max([TRACK_ERROR_KM, *(float(g["error_km"]) for g in gaps)])  # type: ignore[arg-type]
        p["gaps"] = gaps
        steps = ch.chain.step_way[
            (ch.chain.vertex_km[:-1] >= raw_a - 1e-9) & (ch.chain.vertex_km[1:] <= raw_z + 1e-9)
        ]
        p["osm"] = {
            "extracts": ch.extracts,
            "ways": len(np.unique(steps[steps >= 0])),
            "simplified_m": ch.tolerance_m,
            "unsimplified_km": round(raw_z - raw_a, 2),
        }
        _add_source(p, [EXTRACT_SOURCES[e] for e in ch.extracts])

    # 3. points moved onto mapped track, or onto another corridor's point
    for f in feats:
        b, p = f.get("build"), f["properties"]
        if not b or not ({"snap", "same_as"} & set(b)):
            continue
        old = tuple(f["geometry"]["coordinates"])
        if "same_as" in b:
            other, fid = b["same_as"].split("/")
            src = next(g for g in (built or {})[other]["features"] if g["properties"]["id"] == fid)
            f["geometry"] = json.loads(json.dumps(src["geometry"]))
            for key in ("accuracy", "error_km"):
                p[key] = src["properties"][key]
            _add_source(p, [s for s in src["properties"].get("sources", []) if _ODBL in s])
        else:
            spec = b["snap"]
            ways = extracts[spec["extract"]]
            named = ways["name"].fillna("").astype(str).str.contains(spec["name"], regex=True)
            track = shapely.union_all(ways.geometry[named.to_numpy()].to_numpy())
            near = shapely.ops.nearest_points(track, shapely.Point(old))[0]
            d = float(length_km(shapely.LineString([old, (near.x, near.y)])))
            if d > float(spec.get("within_km", 10.0)):
                raise fail(p["id"], f"mapped track is {d:.1f} km away")
            f["geometry"] = _point(near)
            p["accuracy"] = "traced"
            p["error_km"] = 0.5
            _add_source(p, [EXTRACT_SOURCES[spec["extract"]]])
        moved[old] = f["geometry"]["coordinates"]
    if moved:
        for f in feats:
            if f["properties"]["kind"] == "section" and not (f.get("build") or {}).get("chain"):
                f["geometry"]["coordinates"] = [
                    moved.get(tuple(c), c) for c in f["geometry"]["coordinates"]
                ]

    # 4. structures on the whole main line
    mains = sorted(
        (f for f in feats if f["properties"]["kind"] == "section"
         and f["properties"].get("role") == "main"),
        key=lambda f: f["properties"]["order"],
    )  # fmt: skip
    main_line = shapely.line_merge(
        shapely.MultiLineString([shapely.geometry.shape(f["geometry"]) for f in mains])
    ) if mains else None  # fmt: skip
    offsets: dict[str, float] = {}
    run = 0.0
    for f in mains:
        offsets[f["properties"]["id"]] = run
        run += float(length_km(shapely.geometry.shape(f["geometry"])))
    for f in feats:
        b, p = f.get("build"), f["properties"]
        if not b or not ({"layer_run", "onto_main", "centred"} & set(b)):
            continue
        if main_line is None or main_line.geom_type != "LineString":
            raise fail(p["id"], "the main sections do not make one line")
        if "layer_run" in b:
            spec = b["layer_run"]
            ch = chains[spec["chain"]]
            lay = pd.to_numeric(ch.ways["layer"], errors="coerce").fillna(0).astype(int).to_numpy()
            step = ch.chain.step_way
            sl = np.where(step >= 0, lay[np.maximum(step, 0)], 0) == int(spec["layer"])
            edges = np.flatnonzero(np.diff(np.r_[0, sl.astype(int), 0]))
            starts, ends = edges[::2], edges[1::2]
            km = ch.chain.vertex_km
            mid = (km[starts] + km[ends]) / 2
            i = int(np.abs(mid - float(spec["near_km"])).argmin())
            first = shapely.get_coordinates(ch.line)[0]
            base = float(chainage_km(main_line, shapely.Point(first)))
            a = base + ch.km_on_line(km[starts[i]]) - float(spec.get("extend_before_km", 0.0))
            z = base + ch.km_on_line(km[ends[i]])
            p["mapped_km"] = round(float(km[ends[i]] - km[starts[i]]), 2)
            p["accuracy"] = "traced"
            p["error_km"] = TRACK_ERROR_KM if not spec.get("extend_before_km") else p["error_km"]
            _add_source(p, [EXTRACT_SOURCES[e] for e in ch.extracts])
        elif "onto_main" in b:
            ends_xy = shapely.get_coordinates(shapely.geometry.shape(f["geometry"]))[[0, -1]]
            a, z = sorted(np.asarray(chainage_km(main_line, shapely.points(ends_xy))).tolist())
        else:
            spec = b["centred"]
            c = float(chainage_km(main_line, shapely.Point(spec["at"])))
            a, z = c - spec["length_km"] / 2, c + spec["length_km"] / 2
        f["geometry"] = _line(substring_km(main_line, max(a, 0.0), z))
        # a stretch of the main line: it owes the OSM credit of every main section it lies on
        for s in mains:
            s0 = offsets[s["properties"]["id"]]
            s1 = s0 + float(length_km(shapely.geometry.shape(s["geometry"])))
            if s0 < z and max(a, 0.0) < s1:
                _add_source(p, [x for x in s["properties"].get("sources", []) if _ODBL in x])

    for f in feats:
        f.pop("build", None)
    _check_joined(cid, mains)
    return doc


def _station_at_yard(ch: _Built, spec: Mapping[str, Any], p: dict[str, Any], fail: Any) -> float:
    """Chainage of a ``yard`` station: its OSM node where mapped, else its yard's centre.

    Sets the station's ``accuracy``, ``error_km`` and ``osm_node`` or ``yard`` properties.
    """
    raw = ch.chain.vertex_km
    near_raw = float(spec["near_km"]) * raw[-1] / ch.km_on_line(raw[-1])
    within = float(spec.get("within_km", 3.0))
    nodes = ch.station_nodes()
    gap = (nodes["chainage_km"] - near_raw).abs().to_numpy(dtype=float)
    if len(nodes) and gap.min() <= within:
        # the input maps the station itself: its node, snapped onto the line
        node = nodes.iloc[int(gap.argmin())]
        p["accuracy"], p["error_km"] = "traced", TRACK_ERROR_KM
        p["osm_node"] = int(node["osm_id"])
        return ch.km_on_line(float(node["chainage_km"]))
    yards = ch.yards()
    if yards.empty:
        raise fail(p["id"], "no station yard found along the chain")
    dist = (yards["chainage_km"] - near_raw).abs().to_numpy(dtype=float)
    i = int(dist.argmin())
    if dist[i] > within:
        raise fail(p["id"], f"no yard within {within} km of km {near_raw}")
    y = yards.iloc[i]
    start, centre, end = ch.km_on_line(
        np.array([y["start_km"], y["chainage_km"], y["end_km"]], dtype=float)
    )
    p["accuracy"] = "traced"
    p["error_km"] = round(max(0.2, (float(y["end_km"]) - float(y["start_km"])) / 2), 1)
    p["yard"] = {
        "start_km": round(float(start), 2),
        "end_km": round(float(end), 2),
        "track_km": round(float(y["track_km"]), 2),
        "tracks": int(y["tracks"]),
    }
    return float(centre)


def _check_joined(cid: str, mains: list[dict[str, Any]]) -> None:
    for prev, nxt in itertools.pairwise(mains):
        if prev["geometry"]["coordinates"][-1] != nxt["geometry"]["coordinates"][0]:
            raise GeometryError(
                f"{cid}: section {nxt['properties']['id']!r} does not start where "
                f"{prev['properties']['id']!r} ends"
            )


_PAIR = re.compile(r"\[\s+(-?[\d.e+-]+),\s+(-?[\d.e+-]+)\s+\]")


def dumps_corridor(doc: Mapping[str, Any]) -> str:
    """The document as the geodata files are written: 2-space JSON, one position per line."""
    text = json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False)
    return _PAIR.sub(r"[\1, \2]", text) + "\n"
