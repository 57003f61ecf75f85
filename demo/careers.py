"""Demo profiles, licences, goals, shortlists and logged credits for the demo clinicians (idempotent).

The licence requirements below are EXAMPLE requirements for the demo, close to
what boards publish but not checked against any board's current rules.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from careers.models import (
    CareerGoal,
    ClinicianProfile,
    CreditAmount,
    CreditClaim,
    Licence,
    LicenceTopicRequirement,
    ShortlistEntry,
)
from programs.models import Program
from supervision.reminders import add_months

from .users import DemoAccounts, demo_user

DEMO_NOTE = "Example requirement for the demo; enter your own board's rules."


def _days(today: datetime.date, days: int) -> datetime.date:
    return today + datetime.timedelta(days=days)


def _demo_data(today: datetime.date) -> dict[str, dict[str, Any]]:
    return {
        "clinician@demo.test": {
            "profile": {
                "specialty": "Hospital medicine",
                "yearly_budget_amount": Decimal("5000"),
                "budget_used_amount": Decimal("1200"),
                "yearly_leave_days": Decimal("5"),
                "leave_used_days": Decimal("1"),
                "next_review_date": _days(today, 120),
            },
            "licences": [
                {
                    "jurisdiction": "California",
                    "licence_type": "Physician and surgeon (MD), example requirements",
                    "renewal_date": _days(today, 300),
                    "cycle_months": 24,
                    "hours_required": Decimal("50"),
                    "accepted_credit_types": ["ama_pra_1"],
                    "topics": {"opioids": Decimal("3")},
                }
            ],
            "goals": [
                {
                    "target_role": "Chief Medical Officer",
                    "track": "executive_leadership",
                    "competencies": ["healthcare_finance", "strategic_planning", "organizational_management"],
                    "essential_competencies": ["healthcare_finance"],
                    "horizon_date": _days(today, 3 * 365),
                    "weight_career": 5,
                    "is_active": True,
                },
                {
                    "target_role": "Hospital quality-improvement lead",
                    "track": "quality_improvement",
                    "competencies": ["quality_improvement", "patient_safety"],
                    "is_active": False,
                },
            ],
            "shortlist": [
                ("Emory Chief Medical Officer Program", "planned", "Ask about employer sponsorship."),
                ("Healthcare Finance for Clinical Leaders", "considering", ""),
                ("Physician and Nurse Executive Leadership Academy", "considering", ""),
                ("Hospital Medicine Update 2025", "completed", ""),
            ],
            "credits": [
                ("Hospital Medicine Update 2025", "Riverbend CME", _days(today, -200), {"ama_pra_1": "6.75"}, []),
                ("Grand rounds (outside the catalog)", "Riverside Health", _days(today, -90), {"ama_pra_1": "12"}, []),
                ("Journal reading, self-directed", "", _days(today, -60), {"ama_pra_2": "10"}, []),
            ],
        },
        "np@demo.test": {
            "profile": {
                "specialty": "Primary care",
                "yearly_budget_amount": Decimal("2500"),
                "budget_used_amount": Decimal("300"),
                "yearly_leave_days": Decimal("3"),
                "leave_used_days": Decimal("0"),
                "next_review_date": _days(today, 75),
            },
            "licences": [
                {
                    "jurisdiction": "National",
                    "licence_type": "FNP certification (AANPCB), example requirements",
                    "renewal_date": _days(today, 500),
                    "cycle_months": 60,
                    "hours_required": Decimal("100"),
                    "accepted_credit_types": ["ancc", "ancc_pharmacology", "ama_pra_1"],
                    "topics": {"opioids": Decimal("5")},
                }
            ],
            "goals": [
                {
                    "target_role": "NP with full advanced-practice scope in primary care",
                    "track": "advanced_practice",
                    "competencies": ["clinical_knowledge", "interprofessional_collaboration"],
                    "essential_competencies": ["clinical_knowledge"],
                    "horizon_date": _days(today, 2 * 365),
                    "is_active": True,
                }
            ],
            "shortlist": [
                ("NP Pharmacology Update: Controlled Substances and Pain Management", "planned", ""),
                ("DEA MATE Act Training: 8 Hours on Substance Use Disorders", "considering", ""),
            ],
            "credits": [
                ("Primary care update", "Regional NP association", _days(today, -150), {"ancc": "12"}, []),
            ],
        },
        "pharmacist@demo.test": {
            "profile": {
                "specialty": "Ambulatory care",
                "yearly_budget_amount": Decimal("1500"),
                "budget_used_amount": Decimal("0"),
                "yearly_leave_days": Decimal("2"),
                "leave_used_days": Decimal("0"),
                "next_review_date": _days(today, 200),
            },
            "licences": [
                {
                    "jurisdiction": "California",
                    "licence_type": "Pharmacist, example requirements",
                    "renewal_date": _days(today, 400),
                    "cycle_months": 24,
                    "hours_required": Decimal("30"),
                    "accepted_credit_types": ["acpe"],
                    "topics": {},
                }
            ],
            "goals": [
                {
                    "target_role": "Pharmacy quality-improvement lead",
                    "track": "quality_improvement",
                    "competencies": ["quality_improvement", "patient_safety", "data_and_informatics"],
                    "essential_competencies": ["quality_improvement"],
                    "horizon_date": _days(today, 2 * 365),
                    "is_active": True,
                }
            ],
            "shortlist": [
                ("Clinical Quality Improvement Leadership Certificate", "planned", ""),
                ("Anticoagulation Therapy Update for Pharmacists", "considering", ""),
            ],
            "credits": [
                ("Medication safety webinar", "State pharmacy association", _days(today, -40), {"acpe": "2"}, []),
            ],
        },
        "nurse@demo.test": {
            "profile": {
                "specialty": "Medical-surgical nursing",
                "yearly_budget_amount": Decimal("1000"),
                "budget_used_amount": Decimal("0"),
                "yearly_leave_days": Decimal("2"),
                "leave_used_days": Decimal("0"),
                "next_review_date": _days(today, 150),
            },
            "licences": [
                {
                    "jurisdiction": "California",
                    "licence_type": "Registered nurse, example requirements",
                    "renewal_date": _days(today, 250),
                    "cycle_months": 24,
                    "hours_required": Decimal("30"),
                    "accepted_credit_types": ["ancc", "ancc_pharmacology"],
                    "topics": {"implicit_bias": Decimal("1")},
                }
            ],
            "goals": [
                {
                    "target_role": "Charge nurse",
                    "track": "department_leadership",
                    "competencies": ["organizational_management", "communication"],
                    "is_active": True,
                }
            ],
            "shortlist": [("Charge Nurse Leadership Essentials", "considering", "")],
            "credits": [],
        },
    }


def seed_careers(*, accounts: DemoAccounts, today: datetime.date | None = None) -> dict[str, int]:
    """Give the demo clinicians profiles, licences, goals, shortlists and credits; a second run adds nothing."""
    today = today or timezone.localdate()
    created = {"profiles": 0, "licences": 0, "goals": 0, "shortlist": 0, "credits": 0}
    programs = {program.title: program for program in Program.objects.all()}
    with transaction.atomic():
        for email, data in _demo_data(today).items():
            user = accounts.users.get(email)
            if user is None:
                continue
            _, was_created = ClinicianProfile.objects.get_or_create(
                user=user,
                defaults={
                    **data["profile"],
                    "profession": demo_user(email).profession,
                    "confirmed_profession": demo_user(email).profession,
                },
            )
            created["profiles"] += was_created
            for spec in data["licences"]:
                spec = dict(spec)
                topics = spec.pop("topics")
                licence, was_created = Licence.objects.get_or_create(
                    user=user,
                    jurisdiction=spec.pop("jurisdiction"),
                    licence_type=spec.pop("licence_type"),
                    defaults=spec,
                )
                created["licences"] += was_created
                for topic, hours in topics.items():
                    LicenceTopicRequirement.objects.get_or_create(
                        licence=licence, topic=topic, defaults={"hours": hours}
                    )
            for spec in data["goals"]:
                spec = dict(spec)
                is_active = spec.pop("is_active")
                if (
                    is_active
                    and CareerGoal.objects.filter(user=user, is_active=True)
                    .exclude(target_role=spec["target_role"])
                    .exists()
                ):
                    is_active = False
                _, was_created = CareerGoal.objects.get_or_create(
                    user=user, target_role=spec.pop("target_role"), defaults={**spec, "is_active": is_active}
                )
                created["goals"] += was_created
            entries: dict[str, ShortlistEntry] = {}
            for title, status, note in data["shortlist"]:
                program = programs.get(title)
                if program is None:
                    continue
                dates = {f"{status}_on": today} if status != "considering" else {}
                if status == "completed":
                    # Completed three months ago: the practice follow-up is due, so `make run` (which sends
                    # due reminders after seeding) shows one in the notifications.
                    dates = {"completed_on": add_months(today, -3)}
                entry, was_created = ShortlistEntry.objects.get_or_create(
                    user=user, program=program, defaults={"status": status, "note": note, **dates}
                )
                entries[title] = entry
                created["shortlist"] += was_created
            for title, provider, completed_on, amounts, topics in data["credits"]:
                if CreditClaim.objects.filter(user=user, title=title).exists():
                    continue
                shortlisted = entries.get(title)
                claim = CreditClaim.objects.create(
                    user=user,
                    title=title,
                    provider_name=provider,
                    completed_on=completed_on,
                    topics=topics,
                    program=shortlisted.program if shortlisted else None,
                    shortlist_entry=shortlisted if shortlisted and not hasattr(shortlisted, "credit_claim") else None,
                )
                CreditAmount.objects.bulk_create(
                    [
                        CreditAmount(claim=claim, credit_type=kind, amount=Decimal(value))
                        for kind, value in amounts.items()
                    ]
                )
                created["credits"] += 1
    return created
