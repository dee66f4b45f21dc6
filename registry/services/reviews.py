"""Security review services. The use case's review status is derived here, never edited."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.permissions import can_decide_reviews

from ..choices import REVIEW_TRANSITIONS, ReviewState, ReviewStatus
from ..exceptions import ApprovalBlocked, TransitionNotAllowed
from ..models import HistoryEntry, SecurityReview, UseCase
from .history import history_record
from .use_cases import ownership_blockers

_STATUS_OF_STATE = {
    ReviewState.REQUESTED: ReviewStatus.REQUESTED,
    ReviewState.IN_REVIEW: ReviewStatus.IN_REVIEW,
    ReviewState.CHANGES_REQUESTED: ReviewStatus.CHANGES_REQUESTED,
    ReviewState.APPROVED: ReviewStatus.APPROVED,
    ReviewState.REJECTED: ReviewStatus.REJECTED,
    ReviewState.EXPIRED: ReviewStatus.EXPIRED,
}


def review_status_of(latest: SecurityReview | None) -> str:
    """The use case's review status given its latest review (``none`` when it has none)."""
    return ReviewStatus.NONE if latest is None else _STATUS_OF_STATE[latest.state]


def use_case_refresh_review_status(*, use_case: UseCase) -> str:
    """Derive ``use_case.review_status`` from its latest review and store it if it changed.

    Returns:
        The review status value.
    """
    latest = use_case.reviews.order_by("-requested_at", "-id").first()
    status = review_status_of(latest)
    if use_case.review_status != status:
        use_case.review_status = status
        use_case.save(update_fields=["review_status", "updated_at"])
    return status


@transaction.atomic
def review_approve(*, review: SecurityReview, actor, findings: str = "", conditions=None) -> SecurityReview:
    """Approve a security review (a reviewer's decision), then refresh the use case's status.

    The approval expires after ``settings.REVIEW_EXPIRY_DAYS[risk tier]`` days. A use case
    without an active, confirmed owner cannot be approved (issue 3): someone must accept its
    ownership first (``registry.services.ownership.use_case_accept_ownership``).

    Args:
        review: the review to decide (reloaded and locked here).
        actor: the deciding person; becomes the review's reviewer.
        findings: what the reviewer found (replaces earlier findings when given).
        conditions: conditions attached to the approval (a list of strings), or ``None``.

    Returns:
        The approved review.

    Raises:
        PermissionDenied: ``actor`` is not a security reviewer (or an admin).
        TransitionNotAllowed: the review is not requested or in review (``.state`` says where it is).
        ApprovalBlocked: the use case has no named owner, its owner left, or its ownership is
            flagged (``.reasons`` lists which). Nothing changed.
    """
    if not can_decide_reviews(actor):
        raise PermissionDenied("Only security reviewers decide reviews.")
    review = SecurityReview.objects.select_for_update().get(pk=review.pk)
    allowed_from, approved = REVIEW_TRANSITIONS["approve"]
    if review.state not in allowed_from:
        raise TransitionNotAllowed(
            review.state, f"A review that is {review.get_state_display().lower()} cannot be approved."
        )
    use_case = (
        UseCase.objects.select_for_update(of=("self",)).select_related("owner").get(pk=review.use_case_id)
    )
    blockers = ownership_blockers(use_case)
    if blockers:
        raise ApprovalBlocked(blockers)
    now = timezone.now()
    before = (review.state, review.expires_at)
    review.state = approved
    review.reviewer = actor
    review.decided_at = now
    review.expires_at = now + timedelta(days=settings.REVIEW_EXPIRY_DAYS[use_case.risk_tier])
    if findings:
        review.findings = findings
    if conditions is not None:
        review.conditions = list(conditions)
    review.save(
        update_fields=[
            "state",
            "reviewer",
            "decided_at",
            "expires_at",
            "findings",
            "conditions",
            "updated_at",
        ]
    )
    history_record(
        actor=actor,
        action=HistoryEntry.Action.TRANSITION,
        obj=review,
        changes={"state": [before[0], approved], "expires_at": [before[1], review.expires_at]},
        summary=f"approved{f' with {len(review.conditions)} condition(s)' if review.conditions else ''}",
        use_case=use_case,
    )
    use_case_refresh_review_status(use_case=use_case)
    return review
