"""Sign-in and password-reset limits: by account across addresses, and by address across accounts.

A hospital's NAT or proxy puts many clinicians behind one address, so the address limit is
higher than the account limit; both count within the same window (the axes cool-off for
sign-in, one hour for resets). Addresses come from cme_portal.client_address, so behind a
trusted proxy they are the clients' own. Everything is counted in the database: the limits
hold with the cache down.
"""

from __future__ import annotations

import datetime

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone

from .models import PasswordResetRequest


def _failures(attempts: QuerySet[AccessAttempt]) -> int:
    return int(attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0)


class SignInLimitHandler(AxesDatabaseHandler):  # type: ignore[misc]  # axes is untyped
    """django-axes' database handler with two limits instead of one per (account, address) pair.

    Locked when the account has AXES_FAILURE_LIMIT failures from any addresses, or the address
    has SIGN_IN_ADDRESS_FAILURE_LIMIT failures on any accounts, within AXES_COOLOFF_TIME.
    A successful sign-in clears only that account's failures from that address, so signing in
    to one's own account does not wipe an address's count of failures on other accounts.
    """

    def get_failures(self, request: HttpRequest, credentials: dict[str, object] | None = None) -> int:
        threshold = get_cool_off_threshold(request)
        recent = AccessAttempt.objects.filter(attempt_time__gte=threshold)
        by_account = _failures(recent.filter(username=get_client_username(request, credentials)))
        by_address = _failures(recent.filter(ip_address=request.axes_ip_address))  # type: ignore[attr-defined]
        if by_address >= settings.SIGN_IN_ADDRESS_FAILURE_LIMIT:
            return max(by_account, int(get_failure_limit(request, credentials)))
        return by_account

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, object] | None = None) -> int:
        count, _ = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,  # type: ignore[attr-defined]
        ).delete()
        return int(count)


def password_reset_allowed(*, email: str, ip_address: str | None) -> bool:
    """Whether a reset email may be sent now; if so the request is counted (one transaction).

    At most PASSWORD_RESET_LIMIT_PER_ACCOUNT requests per email address and
    PASSWORD_RESET_LIMIT_PER_ADDRESS per client address within PASSWORD_RESET_LIMIT_WINDOW
    seconds. Refused requests are not counted, so a flood does not extend the wait.
    """
    now = timezone.now()
    since = now - datetime.timedelta(seconds=settings.PASSWORD_RESET_LIMIT_WINDOW)
    email = email.strip().lower()
    with transaction.atomic():
        _hold_until_commit(f"password-reset:email:{email}", f"password-reset:address:{ip_address or ''}")
        PasswordResetRequest.objects.filter(requested_at__lt=since).delete()
        recent = PasswordResetRequest.objects.filter(requested_at__gte=since)
        if recent.filter(email=email).count() >= settings.PASSWORD_RESET_LIMIT_PER_ACCOUNT:
            return False
        if ip_address and recent.filter(ip_address=ip_address).count() >= settings.PASSWORD_RESET_LIMIT_PER_ADDRESS:
            return False
        PasswordResetRequest.objects.create(email=email, ip_address=ip_address or None, requested_at=now)
    return True


def _hold_until_commit(*keys: str) -> None:
    """Serialize check-then-count on these keys until the transaction ends.

    PostgreSQL: transaction-scoped advisory locks, always taken in the same order, so two
    simultaneous requests cannot both count below the limit. SQLite needs none: its write
    transactions begin IMMEDIATE (settings), which already runs them one at a time.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted(keys):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
