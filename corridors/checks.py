"""Check published figures against the geometry, and against each other.

``check`` measures every published length of a corridor on the WGS84 ellipsoid (the whole line,
each country, each section, structure, station chainage and distance), compares it with the
figure, and gives a verdict that allows for the accuracy of the geometry. It also reports where
the published figures contradict each other: several values for the same quantity, and sums
that do not add up (the China–Laos Railway's 88 + 508.53 + 422 ≠ 1,035 km).

The module is ``corridors.checks``; ``corridors.check`` is the function, so that the function
does not hide the module. Stations farther than ``settings.station_snap_km`` from the main line
(on a branch, say) have no chainage on it: their figures are reported as not measurable, as
:func:`corridors.distance_km` refuses them.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors import settings
from corridors.borders import border_crossings, split_by_country
from corridors.corridor import Corridor
from corridors.errors import GeometryError
from corridors.geodesy import LocatedPoints, lengths_km_array
from corridors.registry import boundaries as embedded_boundaries
from corridors.registry import load

__all__ = ["CheckReport", "check", "length_tolerance_km"]

# Relative length error a geometry of each accuracy class may carry: a traced polyline cuts the
# corners of the real curves (it is shorter), a schematic one follows only the published route.
RELATIVE_TOLERANCE = {"surveyed": 0.005, "traced": 0.03, "approximate": 0.06, "schematic": 0.15}
VERDICTS = (
    "consistent",  # within the tolerance the geometry allows
    "marginal",  # beyond it, within twice it
    "inconsistent",  # beyond twice the tolerance: the geometry does not support the figure
    "too coarse",  # the tolerance is over half the figure: the geometry cannot tell
    "not measurable",  # e.g. a structure known only as a point
    "not a length",  # cost, speed, counts
)


TABLE_COLUMNS = [
    "figure", "feature", "measure", "scope", "published_km", "measured_km", "diff_km", "diff_pct",
    "tolerance_km", "verdict", "explanation", "source", "date", "confidence", "description",
]  # fmt: skip


def length_tolerance_km(length_km: float, accuracy: str | None, error_km: float | None) -> float:
    """How far a measured length may be from the truth, given the geometry's accuracy.

    The relative error of the accuracy class (``RELATIVE_TOLERANCE``; 10 % when unknown) on the
    length, plus twice ``error_km`` for the uncertain position of the two ends.

    Examples
    --------
    >>> from corridors.checks import length_tolerance_km
    >>> length_tolerance_km(1000.0, "traced", 1.5)
    33.0
    """
    rel = RELATIVE_TOLERANCE.get(accuracy or "", 0.10)
    err = float(error_km) if error_km is not None and np.isfinite(error_km) else 0.0
    return round(rel * abs(length_km) + 2.0 * err, 3)


#: Mapped OSM track cuts curves only between OSM nodes (metres apart): its relative length error.
OSM_TRACK_RELATIVE = 0.005
#: A stretch bridged straight (an unmapped gap) may be this much shorter than the real track.
GAP_RELATIVE = 0.10


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not np.isfinite(value))


def provenance_tolerance_km(props: Any, length_km: float) -> float | None:
    """Length tolerance of a section from how it was built, or None when it records nothing.

    A section chained from OpenStreetMap (``osm``, ``gaps``) may be short by what simplification
    removed, by up to 10 % of each gap bridged straight and by 0.5 % of its mapped track; a
    section made of ``stretches`` by the relative error of each stretch's accuracy class on its
    length. Both add twice the section's ``error_km`` for the position of its ends.

    Examples
    --------
    >>> provenance_tolerance_km({"error_km": 1.0, "stretches": [
    ...     {"from_km": 0, "to_km": 100, "accuracy": "traced", "error_km": 1.0}]}, 100.0)
    5.0
    """
    get = props.get if hasattr(props, "get") else (lambda k, d=None: d)
    osm, gaps, stretches = get("osm"), get("gaps"), get("stretches")
    ends = 2.0 * float(get("error_km") or 0.0) if not _is_missing(get("error_km")) else 0.0
    if isinstance(osm, dict) and isinstance(gaps, list):
        gap_km = sum(float(g["length_km"]) for g in gaps)
        lost = max(0.0, float(osm.get("unsimplified_km", length_km)) - length_km)
        mapped = max(0.0, length_km - gap_km)
        return round(lost + GAP_RELATIVE * gap_km + OSM_TRACK_RELATIVE * mapped + ends, 3)
    if isinstance(stretches, list) and stretches:
        band = sum(
            RELATIVE_TOLERANCE.get(st["accuracy"], 0.10) * (st["to_km"] - st["from_km"])
            for st in stretches
        )
        return round(band + ends, 3)
    return None


def _half_ulp(value: float) -> float:
    """Half a unit in the last published digit: 1035 -> 0.5, 508.53 -> 0.005."""
    exponent = Decimal(str(value)).normalize().as_tuple().exponent
    exponent = min(int(exponent), 0) if isinstance(exponent, int) else 0
    return 0.5 * 10.0**exponent


@dataclass
class CheckReport:
    """The result of :func:`check`.

    Attributes
    ----------
    corridor_id, name
        The corridor checked.
    measured
        Lengths measured on the geometry: ``total_km``, ``by_country`` and ``by_section`` (km).
    table
        One row per published figure: what it measures, published and measured km, the
        difference in km and %, the tolerance the geometry allows and the verdict.
    disagreements
        Quantities with several published values: their range and sources.
    relations
        Sums of published figures that should hold, whether they do, and which side the geometry
        supports.
    """

    corridor_id: str
    name: str
    accuracy: str | None
    error_km: float | None
    measured: dict[str, Any]
    table: pd.DataFrame
    disagreements: pd.DataFrame
    relations: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    #: What still differs between the geometry and the published lengths, and why.
    explanations: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""

        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            return json.loads(df.to_json(orient="records", force_ascii=False))

        return {
            "corridor": self.corridor_id,
            "name": self.name,
            "accuracy": self.accuracy,
            "error_km": self.error_km,
            "measured": self.measured,
            "figures": records(self.table),
            "disagreements": records(self.disagreements),
            "relations": records(self.relations),
            "notes": self.notes,
            "explanations": self.explanations,
        }

    def __str__(self) -> str:
        m = self.measured
        accuracy = _accuracy(self.accuracy, self.error_km)
        lines = [
            f"{self.name} ({self.corridor_id}) — geometry {accuracy}",
            f"measured main line: {m['total_km']:,.1f} km on the WGS84 ellipsoid",
        ]
        if m["by_country"]:
            parts = ", ".join(f"{k} {v:,.1f} km" for k, v in m["by_country"].items())
            lines.append(f"  by country: {parts}")
        if m["by_section"]:
            parts = ", ".join(f"{k} {v:,.1f} km" for k, v in m["by_section"].items())
            lines.append(f"  by section: {parts}")
        lines.append("")
        lines.append("published figures against the geometry:")
        measurable = self.table[self.table["verdict"] != "not a length"]
        for r in measurable.itertuples(index=False):
            if r.verdict == "not measurable":
                lines.append(
                    f"  ? {r.scope}: {r.published_km:,.3f} km ({r.source}) — {r.explanation}"
                )
                continue
            mark = {"consistent": "✓", "marginal": "~", "inconsistent": "✗", "too coarse": "?"}[
                r.verdict
            ]
            cite = _cite(r.source, r.date)
            lines.append(
                f"  {mark} {r.scope}: published {_num(r.published_km)} km ({cite}), "
                f"measured {r.measured_km:,.1f} km, {r.diff_km:+,.1f} km ({r.diff_pct:+.1f} %), "
                f"tolerance ±{r.tolerance_km:,.1f} km: {r.verdict}"
            )
        if len(self.relations):
            lines.append("")
            lines.append("do the published figures add up?")
            for r in self.relations.itertuples(index=False):
                mark = "✓" if r.holds else "✗"
                lines.append(f"  {mark} {r.expression}")
                if not r.holds:
                    lines.append(f"      {r.explanation}")
        if len(self.disagreements):
            lines.append("")
            lines.append("quantities published with different values:")
            for r in self.disagreements.itertuples(index=False):
                lines.append(
                    f"  {r.scope}: {r.count} values from {_num(r.min_km)} to {_num(r.max_km)} km "
                    f"(spread {r.spread_km:,.2f} km); geometry: {r.measured_km:,.1f} km, "
                    f"closest {_num(r.closest_km)} km ({r.closest_source})"
                )
        if self.explanations:
            lines.append("")
            lines.append("what still differs, and why:")
            lines.extend(f"  {e}" for e in self.explanations)
        for note in self.notes:
            lines.append(f"note: {note}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        shown = self.table.drop(columns=["figure", "feature"], errors="ignore")
        return (
            f"<div class='corridors-check'><strong>{esc(self.name)}</strong>"
            f"<pre>{esc(str(self))}</pre>{shown.to_html(index=False, escape=True)}</div>"
        )


def _accuracy(accuracy: Any, error_km: Any) -> str:
    """``approximate, ±6.3 km``; what is not known says so, never "None" or "±nan"."""
    acc = accuracy if isinstance(accuracy, str) and accuracy else "unknown accuracy"
    if _is_missing(error_km):
        return acc
    return f"{acc}, ±{float(error_km):g} km"


def _cite(source: Any, date: Any) -> str:
    """``source, date``, leaving out a missing date or one the source already names."""
    source = str(source) if isinstance(source, str) and source else "unknown source"
    if not isinstance(date, str | int) or str(date) in source:
        return source
    return f"{source}, {date}"


def _num(v: float) -> str:
    return f"{v:,.3f}".rstrip("0").rstrip(".")


class _NotOnTheLineError(Exception):
    """A station too far from the main line to have a chainage on it."""


class _Measurer:
    """Measure the quantities figures refer to, caching the expensive parts."""

    def __init__(self, corridor: Corridor, boundaries: Any) -> None:
        self.c = corridor
        self.boundaries = boundaries
        self.line = corridor.geometry
        self.total_km = float(lengths_km_array(np.array([self.line], dtype=object))[0])
        feats = corridor.to_geodataframe()
        self.features = feats.set_index("id", drop=False)
        geoms = np.asarray(feats.geometry.array, dtype=object)
        self.lengths = dict(zip(feats["id"], lengths_km_array(geoms), strict=True))
        self._pieces: pd.DataFrame | None = None
        self._stations: dict[str, tuple[float, float]] | None = None
        self._feature_split: pd.Series | None = None
        self._crossings: gpd.GeoDataFrame | None = None
        main = feats[(feats["kind"] == "section") & (feats.get("role") == "main")]
        #: provenance tolerance of each section that records how it was built, km
        self.bands = {
            r["id"]: band
            for _, r in feats[feats["kind"] == "section"].iterrows()
            if (band := provenance_tolerance_km(r, self.lengths[r["id"]])) is not None
        }
        main_ids = list(main["id"])
        #: tolerance of the whole main line when every main section records its provenance
        self.main_band = (
            sum(self.bands[i] for i in main_ids)
            if main_ids and all(i in self.bands for i in main_ids)
            else None
        )
        self.main_ids = main_ids

    def rate(self, section: str) -> float:
        """Tolerance per km of a section (its band over its length)."""
        length = self.lengths.get(section, 0.0)
        return self.bands[section] / length if length else 0.0

    def tolerance_km(self, fig: pd.Series, measured: float, accuracy: Any, error_km: Any) -> float:
        """Tolerance of a measured length: from provenance where recorded, else the class."""
        feature = fig["feature"]
        if feature == self.c.id and self.main_band is not None:
            if fig["measure"] == "length_in_country":
                return sum(
                    self.rate(s) * float(self.by_country(s).get(fig["iso3"], 0.0))
                    for s in self.main_ids
                )
            return self.main_band
        if feature in self.features.index:
            row = self.features.loc[feature]
            if row["kind"] == "section" and feature in self.bands:
                return self.bands[feature] * (
                    measured / self.lengths[feature] if self.lengths[feature] else 1.0
                )
            section = row.get("section")
            if isinstance(section, str) and section in self.bands:
                err = 0.0 if _is_missing(error_km) else float(error_km)
                return self.rate(section) * abs(measured) + 2.0 * err
        return length_tolerance_km(measured, accuracy, error_km)

    @property
    def pieces(self) -> pd.DataFrame:
        if self._pieces is None:
            self._pieces = split_by_country(self.c, self.boundaries)
        return self._pieces

    def by_country(self, feature: str) -> pd.Series:
        if feature == self.c.id:
            return self.pieces.groupby("iso3")["length_km"].sum()
        if self._feature_split is None:  # every line feature in one split
            lines = self.features[self.features.geom_type.isin(["LineString", "MultiLineString"])]
            pieces = split_by_country(lines.geometry, self.boundaries)
            self._feature_split = pieces.groupby(["line", "iso3"])["length_km"].sum()
        if feature not in self._feature_split.index.get_level_values(0):
            return pd.Series(dtype=float)
        return self._feature_split.loc[feature]

    def station_chainage(self, station: str) -> tuple[float, float]:
        if self._stations is None:
            pts = self.c.stations
            located = LocatedPoints(self.line, np.asarray(pts.geometry.array, dtype=object))
            self._stations = {
                sid: (float(ch), float(off))
                for sid, ch, off in zip(
                    pts["id"], located.chainage_km, located.offset_km, strict=True
                )
            }
        if station not in self._stations:
            raise KeyError(station)
        chainage, offset = self._stations[station]
        if offset > settings.station_snap_km:
            raise _NotOnTheLineError(
                f"station {station!r} is {offset:.1f} km from the main line (more than "
                f"settings.station_snap_km = {settings.station_snap_km} km)"
            )
        return chainage, offset

    def border_start(self, origin: str) -> float | None:
        """Chainage of the main section whose ``from`` is this border, if the data marks one."""
        run = 0.0
        for sid in self.main_ids:
            if self.features.loc[sid].get("from") == origin:
                return run
            run += self.lengths[sid]
        return None

    def origin_chainage(self, origin: str) -> float:
        if origin.startswith("border:") and (start := self.border_start(origin)) is not None:
            return start
        if origin.startswith("border:"):
            pair = set(origin.removeprefix("border:").split("-"))
            if self._crossings is None:
                self._crossings = border_crossings(self.c, self.boundaries)
            cr = self._crossings
            hit = cr[[{a, b} == pair for a, b in zip(cr["from_iso3"], cr["to_iso3"], strict=True)]]
            if len(hit) == 0:
                raise KeyError(f"the line does not cross the {origin[7:]} border")
            return float(hit["chainage_km"].iloc[0])
        return self.station_chainage(origin)[0]

    def measure(self, fig: pd.Series) -> tuple[float, str, str]:
        """Return (measured km, scope in words, why not measurable or '')."""
        feature = fig["feature"]
        whole = feature == self.c.id
        label = "main line" if whole else feature
        measure = fig["measure"]
        try:
            if measure == "length":
                if not whole and self.features.loc[feature].geometry.geom_type == "Point":
                    return np.nan, f"{label} length", "only a point is known for it"
                return (self.total_km if whole else self.lengths[feature]), f"{label} length", ""
            if measure == "length_in_country":
                iso = fig["iso3"]
                km = float(self.by_country(feature).get(iso, 0.0))
                return km, f"{label} in {iso}", ""
            if measure == "distance":
                a, b = self.station_chainage(fig["from"]), self.station_chainage(fig["to"])
                return abs(b[0] - a[0]), f"{fig['from']} → {fig['to']}", ""
            if measure == "chainage":
                here = self.station_chainage(feature)[0]
                origin = self.origin_chainage(str(fig["origin"]))
                return here - origin, f"{feature} chainage from {fig['origin']}", ""
        except KeyError as err:
            return np.nan, f"{label} {measure}", f"cannot be measured: {err}"
        except _NotOnTheLineError as err:
            return np.nan, f"{label} {measure}", f"cannot be measured: {err}"
        return np.nan, f"{label} {measure}", "not a length"


def check(corridor: str | Corridor, boundaries: Any = None) -> CheckReport:
    """Compare every published figure of a corridor with its geometry, and with each other.

    Parameters
    ----------
    corridor
        A corridor id or a ``Corridor`` (e.g. from :meth:`Corridor.from_file`).
    boundaries
        Country polygons for the per-country lengths; default: the embedded ones.

    Returns
    -------
    CheckReport
        ``.table`` (a DataFrame, one row per figure), ``.relations``, ``.disagreements``;
        ``print(report)`` gives the readable text.

    Examples
    --------
    >>> import corridors
    >>> report = corridors.check("china-laos-railway")
    >>> t = report.table
    >>> whole = (t["feature"] == "china-laos-railway") & (t["measure"] == "length")
    >>> t.loc[whole, "published_km"].tolist()
    [1035.0]
    """
    c = corridor if isinstance(corridor, Corridor) else load(corridor)
    if not isinstance(c.geometry, shapely.LineString):
        raise GeometryError(f"corridor {c.id!r}: the main line is not one continuous LineString")
    m = _Measurer(c, boundaries)
    meta = c.meta
    by_country = {k: round(float(v), 3) for k, v in m.by_country(c.id).items()}
    main = c.sections[c.sections["role"] == "main"] if "role" in c.sections else c.sections
    by_section = {sid: round(m.lengths[sid], 3) for sid in main["id"]}
    rows = []
    for _, fig in c.figures.iterrows():
        feature_meta = meta if fig["feature"] == c.id else m.features.loc[fig["feature"]]
        accuracy = feature_meta.get("accuracy")
        error_km = feature_meta.get("error_km")
        value = float(fig["value"]) if fig["measure"] != "info" else np.nan
        unit = str(fig.get("unit") or "")
        measured, scope, why = m.measure(fig)
        if fig["measure"] != "info" and unit != "km":
            measured, why = np.nan, f"unit {unit!r} is not km"
        if fig["measure"] == "info":
            verdict, tol = "not a length", np.nan
        elif not np.isfinite(measured):
            verdict, tol = "not measurable", np.nan
        else:
            tol = m.tolerance_km(fig, measured, accuracy, error_km) + _half_ulp(value)
            origin = str(fig.get("origin", ""))
            if fig["measure"] == "length_in_country" or (
                origin.startswith("border:") and m.border_start(origin) is None
            ):
                tol += 2.0 * _boundary_error_km(m)
            diff = measured - value
            if tol > 0.5 * abs(value):
                verdict = "too coarse"
            elif abs(diff) <= tol:
                verdict = "consistent"
            else:
                verdict = "marginal" if abs(diff) <= 2 * tol else "inconsistent"
        diff_km = measured - value if np.isfinite(measured) else np.nan
        rows.append(
            {
                "figure": fig["id"],
                "feature": fig["feature"],
                "measure": fig["measure"],
                "scope": scope,
                "published_km": value,
                "measured_km": round(measured, 3) if np.isfinite(measured) else np.nan,
                "diff_km": round(diff_km, 3) if np.isfinite(diff_km) else np.nan,
                "diff_pct": round(100 * diff_km / value, 2)
                if np.isfinite(diff_km) and value
                else np.nan,
                "tolerance_km": round(tol, 3) if np.isfinite(tol) else np.nan,
                "verdict": verdict,
                "explanation": why or _explain(verdict, accuracy, error_km),
                "source": fig.get("source"),
                "date": fig.get("date"),
                "confidence": fig.get("confidence"),
                "description": fig.get("description"),
            }
        )
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return CheckReport(
        corridor_id=c.id,
        name=c.name,
        accuracy=meta.get("accuracy"),
        error_km=meta.get("error_km"),
        measured={
            "total_km": round(m.total_km, 3),
            "by_country": by_country,
            "by_section": by_section,
        },
        table=table,
        disagreements=_disagreements(c, table),
        relations=_relations(c, table),
        explanations=_what_differs(c, m, table),
        notes=[
            "lengths are geodesic on WGS84 along the embedded geometry; a traced line cuts the "
            "corners of real curves, so it measures a little short",
            "per-country lengths use Natural Earth 1:10m borders (error ~1–4 km)",
        ]
        if meta.get("accuracy") != "surveyed"
        else [],
    )


def _budget(props: Any, length_km: float) -> dict[str, float]:
    """How many km a section's geometry may be short of the track, by cause."""
    get = props.get
    osm, gaps, stretches = get("osm"), get("gaps"), get("stretches")
    out: dict[str, float] = {}
    if isinstance(osm, dict) and isinstance(gaps, list):
        gap_km = sum(float(g["length_km"]) for g in gaps)
        out["simplified"] = max(0.0, float(osm.get("unsimplified_km", length_km)) - length_km)
        out["gaps"] = GAP_RELATIVE * gap_km
        out["gap_km"] = gap_km
        out["mapped"] = OSM_TRACK_RELATIVE * max(0.0, length_km - gap_km)
    elif isinstance(stretches, list) and stretches:
        for st in stretches:
            km = float(st["to_km"]) - float(st["from_km"])
            key = st["accuracy"]
            out[key] = out.get(key, 0.0) + RELATIVE_TOLERANCE.get(key, 0.10) * km
            out[f"{key}_km"] = out.get(f"{key}_km", 0.0) + km
    return out


