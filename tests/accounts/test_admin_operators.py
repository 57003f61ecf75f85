"""The Django admin is for operators (superusers) only, and it never shows or filters on a secret.

Issue 11, findings 2 and 3: a curator could tick is_superuser on their own account, set another
team's supervisor's password and add themselves to any group or team; the user changelist took
``?calendar_token__startswith=`` lookups.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import Organization, TeamMembership, User
from accounts.roles import ROLE_GROUP_NAMES, ROLE_PERMISSIONS, Role
from careers.models import CareerGoal, ClinicianProfile, ShortlistEntry
from careers.services import calendar_token_regenerate
from cme_portal.admin_site import secret_lookup
from tests.conftest import ROLES, login_as
from tests.factories import TEST_PASSWORD, OperatorFactory, ProgramFactory

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"


def _admin_urls(world) -> list[str]:
    """Every page of every registered model (changelist, add; change, delete, history of one row),
    the index, each app index, and "set password" of another team's supervisor."""
    urls = [reverse("admin:index")]
    app_labels = set()
    for model in admin.site._registry:
        opts = model._meta
        app_labels.add(opts.app_label)
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        urls += [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
        row = model._default_manager.first()
        if row is not None:
            urls += [reverse(f"{prefix}_{page}", args=[row.pk]) for page in ("change", "delete", "history")]
    urls += [reverse("admin:app_list", args=[label]) for label in sorted(app_labels)]
    urls.append(reverse("admin:auth_user_password_change", args=[world.other_supervisor.pk]))
    return urls


def _refused(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(ADMIN_LOGIN)


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_page_refuses_everyone_but_operators(client, world, role):
    ShortlistEntry.objects.create(user=world.owner, program=ProgramFactory(), note="private")
    urls = _admin_urls(world)
    for needed in ("accounts_user", "auth_group", "accounts_team", "accounts_teammembership", "password"):
        assert any(needed.replace("_", "/") in url for url in urls), needed
    login_as(client, world, role)
    accepted = [url for url in urls if not _refused(client.get(url))]
    assert accepted == []
    assert all(_refused(client.post(url, {})) for url in urls)


def test_operators_open_every_admin_page(client, world):
    ShortlistEntry.objects.create(user=world.owner, program=ProgramFactory(), note="private")
    client.force_login(OperatorFactory())
    responses = {url: client.get(url) for url in _admin_urls(world)}
    assert [url for url, response in responses.items() if _refused(response)] == []
    statuses = {url: response.status_code for url, response in responses.items()}
    # 403 only where a ModelAdmin itself allows no one (adding history entries by hand); 302 where a
    # row is not in a proxy's queryset (a published listing is no draft awaiting review).
    assert {url: status for url, status in statuses.items() if status not in (200, 302, 403)} == {}
    people_pages = [url for url in statuses if "/accounts/" in url or "/auth/" in url]
    assert people_pages and all(statuses[url] == 200 for url in people_pages)


def _user_change_data(user: User, **fields: object) -> dict[str, object]:
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "is_active": "on",
        "groups": [group.pk for group in user.groups.all()],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    return data | fields


def test_a_curator_cannot_make_themselves_superuser_set_a_password_or_join_groups_and_teams(client, world):
    curator = world.admin
    client.force_login(curator)
    supervisors = Group.objects.get(name=ROLE_GROUP_NAMES[Role.SUPERVISOR])
    response = client.post(
        reverse("admin:accounts_user_change", args=[curator.pk]),
        _user_change_data(curator, is_superuser="on", is_staff="on", groups=[supervisors.pk]),
    )
    assert _refused(response)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[world.other_supervisor.pk]),
        {"password1": "Taken-over-pass-phrase-7", "password2": "Taken-over-pass-phrase-7", "usable_password": "true"},
    )
    assert _refused(response)
    response = client.post(
        reverse("admin:accounts_teammembership_add"),
        {"user": curator.pk, "team": world.other_team.pk, "started_at_0": "2026-01-01", "started_at_1": "00:00"},
    )
    assert _refused(response)
    response = client.post(
        reverse("admin:accounts_team_change", args=[world.other_team.pk]),
        {"organization": world.other_team.organization.pk, "name": "Taken", "supervisors": [curator.pk]},
    )
    assert _refused(response)
    curator = User.objects.get(pk=curator.pk)
    assert not curator.is_superuser and not curator.is_staff
    assert not curator.groups.filter(pk=supervisors.pk).exists()
    assert not TeamMembership.objects.filter(user=curator).exists()
    assert not world.other_team.supervisors.filter(pk=curator.pk).exists()
    assert User.objects.get(pk=world.other_supervisor.pk).check_password(TEST_PASSWORD)


