"""The review workflow and the history in the API: ``/api/reviews/`` and ``/api/history/``.

Same rules as the pages: the queue is for those who read everything (reviewers, responders,
admins); only reviewers decide. Errors are JSON with a ``detail`` message: an illegal
transition answers 409 with the current ``state``; a role that may not make it, 403; a
review the asker may not see, 404; bad input, 400 with field errors.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.permissions import can_read_history, standing_of

from ..choices import ReviewState, RiskTier
from ..exceptions import ApprovalBlocked, TransitionNotAllowed
from ..models import HistoryEntry, SecurityReview
from ..services import reviews as review_services
from .serializers import RegistryModelSerializer
from .views import RegistryPagination


class ReviewUseCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    team = serializers.CharField(source="team.name")
    risk_tier = serializers.ChoiceField(choices=RiskTier.choices)
    owner = serializers.CharField(allow_null=True)


class ReviewSerializer(RegistryModelSerializer):
    """A security review as the queue shows it; ``due_at`` comes from the tier's service level."""

    use_case = ReviewUseCaseSerializer(read_only=True)
    reviewer = serializers.StringRelatedField(allow_null=True, help_text="Null until claimed.")
    requested_by = serializers.StringRelatedField(allow_null=True, help_text="Null when not recorded.")
    due_at = serializers.SerializerMethodField()

    class Meta:
        model = SecurityReview
        fields = [
            "id",
            "use_case",
            "state",
            "source",
            "request_note",
            "spot_check",
            "requested_by",
            "requested_at",
            "due_at",
            "reviewer",
            "claimed_at",
            "decided_at",
            "expires_at",
            "findings",
            "checklist",
            "conditions",
            "authorisation_reference",
        ]
        read_only_fields = fields

    def get_due_at(self, review) -> str:
        return review_services.review_due_at(review, review.use_case.risk_tier).isoformat()


class DecisionSerializer(serializers.Serializer):
    """The body of a decision: findings, checklist (item -> pass | fail | n/a) and conditions."""

    findings = serializers.CharField(required=False, allow_blank=True, default="")
    checklist = serializers.DictField(child=serializers.CharField(), required=False, default=dict)
    conditions = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    state = serializers.CharField(required=False)


_DECISION_RESPONSES = {
    200: ReviewSerializer,
    400: OpenApiResponse(description="Bad input: field errors."),
    403: OpenApiResponse(ErrorSerializer, description="Your role may not make this transition."),
    404: OpenApiResponse(ErrorSerializer, description="No such review visible to you."),
    409: OpenApiResponse(ErrorSerializer, description="Not allowed from the review's current state."),
}


