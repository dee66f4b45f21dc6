"""The security review workflow: one service per transition, the review policy by risk tier,
expiry, material changes and broken conditions.

Every transition follows the same steps: lock the review (``select_for_update``), check the
actor's role (``accounts.permissions``), check the transition against the one table
(``registry.choices.REVIEW_TRANSITIONS``; ``TransitionNotAllowed`` names the current state),
save, record history, refresh the use case's derived review status, and queue the
notifications (written to the outbox in the same transaction, sent after commit).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.choices import RoleGroup
from accounts.permissions import can_change_use_case, can_decide_reviews

from ..choices import (
    OPEN_REVIEW_STATES,
    REVIEW_TRANSITIONS,
    RISK_TIER_RANK,
    AccessMode,
    Exposure,
    ReviewSource,
    ReviewState,
    ReviewStatus,
)
from ..exceptions import ApprovalBlocked, TransitionNotAllowed
from ..models import HistoryEntry, Notification, SecurityReview, UseCase
from ..models.reviews import WAITING_REVIEWS
from .history import history_record
from .notifications import notification_queue
from .use_cases import ownership_blockers

#: The decision checklist (issue 5): item -> what the reviewer (or self-attesting builder) checks.
CHECKLIST = {
    "data_handling": "Data handling: the data it reads and writes is appropriate and minimised",
    "credential_storage": "Credential storage: every credential sits in a secrets manager or a platform",
    "vendor_terms": "Vendor terms: the vendor's terms allow this use of our data",
    "human_in_the_loop": "Human in the loop: a person checks what matters before it takes effect",
    "output_exposure": "Output exposure: who sees its output is understood and acceptable",
}
#: Answers a checklist item may have.
CHECKLIST_ANSWERS = ("pass", "fail", "n/a")

#: Conditions a reviewer can attach to an approval, and what breaks each.
CONDITIONS = {
    "no_personal_data": "Approved for non-personal data only",
    "internal_only": "Internal use only",
    "read_only": "Read-only access to data sources",
}

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


def review_policy_for(tier: str) -> str:
    """``"self_attest"`` or ``"reviewer"``: how a use case of ``tier`` gets approved
    (``settings.REVIEW_SELF_ATTEST_TIERS``; by default low-tier use cases self-attest)."""
    return "self_attest" if tier in settings.REVIEW_SELF_ATTEST_TIERS else "reviewer"


def review_due_at(review: SecurityReview, tier: str):
    """When a reviewer should have decided: requested + the tier's service level (days)."""
    return review.requested_at + timedelta(days=settings.REVIEW_SLA_DAYS[tier])


def _clean_checklist(checklist: dict | None, *, require_all: bool) -> dict:
    checklist = dict(checklist or {})
    errors = {}
    unknown = set(checklist) - set(CHECKLIST)
    if unknown:
        errors["checklist"] = [f"Unknown checklist items: {', '.join(sorted(unknown))}."]
    cleaned = {}
    for item in CHECKLIST:
        answer = checklist.get(item)
        note = ""
        if isinstance(answer, dict):
            answer, note = answer.get("answer"), str(answer.get("note", ""))
        if answer is None:
            if require_all:
                errors.setdefault("checklist", []).append(f"Answer “{CHECKLIST[item].split(':')[0]}”.")
            continue
        if answer not in CHECKLIST_ANSWERS:
            errors.setdefault("checklist", []).append(f"“{answer}” is not one of pass, fail or n/a.")
            continue
        cleaned[item] = {"answer": answer, "note": note} if note else answer
    if errors:
        raise ValidationError(errors)
    return cleaned


def _answer(value) -> str:
    return value["answer"] if isinstance(value, dict) else value


_DONE = {
    "claim": "claimed",
    "unclaim": "given back to the queue",
    "approve": "approved",
    "request_changes": "sent back for changes",
    "reject": "rejected",
    "resubmit": "resubmitted",
    "expire": "expired",
    "spot_check_fail": "sent back after a spot check",
}


