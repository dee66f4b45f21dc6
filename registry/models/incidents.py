"""Incidents: what a responder opened, the affected set at that moment, and who was told."""

from django.conf import settings
from django.db import models


class Incident(models.Model):
    """A leaked key, a vendor breach, a misbehaving agent: opened from a who-built-what query."""

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    title = models.CharField(max_length=300)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.HIGH)
    description = models.TextField("what happened")
    what_to_do = models.TextField(blank=True, help_text="What each owner must do (sent in the notification).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    query = models.JSONField(default=dict, help_text="The who-built-what query it was opened from.")
    credentials = models.ManyToManyField("registry.Credential", blank=True, related_name="incidents")
    data_sources = models.ManyToManyField("registry.DataSource", blank=True, related_name="incidents")
    vendors = models.ManyToManyField("registry.Vendor", blank=True, related_name="incidents")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incidents_opened"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self):
        return self.title


class IncidentUseCase(models.Model):
    """A use case in an incident's affected set, as it stood when the incident was opened."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    use_case = models.ForeignKey("registry.UseCase", on_delete=models.PROTECT, related_name="incident_links")
    how = models.CharField(
        max_length=500, help_text="How it is touched: uses the credential, downstream of ..."
    )
    depth = models.PositiveSmallIntegerField(
        default=0, help_text="0: touches it directly; n: n connections downstream."
    )
    path = models.JSONField(
        default=list, help_text="Names along the connections, from a directly affected one."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    backup_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suspended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["depth", "use_case__name"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "use_case"], name="registry_incident_use_case_unique")
        ]

    def __str__(self):
        return f"{self.incident}: {self.use_case}"


class IncidentRecipient(models.Model):
    """A person told about an incident, and whether they acknowledged. The acknowledgement link
    carries a token whose hash is kept here; it works once and only for this person."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="recipients")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incident_notices"
    )
    use_cases = models.ManyToManyField("registry.UseCase", related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    notified_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["person__username"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "person"], name="registry_incident_recipient_unique")
        ]

    def __str__(self):
        return f"{self.person} for {self.incident}"
