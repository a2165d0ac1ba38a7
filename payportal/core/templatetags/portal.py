"""Template helpers shared by every app: icons, query strings, money and
dates, and the helpers list views use to work out their rows in Python."""

import functools
import html
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django import template
from django.urls import reverse
from django.utils import translation
from django.utils.dates import MONTHS_3
from django.utils.html import format_html
from django.utils.safestring import SafeData, SafeString, mark_safe

from payportal.core.money import format_money

register = template.Library()

# 24x24 stroke icons (Feather-style paths), drawn inline so they need no
# request and inherit the text colour. Always aria-hidden: the button or
# link around an icon carries the accessible name.
_PATHS = {
    "home": '<path d="M3 11l9-8 9 8"/><path d="M5 10v10h14V10"/>',
    "users": '<circle cx="9" cy="8" r="4"/><path d="M1 21v-1a7 7 0 0 1 14 0v1"/>'
    '<path d="M16 4a4 4 0 0 1 0 8"/><path d="M19 21v-1a6 6 0 0 0-3-5"/>',
    "shield": '<path d="M12 2l8 4v6c0 5-3.5 8.5-8 10-4.5-1.5-8-5-8-10V6z"/>',
    "list": '<path d="M8 6h13M8 12h13M8 18h13"/><circle cx="3.5" cy="6" r="1"/>'
    '<circle cx="3.5" cy="12" r="1"/><circle cx="3.5" cy="18" r="1"/>',
    "edit": '<path d="M12 20h9"/><path d="M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z"/>',
    "check": '<path d="M20 6L9 17l-5-5"/>',
    "x": '<path d="M18 6L6 18M6 6l12 12"/>',
    "plus": '<path d="M12 5v14M5 12h14"/>',
    "search": '<circle cx="11" cy="11" r="7"/><path d="M21 21l-4.3-4.3"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 21v-1a8 8 0 0 1 16 0v1"/>',
    "logout": '<path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4"/>'
    '<path d="M16 17l5-5-5-5M21 12H9"/>',
    "lock": '<rect x="4" y="11" width="16" height="10" rx="2"/>'
    '<path d="M8 11V7a4 4 0 0 1 8 0v4"/>',
    "unlock": '<rect x="4" y="11" width="16" height="10" rx="2"/>'
    '<path d="M8 11V7a4 4 0 0 1 7.8-1"/>',
    "key": '<circle cx="7.5" cy="15.5" r="4.5"/><path d="M10.7 12.3L21 2M16 7l3 3"/>',
    "mail": '<rect x="2" y="4" width="20" height="16" rx="2"/><path d="M22 6l-10 7L2 6"/>',
    "trash": '<path d="M3 6h18M8 6V4h8v2M6 6l1 15h10l1-15"/>',
    "chevron-left": '<path d="M15 18l-6-6 6-6"/>',
    "chevron-right": '<path d="M9 18l6-6-6-6"/>',
    "alert": '<circle cx="12" cy="12" r="10"/><path d="M12 8v4M12 16h.01"/>',
    "menu": '<path d="M3 6h18M3 12h18M3 18h18"/>',
    "download": '<path d="M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4"/>'
    '<path d="M7 10l5 5 5-5M12 15V3"/>',
    "card": '<rect x="2" y="5" width="20" height="14" rx="2"/><path d="M2 10h20"/>',
    "refund": '<path d="M3 12a9 9 0 1 0 3-6.7L3 8"/><path d="M3 3v5h5"/>',
    "flag": '<path d="M4 22V4s2-1 5-1 5 2 8 2 3-1 3-1v10s-1 1-3 1-5-2-8-2-5 1-5 1"/>',
    "settings": '<circle cx="12" cy="12" r="3"/>'
    '<path d="M12 2v3M12 19v3M4.2 4.2l2.1 2.1M17.7 17.7l2.1 2.1M2 12h3M19 12h3'
    'M4.2 19.8l2.1-2.1M17.7 6.3l2.1-2.1"/>',
    "check-circle": '<circle cx="12" cy="12" r="10"/><path d="M8 12l3 3 5-6"/>',
    "file": '<path d="M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z"/>'
    '<path d="M14 2v6h6"/>',
    "paperclip": '<path d="M21 11l-9 9a5.5 5.5 0 0 1-8-8l9-9a3.7 3.7 0 0 1 5 5l-9 9'
    'a1.8 1.8 0 0 1-2.6-2.6L15 7"/>',
}


