"""Reads of the shared library: graduation facts and candidates, library entries (restricted,
searched, filtered), usage reports and foundation documents.

Graduation facts come two ways, both fed to the one rule (``registry.rules.graduation``):

- ``graduation_facts_for(use_case)``: one use case, from what its page already loaded
  (``use_case_detail`` prefetches its reviews, data access and credentials): one query for its
  latest usage report.
- ``graduation_annotate(queryset)``: a list, in SQL. Each criterion that is a column or an
  ``EXISTS`` becomes an annotation and a 0/1 miss flag, so the candidates page filters
  thousands of use cases down to those missing at most one criterion in the database, then
  evaluates only that short list in Python (plus one query for the approvals' conditions).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.permissions import can_curate_library, standing_of

from ..choices import UNSAFE_CREDENTIAL_STORAGE, AccessMode, DataClassification, LifecycleStage, ReviewState
from ..models import (
    Adoption,
    CredentialUse,
    DataAccess,
    FoundationDocument,
    FoundationDocumentUse,
    FoundationDocumentVersion,
    LibraryEntry,
    SecurityReview,
    UsageReport,
    UseCase,
    Vendor,
    VendorUse,
)
from ..rules.graduation import (
    WEEKS_PER_MONTH,
    GraduationAssessment,
    GraduationFacts,
    PersonFact,
    UsageFact,
    graduation_assess,
    weekly_hours,
)

#: Entry statuses each kind of reader may open: curators (and admins) every one.
READER_STATUSES = (LibraryEntry.Status.LISTED, LibraryEntry.Status.DEPRECATED)
#: Entries a use case counts as "already in the library" (an unlisted one may be promoted again).
IN_LIBRARY_STATUSES = (LibraryEntry.Status.LISTED, LibraryEntry.Status.DEPRECATED)


def _person(user) -> PersonFact | None:
    if user is None:
        return None
    return PersonFact(name=user.get_full_name() or user.get_username(), is_active=user.is_active)


def _sensitive_source(data_source) -> bool:
    return bool(
        data_source.has_personal_data
        or data_source.has_customer_data
        or data_source.classification == DataClassification.RESTRICTED
    )


# --- one use case ---------------------------------------------------------------------------


def latest_usage_report(use_case: UseCase) -> UsageReport | None:
    """The use case's most recent monthly usage report, or None (one query)."""
    return UsageReport.objects.filter(use_case=use_case).order_by("-period").first()


def usage_fact(use_case: UseCase, report: UsageReport | None) -> UsageFact:
    """The usage the ``usage`` criterion reads: the latest report, else the registry's figures."""
    if report is not None:
        return UsageFact(
            source="report",
            period=report.period,
            active_users=report.active_users,
            hours_saved_per_week=weekly_hours(report.hours_saved),
        )
    return UsageFact(
        source="registry",
        active_users=use_case.users_count,
        hours_saved_per_week=use_case.hours_saved_per_week,
    )


def graduation_facts_for(use_case: UseCase, *, report: UsageReport | None | bool = False) -> GraduationFacts:
    """The graduation facts of one loaded use case.

    Args:
        use_case: ideally loaded by ``registry.selectors.use_cases.use_case_detail`` (its
            reviews, data access and credential uses prefetched, owners joined); otherwise
            each is one query.
        report: its latest usage report when the caller has it (``None``: it has none);
            left out, it is read (one query).

    Returns:
        ``GraduationFacts`` for ``registry.rules.graduation.graduation_assess``.
    """
    if report is False:
        report = latest_usage_report(use_case)
    reviews = list(use_case.reviews.all())  # newest first (the model's ordering)
    latest = reviews[0] if reviews else None
    accesses = list(use_case.data_accesses.all())
    credential_uses = list(use_case.credential_uses.all())
    return GraduationFacts(
        lifecycle_stage=use_case.lifecycle_stage,
        is_suspended=use_case.suspended_at is not None,
        review_state=latest.state if latest else None,
        review_expires_at=latest.expires_at if latest else None,
        review_conditions=tuple(str(c) for c in (latest.conditions or [])) if latest else (),
        handles_personal_data=use_case.handles_personal_data,
        exposure=use_case.exposure,
        reads_sensitive_data=any(_sensitive_source(a.data_source) for a in accesses),
        writes_data=any(a.access != AccessMode.READ for a in accesses),
        owner=_person(use_case.owner),
        backup_owner=_person(use_case.backup_owner),
        ownership_note=use_case.ownership_note,
        documentation_url=use_case.documentation_url,
        unsafe_credentials=sum(
            1 for u in credential_uses if u.credential.storage in UNSAFE_CREDENTIAL_STORAGE
        ),
        usage=usage_fact(use_case, report),
    )


