"""The shared library in the API: ``/api/library/`` (entries, candidates, adopt, deprecate),
``/api/use-cases/{id}/promote/``, ``/api/use-cases/{id}/usage/`` and
``/api/foundation-documents/`` (versions).

Same rules as the pages (``registry.services.library``, ``registry.selectors.library``):
everyone signed in reads listed entries and adopts; curators see candidates, promote,
deprecate and publish foundation versions; those who may change a use case report its usage
(an AI gateway uses a service account's token with change rights). Errors are JSON with a
``detail``: 404 for what the asker may not see, 403 for an action they may not take, 409 for
an action the object's state refuses (with ``reasons`` and the ``unmet`` criteria for a
promotion), 400 with field errors for bad input.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts.models import Team
from accounts.permissions import can_change_use_case, can_curate_library

from ..choices import UseCaseKind
from ..exceptions import SecretValueError, TransitionNotAllowed
from ..models import (
    Adoption,
    FoundationDocument,
    FoundationDocumentUse,
    FoundationDocumentVersion,
    LibraryEntry,
    UsageReport,
    UseCase,
)
from ..rules.graduation import weekly_hours
from ..secret_guard import SecretGuardSerializerMixin
from ..selectors import library as library_selectors
from ..services import library as library_services
from .reviews import ErrorSerializer
from .serializers import (
    RegistryModelSerializer,
    TeamRefSerializer,
    UserRefSerializer,
    VendorRefSerializer,
    service_errors,
)
from .views import RegistryPagination

# --- representations ------------------------------------------------------------------------


class CriterionSerializer(serializers.Serializer):
    """One graduation criterion: met or not, and why in words."""

    key = serializers.ChoiceField(
        choices=["production", "approved", "owners", "documentation", "credentials", "usage"]
    )
    label = serializers.CharField()
    met = serializers.BooleanField()
    why = serializers.CharField()


class LibraryUseCaseSerializer(RegistryModelSerializer):
    """The use case behind an entry: who owns it and whether it is approved."""

    team = TeamRefSerializer(read_only=True)
    owner = UserRefSerializer(read_only=True, allow_null=True)
    vendors = VendorRefSerializer(many=True, read_only=True)

    class Meta:
        model = UseCase
        fields = ["id", "name", "purpose", "kind", "platform", "team", "owner", "review_status", "vendors"]
        read_only_fields = fields


class LibraryEntrySerializer(RegistryModelSerializer):
    """A library card: the entry, its use case, adoptions and usage.

    ``active_users`` and ``hours_saved_per_week`` come from the latest monthly usage report
    (``usage_source`` "report") or, without one, from the use case's registered figures
    ("registry"). ``flag_reason`` is non-empty when readers are warned.
    """

    use_case = LibraryUseCaseSerializer(read_only=True)
    adoption_count = serializers.IntegerField(read_only=True)
    active_users = serializers.SerializerMethodField()
    hours_saved_per_week = serializers.SerializerMethodField()
    usage_source = serializers.SerializerMethodField()

    class Meta:
        model = LibraryEntry
        fields = [
            "id",
            "use_case",
            "category",
            "version",
            "status",
            "reuse_summary",
            "adoption_count",
            "active_users",
            "hours_saved_per_week",
            "usage_source",
            "flag_reason",
            "flagged_at",
            "promoted_at",
        ]
        read_only_fields = fields

    def _from_report(self, entry) -> bool:
        return getattr(entry, "report_period", None) is not None

    def get_active_users(self, entry) -> int | None:
        return entry.report_users if self._from_report(entry) else entry.use_case.users_count

    @extend_schema_field(serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True))
    def get_hours_saved_per_week(self, entry):
        value = (
            weekly_hours(entry.report_hours)
            if self._from_report(entry)
            else entry.use_case.hours_saved_per_week
        )
        return None if value is None else f"{value:.1f}"

    def get_usage_source(self, entry) -> str:
        return "report" if self._from_report(entry) else "registry"


class AdopterSerializer(RegistryModelSerializer):
    """Who adopted an entry; ``use_case`` is their linked use case's id when the asker may see it."""

    adopted_by = UserRefSerializer(read_only=True)
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    use_case = serializers.SerializerMethodField()

    class Meta:
        model = Adoption
        fields = ["id", "adopted_by", "team", "use_case", "note", "adopted_at"]
        read_only_fields = fields

    def get_use_case(self, adoption) -> int | None:
        visible = self.context.get("visible_use_case_ids", set())
        return adoption.use_case_id if adoption.use_case_id in visible else None


