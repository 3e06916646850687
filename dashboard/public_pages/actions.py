"""You said, we did: the forum's actions, what kind, in which wards, and their status.
No titles, descriptions or agencies (they can name people or exact spots)."""

from __future__ import annotations

import dash
from dash import html

from dashboard import ids
from dashboard import public_view as view
from dashboard.callbacks.public import actions_content
from dashboard.i18n import language, t
from geodata.db import get_engine

dash.register_page(
    __name__,
    path="/actions",
    name="You said, we did",
    title="You said, we did · Mlisema, tulifanya",
    order=30,
)


def layout(lang=None, **_query) -> html.Div:
    lang = language(lang)
    content = [
        html.H1(t("actions.title", lang)),
        html.Div(actions_content(get_engine(), lang), id=ids.PUB_ACTIONS),
    ]
    return view.frame("/actions", lang, content)
