"""Seeded fuzzing of every form: hostile request bodies never give a server error or a stray write.

Every URL that accepts POST comes from the access matrix (tests/test_access_matrix.py, which
already fails on a URL without a row), so a new form is fuzzed without anything added here. Each
form is posted as an actor the matrix lets use it, in the matrix's world of objects, with bodies
built from a fixed seed per form: the valid body the matrix sends, then fields dropped, given the
wrong type, numbers out of range, impossible dates, 1 MB strings, keys repeated hundreds or
thousands of times, invalid UTF-8 in names and values, URL names and foreign hosts as return
targets, urlencoded and multipart, htmx and not.

Each request runs in a savepoint rolled back afterwards, so every body meets the same world (a
successful delete does not turn the rest into 404s). A 5xx or an exception fails the test with
the body that caused it; a 4xx must leave every table as it was; a request using more than 2 s of
CPU is a failure too. The number of requests and the slowest one (wall time) are reported at the
end of the run (tests/conftest.py, ``pytest_terminal_summary``).
"""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.test_access_matrix import (  # the fixtures are used by name
    ACTORS,
    ANON,
    CURATOR,
    MATRIX,
    OWNER,
    TEAM_SUPERVISOR,
    Expect,
    Row,
    World,
    _world_media,  # noqa: F401
    database_snapshot,
    matrix_world,  # noqa: F401
)

pytestmark = pytest.mark.django_db

SEED = int(os.environ.get("FUZZ_SEED", "20261202"))
REQUESTS_PER_FORM = int(os.environ.get("FUZZ_REQUESTS_PER_FORM", "30"))
# A request using more CPU than this is a finding too (the licence form once took 7.4 s on such a
# body). CPU time, not wall time: a busy CI machine must not turn other processes into failures.
SLOW_REQUEST_SECONDS = float(os.environ.get("FUZZ_SLOW_SECONDS", "2.0"))

# Actors tried in this order for the one who may use a form: the person the objects belong to
# first, then the roles that own the other pages, then a visitor (sign-in, invitation sign-up).
ACTOR_PREFERENCE = [OWNER, TEAM_SUPERVISOR, CURATOR, ANON, *ACTORS]

# Names a view might read besides its form's fields: return targets, branches, paging, sorting.
EXTRA_NAMES = ["next", "return_to", "kind", "page", "decision", "sort", "order", "q", "program", "ids", "outcome"]

ONE_MEGABYTE = 1024 * 1024

HOSTILE_TEXT = [
    "",
    " ",
    "abc",
    "-1",
    "0",
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "0x10",
    "1_000",
    "99999999999999999999999999999999",
    "-99999999999999999999",
    "1.1234567890123456789",
    "\uff12",  # fullwidth digit two
    "true",
    "[]",
    "{}",
    "null",
    "None",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\x00",
    "a\x00b",
    "\u202egnp.exe",
    "\U0001f600" * 50,
    "99999-99-99",
    "2024-02-30",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "1-1-1",
    "2026-13-01",
    "../../etc/passwd",
    "//evil.example/",
    "/\\evil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
    "careers:plan",
    "admin:index",
    "no-such-view",
    "plan",
    "/careers/\r\nSet-Cookie: x=1",
    "%",
    "%ff",
]

