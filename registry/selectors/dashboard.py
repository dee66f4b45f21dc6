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
import statistics
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from accounts.choices import MembershipRole
from accounts.models import Membership, Team
from accounts.permissions import can_view_ownership_gaps, ownership_gaps_scope, standing_of

from ..choices import (
    OPEN_REVIEW_STATES,
    UNSAFE_CREDENTIAL_STORAGE,
    CredentialStorage,
    LifecycleStage,
    ReviewSource,
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
from ..services.sweeps import credentials_due_for_rotation

#: The panels, in page order; each is also ``/dashboard/<panel>.csv``.
PANELS = ("inventory", "risk", "ownership", "reviews", "value")

_TIER_LABELS = dict(RiskTier.choices)
_STORAGE_LABELS = dict(CredentialStorage.choices)


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
    return f"{reverse('registry:use_case_list')}?{urlencode(query, doseq=True)}"


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
    dashboard.panels["inventory"] = _inventory(use_cases, today, link)
    dashboard.panels["risk"] = _risk(use_cases, today, link, sees_credentials)
    dashboard.panels["ownership"] = _ownership(use_cases, link)
    dashboard.panels["reviews"] = _reviews(use_cases, now)
    dashboard.panels["value"] = _value(use_cases, today, scope is None, standing)
    return dashboard


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
        Figure("Registered in the registry", total - imported),
        Figure("Imported from an inventory", imported),
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


def _risk(use_cases, today, link, sees_credentials) -> dict:
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
        "rotation_due": None,
    }
    if sees_credentials:
        # Credentials some of these use cases use, as ``id IN (subquery)``: no join fanning
        # out to every use (one credential is used by 1,000 use cases at scale).
        used = Credential.objects.filter(
            pk__in=CredentialUse.objects.filter(_within(use_cases, "use_case")).values("credential_id")
        )
        unsafe = {
            row["storage"]: row["n"]
            for row in used.filter(storage__in=UNSAFE_CREDENTIAL_STORAGE)
            .values("storage")
            .annotate(n=Count("id"))
            .order_by()
        }
        risk["credentials"] = [
            Figure(_STORAGE_LABELS[value], unsafe.get(value, 0))
            for value in CredentialStorage.values
            if value in UNSAFE_CREDENTIAL_STORAGE
        ]
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
            Figure("Owner has left", counts["owner_left"], reverse("registry:ownership_gaps")),
            Figure("No active backup owner", counts["no_backup"]),
        ],
        "leaderless_teams": leaderless,
        "single_team_vendors": [
            {"vendor": row["vendor__name"], "use_cases": row["n"], "url": link(vendor=row["vendor__slug"])}
            for row in single
        ],
    }


def _reviews(use_cases, now) -> dict:
    sla = settings.REVIEW_SLA_DAYS
    late = Q()
    for tier, days in sla.items():
        late |= Q(use_case__risk_tier=tier, requested_at__lt=now - timedelta(days=days))
    reviews = SecurityReview.objects.filter(_within(use_cases, "use_case"))
    open_rows = {
        row["use_case__risk_tier"]: row
        for row in reviews.filter(state__in=OPEN_REVIEW_STATES)
        .values("use_case__risk_tier")
        .annotate(open=Count("id"), late=Count("id", filter=late))
        .order_by()
    }
    by_tier = [
        {
            "tier": _TIER_LABELS[value],
            "sla_days": sla.get(value),
            "open": open_rows.get(value, {}).get("open", 0),
            "late": open_rows.get(value, {}).get("late", 0),
        }
        for value in reversed(RiskTier.values)
    ]
    months = _months_back(timezone.localtime(now).date(), 12)
    decided = reviews.filter(decided_at__isnull=False, decided_at__gte=_month_start(months[0])).exclude(
        source=ReviewSource.IMPORTED_ATO
    )
    durations: dict[dt.date, list[float]] = {month: [] for month in months}
    total = self_attested = 0
    # Bounded: one row per decision of the last 12 months (three columns).
    for requested_at, decided_at, source in decided.values_list("requested_at", "decided_at", "source"):
        total += 1
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
    return {
        "open_by_tier": by_tier,
        "open_total": sum(row["open"] for row in by_tier),
        "late_total": sum(row["late"] for row in by_tier),
        "median_by_month": median,
        "decisions": total,
        "self_attested": self_attested,
        "self_attested_share": _share(self_attested, total),
    }


def _value(use_cases, today, whole_estate: bool, standing) -> dict:
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
    return {
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


def dashboard_csv_rows(dashboard: Dashboard, panel: str) -> list[list]:
    """The rows of one panel's CSV export, header first: ``section, label, value[, extra]``.

    Raises:
        KeyError: for an unknown panel.
    """
    data = dashboard.panels[panel]
    rows: list[list] = []
    if panel == "reviews":
        rows.append(["section", "label", "value", "detail"])
        for row in data["open_by_tier"]:
            rows.append(["open reviews", row["tier"], row["open"], f"past service level: {row['late']}"])
        for row in data["median_by_month"]:
            median = "" if row["median_days"] is None else row["median_days"]
            rows.append(["median days to decision", row["month"], median, f"decisions: {row['decided']}"])
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
        return rows
    rows.append(["section", "label", "value", "link"])
    for section, items in data.items():
        if isinstance(items, Figure):
            items = [items]
        if not isinstance(items, list):
            continue
        for item in items:
            if isinstance(item, Figure):
                rows.append([section, item.label, item.value, item.url])
            elif panel == "ownership" and section == "leaderless_teams":
                rows.append([section, item["team"], item["production"], ""])
            elif panel == "ownership" and section == "single_team_vendors":
                rows.append([section, item["vendor"], item["use_cases"], item["url"]])
    return rows
