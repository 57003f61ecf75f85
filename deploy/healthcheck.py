"""Container health probe: GET a path of the local gunicorn with a Host header Django accepts.

Django refuses a Host outside ALLOWED_HOSTS (400), and a probe's natural Host, 127.0.0.1:8000,
is not one in production; the probe names the first allowed host instead.
Usage: python deploy/healthcheck.py /readyz (HEALTHCHECK_PORT, default 8000, is gunicorn's port)
"""

from __future__ import annotations

import os
import sys
import urllib.request


def probe_host(allowed_hosts: str) -> str:
    for entry in (item.strip() for item in allowed_hosts.split(",")):
        if entry and entry != "*":
            return entry.lstrip(".")
    return "localhost"


def main(path: str) -> int:
    port = int(os.environ.get("HEALTHCHECK_PORT", "8000"))
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Host": probe_host(os.environ.get("ALLOWED_HOSTS", ""))}
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/healthz"))
