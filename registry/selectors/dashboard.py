"""Reads for the central team's dashboard (issue 9): the estate's figures, aggregated in SQL.

Every panel is a fixed number of queries whatever the number of use cases: counts are
``aggregate``/``annotate`` with ``Count``/``Sum`` and ``filter=Q(...)``; the only rows read into
Python are bounded (the decided reviews of the last 12 months, the teams and vendors listed).

Who sees it: curators, reviewers, responders and admins the whole estate; a person who leads
teams those teams and their sub-teams; everyone else nothing (the view answers 404). It is the
audience of the ownership gaps page, so the rule is asked of ``accounts.permissions`` in the
same words (``can_view_ownership_gaps``, ``ownership_gaps_scope``).
"""

import datetime as dt
import logging
import statistics
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from accounts.choices import MembershipRole, RoleGroup
from accounts.models import Membership, Team
from accounts.permissions import (
    can_curate_library,
    can_view_ownership_gaps,
    credential_details_filter,
    ownership_gaps_scope,
    standing_of,
)

from ..choices import (
    UNSAFE_CREDENTIAL_STORAGE,
    CredentialStorage,
    LifecycleStage,
    ReviewSource,
    ReviewState,
    ReviewStatus,
    RiskTier,
    UseCaseKind,
)
from ..models import (
    Adoption,
    Credential,
    CredentialUse,
    DataAccess,
    LibraryEntry,
    SecurityReview,
    UsageReport,
    UseCase,
    VendorUse,
)
from ..services.reviews import open_reviews_ordered
from ..services.sweeps import credentials_due_for_rotation
from .library import IN_LIBRARY_STATUSES, assess_annotated, graduation_annotate

#: The panels, in page order; each is also ``/dashboard/<panel>.csv``.
PANELS = ("inventory", "risk", "ownership", "reviews", "value")

_TIER_LABELS = dict(RiskTier.choices)
_STORAGE_LABELS = dict(CredentialStorage.choices)
#: Unsafe storage places in the choices' order (the dashboard's rows, the catalog's values).
UNSAFE_STORAGES = [value for value in CredentialStorage.values if value in UNSAFE_CREDENTIAL_STORAGE]

#: Open reviews' age bands: (key, label, from days, to days or None), by days since requested.
REVIEW_AGE_BANDS = (
    ("week", "Under a week", 0, 7),
    ("month", "1 to 4 weeks", 7, 30),
    ("quarter", "1 to 3 months", 30, 90),
    ("older", "Over 3 months", 90, None),
)

#: Likely duplicates: two production use cases of different teams whose names have at least
#: this trigram similarity (pg_trgm's ``similarity``, the measure registration's "similar use
#: cases" ranks names by). Stricter than registration's 0.3 candidate threshold: a cluster is a
#: claim that two teams built the same thing, not a hint while typing.
DUPLICATE_MIN_SIMILARITY = 0.6
#: Bound of the duplicate search: the most recently changed production use cases in scope are
#: compared with each other (a fixed number of comparisons whatever the registry's size). The
#: newest builds are the ones still worth merging; the bound keeps the page fast at 100,000.
DUPLICATE_PROBES = 150
#: Clusters listed (largest first); the count covers them all.
DUPLICATE_CLUSTERS_SHOWN = 10

logger = logging.getLogger(__name__)

#: Seconds a computed dashboard is reused (``dashboard_cached``; setting
#: ``DASHBOARD_CACHE_SECONDS``, default 600). The beat job ``registry.tasks.dashboard_refresh``
#: recomputes the shared ones every ``DASHBOARD_REFRESH_SECONDS`` (default 300), so at 100,000
#: use cases (seconds of SQL) nobody waits for them; the page says when they were computed.
CACHE_SECONDS = getattr(settings, "DASHBOARD_CACHE_SECONDS", 600)


class DashboardNotAllowed(Exception):
    """The person may not see the dashboard (the view answers 404)."""


@dataclass
class Figure:
    """One number on the dashboard: its label, value and the catalog list behind it (or "")."""

    label: str
    value: int | float | str
    url: str = ""


@dataclass
class Dashboard:
    """Everything the page shows. ``panels`` maps a panel name to a dict of its sections;
    each section is a list of ``Figure`` (or of dicts for tables). ``scope_label`` says whose
    estate it is ("the whole estate" or the led teams' names)."""

    scope_label: str
    whole_estate: bool
    generated_at: dt.datetime
    panels: dict = field(default_factory=dict)


def may_see_dashboard(user) -> bool:
    """Whether ``user`` gets the dashboard: curators, reviewers, responders, admins and leads."""
    return can_view_ownership_gaps(user)


