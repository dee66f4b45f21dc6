"""The registry's API: use cases (read, register, change, submit for review), teams and
vendors (the token login is ``accounts.api``).

Views are thin: every queryset comes from a selector restricted to the asker, the use-case
list is filtered by the catalog page's own ``UseCaseFilterSet`` and ordered by its
``use_cases_sorted``, so the page, its CSV export and the API always agree. Writes call the
registration service, the page's own, so the rules and their messages are the same.
"""

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts.models import Team
from accounts.permissions import can_change_use_case

from ..choices import OPEN_REVIEW_STATES
from ..exceptions import SecretValueError, TransitionNotAllowed
from ..filtersets import SORTS, UseCaseFilterSet
from ..forms.use_case import registrable_teams
from ..models import UseCase, Vendor
from ..pagination import RegistryPagination  # noqa: F401 - the other API modules import it from here
from ..selectors.use_cases import use_case_detail, use_cases_sorted, use_cases_visible_to
from ..services.registration import REQUIRED_FIELDS, use_case_edit, use_case_register, use_case_submit
from .serializers import (
    SubmittedReviewSerializer,
    TeamSerializer,
    UseCaseDetailSerializer,
    UseCaseSerializer,
    UseCaseWriteSerializer,
    VendorSerializer,
    service_errors,
)

_WRITE_ERRORS = {
    400: OpenApiResponse(
        description="Field errors, where the payload had the value: {field: [messages]}, nested for lists "
        '({"credentials": {"1": {"new_credential": {"expires_on": [...]}}}}). A value that looks like a '
        "secret is refused here too, and never echoed."
    ),
    403: OpenApiResponse(description="You may see this use case but not change it (or register none)."),
}
_NOT_FOUND = {404: OpenApiResponse(description="No use case with this id is visible to you.")}

#: ``sort`` values the API accepts: the catalog's, plus ``relevance`` (needs a search).
SORT_CHOICES = [*SORTS, "relevance"]
#: The yes/no filters. Their form widget reads anything but these values as "no filter",
#: which would silently return the unfiltered list: the API refuses other values instead.
BOOLEAN_FILTERS = [
    name for name, f in UseCaseFilterSet.base_filters.items() if isinstance(f, django_filters.BooleanFilter)
]
BOOLEAN_VALUES = ("true", "false", "True", "False")


@extend_schema(tags=["use cases"])
class UseCaseViewSet(viewsets.ReadOnlyModelViewSet):
    """AI use cases the asker may see: a filtered, sorted, paginated list and one in full;
    registering, changing and submitting one for security review."""

    serializer_class = UseCaseSerializer
    filterset_class = UseCaseFilterSet
    pagination_class = RegistryPagination

    def get_queryset(self):
        return use_cases_visible_to(self.request.user)

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return UseCaseWriteSerializer
        if self.action == "submit":
            return SubmittedReviewSerializer
        return UseCaseDetailSerializer if self.action == "retrieve" else UseCaseSerializer

    # --- writes ---------------------------------------------------------------------------------

    @extend_schema(
        request=UseCaseWriteSerializer,
        responses={201: UseCaseDetailSerializer, **_WRITE_ERRORS},
        parameters=[
            OpenApiParameter(
                "draft",
                OpenApiTypes.BOOL,
                description="Save as a draft (seen by its team only) instead of registering.",
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        """Register a use case (``"draft": true`` in the query string saves a draft).

        Answers 201 with the use case in full; 400 with field errors (a team the asker may not
        register for is a ``team`` error); 403 when the asker registers for no team at all.
        """
        teams = registrable_teams(request.user)
        if not teams.exists():
            raise PermissionDenied("Only builders register use cases, for the teams they belong to.")
        serializer = UseCaseWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        fields, links = serializer.service_input()
        if "team" not in fields:
            fields["team"] = teams.first()
        draft = request.query_params.get("draft") in ("1", "true", "True")
        use_case = _service_call(
            lambda: use_case_register(
                actor=request.user, fields=fields, links=links, draft=draft, channel="api"
            )
        )
        body = self._detail(use_case)
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})

    @extend_schema(
        request=UseCaseWriteSerializer,
        responses={200: UseCaseDetailSerializer, **_WRITE_ERRORS, **_NOT_FOUND},
    )
    def update(self, request, *args, partial=False, **kwargs):
        """Change a use case: ``PUT`` needs every required field (name, purpose, kind,
        platform, vendors), ``PATCH`` only what changes. A list given replaces the use case's
        current one; a list left out stays as it is."""
        use_case = self._changeable()
        serializer = UseCaseWriteSerializer(
            data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        fields, links = serializer.service_input()
        if not partial:
            # Left-out required fields reach the service empty, so it names them itself.
            for name in REQUIRED_FIELDS:
                fields.setdefault(name, use_case.team if name == "team" else "")
            if links.vendors is None:
                links.vendors = []
        _service_call(
            lambda: use_case_edit(
                actor=request.user, use_case=use_case, fields=fields, links=links, channel="api"
            )
        )
        return Response(self._detail(use_case))

    @extend_schema(
        request=UseCaseWriteSerializer,
        responses={200: UseCaseDetailSerializer, **_WRITE_ERRORS, **_NOT_FOUND},
    )
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(
        request=None,
        responses={
            201: SubmittedReviewSerializer,
            200: OpenApiResponse(
                SubmittedReviewSerializer, description="A review was already open (or resubmitted)."
            ),
            403: _WRITE_ERRORS[403],
            **_NOT_FOUND,
            409: OpenApiResponse(description="The open review cannot take a submission now."),
        },
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit the use case for security review (registers a draft). 201 with the new
        requested review; 200 with the open one when there already is one (a review waiting
        on changes is resubmitted)."""
        use_case = self._changeable()
        already_open = set(use_case.reviews.filter(state__in=OPEN_REVIEW_STATES).values_list("pk", flat=True))
        try:
            review = use_case_submit(actor=request.user, use_case=use_case)
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        except TransitionNotAllowed as error:
            return Response({"detail": str(error), "state": error.state}, status=status.HTTP_409_CONFLICT)
        code = status.HTTP_200_OK if review.pk in already_open else status.HTTP_201_CREATED
        return Response(SubmittedReviewSerializer(review).data, status=code)

    def _changeable(self) -> UseCase:
        """The use case of the URL: 404 if the asker may not see it, 403 if they may not change it."""
        try:
            use_case = UseCase.objects.restrict(self.request.user, "view").get(pk=int(self.kwargs["pk"]))
        except (ValueError, UseCase.DoesNotExist):
            raise NotFound() from None
        if not can_change_use_case(self.request.user, use_case):
            raise PermissionDenied("You may not change this use case.")
        return use_case

    def _detail(self, use_case: UseCase) -> dict:
        fresh = use_case_detail(user=self.request.user, pk=use_case.pk)
        return UseCaseDetailSerializer(fresh, context=self.get_serializer_context()).data

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


def _service_call(call):
    """Run a registration service call; its errors become 400s in the payload's shape."""
    try:
        return call()
    except SecretValueError as error:
        raise ValidationError(service_errors(error.errors)) from None
    except DjangoValidationError as error:
        raise ValidationError(service_errors(error.message_dict)) from None
    except DjangoPermissionDenied as error:
        # The asker may change the use case (checked first): what they may not is the team.
        raise ValidationError({"team": [str(error)]}) from None


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