def _lock(review: SecurityReview, action: str) -> tuple[SecurityReview, str]:
    """Lock the review and check that ``action`` may start from its state."""
    review = SecurityReview.objects.select_for_update().get(pk=review.pk)
    allowed_from, target = REVIEW_TRANSITIONS[action]
    if review.state not in allowed_from:
        raise TransitionNotAllowed(
            review.state, f"A review that is {review.get_state_display().lower()} cannot be {_DONE[action]}."
        )
    return review, target


def _require_reviewer(actor, use_case: UseCase) -> None:
    if not can_decide_reviews(actor):
        raise PermissionDenied("Only security reviewers decide reviews.")
    # Segregation of duties: nobody reviews what they own or built.
    if (
        actor.pk in (use_case.owner_id, use_case.backup_owner_id)
        or use_case.builders.filter(pk=actor.pk).exists()
    ):
        raise PermissionDenied("You own or built this use case: another reviewer must decide.")


def _url(name: str, pk: int) -> str:
    return f"{settings.SITE_URL}{reverse(name, args=[pk])}"


def _notify_owners(use_case: UseCase, *, kind: str, subject: str, body: str) -> None:
    for person in {use_case.owner, use_case.backup_owner} - {None}:
        notification_queue(to=person, kind=kind, subject=subject, body=body, use_case=use_case)


def _notify_reviewers(review: SecurityReview, use_case: UseCase, why: str) -> None:
    reviewers = get_user_model().objects.filter(groups__name=RoleGroup.SECURITY_REVIEWER, is_active=True)
    tier = use_case.get_risk_tier_display().lower()
    for person in reviewers.distinct():
        notification_queue(
            to=person,
            kind=Notification.Kind.REVIEW_REQUESTED,
            subject=f"Review requested: {use_case.name} ({tier} risk)",
            body=f"{why}\n\n{use_case.name} ({use_case.team}) needs a security review.\n"
            f"Due by {review_due_at(review, use_case.risk_tier):%d %b %Y}.\n\n"
            f"Open it: {_url('registry:review_detail', review.pk)}",
            use_case=use_case,
        )


def _record(review, actor, before_state, summary, use_case, **extra_changes):
    history_record(
        actor=actor,
        action=HistoryEntry.Action.TRANSITION,
        obj=review,
        use_case=use_case,
        changes={"state": [before_state, review.state], **extra_changes},
        summary=summary,
    )


# --- opening a review ------------------------------------------------------------------------


def _open(use_case: UseCase, actor, note: str, *, notify: bool = True) -> SecurityReview:
    review = SecurityReview.objects.create(
        use_case=use_case,
        requested_by=actor,
        requested_at=timezone.now(),
        state=ReviewState.REQUESTED,
        request_note=note[:500],
    )
    _record(review, actor, None, note or "review requested", use_case)
    use_case_refresh_review_status(use_case=use_case)
    if notify:
        _notify_reviewers(review, use_case, note or "A use case was submitted for review.")
    return review


@transaction.atomic
def review_request(
    *, use_case: UseCase, actor, note: str = "submitted for security review"
) -> SecurityReview:
    """Open a requested review of ``use_case`` (a builder's submission); an open review is
    returned as it is.

    Raises:
        PermissionDenied: ``actor`` may not change the use case.
    """
    use_case = UseCase.objects.select_for_update().get(pk=use_case.pk)
    if not can_change_use_case(actor, use_case):
        raise PermissionDenied("You may not submit this use case.")
    existing = use_case.reviews.filter(state__in=OPEN_REVIEW_STATES).first()
    if existing is not None:
        return existing
    if use_case.is_draft:
        use_case.is_draft = False
        use_case.save(update_fields=["is_draft", "updated_at"])
    return _open(use_case, actor, note)


