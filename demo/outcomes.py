"""Demo outcome data (idempotent).

- Verified outcome evidence of the Colorado Permanente pediatric UTI program, with the
  published figures from shared/product/domain.md (ACCME Real Outcomes profile;
  Daley et al., Pediatrics 2020).
- clinician@demo.test: a reported project modelled on that case (first-line antibiotic
  use for pediatric UTI, 43.4% at baseline, monthly measurements over 18 months ending
  at 62.4%; 2,142 UTIs in all) and a second project, on treatment duration, still
  measuring. The clinician's monthly figures are illustrative, not the published data.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from outcomes.models import (
    MeasureKind,
    Measurement,
    OutcomeProject,
    Presentation,
    ProgramOutcomeEvidence,
    ProjectStatus,
    ProjectTeamMember,
    VenueKind,
)
from outcomes.services import evidence_program_scores_refresh
from programs.models import Program

from .users import demo_user

COLORADO_PROVIDER = "Colorado Permanente Medical Group"
COLORADO_EXTERNAL_ID = "CPMG-PEDS-UTI-PICME"  # in demo/data/catalog.json
COLORADO_SOURCE = "https://accme.org/about-accreditation/value-of-accreditation/outcomes-profile-4"
CO_INTERVENTIONS = ["Updated clinical guideline", "EHR order set", "Live case-based CME session"]

# (first day of month, numerator, denominator): Jan 2025 .. Jun 2026, 18 months.
UTI_MONTHS: list[tuple[datetime.date, int, int]] = [
    (datetime.date(2025 + (i // 12), i % 12 + 1, 1), num, den)
    for i, (num, den) in enumerate(
        [
            (39, 89),
            (44, 95),
            (41, 91),
            (40, 84),
            (48, 97),
            (44, 90),
            (45, 86),
            (50, 93),
            (47, 89),
            (53, 96),
            (52, 92),
            (48, 85),
            (55, 94),
            (54, 90),
            (51, 87),
            (58, 95),
            (56, 91),
            (58, 93),
        ]
    )
]
UTI_BASELINE = (219, 505)  # 43.4%; 505 + the monthly denominators = 2,142 UTIs

# Treatment duration (days), lower is better: (month start, mean, sd, n).
DURATION_MONTHS: list[tuple[datetime.date, float, float, int]] = [
    (datetime.date(2026, 7, 1), 6.9, 2.0, 41),
    (datetime.date(2026, 8, 1), 6.6, 1.9, 38),
    (datetime.date(2026, 9, 1), 6.4, 1.8, 44),
    (datetime.date(2026, 10, 1), 6.2, 1.7, 40),
]


def _month_end(start: datetime.date) -> datetime.date:
    following = datetime.date(start.year + (start.month // 12), start.month % 12 + 1, 1)
    return following - datetime.timedelta(days=1)


def colorado_program() -> Program | None:
    """The Colorado Permanente listing of the demo catalog, by its identity (provider, external_id)."""
    return (
        Program.objects.select_related("provider")
        .filter(provider__name=COLORADO_PROVIDER, external_id=COLORADO_EXTERNAL_ID)
        .first()
    )


def seed_colorado_evidence(*, curator: User | None) -> int:
    """Verified published outcomes on the Colorado listing; returns how many rows were created."""
    program = colorado_program()
    if program is None:
        return 0
    rows = [
        {
            "metric": "First-line antibiotic use for pediatric urinary tract infection",
            "baseline": "43.4%",
            "follow_up": "62.4%",
            "significance": "P < .0001",
        },
        {
            "metric": "Mean antibiotic treatment duration",
            "baseline": "7.3 days",
            "follow_up": "6.0 days",
            "significance": "",
        },
    ]
    created = 0
    for row in rows:
        _, was_created = ProgramOutcomeEvidence.objects.get_or_create(
            program=program,
            metric=row["metric"],
            defaults={
                **row,
                "n": 2142,
                "n_unit": "UTIs",
                "time_window": "18 months, 27 outpatient clinics",
                "moore_level": "5",
                "source_url": COLORADO_SOURCE,
                "verified": True,
                "verified_by": curator if curator is not None and curator.pk else None,
                "verified_on": timezone.localdate(),
            },
        )
        created += was_created
    evidence_program_scores_refresh(program_ids=[program.pk])
    return created


def _team_member(project: OutcomeProject, email: str) -> ProjectTeamMember:
    demo = demo_user(email)
    return ProjectTeamMember(project=project, name=demo.full_name, profession=demo.profession)


def _demo_project(
    clinician: User,
    program: Program | None,
    *,
    title: str,
    defaults: dict[str, Any],
    months: list[tuple[datetime.date, dict[str, Any]]],
) -> tuple[OutcomeProject, bool]:
    """The clinician's project `title`; when created now, linked to `program` with one measurement a month.

    `months` holds each month's first day with its figures (numerator and denominator, or value, sd and n).
    """
    project, created = OutcomeProject.objects.get_or_create(owner=clinician, title=title, defaults=defaults)
    if created:
        if program is not None:
            project.linked_programs.add(program)
        Measurement.objects.bulk_create(
            [
                Measurement(
                    project=project,
                    period_start=start,
                    period_end=_month_end(start),
                    data_source="EHR prescribing report",
                    **figures,
                )
                for start, figures in months
            ]
        )
    return project, created


def _uti_project(clinician: User, program: Program | None) -> tuple[OutcomeProject, bool]:
    project, created = _demo_project(
        clinician,
        program,
        title="First-line antibiotics for pediatric UTI",
        defaults={
            "gap_statement": (
                "Fewer than half of children treated for a urinary tract infection in our clinics received the "
                "first-line antibiotic the guideline recommends, and courses were longer than needed."
            ),
            "setting": "Pediatric and family medicine outpatient clinics",
            "measure_name": "Pediatric UTI episodes treated with the first-line antibiotic",
            "measure_kind": MeasureKind.PROPORTION,
            "higher_is_better": True,
            "moore_level": "5",
            "baseline_start": datetime.date(2024, 1, 1),
            "baseline_end": datetime.date(2024, 12, 31),
            "baseline_numerator": UTI_BASELINE[0],
            "baseline_denominator": UTI_BASELINE[1],
            "target_value": 60,
            "change_implemented": (
                "Adopted the first-line antibiotic choice and short-course durations of the stewardship "
                "program; monthly audit and feedback of each clinic's prescribing."
            ),
            "co_interventions": CO_INTERVENTIONS,
            "status": ProjectStatus.REPORTED,
        },
        months=[(start, {"numerator": num, "denominator": den}) for start, num, den in UTI_MONTHS],
    )
    if created:
        ProjectTeamMember.objects.bulk_create(
            [
                _team_member(project, "clinician@demo.test"),
                _team_member(project, "pharmacist@demo.test"),
                _team_member(project, "nurse@demo.test"),
            ]
        )
        Presentation.objects.bulk_create(
            [
                Presentation(
                    project=project,
                    venue_kind=VenueKind.DEPARTMENT,
                    title="Pediatric UTI stewardship: 18-month results",
                    presented_on=datetime.date(2026, 8, 12),
                    audience="Pediatrics department, about 30 clinicians",
                ),
                Presentation(
                    project=project,
                    venue_kind=VenueKind.SYSTEM,
                    title="Antibiotic stewardship in outpatient pediatrics",
                    presented_on=datetime.date(2026, 10, 7),
                    audience="System-wide quality council",
                ),
            ]
        )
    return project, created


def _duration_project(clinician: User, program: Program | None) -> tuple[OutcomeProject, bool]:
    return _demo_project(
        clinician,
        program,
        title="Shorter antibiotic courses for pediatric UTI",
        defaults={
            "gap_statement": "Treatment courses for uncomplicated pediatric UTI averaged over 7 days.",
            "setting": "Pediatric outpatient clinics",
            "measure_name": "Mean antibiotic treatment duration for uncomplicated pediatric UTI",
            "measure_kind": MeasureKind.MEAN,
            "measure_unit": "days",
            "higher_is_better": False,
            "moore_level": "5",
            "baseline_start": datetime.date(2026, 1, 1),
            "baseline_end": datetime.date(2026, 6, 30),
            "baseline_value": 7.3,
            "baseline_n": 236,
            "baseline_sd": 2.1,
            "target_value": 6.0,
            "change_implemented": "Default short-course durations in the order set; clinician reminders.",
            "co_interventions": ["EHR order set default durations", "Pharmacist review of long courses"],
            "status": ProjectStatus.MEASURING,
        },
        months=[(start, {"value": mean, "sd": sd, "n": n}) for start, mean, sd, n in DURATION_MONTHS],
    )


def seed_outcomes(*, clinician: User, curator: User | None) -> dict[str, int]:
    """Seed evidence and the demo clinician's projects in one transaction; a second run adds nothing."""
    with transaction.atomic():
        evidence = seed_colorado_evidence(curator=curator)
        program = colorado_program()
        _, uti_created = _uti_project(clinician, program)
        _, duration_created = _duration_project(clinician, program)
    return {"evidence": evidence, "projects": int(uti_created) + int(duration_created)}
