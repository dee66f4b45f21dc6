"""The secret guard's refusals, counted without the refused value."""

from django.conf import settings
from django.db import models


class SecretRefusal(models.Model):
    """One refused write: where it came from, which field, what kind of secret it looked like.

    The refused value itself is never stored (DESIGN.md: "a secret value must never be stored").
    """

    class Channel(models.TextChoices):
        FORM = "form", "Web form"
        API = "api", "API"
        IMPORT = "import", "Spreadsheet import"
        ADMIN = "admin", "Django admin"

    refused_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    field = models.CharField(max_length=200, help_text="The form or payload field, e.g. 'purpose'.")
    secret_kind = models.CharField(max_length=100, help_text="What it looked like, e.g. 'OpenAI API key'.")

    class Meta:
        ordering = ["-refused_at"]

    def __str__(self):
        return f"{self.secret_kind} refused in {self.field} ({self.get_channel_display()})"
