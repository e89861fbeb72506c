"""``import corridors`` against ``import geopandas``, each in fresh interpreters (goal: <= 1.3x).

The ratio printed is geopandas / corridors, so the goal is ratio >= 0.77.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from _common import report


def cold_import(module: str, runs: int = 7) -> float:
    """Median wall time of ``python -c 'import module'`` in a new process."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    cold_import("corridors", 1)  # warm the file cache
    report(
        "import corridors vs import geopandas",
        cold_import("corridors"),
        cold_import("geopandas"),
        "goal >= 0.77",
    )


if __name__ == "__main__":
    main()
