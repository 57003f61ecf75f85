"""The shapes the API reads and writes; input serializers validate only, the domain services decide."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from careers.models import CreditClaim, ShortlistEntry, ShortlistStatus
from programs.choices import CreditType
from programs.models import Program
from supervision.models import FundingRequest


class CreditOfferingOut(serializers.Serializer[Any]):
    credit_type = serializers.CharField()
    amount = serializers.DecimalField(max_digits=7, decimal_places=2)


class ProgramOut(serializers.ModelSerializer[Program]):
    provider = serializers.CharField(source="provider.name")
    credits = CreditOfferingOut(source="credit_offerings", many=True)
    page = serializers.SerializerMethodField()

    class Meta:
        model = Program
        fields = [
            "id",
            "title",
            "provider",
            "format",
            "delivery",
            "start_date",
            "end_date",
            "location_city",
            "location_state",
            "fee_amount",
            "fee_currency",
            "leave_days",
            "outcome_level_measured",
            "credits",
            "page",
        ]

    def get_page(self, program: Program) -> str:
        return f"/programs/{program.pk}/"


class PointsLineOut(serializers.Serializer[Any]):
    text = serializers.CharField()
    points = serializers.IntegerField()


class FactorOut(serializers.Serializer[Any]):
    factor = serializers.CharField()
    name = serializers.CharField(help_text="The factor's label on the page.")
    points = serializers.IntegerField(help_text="0..100")
    weight = serializers.IntegerField()
    reasons = PointsLineOut(many=True)
    shortfalls = PointsLineOut(many=True)


class FitCheckOut(serializers.Serializer[Any]):
    kind = serializers.CharField()
    status = serializers.CharField()
    message = serializers.CharField()
    not_checked = serializers.CharField()


class RankingOut(serializers.Serializer[Any]):
    total = serializers.FloatField(help_text="0..100, one decimal")
    weighted_points = serializers.IntegerField()
    fits = serializers.BooleanField()
    factors = FactorOut(many=True)
    fit_checks = FitCheckOut(many=True)


class CatalogItemOut(serializers.Serializer[Any]):
    program = ProgramOut()
    ranking = RankingOut(allow_null=True, help_text="With an active career goal only; null otherwise.")


class CatalogPageOut(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    ranked = serializers.BooleanField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = CatalogItemOut(many=True)


class ShortlistEntryOut(serializers.ModelSerializer[ShortlistEntry]):
    program = ProgramOut()

    class Meta:
        model = ShortlistEntry
        fields = ["id", "program", "status", "note", "planned_on", "enrolled_on", "completed_on", "dropped_on"]


class ShortlistAddIn(serializers.Serializer[Any]):
    program_id = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class ShortlistChangeIn(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=ShortlistStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class CreditAmountOut(serializers.Serializer[Any]):
    credit_type = serializers.CharField()
    amount = serializers.DecimalField(max_digits=7, decimal_places=2)


class CreditClaimOut(serializers.ModelSerializer[CreditClaim]):
    amounts = CreditAmountOut(many=True)

    class Meta:
        model = CreditClaim
        fields = ["id", "title", "provider_name", "completed_on", "topics", "program", "amounts"]


class CreditClaimIn(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=300)
    provider_name = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    completed_on = serializers.DateField()
    topics = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)
    amounts = serializers.DictField(
        child=serializers.DecimalField(max_digits=7, decimal_places=2, min_value=0),
        help_text=f"Hours by credit type ({', '.join(CreditType.values)}).",
    )


class TopicProgressOut(serializers.Serializer[Any]):
    topic = serializers.CharField()
    hours_required = serializers.DecimalField(max_digits=9, decimal_places=2)
    hours_earned = serializers.DecimalField(max_digits=9, decimal_places=2)


class LicenceProgressOut(serializers.Serializer[Any]):
    licence_id = serializers.IntegerField()
    name = serializers.CharField()
    renewal_date = serializers.DateField()
    days_to_renewal = serializers.IntegerField()
    cycle_start = serializers.DateField()
    hours_required = serializers.DecimalField(max_digits=9, decimal_places=2)
    hours_earned = serializers.DecimalField(max_digits=9, decimal_places=2)
    hours_short = serializers.DecimalField(max_digits=9, decimal_places=2)
    claims_counted = serializers.IntegerField()


class PlanItemOut(serializers.Serializer[Any]):
    entry_id = serializers.IntegerField()
    program_id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    start_date = serializers.DateField(allow_null=True, help_text="None: on demand.")
    end_date = serializers.DateField(allow_null=True, help_text="The start date when the program states no end.")
    in_window = serializers.BooleanField(help_text="Runs during the plan's 12 months.")
    counted = serializers.BooleanField(help_text="Counts toward the plan's fee and leave totals.")
    fee_amount = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    leave_days = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    proposed_by_supervisor = serializers.BooleanField(
        help_text="On the plan because a supervisor's proposal was accepted."
    )


class PlanDateOut(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["review", "renewal"])
    day = serializers.DateField()
    licence_name = serializers.CharField(allow_blank=True)


class PlanOut(serializers.Serializer[Any]):
    window_start = serializers.DateField()
    window_end = serializers.DateField(help_text="Inclusive.")
    items = PlanItemOut(many=True)
    dates = PlanDateOut(many=True)
    fee_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    unknown_fee_titles = serializers.ListField(
        child=serializers.CharField(), help_text="Counted programs that state no fee (not in fee_total)."
    )
    leave_total = serializers.DecimalField(max_digits=9, decimal_places=1)


class ProfessionFiguresOut(serializers.Serializer[Any]):
    profession = serializers.CharField()
    suppressed = serializers.BooleanField(help_text="A group too small to show: no figure, not even its size.")
    size = serializers.IntegerField(allow_null=True)
    participation_rate = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)
    funding_per_member = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    leave_per_member = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    approval_rate = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)
    median_days_to_decision = serializers.FloatField(allow_null=True)
    flagged = serializers.ListField(child=serializers.CharField(), help_text="Metrics under four-fifths of the best.")


class TeamFiguresOut(serializers.Serializer[Any]):
    team_id = serializers.IntegerField()
    team = serializers.CharField()
    min_group_size = serializers.IntegerField()
    professions = ProfessionFiguresOut(many=True)


class RequestCostsIn(serializers.Serializer[Any]):
    """The request page's itemised costs, each optional; the form and supervision.rules bound them."""

    registration = serializers.DecimalField(max_digits=None, decimal_places=None, required=False, allow_null=True)
    travel = serializers.DecimalField(max_digits=None, decimal_places=None, required=False, allow_null=True)
    lodging = serializers.DecimalField(max_digits=None, decimal_places=None, required=False, allow_null=True)
    other = serializers.DecimalField(max_digits=None, decimal_places=None, required=False, allow_null=True)
    other_description = serializers.CharField(required=False, allow_blank=True, default="")


