"""The Django admin of the registry (for the registry's operators).

Computed values stay computed here too: ``risk_tier``, ``risk_reasons``, ``review_status``,
a review's ``state``, the import key and source row are read-only, and every admin edit that
changes what a use case touches recomputes its risk through ``use_case_refresh_risk``.
Every changelist joins what its rows show (``list_select_related``): no query per row.
Every form here, inlines included, passes the secret guard (``GuardedModelAdmin``,
``GuardedTabularInline``): a secret-looking value is refused beside its field, never saved,
never shown back, and counted with channel "admin".
"""

from collections.abc import Iterable

from django.contrib import admin

from .models import (
    Adoption,
    AIModel,
    Connection,
    Credential,
    CredentialUse,
    DataAccess,
    DataSource,
    FoundationDocument,
    FoundationDocumentUse,
    FoundationDocumentVersion,
    HistoryEntry,
    ImportBatch,
    Incident,
    IncidentRecipient,
    IncidentUseCase,
    LibraryEntry,
    Notification,
    SecretRefusal,
    SecurityReview,
    UsageReport,
    UseCase,
    UseCaseGroupObjectPermission,
    UseCaseUserObjectPermission,
    Vendor,
    VendorUse,
)
from .secret_guard import SecretGuardFormMixin, SecretGuardModelForm
from .services.risk import use_case_refresh_risk


def _refresh_risk(use_cases: Iterable[UseCase]) -> None:
    """Recompute the risk of each use case (after an admin edit of what it touches)."""
    for use_case in use_cases:
        use_case_refresh_risk(use_case=use_case)


# --- the secret guard on every form ----------------------------------------------------------


def _guarded_form(form, request):
    """The admin's form class for this request, guarded, counting refusals as the request's user.

    ``get_form``/``get_formset`` build a new class per request, so setting the actor on it is
    safe; a custom form that lacks the guard gets it mixed in.
    """
    if not issubclass(form, SecretGuardFormMixin):
        form = type(form.__name__, (SecretGuardFormMixin, form), {})
    form.guard_channel = "admin"
    form.guard_actor = request.user
    return form


class GuardedModelAdmin(admin.ModelAdmin):
    """The base of every registry admin: its forms refuse secret-looking values."""

    form = SecretGuardModelForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        return _guarded_form(super().get_form(request, obj, change=change, **kwargs), request)


class GuardedTabularInline(admin.TabularInline):
    """The base of every registry inline: its forms refuse secret-looking values."""

    form = SecretGuardModelForm

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = _guarded_form(formset.form, request)
        return formset


# --- catalog: vendors, models, data sources, credentials, foundation documents ---------------


class AIModelInline(GuardedTabularInline):
    model = AIModel
    extra = 0
    fields = ["name"]


