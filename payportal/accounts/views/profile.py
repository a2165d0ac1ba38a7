"""Stub: to be written."""

from django.http import HttpResponse


def profile_detail(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def profile_edit(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def profile_password(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")
