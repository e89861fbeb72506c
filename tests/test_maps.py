"""Maps as HTML: sizes, escaping, simplification, errors and the CLI (the browser tests are in
test_maps_browser.py)."""

from __future__ import annotations

import collections
import html
import json
import re
import subprocess
import sys
from decimal import Decimal

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import feature_collection, line_feature, point_feature

import corridors
from corridors import maps


def _walk(element):
    """Every element under ``element``, depth first (folium keeps them in ``_children``)."""
    for child in element._children.values():
        yield child
        yield from _walk(child)


@pytest.fixture(scope="module")
def offline_html() -> str:
    return maps.render(offline=True).get_root().render()


def test_the_offline_map_is_one_small_self_contained_file(offline_html):
    assert len(offline_html.encode()) < 1_500_000
    # no script or stylesheet is loaded from anywhere: Leaflet and the plugins are inline
    assert not re.findall(r"<script[^>]+src=", offline_html)
    assert not re.findall(r"<link[^>]+stylesheet", offline_html)
    # the plugins' own code and CSS are in the page, not only the map's calls to them: the online
    # page, which links them from CDNs, has none of these strings of theirs
    online = maps.render(["china-laos-railway"], tiles=None, borders=False).get_root().render()
    for own in ("fullscreenchange", "leaflet-control-measure", "measure-resultpopup"):
        assert own in offline_html and own not in online, own
    assert "corridors-legend" in offline_html
    for cid in corridors.ids():
        assert f"corridor-{cid}" in offline_html


def test_the_online_map_loads_from_cdns_and_offers_basemaps():
    page = (
        maps.render(["china-laos-railway"], tiles=["OpenStreetMap", "Esri.WorldImagery"])
        .get_root()
        .render()
    )
    assert re.search(r'<script src="https://cdn\.jsdelivr\.net/npm/leaflet@', page)
    assert "tile.openstreetmap.org" in page and "World_Imagery" in page
    assert "openrailwaymap" in page.lower()
    assert "contributors" in page and "Esri" in page  # attributions travel with the tiles


def test_every_string_is_escaped(tmp_path):
    path = tmp_path / "evil.geojson"
    path.write_text(
        feature_collection(
            line_feature(
                [[102.6, 18.0], [102.5, 18.5]], name='<img src=x onerror="alert(1)">', status="<b>"
            ),
            line_feature([[102.5, 18.5], [102.4, 18.9]], name="A{{ 7*7 }}Z"),
            point_feature([102.6, 18.0], name="<script>alert(2)</script>"),
            point_feature([102.4, 18.9], name="B{% if true %}-{% endif %}Y"),
        ),
        "utf-8",
    )
    m = maps.render([path], offline=True, tiles=None, title="<i>t</i>{{ 6*7 }}")
    page = m.get_root().render()
    assert "<img src=x" not in page and "<script>alert(2)" not in page and "<i>t</i>" not in page
    page = page.replace("\\u0026", "&").replace("\\u003c", "<").replace("\\u003e", ">")
    assert "&lt;img src=x" in page and "&lt;script&gt;alert(2)" in page
    assert "<img src=x" not in page and "<script>alert(2)" not in page
    # branca renders the page as a Jinja template once more: a name must not run as one
    assert "A49Z" not in page and "B-Y" not in page and "&lt;i&gt;t&lt;/i&gt;42" not in page
    shown = html.unescape(page)  # what the browser shows of the tooltips, popups and legend
    assert "A{{ 7*7 }}Z" in shown and "B{% if true %}-{% endif %}Y" in shown
    assert "<i>t</i>{{ 6*7 }}" in shown


def test_simplified_lines_keep_every_station_on_them():
    clr = corridors.load("china-laos-railway")
    tol_km = 0.02
    simple = shapely.simplify(
        np.asarray(clr.sections.geometry.array, dtype=object), tol_km / 111.32
    )
    for line, sid in zip(simple, clr.sections["id"], strict=True):
        st = clr.stations[clr.stations["section"] == sid]
        if len(st):
            assert np.max(corridors.offset_km(line, list(st.geometry))) <= tol_km + 1e-3


def test_bad_input_is_refused():
    with pytest.raises(corridors.UnknownIdError, match="did you mean 'china-laos-railway'"):
        maps.render(["china-lao-railway"])
    with pytest.raises(corridors.UnknownIdError, match="basemap"):
        maps.render(["china-laos-railway"], tiles="Google")
    with pytest.raises(corridors.GeometryError, match="nothing to draw"):
        maps.render([])
    with pytest.raises(corridors.CRSError):
        maps.render([gpd.GeoDataFrame(geometry=[shapely.Point(102, 18)])])
    with pytest.raises(corridors.DataFileError):
        maps.render(["missing.geojson"])


