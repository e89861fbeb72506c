"""Text keys for names and ids: slugs, forgiving match keys and the names a station goes by.

The lowest layer with ``_coerce`` and ``errors``: it imports nothing from the package. Every
module that turns a name into an id, or compares names forgivingly, uses these three functions,
so that ``"Kunming South"``, ``"kunming-south"`` and ``"Kunming South station"`` mean the same
everywhere.

Examples
--------
>>> slugify("Boten–Vientiane Railway")
'boten-vientiane-railway'
>>> match_key("Ning'er")
'ning er'
>>> sorted(name_keys("Muang Xay (Oudomxay) station"))
['muang xay', 'muang xay oudomxay', 'muang xay oudomxay station', 'oudomxay']
"""

from __future__ import annotations

import unicodedata
from typing import Any

__all__ = ["match_key", "name_keys", "slugify"]

_STATION_SUFFIXES = (" freight station", " railway station", " station")


def slugify(text: Any, *, ascii_only: bool = False) -> str:
    """An id from a name: lower case, letters and digits, runs of anything else as one hyphen.

    Parameters
    ----------
    text
        The name; anything but a string (``None``, NaN) gives ``""``.
    ascii_only
        Keep ASCII letters and digits only, accents stripped (``"Phônsavan"`` -> ``"phonsavan"``),
        as the geodata schema's ids (``[a-z0-9-]``) need; other scripts are dropped. By default
        letters and digits of every script are kept.

    Returns
    -------
    str
        The slug, ``""`` when nothing is left.

    Examples
    --------
    >>> slugify("Kunming South station")
    'kunming-south-station'
    >>> slugify("China_Laos  Railway")
    'china-laos-railway'
    >>> slugify("Mohan – 磨憨"), slugify("Mohan – 磨憨", ascii_only=True)
    ('mohan-磨憨', 'mohan')
    """
    if not isinstance(text, str):
        return ""
    if ascii_only:
        text = unicodedata.normalize("NFKD", text)
        chars = (
            c if c.isascii() and c.isalnum() else "" if unicodedata.combining(c) else " "
            for c in text.lower()
        )
    else:
        chars = (c if c.isalnum() else " " for c in text.lower())
    return "-".join("".join(chars).split())


def match_key(text: str) -> str:
    """Case-, width- and punctuation-free form of a name, for forgiving comparisons.

    Unicode compatibility forms are folded (NFKC: full-width letters, ligatures), case is folded,
    and every run of characters that are not letters or digits becomes one space.

    Examples
    --------
    >>> match_key("Ning'er")
    'ning er'
    >>> match_key("Boten – Vientiane") == match_key("BOTEN-VIENTIANE")
    True
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in folded).split())


def name_keys(name: str) -> set[str]:
    """The match keys a station name is known by: with and without "station", and bracketed parts.

    Examples
    --------
    >>> sorted(name_keys("Luang Prabang railway station"))
    ['luang prabang', 'luang prabang railway', 'luang prabang railway station']
    """
    base = match_key(name)
    keys = {base}
    for suffix in _STATION_SUFFIXES:
        if base.endswith(suffix):
            keys.add(base.removesuffix(suffix))
    if "(" in name:
        outer, _, inner = name.partition("(")
        inner = inner.partition(")")[0]
        parts = {match_key(outer), match_key(inner)}
        keys |= parts | {k.removesuffix(" station") for k in parts}
    return keys