@extend_schema(tags=["security reviews"])
class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The review queue: open reviews (and unconfirmed spot checks), riskiest then oldest.

    Filters: ``state``, ``tier``, ``team`` (slug; an agency includes its bureaus), ``mine``.
    """

    serializer_class = ReviewSerializer
    pagination_class = RegistryPagination

    def get_queryset(self):
        if not standing_of(self.request.user).reads_everything:
            return SecurityReview.objects.none()
        base = SecurityReview.objects.select_related(
            "use_case", "use_case__team", "use_case__owner", "reviewer", "requested_by"
        )
        if self.action != "list":
            return base
        params = self.request.query_params
        state = params.get("state", "")
        if state and state not in ReviewState.values:
            raise serializers.ValidationError({"state": [f"“{state}” is not a review state."]})
        tier = params.get("tier", "")
        if tier and tier not in RiskTier.values:
            raise serializers.ValidationError({"tier": [f"“{tier}” is not a risk tier."]})
        if state and state not in (
            ReviewState.REQUESTED,
            ReviewState.IN_REVIEW,
            ReviewState.CHANGES_REQUESTED,
        ):
            queryset = base.filter(state=state).order_by("-requested_at", "-id")
        else:
            queryset = review_services.open_reviews_ordered(base)
            if state:
                queryset = queryset.filter(state=state)
        if tier:
            queryset = queryset.filter(use_case__risk_tier=tier)
        if params.get("team"):
            team = params["team"]
            queryset = queryset.filter(use_case__team__slug=team) | queryset.filter(
                use_case__team__parent__slug=team
            )
        if params.get("mine") in ("1", "true", "True"):
            queryset = queryset.filter(reviewer=self.request.user)
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("state", OpenApiTypes.STR, enum=ReviewState.values),
            OpenApiParameter("tier", OpenApiTypes.STR, enum=RiskTier.values),
            OpenApiParameter("team", OpenApiTypes.STR),
            OpenApiParameter("mine", OpenApiTypes.BOOL),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _transition(self, request, pk, call):
        review = self.get_object()
        try:
            review = call(review)
        except TransitionNotAllowed as error:
            return Response({"detail": str(error), "state": error.state}, status=status.HTTP_409_CONFLICT)
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        except ApprovalBlocked as error:
            return Response(
                {"detail": str(error), "reasons": error.reasons, "state": review.state},
                status=status.HTTP_409_CONFLICT,
            )
        except DjangoValidationError as error:
            detail = error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages}
            return Response(detail, status=status.HTTP_400_BAD_REQUEST)
        review = self.get_queryset().get(pk=review.pk)
        return Response(ReviewSerializer(review, context={"request": request}).data)

    def _decision(self, request):
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data

    @extend_schema(request=None, responses=_DECISION_RESPONSES)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        return self._transition(
            request, pk, lambda r: review_services.review_claim(review=r, actor=request.user)
        )

    @extend_schema(request=None, responses=_DECISION_RESPONSES)
    @action(detail=True, methods=["post"])
    def unclaim(self, request, pk=None):
        return self._transition(
            request, pk, lambda r: review_services.review_unclaim(review=r, actor=request.user)
        )

    @extend_schema(request=DecisionSerializer, responses=_DECISION_RESPONSES)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = self._decision(request)
        return self._transition(
            request, pk, lambda r: review_services.review_approve(review=r, actor=request.user, **data)
        )

    @extend_schema(request=DecisionSerializer, responses=_DECISION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        data = self._decision(request)
        data.pop("conditions", None)
        return self._transition(
            request,
            pk,
            lambda r: review_services.review_request_changes(review=r, actor=request.user, **data),
        )

    @extend_schema(request=DecisionSerializer, responses=_DECISION_RESPONSES)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = self._decision(request)
        data.pop("conditions", None)
        return self._transition(
            request, pk, lambda r: review_services.review_reject(review=r, actor=request.user, **data)
        )


class HistoryEntrySerializer(RegistryModelSerializer):
    object_type = serializers.CharField(source="content_type.model")
    actor = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = HistoryEntry
        fields = [
            "id",
            "at",
            "actor",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "use_case",
            "summary",
            "changes",
            "request_id",
        ]
        read_only_fields = fields


@extend_schema(
    tags=["history"],
    parameters=[
        OpenApiParameter("use_case", OpenApiTypes.INT, description="Entries on this use case's timeline."),
        OpenApiParameter(
            "object_type", OpenApiTypes.STR, description="e.g. usecase, credential, securityreview."
        ),
        OpenApiParameter("object_id", OpenApiTypes.INT),
        OpenApiParameter("actor", OpenApiTypes.INT, description="A person's id."),
        OpenApiParameter("since", OpenApiTypes.DATETIME),
        OpenApiParameter("until", OpenApiTypes.DATETIME),
        OpenApiParameter("request_id", OpenApiTypes.STR),
    ],
)
class HistoryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The registry's history, newest first (responders, reviewers and admins).

    Filters combine: ``use_case``, ``object_type`` + ``object_id``, ``actor``, ``since`` and
    ``until`` (ISO dates or datetimes), ``request_id``.
    """

    serializer_class = HistoryEntrySerializer
    pagination_class = RegistryPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return HistoryEntry.objects.none()
        if not can_read_history(self.request.user):
            raise PermissionDenied(
                "The history is open to incident responders, security reviewers and admins."
            )
        from django.utils.dateparse import parse_date, parse_datetime

        queryset = HistoryEntry.objects.select_related("content_type").order_by("-at", "-id")
        params = self.request.query_params
        errors = {}
        for name in ("use_case", "object_id", "actor"):
            if params.get(name):
                if not params[name].isdigit():
                    errors[name] = ["A whole number."]
                else:
                    queryset = queryset.filter(
                        **{f"{name}_id" if name != "object_id" else name: int(params[name])}
                    )
        if params.get("object_type"):
            queryset = queryset.filter(content_type__model=params["object_type"].lower())
        for name, lookup in (("since", "at__gte"), ("until", "at__lte")):
            if params.get(name):
                value = parse_datetime(params[name])
                if value is None and parse_date(params[name]) is not None:
                    day = parse_date(params[name])
                    value = dt.datetime.combine(day, dt.time.max if name == "until" else dt.time.min)
                if value is not None and timezone.is_naive(value):
                    value = timezone.make_aware(value)
                if value is None:
                    errors[name] = ["An ISO date or datetime, e.g. 2026-11-22 or 2026-11-22T10:00:00Z."]
                else:
                    queryset = queryset.filter(**{lookup: value})
        if params.get("request_id"):
            queryset = queryset.filter(request_id=params["request_id"])
        if errors:
            raise serializers.ValidationError(errors)
        return queryset
