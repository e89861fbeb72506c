"""How far one line is from another: validate a digitised or planned line against a reference.

:func:`deviation` samples both lines at even geodesic steps and measures, from every sample, the
geodesic distance to the *other* line. Everything is vectorised: the samples are placed with one
``Geod.fwd`` call per line (:func:`corridors.geodesy.point_at_km`), located on the other line in a
local azimuthal equidistant plane with shapely's array functions and measured with one
``Geod.inv`` call (:class:`corridors.geodesy.LocatedPoints`). Like ``geodesy.py``, this module
knows nothing of the catalogue: a ``Corridor`` comes in through its ``to_geoseries()`` method.
"""

from __future__ import annotations

import html
import math
import numbers
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors._coerce import WGS84, SupportsGeoSeries, single_line
from corridors.errors import GeometryError
from corridors.geodesy import LocatedPoints, lengths_km_array, point_at_km

__all__ = ["MAX_SAMPLES", "Deviation", "deviation"]

#: Most samples taken along one line; a smaller ``step_km`` is refused rather than run out of
#: memory (a 1,000 km line sampled every metre is 1,000,001 samples).
MAX_SAMPLES = 2_000_000

_SIDES = ("line", "reference")
_WORST_COLUMNS = ["of", "chainage_km", "line_chainage_km", "lon", "lat", "offset_km"]


