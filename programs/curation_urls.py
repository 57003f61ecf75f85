from django.urls import path

from . import curation_views

app_name = "curation"

urlpatterns = [
    path("", curation_views.import_list, name="imports"),
    path("imports/start/", curation_views.import_start, name="import_start"),
    path("imports/<int:job_id>/", curation_views.import_detail, name="import_detail"),
    path("imports/<int:job_id>/errors.csv", curation_views.import_errors_csv, name="import_errors"),
    path("export/", curation_views.export, name="export"),
    path("review/", curation_views.review, name="review"),
    path("review/decide/", curation_views.review_decide, name="review_decide"),
]
