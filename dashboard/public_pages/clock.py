"""The public crime clock: each hour's share of the incidents with a known time,
shown only from 20 incidents upwards (as per cent, never as counts)."""

from __future__ import annotations

import dash
from dash import html

from dashboard import ids
from dashboard import public_view as view
from dashboard.callbacks.public import clock_content
from dashboard.i18n import language, t
from geodata.db import get_engine
from geodata.queries import public

dash.register_page(
    __name__,
    path="/clock",
    name="Time of day",
    title="Time of day · Saa za siku",
    order=10,
)


def layout(lang=None, **_query) -> html.Div:
    lang = language(lang)
    engine = get_engine()
    first, last = public.month_bounds(engine)
    start, end = view.default_months(first, last)
    bars = clock_content(engine, view.month_value(start), view.month_value(end), None, lang)
    content = [
        html.H1(t("clock.title", lang)),
        view.month_category_filters(
            ids.PUB_CLOCK_FROM, ids.PUB_CLOCK_TO, ids.PUB_CLOCK_CATEGORY, first, last, lang
        ),
        html.Div(bars, id=ids.PUB_CLOCK_BARS, **{"aria-live": "polite"}),
    ]
    return view.frame("/clock", lang, content)