class LibraryEntryDetailSerializer(LibraryEntrySerializer):
    """An entry in full: how to adopt it, its deprecation, adopters and today's criteria."""

    replacement = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    adopters = serializers.SerializerMethodField()
    criteria = serializers.SerializerMethodField()

    class Meta(LibraryEntrySerializer.Meta):
        fields = [
            *LibraryEntrySerializer.Meta.fields,
            "how_to_adopt",
            "deprecation_reason",
            "replacement",
            "adopters",
            "criteria",
        ]
        read_only_fields = fields

    @extend_schema_field(AdopterSerializer(many=True))
    def get_adopters(self, entry):
        return AdopterSerializer(entry.adoptions.all(), many=True, context=self.context).data

    @extend_schema_field(CriterionSerializer(many=True))
    def get_criteria(self, entry):
        assessment = self.context.get("assessment")
        return [c.as_dict() for c in assessment.criteria] if assessment else []


class CandidateUseCaseSerializer(RegistryModelSerializer):
    team = TeamRefSerializer(read_only=True)
    owner = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = UseCase
        fields = ["id", "name", "kind", "team", "owner"]
        read_only_fields = fields


class CandidateSerializer(serializers.Serializer):
    """A candidate: its use case, the usage it is ordered by, and every criterion."""

    use_case = CandidateUseCaseSerializer()
    eligible = serializers.BooleanField()
    active_users = serializers.IntegerField(allow_null=True)
    hours_saved_per_week = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True)
    usage_source = serializers.ChoiceField(choices=["report", "registry"])
    missing = serializers.CharField(allow_null=True, help_text="The criterion a near-miss misses.")
    criteria = CriterionSerializer(many=True)


class CandidatesSerializer(serializers.Serializer):
    """Use cases meeting every criterion (``eligible``) and those missing exactly one
    (``near_misses``), each most valuable first (users, then hours saved a week)."""

    eligible = CandidateSerializer(many=True)
    near_misses = CandidateSerializer(many=True)
    truncated = serializers.BooleanField()


def _candidate(row) -> dict:
    hours = row.hours_per_week
    return {
        "use_case": row.use_case,
        "eligible": row.assessment.eligible,
        "active_users": row.users,
        "hours_saved_per_week": None if hours is None else round(hours, 1),
        "usage_source": row.usage_source,
        "missing": row.missing.key if row.missing else None,
        "criteria": [c.as_dict() for c in row.assessment.criteria],
    }


class RefusedSerializer(serializers.Serializer):
    """A refused action: why, and for a promotion the criteria it misses."""

    detail = serializers.CharField()
    state = serializers.CharField(required=False)
    reasons = serializers.ListField(child=serializers.CharField(), required=False)
    unmet = CriterionSerializer(many=True, required=False)


# --- inputs ---------------------------------------------------------------------------------


class PromoteSerializer(SecretGuardSerializerMixin, serializers.Serializer):
    """The entry's text: never a credential's value or vault reference."""

    reuse_summary = serializers.CharField()
    how_to_adopt = serializers.CharField(
        help_text="Steps, and the kinds of credentials and data access an adopter needs."
    )
    category = serializers.CharField(max_length=100)
    version = serializers.CharField(max_length=50, required=False, default="1.0")


class AdoptSerializer(SecretGuardSerializerMixin, serializers.Serializer):
    team = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        help_text="A team you belong to (its slug).",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    create_use_case = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also create your own linked use case (a draft in ``team``, you as its owner).",
    )


class AdoptionSerializer(RegistryModelSerializer):
    """An adoption; ``use_case`` is the adopter's linked use case (or null)."""

    adopted_by = UserRefSerializer(read_only=True)
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    use_case = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Adoption
        fields = ["id", "entry", "adopted_by", "team", "use_case", "note", "adopted_at"]
        read_only_fields = fields


