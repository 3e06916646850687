"""The public app on the seeded demo: every response it can give (pages, Dash routes,
assets, every callback with every choice its controls offer, and values sent by hand)
holds no record reference, no coordinate, no count below the threshold and no
sensitive category below ward x quarter. In the browser: a forum member's phone,
390 px wide, in Kiswahili."""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterator
from datetime import date
from urllib.parse import unquote

import pytest
from sqlalchemy import text

from dashboard import ids, page_sets
from dashboard.app import create_app
from dashboard.i18n import t
from geodata.categories import SENSITIVE
from geodata.errors import ObservatoryError
from geodata.queries import public
from geodata.stats.suppression import DEFAULT_THRESHOLD
from tests.public_inspection import Facts, Inspector, post_callback

DEMO_SEED = 20241
DEMO_REFERENCE = date(2024, 9, 30)
PUBLIC_PATHS = ("/", "/clock", "/sensitive", "/actions")
FULL_PATHS = ("/patrol", "/admin", "/hotspots", "/trends", "/meeting", "/about", "/login")


# Forum actions: their titles, descriptions and agencies can name people or exact
# spots, so the public tracker must show none of them.
PRIVATE_ACTION_TEXT = ("Lights at Mama Wanjiku's gate", "behind plot 114", "Kenya Power Ruiru")


@pytest.fixture(scope="module")
def demo(engine, tmp_path_factory):
    """The seeded demo through the real ETL, plus two forum actions; loaded once for
    this module, whose tests only read."""
    from etl.demo import run_demo
    from geodata import cache
    from geodata.actions import create_action
    from tests.conftest import truncate_all

    truncate_all(engine)
    cache.clear()
    empty_db = engine
    out = tmp_path_factory.mktemp("demo")
    run_demo(DEMO_SEED, out, reference_date=DEMO_REFERENCE, engine=empty_db)
    with empty_db.connect() as conn:
        lat, lon = conn.execute(
            text(
                "SELECT ST_Y(ST_PointOnSurface(geom)), ST_X(ST_PointOnSurface(geom)) "
                "FROM wards ORDER BY code LIMIT 1"
            )
        ).one()
    title, description, agency = PRIVATE_ACTION_TEXT
    create_action(
        empty_db,
        {"kind": "lighting", "title": title, "description": description,
         "responsible_agency": agency, "status": "done", "decided_on": "2024-01-10",
         "completed_on": "2024-03-02", "latitude": lat, "longitude": lon},
    )  # fmt: skip
    create_action(
        empty_db,
        {"kind": "community_meeting", "title": "Meet at the chief's office",
         "status": "agreed", "decided_on": "2024-02-01", "due_on": "2024-05-01"},
    )  # fmt: skip
    return empty_db


def _month_values(engine) -> list[str]:
    first, last = public.month_bounds(engine)
    months = []
    current = first
    while current <= last:
        months.append(current.strftime("%Y-%m"))
        current = public.next_month(current)
    return months


def _choices(engine, months: list[str]) -> Iterator[tuple[str, dict]]:
    """(callback key, input values) for every combination the controls offer, plus
    values sent by hand (sensitive categories, nonsense, nothing)."""
    categories = ["all", *public.PUBLIC_CATEGORIES, *sorted(SENSITIVE), "nonsense", None]
    both = [(a, b) for a, b in itertools.product(months, months) if a <= b]
    for prefix in ("map", "clock"):
        key = {
            "map": "..pub-map-image.src...pub-map-image.alt...pub-map-summary.children..",
            "clock": "pub-clock-bars.children",
        }[prefix]

        def values(start, end, chosen, lang, prefix=prefix):
            return {
                (f"pub-{prefix}-from", "value"): start,
                (f"pub-{prefix}-to", "value"): end,
                (f"pub-{prefix}-category", "value"): chosen,
                (ids.PUB_LANG, "data"): lang,
            }

        for start, end in both:  # every month range, all categories
            yield key, values(start, end, "all", "en")
        for chosen, month in itertools.product(categories, months):  # single months
            yield key, values(month, month, chosen, "en")
        for chosen, lang in itertools.product(categories, ("en", "sw")):
            yield key, values(months[0], months[-1], chosen, lang)
        yield key, values(months[-1], months[0], "theft", "sw")  # reversed
        yield key, values("1999-01", "garbage", None, "fr")
    quarters = [*public.sensitive_quarters(engine), "2001-Q1", None]
    sens_key = "..pub-sens-image.src...pub-sens-image.alt...pub-sens-table.children.."
    for quarter, chosen, lang in itertools.product(
        quarters, [*sorted(SENSITIVE), "theft", None], ("en", "sw")
    ):
        yield (
            sens_key,
            {
                (ids.PUB_SENS_QUARTER, "value"): quarter,
                (ids.PUB_SENS_CATEGORY, "value"): chosen,
                (ids.PUB_LANG, "data"): lang,
            },
        )
    router = ".._pages_content.children..._pages_store.data.."
    for path, search in itertools.product(
        [*PUBLIC_PATHS, *FULL_PATHS, "/nope"], ["", "?lang=sw", "?lang=en&start=2024-01-01"]
    ):
        yield (
            router,
            {
                ("_pages_location", "pathname"): path,
                ("_pages_location", "search"): search,
            },
        )


