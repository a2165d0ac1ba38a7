from email import message_from_bytes

from django.core.mail import send_mail


def test_outbox_backend_writes_one_eml_file_per_message(settings, tmp_path):
    settings.EMAIL_BACKEND = "payportal.core.mail.OutboxBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")

    send_mail("One", "First", "from@example.com", ["a@example.com"])
    send_mail("Two", "Second", "from@example.com", ["b@example.com"])

    files = sorted((tmp_path / "outbox").glob("*.eml"))
    subjects = sorted(message_from_bytes(f.read_bytes())["Subject"] for f in files)
    assert subjects == ["One", "Two"]
