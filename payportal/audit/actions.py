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
