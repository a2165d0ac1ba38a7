"""Passkey pages: add one from Profile, and use one after the password.

The browser's part (``navigator.credentials``) is static/payportal/js/
passkeys.js: it reads the options from the page, runs the ceremony and
posts the answer as JSON in the form's hidden ``credential`` field. Each
page view makes a new challenge, kept in the session and taken out by the
next POST, so every challenge is answered at most once.
"""

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from payportal.accounts import lockout
from payportal.accounts.forms.mfa import CurrentPasswordMixin
from payportal.accounts.mfa import passkeys, state
from payportal.accounts.models import User
from payportal.accounts.services import mfa as services
from payportal.accounts.views.auth import render_login_failure
from payportal.accounts.views.mfa import (
    PENDING_EXPIRED,
    _finish_sign_in,
    _pending_user,
)

CREDENTIAL_MISSING = (
    "Your browser didn't send a passkey. Passkeys need JavaScript; "
    "you can use your authenticator app instead."
)
PASSKEY_ADDED = "Passkey added. Your other sessions were signed out."


class _CredentialField(forms.CharField):
    def __init__(self) -> None:
        super().__init__(
            widget=forms.HiddenInput,
            required=False,
            max_length=20_000,
            strip=True,
        )


class PasskeyForm(forms.Form):
    """The browser's answer, as JSON (filled in by passkeys.js)."""

    credential = _CredentialField()

    def clean_credential(self) -> str:
        credential = self.cleaned_data["credential"]
        if not credential:
            raise forms.ValidationError(CREDENTIAL_MISSING, code="missing")
        return credential


class PasskeyAddForm(CurrentPasswordMixin, PasskeyForm):
    """Add a passkey: the current password and the browser's answer."""

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["password"] = forms.CharField(
            label="Current password",
            strip=False,
            widget=forms.PasswordInput(
                attrs={"autocomplete": "current-password", "autofocus": True}
            ),
            help_text="Asked again because this changes how you sign in.",
        )
        self.order_fields(["password", "credential"])


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def mfa_passkey_add(request: HttpRequest) -> HttpResponse:
    """Add a passkey beside the authenticator app (current password again)."""
    user = request.user
    if not services.has_confirmed_factor(user):
        messages.info(request, services.PASSKEY_NEEDS_APP)
        return redirect("accounts:profile")
    relying = passkeys.relying_party(request)
    form = PasskeyAddForm(request.POST if request.method == "POST" else None, user=user)
    if form.is_bound:
        challenge = passkeys.pop_challenge(
            request.session, passkeys.REGISTRATION_CHALLENGE
        )
        if form.is_valid():
            try:
                services.add_passkey(
                    user=user,
                    credential=form.cleaned_data["credential"],
                    challenge=challenge,
                    relying=relying,
                    request=request,
                )
            except ValidationError as error:
                form.add_error("credential", error)
            else:
                # This session stays signed in; the user's others end.
                state.remember_factors(request.session, user)
                messages.success(request, PASSKEY_ADDED)
                return redirect("accounts:profile")
    options = passkeys.registration_options(
        request.session,
        relying=relying,
        username=user.username,
        display_name=user.full_name,
        existing=services.passkey_ids(user),
    )
    context = {"form": form, "options": json.loads(options)}
    return render(request, "accounts/mfa/passkey_add.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def mfa_passkey(request: HttpRequest) -> HttpResponse:
    """``/login/passkey/``: a passkey instead of the app's code.

    A wrong signature or an answer to a used challenge counts as a wrong
    code: towards the lockout, with a ``login.mfa_failed`` event.
    """
    if request.user.is_authenticated:
        return redirect("dashboard")
    pending, user = _pending_user(request)
    if user is None or pending is None:
        state.clear_pending(request.session)
        if pending is not None:
            messages.error(request, PENDING_EXPIRED)
        return redirect("dashboard")
    if not services.has_passkey(user):
        return redirect("accounts:mfa_verify")
    relying = passkeys.relying_party(request)
    form = PasskeyForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        challenge = passkeys.pop_challenge(
            request.session, passkeys.AUTHENTICATION_CHALLENGE
        )
        if form.is_valid():
            if lockout.is_locked(user.username):
                state.clear_pending(request.session)
                return render_login_failure(request)
            if services.verify_passkey(
                user=user,
                credential=form.cleaned_data["credential"],
                challenge=challenge,
                relying=relying,
            ):
                return _finish_sign_in(request, user, pending)
            if services.record_code_failed(user=user, request=request):
                state.clear_pending(request.session)
                return render_login_failure(request)
            form.add_error("credential", services.PASSKEY_FAILED)
    options = passkeys.authentication_options(
        request.session, relying=relying, credential_ids=services.passkey_ids(user)
    )
    context = {"form": form, "options": json.loads(options)}
    return render(request, "accounts/mfa/passkey_verify.html", context)
