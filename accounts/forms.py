from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpRequest

from cme_portal.client_address import client_address

from .limits import password_reset_allowed
from .models import PersonalAccessToken, TokenScope


class EmailAuthenticationForm(AuthenticationForm):
    """Sign in with an email address; addresses are matched case-insensitively."""

    username = forms.EmailField(
        label="Email address", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self) -> str:
        email: str = self.cleaned_data["username"]
        return email.strip().lower()


class LimitedPasswordResetForm(PasswordResetForm):
    """Django's reset form, sending nothing past the per-account and per-address limits (accounts.limits).

    The emailed link is absolute, built from settings.SITE_URL (the request's own origin only
    where SITE_URL is unset, as in local development without it).

    The page answers the same either way, so it reveals neither accounts nor the limits being hit.
    """

    def save(  # type: ignore[override]  # the same keywords, passed on unchanged (PasswordResetView uses keywords)
        self, *, request: HttpRequest | None = None, **options: Any
    ) -> None:
        address = client_address(request) if request is not None else None
        if password_reset_allowed(email=self.cleaned_data["email"], ip_address=address or None):
            # The link starts with SITE_URL, as every emailed link (supervision.reminders.absolute_url),
            # never with the Host the request claimed: a forged Host would mail a link to another site.
            context = {**(options.pop("extra_email_context", None) or {}), "site_url": settings.SITE_URL}
            super().save(request=request, extra_email_context=context, **options)


class AccessTokenForm(forms.Form):
    """A new personal access token: a name to tell it apart and what it may do (README "API")."""

    name = forms.CharField(
        label="Name",
        max_length=PersonalAccessToken._meta.get_field("name").max_length,
        help_text="Where you will use it, e.g. “Laptop script”. Up to 100 characters.",
    )
    scope = forms.ChoiceField(
        label="Scope",
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        help_text="Read only may use GET requests only; read and write may also add and change your data.",
    )
