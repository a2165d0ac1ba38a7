from typing import Any

from django.contrib.auth.backends import ModelBackend

from payportal.accounts.models import User


class PortalBackend(ModelBackend):
    """Django's ModelBackend, loading the user's firm and role with the user.

    Every signed-in request reads ``request.user.merchant`` (tenancy) and
    ``request.user.role`` (permissions): one query instead of three.
    Inactive users are still refused here (``user_can_authenticate``), which
    is what ends a deactivated user's open sessions.
    """

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User.objects.select_related("merchant", "role").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
