"""No two controls of a page share a name but do different things (issue 13, item 6).

A screen reader's list of links or buttons shows names alone: 39 checkboxes all named "Compare",
a "Delete" per row, "Approve in full" on every dashboard row say nothing out of context. On every
page state of tests/test_page_ids.py, with a second row added to every list of its world, the
links, buttons and checkboxes are named as assistive technology names them (``aria-label``, else
``aria-labelledby``, else their text, visually hidden text included, or for a box its label, after
the legend of its group), and two with one name must lead to the same place: a link to the same
address, a button to the same form action with the same name and value, a box to the same name
and value.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from careers.models import Licence
from careers.services import credit_claim_create
from outcomes.models import (
    Measurement,
    OutcomeProject,
    PortfolioShareLink,
    Presentation,
    ProgramOutcomeEvidence,
    ProjectTeamMember,
)
from programs.models import ChangeLogEntry, ImportJob
from supervision.models import EmployerCmePolicy, FundingRequest, RequestStatus
from tests.factories import ProgramFactory
from tests.test_access_matrix import (  # the fixtures are used by name
    CURATOR,
    OWNER,
    PDF,
    TEAMMATE,
    TODAY,
    World,
    _world_media,  # noqa: F401
    matrix_world,  # noqa: F401
)
from tests.test_form_errors import _open_with_nothing_filled_in
from tests.test_page_ids import STATES, PageState

pytestmark = pytest.mark.django_db

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Control:
    kind: str  # "link", "button" or "checkbox"
    target: tuple[str, ...]  # where it leads: the address, or the form action with the name and value sent
    aria_label: str | None = None
    labelledby: list[str] = field(default_factory=list)
    element_id: str = ""
    text: list[str] = field(default_factory=list)
    group: str = ""  # the legend of the fieldset holding a box


class Controls(HTMLParser):
    """The links, buttons and checkboxes of a page with what names them, and the text of each labelled id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.controls: list[Control] = []
        self._open: list[tuple[str, list[str]]] = []  # (tag, text collected) of elements whose text names something
        self.text_of_id: dict[str, list[str]] = {}
        self.label_for: dict[str, list[str]] = {}
        self._form_action = ""
        self._label_boxes: list[list[Control]] = []  # the boxes inside each open <label>
        self._legends: list[list[str]] = []  # the legend text of each open <fieldset>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form_action = attr.get("action", "")
        control = None
        if tag == "a" and "href" in attr:
            control = Control("link", (attr["href"],))
        elif tag == "button" and attr.get("type", "submit") == "submit":
            action = attr.get("formaction", self._form_action)
            control = Control("button", (action, attr.get("name", ""), attr.get("value", "")))
        elif tag == "input" and attr.get("type") == "checkbox":
            control = Control("checkbox", (attr.get("name", ""), attr.get("value", "on")))
            # A box in a group is announced with the group's legend on entering it ("Essential: Teaching").
            control.group = "".join(self._legends[-1]) if self._legends else ""
            if self._label_boxes:
                self._label_boxes[-1].append(control)
        if control is not None:
            control.aria_label = attr.get("aria-label")
            control.labelledby = attr.get("aria-labelledby", "").split()
            control.element_id = attr.get("id", "")
            self.controls.append(control)
        if tag in VOID:
            return
        collected: list[str] = control.text if control is not None and control.kind != "checkbox" else []
        if tag == "fieldset":
            self._legends.append([])
        elif tag == "legend" and self._legends:
            collected = self._legends[-1]
        if "id" in attr:
            self.text_of_id[attr["id"]] = collected
        if tag == "label":
            if attr.get("for"):
                self.label_for[attr["for"]] = collected
            self._label_boxes.append([])
        self._open.append((tag, collected))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form_action = ""
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                opened, collected = self._open[index]
                del self._open[index:]
                if opened == "fieldset" and self._legends:
                    self._legends.pop()
                if opened == "label" and self._label_boxes:
                    for box in self._label_boxes.pop():
                        if not box.element_id or box.element_id not in self.label_for:
                            box.text = collected
                return

    def handle_data(self, data: str) -> None:
        seen: set[int] = set()
        for _, collected in self._open:
            if id(collected) not in seen:
                seen.add(id(collected))
                collected.append(data)

    def names(self) -> list[tuple[Control, str]]:
        """Each control with its accessible name (spaces collapsed)."""
        named = []
        for control in self.controls:
            if control.aria_label is not None:
                name = control.aria_label
            elif control.labelledby:
                name = " ".join("".join(self.text_of_id.get(ref, [])) for ref in control.labelledby)
            elif control.kind == "checkbox" and control.element_id in self.label_for:
                name = "".join(self.label_for[control.element_id])
            else:
                name = "".join(control.text)
            named.append((control, " ".join(f"{control.group} {name}".split())))
        return named


def same_name_problems(html: str) -> list[str]:
    """Each name that two controls of the page share while leading to different places."""
    page = Controls()
    page.feed(html)
    page.close()
    targets: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for control, name in page.names():
        targets[name.casefold()].add((control.kind, *control.target))
    return [
        f"{len(found)} controls named {name!r} lead to different places: {sorted(found)[:3]}"
        for name, found in sorted(targets.items())
        if len(found) > 1
    ]


