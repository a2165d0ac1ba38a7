from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from payportal.accounts.views.auth import login_view


def home(request: HttpRequest) -> HttpResponse:
    """``/``: the login page for a visitor, the dashboard after login."""
    if not request.user.is_authenticated:
        return login_view(request)
    return render(request, "dashboard/home.html")
