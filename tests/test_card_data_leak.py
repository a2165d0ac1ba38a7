"""No page, export, email, log line or stored row holds a full card number
or a security code (PCI DSS 3.3, 3.4).

Card numbers are pushed in through every free text a bad actor can reach:
the processor's webhook (its ``card.number`` and ``cvc``, and card numbers
typed into the cardholder name, email, client, reference, description,
metadata and failure messages) and every form a person fills. Then every
page is crawled as an administrator, every export downloaded, every email
captured and every log record kept, and none may hold them.
"""

import json
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from payportal.accounts.tests.factories import RoleFactory
from payportal.payments.models import Dispute, EvidenceFile, Payment, Refund
from payportal.payments.services.disputes import add_evidence_file, send_due_reminders
from payportal.payments.services.refunds import create_refund, new_idempotency_key
from payportal.payments.tests import sandbox_events
from payportal.processors import sandbox
from tests.test_walkers import ALL_URLS, fill

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
# Test card numbers of several lengths and brands, each Luhn-valid.
PANS = {
    "visa": "4111111111111111",
    "amex": "378282246310005",
    "visa13": "4222222222222",
    "unionpay19": "6221260000000000001",
    "mastercard": "5555555555554444",
    "discover": "6011000990139424",
    "jcb": "3530111333300000",
}
# Security codes travel under their own keys (cvc, cvv, security_code):
# a 3- or 4-digit number inside free text cannot be told from any other.
CVCS = ("9173", "0287", "5914")
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def spaced(pan: str) -> str:
    return " ".join(pan[i : i + 4] for i in range(0, len(pan), 4))


def dashed(pan: str) -> str:
    return "-".join(pan[i : i + 4] for i in range(0, len(pan), 4))


def leaks(text: str) -> list[str]:
    """The seeded card numbers and security codes found in ``text``."""
    squeezed = re.sub(r"[\s\-\u00a0]", "", text)
    found = [pan for pan in PANS.values() if pan in squeezed]
    found += [
        cvc for cvc in CVCS if re.search(rf"(?<![0-9A-Za-z]){cvc}(?![0-9A-Za-z])", text)
    ]
    return found


def send_payment(merchant, ref: str, status: str = "succeeded", **fields) -> None:
    obj = sandbox.payment_object(
        processor_ref=ref,
        status=status,
        amount=12_345,
        currency=merchant.currency,
        account="operating",
        created_at=NOW - timedelta(days=3),
        fee=388,
        **fields,
    )
    sandbox_events.send(
        sandbox.event_body(
            type=f"payment.{status}",
            account=merchant.processor_account,
            obj=obj,
            created_at=NOW - timedelta(days=3),
        )
    )


def seed_from_the_processor(merchant) -> Payment:
    """Events whose every free-text field carries a card number."""
    send_payment(
        merchant,
        "py_leak_1",
        card={
            "brand": "visa",
            "last4": "1111",
            "exp_month": 4,
            "exp_year": 2029,
            "number": PANS["visa"],
            "cvc": CVCS[0],
        },
        cardholder_name=f"Jordan {spaced(PANS['visa'])}",
        payer_email=f"{PANS['amex']}@example.com",
        client_name=f"Client {dashed(PANS['visa13'])}",
        reference=f"MAT-{PANS['unionpay19']}",
        description=f"Retainer paid with {PANS['mastercard']} exp 04/29",
        metadata={
            "note": f"card {spaced(PANS['discover'])}",
            "cvv": CVCS[1],
            "security_code": CVCS[2],
            "pan": PANS["jcb"],
            "card": {"number": PANS["visa"], "cvc": CVCS[0]},
            "cards": [PANS["amex"], {"cvv2": CVCS[1]}],
        },
    )
    send_payment(
        merchant,
        "py_leak_2",
        status="failed",
        card={"brand": "amex", "last4": "0005", "PAN": PANS["amex"], "CVV": CVCS[2]},
        cardholder_name="Sam Payer",
        failure_reason=f"Card {PANS['amex']} was declined",
    )
    payment = Payment.objects.get(processor_ref="py_leak_1")
    refund = sandbox.refund_object(
        processor_ref="re_leak_1",
        payment_ref=payment.processor_ref,
        status="failed",
        amount=1_000,
        currency=payment.currency,
        created_at=NOW - timedelta(days=2),
        failure_reason=f"Refund to {PANS['visa']} failed",
    )
    sandbox_events.send(
        sandbox.event_body(
            type="refund.failed",
            account=merchant.processor_account,
            obj=refund,
            created_at=NOW - timedelta(days=2),
        )
    )
    sandbox_events.dispute_opened(
        payment, opened_at=NOW - timedelta(days=1), due_by=NOW + timedelta(days=2)
    )
    return payment


