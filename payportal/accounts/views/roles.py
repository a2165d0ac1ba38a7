"""Stub: to be written."""

from django.http import HttpResponse


def role_list(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def role_add(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def role_detail(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def role_edit(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")


def role_delete(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")
