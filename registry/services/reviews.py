"""Security review services. The use case's review status is derived here, never edited."""

from ..choices import ReviewState, ReviewStatus
from ..models import SecurityReview, UseCase

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
