from django.urls import path
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from accounts.access import api_endpoint

from . import views

app_name = "api"

schema_view = SpectacularAPIView.as_view(
    renderer_classes=[OpenApiJsonRenderer], permission_classes=[AllowAny], authentication_classes=[]
)

# Each view's access decision is recorded here for the URL matrix; DRF enforces it (api.permissions).
urlpatterns = [
    path("", api_endpoint("public")(views.index), name="root"),
    path("v1/", api_endpoint("public")(views.index), name="index"),
    path("v1/schema/", api_endpoint("public")(schema_view), name="schema"),
    path("v1/programs/", api_endpoint("signed in")(views.catalog), name="catalog"),
    path("v1/programs/<int:program_id>/", api_endpoint("signed in")(views.program), name="program"),
    path("v1/shortlist/", api_endpoint("clinician")(views.shortlist), name="shortlist"),
    path("v1/shortlist/<int:entry_id>/", api_endpoint("clinician")(views.shortlist_entry), name="shortlist_entry"),
    path("v1/credits/", api_endpoint("clinician")(views.credits), name="credits"),
    path("v1/funding-requests/", api_endpoint("clinician")(views.funding_requests), name="funding_requests"),
    path(
        "v1/funding-requests/<int:request_id>/",
        api_endpoint("clinician or supervisor")(views.funding_request),
        name="funding_request",
    ),
    path("v1/plan/", api_endpoint("clinician")(views.plan), name="plan"),
    path("v1/licences/progress/", api_endpoint("clinician")(views.licence_progress), name="licence_progress"),
    path("v1/teams/<int:team_id>/figures/", api_endpoint("supervisor")(views.team_figures), name="team_figures"),
]