def try_every_form(client, merchant, admin, payment) -> None:
    """A person types card numbers into every free-text field."""
    pan = spaced(PANS["visa"])
    role = RoleFactory(merchant=merchant, name="Clerk", permissions=[])
    dispute = Dispute.objects.get(payment=payment)
    posts = [
        ("/users/add/", {"role": role.pk, "username": PANS["visa"],
                         "password_mode": "link", "full_name": f"Jo {pan}",
                         "email": f"{PANS['amex']}@firm.com"}),
        (f"/users/{admin.pk}/edit/", {"role": admin.role_id, "full_name": pan,
                                      "email": "ada@firm.com", "is_active": "active"}),
        ("/profile/edit/", {"full_name": pan, "email": "ada@firm.com"}),
        ("/roles/add/", {"name": pan, "description": pan, "permissions": []}),
        (f"/roles/{role.pk}/edit/", {"name": "Clerk", "description": pan}),
        ("/settings/edit/", {"name": pan, "time_zone": "UTC",
                             "refund_approval_threshold": "1,000.00"}),
        (f"/transactions/{payment.pk}/refund/", {"amount": "1.00", "reason": "other",
                                                "note": pan, "idempotency_key": "k1",
                                                "step": "review"}),
        (f"/chargebacks/{dispute.pk}/evidence/", {
            "service_date": "2026-11-01", "services_description": pan,
            "customer_communication": pan, "fee_agreement": pan,
            "refund_policy": pan, "other_evidence": pan}),
    ]  # fmt: skip
    for path, data in posts:
        response = client.post(path, data)
        assert response.status_code == 200, path  # refused, shown again
    for path in ("/transactions/", "/refunds/", "/users/"):
        assert client.get(path, {"q": pan}).status_code == 200
    assert client.get("/transactions/export.csv", {"q": pan}).status_code == 200


def make_everyday_activity(client, merchant, admin, payment) -> None:
    """Activity that sends email and writes audit events about the payment."""
    # The seeded payment's chargeback holds its whole amount: refund another.
    refundable = sandbox_events.payment_succeeded(
        merchant,
        ref="py_leak_3",
        cardholder_name=f"Kim {dashed(PANS['discover'])}",
        description=f"Fees {PANS['jcb']}",
    )
    create_refund(
        payment=refundable,
        actor=admin,
        amount=500,
        reason=Refund.Reason.REQUESTED_BY_CUSTOMER,
        idempotency_key=new_idempotency_key(),
    )
    dispute = Dispute.objects.get(payment=payment)
    add_evidence_file(
        dispute=dispute,
        actor=admin,
        upload=SimpleUploadedFile("letter.pdf", PDF, "application/pdf"),
    )
    send_due_reminders(now=NOW)
    role = RoleFactory(merchant=merchant, name="Viewer", permissions=[])
    client.post(
        "/users/add/",
        {
            "role": role.pk,
            "username": "jo2",
            "password_mode": "link",
            "full_name": "Jo Doe",
            "email": "jo@firm.com",
        },
    )
    client.post("/password/forgot/", {"login": "admin"})


