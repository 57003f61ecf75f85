from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpRequest

from cme_portal.client_address import client_address

from .limits import password_reset_allowed


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

    The page answers the same either way, so it reveals neither accounts nor the limits being hit.
    """

    def save(  # type: ignore[override]  # the same keywords, passed on unchanged (PasswordResetView uses keywords)
        self, *, request: HttpRequest | None = None, **options: Any
    ) -> None:
        address = client_address(request) if request is not None else None
        if password_reset_allowed(email=self.cleaned_data["email"], ip_address=address or None):
            super().save(request=request, **options)
