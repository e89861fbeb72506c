"""Errors raised by corridors.

Every error derives from :class:`CorridorsError`, so one ``except`` catches them all, and each
names the problem in one line that the CLI prints as it is.

Examples
--------
>>> import corridors
>>> try:
...     corridors.load("china-lao-railway")
... except corridors.CorridorsError as err:
...     print(err)
unknown corridor 'china-lao-railway'; did you mean 'china-laos-railway'?
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from corridors._text import slugify

__all__ = [
    "CRSError",
    "CoordinateError",
    "CorridorsError",
    "DataFileError",
    "GeometryError",
    "NoRouteError",
    "SchemaError",
    "UnknownIdError",
    "WeightError",
]


class CorridorsError(Exception):
    """Base class of every error corridors raises."""


class UnknownIdError(CorridorsError, KeyError):
    """An id or name that is not known (a corridor, station, layer, ...), with close matches.

    Parameters
    ----------
    what
        What was looked up, e.g. ``"corridor"`` or ``"station"``.
    key
        The id the user gave.
    known
        The ids that exist; the closest ones are suggested.
    """

    def __init__(self, what: str, key: str, known: Iterable[str]) -> None:
        self.what = what
        self.key = key
        self.known = sorted(set(known))
        self.suggestions = _closest(str(key), self.known)
        super().__init__(str(self))

    def __str__(self) -> str:
        msg = f"unknown {self.what} {self.key!r}"
        if self.suggestions:
            alternatives = " or ".join(repr(s) for s in self.suggestions)
            return f"{msg}; did you mean {alternatives}?"
        if len(self.known) <= 12:
            return f"{msg}; known: {', '.join(self.known)}"
        return msg


def _closest(key: str, known: list[str]) -> list[str]:
    """Up to three close matches, dropping those much further than the best one."""
    slug = slugify(key)  # "Luang Prabng" -> "luang-prabng"
    scored = {
        m: max(difflib.SequenceMatcher(None, k, m).ratio() for k in (key, slug)) for m in known
    }
    best = sorted((m for m in scored if scored[m] >= 0.75), key=lambda m: -scored[m])[:3]
    return [m for m in best if scored[m] >= scored[best[0]] - 0.1]


class DataFileError(CorridorsError, OSError):
    """A file that is missing, unreadable, corrupt or empty."""


class SchemaError(DataFileError):
    """A data file that parses but breaks the corridors geodata schema."""


class GeometryError(CorridorsError, ValueError):
    """A geometry that is empty, invalid or of the wrong type."""


class CoordinateError(GeometryError):
    """Coordinates out of range for longitude/latitude, or swapped."""


class CRSError(CorridorsError, ValueError):
    """A missing or unusable coordinate reference system."""


class NoRouteError(CorridorsError):
    """No route joins two places in the chosen network scenario and modes."""


class WeightError(CorridorsError, ValueError):
    """An edge weight that Dijkstra cannot use: negative, NaN or not a number."""
