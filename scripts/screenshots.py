"""Take the screenshots under docs/screenshots/ from a fresh demo portal.

    ./dev run shell -c "exec(open('scripts/screenshots.py').read())"   # or:
    .venv/bin/python scripts/screenshots.py

Starts the demo firm in a temporary data dir, serves it with the production
server on a free loopback port, and drives Debian's chromium through the
journeys a reviewer wants to see.
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def payments(page, base: str) -> None:
    """The payments pages: filtered transactions, a refund, a chargeback."""
    page.goto(base + "/transactions/?account=trust&amount_min=1000&sort=-amount")
    page.screenshot(path=OUT / "transactions-filtered.png", full_page=True)
    # A partial refund from a payment record, through the confirmation step.
    page.goto(base + "/transactions/?status=succeeded&account=operating")
    page.locator("table tbody a").first.click()
    page.get_by_role("link", name="Refund", exact=True).click()
    page.get_by_label("Amount", exact=True).fill("150.00")
    page.get_by_label("Requested by customer").check()
    page.get_by_role("button", name="Review refund").click()
    page.get_by_role("heading", name="Confirm the refund").wait_for()
    page.screenshot(path=OUT / "refund-confirm.png", full_page=True)
    page.get_by_role("button", name="Refund $150.00").click()
    page.get_by_text("Refund of $150.00 succeeded.").wait_for()
    page.screenshot(path=OUT / "payment-with-refund.png", full_page=True)
    page.goto(base + "/chargebacks/")
    page.screenshot(path=OUT / "chargebacks.png", full_page=True)
    page.get_by_role("link", name=re.compile(r"days? left")).first.click()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Description of the legal services").fill(
        "Drafting and filing of the client's lease dispute, 3-14 March, "
        "as set out in the signed engagement letter."
    )
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Evidence saved as a draft").wait_for()
    page.screenshot(path=OUT / "chargeback-record.png", full_page=True)


def main() -> None:
    data = tempfile.mkdtemp(prefix="payportal-shots-")
    env = {
        **os.environ,
        "PAYPORTAL_DATA_DIR": data,
        "DJANGO_SETTINGS_MODULE": "payportal.settings",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    cli = [sys.executable, "-m", "payportal"]
    subprocess.run(
        [*cli, "demo", "--no-serve"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    port = free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    for line in server.stdout:
        if b"Booting worker" in line:
            break
    base = f"http://localhost:{port}"
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(base + "/")
            page.screenshot(path=OUT / "login.png")
            page.get_by_label("Username", exact=True).fill("demo")
            page.get_by_label("Password", exact=True).fill("Harbour-lights-2026")
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("heading", name="Dashboard").wait_for()
            page.screenshot(path=OUT / "dashboard.png", full_page=True)
            payments(page, base)
            page.get_by_role("link", name="Users").first.click()
            page.wait_for_url("**/users/")
            page.screenshot(path=OUT / "users.png", full_page=True)
            page.get_by_role("link", name="Add User").click()
            page.get_by_label("Username", exact=True).fill("jo@firm.com")
            page.get_by_label("Password", exact=True).fill("short1")
            page.get_by_label("Confirm Password", exact=True).fill("short2")
            page.get_by_label("Full Name", exact=True).fill("Jo Bloggs")
            page.get_by_label("Email", exact=True).fill("jo@firm")
            page.get_by_role("button", name="Add User").click()
            page.locator(".errors").first.wait_for()
            page.screenshot(path=OUT / "add-user-errors.png", full_page=True)
            page.goto(base + "/users/?q=priya")
            page.get_by_role("link", name="priya").first.click()
            page.get_by_role("link", name="Edit").click()
            page.get_by_role("button", name="Save").wait_for()
            page.screenshot(path=OUT / "user-record-edit.png", full_page=True)
            page.goto(base + "/roles/")
            page.screenshot(path=OUT / "roles.png", full_page=True)
            page.goto(base + "/audit/")
            page.screenshot(path=OUT / "audit-log.png")
            page.set_viewport_size({"width": 390, "height": 844})
            page.goto(base + "/users/")
            page.screenshot(path=OUT / "users-mobile.png", full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.communicate(timeout=10)
    print(f"Screenshots written to {OUT}")


if __name__ == "__main__":
    main()
