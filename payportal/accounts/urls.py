from django.urls import path

from payportal.accounts.views import (
    access_review,
    auth,
    mfa,
    passkeys,
    profile,
    roles,
    users,
)

urlpatterns = [
    # Signing in happens at "/" (payportal.dashboard.views.home).
    path("logout/", auth.logout_view, name="logout"),
    path("login/code/", mfa.mfa_verify, name="mfa_verify"),
    path("login/recovery/", mfa.mfa_recovery, name="mfa_recovery"),
    path("login/passkey/", passkeys.mfa_passkey, name="mfa_passkey"),
    path("password/new/", auth.password_required, name="password_required"),
    path("password/forgot/", auth.reset_request, name="reset_request"),
    path("password/forgot/sent/", auth.reset_sent, name="reset_sent"),
    path("password/reset/<uidb64>/<token>/", auth.reset_confirm, name="reset_confirm"),
    path("password/set/<uidb64>/<token>/", auth.set_password, name="set_password"),
    path("password/done/", auth.reset_complete, name="reset_complete"),
    path("profile/", profile.profile_detail, name="profile"),
    path("profile/edit/", profile.profile_edit, name="profile_edit"),
    path("profile/password/", profile.profile_password, name="profile_password"),
    path("profile/two-step/", mfa.mfa_setup, name="mfa_setup"),
    path("profile/two-step/remove/", mfa.mfa_remove, name="mfa_remove"),
    path(
        "profile/two-step/passkey/",
        passkeys.mfa_passkey_add,
        name="mfa_passkey_add",
    ),
    path(
        "profile/two-step/recovery-codes/",
        mfa.mfa_recovery_codes,
        name="mfa_recovery_codes",
    ),
    path("users/", users.user_list, name="user_list"),
    path("users/add/", users.user_add, name="user_add"),
    path(
        "users/access-review.csv",
        access_review.access_review,
        name="user_access_review",
    ),
    path("users/<int:user_id>/", users.user_detail, name="user_detail"),
    path("users/<int:user_id>/edit/", users.user_edit, name="user_edit"),
    path(
        "users/<int:user_id>/password/",
        users.user_reset_password,
        name="user_reset_password",
    ),
    path("users/<int:user_id>/unlock/", users.user_unlock, name="user_unlock"),
    path(
        "users/<int:user_id>/two-step/reset/",
        users.user_reset_mfa,
        name="user_reset_mfa",
    ),
    path("roles/", roles.role_list, name="role_list"),
    path("roles/add/", roles.role_add, name="role_add"),
    path("roles/<int:role_id>/", roles.role_detail, name="role_detail"),
    path("roles/<int:role_id>/edit/", roles.role_edit, name="role_edit"),
    path("roles/<int:role_id>/delete/", roles.role_delete, name="role_delete"),
]
