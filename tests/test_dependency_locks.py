"""The two locks: runtime (what the production image installs) and development (everything `make install` adds)."""

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PINNED = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9.+!-]+)$")
# Test, lint, type-checking and browser tooling that must never reach the production image.
DEV_ONLY = re.compile(
    r"^(pytest.*|hypothesis.*|playwright|axe-playwright-python|ruff|mypy|mypy-extensions|factory-boy|faker|coverage"
    r"|schemathesis|moto|responses|celery-types|.*-stubs|types-.*|execnet|iniconfig|pluggy|greenlet|librt)$"
)


def _lines(name: str) -> list[str]:
    return [
        line.strip()
        for line in (ROOT / name).read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _pins(lines: list[str]) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in lines:
        match = PINNED.match(line)
        assert match, f"not pinned as name==version: {line!r}"
        name = canonicalize_name(match["name"])
        assert name not in pins, f"pinned twice: {line}"
        pins[name] = match["version"]
    return pins


def _runtime() -> dict[str, str]:
    return _pins(_lines("requirements.lock"))


def _dev() -> dict[str, str]:
    lines = _lines("requirements-dev.lock")
    assert lines[0] == "-r requirements.lock", "the dev lock starts from the runtime lock"
    return _pins(lines[1:])


def _pyproject() -> dict[str, list[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {"runtime": project["dependencies"], "dev": project["optional-dependencies"]["dev"]}


def test_every_line_of_both_locks_is_pinned_and_sorted():
    for name, pins in (("requirements.lock", _runtime()), ("requirements-dev.lock", _dev())):
        assert pins, name
        assert list(pins) == sorted(pins), f"{name} is not alphabetical"


def test_no_package_is_in_both_locks():
    assert set(_runtime()) & set(_dev()) == set()


def test_the_runtime_lock_carries_no_test_lint_or_browser_tooling():
    offenders = sorted(name for name in _runtime() if DEV_ONLY.match(name))
    assert offenders == []


def test_the_dev_tooling_is_in_the_dev_lock():
    # The pattern above is not vacuous: the tools it names are pinned, in the dev lock.
    dev = _dev()
    for tool in ("pytest", "hypothesis", "playwright", "ruff", "mypy", "factory-boy", "coverage", "moto"):
        assert tool in dev, tool


def test_every_pyproject_dependency_is_in_its_lock():
    runtime, dev = _runtime(), _dev()
    for requirement in map(Requirement, _pyproject()["runtime"]):
        name = canonicalize_name(requirement.name)
        assert name in runtime, f"runtime dependency {name} missing from requirements.lock"
        assert requirement.specifier.contains(runtime[name], prereleases=True), (name, runtime[name])
    for requirement in map(Requirement, _pyproject()["dev"]):
        name = canonicalize_name(requirement.name)
        assert name in dev, f"dev dependency {name} missing from requirements-dev.lock"
        assert requirement.specifier.contains(dev[name], prereleases=True), (name, dev[name])


def test_the_runtime_lock_is_closed_under_its_own_requirements():
    """Every requirement of a runtime package (as installed here) is pinned in the runtime lock.

    Otherwise `pip install -r requirements.lock` in the image would pull an unpinned package.
    """
    runtime = _runtime()
    extras = {canonicalize_name(r.name): r.extras for r in map(Requirement, _pyproject()["runtime"])}
    missing = []
    for name in runtime:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"{name} is in requirements.lock but not installed; run make install")
        for text in dist.requires or []:
            requirement = Requirement(text)
            wanted = extras.get(name, set()) or {""}
            if requirement.marker and not any(requirement.marker.evaluate({"extra": e}) for e in wanted):
                continue
            if canonicalize_name(requirement.name) not in runtime:
                missing.append(f"{name} needs {requirement}")
    assert missing == []


def test_the_image_installs_only_the_runtime_lock_and_make_installs_both():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.lock" in dockerfile
    assert "requirements-dev.lock" not in dockerfile.replace("(requirements-dev.lock is for `make install`)", "")
    makefile = (ROOT / "Makefile").read_text()
    assert "-r requirements-dev.lock" in makefile
    stamp = next(line for line in makefile.splitlines() if line.startswith("STAMP :="))
    assert "requirements.lock" in stamp
    assert "requirements-dev.lock" in stamp
    assert "$(STAMP): requirements.lock requirements-dev.lock pyproject.toml" in makefile
