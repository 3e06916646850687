"""The page shell: marks the navigation link of the page being shown."""

from __future__ import annotations

import dash
from dash import ALL, ClientsideFunction, Input, Output, State

from dashboard import ids


def register(app: dash.Dash) -> None:
    # In the browser (assets/clientside.js): marking a link needs no request.
    app.clientside_callback(
        ClientsideFunction("observatory", "markActiveLink"),
        Output({"type": ids.NAV_LINK, "index": ALL}, "className"),
        Input(ids.URL, "pathname"),
        State({"type": ids.NAV_LINK, "index": ALL}, "id"),
    )