class FundingRequestIn(serializers.Serializer[Any]):
    """The request page's fields; only their types are checked here (FundingRequestForm checks the values)."""

    program_id = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    costs = RequestCostsIn(required=False, help_text="USD. Registration, travel, lodging, other (with a description).")
    amount = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        required=False,
        allow_null=True,
        help_text="USD; leave it out to ask for the total of the costs. Less than the costs is allowed, never more.",
    )
    leave_days = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        required=False,
        allow_null=True,
        help_text="Paid leave days, travel included.",
    )
    travel_days = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        required=False,
        allow_null=True,
        help_text="Of the leave days, those to travel there and back.",
    )
    justification = serializers.CharField(allow_blank=True, help_text="Why this program: what it changes.")


class CostItemOut(serializers.Serializer[Any]):
    kind = serializers.CharField()
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    description = serializers.CharField()


class FundingRequestOut(serializers.ModelSerializer[FundingRequest]):
    program_title = serializers.CharField(source="program.title")
    cost_items = CostItemOut(many=True)
    asked_on = serializers.DateField()
    page = serializers.SerializerMethodField()

    class Meta:
        model = FundingRequest
        fields = [
            "id",
            "status",
            "program_id",
            "program_title",
            "team_id",
            "amount_requested",
            "leave_days_requested",
            "travel_days",
            "cost_items",
            "costs_on",
            "justification",
            "exceeds_allowance",
            "amount_approved",
            "leave_days_approved",
            "asked_on",
            "decided_at",
            "page",
        ]

    def get_page(self, funding_request: FundingRequest) -> str:
        return f"/team/requests/{funding_request.pk}/"


class LedgerOut(serializers.Serializer[Any]):
    """What the request page shows left for the policy year the costs fall in (None: not known)."""

    year_start = serializers.DateField()
    year_last_day = serializers.DateField()
    money_left = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    leave_left = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
    employer_money_left = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    employer_leave_left = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)


class FundingRequestCreatedOut(serializers.Serializer[Any]):
    request = FundingRequestOut()
    warning = serializers.CharField(help_text="The policy warning (over the allowance, allowed); empty when none.")
    ledger = LedgerOut(help_text="After this request, which reserves its figures while pending.")


class FundingRequestPageOut(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = FundingRequestOut(many=True)


# RFC 9457 problem details; inline because a Serializer field cannot be called `errors`.
ProblemOut = inline_serializer(
    name="Problem",
    fields={
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text='Messages by field ("amounts.ancc" for a nested one, "__all__" for the whole request).',
        ),
    },
)
