"""The map figure builders and filter parsing, without a browser or a database."""

from __future__ import annotations

import json
import math
from datetime import date

import h3
import orjson
import pandas as pd
import plotly.io as pio
import pytest

from dashboard import filters
from dashboard.figures import map as map_figures
from dashboard.figures.theme import SEQUENTIAL
from geodata.categories import SENSITIVE
from geodata.errors import ObservatoryError
from geodata.h3grid import from_hex

NAIROBI = (-1.2864, 36.8172)


def _counts(n_rings: int = 3, seed: int = 7) -> pd.DataFrame:
    """Cells around central Nairobi with deterministic counts."""
    centre = h3.latlng_to_cell(*NAIROBI, 8)
    cells = sorted(from_hex(c) for c in h3.grid_disk(centre, n_rings))
    counts = [(seed * (i + 3)) % 17 + 1 for i in range(len(cells))]
    return pd.DataFrame({"h3": pd.array(cells, dtype="int64"), "count": counts})


def _square_wards() -> dict:
    def square(code, west, south, size):
        ring = [
            [west, south],
            [west + size, south],
            [west + size, south + size],
            [west, south + size],
            [west, south],
        ]
        return {
            "type": "Feature",
            "id": code,
            "properties": {"name": code},
            "geometry": {"type": "MultiPolygon", "coordinates": [[ring]]},
        }

    return {
        "type": "FeatureCollection",
        "features": [square("W1", 36.70, -1.40, 0.1), square("W2", 36.80, -1.40, 0.1)],
    }


def test_tiles_setting_picks_an_offline_style_unless_osm_is_asked_for():
    assert map_figures.map_style_for(None) == "white-bg"
    assert map_figures.map_style_for("none") == "white-bg"
    assert map_figures.map_style_for(" OSM ") == "open-street-map"
    with pytest.raises(ObservatoryError, match="OBSERVATORY_TILES"):
        map_figures.map_style_for("mapbox")


def _pixel_extent(bounds, zoom):
    west, south, east, north = bounds
    scale = map_figures.TILE_SIZE * 2**zoom
    y = map_figures._mercator_y
    return (east - west) / 360 * scale, (y(north) - y(south)) / (2 * math.pi) * scale


@pytest.mark.parametrize(
    "bounds",
    [
        (36.65, -1.45, 37.10, -1.15),  # Nairobi county, wider than tall
        (34.0, -4.7, 41.9, 5.0),  # Kenya, taller than wide
        (39.60, -4.10, 39.70, -4.00),  # Mombasa island
    ],
)
def test_view_fits_the_bounds_inside_the_map_and_fills_it(bounds):
    centre, zoom = map_figures.view_for_bounds(bounds, width_px=900, height_px=600, padding=0.1)
    west, south, east, north = bounds
    assert west < centre["lon"] < east and south < centre["lat"] < north
    width, height = _pixel_extent(bounds, zoom)
    assert width <= 900 * 0.8 + 1e-6 and height <= 600 * 0.8 + 1e-6
    # Tight in one dimension: the data is not drawn smaller than it could be.
    assert max(width / (900 * 0.8), height / (600 * 0.8)) == pytest.approx(1.0, abs=1e-6)


def test_geojson_bounds_covers_every_coordinate():
    assert map_figures.geojson_bounds(_square_wards()) == pytest.approx(
        (36.70, -1.40, 36.90, -1.30)
    )
    assert map_figures.geojson_bounds({"type": "FeatureCollection", "features": []}) is None
    assert map_figures.geojson_bounds(None) is None


def test_incident_map_colours_each_hexagon_by_its_count():
    counts = _counts()
    fig = map_figures.incident_map(counts, _square_wards())
    (trace,) = fig.data
    assert trace.type == "choroplethmap"
    feature_ids = [f["id"] for f in trace.geojson["features"]]
    assert list(trace.locations) == feature_ids
    assert [from_hex(h) for h in trace.locations] == counts["h3"].tolist()
    assert list(trace.z) == counts["count"].tolist()
    assert trace.zmin == 0 and trace.zmax == counts["count"].max()
    assert trace.colorscale[0][1].lower() == SEQUENTIAL[0][1]
    assert "%{z" in trace.hovertemplate
    assert trace.colorbar.title.text == "Incidents per hexagon"


