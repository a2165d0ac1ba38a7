"""20 threads refund one payment at once: the payment's row lock lets only
as many through as fit, never more (DESIGN §6). PostgreSQL only: SQLite has
one writer at a time, so there is no race to test there."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from payportal.payments.models import Payment, Refund
from payportal.payments.services.refunds import create_refund, new_idempotency_key
from payportal.payments.tests import sandbox_events

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks; CI runs it with DATABASE_URL=postgres://…",
    ),
]

THREADS = 20


def test_concurrent_refunds_never_over_refund(merchant, admin):
    payment = sandbox_events.payment_succeeded(merchant, amount=10_000)
    # 20 × $30.00 asked of $100.00: exactly three fit.
    amount = 3_000
    barrier = threading.Barrier(THREADS)
    created: list[int] = []
    refused: list[list[str]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            outcome = create_refund(
                payment=payment,
                actor=admin,
                amount=amount,
                reason="duplicate",
                idempotency_key=new_idempotency_key(),
            )
            created.append(outcome.refund.pk)
        except ValidationError as error:
            refused.append(error.messages)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(created) == 3
    assert len(refused) == THREADS - 3
    assert all(m == ["At most $10.00 can be refunded."] for m in refused)
    payment.refresh_from_db()
    assert payment.refunded_amount == 9_000
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    assert Refund.objects.filter(payment=payment).count() == 3
    assert set(Refund.objects.values_list("status", flat=True)) == {"succeeded"}