def test_no_role_holds_a_permission_on_users_groups_permissions_teams_or_tokens(world):
    forbidden_apps = {"accounts", "auth"}
    private_models = {"clinicianprofile", "careergoal", "shortlistentry", "fundingrequest", "invitation"}
    for role in Role:
        group = Group.objects.get(name=ROLE_GROUP_NAMES[role])
        held = set(group.permissions.values_list("content_type__app_label", "content_type__model"))
        assert not {app for app, _ in held} & forbidden_apps, role
        assert not {model for _, model in held} & private_models, role
        assert all(app not in forbidden_apps for app, _ in ROLE_PERMISSIONS[role])
    assert not world.admin.has_perm("accounts.change_user")
    assert not world.admin.has_perm("accounts.change_team")


def test_the_curator_keeps_the_curation_pages(client, world):
    client.force_login(world.admin)
    assert client.get(reverse("programs:curation:review")).status_code == 200
    assert client.get(reverse("programs:curation:imports")).status_code == 200


# --- Secrets never shown or filtered on (finding 3) -----------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "clinician_profile__calendar_token_digest__startswith=a",
        "clinician_profile__calendar_token_digest__regex=^a",
        "calendar_token__startswith=a",
        "password__startswith=md5",
        "portfolio_links__token_digest__startswith=0",
    ],
)
def test_operators_cannot_filter_users_on_a_token_or_password(client, world, query):
    client.force_login(OperatorFactory())
    response = client.get(f"{reverse('admin:accounts_user_changelist')}?id={world.owner.pk}&{query}")
    assert response.status_code == 400


def test_secret_lookups_are_recognised_and_ordinary_ones_are_not():
    assert secret_lookup("token_digest__regex") and secret_lookup("user__password") and secret_lookup("run_token")
    assert not secret_lookup("email__startswith") and not secret_lookup("status__exact")


def test_admin_shows_no_token_note_justification_or_goal(client, world):
    from supervision.services import invitation_create

    entry = ShortlistEntry.objects.create(user=world.owner, program=ProgramFactory(), note="my private worry")
    CareerGoal.objects.create(user=world.owner, track="leadership", target_role="Secret ambition")
    invitation = invitation_create(team=world.team, email="new@example.test", invited_by=world.team_supervisor)
    profile = ClinicianProfile.objects.create(user=world.owner, profession="physician")
    calendar_token_regenerate(user=world.owner)
    profile.refresh_from_db()
    client.force_login(OperatorFactory())
    pages = [
        reverse("admin:careers_shortlistentry_change", args=[entry.pk]),
        reverse("admin:careers_shortlistentry_changelist"),
        reverse("admin:supervision_invitation_change", args=[invitation.pk]),
        reverse("admin:supervision_invitation_changelist"),
        reverse("admin:careers_clinicianprofile_change", args=[profile.pk]),
        reverse("admin:index"),
    ]
    bodies = "".join(client.get(url).content.decode() for url in pages)
    for secret in ("my private worry", "Secret ambition", invitation.token_digest, profile.calendar_token_digest):
        assert secret not in bodies
    assert "token digest" not in bodies.lower() and "justification" not in bodies.lower()
    assert CareerGoal not in admin.site._registry
    assert Organization in admin.site._registry
