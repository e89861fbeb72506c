"""The figure check: published figures against the geometry and against each other."""

from __future__ import annotations

import json
from decimal import Decimal

import geopandas as gpd
import numpy as np
import pytest
import shapely

import corridors
from corridors.check import length_tolerance_km, provenance_tolerance_km


def test_the_1035_km_check(clr):
    report = corridors.check(clr)
    t = report.table
    total = t[
        (t["feature"] == clr.id) & (t["measure"] == "length") & (t["published_km"] == 1035)
    ].iloc[0]
    assert total["published_km"] == 1035
    assert total["measured_km"] == pytest.approx(corridors.length_km(clr), abs=1e-3)
    assert total["diff_km"] == pytest.approx(total["measured_km"] - 1035, abs=1e-3)
    # the embedded trace is "approximate" (smoothed between stations, so it measures short): the
    # verdict must follow the tolerance that accuracy class allows, not a fixed answer
    tol = total["tolerance_km"]
    expected = (
        "consistent"
        if abs(total["diff_km"]) <= tol
        else "marginal"
        if abs(total["diff_km"]) <= 2 * tol
        else "inconsistent"
    )
    assert total["verdict"] == expected
    assert total["verdict"] != "inconsistent"
    # every km figure got a measured value or a reason why not
    lengths = report.table[report.table["measure"] != "info"]
    assert (lengths["measured_km"].notna() | (lengths["verdict"] == "not measurable")).all()
    assert set(report.table["verdict"]) <= set(corridors.check.__globals__["VERDICTS"])


def test_the_published_figures_contradict_each_other(clr):
    rel = corridors.check(clr).relations.set_index("relation")
    sums = {r["id"]: r for r in clr.relations}
    bad = [k for k, r in sums.items() if len(r["parts"]) == 3]
    assert len(bad) == 1
    row = rel.loc[bad[0]]
    assert not row["holds"]
    assert row["parts_km"] == pytest.approx(1018.53)
    assert row["diff_km"] == pytest.approx(-16.47)
    assert row["expression"] == "88 + 508.53 + 422 = 1,018.53 ≠ 1,035 km"
    assert any(r["holds"] for _, r in rel.iterrows())  # 613 + 422 = 1,035 does hold


def test_disagreeing_values_for_the_lao_section_are_listed(clr):
    d = corridors.check(clr).disagreements
    lao = d[d["scope"].str.contains("boten-vientiane")]
    assert len(lao) == 1
    assert lao["min_km"].iloc[0] == pytest.approx(414.332)
    assert lao["max_km"].iloc[0] == pytest.approx(426)
    assert lao["count"].iloc[0] >= 6


def test_report_text_json_and_html(clr):
    report = corridors.check(clr)
    text = str(report)
    assert "1,035 km" in text and "≠" in text and "CHN" in text and "LAO" in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["measured"]["total_km"] == pytest.approx(corridors.length_km(clr), abs=1e-3)
    assert "<table" in report._repr_html_()


def test_every_embedded_corridor_checks():
    for cid in corridors.ids():
        report = corridors.check(cid)
        assert report.measured["total_km"] > 0, cid
        assert sum(report.measured["by_country"].values()) == pytest.approx(
            report.measured["total_km"], rel=0.02
        ), cid


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
# The documented rules (provenance_tolerance_km's docstring, RELATIVE_TOLERANCE's comment): mapped
# OSM track may be 0.5 % short, a gap bridged straight 10 %, and a stretch of a traced /
# approximate / schematic line 3 / 6 / 15 %; plus what simplification removed, plus twice the
# section's error_km for its two ends.
CLASS_SHARE = {"surveyed": 0.005, "traced": 0.03, "approximate": 0.06, "schematic": 0.15}


def osm_band(length, unsimplified, gaps, error_km):
    gap_km = sum(gaps)
    return (
        max(0.0, unsimplified - length) + 0.10 * gap_km + 0.005 * (length - gap_km) + 2 * error_km
    )


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


def _clr_sections(clr) -> dict:
    return {r["id"]: r for _, r in clr.sections.iterrows()}


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
    sections = _clr_sections(clr)
    mains = [s for s, r in sections.items() if r["role"] == "main"]
    lengths = {s: corridors.length_km(sections[s].geometry) for s in sections}
    bands = {s: provenance_tolerance_km(sections[s], lengths[s]) for s in sections}
    assert all(b is not None for b in bands.values())
    for _, row in t[(t["measure"] == "length") & t["feature"].isin([*sections, clr.id])].iterrows():
        band = sum(bands[s] for s in mains) if row["feature"] == clr.id else bands[row["feature"]]
        # plus half a unit of the figure's last published digit
        decimals = max(0, -Decimal(str(row["published_km"])).normalize().as_tuple().exponent)
        assert row["tolerance_km"] == pytest.approx(band + 0.5 * 10.0**-decimals, abs=2e-3), row[
            "figure"
        ]


def test_explanations_say_which_published_lengths_lie_beyond_the_geometry(clr):
    report = corridors.check(clr)
    t = report.table
    sections = _clr_sections(clr)
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
