"""The embedded default mail backend: one ``.eml`` file per message."""

import datetime
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class OutboxBackend(BaseEmailBackend):
    """Write each message to ``EMAIL_FILE_PATH`` as an RFC 5322 ``.eml`` file.

    Mail clients open these files directly, so a demo install shows its
    invites and reset links without any mail server.
    """

    def __init__(self, *, fail_silently: bool = False, **kwargs: object) -> None:
        super().__init__(fail_silently=fail_silently)
        self.path = Path(settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.path.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
            name = f"{stamp}-{secrets.token_hex(4)}.eml"
            target = self.path / name
            with open(target, "wb") as fh:
                fh.write(message.message().as_bytes(linesep=os.linesep))
            sent += 1
        return sent
