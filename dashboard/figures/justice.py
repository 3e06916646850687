"""Justice chain figures: the funnel from reported to outcome, days spent at each
stage, and the change in cases per stage between two periods.

Pure builders: frames from geodata.queries.justice in, figures out; numbers written
on every bar; Okabe-Ito colours (the chain in blue, outcomes each their own colour).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import theme
from dashboard.figures.meeting import OKABE_ITO
from geodata.stats.justice import CHAIN, OUTCOMES, STAGE_LABELS

FONT_SIZE = 18
CHAIN_COLOUR = OKABE_ITO[5]  # blue
OUTCOME_COLOURS = {
    "convicted": OKABE_ITO[3],  # bluish green
    "acquitted": OKABE_ITO[7],  # reddish purple
    "withdrawn": OKABE_ITO[6],  # vermillion
    "resolved_locally": OKABE_ITO[1],  # orange
    "referred": "#999999",
}
BEFORE_COLOUR, AFTER_COLOUR = OKABE_ITO[2], OKABE_ITO[5]  # sky blue, blue


def _layout(fig: go.Figure, title: str | None, height: int) -> go.Figure:
    theme.apply(fig)
    fig.update_layout(
        font={"size": FONT_SIZE},
        height=height,
        margin={"l": 10, "r": 30, "t": 60 if title else 20, "b": 50},
        title={"text": title, "x": 0.01, "xanchor": "left"} if title else None,
    )
    return fig


def funnel_figure(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """The chain stages as a funnel (cases and share of reported) and the outcomes
    as bars beside it. `table`: justice.funnel rows of one group (stage, cases, share)."""
    counts = table.set_index("stage")
    chain = counts.loc[list(CHAIN)]
    fig = go.Figure(
        go.Funnel(
            y=[STAGE_LABELS[s] for s in CHAIN],
            x=chain["cases"],
            text=[
                f"{c:,} ({s:.0%})"
                for c, s in zip(chain["cases"], chain["share"].fillna(0), strict=True)
            ],
            textinfo="text",
            marker={"color": CHAIN_COLOUR},
            name="chain",
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    outcomes = counts.loc[list(OUTCOMES)]
    fig.add_trace(
        go.Bar(
            y=[STAGE_LABELS[s] for s in OUTCOMES],
            x=outcomes["cases"],
            orientation="h",
            marker={"color": [OUTCOME_COLOURS[s] for s in OUTCOMES]},
            text=[f"{c:,}" for c in outcomes["cases"]],
            textposition="outside",
            constraintext="none",
            cliponaxis=False,
            name="outcomes",
            xaxis="x2",
            yaxis="y2",
            hovertemplate="%{y}: %{x:,} cases<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis={"domain": [0, 0.58]},
        xaxis2={"domain": [0.7, 1], "anchor": "y2", "title": "Outcome (last status)"},
        yaxis2={"anchor": "x2", "autorange": "reversed"},
        showlegend=False,
    )
    return _layout(fig, title, height=460)


def stage_durations_figure(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Median days at each open stage: finished stays, and cases still waiting.
    `table`: justice.stage_durations rows."""
    labels = [STAGE_LABELS[s] for s in table["stage"]]

    def bar(column: str, count: str, name: str, colour: str) -> go.Bar:
        days = table[column].to_numpy(float)
        return go.Bar(
            x=labels,
            y=np.nan_to_num(days),
            name=name,
            marker={"color": colour},
            text=[
                ("-" if np.isnan(d) else f"{d:.0f} days<br>n={n}")
                for d, n in zip(days, table[count], strict=True)
            ],
            textposition="outside",
            constraintext="none",
            cliponaxis=False,
            hovertemplate="%{x}: %{text}<extra>" + name + "</extra>",
        )

    fig = go.Figure(
        [
            bar("median_days", "finished", "moved on (median)", CHAIN_COLOUR),
            bar(
                "open_median_days",
                "open",
                "still waiting (median so far)",
                OUTCOME_COLOURS["withdrawn"],
            ),
        ]
    )
    fig.update_layout(barmode="group", legend={"orientation": "h", "y": -0.15})
    fig.update_yaxes(title="Days at the stage")
    return _layout(fig, title, height=460)


def period_change_figure(
    table: pd.DataFrame, labels: tuple[str, str] = ("before", "after"), title: str | None = None
) -> go.Figure:
    """Cases entering each stage in two periods, side by side, with the change in
    percent written above (e.g. "+73%"). `table`: justice.period_change rows."""
    rows = table[(table["before"] > 0) | (table["after"] > 0)]
    names = [STAGE_LABELS[s] for s in rows["stage"]]
    change = [
        "" if np.isnan(c) else f"{c:+.0f}%" if abs(c) >= 10 else f"{c:+.1f}%"
        for c in rows["change_pct"].to_numpy(float)
    ]
    fig = go.Figure(
        [
            go.Bar(
                x=names,
                y=rows["before"],
                name=labels[0],
                marker={"color": BEFORE_COLOUR},
                text=rows["before"],
                textposition="outside",
                constraintext="none",
                cliponaxis=False,
            ),
            go.Bar(
                x=names,
                y=rows["after"],
                name=labels[1],
                marker={"color": AFTER_COLOUR},
                text=[
                    f"{a} ({c})" if c else f"{a}"
                    for a, c in zip(rows["after"], change, strict=True)
                ],
                textposition="outside",
                constraintext="none",
                cliponaxis=False,
            ),
        ]
    )
    fig.update_layout(barmode="group", legend={"orientation": "h", "y": -0.15})
    fig.update_yaxes(title="Cases entering the stage")
    return _layout(fig, title, height=460)
