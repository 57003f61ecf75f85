"""What the pages say about a listing: the provider's claims (one wording for every page) and the catalog's cards.

A listing carries claims the provider makes: the provider's accreditation, the
highest Moore level the program measures, what it is designed to change, and
whether (and where) it publishes outcomes. How the CME office records that it
checked them:

- the listing as a whole: `Program.last_verified_on` (with `verified_by`), set by the
  CME office in the admin. Until then accreditation, measured level and intent read
  "stated by the provider"; afterwards "verified by the CME office on <date>".
- outcome results: `outcomes.ProgramOutcomeEvidence.verified`, mirrored on the program
  as `Program.has_verified_outcome_evidence`. Only then is there "published outcome
  evidence"; a provider-entered outcomes URL or "publishes outcomes" flag stays the
  provider's word whatever the listing's verification says, since nobody checked the
  results themselves.

Every page calls `program_claims`, so the wording cannot drift between pages. No
queries beyond `program.provider` (callers select_related it).

The catalog's result cards (`program_cards`, `ranked_cards`) are worded here too, in
plain strings: a template spends microseconds on every variable, filter, `{% if %}`
and include, and twenty cards with their reasons hold hundreds of them, so the
cards' template only places strings that Python already formatted (and escapes
them, as every template does).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypedDict

import django
from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from .choices import (
    AccreditationStatus,
    Accreditor,
    ActivityFormat,
    CreditType,
    Delivery,
    DesignedToChange,
    OutcomeLevel,
)
from .models import Program
from .ranking import fit, scoring
from .ranking.queries import cache_key_part
from .ranking.scoring import listing_claim_source

if TYPE_CHECKING:
    from .ranking.queries import RankedListing, ScoredResult
    from .selectors import CatalogListing

NOT_VERIFIED = "not verified by the CME office"
VERIFIED_EVIDENCE = "Published outcome evidence of past cohorts"
PROVIDER_OUTCOME_LINK = "Outcome report linked by the provider"
PROVIDER_SAYS_IT_PUBLISHES = "The provider says it publishes outcome data"
NO_VERIFIED_EVIDENCE = "No verified outcome evidence"

# The Moore level each "designed to change" aim corresponds to (domain.md: levels 4, 5, 6).
DESIGNED_TO_CHANGE_LEVEL: dict[str, str] = {
    DesignedToChange.COMPETENCE: "4",
    DesignedToChange.PERFORMANCE: "5",
    DesignedToChange.PATIENT_OUTCOMES: "6",
}


@dataclass(frozen=True)
class Claim:
    """One thing the listing says, and who vouches for it.

    `source` is empty when there is nothing to vouch for ("Not stated"). `url` is the
    provider's own link, if any, always labelled as the provider's.
    """

    label: str
    value: str
    source: str = ""
    verified: bool = False
    url: str = ""
    url_text: str = ""

    @property
    def text(self) -> str:
        """The value with its source, e.g. "Level 5: performance (stated by the provider)"."""
        return f"{self.value} ({self.source})" if self.source else self.value


@dataclass(frozen=True)
class ProgramClaims:
    accreditation: Claim
    outcome_level: Claim
    designed_to_change: Claim
    outcome_results: Claim

    def as_list(self) -> list[Claim]:
        return [self.accreditation, self.outcome_level, self.designed_to_change, self.outcome_results]


def designed_to_change_labels(codes: list[str]) -> str:
    """Human labels of the aims with their Moore level, e.g. "Performance (level 5), Patient outcomes (level 6)"."""
    labels = dict(DesignedToChange.choices)
    return ", ".join(
        f"{labels.get(code, code)} (level {DESIGNED_TO_CHANGE_LEVEL[code]})"
        if code in DESIGNED_TO_CHANGE_LEVEL
        else str(labels.get(code, code))
        for code in codes
    )


def _listing_source(program: Program) -> tuple[str, bool]:
    return listing_claim_source(program.last_verified_on), program.last_verified_on is not None


def accreditation_claim(program: Program) -> Claim:
    provider = program.provider
    return _accreditation_claim(
        accreditor=provider.accreditor,
        status=provider.accreditation_status,
        jointly_accredited=bool(provider.jointly_accredited),
        verified_on=program.last_verified_on,
    )


def _accreditation_claim(
    *, accreditor: str, status: str, jointly_accredited: bool, verified_on: datetime.date | None
) -> Claim:
    if not accreditor:
        return Claim("Accreditation", "Not stated")
    value = str(Accreditor(accreditor).label)
    if status and accreditor != Accreditor.NONE:
        # "Accreditation with commendation (6 years)" -> "accreditation with commendation"
        value += f", {str(AccreditationStatus(status).label).split(' (')[0].lower()}"
    if jointly_accredited:
        value += "; jointly accredited (JA-IPCE)"
    return Claim("Accreditation", value, listing_claim_source(verified_on), verified_on is not None)


def outcome_level_claim(program: Program) -> Claim:
    if not program.outcome_level_measured:
        return Claim("Outcome level measured", "Not stated")
    source, verified = _listing_source(program)
    return Claim("Outcome level measured", str(OutcomeLevel(program.outcome_level_measured).label), source, verified)


def designed_to_change_claim(program: Program) -> Claim:
    label = "Designed to change (intent, not measured)"
    if not program.designed_to_change:
        return Claim(label, "Not stated")
    source, verified = _listing_source(program)
    return Claim(label, designed_to_change_labels(list(program.designed_to_change)), source, verified)


def outcome_results_claim(program: Program) -> Claim:
    """Say "published outcome evidence" only for evidence the CME office verified; the rest is the provider's word."""
    url = program.outcomes_url
    url_text = f"{PROVIDER_OUTCOME_LINK} ({NOT_VERIFIED})" if url else ""
    if program.has_verified_outcome_evidence:
        return Claim("Outcome results", VERIFIED_EVIDENCE, "verified by the CME office", True, url, url_text)
    if url:
        return Claim("Outcome results", PROVIDER_OUTCOME_LINK, NOT_VERIFIED, False, url, url_text)
    if program.publishes_outcomes:
        return Claim("Outcome results", PROVIDER_SAYS_IT_PUBLISHES, NOT_VERIFIED)
    return Claim("Outcome results", NO_VERIFIED_EVIDENCE)