@transaction.atomic
def review_self_attest(*, use_case: UseCase, actor, checklist: dict) -> SecurityReview:
    """Approve a use case on the builder's own attestation, where the policy allows it for
    its tier; a random share (``SELF_ATTESTATION_SAMPLE_RATE``) is sent to the queue as a
    spot check.

    Raises:
        PermissionDenied: ``actor`` may not change it, or its tier needs a reviewer.
        ValidationError: a checklist item unanswered or failing.
        ApprovalBlocked: no active owner.
    """
    use_case = UseCase.objects.select_for_update(of=("self",)).select_related("owner").get(pk=use_case.pk)
    if not can_change_use_case(actor, use_case):
        raise PermissionDenied("You may not submit this use case.")
    if review_policy_for(use_case.risk_tier) != "self_attest":
        raise PermissionDenied(
            f"{use_case.get_risk_tier_display()}-risk use cases need a security reviewer's approval."
        )
    cleaned = _clean_checklist(checklist, require_all=True)
    failing = [CHECKLIST[item].split(":")[0] for item, value in cleaned.items() if _answer(value) == "fail"]
    if failing:
        raise ValidationError(
            {"checklist": [f"Failing: {', '.join(failing)}. Submit it for review instead."]}
        )
    blockers = ownership_blockers(use_case)
    if blockers:
        raise ApprovalBlocked(blockers)
    if use_case.reviews.filter(state__in=OPEN_REVIEW_STATES).exists():
        raise TransitionNotAllowed(ReviewState.REQUESTED, "A review of this use case is already open.")
    now = timezone.now()
    spot_check = random.random() < settings.SELF_ATTESTATION_SAMPLE_RATE
    if use_case.is_draft:
        use_case.is_draft = False
        use_case.save(update_fields=["is_draft", "updated_at"])
    review = SecurityReview.objects.create(
        use_case=use_case,
        source=ReviewSource.SELF_ATTESTED,
        state=ReviewState.APPROVED,
        requested_by=actor,
        requested_at=now,
        decided_at=now,
        expires_at=now + timedelta(days=settings.REVIEW_EXPIRY_DAYS[use_case.risk_tier]),
        checklist=cleaned,
        spot_check=spot_check,
        request_note="self-attested" + (" (sampled for a spot check)" if spot_check else ""),
    )
    _record(review, actor, None, review.request_note, use_case)
    use_case_refresh_review_status(use_case=use_case)
    if spot_check:
        _notify_reviewers(review, use_case, "A self-attestation was sampled for a spot check.")
    return review


# --- reviewers' transitions -----------------------------------------------------------------


@transaction.atomic
def review_claim(*, review: SecurityReview, actor) -> SecurityReview:
    """A reviewer takes a requested review (requested → in review)."""
    review, target = _lock(review, "claim")
    _require_reviewer(actor, review.use_case)
    before = review.state
    review.state, review.reviewer, review.claimed_at = target, actor, timezone.now()
    review.save(update_fields=["state", "reviewer", "claimed_at", "updated_at"])
    _record(review, actor, before, "claimed", review.use_case)
    use_case_refresh_review_status(use_case=review.use_case)
    return review


@transaction.atomic
def review_unclaim(*, review: SecurityReview, actor) -> SecurityReview:
    """Give a claimed review back to the queue (in review → requested); its claimer or an admin."""
    review, target = _lock(review, "unclaim")
    if not can_decide_reviews(actor) or (review.reviewer_id != actor.pk and not actor.is_superuser):
        raise PermissionDenied("Only the reviewer who claimed it can give it back.")
    before = review.state
    review.state, review.reviewer, review.claimed_at = target, None, None
    review.save(update_fields=["state", "reviewer", "claimed_at", "updated_at"])
    _record(review, actor, before, "given back to the queue", review.use_case)
    use_case_refresh_review_status(use_case=review.use_case)
    return review


def _decide(review, actor, action, *, findings, checklist, conditions=None):
    review, target = _lock(review, action)
    use_case = (
        UseCase.objects.select_for_update(of=("self",)).select_related("owner").get(pk=review.use_case_id)
    )
    _require_reviewer(actor, use_case)
    return review, target, use_case


