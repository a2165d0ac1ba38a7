"""Helpers for the test settings and suite (never used in production)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with a tiny cost: same code path, a fraction of the time."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1