def _what_differs(c: Corridor, m: _Measurer, table: pd.DataFrame) -> list[str]:
    """Sentences on what of each length figure the geometry can and cannot account for."""
    out: list[str] = []
    # every section that records how it was built (branches too), not only the main ones
    budgets = {sid: _budget(m.features.loc[sid], m.lengths[sid]) for sid in m.bands}
    if not budgets:
        return []

    def parts(b: dict[str, float]) -> list[str]:
        said = []
        if "simplified" in b:
            said.append(f"simplification removed {b['simplified']:.2f} km")
            if b["gap_km"]:
                said.append(
                    f"{b['gap_km']:.1f} km of unmapped gaps bridged straight hide at most "
                    f"{b['gaps']:.1f} km"
                )
            said.append(f"the mapped track cuts curves by at most {b['mapped']:.1f} km")
        for key in ("traced", "approximate", "schematic"):
            if f"{key}_km" in b:
                rel = RELATIVE_TOLERANCE[key]
                said.append(
                    f"{b[f'{key}_km']:.0f} km {key} may be short by up to {rel:.0%} "
                    f"({b[key]:.1f} km)"
                )
        return said

    def budget_km(b: dict[str, float]) -> float:
        return sum(v for k, v in b.items() if not k.endswith("_km"))

    rows = table[(table["measure"] == "length") & table["measured_km"].notna()]
    branches = c.sections[c.sections["role"] == "branch"] if "role" in c.sections else None
    for feature, group in rows.groupby("feature", sort=False):
        if feature == c.id:
            if m.main_band is None:  # a main section records nothing: no budget for the whole
                continue
            b: dict[str, float] = {}
            for sid in m.main_ids:
                for k, v in budgets[sid].items():
                    b[k] = b.get(k, 0.0) + v
            end = m.features.loc[m.main_ids[-1]].get("to")
        elif feature in budgets:
            b = budgets[feature]
            end = m.features.loc[feature].get("to")
        else:
            continue
        measured = float(group["measured_km"].iloc[0])
        most = budget_km(b)
        label = "the main line" if feature == c.id else str(feature)
        text = (
            f"{label}: {measured:,.1f} km measured; the geometry may be short of the real track "
            f"by at most {most:,.1f} km ({'; '.join(parts(b))}), so the track is "
            f"{measured:,.1f}–{measured + most:,.1f} km."
        )
        beyond = group[group["published_km"] > measured + most]
        if len(beyond):
            cited = ", ".join(
                f"{_num(v)} ({_cite(src, d)})"
                for v, src, d in zip(
                    beyond["published_km"], beyond["source"], beyond["date"], strict=True
                )
            )
            text += (
                f" Longer than that: {cited}. Such a figure measures a longer route than the "
                "line between its end stations (other end points, station approaches, or a "
                "design chainage)"
            )
            if branches is not None:
                ext = branches[branches["from"] == end]
                if len(ext):
                    sid = str(ext["id"].iloc[0])
                    text += (
                        f"; going on along {sid} to its end, for one, makes "
                        f"{measured + m.lengths[sid]:,.1f} km"
                    )
            text += "."
        out.append(text)
    return out


