"""Security reviews of use cases."""

from django.conf import settings
from django.db import models

from ..choices import OPEN_REVIEW_STATES, RISK_TIER_RANK, ReviewSource, ReviewState

#: What the review queue holds: open reviews and self-attestations sampled for a spot check
#: that no reviewer has confirmed yet. The queue's partial index is on exactly these rows.
WAITING_REVIEWS = models.Q(state__in=sorted(OPEN_REVIEW_STATES)) | models.Q(
    spot_check=True, state=ReviewState.APPROVED, reviewer__isnull=True
)


class SecurityReview(models.Model):
    """One security review of a use case, from request to decision and expiry.

    Only the review services change ``state`` (see ``registry.choices.REVIEW_TRANSITIONS``).
    An imported authority to operate (OMB ``have_ato`` = Yes) is recorded as an approved
    review whose ``source`` is ``imported_ato`` and ``authorisation_reference`` names the
    system (OMB ``system_name_ato``).
    """

    use_case = models.ForeignKey("registry.UseCase", on_delete=models.CASCADE, related_name="reviews")
    state = models.CharField(
        max_length=20, choices=ReviewState.choices, default=ReviewState.REQUESTED, editable=False
    )
    source = models.CharField(max_length=20, choices=ReviewSource.choices, default=ReviewSource.REGISTRY)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviews_requested",
    )
    requested_at = models.DateTimeField()
    request_note = models.CharField(
        max_length=500,
        blank=True,
        help_text="Why it was requested: a submission, a material change, a breach.",
    )
    spot_check = models.BooleanField(
        default=False, help_text="A self-attestation sampled for a reviewer to check afterwards."
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviews_assigned",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    findings = models.TextField(blank=True)
    checklist = models.JSONField(default=dict, blank=True, help_text="Checklist item -> answer.")
    conditions = models.JSONField(default=list, blank=True, help_text="Conditions attached to an approval.")
    authorisation_reference = models.CharField(
        max_length=500, blank=True, help_text="An existing authorisation, e.g. the system's ATO name."
    )
    #: The use case's risk tier as ``RISK_TIER_RANK`` (4 critical … 1 low, 0 unknown), copied here
    #: so that the queue's order (riskiest, then oldest) is served by one index instead of a
    #: sort over every open review joined to its use case (0.5–1 s at 100,000 use cases).
    #: Set on creation from ``use_case``; kept by ``services.reviews.review_risk_ranks_sync``
    #: when a tier changes.
    risk_rank = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["state", "requested_at"], name="registry_review_state_age"),
            models.Index(
                models.F("risk_rank").desc(),
                "requested_at",
                "id",
                condition=WAITING_REVIEWS,
                include=["state", "use_case"],  # the queue's counts by tier and state, index-only
                name="registry_review_queue",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["use_case"],
                condition=models.Q(state__in=sorted(OPEN_REVIEW_STATES)),
                name="registry_review_one_open_per_use_case",
                violation_error_message="This use case already has an open security review.",
            )
        ]

    def __str__(self):
        return f"Review of {self.use_case} ({self.get_state_display()})"

    def save(self, *args, **kwargs):
        if self._state.adding and not self.risk_rank:
            self.risk_rank = RISK_TIER_RANK.get(self.use_case.risk_tier, 0)
        super().save(*args, **kwargs)
