from django.db import models


class Merchant(models.Model):
    """The tenant: a firm. Every domain row and every user belongs to one."""

    name = models.CharField("Firm name", max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