@transaction.atomic
def review_approve(
    *, review: SecurityReview, actor, findings: str = "", checklist: dict | None = None, conditions=None
) -> SecurityReview:
    """Approve (requested or in review → approved). The approval expires after
    ``settings.REVIEW_EXPIRY_DAYS[risk tier]`` days.

    Args:
        findings: what the reviewer found.
        checklist: item -> "pass" | "fail" | "n/a" (or ``{"answer", "note"}``); no item may fail.
        conditions: codes of ``CONDITIONS`` or free text, e.g. ["no_personal_data"].

    Raises:
        PermissionDenied: not a security reviewer, or they own or built the use case.
        TransitionNotAllowed: the review is not open for a decision (``.state``).
        ValidationError: a failing checklist item.
        ApprovalBlocked: no named or active owner, or flagged ownership (``.reasons``).
    """
    review, target, use_case = _decide(review, actor, "approve", findings=findings, checklist=checklist)
    cleaned = _clean_checklist(checklist, require_all=False)
    failing = [item for item, value in cleaned.items() if _answer(value) == "fail"]
    if failing:
        raise ValidationError(
            {"checklist": ["An approval cannot have failing items: request changes instead."]}
        )
    blockers = ownership_blockers(use_case)
    if blockers:
        raise ApprovalBlocked(blockers)
    conditions = [str(c).strip() for c in (conditions or []) if str(c).strip()]
    breached = conditions_breached(use_case, conditions)
    if breached:
        raise ValidationError({"conditions": [f"Already not met: {', '.join(breached)}."]})
    now = timezone.now()
    before = review.state
    review.state, review.reviewer, review.decided_at = target, actor, now
    review.expires_at = now + timedelta(days=settings.REVIEW_EXPIRY_DAYS[use_case.risk_tier])
    review.findings = findings or review.findings
    review.checklist = cleaned or review.checklist
    review.conditions = conditions
    review.save()
    summary = "approved" + (f" with {len(conditions)} condition(s)" if conditions else "")
    _record(review, actor, before, summary, use_case, expires_at=[None, review.expires_at])
    use_case_refresh_review_status(use_case=use_case)
    labels = [CONDITIONS.get(c, c) for c in conditions]
    _notify_owners(
        use_case,
        kind=Notification.Kind.REVIEW_DECIDED,
        subject=f"Approved: {use_case.name}",
        body=f"{actor} approved {use_case.name}.\n"
        + (f"Conditions: {'; '.join(labels)}.\n" if labels else "")
        + f"The approval runs until {review.expires_at:%d %b %Y}.\n"
        + (f"\nFindings:\n{review.findings}\n" if review.findings else "")
        + f"\n{_url('registry:use_case_detail', use_case.pk)}",
    )
    return review


def _negative(review, actor, action, findings, checklist, *, subject, verb):
    if not findings.strip():
        raise ValidationError({"findings": ["Say what must change (or why it is rejected)."]})
    review, target, use_case = _decide(review, actor, action, findings=findings, checklist=checklist)
    cleaned = _clean_checklist(checklist, require_all=False)
    before = review.state
    review.state, review.reviewer, review.decided_at = target, actor, timezone.now()
    review.findings, review.checklist = findings, cleaned or review.checklist
    review.save()
    _record(review, actor, before, verb, use_case)
    use_case_refresh_review_status(use_case=use_case)
    _notify_owners(
        use_case,
        kind=Notification.Kind.REVIEW_DECIDED,
        subject=f"{subject}: {use_case.name}",
        body=f"{actor} {verb} for {use_case.name}.\n\nFindings:\n{findings}\n\n"
        f"{_url('registry:use_case_detail', use_case.pk)}",
    )
    return review


@transaction.atomic
def review_request_changes(*, review: SecurityReview, actor, findings: str, checklist: dict | None = None):
    """Send it back to the builder with findings (→ changes requested). Raises as ``review_approve``;
    ``ValidationError`` when no findings are given."""
    return _negative(
        review,
        actor,
        "request_changes",
        findings,
        checklist,
        subject="Changes requested",
        verb="requested changes",
    )


@transaction.atomic
def review_reject(*, review: SecurityReview, actor, findings: str, checklist: dict | None = None):
    """Reject (→ rejected). Raises as ``review_approve``; ``ValidationError`` without findings."""
    return _negative(
        review, actor, "reject", findings, checklist, subject="Rejected", verb="rejected the review"
    )


