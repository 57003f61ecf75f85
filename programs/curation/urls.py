from django.urls import path

from . import views

app_name = "curation"

urlpatterns = [
    path("", views.import_list, name="imports"),
    path("imports/start/", views.import_start, name="import_start"),
    path("imports/<int:job_id>/", views.import_detail, name="import_detail"),
    path("imports/<int:job_id>/errors.csv", views.import_errors_csv, name="import_errors"),
    path("export/", views.export, name="export"),
    path("review/", views.review, name="review"),
    path("review/decide/", views.review_decide, name="review_decide"),
    path("review/imports/<int:job_id>/decide/", views.review_decide_import, name="review_decide_import"),
    path("listings/", views.listing_list, name="listings"),
    path("listings/new/", views.listing_new, name="listing_new"),
    path("listings/<int:program_id>/edit/", views.listing_edit, name="listing_edit"),
    path("listings/<int:program_id>/history/", views.listing_history, name="listing_history"),
]