def _boundary_error_km(m: _Measurer) -> float:
    b = embedded_boundaries() if m.boundaries is None else m.boundaries
    if "error_km" in b.columns:
        return float(np.nanmax(b["error_km"].to_numpy(dtype=float)))
    return 0.0


def _explain(verdict: str, accuracy: str | None, error_km: Any) -> str:
    if verdict == "consistent":
        return f"within what a {accuracy or 'user'} geometry (±{error_km} km) can tell"
    if verdict == "marginal":
        return "beyond the geometry's tolerance but within twice it"
    if verdict == "inconsistent":
        return "the geometry does not support this figure"
    if verdict == "too coarse":
        return f"the geometry (±{error_km} km, and the borders') is too coarse to tell"
    return ""


def _disagreements(c: Corridor, table: pd.DataFrame) -> pd.DataFrame:
    cols = ["scope", "count", "min_km", "max_km", "spread_km", "measured_km", "closest_km",
            "closest_source", "values"]  # fmt: skip
    t = table[table["verdict"].isin(["consistent", "marginal", "inconsistent", "too coarse"])]
    out = []
    for scope, group in t.groupby("scope", sort=False):
        values = group["published_km"].to_numpy(dtype=float)
        if len(group) < 2 or values.max() - values.min() <= max(map(_half_ulp, values)) * 2:
            continue
        closest = group.iloc[int(np.argmin(np.abs(group["diff_km"].to_numpy(dtype=float))))]
        out.append(
            {
                "scope": scope,
                "count": len(group),
                "min_km": values.min(),
                "max_km": values.max(),
                "spread_km": round(values.max() - values.min(), 3),
                "measured_km": group["measured_km"].iloc[0],
                "closest_km": closest["published_km"],
                "closest_source": closest["source"],
                "values": [
                    f"{_num(v)} km ({_cite(s, d)})"
                    for v, s, d in zip(
                        group["published_km"], group["source"], group["date"], strict=True
                    )
                ],
            }
        )
    return pd.DataFrame(out, columns=cols)


