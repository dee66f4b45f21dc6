"""Serializers of the registry API: read-only representations, and the use-case write payload.

Every computed or derived field (``risk_tier``, ``risk_reasons``, ``review_status``, a
review's ``state``) is read-only here as everywhere: only the services write them. Nested
objects are small references (``{id, slug, name}``), built from rows the view has already
joined or prefetched, so a page costs a fixed number of queries whatever its size.
"""

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Team, User
from accounts.permissions import can_view_credential_details

from ..choices import (
    AccessMode,
    Autonomy,
    CredentialKind,
    CredentialStorage,
    DataClassification,
    Exposure,
    LifecycleStage,
    UseCaseKind,
)
from ..exceptions import SecretValueError
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
from ..services.registration import (
    ConnectionInput,
    CredentialInput,
    DataAccessInput,
    NewCredential,
    NewDataSource,
    RegistrationLinks,
    VendorChoice,
)


class RegistryModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose read-only fields keep the model's ``blank=True``.

    DRF drops ``allow_blank`` from read-only fields, so the schema claimed that a blank
    ``lifecycle_stage``, ``contact_email`` or ``code_url`` could not be ``""`` (an enum or a
    ``format`` it fails), and clients validating against the schema rejected real answers
    (found by schemathesis). With ``allow_blank`` kept, drf-spectacular adds the ``""`` option.
    """

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        allow_blank = kwargs.get("allow_blank", False)
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if allow_blank and kwargs.get("read_only"):
            kwargs["allow_blank"] = True
        return kwargs


# --- references (small nested objects) ------------------------------------------------------


class UserRefSerializer(RegistryModelSerializer):
    """A person: ``{id, username, name, email}``; ``name`` is the full name or the username."""

    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name", "email"]

    def get_name(self, user) -> str:
        return str(user)


class TeamParentSerializer(RegistryModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "slug", "name"]


class TeamRefSerializer(RegistryModelSerializer):
    """A team and the organisation unit above it (``parent``, or null)."""

    parent = TeamParentSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Team
        fields = ["id", "slug", "name", "parent"]


class VendorRefSerializer(RegistryModelSerializer):
    class Meta:
        model = Vendor
        fields = ["id", "slug", "name"]


class AIModelRefSerializer(RegistryModelSerializer):
    class Meta:
        model = AIModel
        fields = ["id", "name"]


class UseCaseRefSerializer(RegistryModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:use-case-detail")

    class Meta:
        model = UseCase
        fields = ["id", "url", "name"]


# --- use cases ---------------------------------------------------------------------------------


class UseCaseSerializer(RegistryModelSerializer):
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


class DataSourceRefSerializer(RegistryModelSerializer):
    class Meta:
        model = DataSource
        fields = ["id", "name", "classification", "has_personal_data", "has_customer_data"]


class DataAccessSerializer(RegistryModelSerializer):
    data_source = DataSourceRefSerializer(read_only=True)

    class Meta:
        model = DataAccess
        fields = ["data_source", "access", "purpose"]


class CredentialDetailsSerializer(RegistryModelSerializer):
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


class CredentialUseSerializer(RegistryModelSerializer):
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


class VendorUseSerializer(RegistryModelSerializer):
    vendor = VendorRefSerializer(read_only=True)
    model = AIModelRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = VendorUse
        fields = ["vendor", "model"]


class FeedSerializer(RegistryModelSerializer):
    """A connection seen from its source: the use case it feeds."""

    use_case = UseCaseRefSerializer(source="target", read_only=True)

    class Meta:
        model = Connection
        fields = ["use_case", "what_flows", "classification"]


class FedBySerializer(RegistryModelSerializer):
    """A connection seen from its target: the use case that feeds it."""

    use_case = UseCaseRefSerializer(source="source", read_only=True)

    class Meta:
        model = Connection
        fields = ["use_case", "what_flows", "classification"]


class ConnectionsSerializer(serializers.Serializer):
    feeds = FeedSerializer(many=True, read_only=True)
    fed_by = FedBySerializer(many=True, read_only=True)


class FoundationDocumentRefSerializer(RegistryModelSerializer):
    class Meta:
        model = FoundationDocument
        fields = ["id", "name", "kind", "current_version", "link"]


class FoundationDocumentUseSerializer(RegistryModelSerializer):
    document = FoundationDocumentRefSerializer(read_only=True)
    is_outdated = serializers.BooleanField(
        read_only=True, help_text="True when the use case is on an older version than the current one."
    )

    class Meta:
        model = FoundationDocumentUse
        fields = ["document", "version", "is_outdated"]


class SecurityReviewSerializer(RegistryModelSerializer):
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


class TeamSerializer(RegistryModelSerializer):
    """A team or organisation unit (``GET /api/teams/``)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:team-detail")
    parent = TeamParentSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Team
        fields = ["id", "url", "slug", "name", "kind", "abbreviation", "parent", "email"]
        read_only_fields = fields


