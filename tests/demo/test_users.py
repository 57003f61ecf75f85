"""The one list of demo users: the seed, the login page and the README all say the same."""

import html
import re
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import User
from careers.models import ClinicianProfile
from demo.careers import seed_careers
from demo.users import DEMO_USERS, seed_accounts

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"
TABLE_HEADER = "| email | role | who |"


def _readme_demo_logins() -> list[tuple[str, str, str]]:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(TABLE_HEADER)
    assert re.fullmatch(r"\|(\s*-+\s*\|){3}", lines[start + 1]), "the demo-login table has no separator row"
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        email, role, who = (cell.strip() for cell in line.strip("|").split("|"))
        rows.append((email.strip("`"), role, who))
    return rows


def test_readme_demo_login_table_lists_exactly_the_demo_users():
    assert _readme_demo_logins() == [(demo.email, demo.role.value, demo.description) for demo in DEMO_USERS]


def test_login_page_lists_every_demo_user_in_demo_mode_only(client, settings):
    settings.DEMO_MODE = True
    body = client.get(reverse("login")).content.decode()
    for demo in DEMO_USERS:
        assert f"<li><code>{demo.email}</code>: {html.escape(demo.description)}</li>" in body
    assert settings.DEMO_PASSWORD in body
    settings.DEMO_MODE = False
    body = client.get(reverse("login")).content.decode()
    assert "demo.test" not in body
    assert settings.DEMO_PASSWORD not in body


def test_seed_creates_each_demo_user_with_its_name_role_and_profession(settings):
    accounts = seed_accounts()
    seed_careers(accounts=accounts)
    for demo in DEMO_USERS:
        user = User.objects.get(email=demo.email)
        assert user.full_name == demo.full_name
        assert user.roles == frozenset({demo.role})
        assert user.check_password(settings.DEMO_PASSWORD)
        assert accounts.team.memberships.filter(user=user).exists() == demo.in_team
        profile = ClinicianProfile.objects.filter(user=user).first()
        assert (profile.profession if profile else "") == demo.profession
