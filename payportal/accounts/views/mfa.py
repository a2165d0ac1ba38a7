"""Two-step sign-in pages: the code page after the password, and the
Profile's set up, turn off and replace recovery codes."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from payportal.accounts import lockout
from payportal.accounts.forms.mfa import (
    CodeForm,
    PasswordConfirmForm,
    RecoveryCodeForm,
    TotpConfirmForm,
)
from payportal.accounts.mfa import state, totp
from payportal.accounts.models import User
from payportal.accounts.services import auth as auth_services
from payportal.accounts.services import mfa as services
from payportal.accounts.views.auth import render_login_failure

PENDING_EXPIRED = (
    "Your sign-in wasn't finished within 5 minutes. Sign in again with your "
    "username and password."
)
TURNED_OFF = "Two-step sign-in is off. Your other sessions were signed out."
CODES_TEMPLATE = "accounts/mfa/codes.html"


def _pending_user(request: HttpRequest) -> tuple[state.Pending | None, User | None]:
    pending = state.get_pending(request.session)
    if pending is None or pending.expired:
        return pending, None
    user = (
        User.objects.select_related("merchant", "role")
        .filter(pk=pending.user_id, is_active=True)
        .first()
    )
    return pending, user


def _finish_sign_in(
    request: HttpRequest, user: User, pending: state.Pending
) -> HttpResponse:
    state.clear_pending(request.session)
    # Only now is the user signed in: a new session key, axes clears the
    # username's failures, the 12-hour clock starts.
    auth_login(request, user, backend=pending.backend or None)
    state.remember_factors(request.session, user)
    auth_services.record_login_succeeded(user=user, request=request)
    if user.must_change_password:
        return redirect("accounts:password_required")
    return redirect(pending.next or resolve_url(settings.LOGIN_REDIRECT_URL))


def _code_page(request: HttpRequest, *, recovery: bool) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    pending, user = _pending_user(request)
    if user is None:
        state.clear_pending(request.session)
        if pending is not None:
            messages.error(request, PENDING_EXPIRED)
        return redirect("dashboard")
    form_class = RecoveryCodeForm if recovery else CodeForm
    form = form_class(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        if lockout.is_locked(user.username):
            # The same answer as any refused sign-in; start again.
            state.clear_pending(request.session)
            return render_login_failure(request)
        code = form.cleaned_data["code"]
        if recovery:
            ok = services.use_recovery_code(user=user, code=code, request=request)
        else:
            ok = services.verify_totp_code(user=user, code=code)
        if ok:
            return _finish_sign_in(request, user, pending)
        if services.record_code_failed(user=user, request=request):
            state.clear_pending(request.session)
            return render_login_failure(request)
        form.add_error(
            "code", services.RECOVERY_CODE_WRONG if recovery else services.CODE_WRONG
        )
    template = "accounts/mfa/verify.html"
    context = {
        "form": form,
        "recovery": recovery,
        "has_passkey": services.has_passkey(user),
    }
    return render(request, template, context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """``/login/code/``: the code from the app, after the password."""
    return _code_page(request, recovery=False)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def mfa_recovery(request: HttpRequest) -> HttpResponse:
    """``/login/recovery/``: a recovery code instead of the app's code."""
    return _code_page(request, recovery=True)


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: scan, then confirm with a first code."""
    user = request.user
    try:
        factor = services.start_totp_enrolment(user=user)
    except ValidationError as error:
        messages.info(request, error.messages[0])
        return redirect("accounts:profile")
    form = TotpConfirmForm(
        request.POST if request.method == "POST" else None, user=user
    )
    if form.is_bound and form.is_valid():
        try:
            codes = services.confirm_totp(
                user=user,
                factor=factor,
                code=form.cleaned_data["code"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # This session stays signed in; the user's others end.
            state.remember_factors(request.session, user)
            return render(request, CODES_TEMPLATE, {"codes": codes, "enabled": True})
    secret = totp.base32_secret(factor.secret)
    uri = totp.provisioning_uri(
        factor.secret,
        account=user.username,
        issuer=f"{totp.ISSUER} ({user.merchant.name})",
    )
    context = {
        "form": form,
        "qr": totp.qr_data_uri(uri),
        "secret": totp.grouped(secret),
        "required": user.merchant.require_mfa,
    }
    return render(request, "accounts/mfa/setup.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def mfa_remove(request: HttpRequest) -> HttpResponse:
    """Turn two-step sign-in off: the current password again."""
    user = request.user
    if not services.has_confirmed_factor(user):
        return redirect("accounts:profile")
    form = PasswordConfirmForm(
        request.POST if request.method == "POST" else None, user=user
    )
    if form.is_bound and form.is_valid():
        services.remove_factors(user=user, request=request)
        state.remember_factors(request.session, user)
        messages.success(request, TURNED_OFF)
        return redirect("accounts:profile")
    context = {"form": form, "required": user.merchant.require_mfa}
    return render(request, "accounts/mfa/remove.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def mfa_recovery_codes(request: HttpRequest) -> HttpResponse:
    """Replace the recovery codes: the current password again."""
    user = request.user
    if not services.has_confirmed_factor(user):
        return redirect("accounts:profile")
    form = PasswordConfirmForm(
        request.POST if request.method == "POST" else None, user=user
    )
    if form.is_bound and form.is_valid():
        codes = services.regenerate_recovery_codes(user=user, request=request)
        return render(request, CODES_TEMPLATE, {"codes": codes, "enabled": False})
    return render(request, "accounts/mfa/regenerate.html", {"form": form})
