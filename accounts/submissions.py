"""One write per rendered form: a double click or Back-and-resubmit is answered, not saved twice.

Each create form carries a hidden ``submission`` field holding a random token (the
``{% submission_field form %}`` tag, accounts/templatetags/submissions.py). A form
re-rendered after an error keeps the token it was posted with, so the corrected submission
still saves. A view wrapped in ``submitted_once`` (or a block inside ``submission_once``) runs
in one transaction that first claims (user, token) as a SubmissionReceipt row: a submission
whose answer is a success keeps the receipt, with where it sent the browser; any other answer
(an error, an exception) gives the token back. A second submission with the same token writes
nothing and is redirected where the first went, with a message. On PostgreSQL a second
submission that arrives while the first is still running waits on the unique insert until the
first commits, then sees it.

Without a token, with one that is not 16 to 64 characters of ``[A-Za-z0-9_-]`` (a page loaded
before this existed, a client that drops the field), or without a signed-in user, the view runs
as it always did, without the check. Receipts are kept a day (``submission_receipts_prune``).
"""

from __future__ import annotations

import datetime
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils import timezone

from .models import SubmissionReceipt, User

V = TypeVar("V", bound=Callable[..., HttpResponseBase])

SUBMISSION_FIELD = "submission"
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
ALREADY_SAVED_MESSAGE = "This was already saved; nothing was added."
RECEIPTS_KEPT_FOR = datetime.timedelta(days=1)


def submission_token_new() -> str:
    """A fresh form token: 32 URL-safe characters (24 random bytes)."""
    return secrets.token_urlsafe(24)


def submission_token_presented(request: HttpRequest) -> str | None:
    """The well-formed token a POST carries, or None (no field, too short or long, other characters)."""
    if request.method != "POST":
        return None
    token = request.POST.get(SUBMISSION_FIELD, "")
    return token if isinstance(token, str) and TOKEN_PATTERN.fullmatch(token) else None


def submission_token_for_form(request: HttpRequest | None, *, form_is_bound: bool) -> str:
    """The token a form renders: the one it was posted with when it is re-rendered bound (after an
    error, so the correction is not taken for a repeat), a fresh one otherwise.

    Only the bound form inherits it: other forms on the same page, and the empty form a page shows
    after a success, get fresh tokens, so the next deliberate submission is not taken for a repeat.
    """
    if form_is_bound and request is not None:
        presented = submission_token_presented(request)
        if presented is not None:
            return presented
    return submission_token_new()


class SubmissionRepeated(Exception):
    """The same form was submitted and saved before; this submission wrote nothing."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


@dataclass
class SubmissionClaim:
    """What a submission inside `submission_once` holds; `saved()` keeps the token once the write succeeded."""

    receipt: SubmissionReceipt | None
    location: str | None = None

    def saved(self, *, location: str) -> None:
        """The write succeeded and the answer sends the browser to `location` (where a repeat is sent too)."""
        self.location = location


@contextmanager
def submission_once(request: HttpRequest) -> Iterator[SubmissionClaim]:
    """Run the block once per form token: in one transaction with the token claimed first.

    Raises SubmissionRepeated, before the block runs and writing nothing, when this user's
    token was already saved (on PostgreSQL after waiting for a submission still in progress).
    The receipt is kept when the block called `claim.saved(location=...)`, deleted otherwise;
    an exception in the block rolls everything back. Without a usable token or a signed-in user
    the block runs as it is, outside any transaction of this function.
    """
    token = submission_token_presented(request)
    user = request.user
    if token is None or not user.is_authenticated:
        yield SubmissionClaim(receipt=None)
        return
    with transaction.atomic():
        receipt = _receipt_claim(user=user, token=token)
        claim = SubmissionClaim(receipt=receipt)
        yield claim
        if claim.location is None:
            receipt.delete()
        else:
            receipt.location = claim.location
            receipt.save(update_fields=["location"])


def _receipt_claim(*, user: User, token: str) -> SubmissionReceipt:
    try:
        with transaction.atomic():
            return SubmissionReceipt.objects.create(user=user, token=token)
    except IntegrityError:
        # The unique (user, token) pair: this token was saved (the insert waited for it to commit).
        first = SubmissionReceipt.objects.filter(user=user, token=token).values_list("location", flat=True).first()
        raise SubmissionRepeated(first or "") from None


def submission_repeated_answer(
    request: HttpRequest, repeated: SubmissionRepeated, *, message: str = ALREADY_SAVED_MESSAGE
) -> HttpResponseRedirect:
    """The answer to a repeat: `message`, and a redirect to where the first submission went."""
    messages.info(request, message)
    return HttpResponseRedirect(repeated.location or request.get_full_path())


def response_is_redirect(response: HttpResponseBase) -> bool:
    """The usual success of a create form: Post/Redirect/Get."""
    return 300 <= response.status_code < 400 and response.has_header("Location")


def submitted_once(
    *, saved: Callable[[HttpResponseBase], bool] = response_is_redirect, message: str = ALREADY_SAVED_MESSAGE
) -> Callable[[V], V]:
    """View decorator: the view runs at most once per form token (`submission_once`).

    A response for which `saved(response)` holds keeps the token, with its Location (or, for a
    page rendered in place, the page's own address) for a repeat to be sent to; a repeat gets
    `message`. Put it below the access decorator, so a refusal is never taken for a success.
    """

    def decorate(view: V) -> V:
        @wraps(view)
        def once(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                with submission_once(request) as claim:
                    response = view(request, *args, **kwargs)
                    if saved(response):
                        claim.saved(location=response.get("Location") or request.get_full_path())
            except SubmissionRepeated as repeated:
                return submission_repeated_answer(request, repeated, message=message)
            return response

        return cast(V, once)

    return decorate


def submission_receipts_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete receipts older than RECEIPTS_KEPT_FOR; returns how many (beat, hourly)."""
    since = (now or timezone.now()) - RECEIPTS_KEPT_FOR
    deleted, _ = SubmissionReceipt.objects.filter(created_at__lt=since).delete()
    return deleted