@admin.register(Vendor)
class VendorAdmin(GuardedModelAdmin):
    list_display = ["name", "slug", "website"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at"]
    inlines = [AIModelInline]


@admin.register(AIModel)
class AIModelAdmin(GuardedModelAdmin):
    list_display = ["name", "vendor"]
    list_select_related = ["vendor"]
    search_fields = ["name", "vendor__name"]
    autocomplete_fields = ["vendor"]
    readonly_fields = ["created_at"]


@admin.register(DataSource)
class DataSourceAdmin(GuardedModelAdmin):
    list_display = [
        "name",
        "system",
        "classification",
        "has_personal_data",
        "has_customer_data",
        "owner_team",
    ]
    list_filter = ["classification", "has_personal_data", "has_customer_data"]
    list_select_related = ["owner_team"]
    search_fields = ["name", "system"]
    autocomplete_fields = ["owner_team"]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Classification and personal/customer data feed the risk of every use case reading it.
        if change and form.has_changed():
            _refresh_risk(obj.use_cases.all())


@admin.register(Credential)
class CredentialAdmin(GuardedModelAdmin):
    list_display = ["name", "kind", "issuer", "storage", "owner", "team", "last_rotated_on", "expires_on"]
    list_filter = ["kind", "storage"]
    list_select_related = ["issuer", "owner", "team"]
    search_fields = ["name", "vault_reference", "issuer__name"]
    autocomplete_fields = ["issuer", "owner", "team"]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # An unsafe storage place raises the risk of every use case using the credential.
        if change and "storage" in form.changed_data:
            _refresh_risk(obj.use_cases.all())


@admin.register(FoundationDocument)
class FoundationDocumentAdmin(GuardedModelAdmin):
    list_display = ["name", "kind", "current_version", "owner", "last_reviewed_on"]
    list_filter = ["kind"]
    list_select_related = ["owner"]
    search_fields = ["name"]
    autocomplete_fields = ["owner"]
    readonly_fields = ["created_at", "updated_at"]


# --- use cases and what links them to the catalog ----------------------------------------------


class VendorUseInline(GuardedTabularInline):
    model = VendorUse
    extra = 0
    autocomplete_fields = ["vendor", "model"]


class DataAccessInline(GuardedTabularInline):
    model = DataAccess
    extra = 0
    autocomplete_fields = ["data_source"]


class CredentialUseInline(GuardedTabularInline):
    model = CredentialUse
    extra = 0
    autocomplete_fields = ["credential"]


class FoundationDocumentUseInline(GuardedTabularInline):
    model = FoundationDocumentUse
    extra = 0
    autocomplete_fields = ["document"]


class FeedsInline(GuardedTabularInline):
    """The use cases this one feeds (its downstream)."""

    model = Connection
    fk_name = "source"
    extra = 0
    autocomplete_fields = ["target"]
    fields = ["target", "what_flows", "classification"]
    verbose_name = "feeds"
    verbose_name_plural = "feeds (downstream use cases)"


@admin.register(UseCase)
class UseCaseAdmin(GuardedModelAdmin):
    list_display = ["name", "team", "lifecycle_stage", "kind", "risk_tier", "review_status", "updated_at"]
    list_filter = [
        "lifecycle_stage",
        "kind",
        "risk_tier",
        "review_status",
        "is_high_impact",
        "handles_personal_data",
        "is_draft",
    ]
    list_select_related = ["team"]
    search_fields = ["name", "external_id", "team__name", "owner__username", "contact_email"]
    autocomplete_fields = ["team", "owner", "backup_owner", "builders"]
    readonly_fields = [
        "risk_tier",
        "risk_reasons",
        "review_status",
        "source_key",
        "source_row",
        "import_batch",
        "created_by",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["name", "purpose", "description", "outputs", "kind", "technique", "topic_area"]}),
        ("Ownership", {"fields": ["team", "owner", "backup_owner", "builders", "contact_email"]}),
        (
            "How it runs",
            {
                "fields": [
                    "lifecycle_stage",
                    "is_draft",
                    "platform",
                    "sourcing",
                    "autonomy",
                    "exposure",
                    "human_in_the_loop",
                    "documentation_url",
                    "code_url",
                    "operational_since",
                    "retired_at",
                ]
            },
        ),
        (
            "Impact and usage",
            {
                "fields": [
                    "handles_personal_data",
                    "is_high_impact",
                    "high_impact_justification",
                    "users_count",
                    "users_band",
                    "hours_saved_per_week",
                    "monthly_cost",
                ]
            },
        ),
        ("Computed (never typed in)", {"fields": ["risk_tier", "risk_reasons", "review_status"]}),
        (
            "Import",
            {
                "classes": ["collapse"],
                "fields": ["external_id", "source_key", "import_batch", "source_row"],
            },
        ),
        ("Record", {"classes": ["collapse"], "fields": ["created_by", "created_at", "updated_at"]}),
    ]
    inlines = [
        VendorUseInline,
        DataAccessInline,
        CredentialUseInline,
        FoundationDocumentUseInline,
        FeedsInline,
    ]

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Data access and credentials are saved by the inlines: recompute the risk after them.
        _refresh_risk([form.instance])


