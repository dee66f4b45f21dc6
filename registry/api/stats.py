"""``GET /api/stats/``: the central team's dashboard figures (issue 9) as JSON, for other dashboards.

The same figures, scope and audience as the ``/dashboard/`` page (``registry.selectors.dashboard``,
cached for ``CACHE_SECONDS`` per audience): curators, reviewers, responders and admins get the
whole estate, a team lead the teams they lead (and their sub-teams); anyone else gets 404, as
the API answers for what the asker may not see. Counts are integers; hours and money are
decimal strings (hours to 0.1, money to 0.01, in ``value.currency``); durations are days
(floats, one decimal). Each ``url`` is the page listing exactly the counted rows (the catalog
with its filters, the review queue, the library candidates), relative to the site, or ""
when no page can list them for this asker.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from ..choices import RiskTier
from ..selectors.dashboard import UNSAFE_STORAGES, DashboardNotAllowed, dashboard_cached
from .reviews import ErrorSerializer

_URL_HELP = "The page listing exactly these rows (relative), or '' when none can for you."


class StatFigureSerializer(serializers.Serializer):
    """One count and the list behind it."""

    label = serializers.CharField()
    value = serializers.IntegerField()
    url = serializers.CharField(allow_blank=True, help_text=_URL_HELP)


class NullableStatFigureSerializer(StatFigureSerializer):
    """A count that may be missing (null): not computed in time at this scale."""

    value = serializers.IntegerField(allow_null=True)


class StatAmountSerializer(serializers.Serializer):
    """One amount (hours saved or money) for a month."""

    label = serializers.CharField()
    value = serializers.DecimalField(max_digits=16, decimal_places=2)


class InventoryStatsSerializer(serializers.Serializer):
    total = StatFigureSerializer()
    stages = StatFigureSerializer(many=True, help_text="Use cases by lifecycle stage.")
    kinds = StatFigureSerializer(many=True, help_text="Use cases by kind (kinds in use only).")
    teams = StatFigureSerializer(many=True, help_text="The ten teams with the most use cases.")
    vendors = StatFigureSerializer(many=True, help_text="The ten vendors used by the most use cases.")
    growth = StatFigureSerializer(many=True, help_text="Registrations per month, the last 12 months.")
    origin = StatFigureSerializer(many=True, help_text="Registered in the registry versus imported.")
    imported_share = serializers.IntegerField(allow_null=True, help_text="Imported, in percent.")


class UnsafeStorageSerializer(serializers.Serializer):
    # Not named "storage": its choices are only the unsafe places (a schema enum of its own).
    unsafe_storage = serializers.ChoiceField(choices=UNSAFE_STORAGES, source="storage")
    label = serializers.CharField()
    use_cases = serializers.IntegerField(help_text="Use cases using a credential stored here.")
    credentials = serializers.IntegerField(help_text="Credentials stored here, used by those use cases.")
    url = serializers.CharField(allow_blank=True, help_text=_URL_HELP)


class RiskStatsSerializer(serializers.Serializer):
    tiers = StatFigureSerializer(many=True)
    flags = StatFigureSerializer(many=True)
    credentials = UnsafeStorageSerializer(
        many=True, allow_null=True, help_text="Null for those who may not see credential details."
    )
    unsafe_total = StatFigureSerializer(allow_null=True)
    rotation_due = StatFigureSerializer(allow_null=True)


class LeaderlessTeamSerializer(serializers.Serializer):
    team = serializers.CharField()
    slug = serializers.CharField()
    production = serializers.IntegerField()


class SingleTeamVendorSerializer(serializers.Serializer):
    vendor = serializers.CharField()
    use_cases = serializers.IntegerField()
    url = serializers.CharField(allow_blank=True, help_text=_URL_HELP)


class DuplicateMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    team = serializers.CharField()
    url = serializers.CharField()


class DuplicateClusterSerializer(serializers.Serializer):
    name = serializers.CharField()
    use_cases = serializers.IntegerField()
    teams = serializers.IntegerField()
    members = DuplicateMemberSerializer(many=True)


class DuplicatesSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Clusters found.")
    probed = serializers.IntegerField(help_text="Production use cases compared (the most recently changed).")
    min_similarity = serializers.FloatField()
    clusters = DuplicateClusterSerializer(many=True, help_text="The largest clusters.")


class OwnershipStatsSerializer(serializers.Serializer):
    gaps = StatFigureSerializer(many=True)
    leaderless_teams = LeaderlessTeamSerializer(many=True)
    single_team_vendors = SingleTeamVendorSerializer(many=True)
    duplicates = DuplicatesSerializer()


class OpenReviewsTierSerializer(serializers.Serializer):
    tier = serializers.CharField()
    risk_tier = serializers.ChoiceField(choices=RiskTier.choices, source="value")
    sla_days = serializers.IntegerField(allow_null=True)
    open = serializers.IntegerField()
    late = serializers.IntegerField()
    bands = serializers.ListField(child=serializers.IntegerField(), help_text="Open reviews per age band.")
    url = serializers.CharField(allow_blank=True, help_text=_URL_HELP)


class MonthMedianSerializer(serializers.Serializer):
    month = serializers.CharField()
    decided = serializers.IntegerField()
    median_days = serializers.FloatField(allow_null=True)


class TeamLeadTimeSerializer(serializers.Serializer):
    team = serializers.CharField()
    approved = serializers.IntegerField()
    median_days = serializers.FloatField()


class ReviewStatsSerializer(serializers.Serializer):
    open_by_tier = OpenReviewsTierSerializer(many=True)
    age_bands = serializers.ListField(child=serializers.CharField())
    open_total = serializers.IntegerField()
    late_total = serializers.IntegerField()
    open_url = serializers.CharField(allow_blank=True, help_text=_URL_HELP)
    median_by_month = MonthMedianSerializer(many=True)
    lead_time_by_team = TeamLeadTimeSerializer(many=True)
    decisions = serializers.IntegerField()
    self_attested = serializers.IntegerField()
    self_attested_share = serializers.IntegerField(allow_null=True)


class UsageCellSerializer(serializers.Serializer):
    """A team's month: both null when the team has no usage report for it."""

    hours = serializers.DecimalField(max_digits=16, decimal_places=1, allow_null=True)
    cost = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)