INVALID_UTF8 = [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xa0\xa1", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]

PDF = b"%PDF-1.4\n%fuzz\n"
FILE_BODIES = [
    ("cert.pdf", PDF, "application/pdf"),
    ("page.html", b"<html><script>alert(1)</script></html>", "text/html"),
    ("feed.csv", b"external_id,title\n\xff\xfe,\x00\n", "text/csv"),
    ("empty.pdf", b"", "application/pdf"),
    ("\xff.pdf", PDF, "application/pdf"),
    ("feed.json", b"[" * 5000, "application/json"),
]


# --- Which forms, as whom -------------------------------------------------------------------


def _accepts_post(expect: Expect) -> bool:
    return expect.status in (200, 201, 302) and not expect.to_login  # 201: an API create (api/)


def fuzz_actor(row: Row) -> str | None:
    """The first actor (in ACTOR_PREFERENCE) whose POST the matrix expects to be served."""
    return next((actor for actor in ACTOR_PREFERENCE if _accepts_post(row.post[actor])), None)


def _is_refusal(expect: Expect) -> bool:
    return expect.to_login or expect.status in (401, 403, 404, 405)  # 401: the API's "not signed in"


POST_FORMS = sorted(name for name, row in MATRIX.items() if fuzz_actor(row) is not None)


def test_every_url_that_serves_a_post_is_fuzzed() -> None:
    """A POST the matrix expects to be served by someone is fuzzed as them; any other is refused."""
    neither = [
        name
        for name, row in MATRIX.items()
        if name not in POST_FORMS and not all(_is_refusal(expect) for expect in row.post.values())
    ]
    assert not neither, f"POST URLs neither fuzzed nor refused to everyone: {neither}"
    assert len(POST_FORMS) > 40


# --- Bodies ---------------------------------------------------------------------------------

Value = bytes | tuple[str, bytes, str]  # a field value, or a file (name, content, content type)


@dataclass
class Body:
    fields: list[tuple[bytes, Value]]
    multipart: bool
    htmx: bool
    notes: list[str] = field(default_factory=list)
    raw: bool = False  # urlencoded without percent-encoding: invalid UTF-8 bytes as they are

    def describe(self) -> str:
        sizes = sum(len(value) if isinstance(value, bytes) else len(value[1]) for _, value in self.fields)
        names = sorted({name[:40] for name, _ in self.fields})[:12]
        kind = "multipart" if self.multipart else "raw urlencoded" if self.raw else "urlencoded"
        return f"{kind}{' htmx' if self.htmx else ''}, {len(self.fields)} fields ({sizes} bytes) {names}: " + (
            "; ".join(self.notes)
        )

    def encode(self) -> tuple[bytes, str]:
        if self.multipart:
            return _multipart(self.fields)
        parts = []
        for name, value in self.fields:
            text = value if isinstance(value, bytes) else value[1]
            if self.raw:
                parts.append(name + b"=" + text)
            else:
                parts.append((quote_from_bytes(name, safe="") + "=" + quote_from_bytes(text, safe="")).encode("ascii"))
        return b"&".join(parts), "application/x-www-form-urlencoded"


BOUNDARY = "FuzzBoundary7MA4YWxkTrZu0gW"


def _multipart(fields: list[tuple[bytes, Value]]) -> tuple[bytes, str]:
    chunks = []
    for name, value in fields:
        chunks.append(f"--{BOUNDARY}\r\n".encode())
        if isinstance(value, bytes):
            chunks.append(b'Content-Disposition: form-data; name="' + name + b'"\r\n\r\n' + value + b"\r\n")
        else:
            filename, content, content_type = value
            chunks.append(
                b'Content-Disposition: form-data; name="'
                + name
                + b'"; filename="'
                + filename.encode("utf-8", "surrogateescape")
                + b'"\r\nContent-Type: '
                + content_type.encode()
                + b"\r\n\r\n"
                + content
                + b"\r\n"
            )
    chunks.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={BOUNDARY}"


def _valid_fields(data: dict[str, Any]) -> list[tuple[bytes, Value]]:
    fields: list[tuple[bytes, Value]] = []
    for name, value in data.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, SimpleUploadedFile):
                item.seek(0)
                fields.append((name.encode(), (item.name or "file", item.read(), item.content_type or "")))
            else:
                fields.append((name.encode(), str(item).encode()))
    return fields


