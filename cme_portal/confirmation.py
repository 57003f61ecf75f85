"""The page that asks before a destructive action: every delete, revoke and removal uses it.

A destructive URL answers GET with this page (the same access rules as its POST) and does its
work on POST only, so it works without JavaScript and a stray link or prefetch deletes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .redirects import safe_return_path

TEMPLATE = "confirm_delete.html"


@dataclass(frozen=True)
class Confirmation:
    """What the page says: the question, what is lost in concrete terms, and the danger button's words."""

    heading: str  # "Delete the goal “Educator”?"
    consequences: tuple[str, ...]  # one sentence each, with the object's own figures and dates
    action: str  # the button: "Delete goal"


def confirmation_page(request: HttpRequest, confirmation: Confirmation, *, cancel_to: str) -> HttpResponse:
    """The confirmation page; its form posts back to this URL with CSRF.

    Cancel goes to the request's `next` when that is a path on this site, else to `cancel_to`
    (the object's own page). Writes nothing.
    """
    context = {"confirmation": confirmation, "cancel_url": safe_return_path(request, fallback=cancel_to)}
    return render(request, TEMPLATE, context)


# --- Words the consequences share -------------------------------------------------------------


def counted(count: int, one: str, many: str) -> str:
    """ "1 measurement", "6 measurements"."""
    return f"{count} {one if count == 1 else many}"


def listed(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
