from typing import Any

from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def _create_cache_tables(using: str = "default", **kwargs: Any) -> None:
    # The embedded default keeps throttle counters in a database cache
    # table; create it with the schema so no extra set-up step exists.
    call_command("createcachetable", database=using, verbosity=0)


class CoreConfig(AppConfig):
    name = "payportal.core"
    label = "core"

    def ready(self) -> None:
        post_migrate.connect(_create_cache_tables, sender=self)
