"""Read functions: a clinician's projects, their reports, the portfolio, its export and evidence."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User
from careers.models import CareerGoal, ClinicianProfile, CreditAmount, CreditClaim, Licence, ShortlistEntry
from cme_portal.tokens import token_presented_digest
from programs.choices import Competency, CreditType
from programs.models import Program

from . import runchart, statistics
from .models import (
    MeasureKind,
    Measurement,
    OutcomeProject,
    PortfolioShareLink,
    Presentation,
    ProgramOutcomeEvidence,
    ProjectTeamMember,
)

# --- Projects ------------------------------------------------------------------


def project_list_for_owner(*, owner: User) -> QuerySet[OutcomeProject]:
    """The owner's projects, newest activity first, with their measurement count."""
    return OutcomeProject.objects.filter(owner=owner).annotate(measurement_count=Count("measurements"))


def _project_prefetches() -> list[Any]:
    return [
        Prefetch("measurements", queryset=Measurement.objects.order_by("period_start", "id")),
        Prefetch("presentations", queryset=Presentation.objects.order_by("-presented_on", "-id")),
        Prefetch("team_members", queryset=ProjectTeamMember.objects.order_by("name", "id")),
        Prefetch("linked_programs", queryset=Program.objects.order_by("title")),
        Prefetch("linked_claims", queryset=CreditClaim.objects.order_by("-completed_on")),
    ]


def projects_with_details(*, owner: User) -> QuerySet[OutcomeProject]:
    """The owner's projects with everything a report shows, prefetched (a fixed number of queries)."""
    return OutcomeProject.objects.filter(owner=owner).prefetch_related(*_project_prefetches())


def project_for_owner(*, owner: User, project_id: int) -> OutcomeProject:
    """One project of the owner; raises OutcomeProject.DoesNotExist for anyone else's."""
    return projects_with_details(owner=owner).get(pk=project_id)


# --- Project report --------------------------------------------------------------


def sample_for(kind: str, *, numerator: Any, denominator: Any, value: Any, n: Any, sd: Any) -> statistics.Sample:
    if kind == MeasureKind.PROPORTION:
        return statistics.ProportionSample(numerator, denominator)
    if kind == MeasureKind.MEAN or (kind == MeasureKind.DURATION and sd is not None and n):
        return statistics.MeanSample(value, n or 1, sd)
    return statistics.ValueSample(value, n)


def baseline_sample(project: OutcomeProject) -> statistics.Sample:
    return sample_for(
        project.measure_kind,
        numerator=project.baseline_numerator,
        denominator=project.baseline_denominator,
        value=project.baseline_value,
        n=project.baseline_n,
        sd=project.baseline_sd,
    )


def measurement_sample(project: OutcomeProject, measurement: Measurement) -> statistics.Sample:
    return sample_for(
        project.measure_kind,
        numerator=measurement.numerator,
        denominator=measurement.denominator,
        value=measurement.value,
        n=measurement.n,
        sd=measurement.sd,
    )


def chart_scale(project: OutcomeProject) -> float:
    """Proportions are charted and compared as percentages, every other measure as entered."""
    return 100.0 if project.is_proportion else 1.0


@dataclass(frozen=True)
class ProjectResult:
    """A project's series (baseline first), its run-chart signals and baseline versus one measurement.

    Numbers only; outcomes.presenters words and draws them.
    """

    project: OutcomeProject
    measurements: list[Measurement]
    samples: list[statistics.Sample]  # baseline, then each measurement
    values: list[float]  # each sample's estimate on the chart's scale (see chart_scale)
    analysis: runchart.RunChartAnalysis
    compared: Measurement | None  # the latest measurement unless another was chosen
    difference: statistics.Difference | None  # None before the first measurement
    direction: str = ""  # "better", "worse" or "unchanged" when there is a difference

    @property
    def periods(self) -> list[tuple[datetime.date, datetime.date]]:
        project = self.project
        return [(project.baseline_start, project.baseline_end)] + [
            (m.period_start, m.period_end) for m in self.measurements
        ]


