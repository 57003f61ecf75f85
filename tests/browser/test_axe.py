"""axe-core over every page, for every role, in its form-error states, at 1280 and 320 px wide (issue 13).

The page states are those of tests/test_page_ids.py: every page of the access matrix that each of
a few actors may open, and every form they may post, posted empty (the form-error state). Any
critical or serious violation fails the state's test, listing each rule with its first targets;
all of them are summed up by impact and rule at the end of the run (tests/browser/axe_report.py).

Chromium renders each page with the app's own CSS, JavaScript and Content-Security-Policy, but every
request it makes is answered by Django's test client, in the test's own thread and transaction
(``page.route``), not by a live server. So the matrix world is built once for the module and each
state's empty POST is rolled back after its test, exactly as in tests/test_page_ids.py, on SQLite
and PostgreSQL alike; a live server on PostgreSQL would need the world committed, and an empty
POST that deletes (a share link, a goal) would change the pages of the states after it.
"""

from __future__ import annotations

import contextvars
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

import axe_playwright_python
import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from tests.browser.axe_report import scanned
from tests.test_access_matrix import (  # the fixtures are used by name
    ANON,
    MATRIX,
    World,
    _world_media,  # noqa: F401
    matrix_world,  # noqa: F401
)
from tests.test_page_ids import STATES, PageState

pytestmark = pytest.mark.django_db

AXE_SCRIPT = Path(axe_playwright_python.__file__).parent / "axe.min.js"
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
    "resultTypes": ["violations"],
}
WIDTHS = [(1280, 900), (320, 720)]
FAILING = {"critical", "serious"}
ORIGIN = "http://testserver"  # Django's test client's host (always in ALLOWED_HOSTS under test)
# Request headers the test client must not take from the browser: it keeps the cookies and builds the rest.
NOT_FORWARDED = {"cookie", "host", "content-length", "content-type"}
TARGETS_SHOWN = 3
VARYING = re.compile(r'(?<=name="csrfmiddlewaretoken" value=")[^"]*|(?<=nonce=")[^"]*')


class DjangoAnswers:
    """Answers Chromium's requests from the current test's Django client; static files from the finders.

    Playwright calls a route handler in a greenlet of its own, with its own context variables, where
    Django would open a fresh database connection (asgiref's Local lives in a context variable): the
    test's Django work runs in a copy of the test's context, which holds the test's connection.
    """

    def __init__(self) -> None:
        self.client: Client | None = None
        self.context = contextvars.Context()
        self.post_once: str | None = None  # the path whose next navigation is sent as an empty POST
        self.document: tuple[int, str] = (0, "")  # the last main-document answer: status, Content-Type
        self.redirect: str | None = None  # where the last main-document answer sends the browser

    def __call__(self, route: Any) -> None:
        request = route.request
        url = urlsplit(request.url)
        if url.path.startswith(settings.STATIC_URL):
            found = finders.find(url.path.removeprefix(settings.STATIC_URL))
            route.fulfill(path=found) if found else route.fulfill(status=404)
            return
        status, answer, body = self.context.run(self._answer, request, url)
        route.fulfill(status=status, headers=answer, body=body)

    def _answer(self, request: Any, url: SplitResult) -> tuple[int, dict[str, str], bytes]:
        assert self.client is not None
        path = url.path + (f"?{url.query}" if url.query else "")
        headers = {name: value for name, value in request.headers.items() if name.lower() not in NOT_FORWARDED}
        if request.is_navigation_request() and path == self.post_once:
            self.post_once = None
            response = self.client.post(path, {}, headers=headers)
        else:
            response = self.client.generic(
                request.method,
                path,
                request.post_data_buffer or b"",
                content_type=request.headers.get("content-type", ""),
                headers=headers,
            )
        body = b"".join(response.streaming_content) if response.streaming else response.content
        answer = {name: value for name, value in response.items() if name.lower() != "content-disposition"}
        if request.is_navigation_request() and request.frame.parent_frame is None:
            self.document = (response.status_code, response.get("Content-Type", ""))
            # Chromium would follow a fulfilled redirect past the route, to a host that does not exist.
            self.redirect = response["Location"] if response.status_code in (301, 302, 303) else None
            if self.redirect or not self.document[1].startswith("text/html"):
                body, answer = b"<!doctype html><title>not a page</title>", {"Content-Type": "text/html"}
        return response.status_code, answer, body


