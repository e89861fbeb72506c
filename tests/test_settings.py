"""Every setting is documented as OSMnx documents its settings, with its true default."""

from __future__ import annotations

import ast
import re
import types

from corridors import settings


def _documented() -> dict[str, str]:
    """``name : type`` entries of the module docstring, with their text."""
    doc = settings.__doc__ or ""
    entries = re.split(r"^(\w+) : (.+)$", doc, flags=re.MULTILINE)
    names, kinds, texts = entries[1::3], entries[2::3], entries[3::3]
    return {n: f"{k}\n{t}" for n, k, t in zip(names, kinds, texts, strict=True)}


def test_every_setting_is_documented_with_its_type_and_default():
    values = {
        k: v
        for k, v in vars(settings).items()
        if not k.startswith("_")
        and not isinstance(v, types.ModuleType | type)
        and k not in {"annotations", "Path"}
    }
    documented = _documented()
    assert sorted(documented) == sorted(values)
    for name, value in values.items():
        default = re.search(r"Default is ``(.+?)``\.", " ".join(documented[name].split()))
        assert default, f"settings.{name}: no 'Default is ``...``.'"
        assert ast.literal_eval(default.group(1)) == value, name
        what = documented[name].split("\n", 1)[1].split("Default is")[0].strip()
        assert len(what.split()) >= 5, f"settings.{name}: say what it does"
