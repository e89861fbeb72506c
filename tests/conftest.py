from __future__ import annotations

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