def project_result(project: OutcomeProject, *, compare_to: int | None = None) -> ProjectResult:
    """Baseline versus the latest (or the chosen) measurement, and the run-chart analysis.

    Uses only the project's prefetched measurements: no queries.
    """
    measurements = list(project.measurements.all())
    compared = None
    if measurements:
        compared = next((m for m in measurements if m.pk == compare_to), measurements[-1])
    scale = chart_scale(project)
    before_sample = baseline_sample(project)
    samples = [before_sample] + [measurement_sample(project, m) for m in measurements]
    values = [sample.estimate * scale for sample in samples]
    analysis = runchart.analyse(values, baseline_count=1)
    if compared is None:
        return ProjectResult(project, measurements, samples, values, analysis, None, None)
    difference = statistics.compare(before_sample, measurement_sample(project, compared))
    direction = statistics.direction(difference.difference, higher_is_better=project.higher_is_better)
    return ProjectResult(project, measurements, samples, values, analysis, compared, difference, direction)


# --- Portfolio ----------------------------------------------------------------------


@dataclass(frozen=True)
class CreditTotal:
    credit_type: str
    label: str
    total: Decimal


@dataclass(frozen=True)
class GoalProgress:
    goal: CareerGoal
    covered: list[str]
    missing: list[str]

    @property
    def total(self) -> int:
        return len(self.covered) + len(self.missing)


@dataclass(frozen=True)
class Portfolio:
    owner: User
    profile: ClinicianProfile | None
    claims: list[CreditClaim]
    credit_totals: list[CreditTotal]
    goal_progress: GoalProgress | None
    results: list[ProjectResult]
    presentations: list[tuple[OutcomeProject, Presentation]]


def portfolio_for(*, owner: User) -> Portfolio:
    """Everything the portfolio page shows, in a fixed number of queries whatever the data size."""
    profile = ClinicianProfile.objects.filter(user=owner).first()
    claims = list(
        CreditClaim.objects.filter(user=owner)
        .select_related("program")
        .prefetch_related(Prefetch("amounts", queryset=CreditAmount.objects.order_by("credit_type")))
        .order_by("-completed_on", "-id")
    )
    labels = dict(CreditType.choices)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for claim in claims:
        for amount in claim.amounts.all():
            totals[amount.credit_type] += amount.amount
    credit_totals = [
        CreditTotal(code, str(labels.get(code, code)), totals[code]) for code in CreditType.values if code in totals
    ]
    goal = CareerGoal.objects.filter(user=owner, is_active=True).first()
    goal_progress = None
    if goal is not None:
        done: set[str] = set()
        for claim in claims:
            if claim.program is not None:
                done.update(claim.program.competencies)
        names = dict(Competency.choices)
        goal_progress = GoalProgress(
            goal=goal,
            covered=[str(names[c]) for c in goal.competencies if c in done],
            missing=[str(names[c]) for c in goal.competencies if c not in done],
        )
    projects = list(projects_with_details(owner=owner).order_by("-updated_at", "-id"))
    results = [project_result(project) for project in projects]
    presentations = sorted(
        ((project, p) for project in projects for p in project.presentations.all()),
        key=lambda pair: pair[1].presented_on,
        reverse=True,
    )
    return Portfolio(owner, profile, claims, credit_totals, goal_progress, results, presentations)


def share_link_for_token(*, token: str, today: datetime.date | None = None) -> PortfolioShareLink | None:
    """The active (not expired, not revoked) link for a token, else None."""
    today = today or timezone.localdate()
    digest = token_presented_digest(token)
    if digest is None:
        return None
    return (
        PortfolioShareLink.objects.select_related("owner")
        .filter(token_digest=digest, revoked_at__isnull=True, expires_on__gte=today)
        .first()
    )


def share_links_for_owner(*, owner: User) -> QuerySet[PortfolioShareLink]:
    return PortfolioShareLink.objects.filter(owner=owner).annotate(access_count=Count("accesses"))


def share_link_opening_count(*, link: PortfolioShareLink) -> int:
    """How many times the link was opened (one query)."""
    return link.accesses.count()


# --- Export ---------------------------------------------------------------------------


def _iso(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: _iso(getattr(obj, name)) for name in names}


