"""The Dash apps: `create_app()` builds the full app (sign-in required), and
`create_app(public=True)` the public one (aggregates only, no sign-in); gunicorn
serves `dashboard.app:server`, the public app when PUBLIC=1.

The two apps are separate page sets: the full app's pages live in `dashboard/pages`,
the public app's in `dashboard/public_pages`; each app registers only its own
callbacks, and `dashboard.page_sets` keeps Dash's process-wide page registry from
showing one app's pages to the other.

Nothing here touches the database: layouts are functions called per request, and
callbacks open connections when they run. Every script, stylesheet and map asset is
served by this app itself (no CDN), so the dashboard works without internet.
"""

from __future__ import annotations

import gc

import dash
import flask
import plotly.io as pio
from dash import dcc, html

from dashboard import auth, components, ids, page_sets, warm
from dashboard.callbacks import admin as admin_callbacks
from dashboard.callbacks import public as public_callbacks
from dashboard.callbacks import register_callbacks
from dashboard.compression import install_compression
from dashboard.figures.map import map_style_for
from dashboard.options import CONFIG_KEY, AppOptions
from geodata import settings
from geodata.stats.suppression import public_min_count

PUBLIC_TITLE = "Community safety observatory · Kituo cha takwimu za usalama wa jamii"


def _use_fast_json() -> None:
    """orjson serialises figures several times faster than the standard library, and
    in one pass even when a response holds components (dashboard.fast_json)."""
    try:
        import orjson  # noqa: F401
    except ImportError:
        return
    pio.json.config.default_engine = "orjson"
    from dashboard import fast_json

    fast_json.install()


def _signed_in() -> tuple[auth.User | None, list]:
    """The viewer, and the sign-out link to show them (none without sign-in)."""
    if not flask.has_request_context() or auth._EXTENSION not in flask.current_app.extensions:
        return None, []
    user = auth.current_user()
    if user is None:
        return None, []
    link = html.A(
        f"Sign out ({user.username})", href=auth.LOGOUT_PATH, className="signout", id=ids.SIGN_OUT
    )
    return user, [link]


def shell() -> html.Div:
    """The frame around every page: title, navigation (the pages the viewer's role may
    open), the page, the footer."""
    user, signout = _signed_in()
    roles = flask.current_app.extensions[auth._EXTENSION].page_roles if user else None

    def visible(path: str) -> bool:
        return user is None or auth.page_allowed(path, user.role, roles)

    return html.Div(
        [
            dcc.Location(id=ids.URL),
            dcc.Store(id=ids.PROJECTOR, storage_type="session"),
            html.Header(
                [
                    html.A(components.APP_TITLE, href="/", className="brand"),
                    components.nav_bar(visible),
                    html.Button(
                        "Projector",
                        id=ids.PROJECTOR_TOGGLE,
                        className="projector-toggle",
                        title="Large type and high contrast for a projector (?projector=1)",
                        **{"aria-pressed": "false"},
                    ),
                    html.Div(id=ids.PROJECTOR_SYNC, hidden=True),
                    *signout,
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


def public_shell() -> html.Div:
    """The public app's frame is part of each page (its language comes from ?lang=)."""
    return html.Div(dash.page_container, className="pub-app")


def create_app(public: bool = False) -> dash.Dash:
    """A new dashboard app: the full one behind sign-in, or (`public=True`) the public
    one, which has its own pages and callbacks and shows suppressed aggregates only."""
    _use_fast_json()
    page_sets.install()
    if public:
        public_min_count()  # a threshold below the floor stops the app here, not mid-request
    opts = AppOptions(public=public, map_style=map_style_for(settings.get("OBSERVATORY_TILES")))
    app = dash.Dash(
        "dashboard",  # the package: pages and assets are found beside this file
        use_pages=True,
        pages_folder="public_pages" if public else "pages",
        # One stylesheet for the public app (small screens, slow connections); the
        # full app's styles and scripts stay out of it.
        assets_ignore=r"^(?!public\.css$)" if public else r"^public\.css$",
        title=PUBLIC_TITLE if public else components.APP_TITLE,
        update_title=None,
        serve_locally=True,
        # Compressed by install_compression below (GeoJSON shrinks about sixfold;
        # offline laptops on slow Wi-Fi), at faster levels than Dash's, with a cache.
        compress=False,
        external_scripts=[],
        external_stylesheets=[],
        # Otherwise Dash calls every page's layout() on the first request to check
        # ids, which reads the database before any page is asked for; the browser
        # tests check the wiring instead.
        suppress_callback_exceptions=True,
    )
    app.server.config[CONFIG_KEY] = opts
    app.server.config[page_sets.CONFIG_KEY] = (
        "dashboard.public_pages" if public else "dashboard.pages"
    )
    install_compression(app.server)
    if not public:
        # Before the sign-in guard, which answers some requests itself.
        warm.install_warmer(app.server)
    auth.install_auth(app, public)
    if public:
        app.layout = public_shell
        public_callbacks.register(app)
    else:
        app.layout = shell
        register_callbacks(app, opts)
        admin_callbacks.register(app)
    return app


app = create_app(public=settings.get_bool("PUBLIC"))
server = app.server
# What exists now (modules, Plotly's validators, the app and its layouts) lives as long
# as the process: out of the cyclic collector's reach, a full collection walks only
# what requests made. Each one walked all of it, about 100 ms, several times a minute
# under load (a cold national map read and drawn in process: 170-470 ms before,
# 145-235 ms after). Objects
# still go when their last reference does; only cycles among them would stay.
gc.freeze()
