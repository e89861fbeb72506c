"""The registry of embedded corridors, the catalog and the shared layers, as users meet them.

Expected values are read from the geodata files themselves, not from today's numbers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
import shapely

import corridors
from corridors import registry

GEODATA = Path(__file__).resolve().parent.parent / "geodata"
CORRIDOR_FILES = sorted((GEODATA / "corridors").glob("*.geojson"))


def _features(name: str) -> list[dict]:
    return [f["properties"] for f in json.loads((GEODATA / name).read_text("utf-8"))["features"]]


def test_ids_are_the_files():
    assert corridors.ids() == [p.stem for p in CORRIDOR_FILES]


def test_the_catalog_has_one_row_per_file():
    cat = corridors.catalog()
    assert list(cat.index) == corridors.ids()
    assert cat.crs.to_epsg() == 4326
    for path in CORRIDOR_FILES:
        doc = json.loads(path.read_text("utf-8"))
        meta, props = doc["corridor"], [f["properties"] for f in doc["features"]]
        row = cat.loc[path.stem]
        assert row["name"] == meta["name"] and row["mode"] == meta["mode"]
        assert row["sources"] == meta["sources"]
        assert row["sections"] == sum(p["kind"] == "section" for p in props)
        stations = {"station", "freight-station", "junction"}
        assert row["stations"] == sum(p["kind"] in stations for p in props)
        n_figures = len(meta["figures"]) + sum(len(p["figures"]) for p in props)
        assert row["figures"] == n_figures
        assert row.geometry.equals(corridors.load(path.stem).geometry)


def test_the_registry_is_a_cached_mapping_of_ids_to_corridors():
    reg = corridors.CORRIDORS
    assert isinstance(reg, Mapping) and isinstance(reg, registry.Registry)
    ids = corridors.ids()
    assert list(reg) == list(reg.keys()) == ids and len(reg) == len(ids)
    assert [c.id for c in reg.values()] == ids
    assert dict(reg.items()).keys() == set(ids)
    clr = reg["china-laos-railway"]
    assert isinstance(clr, corridors.Corridor) and clr.id == "china-laos-railway"
    assert reg["china-laos-railway"] is clr  # cached
    assert reg["china_laos_railway"] is clr and reg.china_laos_railway is clr
    assert corridors.load("china-laos-railway") is not clr  # load gives a fresh copy
    assert "china-laos-railway" in reg and "nowhere" not in reg and 42 not in reg
    assert reg.get("nowhere") is None
    assert "china_laos_railway" in dir(reg)
    with pytest.raises(KeyError, match="did you mean 'china-laos-railway'"):
        reg["china-lao-railway"]
    with pytest.raises(AttributeError, match="did you mean"):
        reg.china_lao_railway  # noqa: B018
    html = reg._repr_html_()
    assert html.startswith("<table>") and all(i in html for i in ids)
    assert repr(reg).startswith("<corridors registry: ")


def test_the_registry_follows_settings_data_dir(tmp_path, monkeypatch):
    (tmp_path / "corridors").mkdir()
    doc = json.loads(CORRIDOR_FILES[0].read_text("utf-8"))
    doc["corridor"]["id"] = "my-copy"
    (tmp_path / "corridors" / "my-copy.geojson").write_text(json.dumps(doc), "utf-8")
    monkeypatch.setattr(corridors.settings, "data_dir", tmp_path)
    assert list(corridors.CORRIDORS) == ["my-copy"]
    assert corridors.CORRIDORS["my-copy"].id == "my-copy"


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
    # ids forgive case, spaces and underscores
    assert corridors.load(" China_Laos_Railway ").id == "china-laos-railway"


@pytest.mark.parametrize("path", CORRIDOR_FILES, ids=lambda p: p.stem)
def test_a_corridor_as_a_geodataframe(path):
    doc = json.loads(path.read_text("utf-8"))
    props = [f["properties"] for f in doc["features"]]
    c = corridors.load(path.stem)
    assert c.geometry.geom_type == "LineString"
    gdf = c.to_geodataframe()
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf["id"]) == [p["id"] for p in props]
    assert set(gdf["kind"]) == {p["kind"] for p in props}
    mains = sorted((p for p in props if p.get("role") == "main"), key=lambda p: p["order"])
    assert list(c.sections.loc[c.sections["role"] == "main", "id"]) == [p["id"] for p in mains]
    # the main line runs from the first main section's start to the last one's end
    first, last = shapely.get_coordinates(c.geometry)[[0, -1]]
    geoms = {f["properties"]["id"]: shapely.geometry.shape(f["geometry"]) for f in doc["features"]}
    assert np.array_equal(first, shapely.get_coordinates(geoms[mains[0]["id"]])[0])
    assert np.array_equal(last, shapely.get_coordinates(geoms[mains[-1]["id"]])[-1])
    html = c._repr_html_()
    assert "&lt;" not in html and doc["corridor"]["name"] in html


def test_shared_layers_are_the_files():
    ports = _features("ports.geojson")
    gates = _features("border_gates.geojson")
    assert list(corridors.ports()["id"]) == [p["id"] for p in ports]
    assert list(corridors.dry_ports()["id"]) == [p["id"] for p in ports if p["kind"] == "dry-port"]
    assert list(corridors.seaports()["id"]) == [p["id"] for p in ports if p["kind"] == "seaport"]
    assert list(corridors.border_gates()["id"]) == [g["id"] for g in gates]
    assert [list(c) for c in corridors.border_gates()["countries"]] == [
        g["countries"] for g in gates
    ]
    countries = [b["iso3"] for b in _features("boundaries.geojson")]
    assert list(corridors.boundaries()["iso3"]) == countries
    assert corridors.boundaries(countries[0])["iso3"].tolist() == [countries[0]]
    assert corridors.boundaries(countries[:2])["iso3"].tolist() == countries[:2]
    # the layers are copies: changing one does not change the next call
    p = corridors.ports()
    p["name"] = "x"
    assert (corridors.ports()["name"] != "x").all()


@pytest.mark.parametrize("path", CORRIDOR_FILES, ids=lambda p: p.stem)
def test_the_borders_the_data_marks_are_where_the_main_line_crosses(path):
    """A main section that starts at a border (``border:A-B``) or a border gate starts at a
    crossing of those two countries, within the errors of the border and of the section."""
    c = corridors.load(path.stem)
    gates = corridors.border_gates().set_index("id")
    border_error = float(corridors.boundaries()["error_km"].max())
    crossings = corridors.border_crossings(c)
    start = 0.0
    for _, sec in c.sections[c.sections["role"] == "main"].iterrows():
        origin = str(sec["from"])
        pair = None
        if origin.startswith("border:"):
            pair = set(origin.removeprefix("border:").split("-"))
        elif origin in gates.index:
            pair = set(gates.loc[origin, "countries"])
        if pair is not None:
            here = crossings[
                [
                    {a, b} == pair
                    for a, b in zip(crossings["from_iso3"], crossings["to_iso3"], strict=True)
                ]
            ]
            assert len(here) == 1, (sec["id"], pair)
            off = abs(float(here["chainage_km"].iloc[0]) - start)
            assert off <= border_error + float(sec["error_km"]), (sec["id"], off)
            assert set(gates.loc[here["gate_id"].iloc[0], "countries"]) == pair
            if origin in gates.index:
                assert here["gate_id"].iloc[0] == origin
        start += corridors.length_km(sec.geometry)
