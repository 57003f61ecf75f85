"""No page scrolls sideways at 320 CSS px or at 200% text (WCAG 1.4.10 reflow, issue 13).

Every GET page of the access matrix (tests/test_access_matrix.py) is opened, in the matrix's own
world, by each role that may open it: the clinician who owns every object, the supervisor of their
team, the curator, and a visitor. Each page is measured at 320x640 and at 1280x800 with the root
font-size at 200% (the text size a 640 px window shows at 200% zoom). Content wider than the
viewport is allowed only inside a named, focusable scroll region (a table's box), and every box
that does scroll must be one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from playwright.sync_api import Error as PlaywrightError

from tests.test_access_matrix import ANON, CURATOR, MATRIX, OWNER, TEAM_SUPERVISOR, World, _build_world

ACTORS = [OWNER, TEAM_SUPERVISOR, CURATOR, ANON]


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int
    root_font_size: str | None = None


VIEWPORTS = [Viewport("320px", 320, 640), Viewport("200% text", 1280, 800, "200%")]

# Outermost elements sticking out past the right edge, not inside a named scroll region; and boxes
# that scroll sideways without being a named, focusable region.
MEASURE = """() => {
  const width = window.innerWidth;
  const REGION = '[role=region][tabindex="0"]:is([aria-label],[aria-labelledby])';
  const inRegion = (el) => el.closest(REGION);
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const wide = [];
  const unnamed = [];
  for (const el of document.body.querySelectorAll('*')) {
    const style = getComputedStyle(el);
    const scrolls = style.overflowX === 'auto' || style.overflowX === 'scroll';
    if (scrolls && el.scrollWidth > el.clientWidth + 1 && !el.matches(REGION)) {
      unnamed.push(describe(el));
    }
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1 || inRegion(el)) continue;
    const parent = el.parentElement;
    const parentWide = parent && parent !== document.body && parent.getBoundingClientRect().right > width + 1;
    if (parentWide && !inRegion(parent)) continue;  // report the outermost element only
    wide.push(describe(el) + ' ' + Math.round(box.right) + 'px');
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5), unnamed};
}"""


def get_pages(world: World, actor: str) -> Iterator[tuple[str, str]]:
    """The (matrix row, path) of every page the actor may GET."""
    for name, row in MATRIX.items():
        expect = row.get[actor]
        if expect.status in (200, 302) and not expect.to_login:
            yield name, reverse(name, kwargs=row.kwargs(world)) + row.query.format(**world.placeholders())


@pytest.fixture
def world(transactional_db, tmp_path) -> Iterator[World]:
    fast = override_settings(MEDIA_ROOT=tmp_path, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with fast:
        yield _build_world(tmp_path)


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: v.name)
def test_no_page_scrolls_sideways_for_any_role(browser, live_server, world, viewport) -> None:
    problems = []
    opened = 0
    for actor in ACTORS:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": viewport.width, "height": viewport.height}
        )
        if actor != ANON:
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": world.session_keys[actor], "url": live_server.url}]
            )
        page = context.new_page()
        for name, path in get_pages(world, actor):
            try:
                response = page.goto(path)
            except PlaywrightError as error:  # a file download (certificate, CSV, calendar): no page
                if "Download is starting" in str(error):
                    continue
                raise
            if response is None or not (response.headers.get("content-type") or "").startswith("text/html"):
                continue
            opened += 1
            if viewport.root_font_size:
                page.evaluate(f"document.documentElement.style.fontSize = '{viewport.root_font_size}'")
            found = page.evaluate(MEASURE)
            if found["scrollWidth"] > found["width"] or found["wide"] or found["unnamed"]:
                problems.append(f"{name} as {actor} ({path}): {found}")
        context.close()
    assert problems == [], f"{len(problems)} pages of {opened} do not reflow at {viewport.name}:\n" + "\n".join(
        problems
    )
    assert opened >= 85, f"only {opened} pages opened: the world or the matrix changed"
