"""The figure check: published figures against the geometry and against each other.

Expected values come from the data files (the published figures, the provenance the sections
record) and from the rules the package documents (the accuracy classes, half a unit of the last
published digit, the verdict bands), never from the report's own numbers.
"""

from __future__ import annotations

import functools
import json
from decimal import Decimal
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

import corridors
from corridors.checks import VERDICTS, length_tolerance_km, provenance_tolerance_km

GEODATA = Path(__file__).resolve().parent.parent / "geodata"
EMBEDDED = sorted(p.stem for p in (GEODATA / "corridors").glob("*.geojson"))
# The documented rules (provenance_tolerance_km's docstring, RELATIVE_TOLERANCE's comment): mapped
# OSM track may be 0.5 % short, a gap bridged straight 10 %, and a stretch of a surveyed / traced /
# approximate / schematic line 0.5 / 3 / 6 / 15 % (10 % for an unknown class); plus what
# simplification removed, plus twice the section's error_km for its two ends.
CLASS_SHARE = {"surveyed": 0.005, "traced": 0.03, "approximate": 0.06, "schematic": 0.15}


def corridor_file(corridor_id: str) -> dict:
    return json.loads((GEODATA / "corridors" / f"{corridor_id}.geojson").read_text("utf-8"))


def published_figures(doc: dict) -> dict[str, dict]:
    """Every figure of a corridor file by id, with the feature it is about."""
    out = {f["id"]: {**f, "feature": doc["corridor"]["id"]} for f in doc["corridor"]["figures"]}
    for feature in doc["features"]:
        props = feature["properties"]
        out.update((f["id"], {**f, "feature": props["id"]}) for f in props.get("figures") or [])
    return out


def half_ulp(value: float) -> float:
    """Half a unit in the last published digit: 1035 -> 0.5, 508.53 -> 0.005."""
    decimals = max(0, -Decimal(str(value)).normalize().as_tuple().exponent)
    return 0.5 * 10.0**-decimals


def as_printed(value: float) -> str:
    """A km figure as the report prints it: 1,018.53, 508.53, 88."""
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def verdict_for(diff: float, tolerance: float, value: float) -> str:
    """The documented verdict bands (checks.VERDICTS)."""
    if tolerance > 0.5 * abs(value):
        return "too coarse"
    if abs(diff) <= tolerance:
        return "consistent"
    return "marginal" if abs(diff) <= 2 * tolerance else "inconsistent"


def osm_band(length, unsimplified, gaps, error_km):
    gap_km = sum(gaps)
    return (
        max(0.0, unsimplified - length) + 0.10 * gap_km + 0.005 * (length - gap_km) + 2 * error_km
    )


def expected_band(props, length: float) -> float | None:
    """A section's tolerance from its recorded provenance, by the documented rules."""
    error_km = props.get("error_km")
    ends = 0.0 if error_km is None or not np.isfinite(error_km) else 2 * float(error_km)
    if isinstance(props.get("osm"), dict) and isinstance(props.get("gaps"), list):
        gaps = [g["length_km"] for g in props["gaps"]]
        return osm_band(length, props["osm"].get("unsimplified_km", length), gaps, 0.0) + ends
    if isinstance(props.get("stretches"), list) and props["stretches"]:
        return ends + sum(
            CLASS_SHARE.get(s["accuracy"], 0.10) * (s["to_km"] - s["from_km"])
            for s in props["stretches"]
        )
    return None


@functools.cache
def embedded_report(corridor_id: str) -> corridors.CheckReport:
    """The check of an embedded corridor, once per session (the tests only read it)."""
    return corridors.check(corridor_id)


def _sections(c) -> dict:
    return {r["id"]: r for _, r in c.sections.iterrows()}


