"""What needs attention on a person's and a team's use cases ("My use cases", "My team's
use cases").

Every item is computed in SQL (an annotation or an ``EXISTS`` per row, in the one query that
reads the rows), never per row in Python: a page costs the same number of queries whatever
its length. Retired use cases need nothing.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from accounts.permissions import standing_of

from ..choices import UNSAFE_CREDENTIAL_STORAGE, LifecycleStage, ReviewState, ReviewStatus
from ..models import CredentialUse, FoundationDocumentUse, SecurityReview, UseCase

#: An approval that ends within this many days is "expiring".
REVIEW_EXPIRING_DAYS = 30

_DEFERRED = ("source_row", "search_vector", "description", "outputs", "human_in_the_loop", "risk_reasons")


@dataclass(frozen=True)
class AttentionItem:
    """One thing to do about a use case: a key (CSS and tests), what it says, and how bad."""

    key: str
    label: str
    #: "danger" (a finding: fix it), "warn" (soon a problem) or "info" (a step not yet taken).
    tone: str


#: annotation -> the item it shows, in the order a row lists them.
ATTENTION_ITEMS = {
    "attention_draft": AttentionItem("draft", "Draft: not registered yet", "info"),
    "attention_changes_requested": AttentionItem(
        "changes-requested", "Security review asked for changes", "danger"
    ),
    "attention_unsafe_credential": AttentionItem(
        "unsafe-credential", "A credential is stored in an unsafe place", "danger"
    ),
    "attention_review_expired": AttentionItem("review-expired", "Approval expired", "danger"),
    "attention_review_expiring": AttentionItem(
        "review-expiring", f"Approval expires within {REVIEW_EXPIRING_DAYS} days", "warn"
    ),
    "attention_ownership": AttentionItem("ownership", "Ownership flagged: nobody active owns it", "warn"),
    "attention_no_backup": AttentionItem("no-backup", "No backup owner", "warn"),
    "attention_outdated_document": AttentionItem(
        "outdated-document", "Uses an outdated foundation document", "warn"
    ),
}


def _flag(condition) -> ExpressionWrapper:
    live = ~Q(lifecycle_stage=LifecycleStage.RETIRED)
    return ExpressionWrapper(condition & live, output_field=BooleanField())


def use_cases_with_attention(queryset: QuerySet, *, now=None) -> QuerySet:
    """Annotate each use case with what needs attention, and order those first.

    Args:
        queryset: use cases (already restricted to the asker).
        now: the time to judge expiry against (default: now).

    Returns:
        ``queryset`` with team, parent team, owner and backup owner joined, big columns
        deferred, and these annotations: one boolean per key of ``ATTENTION_ITEMS``
        (draft; changes requested; no backup owner; a credential in an unsafe storage place;
        the latest approval expiring within ``REVIEW_EXPIRING_DAYS`` or already expired;
        ownership flagged, no named owner or an owner who left; a foundation document used at
        an older version than its current one), ``review_expires_at`` (the latest approved
        review's expiry, or null) and ``attention_count``. Ordered by ``attention_count``
        (most first), then name.
    """
    now = now or timezone.now()
    soon = now + timedelta(days=REVIEW_EXPIRING_DAYS)
    latest_approval = SecurityReview.objects.filter(
        use_case=OuterRef("pk"), state=ReviewState.APPROVED
    ).order_by("-decided_at", "-id")
    unsafe = CredentialUse.objects.filter(
        use_case=OuterRef("pk"), credential__storage__in=sorted(UNSAFE_CREDENTIAL_STORAGE)
    )
    outdated = FoundationDocumentUse.objects.filter(use_case=OuterRef("pk")).exclude(
        version=F("document__current_version")
    )
    annotated = queryset.annotate(
        review_expires_at=Subquery(latest_approval.values("expires_at")[:1])
    ).annotate(
        attention_draft=_flag(Q(is_draft=True)),
        attention_changes_requested=_flag(Q(review_status=ReviewStatus.CHANGES_REQUESTED)),
        attention_no_backup=_flag(Q(backup_owner__isnull=True)),
        attention_unsafe_credential=_flag(Q(Exists(unsafe))),
        attention_review_expiring=_flag(
            Q(review_status=ReviewStatus.APPROVED, review_expires_at__gt=now, review_expires_at__lte=soon)
        ),
        attention_review_expired=_flag(
            Q(review_status=ReviewStatus.EXPIRED)
            | Q(review_status=ReviewStatus.APPROVED, review_expires_at__lte=now)
        ),
        attention_ownership=_flag(~Q(ownership_note="") | Q(owner__isnull=True) | Q(owner__is_active=False)),
        attention_outdated_document=_flag(Q(Exists(outdated))),
    )
    count = sum(
        (
            Case(When(**{name: True}, then=Value(1)), default=Value(0), output_field=IntegerField())
            for name in ATTENTION_ITEMS
        ),
        Value(0),
    )
    return (
        annotated.annotate(attention_count=count)
        .select_related("team", "team__parent", "owner", "backup_owner")
        .defer(*_DEFERRED)
        .order_by("-attention_count", "name", "id")
    )


def attention_items(use_case: UseCase) -> list[AttentionItem]:
    """The items of one row of ``use_cases_with_attention`` (reads its annotations: no query)."""
    return [item for name, item in ATTENTION_ITEMS.items() if getattr(use_case, name, False)]


def my_use_cases(user, *, attention_only: bool = False) -> QuerySet:
    """The use cases ``user`` owns, backs up or builds (and may see), with their attention
    items (``use_cases_with_attention``) and ``my_role`` ("owner", "backup owner", "builder")."""
    built = UseCase.builders.through.objects.filter(user_id=user.pk).values("usecase_id")
    queryset = UseCase.objects.restrict(user, "view").filter(
        Q(owner_id=user.pk) | Q(backup_owner_id=user.pk) | Q(id__in=built)
    )
    queryset = use_cases_with_attention(queryset).annotate(
        my_role=Case(
            When(owner_id=user.pk, then=Value("owner")),
            When(backup_owner_id=user.pk, then=Value("backup owner")),
            default=Value("builder"),
        )
    )
    return queryset.filter(attention_count__gt=0) if attention_only else queryset


def my_team_use_cases(user, *, attention_only: bool = False) -> QuerySet:
    """Every use case of the teams ``user`` belongs to (that they may see), with their
    attention items (``use_cases_with_attention``)."""
    team_ids = standing_of(user).team_ids
    queryset = use_cases_with_attention(UseCase.objects.restrict(user, "view").filter(team_id__in=team_ids))
    return queryset.filter(attention_count__gt=0) if attention_only else queryset
