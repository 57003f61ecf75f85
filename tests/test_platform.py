"""Settings, security headers, health endpoints, error pages, deployment files."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.urls import reverse

from tests.factories import ClinicianFactory

ROOT = Path(__file__).resolve().parent.parent


def _settings_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='cme_portal.settings'; django.setup()",
        ],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_refuse_to_start_without_a_real_secret_key():
    result = _settings_check({"DEBUG": "0", "ALLOWED_HOSTS": "cme.example.org"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_refuse_debug():
    result = _settings_check(
        {"ENVIRONMENT": "production", "DEBUG": "1", "ALLOWED_HOSTS": "x.org", "SECRET_KEY": "k" * 60}
    )
    assert result.returncode != 0
    assert "DEBUG must be off in production" in result.stderr


def test_production_environment_turns_debug_off_by_default():
    result = _settings_check({"ENVIRONMENT": "production", "ALLOWED_HOSTS": "x.org"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_refuse_demo_mode():
    result = _settings_check({"DEBUG": "0", "ALLOWED_HOSTS": "x.org", "SECRET_KEY": "k" * 60, "DEMO_MODE": "1"})
    assert result.returncode != 0
    assert "DEMO_MODE cannot be on" in result.stderr


def test_production_settings_pass_the_deploy_check():
    env = {
        "DEBUG": "0",
        "ALLOWED_HOSTS": "cme.example.org",
        "SECRET_KEY": "s3cr3t-" * 10,
        "SITE_URL": "https://cme.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("site_url", "expected"),
    [
        ("", "SITE_URL is not set"),
        ("http://cme.example.org", "must be an https address"),
        ("https://cme.example.org/portal", "without a path"),
    ],
)
def test_the_deploy_check_refuses_a_missing_or_plain_http_site_url(site_url, expected):
    env = {"DEBUG": "0", "ALLOWED_HOSTS": "cme.example.org", "SECRET_KEY": "s3cr3t-" * 10, "SITE_URL": site_url}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "cme.E001" in result.stderr
    assert expected in result.stderr


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_unsafe_inline(client):
    client.force_login(ClinicianFactory())
    response = client.get(reverse("programs:catalog"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_templates_have_no_inline_scripts_or_styles():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        if "<script>" in text or " style=" in text or "<style" in text or " onclick=" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("healthz"))
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_cache(client):
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_readyz_is_ready_without_the_cache_and_shows_its_state_apart(client, monkeypatch):
    monkeypatch.setattr("cme_portal.views.cache_status", lambda: "unavailable")
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "unavailable"}


@pytest.mark.django_db
def test_readyz_is_not_ready_without_the_database(client, monkeypatch):
    from cme_portal import views

    class DownConnection:
        def cursor(self):
            raise views.DatabaseError("connection refused")

    monkeypatch.setattr(views, "connection", DownConnection())
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


@pytest.mark.django_db
def test_unknown_pages_get_a_friendly_404_without_a_trace(client):
    client.force_login(ClinicianFactory())
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Traceback" not in response.content.decode()
    assert "There is nothing at this address" in response.content.decode()


def test_server_errors_render_a_plain_page_without_details(rf):
    from cme_portal.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


def test_compose_file_has_the_full_stack_with_health_checks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"proxy", "web", "worker", "beat", "db", "redis"}
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"
    assert "gunicorn" in services["web"]["command"]
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]
    assert services["web"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["web"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["web"]["environment"]["DEBUG"] == "0"
    assert services["web"]["environment"]["ENVIRONMENT"] == "production"
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements.lock" in dockerfile
    assert "USER cme" in dockerfile


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit():
    # JIT compiling was most of the point-class GROUP BY's time at 100,000 listings; settings turn it off.
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
