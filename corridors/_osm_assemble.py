"""Assembling a corridor out of OpenStreetMap ways, for :mod:`corridors.osm`.

What :func:`corridors.osm.corridor_from_osm` does once the ways and station nodes are read
(:mod:`corridors._osm_io` for files, OSMnx for Overpass):

* **tag filters**: the ``kind`` filters (:data:`KINDS`) and OSMnx-style ``tags`` dicts as a
  predicate on a way's tags, and their description in error messages;
* **sections**: the ways merged (``shapely.line_merge``) into continuous chains, the chains put in
  route order (longest first, then nearest end to end) and turned to run the way most of the
  mapped length is drawn;
* **along the line**: every way, station and structure is placed on its chain by geodesic
  chainage from the line-referencing core (:class:`corridors._lines.Lines`, one batch call per
  kind), not by planar ``line_locate_point`` in degrees; stations keep their geodesic
  ``offset_km``;
* **stations** within ``settings.osm_station_km`` of the line, one per name; **structures**
  (bridges and tunnels, one per run of touching ways); section tags by the value covering most
  of the length (:func:`_weighted_mode`).

The constants (:data:`SOURCE`, :data:`KINDS`, :data:`TAG_COLUMNS`, ...) live here, below the public
module, and :mod:`corridors.osm` re-exports them. Everything else here is private.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from corridors import settings
from corridors._coerce import WGS84
from corridors._lines import Lines
from corridors._osm_io import _Node, _OsmData, _Way
from corridors._text import match_key, slugify
from corridors.corridor import Corridor
from corridors.errors import CorridorsError, GeometryError
from corridors.geodesy import lengths_km_array

__all__ = [
    "ATTRIBUTION",
    "ERROR_KM",
    "KINDS",
    "LICENSE",
    "SOURCE",
    "STATION_TAGS",
    "TAG_COLUMNS",
    "Tags",
]


#: The citation put in every feature's ``sources``.
SOURCE = "OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright)"
#: The credit to show next to anything drawn from OpenStreetMap data.
ATTRIBUTION = f"© {SOURCE}"
#: SPDX identifier of the licence of OpenStreetMap data.
LICENSE = "ODbL-1.0"

#: What each ``kind`` keeps: OSMnx-style tags a way must match, and tags that rule it out.
KINDS: dict[str, dict[str, dict[str, list[str]]]] = {
    "railway": {
        "tags": {"railway": ["rail", "light_rail", "narrow_gauge"]},
        "exclude": {"service": ["siding", "yard", "spur", "crossover"]},
    },
    "road": {
        "tags": {"highway": ["motorway", "trunk", "primary", "secondary"]},
        "exclude": {},
    },
}
_MODES = {"railway": "rail", "road": "road"}
#: Nodes with one of these tags are stations (railway corridors only).
STATION_TAGS: dict[str, list[str]] = {
    "railway": ["station", "halt"],
    "public_transport": ["station"],
}
#: Tags copied into columns of the sections, structures and ``osm_ways``, where present.
TAG_COLUMNS = (
    "railway", "highway", "service", "usage", "gauge", "electrified", "voltage", "frequency",
    "maxspeed", "lanes", "ref", "bridge", "tunnel", "layer",
)  # fmt: skip
#: Ways tagged with these (other than "no") become the corridor's structures.
_STRUCTURE_TAGS = ("bridge", "tunnel")
#: Tags whose value over a merged section counts untagged ways as a value of their own.
_LOCAL_TAGS = (*_STRUCTURE_TAGS, "layer")
_NAME_KEYS = ("name", "official_name", "alt_name", "int_name")
_STATUS = {"construction": "under-construction", "proposed": "proposed"}
_GONE = {"disused", "abandoned", "razed", "dismantled"}
#: The error estimate given to OSM geometry, km (mapped from imagery and GPS traces).
ERROR_KM = 0.05

Tags = Mapping[str, bool | str | Sequence[str]]


# -- tag filters ---------------------------------------------------------------------------------
def _matcher(kind: str, tags: Tags | None) -> Callable[[Mapping[str, str]], bool]:
    """A predicate on a way's tags: the ``kind`` filter, or the OSMnx-style ``tags``."""
    if tags is None:
        wanted, exclude = KINDS[kind]["tags"], KINDS[kind]["exclude"]
    else:
        wanted, exclude = _check_tags(tags), {}

    def match(t: Mapping[str, str]) -> bool:
        return _any_tag(t, wanted) and not (exclude and _any_tag(t, exclude))

    return match


