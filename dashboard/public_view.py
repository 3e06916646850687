"""Layout pieces of the public app: the frame around each page (title, navigation,
language switch, footer), month and category choices. Every label comes from
`dashboard.i18n`; the language is the page's `?lang=` (English by default).

The frame is part of each page's layout rather than a shell with callbacks, so a
page arrives in one response on a slow connection and switching language is a link.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from dash import dcc, html

from dashboard import ids
from dashboard.i18n import LANGUAGE_NAMES, LANGUAGES, category, language, month_year, t
from geodata.queries.public import PUBLIC_CATEGORIES, month_start, next_month

# (path, label key) in navigation order.
PAGES: tuple[tuple[str, str], ...] = (
    ("/", "nav.map"),
    ("/clock", "nav.clock"),
    ("/sensitive", "nav.sensitive"),
    ("/actions", "nav.actions"),
)
ALL = "all"
DEFAULT_MONTHS = 12


def href(path: str, lang: str) -> str:
    return path + ("?" + urlencode({"lang": lang}) if lang != "en" else "")


def _nav(path: str, lang: str) -> html.Nav:
    links = [
        html.Li(
            dcc.Link(
                t(key, lang),
                href=href(page, lang),
                className="pub-nav-link" + (" active" if page == path else ""),
            )
        )
        for page, key in PAGES
    ]
    return html.Nav(html.Ul(links), className="pub-nav", **{"aria-label": t("nav.menu", lang)})


def _language_switch(path: str, lang: str) -> html.Div:
    return html.Div(
        [
            html.Span(t("language.label", lang) + ":", className="pub-lang-label"),
            *(
                html.Span(
                    dcc.Link(
                        LANGUAGE_NAMES[code],
                        href=href(path, code),
                        className="pub-lang" + (" active" if code == lang else ""),
                        id=f"pub-lang-{code}",
                    ),
                    lang=code,
                )
                for code in LANGUAGES
            ),
        ],
        className="pub-langs",
    )


def frame(path: str, lang: str | None, content: list, attributions=()) -> html.Div:
    """A whole public page: header, navigation, `content`, footer."""
    lang = language(lang)
    sources = [t("map.boundaries", lang, source=a) for a in attributions if a]
    return html.Div(
        [
            dcc.Store(id=ids.PUB_LANG, data=lang),
            html.Header(
                [
                    html.Div(
                        [
                            html.A(t("app.title", lang), href=href("/", lang), className="brand"),
                            _language_switch(path, lang),
                        ],
                        className="pub-top",
                    ),
                    html.P(t("app.subtitle", lang), className="pub-subtitle"),
                    _nav(path, lang),
                ],
                className="pub-header",
            ),
            html.Main(content, className="pub-main", lang=lang),
            html.Footer(
                [html.P(t("data.source", lang)), *(html.P(s) for s in sources)],
                className="pub-footer",
            ),
        ],
        className="pub",
        lang=lang,
    )


def months_between(first: date | None, last: date | None) -> list[date]:
    if first is None or last is None:
        return []
    months, current = [], month_start(first)
    while current <= last:
        months.append(current)
        current = next_month(current)
    return months


def month_options(first: date | None, last: date | None, lang: str) -> list[dict]:
    return [
        {"label": month_year(m.year, m.month, lang), "value": m.strftime("%Y-%m")}
        for m in months_between(first, last)
    ]


def parse_month(value: object, first: date | None, last: date | None) -> date | None:
    """A `YYYY-MM` value as the month's first day, clamped to the data; else None."""
    if not isinstance(value, str) or first is None or last is None:
        return None
    try:
        year, month = (int(part) for part in value.strip().split("-")[:2])
        chosen = date(year, month, 1)
    except ValueError:
        return None
    return min(max(chosen, first), last)


def default_months(first: date | None, last: date | None) -> tuple[date | None, date | None]:
    """The last twelve months with data."""
    months = months_between(first, last)
    return (months[-DEFAULT_MONTHS:][0], months[-1]) if months else (None, None)


def month_range(
    start: object, end: object, first: date | None, last: date | None
) -> tuple[date | None, date | None]:
    """The chosen months in order; the default range where one is missing."""
    default_start, default_end = default_months(first, last)
    chosen = parse_month(start, first, last) or default_start
    until = parse_month(end, first, last) or default_end
    if chosen and until and chosen > until:
        chosen, until = until, chosen
    return chosen, until


def category_options(lang: str) -> list[dict]:
    return [{"label": t("filter.all_categories", lang), "value": ALL}] + [
        {"label": category(c, lang), "value": c} for c in PUBLIC_CATEGORIES
    ]


def parse_category(value: object) -> tuple[str, ...]:
    """One public category as a 1-tuple, or () for all of them. Anything else (a
    sensitive category sent by hand, say) means all public categories."""
    return (value,) if isinstance(value, str) and value in PUBLIC_CATEGORIES else ()


def dropdown_labels(lang: str) -> dict:
    """The dropdown's own words (Dash writes them in English otherwise)."""
    return {
        "search": t("dropdown.search", lang),
        "clear_search": t("dropdown.clear_search", lang),
        "clear_selection": t("dropdown.clear_selection", lang),
        "no_options_found": t("dropdown.no_options_found", lang),
    }


def dropdown(
    id_: str, label: str, options: list[dict], value, lang: str, wide: bool = False
) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=id_, className="pub-label"),
            dcc.Dropdown(
                id=id_,
                options=options,
                value=value,
                clearable=False,
                searchable=False,
                labels=dropdown_labels(lang),
                className="pub-dropdown",
            ),
        ],
        className="pub-field" + (" pub-field-wide" if wide else ""),
    )


def month_value(day: date | None) -> str | None:
    return day.strftime("%Y-%m") if day else None


def month_controls(from_id: str, to_id: str, first, last, lang: str) -> list[html.Div]:
    options = month_options(first, last, lang)
    start, end = default_months(first, last)
    return [
        dropdown(from_id, t("filter.from", lang), options, month_value(start), lang),
        dropdown(to_id, t("filter.to", lang), options, month_value(end), lang),
    ]


def count_text(template_key: str, count: int, lang: str) -> html.Span:
    """A sentence holding a count; the count is marked `data-count` for the tests that
    check no public number is below the threshold."""
    return html.Span(t(template_key, lang, n=f"{count:,}"), **{"data-count": count})


def month_category_filters(from_id, to_id, category_id, first, last, lang: str) -> html.Div:
    """The public pages' filter bar: a month range and one category (or all)."""
    return html.Div(
        [
            *month_controls(from_id, to_id, first, last, lang),
            dropdown(
                category_id,
                t("filter.category", lang),
                category_options(lang),
                ALL,
                lang,
                wide=True,
            ),
        ],
        className="pub-filters",
        role="search",
    )
