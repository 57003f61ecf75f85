"""Read functions for the catalog."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.db.models.expressions import OrderBy, RawSQL

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


# The program's columns the scoring reads, each under its ProgramSignals name (program_signals, listing rows).
_SIGNAL_COLUMNS = {
    "outcome_level_measured": "outcome_level_measured",
    "designed_to_change": "designed_to_change",
    "publishes_outcomes": "publishes_outcomes",
    "requires_practice_project": "requires_practice_project",
    "description": "description",
    "commercial_support": "commercial_support",
    "commercial_supporters": "commercial_supporters",
    "disclosures_published": "disclosures_published",
    "ancillary_marketing": "ancillary_marketing",
    "professions": "professions",
    "planning_professions": "planning_professions",
    "ipce_credit": "ipce_credit",
    "competencies": "competencies",
    "career_tracks": "career_tracks",
    "ehr_integration": "ehr_integration",
    "fee_amount": "fee_amount",
    "fee_currency": "fee_currency",
    "leave_days": "leave_days",
    "start_date": "start_date",
    "end_date": "end_date",
    "topics": "topics",
    "listing_verified_on": "last_verified_on",
}


def _signals(
    column: dict[str, Any],
    *,
    program_id: int,
    title: str,
    accreditor: str,
    accreditation_status: str,
    jointly_accredited: bool | None,
    credits: dict[str, Decimal],
    has_verified_outcome_evidence: bool,
) -> scoring.ProgramSignals:
    """The scoring module's view of a listing from its columns (`column`: ProgramSignals name -> value)."""
    return scoring.ProgramSignals(
        program_id=program_id,
        title=title,
        outcome_level_measured=column["outcome_level_measured"] or None,
        designed_to_change=frozenset(column["designed_to_change"]),
        publishes_outcomes=column["publishes_outcomes"],
        has_verified_outcome_evidence=has_verified_outcome_evidence,
        requires_practice_project=column["requires_practice_project"],
        description=column["description"],
        accreditor=accreditor or None,
        accreditation_status=accreditation_status or None,
        commercial_support=column["commercial_support"] or None,
        commercial_supporters=tuple(column["commercial_supporters"]),
        disclosures_published=column["disclosures_published"],
        ancillary_marketing=column["ancillary_marketing"],
        professions=frozenset(column["professions"]),
        planning_professions=frozenset(column["planning_professions"]),
        ipce_credit=column["ipce_credit"],
        jointly_accredited=jointly_accredited,
        credits=credits,
        competencies=frozenset(column["competencies"]),
        career_tracks=frozenset(column["career_tracks"]),
        ehr_integration=column["ehr_integration"],
        fee_amount=column["fee_amount"],
        fee_currency=column["fee_currency"],
        leave_days=column["leave_days"],
        start_date=column["start_date"],
        end_date=column["end_date"],
        topics=frozenset(column["topics"]),
        listing_verified_on=column["listing_verified_on"],
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
    return _signals(
        {name: getattr(program, column) for name, column in _SIGNAL_COLUMNS.items()},
        program_id=program.pk or 0,
        title=program.title,
        accreditor=provider.accreditor,
        accreditation_status=provider.accreditation_status,
        jointly_accredited=provider.jointly_accredited,
        credits=credits,
        has_verified_outcome_evidence=has_verified_outcome_evidence,
    )


@dataclass(frozen=True, slots=True)
class CatalogListing:
    """A published listing as the ranked catalog's card and its scoring read it: plain values, no model.

    `signals` is what `program_signals` gives for the program (its credits in credit type order).
    """

    signals: scoring.ProgramSignals
    format: str
    delivery: str
    provider_name: str

    @property
    def pk(self) -> int:
        return self.signals.program_id


LISTING_TTL = 6 * 3600  # seconds; the key holds the catalog version, which every write to a listing moves
# The code that shapes a listing, in its cache key: a deploy never unpickles a listing of another shape.
_LISTING_CODE = hashlib.sha256(b"".join(Path(path).read_bytes() for path in (__file__, scoring.__file__))).hexdigest()


def _offerings_sql() -> str:
    """Each row's credit offerings as "type amount,type amount" (any order), in the listing's one query."""
    pair = "o.credit_type || ' ' || CAST(o.amount AS TEXT)"
    joined = f"string_agg({pair}, ',')" if connection.vendor == "postgresql" else f"group_concat({pair}, ',')"
    return f'(SELECT {joined} FROM "programs_creditoffering" o WHERE o."program_id" = "programs_program"."id")'  # noqa: S608


_CREDIT_PLACES = Decimal(1).scaleb(-CreditOffering._meta.get_field("amount").decimal_places)


def _listing_from_row(row: dict[str, Any]) -> CatalogListing:
    pairs = sorted(pair.split(" ") for pair in row["offerings"].split(",")) if row["offerings"] else []
    credits = {credit_type: Decimal(amount).quantize(_CREDIT_PLACES) for credit_type, amount in pairs}
    signals = _signals(
        {name: row[column] for name, column in _SIGNAL_COLUMNS.items()},
        program_id=row["id"],
        title=row["title"],
        accreditor=row["provider__accreditor"],
        accreditation_status=row["provider__accreditation_status"],
        jointly_accredited=row["provider__jointly_accredited"],
        credits=credits,
        has_verified_outcome_evidence=row["has_verified_outcome_evidence"],
    )
    return CatalogListing(
        signals=signals, format=row["format"], delivery=row["delivery"], provider_name=row["provider__name"]
    )


def catalog_listings(*, program_ids: list[int], version: str | None) -> list[CatalogListing]:
    """The listings of these published, current programs, in the order of `program_ids` (an id not visible is left out).

    One query for those not in the cache, which keeps each listing under the catalog version
    (programs.catalog_version: every write to a program, its offerings or its provider moves it);
    `version` None (this transaction changed the catalog) reads and writes no cache.
    """
    keys = {program_id: f"catalog-listing:{_LISTING_CODE}:{version}:{program_id}" for program_id in program_ids}
    found: dict[int, CatalogListing] = {}
    if version is not None:
        cached = cache.get_many(list(keys.values()))
        found = {program_id: cached[key] for program_id, key in keys.items() if key in cached}
    missing = [program_id for program_id in program_ids if program_id not in found]
    if missing:
        rows = (
            Program.objects.visible_in_catalog()
            .filter(pk__in=missing)
            .annotate(offerings=RawSQL(_offerings_sql(), []))  # noqa: S611 - constant SQL
            .values(
                "id",
                "title",
                "format",
                "delivery",
                "has_verified_outcome_evidence",
                "provider__name",
                "provider__accreditor",
                "provider__accreditation_status",
                "provider__jointly_accredited",
                "offerings",
                *set(_SIGNAL_COLUMNS.values()),
            )
        )
        loaded = {row["id"]: _listing_from_row(row) for row in rows}
        found.update(loaded)
        if version is not None and loaded:
            cache.set_many({keys[program_id]: listing for program_id, listing in loaded.items()}, LISTING_TTL)
    return [found[program_id] for program_id in program_ids if program_id in found]


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
