"""Synthetic listings for benchmarks: varied, valid, deterministic for a seed, fast to insert."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from programs.choices import (
    AccreditationStatus,
    Accreditor,
    ActivityFormat,
    CareerTrack,
    CommercialSupport,
    Competency,
    CreditType,
    Delivery,
    DesignedToChange,
    MandatedTopic,
    OutcomeLevel,
    Profession,
    ProgramStatus,
)
from programs.exchange.bulk import bulk_insert, bulk_insert_programs
from programs.models import CreditOffering, Program, Provider
from programs.ranking import scoring
from programs.selectors import program_signals

TOPICS = [
    "sepsis",
    "heart failure",
    "diabetes",
    "hypertension",
    "antibiotic stewardship",
    "asthma",
    "stroke",
    "palliative care",
    "telehealth",
    "wound care",
    "obstetrics",
    "geriatrics",
    "leadership",
    "finance",
    *[topic.value for topic in MandatedTopic],
]
SPECIALTIES = [
    "internal medicine",
    "family medicine",
    "pediatrics",
    "cardiology",
    "emergency medicine",
    "oncology",
    "psychiatry",
    "surgery",
    "critical care",
    "infectious disease",
    "hospital medicine",
    "nursing",
]
WORDS = ["Advances", "Update", "Leadership", "Improving", "Essentials", "Masterclass", "Summit", "Workshop"]
PRACTICE_SENTENCE = "Participants measure their practice, implement a change and report performance improvement."
PLAIN_SENTENCE = "Earn credit hours on the latest topics."
ACCREDITORS = Accreditor.values
STATUSES = AccreditationStatus.values
PROFESSIONS = Profession.values[:6]
CREDIT_TYPES = CreditType.values
COMMERCIAL_SUPPORT = [*CommercialSupport.values, ""]
FORMATS = ActivityFormat.values
DELIVERIES = Delivery.values
COMPETENCIES = Competency.values
TRACKS = CareerTrack.values
DESIGNED = DesignedToChange.values
LEVELS = [*OutcomeLevel.values, "", ""]


def _sample(rng: random.Random, values: list[str], low: int, high: int) -> list[str]:
    return rng.sample(values, rng.randint(low, min(high, len(values))))


def synthetic_programs_create(*, count: int, seed: int = 7, batch_size: int = 2000) -> int:
    """Insert `count` published synthetic programs with credits and stored sub-scores; returns count."""
    rng = random.Random(seed)
    today = timezone.localdate()
    with transaction.atomic():
        providers = _providers(rng)
        start_index = Program.objects.filter(external_id__startswith="SYN-").count()
        created = 0
        while created < count:
            size = min(batch_size, count - created)
            batch: list[Program] = []
            credits: list[list[tuple[str, Decimal]]] = []
            for offset in range(size):
                number = start_index + created + offset
                program, program_credits = _program(rng, providers, number, today)
                batch.append(program)
                credits.append(program_credits)
            bulk_insert_programs(batch)
            bulk_insert(
                CreditOffering,
                [
                    CreditOffering(program_id=program.pk, credit_type=credit_type, amount=amount)
                    for program, program_credits in zip(batch, credits, strict=True)
                    for credit_type, amount in program_credits
                ],
            )
            created += size
    return created


def _providers(rng: random.Random) -> list[Provider]:
    accreditors = ACCREDITORS
    existing = {p.name: p for p in Provider.objects.filter(name__startswith="Synthetic Provider ")}
    missing = [
        Provider(
            name=f"Synthetic Provider {index:03d}",
            accreditor=rng.choice(accreditors),
            accreditation_status=rng.choice(STATUSES),
            jointly_accredited=rng.random() < 0.2,
        )
        for index in range(200)
        if f"Synthetic Provider {index:03d}" not in existing
    ]
    Provider.objects.bulk_create(missing)
    return list(Provider.objects.filter(name__startswith="Synthetic Provider ").order_by("name"))


def _program(
    rng: random.Random, providers: list[Provider], number: int, today: datetime.date
) -> tuple[Program, list[tuple[str, Decimal]]]:
    provider = rng.choice(providers)
    start = today + datetime.timedelta(days=rng.randint(-30, 360))
    end = start + datetime.timedelta(days=rng.choice([0, 1, 2, 4, 30, 180]))
    professions = _sample(rng, PROFESSIONS, 0, 4)
    credit_types = _sample(rng, CREDIT_TYPES, 1, 3)
    program_credits = [(credit_type, Decimal(rng.randint(1, 80)) / 2) for credit_type in credit_types]
    practice = rng.random() < 0.35
    support = rng.choice(COMMERCIAL_SUPPORT)
    program = Program(
        provider=provider,
        external_id=f"SYN-{number:07d}",
        title=f"{rng.choice(WORDS)} in {rng.choice(TOPICS).title()} {number}",
        description=PRACTICE_SENTENCE if practice else PLAIN_SENTENCE,
        format=rng.choice(FORMATS),
        delivery=rng.choice(DELIVERIES),
        start_date=start,
        end_date=end if rng.random() < 0.9 else None,
        fee_amount=Decimal(rng.choice([0, 0, 50, 150, 300, 600, 1200, 2500, 5000, 15000])),
        time_commitment_hours=Decimal(rng.randint(1, 80)),
        leave_days=Decimal(rng.choice([0, 0, 0, 1, 2, 3, 5])),
        professions=professions,
        planning_professions=_sample(rng, PROFESSIONS, 0, 4),
        specialties=_sample(rng, SPECIALTIES, 0, 2),
        topics=_sample(rng, TOPICS, 1, 3),
        competencies=_sample(rng, COMPETENCIES, 0, 4),
        career_tracks=_sample(rng, TRACKS, 0, 2),
        designed_to_change=_sample(rng, DESIGNED, 0, 2),
        outcome_level_measured=rng.choice(LEVELS),
        publishes_outcomes=rng.random() < 0.2,
        requires_practice_project=rng.random() < 0.15,
        ehr_integration=rng.random() < 0.15,
        commercial_support=support,
        commercial_supporters=["Synthetic Pharma Inc."] if support in {"disclosed", "undisclosed"} else [],
        disclosures_published=rng.random() < 0.7,
        ancillary_marketing=rng.random() < 0.1,
        ipce_credit="ipce" in credit_types,
        status=ProgramStatus.PUBLISHED,
    )
    signals = program_signals(program, credits=dict(program_credits), has_verified_outcome_evidence=False)
    scores = scoring.static_scores(signals)
    program.static_points_set(scores)
    return program, program_credits