@pytest.mark.parametrize("corridor_id", EMBEDDED)
def test_whole_line_lengths_against_the_geometry(corridor_id):
    """Each published length of a whole line: measured, tolerance and verdict, recomputed."""
    doc = corridor_file(corridor_id)
    c = corridors.load(corridor_id)
    figures = {
        fid: f
        for fid, f in published_figures(doc).items()
        if f["feature"] == corridor_id and f["measure"] == "length"
    }
    t = embedded_report(corridor_id).table.set_index("figure")
    measured = corridors.length_km(c)
    sections = _sections(c)
    mains = [s for s, r in sections.items() if r["role"] == "main"]
    bands = [expected_band(sections[s], corridors.length_km(sections[s].geometry)) for s in mains]
    if all(b is not None for b in bands):
        geometry_tolerance = sum(bands)
    else:  # the accuracy class of the whole line, plus twice its error for the two ends
        meta = doc["corridor"]
        share = CLASS_SHARE.get(meta["accuracy"], 0.10)
        geometry_tolerance = share * measured + 2 * meta["error_km"]
    for fid, fig in figures.items():
        row = t.loc[fid]
        assert row["published_km"] == fig["value"], fid
        assert row["measured_km"] == pytest.approx(measured, abs=1e-3), fid
        assert row["diff_km"] == pytest.approx(measured - fig["value"], abs=2e-3), fid
        tolerance = geometry_tolerance + half_ulp(fig["value"])
        assert row["tolerance_km"] == pytest.approx(tolerance, abs=2e-3), fid
        assert row["verdict"] == verdict_for(measured - fig["value"], tolerance, fig["value"]), fid


def test_every_figure_is_in_the_table_with_a_measure_or_a_reason(clr):
    table = corridors.check(clr).table
    assert sorted(table["figure"]) == sorted(published_figures(corridor_file(clr.id)))
    assert set(table["verdict"]) <= set(VERDICTS)
    lengths = table[table["measure"] != "info"]
    assert (lengths["measured_km"].notna() | (lengths["verdict"] == "not measurable")).all()
    assert (table.loc[table["measure"] == "info", "verdict"] == "not a length").all()


@pytest.mark.parametrize("corridor_id", EMBEDDED)
def test_relations_add_up_or_not_as_the_published_figures_do(corridor_id):
    doc = corridor_file(corridor_id)
    figures = published_figures(doc)
    rel = embedded_report(corridor_id).relations.set_index("relation")
    assert sorted(rel.index) == sorted(r["id"] for r in doc["corridor"].get("relations", []))
    for r in doc["corridor"].get("relations", []):
        parts = [figures[p]["value"] for p in r["parts"]]
        whole = figures[r["whole"]]["value"]
        holds = abs(sum(parts) - whole) <= sum(half_ulp(v) for v in [*parts, whole])
        row = rel.loc[r["id"]]
        assert row["holds"] == holds, r["id"]
        assert row["parts_km"] == pytest.approx(sum(parts), abs=1e-3)
        assert row["diff_km"] == pytest.approx(sum(parts) - whole, abs=1e-3)
        sign = "=" if holds else "≠"
        printed = " + ".join(as_printed(v) for v in parts)
        assert row["expression"] == (
            f"{printed} = {as_printed(sum(parts))} {sign} {as_printed(whole)} km"
        )


def test_the_china_laos_sections_do_not_add_up_to_the_published_total(clr):
    # the contradiction the package is about: the published section lengths (88 + 508.53 + 422)
    # do not make the published 1,035 km, while the published country split (613 + 422) does
    rel = corridors.check(clr).relations.set_index("relation")
    assert not rel.loc["rel-sections-total", "holds"]
    assert rel.loc["rel-country-split", "holds"]
    assert "≠" in str(corridors.check(clr))


@pytest.mark.parametrize("corridor_id", EMBEDDED)
def test_quantities_published_with_different_values_are_listed(corridor_id):
    figures = published_figures(corridor_file(corridor_id))
    c = corridors.load(corridor_id)
    d = embedded_report(corridor_id).disagreements.set_index("scope")
    sections = set(c.sections["id"])
    for section in sections:
        values = [
            f["value"]
            for f in figures.values()
            if f["feature"] == section and f["measure"] == "length" and f["unit"] == "km"
        ]
        scope = f"{section} length"
        if len(values) < 2 or max(values) - min(values) <= 2 * max(map(half_ulp, values)):
            assert scope not in d.index, scope
            continue
        row = d.loc[scope]
        assert (row["count"], row["min_km"], row["max_km"]) == (
            len(values),
            min(values),
            max(values),
        )
        assert row["spread_km"] == pytest.approx(max(values) - min(values), abs=1e-3)


def test_report_text_json_and_html(clr):
    report = corridors.check(clr)
    published = published_figures(corridor_file(clr.id))
    text = str(report)
    for f in published.values():
        if f["feature"] == clr.id and f["measure"] == "length":
            assert f"published {as_printed(f['value'])} km (" in text, f["id"]
    assert "do the published figures add up?" in text and "CHN" in text and "LAO" in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["measured"]["total_km"] == pytest.approx(corridors.length_km(clr), abs=1e-3)
    assert len(data["figures"]) == len(published)
    assert "<table" in report._repr_html_()


