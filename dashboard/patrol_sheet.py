"""The printable patrol sheet (issue #6): one A4 page with the map of numbered points
and ward outlines, the points table (nearest landmark, peak hours, what happens
there) and the visit schedule. It always fits one page: the map shrinks for long
tables and the schedule is cut short, saying so, when visits do not fit.

The map is drawn to PNG in the local Chromium (`dashboard.pdf.render_pngs`), so the
sheet can be printed in a station with no internet. Officers are numbers, never
names; no victim detail is on the sheet.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from fpdf import FPDF

from dashboard.figures.patrol import sheet_map
from dashboard.pdf import FONT, pdf_text, render_pngs
from geodata.categories import LABELS

PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 10.0  # mm, portrait A4
USABLE_W = PAGE_W - 2 * MARGIN
FOOTER_H = 14.0
ROW_H = 5.2
VISIT_ROW_H = 4.6
VISIT_COLUMNS = 4
MAP_MAX_H, MAP_MIN_H = 120.0, 70.0
PX_PER_MM = 6.0  # the map PNG's pixels per millimetre on paper
# (heading, width in mm) of the points table.
POINT_COLUMNS = (("No.", 11.0), ("Nearest landmark", 58.0), ("Peak hours", 38.0),
                 ("What happens there (shift, look-back)", 83.0))  # fmt: skip


@dataclass(frozen=True)
class SheetContent:
    """What the sheet shows. `points`: point, lat, lon, cells, peak_label, landmark,
    landmark_m, activity; `schedule`: point, start, end, officer; `lines`: the
    plan's parameters in words, under the title; `area`: the drawn station area (a
    GeoJSON geometry), outlined beside the wards, or None."""

    title: str
    lines: tuple[str, ...]
    points: pd.DataFrame
    schedule: pd.DataFrame
    wards: dict | None = None
    attribution: str = ""
    made_at: datetime | None = None
    area: dict | None = None


def _landmark(row) -> str:
    name = row.landmark if isinstance(row.landmark, str) and row.landmark else "-"
    metres = row.landmark_m
    if name == "-" or metres is None or pd.isna(metres):
        return name
    return f"{name} ({round(float(metres), -1):.0f} m)"


def _map_height(n_points: int, n_visits: int) -> float:
    """Map height (mm) leaving room for the tables: the points table always fits,
    and at least a few schedule rows."""
    fixed = 24 + 8 + ROW_H * (n_points + 1) + 8 + VISIT_ROW_H * 4 + FOOTER_H
    rows = -(-n_visits // VISIT_COLUMNS)
    wanted_schedule = VISIT_ROW_H * max(rows - 4, 0)
    room = PAGE_H - 2 * MARGIN - fixed - wanted_schedule
    return max(MAP_MIN_H, min(MAP_MAX_H, room))


class _Sheet(FPDF):
    def __init__(self, content: SheetContent) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.content = content
        self.set_auto_page_break(False)  # one page, always
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_title(pdf_text(content.title))
        self.set_creator("Crime and violence observatory")

    def footer(self) -> None:
        made = (self.content.made_at or datetime.now()).strftime("%d %b %Y %H:%M")
        self.set_y(-FOOTER_H)
        self.set_font(FONT, size=7.5)
        self.set_text_color(60, 60, 60)
        lines = [
            f"Made {made} by the crime and violence observatory. For police use: it names "
            "places and times, never victims or officers.",
        ]
        if self.content.attribution:
            lines.append(f"Ward boundaries: {self.content.attribution}")
        for line in lines:
            self.multi_cell(0, 3.6, pdf_text(line), new_x="LMARGIN", new_y="NEXT")


def _header(pdf: _Sheet) -> None:
    pdf.set_xy(MARGIN, MARGIN)
    pdf.set_font(FONT, "B", 15)
    pdf.cell(0, 8, pdf_text(pdf.content.title)[:80], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    for line in pdf.content.lines[:3]:
        pdf.cell(0, 4.6, pdf_text(line)[:140], new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(pdf.get_y() + 1.5)


def _points_table(pdf: _Sheet) -> None:
    pdf.set_font(FONT, "B", 8.5)
    pdf.set_fill_color(230, 230, 230)
    for heading, width in POINT_COLUMNS:
        pdf.cell(width, ROW_H, heading, border=1, fill=True)
    pdf.ln(ROW_H)
    pdf.set_font(FONT, size=8.5)
    for row in pdf.content.points.itertuples(index=False):
        values = (str(row.point), _landmark(row), row.peak_label, row.activity or "-")
        for value, (_, width) in zip(values, POINT_COLUMNS, strict=True):
            text = pdf_text(str(value))
            while text and pdf.get_string_width(text) > width - 2:
                text = text[:-1]
            pdf.cell(width, ROW_H, text, border=1)
        pdf.ln(ROW_H)
    pdf.set_y(pdf.get_y() + 3)


def _visit_text(visit) -> str:
    start, end = pd.Timestamp(visit.start), pd.Timestamp(visit.end)
    return f"{start:%H:%M}-{end:%H:%M}  Point {visit.point}  (officer {visit.officer})"


def _schedule(pdf: _Sheet) -> None:
    visits = pdf.content.schedule
    officers = visits["officer"].nunique() if len(visits) else 0
    pdf.set_font(FONT, "B", 10)
    pdf.cell(
        0,
        6,
        pdf_text(
            f"Visit schedule: {len(visits)} visits of 10-15 minutes by {officers} officer(s), "
            "in this order; each point at most once every two hours"
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font(FONT, size=8)
    bottom = PAGE_H - FOOTER_H - 2
    rows_fit = max(int((bottom - pdf.get_y()) // VISIT_ROW_H), 1)
    capacity = rows_fit * VISIT_COLUMNS
    shown = visits if len(visits) <= capacity else visits.iloc[: capacity - 1]
    width = USABLE_W / VISIT_COLUMNS
    top = pdf.get_y()
    per_column = -(-len(shown) // VISIT_COLUMNS) if len(shown) else 0
    for k, visit in enumerate(shown.itertuples(index=False)):
        column, row = divmod(k, per_column)  # down the columns, like a timetable
        pdf.set_xy(MARGIN + column * width, top + row * VISIT_ROW_H)
        pdf.cell(width, VISIT_ROW_H, pdf_text(_visit_text(visit)))
    if len(shown) < len(visits):
        k = len(shown)
        column, row = divmod(k, per_column)
        pdf.set_xy(MARGIN + column * width, top + row * VISIT_ROW_H)
        pdf.set_font(FONT, "I", 8)
        pdf.cell(width, VISIT_ROW_H, f"... {len(visits) - k} more: see the dashboard")


def sheet_pdf(content: SheetContent, map_png: bytes, map_h: float | None = None) -> bytes:
    """The one-page sheet as PDF bytes, with the map already drawn to PNG."""
    pdf = _Sheet(content)
    pdf.add_page()
    _header(pdf)
    height = map_h or _map_height(len(content.points), len(content.schedule))
    pdf.image(io.BytesIO(map_png), x=MARGIN, y=pdf.get_y(), w=USABLE_W, h=height)
    pdf.set_y(pdf.get_y() + height + 3)
    _points_table(pdf)
    _schedule(pdf)
    return bytes(pdf.output())


def patrol_sheet(content: SheetContent) -> bytes:
    """Draw the map in the local Chromium, then lay out the sheet."""
    height = _map_height(len(content.points), len(content.schedule))
    fig = sheet_map(
        content.points,
        content.wards,
        width_px=round(USABLE_W * PX_PER_MM / 2),
        height_px=round(height * PX_PER_MM / 2),
        area=content.area,
    )
    (png,) = render_pngs([fig], scale=2.0)
    return sheet_pdf(content, png, height)


DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def days_label(days) -> str:
    """(0..6) -> "every day"; (0..4) -> "weekdays"; (5, 6) -> "weekends"; else names."""
    days = tuple(sorted(int(d) for d in days))
    named = {(0, 1, 2, 3, 4, 5, 6): "every day", (0, 1, 2, 3, 4): "weekdays", (5, 6): "weekends"}
    return named.get(days) or ", ".join(DAY_NAMES[d] for d in days)


def plan_lines(
    area_label: str,
    shift_start: datetime,
    shift_end: datetime,
    days,
    categories: tuple[str, ...],
    officer_hours: float,
    as_of,
    lookback_weeks: float,
) -> tuple[str, ...]:
    """The plan's parameters in words, for the sheet and the page."""
    wanted = ", ".join(LABELS.get(c, c) for c in categories) or "all categories"
    return (
        f"Area: {area_label}",
        f"Shift: {shift_start:%a %d %b %Y %H:%M} to {shift_end:%a %d %b %H:%M} "
        f"({days_label(days)}); {officer_hours:g} officer-hours; {wanted}",
        f"Points: incidents in this shift window over the {lookback_weeks:g} weeks before "
        f"{as_of:%d %b %Y}, recent weeks weighing more.",
    )
