"""Fixtures shared by every app's tests."""

import re
import socket
from collections.abc import Callable
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils.crypto import get_random_string
from hypothesis import settings as hypothesis_settings

from payportal.accounts.models import Role, User
from payportal.accounts.tests.factories import (
    PASSWORD,
    AdministratorRoleFactory,
    MerchantFactory,
    RoleFactory,
    UserFactory,
)
from payportal.merchants.models import Merchant

# No time limit per Hypothesis example: the suite asserts behaviour, not
# speed (benchmarks are in bench/). The default 200 ms deadline failed a
# property test on a slow machine whose first example, with its database
# work, took 360 ms and the repeat 2 ms.
hypothesis_settings.register_profile("portal", deadline=None)
hypothesis_settings.load_profile("portal")


class PortalClient(Client):
    """A test client with CSRF checks enforced that sends a valid token.

    The cookie and the form field carry the same secret, as a browser's
    would; a test that wants to prove CSRF protection uses a plain
    ``Client(enforce_csrf_checks=True)`` and sends none.
    """

    def __init__(self, **defaults: Any) -> None:
        super().__init__(enforce_csrf_checks=True, **defaults)

    def post(self, path: str, data: Any = None, **extra: Any):  # type: ignore[override]
        cookie = self.cookies.get(settings.CSRF_COOKIE_NAME)
        token = cookie.value if cookie else get_random_string(32)
        self.cookies[settings.CSRF_COOKIE_NAME] = token
        data = dict(data or {})
        data.setdefault("csrfmiddlewaretoken", token)
        return super().post(path, data, **extra)


@pytest.fixture
def client() -> PortalClient:
    """pytest-django's ``client``, with CSRF checks enforced."""
    return PortalClient()


@pytest.fixture
def anon_client() -> PortalClient:
    return PortalClient()


@pytest.fixture
def merchant(db) -> Merchant:
    return MerchantFactory(name="Hale & Stone LLP")


@pytest.fixture
def other_merchant(db) -> Merchant:
    return MerchantFactory(name="Other Firm LLP")


@pytest.fixture
def admin_role(merchant) -> Role:
    return AdministratorRoleFactory(merchant=merchant)


@pytest.fixture
def admin(merchant, admin_role) -> User:
    return UserFactory(
        merchant=merchant, role=admin_role, username="admin", full_name="Ada Admin"
    )


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def user_with(merchant) -> Callable[..., User]:
    """``user_with("payments.view", ...)``: an active user holding exactly those."""

    def make(*codes: str, **fields) -> User:
        role = RoleFactory(
            merchant=fields.pop("merchant", merchant), permissions=list(codes)
        )
        return UserFactory(merchant=role.merchant, role=role, **fields)

    return make


@pytest.fixture
def client_as() -> Callable[[User], "PortalClient"]:
    """A test client signed in as the given user (CSRF checks on)."""

    def make(user: User) -> PortalClient:
        client = PortalClient()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def db_sessions(settings) -> None:
    """Keep sessions in the database, whatever REDIS_URL says.

    Query-count tests count the session's own queries; list this fixture
    before the client so the client's session is made in the database.
    """
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"


@pytest.fixture
def admin_client(client_as, admin) -> PortalClient:
    return client_as(admin)


class SmtpSink:
    """An aiosmtpd server on loopback that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def bodies_to(self, address: str) -> list[str]:
        return [
            m.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
            for m in self.messages
            if address in m["To"]
        ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def _smtp_server():
    from aiosmtpd.controller import Controller

    handler = SmtpSink()
    # Controller(port=0) cannot work: it connects to its own port to check
    # that it started, so pick a free port first.
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def smtp_sink(_smtp_server, settings) -> SmtpSink:
    """Send this test's email over real SMTP to a local aiosmtpd sink."""
    handler, port = _smtp_server
    handler.messages.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    return handler


def links_in(body: str) -> list[str]:
    """The http(s) links in an email body, in order."""
    return re.findall(r"https?://\S+", body)
