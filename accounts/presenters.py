"""Display strings for accounts pages."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.dateformat import format as date_format

from cme_portal.confirmation import Confirmation

from .models import PersonalAccessToken


def _day(moment: datetime.datetime) -> str:
    return date_format(timezone.localtime(moment), "M j, Y")


def access_token_revocation(token: PersonalAccessToken) -> Confirmation:
    """What revoking a personal access token changes."""
    if token.revoked_at is not None:
        state = f"It was revoked on {_day(token.revoked_at)} and is refused already."
    else:
        state = f"Any program or script using it (prefix {token.prefix}) gets 401 from the API from now on."
    used = f"It was last used on {_day(token.last_used_at)}." if token.last_used_at else "It has never been used."
    lines = (state, used, "A revoked token cannot be turned back on: to call the API again, create a new token.")
    return Confirmation(heading=f"Revoke the token “{token.name}”?", consequences=lines, action="Revoke token")
