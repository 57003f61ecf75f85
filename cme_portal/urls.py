from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("accounts/", include("accounts.urls")),
    path("programs/", include("programs.urls")),
    path("careers/", include("careers.urls")),
    path("outcomes/", include("outcomes.urls")),
    path("team/", include("supervision.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "cme_portal.views.bad_request"
handler403 = "cme_portal.views.permission_denied"
handler404 = "cme_portal.views.page_not_found"
handler500 = "cme_portal.views.server_error"
