"""Tables sent as one Markdown string (dashboard.markdown_table): whatever a clerk
typed into a name stays in its own cell, on its own row, shown as written."""

import re

from dashboard.markdown_table import cell, markdown_table

# A column break in GitHub-flavoured Markdown: a pipe not preceded by a backslash.
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def test_a_cell_with_markdown_and_line_breaks_stays_one_cell_on_one_row():
    name = "Kilimani | *Police*\nPost [HQ](x) _1_ `c`"
    text = markdown_table(("Agency", "Records"), [(name, "1,234"), ("Alpha", "7")], right={1})
    lines = text.splitlines()
    assert len(lines) == 4
    assert lines[1] == "|---|--:|"
    assert all(len(_UNESCAPED_PIPE.findall(line)) == 3 for line in lines)
    # Every Markdown character escaped: removing the escapes gives the name back.
    shown = re.sub(r"\\(.)", r"\1", _UNESCAPED_PIPE.split(lines[2])[1].strip())
    assert shown == " ".join(name.split())


def test_cell_leaves_plain_text_alone():
    assert cell("Narok North Police Station") == "Narok North Police Station"
    assert cell(1234) == "1234"
