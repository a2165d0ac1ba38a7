"""Stub: to be written."""

from django.http import HttpResponse


def event_list(request, *args, **kwargs):  # noqa: ARG001
    return HttpResponse("TODO")