def program_claims(program: Program) -> ProgramClaims:
    """Every provider claim of the listing, worded by who vouches for it (see the module docstring)."""
    return ProgramClaims(
        accreditation=accreditation_claim(program),
        outcome_level=outcome_level_claim(program),
        designed_to_change=designed_to_change_claim(program),
        outcome_results=outcome_results_claim(program),
    )


def claims_snapshot(program: Program) -> list[dict[str, str]]:
    """The claims as plain text, for a record that must keep what was shown (a funding request's snapshot)."""
    return [
        {"label": claim.label, "text": claim.text, "url": claim.url, "url_text": claim.url_text}
        for claim in program_claims(program).as_list()
    ]


# --- The catalog's result cards ------------------------------------------------------
#
# TypedDicts, not dataclasses: the template engine tries `value[key]` before `getattr`,
# and on any object but a mapping that failed subscript costs an exception per variable,
# a few hundred per page of cards.


class PointsLine(TypedDict):
    """A reason or a shortfall as a card shows it: "+40" and its sentence; a deduction is marked."""

    shown: str
    text: str
    deduction: bool


class FactorLine(TypedDict):
    """One factor on a card: its bar (points 0..1000 as text, shown out of 100), its heading and every point."""

    label: str
    points: str
    shown: str
    heading: str  # "Outcome tracking: 73 / 100"
    weight: str
    reasons: tuple[PointsLine, ...]
    shortfalls: tuple[PointsLine, ...]
    evidence_html: SafeString | str  # on a card: the reasons and shortfalls (catalog.html#card-factor-evidence)


class TopReason(TypedDict):
    shown: str
    factor: str  # the factor's label in lower case, as the sentence reads it
    text: str