class DeprecateSerializer(SecretGuardSerializerMixin, serializers.Serializer):
    reason = serializers.CharField()
    replacement = serializers.PrimaryKeyRelatedField(
        queryset=LibraryEntry.objects.select_related("use_case"),
        required=False,
        allow_null=True,
        help_text="The id of a listed entry to use instead.",
    )


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-10"})
class MonthField(serializers.DateField):
    """A month, answered as ``YYYY-MM`` (the schema said ``format: date``, which "2026-10" is not)."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


class UsageReportSerializer(RegistryModelSerializer):
    """One month's usage. ``period`` is the month (``YYYY-MM``); ``cost`` is in ``currency``."""

    period = MonthField(read_only=True)
    currency = serializers.SerializerMethodField()

    class Meta:
        model = UsageReport
        fields = [
            "id",
            "use_case",
            "period",
            "active_users",
            "runs",
            "hours_saved",
            "cost",
            "currency",
            "source",
            "updated_at",
        ]
        read_only_fields = fields

    def get_currency(self, report) -> str:
        return settings.CURRENCY


class UsageReportWriteSerializer(serializers.Serializer):
    """A month's usage as an AI gateway sends it. Sending the same month again updates it."""

    period = serializers.CharField(help_text='The month: "2026-10", or any date in it ("2026-10-31").')
    active_users = serializers.IntegerField(min_value=0, required=False, default=0)
    runs = serializers.IntegerField(min_value=0, required=False, default=0)
    hours_saved = serializers.DecimalField(
        max_digits=10, decimal_places=1, min_value=0, required=False, default=0, help_text="In the month."
    )
    cost = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        default=0,
        help_text="In the currency set.",
    )


class FoundationVersionSerializer(RegistryModelSerializer):
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = FoundationDocumentVersion
        fields = ["id", "version", "link", "notes", "published_at", "published_by"]
        read_only_fields = fields


class FoundationVersionWriteSerializer(SecretGuardSerializerMixin, serializers.Serializer):
    version = serializers.CharField(max_length=50)
    link = serializers.URLField(required=False, allow_blank=True, default="", max_length=500)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class FoundationDocumentSerializer(RegistryModelSerializer):
    """A foundation document: its current version and how many use cases are on an older one."""

    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    use_count = serializers.IntegerField(read_only=True)
    outdated_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = FoundationDocument
        fields = [
            "id",
            "name",
            "kind",
            "current_version",
            "link",
            "owner",
            "last_reviewed_on",
            "use_count",
            "outdated_count",
        ]
        read_only_fields = fields


class FoundationUserSerializer(RegistryModelSerializer):
    """A use case using the document, at a version."""

    use_case = serializers.PrimaryKeyRelatedField(read_only=True)
    use_case_name = serializers.CharField(source="use_case.name", read_only=True)
    is_outdated = serializers.BooleanField(read_only=True)

    class Meta:
        model = FoundationDocumentUse
        fields = ["use_case", "use_case_name", "version", "is_outdated"]
        read_only_fields = fields


class FoundationDocumentDetailSerializer(FoundationDocumentSerializer):
    versions = serializers.SerializerMethodField()
    users = serializers.SerializerMethodField()

    class Meta(FoundationDocumentSerializer.Meta):
        fields = [*FoundationDocumentSerializer.Meta.fields, "versions", "users"]
        read_only_fields = fields

    @extend_schema_field(FoundationVersionSerializer(many=True))
    def get_versions(self, document):
        return FoundationVersionSerializer(self.context.get("versions", []), many=True).data

    @extend_schema_field(FoundationUserSerializer(many=True))
    def get_users(self, document):
        return FoundationUserSerializer(self.context.get("uses", []), many=True).data


# --- helpers --------------------------------------------------------------------------------


def _bad_request(error) -> ValidationError:
    if isinstance(error, SecretValueError):
        return ValidationError(service_errors(error.errors))
    if hasattr(error, "error_dict"):
        return ValidationError(service_errors(error.message_dict))
    return ValidationError({"detail": error.messages})


