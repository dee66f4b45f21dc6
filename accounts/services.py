"""Offboarding: deactivating a person never orphans a use case silently.

``user_deactivate`` is the one way a person leaves: the admin (the change form and the
"Offboard selected people" action), ``manage.py deactivate_user`` and any later caller go
through it. It moves or flags the person's use cases in one transaction and, once that has
committed, enqueues one notification per affected team (``accounts.tasks``).
"""

import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from .choices import MembershipRole
from .models import Team, User
from .permissions import can_deactivate_people

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OffboardingResult:
    """What deactivating one person did.

    Attributes:
        user_id: the person.
        already_inactive: they had already left; nothing was changed or sent.
        moved_ids: use cases whose backup owner became the owner.
        flagged_ids: use cases flagged for attention (``moved_ids`` included).
        notified_ids: the people the notifications go to (team leads, or the fallbacks).
        team_ids: the teams notified (one task each).
    """

    user_id: int
    already_inactive: bool = False
    moved_ids: tuple[int, ...] = ()
    flagged_ids: tuple[int, ...] = ()
    notified_ids: tuple[int, ...] = ()
    team_ids: tuple[int, ...] = ()

    @property
    def moved(self) -> int:
        return len(self.moved_ids)

    @property
    def flagged(self) -> int:
        return len(self.flagged_ids)

    @property
    def notified(self) -> int:
        return len(self.notified_ids)

    def summary(self) -> str:
        """One line: ``"moved 1, flagged 3, leads notified 1"`` (or why nothing happened)."""
        if self.already_inactive:
            return "already inactive: nothing changed, nobody notified"
        return f"moved {self.moved}, flagged {self.flagged}, leads notified {self.notified}"


def _only_built_by(user) -> set[int]:
    """Ids of the use cases whose builders are ``user`` alone (one query)."""
    from registry.models import UseCase

    through = UseCase.builders.through
    theirs = through.objects.filter(user_id=user.pk).values("usecase_id")
    return set(
        through.objects.filter(usecase_id__in=theirs)
        .values("usecase_id")
        .annotate(n=Count("user_id"))
        .filter(n=1)
        .values_list("usecase_id", flat=True)
    )


def _note_join(existing: str, added: str) -> str:
    """Append ``added`` to a use case's ownership note, within the field's 500 characters."""
    note = f"{existing} {added}" if existing else added
    return Truncator(note).chars(500)


@transaction.atomic
def user_deactivate(*, user: User, actor) -> OffboardingResult:
    """Offboard a person: deactivate them and hand their use cases on or flag them.

    For every use case (retired ones aside) where the person was:

    - the owner: an active backup owner becomes the owner (the backup is cleared) and the use
      case is flagged "confirm or reassign"; with no active backup the departed owner stays
      recorded and the use case is flagged "no backup owner";
    - the backup owner: the backup is cleared and the use case is flagged;
    - the only builder: the use case is flagged.

    A flag is an ``ownership_note`` (appended to any earlier one) and ``ownership_flagged_at``;
    flagged use cases appear on the ownership gaps page and cannot be approved until someone
    accepts them (``registry.services.ownership``). After the transaction commits, one
    ``notify_team_leads_of_offboarding`` task per affected team is enqueued; nothing is
    enqueued if it rolls back.

    Args:
        user: the person leaving.
        actor: who offboards them (must be an admin), or ``None`` for the management command.

    Returns:
        An ``OffboardingResult``. A person who is already inactive is left as is: nothing is
        flagged or sent twice (``already_inactive=True``, every count 0).

    Raises:
        PermissionDenied: ``actor`` is not an admin (nothing changed).
    """
    from registry.choices import LifecycleStage
    from registry.models import HistoryEntry, UseCase
    from registry.services.history import diff, history_record, snapshot

    if actor is not None and not can_deactivate_people(actor):
        raise PermissionDenied("Only an admin can offboard people.")
    person = User.objects.select_for_update().get(pk=user.pk)
    if not person.is_active:
        user.is_active = False
        return OffboardingResult(user_id=person.pk, already_inactive=True)
    person.is_active = False
    person.save(update_fields=["is_active"])
    user.is_active = False  # keep the caller's instance in step
    tracked = ["owner", "backup_owner", "ownership_note"]

    now = timezone.now()
    day = timezone.localdate(now).isoformat()
    name = str(person)
    only_built = _only_built_by(person)
    affected = list(
        UseCase.objects.select_for_update(of=("self",))
        .select_related("owner", "backup_owner")
        .filter(Q(owner=person) | Q(backup_owner=person) | Q(pk__in=only_built))
        .exclude(lifecycle_stage=LifecycleStage.RETIRED)
        .order_by("pk")
    )
    moved, by_team = [], defaultdict(list)
    for use_case in affected:
        before = snapshot(use_case, tracked)
        reasons = []
        if use_case.owner_id == person.pk:
            backup = use_case.backup_owner
            if backup is not None and backup.is_active and backup.pk != person.pk:
                use_case.owner, use_case.backup_owner = backup, None
                reasons.append(
                    f"Owner {name} left on {day}; backup owner {backup} is now the owner: "
                    "confirm or reassign."
                )
                moved.append(use_case.pk)
            elif backup is not None and backup.pk != person.pk:
                reasons.append(f"Owner {name} left on {day} and backup owner {backup} has left too.")
            else:
                use_case.backup_owner = None
                reasons.append(f"Owner {name} left on {day} and there is no backup owner.")
        elif use_case.backup_owner_id == person.pk:
            use_case.backup_owner = None
            reasons.append(f"Backup owner {name} left on {day}: name a new backup owner.")
        if use_case.pk in only_built:
            reasons.append(f"Its only builder, {name}, left on {day}.")
        use_case.ownership_note = _note_join(use_case.ownership_note, " ".join(reasons))
        use_case.ownership_flagged_at = now
        use_case.updated_at = now  # bulk_update skips auto_now
        by_team[use_case.team_id].append(use_case.pk)
        history_record(
            actor=actor,
            action=HistoryEntry.Action.UPDATE,
            obj=use_case,
            changes=diff(before, snapshot(use_case, tracked)),
            summary=f"ownership flagged: {name} left",
        )
    UseCase.objects.bulk_update(
        affected,
        ["owner", "backup_owner", "ownership_note", "ownership_flagged_at", "updated_at"],
        batch_size=500,
    )

    history_record(
        actor=actor,
        action=HistoryEntry.Action.EVENT,
        obj=person,
        changes={"is_active": [True, False]},
        summary=f"offboarded: moved {len(moved)}, flagged {len(affected)}",
    )

    notified = set()
    for team in Team.objects.filter(pk__in=by_team).select_related("parent"):
        recipients, _ = offboarding_recipients(team)
        notified.update(recipient.pk for recipient in recipients)
    for team_id, use_case_ids in by_team.items():
        # robust: the person has left whatever happens to the notice (a failure is logged); the
        # flags already list the use cases on the ownership gaps page.
        transaction.on_commit(_enqueue_notice(team_id, person.pk, use_case_ids), robust=True)
    logger.info(
        "Offboarded %s (id %s): moved %d, flagged %d, teams %d",
        person.username,
        person.pk,
        len(moved),
        len(affected),
        len(by_team),
    )
    return OffboardingResult(
        user_id=person.pk,
        moved_ids=tuple(moved),
        flagged_ids=tuple(uc.pk for uc in affected),
        notified_ids=tuple(sorted(notified)),
        team_ids=tuple(sorted(by_team)),
    )


