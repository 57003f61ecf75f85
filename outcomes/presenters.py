"""What the outcome pages show: a project's result (wording, run chart, data table) and program evidence.

Presenters turn `selectors.ProjectResult` into the strings and the SVG that
templates/outcomes/_project_report.html shows, and word a program's curated
outcome evidence the same way on the program page and in a funding request's
snapshot (`evidence_line`); and what a delete or a revocation would lose. No queries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace

from django.utils import timezone

from cme_portal.confirmation import Confirmation, counted, listed
from programs.ranking.fit import format_date

from . import runchart, statistics
from .models import (
    Measurement,
    OutcomeProject,
    PortfolioShareLink,
    Presentation,
    ProgramOutcomeEvidence,
    ProjectTeamMember,
)
from .selectors import Portfolio, ProjectResult, chart_scale


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


def _num(value: float, digits: int = 1, *, signed: bool = False) -> str:
    text = f"{value:+,.{digits}f}" if signed else f"{value:,.{digits}f}"
    return text.replace("-", "−")


def period_label(start: datetime.date, end: datetime.date) -> str:
    if (end - start).days >= 27 and start.day == 1:
        return f"{start:%b %Y}" if (start.year, start.month) == (end.year, end.month) else f"{start:%b %Y}–{end:%b %Y}"
    return format_date(start)


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


def _display(project: OutcomeProject, value: float) -> str:
    unit = project.display_unit
    text = _num(value * chart_scale(project), 1)
    return f"{text}%" if unit == "%" else (f"{text} {unit}" if unit else text)


def _chart_rows(result: ProjectResult, labels: list[str]) -> list[ChartRow]:
    analysis = result.analysis
    rows = []
    for index, (label, sample, (start, end)) in enumerate(zip(labels, result.samples, result.periods, strict=True)):
        detail = ""
        if isinstance(sample, statistics.ProportionSample):
            detail = f"{sample.numerator:,} of {sample.denominator:,}"
        elif isinstance(sample, statistics.MeanSample) and sample.sd is not None:
            detail = f"SD {_num(sample.sd, 2)}"
        n = sample.n
        rows.append(
            ChartRow(
                label=label,
                period=f"{start:%Y-%m-%d} to {end:%Y-%m-%d}",
                value=_display(result.project, sample.estimate),
                n=f"{n:,}" if n else "not recorded",
                detail=detail,
                signal=runchart.point_signal(analysis, index),
            )
        )
    return rows


def _with_comparison(report: ProjectReport, result: ProjectResult, diff: statistics.Difference) -> ProjectReport:
    project = result.project
    scale = chart_scale(project)
    change_unit = report.change_unit
    suffix = f" {change_unit}" if change_unit and change_unit != "%" else ""
    relative = diff.relative_change
    better = "higher" if project.higher_is_better else "lower"
    interval = p_value = ""
    if diff.ci_low is not None and diff.ci_high is not None:
        low, high = _num(diff.ci_low * scale, 1, signed=True), _num(diff.ci_high * scale, 1, signed=True)
        interval = f"{low} to {high}{suffix}"
        p_value = statistics.format_p(diff.p_value) if diff.p_value is not None else ""
        if diff.interval_excludes_zero:
            method_note = "The 95% interval excludes no change."
        else:
            method_note = "The 95% interval includes no change: the data are compatible with no real change."
    else:
        method_note = (
            "No interval or test: this needs numerators and denominators (proportions) or n and SD on both sides "
            "(means)."
        )
    compared_sample = result.samples[result.measurements.index(result.compared) + 1] if result.compared else None
    return replace(
        report,
        before=_display(project, diff.before),
        after=_display(project, diff.after),
        n_before=result.samples[0].n,
        n_after=compared_sample.n if compared_sample is not None else None,
        absolute_change=_num(diff.difference * scale, 1, signed=True) + suffix,
        relative_change=(
            "not defined (baseline is 0)" if relative is None else _num(relative * 100, 1, signed=True) + "%"
        ),
        interval=interval,
        p_value=p_value,
        direction=result.direction,
        direction_text={
            "better": f"in the better direction ({better} is better)",
            "worse": f"in the worse direction ({better} is better)",
            "unchanged": "no change",
        }[result.direction],
        method_note=method_note,
    )


def project_report(result: ProjectResult, *, chart_id: str = "") -> ProjectReport:
    """The words, run chart and data table of a project's result."""
    project = result.project
    unit = project.display_unit
    labels = ["Baseline"] + [period_label(m.period_start, m.period_end) for m in result.measurements]
    analysis = result.analysis
    svg = ""
    if len(result.values) > 1:
        svg = runchart.render_svg(
            [runchart.ChartPoint(label, value) for label, value in zip(labels, result.values, strict=True)],
            analysis,
            title=f"Run chart: {project.measure_name}",
            unit=unit,
            target=project.target_value,
            chart_id=chart_id or f"runchart-{project.pk}",
        )
    report = ProjectReport(
        project=project,
        compared=result.compared,
        difference=result.difference,
        unit=unit,
        change_unit="percentage points" if project.is_proportion else unit,
        caveat=causation_caveat(project),
        svg=svg,
        rows=_chart_rows(result, labels),
        signals=[f"Shift: {runchart.describe_run(r)}" for r in analysis.shifts]
        + [f"Trend: {runchart.describe_run(r)}" for r in analysis.trends],
    )
    if result.difference is None:
        return report
    return _with_comparison(report, result, result.difference)