class _UseCaseLinkAdmin(GuardedModelAdmin):
    """A link row of a use case edited on its own: keeps the use case's risk current."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _refresh_risk([obj.use_case])

    def delete_model(self, request, obj):
        use_case = obj.use_case
        super().delete_model(request, obj)
        _refresh_risk([use_case])

    def delete_queryset(self, request, queryset):
        use_case_ids = set(queryset.values_list("use_case_id", flat=True))
        super().delete_queryset(request, queryset)
        _refresh_risk(UseCase.objects.filter(pk__in=use_case_ids))


@admin.register(VendorUse)
class VendorUseAdmin(GuardedModelAdmin):
    list_display = ["use_case", "vendor", "model"]
    list_select_related = ["use_case", "vendor", "model", "model__vendor"]
    search_fields = ["use_case__name", "vendor__name", "model__name"]
    autocomplete_fields = ["use_case", "vendor", "model"]


@admin.register(DataAccess)
class DataAccessAdmin(_UseCaseLinkAdmin):
    list_display = ["use_case", "data_source", "access", "purpose"]
    list_filter = ["access"]
    list_select_related = ["use_case", "data_source"]
    search_fields = ["use_case__name", "data_source__name"]
    autocomplete_fields = ["use_case", "data_source"]


@admin.register(CredentialUse)
class CredentialUseAdmin(_UseCaseLinkAdmin):
    list_display = ["use_case", "credential", "purpose"]
    list_select_related = ["use_case", "credential"]
    search_fields = ["use_case__name", "credential__name"]
    autocomplete_fields = ["use_case", "credential"]


@admin.register(Connection)
class ConnectionAdmin(GuardedModelAdmin):
    list_display = ["source", "target", "what_flows", "classification"]
    list_filter = ["classification"]
    list_select_related = ["source", "target"]
    search_fields = ["source__name", "target__name", "what_flows"]
    autocomplete_fields = ["source", "target"]
    readonly_fields = ["created_at"]


@admin.register(FoundationDocumentUse)
class FoundationDocumentUseAdmin(GuardedModelAdmin):
    list_display = ["use_case", "document", "version", "is_outdated"]
    list_select_related = ["use_case", "document"]
    search_fields = ["use_case__name", "document__name"]
    autocomplete_fields = ["use_case", "document"]

    @admin.display(boolean=True, description="outdated")
    def is_outdated(self, obj):
        return obj.is_outdated


# --- reviews and imports -------------------------------------------------------------------------


@admin.register(SecurityReview)
class SecurityReviewAdmin(GuardedModelAdmin):
    """Reviews are shown and annotated here; their ``state`` only changes through the review
    services (``registry.choices.REVIEW_TRANSITIONS``), so it is read-only."""

    list_display = ["use_case", "state", "source", "reviewer", "requested_at", "decided_at", "expires_at"]
    list_filter = ["state", "source"]
    list_select_related = ["use_case", "reviewer"]
    search_fields = ["use_case__name", "authorisation_reference", "reviewer__username"]
    autocomplete_fields = ["use_case", "reviewer", "requested_by"]
    readonly_fields = ["state", "created_at", "updated_at"]
    date_hierarchy = "requested_at"


@admin.register(ImportBatch)
class ImportBatchAdmin(GuardedModelAdmin):
    """A record of what an import did: written by ``import_inventory`` only, read-only here."""

    list_display = [
        "file_name",
        "layout",
        "started_at",
        "finished_at",
        "rows_total",
        "created",
        "updated",
        "unchanged",
        "rejected",
        "started_by",
    ]
    list_filter = ["layout"]
    list_select_related = ["started_by"]
    search_fields = ["file_name", "file_sha256"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SecretRefusal)
class SecretRefusalAdmin(GuardedModelAdmin):
    """Counted refusals of secret-looking values (never the value): read-only."""

    list_display = ["refused_at", "channel", "field", "secret_kind", "actor"]
    list_filter = ["channel", "secret_kind"]
    list_select_related = ["actor"]
    date_hierarchy = "refused_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(UseCaseUserObjectPermission)
class UseCaseUserGrantAdmin(GuardedModelAdmin):
    """A use case shared with one person (view or change), beyond ownership and team rules."""

    list_display = ["content_object", "user", "permission"]
    list_select_related = ["content_object", "user", "permission"]
    autocomplete_fields = ["content_object", "user"]
    search_fields = ["content_object__name", "user__username"]


@admin.register(UseCaseGroupObjectPermission)
class UseCaseGroupGrantAdmin(GuardedModelAdmin):
    """A use case shared with a group (view or change)."""

    list_display = ["content_object", "group", "permission"]
    list_select_related = ["content_object", "group", "permission"]
    autocomplete_fields = ["content_object"]
    search_fields = ["content_object__name", "group__name"]


@admin.register(HistoryEntry)
class HistoryEntryAdmin(GuardedModelAdmin):
    """The history, read-only: nobody adds, edits or deletes entries, not even here."""

    list_display = ["at", "actor_label", "action", "object_repr", "summary", "request_id"]
    list_filter = ["action", "content_type"]
    list_select_related = ["content_type"]
    search_fields = ["object_repr", "actor_label", "summary", "request_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(GuardedModelAdmin):
    """The notification outbox: what was sent, what is pending, what failed (read-only)."""

    list_display = ["created_at", "kind", "to_email", "subject", "sent_at", "attempts", "last_error"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["to_email", "subject"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- the shared library and incidents --------------------------------------------------------


@admin.register(LibraryEntry)
class LibraryEntryAdmin(GuardedModelAdmin):
    list_display = ["use_case", "category", "version", "status", "flag_reason", "promoted_at"]
    list_filter = ["status", "category"]
    list_select_related = ["use_case"]
    search_fields = ["use_case__name", "category", "reuse_summary"]
    autocomplete_fields = ["use_case", "replacement"]


@admin.register(Adoption)
class AdoptionAdmin(GuardedModelAdmin):
    list_display = ["entry", "adopted_by", "team", "use_case", "adopted_at"]
    list_select_related = ["entry__use_case", "adopted_by", "team", "use_case"]
    autocomplete_fields = ["entry", "adopted_by", "team", "use_case"]


@admin.register(UsageReport)
class UsageReportAdmin(GuardedModelAdmin):
    list_display = ["use_case", "period", "active_users", "runs", "hours_saved", "cost", "source"]
    list_filter = ["source"]
    list_select_related = ["use_case"]
    autocomplete_fields = ["use_case"]
    date_hierarchy = "period"


@admin.register(FoundationDocumentVersion)
class FoundationDocumentVersionAdmin(GuardedModelAdmin):
    list_display = ["document", "version", "published_at"]
    list_select_related = ["document"]
    autocomplete_fields = ["document"]


class IncidentUseCaseInline(GuardedTabularInline):
    model = IncidentUseCase
    extra = 0
    autocomplete_fields = ["use_case"]
    readonly_fields = ["owner", "backup_owner"]


@admin.register(Incident)
class IncidentAdmin(GuardedModelAdmin):
    list_display = ["title", "severity", "status", "opened_by", "opened_at"]
    list_filter = ["status", "severity"]
    list_select_related = ["opened_by"]
    search_fields = ["title", "description"]
    inlines = [IncidentUseCaseInline]
    filter_horizontal = ["credentials", "data_sources", "vendors"]


@admin.register(IncidentUseCase)
class IncidentUseCaseAdmin(GuardedModelAdmin):
    list_display = ["incident", "use_case", "depth", "how", "suspended_at"]
    list_select_related = ["incident", "use_case"]
    autocomplete_fields = ["incident", "use_case"]


@admin.register(IncidentRecipient)
class IncidentRecipientAdmin(GuardedModelAdmin):
    """Who was told about an incident; the acknowledgement token is only ever a hash here."""

    list_display = ["incident", "person", "notified_at", "acknowledged_at"]
    list_select_related = ["incident", "person"]
    readonly_fields = ["token_hash"]
    autocomplete_fields = ["incident", "person"]
