from typing import Any

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


def _stamp_login_time(request: Any, **kwargs: Any) -> None:
    # Start of the 12-hour absolute session limit (SessionLimitsMiddleware).
    # A signal so that every way of logging in, including tests'
    # force_login, starts the clock.
    import time

    from payportal.accounts.middleware import LOGIN_AT

    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT] = time.time()


class AccountsConfig(AppConfig):
    name = "payportal.accounts"
    label = "accounts"

    def ready(self) -> None:
        user_logged_in.connect(_stamp_login_time, dispatch_uid="payportal_login_at")
