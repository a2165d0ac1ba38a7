"""Stub: to be written."""

from django.http import HttpResponse


def user_list(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def user_add(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def user_detail(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def user_edit(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def user_reset_password(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def user_unlock(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")
