"""`{% submission_field form %}`: the hidden one-submission token of a create form (accounts.submissions)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accounts.submissions import SUBMISSION_FIELD, submission_token_for_form

register = template.Library()


@register.simple_tag(takes_context=True)
def submission_field(context: dict[str, Any], form: Any = None) -> SafeString:
    """A hidden `submission` input; `form` re-rendered bound after an error keeps the token it was posted with."""
    token = submission_token_for_form(context.get("request"), form_is_bound=bool(getattr(form, "is_bound", False)))
    return format_html('<input type="hidden" name="{}" value="{}">', SUBMISSION_FIELD, token)
