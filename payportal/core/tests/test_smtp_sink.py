import pytest
from django.core.mail import send_mail

pytestmark = pytest.mark.django_db(transaction=True)


def test_smtp_sink_receives_mail_over_smtp(smtp_sink):
    send_mail("Hello", "Body text", "from@example.com", ["to@example.com"])

    assert len(smtp_sink.messages) == 1
    assert smtp_sink.messages[0]["Subject"] == "Hello"
    assert smtp_sink.bodies_to("to@example.com") == ["Body text\n"]
