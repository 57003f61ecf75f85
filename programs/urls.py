from django.urls import include, path

from . import views

app_name = "programs"

urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("<int:program_id>/", views.program_detail, name="detail"),
    path("compare/", views.compare, name="compare"),
    path("curation/", include(("programs.curation.urls", "curation"), namespace="curation")),
]
