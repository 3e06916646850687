"""Callback outputs as plain JSON (dashboard.payload): what the browser receives is
unchanged, and orjson can serialise it without plotly's slow fallback."""

import json

import orjson
import pandas as pd
import plotly.graph_objects as go
import plotly.io.json as pio_json
from dash import dcc, html

from dashboard.figures.meeting import hotspot_map
from dashboard.payload import element, plain


def _as_sent(value) -> object:
    return json.loads(pio_json.to_json_plotly(value))


def test_plain_outputs_send_the_same_json_and_need_no_fallback():
    figure = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    outputs = (
        figure,
        [html.Div([html.Span("3", title="t"), dcc.Graph(figure=figure)], className="card")],
        "text",
    )
    converted = plain(outputs)
    assert _as_sent(converted) == _as_sent(list(outputs))
    orjson.dumps(converted, option=orjson.OPT_SERIALIZE_NUMPY)  # raises on a component


def test_an_element_is_the_component_it_stands_for():
    cell = element("Td", [element("Span", "+25%", className="change", title=None)], className="n")
    component = html.Td([html.Span("+25%", className="change")], className="n")
    assert _as_sent(cell) == _as_sent(component)


def test_a_map_sends_its_geojson_and_keeps_it():
    cells = [int(c, 16) for c in ("887a6e4287fffff", "887a6e4283fffff", "887a6e428bfffff")]
    wards = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "W1",
                "properties": {},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[36.80, -1.30], [36.90, -1.30], [36.90, -1.20]],
                },
            }
        ],
    }
    fig = hotspot_map(pd.DataFrame({"h3": cells, "count": [5, 2, 9]}), wards, top_cells=cells[:1])
    before = _as_sent(fig)
    converted = plain(fig)
    assert _as_sent(converted) == before
    assert converted["layout"]["map"]["layers"][0]["source"] == wards
    assert len(converted["data"][0]["geojson"]["features"]) == 3
    assert _as_sent(fig) == before  # the figure itself still holds its shapes
