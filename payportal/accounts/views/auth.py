"""Signing in and out, the forced password change and password recovery.

Django's auth views, subclassed (STYLE rule 1): they bring CSRF checks,
never-cache headers, safe ``next`` redirects, session key rotation and the
single-use link handling. The subclasses add the portal's rules: one
message for every refused sign-in, per-address throttling, the audit trail
and the password policy through the services.
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.views import (
    INTERNAL_RESET_SESSION_TOKEN,
    LoginView,
    LogoutView,
    PasswordResetConfirmView,
)
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django_ratelimit.core import get_usage

from payportal.accounts import lockout
from payportal.accounts.forms.auth import (
    LOGIN_FAILED,
    LOGIN_MAX_LENGTH,
    LoginForm,
    NewPasswordForm,
    ResetRequestForm,
)
from payportal.accounts.mfa import state as mfa_state
from payportal.accounts.models import User
from payportal.accounts.services import auth as services
from payportal.accounts.services import mfa as mfa_services
from payportal.accounts.tokens import password_reset_tokens, set_password_tokens
from payportal.accounts.views.passwords import OwnPasswordChangeView

LOGIN_TEMPLATE = "accounts/login.html"
LOGIN_THROTTLED = (
    "Too many sign-in attempts from your network. Try again in a few minutes."
)
RESET_THROTTLED = "Too many password reset requests from your network. Try again later."
SIGNED_OUT = "You have signed out."
PASSWORD_CHOSEN = "Your new password is saved. You're signed in."  # noqa: S105
PASSWORD_SET = "Your password is set. Sign in with your username and new password."  # noqa: S105


def _throttled(
    request: HttpRequest, *, group: str, rate: str, increment: bool = True
) -> bool:
    """True once this address has used up ``rate`` for ``group``.

    Counted per client address in the shared "throttle" cache, so every
    server process sees the same count; only POSTs count. With
    ``increment=False`` it only looks, so a caller can count failures alone.
    """
    usage = get_usage(
        request, group=group, key="ip", rate=rate, method="POST", increment=increment
    )
    if usage is None:  # ratelimiting switched off (RATELIMIT_ENABLE)
        return False
    if increment:
        return usage["should_limit"]
    return usage["count"] >= usage["limit"]


def _render_login(request: HttpRequest, *, error: str, status: int) -> HttpResponse:
    # An unbound form showing the username as typed (never the password),
    # with ``next`` kept by the view's own context.
    view = PortalLoginView()
    view.setup(request)
    username = request.POST.get("username", "")[:LOGIN_MAX_LENGTH]
    form = LoginForm(request, initial={"username": username})
    if username:
        # The username is kept: the next thing to type is the password.
        del form.fields["username"].widget.attrs["autofocus"]
        form.fields["password"].widget.attrs["autofocus"] = True
    context = view.get_context_data(form=form, login_error=error)
    response = render(request, LOGIN_TEMPLATE, context, status=status)
    add_never_cache_headers(response)
    return response


def render_login_failure(request: HttpRequest) -> HttpResponse:
    """The answer to every refused sign-in, and axes' lockout response.

    A wrong password, an unknown username, an Inactive user and a locked
    account get this same page and status, byte for byte apart from the
    CSRF token: nothing tells a guesser which it was.
    """
    return _render_login(request, error=LOGIN_FAILED, status=200)


class PortalLoginView(LoginView):
    """``/`` for a visitor: username and password, then the dashboard.

    Usernames ignore case (UserManager.get_by_natural_key). Axes counts
    failures and refuses locked accounts inside ``authenticate``, which
    LoginForm calls with the request.
    """

    form_class = LoginForm
    template_name = LOGIN_TEMPLATE

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = request.POST.get("username", "")
        # Only failed sign-ins use up the address's allowance (form_invalid),
        # so a whole office behind one address can still sign in at 9am.
        if _throttled(
            request, group="login", rate=settings.PAYPORTAL_LOGIN_RATE, increment=False
        ):
            services.record_login_throttled(username=username, request=request)
            return _render_login(request, error=LOGIN_THROTTLED, status=429)
        # Axes decides inside authenticate(); the state before it tells
        # whether a failure is the one that locked the account.
        self.was_locked = lockout.is_locked(username)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: LoginForm) -> HttpResponse:
        user = form.get_user()
        if mfa_services.has_confirmed_factor(user):
            # Not signed in yet: the code page signs them in once the
            # second factor passes (views/mfa.py); until then MFAMiddleware
            # opens nothing else.
            mfa_state.start_pending(
                self.request.session, user=user, next_url=self.get_redirect_url()
            )
            return redirect("accounts:mfa_verify")
        auth_login(self.request, user)  # rotates the session key
        services.record_login_succeeded(user=user, request=self.request)
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form: LoginForm) -> HttpResponse:
        if not form.has_error(NON_FIELD_ERRORS):
            # A field left empty: nothing was tried, nothing is counted.
            return super().form_invalid(form)
        username = self.request.POST.get("username", "")
        _throttled(self.request, group="login", rate=settings.PAYPORTAL_LOGIN_RATE)
        services.record_login_failed(
            username=username,
            request=self.request,
            locked_out=not self.was_locked and lockout.is_locked(username),
        )
        return render_login_failure(self.request)

    def get_success_url(self) -> str:
        # A temporary password is changed before anything else opens
        # (PasswordChangeRequiredMiddleware would send them there anyway).
        if self.request.user.must_change_password:
            return reverse("accounts:password_required")
        return super().get_success_url()


login_view = PortalLoginView.as_view()


class PortalLogoutView(LogoutView):
    """Log out: POST only (Django answers GET with 405), then ``/``."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            services.record_logout(user=user, request=request)
        response = super().post(request, *args, **kwargs)
        if user.is_authenticated:
            messages.info(request, SIGNED_OUT)
        return response


