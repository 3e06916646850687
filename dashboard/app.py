"""The Dash app: `create_app()` builds it; gunicorn serves `dashboard.app:server`.

Nothing here touches the database: layouts are functions called per request, and
callbacks open connections when they run. Every script, stylesheet and map asset is
served by this app itself (no CDN), so the dashboard works without internet.
"""

from __future__ import annotations

import secrets

import dash
import plotly.io as pio
from dash import dcc, html

from dashboard import components, ids
from dashboard.callbacks import register_callbacks
from dashboard.figures.map import map_style_for
from dashboard.options import CONFIG_KEY, AppOptions
from geodata import settings


def _use_fast_json() -> None:
    """orjson serialises figures several times faster than the standard library."""
    try:
        import orjson  # noqa: F401
    except ImportError:
        return
    pio.json.config.default_engine = "orjson"


def shell() -> html.Div:
    """The frame around every page: title, navigation, the page, the footer."""
    return html.Div(
        [
            dcc.Location(id=ids.URL),
            dcc.Store(id=ids.PROJECTOR, storage_type="session"),
            html.Header(
                [
                    html.A(components.APP_TITLE, href="/", className="brand"),
                    components.nav_bar(),
                    html.Button(
                        "Projector",
                        id=ids.PROJECTOR_TOGGLE,
                        className="projector-toggle",
                        title="Large type and high contrast for a projector (?projector=1)",
                        **{"aria-pressed": "false"},
                    ),
                    html.Div(id=ids.PROJECTOR_SYNC, hidden=True),
                ],
                className="app-header",
            ),
            html.Main(dash.page_container, className="app-main"),
            html.Footer(
                "Counts come from agency registers as loaded; a place with no incident "
                "recorded is not necessarily a place with no crime.",
                className="app-footer",
            ),
        ],
        id=ids.APP,
        className="app",
    )


def create_app(public: bool = False) -> dash.Dash:
    """A new dashboard app; `public=True` serves aggregates only (no sensitive
    categories on the map)."""
    _use_fast_json()
    opts = AppOptions(public=public, map_style=map_style_for(settings.get("OBSERVATORY_TILES")))
    app = dash.Dash(
        "dashboard",  # the package: pages and assets are found beside this file
        use_pages=True,
        pages_folder="pages",
        title=components.APP_TITLE,
        update_title=None,
        serve_locally=True,
        compress=True,  # GeoJSON shrinks about fourfold; offline laptops on slow Wi-Fi
        external_scripts=[],
        external_stylesheets=[],
        # Otherwise Dash calls every page's layout() on the first request to check
        # ids, which reads the database before any page is asked for; the browser
        # tests check the wiring instead.
        suppress_callback_exceptions=True,
    )
    app.server.config[CONFIG_KEY] = opts
    app.server.secret_key = settings.get("OBSERVATORY_SECRET_KEY") or secrets.token_hex(32)
    app.layout = shell
    register_callbacks(app, opts)
    return app


app = create_app(public=settings.get_bool("PUBLIC"))
server = app.server
