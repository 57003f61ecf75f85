"""Curation in the Django admin (operators only, since issue 11): history of every change, bulk actions, review list."""

import pytest
from django.urls import reverse

from programs.choices import ProgramStatus
from programs.models import ChangeLogEntry, Program, ProgramRevision
from programs.selectors import catalog_base
from tests.factories import OperatorFactory, ProgramFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def _change_form_data(program: Program, **overrides):
    data = {
        "provider": program.provider_id,
        "external_id": program.external_id,
        "title": program.title,
        "description": program.description,
        "status": program.status,
        "format": program.format,
        "delivery": program.delivery,
        "start_date": program.start_date.isoformat(),
        "end_date": program.end_date.isoformat(),
        "fee_amount": "500",
        "fee_currency": "USD",
        "time_commitment_hours": "8",
        "leave_days": "1",
        "professions": ["physician"],
        "credit_offerings-TOTAL_FORMS": "1",
        "credit_offerings-INITIAL_FORMS": "1",
        "credit_offerings-MIN_NUM_FORMS": "0",
        "credit_offerings-MAX_NUM_FORMS": "1000",
        "credit_offerings-0-id": program.credit_offerings.get().pk,
        "credit_offerings-0-program": program.pk,
        "credit_offerings-0-credit_type": "ama_pra_1",
        "credit_offerings-0-amount": "8",
        "history-TOTAL_FORMS": "0",
        "history-INITIAL_FORMS": "0",
        "history-MIN_NUM_FORMS": "0",
        "history-MAX_NUM_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_admin_edit_of_a_published_listing_waits_for_review(client, world):
    """Issue 11: a title and fee changed in the admin went live at once; now the same rule as the curation form."""
    program = ProgramFactory(title="Old title")
    operator = OperatorFactory()  # the admin is for operators (issue 11)
    client.force_login(operator)
    response = client.post(
        reverse("admin:programs_program_change", args=[program.pk]),
        _change_form_data(program, title="New title", fee_amount="900", **{"credit_offerings-0-amount": "10"}),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    live = catalog_base().get(pk=program.pk)
    assert (live.title, live.fee_amount, live.credit_offerings.get().amount) == ("Old title", 500, 8)
    revision = ProgramRevision.objects.get(program=program, status="pending")
    assert (revision.source, revision.proposed_by) == ("admin", operator)
    assert revision.changes == {
        "title": ["Old title", "New title"],
        "fee_amount": ["500", "900"],
        "credits": [{"ama_pra_1": "8"}, {"ama_pra_1": "10"}],
    }
    assert not ChangeLogEntry.objects.filter(program=program).exists()


def test_admin_edit_records_who_changed_what(client, world):
    """A draft (not published) changes at once, with its history."""
    program = ProgramFactory(title="Old title", status=ProgramStatus.DRAFT)
    operator = OperatorFactory()
    client.force_login(operator)
    response = client.post(
        reverse("admin:programs_program_change", args=[program.pk]),
        _change_form_data(program, title="New title", **{"credit_offerings-0-amount": "10"}),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = ChangeLogEntry.objects.get(program=program)
    assert entry.actor == operator
    assert entry.source == "admin"
    assert entry.changes["title"] == ["Old title", "New title"]
    assert entry.changes["credits"] == [{"ama_pra_1": "8"}, {"ama_pra_1": "10"}]


def test_saving_without_changes_records_nothing(client, world):
    program = ProgramFactory()
    operator = OperatorFactory()  # the admin is for operators (issue 11)
    client.force_login(operator)
    client.post(reverse("admin:programs_program_change", args=[program.pk]), _change_form_data(program))
    assert not ChangeLogEntry.objects.filter(program=program).exists()


def test_bulk_publish_and_archive_record_history(client, world):
    drafts = ProgramFactory.create_batch(3, status=ProgramStatus.DRAFT)
    operator = OperatorFactory()  # the admin is for operators (issue 11)
    client.force_login(operator)
    client.post(
        reverse("admin:programs_program_changelist"),
        {"action": "publish_selected", "_selected_action": [p.pk for p in drafts]},
    )
    assert set(Program.objects.values_list("status", flat=True)) == {ProgramStatus.PUBLISHED}
    assert ChangeLogEntry.objects.filter(changes__status=["draft", "published"]).count() == 3
    client.post(
        reverse("admin:programs_program_changelist"),
        {"action": "archive_selected", "_selected_action": [drafts[0].pk]},
    )
    assert Program.objects.get(pk=drafts[0].pk).status == ProgramStatus.ARCHIVED


def test_provider_changes_are_recorded(client, world):
    provider = ProviderFactory(name="Acme CME", accreditor="none")
    operator = OperatorFactory()  # the admin is for operators (issue 11)
    client.force_login(operator)
    response = client.post(
        reverse("admin:programs_provider_change", args=[provider.pk]),
        {
            "name": "Acme CME",
            "accreditor": "accme",
            "accreditation_status": "accredited",
            "jointly_accredited": "unknown",
        },
    )
    assert response.status_code == 302
    entry = ChangeLogEntry.objects.get(provider=provider)
    assert entry.changes["provider_accreditor"] == ["none", "accme"]


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:programs_program_changelist",
        "admin:programs_draftawaitingreview_changelist",
        "admin:programs_changelogentry_changelist",
        "admin:programs_provider_changelist",
        "admin:programs_program_add",
    ],
)
def test_curation_pages_open_for_admins_only(client, world, url_name):
    ProgramFactory(status=ProgramStatus.DRAFT)
    client.force_login(OperatorFactory())
    assert client.get(reverse(url_name)).status_code == 200
    for user in (world.owner, world.team_supervisor, world.admin):
        client.force_login(user)
        # Not an operator (the curator neither, issue 11): sent to the admin login.
        assert client.get(reverse(url_name)).status_code == 302


def test_drafts_awaiting_review_lists_only_drafts(client, world):
    ProgramFactory(title="Draft one", status=ProgramStatus.DRAFT)
    ProgramFactory(title="Live one")
    operator = OperatorFactory()  # the admin is for operators (issue 11)
    client.force_login(operator)
    body = client.get(reverse("admin:programs_draftawaitingreview_changelist")).content.decode()
    assert "Draft one" in body
    assert "Live one" not in body


def test_program_change_page_shows_the_history(client, world):
    program = ProgramFactory()
    ChangeLogEntry.objects.create(
        program=program, object_repr=program.title, action="updated", source="import", changes={"title": ["A", "B"]}
    )
    operator = OperatorFactory()  # the admin is for operators (issue 11)
    client.force_login(operator)
    body = client.get(reverse("admin:programs_program_change", args=[program.pk])).content.decode()
    assert "Change history (who, when, what changed)" in body
