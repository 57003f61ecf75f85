"""Read functions: a clinician's projects, their reports, the portfolio, its export and evidence."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User
from careers.models import CareerGoal, ClinicianProfile, CreditAmount, CreditClaim, Licence, ShortlistEntry
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


def _scale(project: OutcomeProject) -> float:
    return 100.0 if project.is_proportion else 1.0


def _num(value: float, digits: int = 1, *, signed: bool = False) -> str:
    text = f"{value:+,.{digits}f}" if signed else f"{value:,.{digits}f}"
    return text.replace("-", "−")


def period_label(start: datetime.date, end: datetime.date) -> str:
    if (end - start).days >= 27 and start.day == 1:
        return f"{start:%b %Y}" if (start.year, start.month) == (end.year, end.month) else f"{start:%b %Y}–{end:%b %Y}"
    return f"{start:%b} {start.day}, {start.year}"


@dataclass(frozen=True)
class ChartRow:
    label: str
    period: str
    value: str
    n: str
    detail: str
    signal: str


@dataclass(frozen=True)
class ProjectReport:
    """What the project page and the portfolio show about one project's result."""

    project: OutcomeProject
    compared: Measurement | None
    difference: statistics.Difference | None
    unit: str
    change_unit: str
    before: str = ""
    after: str = ""
    n_before: int | None = None
    n_after: int | None = None
    absolute_change: str = ""
    relative_change: str = ""
    interval: str = ""
    p_value: str = ""
    direction: str = ""
    direction_text: str = ""
    caveat: str = ""
    method_note: str = ""
    svg: str = ""
    rows: list[ChartRow] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)

    @property
    def has_result(self) -> bool:
        return self.difference is not None


def causation_caveat(project: OutcomeProject) -> str:
    """The honest wording every result carries."""
    if project.co_interventions:
        return (
            f"Before/after comparison with co-interventions ({', '.join(project.co_interventions)}): "
            "this does not show that the CME alone caused the change."
        )
    return (
        "Before/after comparison; no co-interventions were recorded, but other changes over the same time "
        "could explain the result: this does not show that the CME caused the change."
    )


def _n_of(sample: statistics.Sample) -> int | None:
    return sample.n


def _display(project: OutcomeProject, value: float) -> str:
    unit = project.display_unit
    text = _num(value * _scale(project), 1)
    return f"{text}%" if unit == "%" else (f"{text} {unit}" if unit else text)


