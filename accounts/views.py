"""Account pages of this app's own (Django's sign-in and password views are wired in urls.py)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from cme_portal.confirmation import confirmation_page

from . import presenters, selectors, services
from .access import AuthenticatedHttpRequest, owned_or_404, signed_in_required
from .forms import AccessTokenForm
from .models import PersonalAccessToken
from .submissions import submitted_once

# A repeated "create token" writes nothing; the first token was on the first answer only.
CREATE_REPEATED_MESSAGE = (
    "This token was already created; nothing was added. A token is shown only once: "
    "if you did not copy it, revoke it below and create another."
)


def _token_shown(response: HttpResponseBase) -> bool:
    """A new token is shown in place (200), never redirected to: it is on that response only."""
    return response.status_code == 200


@require_http_methods(["GET", "POST"])
@signed_in_required
@submitted_once(saved=_token_shown, message=CREATE_REPEATED_MESSAGE)
def access_tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the user's API tokens and create one; an invalid form is a 400 and writes nothing."""
    form = AccessTokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        # Only the digest is stored: the raw token is on this response and never again.
        token, new_token = services.access_token_create(user=request.user, **form.cleaned_data)
        messages.success(request, f"Token “{token.name}” created.")
        form = AccessTokenForm()
    context = {"form": form, "tokens": selectors.access_tokens_for_user(user=request.user), "new_token": new_token}
    # Like every signed-in page this response is never stored (cme_portal.middleware: private, no-store).
    return render(request, "accounts/access_tokens.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@signed_in_required
def access_token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    """GET asks first, saying what changes; POST revokes the token. Anyone else's token is a 404."""
    token = owned_or_404(PersonalAccessToken, user=request.user, pk=token_id)
    if request.method == "GET":
        confirmation = presenters.access_token_revocation(token)
        return confirmation_page(request, confirmation, cancel_to=reverse("access_tokens"))
    services.access_token_revoke(user=request.user, token_id=token.pk)
    messages.success(request, f"Token “{token.name}” revoked: the API refuses it from now on.")
    return redirect("access_tokens")