class VendorSerializer(RegistryModelSerializer):
    """A vendor and its models or products (``GET /api/vendors/``)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:vendor-detail")
    models = AIModelRefSerializer(many=True, read_only=True)

    class Meta:
        model = Vendor
        fields = ["id", "url", "slug", "name", "website", "models"]
        read_only_fields = fields


# --- writing use cases (issue 4) ---------------------------------------------------------------
#
# One contract for every write: the registration service (``registry.services.registration``).
# These serializers only parse the payload's shape and types; the service decides what is
# required, who may register for which team, and that a credential cannot expire before it
# was rotated, with the same messages as the page. The secret guard runs first, on the payload
# as sent (``UseCaseWriteSerializer.to_internal_value``), so no field error of DRF's own can
# echo a secret back.


class _VisibleToAskerField(serializers.PrimaryKeyRelatedField):
    """A related object by id, among those the asker may use (``restrict(request.user)``);
    any other id answers the usual "object does not exist" (a 400, never a hint)."""

    def restrict(self, queryset, user):
        return queryset

    def get_queryset(self):
        request = self.context.get("request")
        return self.restrict(super().get_queryset(), getattr(request, "user", None))


class VisibleUseCaseField(_VisibleToAskerField):
    def restrict(self, queryset, user):
        return queryset.restrict(user, "view")


class VisibleCredentialField(_VisibleToAskerField):
    """Credentials whose details the asker may see (``credentials_visible_to``)."""

    def restrict(self, queryset, user):
        from ..selectors.credentials import credentials_visible_to

        return queryset.filter(pk__in=credentials_visible_to(user).values("pk"))


class VendorChoiceWriteSerializer(serializers.Serializer):
    """``{"vendor": id}`` or ``{"name": "..."}`` (an existing vendor by name, any case, or a
    new one), and optionally ``"model"``."""

    vendor = serializers.PrimaryKeyRelatedField(
        queryset=Vendor.objects.all(), required=False, allow_null=True
    )
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    model = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if not attrs.get("vendor") and not (attrs.get("name") or "").strip():
            raise serializers.ValidationError({"name": ["Give a vendor id or a vendor name."]})
        return attrs


class NewDataSourceSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    classification = serializers.ChoiceField(
        choices=DataClassification.choices, default=DataClassification.INTERNAL
    )
    has_personal_data = serializers.BooleanField(default=False)
    has_customer_data = serializers.BooleanField(default=False)
    system = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class DataAccessWriteSerializer(serializers.Serializer):
    """``{"data_source": id}`` or ``{"new_data_source": {...}}``, with ``access`` and ``purpose``."""

    data_source = serializers.PrimaryKeyRelatedField(
        queryset=DataSource.objects.all(), required=False, allow_null=True
    )
    new_data_source = NewDataSourceSerializer(required=False, allow_null=True)
    access = serializers.ChoiceField(choices=AccessMode.choices, default=AccessMode.READ)
    purpose = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class NewCredentialSerializer(serializers.Serializer):
    """A credential reference: where it is stored and who holds it, never its value."""

    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=CredentialKind.choices, default=CredentialKind.API_KEY)
    issuer = serializers.PrimaryKeyRelatedField(
        queryset=Vendor.objects.all(), required=False, allow_null=True
    )
    storage = serializers.ChoiceField(choices=CredentialStorage.choices, default=CredentialStorage.UNKNOWN)
    vault_reference = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    scope = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    last_rotated_on = serializers.DateField(required=False, allow_null=True)
    expires_on = serializers.DateField(required=False, allow_null=True)


class CredentialUseWriteSerializer(serializers.Serializer):
    """``{"credential": id}`` (one whose details the asker may see) or ``{"new_credential":
    {...}}``, with ``purpose``."""

    credential = VisibleCredentialField(queryset=Credential.objects.all(), required=False, allow_null=True)
    new_credential = NewCredentialSerializer(required=False, allow_null=True)
    purpose = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ConnectionWriteSerializer(serializers.Serializer):
    """Another use case (one the asker may see), what flows and its classification."""

    use_case = VisibleUseCaseField(queryset=UseCase.objects.all())
    what_flows = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    classification = serializers.ChoiceField(
        choices=DataClassification.choices, default=DataClassification.INTERNAL
    )


class FoundationDocumentUseWriteSerializer(serializers.Serializer):
    document = serializers.PrimaryKeyRelatedField(queryset=FoundationDocument.objects.all())
    version = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default="", help_text="Empty: the current version."
    )


#: The payload's lists -> (the service's key prefix, {the service's field suffix -> where that
#: field is in a list item}). Used to put the service's errors where the payload had the value.
_LINK_ERROR_PATHS = {
    "vendors": ("vendors", {"new_vendor_name": ("name",), "model_name": ("model",)}),
    "data_access": (
        "data_accesses",
        {
            "new_source_name": ("new_data_source", "name"),
            "new_source_system": ("new_data_source", "system"),
            "purpose": ("purpose",),
        },
    ),
    "credentials": (
        "credentials",
        {
            "name": ("new_credential", "name"),
            "vault_reference": ("new_credential", "vault_reference"),
            "scope": ("new_credential", "scope"),
            "expires_on": ("new_credential", "expires_on"),
            "purpose": ("purpose",),
        },
    ),
    "feeds": ("feeds", {"what_flows": ("what_flows",)}),
    "fed_by": ("fed_by", {"what_flows": ("what_flows",)}),
}


class UseCaseWriteSerializer(serializers.Serializer):
    """Register (``POST``) or change (``PUT``/``PATCH``) a use case, with what it touches.

    ``team`` defaults to the first team the asker may register for. Each list given replaces
    what the use case had; a list left out of a ``PATCH`` or ``PUT`` stays as it is. Required
    to register: ``name``, ``purpose``, ``kind``, ``platform`` and at least one of ``vendors``.
    Computed fields (risk tier, review status) are never written.
    """

    name = serializers.CharField(max_length=500, required=False)
    purpose = serializers.CharField(required=False, help_text="What it does.")
    kind = serializers.ChoiceField(choices=UseCaseKind.choices, required=False)
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, help_text="Default: your first team."
    )
    platform = serializers.CharField(
        max_length=200, required=False, help_text="Where it runs: ChatGPT Enterprise, Zapier, n8n..."
    )
    description = serializers.CharField(required=False, allow_blank=True)
    outputs = serializers.CharField(required=False, allow_blank=True)
    lifecycle_stage = serializers.ChoiceField(
        choices=LifecycleStage.choices, required=False, allow_blank=True
    )
    autonomy = serializers.ChoiceField(choices=Autonomy.choices, required=False)
    exposure = serializers.ChoiceField(choices=Exposure.choices, required=False)
    human_in_the_loop = serializers.CharField(required=False, allow_blank=True)
    documentation_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    code_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    handles_personal_data = serializers.BooleanField(required=False)
    is_high_impact = serializers.BooleanField(required=False)
    high_impact_justification = serializers.CharField(required=False, allow_blank=True)
    users_count = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    hours_saved_per_week = serializers.DecimalField(
        max_digits=10, decimal_places=1, min_value=0, required=False, allow_null=True
    )
    monthly_cost = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    backup_owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    builders = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    vendors = VendorChoiceWriteSerializer(many=True, required=False)
    data_access = DataAccessWriteSerializer(many=True, required=False)
    credentials = CredentialUseWriteSerializer(many=True, required=False)
    feeds = ConnectionWriteSerializer(many=True, required=False, help_text="Use cases this one feeds.")
    fed_by = ConnectionWriteSerializer(many=True, required=False, help_text="Use cases that feed this one.")
    foundation_documents = FoundationDocumentUseWriteSerializer(many=True, required=False)

    #: Payload names that are not the service's field names.
    _LINK_NAMES = (
        "vendors",
        "data_access",
        "credentials",
        "feeds",
        "fed_by",
        "foundation_documents",
        "builders",
    )

    def to_internal_value(self, data):
        """Refuse secret-looking text anywhere in the payload before DRF reads a field.

        Every string of a known field is scanned, also inside its lists and objects; a refusal
        is a 400 whose errors sit where the value was (``{"credentials": {"1": {"new_credential":
        {"vault_reference": ["This looks like ..."]}}}}``) and is counted once per field.
        """
        from ..secret_guard import secret_guard

        if isinstance(data, Mapping):
            request = self.context.get("request")
            values = dict(_flatten({key: data[key] for key in data if key in self.fields}))
            try:
                secret_guard(values, channel="api", actor=getattr(request, "user", None))
            except SecretValueError as error:
                raise serializers.ValidationError(_nest(error.errors)) from None
        return super().to_internal_value(data)

    def service_input(self):
        """``(fields, links)`` for the registration service from ``validated_data``."""
        data = dict(self.validated_data)
        links = RegistrationLinks()
        if "vendors" in data:
            links.vendors = [
                VendorChoice(
                    vendor=v.get("vendor"), new_vendor_name=v.get("name") or "", model_name=v.get("model", "")
                )
                for v in data.pop("vendors")
            ]
        if "data_access" in data:
            links.data_accesses = [
                DataAccessInput(
                    data_source=a.get("data_source"),
                    new_source=NewDataSource(**a["new_data_source"]) if a.get("new_data_source") else None,
                    access=a["access"],
                    purpose=a.get("purpose", ""),
                )
                for a in data.pop("data_access")
            ]
        if "credentials" in data:
            links.credentials = [
                CredentialInput(
                    credential=c.get("credential"),
                    new_credential=NewCredential(**c["new_credential"]) if c.get("new_credential") else None,
                    purpose=c.get("purpose", ""),
                )
                for c in data.pop("credentials")
            ]
        for name in ("feeds", "fed_by"):
            if name in data:
                setattr(
                    links,
                    name,
                    [
                        ConnectionInput(
                            other=c["use_case"],
                            what_flows=c["what_flows"],
                            classification=c["classification"],
                        )
                        for c in data.pop(name)
                    ],
                )
        if "foundation_documents" in data:
            links.foundation_documents = [
                (d["document"], d.get("version", "")) for d in data.pop("foundation_documents")
            ]
        if "builders" in data:
            links.builders = list(data.pop("builders"))
        return data, links


class SubmittedReviewSerializer(RegistryModelSerializer):
    """The security review a submission opened (or the open one it found)."""

    class Meta:
        model = SecurityReview
        fields = ["id", "state", "requested_at"]
        read_only_fields = fields


def service_errors(errors: dict) -> dict:
    """The registration service's errors (``{"credentials-0-expires_on": [...]}``) in the
    payload's shape (``{"credentials": {"0": {"new_credential": {"expires_on": [...]}}}}``, list
    items keyed by their index as DRF keys its own errors in lists)."""
    prefixes = {
        prefix: (payload_name, fields) for payload_name, (prefix, fields) in _LINK_ERROR_PATHS.items()
    }
    out: dict = {}
    for key, messages in errors.items():
        messages = [messages] if isinstance(messages, str) else list(messages)
        prefix, _, rest = key.partition("-")
        if prefix in prefixes and rest:
            payload_name, fields = prefixes[prefix]
            index_text, _, field_name = rest.partition("-")
            if index_text.isdigit():
                path = (
                    payload_name,
                    int(index_text),
                    *fields.get(field_name, ("non_field_errors",) if not field_name else (field_name,)),
                )
                _put(out, path, messages)
                continue
        name = "data_access" if key == "data_accesses" else key
        _put(out, (name,), messages)
    return out


def _flatten(value, path=()):
    """``(key, text)`` of every string inside ``value``; keys join the path with "-"
    (``"credentials-0-new_credential-vault_reference"``)."""
    if isinstance(value, str):
        yield "-".join(str(p) for p in path), value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _flatten(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _flatten(item, (*path, index))


def _nest(errors: dict) -> dict:
    """The guard's flat keys back into the payload's shape (a message in a list of plain
    values, ``"builders-0"``, goes on the list itself)."""
    out: dict = {}
    for key, message in errors.items():
        path = [int(p) if p.isdigit() else p for p in key.split("-")]
        while len(path) > 1 and isinstance(path[-1], int):
            path.pop()
        _put(out, tuple(path), [message])
    return out


def _put(out: dict, path: tuple, messages: list) -> None:
    """Add ``messages`` at ``path`` in nested dicts; a list item is keyed by its index as a
    string, as DRF reports errors in lists (``{"credentials": {"1": {...}}}``)."""
    node = out
    for step in path[:-1]:
        key = str(step)
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    last = str(path[-1])
    existing = node.get(last)
    node[last] = (existing if isinstance(existing, list) else []) + messages
