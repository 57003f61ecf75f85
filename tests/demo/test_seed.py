"""seed_demo as `make run` uses it: everything in one command, nothing added the second time."""

import io

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from accounts.models import User
from demo.users import DEMO_USERS
from programs.models import ImportJob, Program, ProgramStatus

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("accounts", "programs", "careers", "outcomes", "supervision")


def _row_counts() -> dict[str, int]:
    models = [model for label in (*PROJECT_APPS, "auth") for model in apps.get_app_config(label).get_models()]
    return {model._meta.label: model._default_manager.count() for model in models}


def test_a_second_seed_demo_adds_nothing_to_any_table():
    first_output = io.StringIO()
    call_command("seed_demo", stdout=first_output)
    first = _row_counts()
    second_output = io.StringIO()
    call_command("seed_demo", stdout=second_output)
    assert _row_counts() == first
    assert "Demo catalog: 42 created, 0 updated, 0 unchanged." in first_output.getvalue()
    assert "Demo catalog: 0 created, 0 updated, 42 unchanged." in second_output.getvalue()
    assert "Demo supervision: 0 funding requests created." in second_output.getvalue()
    assert "Demo outcomes: 0 projects, 0 evidence rows created." in second_output.getvalue()


def test_seed_demo_loads_the_catalog_without_an_import_job_and_prints_every_login():
    output = io.StringIO()
    call_command("seed_demo", stdout=output)
    assert Program.objects.filter(status=ProgramStatus.PUBLISHED).count() == 40
    assert Program.objects.filter(status=ProgramStatus.DRAFT).count() == 2
    assert not ImportJob.objects.exists()
    lines = output.getvalue().splitlines()
    for demo in DEMO_USERS:
        assert f"  {demo.role.value:<10} {demo.email}" in lines


@pytest.mark.parametrize(
    ("production", "demo_mode", "debug", "reason"),
    [
        (True, True, False, "refuses to run in production"),
        (True, False, False, "refuses to run in production"),
        (False, False, False, "runs only with DEMO_MODE or DEBUG on"),
    ],
)
def test_seed_demo_refuses_in_production_and_writes_nothing(settings, production, demo_mode, debug, reason):
    settings.PRODUCTION, settings.DEMO_MODE, settings.DEBUG = production, demo_mode, debug
    before = _row_counts()
    with pytest.raises(CommandError, match=reason) as refused:
        call_command("seed_demo", stdout=io.StringIO())
    assert "Nothing was written" in str(refused.value)
    assert _row_counts() == before
    assert not User.objects.filter(email__endswith="@demo.test").exists()


def test_seed_demo_runs_with_demo_mode_on_outside_production(settings):
    settings.PRODUCTION, settings.DEMO_MODE, settings.DEBUG = False, True, False
    call_command("seed_demo", stdout=io.StringIO())
    assert User.objects.filter(email__endswith="@demo.test").exists()
