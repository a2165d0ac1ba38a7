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
