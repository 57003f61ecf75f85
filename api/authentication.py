"""Who is calling: a personal access token (``Authorization: Bearer <token>``) or the browser session."""

from __future__ import annotations

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import PersonalAccessToken, User
from accounts.services import access_token_touch
from cme_portal.tokens import token_presented_digest


class AccessTokenAuthentication(authentication.BaseAuthentication):
    """A personal access token as a Bearer credential; unknown or revoked tokens are refused with 401.

    `request.auth` is the PersonalAccessToken, so permissions can check its scope and throttles key on it.
    """

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, PersonalAccessToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as: Authorization: Bearer <token>.")
        try:
            presented = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The token is not valid.") from None
        digest = token_presented_digest(presented)
        token = (
            PersonalAccessToken.objects.select_related("user").filter(digest=digest, revoked_at__isnull=True).first()
            if digest
            else None
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token is not valid: unknown or revoked.")
        access_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class CsrfSessionAuthentication(authentication.SessionAuthentication):
    """The browser session, with Django's CSRF check on every unsafe method (DRF's own behaviour).

    Named here so the settings say what is enforced; the check is DRF's `enforce_csrf`.
    """
