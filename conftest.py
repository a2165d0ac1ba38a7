"""Fixtures shared by every app's tests."""

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils.crypto import get_random_string

from payportal.accounts.models import Role, User
from payportal.accounts.tests.factories import (
    PASSWORD,
    AdministratorRoleFactory,
    MerchantFactory,
    RoleFactory,
    UserFactory,
)
from payportal.merchants.models import Merchant


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
def admin_client(client_as, admin) -> PortalClient:
    return client_as(admin)
