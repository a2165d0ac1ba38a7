"""Formatting audit events for the Audit log page."""

from typing import Any

from django import template
from django.urls import reverse

from payportal.audit.actions import LABELS

register = template.Library()

EMPTY = "—"


@register.filter
def action_label(code: str) -> str:
    """The action's label; an unknown code shows as itself."""
    return LABELS.get(code, code)


def _value(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) if value else EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@register.filter
def change_lines(changes: Any) -> list[dict[str, str]]:
    """``{field: [old, new]}`` as rows of field, old and new text.

    Anything not shaped like that (it was written by older code, say) shows
    as its own text under ``new`` rather than breaking the page.
    """
    if not isinstance(changes, dict):
        return []
    lines = []
    # Sorted by field: PostgreSQL's jsonb does not keep the order written.
    for field, change in sorted(changes.items()):
        if isinstance(change, list | tuple) and len(change) == 2:
            old, new = change
            lines.append({"field": str(field), "old": _value(old), "new": _value(new)})
        else:
            lines.append({"field": str(field), "old": "", "new": _value(change)})
    return lines


@register.filter
def target_url(event: Any) -> str:
    """The record page of an event's target user, else "" (no link).

    Linked by id only: the user record is a 404 for another firm's id.
    """
    if event.target_type == "user" and str(event.target_id).isdigit():
        return reverse("accounts:user_detail", args=[int(event.target_id)])
    return ""
