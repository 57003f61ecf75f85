"""A form sent back with errors says so: title, error summary, links to each field (issue 13, item 3).

Every page state of tests/test_page_ids.py (every matrix page each actor may open, and every form
they may post, posted empty) is checked: a page showing a field error (``aria-invalid``, an error
message or an invalid field) has a title starting "Error: " and an error summary
(``[data-error-summary]``, focusable, focused by static/js/app.js) whose links each lead to an id on
the page, one of them to every invalid control (the first box of a group stands for the group); a
page without errors has neither.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse

from tests.test_access_matrix import (  # the fixtures are used by name
    ANON,
    MATRIX,
    World,
    _world_media,  # noqa: F401
    matrix_world,  # noqa: F401
)
from tests.test_page_ids import STATES, PageState

pytestmark = pytest.mark.django_db


class ErrorMarks(HTMLParser):
    """What a page shows of form errors: its title, its summaries and their links, its invalid controls."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self._in_title = False
        self.ids: set[str] = set()
        self.invalid_ids: list[str] = []
        self.error_messages = 0
        self.summaries: list[dict[str, str | None]] = []
        self.summary_links: list[str] = []
        self._summary_depth = 0  # > 0 inside a summary (div nesting)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if attr.get("id"):
            self.ids.add(str(attr["id"]))
        classes = (attr.get("class") or "").split()
        if tag == "title":
            self._in_title = True
        if attr.get("aria-invalid") == "true":
            self.invalid_ids.append(attr.get("id") or "")
        if "error" in classes or "field-invalid" in classes:
            self.error_messages += 1
        if "data-error-summary" in attr:
            self.summaries.append(attr)
            self._summary_depth = 1
        elif self._summary_depth and tag == "div":
            self._summary_depth += 1
        if self._summary_depth and tag == "a":
            self.summary_links.append(attr.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if self._summary_depth and tag == "div":
            self._summary_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def error_state_problems(html: str) -> list[str]:
    """What is wrong with how the page presents its form errors (nothing when it has none and says none)."""
    page = ErrorMarks()
    page.feed(html)
    page.close()
    title = " ".join(page.title.split())
    shows_errors = bool(page.invalid_ids or page.error_messages or page.summaries)
    if not shows_errors:
        return [f"the title {title!r} says Error but the page shows none"] if title.startswith("Error: ") else []
    problems = []
    if not title.startswith("Error: "):
        problems.append(f"the page shows errors but its title is {title!r}")
    if not page.summaries:
        problems.append("the page shows errors but has no error summary")
    for summary in page.summaries:
        if summary.get("tabindex") != "-1":
            problems.append("an error summary cannot take focus (tabindex=-1)")
    linked = set()
    for href in page.summary_links:
        if not href.startswith("#") or href[1:] not in page.ids:
            problems.append(f"the summary links to {href!r}, not an id on the page")
        linked.add(href[1:])
    for control in page.invalid_ids:
        group = re.sub(r"_\d+$", "_0", control)
        if control not in linked and group not in linked:
            problems.append(f"no summary link leads to the invalid control {control!r}")
    return problems


def _open_with_nothing_filled_in(client: Any, world: World, state: PageState) -> Any:
    """The page, or its form posted with nothing filled in (one field of no form: `request.POST or None` binds)."""
    row = MATRIX[state.name]
    if state.actor != ANON:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.session_keys[state.actor]
    path = reverse(state.name, kwargs=row.kwargs(world)) + row.query.format(**world.placeholders())
    if state.method == "GET":
        return client.get(path, follow=True)
    return client.post(path, {"nothing_filled_in": ""}, follow=True)


@pytest.mark.parametrize("state", STATES, ids=[f"{s.name}-{s.method}-{s.actor}" for s in STATES])
def test_every_page_with_form_errors_titles_them_and_links_each_from_a_summary(
    client: Any,
    matrix_world: World,  # noqa: F811 - the fixture imported above
    state: PageState,
) -> None:
    response = _open_with_nothing_filled_in(client, matrix_world, state)
    if response.status_code not in (200, 400) or not response["Content-Type"].startswith("text/html"):
        pytest.skip(f"{state.method} answers {response.status_code} {response['Content-Type']}: no page to check")
    problems = error_state_problems(response.content.decode())
    assert not problems, f"{state.method} {state.name} as {state.actor}:\n" + "\n".join(problems)


class _GroupedForm(forms.Form):
    code = forms.CharField()
    topics = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple)
    secret = forms.CharField(widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        raise forms.ValidationError("The whole form is wrong.")


def test_the_summary_links_each_field_and_the_first_box_of_a_group_and_lists_form_errors() -> None:
    form = _GroupedForm({})
    html = Template('{% include "_form_errors.html" %}').render(Context({"form": form}))
    assert "data-error-summary" in html
    assert 'tabindex="-1"' in html
    assert "<li>The whole form is wrong.</li>" in html
    assert '<a href="#id_code">Code: This field is required.</a>' in html
    assert '<a href="#id_topics_0">Topics: This field is required.</a>' in html
    assert "<li>This field is required.</li>" in html  # the hidden field: no control to go to
    assert Template('{% include "_form_errors.html" %}').render(Context({"form": _GroupedForm()})).strip() == ""


def test_the_checker_finds_an_untitled_error_and_a_control_no_link_leads_to() -> None:
    html = (
        "<title>Log credits</title><div data-error-summary><a href='#id_a'>A</a></div>"
        "<input id='id_a' aria-invalid='true'><input id='id_b' aria-invalid='true'>"
    )
    assert error_state_problems(html) == [
        "the page shows errors but its title is 'Log credits'",
        "an error summary cannot take focus (tabindex=-1)",
        "no summary link leads to the invalid control 'id_b'",
    ]
    assert error_state_problems("<title>Error: Plan</title><p>Fine</p>") == [
        "the title 'Error: Plan' says Error but the page shows none"
    ]
