"""Shared helpers for the benchmarks: timing and synthetic lines over the region."""

from __future__ import annotations

import time
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import shapely


def best_of(func: Callable[[], object], repeat: int = 5) -> float:
    """Best wall-clock time of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return min(times)


def report(name: str, ours: float, baseline: float, goal: str) -> None:
    """Print one benchmark line: ``name: ours …, baseline …, ratio …`` (baseline / ours)."""
    ratio = baseline / ours
    print(f"{name}: ours {ours:.4f} s, baseline {baseline:.4f} s, ratio {ratio:.2f} ({goal})")


def random_lines(
    n: int, *, vertices: tuple[int, int] = (2, 6), step_deg: float = 0.02, seed: int = 0
) -> gpd.GeoSeries:
    """``n`` random-walk lines in lon 97–108, lat 10–25, in EPSG:4326.

    Each line has between ``vertices[0]`` and ``vertices[1]`` points (inclusive), with steps of
    up to ``step_deg`` (about 2 km): short features like road or rail segments.
    """
    rng = np.random.default_rng(seed)
    counts = rng.integers(vertices[0], vertices[1] + 1, n)
    owner = np.repeat(np.arange(n), counts)
    start = np.column_stack([rng.uniform(97, 108, n), rng.uniform(10, 25, n)])
    steps = rng.uniform(-step_deg, step_deg, (len(owner), 2))
    first = np.r_[0, np.cumsum(counts)[:-1]]
    steps[first] = 0.0
    walk = np.cumsum(steps, axis=0)
    walk -= np.repeat(walk[first], counts, axis=0)  # restart the walk at every line
    coords = start[owner] + walk
    return gpd.GeoSeries(shapely.linestrings(coords, indices=owner), crs="EPSG:4326")
