"""Place review page callbacks: the queue in, a choice out. Saving goes through
`save_choice`, which the tests call without a browser too."""

from __future__ import annotations

import dash
from dash import ALL, ClientsideFunction, Input, Output, Patch, State, ctx, no_update

from dashboard import auth, components, ids
from dashboard.figures import review as review_figures
from dashboard.options import AppOptions
from geodata import linkage_store
from geodata.db import get_engine
from geodata.errors import ObservatoryError
from geodata.gazetteer.store import add_alias, add_place
from geodata.queries import review, wards

NEARBY_PLACES = 30
SEARCH_LIMIT = 50
SEARCH_MIN_CHARS = 2
NEW_POINT_TRACE = 2  # the clicked point's trace on the review map


def save_choice(
    engine,
    alias_text: str,
    choice: str | None,
    new_name: str = "",
    new_kind: str = "",
    point: dict | None = None,
    by: str = "review",
) -> str:
    """Save what `alias_text` means (an existing place or ward `choice`, place:ID or
    ward:CODE, or a new place named `new_name` at `point`), then re-place every
    incident with that text. Returns the message to show."""
    if (new_name or "").strip():
        if not point:
            raise ObservatoryError(f"Click the map where {new_name.strip()} is, then save.")
        place_id = add_place(engine, new_name, new_kind or None, point["lat"], point["lon"])
        target = {"place_id": place_id}
    elif choice and choice.startswith("place:"):
        target = {"place_id": int(choice.removeprefix("place:"))}
    elif choice and choice.startswith("ward:"):
        target = {"ward_code": choice.removeprefix("ward:")}
    else:
        raise ObservatoryError("Pick a place (or the ward) or add a new place, then save.")
    add_alias(engine, alias_text, created_by=by, **target)
    moved = linkage_store.replace_text(engine, alias_text)
    return f"Saved: “{alias_text}” now means the chosen place; {moved:,} records re-placed."


def _queue_row(engine, value: str | None) -> dict | None:
    parsed = review_figures.parse_text_value(value)
    if parsed is None:
        return None
    queue = review.review_queue(engine)
    for row in queue.to_dict("records"):
        if (row["location_text"], row["ward_text"]) == parsed:
            return row
    return None


def _nearby(engine, row: dict) -> list[dict]:
    """Places near the first suggestion with a point, else near the rows' ward."""
    suggested = [s for s in row["suggestions"] if s["lat"] is not None]
    centre = (suggested[0]["lat"], suggested[0]["lon"]) if suggested else None
    if centre is None and row.get("ward_code"):
        centre = review.ward_centre(engine, row["ward_code"])
    if centre is None:
        return []
    near = review.places_near(engine, *centre, limit=NEARBY_PLACES)
    return review_figures.nearby_choices(near, exclude=[s["value"] for s in row["suggestions"]])


def _choices(suggestions: list[dict], nearby: list[dict]) -> list[dict]:
    return [{"label": s["label"], "value": s["value"]} for s in [*suggestions, *nearby]]


def search_options(
    engine, typed: str | None, chosen: str | None, offered: list[dict], value: str | None
) -> list[dict]:
    """The suggestion dropdown's options for what the reviewer typed: the text's own
    suggestions and nearby places, and up to SEARCH_LIMIT gazetteer places named like
    it (searched here: the whole gazetteer is too large to send). Fewer than
    SEARCH_MIN_CHARS typed: the text's own choices again."""
    row = _queue_row(engine, value)
    own = _choices(list(row["suggestions"]), _nearby(engine, row)) if row else []
    typed = (typed or "").strip()
    if len(typed) < SEARCH_MIN_CHARS:
        kept = [o for o in offered if o["value"] == chosen and o not in own]
        return own + kept
    matches = review.places_matching(engine, typed, SEARCH_LIMIT)
    return review_figures.search_choices(matches, [*own, *offered], typed, chosen, SEARCH_LIMIT)


def _user_name() -> str:
    user = auth.current_user()
    return f"review:{user.username}" if user else "review"


