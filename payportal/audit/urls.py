from django.urls import path

from payportal.audit import views

urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("export/", views.event_export, name="event_export"),
]
