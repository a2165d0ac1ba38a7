"""Markup the payments pages share between templates and list rows."""

import functools

from django import template
from django.template.defaultfilters import title
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@functools.lru_cache(maxsize=64)
def _brand(brand: str) -> str:
    # A handful of brands: "visa" -> "Visa", escaped, once each.
    return escape(title(brand))


@register.simple_tag
def card_mask(brand: str, last4: str) -> SafeString:
    """``{% card_mask payment.card_brand payment.card_last4 %}``: a card as
    the portal shows it, brand and last four only, never more.

    The Transactions list draws one per row, so it is put together here
    rather than with format_html (both values escaped).
    """
    return mark_safe(  # noqa: S308 - both values escaped
        f'<span class="card-mask">{_brand(brand)} <span aria-hidden="true">••••</span>'
        f'<span class="visually-hidden">ending in</span> {escape(last4)}</span>'
    )
