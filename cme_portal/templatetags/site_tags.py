"""Template filters every page uses (base.html), registered as the "site_tags" library in settings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import template
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.forms import BaseForm, BaseFormSet, BoundField

register = template.Library()


@dataclass(frozen=True)
class MessagesByUrgency:
    alerts: list[Message]  # errors: announced at once (role="alert")
    statuses: list[Message]  # everything else: announced politely (role="status")


@register.filter
def by_urgency(messages: Iterable[Message]) -> MessagesByUrgency:
    """The request's flash messages split into errors and the rest, each in the order they were added."""
    queued = list(messages)
    return MessagesByUrgency(
        alerts=[message for message in queued if message.level >= constants.ERROR],
        statuses=[message for message in queued if message.level < constants.ERROR],
    )


@dataclass(frozen=True)
class ErrorLink:
    text: str
    target_id: str  # the id of the control to go to; "" for an error of the whole form


def _error_target_id(field: BoundField) -> str:
    """The id the summary links to: the field's control, or the first control of a group (radios, boxes, parts)."""
    if field.is_hidden or not field.auto_id:
        return ""
    if field.id_for_label:
        return field.id_for_label
    # Radios and boxes leave their group's label without a `for` (Django 4.0+); the first choice carries the id.
    return f"{field.auto_id}_0"


def _form_error_links(form: BaseForm) -> list[ErrorLink]:
    links = [ErrorLink(str(error), "") for error in form.non_field_errors()]
    for field in form:
        target = _error_target_id(field)
        for error in field.errors:
            if target:
                links.append(ErrorLink(f"{field.label}: {error}", target))
            else:
                links.append(ErrorLink(str(error), ""))
    return links


def error_links(form: BaseForm | BaseFormSet[Any] | None, formset: BaseFormSet[Any] | None = None) -> list[ErrorLink]:
    """Every error of a form (and of a formset and its forms), in page order, each with the id to link to."""
    links: list[ErrorLink] = []
    for item in (form, formset):
        if isinstance(item, BaseFormSet) and item.is_bound:
            links += [ErrorLink(str(error), "") for error in item.non_form_errors()]
            for member in item.forms:
                links += _form_error_links(member)
        elif isinstance(item, BaseForm) and item.is_bound:
            links += _form_error_links(item)
    return links


@register.simple_tag(takes_context=True)
def form_error_links(context: template.Context) -> list[ErrorLink]:
    """error_links of the context's `form` and `formset` (_form_errors.html), either of them optional."""
    return error_links(context.get("form"), context.get("formset"))


def _has_errors(value: object) -> bool:
    if isinstance(value, BaseFormSet):
        return value.is_bound and not value.is_valid()
    return isinstance(value, BaseForm) and value.is_bound and bool(value.errors)


@register.simple_tag(takes_context=True)
def error_title_prefix(context: template.Context) -> str:
    """ "Error: " when a form of the page has errors (base.html puts it before the title), else nothing.

    Every view hands its forms to the template, so the title follows whichever form was posted back.
    """
    return "Error: " if any(_has_errors(value) for value in context.flatten().values()) else ""
