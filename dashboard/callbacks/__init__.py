"""Callbacks, registered on each app by `create_app` (never on a global app, so two
apps in one process, say the full and the public one, do not share state)."""

from __future__ import annotations

import dash

from dashboard.callbacks import actions as action_callbacks
from dashboard.callbacks import analytics as analytics_callbacks
from dashboard.callbacks import audits as audit_callbacks
from dashboard.callbacks import hotspots as hotspot_callbacks
from dashboard.callbacks import links as link_callbacks
from dashboard.callbacks import map as map_callbacks
from dashboard.callbacks import meeting as meeting_callbacks
from dashboard.callbacks import patrol as patrol_callbacks
from dashboard.callbacks import review as review_callbacks
from dashboard.callbacks import shell
from dashboard.options import AppOptions


def register_callbacks(app: dash.Dash, opts: AppOptions) -> None:
    shell.register(app)
    map_callbacks.register(app, opts)
    hotspot_callbacks.register(app, opts)
    analytics_callbacks.register(app, opts)
    meeting_callbacks.register(app, opts)
    patrol_callbacks.register(app, opts)
    action_callbacks.register(app, opts)
    audit_callbacks.register(app, opts)  # and the justice and feedback pages
    review_callbacks.register(app, opts)
    link_callbacks.register(app, opts)  # and the completeness page
