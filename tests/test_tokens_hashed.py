"""The migrations that hash existing link tokens in place keep every link already handed out working."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from careers.models import ClinicianProfile
from careers.selectors import calendar_feed_for_token
from cme_portal.tokens import token_digest, token_new
from outcomes.models import PortfolioShareLink
from outcomes.selectors import share_link_for_token
from supervision.models import Invitation
from supervision.services import invitation_for_token

pytestmark = pytest.mark.django_db


def _migration(app: str, name: str):
    return importlib.import_module(f"{app}.migrations.{name}")


def test_tokens_stored_raw_before_the_migration_still_open_their_link_after_it(world):
    raw = {"calendar": token_new(), "share": token_new(), "invitation": token_new()}
    # Before the migration the columns held the raw token itself.
    ClinicianProfile.objects.create(user=world.owner, profession="physician", calendar_token_digest=raw["calendar"])
    PortfolioShareLink.objects.create(
        owner=world.owner, expires_on=timezone.localdate() + datetime.timedelta(days=3), token_digest=raw["share"]
    )
    Invitation.objects.create(
        team=world.team,
        email="late@example.test",
        expires_at=timezone.now() + datetime.timedelta(days=3),
        token_digest=raw["invitation"],
    )
    _migration("careers", "0003_calendar_token_stored_hashed").hash_existing_tokens(apps, None)
    _migration("outcomes", "0003_share_link_token_stored_hashed").hash_existing_tokens(apps, None)
    _migration("supervision", "0004_invitation_token_stored_hashed_and_bound_to_email").hash_existing_tokens(apps, None)
    assert ClinicianProfile.objects.get().calendar_token_digest == token_digest(raw["calendar"])
    assert calendar_feed_for_token(token=raw["calendar"], base_url="https://cme.test/") is not None
    assert share_link_for_token(token=raw["share"]) is not None
    assert invitation_for_token(token=raw["invitation"]) is not None
    # What the database now holds opens nothing.
    stored = PortfolioShareLink.objects.get().token_digest
    assert raw["share"] != stored and share_link_for_token(token=stored) is None
