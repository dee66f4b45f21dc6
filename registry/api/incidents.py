"""Incident response in the API: ``/api/who-built-what/`` and ``/api/incidents/``.

Same rules as the pages (``registry.views.incidents``): the query and the incident list are
for responders, reviewers and admins (others: 404); responders and admins open and work
incidents (a reviewer who tries: 403); a recipient acknowledges their own notice. Errors are
JSON: bad parameters 400 ``{parameter: [messages]}``, an unknown or hidden subject 404
``{"detail": ...}``, a resolved incident 409 ``{"detail", "state"}``.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import standing_of

from ..exceptions import SecretValueError, TransitionNotAllowed
from ..models import Incident, IncidentRecipient, IncidentUseCase
from ..secret_guard import SecretGuardSerializerMixin, secret_guard
from ..selectors.incidents import incidents_readable_by, incidents_visible_to
from ..selectors.who_built_what import (
    MAX_DEPTH,
    SUBJECT_KINDS,
    SubjectNotFound,
    WhoBuiltWhatQuery,
    WhoBuiltWhatQueryError,
    who_built_what,
)
from ..services import incidents as incident_services
from .reviews import ErrorSerializer
from .serializers import RegistryModelSerializer
from .views import RegistryPagination

# --- who built what: the answer's shape (documentation of ``WhoBuiltWhatAnswer.as_dict``) --------


class ContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    is_active = serializers.BooleanField()


class CredentialInfoSerializer(serializers.Serializer):
    """A credential reference; the storage fields are present only when ``details_shown``."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    issuer = serializers.CharField()
    purpose = serializers.CharField()
    details_shown = serializers.BooleanField()
    storage = serializers.CharField(required=False)
    storage_label = serializers.CharField(required=False)
    unsafe = serializers.BooleanField(required=False)
    vault_reference = serializers.CharField(required=False)
    scope = serializers.CharField(required=False)
    holder = ContactSerializer(required=False, allow_null=True)
    last_rotated_on = serializers.DateField(required=False, allow_null=True)
    expires_on = serializers.DateField(required=False, allow_null=True)


class DataSourceInfoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    classification = serializers.CharField()
    classification_label = serializers.CharField()
    has_personal_data = serializers.BooleanField()
    has_customer_data = serializers.BooleanField()
    access = serializers.CharField(help_text="read, write or read_write; empty in reached_data_sources.")
    access_label = serializers.CharField()


class PathStepSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AffectedUseCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    team = serializers.CharField()
    team_slug = serializers.CharField()
    team_leads = ContactSerializer(many=True)
    owner = ContactSerializer(allow_null=True)
    backup_owner = ContactSerializer(allow_null=True)
    builders = ContactSerializer(many=True)
    contact_email = serializers.CharField()
    stage = serializers.CharField()
    stage_label = serializers.CharField()
    review_status = serializers.CharField()
    review_label = serializers.CharField()
    risk_tier = serializers.CharField()
    is_draft = serializers.BooleanField()
    suspended_at = serializers.DateTimeField(allow_null=True)
    how = serializers.ListField(child=serializers.CharField(), help_text="How it touches the subject.")
    depth = serializers.IntegerField(help_text="0: touches it directly; n: n connections downstream.")
    path = PathStepSerializer(many=True, help_text="From a directly affected use case to this one.")
    via = serializers.CharField(help_text="What flows along the last connection of the path.")
    credentials = CredentialInfoSerializer(many=True)
    credential_details = serializers.BooleanField()
    data_sources = DataSourceInfoSerializer(many=True)
    vendors = serializers.ListField(child=serializers.CharField())
    last_changed_at = serializers.DateTimeField(allow_null=True)
    last_changed_by = serializers.CharField()


class SubjectSerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    id = serializers.IntegerField(allow_null=True)
    label = serializers.CharField()
    url = serializers.CharField()
    facts = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))


class ReachedDataSourceSerializer(serializers.Serializer):
    source = DataSourceInfoSerializer()
    use_cases = serializers.ListField(child=serializers.CharField())


class QueryEchoSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(SUBJECT_KINDS))
    value = serializers.CharField()
    depth = serializers.IntegerField()


class WhoBuiltWhatAnswerSerializer(serializers.Serializer):
    query = QueryEchoSerializer()
    subject = SubjectSerializer()
    generated_at = serializers.DateTimeField()
    more_beyond_depth = serializers.BooleanField()
    truncated = serializers.BooleanField()
    credential_details = serializers.BooleanField()
    use_cases = AffectedUseCaseSerializer(
        many=True, help_text="Direct ones (depth 0) first, then downstream."
    )
    reached_data_sources = ReachedDataSourceSerializer(many=True)
    credentials_held = CredentialInfoSerializer(many=True, help_text="For a person: credentials they hold.")
    credentials_held_hidden = serializers.IntegerField()


_SUBJECT_PARAMETERS = [
    OpenApiParameter("credential", OpenApiTypes.INT, description="A credential's id."),
    OpenApiParameter("data_source", OpenApiTypes.INT, description="A data source's id."),
    OpenApiParameter("vendor", OpenApiTypes.INT, description="A vendor's id (also: keys it issued)."),
    OpenApiParameter("model", OpenApiTypes.INT, description="A model or product's id."),
    OpenApiParameter(
        "person", OpenApiTypes.INT, description="A person's id: what they own, back up, built, hold."
    ),
    OpenApiParameter("team", OpenApiTypes.INT, description="A team's id (its sub-teams included)."),
    OpenApiParameter("use_case", OpenApiTypes.INT, description="A use case's id (itself and downstream)."),
    OpenApiParameter("q", OpenApiTypes.STR, description="Free text: names and descriptions."),
    OpenApiParameter(
        "depth", OpenApiTypes.INT, description=f"Connections followed downstream, 0 to {MAX_DEPTH} (3)."
    ),
]


@extend_schema(
    tags=["incident response"],
    parameters=_SUBJECT_PARAMETERS,
    responses={
        200: WhoBuiltWhatAnswerSerializer,
        400: OpenApiResponse(description="Bad parameters: {parameter: [messages]}."),
        404: OpenApiResponse(ErrorSerializer, description="No such subject visible to you, or not for you."),
    },
)
class WhoBuiltWhatAPIView(APIView):
    """Who built what, and what touches X: exactly one subject parameter, and ``depth``.

    The same answer as the ``/who-built-what/`` page, as JSON: every use case touching the
    subject with its owners, builders, team leads, stage, review status, how it touches it,
    its credentials (storage only where you may see credential details), its last change,
    and the blast radius downstream with paths. Responders, reviewers and admins only.
    """

    def get(self, request):
        if not standing_of(request.user).reads_everything:
            raise NotFound("No such endpoint.")
        try:
            secret_guard({"q": request.query_params.get("q", "")}, channel="api", actor=request.user)
        except SecretValueError as error:
            return Response({"q": [error.errors["q"]]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            query = WhoBuiltWhatQuery.from_params(request.query_params)
            answer = who_built_what(user=request.user, query=query)
        except WhoBuiltWhatQueryError as error:
            return Response(error.errors, status=status.HTTP_400_BAD_REQUEST)
        except SubjectNotFound as error:
            raise NotFound(str(error)) from None
        return Response(answer.as_dict())


# --- incidents -------------------------------------------------------------------------------------


class PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="__str__")


class UseCaseNameSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class IncidentUseCaseSerializer(RegistryModelSerializer):
    use_case = UseCaseNameSerializer(read_only=True)
    owner = PersonRefSerializer(read_only=True, allow_null=True)
    backup_owner = PersonRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = IncidentUseCase
        fields = ["use_case", "how", "depth", "path", "owner", "backup_owner", "suspended_at"]
        read_only_fields = fields


class IncidentRecipientSerializer(RegistryModelSerializer):
    person = PersonRefSerializer(read_only=True)
    use_cases = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = IncidentRecipient
        fields = ["person", "use_cases", "notified_at", "acknowledged_at"]
        read_only_fields = fields


#: Severity as plain text in the schema: its values are the risk tiers' (low ... critical), and
#: an enum of the same values under a second name makes drf-spectacular warn.
_SEVERITY_HELP = "One of: " + ", ".join(Incident.Severity.values) + "."


class IncidentListSerializer(RegistryModelSerializer):
    severity = serializers.CharField(read_only=True, help_text=_SEVERITY_HELP)
    opened_by = PersonRefSerializer(read_only=True)
    affected_count = serializers.IntegerField(read_only=True)
    recipient_count = serializers.IntegerField(read_only=True)
    acknowledged_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "title",
            "severity",
            "status",
            "opened_by",
            "opened_at",
            "resolved_at",
            "affected_count",
            "recipient_count",
            "acknowledged_count",
        ]
        read_only_fields = fields


