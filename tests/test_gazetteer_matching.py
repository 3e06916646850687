"""Place resolution against a seeded synthetic gazetteer of ~200 places: the text
variants clerks write (typos, abbreviations, Kiswahili, filler) land in the right
ward, and nothing wrong is auto-accepted."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from geodata.gazetteer.matching import AUTO_ACCEPT, PlaceIndex, auto_accept

SYLLABLES = (
    "ka", "mu", "to", "ndi", "ri", "wa", "nge", "gi", "ko", "mba", "tha", "ru", "la", "si",
    "ki", "ma", "ne", "bu", "ya", "chi", "nya", "kwe", "mo", "se", "ti", "ngu", "ja", "ho",
    "le", "ro", "mi", "pe",
)  # fmt: skip
WARDS = (
    ("W01", "Kangemi"),
    ("W02", "Mathare North"),
    ("W03", "Mathare South"),
    ("W04", "Umoja I"),
    ("W05", "Umoja II"),
    ("W06", "Riruta"),
    ("W07", "Waithaka"),
    ("W08", "Kilimani"),
    ("W09", "Ngando"),
    ("W10", "Mutuini"),
    ("W11", "Kawangware"),
    ("W12", "Lindi"),
)
# kind -> (how the gazetteer spells it, how clerks abbreviate it, Kiswahili form)
KINDS = {
    "stage": ("Stage", "stg", "steji ya {root}"),
    "market": ("Market", "mkt", "soko la {root}"),
    "primary school": ("Primary School", "pri sch", "shule ya msingi {root}"),
    "secondary school": ("Secondary School", "sec sch", "shule ya upili {root}"),
    "shopping centre": ("Shopping Centre", "s/c", "karibu na {root} shopping centre"),
    "hospital": ("Hospital", "hosp", "hospitali ya {root}"),
    "church": ("Church", "ch", "kanisa la {root}"),
    "estate": ("Estate", "est", "mtaa wa {root}"),
    "village": ("Village", "vill", "kijiji cha {root}"),
    "dispensary": ("Dispensary", "disp", "zahanati ya {root}"),
}
FILLERS = ("opp.", "near", "behind", "next to", "along", "karibu na", "nyuma ya", "mbele ya")


@dataclass(frozen=True)
class Query:
    location: str
    ward_text: str | None
    agency_wards: tuple[str, ...]
    true_ward: str


def _root(rng: random.Random, used: set[str]) -> str:
    while True:
        root = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4))))
        if len(root) >= 5 and root not in used:
            used.add(root)
            return root.capitalize()


def make_gazetteer(seed: int = 7) -> list[dict]:
    """~200 places over 12 wards (a 4 x 3 grid of 4 km squares). Some roots repeat in
    other wards (two `St Mary's`), some repeat within a ward with another kind."""
    rng = random.Random(seed)
    used: set[str] = set()
    places: list[dict] = []
    roots: list[str] = []
    for i in range(200):
        ward_idx = rng.randrange(len(WARDS))
        if roots and rng.random() < 0.12:
            root = rng.choice(roots)  # a name shared by places in different wards
        else:
            root = _root(rng, used)
            roots.append(root)
        kind = rng.choice(list(KINDS))
        name = f"{root} {KINDS[kind][0]}"
        if any(p["name"] == name and p["ward_code"] == WARDS[ward_idx][0] for p in places):
            continue
        row, col = divmod(ward_idx, 4)
        places.append(
            {
                "id": i + 1,
                "name": name,
                "aliases": [f"{root} {KINDS[kind][1]}"] if rng.random() < 0.2 else [],
                "kind": kind,
                "lat": -1.30 - row * 0.036 - rng.uniform(0.003, 0.033),
                "lon": 36.70 + col * 0.036 + rng.uniform(0.003, 0.033),
                "ward_code": WARDS[ward_idx][0],
            }
        )
    return places


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    edit = rng.choice(("drop", "swap", "double", "vowel"))
    if edit == "drop":
        return word[:i] + word[i + 1 :]
    if edit == "swap":
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    if edit == "double":
        return word[:i] + word[i] + word[i:]
    vowel = rng.choice([v for v in "aeiou" if v != word[i]])
    return word[:i] + vowel + word[i + 1 :]


def _variant(rng: random.Random, place: dict) -> str:
    root = place["name"].rsplit(" ", len(KINDS[place["kind"]][0].split()))[0]
    spelled, abbrev, swahili = KINDS[place["kind"]]
    style = rng.choice(("exact", "lower", "abbrev", "swahili", "filler", "typo", "typo_abbrev"))
    if style == "exact":
        return place["name"]
    if style == "lower":
        return place["name"].lower() + "."
    if style == "abbrev":
        return f"{root.upper()} {abbrev.upper()}"
    if style == "swahili":
        return swahili.format(root=root)
    if style == "filler":
        return f"{rng.choice(FILLERS)} {root} {spelled.lower()}"
    if style == "typo":
        return f"{_typo(rng, root)} {spelled}"
    return f"{rng.choice(FILLERS)} {_typo(rng, root).lower()} {abbrev}"


def make_queries(places: list[dict], seed: int = 11, n: int = 1500) -> list[Query]:
    """Rows without GPS as clerks write them, with the ward they truly happened in."""
    rng = random.Random(seed)
    codes = [code for code, _ in WARDS]
    names = dict(WARDS)
    queries = []
    for _ in range(n):
        if rng.random() < 0.08:  # only the ward's name, sometimes typed loosely
            code = rng.choice(codes)
            text = rng.choice((names[code], names[code].lower() + " ward", f"near {names[code]}"))
            queries.append(Query(text, None, (code,), code))
            continue
        place = rng.choice(places)
        code = place["ward_code"]
        ward_text = rng.choice((names[code], names[code].upper(), None, None))
        agency = tuple(sorted({code, *rng.sample(codes, 2)}))
        queries.append(Query(_variant(rng, place), ward_text, agency, code))
    return queries


@pytest.fixture(scope="module")
def index() -> PlaceIndex:
    return PlaceIndex.build(make_gazetteer(), WARDS)


@pytest.mark.parametrize("context", ["ward text and agency area", "text alone"])
def test_synthetic_rows_land_in_the_right_ward_and_no_wrong_one_is_auto_accepted(index, context):
    queries = make_queries(make_gazetteer())
    if context == "text alone":
        queries = [Query(q.location, None, (), q.true_ward) for q in queries]
    results = index.resolve([(q.location, q.ward_text, q.agency_wards) for q in queries])
    right = sum(r.ward_code == q.true_ward for q, r in zip(queries, results, strict=True))
    wrong_accepted = [
        (q, r)
        for q, r in zip(queries, results, strict=True)
        if r.method != "unresolved" and r.ward_code != q.true_ward and r.confidence >= AUTO_ACCEPT
    ]
    accuracy = right / len(queries)
    auto = sum(r.confidence >= AUTO_ACCEPT for r in results) / len(queries)
    print(f"{context}: right ward {accuracy:.3f}, auto-accepted {auto:.3f}")
    assert accuracy >= 0.9
    assert auto >= 0.6  # review is for the doubtful, not for every row
    assert wrong_accepted == []


def test_place_text_resolves_to_the_gazetteer_point(index):
    place = next(p for p in make_gazetteer() if p["kind"] == "primary school")
    root = place["name"].split(" ")[0]
    (result,) = index.resolve([(f"opp. {root} pri. sch", None, ())])
    assert result.method == "gazetteer"
    assert result.place_id == place["id"]
    assert (result.lat, result.lon) == (place["lat"], place["lon"])
    assert result.ward_code == place["ward_code"]
    assert result.confidence >= AUTO_ACCEPT


def test_bare_ward_name_resolves_to_the_ward_only():
    index = PlaceIndex.build(make_gazetteer(), WARDS)
    (result,) = index.resolve([("Kawangware ward", None, ())])
    assert result.method == "ward_name"
    assert result.ward_code == "W11"
    assert result.lat is None and result.lon is None and result.place_id is None


def test_duplicate_name_is_settled_by_the_row_ward_or_the_agency_area():
    places = [
        {"id": 1, "name": "St Mary's Primary School", "aliases": [], "kind": "primary school",
         "lat": -1.30, "lon": 36.70, "ward_code": "W01"},
        {"id": 2, "name": "St Mary's Primary School", "aliases": [], "kind": "primary school",
         "lat": -1.40, "lon": 36.80, "ward_code": "W08"},
    ]  # fmt: skip
    index = PlaceIndex.build(places, WARDS)
    alone, by_ward, by_agency = index.resolve(
        [
            ("St. Marys P.S", None, ()),
            ("St. Marys P.S", "kilimani", ()),
            ("Saint Mary's pri sch", None, ("W01", "W02")),
        ]
    )
    assert alone.method == "unresolved"
    assert {c.place_id for c in alone.candidates} == {1, 2}
    assert (by_ward.method, by_ward.place_id) == ("gazetteer", 2)
    assert by_ward.confidence >= AUTO_ACCEPT
    assert (by_agency.method, by_agency.place_id) == ("gazetteer", 1)


def test_unknown_text_is_unresolved_but_the_row_ward_still_places_it(index):
    nothing, ward_only = index.resolve(
        [("xyzzy plugh", None, ()), ("xyzzy plugh", "Mathare South", ())]
    )
    assert nothing.method == "unresolved" and nothing.ward_code is None
    assert (ward_only.method, ward_only.ward_code) == ("ward_name", "W03")
    assert ward_only.lat is None


def test_each_distinct_text_is_matched_once(index, monkeypatch):
    calls = []
    original = index._resolve_one

    def counting(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(index, "_resolve_one", counting)
    texts = [("Kangemi", None, ("W01",)), ("Riruta", "Riruta", ())] * 500
    texts.append((float("nan"), None, ()))
    texts.append((None, None, ()))
    results = index.resolve(texts)
    assert len(results) == 1002
    assert len(calls) == 3
    assert results[0] == results[2]


def test_auto_accept_is_a_setting(monkeypatch):
    assert auto_accept() == AUTO_ACCEPT
    monkeypatch.setenv("OBSERVATORY_PLACE_AUTO_ACCEPT", "0.75")
    assert auto_accept() == 0.75