class FitBadge(TypedDict):
    """One fit check as a badge: its CSS class, its status word and "label: message"."""

    css_class: str
    status: str
    label: str
    message: str


class FitSummaryBadge(TypedDict):
    css_class: str
    headline: str
    not_checked_text: str


class CardRanking(TypedDict):
    """The goal-dependent part of a ranked card: total, fit badge, factor bars, reasons and fit checks.

    `badges` is None when the program has no fit checks at all (no list is shown), and
    may be empty when the compact list leaves every check out (an empty list is shown).
    """

    total: str
    summary: FitSummaryBadge
    factors: tuple[FactorLine, ...]
    top_reasons: tuple[TopReason, ...]
    badges: tuple[FitBadge, ...] | None


class ProgramCard(TypedDict):
    """One result card, every string worded; `ranking_html` only when ranked for a goal.

    `toggle_url` is the shortlist button's, `on_shortlist` its state; `funding_url` the
    "Ask for funding" link's (both shown to clinicians only).
    """

    pk: str
    title: str
    url: str
    meta: str
    facts: tuple[str, ...]
    toggle_url: str
    on_shortlist: bool
    funding_url: str
    ranking_html: SafeString | str  # the ranked part (catalog.html#card-ranking) rendered; "" unranked


_SUMMARY_CLASSES = {fit.FitVerdict.DOES_NOT_FIT: "badge-bad", fit.FitVerdict.NOT_CHECKED: "badge-unknown"}
_CHECK_CLASSES = {
    fit.FitStatus.DOES_NOT_FIT: "badge-bad",
    fit.FitStatus.CAUTION: "badge-warn",
    fit.FitStatus.FITS: "badge-good",
}
_CHECK_STATUSES = {fit.FitStatus.FITS: "Fits", fit.FitStatus.DOES_NOT_FIT: "Does not fit"}
# What a compact badge list (a card) keeps: failures, cautions, and the two checks worth a number on every card.
_COMPACT_STATUSES = frozenset({fit.FitStatus.DOES_NOT_FIT, fit.FitStatus.CAUTION})
_COMPACT_KINDS = frozenset({fit.FitKind.MANDATED_TOPIC, fit.FitKind.BUDGET})
_ONE = Decimal(1)
_CENT = Decimal("0.01")
# The models' get_<field>_display rebuilds its choices on every call; a card asks for several labels.
_FORMAT_LABELS: dict[str, str] = dict(ActivityFormat.choices)
_DELIVERY_LABELS: dict[str, str] = dict(Delivery.choices)
_CREDIT_TYPE_LABELS: dict[str, str] = dict(CreditType.choices)


def fit_summary_badge(summary: fit.FitSummary) -> FitSummaryBadge:
    """The fit badge's class and wording: red when a constraint fails, grey when nothing could be checked."""
    return FitSummaryBadge(
        css_class=_SUMMARY_CLASSES.get(summary.verdict, "badge-good"),
        headline=summary.headline,
        not_checked_text=summary.not_checked_text,
    )


def fit_badges(checks: Iterable[fit.FitCheck], *, compact: bool) -> tuple[FitBadge, ...]:
    """Each check as a badge; `compact` keeps only failures, cautions, mandated topics and the budget."""
    return tuple(
        FitBadge(
            css_class=_CHECK_CLASSES.get(check.status, "badge-unknown"),
            status="Note"
            if check.severity is fit.FitSeverity.NOTE
            else _CHECK_STATUSES.get(check.status, "Not checked"),
            label=check.label,
            message=check.message,
        )
        for check in checks
        if not compact or check.status in _COMPACT_STATUSES or check.kind in _COMPACT_KINDS
    )


def _points_lines(lines: Iterable[scoring.Reason | scoring.Shortfall]) -> tuple[PointsLine, ...]:
    return tuple(PointsLine(shown=line.shown, text=line.text, deduction=line.points < 0) for line in lines)


