"""Incidents: open one from a who-built-what query, tell the owners, track who acknowledged,
suspend and un-suspend affected use cases, add notes, resolve.

Each service follows the house steps: check the actor's role (``accounts.permissions``), lock,
check the state, write, record history (``history_record``), and queue emails in the outbox
(``notification_queue``: written in the same transaction, sent by Celery after commit, so a
rolled-back incident tells nobody). Responders and admins work incidents
(``can_handle_incidents``); a recipient acknowledges their own notice.

Acknowledgement links carry a random token (``secrets.token_urlsafe``); only its SHA-256 is
stored (``IncidentRecipient.token_hash``), like the API tokens: the token is random, so no
salt or slow hash is needed, and a database leak gives nobody a working link.
"""

import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.permissions import can_handle_incidents

from ..exceptions import TransitionNotAllowed
from ..models import (
    HistoryEntry,
    Incident,
    IncidentRecipient,
    IncidentUseCase,
    Notification,
    UseCase,
    Vendor,
)
from ..selectors.who_built_what import AffectedUseCase, WhoBuiltWhatQuery, who_built_what
from .history import history_record
from .notifications import notification_queue

#: What an owner is asked to do when the responder leaves "what to do" empty.
DEFAULT_WHAT_TO_DO = (
    "Check whether your use case is affected, stop it if in doubt, and reply to the incident "
    "responder with what you find. Rotate any credential named in this incident."
)


def token_hash(token: str) -> str:
    """The SHA-256 (hex) of an acknowledgement token, as ``IncidentRecipient.token_hash`` keeps it."""
    return hashlib.sha256(token.encode()).hexdigest()


def _require_handler(actor) -> None:
    if not can_handle_incidents(actor):
        raise PermissionDenied("Only incident responders and admins work incidents.")


def _require_open(incident: Incident) -> None:
    if incident.status != Incident.Status.OPEN:
        raise TransitionNotAllowed(incident.status, "The incident is resolved.")


def _role_of(person_id: int, uc: AffectedUseCase) -> str:
    roles = []
    if uc.owner and uc.owner.id == person_id:
        roles.append("you own it")
    if uc.backup_owner and uc.backup_owner.id == person_id:
        roles.append("you back it up")
    return ", ".join(roles)


def _use_case_lines(use_cases: list[AffectedUseCase], role_of) -> str:
    lines = []
    for uc in use_cases:
        role = role_of(uc)
        lines.append(f"- {uc.name}" + (f" ({role})" if role else "") + f": {uc.how_text}")
        if uc.depth:
            lines.append(f"  path: {uc.path_text}")
        lines.append(f"  {settings.SITE_URL}{uc.url}")
    return "\n".join(lines)


def _notice_body(incident: Incident, *, lines: str, ack_url: str | None) -> str:
    what_to_do = incident.what_to_do or DEFAULT_WHAT_TO_DO
    body = (
        f"Incident: {incident.title}\n"
        f"Severity: {incident.get_severity_display()}\n"
        f"Opened by {incident.opened_by} on {timezone.localtime(incident.opened_at):%d %b %Y %H:%M}.\n\n"
        f"What happened:\n{incident.description}\n\n"
        f"What you must do:\n{what_to_do}\n\n"
        f"Affected use cases:\n{lines}\n"
    )
    if ack_url:
        body += (
            "\nPlease acknowledge that you have read this (sign in first; the link is yours "
            f"alone and works once):\n{ack_url}\n"
        )
    return body


