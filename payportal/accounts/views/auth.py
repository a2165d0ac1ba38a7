"""Stub: to be written."""

from django.http import HttpResponse


def login_view(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def logout_view(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def password_required(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def reset_request(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def reset_sent(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def reset_confirm(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def set_password(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def reset_complete(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def render_login_failure(request):
    return HttpResponse("TODO")
