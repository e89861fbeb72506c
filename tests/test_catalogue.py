"""The catalogue, the registry and the China–Laos Railway as users meet it."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

import corridors


def test_ids_catalog_and_registry():
    ids = corridors.ids()
    cat = corridors.catalog()
    assert list(cat.index) == ids
    assert cat.crs.to_epsg() == 4326
    assert all(isinstance(s, list) and s for s in cat["sources"])
    assert corridors.CORRIDORS.china_laos_railway.id == "china-laos-railway"
    assert corridors.CORRIDORS["china_laos_railway"].id == "china-laos-railway"
    assert "china_laos_railway" in dir(corridors.CORRIDORS)
    assert list(corridors.CORRIDORS) == ids
    html = corridors.CORRIDORS._repr_html_()
    assert "<table>" in html and "china-laos-railway" in html
    with pytest.raises(AttributeError, match="did you mean"):
        corridors.CORRIDORS.china_lao_railway  # noqa: B018


def test_unknown_ids_suggest_the_closest():
    with pytest.raises(corridors.UnknownIdError, match="did you mean 'china-laos-railway'") as err:
        corridors.load("china-lao-railway")
    assert isinstance(err.value, KeyError) and isinstance(err.value, corridors.CorridorsError)
    with pytest.raises(corridors.UnknownIdError, match="unknown corridor 'zzz'"):
        corridors.load("zzz")
    with pytest.raises(corridors.UnknownIdError):
        corridors.load(42)  # type: ignore[arg-type]
    with pytest.raises(corridors.UnknownIdError, match="did you mean 'LAO'"):
        corridors.boundaries("LAOS")


def test_the_railway_as_a_geodataframe(clr):
    assert clr.geometry.geom_type == "LineString"
    gdf = clr.to_geodataframe()
    assert gdf.crs.to_epsg() == 4326
    assert {"section", "station", "tunnel", "bridge"} <= set(gdf["kind"])
    assert list(clr.sections.loc[clr.sections["role"] == "main", "id"]) == [
        "kunming-yuxi",
        "yuxi-mohan",
        "boten-vientiane",
    ]
    first, last = shapely.get_coordinates(clr.geometry)[[0, -1]]
    assert (
        corridors.length_km(shapely.LineString([first, clr.station("kunming-south").geometry]))
        < 0.5
    )
    assert corridors.length_km(shapely.LineString([last, clr.station("vientiane").geometry])) < 0.5
    assert "&lt;" not in clr._repr_html_() and "China–Laos Railway" in clr._repr_html_()


def test_one_china_to_laos_crossing_near_boten(clr):
    cr = corridors.border_crossings(clr)
    assert cr[["from_iso3", "to_iso3"]].values.tolist() == [["CHN", "LAO"]]
    row = cr.iloc[0]
    assert row["gate_id"] == "boten-mohan"
    assert (
        row["gate_distance_km"] < 6
    )  # NE border ~1–4 km off; the railway tunnels east of the road
    mohan = corridors.distance_km(clr, "kunming-south", "mohan")
    boten = corridors.distance_km(clr, "kunming-south", "boten")
    assert mohan - 4 < row["chainage_km"] < boten + 4


def test_per_country_lengths_add_up_and_are_near_613_and_422(clr):
    pieces = corridors.split_by_country(clr)
    by = pieces.groupby("iso3")["length_km"].sum()
    assert set(by.index) == {"CHN", "LAO"}
    assert by.sum() == pytest.approx(corridors.length_km(clr), rel=1e-7)
    report = corridors.check(clr).table
    for iso3, published in (("CHN", 613), ("LAO", 422)):
        row = report[
            (report["measure"] == "length_in_country") & (report["scope"] == f"main line in {iso3}")
        ]
        assert row["measured_km"].iloc[0] == pytest.approx(by[iso3], abs=1e-3)
        assert row["published_km"].iloc[0] == published
        assert row["verdict"].iloc[0] in {"consistent", "marginal"}


def test_shared_layers():
    gates = corridors.border_gates()
    needed = {
        "boten-mohan",
        "thanaleng-nong-khai",
        "nam-phao-cau-treo",
        "nam-on-thanh-thuy",
        "na-phao-cha-lo",
        "dansavanh-lao-bao",
    }
    assert needed <= set(gates["id"])
    assert all(len(c) == 2 for c in gates["countries"])
    ports = corridors.ports()
    assert set(ports["kind"]) == {"dry-port", "seaport"}
    assert len(corridors.dry_ports()) + len(corridors.seaports()) == len(ports)
    assert corridors.boundaries("LAO")["iso3"].tolist() == ["LAO"]
    # the layers are copies: changing one does not change the next call
    ports["name"] = "x"
    assert (corridors.ports()["name"] != "x").all()
    assert np.isfinite(corridors.length_km(corridors.boundaries("LAO")).iloc[0])