def _hostile_value(rng: random.Random) -> tuple[bytes, str]:
    roll = rng.random()
    if roll < 0.55:
        text = rng.choice(HOSTILE_TEXT)
        return text.encode("utf-8"), f"value {text[:30]!r}"
    if roll < 0.7:
        return rng.choice(INVALID_UTF8) * rng.randint(1, 4), "invalid UTF-8 value"
    if roll < 0.8:
        number = rng.choice([-(10 ** rng.randint(1, 40)), 10 ** rng.randint(1, 40), rng.randint(-(2**63), 2**63)])
        return str(number).encode(), f"number {number}"
    if roll < 0.95:
        size = rng.choice([300, 5_000, 100_000])
        return b"x" * size, f"{size}-byte value"
    return b"A" * ONE_MEGABYTE, "1 MB value"


def fuzz_bodies(
    valid: list[tuple[bytes, Value]], names: list[bytes], file_names: set[bytes], rng: random.Random, count: int
) -> Iterator[Body]:
    """`count` seeded bodies: the valid one first, then mutations of it."""
    yield Body(list(valid), multipart=any(not isinstance(v, bytes) for _, v in valid), htmx=False, notes=["valid"])
    for _ in range(count - 1):
        fields = list(valid) if rng.random() < 0.8 else []
        body = Body(fields, multipart=rng.random() < 0.35, htmx=rng.random() < 0.4)
        for _ in range(rng.randint(1, 3)):
            _mutate(body, names, file_names, rng)
        if not body.multipart and any(not isinstance(v, bytes) for _, v in body.fields):
            body.multipart = True
        body.raw = not body.multipart and rng.random() < 0.15
        yield body


def _mutate(body: Body, names: list[bytes], file_names: set[bytes], rng: random.Random) -> None:
    fields = body.fields
    name = rng.choice(names) if names else b"field"
    management = [n for n in names if n.endswith((b"-TOTAL_FORMS", b"-INITIAL_FORMS", b"-MAX_NUM_FORMS"))]
    roll = rng.random()
    if management and roll < 0.1:
        claimed = rng.choice([b"99999", b"2000", b"-1", b"1e3", b"\xff"])
        target = rng.choice(management)
        fields[:] = [(n, v) for n, v in fields if n != target]
        fields.append((target, claimed))
        body.notes.append(f"{target!r} claims {claimed!r} forms")
    elif roll < 0.15 and fields:
        dropped = fields.pop(rng.randrange(len(fields)))
        body.notes.append(f"dropped {dropped[0][:30]!r}")
    elif roll < 0.55:
        value, note = _hostile_value(rng)
        fields[:] = [(n, v) for n, v in fields if n != name]
        fields.append((name, value))
        body.notes.append(f"{name[:30]!r}={note}")
    elif roll < 0.7:
        repeats = rng.choice([2, 50, 900, 3_000])
        value, note = _hostile_value(rng) if rng.random() < 0.5 else (b"1", "'1'")
        if len(value) * repeats > 4 * ONE_MEGABYTE:
            value, note = value[:100], f"{note} cut to 100 bytes"
        fields.extend([(name, value)] * repeats)
        body.notes.append(f"{name[:30]!r} repeated {repeats} times ({note})")
    elif roll < 0.8:
        bad_name = rng.choice([rng.choice(INVALID_UTF8) + name, name + b"[]", b"", b"\x00", b"a" * 10_000])
        value, note = _hostile_value(rng)
        fields.append((bad_name, value[:10_000]))
        body.notes.append(f"odd field name {bad_name[:30]!r}")
    elif roll < 0.9:
        file_field = rng.choice(sorted(file_names)) if file_names else name
        fields[:] = [(n, v) for n, v in fields if n != file_field]
        upload = rng.choice(FILE_BODIES)
        fields.append((file_field, upload))
        body.multipart = True
        body.notes.append(f"file {upload[0]!r} in {file_field[:30]!r}")
    else:
        body.multipart = True
        fields.append((name, (f"{rng.randint(0, 9)}.txt", b"not a field value", "text/plain")))
        body.notes.append(f"a file where {name[:30]!r} expects text")