@transaction.atomic
def incident_open(
    *,
    actor,
    query: WhoBuiltWhatQuery,
    title: str,
    description: str,
    severity: str = Incident.Severity.HIGH,
    what_to_do: str = "",
) -> Incident:
    """Open an incident from a who-built-what query and tell everyone affected.

    Runs the query as ``actor`` now and records its answer: one ``IncidentUseCase`` per
    affected use case (how, depth, path, owner and backup owner at this moment), the subject
    (credential, data source, vendor; a model's vendor; the credentials a person holds) and
    the query itself. Every active owner and backup owner gets one ``IncidentRecipient``
    (with an acknowledgement token) and one email listing their use cases; a use case with
    no named owner but a contact mailbox has that mailbox told (no acknowledgement link).

    Args:
        actor: an incident responder or an admin.
        query: the who-built-what query the incident is opened from.
        title, description: what happened (required).
        severity: an ``Incident.Severity`` value.
        what_to_do: what each owner must do (a default sentence when blank).

    Returns:
        The saved incident.

    Raises:
        PermissionDenied: ``actor`` may not handle incidents.
        ValidationError: a blank title or description, an unknown severity, or nothing affected.
        SubjectNotFound, WhoBuiltWhatQueryError: as ``who_built_what``.
    """
    _require_handler(actor)
    errors = {}
    if not (title or "").strip():
        errors["title"] = ["Give the incident a title."]
    if not (description or "").strip():
        errors["description"] = ["Say what happened."]
    if severity not in Incident.Severity.values:
        errors["severity"] = [f"One of {', '.join(Incident.Severity.values)}."]
    if errors:
        raise ValidationError(errors)
    answer = who_built_what(user=actor, query=query)
    if not answer.use_cases:
        raise ValidationError({"__all__": ["Nothing is affected: there is nobody to tell."]})

    incident = Incident.objects.create(
        title=title.strip()[:300],
        severity=severity,
        description=description.strip(),
        what_to_do=(what_to_do or "").strip(),
        query={
            **query.as_params(),
            "subject": answer.subject.label,
            "kind": answer.subject.kind_label,
            "generated_at": answer.generated_at.isoformat(),
        },
        opened_by=actor,
    )
    if query.kind == "credential":
        incident.credentials.add(int(query.value))
    elif query.kind == "data_source":
        incident.data_sources.add(int(query.value))
    elif query.kind == "vendor":
        incident.vendors.add(int(query.value))
    elif query.kind == "model":
        incident.vendors.add(*Vendor.objects.filter(models__pk=int(query.value)).values_list("pk", flat=True))
    elif query.kind == "person" and answer.credentials_held:
        incident.credentials.add(*[c.id for c in answer.credentials_held])

    IncidentUseCase.objects.bulk_create(
        [
            IncidentUseCase(
                incident=incident,
                use_case_id=uc.id,
                how=uc.how_text[:500],
                depth=uc.depth,
                path=[step.name for step in uc.path],
                owner_id=uc.owner.id if uc.owner else None,
                backup_owner_id=uc.backup_owner.id if uc.backup_owner else None,
            )
            for uc in answer.use_cases
        ]
    )

    people = [(person, ucs) for person, ucs in answer.people_to_notify() if person.is_active]
    users = User.objects.in_bulk([person.id for person, _ in people])
    through = IncidentRecipient.use_cases.through
    links = []
    for person, ucs in people:
        token = secrets.token_urlsafe(32)
        recipient = IncidentRecipient.objects.create(
            incident=incident, person_id=person.id, token_hash=token_hash(token)
        )
        links += [through(incidentrecipient_id=recipient.pk, usecase_id=uc.id) for uc in ucs]
        ack_url = settings.SITE_URL + reverse("registry:incident_acknowledge_link", args=[token])
        lines = _use_case_lines(ucs, lambda uc, pid=person.id: _role_of(pid, uc))
        notification_queue(
            to=users[person.id],
            subject=f"[Incident · {incident.get_severity_display()}] {incident.title}: "
            f"{len(ucs)} of your use case{'s' if len(ucs) != 1 else ''} affected",
            body=_notice_body(incident, lines=lines, ack_url=ack_url),
            kind=Notification.Kind.OTHER,
            use_case=UseCase(pk=ucs[0].id) if len(ucs) == 1 else None,
        )
    through.objects.bulk_create(links)

    mailboxes = answer.mailboxes_to_notify()
    for mailbox, ucs in mailboxes:
        notification_queue(
            to=mailbox,
            subject=f"[Incident · {incident.get_severity_display()}] {incident.title}",
            body=_notice_body(incident, lines=_use_case_lines(ucs, lambda uc: ""), ack_url=None),
            kind=Notification.Kind.OTHER,
        )

    history_record(
        actor=actor,
        action=HistoryEntry.Action.CREATE,
        obj=incident,
        changes={
            "status": [None, incident.status],
            "severity": [None, incident.severity],
            "affected": [None, len(answer.use_cases)],
            "notified": [None, sorted(person.username for person, _ in people)],
            "mailboxes": [None, [mailbox for mailbox, _ in mailboxes]],
        },
        summary=f"opened from {answer.subject.kind_label.lower()} “{answer.subject.label}”: "
        f"{len(answer.use_cases)} use case{'s' if len(answer.use_cases) != 1 else ''} affected, "
        f"{len(people)} {'people' if len(people) != 1 else 'person'} notified",
    )
    return incident