def use_case_graduation(use_case: UseCase, *, now=None, report: UsageReport | None | bool = False):
    """``graduation_assess(graduation_facts_for(use_case))``: every criterion, met or not, and why."""
    return graduation_assess(graduation_facts_for(use_case, report=report), now=now)


# --- many use cases, in SQL --------------------------------------------------------------------


def _min_hours_per_month() -> Decimal:
    return Decimal(str(settings.LIBRARY_MIN_HOURS_SAVED_PER_WEEK)) * WEEKS_PER_MONTH


def graduation_annotate(queryset: QuerySet, *, now: dt.datetime | None = None) -> QuerySet:
    """Annotate a use-case queryset with the graduation facts and a miss flag per criterion.

    Annotations: ``g_review_id``, ``g_review_state``, ``g_review_expires_at`` (its latest
    review), ``g_report_period``, ``g_report_users``, ``g_report_hours`` (its latest usage
    report; hours a month), ``g_unsafe_credentials`` (a count), ``g_sensitive_data`` and
    ``g_writes`` (booleans), ``g_users`` and ``g_hours_week`` (the usage the criterion reads,
    for ordering by value); ``m_production``, ``m_approved``, ``m_owners``,
    ``m_documentation``, ``m_credentials``, ``m_usage`` (1 when missed) and ``g_misses``, their
    sum. ``m_approved`` does not check the approval's conditions (a JSON list): 0 there means
    "approved and not expired", and the Python rule has the last word.
    """
    now = now or timezone.now()
    latest_review = SecurityReview.objects.filter(use_case=OuterRef("pk")).order_by("-requested_at", "-id")
    latest_report = UsageReport.objects.filter(use_case=OuterRef("pk")).order_by("-period")
    unsafe = (
        CredentialUse.objects.filter(
            use_case=OuterRef("pk"), credential__storage__in=UNSAFE_CREDENTIAL_STORAGE
        )
        .order_by()
        .values("use_case")
        .annotate(n=Count("id"))
        .values("n")
    )
    accesses = DataAccess.objects.filter(use_case=OuterRef("pk"))
    sensitive = accesses.filter(
        Q(data_source__has_personal_data=True)
        | Q(data_source__has_customer_data=True)
        | Q(data_source__classification=DataClassification.RESTRICTED)
    )
    min_users = settings.LIBRARY_MIN_ACTIVE_USERS
    queryset = queryset.annotate(
        g_review_id=Subquery(latest_review.values("pk")[:1]),
        g_review_state=Subquery(latest_review.values("state")[:1]),
        g_review_expires_at=Subquery(latest_review.values("expires_at")[:1]),
        g_report_period=Subquery(latest_report.values("period")[:1]),
        g_report_users=Subquery(latest_report.values("active_users")[:1]),
        g_report_hours=Subquery(latest_report.values("hours_saved")[:1]),
        g_unsafe_credentials=Coalesce(Subquery(unsafe, output_field=IntegerField()), Value(0)),
        g_sensitive_data=Exists(sensitive),
        g_writes=Exists(accesses.exclude(access=AccessMode.READ)),
    )
    has_report = Q(g_report_period__isnull=False)
    return queryset.annotate(
        g_users=Case(
            When(has_report, then=F("g_report_users")),
            default=F("users_count"),
            output_field=IntegerField(),
        ),
        g_hours_week=Case(
            When(
                has_report, then=ExpressionWrapper(F("g_report_hours") * 12 / 52, output_field=DecimalField())
            ),
            default=F("hours_saved_per_week"),
            output_field=DecimalField(max_digits=12, decimal_places=2),
        ),
        m_production=_miss(Q(lifecycle_stage=LifecycleStage.PRODUCTION)),
        m_approved=_miss(
            Q(g_review_state=ReviewState.APPROVED)
            & (Q(g_review_expires_at__isnull=True) | Q(g_review_expires_at__gt=now))
        ),
        m_owners=_miss(Q(owner__is_active=True) & Q(backup_owner__is_active=True) & Q(ownership_note="")),
        m_documentation=_miss(~Q(documentation_url="")),
        m_credentials=_miss(Q(g_unsafe_credentials=0)),
        m_usage=_miss(
            (has_report & (Q(g_report_users__gte=min_users) | Q(g_report_hours__gte=_min_hours_per_month())))
            | (
                Q(g_report_period__isnull=True)
                & (
                    Q(users_count__gte=min_users)
                    | Q(hours_saved_per_week__gte=settings.LIBRARY_MIN_HOURS_SAVED_PER_WEEK)
                )
            )
        ),
    ).annotate(
        g_misses=F("m_production")
        + F("m_approved")
        + F("m_owners")
        + F("m_documentation")
        + F("m_credentials")
        + F("m_usage")
    )


