"""Rate limits: per token for token callers, per user for the browser session (rates in settings)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import PersonalAccessToken


class TokenOrUserThrottle(SimpleRateThrottle):
    """Keyed by token id ("token" rate) or by user id ("user" rate); anonymous calls are refused before this counts."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        token = request.auth
        if isinstance(token, PersonalAccessToken):
            self.scope = "token"
            ident = f"token-{token.pk}"
        elif request.user and request.user.is_authenticated:
            self.scope = "user"
            ident = f"user-{request.user.pk}"
        else:
            return None
        self.rate = self.THROTTLE_RATES[self.scope]
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def get_rate(self) -> str | None:
        # The scope is only known per request (get_cache_key sets it); nothing to read at construction.
        return None

    def allow_request(self, request: Request, view: Any) -> bool:
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.duration is not None and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if self.num_requests is not None and len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return self.throttle_success()