logout_view = PortalLogoutView.as_view()


class RequiredPasswordView(OwnPasswordChangeView):
    """``/password/new/``: replace a temporary password (PCI DSS 8.3.5).

    The current password is not asked: it was typed a moment ago to sign
    in. The policy, including "not one of your last 4" (which covers the
    temporary password), is services.users.change_password's. This session
    stays signed in; every other session of the user ends.
    """

    form_class = NewPasswordForm
    template_name = "accounts/password_required.html"
    success_url = reverse_lazy("dashboard")
    success_message = PASSWORD_CHOSEN

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not request.user.must_change_password:
            return redirect("dashboard")
        return super().dispatch(request, *args, **kwargs)


password_required = require_http_methods(["GET", "HEAD", "POST"])(
    RequiredPasswordView.as_view()
)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def reset_request(request: HttpRequest) -> HttpResponse:
    """Forgot password: the same answer whether or not an account matched."""
    template = "accounts/reset_request.html"
    form = ResetRequestForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        if _throttled(request, group="reset", rate=settings.PAYPORTAL_RESET_RATE):
            services.record_reset_throttled(
                login=request.POST.get("login", ""), request=request
            )
            form = ResetRequestForm(
                initial={"login": request.POST.get("login", "")[:LOGIN_MAX_LENGTH]}
            )
            context = {"form": form, "throttle_error": RESET_THROTTLED}
            return render(request, template, context, status=429)
        if form.is_valid():
            services.request_password_reset(
                login=form.cleaned_data["login"], request=request
            )
            return redirect("accounts:reset_sent")
    return render(request, template, {"form": form})


@require_safe
def reset_sent(request: HttpRequest) -> HttpResponse:
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    return render(request, "accounts/reset_sent.html", {"minutes": minutes})


class LinkPasswordView(PasswordResetConfirmView):
    """Choose a password through an emailed single-use link.

    Django's view checks the token, moves it from the URL into the session
    (so it cannot leak in a Referer header) and shows the form. Completing
    it ends every session of the user. An expired, used or mangled link,
    or one of a user deactivated since, shows the "expired" page.
    """

    form_class = NewPasswordForm
    link = services.RESET_LINK
    success_message = ""

    def get_user(self, uidb64: str) -> User | None:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form: NewPasswordForm) -> HttpResponse:
        try:
            services.set_password_from_link(
                user=form.user,
                password=form.cleaned_data["new_password1"],
                link=self.link,
                request=self.request,
            )
        except ValidationError as error:
            form.add_error("new_password1", error.error_dict["password"])
            return self.form_invalid(form)
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        if self.success_message:
            messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.get_success_url())


class ResetConfirmView(LinkPasswordView):
    """``/password/reset/…``: the forgot-password link (1 hour)."""

    template_name = "accounts/reset_confirm.html"
    token_generator = password_reset_tokens
    success_url = reverse_lazy("accounts:reset_complete")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        minutes = settings.PASSWORD_RESET_TIMEOUT // 60
        return super().get_context_data(minutes=minutes, **kwargs)


class SetPasswordView(LinkPasswordView):
    """``/password/set/…``: the invite or administrator's link (72 hours).

    No automatic sign-in: the user signs in with the new password, which
    also proves they know it.
    """

    template_name = "accounts/set_password.html"
    token_generator = set_password_tokens
    link = services.SET_PASSWORD_LINK
    success_url = reverse_lazy("dashboard")
    success_message = PASSWORD_SET

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        hours = settings.PAYPORTAL_SET_PASSWORD_LINK_TIMEOUT // 3600
        return super().get_context_data(hours=hours, **kwargs)


reset_confirm = require_http_methods(["GET", "HEAD", "POST"])(
    ResetConfirmView.as_view()
)
set_password = require_http_methods(["GET", "HEAD", "POST"])(SetPasswordView.as_view())


@require_safe
def reset_complete(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/reset_complete.html")
