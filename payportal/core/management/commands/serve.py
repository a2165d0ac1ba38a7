import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


def run_gunicorn(*, host: str, port: int, workers: int, threads: int) -> None:
    """Serve the portal with gunicorn; static files come from WhiteNoise."""
    from gunicorn.app.base import BaseApplication

    from payportal.wsgi import application

    class PortalApplication(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", "-")
            # The path without its query string, and no Referer: a search
            # box's text (even a card number typed by mistake) stays out
            # of the log.
            self.cfg.set(
                "access_log_format", '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s'
            )
            self.cfg.set("forwarded_allow_ips", "127.0.0.1,::1")

        def load(self) -> Any:
            return application

    PortalApplication().run()


class Command(BaseCommand):
    help = "Serve the portal with the production server (gunicorn + WhiteNoise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("PAYPORTAL_WORKERS", 2))
        )
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("PAYPORTAL_THREADS", 4))
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The hashed, compressed static files WhiteNoise serves; quick when
        # nothing changed.
        call_command("collectstatic", interactive=False, verbosity=0)
        run_gunicorn(
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            threads=options["threads"],
        )
