from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower

from payportal.accounts.permissions import ALL_CODES
from payportal.core import search
from payportal.merchants.models import Merchant

# \A and \Z: "$" would also match before a final newline ("abc\n").
USERNAME_PATTERN = r"\A[A-Za-z0-9]{3,30}\Z"
username_validator = RegexValidator(
    USERNAME_PATTERN,
    "Usernames are 3 to 30 letters (A-Z) and numbers only: "
    "no spaces, symbols or email addresses.",
    code="invalid_username",
)


class Role(models.Model):
    """A named set of permission codes from the catalogue, per firm."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="roles"
    )
    name = models.CharField("Name", max_length=60)
    description = models.CharField("Description", max_length=200, blank=True)
    permissions = models.JSONField("Permissions", default=list, blank=True)
    # The built-in Administrator: holds every permission, including codes
    # added to the catalogue later, and cannot be narrowed or deleted.
    is_administrator = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "merchant", Lower("name"), name="role_name_unique_per_merchant"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def codes(self) -> frozenset[str]:
        if self.is_administrator:
            return frozenset(ALL_CODES)
        return frozenset(self.permissions) & frozenset(ALL_CODES)


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> "User":
        # Usernames are unique ignoring case, and login ignores case too.
        return self.select_related("merchant", "role").get(username__iexact=username)


class User(AbstractBaseUser):
    """A portal login. Belongs to one firm; removed by deactivation only."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="users"
    )
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="users")
    username = models.CharField(
        "Username", max_length=30, validators=[username_validator]
    )
    full_name = models.CharField("Full Name", max_length=150)
    email = models.EmailField("Email", max_length=254)
    is_active = models.BooleanField("Active", default=True)
    # Set when an admin chose the password (creation, reset, reactivation):
    # it must be changed before any other page opens (PCI DSS 8.3.5).
    must_change_password = models.BooleanField(default=False)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email", "full_name"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
        ]
        indexes = [
            # Keyset pagination of the Users page, one index per sort key.
            # The text sorts' indexes also hold the other searched columns:
            # a search for a common name, whose matches sit together in
            # these orders (all the Smiths), walks the index alone, never
            # the table (core/search.py).
            # The username order's index also holds the searched columns
            # folded into one upper-case value (TextSearch.folded): a walk
            # to a common word tests that one value, read from the index.
            models.Index(
                F("merchant"),
                F("username"),
                F("id"),
                F("full_name"),
                F("email"),
                search.USERS.folded(),
                name="user_merchant_username",
            ),
            models.Index(
                fields=["merchant", "full_name", "id", "username", "email"],
                name="user_merchant_fullname",
            ),
            models.Index(
                fields=["merchant", "email", "id", "username", "full_name"],
                name="user_merchant_email",
            ),
            models.Index(
                fields=["merchant", "last_login", "id"], name="user_merchant_lastlogin"
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def status(self) -> str:
        return "Active" if self.is_active else "Inactive"

    def can(self, code: str) -> bool:
        """The one permission question (accounts/permissions.py)."""
        return self.is_active and code in self.role.codes


class PasswordHistory(models.Model):
    """Hashes of a user's recent passwords, to refuse reuse of the last 4."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Password of user {self.user_id} set {self.created_at:%Y-%m-%d}"


class SecondFactor(models.Model):
    """A second factor of a user's sign-in (DESIGN §4, PCI DSS 8.4).

    One row per factor, whatever its kind: an authenticator app (TOTP),
    or a passkey (WebAuthn) added beside it, with fields of its own. A
    factor counts once ``confirmed_at`` is set: TOTP is confirmed by a
    first valid code, so a half-finished enrolment never guards a login;
    a passkey is confirmed when its registration verifies.
    """

    class Kind(models.TextChoices):
        TOTP = "totp", "Authenticator app"
        PASSKEY = "passkey", "Passkey"

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="second_factors"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # TOTP: the shared secret, 20 random bytes as hex (as django-otp keeps
    # it). Needed in clear to compute codes, so it is never shown again
    # after enrolment and never logged.
    secret = models.CharField(max_length=80, blank=True)
    # TOTP: the last time step whose code was accepted. A code of this step
    # or an earlier one is refused, so every code works once (RFC 6238 §5.2).
    last_step = models.BigIntegerField(null=True, blank=True)
    # Passkey (WebAuthn): the credential id (base64url), its COSE public
    # key and the authenticator's signature counter, which must grow (a
    # counter that goes back suggests a cloned authenticator).
    credential_id = models.CharField(max_length=1400, blank=True)
    public_key = models.BinaryField(blank=True, default=b"")
    sign_count = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One authenticator app per user; passkeys may be several.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(kind="totp"),
                name="secondfactor_one_totp_per_user",
            ),
            models.UniqueConstraint(
                fields=["credential_id"],
                condition=models.Q(kind="passkey"),
                name="secondfactor_unique_passkey_credential",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of user {self.user_id}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """A single-use code for signing in without the second factor.

    Only the SHA-256 of the code is kept: the code is 60 random bits, far
    too many to guess offline, and a fast hash lets one sign-in compare
    against all ten.
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["user", "code_hash"], name="recoverycode_lookup")
        ]

    def __str__(self) -> str:
        return f"Recovery code {self.pk} of user {self.user_id}"
