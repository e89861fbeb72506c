"""Stations along one corridor: their chainage, and the distances between them (corridors.stations)."""

from __future__ import annotations

import numpy as np
import pytest

import corridors


def test_end_to_end_distance_is_the_main_line_length(clr):
    d = corridors.distance_km(clr, "Kunming South", "Vientiane")
    assert d == pytest.approx(corridors.length_km(clr), abs=0.5)
    assert corridors.distance_km(
        "china-laos-railway", "vientiane", "kunming-south"
    ) == pytest.approx(d)


def test_distances_add_up_along_the_line(clr):
    a = corridors.distance_km(clr, "Kunming South", "Mohan")
    b = corridors.distance_km(clr, "Mohan", "Luang Prabang")
    c = corridors.distance_km(clr, "Kunming South", "Luang Prabang")
    assert a + b == pytest.approx(c, abs=1e-6)


def test_station_chainage_table(clr):
    t = corridors.station_chainage_km(clr)
    main = t[t["kind"] == "station"]
    assert np.all(np.diff(main["chainage_km"]) > 0)
    assert main["offset_km"].max() < 1.0
    assert t.iloc[0]["id"] == "kunming-south" and t.iloc[0]["chainage_km"] == pytest.approx(
        0, abs=0.5
    )


def test_names_are_forgiving_and_unknown_ones_suggest(clr):
    assert clr.station("Oudomxay")["id"] == "muang-xay"
    assert clr.station("ning'er")["id"] == clr.station("Ning er station")["id"]
    with pytest.raises(corridors.UnknownIdError, match="did you mean 'luang-prabang'"):
        corridors.distance_km(clr, "luang-prabng", "vientiane")


def test_a_branch_station_is_refused_with_the_reason(clr):
    with pytest.raises(corridors.GeometryError, match="km from the main line"):
        corridors.distance_km(clr, "Vientiane South", "Kunming South")


def test_how_far_a_station_may_be_from_the_line_is_a_setting(clr, monkeypatch):
    offset = corridors.offset_km(clr, clr.station("Vientiane South").geometry)
    monkeypatch.setattr(corridors.settings, "station_snap_km", offset + 0.1)
    d = corridors.distance_km(clr, "Vientiane South", "Kunming South")
    assert d == pytest.approx(
        corridors.chainage_km(clr, clr.station("Vientiane South").geometry), abs=1
    )