def _relations(c: Corridor, table: pd.DataFrame) -> pd.DataFrame:
    cols = ["relation", "expression", "parts_km", "whole_km", "diff_km", "holds",
            "measured_whole_km", "supports", "explanation"]  # fmt: skip
    figs = c.figures.set_index("id")
    by_figure = table.set_index("figure")
    out = []
    for rel in c.relations:
        parts = [float(figs.loc[p, "value"]) for p in rel["parts"]]
        whole = float(figs.loc[rel["whole"], "value"])
        total = sum(parts)
        tol = sum(_half_ulp(v) for v in [*parts, whole])
        diff = total - whole
        holds = abs(diff) <= tol
        sign = "=" if holds else "≠"
        expression = f"{' + '.join(_num(p) for p in parts)} = {_num(total)} {sign} {_num(whole)} km"
        mw = float(by_figure["measured_km"].get(rel["whole"], np.nan))
        geo_tol = float(by_figure["tolerance_km"].get(rel["whole"], np.nan))
        supports, verdict = "", ""
        if not holds and np.isfinite(mw):
            # the geometry can only pick a side if its tolerance is under half the gap
            if geo_tol < abs(diff) / 2:
                supports = "whole" if abs(mw - whole) < abs(mw - total) else "sum of parts"
                side = (
                    f"the published whole ({_num(whole)})"
                    if supports == "whole"
                    else (f"the sum of the parts ({_num(total)})")
                )
                verdict = f"The geometry measures {mw:,.1f} km, closer to {side}. "
            else:
                verdict = (
                    f"The geometry ({mw:,.1f} km, ±{geo_tol:,.1f} km) is too coarse to tell "
                    "which is right. "
                )
        explanation = rel.get("description", "")
        if not holds:
            explanation = f"off by {diff:+,.2f} km. {verdict}{explanation}".strip()
        out.append(
            {
                "relation": rel["id"],
                "expression": expression,
                "parts_km": round(total, 3),
                "whole_km": whole,
                "diff_km": round(diff, 3),
                "holds": bool(holds),
                "measured_whole_km": mw,
                "supports": supports,
                "explanation": explanation,
            }
        )
    return pd.DataFrame(out, columns=cols)
