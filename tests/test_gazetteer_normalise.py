"""Place texts as clerks write them reduce to one key per place."""

from __future__ import annotations

import csv

import pytest

from geodata.gazetteer.normalise import WORDS_TABLE, normalise_place, place_key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Opp. Kawangware Pri. Sch.", "kawangware primary school"),
        ("kawangware primary school", "kawangware primary school"),
        ("Shule ya Msingi Kawangware", "kawangware primary school"),
        ("KAWANGWARE P.S", "kawangware primary school"),
        ("behind Kawangware p/s", "kawangware primary school"),
        ("karibu na Soko la Gikomba", "gikomba market"),
        ("near Gikomba mkt", "gikomba market"),
        ("Gikomba Market", "gikomba market"),
        ("nyuma ya Kangemi stg", "kangemi stage"),
        ("Kangemi Stage", "kangemi stage"),
        ("mbele ya Kangemi S/C", "kangemi shopping centre"),
        ("Kangemi Shopping Center", "kangemi shopping centre"),
        ("St. Mary's Hosp", "st marys hospital"),
        ("Saint Marys hospital", "st marys hospital"),
        ("kando ya Kanisa la AIC Bethel", "aic bethel church"),
        ("next to Mawingu Est.", "mawingu estate"),
        ("Kijiji cha Mnazi", "mnazi village"),
        ("Mnazi vill", "mnazi village"),
        ("along Ngong Rd", "ngong road"),
        ("Kibera police stn", "kibera police station"),
        ("Polisi Kibera", "kibera police station"),
        ("Dandora Area III", "dandora 3"),
        ("Umoja II", "umoja 2"),
        ("Café  Élan,", "cafe elan"),
        ("pale Jua Kali", "jua kali"),
    ],
)
def test_variants_reduce_to_one_key(text, key):
    assert normalise_place(text) == key


def test_missing_and_filler_only_texts_are_empty():
    assert normalise_place(None) == ""
    assert normalise_place(float("nan")) == ""
    assert normalise_place("  near the  ") == ""
    assert normalise_place("karibu na") == ""


def test_key_separates_the_name_from_its_kind():
    key = place_key("Opp. Kawangware Pri. Sch.")
    assert key.core == "kawangware"
    assert key.kinds == frozenset({"primary school"})
    # A place called only by a kind word keeps it as its name.
    hospital = place_key("Hospital")
    assert hospital.core == "hospital" and hospital.kinds == frozenset({"hospital"})


def test_words_table_is_a_readable_csv_with_the_issue_words():
    with WORDS_TABLE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert set(rows[0]) >= {"phrase", "means", "type"}
    phrases = {r["phrase"]: r for r in rows}
    for filler in ("near", "behind", "opposite", "karibu na", "nyuma ya", "mbele ya", "kando ya"):
        assert phrases[filler]["type"] == "filler"
    assert phrases["pri sch"]["means"] == "primary school"
    assert phrases["soko"]["means"] == "market"
    assert {r["type"] for r in rows} == {"filler", "kind", "word"}