@pytest.fixture(scope="module")
def answers() -> DjangoAnswers:
    return DjangoAnswers()


@pytest.fixture(scope="module")
def axe_page(browser: Any, answers: DjangoAnswers) -> Iterator[Any]:
    """One page for the whole module: axe is injected into every document before the app's scripts run."""
    width, height = WIDTHS[0]
    context = browser.new_context(base_url=ORIGIN, viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    context.add_init_script(path=str(AXE_SCRIPT))
    context.route(f"{ORIGIN}/**", answers)
    page = context.new_page()
    yield page
    context.close()


Scan = tuple[int, dict[str, Any]]  # a width and axe's results there


def scan(page: Any) -> list[Scan]:
    """axe's results on the page at each width: one document, its viewport resized (media queries apply)."""
    found = []
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        found.append((width, page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)))
    return found


def failures(found: list[Scan]) -> list[str]:
    """One line for each critical or serious violation: rule, impact, what it asks, its first targets, the width."""
    lines = []
    for width, results in found:
        for violation in results["violations"]:
            if violation["impact"] not in FAILING:
                continue
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:TARGETS_SHOWN]]
            more = len(violation["nodes"]) - TARGETS_SHOWN
            shown = "; ".join(targets) + (f"; and {more} more" if more > 0 else "")
            lines.append(f"  {violation['id']} ({violation['impact']}) at {width} px: {violation['help']} - {shown}")
    return lines


def same_document(html: str) -> str:
    """What two renderings of one page share: the CSRF token and the CSP nonce change with every response."""
    return hashlib.sha256(VARYING.sub("", html).encode()).hexdigest()


@pytest.fixture(scope="module")
def scanned_documents() -> dict[str, list[Scan]]:
    """axe's results by document: a signed-in person's login page is their home, a refused POST its form."""
    return {}


@pytest.mark.parametrize("state", STATES, ids=[f"{s.name}-{s.method}-{s.actor}" for s in STATES])
def test_no_serious_accessibility_violation(
    client: Client,
    matrix_world: World,  # noqa: F811 - the fixture imported above
    answers: DjangoAnswers,
    axe_page: Any,
    scanned_documents: dict[str, list[Scan]],
    state: PageState,
    request: pytest.FixtureRequest,
) -> None:
    row = MATRIX[state.name]
    if state.actor != ANON:
        client.cookies[settings.SESSION_COOKIE_NAME] = matrix_world.session_keys[state.actor]
    path = reverse(state.name, kwargs=row.kwargs(matrix_world)) + row.query.format(**matrix_world.placeholders())
    answers.client = client
    answers.context = contextvars.copy_context()
    answers.post_once = path if state.method == "POST" else None
    axe_page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[0], strict=True)))
    axe_page.goto(path)
    for _ in range(5):  # follow redirects as the test client's follow=True does
        if answers.redirect is None:
            break
        axe_page.goto(answers.redirect)
    status, content_type = answers.document
    if status not in (200, 400) or not content_type.startswith("text/html"):
        pytest.skip(f"{state.method} answers {status} {content_type}: no page to check")

    document = same_document(axe_page.content())
    reused = document in scanned_documents
    found = scanned_documents[document] if reused else scanned_documents.setdefault(document, scan(axe_page))
    name = f"{state.method} {state.name} as {state.actor}"
    request.node.user_properties += [scanned(state=name, width=w, results=r, reused=reused) for w, r in found]
    problems = failures(found)
    assert not problems, f"{state.method} {path} ({state.name}) as {state.actor}, at {axe_page.url}:\n" + "\n".join(
        problems
    )


def test_the_sweep_finds_serious_violations(axe_page: Any) -> None:
    """The harness itself: axe runs in the page and a serious violation fails, named with its target."""
    axe_page.goto("about:blank")  # no Content-Security-Policy there to refuse the inline script
    axe_page.set_content(
        '<!doctype html><html lang="en"><title>t</title><main><h1>t</h1>'
        '<button id="nameless"></button><ul><div id="not-an-item">x</div></ul></main></html>'
    )
    axe_page.add_script_tag(path=str(AXE_SCRIPT))
    problems = failures(scan(axe_page))
    assert any(line.startswith("  button-name (critical) at 1280 px") and "#nameless" in line for line in problems)
    assert any(line.startswith("  list (serious) at 320 px") for line in problems)