def _conflict(error: TransitionNotAllowed) -> Response:
    return Response({"detail": str(error), "state": error.state}, status=status.HTTP_409_CONFLICT)


def _visible_use_case(request, pk) -> UseCase:
    try:
        return UseCase.objects.restrict(request.user, "view").select_related("team", "owner").get(pk=int(pk))
    except (ValueError, UseCase.DoesNotExist):
        raise NotFound("No use case with this id is visible to you.") from None


def _entry_or_404(request, pk) -> LibraryEntry:
    try:
        return library_selectors.library_entry_detail(user=request.user, pk=int(pk))
    except (ValueError, LibraryEntry.DoesNotExist):
        raise NotFound("No library entry with this id is open to you.") from None


def _entry_detail(request, entry: LibraryEntry) -> dict:
    """An entry in full, with today's criteria and the adopters' use cases the asker may see."""
    use_case = entry.detail_use_case
    reports = library_selectors.usage_reports_for(use_case, months=1)
    assessment = library_selectors.use_case_graduation(use_case, report=reports[-1] if reports else None)
    linked = [a.use_case_id for a in entry.adoptions.all() if a.use_case_id]
    visible = (
        set(UseCase.objects.restrict(request.user, "view").filter(pk__in=linked).values_list("pk", flat=True))
        if linked
        else set()
    )
    context = {"request": request, "assessment": assessment, "visible_use_case_ids": visible}
    return LibraryEntryDetailSerializer(entry, context=context).data


_LIST_PARAMETERS = [
    OpenApiParameter("search", OpenApiTypes.STR, description="Words in the name, purpose or reuse summary."),
    OpenApiParameter("category", OpenApiTypes.STR),
    OpenApiParameter(
        "team", OpenApiTypes.STR, description="A team's slug (an organisation includes its teams)."
    ),
    OpenApiParameter("vendor", OpenApiTypes.STR, description="A vendor's slug."),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=UseCaseKind.values),
    OpenApiParameter(
        "status",
        OpenApiTypes.STR,
        enum=LibraryEntry.Status.values,
        description="Curators only; default listed.",
    ),
]


# --- the library ------------------------------------------------------------------------------