@transaction.atomic
def review_resubmit(*, review: SecurityReview, actor, note: str = "") -> SecurityReview:
    """The builder answers "changes requested" and resubmits (→ requested).

    Raises:
        PermissionDenied: ``actor`` may not change the use case.
        TransitionNotAllowed: the review is not waiting on changes.
    """
    review, target = _lock(review, "resubmit")
    use_case = review.use_case
    if not can_change_use_case(actor, use_case):
        raise PermissionDenied("Only the use case's builders can resubmit it.")
    before = review.state
    review.state, review.requested_at, review.claimed_at = target, timezone.now(), None
    review.request_note = (note or "resubmitted after changes")[:500]
    review.save(update_fields=["state", "requested_at", "claimed_at", "request_note", "updated_at"])
    _record(review, actor, before, review.request_note, use_case)
    use_case_refresh_review_status(use_case=use_case)
    _notify_reviewers(review, use_case, f"Resubmitted by {actor}: {review.request_note}")
    return review


def use_case_submit_or_resubmit(*, use_case: UseCase, actor, note: str = "") -> SecurityReview:
    """What "Submit for review" means now: resubmit a review waiting on changes, or open one."""
    waiting = use_case.reviews.filter(state=ReviewState.CHANGES_REQUESTED).first()
    if waiting is not None:
        return review_resubmit(review=waiting, actor=actor, note=note)
    return review_request(use_case=use_case, actor=actor, note=note or "submitted for security review")


# --- expiry, material changes and conditions ----------------------------------------------------


@transaction.atomic
def review_expire(*, review: SecurityReview, now=None) -> SecurityReview:
    """The system expires an approval past its expiry (approved → expired) and tells the owners."""
    review, target = _lock(review, "expire")
    before = review.state
    review.state = target
    review.save(update_fields=["state", "updated_at"])
    use_case = review.use_case
    _record(review, None, before, "approval expired", use_case)
    use_case_refresh_review_status(use_case=use_case)
    _notify_owners(
        use_case,
        kind=Notification.Kind.REVIEW_EXPIRED,
        subject=f"Approval expired: {use_case.name}",
        body=f"The security approval of {use_case.name} expired on {review.expires_at:%d %b %Y}.\n"
        f"Submit it for review again: {_url('registry:use_case_detail', use_case.pk)}",
    )
    return review


def conditions_breached(use_case: UseCase, conditions: list[str]) -> list[str]:
    """Which of an approval's conditions the use case no longer meets, in words."""
    broken = []
    accesses = list(use_case.data_accesses.select_related("data_source"))
    if "no_personal_data" in conditions and (
        use_case.handles_personal_data
        or any(
            a.data_source.has_personal_data
            or a.data_source.has_customer_data
            or a.data_source.classification == "restricted"
            for a in accesses
        )
    ):
        broken.append(CONDITIONS["no_personal_data"].lower())
    if "internal_only" in conditions and use_case.exposure != Exposure.INTERNAL:
        broken.append(CONDITIONS["internal_only"].lower())
    if "read_only" in conditions and any(a.access != AccessMode.READ for a in accesses):
        broken.append(CONDITIONS["read_only"].lower())
    return broken


@dataclass(frozen=True)
class MaterialFacts:
    """What counts as material about a use case (issue 5): the data sources, credentials and
    vendors it touches, and its risk tier."""

    data_source_ids: frozenset[int]
    credential_ids: frozenset[int]
    vendor_ids: frozenset[int]
    risk_tier: str


def material_facts(use_case: UseCase) -> MaterialFacts:
    return MaterialFacts(
        data_source_ids=frozenset(use_case.data_accesses.values_list("data_source_id", flat=True)),
        credential_ids=frozenset(use_case.credential_uses.values_list("credential_id", flat=True)),
        vendor_ids=frozenset(use_case.vendor_uses.values_list("vendor_id", flat=True)),
        risk_tier=use_case.risk_tier,
    )