def test_per_country_figures_are_measured_by_the_split_by_country(clr):
    by = corridors.split_by_country(clr).groupby("iso3")["length_km"].sum()
    assert by.sum() == pytest.approx(corridors.length_km(clr), rel=1e-7)
    published = {
        fid: f
        for fid, f in published_figures(corridor_file(clr.id)).items()
        if f["feature"] == clr.id and f["measure"] == "length_in_country"
    }
    assert published  # the data publishes a split by country
    t = corridors.check(clr).table.set_index("figure")
    for fid, fig in published.items():
        assert t.loc[fid, "published_km"] == fig["value"]
        assert t.loc[fid, "measured_km"] == pytest.approx(by.get(fig["iso3"], 0.0), abs=1e-3)
        assert t.loc[fid, "scope"] == f"main line in {fig['iso3']}"


@pytest.mark.parametrize("corridor_id", EMBEDDED)
def test_every_embedded_corridor_checks(corridor_id):
    report = embedded_report(corridor_id)
    assert report.measured["total_km"] == pytest.approx(
        corridors.length_km(corridors.load(corridor_id)), abs=1e-3
    )
    # the country pieces make the whole line, up to the slivers the borders leave out at sea
    assert sum(report.measured["by_country"].values()) == pytest.approx(
        report.measured["total_km"], rel=0.02
    )


def test_verdicts_follow_the_tolerance():
    # a 100 km surveyed line: tolerance 0.5 km + rounding
    line = shapely.LineString([(102, 18), (102, 18.9)])
    km = corridors.length_km(line)
    gdf = gpd.GeoDataFrame({"accuracy": ["surveyed"], "error_km": [0.0]}, geometry=[line], crs=4326)
    c = corridors.Corridor.from_geodataframe(gdf, id="probe")
    for value, verdict in (
        (round(km, 1), "consistent"),
        (km * 1.007, "marginal"),
        (km * 1.05, "inconsistent"),
    ):
        c.figures = c.figures.iloc[0:0]
        c.meta["figures"] = [
            {"id": "f", "value": value, "unit": "km", "measure": "length", "source": "test"}
        ]
        c2 = corridors.Corridor(c.id, c.name, c.to_geodataframe().drop(columns="corridor"), c.meta)
        assert corridors.check(c2).table["verdict"].iloc[0] == verdict, value
    assert length_tolerance_km(100, "surveyed", 0) == 0.5
    assert length_tolerance_km(100, None, None) == 10.0


def test_a_users_file_without_figures_checks_cleanly(tmp_path):
    gdf = gpd.GeoDataFrame(geometry=[shapely.LineString([(102.6, 18.0), (102.4, 18.9)])], crs=4326)
    report = corridors.check(corridors.Corridor.from_geodataframe(gdf, id="mine"))
    assert len(report.table) == 0 and len(report.relations) == 0
    assert "mine" in str(report)
    assert np.isfinite(report.measured["total_km"])


# -- provenance: tolerances from how each section was built -------------------------------------
@pytest.mark.parametrize(
    ("length", "unsimplified", "gaps", "error_km"),
    [
        (100.0, 101.2, [2.0, 0.5], 0.3),
        (408.8, 409.0, [0.46, 2.55, 11.0], 1.05),
        (5.0, 4.9, [], 0.05),
    ],
)
def test_provenance_tolerance_of_an_osm_section(length, unsimplified, gaps, error_km):
    props = {
        "error_km": error_km,
        "osm": {
            "extracts": ["lao"],
            "ways": 3,
            "simplified_m": 25.0,
            "unsimplified_km": unsimplified,
        },
        "gaps": [
            {"start_km": 1.0, "end_km": 1.0 + g, "length_km": g, "error_km": 0.1} for g in gaps
        ],
    }
    expected = osm_band(length, unsimplified, gaps, error_km)
    assert provenance_tolerance_km(props, length) == pytest.approx(expected, abs=1e-3)
    # the same from a GeoDataFrame row, as check() reads a section
    row = gpd.GeoDataFrame([props], geometry=[shapely.Point(0, 0)], crs=4326).iloc[0]
    assert provenance_tolerance_km(row, length) == pytest.approx(expected, abs=1e-3)
    # a section that does not say what simplification removed has lost nothing to it
    no_raw = {**props, "osm": {"extracts": ["lao"]}}
    assert provenance_tolerance_km(no_raw, length) == pytest.approx(
        osm_band(length, length, gaps, error_km), abs=1e-3
    )