def factor_line(factor: scoring.FactorScore, weight: int) -> FactorLine:
    """A factor's bar, heading and reasons as the card and the compare page show them."""
    shown = factor.shown
    return FactorLine(
        label=factor.label,
        points=str(factor.points),
        shown=shown,
        heading=f"{factor.label}: {shown} / 100",
        weight=str(weight),
        reasons=_points_lines(factor.reasons),
        shortfalls=_points_lines(factor.shortfalls),
        evidence_html="",
    )


def card_ranking(result: ScoredResult) -> CardRanking:
    """The ranked part of a card, worded as programs/catalog.html shows it."""
    return CardRanking(
        total=f"{result.scored.total:.1f}",
        summary=fit_summary_badge(result.fit_summary),
        factors=tuple(factor_line(factor, weight) for factor, weight in result.scored.weighted_factors),
        top_reasons=tuple(
            TopReason(shown=reason.shown, factor=factor.label.lower(), text=reason.text)
            for factor, reason in result.top_reasons
        ),
        badges=fit_badges(result.checks, compact=True) if result.checks else None,
    )


def whole_or_cents(amount: Decimal) -> str:
    """17.50 -> "17.50", 28.00 -> "28" (what the template filter floatformat:"-2" shows)."""
    if amount == amount.to_integral_value():
        return f"{amount.quantize(_ONE, ROUND_HALF_UP)}"
    return f"{amount.quantize(_CENT, ROUND_HALF_UP)}"


def program_dates(program: Program | scoring.ProgramSignals) -> str:
    """ "Feb 14, 2027 – Mar 16, 2027", one date for a one-day program, or "On demand"."""
    if program.start_date is None:
        return "On demand"
    if program.end_date and program.end_date != program.start_date:
        return f"{scoring.format_date(program.start_date)} – {scoring.format_date(program.end_date)}"
    return scoring.format_date(program.start_date)


def program_cost(program: Program | scoring.ProgramSignals) -> str:
    """ "USD 1,235" (whole units, rounded half up), "Free" or "Cost not stated"."""
    if program.fee_amount is None:
        return "Cost not stated"
    if program.fee_amount == 0:  # Program.is_free
        return "Free"
    return f"{program.fee_currency} {int(program.fee_amount.quantize(_ONE, ROUND_HALF_UP)):,}"


def _card_facts(program: Program) -> tuple[str, ...]:
    credits = ((offering.credit_type, offering.amount) for offering in program.credit_offerings.all())
    return _facts(program.format, program.delivery, program, credits)


def _facts(
    format_: str, delivery: str, dated: Program | scoring.ProgramSignals, credits: Iterable[tuple[str, Decimal]]
) -> tuple[str, ...]:
    kind = _FORMAT_LABELS.get(format_, format_)
    if delivery:
        kind += f", {_DELIVERY_LABELS.get(delivery, delivery).lower()}"
    credit_lines = (
        f"{whole_or_cents(amount)} {_CREDIT_TYPE_LABELS.get(credit_type, credit_type)}"
        for credit_type, amount in credits
    )
    return (kind, program_dates(dated), program_cost(dated), *credit_lines)


def _card_meta(
    provider_name: str, *, accreditor: str, status: str, jointly_accredited: bool, verified_on: datetime.date | None
) -> str:
    """The card's provider line: the provider, and its accreditation when it has one."""
    if accreditor and accreditor != Accreditor.NONE:
        claim = _accreditation_claim(
            accreditor=accreditor, status=status, jointly_accredited=jointly_accredited, verified_on=verified_on
        )
        return f"{provider_name} · {claim.text}"
    return provider_name


class _UrlWithId:
    """A URL taking one program id, for any id from one `reverse` per page: reverse costs tens of
    microseconds and a card holds three links."""

    _SENTINEL = 2147483647

    def __init__(self, name: str) -> None:
        self._before, _, self._after = reverse(name, args=[self._SENTINEL]).partition(str(self._SENTINEL))

    def __call__(self, program_id: int) -> str:
        return f"{self._before}{program_id}{self._after}"


