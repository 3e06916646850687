"""The public map: incidents by area over whole months, in hexagons that grow (small
hexagon, large hexagon, ward) until each holds at least the threshold, else shown as
"fewer than N" without a number. Sensitive categories are never on this map."""

from __future__ import annotations

import dash
from dash import html

from dashboard import ids
from dashboard import public_view as view
from dashboard.callbacks.public import legend, map_content
from dashboard.i18n import language, t
from geodata.db import get_engine
from geodata.queries import public, wards
from geodata.stats.suppression import public_min_count

dash.register_page(
    __name__,
    path="/",
    name="Map",
    title="Community safety observatory · Kituo cha takwimu za usalama wa jamii",
    order=0,
)


def layout(lang=None, **_query) -> html.Div:
    lang = language(lang)
    engine = get_engine()
    first, last = public.month_bounds(engine)
    start, end = view.default_months(first, last)
    src, alt, summary = map_content(
        engine, view.month_value(start), view.month_value(end), None, lang
    )
    content = [
        html.H1(t("map.title", lang)),
        view.month_category_filters(
            ids.PUB_MAP_FROM, ids.PUB_MAP_TO, ids.PUB_MAP_CATEGORY, first, last, lang
        ),
        html.P(summary, id=ids.PUB_MAP_SUMMARY, className="pub-status", role="status"),
        html.Img(id=ids.PUB_MAP_IMAGE, src=src, alt=alt, className="pub-map"),
        legend(lang),
        html.P(t("map.note", lang, n=public_min_count()), className="pub-note"),
    ]
    return view.frame("/", lang, content, wards.ward_attributions(engine))
