from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from cme_portal.storage import FILE_NOT_STORED_MESSAGE, FileNotStored

from .models import (
    EmployerCmePolicy,
    FundingRequest,
    Invitation,
    Reminder,
    ReminderPreference,
    RequestCostItem,
    RequestDecision,
)


@admin.register(EmployerCmePolicy)
class EmployerCmePolicyAdmin(admin.ModelAdmin[EmployerCmePolicy]):
    list_display = [
        "profession",
        "organization",
        "team",
        "yearly_reimbursement_amount",
        "paid_leave_days",
        "over_allowance_rule",
        "confirmed_on",
    ]
    list_filter = ["profession", "over_allowance_rule", "organization"]
    autocomplete_fields = ["confirmed_by"]
    raw_id_fields = ["team", "organization"]

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """A document the storage cannot write: back to the form with the message, not a 500."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except FileNotStored:
            self.message_user(request, FILE_NOT_STORED_MESSAGE, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class RequestDecisionInline(admin.TabularInline[RequestDecision, FundingRequest]):
    model = RequestDecision
    extra = 0
    can_delete = False
    readonly_fields = ["decided_by", "outcome", "amount_approved", "leave_days_approved", "reason", "decided_at"]


class RequestCostItemInline(admin.TabularInline[RequestCostItem, FundingRequest]):
    """The itemised costs as the clinician entered them (read-only: the request was sent with them)."""

    model = RequestCostItem
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "description", "amount"]

    def has_add_permission(self, request: HttpRequest, obj: FundingRequest | None = None) -> bool:
        return False


@admin.register(FundingRequest)
class FundingRequestAdmin(admin.ModelAdmin[FundingRequest]):
    list_display = [
        "pk",
        "requester",
        "program",
        "team",
        "status",
        "amount_requested",
        "leave_days_requested",
        "created_at",
        "decided_at",
    ]
    list_filter = ["status", "profession"]
    search_fields = ["requester__email", "program__title"]
    raw_id_fields = ["requester", "program", "team", "shortlist_entry", "decided_by"]
    # What the clinician wrote to their supervisor and the snapshot (which names their career goal)
    # stay between them: operators do not see either.
    exclude = ["justification", "snapshot"]
    inlines = [RequestCostItemInline, RequestDecisionInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    list_display = ["email", "team", "created_at", "expires_at", "accepted_at"]
    # The token is stored only as a digest and never shown or filtered on (cme_portal.admin_site).
    exclude = ["token_digest"]
    raw_id_fields = ["team", "invited_by", "accepted_by"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin[Reminder]):
    list_display = ["user", "kind", "subject", "due_on", "created_at", "emailed_at"]
    list_filter = ["kind"]
    raw_id_fields = ["user"]


@admin.register(ReminderPreference)
class ReminderPreferenceAdmin(admin.ModelAdmin[ReminderPreference]):
    list_display = ["user", "kind", "enabled"]
    raw_id_fields = ["user"]