def _add_a_second_of_each(world: World) -> None:
    """A second row in every list of the world, so that a name repeated per row shows (rolled back after the test)."""
    owner = world.users[OWNER]
    credit_claim_create(
        user=owner,
        title="Second course",
        provider_name="",
        completed_on=TODAY - datetime.timedelta(days=40),
        topics=[],
        amounts={"ama_pra_1": Decimal("2")},
        certificate=SimpleUploadedFile("second.pdf", PDF, content_type="application/pdf"),
    )
    Licence.objects.create(
        user=owner,
        jurisdiction="Oregon",
        licence_type="DO",
        renewal_date=TODAY + datetime.timedelta(days=200),
        hours_required=Decimal("30"),
    )
    project = world.project
    Measurement.objects.create(
        project=project,
        period_start=datetime.date(2025, 2, 1),
        period_end=datetime.date(2025, 2, 28),
        numerator=50,
        denominator=90,
    )
    ProjectTeamMember.objects.create(project=project, name="Noor Nurse", profession="nurse")
    Presentation.objects.create(
        project=project, venue_kind="department", title="Second results", presented_on=datetime.date(2026, 2, 5)
    )
    OutcomeProject.objects.create(
        owner=owner,
        title="Second project",
        gap_statement="Too few get a follow-up call.",
        measure_name="Follow-up calls",
        measure_kind="proportion",
        higher_is_better=True,
        moore_level="5",
        baseline_start=datetime.date(2024, 1, 1),
        baseline_end=datetime.date(2024, 12, 31),
        baseline_numerator=10,
        baseline_denominator=100,
    )
    PortfolioShareLink.objects.create(
        owner=owner, label="Second", expires_on=TODAY + datetime.timedelta(days=9), token_digest="0" * 64
    )
    ProgramOutcomeEvidence.objects.create(
        program=world.program,
        metric="Second stated outcome",
        baseline="10%",
        follow_up="20%",
        time_window="3 months",
        moore_level="4",
        source_url="https://example.test/second",
    )
    requested = ProgramFactory(title="Matrix requested by the teammate")
    FundingRequest.objects.create(
        requester=world.users[TEAMMATE],
        team=world.team,
        program=requested,
        amount_requested=Decimal("300"),
        leave_days_requested=Decimal("1"),
        costs_on=TODAY,
        justification="Wound care.",
        status=RequestStatus.PENDING,
    )
    EmployerCmePolicy.objects.create(
        team=world.team,
        profession="nurse",
        yearly_reimbursement_amount=Decimal("900"),
        paid_leave_days=Decimal("2"),
        over_allowance_rule="warn",
        source_url="https://example.test/nurse-policy",
        confirmed_on=TODAY,
    )
    draft = ProgramFactory(title="Matrix second draft", status="draft")
    job = ImportJob.objects.create(
        created_by=world.users[CURATOR], file_name="second.csv", file_format="csv", status="succeeded"
    )
    ChangeLogEntry.objects.create(
        program=draft, object_repr=str(draft), action="created", source="import", import_job_id=job.pk
    )


@pytest.mark.parametrize("state", STATES, ids=[f"{s.name}-{s.method}-{s.actor}" for s in STATES])
def test_no_two_controls_share_a_name_but_lead_to_different_places(
    client: Any,
    matrix_world: World,  # noqa: F811 - the fixture imported above
    state: PageState,
) -> None:
    _add_a_second_of_each(matrix_world)
    response = _open_with_nothing_filled_in(client, matrix_world, state)
    if response.status_code not in (200, 400) or not response["Content-Type"].startswith("text/html"):
        pytest.skip(f"{state.method} answers {response.status_code} {response['Content-Type']}: no page to check")
    problems = same_name_problems(response.content.decode())
    assert not problems, f"{state.method} {state.name} as {state.actor}:\n" + "\n".join(problems)


def test_the_checker_reads_hidden_text_labels_and_aria_label() -> None:
    html = (
        '<a href="/a/1/">Edit<span class="visually-hidden"> Goal one</span></a><a href="/a/2/">Edit</a>'
        '<a href="/a/3/">Edit</a><a href="/a/3/">Edit</a>'
        '<form action="/x/"><button>Delete</button></form><form action="/y/"><button>Delete</button></form>'
        '<label><input type="checkbox" name="ids" value="1"> Compare</label>'
        '<input type="checkbox" name="ids" value="2" id="b"><label for="b">Compare</label>'
        '<input type="checkbox" name="ids" value="3" aria-label="Compare Three">'
        '<fieldset><legend>Wanted</legend><label><input type="checkbox" name="w" value="t"> Teach</label></fieldset>'
        '<fieldset><legend>Essential</legend><label><input type="checkbox" name="e" value="t"> Teach</label></fieldset>'
    )
    assert same_name_problems(html) == [
        "2 controls named 'compare' lead to different places: [('checkbox', 'ids', '1'), ('checkbox', 'ids', '2')]",
        "2 controls named 'delete' lead to different places: [('button', '/x/', '', ''), ('button', '/y/', '', '')]",
        "2 controls named 'edit' lead to different places: [('link', '/a/2/'), ('link', '/a/3/')]",
    ]
