"""Lock a username out the real way: ten failed sign-ins through axes."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.test import RequestFactory


def lock_out(username: str) -> None:
    factory = RequestFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        request = factory.post("/", {"username": username})
        authenticate(request, username=username, password="not-the-password-1")