def _enqueue_notice(team_id: int, user_id: int, use_case_ids: list[int]):
    """The on-commit callback that enqueues one team's notice (a named function: Django logs a
    failing robust callback by its ``__qualname__``)."""
    from .tasks import notify_team_leads_of_offboarding

    def enqueue_offboarding_notice():
        notify_team_leads_of_offboarding.delay(team_id, user_id, use_case_ids)

    return enqueue_offboarding_notice


def offboarding_recipients(team: Team) -> tuple[list[User], str]:
    """Who is told about a departure in ``team``: its active leads with an email address; if it
    has none, the leads of its parent team; if none either, the registry's admins.

    Returns:
        ``(people, why)``: ``why`` completes "You receive this because ..." in the email.
    """
    people = User.objects.filter(is_active=True).exclude(email="").order_by("pk")
    leads = list(people.filter(memberships__team=team, memberships__role=MembershipRole.LEAD))
    if leads:
        return leads, f"you lead {team.name}"
    if team.parent_id is not None:
        leads = list(
            people.filter(memberships__team_id=team.parent_id, memberships__role=MembershipRole.LEAD)
        )
        if leads:
            return leads, f"{team.name} has no lead and you lead {team.parent.name}"
    return list(people.filter(is_superuser=True)), f"{team.name} has no lead and you are a registry admin"


def offboarding_notify_team(*, team_id: int, user_id: int, use_case_ids: list[int]) -> int:
    """Email the leads of one team (or the fallbacks of ``offboarding_recipients``) the list of
    use cases a departed person left behind, with links to each and to the ownership gaps page.

    One email, addressed to all of them. Called by the ``notify_team_leads_of_offboarding``
    task; safe to run again (it only sends).

    Returns:
        The number of recipients (0: the team, person or use cases are gone, or nobody has an
        email address; logged).

    Raises:
        smtplib.SMTPException, ConnectionError, TimeoutError: sending failed (the task retries).
    """
    from registry.models import UseCase

    team = Team.objects.select_related("parent").filter(pk=team_id).first()
    person = User.objects.filter(pk=user_id).first()
    use_cases = list(
        UseCase.objects.filter(pk__in=use_case_ids, team_id=team_id).select_related("owner").order_by("name")
    )
    if team is None or person is None or not use_cases:
        logger.warning("Offboarding notice for team %s, person %s: nothing left to send", team_id, user_id)
        return 0
    recipients, why = offboarding_recipients(team)
    if not recipients:
        logger.warning("Offboarding notice for %s: nobody to send it to (no lead, no admin email)", team)
        return 0
    base = settings.SITE_URL
    context = {
        "team": team,
        "person": person,
        "why": why,
        "use_cases": [
            {
                "name": use_case.name,
                "note": use_case.ownership_note,
                "url": base + reverse("registry:use_case_detail", args=[use_case.pk]),
            }
            for use_case in use_cases
        ],
        "gaps_url": f"{base}{reverse('registry:ownership_gaps')}?team={team.slug}",
    }
    subject = " ".join(render_to_string("emails/offboarding_notice_subject.txt", context).split())
    body = render_to_string("emails/offboarding_notice.txt", context)
    EmailMessage(subject=subject, body=body, to=[recipient.email for recipient in recipients]).send()
    return len(recipients)