def _miss(met: Q) -> Case:
    return Case(When(met, then=Value(0)), default=Value(1), output_field=IntegerField())


def facts_from_annotated(use_case: UseCase, conditions: list | tuple = ()) -> GraduationFacts:
    """The facts of a use case loaded through ``graduation_annotate`` (owners joined)."""
    if use_case.g_report_period is not None:
        usage = UsageFact(
            source="report",
            period=use_case.g_report_period,
            active_users=use_case.g_report_users,
            hours_saved_per_week=weekly_hours(use_case.g_report_hours),
        )
    else:
        usage = UsageFact(
            source="registry",
            active_users=use_case.users_count,
            hours_saved_per_week=use_case.hours_saved_per_week,
        )
    expires = use_case.g_review_expires_at
    if isinstance(expires, str):  # SQLite returns a subquery's datetime as text
        expires = dt.datetime.fromisoformat(expires)
    if expires is not None and timezone.is_naive(expires):
        expires = timezone.make_aware(expires, dt.UTC)
    period = use_case.g_report_period
    if isinstance(period, str):
        usage = UsageFact(
            source=usage.source,
            period=dt.date.fromisoformat(period),
            active_users=usage.active_users,
            hours_saved_per_week=usage.hours_saved_per_week,
        )
    return GraduationFacts(
        lifecycle_stage=use_case.lifecycle_stage,
        is_suspended=use_case.suspended_at is not None,
        review_state=use_case.g_review_state,
        review_expires_at=expires,
        review_conditions=tuple(str(c) for c in (conditions or ())),
        handles_personal_data=use_case.handles_personal_data,
        exposure=use_case.exposure,
        reads_sensitive_data=bool(use_case.g_sensitive_data),
        writes_data=bool(use_case.g_writes),
        owner=_person(use_case.owner),
        backup_owner=_person(use_case.backup_owner),
        ownership_note=use_case.ownership_note,
        documentation_url=use_case.documentation_url,
        unsafe_credentials=int(use_case.g_unsafe_credentials or 0),
        usage=usage,
    )


def assess_annotated(use_cases: list[UseCase], *, now=None) -> list[tuple[UseCase, GraduationAssessment]]:
    """Assess use cases loaded through ``graduation_annotate``: one query for the conditions
    of their latest approvals, whatever their number."""
    review_ids = [uc.g_review_id for uc in use_cases if uc.g_review_state == ReviewState.APPROVED]
    conditions = dict(SecurityReview.objects.filter(pk__in=review_ids).values_list("pk", "conditions"))
    return [
        (uc, graduation_assess(facts_from_annotated(uc, conditions.get(uc.g_review_id) or ()), now=now))
        for uc in use_cases
    ]


@dataclass
class CandidateRow:
    """A use case on the candidates page: its assessment and the usage it is ordered by."""

    use_case: UseCase
    assessment: GraduationAssessment
    users: int | None
    hours_per_week: Decimal | None
    usage_source: str

    @property
    def missing(self):
        """The criterion a near-miss misses (None for an eligible one)."""
        unmet = self.assessment.unmet
        return unmet[0] if unmet else None