class _CardLinks:
    """The links of a page of cards; empty action links for a viewer who is not a clinician."""

    def __init__(self, *, actions: bool) -> None:
        self.detail = _UrlWithId("programs:detail")
        self.toggle = _UrlWithId("careers:shortlist_toggle") if actions else None
        self.funding = f"{reverse('supervision:request_new')}?program=" if actions else ""


def _card(program: Program, links: _CardLinks, *, shortlisted: Collection[int]) -> ProgramCard:
    provider = program.provider
    meta = _card_meta(
        provider.name,
        accreditor=provider.accreditor,
        status=provider.accreditation_status,
        jointly_accredited=bool(provider.jointly_accredited),
        verified_on=program.last_verified_on,
    )
    return _card_of(program.pk, program.title, meta, _card_facts(program), links, shortlisted=shortlisted)


def _listing_card(listing: CatalogListing, links: _CardLinks, *, shortlisted: Collection[int]) -> ProgramCard:
    """The card of `_card`, from a listing's plain values (selectors.CatalogListing)."""
    signals = listing.signals
    meta = _card_meta(
        listing.provider_name,
        accreditor=signals.accreditor or "",
        status=signals.accreditation_status or "",
        jointly_accredited=bool(signals.jointly_accredited),
        verified_on=signals.listing_verified_on,
    )
    facts = _facts(listing.format, listing.delivery, signals, signals.credits.items())
    return _card_of(listing.pk, signals.title, meta, facts, links, shortlisted=shortlisted)


def _card_of(
    pk: int, title: str, meta: str, facts: tuple[str, ...], links: _CardLinks, *, shortlisted: Collection[int]
) -> ProgramCard:
    return ProgramCard(
        pk=str(pk),
        title=title,
        url=links.detail(pk),
        meta=meta,
        facts=facts,
        toggle_url=links.toggle(pk) if links.toggle else "",
        on_shortlist=pk in shortlisted,
        funding_url=f"{links.funding}{pk}" if links.funding else "",
        ranking_html="",
    )


def program_cards(programs: Iterable[Program], *, shortlisted: Collection[int], actions: bool) -> list[ProgramCard]:
    """The catalog's cards for programs loaded by selectors.catalog_base (provider and credits prefetched).

    No queries: `shortlisted` holds the ids on the viewer's shortlist, loaded once for the page;
    `actions` (the viewer is a clinician) adds the shortlist button and "Ask for funding".
    """
    links = _CardLinks(actions=actions)
    return [_card(program, links, shortlisted=shortlisted) for program in programs]


CARD_RANKING_TEMPLATE = "programs/catalog.html#card-ranking"
CARD_EVIDENCE_TEMPLATE = "programs/catalog.html#card-factor-evidence"
CARD_RANKING_TTL = 600  # seconds; the key changes with the catalog, the goal, the weights and the situation anyway


def ranked_cards(
    results: Sequence[RankedListing],
    *,
    shortlisted: Collection[int],
    actions: bool,
    situation_key: str | None = None,
    evidence_keys: CardEvidenceKeys | None = None,
) -> list[ProgramCard]:
    """The ranked catalog's cards: each program's card with its score, reasons and fit (see program_cards).

    The ranked part is the catalog.html#card-ranking partial, rendered here. With `situation_key`
    (`ranking_situation_key`: everything it depends on but the program) each program's part is kept
    in the cache and read back for all the page in one call; None renders every part. A part rendered
    takes each factor's reasons (catalog.html#card-factor-evidence) from the cache under `evidence_keys`
    (`card_evidence_keys`: the three goal-independent factors per catalog version, career per goal too),
    so new weights or another clinician render only the parts around them.
    """
    links = _CardLinks(actions=actions)
    keys = {result.listing.pk: f"card-ranking:{situation_key}:{result.listing.pk}" for result in results}
    cached: dict[str, str] = cache.get_many(list(keys.values())) if situation_key else {}
    cards, missing = [], []
    for result in results:
        card = _listing_card(result.listing, links, shortlisted=shortlisted)
        html = cached.get(keys[result.listing.pk])
        if html is None:
            missing.append((card, result))
        else:
            card["ranking_html"] = mark_safe(html)  # rendered by the autoescaping template below, before
        cards.append(card)
    if missing:
        fresh = {}
        rankings = _with_evidence([(result, card_ranking(result)) for _, result in missing], evidence_keys)
        for (card, result), ranking in zip(missing, rankings, strict=True):
            html = render_to_string(CARD_RANKING_TEMPLATE, {"card": card, "ranking": ranking})
            fresh[keys[result.listing.pk]] = html
            card["ranking_html"] = mark_safe(html)  # rendered by the autoescaping template above
        if situation_key:
            cache.set_many(fresh, CARD_RANKING_TTL)
    return cards


