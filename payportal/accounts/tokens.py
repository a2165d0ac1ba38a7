"""Single-use links: password reset (1 hour) and set-password (72 hours).

Both build on Django's PasswordResetTokenGenerator: the token covers the
password hash and last login, so it stops working as soon as it is used.
Each kind has its own salt, so a reset token is not a set-password token.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int


class _TimedTokenGenerator(PasswordResetTokenGenerator):
    timeout_setting = "PASSWORD_RESET_TIMEOUT"

    def check_token(self, user, token):  # type: ignore[no-untyped-def]
        # Django's check_token reads PASSWORD_RESET_TIMEOUT itself; this copy
        # of its logic takes the limit from ``timeout_setting`` instead.
        if not (user and token):
            return False
        try:
            ts_b36, _ = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(
                self._make_token_with_timestamp(user, ts, secret), token
            ):
                break
        else:
            return False
        timeout = getattr(settings, self.timeout_setting)
        return (self._num_seconds(self._now()) - ts) <= timeout


class PasswordResetTokens(_TimedTokenGenerator):
    key_salt = "payportal.accounts.tokens.PasswordResetTokens"


class SetPasswordTokens(_TimedTokenGenerator):
    key_salt = "payportal.accounts.tokens.SetPasswordTokens"
    timeout_setting = "PAYPORTAL_SET_PASSWORD_LINK_TIMEOUT"


password_reset_tokens = PasswordResetTokens()
set_password_tokens = SetPasswordTokens()