@dataclass
class Candidates:
    """Use cases meeting every criterion (``eligible``) and missing exactly one
    (``near_misses``), each ordered by value: users, then hours saved a week."""

    eligible: list[CandidateRow] = field(default_factory=list)
    near_misses: list[CandidateRow] = field(default_factory=list)
    #: More use cases than ``limit`` missed at most one criterion in SQL: lists are cut.
    truncated: bool = False


def library_candidates(user, *, now=None, limit: int = 500) -> Candidates:
    """Use cases ``user`` may see that graduate (or nearly do) and are not in the library.

    Drafts, suspended use cases and those already listed or deprecated in the library are left
    out (an unlisted entry's use case may be promoted again). The database keeps only those
    missing at most one SQL-checkable criterion (the column criteria filtered first, so the
    subqueries run on few rows), most valuable first; Python then evaluates that short list
    with the rule (the approval's conditions included).

    Args:
        user: the asker (the page and the API check ``can_curate_library`` themselves).
        limit: at most this many use cases are evaluated (``truncated`` says when more were).

    Returns:
        ``Candidates``. Queries: 2 (the list, the approvals' conditions), whatever the count.
    """
    now = now or timezone.now()
    queryset = (
        UseCase.objects.restrict(user, "view")
        .filter(is_draft=False, suspended_at__isnull=True)
        .exclude(library_entry__status__in=IN_LIBRARY_STATUSES)
    )
    queryset = (
        graduation_annotate(queryset, now=now)
        # The criteria that are plain columns first: the database then runs the subqueries
        # (latest review, latest report, credentials, data access) only for the rows that pass
        # them (4,109 use cases: 44 ms without this filter, 11 ms with it, PostgreSQL 15).
        .annotate(g_column_misses=F("m_production") + F("m_documentation") + F("m_owners"))
        .filter(g_column_misses__lte=1, g_misses__lte=1)
        .select_related("team", "team__parent", "owner", "backup_owner")
        .defer(
            "source_row",
            "search_vector",
            "description",
            "outputs",
            "risk_reasons",
            "high_impact_justification",
        )
        .order_by(
            "g_misses",
            F("g_users").desc(nulls_last=True),
            F("g_hours_week").desc(nulls_last=True),
            "name",
            "id",
        )
    )
    rows = list(queryset[: limit + 1])
    result = Candidates(truncated=len(rows) > limit)
    for use_case, assessment in assess_annotated(rows[:limit], now=now):
        unmet = len(assessment.unmet)
        if unmet > 1:
            continue
        usage = facts_from_annotated(use_case).usage
        row = CandidateRow(
            use_case=use_case,
            assessment=assessment,
            users=usage.active_users,
            hours_per_week=usage.hours_saved_per_week,
            usage_source=usage.source,
        )
        (result.eligible if unmet == 0 else result.near_misses).append(row)
    key = _value_key
    result.eligible.sort(key=key)
    result.near_misses.sort(key=key)
    return result


def _value_key(row: CandidateRow):
    return (-(row.users or 0), -(row.hours_per_week or 0), row.use_case.name.lower(), row.use_case.pk)


# --- library entries ---------------------------------------------------------------------------


def library_statuses_for(user) -> tuple[str, ...]:
    """Entry statuses ``user`` may open: curators and admins all, everyone else listed and
    deprecated (a deprecated entry's page says what replaces it)."""
    if can_curate_library(user):
        return tuple(LibraryEntry.Status.values)
    return READER_STATUSES


