import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from programs.choices import Profession, ProgramStatus
from programs.fields import codes_to_mask, mask_to_codes
from programs.models import CreditOffering, Program
from tests.factories import ProgramFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def _violates(**changes):
    program = ProgramFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.filter(pk=program.pk).update(**changes)


def test_end_date_before_start_is_refused_by_the_database():
    _violates(start_date=datetime.date(2027, 5, 2), end_date=datetime.date(2027, 5, 1))


def test_negative_fee_is_refused_by_the_database():
    _violates(fee_amount=Decimal("-1"))


def test_negative_leave_days_are_refused_by_the_database():
    _violates(leave_days=Decimal("-0.5"))


def test_unknown_status_is_refused_by_the_database():
    _violates(status="pending")


def test_provider_and_external_id_are_unique_together():
    program = ProgramFactory(external_id="A-1")
    ProgramFactory(external_id="A-1")  # another provider: allowed
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgramFactory(provider=program.provider, external_id="A-1")


def test_credit_amount_must_be_positive_and_type_unique_per_program():
    program = ProgramFactory(credits={})
    CreditOffering.objects.create(program=program, credit_type="ama_pra_1", amount=Decimal("1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditOffering.objects.create(program=program, credit_type="ama_pra_1", amount=Decimal("2"))
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditOffering.objects.create(program=program, credit_type="ancc", amount=Decimal("0"))


def test_full_clean_reports_a_negative_fee_on_its_field():
    program = ProgramFactory.build(provider=ProviderFactory(), fee_amount=Decimal("-5"))
    with pytest.raises(Exception) as excinfo:
        program.full_clean()
    assert "fee_amount" in excinfo.value.message_dict


def test_code_sets_round_trip_through_the_database_in_declaration_order():
    program = ProgramFactory(professions=["pharmacist", "nurse", "physician"])
    program.refresh_from_db()
    assert program.professions == ["physician", "nurse", "pharmacist"]
    assert mask_to_codes(codes_to_mask(["nurse"], Profession), Profession) == ["nurse"]


def test_code_set_lookups_filter_by_any_and_all():
    nurse_only = ProgramFactory(professions=["nurse"])
    team = ProgramFactory(professions=["nurse", "physician"])
    ProgramFactory(professions=["pharmacist"])
    assert set(Program.objects.filter(professions__has_any=["nurse"])) == {nurse_only, team}
    assert set(Program.objects.filter(professions__has_all=["nurse", "physician"])) == {team}


def test_tag_lookup_matches_whole_tags_only():
    opioids = ProgramFactory(topics=["opioids", "pain_management"])
    ProgramFactory(topics=["opioids-free living"])
    ProgramFactory(topics=["Opioids"], specialties=["opioids"])  # the same key, not the same tag
    assert list(Program.objects.filter(topics__has_tag="opioids")) == [opioids]
    assert list(Program.objects.filter(topics__has_tag="Opioids")) != [opioids]


def test_visible_in_catalog_excludes_drafts_archived_and_past_programs():
    visible = ProgramFactory()
    on_demand = ProgramFactory(start_date=None, end_date=None)
    ProgramFactory(status=ProgramStatus.DRAFT)
    ProgramFactory(status=ProgramStatus.ARCHIVED)
    ProgramFactory(start_date=datetime.date(2020, 1, 1), end_date=datetime.date(2020, 1, 2))
    assert set(Program.objects.visible_in_catalog()) == {visible, on_demand}


def test_full_clean_explains_an_end_date_before_the_start():
    program = ProgramFactory.build(
        provider=ProviderFactory(), start_date=datetime.date(2027, 3, 2), end_date=datetime.date(2027, 3, 1)
    )
    with pytest.raises(Exception) as excinfo:
        program.full_clean()
    assert "The end date cannot be before the start date." in str(excinfo.value)
