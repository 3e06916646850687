"""The meeting pack from the seeded demo: a real PDF with exactly one landscape page
per agenda item, each stamped with the filters and the time it was made, the ward
attribution on the pages that show wards, the numbers the database holds, and no
incident record; the PNG zip holds every figure, stamped."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import text

from dashboard import agenda, pdf
from geodata.actions import create_action
from geodata.errors import ObservatoryError
from geodata.queries import wards
from tests.conftest import truncate_all

DEMO_SEED = 20241
DEMO_REFERENCE = date(2024, 9, 30)
AS_OF = date(2024, 10, 15)
GENERATED = datetime(2024, 10, 16, 18, 30)
CATEGORIES = ("robbery", "theft", "assault")


@pytest.fixture(scope="module")
def demo(count_records, engine, tmp_path_factory):
    """The seeded demo through the real ETL, and two forum actions, one overdue."""
    from etl.demo import run_demo
    from geodata import cache

    truncate_all(engine)
    cache.clear()
    run = run_demo(
        DEMO_SEED, tmp_path_factory.mktemp("demo"), reference_date=DEMO_REFERENCE, engine=engine
    )
    with engine.connect() as conn:
        point = conn.execute(
            text("SELECT ST_Y(geom), ST_X(geom) FROM incidents WHERE geom IS NOT NULL LIMIT 1")
        ).one()
    create_action(
        engine,
        {
            "kind": "lighting",
            "title": "Lights at the market footpath",
            "status": "agreed",
            "responsible_agency": "County roads office",
            "decided_on": "2024-08-01",
            "due_on": "2024-09-30",
            "latitude": point[0],
            "longitude": point[1],
        },
    )
    create_action(
        engine,
        {
            "kind": "awareness",
            "title": "School talks",
            "status": "in_progress",
            "due_on": "2025-01-31",
        },
    )
    return engine, run


def _scope(engine) -> agenda.Scope:
    with engine.connect() as conn:
        last = conn.execute(text("SELECT max(occurred_from)::date FROM incidents")).scalar_one()
    return agenda.Scope(start=date(last.year - 1, last.month, 1), end=last, categories=CATEGORIES)


def _db_ward_counts(engine, first: date, last: date) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT w.name, count(*) FROM incidents i JOIN wards w ON w.code = i.ward_code "
                "WHERE occurred_from::date BETWEEN :a AND :b AND category = ANY(:c) "
                "GROUP BY w.name ORDER BY count(*) DESC, w.name"
            ),
            {"a": first, "b": last, "c": list(CATEGORIES)},
        )
        return [(name, int(n)) for name, n in rows]


def test_meeting_pack_has_one_stamped_page_per_agenda_item(demo):
    engine, run = demo
    scope = _scope(engine)
    items = agenda.build_agenda(engine, scope, as_of=AS_OF)
    stamp = agenda.filter_stamp(scope, GENERATED)
    attribution = "; ".join(wards.ward_attributions(engine))
    data = pdf.meeting_pack_pdf(items, stamp, attribution)

    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == len(items) == len(agenda.AGENDA_TITLES) == 4
    texts = [" ".join(page.extract_text().split()) for page in reader.pages]
    for page, item, words in zip(reader.pages, items, texts, strict=True):
        box = page.mediabox
        assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape
        assert f"{item.number}. {item.title}" in words
        for part in (
            "Categories: Robbery, Theft, Assault",
            f"Dates: {scope.start.day} {scope.start:%b %Y} - {scope.end.day} {scope.end:%b %Y}",
            "Agencies: all",
            "Wards: all",
            "Time band: all day",
            "Generated 16 Oct 2024 18:30",
        ):
            assert part in words, (item.key, part)
        assert (attribution.split(",")[0] in words) == item.shows_wards

    # The busiest ward of the month, with the count the database holds.
    (first, last), _ = agenda.month_spans(scope)
    top_ward, top_count = _db_ward_counts(engine, first, last)[0]
    assert f"{top_ward} {top_count:,}" in texts[0]
    # Forum actions: the overdue one flagged in words, not by colour alone.
    assert "Lights at the market footpath" in texts[3]
    assert "OVERDUE by 15 days" in texts[3]
    assert "School talks" in texts[3] and "due 31 Jan 2025" in texts[3]
    # No incident record reaches the pack: no register reference, no place text.
    with engine.connect() as conn:
        refs = conn.execute(
            text("SELECT record_ref, location_text FROM incidents ORDER BY id LIMIT 200")
        ).all()
    everything = " ".join(texts)
    assert not any(ref in everything for ref, _ in refs)
    assert not any(place and len(place) > 12 and place in everything for _, place in refs)


def test_figure_zip_holds_every_figure_stamped(demo):
    engine, _ = demo
    scope = _scope(engine)
    items = agenda.build_agenda(engine, scope, as_of=AS_OF)
    data = pdf.figures_zip(items, agenda.filter_stamp(scope, GENERATED), "Test wards (CC0)")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names == [f"{f.name}.png" for item in items for f in item.figures]
        assert len(names) == 3
        for name in names:
            png = archive.read(name)
            assert png.startswith(b"\x89PNG\r\n\x1a\n")
            width, height = Image.open(io.BytesIO(png)).size
            assert width >= 1100 and height >= 760


def test_pdf_text_keeps_what_latin1_can_draw():
    assert pdf.pdf_text("1–30 Sep · Murang’a †") == "1-30 Sep · Murang'a *"
    assert pdf.pdf_text("Ngéché 北") == "Ngéché ?"


def test_chromium_comes_from_the_setting_or_path(monkeypatch):
    monkeypatch.delenv("OBSERVATORY_CHROMIUM", raising=False)
    assert pdf.chromium_path().endswith(("chromium", "chromium-browser", "google-chrome"))
    monkeypatch.setenv("OBSERVATORY_CHROMIUM", "/nowhere/chromium")
    with pytest.raises(ObservatoryError, match="OBSERVATORY_CHROMIUM"):
        pdf.chromium_path()