@transaction.atomic
def incident_acknowledge(*, recipient: IncidentRecipient, actor) -> bool:
    """Record that ``actor`` read their notice.

    Returns:
        True if this call acknowledged it; False if it was already acknowledged (nothing changes).

    Raises:
        PermissionDenied: ``actor`` is not the recipient.
    """
    recipient = IncidentRecipient.objects.select_for_update().select_related("incident").get(pk=recipient.pk)
    if actor is None or recipient.person_id != actor.pk:
        raise PermissionDenied("This notice is someone else's.")
    if recipient.acknowledged_at is not None:
        return False
    recipient.acknowledged_at = timezone.now()
    recipient.save(update_fields=["acknowledged_at"])
    history_record(
        actor=actor,
        action=HistoryEntry.Action.EVENT,
        obj=recipient.incident,
        changes={"acknowledged": [None, actor.get_username()]},
        summary=f"acknowledged by {actor}",
    )
    return True


def _affected_links(incident: Incident, use_case_ids) -> list[IncidentUseCase]:
    ids = {int(pk) for pk in use_case_ids}
    if not ids:
        raise ValidationError({"use_cases": ["Choose at least one use case."]})
    links = list(
        IncidentUseCase.objects.select_for_update()
        .filter(incident=incident, use_case_id__in=ids)
        .order_by("use_case_id")
    )
    unknown = ids - {link.use_case_id for link in links}
    if unknown:
        raise ValidationError(
            {"use_cases": [f"Not in this incident's affected set: {', '.join(map(str, sorted(unknown)))}."]}
        )
    return links


@transaction.atomic
def incident_suspend(*, incident: Incident, actor, use_case_ids, reason: str = "") -> int:
    """Suspend affected use cases: ``UseCase.suspended_at`` and ``suspended_reason`` are set
    (their pages say so, the shared library hides them), each with a history entry.

    Args:
        use_case_ids: ids of use cases in the incident's affected set.
        reason: why (the incident's title when blank); prefixed with the incident's number.

    Returns:
        How many use cases this call suspended (already suspended ones are left as they are).

    Raises:
        PermissionDenied: ``actor`` may not handle incidents.
        TransitionNotAllowed: the incident is resolved.
        ValidationError: no id, or an id outside the affected set.
    """
    _require_handler(actor)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    _require_open(incident)
    links = _affected_links(incident, use_case_ids)
    now = timezone.now()
    text = f"Incident #{incident.pk}: {(reason or '').strip() or incident.title}"[:500]
    use_cases = UseCase.objects.select_for_update().in_bulk([link.use_case_id for link in links])
    count = 0
    for link in links:
        use_case = use_cases[link.use_case_id]
        if link.suspended_at is None:
            link.suspended_at = now
            link.save(update_fields=["suspended_at"])
        if use_case.suspended_at is not None:
            continue
        use_case.suspended_at, use_case.suspended_reason = now, text
        use_case.save(update_fields=["suspended_at", "suspended_reason", "updated_at"])
        history_record(
            actor=actor,
            action=HistoryEntry.Action.UPDATE,
            obj=use_case,
            changes={"suspended_at": [None, now], "suspended_reason": ["", text]},
            summary=f"suspended during incident #{incident.pk}",
        )
        count += 1
    history_record(
        actor=actor,
        action=HistoryEntry.Action.EVENT,
        obj=incident,
        changes={"suspended": [None, sorted(use_cases[link.use_case_id].name for link in links)]},
        summary=f"suspended {count} use case{'s' if count != 1 else ''}",
    )
    return count


