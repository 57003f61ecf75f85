from django.contrib import admin

from .models import (
    ClinicianProfile,
    CreditAmount,
    CreditClaim,
    Licence,
    LicenceTopicRequirement,
    ShortlistEntry,
)


class LicenceTopicInline(admin.TabularInline[LicenceTopicRequirement, Licence]):
    model = LicenceTopicRequirement
    extra = 0


@admin.register(ClinicianProfile)
class ClinicianProfileAdmin(admin.ModelAdmin[ClinicianProfile]):
    list_display = ["user", "profession", "specialty", "next_review_date"]
    search_fields = ["user__email", "user__full_name"]
    exclude = ["calendar_token_digest"]


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin[Licence]):
    list_display = ["user", "jurisdiction", "licence_type", "renewal_date", "hours_required"]
    search_fields = ["user__email", "jurisdiction"]
    inlines = [LicenceTopicInline]


# Career goals are the clinician's own and are not in the admin at all; shortlist notes ("only
# you can see") are left out of it. Operators see neither.


@admin.register(ShortlistEntry)
class ShortlistEntryAdmin(admin.ModelAdmin[ShortlistEntry]):
    list_display = ["user", "program", "status", "updated_at"]
    list_filter = ["status"]
    raw_id_fields = ["program"]
    exclude = ["note"]


class CreditAmountInline(admin.TabularInline[CreditAmount, CreditClaim]):
    model = CreditAmount
    extra = 0


@admin.register(CreditClaim)
class CreditClaimAdmin(admin.ModelAdmin[CreditClaim]):
    list_display = ["user", "title", "completed_on"]
    raw_id_fields = ["program", "shortlist_entry"]
    exclude = ["certificate"]  # certificates stay private to their owner
    inlines = [CreditAmountInline]
