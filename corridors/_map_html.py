"""Every string a map page shows: tooltips, popups, the legend, its CSS, the data credit.

All escaping happens here, in Python, before folium sees a string: every value that comes from
data (names, statuses, sources, a user's file) goes through :func:`esc` (HTML and Jinja
markup), and every value that becomes part of a CSS class through :func:`css_class`. The
functions return HTML strings (or columns of them) and import nothing of folium, so the layers
(:mod:`corridors._map_layers`) only place them.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from corridors._map_style import DATA_ATTRIBUTION, DATA_ATTRIBUTION_URL, DEFAULT_POINT_LAYERS, STYLE
from corridors.comparison import Deviation
from corridors.corridor import Corridor

__all__ = [
    "LEGEND_CSS",
    "attribution_literal",
    "border_tips",
    "crossing_tips",
    "css_class",
    "deviation_line_tips",
    "deviation_sample_tips",
    "esc",
    "figures_table",
    "legend_html",
    "point_popups",
    "point_tips",
    "route_texts",
    "section_properties",
    "station_tips",
]

LEGEND_CSS = """
.corridors-legend{position:absolute;z-index:1000;bottom:30px;right:10px;background:#fff;
padding:8px 10px;border-radius:6px;box-shadow:0 1px 5px rgba(0,0,0,.35);
font:12px/1.35 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#222;max-width:260px}
.corridors-legend h4{margin:0 0 4px;font-size:13px}
.corridors-legend .row{display:flex;align-items:center;gap:6px;margin:2px 0}
.corridors-legend svg{flex:none}
.corridors-dry-port,.corridors-gate,.corridors-seaport,.corridors-point{background:none;border:none}
.corridors-point span{display:block;width:10px;height:10px;border-radius:50%;
background:#6a3d9a;border:2px solid #fff;box-shadow:0 0 0 1px #6a3d9a}
.corridors-dry-port span{display:block;width:10px;height:10px;background:#2a9d8f;
border:2px solid #fff;box-shadow:0 0 0 1px #1d6f65}
.corridors-gate span{display:block;width:10px;height:10px;background:#e9c46a;
border:1px solid #7a5c00;transform:rotate(45deg)}
.corridors-seaport span{display:block;width:12px;height:12px;border-radius:50%;
background:#264653;border:2px solid #fff;box-shadow:0 0 0 1px #264653}
.corridors-popup{font:12px/1.4 system-ui,sans-serif;max-width:420px}
.corridors-popup table{border-collapse:collapse;margin:4px 0}
.corridors-popup td,.corridors-popup th{border-bottom:1px solid #ddd;padding:1px 4px;
text-align:left;vertical-align:top}
.corridors-popup .v-consistent{color:#1a7f37}.corridors-popup .v-marginal{color:#9a6700}
.corridors-popup .v-inconsistent{color:#cf222e}
"""

FIGURE_COLUMNS = ["feature", "scope", "published_km", "measured_km", "verdict", "source"]
_SECTION_COLUMNS = ["id", "name", "status", "role", "sources", "accuracy", "error_km"]
_POINT_COLUMNS = [
    "name",
    "kind",
    "status",
    "country",
    "countries",
    "accuracy",
    "error_km",
    "sources",
]


# -- escaping ----------------------------------------------------------------------------------
def esc(value: Any) -> str:
    """``value`` as HTML text, quotes and braces included; ``""`` for None, NaN and infinities.

    ``{`` becomes ``&#123;``: branca renders every piece of a page as a Jinja template once more,
    so a name like ``{{ 7*7 }}`` would otherwise be evaluated (and show as 49) while the map is
    made. The browser shows ``&#123;`` as ``{``.
    """
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    return html.escape(str(value), quote=True).replace("{", "&#123;")


def css_class(value: Any) -> str:
    """A safe CSS class fragment: lower-case letters, digits and hyphens only."""
    text = str(value or "unknown").lower()
    return "".join(ch if ch.isalnum() else "-" for ch in text)[:40]


def _sources(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _items(values: Iterable[Any]) -> str:
    return "".join(f"<li>{esc(s)}</li>" for s in values)


def _accuracy(row: dict[str, Any]) -> str:
    """'geometry traced ±1.5 km', or 'accuracy not given' for user data without it (plain text)."""
    acc, err = row.get("accuracy"), row.get("error_km")
    if not isinstance(acc, str) or not acc:
        return "accuracy not given"
    known = isinstance(err, int | float) and np.isfinite(err)
    return f"geometry {acc}" + (f" ±{err:g} km" if known else "")


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts of plain Python values, keyed by those of ``columns`` it has.

    A column the frame lacks is no key at all, so ``row.get(name)`` gives None, as on a row of
    ``iterrows``; one ``tolist`` per column instead of a Series per row.
    """
    present = [c for c in columns if c in frame.columns]
    if not present:
        return [{} for _ in range(len(frame))]
    values = [frame[c].tolist() for c in present]
    return [dict(zip(present, row, strict=True)) for row in zip(*values, strict=True)]


# -- corridors ---------------------------------------------------------------------------------
def figures_table(rows: pd.DataFrame) -> str:
    """The published figures (rows of a check table) against the measured ones, as a table."""
    rows = rows[rows["verdict"] != "not a length"]
    if len(rows) == 0:
        return ""
    cells = "".join(
        f"<tr><td>{esc(scope)}</td><td>{f'{published:,.3f}'.rstrip('0').rstrip('.')}</td>"
        f"<td>{'' if pd.isna(measured) else f'{measured:,.1f}'}</td>"
        f"<td class='v-{css_class(verdict)}'>{esc(verdict)}</td><td>{esc(source)}</td></tr>"
        for scope, published, measured, verdict, source in zip(
            rows["scope"],
            rows["published_km"],
            rows["measured_km"],
            rows["verdict"],
            rows["source"],
            strict=True,
        )
    )
    return (
        "<table><tr><th>figure</th><th>published km</th><th>measured km</th><th>verdict</th>"
        f"<th>source</th></tr>{cells}</table>"
    )


def section_properties(c: Corridor, km: Sequence[float], figures: pd.DataFrame) -> pd.DataFrame:
    """Tooltip, popup and style classes of every section of ``c``, in the order of its rows.

    ``km`` is each section's measured length, ``figures`` the corridor's check table.
    """
    tables = {
        feature: figures_table(rows) for feature, rows in figures.groupby("feature", sort=False)
    }
    whole = tables.get(c.id, "")
    status_default = c.meta.get("status")
    records = []
    for row, k in zip(
        _records(c.sections, _SECTION_COLUMNS), km, strict=True
    ):  # a handful of sections
        status = row.get("status") or status_default
        role = row.get("role")
        sources = _sources(row.get("sources"))
        popup = "".join(
            [
                f"<div class='corridors-popup'><b>{esc(row['name'])}</b><br>",
                f"{esc(c.name)} · {esc(role or 'main')} section · {esc(status)}<br>",
                f"measured {k:,.1f} km (geodesic, WGS84) · {esc(_accuracy(row))}",
                tables.get(row["id"], ""),
                f"<br><i>whole corridor</i>{whole}" if role == "main" and c.id in tables else "",
                f"<br><i>sources</i><ul>{_items(sources)}</ul>" if sources else "",
                "</div>",
            ]
        )
        records.append(
            {
                "tip": f"<b>{esc(row['name'])}</b><br>{esc(status)} · {k:,.1f} km",
                "popup": popup,
                "status": css_class(status),
                "role": css_class(role or "main"),
            }
        )
    return pd.DataFrame.from_records(records, columns=["tip", "popup", "status", "role"])


def station_tips(stations: gpd.GeoDataFrame, chainage_km: Sequence[float] | None) -> list[str]:
    """Each station's name, and its km along the main line when known."""
    names = [f"<b>{esc(n)}</b>" for n in stations["name"]]
    if chainage_km is None:
        return names
    return [f"{n}<br>km {k:,.1f}" for n, k in zip(names, chainage_km, strict=True)]


def crossing_tips(cr: gpd.GeoDataFrame) -> list[str]:
    """Each border crossing: which way, at what km, and the nearest border gate."""
    return [
        f"<b>{esc(a)} → {esc(b)}</b> at km {k:,.1f}<br>nearest gate: {esc(g)} ({d:,.1f} km)"
        for a, b, k, g, d in zip(
            cr["from_iso3"],
            cr["to_iso3"],
            cr["chainage_km"],
            cr["gate_name"],
            cr["gate_distance_km"],
            strict=True,
        )
    ]


def border_tips(b: gpd.GeoDataFrame) -> list[str]:
    """Each country's name and ISO code."""
    return [f"<b>{esc(n)}</b> ({esc(i)})" for n, i in zip(b["name"], b["iso3"], strict=True)]


# -- points, routes, deviations ----------------------------------------------------------------
def point_tips(label: str, gdf: gpd.GeoDataFrame) -> list[str]:
    """Each point's name (the layer's label for points without one)."""
    names = gdf["name"] if "name" in gdf.columns else [label] * len(gdf)
    return [f"<b>{esc(n)}</b>" for n in names]


def point_popups(gdf: gpd.GeoDataFrame) -> list[str]:
    """Each point's kind, status, country or countries, accuracy and sources."""
    out = []
    for row in _records(gdf, _POINT_COLUMNS):
        countries = row.get("countries")
        fields = [
            ("kind", row.get("kind")),
            ("status", row.get("status")),
            ("country", row.get("country")),
            ("countries", " – ".join(countries) if isinstance(countries, list) else None),
            ("accuracy", _accuracy(row)),
        ]
        lines = "".join(f"{k}: {esc(v)}<br>" for k, v in fields if v is not None and v == v)
        src = _items(_sources(row.get("sources")))
        name = row.get("name", "")
        out.append(
            f"<div class='corridors-popup'><b>{esc(name)}</b><br>{lines}<ul>{src}</ul></div>"
        )
    return out


def route_texts(r: Any, legs: pd.DataFrame) -> tuple[str, str]:
    """A route's summary (its tooltip) and its popup: the totals and a table of its legs."""
    summary = (
        f"<b>{esc(r.names[0])} → {esc(r.names[1])}</b><br>{esc(r.scenario)}, by "
        f"{esc(r.weight)}: {r.length_km:,.1f} km, {r.travel_time_h:,.1f} h"
    )
    by_country = ", ".join(f"{esc(k)} {v:,.1f} km" for k, v in r.km_by_country.items())
    rows = "".join(
        f"<tr><td>{int(leg)}</td><td>{esc(corridor)}</td><td>{esc(mode)}</td>"
        f"<td>{esc(status)}</td><td>{km:,.1f}</td><td>{h:,.1f}</td></tr>"
        for leg, corridor, mode, status, km, h in zip(
            legs["leg"],
            legs["corridor"],
            legs["mode"],
            legs["status"],
            legs["length_km"],
            legs["travel_time_h"],
            strict=True,
        )
    )
    popup = (
        f"<div class='corridors-popup'>{summary}<br>by country: {by_country}<table><tr><th>leg</th>"
        f"<th>corridor</th><th>mode</th><th>status</th><th>km</th><th>h</th></tr>{rows}</table></div>"
    )
    return summary, popup


def _deviation_labels(d: Deviation) -> dict[str, str]:
    names = {"line": d.names[0], "reference": d.names[1]}
    return {k: esc(n) if n == k else f"{esc(n)} ({k})" for k, n in names.items()}


def deviation_line_tips(d: Deviation) -> list[str]:
    """The tooltips of a deviation's two lines: the reference first, then the line."""
    labels, s = _deviation_labels(d), d.summary
    return [
        f"<b>{labels['reference']}</b><br>{s['reference_km']:,.1f} km",
        f"<b>{labels['line']}</b><br>{s['line_km']:,.1f} km · median offset "
        f"{s['median_km']:,.2f} km, max {s['max_km']:,.2f} km",
    ]


def deviation_sample_tips(d: Deviation) -> list[str]:
    """Each sample of a deviation: which line, at what km, how far from the other line."""
    labels, samples = _deviation_labels(d), d.samples
    return [
        f"<b>{labels[o]}</b><br>km {k:,.2f} · offset {v:,.3f} km"
        for o, k, v in zip(
            samples["of"], samples["chainage_km"], samples["offset_km"].to_numpy(), strict=True
        )
    ]


# -- legend and credit -------------------------------------------------------------------------
def _line_sample(color: str, dash: str | None, opacity: float = 0.95) -> str:
    d = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<svg width="34" height="10"><line x1="2" y1="5" x2="32" y2="5" stroke="{color}" '
        f'stroke-width="4" stroke-linecap="round" stroke-opacity="{opacity}"{d}/></svg>'
    )


def _circle(r: float, fill: str, stroke: str, height: int, label: str) -> str:
    return (
        f"<div class='row'><svg width='34' height='{height}'><circle cx='17' cy='{height // 2}' "
        f"r='{r:g}' fill='{fill}' stroke='{stroke}' stroke-width='2'/></svg>{label}</div>"
    )


def legend_html(
    corridor_list: Sequence[Corridor],
    points: Sequence[tuple[str, str]],
    title: str | None,
    *,
    route: bool = False,
    ramp: tuple[Sequence[str], float, float] | None = None,
    crossings: bool = True,
    deviations: Sequence[Deviation] = (),
) -> str:
    """The legend's content: only what the map shows.

    Parameters
    ----------
    corridor_list
        The corridors drawn (their modes, statuses, roles and stations decide the rows).
    points
        ``(label, css class)`` of each point layer drawn.
    title
        The heading (default "corridors").
    route
        Whether a route is drawn.
    ramp
        The deviation samples' colour scale: seven colours, the smallest and largest offset.
    crossings
        Whether border crossings are drawn.
    deviations
        The deviations drawn: their two lines get a row each.
    """
    rows = [f"<div class='row'>{_line_sample('#ff7f00', None)}route</div>"] if route else []
    if ramp is not None:
        colors, lo, hi = ramp
        rows.append(
            "<div class='row corridors-deviation-scale'><span style='flex:none;width:34px;"
            "height:10px;border-radius:2px;background:linear-gradient(to right,"
            f"{','.join(colors)})'></span>offset {lo:,.2f} – {hi:,.2f} km (deviation)</div>"
        )
    for d in deviations:  # which line is which: solid the line, dashed the reference
        for name, dash in ((d.names[0], None), (d.names[1], "6 5")):
            rows.append(f"<div class='row'>{_line_sample('#444444', dash, 0.8)}{esc(name)}</div>")
    modes = {c.meta.get("mode") for c in corridor_list}
    for mode, label in (("rail", "railway"), ("road", "expressway / road")):
        if mode in modes:
            rows.append(
                f"<div class='row'>{_line_sample(STYLE['colors'][mode][0], None)}{label}</div>"
            )
    statuses = {
        str(s or c.meta.get("status"))
        for c in corridor_list
        for s in (c.sections["status"] if "status" in c.sections else [None] * len(c.sections))
    }
    for status in ("operational", "under-construction", "planned", "proposed"):
        if status in statuses:
            sample = _line_sample("#555", STYLE["dash"][status])
            rows.append(f"<div class='row'>{sample}{status.replace('-', ' ')}</div>")
    if any(
        (c.sections["role"] == "alternative").any() for c in corridor_list if "role" in c.sections
    ):
        rows.append(
            f"<div class='row'>{_line_sample('#555', None, 0.45)}alternative alignment</div>"
        )
    # only the markers the map can show: a map of deviations alone has no station or crossing
    if any(len(c.stations) for c in corridor_list):
        rows.append(_circle(4.5, "#fff", "#555", 12, "station"))
    if any((c.stations["kind"] != "station").any() for c in corridor_list if len(c.stations)):
        rows.append(_circle(4.5, "#555", "#555", 12, "freight station / junction"))
    if route or (crossings and corridor_list):
        rows.append(_circle(6, "#ffd400", "#111", 14, "border crossing (computed)"))
    defaults = {(label, css): text for label, css, text in DEFAULT_POINT_LAYERS}
    for label, css in points:
        rows.append(
            f"<div class='row'><span style='width:34px;display:flex;justify-content:center'>"
            f"<span class='{css}' style='display:block'><span></span></span></span>"
            f"{esc(defaults.get((label, css), label))}</div>"
        )
    heading = f"<h4>{esc(title)}</h4>" if title else "<h4>corridors</h4>"
    return heading + "".join(rows)


def attribution_literal() -> str:
    """The data credit, linked, as a JavaScript string literal safe inside a ``<script>``."""
    link = (
        f'<a href="{esc(DATA_ATTRIBUTION_URL)}" target="_blank" rel="noopener">'
        f"{esc(DATA_ATTRIBUTION)}</a>"
    )
    return json.dumps(link, ensure_ascii=False).replace("</", "<\\/")
