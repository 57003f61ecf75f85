"""Every validation message, and that an invalid form writes nothing."""

import datetime

import pytest
from django.urls import reverse

from outcomes.forms import MESSAGES, MeasurementForm, OutcomeProjectForm
from outcomes.models import Measurement, OutcomeProject
from tests.outcomes.helpers import add_months, make_project

pytestmark = pytest.mark.django_db


def _project_data(**overrides):
    data = {
        "title": "UTI antibiotics",
        "gap_statement": "Gap",
        "setting": "Clinics",
        "measure_name": "First-line use",
        "measure_kind": "proportion",
        "measure_unit": "",
        "higher_is_better": "on",
        "moore_level": "5",
        "baseline_start": "2024-01-01",
        "baseline_end": "2024-12-31",
        "baseline_numerator": "219",
        "baseline_denominator": "505",
        "target_value": "60",
        "co_interventions": "Guideline\nEHR order set",
        "status": "planned",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _errors(form):
    assert not form.is_valid()
    return {name: list(errs) for name, errs in form.errors.items()}


def test_valid_project_form_parses_co_interventions_one_per_line(world):
    form = OutcomeProjectForm(_project_data(), owner=world.owner)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["co_interventions"] == ["Guideline", "EHR order set"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"baseline_numerator": ""}, "baseline_numerator", MESSAGES["numerator_required"]),
        ({"baseline_denominator": ""}, "baseline_denominator", MESSAGES["denominator_required"]),
        ({"baseline_denominator": "0"}, "baseline_denominator", MESSAGES["denominator_positive"]),
        ({"baseline_numerator": "506"}, "baseline_numerator", MESSAGES["numerator_too_large"]),
        ({"baseline_end": "2023-12-31"}, "baseline_end", MESSAGES["baseline_order"]),
        ({"target_value": "120"}, "target_value", MESSAGES["target_percent"]),
        ({"measure_kind": "mean", "baseline_value": ""}, "baseline_value", MESSAGES["mean_required"]),
        ({"measure_kind": "mean", "baseline_value": "7.3"}, "baseline_n", MESSAGES["n_required"]),
        ({"measure_kind": "mean", "baseline_value": "7.3", "baseline_n": "0"}, "baseline_n", MESSAGES["n_min"]),
        (
            {"measure_kind": "mean", "baseline_value": "7.3", "baseline_n": "1", "baseline_sd": "2"},
            "baseline_n",
            MESSAGES["n_min_sd"],
        ),
        (
            {"measure_kind": "mean", "baseline_value": "7.3", "baseline_n": "10", "baseline_sd": "-1"},
            "baseline_sd",
            MESSAGES["sd_negative"],
        ),
        ({"measure_kind": "rate", "baseline_value": ""}, "baseline_value", MESSAGES["value_required"]),
        ({"measure_kind": "rate", "baseline_value": "-2"}, "baseline_value", "A rate cannot be negative."),
        ({"measure_kind": "count", "baseline_value": "-2"}, "baseline_value", "A count cannot be negative."),
        ({"measure_kind": "duration", "baseline_value": "-2"}, "baseline_value", "A duration cannot be negative."),
        (
            {"measure_kind": "duration", "baseline_value": "5", "target_value": "-1"},
            "target_value",
            MESSAGES["target_negative"],
        ),
    ],
)
def test_project_form_messages(world, overrides, field, message):
    form = OutcomeProjectForm(_project_data(**overrides), owner=world.owner)
    assert message in _errors(form)[field]


def test_kind_cannot_change_once_measured_and_baseline_cannot_overlap_a_measurement(world):
    project = make_project(world.owner)
    add_months(project, [(50, 100)])
    data = _project_data(measure_kind="count", baseline_value="3", baseline_end="2025-01-15")
    errors = _errors(OutcomeProjectForm(data, instance=project, owner=world.owner))
    assert MESSAGES["kind_locked"] in errors["measure_kind"]
    assert (
        MESSAGES["baseline_overlaps_measurement"].format(start="Jan 1, 2025", end="Jan 31, 2025")
        in errors["baseline_end"]
    )


def test_lower_moore_levels_are_allowed_and_labelled(world):
    form = OutcomeProjectForm(_project_data(moore_level="3a"), owner=world.owner)
    assert form.is_valid()
    labels = dict(form.fields["moore_level"].choices)
    assert labels["3a"].endswith("(not a practice outcome)")
    assert "not a practice outcome" not in labels["5"]


