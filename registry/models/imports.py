"""Import runs of spreadsheets (``import_inventory``)."""

from django.conf import settings
from django.db import models


class ImportBatch(models.Model):
    """One run of the importer over one file: what it was, and what came of it."""

    file_name = models.CharField(max_length=500)
    file_sha256 = models.CharField(max_length=64)
    layout = models.CharField(max_length=50, help_text="The recognised layout, or 'mapping'.")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "import batches"
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.file_name} ({self.layout}, {self.started_at:%Y-%m-%d %H:%M})"
