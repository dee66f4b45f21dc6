"""The periodic sweeps (Celery beat, or their management commands for operators without beat)."""

from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.choices import MembershipRole
from accounts.models import Membership

from ..choices import UNSAFE_CREDENTIAL_STORAGE, ReviewState
from ..models import Credential, Notification, SecurityReview, UseCase
from .notifications import notification_queue
from .reviews import review_expire


@dataclass
class SweepResult:
    done: int = 0
    notified: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def review_expiry_sweep(*, now=None) -> SweepResult:
    """Expire every approval whose expiry has passed (owners are told by ``review_expire``) and
    warn owners once of approvals expiring within ``REVIEW_EXPIRY_WARNING_DAYS``.

    Returns:
        ``done``: approvals expired; ``notified``: expiry warnings queued.
    """
    now = now or timezone.now()
    result = SweepResult()
    due = SecurityReview.objects.filter(state=ReviewState.APPROVED, expires_at__lte=now).values_list(
        "pk", flat=True
    )
    for review_id in list(due):
        review_expire(review=SecurityReview(pk=review_id))
        result.done += 1
    soon = now + timedelta(days=settings.REVIEW_EXPIRY_WARNING_DAYS)
    expiring = SecurityReview.objects.filter(
        state=ReviewState.APPROVED, expires_at__gt=now, expires_at__lte=soon
    ).select_related("use_case__owner", "use_case__backup_owner")
    for review in expiring:
        use_case = review.use_case
        already = Notification.objects.filter(
            use_case=use_case, kind=Notification.Kind.REVIEW_EXPIRED, created_at__gte=review.decided_at or now
        ).exists()
        if already:
            continue
        for person in {use_case.owner, use_case.backup_owner} - {None}:
            if notification_queue(
                to=person,
                kind=Notification.Kind.REVIEW_EXPIRED,
                subject=f"Approval expiring on {review.expires_at:%d %b %Y}: {use_case.name}",
                body=f"The security approval of {use_case.name} expires on {review.expires_at:%d %b %Y}.\n"
                f"Submit it for review again before then: "
                f"{settings.SITE_URL}{reverse('registry:use_case_detail', args=[use_case.pk])}",
                use_case=use_case,
            ):
                result.notified += 1
    return result


def credentials_due_for_rotation(*, today=None):
    """Credentials not rotated for ``CREDENTIAL_ROTATION_DAYS`` (or never recorded) or expiring
    within ``CREDENTIAL_EXPIRY_WARNING_DAYS``, that some use case still uses."""
    today = today or timezone.localdate()
    stale = today - timedelta(days=settings.CREDENTIAL_ROTATION_DAYS)
    expiring = today + timedelta(days=settings.CREDENTIAL_EXPIRY_WARNING_DAYS)
    return (
        Credential.objects.filter(credential_uses__isnull=False)
        .filter(Q(last_rotated_on__lte=stale) | Q(last_rotated_on__isnull=True) | Q(expires_on__lte=expiring))
        .select_related("owner", "team")
        .distinct()
    )


def credential_rotation_sweep(*, today=None) -> SweepResult:
    """Tell each due credential's holder (or, without one, its team's leads) to rotate it.

    Returns:
        ``done``: credentials due; ``notified``: notifications queued (at most one per
        credential and person per week).
    """
    today = today or timezone.localdate()
    result = SweepResult()
    week_ago = timezone.now() - timedelta(days=7)
    for credential in credentials_due_for_rotation(today=today):
        result.done += 1
        people = [credential.owner] if credential.owner and credential.owner.is_active else []
        if not people and credential.team_id:
            people = [
                m.user
                for m in Membership.objects.filter(
                    team_id=credential.team_id, role=MembershipRole.LEAD
                ).select_related("user")
            ]
        why = []
        if credential.last_rotated_on is None:
            why.append("it has no recorded rotation")
        elif credential.last_rotated_on <= today - timedelta(days=settings.CREDENTIAL_ROTATION_DAYS):
            why.append(f"it was last rotated on {credential.last_rotated_on:%d %b %Y}")
        if credential.expires_on and credential.expires_on <= today + timedelta(
            days=settings.CREDENTIAL_EXPIRY_WARNING_DAYS
        ):
            why.append(f"it expires on {credential.expires_on:%d %b %Y}")
        unsafe = (
            " It is also stored in an unsafe place: move it to a secrets manager."
            if (credential.storage in UNSAFE_CREDENTIAL_STORAGE)
            else ""
        )
        subject = f"Rotate the credential “{credential.name}”"
        for person in people:
            if Notification.objects.filter(
                kind=Notification.Kind.CREDENTIAL_ROTATION,
                recipient=person,
                subject=subject,
                created_at__gte=week_ago,
            ).exists():
                continue
            if notification_queue(
                to=person,
                kind=Notification.Kind.CREDENTIAL_ROTATION,
                subject=subject,
                body=f"“{credential.name}” is due for rotation: {' and '.join(why)}.{unsafe}\n"
                f"Record the new rotation date: "
                f"{settings.SITE_URL}{reverse('registry:credential_detail', args=[credential.pk])}",
            ):
                result.notified += 1
    return result


def lead_digests_send() -> int:
    """Email each team lead a digest of their teams' use cases needing attention. Returns the
    number of digests queued (a lead with nothing to report gets none)."""
    from ..choices import ReviewStatus

    leads = Membership.objects.filter(role=MembershipRole.LEAD, user__is_active=True).select_related(
        "user", "team"
    )
    by_lead: dict = {}
    for membership in leads:
        by_lead.setdefault(membership.user, []).append(membership.team)
    sent = 0
    for lead, teams in by_lead.items():
        use_cases = UseCase.objects.filter(team__in=teams).exclude(lifecycle_stage="retired")
        lines = []
        for label, condition in [
            ("drafts", Q(is_draft=True)),
            ("changes requested", Q(review_status=ReviewStatus.CHANGES_REQUESTED)),
            ("approval expired", Q(review_status=ReviewStatus.EXPIRED)),
            ("no backup owner", Q(backup_owner__isnull=True)),
            ("ownership flagged", ~Q(ownership_note="")),
            (
                "a credential in an unsafe place",
                Q(credential_uses__credential__storage__in=list(UNSAFE_CREDENTIAL_STORAGE)),
            ),
        ]:
            names = list(use_cases.filter(condition).distinct().values_list("name", flat=True)[:20])
            if names:
                lines.append(f"{label.capitalize()} ({len(names)}): {', '.join(names)}")
        if not lines:
            continue
        if notification_queue(
            to=lead,
            kind=Notification.Kind.LEAD_DIGEST,
            subject=f"Weekly: {len(lines)} kind(s) of attention needed in {', '.join(t.name for t in teams)}",
            body="What needs attention in your teams' AI use cases:\n\n"
            + "\n".join(f"- {line}" for line in lines)
            + f"\n\nYour team's use cases: {settings.SITE_URL}{reverse('registry:use_case_list')}",
        ):
            sent += 1
    return sent
