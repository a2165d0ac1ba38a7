from django.urls import path

from payportal.accounts.views import auth, profile, roles, users

urlpatterns = [
    # Signing in happens at "/" (payportal.dashboard.views.home).
    path("logout/", auth.logout_view, name="logout"),
    path("password/new/", auth.password_required, name="password_required"),
    path("password/forgot/", auth.reset_request, name="reset_request"),
    path("password/forgot/sent/", auth.reset_sent, name="reset_sent"),
    path("password/reset/<uidb64>/<token>/", auth.reset_confirm, name="reset_confirm"),
    path("password/set/<uidb64>/<token>/", auth.set_password, name="set_password"),
    path("password/done/", auth.reset_complete, name="reset_complete"),
    path("profile/", profile.profile_detail, name="profile"),
    path("profile/edit/", profile.profile_edit, name="profile_edit"),
    path("profile/password/", profile.profile_password, name="profile_password"),
    path("users/", users.user_list, name="user_list"),
    path("users/add/", users.user_add, name="user_add"),
    path("users/<int:user_id>/", users.user_detail, name="user_detail"),
    path("users/<int:user_id>/edit/", users.user_edit, name="user_edit"),
    path(
        "users/<int:user_id>/password/",
        users.user_reset_password,
        name="user_reset_password",
    ),
    path("users/<int:user_id>/unlock/", users.user_unlock, name="user_unlock"),
    path("roles/", roles.role_list, name="role_list"),
    path("roles/add/", roles.role_add, name="role_add"),
    path("roles/<int:role_id>/", roles.role_detail, name="role_detail"),
    path("roles/<int:role_id>/edit/", roles.role_edit, name="role_edit"),
    path("roles/<int:role_id>/delete/", roles.role_delete, name="role_delete"),
]
