from io import StringIO

import pytest
from django.core.management import call_command

from payportal.accounts.models import User
from payportal.merchants.demo import DEMO_PASSWORD, DEMO_USERNAME, STAFF

pytestmark = pytest.mark.django_db


def run_demo() -> str:
    out = StringIO()
    # A few days of activity: the 90-day build is tested once, in
    # test_commands.py; these tests are about the firm and the login.
    call_command("demo", "--no-serve", "--port", "8123", "--days", "3", stdout=out)
    return out.getvalue()


def test_demo_creates_firm_and_prints_a_working_login(client):
    output = run_demo()

    assert "Created the demo firm 'Hale & Stone LLP'." in output
    assert "Open      http://localhost:8123/" in output
    assert f"Username  {DEMO_USERNAME}" in output
    assert f"Password  {DEMO_PASSWORD}" in output
    response = client.post("/", {"username": DEMO_USERNAME, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_demo_has_staff_roles_and_inactive_users():
    run_demo()

    demo = User.objects.get(username=DEMO_USERNAME)
    users = User.objects.filter(merchant=demo.merchant)
    assert users.count() == len(STAFF) + 1
    assert users.filter(is_active=False).count() == 2
    roles = sorted(demo.merchant.roles.values_list("name", flat=True))
    assert roles == ["Administrator", "Operator", "User admin", "Viewer"]


def test_demo_run_twice_keeps_the_same_firm():
    run_demo()

    output = run_demo()

    assert "Using the demo firm" in output
    assert User.objects.filter(username=DEMO_USERNAME).count() == 1