def test_incident_map_needs_nothing_from_the_internet():
    fig = map_figures.incident_map(_counts(), _square_wards())
    layout = fig.layout.map
    assert layout.style == "white-bg"
    (layer,) = layout.layers
    # A line layer from inline GeoJSON: no tiles, and no symbol layer to fetch glyphs.
    assert (layer.sourcetype, layer.type) == ("geojson", "line")
    assert layer.source["features"][0]["id"] == "W1"
    assert "http" not in json.dumps(fig.to_plotly_json()["data"])
    assert "http" not in json.dumps(layer.source)


def test_incident_map_fits_the_hexagons_then_the_wards_then_kenya():
    with_hexes = map_figures.incident_map(_counts(), _square_wards())
    centre = with_hexes.layout.map.center
    assert centre.lat == pytest.approx(NAIROBI[0], abs=0.01)
    assert centre.lon == pytest.approx(NAIROBI[1], abs=0.01)
    assert with_hexes.layout.map.zoom > 11  # a few hexagons fill the map

    empty = _counts().iloc[0:0]
    wards_only = map_figures.incident_map(empty, _square_wards())
    assert wards_only.layout.map.center.lon == pytest.approx(36.80, abs=1e-6)
    assert len(wards_only.data[0].locations) == 0

    nothing = map_figures.incident_map(empty, {"type": "FeatureCollection", "features": []})
    assert len(nothing.layout.map.layers) == 0
    assert -1 < nothing.layout.map.center.lat < 1 and 37 < nothing.layout.map.center.lon < 38.5


def test_hex_coordinates_are_rounded_to_keep_responses_small():
    hexes = map_figures.hex_geojson(_counts()["h3"])
    for feature in hexes["features"]:
        for lon, lat in feature["geometry"]["coordinates"][0]:
            assert round(lon, 5) == lon and round(lat, 5) == lat


def test_first_map_of_two_thousand_hexagons_is_well_under_a_megabyte():
    counts = _counts(n_rings=26)  # 2,107 cells
    assert len(counts) > 2000
    size = len(pio.to_json(map_figures.incident_map(counts, _square_wards()), validate=False))
    assert size < 600_000


def test_colours_for_drawn_hexagons_hide_cells_without_incidents():
    drawn = [11, 22, 33, 44]
    counts = pd.DataFrame({"h3": [22, 44], "count": [5, 1]})
    assert map_figures.hex_z(drawn, counts) == [None, 5, None, 1]
    assert map_figures.colour_max(counts) == 5
    assert map_figures.colour_max(counts.iloc[0:0]) == 1


def test_filters_default_to_the_last_twelve_months_of_data():
    state = filters.from_values(None, "", None, first=date(2020, 1, 1), last=date(2024, 6, 30))
    assert (state.start, state.end, state.categories) == (date(2023, 7, 2), date(2024, 6, 30), ())
    short = filters.from_values(None, None, None, first=date(2024, 5, 1), last=date(2024, 6, 30))
    assert short.start == date(2024, 5, 1)
    assert filters.from_values(None, None, None).start is None


def test_filters_from_a_bookmark_survive_mistakes():
    state = filters.from_values(
        "2024-03-31", "2024-01-01T00:00:00", "theft,not_a_category,assault", last=date(2024, 6, 30)
    )
    assert (state.start, state.end) == (date(2024, 1, 1), date(2024, 3, 31))
    assert state.categories == ("assault", "theft")  # canonical order, unknown dropped
    assert filters.from_values("31/03/2024", None, [], last=date(2024, 6, 30)).start == date(
        2023, 7, 2
    )


def test_filters_round_trip_through_the_query_string():
    state = filters.MapFilters(date(2024, 1, 1), date(2024, 3, 31), ("assault", "theft"))
    query = state.query_string()
    assert query == "?start=2024-01-01&end=2024-03-31&categories=assault,theft"
    params = dict(part.split("=") for part in query[1:].split("&"))
    assert filters.from_values(params["start"], params["end"], params["categories"]) == state


def test_public_filters_never_include_sensitive_categories():
    assert not SENSITIVE & set(filters.allowed_categories(public=True))
    assert set(filters.allowed_categories(public=False)) >= SENSITIVE
    asked = filters.from_values(None, None, "sexual_violence,theft", public=True)
    assert asked.categories == ("theft",)
    everything = filters.from_values(None, None, None, public=True)
    assert not SENSITIVE & set(filters.query_categories(everything, public=True))
    assert filters.query_categories(everything, public=False) == ()


