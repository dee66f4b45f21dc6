"""The registry's history: every change, who made it, when, and from which request.

Append-only: entries are written by ``registry.services.history`` and never changed or
deleted (the model refuses, the admin is read-only, and on PostgreSQL a trigger refuses
UPDATE and DELETE; migration 0004).
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


class HistoryEntry(models.Model):
    """One recorded change of one object."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Changed"
        DELETE = "delete", "Deleted"
        TRANSITION = "transition", "State change"
        EVENT = "event", "Event"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="history_entries",
    )
    actor_label = models.CharField(
        max_length=200,
        blank=True,
        help_text="Who, in words (kept if the account is renamed; 'system' for jobs).",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    object_repr = models.CharField(max_length=500)
    use_case = models.ForeignKey(
        "registry.UseCase",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="history",
        help_text="The use case this change belongs to, for its timeline (kept after deletion).",
    )
    summary = models.CharField(max_length=500, blank=True, help_text="The change in one line.")
    changes = models.JSONField(default=dict, blank=True, help_text="Field -> [old, new].")
    request_id = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name_plural = "history entries"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-at"], name="registry_history_object"),
            models.Index(fields=["use_case", "-at"], name="registry_history_use_case"),
            models.Index(fields=["actor", "-at"], name="registry_history_actor"),
        ]

    def __str__(self):
        action = self.get_action_display().lower()
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("History is append-only: an entry cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("History is append-only: an entry cannot be deleted.")
