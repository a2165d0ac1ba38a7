"""Deterministic payments test data (factory_boy, no Faker randomness).

Factories write rows directly; tests of the rules go through the services
and the sandbox's signed webhooks instead (see ``sandbox_events``).
"""

from datetime import UTC, datetime, timedelta

import factory

from payportal.accounts.tests.factories import MerchantFactory
from payportal.payments.models import Account, Dispute, Payment, Refund

BASE_TIME = datetime(2026, 11, 1, 15, 0, tzinfo=UTC)


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    merchant = factory.SubFactory(MerchantFactory)
    processor = "sandbox"
    processor_ref = factory.Sequence(lambda n: f"py_test{n:06d}")
    status = Payment.Status.SUCCEEDED
    amount = 10_000
    currency = "USD"
    account = Account.OPERATING
    fee = factory.LazyAttribute(lambda o: o.amount * 29 // 1000 + 30)
    card_brand = "visa"
    card_last4 = factory.Sequence(lambda n: f"{4242 + n % 5000:04d}")
    card_exp_month = 4
    card_exp_year = 2029
    cardholder_name = factory.Sequence(lambda n: f"Cardholder {n}")
    payer_email = factory.Sequence(lambda n: f"payer{n}@example.com")
    client_name = factory.Sequence(lambda n: f"Client {n}")
    reference = factory.Sequence(lambda n: f"MAT-{1000 + n}")
    description = "Legal services"
    created_at = factory.Sequence(lambda n: BASE_TIME - timedelta(hours=n))
    captured_at = factory.LazyAttribute(lambda o: o.created_at)


class RefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Refund

    payment = factory.SubFactory(PaymentFactory)
    merchant = factory.LazyAttribute(lambda o: o.payment.merchant)
    amount = 1_000
    currency = factory.LazyAttribute(lambda o: o.payment.currency)
    reason = Refund.Reason.REQUESTED_BY_CUSTOMER
    status = Refund.Status.SUCCEEDED
    processor_ref = factory.Sequence(lambda n: f"re_test{n:06d}")
    idempotency_key = factory.Sequence(lambda n: f"key{n}")
    created_at = factory.LazyAttribute(
        lambda o: o.payment.created_at + timedelta(days=1)
    )


class DisputeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dispute

    payment = factory.SubFactory(PaymentFactory)
    merchant = factory.LazyAttribute(lambda o: o.payment.merchant)
    processor_ref = factory.Sequence(lambda n: f"dp_test{n:06d}")
    amount = factory.LazyAttribute(lambda o: o.payment.amount)
    currency = factory.LazyAttribute(lambda o: o.payment.currency)
    reason = Dispute.Reason.FRAUDULENT
    status = Dispute.Status.NEEDS_RESPONSE
    opened_at = factory.LazyAttribute(
        lambda o: o.payment.created_at + timedelta(days=3)
    )
    evidence_due_by = factory.LazyAttribute(lambda o: o.opened_at + timedelta(days=21))
