"""Team dashboard: figures, filters, sorting, htmx partial, CSV export, query count."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cme_portal.spreadsheet import FORMULA_PREFIXES, csv_line
from supervision.exports import csv_cell
from tests.factories import ClinicianFactory, TeamMembershipFactory

from .helpers import funding_request, history, policy, profile

pytestmark = pytest.mark.django_db


def _add_members(team, count, profession="nurse"):
    users = []
    for _ in range(count):
        user = ClinicianFactory()
        TeamMembershipFactory(team=team, user=user)
        profile(user, profession)
        history(user, claims=2, renewal_in_days=45)
        funding_request(user, team, amount="300", status="approved", amount_approved="300")
        funding_request(user, team, amount="200")
        users.append(user)
    return users


def _dashboard_queries(client, team):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("supervision:dashboard", args=[team.pk]))
    members = team.memberships.count()
    assert f"{members} of {members} member{'s' if members > 1 else ''} shown" in response.content.decode()
    return len(ctx.captured_queries)


def test_dashboard_query_count_is_the_same_for_1_and_50_members(client, world):
    policy(team=world.team, profession="nurse")
    profile(world.owner, "nurse")
    history(world.owner)
    client.force_login(world.team_supervisor)
    _dashboard_queries(client, world.team)  # warm caches (content types, session)
    one = _dashboard_queries(client, world.team)
    _add_members(world.team, 49)
    fifty = _dashboard_queries(client, world.team)
    assert one == fifty, (one, fifty)


def test_dashboard_shows_at_risk_allowance_and_pending(client, world):
    profile(world.owner, "physician")
    policy(team=world.team, profession="physician", amount="2000")
    history(world.owner, claims=1, renewal_in_days=30)
    funding_request(world.owner, world.team, amount="700", status="approved", amount_approved="700")
    pending = funding_request(world.owner, world.team, amount="250")
    client.force_login(world.team_supervisor)
    html = client.get(reverse("supervision:dashboard", args=[world.team.pk])).content.decode()
    assert "at risk" in html
    assert "$700 of $2,000" in html
    assert pending.program.title in html


def test_filter_by_profession_and_at_risk_and_htmx_partial(client, world):
    profile(world.owner, "physician")
    history(world.owner, renewal_in_days=400)
    nurse = _add_members(world.team, 1)[0]
    client.force_login(world.team_supervisor)
    url = reverse("supervision:dashboard", args=[world.team.pk])
    html = client.get(url, {"profession": "nurse"}).content.decode()
    assert str(nurse) in html and str(world.owner) not in html
    html = client.get(url, {"at_risk": "on"}).content.decode()
    assert str(nurse) in html and str(world.owner) not in html
    partial = client.get(url, {"sort": "renewal", "order": "desc"}, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert 'id="members"' in body and "<html" not in body
    assert body.index(str(world.owner)) < body.index(str(nurse))


def test_bad_filter_values_are_ignored_not_an_error(client, world):
    profile(world.owner, "physician")
    nurse = _add_members(world.team, 1)[0]
    client.force_login(world.team_supervisor)
    url = reverse("supervision:dashboard", args=[world.team.pk])
    plain = client.get(url).content.decode()
    response = client.get(url, {"sort": "drop table", "order": "x"})
    assert response.status_code == 200
    body = response.content.decode()
    names = sorted([str(world.owner), str(nurse)], key=plain.index)
    assert names[0] in body and names[1] in body
    assert body.index(names[0]) < body.index(names[1])  # the default order, as without the bad values


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"])
def test_csv_cell_neutralizes_formulas(text):
    """The team CSV's cells go through the one writer, which neutralizes them."""
    assert next(csv.reader(io.StringIO(csv_line([csv_cell(text)]))))[0].startswith("'")


def test_csv_cell_keeps_numbers_and_plain_text():
    assert csv_cell(Decimal("-3")) == Decimal("-3")
    assert csv_cell(5) == 5
    assert csv_cell("Dr. Maya") == "Dr. Maya"


def test_csv_export_neutralizes_member_names(client, world):
    world.owner.full_name = "=cmd|' /C calc'!A0"
    world.owner.save()
    profile(world.owner, "physician")
    client.force_login(world.team_supervisor)
    response = client.get(reverse("supervision:dashboard_csv", args=[world.team.pk]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Name"
    assert rows[1][0] == "'=cmd|' /C calc'!A0"


SPREADSHEET_SEPARATORS = (",", ";", "\t", "|")


def _assert_safe_whatever_the_separator(text):
    """No cell a spreadsheet could make of the file, splitting on , ; TAB or |, starts with a formula character."""
    for line in text.splitlines():
        assert line.startswith('"') and line.endswith('"'), line  # every cell quoted
        for separator in SPREADSHEET_SEPARATORS:
            for piece in line.split(separator):
                assert not piece.lstrip('" ').startswith(FORMULA_PREFIXES), (separator, piece)


def test_team_csv_is_safe_with_a_jurisdiction_payload_split_on_any_separator(client, world):
    profile(world.owner, "physician")
    history(world.owner)
    world.owner.licences.update(jurisdiction="CA;=cmd|' /C calc'!A0;")
    client.force_login(world.team_supervisor)
    response = client.get(reverse("supervision:dashboard_csv", args=[world.team.pk]))
    text = response.content.decode()
    assert "=cmd|' /C calc'!A0" in text
    _assert_safe_whatever_the_separator(text)
    licences = next(r for r in csv.reader(io.StringIO(text)) if r[0] == str(world.owner))[4]
    assert licences.startswith("CA;'=cmd|' /C calc'!A0; MD:")


def test_team_csv_is_safe_with_a_full_name_payload_split_on_any_separator(client, world):
    world.owner.full_name = 'Maya;=HYPERLINK("http://evil");|-2+3,@SUM(A1)\t=1'
    world.owner.save()
    profile(world.owner, "physician")
    client.force_login(world.team_supervisor)
    text = client.get(reverse("supervision:dashboard_csv", args=[world.team.pk])).content.decode()
    _assert_safe_whatever_the_separator(text)
    assert any(r[0] == "Maya;'=HYPERLINK(\"http://evil\");|'-2+3,'@SUM(A1)\t'=1" for r in csv.reader(io.StringIO(text)))


def test_hostile_names_titles_and_licences_are_escaped_in_the_rows_page_and_partial(client, world):
    """The rows are Jinja2 fragments (fragments/supervision/): every value a member or a listing supplies escaped."""
    hostile = '<script>alert("x")</script>'
    world.owner.first_name, world.owner.last_name = hostile, "O'Hara"
    world.owner.save()
    profile(world.owner, "nurse")
    policy(team=world.team, profession="nurse")
    history(world.owner, renewal_in_days=20)
    world.owner.licences.update(jurisdiction=hostile)
    pending = funding_request(world.owner, world.team, amount="250")
    pending.program.__class__.objects.filter(pk=pending.program_id).update(title=f"{hostile} course")
    client.force_login(world.team_supervisor)
    url = reverse("supervision:dashboard", args=[world.team.pk])
    for response in (client.get(url), client.get(url, HTTP_HX_REQUEST="true")):
        html = response.content.decode()
        assert hostile not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    page = client.get(url).content.decode()
    assert page.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; course") >= 1  # the pending request's program
