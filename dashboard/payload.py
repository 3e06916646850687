"""Callback outputs as the plain JSON Dash sends, and html elements built as such.

Dash serialises a response with orjson when every value is plain JSON; one dash
component or plotly figure anywhere in it sends the whole response through plotly's
fallback, which walks every value in Python (a quarter of a second for a CompStat
table of every ward, on every request, even when the outputs come from a cache).
"""

from __future__ import annotations

from typing import Any

from dash.development.base_component import Component
from plotly.basedatatypes import BaseFigure

HTML_NAMESPACE = "dash_html_components"


class Element(dict):
    """An html element already in the JSON form Dash sends (`element`): `plain`
    passes it through instead of walking the thousands of cells of its table again
    (170 ms of a 460 ms CompStat page). orjson writes it as the dict it is."""

    __slots__ = ()


def plain(output: Any) -> Any:
    """`output` with every component and figure replaced by its JSON form (what
    Dash would send for it); anything else unchanged, tuples as lists."""
    if isinstance(output, Element):
        return output
    if isinstance(output, Component):
        element = output.to_plotly_json()
        return {**element, "props": {k: plain(v) for k, v in element["props"].items()}}
    if isinstance(output, BaseFigure):
        return figure_json(output)
    if isinstance(output, list | tuple):
        return [plain(o) for o in output]
    if isinstance(output, dict):
        return {k: plain(v) for k, v in output.items()}
    return output


def figure_json(fig: BaseFigure) -> dict:
    """fig.to_plotly_json() without plotly deep-copying the GeoJSON of its traces and
    map layers (seconds for the wards of Kenya): the GeoJSON steps out of the figure
    while it is copied, then goes into the copy as it is (and back into the figure)."""
    traces = [(i, t.geojson) for i, t in enumerate(fig.data) if "geojson" in t and t.geojson]
    layers = [(i, layer.source) for i, layer in enumerate(fig.layout.map.layers) if layer.source]
    for i, _ in traces:
        fig.data[i].geojson = None
    for i, _ in layers:
        fig.layout.map.layers[i].source = None
    try:
        copied = fig.to_plotly_json()
    finally:
        for i, shapes in traces:
            fig.data[i].geojson = shapes
        for i, source in layers:
            fig.layout.map.layers[i].source = source
    for i, shapes in traces:
        copied["data"][i]["geojson"] = shapes
    for i, source in layers:
        copied["layout"]["map"]["layers"][i]["source"] = source
    return copied


def element(tag: str, children: Any = None, **props: Any) -> Element:
    """An html element (`tag` as in dash.html: "Td", "Span") as the JSON Dash sends
    for it, for the thousands of cells of a table: a dash.html component checks its
    properties when built, which costs more than everything else a table needs.
    `children`: text, or elements (never dash components: `plain` does not look
    inside an element)."""
    return Element(
        type=tag,
        namespace=HTML_NAMESPACE,
        props={"children": children, **{k: v for k, v in props.items() if v is not None}},
    )