@pytest.mark.parametrize(
    "stretches",
    [
        [("traced", 0.0, 60.0)],
        [("approximate", 0.0, 36.1), ("traced", 36.1, 77.94)],
        [
            ("traced", 0.0, 7.58),
            ("approximate", 7.58, 18.9),
            ("schematic", 18.9, 30.0),
            ("surveyed", 30.0, 31.0),
            ("unknown", 31.0, 40.0),
        ],
    ],
)
@pytest.mark.parametrize("error_km", [0.0, 1.0, None, float("nan")])
def test_provenance_tolerance_of_a_section_made_of_stretches(stretches, error_km):
    props = {
        "error_km": error_km,
        "stretches": [
            {"from_km": a, "to_km": z, "accuracy": acc, "error_km": 1.0} for acc, a, z in stretches
        ],
    }
    ends = 0.0 if error_km is None or np.isnan(error_km) else 2 * error_km
    expected = sum(CLASS_SHARE.get(acc, 0.10) * (z - a) for acc, a, z in stretches) + ends
    length = stretches[-1][2]
    assert provenance_tolerance_km(props, length) == pytest.approx(expected, abs=1e-3)


def test_a_section_that_records_no_provenance_has_none():
    assert provenance_tolerance_km({"error_km": 1.0}, 10.0) is None
    assert provenance_tolerance_km({"error_km": 1.0, "stretches": []}, 10.0) is None
    assert provenance_tolerance_km({"osm": {"unsimplified_km": 10.0}}, 10.0) is None  # no gaps list
    assert provenance_tolerance_km(None, 10.0) is None


def _budget_km(props, length) -> float:
    """How much shorter than the track a section's geometry can be: its band without the ends."""
    if isinstance(props.get("osm"), dict):
        gaps = [g["length_km"] for g in props["gaps"]]
        return osm_band(length, props["osm"]["unsimplified_km"], gaps, 0.0)
    return sum(
        CLASS_SHARE.get(s["accuracy"], 0.10) * (s["to_km"] - s["from_km"])
        for s in props["stretches"]
    )


def test_section_and_main_line_tolerances_come_from_provenance(clr):
    report = corridors.check(clr)
    t = report.table
    sections = _sections(clr)
    mains = [s for s, r in sections.items() if r["role"] == "main"]
    lengths = {s: corridors.length_km(sections[s].geometry) for s in sections}
    bands = {s: expected_band(sections[s], lengths[s]) for s in sections}
    assert all(b is not None for b in bands.values())
    for _, row in t[(t["measure"] == "length") & t["feature"].isin([*sections, clr.id])].iterrows():
        band = sum(bands[s] for s in mains) if row["feature"] == clr.id else bands[row["feature"]]
        # plus half a unit of the figure's last published digit
        assert row["tolerance_km"] == pytest.approx(
            band + half_ulp(row["published_km"]), abs=2e-3
        ), row["figure"]


def test_explanations_say_which_published_lengths_lie_beyond_the_geometry(clr):
    report = corridors.check(clr)
    t = report.table
    sections = _sections(clr)
    mains = [s for s, r in sections.items() if r["role"] == "main"]
    lengths = {s: corridors.length_km(sections[s].geometry) for s in sections}
    budgets = {s: _budget_km(sections[s], lengths[s]) for s in sections}
    budgets[clr.id] = sum(budgets[s] for s in mains)
    measured = t[(t["measure"] == "length") & t["measured_km"].notna()]
    explained = [f for f in measured["feature"].unique() if f in budgets]
    assert clr.id in explained and "boten-vientiane" in explained
    assert len(report.explanations) == len(explained)  # one each, nothing else
    for feature in explained:
        label = "the main line" if feature == clr.id else feature
        (text,) = [e for e in report.explanations if e.startswith(f"{label}: ")]
        rows = measured[measured["feature"] == feature]
        got = float(rows["measured_km"].iloc[0])
        top = got + budgets[feature]
        assert f"{got:,.1f}–{top:,.1f} km" in text, text
        beyond = rows[rows["published_km"] > top + 0.05]["published_km"]
        within = rows[rows["published_km"] < top - 0.05]["published_km"]
        assert ("Longer than that:" in text) == (len(beyond) > 0), text
        tail = text.split("Longer than that:")[-1] if len(beyond) else ""
        for v in beyond:
            assert f" {v:,.3f}".rstrip("0").rstrip(".") + " (" in tail, (v, text)
        for v in within:
            assert f" {v:,.3f}".rstrip("0").rstrip(".") + " (" not in tail, (v, text)
    # the published 1,035 km is a longer route than the whole line can be
    whole = measured[measured["feature"] == clr.id]
    assert (whole["published_km"] > whole["measured_km"] + budgets[clr.id]).any()