def test_budget_rule_draws_the_finest_resolution_that_fits():
    from geodata.h3grid import fitting_resolution, parents

    cells = _counts(n_rings=26)["h3"].to_numpy()  # 2,107 res-8 cells around Nairobi
    assert fitting_resolution(cells, 8, budget=len(cells)) == 8
    res = fitting_resolution(cells, 8, budget=len(cells) - 1)
    assert res < 8
    assert len(set(parents(cells, res).tolist())) <= len(cells) - 1
    # Not coarser than needed: one level finer would be over the budget.
    tight = len(set(parents(cells, 6).tolist()))
    assert fitting_resolution(cells, 8, budget=tight) == 6
    assert fitting_resolution(cells, 8, budget=tight - 1) == 5
    assert fitting_resolution(cells, 8, budget=1) == 4  # never coarser than the floor


def test_vectorised_hexagons_are_the_polygons_of_h3():
    cells = _counts(n_rings=4)["h3"].tolist() + [from_hex(h3.latlng_to_cell(-4.05, 39.66, 6))]
    shapes = map_figures.hex_shapes(cells, decimals=5)
    collection = json.loads(json.dumps(json.loads(orjson.dumps(shapes.geojson))))
    assert [f["id"] for f in collection["features"]] == [h3.int_to_str(c) for c in cells]
    assert shapes.ids == [f["id"] for f in collection["features"]]
    for cell, feature in zip(cells, collection["features"], strict=True):
        (ring,) = feature["geometry"]["coordinates"]
        expected = [
            [round(lng, 5), round(lat, 5)] for lat, lng in h3.cell_to_boundary(h3.int_to_str(cell))
        ]
        assert ring == [*expected, expected[0]]
    assert map_figures.hex_geojson(cells) == {
        "type": "FeatureCollection",
        "features": [{k: f[k] for k in ("type", "id", "geometry")} for f in collection["features"]],
    }
    lons = [p[0] for f in collection["features"] for p in f["geometry"]["coordinates"][0]]
    assert shapes.bounds[0] == min(lons) and shapes.bounds[2] == max(lons)
    # Drawn again, from the outlines this process remembers, in another order and
    # among a new cell: still h3's rings, each under its own cell.
    newcomer = from_hex(h3.latlng_to_cell(0.52, 35.27, 8))
    again = [newcomer, *cells[::-1]]
    features = orjson.loads(orjson.dumps(map_figures.hex_shapes(again, decimals=5).geojson))
    for cell, feature in zip(again, features["features"], strict=True):
        expected = [
            [round(lng, 5), round(lat, 5)] for lat, lng in h3.cell_to_boundary(h3.int_to_str(cell))
        ]
        assert feature["id"] == h3.int_to_str(cell)
        assert feature["geometry"]["coordinates"][0] == [*expected, expected[0]]


def test_a_pentagon_keeps_its_own_ring():
    pentagon = from_hex(h3.get_pentagons(5)[0])
    shapes = map_figures.hex_shapes([pentagon])
    (feature,) = orjson.loads(orjson.dumps(shapes.geojson))["features"]
    assert (
        len(feature["geometry"]["coordinates"][0])
        == len(h3.cell_to_boundary(h3.int_to_str(pentagon))) + 1
    )


def test_a_coarsened_map_says_so_on_the_map_and_sends_the_same_figure_as_plotly():
    counts = _counts(n_rings=5)
    note = map_figures.coarser_note(8, 6, 15_000, "Choose a county or ward for finer cells.")
    assert note.startswith("Showing resolution 6") and "15,000" in note and "county" in note
    assert map_figures.coarser_note(8, 8, 15_000) == ""
    fast = map_figures.incident_map_json(counts, _square_wards(), note=note)
    slow = map_figures.incident_map(counts, _square_wards(), note=note)
    assert fast["layout"]["annotations"][0]["text"] == note
    assert slow.layout.annotations[0].text == note
    sent = json.loads(pio.json.to_json_plotly(fast))
    built = json.loads(pio.to_json(slow, validate=False))
    trace, expected = sent["data"][0], built["data"][0]
    assert trace["geojson"] == expected["geojson"] and trace["locations"] == expected["locations"]
    assert trace["z"] == counts["count"].tolist()
    assert sent["layout"]["map"] == built["layout"]["map"]