def _check_tags(tags: Any) -> dict[str, bool | str | Sequence[str]]:
    if not isinstance(tags, Mapping) or not tags:
        raise CorridorsError(
            f"tags must be a non-empty dict like {{'railway': ['rail']}}, got {tags!r}"
        )
    for k, v in tags.items():
        ok = isinstance(k, str) and (
            isinstance(v, bool | str)
            or (isinstance(v, Sequence) and all(isinstance(x, str) for x in v))
        )
        if not ok:
            raise CorridorsError(f"tags: {k!r}: {v!r} is not a string, a list of strings or True")
    return dict(tags)


def _any_tag(t: Mapping[str, str], filt: Mapping[str, bool | str | Sequence[str]]) -> bool:
    for key, want in filt.items():
        value = t.get(key)
        if value is None:
            continue
        if want is True or (isinstance(want, str) and value == want):
            return True
        if not isinstance(want, bool | str) and value in want:
            return True
    return False


def _describe(kind: str, tags: Tags | None) -> str:
    def fmt(filt: Mapping[str, Any]) -> str:
        parts = []
        for k, v in filt.items():
            if v is True:
                parts.append(f"any {k}")
            elif isinstance(v, str):
                parts.append(f"{k}={v}")
            else:
                parts.append(f"{k} in {{{', '.join(v)}}}")
        return " or ".join(parts)

    if tags is not None:
        return f"tags {fmt(tags)}"
    spec = KINDS[kind]
    text = f"kind={kind!r} ({fmt(spec['tags'])}"
    if spec["exclude"]:
        text += f", not {fmt(spec['exclude'])}"
    return text + ")"


def _is_station(t: Mapping[str, str]) -> bool:
    return _any_tag(t, STATION_TAGS)


def _names_of(t: Mapping[str, str]) -> list[str]:
    return [v for k, v in t.items() if k in _NAME_KEYS or k.startswith("name:")]


def _display_name(t: Mapping[str, str]) -> str | None:
    return t.get("name:en") or t.get("name")


def _lang_names(t: Mapping[str, str]) -> dict[str, str]:
    return {k[5:]: v for k, v in t.items() if k.startswith("name:") and len(k) > 5}


# -- building the corridor -----------------------------------------------------------------------
def _name_filter(data: _OsmData, name: str) -> list[_Way]:
    wanted = match_key(name)
    keep = []
    for w in data.ways:
        names = _names_of(w.tags) + [
            n for rel in data.relation_names.get(w.osm_id, []) for n in _names_of(rel)
        ]
        if any(wanted in match_key(n) for n in names):
            keep.append(w)
    return keep


def _nothing_matched(
    data: _OsmData, where: str, kind: str, tags: Tags | None, name: str | None
) -> GeometryError:
    what = _describe(kind, tags)
    if data.ways and name is not None:
        names = Counter(n for w in data.ways if (n := _display_name(w.tags)))
        listed = ", ".join(repr(n) for n, _ in names.most_common(5)) or "none of them is named"
        return GeometryError(
            f"{where}: {len(data.ways)} ways match {what}, but no name contains {name!r}; "
            f"names on them: {listed}"
        )
    found = [
        f"{key}: " + ", ".join(f"{v} ({n})" for v, n in counts.most_common(6))
        for key, counts in data.values.items()
        if counts
    ]
    hint = (
        "; values in the data: " + "; ".join(found)
        if found
        else "; it has no railway or highway ways"
    )
    return GeometryError(f"{where}: no way matches {what}{hint}")