def test_cli_map_writes_one_file_or_nothing(tmp_path):
    out = tmp_path / "map.html"
    ok = subprocess.run(
        [sys.executable, "-m", "corridors.cli", "map", "china-laos-railway", "--tiles", "none", "-o", str(out), "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    info = json.loads(ok.stdout)
    assert info["offline"] is True and info["bytes"] == len(out.read_bytes())
    bad = tmp_path / "bad.html"
    fail = subprocess.run(
        [sys.executable, "-m", "corridors.cli", "map", "china-lao-railway", "-o", str(bad)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert fail.returncode == 1 and "did you mean" in fail.stderr and "Traceback" not in fail.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]


def test_a_deviation_layer_and_the_osm_attribution_are_drawn_escaped():
    import folium

    straight = shapely.LineString([(102.0, 17.5), (102.0, 18.5)])
    bumped = shapely.LineString(
        [(102.0, 17.5), (102.0, 17.9), (102.05, 17.9), (102.05, 18.1), (102.0, 18.1), (102.0, 18.5)]
    )
    evil = corridors.Corridor.from_geodataframe(
        gpd.GeoDataFrame(geometry=[bumped], crs=4326),
        id="evil",
        name='<img src=x onerror="alert(1)">',
    )
    dev = corridors.deviation(evil, straight, step_km=1.0)
    m = maps.render(dev, tiles=None, borders=False)
    page = m.get_root().render()
    # the geodata's credit is in Leaflet's attribution control even with no tiles at all
    assert maps.DATA_ATTRIBUTION == "© OpenStreetMap contributors, ODbL 1.0"
    assert "attributionControl.addAttribution(" in page
    assert html.escape(maps.DATA_ATTRIBUTION) + "<\\/a>" in page
    assert "https://www.openstreetmap.org/copyright" in page
    # one dot per sample, coloured on the scale: lightest at the smallest offset, darkest at the largest
    layers = [c for c in _walk(m) if isinstance(c, folium.GeoJson)]
    dots = next(c.data for c in layers if c.data["features"][0]["geometry"]["type"] == "Point")
    assert len(dots["features"]) == len(dev.samples)
    colours = [f["properties"]["color"] for f in dots["features"]]
    off = dev.samples["offset_km"].to_numpy()
    assert colours[int(off.argmax())] == maps.STYLE["deviation"][-1]
    assert colours[int(off.argmin())] == maps.STYLE["deviation"][0]
    assert "corridors-deviation-sample" in page and "corridors-deviation-scale" in page
    assert f"offset 0.00 – {dev.summary['hausdorff_km']:,.2f} km (deviation)" in page
    # the tooltips say which line, where and how far, with the corridor's name escaped
    tip = dots["features"][int(off.argmax())]["properties"]["tip"]
    assert tip.startswith("<b>&lt;img src=x onerror=&quot;alert(1)&quot;&gt; (line)</b>")
    assert f"offset {off.max():,.3f} km" in tip
    assert "<img src=x" not in page.replace("\\u003c", "<")
    # every other map carries the credit too
    assert (
        maps.DATA_ATTRIBUTION in maps.render(["china-laos-railway"], tiles=None).get_root().render()
    )


def test_each_corridor_is_measured_once_per_map(monkeypatch):
    """One check per corridor, one crossings call for all, one chainage call per corridor."""
    calls: collections.Counter = collections.Counter()

    def counted(name):
        real = getattr(corridors, name)

        def wrapper(x, *args, **kwargs):
            calls[name, x.id if isinstance(x, corridors.Corridor) else type(x).__name__] += 1
            return real(x, *args, **kwargs)

        monkeypatch.setattr(corridors, name, wrapper)

    for name in ("check", "border_crossings", "chainage_km"):
        counted(name)
    page = maps.render(tiles=None).get_root().render()
    ids = corridors.ids()
    assert {k: n for (f, k), n in calls.items() if f == "check"} == dict.fromkeys(ids, 1)
    assert sum(n for (f, _), n in calls.items() if f == "border_crossings") == 1
    assert all(n == 1 for (f, _), n in calls.items() if f == "chainage_km")
    # and the popups show what the checks compared: every published figure about a whole
    # corridor, as the geodata gives it
    page = page.replace("\\u003c", "<").replace("\\u003e", ">")
    for cid in ids:
        f = corridors.load(cid).figures
        for v in f.loc[(f["feature"] == cid) & (f["measure"] != "info"), "value"]:
            assert f"<td>{Decimal(str(v)).normalize():,f}</td>" in page, (cid, v)


def test_an_asset_folium_offline_lacks_is_refused(monkeypatch):
    from folium import plugins

    url = "https://cdn.example.org/leaflet-measure-9.9.js"
    monkeypatch.setattr(plugins.MeasureControl, "default_js", [("leaflet_measure_js", url)])
    with pytest.raises(corridors.DataFileError, match=re.escape(url)):
        maps.render(["china-laos-railway"], offline=True, tiles=None)
    # online, the map links it as folium does
    page = maps.render(["china-laos-railway"], tiles=None).get_root().render()
    assert f'<script src="{url}"></script>' in page
