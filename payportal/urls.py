from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_safe

from payportal.dashboard import views as dashboard_views


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", dashboard_views.home, name="dashboard"),
    path("healthz", healthz, name="healthz"),
    path("", include(("payportal.accounts.urls", "accounts"))),
    path("audit/", include(("payportal.audit.urls", "audit"))),
    path("", include(("payportal.payments.urls", "payments"))),
    path("settings/", include(("payportal.merchants.urls", "merchants"))),
    path("webhooks/", include(("payportal.processors.urls", "processors"))),
]