@transaction.atomic
def incident_unsuspend(*, incident: Incident, actor, use_case_ids) -> int:
    """Lift this incident's suspension of affected use cases.

    A use case stays suspended while another open incident still suspends it.

    Returns:
        How many use cases are no longer suspended after this call.

    Raises:
        PermissionDenied, ValidationError: as ``incident_suspend`` (a resolved incident may
            still lift its suspensions).
    """
    _require_handler(actor)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    links = _affected_links(incident, use_case_ids)
    still_held = set(
        IncidentUseCase.objects.filter(
            use_case_id__in=[link.use_case_id for link in links],
            suspended_at__isnull=False,
            incident__status=Incident.Status.OPEN,
        )
        .exclude(incident=incident)
        .values_list("use_case_id", flat=True)
    )
    use_cases = UseCase.objects.select_for_update().in_bulk([link.use_case_id for link in links])
    count = 0
    for link in links:
        if link.suspended_at is not None:
            link.suspended_at = None
            link.save(update_fields=["suspended_at"])
        use_case = use_cases[link.use_case_id]
        if use_case.suspended_at is None or link.use_case_id in still_held:
            continue
        before = (use_case.suspended_at, use_case.suspended_reason)
        use_case.suspended_at, use_case.suspended_reason = None, ""
        use_case.save(update_fields=["suspended_at", "suspended_reason", "updated_at"])
        history_record(
            actor=actor,
            action=HistoryEntry.Action.UPDATE,
            obj=use_case,
            changes={"suspended_at": [before[0], None], "suspended_reason": [before[1], ""]},
            summary=f"suspension lifted (incident #{incident.pk})",
        )
        count += 1
    history_record(
        actor=actor,
        action=HistoryEntry.Action.EVENT,
        obj=incident,
        changes={"unsuspended": [None, sorted(use_cases[link.use_case_id].name for link in links)]},
        summary=f"lifted the suspension of {count} use case{'s' if count != 1 else ''}",
    )
    return count


@transaction.atomic
def incident_add_note(*, incident: Incident, actor, text: str) -> HistoryEntry:
    """Add a note to the incident's log (its history: notes are never edited or deleted).

    Raises:
        PermissionDenied: ``actor`` may not handle incidents.
        TransitionNotAllowed: the incident is resolved.
        ValidationError: a blank note.
    """
    _require_handler(actor)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": ["Write the note."]})
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    _require_open(incident)
    return history_record(
        actor=actor,
        action=HistoryEntry.Action.EVENT,
        obj=incident,
        changes={"note": [None, text]},
        summary=f"note: {text}",
    )


@transaction.atomic
def incident_resolve(*, incident: Incident, actor, notes: str) -> Incident:
    """Resolve an open incident with notes (what was found, what was done).

    Suspended use cases stay suspended until lifted one by one (``incident_unsuspend``).

    Raises:
        PermissionDenied: ``actor`` may not handle incidents.
        TransitionNotAllowed: it is already resolved.
        ValidationError: blank notes.
    """
    _require_handler(actor)
    notes = (notes or "").strip()
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    _require_open(incident)
    if not notes:
        raise ValidationError({"notes": ["Say what was found and what was done."]})
    incident.status = Incident.Status.RESOLVED
    incident.resolved_at = timezone.now()
    incident.resolution_notes = notes
    incident.save(update_fields=["status", "resolved_at", "resolution_notes"])
    history_record(
        actor=actor,
        action=HistoryEntry.Action.TRANSITION,
        obj=incident,
        changes={"status": [Incident.Status.OPEN, Incident.Status.RESOLVED], "resolution_notes": ["", notes]},
        summary="resolved",
    )
    return incident
