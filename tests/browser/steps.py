"""Steps the browser journeys share."""

import time
from datetime import timedelta

from playwright.sync_api import Page


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    """Fill in and send the sign-in form."""
    page.goto(base + "/")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def next_step(time_machine) -> None:
    """Move the clock (server thread included) to one second into the next
    30-second step. A code works once, and only in its own step: rather
    than wait, the code typed next is fresh and has 29 s to arrive."""
    now = time.time()
    start = (int(now) // 30 + 1) * 30
    time_machine.shift(timedelta(seconds=start + 1 - now))