def portfolio_reports(portfolio: Portfolio) -> list[ProjectReport]:
    """One report per project of the portfolio, in the portfolio's order."""
    return [project_report(result) for result in portfolio.results]


@dataclass(frozen=True)
class EvidenceLine:
    """One piece of a program's outcome evidence as a line of text.

    Verified evidence is shown as fact, with its figures; an unverified row is the
    provider's claim and is shown without its figures, as on the program page.
    """

    text: str
    verified: bool
    source_url: str
    source_text: str
    about: str = ""  # what the claim measures: names the source link among several ("Where it is claimed")


def unverified_claim_text(metric: str, time_window: str) -> str:
    """The wording of an outcome the provider claims and the CME office has not checked: no figures."""
    about = f"{metric} ({time_window})" if time_window else metric
    return f"Provider's claim about {about}, not verified by the CME office: its figures are not shown as fact"


def evidence_line(evidence: ProgramOutcomeEvidence) -> EvidenceLine:
    """How one evidence row reads wherever a line of text stands for it (the request snapshot, the claims list)."""
    if not evidence.verified:
        return EvidenceLine(
            unverified_claim_text(evidence.metric, evidence.time_window),
            False,
            evidence.source_url,
            "Where it is claimed",
            evidence.metric,
        )
    parts = [f"{evidence.metric}: {evidence.baseline} to {evidence.follow_up}"]
    if evidence.time_window:
        parts.append(f"over {evidence.time_window}")
    if evidence.n:
        parts.append(f"(n = {evidence.n:,} {evidence.n_unit})".replace(" )", ")"))
    if evidence.significance:
        parts.append(evidence.significance)
    text = " ".join(parts) + " (reported before/after change; not proof of causation); verified by the CME office"
    if evidence.verified_on is not None:
        text += f" on {format_date(evidence.verified_on)}"
    return EvidenceLine(text, True, evidence.source_url, "Source", evidence.metric)


# --- Confirmation pages ---------------------------------------------------------------


def project_deletion(project: OutcomeProject) -> Confirmation:
    """What deleting a project loses; expects the project as `selectors.project_for_owner` returns it."""
    records = [
        counted(len(project.measurements.all()), "measurement", "measurements"),
        counted(len(project.presentations.all()), "presentation", "presentations"),
        counted(len(project.team_members.all()), "team member", "team members"),
    ]
    lines = [
        f"This project has its baseline, {listed(records)}; they are deleted with it.",
        "It leaves your portfolio, and share links of your portfolio no longer show it.",
    ]
    linked = [
        counted(len(project.linked_programs.all()), "linked program", "linked programs"),
        counted(len(project.linked_claims.all()), "linked credit", "linked credits"),
    ]
    if project.linked_programs.all() or project.linked_claims.all():
        lines.append(f"The {listed(linked)} stay; only the links go.")
    lines.append("This cannot be undone.")
    return Confirmation(heading=f"Delete the project “{project}”?", consequences=tuple(lines), action="Delete project")