def _build(
    data: _OsmData,
    *,
    where: str,
    kind: str,
    tags: Tags | None,
    name: str | None,
    id: str | None,
) -> Corridor:
    ways = _name_filter(data, name) if name is not None else data.ways
    if not ways:
        raise _nothing_matched(data, where, kind, tags, name)
    # ways in a fixed order so that the result does not depend on the file's order
    ways = sorted(ways, key=lambda w: w.osm_id)
    lines = np.array([w.line for w in ways], dtype=object)
    way_km = lengths_km_array(lines, what="OSM ways")

    chains = _order_chains(
        list(shapely.get_parts(shapely.line_merge(shapely.MultiLineString(list(lines)))))
    )
    along = Lines(chains, what="OSM sections")
    chain_of, start_at, end_at = _locate_ways(chains, along, lines)
    backward = float(way_km[end_at < start_at].sum())
    if backward > float(way_km[end_at > start_at].sum()):
        chains = [shapely.reverse(c) for c in chains[::-1]]
        along = Lines(chains, what="OSM sections")
        chain_of, start_at, end_at = _locate_ways(chains, along, lines)
    forward = end_at >= start_at
    mid = (start_at + end_at) / 2
    order = np.lexsort((mid, chain_of))
    section_ids = [f"section-{i + 1}" for i in range(len(chains))]

    mode = _MODES[kind]
    way_table = gpd.GeoDataFrame(
        {
            "osm_id": [ways[i].osm_id for i in order],
            "section": [section_ids[chain_of[i]] for i in order],
            "name": [_display_name(ways[i].tags) for i in order],
            "names": [_lang_names(ways[i].tags) for i in order],
            **{
                t: [ways[i].tags.get(t) for i in order]
                for t in TAG_COLUMNS
                if any(t in w.tags for w in ways)
            },
            "tags": [dict(ways[i].tags) for i in order],
            "status": [_status(ways[i].tags, kind) for i in order],
            "length_km": way_km[order],
            "forward": forward[order],
        },
        geometry=list(lines[order]),
        crs=WGS84,
    )
    corridor_name = _weighted_mode(way_table["name"], way_table["length_km"]) or name
    cid = id or slugify(corridor_name, ascii_only=True) or f"osm-{kind}"
    corridor_name = corridor_name or cid
    common = {"mode": mode, "sources": SOURCE, "accuracy": "traced", "error_km": ERROR_KM}

    rows: list[dict[str, Any]] = []
    for j, chain in enumerate(chains):
        part = way_table[way_table["section"] == section_ids[j]]
        km = part["length_km"].to_numpy()
        row: dict[str, Any] = {
            "name": _weighted_mode(part["name"], km) or corridor_name,
            "names": dict(_weighted_mode([_freeze(n) for n in part["names"]], km) or ()),
            "osm_ids": part["osm_id"].tolist(),
            "status": _weighted_mode(part["status"], km),
        }
        for t in TAG_COLUMNS:
            if t in part.columns:
                row[t] = _weighted_mode(
                    part[t],
                    km,
                    missing_is_value=t in _LOCAL_TAGS,
                    no_means_missing=t in _STRUCTURE_TAGS,
                )
        rows.append({**row, **common, "geometry": chain})

    stations = _stations(data.stations, chains, along) if kind == "railway" else []
    for st in stations:
        rows.append({**st, **common, "status": None})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    gdf["sources"] = [[SOURCE] for _ in range(len(gdf))]

    made = Corridor.from_geodataframe(gdf, id=cid, name=corridor_name)
    features = made.to_geodataframe().drop(columns="corridor")
    structures = _structures(way_table, chains, along, common)
    if len(structures):
        features = pd.concat([features, structures], ignore_index=True)
        features = gpd.GeoDataFrame(features, geometry="geometry", crs=WGS84)
    statuses = [s for s in gdf["status"] if isinstance(s, str)]
    meta = {
        **made.meta,
        "mode": mode,
        "status": Counter(statuses).most_common(1)[0][0] if statuses else None,
        "accuracy": "traced",
        "error_km": ERROR_KM,
        "sources": [SOURCE],
        "attribution": ATTRIBUTION,
        "license": LICENSE,
        "osm": {
            "source": where,
            "filter": _describe(kind, tags),
            "name": name,
            "ways": len(ways),
            "incomplete_ways": sorted(set(data.incomplete) & {w.osm_id for w in ways}),
        },
    }
    corridor = Corridor(cid, corridor_name, features, meta)
    corridor.osm_ways = way_table.reset_index(drop=True)  # type: ignore[attr-defined]
    return corridor


