"""The one way a signed-in user changes their own password in a view."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect

from payportal.accounts.services import users as user_services


class OwnPasswordChangeView(PasswordChangeView):
    """Django's PasswordChangeView, saving through the portal's service.

    services.users.change_password applies the policy (history included),
    clears a temporary password's flag and records the audit event. This
    session stays signed in; the user's other sessions end because the
    password hash they were signed in with changed.
    """

    success_message = ""

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            user_services.change_password(
                user=form.user,
                password=form.cleaned_data["new_password1"],
                request=self.request,
            )
        except ValidationError as error:
            form.add_error("new_password1", error.error_dict["password"])
            return self.form_invalid(form)
        update_session_auth_hash(self.request, form.user)
        messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.get_success_url())
