"""The portal's URLs plus the benchmark's admin site at /admin/."""

from django.urls import path

from bench.admin_site import site
from payportal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [path("admin/", site.urls), *portal_urlpatterns]
