"""Callback responses serialised in one orjson pass.

Dash serialises every callback response with plotly's `to_json_plotly`. With the
orjson engine that first tries orjson on the response as it is; when anything in it
is not plain data, a Dash component (an attribution line beside a map), orjson
refuses the whole response and plotly walks every value of it in Python instead. For
a national map (a 4 MB figure with lists of 15,000 hexagons) that walk took 80-250 ms
of a warm request whose JSON otherwise takes 15 ms.

Here orjson is given a `default` that turns objects with `to_plotly_json` (components,
figures) into their dicts, which is what plotly's walk does for them; anything else
orjson cannot serialise still goes to plotly's own function, so the output is the
same either way, escaped the same way for embedding in HTML.
"""

from __future__ import annotations

from typing import Any

import orjson
import plotly.io.json as plotly_io_json
from plotly.io import _json as plotly_json

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
_plotly_to_json = plotly_json.to_json_plotly


def _as_plotly_json(obj: Any) -> Any:
    to_plotly_json = getattr(obj, "to_plotly_json", None)
    if to_plotly_json is None:
        raise TypeError(type(obj).__name__)
    return to_plotly_json()


def to_json_plotly(plotly_object: Any, pretty: bool = False, engine: str | None = None) -> str:
    """plotly's `to_json_plotly`, without its slow path for responses holding components."""
    if pretty or (engine or plotly_json.config.default_engine) == "json":
        return _plotly_to_json(plotly_object, pretty=pretty, engine=engine)
    try:
        text = orjson.dumps(plotly_object, default=_as_plotly_json, option=_OPTIONS)
    except TypeError:
        return _plotly_to_json(plotly_object, pretty=pretty, engine=engine)
    return plotly_json._safe(text.decode("utf8"), plotly_json._swap_orjson)


def install() -> None:
    """Make Dash use `to_json_plotly` (it looks the function up on every response)."""
    plotly_io_json.to_json_plotly = to_json_plotly
