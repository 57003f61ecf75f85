"""What the outcome pages show: a project's result (wording, run chart, data table) and program evidence.

Presenters turn `selectors.ProjectResult` into the strings and the SVG that
templates/outcomes/_project_report.html shows, and word a program's curated
outcome evidence the same way on the program page and in a funding request's
snapshot (`evidence_line`). No queries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace

from programs.ranking.fit import format_date

from . import runchart, statistics
from .models import Measurement, OutcomeProject, ProgramOutcomeEvidence
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
