"""The things use cases touch: vendors and their models, data sources, credentials and
foundation documents."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from ..choices import (
    UNSAFE_CREDENTIAL_STORAGE,
    CredentialKind,
    CredentialStorage,
    DataClassification,
    FoundationDocumentKind,
)


class Vendor(models.Model):
    """A provider of AI models or products (OpenAI, Anthropic, Microsoft, Salesforce, ...)."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="registry_vendor_unique_name",
                violation_error_message="A vendor with this name already exists.",
            )
        ]

    def __str__(self):
        return self.name


class AIModel(models.Model):
    """A model or product of a vendor (GPT-4o, Claude, Microsoft 365 Copilot GCC)."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="models")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "model or product"
        verbose_name_plural = "models and products"
        ordering = ["vendor__name", "name"]
        constraints = [
            models.UniqueConstraint(
                "vendor",
                Lower("name"),
                name="registry_aimodel_unique_name_per_vendor",
                violation_error_message="This vendor already has a model or product with this name.",
            )
        ]

    def __str__(self):
        return f"{self.vendor.name} {self.name}"


class DataSource(models.Model):
    """A system of record (CRM, marketing automation, a data warehouse, a shared drive)."""

    name = models.CharField(max_length=200)
    system = models.CharField(
        max_length=200, blank=True, help_text="The product it runs on, e.g. Salesforce."
    )
    description = models.TextField(blank=True)
    classification = models.CharField(
        max_length=20, choices=DataClassification.choices, default=DataClassification.INTERNAL
    )
    has_personal_data = models.BooleanField(
        "holds personal data", default=False, help_text="Personally identifiable information."
    )
    has_customer_data = models.BooleanField("holds customer data", default=False)
    owner_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="data_sources"
    )
    link = models.URLField(blank=True, max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="registry_datasource_unique_name",
                violation_error_message="A data source with this name already exists.",
            )
        ]

    def __str__(self):
        return self.name


class Credential(models.Model):
    """A reference to a credential: where it lives and who holds it. Never the secret itself."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=CredentialKind.choices, default=CredentialKind.API_KEY)
    issuer = models.ForeignKey(
        Vendor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credentials",
        help_text="Who issued it (the vendor whose API it opens).",
    )
    storage = models.CharField(
        "where it is stored",
        max_length=30,
        choices=CredentialStorage.choices,
        default=CredentialStorage.UNKNOWN,
    )
    vault_reference = models.CharField(
        max_length=500,
        blank=True,
        help_text="A path or id in the secrets manager (vault://..., arn:aws:secretsmanager:..., op://...), "
        "never the value.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="credentials_held",
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="credentials"
    )
    scope = models.CharField(max_length=500, blank=True, help_text="What it grants: scopes, roles.")
    last_rotated_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(last_rotated_on__isnull=True)
                | models.Q(expires_on__gte=models.F("last_rotated_on")),
                name="registry_credential_expiry_after_rotation",
                violation_error_message="A credential cannot expire before it was last rotated.",
            )
        ]
        indexes = [models.Index(fields=["storage"], name="registry_credential_storage")]

    def __str__(self):
        return self.name

    @property
    def is_unsafely_stored(self):
        """True when the storage place is a finding in itself (a laptop's env file, ...)."""
        return self.storage in UNSAFE_CREDENTIAL_STORAGE


class FoundationDocument(models.Model):
    """Shared knowledge every builder should use (personas, ICP, brand voice, proof points)."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(
        max_length=30, choices=FoundationDocumentKind.choices, default=FoundationDocumentKind.OTHER
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="foundation_documents",
    )
    current_version = models.CharField(max_length=50, help_text="E.g. 2026.2 or v3.")
    link = models.URLField(blank=True, max_length=500)
    last_reviewed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
