from django.urls import path

from payportal.merchants import views

urlpatterns = [
    path("", views.settings_detail, name="settings"),
    path("edit/", views.settings_edit, name="settings_edit"),
]