def _static_routes(client, index: str) -> list[str]:
    """Every GET route the app serves without a parameter, and every script and
    stylesheet its pages load."""
    linked = re.findall(r'(?:src|href)="(/[^"]+)"', index)
    return [
        *PUBLIC_PATHS,
        *FULL_PATHS,
        "/_dash-layout",
        "/_dash-dependencies",
        "/_reload-hash",
        "/_favicon.ico",
        "/auth/login.css",
        *linked,
    ]


def test_no_public_response_holds_records_positions_or_small_counts(demo):
    engine = demo
    facts = Facts(engine)
    assert set(PRIVATE_ACTION_TEXT) <= facts.private
    assert len(facts.refs) > 1000
    app = create_app(public=True)
    client = app.server.test_client()
    inspector = Inspector(facts, DEFAULT_THRESHOLD)

    index = client.get("/").get_data(as_text=True)
    for path in _static_routes(client, index):
        response = client.get(path)
        assert response.status_code == 200, path
        inspector.check(path, response.data)

    months = _month_values(engine)
    assert len(months) >= 12
    served = {key for key, entry in app.callback_map.items() if "callback" in entry}
    posted, bodies = set(), {}
    for key, values in _choices(engine, months):
        response = post_callback(client, app.callback_map[key], key, values)
        assert response.status_code in {200, 204}, (key, values, response.status_code)
        inspector.check(f"{key} {values}", response.data)
        posted.add(key)
        bodies[(key, tuple(sorted(map(str, values.items()))))] = response.get_json()
    assert posted == served  # every server-side callback was exercised

    # Suppression was exercised: many counts shown, all at or above the threshold.
    assert len(inspector.counts) > 1000 and min(inspector.counts) >= DEFAULT_THRESHOLD
    print(f"{inspector.responses} responses, {len(inspector.counts)} counts checked")


def _map(client, app, start, end, chosen, lang="en") -> dict:
    key = "..pub-map-image.src...pub-map-image.alt...pub-map-summary.children.."
    values = {
        (ids.PUB_MAP_FROM, "value"): start,
        (ids.PUB_MAP_TO, "value"): end,
        (ids.PUB_MAP_CATEGORY, "value"): chosen,
        (ids.PUB_LANG, "data"): lang,
    }
    return post_callback(client, app.callback_map[key], key, values).get_json()["response"]


def _svg_units(response: dict) -> list[tuple[str, int | None]]:
    svg = unquote(response[ids.PUB_MAP_IMAGE]["src"])
    return [
        (unit, int(count) if count else None)
        for unit, count in re.findall(r"data-unit='(\w+)'(?: data-count='(\d+)')?", svg)
    ]


