"""The meeting pack: one landscape A4 page per agenda item, in large type, each page
stamped with the filters and the time it was made, and the ward attribution on every
page that shows wards; and the same figures as PNG files in a zip.

Figures are drawn to PNG by plotly's kaleido in the local Chromium (the setting
OBSERVATORY_CHROMIUM, else the first one on PATH), kept open between downloads
(dashboard.renderer); nothing is fetched, so the pack can be made in a hall with no
internet. The pack holds only what the agenda shows:
counts, ward names and forum actions, never an incident record.
"""

from __future__ import annotations

import io
import shutil
import textwrap
import unicodedata
import zipfile
from collections.abc import Sequence

import plotly.graph_objects as go
from fpdf import FPDF

from dashboard.agenda import AgendaItem, NumberList
from dashboard.figures import meeting as meeting_figures
from dashboard.renderer import renderer
from geodata import settings
from geodata.errors import ObservatoryError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
RENDER_TIMEOUT_S = 120
PAGE_W, PAGE_H, MARGIN = 297.0, 210.0, 10.0  # mm, landscape A4
FIGURE_W_WITH_LISTS = 172.0
FOOTER_H = 18.0
FONT = "Helvetica"  # a PDF core font: nothing to embed or find
PUNCTUATION = {"–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "...", "†": "*"}
STAMP_FONT_SIZE = 18  # on PNG figures, in CSS pixels
STAMP_LINE_CHARS = 100  # about the width of a figure at that size


def chromium_path() -> str:
    """The browser kaleido drives: OBSERVATORY_CHROMIUM, else one found on PATH."""
    configured = settings.get("OBSERVATORY_CHROMIUM")
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise ObservatoryError(
                f"OBSERVATORY_CHROMIUM is {configured!r}, which is not an executable; "
                "point it at chromium or google-chrome, or unset it."
            )
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ObservatoryError(
        "no Chromium found to draw the meeting pack's figures: install it "
        "(`apt-get install chromium`) or set OBSERVATORY_CHROMIUM to its path."
    )


def render_pngs(figures: Sequence[go.Figure], scale: float = 1.0) -> list[bytes]:
    """Each figure as PNG bytes, drawn in the process's kept browser
    (dashboard.renderer): starting Chromium cost more than drawing a whole pack."""
    if not figures:
        return []
    jobs = [
        (
            fig.to_plotly_json(),
            {
                "format": "png",
                "width": fig.layout.width or meeting_figures.WIDTH,
                "height": fig.layout.height or meeting_figures.HEIGHT,
                "scale": scale,
            },
        )
        for fig in figures
    ]
    return renderer.render(jobs, chromium_path(), RENDER_TIMEOUT_S)


def stamped(fig: go.Figure, stamp: str, attribution: str = "") -> go.Figure:
    """A copy of `fig` with the filter stamp (and attribution) written under it, so
    a PNG taken out of the pack still says what it shows."""
    copy = go.Figure(fig)
    lines = textwrap.wrap(stamp, STAMP_LINE_CHARS)
    if attribution:
        lines += textwrap.wrap(f"Ward boundaries: {attribution}", STAMP_LINE_CHARS)
    bottom = (copy.layout.margin.b or 0) + 30 * len(lines) + 20
    height = (copy.layout.height or meeting_figures.HEIGHT) + 30 * len(lines)
    copy.update_layout(margin={"b": bottom}, height=height)
    copy.add_annotation(
        text="<br>".join(lines),
        x=0,
        y=0,
        xref="paper",
        yref="paper",
        xanchor="left",
        yanchor="top",
        yshift=-bottom + 30 * len(lines) + 10,
        align="left",
        showarrow=False,
        font={"size": STAMP_FONT_SIZE},
    )
    return copy


def pdf_text(value: str) -> str:
    """Text the PDF core fonts can draw (Latin-1): typographic punctuation replaced,
    accents kept where Latin-1 has them, anything else as '?'."""
    text = "".join(PUNCTUATION.get(ch, ch) for ch in value)
    text = unicodedata.normalize("NFC", text)
    return text.encode("latin-1", "replace").decode("latin-1")


class _Pack(FPDF):
    def __init__(self, stamp: str, attribution: str) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.stamp, self.attribution = stamp, attribution
        self.shows_wards = False
        self.set_auto_page_break(False)  # one page per item, always
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_title("Meeting pack")
        self.set_creator("Crime and violence observatory")

    def footer(self) -> None:
        self.set_y(-FOOTER_H + 2)
        self.set_font(FONT, size=10)
        self.set_text_color(40, 40, 40)
        self.multi_cell(0, 4.5, pdf_text(self.stamp), new_x="LMARGIN", new_y="NEXT")
        if self.shows_wards and self.attribution:
            self.multi_cell(0, 4.5, pdf_text(f"Ward boundaries: {self.attribution}"))


def _header(pdf: _Pack, item: AgendaItem, total: int) -> None:
    pdf.set_xy(MARGIN, MARGIN)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "B", 26)
    pdf.cell(0, 12, pdf_text(f"{item.number}. {item.title}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=15)
    pdf.cell(0, 8, pdf_text(f"{item.subtitle}   (item {item.number} of {total})"), new_x="LMARGIN")
    pdf.set_y(pdf.get_y() + 10)


def _list(pdf: _Pack, numbers: NumberList, x: float, width: float, bottom: float) -> None:
    """A heading, then one line per row: label left, number right in bold; flagged
    rows are marked in words as well as bold, never by colour alone."""
    pdf.set_x(x)
    pdf.set_font(FONT, "B", 16)
    pdf.cell(width, 9, pdf_text(numbers.heading), new_x="LEFT", new_y="NEXT")
    if not numbers.rows:
        pdf.set_font(FONT, size=14)
        pdf.cell(width, 8, pdf_text(numbers.empty), new_x="LEFT", new_y="NEXT")
    shown = 0
    for row in numbers.rows:
        needed = 9 + (6 if row.note else 0)
        if pdf.get_y() + needed > bottom - 7:
            break
        pdf.set_x(x)
        pdf.set_font(FONT, "B" if row.flag else "", 15)
        value_w = min(48.0, width * 0.35)
        pdf.cell(width - value_w, 9, pdf_text(row.label)[:90])
        pdf.set_font(FONT, "B", 19)
        pdf.cell(value_w, 9, pdf_text(row.value), align="R", new_x="LEFT", new_y="NEXT")
        pdf.set_x(x)
        if row.note:
            pdf.set_font(FONT, "B" if row.flag else "", 12)
            pdf.cell(width, 6, pdf_text(row.note), new_x="LEFT", new_y="NEXT")
        shown += 1
    if shown < len(numbers.rows):
        pdf.set_x(x)
        pdf.set_font(FONT, "I", 12)
        pdf.cell(width, 6, f"and {len(numbers.rows) - shown} more: see the dashboard")
        pdf.set_y(pdf.get_y() + 6)
    pdf.set_y(pdf.get_y() + 4)


def _page(pdf: _Pack, item: AgendaItem, pngs: dict[str, bytes], total: int) -> None:
    pdf.add_page()  # draws the previous page's footer: set this page's flag after
    pdf.shows_wards = item.shows_wards
    _header(pdf, item, total)
    top, bottom = pdf.get_y(), PAGE_H - FOOTER_H - 2 - 6 * len(item.notes)
    usable_w = PAGE_W - 2 * MARGIN
    figures = [f for f in item.figures if f.name in pngs]
    list_x, list_w = MARGIN, usable_w
    if figures:
        fig_w = FIGURE_W_WITH_LISTS if item.lists else usable_w
        fig = figures[0].figure
        ratio = (fig.layout.height or meeting_figures.HEIGHT) / (
            fig.layout.width or meeting_figures.WIDTH
        )
        fig_h = min(fig_w * ratio, bottom - top)
        pdf.image(
            io.BytesIO(pngs[figures[0].name]),
            x=MARGIN,
            y=top,
            h=fig_h,
            keep_aspect_ratio=True,
            w=fig_w,
        )
        list_x, list_w = MARGIN + fig_w + 6, usable_w - fig_w - 6
    pdf.set_y(top)
    for numbers in item.lists:
        _list(pdf, numbers, list_x, list_w, bottom)
    pdf.set_xy(MARGIN, bottom)
    pdf.set_font(FONT, "I", 11)
    for note in item.notes:
        pdf.cell(0, 6, pdf_text(note), new_x="LMARGIN", new_y="NEXT")


def meeting_pack_pdf(
    items: Sequence[AgendaItem], stamp: str, attribution: str = "", *, scale: float = 1.0
) -> bytes:
    """The pack as PDF bytes: exactly one page per agenda item."""
    figures = [f for item in items for f in item.figures[:1]]
    pngs = dict(
        zip([f.name for f in figures], render_pngs([f.figure for f in figures], scale), strict=True)
    )
    pdf = _Pack(stamp, attribution)
    for item in items:
        _page(pdf, item, pngs, len(items))
    return bytes(pdf.output())


def figures_zip(items: Sequence[AgendaItem], stamp: str, attribution: str = "") -> bytes:
    """Every agenda figure as `<name>.png`, stamped, in a zip."""
    figures = [(f.name, f.figure, item.shows_wards) for item in items for f in item.figures]
    drawn = render_pngs(
        [stamped(fig, stamp, attribution if wards else "") for _, fig, wards in figures]
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for (name, _, _), png in zip(figures, drawn, strict=True):
            archive.writestr(f"{name}.png", png)
    return out.getvalue()
