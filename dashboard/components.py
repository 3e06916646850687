"""Small layout pieces shared by pages: navigation, headline cards, attribution."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import dash
from dash import dcc, html

from dashboard import ids
from geodata.categories import LABELS, SENSITIVE

APP_TITLE = "Crime and violence observatory"


def nav_bar(visible: Callable[[str], bool] | None = None) -> html.Nav:
    """Links to every registered page, in page order (later pages add themselves);
    `visible(path)` leaves out the pages the viewer may not open."""
    pages = sorted(dash.page_registry.values(), key=lambda p: (p.get("order") or 0, p["name"]))
    pages = [p for p in pages if visible is None or visible(p["path"])]
    links = [
        html.Li(
            dcc.Link(
                page["name"],
                href=page["relative_path"],
                id=ids.nav_link(page["path"]),
                className="nav-link",
            )
        )
        for page in pages
    ]
    return html.Nav(html.Ul(links, className="nav-list"), id=ids.NAV, **{"aria-label": "Pages"})


def category_options(allowed: Iterable[str]) -> list[dict]:
    """Dropdown options; sensitive categories say so in their label."""
    return [
        {"label": f"{LABELS[c]} (sensitive)" if c in SENSITIVE else LABELS[c], "value": c}
        for c in allowed
    ]


def _card(label: str, value: str, value_id: str, note: str = "") -> html.Div:
    return html.Div(
        [
            html.Div(label, className="headline-label"),
            html.Div(value, id=value_id, className="headline-value"),
            html.Div(note, className="headline-note"),
        ],
        className="headline",
    )


def headline_cards(numbers: dict) -> list[html.Div]:
    """The four numbers above the map, from geodata.queries.maps.headline_numbers."""
    share = numbers["placed_share"]
    top = numbers["top_category"]
    return [
        _card("Incidents", f"{numbers['incidents']:,}", ids.HEADLINE_INCIDENTS),
        _card("Wards with incidents", f"{numbers['wards']:,}", ids.HEADLINE_WARDS),
        _card(
            "Placed on the map",
            "–" if share is None else f"{share:.0%}",
            ids.HEADLINE_PLACED,
            f"{numbers['placed']:,} with a position",
        ),
        _card(
            "Most frequent category",
            "–" if top is None else LABELS.get(top, top),
            ids.HEADLINE_TOP_CATEGORY,
            "" if top is None else f"{numbers['top_category_count']:,} incidents",
        ),
    ]


def attribution_text(attributions: Iterable[str]) -> list:
    """The footer under a map that draws ward boundaries."""
    items = [a for a in attributions if a]
    if not items:
        return []
    return [html.Span("Ward boundaries: "), html.Span("; ".join(items))]