def library_entries_for(user, *, statuses: tuple[str, ...] | None = None) -> QuerySet:
    """Library entries ``user`` may see, with what a card shows joined and annotated.

    Args:
        user: the asker; entries of use cases they may not see are left out, and so are
            suspended use cases' (hidden from the library at once) except for curators.
        statuses: entry statuses wanted (default: listed only); statuses the asker may not
            open (``library_statuses_for``) are dropped.

    Returns:
        A queryset of ``LibraryEntry`` (``use_case``, its team and owner joined; its vendors
        prefetched) annotated with ``adoption_count``, ``report_period``, ``report_users`` and
        ``report_hours`` (its latest usage report; hours a month). Unordered.
    """
    allowed = library_statuses_for(user)
    wanted = [s for s in (statuses or (LibraryEntry.Status.LISTED,)) if s in allowed]
    queryset = LibraryEntry.objects.filter(status__in=wanted)
    if not can_curate_library(user):
        queryset = queryset.filter(use_case__suspended_at__isnull=True)
    if not standing_of(user).reads_everything:
        queryset = queryset.filter(use_case__in=UseCase.objects.restrict(user, "view").values("pk"))
    latest_report = UsageReport.objects.filter(use_case=OuterRef("use_case_id")).order_by("-period")
    adoptions = (
        Adoption.objects.filter(entry=OuterRef("pk"))
        .order_by()
        .values("entry")
        .annotate(n=Count("id"))
        .values("n")
    )
    vendors = Prefetch("use_case__vendors", queryset=Vendor.objects.only("id", "name", "slug").distinct())
    return (
        queryset.select_related("use_case", "use_case__team", "use_case__team__parent", "use_case__owner")
        .defer(*(f"use_case__{name}" for name in ("source_row", "search_vector", "risk_reasons")))
        .prefetch_related(vendors)
        .annotate(
            adoption_count=Coalesce(Subquery(adoptions, output_field=IntegerField()), Value(0)),
            report_period=Subquery(latest_report.values("period")[:1]),
            report_users=Subquery(latest_report.values("active_users")[:1]),
            report_hours=Subquery(latest_report.values("hours_saved")[:1]),
        )
    )


def library_search(queryset: QuerySet, text: str) -> QuerySet:
    """Filter library entries to those matching ``text`` and annotate ``rank``.

    On PostgreSQL: the use case's full-text ``search_vector`` (name, purpose, description;
    GIN-indexed) or the entry's reuse summary and category (few rows: computed on the fly),
    ``websearch_to_tsquery`` syntax. On SQLite: every word in the use case's name, purpose or
    description or the entry's reuse summary or category (case-insensitive). Blank text:
    unchanged, ``rank`` 0.
    """
    text = (text or "").strip()
    if not text:
        return queryset.annotate(rank=Value(0.0))
    if connection.vendor == "postgresql":
        query = SearchQuery(text, search_type="websearch", config="english")
        return (
            queryset.annotate(entry_vector=SearchVector("reuse_summary", "category", config="english"))
            .filter(Q(use_case__search_vector=query) | Q(entry_vector=query))
            .annotate(
                rank=Coalesce(SearchRank(F("use_case__search_vector"), query), Value(0.0))
                + SearchRank(F("entry_vector"), query)
            )
        )
    condition = Q()
    for word in text.split():
        condition &= (
            Q(use_case__name__icontains=word)
            | Q(use_case__purpose__icontains=word)
            | Q(use_case__description__icontains=word)
            | Q(reuse_summary__icontains=word)
            | Q(category__icontains=word)
        )
    name_hit = Q()
    for word in text.split():
        name_hit &= Q(use_case__name__icontains=word)
    return queryset.filter(condition).annotate(rank=Case(When(name_hit, then=Value(1.0)), default=Value(0.0)))


@dataclass
class LibraryFilters:
    """What the library page and ``GET /api/library/`` filter by (all optional)."""

    search: str = ""
    category: str = ""
    team: str = ""  # a team's slug; an organisation unit includes its sub-teams
    vendor: str = ""  # a vendor's slug
    kind: str = ""  # a UseCaseKind value
    statuses: tuple[str, ...] = (LibraryEntry.Status.LISTED,)


def library_entries_filtered(user, filters: LibraryFilters) -> QuerySet:
    """``library_entries_for`` narrowed by ``filters`` and ordered: by relevance when
    searching, else by adoptions (most first), then name."""
    queryset = library_entries_for(user, statuses=filters.statuses)
    if filters.category:
        queryset = queryset.filter(category__iexact=filters.category)
    if filters.team:
        queryset = queryset.filter(
            Q(use_case__team__slug=filters.team) | Q(use_case__team__parent__slug=filters.team)
        )
    if filters.vendor:
        queryset = queryset.filter(
            Exists(VendorUse.objects.filter(use_case=OuterRef("use_case_id"), vendor__slug=filters.vendor))
        )
    if filters.kind:
        queryset = queryset.filter(use_case__kind=filters.kind)
    queryset = library_search(queryset, filters.search)
    if filters.search.strip():
        return queryset.order_by("-rank", "-adoption_count", "use_case__name", "id")
    return queryset.order_by("-adoption_count", "use_case__name", "id")