# -- one join tolerance for the schema and the main line -----------------------------------------
def _with_gap(doc: dict, gap_deg: float) -> dict:
    """The file with the second main section's first vertex moved ``gap_deg`` east."""
    doc = json.loads(json.dumps(doc))
    mains = sorted(
        (f for f in doc["features"] if f["properties"].get("role") == "main"),
        key=lambda f: f["properties"]["order"],
    )
    mains[1]["geometry"]["coordinates"][0][0] += gap_deg
    return doc


def test_a_file_that_validates_has_a_main_line_that_check_can_measure(tmp_path, monkeypatch):
    doc = corridor_file("china-laos-railway")
    tolerance = corridors.settings.join_tolerance_deg
    path = tmp_path / "gap.geojson"
    path.write_text(json.dumps(_with_gap(doc, tolerance / 2)), "utf-8")  # 5e-7° by default
    c = corridors.Corridor.from_file(path)  # validates
    assert isinstance(c.geometry, shapely.LineString)
    report = corridors.check(c)  # and the check measures it, rather than raising
    sections = c.sections[c.sections["role"] == "main"]
    assert report.measured["total_km"] == pytest.approx(
        corridors.length_km(sections).sum(), abs=1e-3
    )
    # a gap over the tolerance is refused by the schema, naming the setting
    path.write_text(json.dumps(_with_gap(doc, tolerance * 2)), "utf-8")
    with pytest.raises(corridors.SchemaError, match=r"settings\.join_tolerance_deg"):
        corridors.Corridor.from_file(path)
    # one setting moves both: with a tighter one the same 5e-7° gap fails validation ...
    path.write_text(json.dumps(_with_gap(doc, tolerance / 2)), "utf-8")
    monkeypatch.setattr(corridors.settings, "join_tolerance_deg", tolerance / 10)
    with pytest.raises(corridors.SchemaError, match="does not start where"):
        corridors.Corridor.from_file(path)
    # ... and the same lines no longer join into one main line
    gdf = gpd.GeoDataFrame(geometry=list(sections.geometry), crs=4326)
    assert not isinstance(corridors.Corridor.from_geodataframe(gdf).geometry, shapely.LineString)


def test_stations_off_the_main_line_are_not_measured(monkeypatch):
    line = shapely.LineString([(102.0, 18.0), (102.0, 18.5)])
    on = shapely.Point(102.0, 18.1)
    off = shapely.Point(102.05, 18.4)  # about 5.3 km east of the line
    off_km = corridors.offset_km(line, off)
    gdf = gpd.GeoDataFrame(
        {"name": [None, "On", "Off"], "accuracy": "surveyed", "error_km": 0.0},
        geometry=[line, on, off],
        crs=4326,
    )
    c = corridors.Corridor.from_geodataframe(gdf, id="probe")
    c.meta["figures"] = [
        {"id": "d", "value": 33.0, "unit": "km", "measure": "distance", "from": "on", "to": "off",
         "source": "test"},
    ]  # fmt: skip
    c = corridors.Corridor(c.id, c.name, c.to_geodataframe().drop(columns="corridor"), c.meta)
    monkeypatch.setattr(corridors.settings, "station_snap_km", off_km - 0.5)
    row = corridors.check(c).table.iloc[0]
    assert row["verdict"] == "not measurable"
    assert "settings.station_snap_km" in row["explanation"]
    with pytest.raises(corridors.GeometryError, match="station_snap_km"):
        corridors.distance_km(c, "on", "off")  # the same limit as distance_km's
    monkeypatch.setattr(corridors.settings, "station_snap_km", off_km + 0.5)
    row = corridors.check(c).table.iloc[0]
    assert row["measured_km"] == pytest.approx(corridors.distance_km(c, "on", "off"), abs=1e-3)
