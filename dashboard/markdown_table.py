"""Tables drawn as one dcc.Markdown component (class `table-md`).

A table of hundreds of rows as Dash components (a Tr per row, a Td per cell) costs
more to build and to serialise than the rest of its page: the about page's agencies
took 411 ms, the completeness page's ward-months 110 ms of a 117 ms callback. As
Markdown it is one string. Cells are escaped so a value is shown as written, never
read as Markdown (a link, emphasis, a column break); raw HTML needs nothing, since
dcc.Markdown shows it as text (tests/test_page_summaries.py).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

_ESCAPES = str.maketrans({ch: f"\\{ch}" for ch in "\\`*_{}[]()#+-.!|~"})


def cell(value: object) -> str:
    """`value` as the text of one cell: on one line (a line break would end the
    row), Markdown characters escaped."""
    return " ".join(str(value).split()).translate(_ESCAPES)


def markdown_table(
    header: Sequence[str], rows: Iterable[Sequence[object]], right: Collection[int] = ()
) -> str:
    """A GitHub-flavoured Markdown table; columns at the indexes in `right` (numbers)
    are right-aligned. Every cell goes through `cell`."""
    rule = ["--:" if i in right else "---" for i in range(len(header))]
    lines = [_row(header), "|" + "|".join(rule) + "|"]
    lines += [_row(values) for values in rows]
    return "\n".join(lines)


def _row(values: Sequence[object]) -> str:
    return "| " + " | ".join(cell(v) for v in values) + " |"
