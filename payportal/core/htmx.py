"""htmx helpers: one URL answers with a whole page or a fragment of it.

Every action works as a normal GET/POST; htmx requests get the named
``{% partialdef %}`` of the same template (STYLE rule 13).
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect


def wants_fragment(request: HttpRequest) -> bool:
    # A history restore asks for the whole page, like a normal visit.
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    fragment: str | None = None,
) -> HttpResponse:
    """Render ``template``, or only its partial ``fragment`` for htmx."""
    if fragment and wants_fragment(request):
        template += "#" + fragment
    response = render(request, template, context)
    # The same URL answers with a page or a fragment: caches must tell apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def redirect_to(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect; for htmx a full-page one, not a page swapped into a card."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)