def test_sensitive_categories_never_reach_the_map_and_only_wards_by_quarter(demo):
    engine = demo
    app = create_app(public=True)
    client = app.server.test_client()
    client.get("/")
    months = _month_values(engine)
    everything = _map(client, app, months[0], months[-1], "all")
    for name in sorted(SENSITIVE):
        assert _map(client, app, months[0], months[-1], name) == everything
    units = _svg_units(everything)
    assert {u for u, _ in units} >= {"h3_8", "h3_7", "ward"}
    # A rare category in single months: small groups are hatched, with no number.
    rare = [_svg_units(_map(client, app, m, m, "homicide")) for m in months]
    assert any(u == "fewer" and c is None for month in rare for u, c in month)
    # Shown counts are disjoint and never exceed the events of public categories.
    with engine.connect() as conn:
        public_events = conn.execute(
            text(
                "SELECT count(DISTINCT COALESCE(event_group_id, -id)) FROM incidents "
                "WHERE NOT (category = ANY(:s))"
            ),
            {"s": sorted(SENSITIVE)},
        ).scalar_one()
    assert 0 < sum(c for _, c in units if c) <= public_events

    # The sensitive page: wards only, each count the database's for that ward x quarter
    # (an event counts once, where its best-placed record puts it).
    key = "..pub-sens-image.src...pub-sens-image.alt...pub-sens-table.children.."
    shown = 0
    for name in sorted(SENSITIVE):
        expected = _events_by_ward_quarter(engine, name)
        for quarter in public.sensitive_quarters(engine):
            values = {
                (ids.PUB_SENS_QUARTER, "value"): quarter,
                (ids.PUB_SENS_CATEGORY, "value"): name,
                (ids.PUB_LANG, "data"): "en",
            }
            response = post_callback(client, app.callback_map[key], key, values).get_json()[
                "response"
            ]
            svg = unquote(response[ids.PUB_SENS_IMAGE]["src"])
            assert "<path d=" not in svg.split("</defs>")[1]  # no hexagon, only ward shapes
            drawn = {
                code: int(count)
                for code, count in re.findall(
                    r"href='#w-(\w+)' fill='[^']+' data-unit='ward' data-count='(\d+)'", svg
                )
            }
            wanted = {
                w: n for (w, q), n in expected.items() if q == quarter and n >= DEFAULT_THRESHOLD
            }
            assert drawn == wanted, (name, quarter)
            shown += len(drawn)
    assert shown > 0


