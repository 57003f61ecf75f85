from django.urls import path

from . import views

app_name = "careers"

urlpatterns = [
    path("", views.plan, name="plan"),
    path("profile/", views.profile, name="profile"),
    path("goals/new/", views.goal_edit, name="goal_new"),
    path("goals/<int:goal_id>/", views.goal_edit, name="goal_edit"),
    path("goals/<int:goal_id>/activate/", views.goal_activate, name="goal_activate"),
    path("goals/<int:goal_id>/delete/", views.goal_delete, name="goal_delete"),
    path("licences/new/", views.licence_edit, name="licence_new"),
    path("licences/<int:licence_id>/", views.licence_edit, name="licence_edit"),
    path("licences/<int:licence_id>/delete/", views.licence_delete, name="licence_delete"),
    path("shortlist/<int:program_id>/toggle/", views.shortlist_toggle, name="shortlist_toggle"),
    path("shortlist/entries/<int:entry_id>/", views.shortlist_update, name="shortlist_update"),
    path("shortlist/entries/<int:entry_id>/complete/", views.entry_complete, name="entry_complete"),
    path("credits/", views.credits, name="credits"),
    path("credits/new/", views.credit_new, name="credit_new"),
    path("credits/import/", views.transcript_upload, name="transcript_upload"),
    path("credits/import/<int:import_id>/", views.transcript_preview, name="transcript_preview"),
    path("credits/import/<int:import_id>/confirm/", views.transcript_confirm, name="transcript_confirm"),
    path("credits/<int:claim_id>/delete/", views.credit_delete, name="credit_delete"),
    path("credits/<int:claim_id>/certificate/", views.certificate_download, name="certificate"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/regenerate/", views.calendar_regenerate, name="calendar_regenerate"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
