"""The registry's read-only API: use cases, teams and vendors (the token login is ``accounts.api``).

Views are thin: every queryset comes from a selector restricted to the asker, the use-case
list is filtered by the catalog page's own ``UseCaseFilterSet`` and ordered by its
``use_cases_sorted``, so the page, its CSV export and the API always agree.
"""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

from accounts.models import Team

from ..filtersets import SORTS, UseCaseFilterSet
from ..models import UseCase, Vendor
from ..selectors.use_cases import use_case_detail, use_cases_sorted, use_cases_visible_to
from .serializers import TeamSerializer, UseCaseDetailSerializer, UseCaseSerializer, VendorSerializer

#: ``sort`` values the API accepts: the catalog's, plus ``relevance`` (needs a search).
SORT_CHOICES = [*SORTS, "relevance"]
#: The yes/no filters. Their form widget reads anything but these values as "no filter",
#: which would silently return the unfiltered list: the API refuses other values instead.
BOOLEAN_FILTERS = [
    name for name, f in UseCaseFilterSet.base_filters.items() if isinstance(f, django_filters.BooleanFilter)
]
BOOLEAN_VALUES = ("true", "false", "True", "False")


class RegistryPagination(PageNumberPagination):
    """``?page=N`` and ``?page_size=N`` (default ``PAGE_SIZE``, at most 200)."""

    page_size_query_param = "page_size"
    max_page_size = 200


@extend_schema(tags=["use cases"])
class UseCaseViewSet(viewsets.ReadOnlyModelViewSet):
    """AI use cases the asker may see: a filtered, sorted, paginated list and one in full."""

    serializer_class = UseCaseSerializer
    filterset_class = UseCaseFilterSet
    pagination_class = RegistryPagination

    def get_queryset(self):
        return use_cases_visible_to(self.request.user)

    def get_serializer_class(self):
        return UseCaseDetailSerializer if self.action == "retrieve" else UseCaseSerializer

    def filter_queryset(self, queryset):
        """Apply ``UseCaseFilterSet``, then ``sort``.

        Raises:
            ValidationError: (400, ``{param: [message]}``) for a value a filter does not
                accept, an unknown ``sort``, or a yes/no filter that is neither true nor false.
        """
        params = self.request.query_params
        errors = {
            name: ["Must be true or false."]
            for name in BOOLEAN_FILTERS
            if params.get(name) not in (None, "", *BOOLEAN_VALUES)
        }
        sort = params.get("sort") or None
        if sort is not None and sort not in SORT_CHOICES:
            errors["sort"] = [f"Unknown sort {sort!r}; use one of: {', '.join(SORT_CHOICES)}."]
        if errors:
            raise ValidationError(errors)
        queryset = super().filter_queryset(queryset)
        searching = bool((params.get("q") or params.get("search") or "").strip())
        queryset, _applied = use_cases_sorted(queryset, sort, searching=searching)
        return queryset

    def get_object(self):
        """The use case with everything its page shows, or 404 (missing or not visible)."""
        try:
            use_case = use_case_detail(user=self.request.user, pk=int(self.kwargs["pk"]))
        except (ValueError, UseCase.DoesNotExist):
            raise NotFound() from None
        self.check_object_permissions(self.request, use_case)
        return use_case

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "sort",
                OpenApiTypes.STR,
                enum=SORT_CHOICES,
                description="Order: name (default), relevance (default when searching), updated, team, "
                "stage, risk; a leading '-' reverses name and updated.",
            )
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["teams"])
class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    """Teams and organisation units (an agency above its bureaus), by name."""

    serializer_class = TeamSerializer
    pagination_class = RegistryPagination
    queryset = Team.objects.select_related("parent").order_by("name", "id")


@extend_schema(tags=["vendors"])
class VendorViewSet(viewsets.ReadOnlyModelViewSet):
    """Vendors and their models or products, by name."""

    serializer_class = VendorSerializer
    pagination_class = RegistryPagination
    queryset = Vendor.objects.prefetch_related("models").order_by("name", "id")
