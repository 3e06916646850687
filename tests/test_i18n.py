"""Every public label exists in English and Kiswahili."""

from __future__ import annotations

import re
import string

import pytest

from dashboard import i18n
from geodata.categories import CATEGORIES


def test_every_key_has_both_languages_and_they_differ_where_words_do():
    for key, texts in i18n.TRANSLATIONS.items():
        assert set(texts) == set(i18n.LANGUAGES), key
        assert all(texts[lang].strip() for lang in i18n.LANGUAGES), key
    # A Kiswahili column copied from English would pass the check above: most
    # labels (all but names of languages and proper nouns) must differ.
    same = [k for k, v in i18n.TRANSLATIONS.items() if v["en"] == v["sw"]]
    assert set(same) <= {"language.en", "language.sw"}, same


def test_placeholders_match_between_languages():
    fields = string.Formatter()
    for key, texts in i18n.TRANSLATIONS.items():
        names = [{f for _, f, _, _ in fields.parse(texts[lang]) if f} for lang in i18n.LANGUAGES]
        assert names[0] == names[1], key


def test_every_category_month_and_status_is_translated():
    for category in CATEGORIES:
        assert i18n.category(category, "sw") != i18n.category(category, "en")
    assert i18n.category("homicide", "sw") == "Mauaji"
    assert i18n.category("sexual_violence", "sw") == "Unyanyasaji wa kingono"
    assert [i18n.month(m, "sw") for m in (1, 8, 12)] == ["Januari", "Agosti", "Desemba"]
    assert i18n.month_year(2025, 3, "sw") == "Machi 2025"
    for status in i18n.ACTION_STATUSES:
        assert i18n.t(f"status.{status}", "sw")


def test_lookup_formats_falls_back_and_refuses_unknown_keys():
    assert i18n.fewer_than(5, "en") == "fewer than 5"
    assert i18n.fewer_than(5, "sw") == "chini ya 5"
    assert i18n.t("map.title", "fr") == i18n.t("map.title", "en")
    assert i18n.t("map.title", None) == "Incidents by area"
    with pytest.raises(KeyError):
        i18n.t("map.no_such_label", "sw")


def test_public_labels_used_in_the_dashboard_exist():
    """Keys written as t("...") anywhere in dashboard/ must be in the table."""
    from pathlib import Path

    root = Path(i18n.__file__).parent
    used = set()
    for path in root.rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""", path.read_text()))
    missing = sorted(used - set(i18n.TRANSLATIONS))
    assert not missing, missing


def test_action_statuses_match_the_actions_table():
    """Every status the actions table allows has a label in both languages."""
    from geodata.models import Base

    checks = [
        str(c.sqltext)
        for c in Base.metadata.tables["actions"].constraints
        if getattr(c, "name", None) == "ck_actions_status"
    ]
    allowed = set(re.findall(r"'([a-z_]+)'", checks[0]))
    assert allowed == set(i18n.ACTION_STATUSES)
