"""Reads for the "Ownership gaps" page: use cases nobody active is accountable for."""

from django.db.models import Count, F, Q, QuerySet

from accounts.permissions import ownership_gaps_scope

from ..choices import LifecycleStage
from ..models import UseCase
from .use_cases import risk_tier_rank

#: Columns no gaps row shows (kilobytes per imported row).
_DEFERRED = ("source_row", "search_vector", "description", "outputs", "human_in_the_loop", "risk_reasons")


def ownership_gaps_for(user) -> QuerySet:
    """Use cases with an ownership gap that ``user`` may see and act on.

    A gap: no named owner (the imported use cases known only by a contact mailbox), an owner
    who has left, or an ownership note (flagged by offboarding). Retired use cases are left
    out. Restricted twice: to what ``user`` may see (``UseCase.objects.restrict``) and to
    the gaps they look after (``accounts.permissions.ownership_gaps_scope``: a lead their
    teams and sub-teams; curators, reviewers, responders and admins every team; others none).

    Returns:
        A queryset with team, parent team, owner and backup owner joined (no query per row),
        annotated ``risk_rank``, ordered: flagged first (most recently flagged first), then
        risk (highest first), then name. ``ownership_gap_reason`` gives each row's reason.
    """
    return (
        _gaps(user)
        .select_related("team", "team__parent", "owner", "backup_owner")
        .defer(*_DEFERRED)
        .annotate(risk_rank=risk_tier_rank())
        .order_by(F("ownership_flagged_at").desc(nulls_last=True), "-risk_rank", "name", "id")
    )


def _gaps(user) -> QuerySet:
    queryset = (
        UseCase.objects.restrict(user, "view")
        .exclude(lifecycle_stage=LifecycleStage.RETIRED)
        .filter(Q(owner__isnull=True) | Q(owner__is_active=False) | ~Q(ownership_note=""))
    )
    scope = ownership_gaps_scope(user)
    return queryset if scope is None else queryset.filter(scope)


def ownership_gap_reason(use_case: UseCase) -> str:
    """Why ``use_case`` is on the gaps page, in a sentence (its ownership note when flagged).

    Reads ``owner`` (joined by ``ownership_gaps_for``): no query.
    """
    if use_case.ownership_note:
        return use_case.ownership_note
    if use_case.owner_id is None:
        # The mailbox itself is shown beside the reason.
        return "No named owner, only a contact mailbox." if use_case.contact_email else "No named owner."
    if not use_case.owner.is_active:
        return f"Its owner {use_case.owner} has left."
    return ""


def ownership_gap_teams(user) -> list[dict]:
    """The teams with gaps that ``user`` sees (``ownership_gaps_for``), for the page's team
    filter (one query).

    Returns:
        ``[{"slug", "name", "parent_name", "count"}]`` ordered by parent team, then name.
    """
    rows = (
        _gaps(user)
        .values("team__slug", "team__name", "team__parent__name")
        .annotate(count=Count("id"))
        .order_by("team__parent__name", "team__name")
    )
    return [
        {
            "slug": row["team__slug"],
            "name": row["team__name"],
            "parent_name": row["team__parent__name"] or "",
            "count": row["count"],
        }
        for row in rows
    ]


def ownership_gaps_of_team(gaps: QuerySet, slug: str) -> QuerySet:
    """``gaps`` of the team ``slug`` and of its sub-teams (the catalog's team filter rule)."""
    return gaps.filter(Q(team__slug=slug) | Q(team__parent__slug=slug))