def register(app: dash.Dash, opts: AppOptions) -> None:  # noqa: C901 (one closure per callback)
    @app.callback(
        Output(ids.REV_QUEUE, "children"),
        Output(ids.REV_TEXT, "options"),
        Output(ids.REV_TEXT, "value"),
        Output(ids.REV_STATUS, "children"),
        Input(ids.REV_REFRESH, "data"),
        State(ids.REV_TEXT, "value"),
    )
    def load_queue(_refresh, current):
        queue = review.review_queue(get_engine())
        rows = queue.to_dict("records")
        options = [
            {
                "label": review_figures.text_label(r),
                "value": review_figures.text_value(r["location_text"], r["ward_text"]),
            }
            for r in rows
        ]
        values = [o["value"] for o in options]
        value = current if current in values else (values[0] if values else None)
        status = (
            f"{len(rows):,} texts ({int(queue['records'].sum()):,} records) need a reviewer."
            if rows
            else "Nothing to review: every place text was placed confidently."
        )
        return review_figures.queue_table(queue), options, value, status

    @app.callback(
        Output(ids.REV_TEXT, "value", allow_duplicate=True),
        Input({"type": ids.REV_PICK, "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def pick_from_table(clicks):
        if not ctx.triggered_id or not any(clicks or ()):
            return no_update
        return ctx.triggered_id["index"]

    @app.callback(
        Output(ids.REV_SUGGESTION, "options"),
        Output(ids.REV_SUGGESTION, "value"),
        Output(ids.REV_CURRENT, "children"),
        Output(ids.REV_MAP, "figure"),
        Output(ids.REV_MAP_ATTRIBUTION, "children"),
        Input(ids.REV_TEXT, "value"),
    )
    def show_text(value):
        engine = get_engine()
        row = _queue_row(engine, value)
        if row is None:  # nothing to place: no outlines to send either
            figure = review_figures.review_map([], [], None, style=opts.map_style)
            return [], None, "", figure, []
        suggestions = list(row["suggestions"])
        nearby = _nearby(engine, row)
        options = _choices(suggestions, nearby)
        bounds = review_figures.outline_bounds(suggestions, nearby)
        outlines = (
            wards.ward_lines_geojson(engine)
            if bounds is None
            else review.ward_lines_near(engine, bounds)
        )
        figure = review_figures.review_map(
            suggestions, nearby, outlines, style=opts.map_style, revision=value
        )
        current = f"Its {row['records']:,} records now: {review_figures.placement_text(row)}."
        attribution = components.attribution_text(wards.ward_attributions(engine))
        return options, None, current, figure, attribution

    @app.callback(
        Output(ids.REV_SUGGESTION, "options", allow_duplicate=True),
        Input(ids.REV_SUGGESTION, "search_value"),
        State(ids.REV_SUGGESTION, "value"),
        State(ids.REV_SUGGESTION, "options"),
        State(ids.REV_TEXT, "value"),
        prevent_initial_call=True,
    )
    def search_places(typed, chosen, offered, value):
        return search_options(get_engine(), typed, chosen, offered or [], value)

    @app.callback(
        Output(ids.REV_SUGGESTION, "value", allow_duplicate=True),
        Input(ids.REV_MAP, "clickData"),
        prevent_initial_call=True,
    )
    def pick_on_map(click):
        points = (click or {}).get("points") or []
        value = points[0].get("customdata") if points else None
        return value if isinstance(value, str) and value.startswith("place:") else no_update

    @app.callback(
        Output(ids.REV_NEW_POINT, "children"),
        Output(ids.REV_MAP, "figure", allow_duplicate=True),
        Input(ids.REV_CLICK, "data"),
        prevent_initial_call=True,
    )
    def show_new_point(point):
        if not point:
            return no_update, no_update
        patch = Patch()
        patch["data"][NEW_POINT_TRACE]["lat"] = [point["lat"]]
        patch["data"][NEW_POINT_TRACE]["lon"] = [point["lon"]]
        return f"New place at {point['lat']:.5f}, {point['lon']:.5f}", patch

    # Clicks anywhere on the map (not only on markers) land in REV_CLICK.
    app.clientside_callback(
        ClientsideFunction("actions", "bindMapClicks"),
        Output(ids.REV_BIND, "children"),
        Input(ids.REV_MAP, "figure"),
        State(ids.REV_MAP, "id"),
        State(ids.REV_CLICK, "id"),
    )

    @app.callback(
        Output(ids.REV_MESSAGE, "children"),
        Output(ids.REV_REFRESH, "data"),
        Output(ids.REV_NEW_NAME, "value"),
        Input(ids.REV_SAVE, "n_clicks"),
        State(ids.REV_TEXT, "value"),
        State(ids.REV_SUGGESTION, "value"),
        State(ids.REV_NEW_NAME, "value"),
        State(ids.REV_NEW_KIND, "value"),
        State(ids.REV_CLICK, "data"),
        State(ids.REV_REFRESH, "data"),
        prevent_initial_call=True,
    )
    def save(_clicks, value, choice, new_name, new_kind, point, refresh):
        parsed = review_figures.parse_text_value(value)
        if parsed is None:
            return "Pick a text to review first.", no_update, no_update
        alias_text = review.alias_text_of(*parsed)
        try:
            message = save_choice(
                get_engine(), alias_text, choice, new_name, new_kind, point, _user_name()
            )
        except ObservatoryError as exc:
            return str(exc), no_update, no_update
        return message, (refresh or 0) + 1, ""
