"""The shared library: promoted use cases, their adoption and usage, and foundation document
versions."""

from django.conf import settings
from django.db import models


class LibraryEntry(models.Model):
    """A use case a curator promoted to the shared library for everyone to reuse."""

    class Status(models.TextChoices):
        LISTED = "listed", "Listed"
        DEPRECATED = "deprecated", "Deprecated"
        UNLISTED = "unlisted", "Unlisted"

    use_case = models.OneToOneField(
        "registry.UseCase", on_delete=models.PROTECT, related_name="library_entry"
    )
    reuse_summary = models.TextField(help_text="Why and when to reuse it, in a paragraph.")
    how_to_adopt = models.TextField(
        help_text="Steps, and the kinds of credentials and data access an adopter needs (never values)."
    )
    category = models.CharField(max_length=100, db_index=True, help_text="E.g. Content, Sales, Research.")
    version = models.CharField(max_length=50, default="1.0")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.LISTED, db_index=True)
    deprecation_reason = models.TextField(blank=True)
    replacement = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaces",
        help_text="What to use instead of a deprecated entry.",
    )
    flag_reason = models.CharField(
        max_length=500, blank=True, help_text="Why readers are warned (its review expired, its owner left)."
    )
    flagged_at = models.DateTimeField(null=True, blank=True)
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    promoted_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "library entries"
        ordering = ["use_case__name"]

    def __str__(self):
        return f"{self.use_case.name} (library, {self.version})"


class Adoption(models.Model):
    """A person or team recorded that they adopted a library entry; optionally their own
    linked use case (``use_case``, shown as "adopted from" the entry)."""

    entry = models.ForeignKey(LibraryEntry, on_delete=models.CASCADE, related_name="adoptions")
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="adoptions"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="adoptions"
    )
    use_case = models.OneToOneField(
        "registry.UseCase", null=True, blank=True, on_delete=models.SET_NULL, related_name="adopted_from"
    )
    note = models.CharField(max_length=500, blank=True)
    adopted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-adopted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "adopted_by"],
                name="registry_adoption_once_per_person",
                violation_error_message="You already recorded adopting this entry.",
            )
        ]

    def __str__(self):
        return f"{self.adopted_by} adopted {self.entry.use_case.name}"


class UsageReport(models.Model):
    """A use case's usage in one month: entered by its owner or pushed by an AI gateway."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by hand"
        API = "api", "Pushed through the API"

    use_case = models.ForeignKey("registry.UseCase", on_delete=models.CASCADE, related_name="usage_reports")
    period = models.DateField(help_text="The first day of the month reported.")
    active_users = models.PositiveIntegerField(default=0)
    runs = models.PositiveIntegerField(default=0)
    hours_saved = models.DecimalField(max_digits=10, decimal_places=1, default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=0, help_text="In settings.CURRENCY.")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period"]
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "period"],
                name="registry_usage_one_per_month",
                violation_error_message="This month is already reported for this use case.",
            ),
            models.CheckConstraint(
                condition=models.Q(period__day=1),
                name="registry_usage_period_is_a_month",
                violation_error_message="The period is a month: its first day.",
            ),
        ]

    def __str__(self):
        return f"{self.use_case} {self.period:%Y-%m}"


class FoundationDocumentVersion(models.Model):
    """One published version of a foundation document (the document's current one is named on it)."""

    document = models.ForeignKey(
        "registry.FoundationDocument", on_delete=models.CASCADE, related_name="versions"
    )
    version = models.CharField(max_length=50)
    link = models.URLField(blank=True, max_length=500)
    notes = models.TextField(blank=True, help_text="What changed.")
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-published_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "version"],
                name="registry_foundation_version_unique",
                violation_error_message="This version of the document already exists.",
            )
        ]

    def __str__(self):
        return f"{self.document} {self.version}"