def test_linked_claims_offer_only_the_owners_claims(world):
    from careers.models import CreditClaim

    mine = CreditClaim.objects.create(user=world.owner, title="Mine", completed_on=datetime.date(2025, 1, 1))
    theirs = CreditClaim.objects.create(
        user=world.other_clinician, title="Theirs", completed_on=datetime.date(2025, 1, 1)
    )
    form = OutcomeProjectForm(_project_data(linked_claims=[str(theirs.pk)]), owner=world.owner)
    assert list(form.fields["linked_claims"].queryset) == [mine]
    assert "linked_claims" in _errors(form)


def _measurement_data(**overrides):
    data = {"period_start": "2025-01-01", "period_end": "2025-01-31", "numerator": "40", "denominator": "90"}
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"denominator": "0"}, "denominator", MESSAGES["denominator_positive"]),
        ({"numerator": "91"}, "numerator", MESSAGES["numerator_too_large"]),
        ({"numerator": ""}, "numerator", MESSAGES["numerator_required"]),
        ({"denominator": ""}, "denominator", MESSAGES["denominator_required"]),
        ({"period_end": "2024-12-31"}, "period_end", MESSAGES["period_order"]),
        (
            {"period_start": "2024-12-01"},
            "period_start",
            MESSAGES["overlaps_baseline"].format(start="Jan 1, 2024", end="Dec 31, 2024"),
        ),
        (
            {"period_start": "2025-02-15", "period_end": "2025-03-15"},
            "period_start",
            MESSAGES["overlaps_measurement"].format(start="Feb 1, 2025", end="Feb 28, 2025"),
        ),
    ],
)
def test_measurement_form_messages(world, overrides, field, message):
    project = make_project(world.owner)
    Measurement.objects.create(
        project=project,
        period_start=datetime.date(2025, 2, 1),
        period_end=datetime.date(2025, 2, 28),
        numerator=1,
        denominator=2,
    )
    form = MeasurementForm(_measurement_data(**overrides), project=project)
    assert message in _errors(form)[field]


def test_mean_measurement_messages(world):
    project = make_project(
        world.owner,
        measure_kind="mean",
        baseline_numerator=None,
        baseline_denominator=None,
        baseline_value=7.3,
        baseline_n=50,
        baseline_sd=2.0,
    )
    errors = _errors(
        MeasurementForm(_measurement_data(numerator="", denominator="", value="6", n="1", sd="1"), project=project)
    )
    assert MESSAGES["n_min_sd"] in errors["n"]
    errors = _errors(
        MeasurementForm(_measurement_data(numerator="", denominator="", value="6", n="5", sd="-1"), project=project)
    )
    assert MESSAGES["sd_negative"] in errors["sd"]


def test_privacy_finding_blocks_saving_until_confirmed(world):
    data = _project_data(gap_statement="Patient MRN 1234567 was missed")
    form = OutcomeProjectForm(data, owner=world.owner)
    errors = _errors(form)
    assert any("medical record number" in e and "aggregate figures only" in e for e in errors["gap_statement"])
    assert form.needs_privacy_confirmation
    confirmed = OutcomeProjectForm({**data, "confirm_no_patient_data": "on"}, owner=world.owner)
    assert confirmed.is_valid(), confirmed.errors


def test_invalid_post_writes_nothing_and_shows_the_message(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("outcomes:project_create"), _project_data(baseline_denominator="0"))
    assert response.status_code == 200
    assert MESSAGES["denominator_positive"] in response.content.decode()
    assert OutcomeProject.objects.count() == 0
    project = make_project(world.owner)
    response = client.post(reverse("outcomes:measurement_add", args=[project.pk]), _measurement_data(numerator="95"))
    assert response.status_code == 200
    assert MESSAGES["numerator_too_large"] in response.content.decode()
    assert project.measurements.count() == 0


def test_privacy_warning_in_a_measurement_explains_why(client, world):
    client.force_login(world.owner)
    project = make_project(world.owner)
    response = client.post(
        reverse("outcomes:measurement_add", args=[project.pk]), _measurement_data(data_source="Chart of DOB 1/2/2015")
    )
    body = response.content.decode()
    assert "This may identify a patient" in body
    assert "I have checked" in body
    assert project.measurements.count() == 0


def test_share_link_expiry_messages(world):
    from django.utils import timezone

    from outcomes.forms import ShareLinkForm

    today = timezone.localdate()
    past = ShareLinkForm({"expires_on": (today - datetime.timedelta(days=1)).isoformat()})
    assert MESSAGES["expiry_past"] in _errors(past)["expires_on"]
    far = ShareLinkForm({"expires_on": (today + datetime.timedelta(days=400)).isoformat()})
    assert MESSAGES["expiry_too_far"] in _errors(far)["expires_on"]
