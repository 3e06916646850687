"""Violence against women and children: sexual violence, domestic violence and child
abuse, by ward and quarter only, and only where the count reaches the threshold.
Every other ward is hatched: none and a few look the same, to protect survivors."""

from __future__ import annotations

import dash
from dash import html

from dashboard import ids
from dashboard import public_view as view
from dashboard.callbacks.public import legend, quarter_options, sensitive_content
from dashboard.i18n import category, language, t
from geodata.db import get_engine
from geodata.queries import public, wards
from geodata.stats.suppression import public_min_count

dash.register_page(
    __name__,
    path="/sensitive",
    name="Women and children",
    title="Women and children · Wanawake na watoto",
    order=20,
)


def layout(lang=None, **_query) -> html.Div:
    lang = language(lang)
    engine = get_engine()
    quarters = quarter_options(engine, lang)
    quarter = quarters[-1]["value"] if quarters else None
    first_category = public.SENSITIVE_CATEGORIES[0]
    src, alt, table = sensitive_content(engine, quarter, first_category, lang)
    content = [
        html.H1(t("sensitive.title", lang)),
        html.P(t("sensitive.note", lang, n=public_min_count()), className="pub-note"),
        html.Div(
            [
                view.dropdown(
                    ids.PUB_SENS_QUARTER, t("trend.quarter", lang), quarters, quarter, lang
                ),
                view.dropdown(
                    ids.PUB_SENS_CATEGORY,
                    t("filter.category", lang),
                    [{"label": category(c, lang), "value": c} for c in public.SENSITIVE_CATEGORIES],
                    first_category,
                    lang,
                    wide=True,
                ),
            ],
            className="pub-filters",
            role="search",
        ),
        html.Img(id=ids.PUB_SENS_IMAGE, src=src, alt=alt, className="pub-map"),
        legend(lang, wards_only=True),
        html.Div(table, id=ids.PUB_SENS_TABLE, **{"aria-live": "polite"}),
    ]
    return view.frame("/sensitive", lang, content, wards.ward_attributions(engine))
