from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

import corridors


@pytest.fixture(scope="session")
def clr() -> corridors.Corridor:
    return corridors.load("china-laos-railway")


@pytest.fixture(scope="session")
def two_countries() -> gpd.GeoDataFrame:
    """Two synthetic countries, AAA west and BBB east of longitude 102, lat 10–30."""
    return gpd.GeoDataFrame(
        {"iso3": ["AAA", "BBB"], "error_km": [0.0, 0.0]},
        geometry=[shapely.box(90, 10, 102, 30), shapely.box(102, 10, 114, 30)],
        crs="EPSG:4326",
    )


def line_feature(coords, **props) -> dict:
    """A GeoJSON LineString Feature."""
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "LineString", "coordinates": coords},
    }


def point_feature(xy, **props) -> dict:
    """A GeoJSON Point Feature."""
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Point", "coordinates": list(xy)},
    }


def feature_collection(*features) -> str:
    """A GeoJSON FeatureCollection as text."""
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


# -- a real browser (tests/browser.py): one headless Chromium for the whole session --------------
@pytest.fixture(scope="session")
def browser():
    """Debian's headless chromium under Playwright; fails (never skips) when it is missing."""
    from browser import BrowserMissingError, launch, start_playwright

    pw = chromium = None
    try:
        pw = start_playwright()
        chromium = launch(pw)
    except BrowserMissingError as err:
        problem = str(err)
    except Exception as err:  # e.g. a chromium that does not start
        problem = f"chromium did not start ({err}); run `make test` to install it"
    if chromium is None:
        if pw is not None:
            pw.stop()
        pytest.fail(problem, pytrace=False)
    yield chromium
    chromium.close()
    pw.stop()


@pytest.fixture
def page(browser):
    """A fresh 1200×800 page in its own context (no cache, cookies or storage shared)."""
    from browser import VIEWPORT

    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()
