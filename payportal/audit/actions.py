"""Audit action codes and their labels, in one catalogue."""

LOGIN_SUCCEEDED = "login.succeeded"
LOGIN_FAILED = "login.failed"
LOGIN_LOCKED_OUT = "login.locked_out"
LOGIN_THROTTLED = "login.throttled"
LOGOUT = "logout"
SESSION_EXPIRED = "session.expired"
USER_UNLOCKED = "user.unlocked"
PASSWORD_CHANGED = "password.changed"
PASSWORD_RESET_REQUESTED = "password.reset_requested"
PASSWORD_RESET_COMPLETED = "password.reset_completed"
PASSWORD_RESET_THROTTLED = "password.reset_throttled"
PASSWORD_SET_WITH_LINK = "password.set_with_link"
PASSWORD_SET_BY_ADMIN = "password.set_by_admin"
SET_PASSWORD_LINK_SENT = "password.link_sent"
USER_CREATED = "user.created"
USER_CHANGED = "user.changed"
USER_DEACTIVATED = "user.deactivated"
USER_REACTIVATED = "user.reactivated"
PROFILE_CHANGED = "profile.changed"
ROLE_CREATED = "role.created"
ROLE_CHANGED = "role.changed"
ROLE_DELETED = "role.deleted"
MERCHANT_CREATED = "merchant.created"

LABELS: dict[str, str] = {
    LOGIN_SUCCEEDED: "Signed in",
    LOGIN_FAILED: "Sign-in failed",
    LOGIN_LOCKED_OUT: "Account locked",
    LOGIN_THROTTLED: "Sign-in throttled",
    LOGOUT: "Signed out",
    SESSION_EXPIRED: "Session ended",
    USER_UNLOCKED: "Account unlocked",
    PASSWORD_CHANGED: "Password changed",
    PASSWORD_RESET_REQUESTED: "Password reset requested",
    PASSWORD_RESET_COMPLETED: "Password reset completed",
    PASSWORD_RESET_THROTTLED: "Password reset throttled",
    PASSWORD_SET_WITH_LINK: "Password set with link",
    PASSWORD_SET_BY_ADMIN: "Temporary password set",
    SET_PASSWORD_LINK_SENT: "Set-password link sent",
    USER_CREATED: "User added",
    USER_CHANGED: "User changed",
    USER_DEACTIVATED: "User deactivated",
    USER_REACTIVATED: "User reactivated",
    PROFILE_CHANGED: "Profile changed",
    ROLE_CREATED: "Role added",
    ROLE_CHANGED: "Role changed",
    ROLE_DELETED: "Role deleted",
    MERCHANT_CREATED: "Firm set up",
}

# Payments (issue 3).
REFUND_REQUESTED = "refund.requested"
REFUND_APPROVED = "refund.approved"
REFUND_REJECTED = "refund.rejected"
REFUND_SUCCEEDED = "refund.succeeded"
REFUND_FAILED = "refund.failed"
DISPUTE_OPENED = "dispute.opened"
DISPUTE_EVIDENCE_SAVED = "dispute.evidence_saved"
DISPUTE_FILE_ADDED = "dispute.file_added"
DISPUTE_FILE_REMOVED = "dispute.file_removed"
DISPUTE_SUBMITTED = "dispute.submitted"
DISPUTE_ACCEPTED = "dispute.accepted"
DISPUTE_CLOSED = "dispute.closed"
PAYMENTS_EXPORTED = "payments.exported"
REFUNDS_EXPORTED = "refunds.exported"
SETTINGS_CHANGED = "settings.changed"

LABELS.update(
    {
        REFUND_REQUESTED: "Refund requested",
        REFUND_APPROVED: "Refund approved",
        REFUND_REJECTED: "Refund rejected",
        REFUND_SUCCEEDED: "Refund succeeded",
        REFUND_FAILED: "Refund failed",
        DISPUTE_OPENED: "Chargeback opened",
        DISPUTE_EVIDENCE_SAVED: "Chargeback evidence saved",
        DISPUTE_FILE_ADDED: "Chargeback file added",
        DISPUTE_FILE_REMOVED: "Chargeback file removed",
        DISPUTE_SUBMITTED: "Chargeback evidence submitted",
        DISPUTE_ACCEPTED: "Chargeback accepted",
        DISPUTE_CLOSED: "Chargeback closed",
        PAYMENTS_EXPORTED: "Transactions exported",
        REFUNDS_EXPORTED: "Refunds exported",
        SETTINGS_CHANGED: "Settings changed",
    }
)

# Account lifecycle (issue 4: PCI DSS 8.2.6, 8.3.5, 8.3.9).
USER_DEACTIVATED_INACTIVE = "user.deactivated_inactive"
PASSWORD_EXPIRED = "password.expired"
PASSWORD_TEMPORARY_EXPIRED = "password.temporary_expired"

LABELS.update(
    {
        USER_DEACTIVATED_INACTIVE: "User deactivated after 90 days without sign-in",
        PASSWORD_EXPIRED: "Password expired",
        PASSWORD_TEMPORARY_EXPIRED: "Expired temporary password refused",
    }
)

# Two-step sign-in (issue 4).
MFA_ENABLED = "mfa.enabled"
MFA_DISABLED = "mfa.disabled"
MFA_RESET_BY_ADMIN = "mfa.reset_by_admin"
MFA_RECOVERY_CODES_REGENERATED = "mfa.recovery_codes_regenerated"
MFA_RECOVERY_CODE_USED = "mfa.recovery_code_used"
LOGIN_MFA_FAILED = "login.mfa_failed"
MFA_PASSKEY_ADDED = "mfa.passkey_added"

LABELS.update(
    {
        MFA_ENABLED: "Two-step sign-in turned on",
        MFA_DISABLED: "Two-step sign-in turned off",
        MFA_RESET_BY_ADMIN: "Two-step sign-in reset by an administrator",
        MFA_RECOVERY_CODES_REGENERATED: "Recovery codes replaced",
        MFA_RECOVERY_CODE_USED: "Recovery code used",
        LOGIN_MFA_FAILED: "Sign-in code refused",
        MFA_PASSKEY_ADDED: "Passkey added",
    }
)

# Issue 4: reading and exporting the trail, purging it, the access review.
AUDIT_VIEWED = "audit.viewed"
AUDIT_EXPORTED = "audit.exported"
AUDIT_PURGED = "audit.purged"
USERS_ACCESS_REVIEW_EXPORTED = "users.access_review_exported"

LABELS.update(
    {
        AUDIT_VIEWED: "Audit log viewed",
        AUDIT_EXPORTED: "Audit log exported",
        AUDIT_PURGED: "Old audit events deleted",
        USERS_ACCESS_REVIEW_EXPORTED: "Access review exported",
    }
)