def _order_chains(chains: list[shapely.LineString]) -> list[shapely.LineString]:
    """Chain the merged pieces into one route, longest first, then nearest end to end.

    Each further piece is the one whose end lies nearest the route's head or tail, turned to
    continue it.
    """
    if len(chains) <= 1:
        return chains
    ends = np.array([[c.coords[0], c.coords[-1]] for c in chains])  # (n, 2 ends, lon/lat)
    km = lengths_km_array(np.array(chains, dtype=object))
    first = int(np.argmax(km))
    route = [chains[first]]
    head, tail = ends[first, 0], ends[first, 1]
    left = np.ones(len(chains), bool)
    left[first] = False
    while left.any():
        idx = np.flatnonzero(left)
        # (candidates, their 2 ends, head/tail) distances, scaled for the latitude
        d = np.stack([_flat_dist(ends[idx], head), _flat_dist(ends[idx], tail)], axis=-1)
        c, end, side = np.unravel_index(int(np.argmin(d)), d.shape)
        i = int(idx[c])
        left[i] = False
        piece = chains[i]
        if side == 1:  # after the tail: start at the end nearest the tail
            piece = piece if end == 0 else shapely.reverse(piece)
            route.append(piece)
            tail = np.asarray(piece.coords[-1])
        else:  # before the head: finish at the end nearest the head
            piece = piece if end == 1 else shapely.reverse(piece)
            route.insert(0, piece)
            head = np.asarray(piece.coords[0])
    return route


def _flat_dist(xy: NDArray[np.float64], to: NDArray[np.float64]) -> NDArray[np.float64]:
    scale = math.cos(math.radians(float(to[1])))
    return np.hypot((xy[..., 0] - to[0]) * scale, xy[..., 1] - to[1])


def _locate_ways(
    chains: list[shapely.LineString], along: Lines, lines: NDArray[np.object_]
) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]:
    """For each way: the chain it lies on, and the geodesic chainage (km) of its two ends on it.

    ``along`` is ``Lines(chains)``; both ends of every way are located in one batch call.
    """
    tree = shapely.STRtree(chains)
    mids = shapely.line_interpolate_point(lines, 0.5, normalized=True)
    _, chain_of = tree.query_nearest(mids, all_matches=False)
    ends = np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)])
    km, _ = along.locate(np.concatenate([chain_of, chain_of]), ends)
    return chain_of, km[: len(lines)], km[len(lines) :]


def _near_chains(
    chains: list[shapely.LineString], along: Lines, xy: NDArray[np.float64], reach_km: float
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]:
    """Each point's geodesically nearest chain within ``reach_km``: (point, chain, km, offset).

    An STRtree gives the candidate chains within a distance in degrees that covers
    ``reach_km`` at the point's latitude; every (point, candidate) pair is located in one batch
    call, and the smallest geodesic offset wins. Points with no chain that near are left out.
    """
    lat = np.minimum(np.abs(xy[:, 1]) + reach_km / 110.0, 89.0)
    reach_deg = 1.01 * reach_km / (110.5 * np.cos(np.radians(lat)))
    pts = shapely.points(xy)
    pt, chain = shapely.STRtree(chains).query(pts, predicate="dwithin", distance=reach_deg)
    km, off = along.locate(chain, xy[pt])
    best = np.lexsort((chain, off, pt))  # by point, then offset (ties: the first chain)
    first = np.ones(len(best), dtype=bool)
    first[1:] = pt[best][1:] != pt[best][:-1]
    best = best[first]
    return pt[best], chain[best], km[best], off[best]


def _stations(
    nodes: list[_Node], chains: list[shapely.LineString], along: Lines
) -> list[dict[str, Any]]:
    """Station nodes within ``settings.osm_station_km`` of the line, in order, one per name.

    Order and distance are geodesic: the chainage along the nearest chain and the offset from
    it, from ``along`` (``Lines(chains)``).
    """
    if not nodes:
        return []
    xy = np.array([(n.lon, n.lat) for n in nodes], dtype=float)
    i, chain_of, at, km = _near_chains(chains, along, xy, settings.osm_station_km)
    table = pd.DataFrame(
        {
            "i": i,
            "chain": chain_of,
            "at": at,
            "km": km,
            "name": [_display_name(nodes[k].tags) or f"OSM node {nodes[k].osm_id}" for k in i],
        }
    )
    table["railway"] = [nodes[k].tags.get("railway") in STATION_TAGS["railway"] for k in i]
    table = table[table["km"] <= settings.osm_station_km]
    # one station per name: the node tagged railway=station/halt if any, else the nearest
    ids = table.groupby("name")["i"].agg(lambda i: [nodes[k].osm_id for k in i])
    table = table.sort_values(["railway", "km"], ascending=[False, True], kind="stable")
    table = table.drop_duplicates("name").sort_values(["chain", "at"], kind="stable")
    out = []
    for i, chain, name, km in table[["i", "chain", "name", "km"]].itertuples(index=False):
        n = nodes[int(i)]
        row: dict[str, Any] = {
            "name": name,
            "names": _lang_names(n.tags),
            "osm_ids": ids[name],
            "section": f"section-{int(chain) + 1}",
            "offset_km": float(km),
            "geometry": shapely.Point(n.lon, n.lat),
        }
        for t in ("railway", "public_transport"):
            if t in n.tags:
                row[t] = n.tags[t]
        out.append(row)
    return out


