"""A Django admin site for the benchmark only (bench/urls.py mounts it).

The portal's User has no is_staff or Django permissions, so the site lets
in any active signed-in user and every ModelAdmin answers the permission
questions itself: view and change yes, add and delete no (no actions
column). Each changelist is scoped to the signed-in user's firm, as the
portal's pages are: timing the admin over every firm's rows would be unfair
to it. Otherwise the admin is left as Django ships it (paginator COUNT,
full result count, OFFSET pages, icontains search), with the portal's page
size and sort order so both sides read the same rows.
"""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from payportal.accounts.models import User
from payportal.core.pagination import PAGE_SIZE
from payportal.payments.models import Payment


class BenchAdminSite(admin.AdminSite):
    site_header = "Django admin (benchmark only)"
    site_title = "Django admin (benchmark)"

    def has_permission(self, request: HttpRequest) -> bool:
        return request.user.is_authenticated and request.user.is_active


class FirmScopedAdmin(admin.ModelAdmin):
    list_per_page = PAGE_SIZE
    raw_id_fields = ("merchant",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(merchant=request.user.merchant)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return True

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class UserAdmin(FirmScopedAdmin):
    # The columns, search and order of the portal's Users page.
    list_display = ("username", "full_name", "email", "role", "status", "last_login")
    search_fields = ("username", "full_name", "email")
    list_filter = ("is_active",)
    ordering = ("username",)
    raw_id_fields = ("merchant", "role", "created_by")
    # The change form would show the password hash as a text field.
    exclude = ("password",)


class PaymentAdmin(FirmScopedAdmin):
    # The columns and search of the portal's Transactions page; the order
    # is Payment.Meta's (newest first). A date range is
    # ?created_at__gte=…&created_at__lt=… and a last-four search
    # ?card_last4=4242: lookups on local fields are allowed by default.
    list_display = (
        "created_at",
        "amount",
        "currency",
        "status",
        "card_brand",
        "card_last4",
        "cardholder_name",
        "reference",
        "account",
    )
    search_fields = ("reference", "payer_email", "cardholder_name", "client_name")
    list_filter = ("status", "account")


site = BenchAdminSite(name="admin")
site.register(User, UserAdmin)
site.register(Payment, PaymentAdmin)
