"""The text keys every module shares: slugs, match keys and the names a station goes by."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from corridors._schema import ID_RE
from corridors._text import match_key, name_keys, slugify


@given(st.text())
def test_an_ascii_slug_is_a_schema_id_or_empty_and_slugs_are_idempotent(text):
    slug = slugify(text, ascii_only=True)
    assert slug == "" or ID_RE.match(slug)
    assert slugify(slug, ascii_only=True) == slug
    assert slugify(slugify(text)) == slugify(text)


@given(st.text())
def test_a_match_key_is_idempotent_and_ignores_case_and_punctuation(text):
    key = match_key(text)
    assert match_key(key) == key
    assert match_key(text.upper()) == match_key(text.lower()) or not text.isascii()
    assert not re.search(r"\s{2}|^\s|\s$", key)


def test_slugs_of_names():
    assert slugify("Boten–Vientiane Railway") == "boten-vientiane-railway"
    assert slugify("Phônsavan", ascii_only=True) == "phonsavan"
    assert slugify("Phônsavan") == "phônsavan"  # letters of every script kept by default
    assert slugify(None) == slugify(float("nan")) == ""


def test_name_keys_cover_station_suffixes_and_brackets():
    keys = name_keys("Xishuangbanna (Jinghong) station")
    assert {"xishuangbanna", "jinghong", "xishuangbanna jinghong"} <= keys
    assert name_keys("Vientiane") == {"vientiane"}
