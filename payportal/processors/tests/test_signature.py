"""The webhook signature: HMAC-SHA256 over "<timestamp>.<body>", 5 minutes."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from payportal.merchants.models import Merchant
from payportal.payments.models import Payment
from payportal.payments.tests import sandbox_events as ev
from payportal.processors.base import (
    SIGNATURE_HEADER,
    SignatureError,
    sign,
    verify_signature,
)
from payportal.processors.models import WebhookEvent

pytestmark = pytest.mark.django_db

URL = "/webhooks/sandbox/"
SIGNED_AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def post(body: bytes, header: str | None) -> object:
    # A client that enforces CSRF, as a browser's would: the processor has
    # no token, the signature stands in for it.
    client = Client(enforce_csrf_checks=True)
    headers = {} if header is None else {SIGNATURE_HEADER: header}
    return client.post(URL, body, content_type="application/json", headers=headers)


def assert_nothing_stored() -> None:
    assert WebhookEvent.objects.count() == 0
    assert Payment.objects.count() == 0


def test_sign_is_hmac_sha256_over_timestamp_and_body():
    header = sign(secret="whsec_test", body=b'{"id":"evt_1"}', timestamp=1_700_000_000)

    # printf '1700000000.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_test
    assert header == (
        "t=1700000000,"
        "v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925"
    )
    verify_signature(
        secret="whsec_test",
        header=header,
        body=b'{"id":"evt_1"}',
        tolerance=300,
        now=1_700_000_000,
    )


def test_good_signature_is_accepted_and_applied(merchant):
    body = ev.payment_body(merchant, ref="py_good")

    response = post(body, sign(secret=settings.SANDBOX_WEBHOOK_SECRET, body=body))

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert response.json() == {
        "id": event.event_id,
        "status": "applied",
        "replay": False,
    }
    assert Payment.objects.get().processor_ref == "py_good"


def test_wrong_secret_is_refused_and_stores_nothing(merchant):
    body = ev.payment_body(merchant)

    response = post(body, sign(secret="whsec_someone_else", body=body))

    assert response.status_code == 400
    assert response.json() == {"error": "invalid signature"}
    assert_nothing_stored()


def test_tampered_body_is_refused_and_stores_nothing(merchant):
    body = ev.payment_body(merchant, amount=10_000)
    header = sign(secret=settings.SANDBOX_WEBHOOK_SECRET, body=body)
    tampered = body.replace(b'"amount":10000', b'"amount":99000')
    assert tampered != body

    response = post(tampered, header)

    assert response.status_code == 400
    assert response.json() == {"error": "invalid signature"}
    assert_nothing_stored()


def test_missing_header_is_refused_and_stores_nothing(merchant):
    response = post(ev.payment_body(merchant), None)

    assert response.status_code == 400
    assert response.json() == {"error": "invalid signature"}
    assert_nothing_stored()


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        "v1=abc",
        "t=not-a-number,v1=abc",
        "t=,v1=",
        "t=1700000000",  # no signature at all
        "t=1700000000,v1=",
        "t=1700000000,v0=abc",
    ],
)
def test_malformed_header_is_refused_and_stores_nothing(merchant, header):
    response = post(ev.payment_body(merchant), header)

    assert response.status_code == 400
    assert response.json() == {"error": "invalid signature"}
    assert_nothing_stored()


def test_timestamp_exactly_300_seconds_old_is_accepted(merchant):
    body = ev.payment_body(merchant)
    header = sign(
        secret=settings.SANDBOX_WEBHOOK_SECRET,
        body=body,
        timestamp=int(SIGNED_AT.timestamp()),
    )

    with time_machine.travel(SIGNED_AT + timedelta(seconds=300), tick=False):
        response = post(body, header)

    assert response.status_code == 200
    assert WebhookEvent.objects.count() == 1


def test_timestamp_301_seconds_old_is_refused_and_stores_nothing(merchant):
    body = ev.payment_body(merchant)
    header = sign(
        secret=settings.SANDBOX_WEBHOOK_SECRET,
        body=body,
        timestamp=int(SIGNED_AT.timestamp()),
    )

    with time_machine.travel(SIGNED_AT + timedelta(seconds=301), tick=False):
        response = post(body, header)

    assert response.status_code == 400
    assert response.json() == {"error": "invalid signature"}
    assert_nothing_stored()


def test_timestamp_301_seconds_ahead_is_refused(merchant):
    body = ev.payment_body(merchant)
    header = sign(
        secret=settings.SANDBOX_WEBHOOK_SECRET,
        body=body,
        timestamp=int(SIGNED_AT.timestamp()) + 301,
    )

    with time_machine.travel(SIGNED_AT, tick=False):
        response = post(body, header)

    assert response.status_code == 400
    assert_nothing_stored()


def test_age_counts_whole_seconds():
    body = b"{}"
    header = sign(secret="s", body=body, timestamp=1_000)

    # Signed during second 1000 (say at 1000.9), checked 299.6 s later.
    verify_signature(secret="s", header=header, body=body, tolerance=300, now=1_300.5)
    with pytest.raises(SignatureError):
        verify_signature(
            secret="s", header=header, body=body, tolerance=300, now=1_301.0
        )


def test_one_of_several_signatures_may_match():
    # Processors send a signature per active secret while rotating them.
    body = b"{}"
    good = sign(secret="new", body=body, timestamp=1_000).split(",")[1]

    verify_signature(
        secret="new",
        header=f"t=1000,v1=deadbeef,{good}",
        body=body,
        tolerance=300,
        now=1_000,
    )


def test_replayed_request_after_tolerance_is_refused_even_if_stored(merchant):
    body = ev.payment_body(merchant)
    header = sign(
        secret=settings.SANDBOX_WEBHOOK_SECRET,
        body=body,
        timestamp=int(SIGNED_AT.timestamp()),
    )
    with time_machine.travel(SIGNED_AT, tick=False):
        assert post(body, header).status_code == 200

    with time_machine.travel(SIGNED_AT + timedelta(minutes=10), tick=False):
        response = post(body, header)

    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 1
    assert Merchant.objects.count() == 1
