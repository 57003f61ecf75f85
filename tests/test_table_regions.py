"""Every table box that may scroll sideways is a named, focusable region (issue 13: reflow).

A table wider than a phone scrolls inside `templates/_table.html`'s box, never the page; keyboard
users reach the box with Tab and scroll it with the arrow keys, and a screen reader names it.
"""

import re

from django.conf import settings
from django.template.loader import render_to_string

TEMPLATES = settings.BASE_DIR / "templates"
INCLUDE = re.compile(r'{%\s*include\s+"_table\.html"\s+with\s+(?P<args>.*?)%}', re.DOTALL)


def test_every_table_include_names_its_box() -> None:
    unnamed = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)[:80]}"
        for path in TEMPLATES.rglob("*.html")
        for match in INCLUDE.finditer(path.read_text())
        if not re.search(r'\btable_label="[^"]+"', match.group("args"))
    ]
    assert unnamed == []


def test_the_box_is_a_focusable_region_named_by_its_label() -> None:
    html = render_to_string(
        "_table.html",
        {
            "table_label": "Logged credits",
            "table_head": "careers/plan.html#plan-head",
            "table_rows": "careers/plan.html#plan-rows",
        },
    )
    assert '<div class="table-scroll" role="region" tabindex="0" aria-label="Logged credits">' in html


def test_every_hand_written_scroll_box_is_a_named_region() -> None:
    boxes = [
        (path.relative_to(TEMPLATES), tag)
        for path in TEMPLATES.rglob("*.html")
        if path.name != "_table.html"
        for tag in re.findall(r'<div[^>]*class="(?:table-scroll|plan-chart-scroll)"[^>]*>', path.read_text())
    ]
    assert boxes, "no hand-written scroll box found: the pattern is stale"
    assert [
        box for box in boxes if not ('role="region"' in box[1] and 'tabindex="0"' in box[1] and "aria-label" in box[1])
    ] == []
