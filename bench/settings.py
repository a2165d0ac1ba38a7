"""Settings of bench/compare.py: the portal's, plus a Django admin site.

The admin is mounted only here, to time its changelists against the
portal's pages on the same database in the same run; the portal's own
settings never install django.contrib.admin. ``OVERRIDES`` is what this
module adds, so a process already configured with other settings (the
test suite) can apply the same with override_settings.
"""

from payportal.settings import *  # noqa: F403
from payportal.settings import ALLOWED_HOSTS, INSTALLED_APPS, STORAGES


def bench_overrides(
    installed_apps: list[str], allowed_hosts: list[str], storages: dict
) -> dict:
    """The settings the benchmark changes, given the portal's."""
    return {
        "INSTALLED_APPS": [*installed_apps, "django.contrib.admin"],
        # The admin under /admin/, every portal URL as it is.
        "ROOT_URLCONF": "bench.urls",
        # Django's test client asks for "testserver".
        "ALLOWED_HOSTS": [*allowed_hosts, "testserver"],
        # Plain static names: the manifest of a data dir's collectstatic
        # knows no admin files, and the benchmark writes nothing there.
        "STORAGES": {
            **storages,
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
            },
        },
    }


OVERRIDES = bench_overrides(INSTALLED_APPS, ALLOWED_HOSTS, STORAGES)
INSTALLED_APPS = OVERRIDES["INSTALLED_APPS"]
ROOT_URLCONF = OVERRIDES["ROOT_URLCONF"]
ALLOWED_HOSTS = OVERRIDES["ALLOWED_HOSTS"]
STORAGES = OVERRIDES["STORAGES"]