@dataclass(frozen=True, eq=False, repr=False)
class Deviation:
    """How far ``line`` is from ``reference``, sample by sample and in summary.

    Attributes
    ----------
    summary
        Dict of the figures, in km unless named otherwise. Over the line's samples
        (the distance from ``line`` to ``reference``): ``mean_km``, ``median_km``, ``p90_km``,
        ``max_km``, ``n_samples``. Over the reference's samples: ``reference_max_km``,
        ``n_reference_samples``. Both ways: ``hausdorff_km`` (the larger of the two maxima) and
        the sample where it is reached: ``worst_of`` (``"line"`` or ``"reference"``),
        ``worst_chainage_km`` (along that line), ``worst_lon``, ``worst_lat``. The lines:
        ``line_km``, ``reference_km``, ``length_diff_km`` (line minus reference), ``step_km``
        (as asked; the actual spacing is ``line_km / (n_samples - 1)``, at most that).
    samples
        GeoDataFrame in EPSG:4326, one Point per sample, the line's samples first: ``of``
        (``"line"`` or ``"reference"``), ``chainage_km`` (along its own line), ``offset_km`` (to
        the other line), ``line_chainage_km`` and ``reference_chainage_km`` (where the sample, or
        its nearest point on the other line, falls along each line).
    line, reference
        The two lines compared, as LineStrings in lon/lat.
    names
        What to call the two lines in tables and maps (a corridor's name, else ``"line"`` and
        ``"reference"``).
    """

    summary: dict[str, Any]
    samples: gpd.GeoDataFrame
    line: shapely.LineString
    reference: shapely.LineString
    names: tuple[str, str] = _SIDES

    def worst(self, n: int = 10) -> gpd.GeoDataFrame:
        """The ``n`` samples farthest from the other line, worst first, with ``lon`` and ``lat``.

        Samples of both lines compete; ties keep the sampling order (the line's samples first).
        """
        order = np.argsort(-self.samples["offset_km"].to_numpy(), kind="stable")[: max(int(n), 0)]
        top = self.samples.iloc[order].copy()
        top.insert(len(top.columns) - 1, "lon", top.geometry.x)
        top.insert(len(top.columns) - 1, "lat", top.geometry.y)
        return top

    def to_dict(self, worst: int = 10) -> dict[str, Any]:
        """The summary, the names and the ``worst`` worst samples as plain JSON-ready data."""
        top = pd.DataFrame(self.worst(worst)[[*_WORST_COLUMNS, "reference_chainage_km"]])
        records = [{k: _plain(v) for k, v in r.items()} for r in top.to_dict(orient="records")]
        return {
            "line": self.names[0],
            "reference": self.names[1],
            "summary": {k: _plain(v) for k, v in self.summary.items()},
            "worst": records,
        }

    # -- display ----------------------------------------------------------------------------
    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<Deviation of {self.names[0]} ({s['line_km']:,.2f} km) from {self.names[1]} "
            f"({s['reference_km']:,.2f} km): median {s['median_km']:,.2f}, p90 "
            f"{s['p90_km']:,.2f}, max {s['max_km']:,.2f}, Hausdorff {s['hausdorff_km']:,.2f} km; "
            f"{s['n_samples'] + s['n_reference_samples']:,} samples every ≤ {s['step_km']:g} km>"
        )

    def __str__(self) -> str:
        s = self.summary
        table = pd.DataFrame(
            {"km": [s[k] for k, _ in _SUMMARY_ROWS]}, index=[label for _, label in _SUMMARY_ROWS]
        )
        worst = pd.DataFrame(self.worst(5)[_WORST_COLUMNS])
        worst["lon"] = worst["lon"].map(lambda v: f"{v:.5f}")
        worst["lat"] = worst["lat"].map(lambda v: f"{v:.5f}")
        worst = worst.rename(columns={"line_chainage_km": "km on line"})
        lines = [
            f"{self.names[0]} against {self.names[1]}: {s['n_samples']:,} + "
            f"{s['n_reference_samples']:,} samples every ≤ {s['step_km']:g} km (geodesic, WGS84)",
            table.to_string(float_format=lambda v: f"{v:,.2f}"),
            "",
            "worst places:",
            worst.to_string(index=False, float_format=lambda v: f"{v:,.2f}"),
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        s = self.summary
        rows = "".join(
            f"<tr><th>{esc(label)}</th><td>{s[k]:,.3f}</td></tr>" for k, label in _SUMMARY_ROWS
        )
        worst = pd.DataFrame(self.worst(10)[_WORST_COLUMNS]).round(
            {"chainage_km": 3, "line_chainage_km": 3, "offset_km": 3, "lon": 5, "lat": 5}
        )
        return (
            f"<div class='corridors-deviation'><strong>{esc(self.names[0])}</strong> against "
            f"<strong>{esc(self.names[1])}</strong>: {s['n_samples']:,} + "
            f"{s['n_reference_samples']:,} samples every ≤ {s['step_km']:g} km"
            f"<table><tbody>{rows}</tbody></table><p>the {len(worst)} worst samples</p>"
            f"{worst.to_html(index=False, escape=True)}</div>"
        )


_SUMMARY_ROWS = (
    ("line_km", "line length"),
    ("reference_km", "reference length"),
    ("length_diff_km", "length difference (line − reference)"),
    ("mean_km", "mean offset"),
    ("median_km", "median offset"),
    ("p90_km", "90th percentile offset"),
    ("max_km", "max offset (line → reference)"),
    ("reference_max_km", "max offset (reference → line)"),
    ("hausdorff_km", "Hausdorff distance"),
)


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds (rounded to 1e-6), for JSON."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    return value


def _check_step(step_km: Any) -> float:
    if isinstance(step_km, bool) or not isinstance(step_km, numbers.Real):
        raise GeometryError(f"step_km must be a number of km, got {step_km!r}")
    step = float(step_km)
    if not math.isfinite(step) or step <= 0:
        raise GeometryError(f"step_km must be a positive, finite number of km, got {step_km!r}")
    return step


def _name(x: Any, default: str) -> str:
    """A corridor's name; ``default`` for geometries, GeoSeries and GeoDataFrames."""
    if isinstance(x, SupportsGeoSeries) and not isinstance(x, gpd.GeoSeries | gpd.GeoDataFrame):
        name = getattr(x, "name", None)
        if isinstance(name, str) and name:
            return name
    return default


def _sample(geom: shapely.LineString, step: float, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Chainages (km) and Points spread evenly along ``geom``, at most ``step`` apart."""
    length = float(lengths_km_array(np.array([geom], dtype=object), what=what)[0])
    if not length > 0:
        raise GeometryError(f"the {what} has zero length: all its vertices are one point")
    intervals = max(1, math.ceil(length / step - 1e-9))
    if intervals + 1 > MAX_SAMPLES:
        raise GeometryError(
            f"step_km={step:g} would take {intervals + 1:,} samples along the {what} "
            f"({length:,.1f} km); use a step of at least {length / (MAX_SAMPLES - 1):.3g} km"
        )
    km = np.linspace(0.0, length, intervals + 1)
    return km, np.asarray(point_at_km(geom, km), dtype=object)


def deviation(line: Any, reference: Any, step_km: float = 1.0) -> Deviation:
    """How far ``line`` is from ``reference``: offsets sampled along both, and their summary.

    Both lines are sampled at even geodesic steps of at most ``step_km``, both ends included.
    Each sample is measured (geodesic distance on ``corridors.settings.ellipsoid``) to the
    nearest point of the *other* line. The statistics describe how far the line strays from the
    reference; the Hausdorff distance looks both ways, so it also catches a part of the
    reference the line leaves out. Features narrower than ``step_km`` may fall between samples.

    Parameters
    ----------
    line
        The line to validate: one continuous LineString (or a MultiLineString whose parts join)
        in lon/lat, a ``Corridor`` (its main line), or a GeoSeries or GeoDataFrame in any CRS
        (reprojected to EPSG:4326; a missing CRS is refused).
    reference
        The line to measure it against, in any of the same forms.
    step_km
        Largest distance between samples along each line, in km.

    Returns
    -------
    Deviation
        ``.summary`` (median, p90, max and Hausdorff offsets, lengths and their difference, the
        worst place), ``.samples`` (a GeoDataFrame of every sample) and ``.worst(n)``; prints as
        a table and shows as HTML in a notebook.

    Raises
    ------
    GeometryError
        For an empty or missing geometry, one that is not a continuous line, a zero-length line,
        or a ``step_km`` that is not a positive finite number (or too small for the line).
    CoordinateError
        For coordinates out of range for lon/lat (swapped or projected).
    CRSError
        For a GeoSeries or GeoDataFrame without a CRS.

    Examples
    --------
    >>> import shapely, corridors
    >>> ours = shapely.LineString([(102.0, 18.0), (102.0, 19.0)])
    >>> survey = shapely.LineString([(102.01, 18.0), (102.01, 19.0)])
    >>> d = corridors.deviation(ours, survey, step_km=10)
    >>> round(d.summary["max_km"], 3), d.summary["n_samples"]
    (1.059, 13)
    """
    step = _check_step(step_km)
    geoms = (single_line(line, what="line"), single_line(reference, what="reference"))
    (line_km, line_pts), (ref_km, ref_pts) = (
        _sample(g, step, what) for g, what in zip(geoms, _SIDES, strict=True)
    )
    on_ref = LocatedPoints(geoms[1], line_pts)  # the line's samples, located on the reference
    on_line = LocatedPoints(geoms[0], ref_pts)  # the reference's samples, located on the line
    n_line, n_ref = len(line_km), len(ref_km)
    offset = np.concatenate([on_ref.offset_km, on_line.offset_km])
    samples = gpd.GeoDataFrame(
        {
            "of": np.repeat(np.array(_SIDES, dtype=object), [n_line, n_ref]),
            "chainage_km": np.concatenate([line_km, ref_km]),
            "offset_km": offset,
            "line_chainage_km": np.concatenate([line_km, on_line.chainage_km]),
            "reference_chainage_km": np.concatenate([on_ref.chainage_km, ref_km]),
        },
        geometry=np.concatenate([line_pts, ref_pts]),
        crs=WGS84,
    )
    line_off = offset[:n_line]
    median, p90 = np.percentile(line_off, [50, 90])
    worst = int(np.argmax(offset))  # the first of equals: the line's samples come first
    worst_xy = shapely.get_coordinates(samples.geometry.iloc[worst])[0]
    length_line, length_ref = float(line_km[-1]), float(ref_km[-1])
    summary = {
        "line_km": length_line,
        "reference_km": length_ref,
        "length_diff_km": length_line - length_ref,
        "step_km": step,
        "n_samples": n_line,
        "n_reference_samples": n_ref,
        "mean_km": float(line_off.mean()),
        "median_km": float(median),
        "p90_km": float(p90),
        "max_km": float(line_off.max()),
        "reference_max_km": float(offset[n_line:].max()),
        "hausdorff_km": float(offset[worst]),
        "worst_of": _SIDES[0] if worst < n_line else _SIDES[1],
        "worst_chainage_km": float(samples["chainage_km"].iloc[worst]),
        "worst_lon": float(worst_xy[0]),
        "worst_lat": float(worst_xy[1]),
    }
    return Deviation(
        summary=summary,
        samples=samples,
        line=geoms[0],
        reference=geoms[1],
        names=(_name(line, _SIDES[0]), _name(reference, _SIDES[1])),
    )