# --- Running ---------------------------------------------------------------------------------

NAME_ATTRIBUTE = re.compile(r'<(?:input|select|textarea|button)\b[^>]*\bname="([^"]+)"', re.IGNORECASE)
FILE_INPUT = re.compile(
    r'<input\b[^>]*\btype="file"[^>]*\bname="([^"]+)"|<input\b[^>]*\bname="([^"]+)"[^>]*type="file"'
)


def _field_names(client: Client, path: str, valid: list[tuple[bytes, Value]]) -> tuple[list[bytes], set[bytes]]:
    """Field names of the form (the valid body, the page's own inputs when it has a GET) and extras."""
    names = {name for name, _ in valid} | {name.encode() for name in EXTRA_NAMES}
    file_names = {name for name, value in valid if not isinstance(value, bytes)}
    page = client.get(path)
    if page.status_code == 200 and "html" in page.get("Content-Type", ""):
        html = page.content.decode("utf-8", "replace")
        names |= {name.encode() for name in NAME_ATTRIBUTE.findall(html) if name != "csrfmiddlewaretoken"}
        file_names |= {(a or b).encode() for a, b in FILE_INPUT.findall(html)}
    return sorted(names), file_names


@pytest.mark.parametrize("name", POST_FORMS)
def test_hostile_posts_get_no_server_error_and_write_nothing_when_refused(
    request: pytest.FixtureRequest,
    matrix_world: World,  # noqa: F811 - the fixture imported above
    name: str,
) -> None:
    row = MATRIX[name]
    actor = fuzz_actor(row)
    assert actor is not None
    world = matrix_world
    client = Client()
    if actor != ANON:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.session_keys[actor]
    path = reverse(name, kwargs=row.kwargs(world)) + row.query.format(**world.placeholders())
    valid = _valid_fields(row.data(world))
    names, file_names = _field_names(client, path, valid)
    rng = random.Random(f"{SEED}:{name}")
    before = database_snapshot()

    failures: list[str] = []
    slowest = (0.0, "")
    count = 0
    for body in fuzz_bodies(valid, names, file_names, rng, REQUESTS_PER_FORM):
        content, content_type = body.encode()
        headers = {"HX-Request": "true"} if body.htmx else {}
        with transaction.atomic():
            started, started_cpu = time.perf_counter(), time.process_time()
            try:
                response = client.generic("POST", path, content, content_type=content_type, headers=headers)
                status = response.status_code
            except Exception as error:  # noqa: BLE001 - every exception is a finding to report
                status, response = 500, None
                failures.append(f"{type(error).__name__}: {str(error)[:200]} <- {body.describe()}")
            elapsed, cpu = time.perf_counter() - started, time.process_time() - started_cpu
            count += 1
            if response is not None and status >= 500:
                failures.append(f"{status} <- {body.describe()}")
            if response is not None and 400 <= status < 500:
                changed = sorted(table for table, rows in database_snapshot().items() if rows != before[table])
                if changed:
                    failures.append(f"{status} but wrote {changed} <- {body.describe()}")
            if cpu > SLOW_REQUEST_SECONDS:
                failures.append(f"took {cpu:.1f} s of CPU <- {body.describe()}")
            slowest = max(slowest, (elapsed, f"POST {path}"))
            transaction.set_rollback(True)

    request.node.user_properties.append(("fuzz", {"method": "POST", "requests": count, "slowest": slowest}))
    assert not failures, f"POST {path} as {actor} (seed {SEED}):\n" + "\n".join(failures[:15])


# --- Repeated submission ---------------------------------------------------------------------


def _row_counts() -> dict[str, int]:
    return {table: len(rows) for table, rows in database_snapshot().items()}


