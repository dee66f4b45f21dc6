"""Reads of use cases, restricted to what the asker may see."""

from django.db.models import Prefetch, QuerySet

from ..models import Connection, CredentialUse, DataAccess, SecurityReview, UseCase, VendorUse


def use_cases_visible_to(user) -> QuerySet:
    """Use cases ``user`` may see, with what a list row shows already joined.

    Returns:
        A queryset restricted by ``UseCase.objects.restrict(user, "view")``.
    """
    return UseCase.objects.restrict(user, "view").with_list_related()


def use_case_detail(*, user, pk: int) -> UseCase:
    """One use case with everything its page shows, in a fixed number of queries.

    Raises:
        UseCase.DoesNotExist: when it does not exist or ``user`` may not see it (the view
            answers 404 either way).
    """
    visible = UseCase.objects.restrict(user, "view").values("pk")
    return (
        UseCase.objects.restrict(user, "view")
        .select_related("team", "team__parent", "owner", "backup_owner", "import_batch", "created_by")
        .prefetch_related(
            "builders",
            Prefetch("vendor_uses", queryset=VendorUse.objects.select_related("vendor", "model")),
            Prefetch(
                "data_accesses",
                queryset=DataAccess.objects.select_related("data_source").order_by("data_source__name"),
            ),
            Prefetch(
                "credential_uses",
                queryset=CredentialUse.objects.select_related(
                    "credential", "credential__issuer", "credential__owner"
                ).order_by("credential__name"),
            ),
            Prefetch("reviews", queryset=SecurityReview.objects.select_related("reviewer", "requested_by")),
            # Connections show only the use cases the asker may see on the other end.
            Prefetch(
                "feeds",
                queryset=Connection.objects.filter(target__in=visible)
                .select_related("target")
                .only(
                    "id",
                    "source_id",
                    "target_id",
                    "what_flows",
                    "classification",
                    "target__id",
                    "target__name",
                ),
            ),
            Prefetch(
                "fed_by",
                queryset=Connection.objects.filter(source__in=visible)
                .select_related("source")
                .only(
                    "id",
                    "source_id",
                    "target_id",
                    "what_flows",
                    "classification",
                    "source__id",
                    "source__name",
                ),
            ),
            "foundation_uses__document",
        )
        .get(pk=pk)
    )


def use_cases_sorted(queryset: QuerySet, sort: str | None, *, searching: bool) -> tuple[QuerySet, str]:
    """Order a use-case list.

    Args:
        queryset: the (filtered) list; when ``searching`` it carries a ``rank`` annotation.
        sort: a key of ``registry.filtersets.SORTS``, ``"relevance"``, or empty/unknown for the
            default (relevance when searching, else name).
        searching: whether a full-text search was applied.

    Returns:
        ``(ordered queryset, the sort key applied)``.
    """
    from ..filtersets import SORTS

    if sort not in SORTS and not (sort == "relevance" and searching):
        sort = "relevance" if searching else "name"
    if sort == "relevance":
        return queryset.order_by("-rank", "name", "id"), sort
    if sort == "risk":
        queryset = queryset.annotate(risk_rank=risk_tier_rank())
    return queryset.order_by(*SORTS[sort]), sort


def risk_tier_rank(field: str = "risk_tier"):
    """An SQL expression: ``field`` (a risk tier) as ``RISK_TIER_RANK`` (4 critical … 1 low, 0
    otherwise), for ordering riskiest first."""
    from django.db.models import Case, IntegerField, Value, When

    from ..choices import RISK_TIER_RANK

    return Case(
        *[When(**{field: tier}, then=Value(rank)) for tier, rank in RISK_TIER_RANK.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
