"""The database going away gives a "try again" page, never a traceback from session code (issue 12)."""

from __future__ import annotations

import time

from tests.faults.people import seed_people
from tests.faults.servers import AppServer, app_env


def test_requests_get_try_again_while_postgres_is_down_and_work_after(own_postgres, server_log):
    env = app_env(DATABASE_URL=own_postgres.url("cme_faults"))
    people = seed_people(env)
    server = AppServer(env, server_log)
    server.start()
    try:
        assert server.get("/programs/", headers=people.clinician_cookie)[0] == 200

        own_postgres.stop()
        for path, headers in [
            ("/programs/", people.clinician_cookie),
            ("/", people.clinician_cookie),
            (f"/team/{people.team_id}/", people.supervisor_cookie),
            ("/programs/", people.clinician_cookie),
            ("/accounts/login/", {}),  # anonymous
            ("/readyz", {}),
        ]:
            started = time.monotonic()
            status, body = server.get(path, timeout=10, headers=headers)
            assert time.monotonic() - started < 2, path
            if path == "/readyz":
                assert status == 503
                continue
            if path == "/accounts/login/" and status == 200:
                continue  # the sign-in page needs no database: fine either way
            assert status == 503, (path, status, body[:200])
            assert "Try again in a moment" in body
            assert "Nothing you sent was saved" in body
        status, _ = _post_login(server)
        assert status == 503

        log = server.log()
        assert "Traceback" not in log
        assert "AttributeError" not in log
        assert "Database unavailable" in log

        own_postgres.start()
        deadline = time.monotonic() + 10
        while server.get("/programs/", headers=people.clinician_cookie)[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert server.get("/programs/", headers=people.clinician_cookie)[0] == 200
        assert server.get(f"/team/{people.team_id}/", headers=people.supervisor_cookie)[0] == 200
        assert server.get("/readyz")[0] == 200
        assert "Traceback" not in server.log()
    finally:
        server.stop()


def _post_login(server: AppServer) -> tuple[int, str]:
    """An anonymous sign-in attempt (with a CSRF cookie and token) while the database is down."""
    import re
    import urllib.parse
    import urllib.request

    with urllib.request.urlopen(server.base + "/accounts/login/", timeout=5) as response:  # noqa: S310
        page = response.read().decode()
        cookie = response.headers.get("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, page[:300]
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "username": "a@b.test", "password": "x"}
    ).encode()
    request = urllib.request.Request(  # noqa: S310
        server.base + "/accounts/login/", data=data, headers={"Cookie": cookie, "Referer": server.base + "/"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
