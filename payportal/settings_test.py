"""Test settings: the real settings, with test-speed hashing and plain static.

Argon2 stays (argon2id, as in production) with its cost lowered so the
suite stays fast; ``test_settings`` checks production uses the full cost.
"""

import os
import tempfile

os.environ.setdefault("PAYPORTAL_DATA_DIR", tempfile.mkdtemp(prefix="payportal-test-"))

from payportal.settings import *  # noqa: E402,F403
from payportal.settings import STORAGES  # noqa: E402

PASSWORD_HASHERS = ["payportal.core.testing.FastArgon2PasswordHasher"]
# pytest-django's live_server serves /static/ through the finders, which
# know the unhashed names only.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True

# pytest-xdist runs one worker per core, all against the same Redis. A test
# that clears the throttle cache (FLUSHDB) must not wipe another worker's
# sessions, so each worker gets its own Redis database: the URL's number
# for the first worker, one lower for each next (CI passes /15).
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _worker.startswith("gw"):  # noqa: F405
    from urllib.parse import urlsplit, urlunsplit

    _parts = urlsplit(REDIS_URL)  # noqa: F405
    _db = int(_parts.path.lstrip("/") or 0) - int(_worker[2:])
    if _db < 0:
        raise RuntimeError("Not enough Redis databases for the xdist workers.")
    _url = urlunsplit(_parts._replace(path=f"/{_db}"))
    for _cache in CACHES.values():  # noqa: F405
        _cache["LOCATION"] = _url
