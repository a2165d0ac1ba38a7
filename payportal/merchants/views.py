"""The firm's Settings page: a record that opens read-only, then edits."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from payportal.accounts import permissions as p
from payportal.core.htmx import redirect_to, render_page
from payportal.merchants import services
from payportal.merchants.forms import SettingsForm

TEMPLATE = "merchants/settings.html"
SAVED = "Settings saved."


def _render(request: HttpRequest, *, form: SettingsForm | None = None) -> HttpResponse:
    """The record; ``form`` shows the Settings card in edit mode.

    For htmx, only the card: the edit form or the read-only record.
    """
    fragment = "edit-card" if form is not None else "details-card"
    context = {"merchant": request.merchant, "form": form}
    return render_page(request, TEMPLATE, context, fragment=fragment)


@p.permission_required(p.SETTINGS_MANAGE)
@require_safe
def settings_detail(request: HttpRequest) -> HttpResponse:
    return _render(request)


@p.permission_required(p.SETTINGS_MANAGE)
@require_http_methods(["GET", "HEAD", "POST"])
def settings_edit(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant
    data = request.POST if request.method == "POST" else None
    form = SettingsForm(data, merchant=merchant)
    if form.is_bound and form.is_valid():
        try:
            services.update_settings(
                merchant=merchant,
                actor=request.user,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            merchant.refresh_from_db()
            form.add_error(None, error)
        else:
            messages.success(request, SAVED)
            return redirect_to(request, reverse("merchants:settings"))
    return _render(request, form=form)