class IncidentSerializer(IncidentListSerializer):
    """An incident in full: the affected set as recorded, and who has acknowledged."""

    affected = IncidentUseCaseSerializer(many=True, read_only=True)
    recipients = IncidentRecipientSerializer(many=True, read_only=True)

    class Meta(IncidentListSerializer.Meta):
        fields = [
            *IncidentListSerializer.Meta.fields,
            "description",
            "what_to_do",
            "resolution_notes",
            "query",
            "credentials",
            "data_sources",
            "vendors",
            "affected",
            "recipients",
        ]
        read_only_fields = fields


class IncidentOpenSerializer(SecretGuardSerializerMixin, serializers.Serializer):
    """Open an incident: ``query`` is the who-built-what query (``{"credential": 12, "depth": 3}``)."""

    query = serializers.DictField(
        child=serializers.CharField(), help_text='E.g. {"credential": 12, "depth": 3}.'
    )
    title = serializers.CharField(max_length=300)
    severity = serializers.CharField(default=Incident.Severity.HIGH, help_text=_SEVERITY_HELP)
    description = serializers.CharField()
    what_to_do = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_severity(self, value):
        if value not in Incident.Severity.values:
            raise serializers.ValidationError(_SEVERITY_HELP)
        return value

    def validate_query(self, value):
        try:
            return WhoBuiltWhatQuery.from_params(value)
        except WhoBuiltWhatQueryError as error:
            raise serializers.ValidationError(
                [f"{k}: {' '.join(v)}" for k, v in error.errors.items()]
            ) from None


class SuspendSerializer(SecretGuardSerializerMixin, serializers.Serializer):
    use_cases = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=400)


class NoteSerializer(SecretGuardSerializerMixin, serializers.Serializer):
    text = serializers.CharField()


class ResolveSerializer(SecretGuardSerializerMixin, serializers.Serializer):
    notes = serializers.CharField()


class AcknowledgedSerializer(serializers.Serializer):
    acknowledged_at = serializers.DateTimeField()
    already = serializers.BooleanField(help_text="True when it had been acknowledged before this call.")


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


_ACTION_RESPONSES = {
    400: OpenApiResponse(description="Bad input: field errors."),
    403: OpenApiResponse(ErrorSerializer, description="Only responders and admins work incidents."),
    404: OpenApiResponse(ErrorSerializer, description="No such incident visible to you."),
    409: OpenApiResponse(ErrorSerializer, description="The incident is resolved."),
}


