"""Security headers and cookies (OWASP ASVS 5.0 V3.4, V3.3; DESIGN §4).

The header tests run on a signed-in page and on the login page. The
production tests read the settings as ``PAYPORTAL_HTTPS=true`` makes them,
in a fresh process (settings are read once, at import), then serve pages
with exactly those values.
"""

import json
import os
import secrets
import subprocess
import sys

import pytest

from conftest import PortalClient

pytestmark = pytest.mark.django_db

PRODUCTION_SETTINGS = (
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SAMESITE",
    "DEBUG",
)
ONE_YEAR = 365 * 24 * 60 * 60


def production_env(tmp_path) -> dict[str, str]:
    """The environment of a production install (CI's check --deploy's)."""
    environment = {
        **os.environ,
        "PAYPORTAL_DATA_DIR": str(tmp_path),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PAYPORTAL_HTTPS": "true",
        "ALLOWED_HOSTS": "portal.example.com",
    }
    # The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE in this
    # process; a production install never has it.
    for name in (
        "DJANGO_SETTINGS_MODULE",
        "PAYPORTAL_DEBUG",
        "PAYPORTAL_HSTS_PRELOAD",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    ):
        environment.pop(name, None)
    return environment


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict[str, object]:
    code = (
        "import json, django, os;"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'payportal.settings';"
        "django.setup(); from django.conf import settings;"
        f"names = {PRODUCTION_SETTINGS!r};"
        "print(json.dumps({n: getattr(settings, n) for n in names}))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env=production_env(tmp_path_factory.mktemp("prod")),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture
def as_production(settings, production):
    for name, value in production.items():
        setattr(settings, name, value)
    settings.ALLOWED_HOSTS = ["testserver"]
    return production


def csp(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.fixture(params=["login", "dashboard"])
def page(request, admin):
    """A response of the login page (visitor) or a page signed in."""
    client = PortalClient()
    if request.param == "dashboard":
        client.force_login(admin)
        response = client.get("/transactions/")
    else:
        response = client.get("/")
    assert response.status_code == 200
    return response


# --- Headers on every page --------------------------------------------------


def test_csp_allows_no_inline_script_and_no_plugins(page):
    directives = csp(page)

    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert "unsafe-inline" not in page["Content-Security-Policy"]
    assert "unsafe-eval" not in page["Content-Security-Policy"]


def test_pages_have_no_inline_script_or_style(page):
    html = page.content.decode()

    # The policy would block them; a <script> must have a src.
    assert "<script>" not in html
    assert "<style" not in html
    assert " style=" not in html
    assert " onclick=" not in html


def test_referrer_policy_framing_and_sniffing_headers(page):
    assert page["Referrer-Policy"] == "same-origin"
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Cross-Origin-Opener-Policy"] == "same-origin"


def test_permissions_policy_turns_off_unused_features(page):
    policy = dict(
        item.strip().split("=", 1) for item in page["Permissions-Policy"].split(",")
    )

    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert policy[feature] == "()"
    # Passkeys (WebAuthn) work on the portal's own pages only.
    assert policy["publickey-credentials-get"] == "(self)"
    assert policy["publickey-credentials-create"] == "(self)"


def test_security_headers_are_on_error_pages_too(admin_client):
    response = admin_client.get("/transactions/999999/")

    assert response.status_code == 404
    assert "object-src 'none'" in response["Content-Security-Policy"]
    assert response["Permissions-Policy"].startswith("accelerometer=()")


# --- Production: HTTPS only, HSTS, cookies ---------------------------------


def test_production_settings_use_https_hsts_and_strict_cookies(production):
    assert production == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": ONE_YEAR,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "DEBUG": False,
    }


@pytest.mark.parametrize("path", ["/", "/transactions/"])
def test_production_sends_hsts_of_a_year(as_production, admin, path):
    client = PortalClient()
    client.force_login(admin)

    response = client.get(path, secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == (
        f"max-age={ONE_YEAR}; includeSubDomains; preload"
    )
    assert int(response["Strict-Transport-Security"].split(";")[0][8:]) >= ONE_YEAR


def test_production_redirects_http_to_https(as_production):
    response = PortalClient().get("/")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/"


def test_production_cookies_are_secure_httponly_samesite(
    as_production, admin, password
):
    client = PortalClient()

    login_page = client.get("/", secure=True)
    signed_in = client.post(
        "/",
        {"username": "admin", "password": password},
        secure=True,
        # Over HTTPS, CSRF protection also checks the Referer, as a browser
        # sends it (same-origin policy).
        HTTP_REFERER="https://testserver/",
    )

    assert signed_in.status_code == 302
    csrf = login_page.cookies["csrftoken"]
    session = signed_in.cookies["sessionid"]
    for cookie in (csrf, session):
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"


def test_check_deploy_passes_with_production_settings(tmp_path):
    # What CI runs (.ci/run), here on SQLite and without Redis.
    environment = production_env(tmp_path)
    environment.pop("DATABASE_URL", None)
    environment.pop("REDIS_URL", None)

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "payportal", "check", "--deploy"]
        + ["--fail-level", "WARNING"],
        env=environment,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
