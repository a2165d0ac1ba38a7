from django.urls import path

from payportal.processors import views

urlpatterns = [
    path("<slug:processor>/", views.webhook, name="webhook"),
]
