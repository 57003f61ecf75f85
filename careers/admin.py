from django.contrib import admin

from .models import (
    CareerGoal,
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
    exclude = ["calendar_token"]


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin[Licence]):
    list_display = ["user", "jurisdiction", "licence_type", "renewal_date", "hours_required"]
    search_fields = ["user__email", "jurisdiction"]
    inlines = [LicenceTopicInline]


@admin.register(CareerGoal)
class CareerGoalAdmin(admin.ModelAdmin[CareerGoal]):
    list_display = ["user", "target_role", "track", "is_active"]
    list_filter = ["track", "is_active"]


@admin.register(ShortlistEntry)
class ShortlistEntryAdmin(admin.ModelAdmin[ShortlistEntry]):
    list_display = ["user", "program", "status", "updated_at"]
    list_filter = ["status"]
    raw_id_fields = ["program"]


class CreditAmountInline(admin.TabularInline[CreditAmount, CreditClaim]):
    model = CreditAmount
    extra = 0


@admin.register(CreditClaim)
class CreditClaimAdmin(admin.ModelAdmin[CreditClaim]):
    list_display = ["user", "title", "completed_on"]
    raw_id_fields = ["program", "shortlist_entry"]
    exclude = ["certificate"]  # certificates stay private to their owner
    inlines = [CreditAmountInline]
