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

__all__ = [
    "CRSError",
    "CoordinateError",
    "CorridorsError",
    "DataFileError",
    "GeometryError",
    "SchemaError",
    "UnknownIdError",
]


class CorridorsError(Exception):
    """Base class of every error corridors raises."""


class UnknownIdError(CorridorsError, KeyError):
    """An id or name that is not in the catalogue, with close matches as suggestions.

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
    matches = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
    if not matches:
        return []
    score = [difflib.SequenceMatcher(None, key, m).ratio() for m in matches]
    return [m for m, r in zip(matches, score, strict=True) if r >= score[0] - 0.1]


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
