"""Two page sets in one process: the full app's `dashboard/pages` and the public app's
`dashboard/public_pages`.

Dash keeps one page registry per process (`dash.page_registry`), and its router looks
pages up there. With both apps in one process (the tests, or anyone embedding both)
the public app's router would find the full app's pages, and the two home pages would
collide. `install()` replaces the registry with one that, inside a request, shows only
the pages of the app answering it (the package named in its Flask config); outside a
request (while pages register) it shows everything. Production runs one app per
process anyway, so there the filter only ever matches every page.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import dash
import flask
from dash import _layout_utils, _pages

CONFIG_KEY = "OBSERVATORY_PAGES_PACKAGE"


class AppScopedRegistry(OrderedDict):
    """dash's page registry, narrowed per request to the answering app's package."""

    def _package(self) -> str | None:
        if flask.has_app_context():
            return flask.current_app.config.get(CONFIG_KEY)
        return None

    def _visible(self, module: str) -> bool:
        package = self._package()
        return package is None or module.startswith(package + ".")

    def __iter__(self):
        return (k for k in list(super().keys()) if self._visible(k))

    def keys(self):  # type: ignore[override]
        return list(iter(self))

    def values(self):  # type: ignore[override]
        return [super(AppScopedRegistry, self).__getitem__(k) for k in iter(self)]

    def items(self):  # type: ignore[override]
        return [(k, super(AppScopedRegistry, self).__getitem__(k)) for k in iter(self)]

    def __len__(self) -> int:
        return len(self.keys())

    def __contains__(self, module: object) -> bool:
        return super().__contains__(module) and self._visible(str(module))

    def __getitem__(self, module: str) -> Any:
        if not self._visible(module):
            raise KeyError(module)
        return super().__getitem__(module)

    def get(self, module: str, default: Any = None) -> Any:
        try:
            return self[module]
        except KeyError:
            return default


def install() -> None:
    """Swap dash's registry for an AppScopedRegistry (once; keeps registered pages)."""
    if isinstance(_pages.PAGE_REGISTRY, AppScopedRegistry):
        return
    registry = AppScopedRegistry(_pages.PAGE_REGISTRY)
    _pages.PAGE_REGISTRY = registry
    _layout_utils.PAGE_REGISTRY = registry
    dash.page_registry = registry


def pages_of(app: dash.Dash) -> list[dict]:
    """The pages `app` serves, in registry order (for tests and navigation)."""
    with app.server.app_context():
        return list(dash.page_registry.values())