def _catalog_url(base_params: dict, **params) -> str:
    query = {**base_params, **{key: value for key, value in params.items() if value not in (None, "")}}
    path = reverse("registry:use_case_list")
    return f"{path}?{urlencode(query, doseq=True)}" if query else path


def _months_back(today: dt.date, months: int) -> list[dt.date]:
    """The first days of the last ``months`` months, oldest first, the current month last."""
    year, month = today.year, today.month
    out = []
    for _ in range(months):
        out.append(dt.date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(out))


def _month_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, 1))


def _month_key(value) -> dt.date:
    """A TruncMonth result (a datetime or a date) as the month's first day."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        value = value.date()
    return value.replace(day=1)


def _within(use_cases, path: str) -> Q:
    """Rows whose ``path`` is one of ``use_cases``: ``path IN (subquery)``, or merely set when
    ``use_cases`` is every use case (reviewers, responders, admins), which spares PostgreSQL a
    semi-join over the whole table."""
    if not use_cases.query.where:
        return Q(**{f"{path}__isnull": False})
    return Q(**{f"{path}__in": use_cases.values("pk")})


def _personal_data_q() -> Q:
    """The catalog's ``personal_data=true``: the flag, or a data source with personal or
    customer data (``UseCaseFilterSet.filter_personal_data``)."""
    return Q(handles_personal_data=True) | Q(
        Exists(
            DataAccess.objects.filter(use_case=OuterRef("pk")).filter(
                Q(data_source__has_personal_data=True) | Q(data_source__has_customer_data=True)
            )
        )
    )


def dashboard_for(user, *, now: dt.datetime | None = None) -> Dashboard:
    """The dashboard's figures for ``user``, scoped to what they look after.

    Args:
        user: the asking person.
        now: the moment "now" (tests pass a fixed one).

    Returns:
        A ``Dashboard`` whose ``panels`` has the keys of ``PANELS``.

    Raises:
        DashboardNotAllowed: when ``user`` may not see the dashboard.
    """
    if not may_see_dashboard(user):
        raise DashboardNotAllowed
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    standing = standing_of(user)
    scope = ownership_gaps_scope(user)
    use_cases = UseCase.objects.restrict(user, "view")
    if scope is not None:
        # ``scope`` (led teams and their sub-teams) as plain team ids, read once: a join on the
        # parent team in every aggregate kept PostgreSQL off the team index (0.55 s a query at
        # 100,000 use cases).
        scoped_team_ids = list(
            Team.objects.filter(
                Q(pk__in=standing.led_team_ids) | Q(parent_id__in=standing.led_team_ids)
            ).values_list("pk", flat=True)
        )
        use_cases = use_cases.filter(team_id__in=scoped_team_ids)
    use_cases = use_cases.order_by()
    led_teams = []
    base_params: dict = {}
    if scope is None:
        scope_label = "the whole estate"
    else:
        led_teams = list(Team.objects.filter(pk__in=standing.led_team_ids).order_by("name"))
        scope_label = ", ".join(team.name for team in led_teams) + " (and their sub-teams)"
        if len(led_teams) == 1:
            # The catalog's team filter includes sub-teams, as this scope does.
            base_params = {"team": led_teams[0].slug}
    link = lambda **params: _catalog_url(base_params, **params)  # noqa: E731
    # Links are only exact when the catalog can express the scope (the whole estate or one team).
    links_exact = scope is None or len(led_teams) == 1
    if not links_exact:
        link = lambda **params: ""  # noqa: E731

    dashboard = Dashboard(scope_label=scope_label, whole_estate=scope is None, generated_at=now)
    sees_credentials = standing.reads_everything or scope is not None
    # The review queue (``/reviews/``) is for those who read everything; it lists the whole
    # estate, so its links are exact only for a whole-estate dashboard.
    queue_links = standing.reads_everything and scope is None
    dashboard.panels["inventory"] = _inventory(use_cases, today, link)
    dashboard.panels["risk"] = _risk(use_cases, today, link, sees_credentials, user)
    dashboard.panels["ownership"] = _ownership(use_cases, link)
    dashboard.panels["reviews"] = _reviews(use_cases, now, queue_links)
    dashboard.panels["value"] = _value(use_cases, today, scope is None, standing, user, now)
    return dashboard


def dashboard_cache_key(user) -> str:
    """The cache key of ``user``'s dashboard: one shared key for those who read everything (the
    same figures for all of them), one per person otherwise (a curator's or a lead's figures
    include the drafts and grants only they see)."""
    standing = standing_of(user)
    day = timezone.localdate().isoformat()  # months and "today" roll over at midnight
    if standing.reads_everything:
        return f"dashboard:v2:{day}:estate:curate={int(can_curate_library(user))}"
    return f"dashboard:v2:{day}:user:{user.pk}"


def dashboard_cached(user) -> Dashboard:
    """``dashboard_for(user)``, reused from Django's cache for up to ``CACHE_SECONDS``.

    The permission check runs on every call (a cached dashboard is never served to someone
    who may not see it). ``generated_at`` tells when the figures were computed.

    Raises:
        DashboardNotAllowed: when ``user`` may not see the dashboard.
    """
    if not may_see_dashboard(user):
        raise DashboardNotAllowed
    key = dashboard_cache_key(user)
    try:
        dashboard = cache.get(key)
    except Exception:  # noqa: BLE001 - a cache that is down must not take the page with it
        logger.warning("dashboard cache unavailable: computing %s directly", key, exc_info=True)
        return dashboard_for(user)
    if dashboard is None:
        dashboard = _dashboard_store(user, key)
    return dashboard


def _dashboard_store(user, key: str) -> Dashboard:
    dashboard = dashboard_for(user)
    try:
        cache.set(key, dashboard, CACHE_SECONDS)
    except Exception:  # noqa: BLE001 - see dashboard_cached
        logger.warning("dashboard cache unavailable: %s not stored", key, exc_info=True)
    return dashboard


def dashboard_refresh() -> list[str]:
    """Recompute the dashboards people share and store them in the cache (the beat job).

    Which: the whole estate as readers of everything see it (once as a curator would, once
    not) and each active curator's own (curators who do not read everything see their own
    drafts and grants). A person's lead-scoped dashboard is computed when they ask.

    Returns:
        The cache keys refreshed (empty when no one holds those roles).
    """
    from django.contrib.auth import get_user_model

    people = get_user_model().objects.filter(is_active=True)
    readers = people.filter(
        Q(is_superuser=True) | Q(groups__name__in=[RoleGroup.SECURITY_REVIEWER, RoleGroup.INCIDENT_RESPONDER])
    ).distinct()
    curators = people.filter(groups__name=RoleGroup.LIBRARY_CURATOR).distinct()
    chosen: dict[str, object] = {}
    for user in [*readers.order_by("pk")[:50], *curators.order_by("pk")]:
        key = dashboard_cache_key(user)
        chosen.setdefault(key, user)
    for key, user in chosen.items():
        _dashboard_store(user, key)
    return list(chosen)


def _inventory(use_cases, today, link) -> dict:
    by_stage = {
        row["lifecycle_stage"]: row["n"]
        for row in use_cases.values("lifecycle_stage").annotate(n=Count("id")).order_by()
    }
    stages = [
        Figure(label, by_stage.get(value, 0), link(stage=value)) for value, label in LifecycleStage.choices
    ]
    if by_stage.get(""):
        stages.append(Figure("Not reported", by_stage[""]))
    by_kind = {row["kind"]: row["n"] for row in use_cases.values("kind").annotate(n=Count("id")).order_by()}
    kinds = [
        Figure(label, by_kind[value], link(kind=value))
        for value, label in UseCaseKind.choices
        if by_kind.get(value)
    ]
    # Grouped by the team's id alone (its index), names read after for the ten: grouping by
    # the joined name took 0.55 s at 100,000 use cases.
    top_teams = list(use_cases.values("team_id").annotate(n=Count("id")).order_by("-n", "team_id")[:10])
    names = {team.pk: team for team in Team.objects.filter(pk__in=[row["team_id"] for row in top_teams])}
    teams = sorted(
        (
            Figure(names[row["team_id"]].name, row["n"], link(team=names[row["team_id"]].slug))
            for row in top_teams
        ),
        key=lambda figure: (-figure.value, figure.label),
    )
    vendors = [
        Figure(row["vendor__name"], row["n"], link(vendor=row["vendor__slug"]))
        for row in VendorUse.objects.filter(_within(use_cases, "use_case"))
        .values("vendor__name", "vendor__slug")
        .annotate(n=Count("use_case", distinct=True))
        .order_by("-n", "vendor__name")[:10]
    ]
    months = _months_back(today, 12)
    per_month = {
        _month_key(row["month"]): row["n"]
        for row in use_cases.filter(created_at__gte=_month_start(months[0]))
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    }
    growth = [Figure(month.strftime("%b %Y"), per_month.get(month, 0)) for month in months]
    totals = use_cases.aggregate(
        total=Count("id"),
        imported=Count("id", filter=Q(import_batch__isnull=False) | Q(source_key__isnull=False)),
    )
    total, imported = totals["total"], totals["imported"]
    origin = [
        Figure("Registered in the registry", total - imported, link(imported="false")),
        Figure("Imported from an inventory", imported, link(imported="true")),
    ]
    return {
        "total": Figure("Use cases", total, link()),
        "stages": stages,
        "kinds": kinds,
        "teams": teams,
        "vendors": vendors,
        "growth": growth,
        "origin": origin,
        "imported_share": _share(imported, total),
    }


def _share(part: int, whole: int) -> int | None:
    """``part`` as a whole percentage of ``whole`` (None when ``whole`` is 0)."""
    return round(100 * part / whole) if whole else None


def _risk(use_cases, today, link, sees_credentials, user) -> dict:
    """Risk tiers, flags and, for those who may see credential details, unsafe storage.

    ``credentials`` (None when credential details are hidden from the asker) is one row per
    unsafe storage place: ``{"storage", "label", "use_cases", "credentials", "url"}``, where
    ``use_cases`` counts the use cases using such a credential (the catalog's
    ``credential_storage`` list, linked by ``url``) and ``credentials`` the credentials
    themselves. ``unsafe_total`` is a ``Figure`` of the use cases using any of them.
    """
    tiers = {f"tier_{value}": Count("id", filter=Q(risk_tier=value)) for value in RiskTier.values}
    counts = use_cases.aggregate(
        **tiers,
        unapproved=Count(
            "id",
            filter=Q(lifecycle_stage=LifecycleStage.PRODUCTION) & ~Q(review_status=ReviewStatus.APPROVED),
        ),
        high_impact=Count("id", filter=Q(is_high_impact=True)),
    )
    # A query of its own: EXISTS in a WHERE is a semi-join, in a COUNT's FILTER a subplan per
    # row (measured 11.9 s at 100,000 use cases against 0.3 s).
    counts["personal"] = use_cases.filter(_personal_data_q()).count()
    unapproved_statuses = [value for value in ReviewStatus.values if value != ReviewStatus.APPROVED]
    risk = {
        "tiers": [
            Figure(_TIER_LABELS[value], counts[f"tier_{value}"], link(risk_tier=value))
            for value in reversed(RiskTier.values)
        ],
        "flags": [
            Figure(
                "In production without a current approval",
                counts["unapproved"],
                link(stage=LifecycleStage.PRODUCTION, review_status=unapproved_statuses),
            ),
            Figure("Touch personal or customer data", counts["personal"], link(personal_data="true")),
            Figure("High-impact", counts["high_impact"], link(high_impact="true")),
        ],
        "credentials": None,
        "unsafe_total": None,
        "rotation_due": None,
    }
    if sees_credentials:
        # The credentials whose details the asker may see (the catalog's credential_storage
        # filter applies the same rule, so each count and its list agree).
        credentials = Credential.objects.all()
        visible = credential_details_filter(user)
        if visible is not None:
            credentials = credentials.filter(visible)
        uses = CredentialUse.objects.filter(_within(use_cases, "use_case"))
        if visible is not None:
            uses = uses.filter(credential__in=credentials.values("pk"))
        unsafe_uses = uses.filter(credential__storage__in=UNSAFE_STORAGES)
        by_storage = {
            row["credential__storage"]: row
            for row in unsafe_uses.values("credential__storage")
            .annotate(
                use_cases=Count("use_case", distinct=True), credentials=Count("credential", distinct=True)
            )
            .order_by()
        }
        risk["credentials"] = [
            {
                "storage": value,
                "label": _STORAGE_LABELS[value],
                "use_cases": by_storage.get(value, {}).get("use_cases", 0),
                "credentials": by_storage.get(value, {}).get("credentials", 0),
                "url": link(credential_storage=value),
            }
            for value in UNSAFE_STORAGES
        ]
        risk["unsafe_total"] = Figure(
            "Use cases using a credential stored in an unsafe place",
            unsafe_uses.aggregate(n=Count("use_case", distinct=True))["n"],
            link(credential_storage=UNSAFE_STORAGES),
        )
        # Credentials some of these use cases use, as ``id IN (subquery)``: no join fanning
        # out to every use (one credential is used by 1,000 use cases at scale).
        used = credentials.filter(pk__in=uses.values("credential_id"))
        due = credentials_due_for_rotation(today=today).order_by().values("pk")
        risk["rotation_due"] = Figure("Credentials due for rotation", used.filter(pk__in=due).count())
    return risk


def _ownership(use_cases, link) -> dict:
    counts = use_cases.aggregate(
        no_owner=Count("id", filter=Q(owner__isnull=True)),
        owner_left=Count("id", filter=Q(owner__isnull=False, owner__is_active=False)),
        no_backup=Count("id", filter=Q(backup_owner__isnull=True) | Q(backup_owner__is_active=False)),
    )
    lead_exists = Exists(
        Membership.objects.filter(team=OuterRef("pk"), role=MembershipRole.LEAD, user__is_active=True)
    )
    production = use_cases.filter(lifecycle_stage=LifecycleStage.PRODUCTION)
    leaderless = [
        {"team": team.name, "slug": team.slug, "production": team.n}
        for team in Team.objects.filter(use_cases__in=production.values("pk"))
        .annotate(n=Count("use_cases", distinct=True))
        .filter(~lead_exists)
        .order_by("-n", "name")[:100]
    ]
    single = list(
        VendorUse.objects.filter(_within(use_cases, "use_case"))
        .values("vendor__name", "vendor__slug")
        .annotate(teams=Count("use_case__team", distinct=True), n=Count("use_case", distinct=True))
        .filter(teams=1)
        .order_by("-n", "vendor__name")[:100]
    )
    return {
        "gaps": [
            Figure("No named owner", counts["no_owner"], link(named_owner="false")),
            Figure("Owner has left", counts["owner_left"], link(owner_left="true")),
            Figure("No active backup owner", counts["no_backup"], link(active_backup_owner="false")),
        ],
        "leaderless_teams": leaderless,
        "single_team_vendors": [
            {"vendor": row["vendor__name"], "use_cases": row["n"], "url": link(vendor=row["vendor__slug"])}
            for row in single
        ],
        "duplicates": duplicate_clusters(use_cases),
    }


def duplicate_clusters(use_cases) -> dict:
    """Likely duplicates: clusters of production use cases of different teams with similar names.

    Two use cases are linked when they belong to different teams and their names' trigram
    similarity is at least ``DUPLICATE_MIN_SIMILARITY`` (PostgreSQL ``pg_trgm``, the GIN
    trigram measure registration ranks names by); clusters are the connected groups. Bounded:
    only the ``DUPLICATE_PROBES`` most recently changed production use cases of ``use_cases``
    are compared, with each other. On SQLite (no trigrams) names equal but for case are
    linked instead.

    Args:
        use_cases: the dashboard's scope (restricted to the asker).

    Returns:
        ``{"count": clusters found, "probed": use cases compared, "min_similarity": float,
        "clusters": [{"name", "use_cases", "teams", "members": [{"id", "name", "team",
        "url"}]}]}``, the ``DUPLICATE_CLUSTERS_SHOWN`` largest clusters (most teams, then most
        use cases). Queries: 3 (the set, the pairs, the clusters' names and teams).
    """
    production = use_cases.filter(lifecycle_stage=LifecycleStage.PRODUCTION, is_draft=False)
    recent = production.order_by("-updated_at", "-id")[:DUPLICATE_PROBES]
    probes = list(recent.values_list("pk", "name", "team_id"))
    pairs: list[tuple[int, int]] = []
    if len(probes) > 1 and connection.vendor == "postgresql":
        # Every pair of the bounded set, compared in the database: at most
        # DUPLICATE_PROBES² / 2 similarity() calls whatever the registry's size. (Probing the
        # trigram index with each name instead took 90 s at 100,000 use cases: the seeded names
        # have thousands of near-identical variants each.)
        with connection.cursor() as cursor:
            cursor.execute(
                "WITH p(id, name, team_id) AS (SELECT * FROM unnest(%s::bigint[], %s::text[], %s::bigint[])) "
                "SELECT a.id, b.id FROM p a JOIN p b ON a.id < b.id AND a.team_id <> b.team_id "
                "WHERE similarity(a.name, b.name) >= %s",
                [
                    [pk for pk, _, _ in probes],
                    [name for _, name, _ in probes],
                    [team_id for _, _, team_id in probes],
                    DUPLICATE_MIN_SIMILARITY,
                ],
            )
            pairs = cursor.fetchall()
    elif len(probes) > 1:
        by_name: dict[str, list[tuple[int, int]]] = {}
        for pk, name, team_id in probes:
            by_name.setdefault(name.strip().lower(), []).append((pk, team_id))
        for members in by_name.values():
            for (a, team_a), (b, team_b) in zip(members, members[1:], strict=False):
                if team_a != team_b:
                    pairs.append((a, b))
    # Union-find over the linked pairs.
    parent: dict[int, int] = {}

    def root(pk: int) -> int:
        parent.setdefault(pk, pk)
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    for a, b in pairs:
        parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for pk in parent:
        groups.setdefault(root(pk), []).append(pk)
    members_of = [sorted(group) for group in groups.values() if len(group) > 1]
    details = (
        {
            row["pk"]: row
            for row in UseCase.objects.filter(pk__in=[pk for group in members_of for pk in group])
            .values("pk", "name", "team_id", "team__name")
            .order_by()
        }
        if members_of
        else {}
    )
    clusters = []
    for group in members_of:
        rows = [details[pk] for pk in group if pk in details]
        teams = {row["team_id"] for row in rows}
        if len(teams) < 2:
            continue
        rows.sort(key=lambda row: (row["name"].lower(), row["pk"]))
        clusters.append(
            {
                "name": rows[0]["name"],
                "use_cases": len(rows),
                "teams": len(teams),
                "members": [
                    {
                        "id": row["pk"],
                        "name": row["name"],
                        "team": row["team__name"],
                        "url": reverse("registry:use_case_detail", args=[row["pk"]]),
                    }
                    for row in rows
                ],
            }
        )
    clusters.sort(key=lambda cluster: (-cluster["teams"], -cluster["use_cases"], cluster["name"].lower()))
    return {
        "count": len(clusters),
        "probed": len(probes),
        "min_similarity": DUPLICATE_MIN_SIMILARITY,
        "clusters": clusters[:DUPLICATE_CLUSTERS_SHOWN],
    }


def _reviews(use_cases, now, queue_links: bool) -> dict:
    """The review flow.

    Returns:
        ``open_by_tier``: per tier (riskiest first) ``{"tier", "value", "sla_days", "open",
        "late", "bands": [counts per ``REVIEW_AGE_BANDS``], "url"}``; open means what the
        review queue lists (open states and unconfirmed spot checks), ``late`` those past the
        tier's ``REVIEW_SLA_DAYS`` and waiting on a reviewer (not on the builder: changes
        requested), as the queue marks them overdue; ``url`` is the queue filtered to the tier
        (only for a whole-estate dashboard of someone who may see the queue).
        ``median_by_month``: per month decided, the median days from request to decision of
        the registry's reviews. ``lead_time_by_team``: per team, the median days from
        registration to first approval of the use cases approved in the last 12 months.
        ``decisions`` / ``self_attested`` / ``self_attested_share``: decisions of the last 12
        months (imported authorisations left out) and the self-attested part (a percentage).
    """
    sla = settings.REVIEW_SLA_DAYS
    late = Q()
    for tier, days in sla.items():
        late |= Q(use_case__risk_tier=tier, requested_at__lt=now - timedelta(days=days))
    late &= ~Q(state=ReviewState.CHANGES_REQUESTED)
    reviews = SecurityReview.objects.filter(_within(use_cases, "use_case"))
    bands = {}
    for key, _, start, end in REVIEW_AGE_BANDS:
        band = Q(requested_at__lte=now - timedelta(days=start))
        if end is not None:
            band &= Q(requested_at__gt=now - timedelta(days=end))
        bands[f"band_{key}"] = Count("id", filter=band)
    open_rows = {
        row["use_case__risk_tier"]: row
        for row in open_reviews_ordered(reviews)
        .order_by()
        .values("use_case__risk_tier")
        .annotate(open=Count("id"), late=Count("id", filter=late), **bands)
        .order_by()
    }
    by_tier = []
    for value in reversed(RiskTier.values):
        row = open_rows.get(value, {})
        by_tier.append(
            {
                "tier": _TIER_LABELS[value],
                "value": value,
                "sla_days": sla.get(value),
                "open": row.get("open", 0),
                "late": row.get("late", 0),
                "bands": [row.get(f"band_{key}", 0) for key, *_ in REVIEW_AGE_BANDS],
                "url": f"{reverse('registry:review_queue')}?{urlencode({'tier': value})}"
                if queue_links
                else "",
            }
        )
    months = _months_back(timezone.localtime(now).date(), 12)
    decided = reviews.filter(decided_at__isnull=False, decided_at__gte=_month_start(months[0])).exclude(
        source=ReviewSource.IMPORTED_ATO
    )
    durations: dict[dt.date, list[float]] = {month: [] for month in months}
    first_approval: dict[int, tuple[int, float]] = {}
    total = self_attested = 0
    approved = (ReviewState.APPROVED, ReviewState.EXPIRED)
    # Bounded: one row per decision of the last 12 months (a few narrow columns).
    rows = decided.values_list(
        "requested_at",
        "decided_at",
        "source",
        "state",
        "use_case_id",
        "use_case__team_id",
        "use_case__created_at",
    )
    for requested_at, decided_at, source, state, use_case_id, team_id, created_at in rows:
        total += 1
        if state in approved:
            days = max((decided_at - created_at).total_seconds() / 86400, 0.0)
            if use_case_id not in first_approval or days < first_approval[use_case_id][1]:
                first_approval[use_case_id] = (team_id, days)
        if source == ReviewSource.SELF_ATTESTED:
            self_attested += 1
            continue
        month = _month_key(decided_at)
        if month in durations:
            durations[month].append((decided_at - requested_at).total_seconds() / 86400)
    median = [
        {
            "month": month.strftime("%b %Y"),
            "decided": len(values),
            "median_days": round(statistics.median(values), 1) if values else None,
        }
        for month, values in durations.items()
    ]
    per_team: dict[int, list[float]] = {}
    for team_id, days in first_approval.values():
        per_team.setdefault(team_id, []).append(days)
    team_names = dict(Team.objects.filter(pk__in=per_team).values_list("pk", "name")) if per_team else {}
    lead_time = sorted(
        (
            {
                "team": team_names.get(team_id, ""),
                "approved": len(values),
                "median_days": round(statistics.median(values), 1),
            }
            for team_id, values in per_team.items()
        ),
        key=lambda row: (-row["approved"], row["team"]),
    )
    return {
        "open_by_tier": by_tier,
        "age_bands": [label for _, label, _, _ in REVIEW_AGE_BANDS],
        "open_total": sum(row["open"] for row in by_tier),
        "late_total": sum(row["late"] for row in by_tier),
        "open_url": reverse("registry:review_queue") if queue_links else "",
        "median_by_month": median,
        "lead_time_by_team": lead_time,
        "decisions": total,
        "self_attested": self_attested,
        "self_attested_share": _share(self_attested, total),
    }


def _value(use_cases, today, whole_estate: bool, standing, user, now) -> dict:
    """Hours saved and cost per month by team (usage reports of the last 6 months), the
    library's most adopted entries, and ``candidates``: a ``Figure`` of the use cases meeting
    every graduation criterion and not yet in the library (``library_candidates``), linked to
    the candidates page for those who curate (the page lists them, near misses after)."""
    months = _months_back(today, 6)
    rows = (
        UsageReport.objects.filter(_within(use_cases, "use_case"), period__gte=months[0])
        .values("period", "use_case__team__name")
        .annotate(hours=Sum("hours_saved"), cost=Sum("cost"))
        .order_by("use_case__team__name", "period")
    )
    by_team: dict[str, dict] = {}
    totals = {month: {"hours": 0, "cost": 0} for month in months}
    for row in rows:
        month = _month_key(row["period"])
        team = by_team.setdefault(row["use_case__team__name"], {month: None for month in months})
        # SQLite sums decimals as numbers: give both databases the columns' precision.
        hours = Decimal(str(row["hours"] or 0)).quantize(Decimal("0.1"))
        cost = Decimal(str(row["cost"] or 0)).quantize(Decimal("0.01"))
        team[month] = {"hours": hours, "cost": cost}
        if month in totals:
            totals[month]["hours"] += hours
            totals[month]["cost"] += cost
    adoptions = Adoption.objects.all()
    if not whole_estate:
        adoptions = adoptions.filter(
            Q(team_id__in=standing.led_team_ids) | Q(team__parent_id__in=standing.led_team_ids)
        )
    top = (
        LibraryEntry.objects.filter(status=LibraryEntry.Status.LISTED)
        .annotate(n=Count("adoptions", filter=Q(adoptions__in=adoptions.values("pk"))))
        .filter(n__gt=0)
        .order_by("-n", "use_case__name")
        .values("pk", "use_case__name", "n")[:10]
    )
    candidates = _candidates_waiting(use_cases, now)
    candidates_url = (
        reverse("registry:library_candidates") if whole_estate and can_curate_library(user) else ""
    )
    return {
        "candidates": Figure("Promotion candidates waiting", candidates, candidates_url),
        "months": [month.strftime("%b %Y") for month in months],
        "month_keys": months,
        "by_team": [
            {"team": name, "cells": [cells[month] for month in months]}
            for name, cells in sorted(by_team.items())
        ],
        "totals": [Figure(month.strftime("%b %Y"), totals[month]["hours"]) for month in months],
        "costs": [Figure(month.strftime("%b %Y"), totals[month]["cost"]) for month in months],
        "library_top": [
            {
                "name": row["use_case__name"],
                "adoptions": row["n"],
                "url": reverse("registry:library_entry_detail", args=[row["pk"]]),
            }
            for row in top
        ],
        "currency": settings.CURRENCY,
    }


def _candidates_waiting(use_cases, now) -> int | None:
    """How many of ``use_cases`` meet every graduation criterion and are not in the library:
    the candidates page's "ready to promote" list (``library_candidates``), decided the same
    way (the SQL facts of ``graduation_annotate``, then the rule itself on those rows) but with
    every column criterion filtered first so that the subqueries run on few rows
    (``library_candidates`` keeps the near misses too: 5.5 s at 100,000 use cases). Like that
    page, at most ``CANDIDATES_COUNTED`` are evaluated. None when PostgreSQL could not answer
    within ``CANDIDATES_TIMEOUT_MS``."""
    ready = (
        use_cases.filter(
            is_draft=False,
            suspended_at__isnull=True,
            lifecycle_stage=LifecycleStage.PRODUCTION,
            owner__is_active=True,
            backup_owner__is_active=True,
            ownership_note="",
        )
        .exclude(documentation_url="")
        .exclude(library_entry__status__in=IN_LIBRARY_STATUSES)
    )
    query = (
        graduation_annotate(ready, now=now)
        .filter(g_misses=0)
        .select_related("owner", "backup_owner")
        .defer(*_CANDIDATE_DEFERRED)
        .order_by()[:CANDIDATES_COUNTED]
    )
    if connection.vendor != "postgresql":
        rows = list(query)
    else:
        # Time-boxed: the graduation subqueries took over 15 s at 100,000 use cases (16,666
        # rows pass the column criteria there). Rather than hold the page, the figure is then
        # left out (None) and the candidates page has the answer.
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL statement_timeout = %s", [CANDIDATES_TIMEOUT_MS])
                rows = list(query)
                with connection.cursor() as cursor:  # an enclosing transaction keeps its own limit
                    cursor.execute("SET LOCAL statement_timeout TO DEFAULT")
        except OperationalError:
            return None
    return sum(1 for _, assessment in assess_annotated(rows, now=now) if not assessment.unmet)


#: Big columns the graduation rule does not read.
_CANDIDATE_DEFERRED = ("source_row", "search_vector", "description", "outputs", "risk_reasons")
#: Most promotion candidates evaluated (the candidates page evaluates at most 500 too).
CANDIDATES_COUNTED = 500
#: Milliseconds the promotion candidates' count may take before it is left out.
CANDIDATES_TIMEOUT_MS = 500


def dashboard_csv_rows(dashboard: Dashboard, panel: str) -> list[list]:
    """The rows of one panel's CSV export, header first: ``section, label, value, detail``
    (``team, month, hours saved, cost`` for the value panel's table).

    Raises:
        KeyError: for an unknown panel.
    """
    data = dashboard.panels[panel]
    rows: list[list] = []
    if panel == "reviews":
        rows.append(["section", "label", "value", "detail"])
        for row in data["open_by_tier"]:
            rows.append(["open reviews", row["tier"], row["open"], f"past service level: {row['late']}"])
            for band, n in zip(data["age_bands"], row["bands"], strict=True):
                rows.append(["open reviews by age", row["tier"], n, band])
        for row in data["median_by_month"]:
            median = "" if row["median_days"] is None else row["median_days"]
            rows.append(["median days to decision", row["month"], median, f"decisions: {row['decided']}"])
        for row in data["lead_time_by_team"]:
            rows.append(
                [
                    "median days registered to approved",
                    row["team"],
                    row["median_days"],
                    f"approved: {row['approved']}",
                ]
            )
        rows.append(
            ["self-attested", "decisions", data["decisions"], f"self-attested: {data['self_attested']}"]
        )
        return rows
    if panel == "value":
        rows.append(["team", "month", "hours saved", f"cost ({data['currency']})"])
        for team in data["by_team"]:
            for month, cell in zip(data["months"], team["cells"], strict=True):
                if cell is not None:
                    rows.append([team["team"], month, cell["hours"], cell["cost"]])
        for entry in data["library_top"]:
            rows.append(["library", entry["name"], entry["adoptions"], "adoptions"])
        rows.append(
            ["candidates", data["candidates"].label, data["candidates"].value, data["candidates"].url]
        )
        return rows
    rows.append(["section", "label", "value", "link"])
    for section, items in data.items():
        if isinstance(items, Figure):
            items = [items]
        if section == "duplicates":
            rows.append([section, "clusters", items["count"], f"probed: {items['probed']}"])
            for cluster in items["clusters"]:
                members = "; ".join(f"{member['name']} ({member['team']})" for member in cluster["members"])
                rows.append(["duplicate cluster", cluster["name"], cluster["use_cases"], members])
            continue
        if not isinstance(items, list):
            continue
        for item in items:
            if isinstance(item, Figure):
                rows.append([section, item.label, item.value, item.url])
            elif section == "credentials":
                rows.append([section, item["label"], item["use_cases"], item["url"]])
                rows.append(["credentials (count)", item["label"], item["credentials"], ""])
            elif section == "leaderless_teams":
                rows.append([section, item["team"], item["production"], ""])
            elif section == "single_team_vendors":
                rows.append([section, item["vendor"], item["use_cases"], item["url"]])
    return rows
