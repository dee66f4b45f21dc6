"""Filters of the use-case catalog, shared by the page, its CSV export and the API."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.models import Team
from accounts.permissions import credential_details_filter

from .choices import CredentialStorage, LifecycleStage, ReviewStatus, RiskTier, UseCaseKind
from .models import Credential, CredentialUse, DataAccess, Vendor, VendorUse
from .selectors.search import use_cases_search

#: ``sort`` values -> order_by fields. ``relevance`` needs a search; the id breaks ties so
#: that pages never repeat or skip rows.
SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "updated": ("-updated_at", "-id"),
    "-updated": ("updated_at", "id"),
    "team": ("team__name", "name", "id"),
    "stage": ("lifecycle_stage", "name", "id"),
    "risk": ("-risk_rank", "name", "id"),
}


class UseCaseFilterSet(django_filters.FilterSet):
    """Filters that combine (AND between filters, OR within a multiple-choice filter).

    Query parameters: ``q`` or ``search`` (full text), ``team`` (slug; an agency includes
    its bureaus), ``stage``, ``kind``, ``vendor`` (slug), ``risk_tier``, ``review_status``
    (each repeatable), ``high_impact`` and ``personal_data`` (true/false), ``named_owner``
    (true/false), ``owner_left`` (true/false: the named owner's account is deactivated),
    ``active_backup_owner`` (true/false), ``imported`` (true/false: from an inventory import),
    ``credential_storage`` (repeatable: uses a credential stored there, among the credentials
    whose details the asker may see) and ``sort`` (one of ``SORTS`` or ``relevance``).
    """

    q = django_filters.CharFilter(method="filter_search", label="Search")
    search = django_filters.CharFilter(method="filter_search", label="Search")
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.all(), to_field_name="slug", method="filter_team", label="Team or agency"
    )
    # distinct=False on the multiple-choice filters: they test the use case's own columns, so no
    # row can repeat, and django-filter's default SELECT DISTINCT made PostgreSQL de-duplicate
    # (sort) the whole filtered list before the page could be cut (issue 8).
    stage = django_filters.MultipleChoiceFilter(
        field_name="lifecycle_stage", choices=LifecycleStage.choices, label="Lifecycle stage", distinct=False
    )
    kind = django_filters.MultipleChoiceFilter(choices=UseCaseKind.choices, distinct=False)
    vendor = django_filters.ModelChoiceFilter(
        queryset=Vendor.objects.all(), to_field_name="slug", method="filter_vendor"
    )
    risk_tier = django_filters.MultipleChoiceFilter(
        choices=RiskTier.choices, label="Risk tier", distinct=False
    )
    review_status = django_filters.MultipleChoiceFilter(
        choices=ReviewStatus.choices, label="Review status", distinct=False
    )
    high_impact = django_filters.BooleanFilter(field_name="is_high_impact", label="High-impact")
    personal_data = django_filters.BooleanFilter(method="filter_personal_data", label="Personal data")
    named_owner = django_filters.BooleanFilter(
        field_name="owner", lookup_expr="isnull", exclude=True, label="Has a named owner"
    )
    owner_left = django_filters.BooleanFilter(method="filter_owner_left", label="Owner has left")
    active_backup_owner = django_filters.BooleanFilter(
        method="filter_active_backup_owner", label="Has an active backup owner"
    )
    imported = django_filters.BooleanFilter(method="filter_imported", label="Imported from an inventory")
    credential_storage = django_filters.MultipleChoiceFilter(
        choices=CredentialStorage.choices, method="filter_credential_storage", label="Credential stored in"
    )

    class Meta:
        fields: list = []

    def filter_search(self, queryset, name, value):
        return use_cases_search(queryset, value)

    def filter_team(self, queryset, name, team):
        return queryset.filter(Q(team=team) | Q(team__parent=team))

    # The API schema: a vendor's slug (the model has no ``vendor`` field to infer it from).
    @extend_schema_field(OpenApiTypes.STR)
    def filter_vendor(self, queryset, name, vendor):
        return queryset.filter(Exists(VendorUse.objects.filter(use_case=OuterRef("pk"), vendor=vendor)))

    def filter_personal_data(self, queryset, name, value):
        touches = Q(handles_personal_data=True) | Exists(
            DataAccess.objects.filter(use_case=OuterRef("pk")).filter(
                Q(data_source__has_personal_data=True) | Q(data_source__has_customer_data=True)
            )
        )
        return queryset.filter(touches) if value else queryset.exclude(touches)

    def filter_owner_left(self, queryset, name, value):
        left = Q(owner__isnull=False, owner__is_active=False)
        return queryset.filter(left) if value else queryset.exclude(left)

    def filter_active_backup_owner(self, queryset, name, value):
        active = Q(backup_owner__isnull=False, backup_owner__is_active=True)
        return queryset.filter(active) if value else queryset.exclude(active)

    def filter_imported(self, queryset, name, value):
        imported = Q(import_batch__isnull=False) | Q(source_key__isnull=False)
        return queryset.filter(imported) if value else queryset.exclude(imported)

    def filter_credential_storage(self, queryset, name, value):
        """Use cases using a credential stored in one of ``value``. Where a credential is stored
        is a credential detail (docs/permissions.md): only credentials whose details the asker
        may see count, so the filter never reveals another team's unsafe key (a request-less
        filterset, or a person who may see none, matches nothing)."""
        user = getattr(self.request, "user", None)
        credentials = Credential.objects.filter(storage__in=value)
        visible = credential_details_filter(user)
        if visible is not None:
            credentials = credentials.filter(visible)
        uses = CredentialUse.objects.filter(use_case=OuterRef("pk"), credential__in=credentials.values("pk"))
        return queryset.filter(Exists(uses))