class UsageCellsField(serializers.ListField):
    """One cell per month of ``months``; a month without a report is ``{hours: null, cost: null}``
    (an object, never null: the schema's items stay one plain type)."""

    child = UsageCellSerializer()

    def to_representation(self, data):
        return [self.child.to_representation(cell or {"hours": None, "cost": None}) for cell in data]


class TeamUsageSerializer(serializers.Serializer):
    team = serializers.CharField()
    cells = UsageCellsField()


class LibraryTopSerializer(serializers.Serializer):
    name = serializers.CharField()
    adoptions = serializers.IntegerField()
    url = serializers.CharField()


class ValueStatsSerializer(serializers.Serializer):
    candidates = NullableStatFigureSerializer(help_text="Null when it could not be counted in time.")
    months = serializers.ListField(child=serializers.CharField())
    by_team = TeamUsageSerializer(many=True)
    totals = StatAmountSerializer(many=True, help_text="Hours saved per month.")
    costs = StatAmountSerializer(many=True, help_text="Cost per month.")
    library_top = LibraryTopSerializer(many=True)
    currency = serializers.CharField()


class StatsSerializer(serializers.Serializer):
    """The dashboard: whose estate, when, and its five panels."""

    scope = serializers.CharField(source="scope_label")
    whole_estate = serializers.BooleanField()
    generated_at = serializers.DateTimeField()
    inventory = InventoryStatsSerializer(source="panels.inventory")
    risk = RiskStatsSerializer(source="panels.risk")
    ownership = OwnershipStatsSerializer(source="panels.ownership")
    reviews = ReviewStatsSerializer(source="panels.reviews")
    value = ValueStatsSerializer(source="panels.value")


class StatsView(APIView):
    """The estate's figures: inventory, risk, ownership, review flow and value."""

    @extend_schema(
        tags=["stats"],
        operation_id="stats_retrieve",
        responses={
            200: StatsSerializer,
            404: OpenApiResponse(ErrorSerializer, description="Not for you: the dashboard's audience only."),
        },
    )
    def get(self, request):
        try:
            dashboard = dashboard_cached(request.user)
        except DashboardNotAllowed:
            raise NotFound("No such endpoint.") from None
        return Response(StatsSerializer(dashboard).data)
