"""Read-only serializers of the registry API.

Every computed or derived field (``risk_tier``, ``risk_reasons``, ``review_status``, a
review's ``state``) is read-only here as everywhere: only the services write them. Nested
objects are small references (``{id, slug, name}``), built from rows the view has already
joined or prefetched, so a page costs a fixed number of queries whatever its size.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Team, User
from accounts.permissions import can_view_credential_details

from ..choices import CredentialKind
from ..models import (
    AIModel,
    Connection,
    Credential,
    CredentialUse,
    DataAccess,
    DataSource,
    FoundationDocument,
    FoundationDocumentUse,
    SecurityReview,
    UseCase,
    Vendor,
    VendorUse,
)
from ..rules.risk import redact_reasons

# --- references (small nested objects) ------------------------------------------------------


class UserRefSerializer(serializers.ModelSerializer):
    """A person: ``{id, username, name, email}``; ``name`` is the full name or the username."""

    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name", "email"]

    def get_name(self, user) -> str:
        return str(user)


class TeamParentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "slug", "name"]


class TeamRefSerializer(serializers.ModelSerializer):
    """A team and the organisation unit above it (``parent``, or null)."""

    parent = TeamParentSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Team
        fields = ["id", "slug", "name", "parent"]


class VendorRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vendor
        fields = ["id", "slug", "name"]


class AIModelRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = AIModel
        fields = ["id", "name"]


class UseCaseRefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:use-case-detail")

    class Meta:
        model = UseCase
        fields = ["id", "url", "name"]


# --- use cases ---------------------------------------------------------------------------------


class UseCaseSerializer(serializers.ModelSerializer):
    """A row of the use-case list (``GET /api/use-cases/``)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:use-case-detail")
    team = TeamRefSerializer(read_only=True)
    owner = UserRefSerializer(read_only=True, allow_null=True)
    has_named_owner = serializers.BooleanField(
        read_only=True, help_text="False when only a contact mailbox is known."
    )
    vendors = serializers.SerializerMethodField(help_text="Each vendor once, by name.")

    class Meta:
        model = UseCase
        fields = [
            "id",
            "url",
            "name",
            "purpose",
            "kind",
            "lifecycle_stage",
            "team",
            "owner",
            "contact_email",
            "has_named_owner",
            "vendors",
            "risk_tier",
            "review_status",
            "is_high_impact",
            "handles_personal_data",
            "external_id",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(VendorRefSerializer(many=True))
    def get_vendors(self, use_case):
        # The prefetched many-to-many goes through VendorUse: a vendor appears once per model
        # used, so keep each vendor once.
        return self._vendor_refs(use_case.vendors.all())

    def _vendor_refs(self, vendors):
        distinct = {vendor.pk: vendor for vendor in vendors}.values()
        ordered = sorted(distinct, key=lambda vendor: (vendor.name.lower(), vendor.pk))
        return VendorRefSerializer(ordered, many=True, context=self.context).data


class DataSourceRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = DataSource
        fields = ["id", "name", "classification", "has_personal_data", "has_customer_data"]


class DataAccessSerializer(serializers.ModelSerializer):
    data_source = DataSourceRefSerializer(read_only=True)

    class Meta:
        model = DataAccess
        fields = ["data_source", "access", "purpose"]


class CredentialDetailsSerializer(serializers.ModelSerializer):
    """Where a credential lives and who holds it: only for people allowed to see credential
    details (``accounts.permissions.can_view_credential_details``), otherwise ``null``."""

    storage_is_unsafe = serializers.BooleanField(source="is_unsafely_stored", read_only=True)
    owner = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Credential
        fields = [
            "storage",
            "storage_is_unsafe",
            "vault_reference",
            "scope",
            "owner",
            "last_rotated_on",
            "expires_on",
        ]
        read_only_fields = fields


class CredentialUseSerializer(serializers.ModelSerializer):
    """A credential the use case uses: its reference metadata for everyone, and ``details``
    (storage, vault reference, scope, holder, rotation) for those allowed, else ``null``."""

    id = serializers.IntegerField(source="credential.id", read_only=True)
    name = serializers.CharField(source="credential.name", read_only=True)
    kind = serializers.ChoiceField(source="credential.kind", read_only=True, choices=CredentialKind.choices)
    issuer = VendorRefSerializer(source="credential.issuer", read_only=True, allow_null=True)
    details = serializers.SerializerMethodField()

    class Meta:
        model = CredentialUse
        fields = ["id", "name", "kind", "issuer", "purpose", "details"]

    @extend_schema_field(CredentialDetailsSerializer(allow_null=True))
    def get_details(self, use):
        if not self.context.get("credential_details"):
            return None
        return CredentialDetailsSerializer(use.credential, context=self.context).data


class VendorUseSerializer(serializers.ModelSerializer):
    vendor = VendorRefSerializer(read_only=True)
    model = AIModelRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = VendorUse
        fields = ["vendor", "model"]


class FeedSerializer(serializers.ModelSerializer):
    """A connection seen from its source: the use case it feeds."""

    use_case = UseCaseRefSerializer(source="target", read_only=True)

    class Meta:
        model = Connection
        fields = ["use_case", "what_flows", "classification"]


class FedBySerializer(serializers.ModelSerializer):
    """A connection seen from its target: the use case that feeds it."""

    use_case = UseCaseRefSerializer(source="source", read_only=True)

    class Meta:
        model = Connection
        fields = ["use_case", "what_flows", "classification"]


class ConnectionsSerializer(serializers.Serializer):
    feeds = FeedSerializer(many=True, read_only=True)
    fed_by = FedBySerializer(many=True, read_only=True)


class FoundationDocumentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = FoundationDocument
        fields = ["id", "name", "kind", "current_version", "link"]


class FoundationDocumentUseSerializer(serializers.ModelSerializer):
    document = FoundationDocumentRefSerializer(read_only=True)
    is_outdated = serializers.BooleanField(
        read_only=True, help_text="True when the use case is on an older version than the current one."
    )

    class Meta:
        model = FoundationDocumentUse
        fields = ["document", "version", "is_outdated"]


class SecurityReviewSerializer(serializers.ModelSerializer):
    reviewer = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = SecurityReview
        fields = [
            "id",
            "state",
            "source",
            "authorisation_reference",
            "reviewer",
            "requested_at",
            "decided_at",
            "expires_at",
        ]
        read_only_fields = fields


class UseCaseDetailSerializer(UseCaseSerializer):
    """Everything a use case's page shows (``GET /api/use-cases/{id}/``).

    Expects the object from ``registry.selectors.use_cases.use_case_detail`` (everything
    joined or prefetched): ``vendors`` is derived from the prefetched vendor uses.
    """

    backup_owner = UserRefSerializer(read_only=True, allow_null=True)
    builders = UserRefSerializer(many=True, read_only=True)
    data_access = DataAccessSerializer(source="data_accesses", many=True, read_only=True)
    credentials = CredentialUseSerializer(source="credential_uses", many=True, read_only=True)
    vendor_uses = VendorUseSerializer(many=True, read_only=True)
    connections = ConnectionsSerializer(source="*", read_only=True)
    foundation_documents = FoundationDocumentUseSerializer(
        source="foundation_uses", many=True, read_only=True
    )
    reviews = SecurityReviewSerializer(many=True, read_only=True)
    risk_reasons = serializers.SerializerMethodField()

    class Meta(UseCaseSerializer.Meta):
        fields = [
            *UseCaseSerializer.Meta.fields,
            "description",
            "outputs",
            "technique",
            "topic_area",
            "platform",
            "sourcing",
            "autonomy",
            "exposure",
            "human_in_the_loop",
            "documentation_url",
            "code_url",
            "operational_since",
            "backup_owner",
            "builders",
            "high_impact_justification",
            "risk_reasons",
            "users_count",
            "users_band",
            "hours_saved_per_week",
            "monthly_cost",
            "data_access",
            "credentials",
            "vendor_uses",
            "connections",
            "foundation_documents",
            "reviews",
            "source_row",
            "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, use_case):
        # Whether the asker may read credential details is decided once per use case.
        request = self.context.get("request")
        self.context["credential_details"] = request is not None and can_view_credential_details(
            request.user, use_case
        )
        return super().to_representation(use_case)

    def get_risk_reasons(self, use_case) -> list[str]:
        if self.context.get("credential_details"):
            return use_case.risk_reasons
        return redact_reasons(use_case.risk_reasons)

    @extend_schema_field(VendorRefSerializer(many=True))
    def get_vendors(self, use_case):
        # Derived from the prefetched vendor uses: no query of its own.
        return self._vendor_refs(vendor_use.vendor for vendor_use in use_case.vendor_uses.all())


# --- teams and vendors -------------------------------------------------------------------------


class TeamSerializer(serializers.ModelSerializer):
    """A team or organisation unit (``GET /api/teams/``)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:team-detail")
    parent = TeamParentSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Team
        fields = ["id", "url", "slug", "name", "kind", "abbreviation", "parent", "email"]
        read_only_fields = fields


class VendorSerializer(serializers.ModelSerializer):
    """A vendor and its models or products (``GET /api/vendors/``)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:vendor-detail")
    models = AIModelRefSerializer(many=True, read_only=True)

    class Meta:
        model = Vendor
        fields = ["id", "url", "slug", "name", "website", "models"]
        read_only_fields = fields
