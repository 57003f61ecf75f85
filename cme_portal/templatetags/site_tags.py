"""Template filters every page uses (base.html), registered as the "site_tags" library in settings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django import template
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message

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
