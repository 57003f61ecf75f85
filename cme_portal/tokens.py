"""Secret link tokens, stored the way passwords are: only a digest is kept.

A token is 32 random bytes (`secrets.token_urlsafe(32)`, 43 characters). The database holds
its SHA-256 hex digest, so a leaked database or backup yields no working calendar feed,
portfolio share link or invitation link. A plain (unkeyed) SHA-256 is enough for a random
256-bit secret, which cannot be guessed from its digest, and it keeps every link working when
SECRET_KEY is rotated. Lookups hash the presented token and match the digest in the database
(an index lookup: timing can reveal at most a digest prefix, never the token); the raw token is
shown or sent once, when it is made, and never stored.
"""

from __future__ import annotations

import hashlib
import secrets

# The longest token a URL may present; anything longer is refused without a query.
TOKEN_MAX_LENGTH = 64


def token_new() -> str:
    """A fresh random link token (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database stores for a token: its SHA-256, as 64 hex characters."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_digest_unusable() -> str:
    """A digest no one holds the token of: the default until a link is made and shown."""
    return token_digest(token_new())


def token_presented_digest(token: str) -> str | None:
    """The digest to look a presented token up by, or None for an empty or over-long token."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return token_digest(token)