def _events_by_ward_quarter(engine, category: str) -> dict[tuple[str, str], int]:
    """Events of `category` per (ward, 'YYYY-Qn'), each at its best-placed record."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT COALESCE(event_group_id, -id) AS event, ward_code, occurred_from, "
                "COALESCE(geocode_confidence, -1) AS confidence, id FROM incidents "
                "WHERE category = :c"
            ),
            {"c": category},
        ).all()
    best = {}
    for row in sorted(rows, key=lambda r: (-r.confidence, r.id)):
        best.setdefault(row.event, row)
    counts: dict[tuple[str, str], int] = {}
    for row in best.values():
        if row.ward_code is not None:
            quarter = f"{row.occurred_from.year}-Q{(row.occurred_from.month - 1) // 3 + 1}"
            counts[(row.ward_code, quarter)] = counts.get((row.ward_code, quarter), 0) + 1
    return counts


def test_the_public_app_has_only_its_own_pages_and_callbacks(demo):
    app = create_app(public=True)
    full = create_app()
    client = app.server.test_client()
    client.get("/")
    assert {p["path"] for p in page_sets.pages_of(app)} == {*PUBLIC_PATHS, "/404"}
    assert "/patrol" in {p["path"] for p in page_sets.pages_of(full)}
    outputs = {o.split(".")[0] for key in app.callback_map for o in key.strip(".").split("...")}
    assert all(o.startswith(("pub-", "_pages_")) for o in outputs), outputs
    key = ".._pages_content.children..._pages_store.data.."
    for path in FULL_PATHS:
        values = {("_pages_location", "pathname"): path, ("_pages_location", "search"): ""}
        page = json.dumps(post_callback(client, app.callback_map[key], key, values).get_json())
        assert t("page.not_found", "en") in page and "patrol-" not in page, path
    # A full-app callback cannot be reached, and nobody can sign in here.
    refused = client.post(
        "/_dash-update-component",
        json={
            "output": "map-graph.figure",
            "outputs": {"id": "map-graph", "property": "figure"},
            "inputs": [{"id": "map-dates", "property": "start_date", "value": None}],
            "changedPropIds": [],
            "state": [],
        },
    )
    assert refused.status_code >= 400 and b"incidents" not in refused.data
    assert client.post("/login", data={"username": "x"}).status_code == 405


def test_the_threshold_setting_applies_and_has_a_floor(demo, monkeypatch):
    monkeypatch.setenv("OBSERVATORY_PUBLIC_MIN_COUNT", "2")
    with pytest.raises(ObservatoryError, match="cannot be below 3"):
        create_app(public=True)
    monkeypatch.setenv("OBSERVATORY_PUBLIC_MIN_COUNT", "12")
    app = create_app(public=True)
    client = app.server.test_client()
    client.get("/")
    months = _month_values(demo)
    units = _svg_units(_map(client, app, months[-3], months[-1], "robbery"))
    counts = [c for u, c in units if c is not None]
    assert counts and min(counts) >= 12
    assert any(u == "fewer" for u, _ in units)
    key = ".._pages_content.children..._pages_store.data.."
    values = {("_pages_location", "pathname"): "/", ("_pages_location", "search"): ""}
    page = json.dumps(post_callback(client, app.callback_map[key], key, values).get_json())
    assert "fewer than 12" in page and "fewer than 5" not in page


def test_you_said_we_did_in_kiswahili(demo):
    app = create_app(public=True)
    client = app.server.test_client()
    client.get("/")
    key = ".._pages_content.children..._pages_store.data.."
    values = {
        ("_pages_location", "pathname"): "/actions",
        ("_pages_location", "search"): "?lang=sw",
    }
    page = json.dumps(
        post_callback(client, app.callback_map[key], key, values).get_json(), ensure_ascii=False
    )
    for label in ("kind.lighting", "status.done", "kind.community_meeting", "status.agreed",
                  "actions.overdue", "actions.kind", "actions.status"):  # fmt: skip
        assert t(label, "sw") in page, label
    assert "Machi 2024" in page  # completed on 2 March 2024
    assert not any(p in page for p in PRIVATE_ACTION_TEXT)


def _wait_until(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


@pytest.mark.browser
def test_a_forum_member_reads_the_map_in_kiswahili_on_a_phone(dash_duo, demo):
    dash_duo.start_server(create_app(public=True))
    dash_duo.driver.set_window_size(390, 844)
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?lang=sw", timeout=30)
    dash_duo.wait_for_text_to_equal("h1", t("map.title", "sw"), timeout=30)
    nav = dash_duo.find_element(".pub-nav").text
    for key in ("nav.map", "nav.clock", "nav.sensitive", "nav.actions"):
        assert t(key, "sw") in nav
    assert "Map" not in nav.split()
    dash_duo.wait_for_contains_text(f"#{ids.PUB_MAP_FROM}", "2023")
    assert re.search(
        r"(Januari|Februari|Machi|Aprili|Mei|Juni|Julai|Agosti|Septemba|Oktoba|"
        r"Novemba|Desemba) 20\d\d",
        dash_duo.find_element(f"#{ids.PUB_MAP_TO}").text,
    )
    assert (
        t("filter.all_categories", "sw") in dash_duo.find_element(f"#{ids.PUB_MAP_CATEGORY}").text
    )
    assert "yameonyeshwa" in dash_duo.find_element(f"#{ids.PUB_MAP_SUMMARY}").text
    image = dash_duo.find_element(f"#{ids.PUB_MAP_IMAGE}")
    assert _wait_until(lambda: image.get_property("naturalWidth") > 0)
    assert image.size["width"] <= 390

    before = dash_duo.find_element(f"#{ids.PUB_MAP_IMAGE}").get_attribute("src")
    dash_duo.select_dcc_dropdown(f"#{ids.PUB_MAP_CATEGORY}", value=t("category.theft", "sw"))
    assert _wait_until(
        lambda: dash_duo.find_element(f"#{ids.PUB_MAP_IMAGE}").get_attribute("src") != before
    ), "the map did not follow the category"

    width = dash_duo.driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth];"
    )
    assert width[0] <= width[1] <= 390, f"horizontal scroll: {width}"
    # The whole first load (page, scripts, styles, layout, map) within 1 MB.
    sizes = dash_duo.driver.execute_script(
        "var n = performance.getEntriesByType('navigation')[0];"
        "return [n ? n.encodedBodySize : 0].concat(performance.getEntriesByType('resource')"
        ".map(function (e) { return e.encodedBodySize; }));"
    )
    print(f"first load and one filter change: {sum(sizes):,} bytes in {len(sizes)} responses")
    assert sum(sizes) < 1_000_000
    dash_duo.find_element("#pub-lang-en").click()
    dash_duo.wait_for_text_to_equal("h1", t("map.title", "en"), timeout=20)
    assert dash_duo.get_logs() == []
