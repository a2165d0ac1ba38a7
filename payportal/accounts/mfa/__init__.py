"""Two-step sign-in: TOTP, recovery codes and the half-signed-in state.

The pieces without database writes live here (codes, QR, session state,
the middleware); the writes, each audited, are services/mfa.py's.
"""