def crawl(client, ids) -> dict[str, str]:
    """Every page and export the resolver knows, as an administrator."""
    seen = {}
    for name, route in sorted(ALL_URLS.items()):
        if name in ("accounts:logout", "processors:webhook"):
            continue
        path = fill(route, ids)
        seen[path] = body_of(client.get(path))
        seen[path + " (htmx)"] = body_of(client.get(path, HTTP_HX_REQUEST="true"))
    extras = [
        ("/transactions/", {"q": "Jordan"}),
        ("/transactions/", {"last4": "1111"}),
        ("/transactions/", {"status": "failed"}),
        ("/transactions/export.csv", {}),
        ("/refunds/", {"status": "failed"}),
        ("/chargebacks/", {"status": "all"}),
        ("/audit/", {}),
        ("/users/access-review.csv", {}),
    ]
    for kind in ("csv", "json"):
        extras.append(
            (
                "/audit/export/",
                {"date_from": "2026-11-01", "date_to": "2026-11-30", "format": kind},
            )
        )
    for path, query in extras:
        seen[f"{path}?{query}"] = body_of(client.get(path, query))
    return seen


def body_of(response) -> str:
    if response.streaming:
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return f"{response.status_code} {dict(response.headers)}\n" + content.decode(
        errors="replace"
    )


def stored_rows() -> dict[str, str]:
    """Every row of every table, as text."""
    return {
        model._meta.label: "\n".join(
            json.dumps(row, default=str, ensure_ascii=False)
            for row in model._base_manager.values()
        )
        for model in apps.get_models()
    }


def test_no_card_number_or_security_code_leaks_anywhere(
    admin,
    merchant,
    admin_client,
    smtp_sink,
    caplog,
    time_machine,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    settings.MEDIA_ROOT = tmp_path
    time_machine.move_to(NOW, tick=False)
    caplog.set_level(logging.DEBUG)
    for name in ("django", "django.request", "django.security", "payportal", "axes"):
        caplog.set_level(logging.DEBUG, logger=name)

    # Emails go after commit: run those callbacks as a commit would.
    with django_capture_on_commit_callbacks(execute=True):
        payment = seed_from_the_processor(merchant)
        try_every_form(admin_client, merchant, admin, payment)
        make_everyday_activity(admin_client, merchant, admin, payment)
    dispute = Dispute.objects.get(payment=payment)
    ids = {
        "user_id": admin.pk,
        "role_id": admin.role_id,
        "payment_id": payment.pk,
        "refund_id": Refund.objects.filter(payment__merchant=merchant).first().pk,
        "dispute_id": dispute.pk,
        "file_id": EvidenceFile.objects.get(dispute=dispute).pk,
    }
    pages = crawl(admin_client, ids)

    # The crawl really saw the seeded data (masked) and the exports.
    everything = "\n".join(pages.values())
    assert "Jordan •••• •••• •••• 1111" in everything
    assert "Retainer paid with ••••••••••••4444 exp 04/29" in everything
    assert len(smtp_sink.messages) >= 3
    emails = {
        f"email {i}: {m['Subject']}": m.as_string()
        for i, m in enumerate(smtp_sink.messages)
    }
    logs = {
        f"log {i}: {r.name}": f"{r.getMessage()}\n{r.exc_text or ''}"
        for i, r in enumerate(caplog.records)
    }
    sources = {**pages, **emails, **logs, **stored_rows()}
    found = {name: leaks(text) for name, text in sources.items() if leaks(text)}

    assert found == {}


def test_no_card_number_typed_at_sign_in_is_kept(admin, anon_client, caplog):
    caplog.set_level(logging.DEBUG)
    pan = PANS["visa"]

    anon_client.post("/", {"username": pan, "password": pan})
    anon_client.post("/password/forgot/", {"login": pan})

    sources = {**stored_rows(), "logs": caplog.text}
    found = {name: leaks(text) for name, text in sources.items() if leaks(text)}
    assert found == {}
