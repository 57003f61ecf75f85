"""Flash messages sit in live regions that wrap their lists (issue 13).

A ``<ul role="status">`` is no longer a list to assistive technology (axe: "list" serious on every
page with a message). Errors go in a role="alert" region, everything else in a role="status" one;
each region holds a plain list and is marked for app.js to refill after load, since a live region
whose text is there at load is not read out.
"""

from __future__ import annotations

import re

import pytest
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.template.loader import render_to_string
from django.test import RequestFactory

from tests.test_page_ids import id_problems


def _page_with(*notes: tuple[int, str]) -> str:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]
    for level, text in notes:
        messages.add_message(request, level, text)
    return render_to_string("base.html", request=request)


def _compact(html: str) -> str:
    return re.sub(r">\s+<", "><", html)


def test_errors_are_alerts_and_the_rest_statuses_each_region_wrapping_a_list() -> None:
    html = _compact(
        _page_with(
            (messages.SUCCESS, "Licence saved."),
            (messages.ERROR, "The import could not start."),
            (messages.WARNING, "The queue is not reachable."),
        )
    )
    assert (
        '<div role="alert" data-announce-on-load><ul class="message-list">'
        '<li class="message message-error">The import could not start.</li></ul></div>'
    ) in html
    assert (
        '<div role="status" data-announce-on-load><ul class="message-list">'
        '<li class="message message-success">Licence saved.</li>'
        '<li class="message message-warning">The queue is not reachable.</li></ul></div>'
    ) in html
    assert not re.search(r"<(ul|ol|li)\b[^>]*\brole=", html), "a list element carries a role"
    assert id_problems(html) == []


@pytest.mark.parametrize(
    ("level", "role", "absent"), [(messages.INFO, "status", "alert"), (messages.ERROR, "alert", "status")]
)
def test_a_page_with_one_kind_of_message_has_only_that_region(level: int, role: str, absent: str) -> None:
    html = _page_with((level, "One note."))
    assert html.count(f'role="{role}"') == 1
    assert f'role="{absent}"' not in html


def test_a_page_without_messages_has_no_message_regions() -> None:
    html = _page_with()
    assert 'class="messages"' not in html
    assert "data-announce-on-load" not in html