@register.simple_tag
@functools.lru_cache(maxsize=256)
def icon(name: str, size: int = 18) -> SafeString:
    """``{% icon "edit" %}``: an inline SVG icon, hidden from screen readers.

    The same few icons are drawn on every page (the menu has one per
    entry): each name and size is built once.
    """
    return format_html(
        '<svg class="icon" width="{}" height="{}" viewBox="0 0 24 24" fill="none" '
        'stroke="currentColor" stroke-width="2" stroke-linecap="round" '
        'stroke-linejoin="round" aria-hidden="true" focusable="false">{}</svg>',
        size,
        size,
        mark_safe(_PATHS[name]),  # noqa: S308 - constant markup above
    )


@register.simple_tag(takes_context=True)
def query(context: template.Context, **changes: object) -> str:
    """The current query string with ``changes`` applied (None removes).

    ``{% query cursor=page.next_cursor %}`` keeps search, filters and sort
    while moving between pages.
    """
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return "?" + encoded if encoded else "?"


@register.filter
def money(amount: int | None, currency: str) -> str:
    """``{{ payment.amount|money:payment.currency }}`` -> "$1,234.56"."""
    if amount is None or amount == "":
        return ""
    return format_money(int(amount), str(currency))


# A list page shows 50 rows, and the template engine's cost per lookup,
# filter and tag adds up there: resolving ``{{ row.x|date:"..." }}``,
# ``|money`` and ``{% url %}`` for every cell was most of a page's time
# (issue 5). List views work out each row's text with these helpers and
# hand the template escaped strings; the markup stays in the template.

# An id that appears in no URL prefix: reverse() puts it where the id goes.
_ID_MARKER = 918273645


def url_for_ids(name: str) -> Callable[[int], str]:
    """``reverse(name, args=[pk])`` for every row at the cost of one call.

    reverse() matches the pattern afresh on each call (tens of
    microseconds); the URL of one id is the URL of any other with the id
    swapped, for a pattern whose only argument is an ``<int:...>``.
    """
    marker = str(_ID_MARKER)
    head, _, tail = reverse(name, args=[_ID_MARKER]).rpartition(marker)
    return lambda pk: f"{head}{int(pk)}{tail}"


@functools.lru_cache(maxsize=128)
def _month(language: str | None, month: int) -> str:
    # MONTHS_3 is translated lazily, in the active language: the cache
    # keeps one spelling per language.
    return str(MONTHS_3[month].title())


def short_date(value: date) -> str:
    """``value|date:"j M Y"`` ("1 Nov 2026"); see short_datetime."""
    month = _month(translation.get_language(), value.month)
    return f"{value.day} {month} {value.year:04d}"


def short_datetime(value: datetime) -> str:
    """``value|date:"j M Y, H:i"`` ("1 Nov 2026, 15:00"), of a datetime
    already in the time zone to show, without the filter's format parser.
    """
    month = _month(translation.get_language(), value.month)
    return f"{value.day} {month} {value.year:04d}, {value.hour:02d}:{value.minute:02d}"


def escaped_row(**texts: Any) -> dict[str, Any]:
    """One row for a list template: each text escaped once, here, and
    marked safe.

    Autoescaping escapes a text at every ``{{ }}`` that shows it, and
    Django's escape() costs more in its wrapper than in the escaping; a
    row's URL is in eight links. Escaped up front, with what escape()
    itself uses, the template has nothing left to escape. Safe texts
    (markup from format_html) and other values pass as they are.
    """
    return {
        key: (
            SafeString(html.escape(value))
            if isinstance(value, str) and not isinstance(value, SafeData)
            else value
        )
        for key, value in texts.items()
    }
