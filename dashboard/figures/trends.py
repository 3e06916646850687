"""The crime chart/graph: monthly trend lines by category or agency, the 28-day and
year-to-date comparison cards, and the CompStat table by ward with percent change
and a warning where numbers are too small to read a change into. Pure builders."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.figures import theme
from dashboard.figures.clock import CATEGORY_COLOURS
from dashboard.payload import element
from geodata.stats.trends import SMALL_NUMBER

TOP_LINES = 6
SMALL_WARNING = f"Fewer than {SMALL_NUMBER} incidents: a change this small is mostly chance."
WARNING_MARK = "⚠"
NOT_COMPARABLE = "not comparable"
PERIOD_TITLES = {"recent": "Last 28 days", "ytd": "Year to date"}


def partial_label(first: pd.Timestamp, last: pd.Timestamp) -> str:
    """'1–21 Nov: partial' (the days a partial month holds; '1 Sep' for one day)."""
    days = f"{first.day}" if first == last else f"{first.day}–{last.day}"
    return f"{days} {last:%b}: partial"


def _with_coverage(monthly: pd.DataFrame) -> pd.DataFrame:
    """Counts with no coverage columns are whole months (value = count)."""
    if "value" in monthly:
        return monthly
    return monthly.assign(value=monthly["count"].astype(float), partial=False)


def _rounded(values: pd.Series) -> list:
    return [None if pd.isna(v) else round(float(v), 1) for v in values]


def _partial_markers(rows: dict, name: str, colour: str) -> go.Scatter:
    """Hollow markers at the pace of each partial month; the hover gives the count."""
    at = [i for i, p in enumerate(rows["partial"]) if p]
    days = [partial_label(rows["covered_from"][i], rows["covered_to"][i]) for i in at]
    custom = [[label, rows["count"][i], rows["days"][i]] for label, i in zip(days, at, strict=True)]
    return go.Scatter(
        x=[rows["x"][i] for i in at],
        y=[rows["value"][i] for i in at],
        mode="markers",
        name=f"{name} (partial month)",
        legendgroup=name,
        showlegend=False,
        marker={"symbol": "circle-open", "size": 13, "color": colour, "line": {"width": 3}},
        customdata=custom,
        hovertemplate=(
            f"{name}<br>%{{customdata[0]}}, %{{customdata[1]:,.0f}} in %{{customdata[2]}} days"
            "<br>%{y:,.0f} a month at this pace<extra></extra>"
        ),
    )


def _dotted_links(rows: dict, name: str, colour: str) -> go.Scatter:
    """Dotted segments joining each partial month's point to the whole month beside
    it, as one trace (cheaper for plotly to build than a layout shape per segment)."""
    x, values, partial = rows["x"], rows["value"], rows["partial"]
    xs: list = []
    ys: list = []
    for i in range(len(x) - 1):
        ends = (values[i], values[i + 1])
        if (partial[i] or partial[i + 1]) and None not in ends:
            xs += [x[i], x[i + 1], None]
            ys += [*ends, None]
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines",
        name=f"{name} (partial month)",
        legendgroup=name,
        showlegend=False,
        line={"color": colour, "width": 3, "dash": "dot"},
        hoverinfo="skip",
    )


def _group_rows(rows: pd.DataFrame) -> dict:
    """One group's months as plain lists (values rounded, None where not drawn):
    plotly validates every value, and lists are what it handles fastest."""
    return {
        "x": rows["month"].dt.strftime("%Y-%m-%d").tolist(),
        "value": _rounded(rows["value"]),
        "partial": rows["partial"].astype(bool).tolist(),
        "count": rows["count"].tolist(),
        **{k: rows[k].tolist() for k in ("covered_from", "covered_to", "days") if k in rows},
    }


def _partial_notes(monthly: pd.DataFrame) -> list[dict]:
    """One label per partial month above the plot: its days, and how it is drawn."""
    months = monthly[monthly["partial"]].drop_duplicates("month").sort_values("month")
    first = monthly["month"].min()
    notes = []
    for row in months.itertuples():
        drawn = "drawn at its pace" if pd.notna(row.value) else "too few days to draw"
        notes.append(
            {
                "x": row.month.strftime("%Y-%m-%d"),
                "xref": "x",
                "y": 1.0,
                "yref": "paper",
                "yanchor": "bottom",
                # Inward from the plot's edge, where partial months always are.
                "xanchor": "left" if row.month == first else "right",
                "text": f"{partial_label(row.covered_from, row.covered_to)}, {drawn}",
                "showarrow": False,
                "font": {"color": theme.MUTED_COLOUR},
            }
        )
    return notes


def monthly_lines(
    monthly: pd.DataFrame, labels: Mapping | None = None, top: int = TOP_LINES
) -> go.Figure:
    """One line per group (monthly_counts output: month, group, count), the `top`
    largest groups by total, every month shown even with no incident.

    With geodata.stats.trends.paced_counts' columns, a partial first or last month
    is not drawn as a fall: its point is hollow, at the month's pace, joined by a
    dotted segment and labelled with its days ("1–21 Nov: partial"); a partial month
    of too few days has no point, only the label.
    """
    labels = labels or {}
    monthly = _with_coverage(monthly)
    totals = monthly.groupby("group")["count"].sum().sort_values(ascending=False, kind="stable")
    traces = []
    for i, group in enumerate(totals.index[:top]):
        rows = _group_rows(monthly[monthly["group"] == group].sort_values("month"))
        name = str(labels.get(group, group))
        colour = CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)]
        traces.append(
            go.Scatter(
                x=rows["x"],
                y=[None if p else v for v, p in zip(rows["value"], rows["partial"], strict=True)],
                mode="lines+markers",
                name=name,
                legendgroup=name,
                line={"color": colour, "width": 3},
                hovertemplate=f"{name}<br>%{{x|%b %Y}}: %{{y:,.0f}}<extra></extra>",
            )
        )
        if any(rows["partial"]):
            traces += [_dotted_links(rows, name, colour), _partial_markers(rows, name, colour)]
    notes = _partial_notes(monthly) if monthly["partial"].any() else []
    return theme.figure(
        traces,
        xaxis={"tickformat": "%b %Y", "dtick": "M1", "title": None},
        yaxis={"title": "Incidents per month", "rangemode": "tozero", "tickformat": ",.0f"},
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 70, "r": 10, "t": 40 if notes else 10, "b": 80},
        hovermode="x unified",
        annotations=notes,
    )


def _change_parts(label: str, small: bool, not_comparable: str | None) -> list[dict]:
    """The spans of a change (text, className, title), one rule for cards and table."""
    if not_comparable:
        return [{"text": NOT_COMPARABLE, "className": "not-comparable", "title": not_comparable}]
    parts = [{"text": label, "className": "change", "title": None}]
    if small:
        parts.append(
            {"text": f" {WARNING_MARK}", "className": "small-number", "title": SMALL_WARNING}
        )
    return parts


def change_text(label: str, small: bool, not_comparable: str | None = None) -> list:
    """A change as the cards and the CompStat table write it, one rule for both: the
    reason instead of a percentage when the earlier period is not covered by the data,
    else the label, marked when a number is too small to read a change into
    (geodata.stats.trends.small_numbers, the rule the meeting figures use too)."""
    return [
        html.Span(p["text"], className=p["className"], title=p["title"])
        if p["title"]
        else html.Span(p["text"], className=p["className"])
        for p in _change_parts(label, small, not_comparable)
    ]


def _change_cell(label: str, small: bool, not_comparable: str | None) -> dict:
    spans = [
        element("Span", p["text"], className=p["className"], title=p["title"])
        for p in _change_parts(label, small, not_comparable)
    ]
    return element("Td", spans, className="number")


def period_card(title: str, card: Mapping, value_id: str) -> html.Div:
    """A comparison card: current count, previous count, change, and the note that
    qualifies it (earlier period not covered by the data, or small numbers)."""
    (c0, c1), (p0, p1) = card["current_period"], card["previous_period"]
    reason = card.get("not_comparable")
    if reason:
        note = html.Div(reason, className="small-number-note not-comparable-note")
    elif card["small_number"]:
        note = html.Div(SMALL_WARNING, className="small-number-note")
    else:
        note = None
    return html.Div(
        [
            html.Div(title, className="headline-label"),
            html.Div(f"{card['current']:,}", id=value_id, className="headline-value"),
            html.Div(
                [
                    f"vs {card['previous']:,} · ",
                    *change_text(card["label"], card["small_number"], reason),
                ],
                className="headline-note",
            ),
            html.Div(
                f"{c0:%d %b %Y}–{c1:%d %b %Y} vs {p0:%d %b %Y}–{p1:%d %b %Y}",
                className="headline-note",
            ),
            note,
        ],
        className="headline",
    )


COMPSTAT_HEADER = (
    "Ward",
    "Last 28 days",
    "28 days before",
    "Change",
    "Year to date",
    "Same days last year",
    "Change",
)


def compstat_rows(table: pd.DataFrame) -> list[dict]:
    """compstat_by_ward rows as plain values for display (and tests)."""
    columns = {
        "ward": None, "name": None, "recent": int, "before": int, "label_28": None,
        "small_28": bool, "ytd": int, "ytd_last_year": int, "label_ytd": None, "small_ytd": bool,
    }  # fmt: skip
    values = {c: table[c].tolist() for c in columns}
    return [
        {c: (kind(values[c][i]) if kind else values[c][i]) for c, kind in columns.items()}
        for i in range(len(table))
    ]


def compstat_html(
    table: pd.DataFrame, table_id: str, not_comparable: Mapping | None = None
) -> html.Table:
    """The CompStat table: wards by largest 28-day rise, totals last; a warning mark
    (with its explanation on hover and in the caption) on small numbers. Its body
    rows are plain elements (dashboard.payload.element), not dash components.

    not_comparable: the reason, by period ("recent", "ytd"), when the earlier period
    starts before the data (period_cards' notes): that column's changes are withheld.
    """
    reasons = {k: v for k, v in (not_comparable or {}).items() if v}
    recent, ytd = reasons.get("recent"), reasons.get("ytd")
    # Rows as plain elements: a table of every ward in Kenya has some 15,000 cells.
    body = [
        element(
            "Tr",
            [
                element("Td", row["name"]),
                element("Td", f"{row['recent']:,}", className="number"),
                element("Td", f"{row['before']:,}", className="number"),
                _change_cell(row["label_28"], row["small_28"], recent),
                element("Td", f"{row['ytd']:,}", className="number"),
                element("Td", f"{row['ytd_last_year']:,}", className="number"),
                _change_cell(row["label_ytd"], row["small_ytd"], ytd),
            ],
            className="total" if row["ward"] == "All wards" else None,
        )
        for row in compstat_rows(table)
    ]
    return html.Table(
        [
            html.Caption(
                [
                    f"{WARNING_MARK} {SMALL_WARNING}",
                    *(html.Span(f" {PERIOD_TITLES[k]}: {r}.") for k, r in reasons.items()),
                ]
            ),
            html.Thead(html.Tr([html.Th(h) for h in COMPSTAT_HEADER])),
            html.Tbody(body),
        ],
        id=table_id,
        className="table compstat",
    )
