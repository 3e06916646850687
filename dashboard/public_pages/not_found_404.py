"""Any other address in the public app: a short note in the viewer's language."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import public_view as view
from dashboard.i18n import language, t

dash.register_page(__name__, path="/404", name="404", title="404")


def layout(lang=None, **_query) -> html.Div:
    lang = language(lang)
    content = [
        html.H1(t("page.not_found", lang)),
        dcc.Link(t("page.home", lang), href=view.href("/", lang)),
    ]
    return view.frame("", lang, content)
