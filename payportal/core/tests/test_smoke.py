import pytest

pytestmark = pytest.mark.django_db


def test_healthz_works(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"


def test_dashboard_works_for_signed_in_user(admin_client, admin):
    response = admin_client.get("/")

    assert response.status_code == 200
    assert b"Welcome, Ada Admin" in response.content
    assert b"Hale &amp; Stone LLP" in response.content
