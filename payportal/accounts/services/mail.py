"""The account emails: invite, set-password link, password reset.

Sent after the transaction commits, so a rolled-back change sends nothing.
No email ever carries a password.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from payportal.accounts.models import User
from payportal.accounts.tokens import password_reset_tokens, set_password_tokens


def portal_url(request: HttpRequest | None) -> str:
    """The portal's address as users reach it, without a trailing slash."""
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return settings.PAYPORTAL_BASE_URL.rstrip("/")


def set_password_link(user: User, request: HttpRequest | None) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = set_password_tokens.make_token(user)
    path = reverse("accounts:set_password", kwargs={"uidb64": uid, "token": token})
    return portal_url(request) + path


def password_reset_link(user: User, request: HttpRequest | None) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = password_reset_tokens.make_token(user)
    path = reverse("accounts:reset_confirm", kwargs={"uidb64": uid, "token": token})
    return portal_url(request) + path


def _send(user: User, template: str, subject: str, context: dict[str, object]) -> None:
    body = render_to_string(
        f"accounts/email/{template}.txt",
        {"user": user, "firm": user.merchant, **context},
    )
    recipient = user.email

    def deliver() -> None:
        send_mail(subject, body, None, [recipient])

    transaction.on_commit(deliver)


def send_invite(user: User, *, request: HttpRequest | None, with_link: bool) -> None:
    """Welcome email: the portal's address and the username, never a password.

    With ``with_link`` it carries a single-use set-password link (72 hours);
    otherwise the administrator hands over the temporary password.
    """
    context = {
        "portal_url": portal_url(request),
        "link": set_password_link(user, request) if with_link else None,
        "hours": settings.PAYPORTAL_SET_PASSWORD_LINK_TIMEOUT // 3600,
    }
    _send(user, "invite", f"Your {user.merchant.name} payments portal login", context)


def send_set_password_link(user: User, *, request: HttpRequest | None) -> None:
    context = {
        "portal_url": portal_url(request),
        "link": set_password_link(user, request),
        "hours": settings.PAYPORTAL_SET_PASSWORD_LINK_TIMEOUT // 3600,
    }
    _send(user, "set_password", "Set your payments portal password", context)


def send_password_reset(user: User, *, request: HttpRequest | None) -> None:
    context = {
        "portal_url": portal_url(request),
        "link": password_reset_link(user, request),
        "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    _send(user, "password_reset", "Reset your payments portal password", context)
