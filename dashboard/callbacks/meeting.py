"""Meeting page and projector mode callbacks.

Stepping through the agenda runs in the browser (assets/meeting.js): Next and
Previous change the item in a store and the address bar with no request; the
server then draws that one item. The pack is made on request, since drawing the
figures to PNG starts a local Chromium.
"""

from __future__ import annotations

from datetime import date, datetime

import dash
from dash import ClientsideFunction, Input, Output, State, dcc, html, no_update

from dashboard import agenda, ids, pdf
from dashboard.options import AppOptions
from dashboard.payload import plain
from geodata.cache import cached
from geodata.db import get_engine
from geodata.errors import ObservatoryError
from geodata.queries import wards

PDF_NAME = "meeting-pack-{day}.pdf"
ZIP_NAME = "meeting-figures-{day}.zip"


def _row(row: agenda.Row) -> html.Li:
    return html.Li(
        [
            html.Span(row.label, className="agenda-label"),
            html.Span(row.value, className="agenda-number"),
            html.Span(row.note, className="agenda-note") if row.note else None,
        ],
        className="agenda-row flagged" if row.flag else "agenda-row",
    )


def _number_list(numbers: agenda.NumberList) -> html.Div:
    body = (
        html.Ol([_row(r) for r in numbers.rows], className="agenda-list")
        if numbers.rows
        else html.P(numbers.empty, className="agenda-empty")
    )
    return html.Div([html.H3(numbers.heading), body], className="agenda-numbers")


def item_section(item: agenda.AgendaItem, attributions: list[str]) -> html.Section:
    """One agenda screen: title, what it covers, the figure beside its numbers."""
    graphs = [
        dcc.Graph(
            id=ids.MEETING_GRAPH,
            figure=named.figure,
            className="agenda-graph",
            config={"displaylogo": False, "responsive": True, "displayModeBar": False},
        )
        for named in item.figures[:1]
    ]
    footer = []
    if item.shows_wards and attributions:
        footer.append(
            html.P("Ward boundaries: " + "; ".join(attributions), className="attribution")
        )
    return html.Section(
        [
            html.H2(f"{item.number}. {item.title}", className="agenda-title"),
            html.P(item.subtitle, className="agenda-subtitle"),
            html.Div(
                [*graphs, html.Div([_number_list(n) for n in item.lists], className="agenda-side")],
                className="agenda-body" + (" with-figure" if graphs else ""),
            ),
            *[html.P(note, className="agenda-note-line") for note in item.notes],
            *footer,
        ],
        className=f"agenda-item agenda-{item.key}",
        **{"data-item": str(item.number)},
    )


@cached
def item_payload(engine, scope: agenda.Scope, number: int, style: str, as_of: date) -> dict:
    """Agenda item `number` as the plain JSON Dash sends (dashboard.payload), kept per
    data version and day (overdue actions change with the day): stepping back and
    forth through the agenda, or a second viewer, draws nothing again."""
    item = agenda.build_item(engine, scope, number, as_of=as_of, style=style)
    return plain(item_section(item, wards.ward_attributions(engine)))


def _pack_inputs(record: dict | None, opts: AppOptions):
    engine = get_engine()
    scope = agenda.scope_from_record(record or {})
    items = agenda.build_agenda(engine, scope, public=opts.public, style=opts.map_style)
    now = datetime.now()
    stamp = agenda.filter_stamp(scope, now)
    return items, stamp, "; ".join(wards.ward_attributions(engine)), now


def register(app: dash.Dash, opts: AppOptions) -> None:
    app.clientside_callback(
        ClientsideFunction("meeting", "step"),
        Output(ids.MEETING_ITEM, "data"),
        Input(ids.MEETING_NEXT, "n_clicks"),
        Input(ids.MEETING_PREV, "n_clicks"),
        State(ids.MEETING_ITEM, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("meeting", "showItem"),
        Output(ids.MEETING_POSITION, "children"),
        Output(ids.MEETING_PREV, "disabled"),
        Output(ids.MEETING_NEXT, "disabled"),
        Output(ids.MEETING_AGENDA, "children"),
        Input(ids.MEETING_ITEM, "data"),
        State(ids.MEETING_AGENDA, "children"),
    )

    @app.callback(
        Output(ids.MEETING_BODY, "children"),
        Input(ids.MEETING_ITEM, "data"),
        State(ids.MEETING_SCOPE, "data"),
    )
    def show_item(number, record):
        if opts.public or record is None:
            return no_update
        scope = agenda.scope_from_record(record)
        return item_payload(get_engine(), scope, int(number or 1), opts.map_style, date.today())

    @app.callback(
        Output(ids.MEETING_DOWNLOAD_PDF, "data"),
        Output(ids.MEETING_EXPORT_STATUS, "children", allow_duplicate=True),
        Input(ids.MEETING_PDF, "n_clicks"),
        State(ids.MEETING_SCOPE, "data"),
        prevent_initial_call=True,
        running=[(Output(ids.MEETING_PDF, "disabled"), True, False)],
    )
    def export_pdf(_clicks, record):
        if opts.public:
            return no_update, no_update
        try:
            items, stamp, attribution, now = _pack_inputs(record, opts)
            data = pdf.meeting_pack_pdf(items, stamp, attribution)
        except ObservatoryError as error:
            return no_update, str(error)
        name = PDF_NAME.format(day=f"{now:%Y-%m-%d}")
        return dcc.send_bytes(data, name, type="application/pdf"), f"Saved {name}"

    @app.callback(
        Output(ids.MEETING_DOWNLOAD_PNGS, "data"),
        Output(ids.MEETING_EXPORT_STATUS, "children", allow_duplicate=True),
        Input(ids.MEETING_PNGS, "n_clicks"),
        State(ids.MEETING_SCOPE, "data"),
        prevent_initial_call=True,
        running=[(Output(ids.MEETING_PNGS, "disabled"), True, False)],
    )
    def export_pngs(_clicks, record):
        if opts.public:
            return no_update, no_update
        try:
            items, stamp, attribution, now = _pack_inputs(record, opts)
            data = pdf.figures_zip(items, stamp, attribution)
        except ObservatoryError as error:
            return no_update, str(error)
        name = ZIP_NAME.format(day=f"{now:%Y-%m-%d}")
        return dcc.send_bytes(data, name, type="application/zip"), f"Saved {name}"

    # Projector mode, on every page: the toggle or ?projector=1 turn it on, the
    # session remembers it across pages, and the address bar keeps saying so.
    app.clientside_callback(
        ClientsideFunction("meeting", "projectorState"),
        Output(ids.PROJECTOR, "data"),
        Input(ids.URL, "search"),
        Input(ids.PROJECTOR_TOGGLE, "n_clicks"),
        State(ids.PROJECTOR, "data"),
    )
    app.clientside_callback(
        ClientsideFunction("meeting", "projectorView"),
        Output(ids.APP, "className"),
        Output(ids.PROJECTOR_TOGGLE, "aria-pressed"),
        Output(ids.PROJECTOR_SYNC, "children"),
        Input(ids.PROJECTOR, "data"),
        Input(ids.URL, "pathname"),
    )