@extend_schema(tags=["incident response"])
class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Incidents, newest first (responders, reviewers, admins); open one from a query (responders,
    admins); acknowledge, suspend, unsuspend, add a note, resolve."""

    pagination_class = RegistryPagination

    def get_serializer_class(self):
        return IncidentListSerializer if self.action == "list" else IncidentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Incident.objects.none()
        if self.action == "acknowledge":
            return Incident.objects.all()
        if not incidents_readable_by(self.request.user):
            raise NotFound("No such endpoint.")
        queryset = incidents_visible_to(self.request.user)
        if self.action != "list":
            queryset = queryset.prefetch_related(
                "credentials",
                "data_sources",
                "vendors",
                "recipients__person",
                "recipients__use_cases",
            ).prefetch_related(
                _affected_prefetch(),
            )
        return queryset

    def _full(self, incident, code=status.HTTP_200_OK):
        incident = self.get_queryset().get(pk=incident.pk)
        return Response(IncidentSerializer(incident, context={"request": self.request}).data, status=code)

    def _act(self, incident, call, code=status.HTTP_200_OK):
        """Run one service call; answer the incident in full, or the shared error shape."""
        try:
            result = call()
        except TransitionNotAllowed as error:
            return Response({"detail": str(error), "state": error.state}, status=status.HTTP_409_CONFLICT)
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        except DjangoValidationError as error:
            detail = error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages}
            return Response(detail, status=status.HTTP_400_BAD_REQUEST)
        except SubjectNotFound as error:
            raise NotFound(str(error)) from None
        return self._full(result if isinstance(result, Incident) else incident, code)

    @extend_schema(request=IncidentOpenSerializer, responses={201: IncidentSerializer, **_ACTION_RESPONSES})
    def create(self, request):
        if not incidents_readable_by(request.user):
            raise NotFound("No such endpoint.")
        body = IncidentOpenSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        return self._act(
            None, lambda: incident_services.incident_open(actor=request.user, **data), status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={200: AcknowledgedSerializer, 404: _ACTION_RESPONSES[404]})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Acknowledge your own notice about this incident (404 if you were not told)."""
        if not str(pk).isdigit():  # "null,null" reached int() in the query: a 500 (schemathesis)
            raise NotFound("You were not told about this incident.")
        recipient = IncidentRecipient.objects.filter(incident_id=pk, person_id=request.user.pk).first()
        if recipient is None:
            raise NotFound("You were not told about this incident.")
        done = incident_services.incident_acknowledge(recipient=recipient, actor=request.user)
        recipient.refresh_from_db(fields=["acknowledged_at"])
        return Response({"acknowledged_at": recipient.acknowledged_at, "already": not done})

    @extend_schema(request=SuspendSerializer, responses={200: IncidentSerializer, **_ACTION_RESPONSES})
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        """Suspend affected use cases (their pages say so; the library hides them)."""
        incident = self.get_object()
        body = SuspendSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        return self._act(
            incident,
            lambda: incident_services.incident_suspend(
                incident=incident, actor=request.user, use_case_ids=data["use_cases"], reason=data["reason"]
            ),
        )

    @extend_schema(request=SuspendSerializer, responses={200: IncidentSerializer, **_ACTION_RESPONSES})
    @action(detail=True, methods=["post"])
    def unsuspend(self, request, pk=None):
        """Lift this incident's suspension of affected use cases (``reason`` is ignored)."""
        incident = self.get_object()
        body = SuspendSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        return self._act(
            incident,
            lambda: incident_services.incident_unsuspend(
                incident=incident, actor=request.user, use_case_ids=data["use_cases"]
            ),
        )

    @extend_schema(request=NoteSerializer, responses={200: IncidentSerializer, **_ACTION_RESPONSES})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        """Add a note to the incident's log."""
        incident = self.get_object()
        body = NoteSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        text = body.validated_data["text"]
        return self._act(
            incident,
            lambda: incident_services.incident_add_note(incident=incident, actor=request.user, text=text),
        )

    @extend_schema(request=ResolveSerializer, responses={200: IncidentSerializer, **_ACTION_RESPONSES})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Resolve the incident with notes (409 when it is already resolved)."""
        incident = self.get_object()
        body = ResolveSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        notes = body.validated_data["notes"]
        return self._act(
            incident,
            lambda: incident_services.incident_resolve(incident=incident, actor=request.user, notes=notes),
        )


def _affected_prefetch():
    from django.db.models import Prefetch

    return Prefetch(
        "affected",
        queryset=IncidentUseCase.objects.select_related("use_case", "owner", "backup_owner").order_by(
            "depth", "use_case__name", "use_case_id"
        ),
    )