class CardEvidenceKeys(NamedTuple):
    """What a factor's reasons on a card depend on besides the program, as digests (`card_evidence_keys`)."""

    static: str  # the catalog version and the code: the outcome, independence and interprofessional factors
    career: str  # and the goal: the career factor


def card_evidence_keys(*, catalog_version: str | None, goal: scoring.GoalCriteria) -> CardEvidenceKeys | None:
    """The digests a card's factor reasons are cached under; None (do not cache) without a catalog version.

    A factor's reasons read only the program (which moves the catalog version) and, for career, the goal."""
    if catalog_version is None:
        return None
    static = hashlib.sha256(json.dumps([catalog_version, _CARD_MARKUP]).encode()).hexdigest()
    career = hashlib.sha256(
        json.dumps(cache_key_part([static, goal]), sort_keys=True, default=str).encode()
    ).hexdigest()
    return CardEvidenceKeys(static=static, career=career)


def _with_evidence(
    rankings: list[tuple[RankedListing, CardRanking]], keys: CardEvidenceKeys | None
) -> list[CardRanking]:
    """Each ranking with its factors' `evidence_html`: from the cache under `keys` (all the page's in one call),
    else rendered (and kept)."""
    wanted: dict[str, FactorLine] = {}
    for index, (result, ranking) in enumerate(rankings):
        for line, (factor, _) in zip(ranking["factors"], result.scored.weighted_factors, strict=True):
            if keys is None:
                key = f"{index}:{factor.factor}"
            else:
                digest = keys.career if factor.factor == scoring.Factor.CAREER else keys.static
                key = f"card-evidence:{digest}:{result.listing.pk}:{factor.factor}"
            wanted[key] = line
    cached: dict[str, str] = cache.get_many(list(wanted)) if keys is not None else {}
    fresh = {}
    for key, line in wanted.items():
        html = cached.get(key)
        if html is None:
            html = fresh[key] = render_to_string(CARD_EVIDENCE_TEMPLATE, {"factor": line})
        line["evidence_html"] = mark_safe(html)  # rendered by the autoescaping template, here or before
    if keys is not None and fresh:
        cache.set_many(fresh, CARD_RANKING_TTL)
    return [ranking for _, ranking in rankings]


def ranking_situation_key(
    *,
    catalog_version: str | None,
    goal: scoring.GoalCriteria,
    weights: scoring.Weights,
    clinician: fit.ClinicianContext,
) -> str | None:
    """What a card's ranked part depends on besides its program, as one digest; None (do not cache) without
    a catalog version. The programs' rows move the catalog version; the goal, the weights and the whole
    fit situation (the notes read all of it) are in; so is the code that words and writes the part."""
    if catalog_version is None:
        return None
    parts = [catalog_version, goal, weights, clinician, _CARD_MARKUP]
    return hashlib.sha256(json.dumps(cache_key_part(parts), sort_keys=True, default=str).encode()).hexdigest()


def source_fingerprint(*paths: Path) -> str:
    """A digest of source files (and Django's version): a cache key holding it is never read across a deploy."""
    digest = hashlib.sha256(django.get_version().encode())
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


_HERE = Path(__file__).resolve().parent
_CARD_MARKUP = source_fingerprint(
    settings.BASE_DIR / "templates" / "programs" / "catalog.html",
    Path(__file__),
    *(_HERE / "ranking" / name for name in ("scoring.py", "fit.py", "queries.py")),
)
