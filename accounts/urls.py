from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .access import public, signed_in_required
from .forms import EmailAuthenticationForm, LimitedPasswordResetForm

# Django's own views, each wrapped with its access decision (accounts.access): signing in and
# resetting a forgotten password are public; changing a password needs a signed-in user.
urlpatterns = [
    path(
        "login/",
        public(
            auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True)
        ),
        name="login",
    ),
    path("logout/", public(auth_views.LogoutView.as_view()), name="logout"),
    path(
        "password/change/",
        signed_in_required(auth_views.PasswordChangeView.as_view(success_url="done/")),
        name="password_change",
    ),
    path(
        "password/change/done/",
        signed_in_required(auth_views.PasswordChangeDoneView.as_view()),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        public(
            auth_views.PasswordResetView.as_view(
                form_class=LimitedPasswordResetForm,
                success_url="done/",
                email_template_name="registration/password_reset_email.txt",
            )
        ),
        name="password_reset",
    ),
    path("password/reset/done/", public(auth_views.PasswordResetDoneView.as_view()), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        public(auth_views.PasswordResetConfirmView.as_view(success_url="/accounts/password/reset/complete/")),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        public(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
    # Personal access tokens for the JSON API (README "API"): ours, not Django's.
    path("tokens/", views.access_tokens, name="access_tokens"),
    path("tokens/<int:token_id>/revoke/", views.access_token_revoke, name="access_token_revoke"),
]