# Forms posted from another page than their own URL (which only takes POST): the page that shows them.
FORM_PAGES = {
    "outcomes:presentation_add": "outcomes:project_detail",
    "outcomes:team_member_add": "outcomes:project_detail",
    "programs:curation:import_start": "programs:curation:imports",
}
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.IGNORECASE | re.DOTALL)
FORM_ACTION = re.compile(r'\baction="([^"]*)"')
SUBMISSION_TOKEN = re.compile(r'<input type="hidden" name="submission" value="([^"]+)">')


def rendered_submission_token(client: Client, *, page: str, action: str) -> str | None:
    """The one-submission token (accounts.submissions) of the form on `page` that posts to `action`."""
    response = client.get(page)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return None
    for attributes, inner in FORM.findall(response.content.decode("utf-8", "replace")):
        target = FORM_ACTION.search(attributes)
        posts_to = target.group(1).partition("#")[0] if target else page  # a fragment is never sent
        if posts_to == action and (token := SUBMISSION_TOKEN.search(inner)):
            return token.group(1)
    return None


# The create forms whose every valid submission is a new record: only their token tells a repeat.
ONCE_FORMS = [
    "careers:credit_new",
    "careers:goal_new",
    "careers:licence_new",
    "outcomes:evidence_new",
    "outcomes:presentation_add",
    "outcomes:project_create",
    "outcomes:share_links",
    "outcomes:team_member_add",
    "programs:curation:import_start",
    "supervision:invite",
]


@pytest.mark.parametrize("name", ONCE_FORMS)
def test_every_create_form_renders_a_submission_token(matrix_world: World, name: str) -> None:  # noqa: F811
    row = MATRIX[name]
    actor = fuzz_actor(row)
    assert actor is not None and actor != ANON
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = matrix_world.session_keys[actor]
    action = reverse(name, kwargs=row.kwargs(matrix_world))
    page = reverse(FORM_PAGES[name], kwargs=row.kwargs(matrix_world) or None) if name in FORM_PAGES else action
    assert rendered_submission_token(client, page=page, action=action), f"{page}: no token in the form to {action}"


@pytest.mark.parametrize("name", POST_FORMS)
def test_submitting_a_form_twice_gives_no_server_error(matrix_world: World, name: str) -> None:  # noqa: F811
    """A double click, or Back and resubmit: the same valid body twice, and the second is answered.

    The form is loaded first, as a browser would, and its one-submission token (if it renders
    one) is sent with both posts. A second submission that adds rows is listed in
    DUPLICATES_ALLOWED with the reason; any other must add nothing (it is idempotent, refused
    with a message, or recognized by its token).
    """
    row = MATRIX[name]
    actor = fuzz_actor(row)
    assert actor is not None
    world = matrix_world
    client = Client()
    if actor != ANON:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.session_keys[actor]
    action = reverse(name, kwargs=row.kwargs(world))
    path = action + row.query.format(**world.placeholders())
    page = reverse(FORM_PAGES[name], kwargs=row.kwargs(world) or None) if name in FORM_PAGES else path
    token = rendered_submission_token(client, page=page, action=path)

    def body() -> dict[str, Any]:
        return {**row.data(world), "submission": token} if token else row.data(world)

    first = client.post(path, body())
    assert first.status_code < 500
    after_first = _row_counts()
    second = client.post(path, body())
    assert second.status_code < 500, f"POST {path} twice as {actor}: {second.status_code}"
    added = sorted(
        table for table, count in _row_counts().items() if count > after_first[table] and table != "django_session"
    )
    if name in DUPLICATES_ALLOWED:
        return
    assert not added, f"POST {path} twice as {actor} added rows to {added} the second time (token {token!r})"


# Forms whose second identical submission may add rows, with the reason. Each create form carries
# a one-submission token (accounts.submissions), so a double click or Back-and-resubmit of one
# loaded form saves once; a deliberate new submission from a freshly loaded form is a new record.
DUPLICATES_ALLOWED: dict[str, str] = {
    "api:credits": "an API client has no loaded form to carry a submission token; each POST logs one activity",
}


# --- Query strings ---------------------------------------------------------------------------

