"""The registry entry (the AI use case) and what links it to the rest: data access,
credential use, vendor use, connections between use cases and foundation documents used."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse

from ..choices import (
    AccessMode,
    AITechnique,
    Autonomy,
    DataClassification,
    Exposure,
    LifecycleStage,
    ReviewStatus,
    RiskTier,
    Sourcing,
    UseCaseKind,
)
from ..querysets import UseCaseQuerySet


class UseCase(models.Model):
    """One AI tool, custom GPT, agent, prompt workflow or automation and the job it does.

    ``risk_tier`` and ``risk_reasons`` are computed by ``registry.rules.risk`` from what the
    use case touches, and ``review_status`` is derived from its security reviews: services
    write them, no form or serializer does.
    """

    name = models.CharField(max_length=500)
    purpose = models.TextField(help_text="What it does: the problem it solves.")
    description = models.TextField(blank=True, help_text="How it works, its benefits.")
    outputs = models.TextField(blank=True, help_text="What it produces.")
    kind = models.CharField(max_length=30, choices=UseCaseKind.choices)
    technique = models.CharField("AI technique", max_length=30, choices=AITechnique.choices, blank=True)
    topic_area = models.CharField(max_length=200, blank=True)

    team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, related_name="use_cases", help_text="The owning team."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="use_cases_owned",
    )
    backup_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="use_cases_backed_up",
    )
    builders = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="use_cases_built")
    ownership_note = models.CharField(
        max_length=500,
        blank=True,
        help_text="Why its ownership needs attention (its owner left, ...); cleared when someone accepts it.",
    )
    ownership_flagged_at = models.DateTimeField(null=True, blank=True)
    contact_email = models.EmailField(
        max_length=254, blank=True, help_text="A contact mailbox, when no named person owns it."
    )

    lifecycle_stage = models.CharField(
        max_length=20, choices=LifecycleStage.choices, blank=True, help_text="Blank: not reported."
    )
    is_draft = models.BooleanField(default=False, help_text="Saved but not yet registered.")
    platform = models.CharField(
        "where it runs", max_length=200, blank=True, help_text="ChatGPT Enterprise, Zapier, n8n, a server..."
    )
    sourcing = models.CharField(max_length=20, choices=Sourcing.choices, blank=True)
    autonomy = models.CharField(max_length=20, choices=Autonomy.choices, default=Autonomy.ASSISTIVE)
    exposure = models.CharField(
        "who sees its output", max_length=20, choices=Exposure.choices, default=Exposure.INTERNAL
    )
    human_in_the_loop = models.TextField(blank=True, help_text="Where a person checks or approves.")
    documentation_url = models.URLField("documentation or runbook", blank=True, max_length=500)
    code_url = models.URLField("source code", blank=True, max_length=500)
    operational_since = models.DateField(null=True, blank=True)

    handles_personal_data = models.BooleanField(
        default=False, help_text="Uses personally identifiable information (OMB: has_pii)."
    )
    is_high_impact = models.BooleanField(
        "high-impact", default=False, help_text="High-impact AI under OMB M-25-21 (rights or safety)."
    )
    high_impact_justification = models.TextField(blank=True)

    users_count = models.PositiveIntegerField("users", null=True, blank=True)
    users_band = models.CharField(max_length=50, blank=True, help_text="E.g. a licence band: 101-1000.")
    hours_saved_per_week = models.DecimalField(max_digits=10, decimal_places=1, null=True, blank=True)
    monthly_cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    risk_tier = models.CharField(
        max_length=10, choices=RiskTier.choices, default=RiskTier.LOW, editable=False
    )
    risk_reasons = models.JSONField(default=list, blank=True, editable=False)
    review_status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.NONE, editable=False
    )

    external_id = models.CharField(
        "external identifier", max_length=200, blank=True, help_text="The id in the source inventory."
    )
    source_key = models.CharField(
        max_length=300,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="Stable import key (layout, agency, id or a fallback): re-imports update, never duplicate.",
    )
    import_batch = models.ForeignKey(
        "registry.ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="use_cases"
    )
    source_row = models.JSONField(
        null=True, blank=True, editable=False, help_text="The spreadsheet row it was imported from."
    )
    search_vector = SearchVectorField(null=True, editable=False)

    vendors = models.ManyToManyField(
        "registry.Vendor", through="registry.VendorUse", related_name="use_cases"
    )
    data_sources = models.ManyToManyField(
        "registry.DataSource", through="registry.DataAccess", related_name="use_cases"
    )
    credentials = models.ManyToManyField(
        "registry.Credential", through="registry.CredentialUse", related_name="use_cases"
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Suspended by an incident responder: shown on its page, hidden from the library.",
    )
    suspended_reason = models.CharField(max_length=500, blank=True)

    objects = UseCaseQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="registry_uc_name_id"),
            models.Index(fields=["-updated_at", "-id"], name="registry_uc_updated"),
            models.Index(fields=["lifecycle_stage"], name="registry_uc_stage"),
            models.Index(fields=["kind"], name="registry_uc_kind"),
            models.Index(fields=["risk_tier"], name="registry_uc_risk_tier"),
            models.Index(fields=["review_status"], name="registry_uc_review_status"),
            # Every column the visibility rule (accounts.permissions.use_case_view_filter) reads,
            # so a list's count is an index-only scan of a few MB instead of a read of the whole
            # table (255 MB at 100,000 use cases: 230 ms → 15–45 ms).
            models.Index(
                fields=["is_draft", "owner", "backup_owner", "team", "id"], name="registry_uc_visibility"
            ),
        ]
        # The full-text GIN index, its trigger and the trigram index are PostgreSQL-only and
        # live in migration 0002.

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("registry:use_case_detail", args=[self.pk])

    @property
    def has_named_owner(self):
        """False when only a contact mailbox is known (common in imported inventories)."""
        return self.owner_id is not None


class VendorUse(models.Model):
    """A use case calls a vendor, optionally a given model or product of theirs."""

    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="vendor_uses")
    vendor = models.ForeignKey("registry.Vendor", on_delete=models.PROTECT, related_name="vendor_uses")
    model = models.ForeignKey(
        "registry.AIModel", null=True, blank=True, on_delete=models.PROTECT, related_name="vendor_uses"
    )

    class Meta:
        verbose_name = "vendor use"
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "vendor", "model"],
                name="registry_vendoruse_unique",
                violation_error_message="This use case already records this vendor and model.",
            ),
            # NULLs are distinct in unique constraints (and SQLite has no NULLS NOT DISTINCT).
            models.UniqueConstraint(
                fields=["use_case", "vendor"],
                condition=models.Q(model__isnull=True),
                name="registry_vendoruse_unique_no_model",
                violation_error_message="This use case already records this vendor.",
            ),
        ]

    def __str__(self):
        return f"{self.use_case} calls {self.model or self.vendor}"


class DataAccess(models.Model):
    """A use case reads or writes a data source, and why."""

    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="data_accesses")
    data_source = models.ForeignKey(
        "registry.DataSource", on_delete=models.PROTECT, related_name="data_accesses"
    )
    access = models.CharField(max_length=20, choices=AccessMode.choices, default=AccessMode.READ)
    purpose = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = "data access"
        verbose_name_plural = "data access"
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "data_source"],
                name="registry_dataaccess_unique",
                violation_error_message="This use case already records access to this data source.",
            )
        ]

    def __str__(self):
        return f"{self.use_case} {self.get_access_display().lower()} {self.data_source}"

    @property
    def writes(self):
        return self.access in (AccessMode.WRITE, AccessMode.READ_WRITE)


class CredentialUse(models.Model):
    """A use case uses a credential (by reference)."""

    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="credential_uses")
    credential = models.ForeignKey(
        "registry.Credential", on_delete=models.PROTECT, related_name="credential_uses"
    )
    purpose = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "credential"],
                name="registry_credentialuse_unique",
                violation_error_message="This use case already records this credential.",
            )
        ]

    def __str__(self):
        return f"{self.use_case} uses {self.credential}"


class Connection(models.Model):
    """Use case ``source`` feeds use case ``target``: what flows, and its classification."""

    source = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="feeds")
    target = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="fed_by")
    what_flows = models.CharField(max_length=500, blank=True)
    classification = models.CharField(
        max_length=20, choices=DataClassification.choices, default=DataClassification.INTERNAL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target"],
                name="registry_connection_unique",
                violation_error_message="These use cases are already connected this way.",
            ),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")),
                name="registry_connection_not_self",
                violation_error_message="A use case cannot feed itself.",
            ),
        ]

    def __str__(self):
        return f"{self.source} feeds {self.target}"


class FoundationDocumentUse(models.Model):
    """A use case uses a foundation document, at a given version."""

    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="foundation_uses")
    document = models.ForeignKey("registry.FoundationDocument", on_delete=models.PROTECT, related_name="uses")
    version = models.CharField(max_length=50)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "document"],
                name="registry_foundationuse_unique",
                violation_error_message="This use case already records this document.",
            )
        ]

    def __str__(self):
        return f"{self.use_case} uses {self.document} {self.version}"

    @property
    def is_outdated(self):
        return self.version != self.document.current_version
