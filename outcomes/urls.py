from django.urls import path

from . import views

app_name = "outcomes"

urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("new/", views.project_create, name="project_create"),
    path("<int:project_id>/", views.project_detail, name="project_detail"),
    path("<int:project_id>/edit/", views.project_edit, name="project_edit"),
    path("<int:project_id>/delete/", views.project_delete, name="project_delete"),
    path("<int:project_id>/measurements/", views.measurement_add, name="measurement_add"),
    path(
        "<int:project_id>/measurements/<int:measurement_id>/delete/",
        views.measurement_delete,
        name="measurement_delete",
    ),
    path("<int:project_id>/presentations/", views.presentation_add, name="presentation_add"),
    path(
        "<int:project_id>/presentations/<int:presentation_id>/delete/",
        views.presentation_delete,
        name="presentation_delete",
    ),
    path("<int:project_id>/team/", views.team_member_add, name="team_member_add"),
    path("<int:project_id>/team/<int:member_id>/delete/", views.team_member_delete, name="team_member_delete"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/export.json", views.portfolio_export, name="portfolio_export"),
    path("portfolio/share/", views.share_links, name="share_links"),
    path("portfolio/share/<int:link_id>/revoke/", views.share_link_revoke, name="share_link_revoke"),
    path("shared/<str:token>/", views.shared_portfolio, name="shared_portfolio"),
    path("evidence/programs/<int:program_id>/", views.evidence_list, name="evidence_list"),
    path("evidence/programs/<int:program_id>/new/", views.evidence_new, name="evidence_new"),
    path("evidence/<int:evidence_id>/edit/", views.evidence_edit, name="evidence_edit"),
    path("evidence/<int:evidence_id>/delete/", views.evidence_delete, name="evidence_delete"),
    path("evidence/<int:evidence_id>/verify/", views.evidence_verify, name="evidence_verify"),
]