def library_facets(user) -> dict:
    """The filter choices the library offers: categories, teams and vendors of the entries
    ``user`` may see (3 queries)."""
    visible = library_entries_for(user).values("pk")
    entries = LibraryEntry.objects.filter(pk__in=visible)
    categories = sorted(set(entries.values_list("category", flat=True)), key=str.lower)
    teams = list(
        entries.order_by("use_case__team__name")
        .values_list("use_case__team__slug", "use_case__team__name")
        .distinct()
    )
    vendors = list(
        Vendor.objects.filter(vendor_uses__use_case__library_entry__in=visible)
        .order_by("name")
        .values_list("slug", "name")
        .distinct()
    )
    return {"categories": categories, "teams": teams, "vendors": vendors}


def library_entry_detail(*, user, pk: int) -> LibraryEntry:
    """One library entry with what its page shows: the use case (owners, team, vendors, data
    access, credential kinds), its adopters, the replacement and the entries it replaces.

    Raises:
        LibraryEntry.DoesNotExist: missing, or not open to ``user`` (unlisted entries and
            suspended use cases are for curators only).
    """
    from .use_cases import use_case_detail

    entry = (
        library_entries_for(user, statuses=tuple(LibraryEntry.Status.values))
        .select_related("replacement", "replacement__use_case", "promoted_by")
        .prefetch_related(
            Prefetch(
                "adoptions",
                queryset=Adoption.objects.select_related("adopted_by", "team", "use_case").order_by(
                    "-adopted_at"
                ),
            )
        )
        .get(pk=pk)
    )
    entry.detail_use_case = use_case_detail(user=user, pk=entry.use_case_id)
    return entry


def usage_reports_for(use_case: UseCase, *, months: int = 12) -> list[UsageReport]:
    """The use case's latest ``months`` monthly reports, oldest first (one query)."""
    reports = list(UsageReport.objects.filter(use_case=use_case).order_by("-period")[:months])
    reports.reverse()
    return reports


def adoption_of(use_case: UseCase) -> Adoption | None:
    """The adoption that created ``use_case`` (its "adopted from"), or None (one query)."""
    return (
        Adoption.objects.filter(use_case=use_case)
        .select_related("entry", "entry__use_case", "adopted_by")
        .first()
    )


def library_entry_of(use_case: UseCase) -> LibraryEntry | None:
    """The use case's library entry (any status) with ``adoption_count``, or None (one query)."""
    return library_links_of(use_case)[0]


def library_links_of(use_case: UseCase) -> tuple[LibraryEntry | None, LibraryEntry | None]:
    """The use case's own library entry and the entry it was adopted from, in one query.

    Returns:
        ``(entry, adopted_from)``: its own entry (any status) annotated with
        ``adoption_count``, or None; the entry it was adopted from (its ``use_case`` joined,
        annotated with ``adopted_at``), or None.
    """
    adoptions = (
        Adoption.objects.filter(entry=OuterRef("pk"))
        .order_by()
        .values("entry")
        .annotate(n=Count("id"))
        .values("n")
    )
    mine = Adoption.objects.filter(entry=OuterRef("pk"), use_case_id=use_case.pk)
    entries = list(
        LibraryEntry.objects.filter(Q(use_case_id=use_case.pk) | Q(Exists(mine)))
        .select_related("use_case")
        .only(
            "id",
            "status",
            "category",
            "version",
            "flag_reason",
            "flagged_at",
            "use_case__id",
            "use_case__name",
        )
        .annotate(
            adoption_count=Coalesce(Subquery(adoptions, output_field=IntegerField()), Value(0)),
            adopted_at=Subquery(mine.values("adopted_at")[:1]),
        )
    )
    own = next((e for e in entries if e.use_case_id == use_case.pk), None)
    source = next((e for e in entries if e.use_case_id != use_case.pk), None)
    return own, source