def _structures(
    ways: gpd.GeoDataFrame,
    chains: list[shapely.LineString],
    along: Lines,
    common: Mapping[str, Any],
) -> gpd.GeoDataFrame:
    """Bridges and tunnels: touching ways of each kind merged, drawn along the route.

    They are numbered in route order: by chain, then by the geodesic chainage of their start.
    """
    rows: list[dict[str, Any]] = []
    geoms = np.asarray(ways.geometry.array, dtype=object)
    drawn = np.where(ways["forward"].to_numpy(), geoms, shapely.reverse(geoms))
    for kind in _STRUCTURE_TAGS:
        if kind not in ways.columns:
            continue
        sel = (ways[kind].notna() & (ways[kind] != "no")).to_numpy()
        if not sel.any():
            continue
        merged = shapely.get_parts(
            shapely.line_merge(shapely.MultiLineString(list(drawn[sel])), directed=True)
        )
        mids = shapely.line_interpolate_point(drawn[sel], 0.5, normalized=True)
        tree = shapely.STRtree(merged)
        _, part_of = tree.query_nearest(mids, all_matches=False)
        starts = shapely.get_point(merged, 0)
        _, chain_of = shapely.STRtree(chains).query_nearest(starts, all_matches=False)
        at, _ = along.locate(chain_of, starts)
        picked = ways[sel]
        for n, p in enumerate(np.lexsort((at, chain_of))):
            members = picked[part_of == p]
            tags = members["tags"].tolist()
            own = next((t[f"{kind}:name"] for t in tags if f"{kind}:name" in t), None)
            ids = ", ".join(str(i) for i in members["osm_id"])
            label = f"{kind.capitalize()} (OSM way{'s' if len(members) > 1 else ''} {ids})"
            rows.append(
                {
                    "id": f"{kind}-{n + 1}",
                    "name": own or label,
                    "names": {
                        k.split(":")[-1]: v
                        for t in tags
                        for k, v in t.items()
                        if k.startswith(f"{kind}:name:")
                    },
                    "kind": kind,
                    kind: members[kind].iloc[0],
                    "osm_ids": members["osm_id"].tolist(),
                    "section": members["section"].iloc[0],
                    "role": None,
                    "order": np.nan,
                    "figures": [],
                    "status": members["status"].iloc[0],
                    **common,
                    "sources": [SOURCE],
                    "geometry": merged[p],
                }
            )
    if not rows:
        return gpd.GeoDataFrame(geometry=[], crs=WGS84)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)


def _status(t: Mapping[str, str], kind: str) -> str | None:
    """Status from the main tag; ``None`` for disused and abandoned lines."""
    value = t.get("railway" if kind == "railway" else "highway")
    if value in _STATUS:
        return _STATUS[value]
    if value in _GONE or t.get("disused") == "yes" or t.get("abandoned") == "yes":
        return None
    return "operational"


def _weighted_mode(
    values: Iterable[Any],
    weights: Iterable[float],
    *,
    missing_is_value: bool = False,
    no_means_missing: bool = False,
) -> Any:
    """The value covering the most weight; the first seen wins ties.

    Missing values are skipped, or count as a value of their own with ``missing_is_value``.
    """
    totals: dict[Any, float] = {}
    for v, w in zip(values, weights, strict=True):
        if (
            v is None
            or (isinstance(v, float) and math.isnan(v))
            or (no_means_missing and v == "no")
        ):
            v = None
            if not missing_is_value:
                continue
        totals[v] = totals.get(v, 0.0) + float(w)
    if not totals:
        return None
    return max(totals, key=totals.__getitem__)


def _freeze(names: Mapping[str, str]) -> tuple[tuple[str, str], ...] | None:
    return tuple(sorted(names.items())) or None
