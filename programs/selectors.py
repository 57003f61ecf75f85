"""Read functions for the catalog."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.db.models.expressions import OrderBy

from . import vocabulary
from .choices import RECOGNIZED_ACCREDITORS, CommercialSupport, Delivery, ProgramStatus
from .models import CreditOffering, Program, ProgramQuerySet, Provider
from .ranking import scoring
from .search import Key, program_search

CATALOG_SORTS: dict[str, str] = {
    "relevance": "Best keyword match",
    "soonest": "Starting soonest",
    "title": "Title A-Z",
    "cost": "Lowest cost",
    "outcome": "Strongest outcome tracking",
}


# How a person can attend: online means no travel; in person means a venue (hybrid has one).
ATTENDANCE: dict[str, tuple[str, list[str]]] = {
    "online": ("Online only (no travel)", [Delivery.LIVE_ONLINE, Delivery.SELF_PACED_ONLINE]),
    "in_person": ("In person or hybrid (has a venue)", [Delivery.IN_PERSON, Delivery.HYBRID]),
}


@dataclass(frozen=True)
class CatalogFilters:
    """Everything the catalog can be narrowed and ordered by. Empty means no filter."""

    q: str = ""
    profession: str = ""
    credit_type: str = ""
    format: str = ""
    delivery: str = ""
    free_only: bool = False
    min_cost: Decimal | None = None
    max_cost: Decimal | None = None
    provider: int | None = None
    state: str = ""
    city: str = ""  # a key (programs.vocabulary.key)
    attendance: str = ""  # one of ATTENDANCE
    accredited_only: bool = False
    no_commercial_support: bool = False
    specialty: str = ""  # a key (programs.vocabulary.tag_key_for)
    topic: str = ""  # a key
    starts_after: datetime.date | None = None
    ends_before: datetime.date | None = None
    outcome_level_min: str = ""
    sort: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def narrows(self) -> bool:
        """Whether any filter besides the keywords and the sort order is set."""
        return any(
            value not in ("", None, False)
            for name, value in self.__dict__.items()
            if name not in {"q", "sort", "extra"}
        )

    @property
    def effective_sort(self) -> str:
        if self.sort in CATALOG_SORTS and (self.sort != "relevance" or self.q):
            return self.sort
        return "relevance" if self.q else "soonest"


def catalog_base() -> ProgramQuerySet:
    """Published programs that are not over, with what a result card shows."""
    return (
        Program.objects.visible_in_catalog()
        .select_related("provider")
        .prefetch_related(Prefetch("credit_offerings", queryset=CreditOffering.objects.order_by("credit_type")))
    )


def catalog_filter(queryset: ProgramQuerySet, filters: CatalogFilters) -> ProgramQuerySet:
    """Apply every filter; each one narrows, so they combine with AND."""
    if filters.q:
        queryset = program_search(queryset, filters.q)
    if filters.profession:
        queryset = queryset.filter(Q(professions__has_any=[filters.profession]) | Q(professions=[]))
    if filters.credit_type:
        queryset = queryset.filter(
            Exists(CreditOffering.objects.filter(program=OuterRef("pk"), credit_type=filters.credit_type))
        )
    if filters.format:
        queryset = queryset.filter(format=filters.format)
    if filters.delivery:
        queryset = queryset.filter(delivery=filters.delivery)
    if filters.free_only:
        queryset = queryset.filter(fee_amount=0)
    if filters.min_cost is not None:
        queryset = queryset.filter(fee_amount__gte=filters.min_cost)
    if filters.max_cost is not None:
        queryset = queryset.filter(fee_amount__lte=filters.max_cost)
    if filters.provider is not None:
        queryset = queryset.filter(provider_id=filters.provider)
    if filters.state:
        queryset = queryset.filter(location_state=filters.state)
    if filters.city:
        queryset = queryset.alias(city_key=Key("location_city")).filter(city_key=filters.city)
    if filters.attendance in ATTENDANCE:
        queryset = queryset.filter(delivery__in=ATTENDANCE[filters.attendance][1])
    if filters.accredited_only:
        queryset = queryset.filter(provider__accreditor__in=list(RECOGNIZED_ACCREDITORS))
    if filters.no_commercial_support:
        queryset = queryset.filter(commercial_support=CommercialSupport.NONE)
    if filters.specialty:
        queryset = queryset.filter(specialties__has_tag_key=filters.specialty)
    if filters.topic:
        queryset = queryset.filter(topics__has_tag_key=filters.topic)
    if filters.starts_after:
        queryset = queryset.filter(start_date__gte=filters.starts_after)
    if filters.ends_before:
        queryset = queryset.filter(end_date__lte=filters.ends_before)
    if filters.outcome_level_min:
        # Moore level codes sort as text in level order: "1" < "2" < "3a" < "3b" < "4" ... "7".
        queryset = queryset.filter(outcome_level_measured__gte=filters.outcome_level_min)
    return queryset


def catalog_order(queryset: ProgramQuerySet, sort: str) -> ProgramQuerySet:
    orderings: dict[str, list[str | OrderBy]] = {
        "relevance": [F("search_rank").desc(), "title", "id"],
        "soonest": [F("start_date").asc(nulls_last=True), "title", "id"],
        "title": ["title", "id"],
        "cost": [F("fee_amount").asc(nulls_last=True), "title", "id"],
        "outcome": [F("outcome_points").desc(), "title", "id"],
    }
    return queryset.order_by(*orderings[sort])


def catalog_page(*, filters: CatalogFilters, page_number: str | int | None, per_page: int = 20) -> Page[Program]:
    """One page of the filtered, ordered catalog."""
    queryset = catalog_order(catalog_filter(catalog_base(), filters), filters.effective_sort)
    return Paginator(queryset, per_page).get_page(page_number)


def program_for_catalog(*, program_id: int) -> Program:
    """A published, visible program with its provider and credits; raises DoesNotExist."""
    return catalog_base().get(pk=program_id)


def program_for_record(*, program_id: int) -> Program:
    """Any program, past or unpublished, with what its page shows; for those who have it on record.

    Raises DoesNotExist. Callers decide who may see it (see supervision.selectors.program_on_record).
    """
    return (
        Program.objects.select_related("provider")
        .prefetch_related(Prefetch("credit_offerings", queryset=CreditOffering.objects.order_by("credit_type")))
        .get(pk=program_id)
    )


def program_signals(
    program: Program,
    *,
    credits: dict[str, Decimal] | None = None,
    has_verified_outcome_evidence: bool | None = None,
) -> scoring.ProgramSignals:
    """The scoring module's view of a listing.

    Reads `program.provider` and, unless `credits` is given, `credit_offerings`.
    Verified outcome evidence is the program's own `has_verified_outcome_evidence`
    column (kept by the outcomes app); `has_verified_outcome_evidence` overrides it.
    """
    provider = program.provider
    if has_verified_outcome_evidence is None:
        has_verified_outcome_evidence = program.has_verified_outcome_evidence
    if credits is None:
        credits = {offering.credit_type: offering.amount for offering in program.credit_offerings.all()}
    return scoring.ProgramSignals(
        program_id=program.pk or 0,
        title=program.title,
        outcome_level_measured=program.outcome_level_measured or None,
        designed_to_change=frozenset(program.designed_to_change),
        publishes_outcomes=program.publishes_outcomes,
        has_verified_outcome_evidence=has_verified_outcome_evidence,
        requires_practice_project=program.requires_practice_project,
        description=program.description,
        accreditor=provider.accreditor or None,
        accreditation_status=provider.accreditation_status or None,
        commercial_support=program.commercial_support or None,
        commercial_supporters=tuple(program.commercial_supporters),
        disclosures_published=program.disclosures_published,
        ancillary_marketing=program.ancillary_marketing,
        professions=frozenset(program.professions),
        planning_professions=frozenset(program.planning_professions),
        ipce_credit=program.ipce_credit,
        jointly_accredited=provider.jointly_accredited,
        credits=credits,
        competencies=frozenset(program.competencies),
        career_tracks=frozenset(program.career_tracks),
        ehr_integration=program.ehr_integration,
        fee_amount=program.fee_amount,
        fee_currency=program.fee_currency,
        leave_days=program.leave_days,
        start_date=program.start_date,
        end_date=program.end_date,
        topics=frozenset(program.topics),
        listing_verified_on=program.last_verified_on,
    )


def program_static_factors(program: Program) -> list[scoring.FactorScore]:
    """The three goal-independent factors with their evidence, for the program page."""
    signals = program_signals(program)
    return [
        scoring.outcome_factor(signals),
        scoring.independence_factor(signals),
        scoring.interprofessional_factor(signals),
    ]


TAG_OPTIONS_TTL = 600


def catalog_tag_options(tag_field: str) -> list[str]:
    """Distinct topics or specialties of published programs, cached for ten minutes."""
    if tag_field not in {"topics", "specialties"}:
        raise ValueError(tag_field)
    key = f"catalog-tag-options:{tag_field}"
    options = cache.get(key)
    if options is not None:
        return list(options)
    if connection.vendor == "postgresql":
        # tag_field is one of two fixed column names (checked above).
        sql = (
            f"SELECT DISTINCT tag FROM programs_program, jsonb_array_elements_text({tag_field}) AS tag "  # noqa: S608
            "WHERE status = 'published' ORDER BY tag LIMIT 1000"
        )
    else:
        sql = (
            f"SELECT DISTINCT json_each.value FROM programs_program, json_each(programs_program.{tag_field}) "  # noqa: S608
            "WHERE status = 'published' ORDER BY 1 LIMIT 1000"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        options = [row[0] for row in cursor.fetchall()]
    cache.set(key, options, TAG_OPTIONS_TTL)
    return options


def catalog_tag_labels(tag_field: str) -> list[str]:
    """The human labels of the topics or specialties of published programs, one per key (cached tags)."""
    return vocabulary.tag_options(catalog_tag_options(tag_field))


def catalog_provider_options() -> list[tuple[int, str]]:
    """(id, name) of the providers with a published program, by name; cached for ten minutes."""
    key = "catalog-provider-options"
    options = cache.get(key)
    if options is None:
        published = Program.objects.filter(provider=OuterRef("pk"), status=ProgramStatus.PUBLISHED)
        options = list(Provider.objects.filter(Exists(published)).order_by("name").values_list("pk", "name"))
        cache.set(key, options, TAG_OPTIONS_TTL)
    return list(options)


def catalog_state_options() -> list[str]:
    """The states of published programs' venues, sorted; cached for ten minutes."""
    key = "catalog-state-options"
    options = cache.get(key)
    if options is None:
        options = list(
            Program.objects.published()
            .exclude(location_state="")
            .order_by("location_state")
            .values_list("location_state", flat=True)
            .distinct()
        )
        cache.set(key, options, TAG_OPTIONS_TTL)
    return list(options)
