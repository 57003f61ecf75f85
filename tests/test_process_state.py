"""Nothing keeps state in one process: several web and worker replicas see the same sessions, limits, files.

Audit (issue 14, part 5): sessions are in the database; sign-in limits (django-axes' database
handler, accounts/limits.py) and password-reset limits are counted in the database; submission
receipts (accounts/submissions.py), import progress and leases (programs/exchange/jobs.py) and
the ledger's row locks are PostgreSQL rows; uploads go through the storage API (local or S3,
tests/test_s3_storage.py); the cache is Redis, or none at all in production without Redis.
The only module-level memos left are of pure functions of code or settings, listed below.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["cme_portal", "accounts", "programs", "careers", "outcomes", "supervision", "demo"]
PRODUCTION = {
    "ENVIRONMENT": "production",
    "DEBUG": "0",
    "SECRET_KEY": "process-state-test-" + "x" * 50,
    "ALLOWED_HOSTS": "cme.example.org",
}
# Module-level memos that hold no request data: each value is a pure function of its arguments,
# which come from code (choice classes), settings (TRUSTED_PROXIES) or the fixed vocabulary of a
# goal; every process computes the same value. The cache breakers hold one process's view of
# its own Redis connection (skip Redis for CACHE_RETRY_AFTER seconds after a failure).
ALLOWED_MEMOS = {
    ("programs/ranking/scoring.py", "career_alignment_coefficients"),
    ("programs/fields.py", "_positions"),
    ("programs/fields.py", "_codes"),
    ("cme_portal/client_address.py", "_networks"),
    # SQL text built from code alone (the models' table names, the credit types, the database vendor).
    ("careers/queries.py", "_licence_cycle_hours_sql"),
}
ALLOWED_MUTABLE_GLOBALS = {("cme_portal/cache.py", "_breakers")}
MUTATORS = {"append", "add", "update", "setdefault", "extend", "insert", "pop", "popitem", "clear", "remove"}


def _production_settings(extra: dict[str, str]) -> dict[str, object]:
    code = (
        "import json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'cme_portal.settings'; import django; django.setup();"
        "from django.conf import settings as s;"
        "print(json.dumps({'caches': [c['BACKEND'] for c in s.CACHES.values()], 'session': s.SESSION_ENGINE,"
        " 'axes': s.AXES_HANDLER, 'storage': s.STORAGES['default']['BACKEND'],"
        " 'reminders_on_request': s.REMINDERS_RUN_ON_REQUEST_MINUTES}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **PRODUCTION, **extra},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"REDIS_URL": "redis://127.0.0.1:6379/5"},
        {"REDIS_URL": "redis://127.0.0.1:6379/5", "STORAGE_BACKEND": "s3", "AWS_STORAGE_BUCKET_NAME": "cme"},
    ],
    ids=["no-redis", "redis", "redis-s3"],
)
def test_production_settings_keep_no_state_in_the_process(extra):
    found = _production_settings(extra)
    assert not any("locmem" in backend.lower() for backend in found["caches"]), found  # type: ignore[attr-defined]
    if "REDIS_URL" in extra:
        assert found["caches"] == ["cme_portal.cache.FailSafeRedisCache"]
    else:
        assert found["caches"] == ["django.core.cache.backends.dummy.DummyCache"]
    # The request-time reminder runner needs a cache that holds its window; beat (or cron) runs it here.
    assert found["reminders_on_request"] == 0
    # Database sessions (a cache session would be lost with Redis; a file one is per machine).
    assert found["session"] == "django.contrib.sessions.backends.db"
    assert found["axes"] == "accounts.limits.SignInLimitHandler"
    expected_storage = (
        "s3_storage.PrivateS3Storage" if "STORAGE_BACKEND" in extra else "storage.PrivateFileSystemStorage"
    )
    assert str(found["storage"]).endswith(expected_storage)


def test_sign_in_limits_are_counted_in_the_database():
    from axes.handlers.database import AxesDatabaseHandler

    from accounts.limits import SignInLimitHandler

    assert issubclass(SignInLimitHandler, AxesDatabaseHandler)


def test_an_unknown_storage_backend_or_an_s3_one_without_a_bucket_is_a_startup_error():
    code = "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'cme_portal.settings'; import django; django.setup()"
    for extra, message in (
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND must be"),
        ({"STORAGE_BACKEND": "s3"}, "needs AWS_STORAGE_BUCKET_NAME"),
    ):
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={"PATH": os.environ.get("PATH", ""), **PRODUCTION, **extra},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode != 0
        assert message in result.stderr


def _sources() -> list[tuple[str, ast.Module]]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            found.append((path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), str(path))))
    return found


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else ""


def test_no_module_level_memo_other_than_the_listed_pure_ones():
    memos = set()
    for name, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                _decorator_name(d) in {"lru_cache", "cache", "cached"} for d in node.decorator_list
            ):
                memos.add((name, node.name))
    assert memos - ALLOWED_MEMOS == set(), "a new module-level memo: does it hold request data? (docstring above)"
    assert memos >= ALLOWED_MEMOS, "a listed memo is gone: remove it from ALLOWED_MEMOS"


def test_no_module_level_dict_list_or_set_is_written_by_a_function():
    written = set()
    for name, tree in _sources():
        mutable = set()
        for node in tree.body:
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            value = getattr(node, "value", None)
            is_mutable = isinstance(
                value, ast.Dict | ast.List | ast.Set | ast.DictComp | ast.ListComp | ast.SetComp
            ) or (
                isinstance(value, ast.Call)
                and _decorator_name(value) in {"dict", "list", "set", "defaultdict", "OrderedDict"}
            )
            if is_mutable:
                mutable |= {t.id for t in targets if isinstance(t, ast.Name)}
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Global):
                    written |= {(name, n) for n in node.names}
                elif isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
                    targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
                    for target in targets:
                        if (
                            isinstance(target, ast.Subscript)
                            and isinstance(target.value, ast.Name)
                            and target.value.id in mutable
                        ):
                            written.add((name, target.value.id))
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    owner = node.func.value
                    if isinstance(owner, ast.Name) and owner.id in mutable and node.func.attr in MUTATORS:
                        written.add((name, owner.id))
    assert written - ALLOWED_MUTABLE_GLOBALS == set()
    assert written >= ALLOWED_MUTABLE_GLOBALS, "the scan no longer sees the cache breakers: is it still working?"
