"""Profile: any signed-in user's own record, details and password."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_http_methods, require_safe

from payportal.accounts.forms.profile import ProfileForm, ProfilePasswordForm
from payportal.accounts.services import mfa as mfa_services
from payportal.accounts.services import users as services
from payportal.accounts.views.passwords import OwnPasswordChangeView
from payportal.core.htmx import redirect_to, render_page

TEMPLATE = "accounts/profile/detail.html"
CHANGED_MESSAGE = "Your password has been changed. Your other sessions were signed out."


def _render_profile(
    request: HttpRequest, *, form: ProfileForm | None = None
) -> HttpResponse:
    user = request.user
    factors = mfa_services.confirmed_factors(user)
    context = {
        "subject": user,
        "form": form,
        "factors": factors,
        "recovery_codes_left": (
            mfa_services.unused_recovery_codes(user) if factors else 0
        ),
    }
    return render_page(
        request,
        TEMPLATE,
        context,
        fragment="edit-card" if form is not None else "details-card",
    )


@login_required
@require_safe
def profile_detail(request: HttpRequest) -> HttpResponse:
    return _render_profile(request)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = ProfileForm(data, user=request.user)
    if form.is_bound and form.is_valid():
        try:
            services.update_profile(
                user=request.user,
                full_name=form.cleaned_data["full_name"],
                email=form.cleaned_data["email"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your profile has been saved.")
            return redirect_to(request, reverse("accounts:profile"))
    return _render_profile(request, form=form)


class ProfilePasswordView(OwnPasswordChangeView):
    """Django's password change, writing through the service (audit, policy).

    The current session stays signed in; every other session of the user
    ends, because the password hash they were signed in with changed.
    """

    form_class = ProfilePasswordForm
    template_name = "accounts/profile/password.html"
    success_url = reverse_lazy("accounts:profile")
    success_message = CHANGED_MESSAGE


profile_password = ProfilePasswordView.as_view()