def review_reopen_if_needed(*, use_case: UseCase, before: MaterialFacts, actor) -> SecurityReview | None:
    """After a change: if the use case is approved and the change is material (a new data
    source, credential or vendor, or a higher risk tier) or breaks a condition of its approval,
    flag it and put it back to requested. Call inside the change's transaction.

    Returns:
        The new requested review, or None when nothing had to reopen.
    """
    latest = use_case.reviews.order_by("-requested_at", "-id").first()
    if latest is None or latest.state != ReviewState.APPROVED:
        return None
    after = material_facts(use_case)
    reasons = []
    if after.data_source_ids - before.data_source_ids:
        reasons.append("a new data source")
    if after.credential_ids - before.credential_ids:
        reasons.append("a new credential")
    if after.vendor_ids - before.vendor_ids:
        reasons.append("a new vendor")
    if RISK_TIER_RANK.get(after.risk_tier, 0) > RISK_TIER_RANK.get(before.risk_tier, 0):
        reasons.append(f"its risk tier rose to {after.risk_tier}")
    breached = conditions_breached(use_case, latest.conditions or [])
    if not reasons and not breached:
        return None
    note = "reopened: " + "; ".join(
        ([f"material change ({', '.join(reasons)})"] if reasons else [])
        + ([f"condition no longer met ({', '.join(breached)})"] if breached else [])
    )
    review = _open(use_case, actor, note)
    _notify_owners(
        use_case,
        kind=Notification.Kind.REVIEW_REOPENED,
        subject=f"Review reopened: {use_case.name}",
        body=f"The approval of {use_case.name} no longer covers it: {note}.\n"
        f"A security reviewer will look at it again.\n\n{_url('registry:use_case_detail', use_case.pk)}",
    )
    return review


def open_reviews_ordered(queryset=None):
    """The queue: open reviews and unconfirmed spot checks, riskiest first, then oldest.

    Ordered by ``risk_rank`` (the use case's tier, copied onto the review), so PostgreSQL reads
    the page straight from the partial index ``registry_review_queue``.
    """
    queryset = queryset if queryset is not None else SecurityReview.objects.all()
    return queryset.filter(WAITING_REVIEWS).order_by("-risk_rank", "requested_at", "id")


def review_risk_ranks_sync(use_case_ids) -> int:
    """Copy each use case's risk tier onto its reviews' ``risk_rank`` (after a tier changed).

    Args:
        use_case_ids: the use cases whose tier may have changed (an iterable of ids or a
            queryset of ids).

    Returns:
        How many reviews were updated (one UPDATE statement, whatever the number).
    """
    from django.db.models import OuterRef, Subquery

    from ..selectors.use_cases import risk_tier_rank

    tier_rank = (
        UseCase.objects.filter(pk=OuterRef("use_case_id")).annotate(r=risk_tier_rank()).values("r")[:1]
    )
    return SecurityReview.objects.filter(use_case_id__in=use_case_ids).update(risk_rank=Subquery(tier_rank))


@transaction.atomic
def review_spot_check(*, review: SecurityReview, actor, passed: bool, findings: str = "") -> SecurityReview:
    """A reviewer checks a sampled self-attestation: confirms it (it stays approved, now with
    a reviewer) or sends it back for changes (approved → changes requested).

    Raises:
        PermissionDenied, TransitionNotAllowed (not an unconfirmed spot check), ValidationError
        (no findings when sending it back).
    """
    review = SecurityReview.objects.select_for_update().get(pk=review.pk)
    if not (review.spot_check and review.state == ReviewState.APPROVED and review.reviewer_id is None):
        raise TransitionNotAllowed(review.state, "Only an unconfirmed spot check can be checked.")
    _require_reviewer(actor, review.use_case)
    if passed:
        review.reviewer, review.findings = actor, findings or review.findings
        review.save(update_fields=["reviewer", "findings", "updated_at"])
        _record(review, actor, review.state, "spot check passed", review.use_case)
        return review
    if not findings.strip():
        raise ValidationError({"findings": ["Say what must change."]})
    review, target = _lock(review, "spot_check_fail")
    before = review.state
    review.state, review.reviewer, review.decided_at, review.findings = (
        target,
        actor,
        timezone.now(),
        findings,
    )
    review.save()
    _record(review, actor, before, "spot check failed: changes requested", review.use_case)
    use_case_refresh_review_status(use_case=review.use_case)
    _notify_owners(
        review.use_case,
        kind=Notification.Kind.REVIEW_DECIDED,
        subject=f"Changes requested after a spot check: {review.use_case.name}",
        body=f"{actor} checked the self-attestation of {review.use_case.name} and asks for changes.\n\n"
        f"Findings:\n{findings}\n\n{_url('registry:use_case_detail', review.use_case_id)}",
    )
    return review
