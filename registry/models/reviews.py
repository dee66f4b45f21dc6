"""Security reviews of use cases."""

from django.conf import settings
from django.db import models

from ..choices import OPEN_REVIEW_STATES, ReviewSource, ReviewState


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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["state", "requested_at"], name="registry_review_state_age")]
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