GET_PAGES = sorted(
    name for name, row in MATRIX.items() if any(_accepts_post(row.get[actor]) for actor in ACTOR_PREFERENCE)
)
QUERIES_PER_PAGE = int(os.environ.get("FUZZ_QUERIES_PER_PAGE", "6"))
MAX_REQUEST_LINE = 4094 - len("GET  HTTP/1.1")
GET_FORM = re.compile(r"<form\b(?:(?!>).)*\bmethod=\"get\"(?:(?!>).)*>(.*?)</form>", re.IGNORECASE | re.DOTALL)


def _query_names(client: Client, path: str) -> list[bytes]:
    """Names of the page's GET form fields (filters, sorting, paging) and the usual extras."""
    names = {name.encode() for name in EXTRA_NAMES} | {b"compare", b"pair", b"scope", b"file_format"}
    page = client.get(path)
    if page.status_code == 200 and "html" in page.get("Content-Type", ""):
        for form in GET_FORM.findall(page.content.decode("utf-8", "replace")):
            names |= {name.encode() for name in NAME_ATTRIBUTE.findall(form)}
    return sorted(names)


@pytest.mark.parametrize("name", GET_PAGES)
def test_hostile_query_strings_get_no_server_error(
    request: pytest.FixtureRequest,
    matrix_world: World,  # noqa: F811 - the fixture imported above
    name: str,
) -> None:
    """Filters, sort keys, page numbers and ids in the query string: wrong, huge, repeated, not UTF-8."""
    row = MATRIX[name]
    actor = next(actor for actor in ACTOR_PREFERENCE if _accepts_post(row.get[actor]))
    world = matrix_world
    client = Client()
    if actor != ANON:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.session_keys[actor]
    path = reverse(name, kwargs=row.kwargs(world))
    valid = row.query.format(**world.placeholders()).lstrip("?")
    names = _query_names(client, path + (f"?{valid}" if valid else ""))
    rng = random.Random(f"{SEED}:GET:{name}")
    failures: list[str] = []
    slowest = (0.0, "")
    for _ in range(QUERIES_PER_PAGE):
        pairs: list[str] = [valid] if valid and rng.random() < 0.7 else []
        notes = []
        for _ in range(rng.randint(1, 3)):
            key = rng.choice(names)
            value, note = _hostile_value(rng)
            value = value[: rng.choice([30, 300, 3_000])]
            repeats = rng.choice([1, 1, 1, 20, 300])
            pairs.extend([quote_from_bytes(key, safe="") + "=" + quote_from_bytes(value, safe="")] * repeats)
            notes.append(f"{key!r}={note}" + (f" x{repeats}" if repeats > 1 else ""))
        # gunicorn refuses a request line over 4,094 bytes (limit_request_line), so no longer one arrives.
        url = f"{path}?{'&'.join(pairs)}"[:MAX_REQUEST_LINE]
        headers = {"HX-Request": "true"} if rng.random() < 0.3 else {}
        with transaction.atomic():
            started, started_cpu = time.perf_counter(), time.process_time()
            try:
                status = client.get(url, headers=headers).status_code
            except Exception as error:  # noqa: BLE001 - every exception is a finding to report
                status = 500
                notes.append(f"{type(error).__name__}: {str(error)[:200]}")
            elapsed, cpu = time.perf_counter() - started, time.process_time() - started_cpu
            if status >= 500 or cpu > SLOW_REQUEST_SECONDS:
                failures.append(f"{status} in {cpu:.1f} s of CPU <- {'; '.join(notes)}")
            slowest = max(slowest, (elapsed, f"GET {path}"))
            transaction.set_rollback(True)
    request.node.user_properties.append(("fuzz", {"method": "GET", "requests": QUERIES_PER_PAGE, "slowest": slowest}))
    assert not failures, f"GET {path} as {actor} (seed {SEED}):\n" + "\n".join(failures[:15])