def measurement_figures(project: OutcomeProject, measurement: Measurement) -> str:
    """ "44 of 95" for a proportion, "6.2 days (n = 40)" otherwise: as the project page shows them."""
    if project.is_proportion:
        return f"{measurement.numerator} of {measurement.denominator}"
    text = _display(project, measurement.value) if measurement.value is not None else "no value"
    return f"{text} (n = {measurement.n})" if measurement.n else text


def measurement_deletion(project: OutcomeProject, measurement: Measurement) -> Confirmation:
    """What deleting one measurement loses; expects the project's measurements prefetched."""
    period = f"{format_date(measurement.period_start)} to {format_date(measurement.period_end)}"
    source = f", {measurement.data_source}" if measurement.data_source else ""
    others = len(project.measurements.all()) - 1
    lines = [f"The measurement for {period} ({measurement_figures(project, measurement)}{source}) is deleted."]
    if others:
        lines.append(
            f"The project's result and run chart are then worked out from the baseline and the "
            f"{counted(others, 'other measurement', 'other measurements')}."
        )
    else:
        lines.append("It is the project's only measurement: the project then shows no result, only its baseline.")
    lines.append("This cannot be undone: to have it back, add it again.")
    return Confirmation(
        heading=f"Delete the measurement for {period}?", consequences=tuple(lines), action="Delete measurement"
    )


def presentation_deletion(project: OutcomeProject, presentation: Presentation) -> Confirmation:
    """What deleting a presentation loses."""
    lines = (
        f"The presentation “{presentation}” ({presentation.get_venue_kind_display().lower()}, "
        f"{format_date(presentation.presented_on)}) is removed from “{project}” and from your portfolio.",
        "This cannot be undone: to have it back, add it again.",
    )
    return Confirmation(
        heading=f"Delete the presentation “{presentation}”?", consequences=lines, action="Delete presentation"
    )


def team_member_removal(project: OutcomeProject, member: ProjectTeamMember) -> Confirmation:
    """What removing a colleague from a project team loses."""
    lines = (
        f"{member.name} ({member.get_profession_display().lower()}) is removed from the team of “{project}” "
        "and from the project in your portfolio.",
        "To have them back, add them to the team again.",
    )
    return Confirmation(
        heading=f"Remove {member.name} from the project team?", consequences=lines, action="Remove team member"
    )


def share_link_revocation(link: PortfolioShareLink, *, openings: int, today: datetime.date) -> Confirmation:
    """What revoking a share link changes; `openings`: how often it was opened."""
    made = format_date(timezone.localdate(link.created_at))
    name = f"the share link “{link.label}”" if link.label else f"the share link made {made}"
    if link.revoked_at is not None:
        state = f"It was revoked on {format_date(timezone.localdate(link.revoked_at))} and opens nothing already."
    elif link.expires_on < today:
        state = f"It expired on {format_date(link.expires_on)} and opens nothing already."
    else:
        state = (
            "Anyone who has this link can no longer open your portfolio; "
            f"it would have worked until {format_date(link.expires_on)}."
        )
    lines = (
        state,
        f"It was opened {counted(openings, 'time', 'times')}." if openings else "It has not been opened yet.",
        "A revoked link cannot be turned back on: to share again, create a new link.",
    )
    return Confirmation(heading=f"Revoke {name}?", consequences=lines, action="Revoke link")


def evidence_deletion(evidence: ProgramOutcomeEvidence, *, other_verified: int) -> Confirmation:
    """What deleting curated evidence changes; `other_verified`: the program's other verified evidence rows."""
    program = evidence.program
    lines = [
        f"The evidence “{evidence.metric}” ({evidence.baseline} to {evidence.follow_up}, {evidence.time_window}) "
        f"is removed from the page of “{program}”."
    ]
    if not evidence.verified:
        lines.append("It is not verified, so the program's scores do not change.")
    elif other_verified:
        lines.append(
            f"The program keeps {counted(other_verified, 'other verified row', 'other verified rows')} of "
            "evidence, so its scores do not change."
        )
    else:
        lines.append(
            "It is the program's only verified evidence: the program no longer counts as publishing verified "
            "outcomes, and its outcome-tracking score falls in every clinician's ranking."
        )
    lines.append("This cannot be undone.")
    return Confirmation(
        heading=f"Delete the evidence “{evidence.metric}”?", consequences=tuple(lines), action="Delete evidence"
    )
