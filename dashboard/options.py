"""Per-app options, fixed when the app is created and kept in the Flask config so
page layouts (which Dash calls without arguments of ours) can read them."""

from __future__ import annotations

from dataclasses import dataclass

CONFIG_KEY = "OBSERVATORY_OPTIONS"


@dataclass(frozen=True)
class AppOptions:
    # The public app shows aggregates only and never maps sensitive categories.
    public: bool = False
    map_style: str = "white-bg"
    hex_resolution: int = 8


def current() -> AppOptions:
    """The options of the app serving the current request."""
    from flask import current_app

    return current_app.config.get(CONFIG_KEY, AppOptions())
