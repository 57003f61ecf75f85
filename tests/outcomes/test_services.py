"""The services enforce every rule the forms show: called directly with bad data, they raise and write nothing."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from outcomes import services
from outcomes.forms import MESSAGES
from outcomes.models import Measurement, OutcomeProject, Presentation
from tests.outcomes.helpers import make_project

pytestmark = pytest.mark.django_db

FEB = {"period_start": datetime.date(2025, 2, 1), "period_end": datetime.date(2025, 2, 28)}


def _measurement(**overrides):
    data = {
        "period_start": datetime.date(2025, 1, 1),
        "period_end": datetime.date(2025, 1, 31),
        "numerator": 40,
        "denominator": 90,
        "value": None,
        "n": None,
        "sd": None,
        "data_source": "",
        "confirm_no_patient_data": False,
    }
    data.update(overrides)
    return data


def _project_with_february(owner, **fields):
    project = make_project(owner, **fields)
    Measurement.objects.create(project=project, numerator=1, denominator=2, **FEB)
    return project


def _snapshot(project):
    project.refresh_from_db()
    measurements = list(Measurement.objects.filter(project=project).values_list("pk", "period_start", "numerator"))
    return project.updated_at, measurements


def _raises(call, field, message):
    with pytest.raises(ValidationError) as caught:
        call()
    assert any(message in text for text in caught.value.message_dict[field]), caught.value.message_dict


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"denominator": 0}, "denominator", MESSAGES["denominator_positive"]),
        ({"numerator": 91}, "numerator", MESSAGES["numerator_too_large"]),
        ({"numerator": None}, "numerator", MESSAGES["numerator_required"]),
        ({"denominator": None}, "denominator", MESSAGES["denominator_required"]),
        ({"period_end": datetime.date(2024, 12, 31)}, "period_end", MESSAGES["period_order"]),
        (
            {"period_start": datetime.date(2024, 12, 1)},
            "period_start",
            MESSAGES["overlaps_baseline"].format(start="Jan 1, 2024", end="Dec 31, 2024"),
        ),
        (
            {"period_start": datetime.date(2025, 2, 15), "period_end": datetime.date(2025, 3, 15)},
            "period_start",
            MESSAGES["overlaps_measurement"].format(start="Feb 1, 2025", end="Feb 28, 2025"),
        ),
        ({"data_source": "Chart of DOB 1/2/2015"}, "data_source", "date of birth"),
    ],
)
def test_measurement_add_refuses_what_the_form_refuses_and_writes_nothing(world, overrides, field, message):
    project = _project_with_february(world.owner)
    before = _snapshot(project)
    _raises(lambda: services.measurement_add(project=project, data=_measurement(**overrides)), field, message)
    assert _snapshot(project) == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"value": None}, "value", MESSAGES["mean_required"]),
        ({"n": None}, "n", MESSAGES["n_required"]),
        ({"n": 0}, "n", MESSAGES["n_min"]),
        ({"n": 1, "sd": 1.0}, "n", MESSAGES["n_min_sd"]),
        ({"sd": -1.0}, "sd", MESSAGES["sd_negative"]),
    ],
)
def test_measurement_add_refuses_bad_figures_of_a_mean(world, overrides, field, message):
    project = _project_with_february(
        world.owner,
        measure_kind="mean",
        baseline_numerator=None,
        baseline_denominator=None,
        baseline_value=7.3,
        baseline_n=50,
        baseline_sd=2.0,
    )
    before = _snapshot(project)
    data = _measurement(numerator=None, denominator=None, value=6.0, n=5, sd=1.0) | overrides
    _raises(lambda: services.measurement_add(project=project, data=data), field, message)
    assert _snapshot(project) == before


def test_measurement_add_refuses_a_negative_count(world):
    project = _project_with_february(
        world.owner, measure_kind="count", baseline_numerator=None, baseline_denominator=None, baseline_value=3
    )
    before = _snapshot(project)
    data = _measurement(numerator=None, denominator=None, value=-1.0)
    _raises(
        lambda: services.measurement_add(project=project, data=data), "value", MESSAGES["negative"].format(kind="count")
    )
    assert _snapshot(project) == before


def test_measurement_add_judges_overlap_against_the_stored_measurements_not_a_stale_copy(world):
    project = make_project(world.owner)
    loaded = OutcomeProject.objects.prefetch_related("measurements").get(pk=project.pk)
    assert list(loaded.measurements.all()) == []  # prefetched before the other measurement was added
    Measurement.objects.create(project=project, numerator=1, denominator=2, **FEB)
    _raises(
        lambda: services.measurement_add(project=loaded, data=_measurement(**FEB)),
        "period_start",
        MESSAGES["overlaps_measurement"].format(start="Feb 1, 2025", end="Feb 28, 2025"),
    )
    assert Measurement.objects.filter(project=project).count() == 1


def test_valid_measurement_and_confirmed_free_text_are_recorded(world):
    project = _project_with_february(world.owner)
    data = _measurement(data_source="Chart of DOB 1/2/2015", confirm_no_patient_data=True)
    measurement = services.measurement_add(project=project, data=data)
    assert measurement.pk and measurement.data_source == "Chart of DOB 1/2/2015"
    assert Measurement.objects.filter(project=project).count() == 2


def _project_fields(**overrides):
    data = {
        "title": "UTI antibiotics",
        "gap_statement": "Gap",
        "setting": "Clinics",
        "measure_name": "First-line use",
        "measure_kind": "proportion",
        "measure_unit": "",
        "higher_is_better": True,
        "moore_level": "5",
        "baseline_start": datetime.date(2024, 1, 1),
        "baseline_end": datetime.date(2024, 12, 31),
        "baseline_numerator": 219,
        "baseline_denominator": 505,
        "baseline_value": None,
        "baseline_n": None,
        "baseline_sd": None,
        "target_value": 60.0,
        "change_implemented": "",
        "co_interventions": ["Guideline"],
        "status": "planned",
        "linked_programs": [],
        "linked_claims": [],
        "confirm_no_patient_data": False,
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"baseline_denominator": 0}, "baseline_denominator", MESSAGES["denominator_positive"]),
        ({"baseline_numerator": 506}, "baseline_numerator", MESSAGES["numerator_too_large"]),
        ({"baseline_end": datetime.date(2023, 12, 31)}, "baseline_end", MESSAGES["baseline_order"]),
        ({"target_value": 120.0}, "target_value", MESSAGES["target_percent"]),
        (
            {"measure_kind": "rate", "baseline_numerator": None, "baseline_value": 1.0, "target_value": -1.0},
            "target_value",
            MESSAGES["target_negative"],
        ),
        ({"gap_statement": "Patient MRN 1234567 was missed"}, "gap_statement", "medical record number"),
    ],
)
def test_project_create_refuses_what_the_form_refuses_and_writes_nothing(world, overrides, field, message):
    _raises(lambda: services.project_create(owner=world.owner, data=_project_fields(**overrides)), field, message)
    assert not OutcomeProject.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"measure_kind": "count", "baseline_numerator": None, "baseline_value": 3.0},
            "measure_kind",
            MESSAGES["kind_locked"],
        ),
        (
            {"baseline_end": datetime.date(2025, 2, 10)},
            "baseline_end",
            MESSAGES["baseline_overlaps_measurement"].format(start="Feb 1, 2025", end="Feb 28, 2025"),
        ),
    ],
)
def test_project_update_refuses_changes_the_measurements_forbid(world, overrides, field, message):
    project = _project_with_february(world.owner)
    before = OutcomeProject.objects.filter(pk=project.pk).values().get()
    _raises(lambda: services.project_update(project=project, data=_project_fields(**overrides)), field, message)
    assert OutcomeProject.objects.filter(pk=project.pk).values().get() == before


def test_presentation_add_refuses_a_patient_identifier(world):
    project = make_project(world.owner)
    data = {
        "venue_kind": "department",
        "title": "Results for MRN 1234567",
        "presented_on": datetime.date(2026, 1, 5),
        "audience": "",
        "confirm_no_patient_data": False,
    }
    _raises(lambda: services.presentation_add(project=project, data=data), "title", "medical record number")
    assert not Presentation.objects.exists()
