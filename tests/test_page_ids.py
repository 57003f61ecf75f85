"""Every id a page points at is on that page exactly once (issue 13: help text, unique field ids).

Assistive technology follows ``aria-describedby``, ``aria-labelledby``, ``aria-controls``,
``label[for]``, ``output[for]``, ``input[list]`` and ``[form]`` by id: a reference to a missing id
says nothing (help text never read), a reference to an id written twice names the wrong element
(the import and export forms once shared ``id_file_format``). Django 5.2 points each field with
help text at ``<auto_id>_helptext`` and each field with errors at ``<auto_id>_error``.

Every page of the access matrix (tests/test_access_matrix.py, which fails on a URL without a row)
is opened by each of a few actors who may open it, and every form page is also posted empty, so
the form-error state is checked too: the page must carry each referenced id once, and no id twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse

from tests.test_access_matrix import (  # the fixtures are used by name
    ANON,
    CURATOR,
    LONER,
    MATRIX,
    OWNER,
    TEAM_SUPERVISOR,
    World,
    _world_media,  # noqa: F401
    matrix_world,  # noqa: F401
)

pytestmark = pytest.mark.django_db

# The person whose objects the world holds, each other role's pages, a visitor, a clinician without a team.
PAGE_ACTORS = [OWNER, TEAM_SUPERVISOR, CURATOR, ANON, LONER]

# Attributes holding one id, and those holding a space-separated list of ids.
SINGLE_ID_REFERENCES = {("label", "for"), ("output", "for"), ("input", "list"), ("*", "form")}
ID_LIST_REFERENCES = {"aria-describedby", "aria-labelledby", "aria-controls"}
FORM_CONTROLS = {"input", "select", "textarea", "button", "output", "fieldset", "object"}


class IdReferences(HTMLParser):
    """The ids an HTML page defines (with their counts) and the ids its attributes refer to."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.defined: Counter[str] = Counter()
        self.referenced: list[tuple[str, str]] = []  # (id, the tag and attribute naming it)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id":
                self.defined[value] += 1
            elif name in ID_LIST_REFERENCES:
                self.referenced.extend((ref, f"<{tag} {name}>") for ref in value.split() or [""])
            elif (tag, name) in SINGLE_ID_REFERENCES or (name == "form" and tag in FORM_CONTROLS):
                self.referenced.append((value, f"<{tag} {name}>"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def id_problems(html: str) -> list[str]:
    """Each reference to an id the page lacks or holds twice, and each id the page holds twice."""
    page = IdReferences()
    page.feed(html)
    page.close()
    problems = [
        f"{where} names {ref!r}, which the page holds {page.defined[ref]} times"
        for ref, where in page.referenced
        if page.defined[ref] != 1
    ]
    problems += [f"id {name!r} is written {count} times" for name, count in page.defined.items() if count > 1]
    return problems


@dataclass(frozen=True)
class PageState:
    name: str
    actor: str
    method: str


def page_states() -> list[PageState]:
    """Every matrix page an actor of PAGE_ACTORS may open, and every form they may post, posted empty.

    Redirects are followed (the set-password page lies behind the reset link's redirect; a POST
    that redirects lands on a page with its flash message); an empty POST shows the form's errors
    wherever the view re-renders it.
    """
    states = []
    for name, row in MATRIX.items():
        for actor in PAGE_ACTORS:
            if row.get[actor].status in (200, 302) and not row.get[actor].to_login:
                states.append(PageState(name, actor, "GET"))
            if row.post[actor].status in (200, 302) and not row.post[actor].to_login:
                states.append(PageState(name, actor, "POST"))
    return states


STATES = page_states()


def _open(client: Any, world: World, state: PageState) -> Any:
    row = MATRIX[state.name]
    if state.actor != ANON:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.session_keys[state.actor]
    path = reverse(state.name, kwargs=row.kwargs(world)) + row.query.format(**world.placeholders())
    return client.get(path, follow=True) if state.method == "GET" else client.post(path, {}, follow=True)


@pytest.mark.parametrize("state", STATES, ids=[f"{s.name}-{s.method}-{s.actor}" for s in STATES])
def test_every_referenced_id_is_on_the_page_once(
    client: Any,
    matrix_world: World,  # noqa: F811 - the fixture imported above
    state: PageState,
) -> None:
    response = _open(client, matrix_world, state)
    if response.status_code not in (200, 400) or not response["Content-Type"].startswith("text/html"):
        pytest.skip(f"{state.method} answers {response.status_code} {response['Content-Type']}: no page to check")
    problems = id_problems(response.content.decode())
    assert not problems, f"{state.method} {state.name} as {state.actor}:\n" + "\n".join(problems)


def test_the_checker_finds_missing_and_doubled_ids() -> None:
    html = (
        '<label for="a">A</label><input id="a" aria-describedby="a_helptext">'
        '<p id="b"></p><p id="b"></p><label for="b">B</label>'
    )
    assert id_problems(html) == [
        "<input aria-describedby> names 'a_helptext', which the page holds 0 times",
        "<label for> names 'b', which the page holds 2 times",
        "id 'b' is written 2 times",
    ]


class _TwoProblemsForm(forms.Form):
    code = forms.CharField(help_text="Four letters.")
    topics = forms.MultipleChoiceField(
        choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple, help_text="Any that apply."
    )

    def clean(self) -> dict[str, Any]:
        for name in ("code", "topics"):
            self.add_error(name, ValidationError(["Too short.", "Not letters."]))
        return self.cleaned_data


@pytest.mark.parametrize("template", ["_field.html", "careers/_checkboxes.html", "outcomes/_checkbox_group.html"])
def test_a_field_names_its_help_text_and_all_its_errors_once(template: str) -> None:
    form = _TwoProblemsForm({"code": "x1", "topics": ["a"]})
    field = form["topics" if "checkbox" in template else "code"]
    html = render_to_string(template, {"field": field})
    assert id_problems(html) == []
    assert f'aria-describedby="{field.auto_id}_helptext {field.auto_id}_error"' in html
    page = IdReferences()
    page.feed(html)
    assert {ref for ref, where in page.referenced if "aria-describedby" in where} == {
        f"{field.auto_id}_helptext",
        f"{field.auto_id}_error",
    }
    assert html.count('class="error"') == 2