@extend_schema(tags=["shared library"])
class LibraryEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The shared library: listed entries (search and filters), one in full, its candidates
    (curators), adopting and deprecating."""

    serializer_class = LibraryEntrySerializer
    pagination_class = RegistryPagination
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LibraryEntry.objects.none()
        params = self.request.query_params
        kind = params.get("kind", "")
        status_param = params.get("status", "")
        errors = {}
        if kind and kind not in UseCaseKind.values:
            errors["kind"] = [f"“{kind}” is not a kind of use case."]
        if status_param and status_param not in LibraryEntry.Status.values:
            errors["status"] = [f"“{status_param}” is not an entry status."]
        if errors:
            raise ValidationError(errors)
        filters = library_selectors.LibraryFilters(
            search=params.get("search", "") or params.get("q", ""),
            category=params.get("category", ""),
            team=params.get("team", ""),
            vendor=params.get("vendor", ""),
            kind=kind,
            statuses=(status_param,) if status_param else (LibraryEntry.Status.LISTED,),
        )
        return library_selectors.library_entries_filtered(self.request.user, filters)

    @extend_schema(parameters=_LIST_PARAMETERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _entry(self) -> LibraryEntry:
        return _entry_or_404(self.request, self.kwargs["pk"])

    @extend_schema(responses={200: LibraryEntryDetailSerializer, 404: ErrorSerializer})
    def retrieve(self, request, *args, **kwargs):
        """An entry in full (deprecated ones too; unlisted ones and suspended use cases' for
        curators only)."""
        return Response(_entry_detail(request, self._entry()))

    @extend_schema(responses={200: CandidatesSerializer, 403: ErrorSerializer})
    @action(detail=False, methods=["get"], pagination_class=None)
    def candidates(self, request):
        """Use cases meeting every graduation criterion and not in the library, and those
        missing exactly one, with every criterion met or not and why (curators)."""
        if not can_curate_library(request.user):
            raise PermissionDenied("Only library curators see the candidates.")
        found = library_selectors.library_candidates(request.user)
        body = {
            "eligible": [_candidate(r) for r in found.eligible],
            "near_misses": [_candidate(r) for r in found.near_misses],
            "truncated": found.truncated,
        }
        return Response(CandidatesSerializer(body, context=self.get_serializer_context()).data)

    @extend_schema(
        request=AdoptSerializer,
        responses={
            201: AdoptionSerializer,
            200: OpenApiResponse(AdoptionSerializer, description="Already adopted: the adoption, updated."),
            400: OpenApiResponse(description="Field errors."),
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: OpenApiResponse(RefusedSerializer, description="Deprecated, unlisted or suspended."),
        },
    )
    @action(detail=True, methods=["post"])
    def adopt(self, request, pk=None):
        """Record that you (and optionally a team you belong to) adopted the entry; with
        ``create_use_case`` also create your own linked use case (a draft). 201 when new, 200
        when you had already adopted it."""
        entry = self._entry()
        body = AdoptSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        try:
            result = library_services.adoption_record(
                entry=entry, actor=request.user, channel="api", **body.validated_data
            )
        except TransitionNotAllowed as error:
            return _conflict(error)
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        except (DjangoValidationError, SecretValueError) as error:
            raise _bad_request(error) from None
        return Response(
            AdoptionSerializer(result.adoption).data,
            status=status.HTTP_201_CREATED
            if result.created or result.linked_use_case
            else status.HTTP_200_OK,
        )

    @extend_schema(
        request=DeprecateSerializer,
        responses={
            200: LibraryEntryDetailSerializer,
            400: OpenApiResponse(description="Field errors."),
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: OpenApiResponse(RefusedSerializer, description="The entry is not listed."),
        },
    )
    @action(detail=True, methods=["post"])
    def deprecate(self, request, pk=None):
        """Deprecate a listed entry with a reason and, optionally, the entry that replaces it (curators)."""
        entry = self._entry()
        if not can_curate_library(request.user):
            raise PermissionDenied("Only library curators deprecate entries.")
        body = DeprecateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        try:
            library_services.library_deprecate(
                entry=entry, actor=request.user, channel="api", **body.validated_data
            )
        except TransitionNotAllowed as error:
            return _conflict(error)
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        except (DjangoValidationError, SecretValueError) as error:
            raise _bad_request(error) from None
        return Response(_entry_detail(request, self._entry()))


@extend_schema(tags=["shared library"])
class UseCasePromoteView(generics.GenericAPIView):
    """``POST /api/use-cases/{id}/promote/``: promote a use case to the shared library (curators)."""

    serializer_class = PromoteSerializer
    queryset = UseCase.objects.none()

    @extend_schema(
        request=PromoteSerializer,
        responses={
            201: LibraryEntryDetailSerializer,
            400: OpenApiResponse(
                description="Field errors (a value that looks like a secret is refused too)."
            ),
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: OpenApiResponse(
                RefusedSerializer,
                description="Not eligible: ``reasons`` say why and ``unmet`` lists the criteria it misses.",
            ),
        },
    )
    def post(self, request, pk):
        """201 with the new entry; 409 with the unmet criteria when it does not graduate (or is
        already in the library, suspended, or its ownership is blocked)."""
        use_case = _visible_use_case(request, pk)
        if not can_curate_library(request.user):
            raise PermissionDenied("Only library curators promote use cases.")
        body = PromoteSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        try:
            entry = library_services.library_promote(
                use_case=use_case, actor=request.user, channel="api", **body.validated_data
            )
        except library_services.PromotionRefused as error:
            return Response(
                {"detail": str(error), "reasons": error.reasons, "unmet": [c.as_dict() for c in error.unmet]},
                status=status.HTTP_409_CONFLICT,
            )
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        except (DjangoValidationError, SecretValueError) as error:
            raise _bad_request(error) from None
        return Response(
            _entry_detail(request, _entry_or_404(request, entry.pk)), status=status.HTTP_201_CREATED
        )


@extend_schema(tags=["shared library"])
class UseCaseUsageView(generics.GenericAPIView):
    """``/api/use-cases/{id}/usage/``: a use case's monthly usage reports; an AI gateway (or
    the owner) sends one month at a time, idempotently."""

    serializer_class = UsageReportSerializer
    queryset = UsageReport.objects.none()
    # At most 24 reports, answered as a plain list: not paginated (the schema must say so too).
    pagination_class = None

    @extend_schema(responses={200: UsageReportSerializer(many=True), 404: ErrorSerializer})
    def get(self, request, pk):
        """The latest 24 monthly reports, newest first (anyone who may see the use case)."""
        use_case = _visible_use_case(request, pk)
        reports = UsageReport.objects.filter(use_case=use_case).order_by("-period")[:24]
        return Response(UsageReportSerializer(reports, many=True).data)

    @extend_schema(
        request=UsageReportWriteSerializer,
        responses={
            201: OpenApiResponse(UsageReportSerializer, description="The month's first report."),
            200: OpenApiResponse(
                UsageReportSerializer, description="The month was reported before: updated."
            ),
            400: OpenApiResponse(description="Field errors (a bad or future month, a negative number)."),
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def post(self, request, pk):
        """Report one month: 201 when the month is new, 200 when it updates (or repeats) the
        month's report. Who: those who may change the use case, e.g. an AI gateway's service
        account holding change rights (a ``change_usecase`` grant, or a builder of its team)."""
        use_case = _visible_use_case(request, pk)
        if not can_change_use_case(request.user, use_case):
            raise PermissionDenied("Only those who may change this use case report its usage.")
        body = UsageReportWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            report, created = library_services.usage_report_upsert(
                use_case=use_case, actor=request.user, source=UsageReport.Source.API, **body.validated_data
            )
        except DjangoValidationError as error:
            raise _bad_request(error) from None
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        return Response(
            UsageReportSerializer(report).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


# --- foundation documents ----------------------------------------------------------------------


@extend_schema(tags=["foundation documents"])
class FoundationDocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Foundation documents (personas, ICP, brand voice, ...): their current version, who uses
    which version, and (curators) publishing a new version."""

    serializer_class = FoundationDocumentSerializer
    pagination_class = RegistryPagination
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return library_selectors.foundation_documents_list()

    def _detail(self, pk) -> dict:
        try:
            document, versions, uses = library_selectors.foundation_document_detail(
                user=self.request.user, pk=int(pk)
            )
        except (ValueError, FoundationDocument.DoesNotExist):
            raise NotFound("No such foundation document.") from None
        document = self.get_queryset().get(pk=document.pk)
        return FoundationDocumentDetailSerializer(document, context={"versions": versions, "uses": uses}).data

    @extend_schema(responses={200: FoundationDocumentDetailSerializer, 404: ErrorSerializer})
    def retrieve(self, request, *args, **kwargs):
        """A document, its versions and the use cases (visible to you) on each version."""
        return Response(self._detail(kwargs["pk"]))

    @extend_schema(
        methods=["POST"],
        request=FoundationVersionWriteSerializer,
        responses={
            201: FoundationVersionSerializer,
            400: OpenApiResponse(description="Field errors (e.g. the version exists)."),
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    @extend_schema(
        methods=["GET"], responses={200: FoundationVersionSerializer(many=True), 404: ErrorSerializer}
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def versions(self, request, pk=None):
        """GET: the document's versions, newest first. POST (curators): publish a version; it
        becomes the current one and owners of use cases on an older version are emailed."""
        try:
            document = FoundationDocument.objects.get(pk=int(pk))
        except (ValueError, FoundationDocument.DoesNotExist):
            raise NotFound("No such foundation document.") from None
        if request.method == "GET":
            versions = document.versions.select_related("published_by")
            return Response(FoundationVersionSerializer(versions, many=True).data)
        if not can_curate_library(request.user):
            raise PermissionDenied("Only library curators publish foundation document versions.")
        body = FoundationVersionWriteSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        try:
            published = library_services.foundation_version_publish(
                document=document, actor=request.user, channel="api", **body.validated_data
            )
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        except (DjangoValidationError, SecretValueError) as error:
            raise _bad_request(error) from None
        return Response(FoundationVersionSerializer(published).data, status=status.HTTP_201_CREATED)