def portfolio_export(*, owner: User) -> dict[str, Any]:
    """All of the clinician's own data as JSON-ready dicts; nothing of anyone else."""
    profile = ClinicianProfile.objects.filter(user=owner).first()
    licences = Licence.objects.filter(user=owner).prefetch_related("topic_requirements")
    goals = CareerGoal.objects.filter(user=owner)
    shortlist = ShortlistEntry.objects.filter(user=owner).select_related("program")
    claims = CreditClaim.objects.filter(user=owner).prefetch_related("amounts")
    projects = projects_with_details(owner=owner).order_by("created_at", "id")
    return {
        "format": "cme-portal-portfolio-export",
        "version": 1,
        "exported_at": timezone.now().isoformat(),
        "user": {"email": owner.email, "full_name": owner.full_name},
        "profile": _row(profile, ClinicianProfile.ENTERED_FIELDS) if profile else None,
        "licences": [
            {
                **_row(lic, ["jurisdiction", "licence_type", "renewal_date", "cycle_months", "hours_required"]),
                "accepted_credit_types": lic.accepted_credit_types,
                "topic_requirements": [_row(t, ["topic", "hours"]) for t in lic.topic_requirements.all()],
            }
            for lic in licences
        ],
        "goals": [
            {
                **_row(
                    g,
                    [
                        "track",
                        "target_role",
                        "horizon_date",
                        "is_active",
                        "weight_outcome",
                        "weight_independence",
                        "weight_interprofessional",
                        "weight_career",
                    ],
                ),
                "competencies": g.competencies,
                "essential_competencies": g.essential_competencies,
            }
            for g in goals
        ],
        "shortlist": [
            {
                "program_id": e.program_id,
                "program_title": e.program.title,
                **_row(e, ["status", "planned_on", "enrolled_on", "completed_on", "dropped_on", "note"]),
            }
            for e in shortlist
        ],
        "credit_claims": [
            {
                **_row(c, ["title", "provider_name", "completed_on", "program_id"]),
                "topics": c.topics,
                "credits": [_row(a, ["credit_type", "amount"]) for a in c.amounts.all()],
            }
            for c in claims
        ],
        "outcome_projects": [
            {
                **_row(p, OutcomeProject.ENTERED_FIELDS),
                "co_interventions": p.co_interventions,
                "linked_programs": [{"id": prog.pk, "title": prog.title} for prog in p.linked_programs.all()],
                "linked_credit_claims": [c.title for c in p.linked_claims.all()],
                "team_members": [_row(t, ["name", "profession"]) for t in p.team_members.all()],
                "measurements": [
                    _row(
                        m,
                        ["period_start", "period_end", "numerator", "denominator", "value", "n", "sd", "data_source"],
                    )
                    for m in p.measurements.all()
                ],
                "presentations": [
                    _row(pr, ["venue_kind", "title", "presented_on", "audience"]) for pr in p.presentations.all()
                ],
            }
            for p in projects
        ],
    }


# --- Program evidence ---------------------------------------------------------------------


def program_outcome_evidence(*, program: Program) -> list[ProgramOutcomeEvidence]:
    """A program's curated outcome evidence, verified first (one query)."""
    return list(ProgramOutcomeEvidence.objects.filter(program=program).order_by("-verified", "metric", "id"))


def program_outcome_evidence_for_curators(*, program: Program) -> list[ProgramOutcomeEvidence]:
    """A program's outcome evidence with who verified each row, verified first (one query, however many rows)."""
    return list(
        ProgramOutcomeEvidence.objects.filter(program=program)
        .select_related("verified_by")
        .order_by("-verified", "metric", "id")
    )


def programs_with_verified_evidence(*, program_ids: Iterable[int]) -> set[int]:
    """Which of these programs have verified outcome evidence (one query).

    The rule itself: evidence counts once a curator verified it. The programs app keeps
    the answer on `Program.has_verified_outcome_evidence` (see services); callers above
    programs may ask here.
    """
    return set(
        ProgramOutcomeEvidence.objects.filter(program_id__in=set(program_ids), verified=True)
        .values_list("program_id", flat=True)
        .distinct()
    )


def other_verified_evidence_count(*, evidence: ProgramOutcomeEvidence) -> int:
    """How many verified evidence rows the evidence's program has besides this one (one query)."""
    rows = ProgramOutcomeEvidence.objects.filter(program_id=evidence.program_id, verified=True)
    return rows.exclude(pk=evidence.pk).count()
