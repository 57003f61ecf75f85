"""The address a request really comes from, and whether its forwarded headers can be believed.

Behind a reverse proxy every request arrives from the proxy's address, which then says who
its client was in ``X-Forwarded-For`` (and the scheme in ``X-Forwarded-Proto``). A client
can send those headers too, so they are believed only when the connection comes from an
address in ``settings.TRUSTED_PROXIES`` (IP addresses or CIDR networks; empty by default,
which means no forwarded header is ever believed).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def trusted_proxy_networks() -> tuple[Network, ...]:
    """settings.TRUSTED_PROXIES parsed (an invalid entry is a startup error in settings)."""
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))


def is_trusted_proxy(address: str) -> bool:
    """True when address is one of the configured proxies (an unparsable address never is)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in trusted_proxy_networks())


def client_address(request: HttpRequest) -> str:
    """The client's IP address: REMOTE_ADDR, or, from a trusted proxy, the rightmost untrusted X-Forwarded-For hop.

    Hops are read from the right (each proxy appends the address it was contacted from), so
    anything a client wrote further left is ignored. When every hop is trusted the leftmost is
    taken; an unparsable hop ends the walk at the last trusted address seen.
    """
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    if not is_trusted_proxy(remote):
        return remote
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", "") or "")
    address = remote
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address
        address = hop
        if not is_trusted_proxy(hop):
            return hop
    return address


class ForwardedHeadersMiddleware:
    """Drops X-Forwarded-* headers that do not come from a trusted proxy, before anything reads them.

    So SECURE_PROXY_SSL_HEADER (X-Forwarded-Proto) decides request.is_secure() only for
    requests the proxy passed on; a client talking to gunicorn directly cannot claim https.
    """

    FORWARDED_HEADERS = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST", "HTTP_FORWARDED")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_trusted_proxy(str(request.META.get("REMOTE_ADDR", "") or "")):
            for name in self.FORWARDED_HEADERS:
                request.META.pop(name, None)
        return self.get_response(request)
