"""The authorization matrix: role x URL x method -> status (issue 4, item 7).

The table is ``tests.matrix.URLS``; every URL name the resolver knows must
be in it. Every request goes through conftest's PortalClient, which
enforces CSRF checks and sends a valid token, with fresh objects of the
requester's own firm for each cell, so that a POST that changes something
cannot change what another cell sees.
"""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import resolve

from conftest import PortalClient
from tests import matrix

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def test_matrix_knows_every_url():
    missing = sorted(set(matrix.ALL_URLS) - set(matrix.URLS))
    stale = sorted(set(matrix.URLS) - set(matrix.ALL_URLS))

    assert (missing, stale) == ([], [])


def test_matrix_covers_every_role_and_method():
    cells = {
        (name, role, method)
        for name in matrix.URLS
        for role in matrix.ALL_ROLES
        for method in ("get", "post")
    }

    assert len(cells) == len(matrix.URLS) * 8 * 2
    assert all(matrix.expected(*cell) is not None for cell in cells)


def request_as(client, method: str, path: str):
    if method == "get":
        response = client.get(path)
    else:
        # A harmless body: no form is valid without its fields.
        response = client.post(path, {})
    # A file download streams from an open file: close it.
    response.close()
    return response


def assert_outcome(response, outcome, path: str) -> None:
    if outcome == matrix.LOGIN:
        assert response.status_code == 302, path
        assert response["Location"].startswith("/?next="), response["Location"]
    else:
        assert response.status_code == outcome, path


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("role", matrix.ALL_ROLES)
@pytest.mark.parametrize("name", matrix.TABLED)
def test_matrix(name, role, method, merchant):
    ids = matrix.object_ids(merchant)
    client = PortalClient()
    if role != matrix.ANONYMOUS:
        client.force_login(matrix.make_user(merchant, role))
    path = matrix.path_of(name, ids)

    response = request_as(client, method, path)

    assert_outcome(response, matrix.expected(name, role, method), path)


# -- Anonymous walker, POST (the GET walker is tests/test_walkers.py) -------

ANONYMOUS_ALLOWLIST = {
    name
    for name, row in matrix.URLS.items()
    if row.anon_get != matrix.LOGIN or row.anon_post != matrix.LOGIN
}


def test_anonymous_allowlist_is_the_public_views():
    assert ANONYMOUS_ALLOWLIST == {
        "dashboard",  # the login page
        "healthz",
        "accounts:logout",
        "accounts:reset_request",
        "accounts:reset_sent",
        "accounts:reset_confirm",
        "accounts:set_password",
        "accounts:reset_complete",
        "accounts:mfa_verify",
        "accounts:mfa_recovery",
        "accounts:mfa_passkey",
        "processors:webhook",
    }


@pytest.mark.parametrize(
    "name", sorted(n for n in matrix.TABLED if n not in ANONYMOUS_ALLOWLIST)
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_walker_sends_visitors_to_login(name, method, merchant):
    path = matrix.path_of(name, matrix.object_ids(merchant))

    response = request_as(PortalClient(), method, path)

    assert response.status_code == 302
    assert response["Location"].startswith("/?next=")


# -- CSRF is enforced throughout the suite --------------------------------


def test_portal_client_enforces_csrf(admin):
    client = PortalClient()
    client.force_login(admin)
    # Client.post of Django itself: no token in the form.
    response = Client.post(client, "/profile/edit/", {"full_name": "X"})

    assert response.status_code == 403
    admin.refresh_from_db()
    assert admin.full_name == "Ada Admin"


def test_portal_client_passes_csrf_with_its_token(admin):
    client = PortalClient()
    client.force_login(admin)

    response = client.post(
        "/profile/edit/", {"full_name": "Ada Lovelace", "email": "ada@example.com"}
    )

    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.full_name == "Ada Lovelace"


def test_portal_client_refuses_a_token_that_differs_from_the_cookie(admin):
    client = PortalClient()
    client.force_login(admin)
    client.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32

    response = Client.post(
        client, "/profile/edit/", {"full_name": "X", "csrfmiddlewaretoken": "b" * 32}
    )

    assert response.status_code == 403


def _test_files() -> list[Path]:
    skip = {".venv", "node_modules", ".git"}
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not skip & set(path.relative_to(ROOT).parts)
        and (path.name.startswith("test_") or path.name == "conftest.py")
    )


def csrf_exemptions(path: Path) -> list[str]:
    """Where ``path`` makes a client that does not check CSRF tokens.

    Django's test ``Client()`` skips CSRF checks unless built with
    ``enforce_csrf_checks=True``; pytest-django's ``client`` and
    ``admin_client`` fixtures are such clients, unless conftest.py defines
    a fixture of the same name that returns a PortalClient.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = node.func
            callee_name = getattr(callee, "id", getattr(callee, "attr", ""))
            if callee_name in ("Client", "AsyncClient"):
                enforced = any(
                    kw.arg == "enforce_csrf_checks"
                    and isinstance(kw.value, ast.Constant)
                    and kw.value.value is True
                    for kw in node.keywords
                )
                if not enforced:
                    found.append(f"{node.lineno}: {callee_name}() without CSRF")
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name.startswith("test_") or _is_fixture(node):
                for arg in node.args.args:
                    if arg.arg in PLAIN_FIXTURES and not _overridden(arg.arg):
                        found.append(f"{node.lineno}: pytest-django {arg.arg}")
    return found


def _is_fixture(node) -> bool:
    return any("fixture" in ast.unparse(d) for d in node.decorator_list)


PLAIN_FIXTURES = ("client", "async_client", "admin_client")


def _overridden(fixture: str) -> bool:
    # conftest.py replaces pytest-django's admin_client with a PortalClient.
    source = (ROOT / "conftest.py").read_text()
    return re.search(rf"def {fixture}\(.*\) -> PortalClient", source) is not None


def test_csrf_is_enforced_in_every_test():
    found = {
        str(path.relative_to(ROOT)): hits
        for path in _test_files()
        if (hits := csrf_exemptions(path))
    }

    assert found == {}


def test_csrf_scan_finds_a_plain_client(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "from django.test import Client\n"
        "def test_a(async_client):\n"
        "    Client().get('/')\n"
        "    Client(enforce_csrf_checks=True).get('/')\n"
    )

    assert csrf_exemptions(sample) == [
        "2: pytest-django async_client",
        "3: Client() without CSRF",
    ]


def test_csrf_middleware_is_on():
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE


@pytest.mark.parametrize("name", sorted(matrix.ALL_URLS))
def test_csrf_exempt_only_the_webhook(name):
    route = re.sub(r"<int:\w+>", "1", matrix.ALL_URLS[name])
    view = resolve(matrix.fill(route, {})).func

    assert getattr(view, "csrf_exempt", False) is (name == "processors:webhook")