def project_report(project: OutcomeProject, *, compare_to: int | None = None, chart_id: str = "") -> ProjectReport:
    """Baseline versus the latest (or the chosen) measurement, and the run chart.

    Uses only the project's prefetched measurements: no queries.
    """
    measurements = list(project.measurements.all())
    unit = project.display_unit
    change_unit = "percentage points" if project.is_proportion else unit
    compared = None
    if measurements:
        compared = next((m for m in measurements if m.pk == compare_to), measurements[-1])
    scale = _scale(project)
    before_sample = baseline_sample(project)
    report: dict[str, Any] = {"project": project, "compared": compared, "unit": unit, "change_unit": change_unit}
    report["caveat"] = causation_caveat(project)

    # Run chart over baseline + all measurements.
    points = [runchart.ChartPoint("Baseline", before_sample.estimate * scale)]
    samples = [before_sample]
    for m in measurements:
        sample = measurement_sample(project, m)
        samples.append(sample)
        points.append(runchart.ChartPoint(period_label(m.period_start, m.period_end), sample.estimate * scale))
    analysis = runchart.analyse([p.value for p in points], baseline_count=1)
    report["signals"] = [f"Shift: {r.length} points in a row {r.kind} the baseline median" for r in analysis.shifts] + [
        f"Trend: {r.length} points in a row going {r.kind}" for r in analysis.trends
    ]
    if len(points) > 1:
        report["svg"] = runchart.render_svg(
            points,
            analysis,
            title=f"Run chart: {project.measure_name}",
            unit=unit,
            target=project.target_value,
            chart_id=chart_id or f"runchart-{project.pk}",
        )
    periods = [(project.baseline_start, project.baseline_end)] + [(m.period_start, m.period_end) for m in measurements]
    rows = []
    for index, (point, sample, (start, end)) in enumerate(zip(points, samples, periods, strict=True)):
        detail = ""
        if isinstance(sample, statistics.ProportionSample):
            detail = f"{sample.numerator:,} of {sample.denominator:,}"
        elif isinstance(sample, statistics.MeanSample) and sample.sd is not None:
            detail = f"SD {_num(sample.sd, 2)}"
        in_shift = any(r.start <= index <= r.end for r in analysis.shifts)
        in_trend = any(r.start <= index <= r.end for r in analysis.trends)
        signal = ", ".join(name for name, flag in (("shift", in_shift), ("trend", in_trend)) if flag)
        n = sample.n
        rows.append(
            ChartRow(
                label=point.label if index else "Baseline",
                period=f"{start:%Y-%m-%d} to {end:%Y-%m-%d}",
                value=_display(project, sample.estimate),
                n=f"{n:,}" if n else "not recorded",
                detail=detail,
                signal=signal,
            )
        )
    report["rows"] = rows

    if compared is None:
        return ProjectReport(difference=None, **report)
    after_sample = measurement_sample(project, compared)
    diff = statistics.compare(before_sample, after_sample)
    report["difference"] = diff
    report["before"] = _display(project, diff.before)
    report["after"] = _display(project, diff.after)
    report["n_before"] = _n_of(before_sample)
    report["n_after"] = _n_of(after_sample)
    suffix = f" {change_unit}" if change_unit and change_unit != "%" else ""
    report["absolute_change"] = _num(diff.difference * scale, 1, signed=True) + suffix
    relative = diff.relative_change
    report["relative_change"] = (
        "not defined (baseline is 0)" if relative is None else _num(relative * 100, 1, signed=True) + "%"
    )
    report["direction"] = statistics.direction(diff.difference, higher_is_better=project.higher_is_better)
    better = "higher" if project.higher_is_better else "lower"
    report["direction_text"] = {
        "better": f"in the better direction ({better} is better)",
        "worse": f"in the worse direction ({better} is better)",
        "unchanged": "no change",
    }[report["direction"]]
    if diff.has_interval:
        report["interval"] = (
            f"{_num(diff.ci_low * scale, 1, signed=True)} to {_num(diff.ci_high * scale, 1, signed=True)}{suffix}"  # type: ignore[operator]
        )
        report["p_value"] = statistics.format_p(diff.p_value)  # type: ignore[arg-type]
        if diff.interval_excludes_zero:
            report["method_note"] = "The 95% interval excludes no change."
        else:
            report["method_note"] = "The 95% interval includes no change: the data are compatible with no real change."
    else:
        report["method_note"] = (
            "No interval or test: this needs numerators and denominators (proportions) or n and SD on both sides "
            "(means)."
        )
    return ProjectReport(**report)


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
    reports: list[ProjectReport]
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
    reports = [project_report(project) for project in projects]
    presentations = sorted(
        ((project, p) for project in projects for p in project.presentations.all()),
        key=lambda pair: pair[1].presented_on,
        reverse=True,
    )
    return Portfolio(owner, profile, claims, credit_totals, goal_progress, reports, presentations)


def share_link_for_token(*, token: str, today: datetime.date | None = None) -> PortfolioShareLink | None:
    """The active (not expired, not revoked) link for a token, else None."""
    today = today or timezone.localdate()
    if not token or len(token) > 64:
        return None
    return (
        PortfolioShareLink.objects.select_related("owner")
        .filter(token=token, revoked_at__isnull=True, expires_on__gte=today)
        .first()
    )


def share_links_for_owner(*, owner: User) -> QuerySet[PortfolioShareLink]:
    return PortfolioShareLink.objects.filter(owner=owner).annotate(access_count=Count("accesses"))


# --- Export ---------------------------------------------------------------------------


def _iso(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj: Any, names: list[str]) -> dict[str, Any]:
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
        "profile": _row(
            profile,
            [
                "profession",
                "specialty",
                "budget_year_start",
                "yearly_budget_amount",
                "budget_used_amount",
                "yearly_leave_days",
                "leave_used_days",
                "next_review_date",
            ],
        )
        if profile
        else None,
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
                **_row(
                    p,
                    [
                        "title",
                        "gap_statement",
                        "setting",
                        "measure_name",
                        "measure_kind",
                        "measure_unit",
                        "higher_is_better",
                        "moore_level",
                        "baseline_start",
                        "baseline_end",
                        "baseline_numerator",
                        "baseline_denominator",
                        "baseline_value",
                        "baseline_n",
                        "baseline_sd",
                        "target_value",
                        "change_implemented",
                        "status",
                    ],
                ),
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