def library_flagged_entries() -> QuerySet:
    """Flagged entries not yet unlisted, oldest flag first (the curators' to-do list)."""
    return (
        LibraryEntry.objects.filter(flagged_at__isnull=False, status__in=IN_LIBRARY_STATUSES)
        .select_related("use_case", "use_case__owner")
        .order_by("flagged_at", "id")
    )


def library_categories() -> list[str]:
    """Categories already used, to suggest when promoting."""
    return sorted(
        set(LibraryEntry.objects.exclude(category="").values_list("category", flat=True)), key=str.lower
    )


# --- foundation documents ------------------------------------------------------------------


def foundation_documents_list() -> QuerySet:
    """Every foundation document with ``use_count`` and ``outdated_count`` (uses on an older
    version than the current one), by name. Everyone signed in may read them."""
    return (
        FoundationDocument.objects.select_related("owner")
        .annotate(
            use_count=Count("uses", distinct=True),
            outdated_count=Count("uses", filter=~Q(uses__version=F("current_version")), distinct=True),
        )
        .order_by("name")
    )


def foundation_document_detail(*, user, pk: int) -> tuple[FoundationDocument, list, list]:
    """A foundation document, its versions (newest first) and who uses which version.

    Returns:
        ``(document, versions, uses)``; ``uses`` are ``FoundationDocumentUse`` rows of the use
        cases ``user`` may see (``use_case`` with its team and owner joined), outdated first.

    Raises:
        FoundationDocument.DoesNotExist.
    """
    document = FoundationDocument.objects.select_related("owner").get(pk=pk)
    versions = list(
        FoundationDocumentVersion.objects.filter(document=document).select_related("published_by")
    )
    uses = list(
        FoundationDocumentUse.objects.filter(
            document=document, use_case__in=UseCase.objects.restrict(user, "view").values("pk")
        )
        .select_related("use_case", "use_case__team", "use_case__owner", "document")
        .annotate(
            current=Case(
                When(version=F("document__current_version"), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("current", "use_case__name", "id")
    )
    return document, versions, uses


def how_to_adopt_draft(use_case: UseCase) -> str:
    """A first draft of an entry's "how to adopt", from what the use case records: where it
    runs, its documentation and owner, the kinds of credentials (and who issues them) and the
    data access an adopter needs. Never a credential's name, storage place, vault reference or
    value: an adopter gets their own.

    Reads the use case's owner, vendor uses, data access and credential uses (prefetched by
    ``use_case_detail``, else a few queries).
    """
    steps = []
    if use_case.documentation_url:
        steps.append(f"Read the documentation: {use_case.documentation_url}")
    owner = use_case.owner
    where = f" on {use_case.platform}" if use_case.platform else ""
    if owner is not None:
        contact = f" ({owner.email})" if owner.email else ""
        steps.append(f"Ask the owner, {owner.get_full_name() or owner.username}{contact}, for a copy{where}.")
    elif where:
        steps.append(f"Get access to it{where}.")
    vendors = sorted(
        {f"{vu.vendor.name}{f' {vu.model.name}' if vu.model_id else ''}" for vu in use_case.vendor_uses.all()}
    )
    if vendors:
        steps.append(f"Your team needs access to: {', '.join(vendors)}.")
    kinds = sorted(
        {
            f"{u.credential.get_kind_display().lower()}"
            + (f" issued by {u.credential.issuer.name}" if u.credential.issuer_id else "")
            for u in use_case.credential_uses.all()
        }
    )
    if kinds:
        steps.append(
            "Credentials you need, your own and kept in a secrets manager or a platform-managed "
            f"connection: {'; '.join(kinds)}."
        )
    accesses = [
        f"{a.get_access_display().lower()} {a.data_source.name} "
        f"({a.data_source.get_classification_display().lower()}"
        + (", personal data" if a.data_source.has_personal_data else "")
        + ")"
        for a in use_case.data_accesses.all()
    ]
    if accesses:
        steps.append(f"Data access you need: {'; '.join(accesses)}.")
    steps.append(
        "Register your copy in the registry (Adopt, then “create my own use case”) and submit it for "
        "security review before you use it."
    )
    return "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1))
