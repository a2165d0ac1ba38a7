from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from payportal.accounts.models import User
from payportal.accounts.services import lifecycle


class PortalBackend(ModelBackend):
    """Django's ModelBackend, loading the user's firm and role with the user.

    Every signed-in request reads ``request.user.merchant`` (tenancy) and
    ``request.user.role`` (permissions): one query instead of three.
    Inactive users are still refused here (``user_can_authenticate``), which
    is what ends a deactivated user's open sessions.

    Sign-in adds the password-age rules of services/lifecycle.py, checked
    only once the password is known to be right, so they tell nothing to
    someone guessing: a temporary password over 72 hours old is refused
    (with its own message, counted by axes like any refused sign-in), and a
    password past its 90 days is let in and recorded; the user is then held
    on the change page by PasswordChangeRequiredMiddleware.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        user = super().authenticate(
            request, username=username, password=password, **kwargs
        )
        if user is None:
            return None
        if lifecycle.temporary_password_expired(user=user):
            lifecycle.refuse_expired_temporary_password(user=user, request=request)
            return None
        if lifecycle.password_expired(user=user):
            lifecycle.record_password_expired(user=user, request=request)
        return user

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User.objects.select_related("merchant", "role").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
