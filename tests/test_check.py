"""The figure check: published figures against the geometry and against each other."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

import corridors
from corridors.check import length_tolerance_km


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
