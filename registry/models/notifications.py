"""The notification outbox: every email the registry sends is first a row here.

A service writes the row in its own transaction (so a rolled-back change sends nothing) and
asks Celery, after commit, to deliver it. If the broker is down the row waits: the beat job
``notifications_deliver_pending`` (every minute) and ``manage.py deliver_notifications`` send
whatever is still pending. Delivery locks the row and marks it sent in the same transaction,
so a notification is never sent twice by two workers.
"""

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """One email to one person."""

    class Kind(models.TextChoices):
        REVIEW_REQUESTED = "review_requested", "Review requested"
        REVIEW_DECIDED = "review_decided", "Review decided"
        REVIEW_EXPIRED = "review_expired", "Approval expired"
        REVIEW_REOPENED = "review_reopened", "Review reopened"
        CREDENTIAL_ROTATION = "credential_rotation", "Credential rotation due"
        LEAD_DIGEST = "lead_digest", "Weekly digest"
        OTHER = "other", "Other"

    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.OTHER)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    to_email = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    use_case = models.ForeignKey(
        "registry.UseCase", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="registry_notification_pending",
            )
        ]

    def __str__(self):
        return f"{self.subject} → {self.to_email}"
