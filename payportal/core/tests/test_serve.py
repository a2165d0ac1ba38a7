"""``payportal serve`` starts the real production server (gunicorn)."""

import os
import socket
import sqlite3
import subprocess
import sys
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes, dict[str, str]]:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
        return response.status, response.read(), dict(response.headers)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("served")


@pytest.fixture(scope="module")
def served(data_dir):
    tmp_path = data_dir
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "payportal.settings",
        "PAYPORTAL_DATA_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    cli = [sys.executable, "-m", "payportal"]
    subprocess.run([*cli, "migrate", "-v", "0"], env=env, check=True)  # noqa: S603
    process = subprocess.Popen(  # noqa: S603
        [*cli, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    # Wait for gunicorn's own "Booting worker" line rather than sleeping;
    # if the server dies, its output ends and the test fails with it.
    output = []
    for line in process.stdout:
        output.append(line.decode())
        if "Booting worker" in output[-1]:
            break
    else:
        raise AssertionError("".join(output))
    yield base
    process.terminate()
    process.communicate(timeout=10)


def test_migrate_creates_the_throttle_cache_table(served, data_dir):
    # Sign-in throttling needs it on the embedded default; `migrate` on a
    # fresh data dir (done by the fixture) must leave nothing else to run.
    with sqlite3.connect(data_dir / "payportal.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}

    assert "payportal_throttle" in tables


def test_serve_serves_login_page_and_hashed_static(served):
    status, body, headers = _get(served + "/")

    assert status == 200
    assert b'name="username"' in body
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    css = body.split(b'href="/static/payportal/css/app.')[1].split(b'"')[0]
    status, css_body, _ = _get(served + "/static/payportal/css/app." + css.decode())
    assert status == 200
    assert b"--primary" in css_body
