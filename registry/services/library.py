"""Writes of the shared library: promotion, editing, deprecation and unlisting of entries,
adoption, usage reports, foundation document versions, and the library sweep.

Each change follows the same steps: check permission (``accounts.permissions``), check the
secret guard on free text (before any transaction, so a refusal is counted even though nothing
is written), then in one transaction lock, validate, write, record history
(``history_record``) and queue emails (the outbox, sent after commit).

Who may do what (``docs/permissions.md``): curators and admins promote, edit, deprecate and
unlist entries and publish foundation document versions; everyone signed in adopts; those who
may change a use case (owner, backup owner, builders, its team's builders and lead, admins, or
a service account's API token with change rights) report its usage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from accounts.choices import RoleGroup
from accounts.permissions import (
    can_adopt_into_team,
    can_change_use_case,
    can_curate_library,
    standing_of,
)

from ..choices import LifecycleStage
from ..exceptions import TransitionNotAllowed
from ..models import (
    Adoption,
    CredentialUse,
    DataAccess,
    FoundationDocument,
    FoundationDocumentVersion,
    HistoryEntry,
    LibraryEntry,
    Notification,
    UsageReport,
    UseCase,
    VendorUse,
)
from ..rules.graduation import Criterion, GraduationAssessment
from ..secret_guard import secret_guard
from ..selectors.library import (
    IN_LIBRARY_STATUSES,
    assess_annotated,
    graduation_annotate,
    use_case_graduation,
)
from .history import diff, history_record, snapshot
from .notifications import notification_queue
from .use_cases import ownership_blockers

Status = LibraryEntry.Status

#: The entry's fields a curator writes when promoting or editing.
ENTRY_FIELDS = ("reuse_summary", "how_to_adopt", "category", "version")


class PromotionRefused(Exception):
    """A use case cannot be promoted now.

    Attributes:
        reasons: why, each a sentence ("Its approval expired on 1 Oct 2026.").
        unmet: the graduation criteria it misses (``Criterion``; may be empty when the reason
            is something else: already in the library, suspended, ownership flagged).
    """

    def __init__(self, reasons: list[str], unmet: list[Criterion] | None = None):
        self.reasons = list(reasons)
        self.unmet = list(unmet or [])
        super().__init__("Not eligible for the shared library: " + " ".join(self.reasons))


def _url(name: str, pk: int) -> str:
    return f"{settings.SITE_URL}{reverse(name, args=[pk])}"


def _lock_entry(entry: LibraryEntry) -> LibraryEntry:
    return LibraryEntry.objects.select_for_update(of=("self",)).select_related("use_case").get(pk=entry.pk)


def _require_curator(actor, what: str) -> None:
    if not can_curate_library(actor):
        raise PermissionDenied(f"Only library curators {what}.")


def _load_for_assessment(pk: int) -> UseCase:
    """The use case locked, with what its graduation assessment reads."""
    UseCase.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True).get()
    return (
        UseCase.objects.select_related("owner", "backup_owner", "team")
        .prefetch_related(
            "reviews",
            Prefetch("data_accesses", queryset=DataAccess.objects.select_related("data_source")),
            Prefetch("credential_uses", queryset=CredentialUse.objects.select_related("credential")),
        )
        .get(pk=pk)
    )


def _entry_values(values: dict, *, partial: bool) -> dict:
    cleaned, errors = {}, {}
    for name in ENTRY_FIELDS:
        if name not in values:
            if not partial and name != "version":
                errors[name] = ["This field is required."]
            continue
        value = str(values[name] or "").strip()
        if not value and name != "version":
            errors[name] = ["This field is required."]
        cleaned[name] = value or ("1.0" if name == "version" else "")
    limits = {"category": 100, "version": 50}
    for name, limit in limits.items():
        if len(cleaned.get(name, "")) > limit:
            errors[name] = [f"At most {limit} characters."]
    unknown = set(values) - set(ENTRY_FIELDS)
    for name in unknown:
        errors[name] = ["This field cannot be set."]
    if errors:
        raise ValidationError(errors)
    return cleaned


# --- promotion and the entry's life -----------------------------------------------------------


def library_promote(
    *,
    use_case: UseCase,
    actor,
    reuse_summary: str,
    how_to_adopt: str,
    category: str,
    version: str = "1.0",
    channel: str = "form",
    now: dt.datetime | None = None,
) -> LibraryEntry:
    """Promote an eligible use case to the shared library (a new listed entry, or its unlisted
    entry listed again with the new text).

    Args:
        reuse_summary, how_to_adopt, category, version: the entry's text (``how_to_adopt``
            names the kinds of credentials and data access an adopter needs, never values).
        channel: the secret guard's channel ("form" or "api").

    Returns:
        The listed ``LibraryEntry``.

    Raises:
        SecretValueError: a text looks like a secret (nothing written).
        PermissionDenied: ``actor`` is not a library curator (or admin).
        ValidationError: a required text is empty (field errors).
        PromotionRefused: not every graduation criterion is met (``.unmet``), its ownership
            is blocked (``ownership_blockers``), it is suspended, a draft, or already listed
            or deprecated in the library.
    """
    texts = {
        "reuse_summary": reuse_summary,
        "how_to_adopt": how_to_adopt,
        "category": category,
        "version": version,
    }
    _require_curator(actor, "promote use cases to the shared library")
    secret_guard(texts, channel=channel, actor=actor)
    values = _entry_values(texts, partial=False)
    with transaction.atomic():
        fresh = _load_for_assessment(use_case.pk)
        existing = LibraryEntry.objects.select_for_update().filter(use_case=fresh).first()
        if existing is not None and existing.status in IN_LIBRARY_STATUSES:
            raise PromotionRefused(
                [f"It is already in the library ({existing.get_status_display().lower()})."]
            )
        reasons = []
        if fresh.is_draft:
            reasons.append("It is a draft: register it first.")
        if fresh.suspended_at is not None:
            reasons.append("It is suspended by an incident responder.")
        assessment = use_case_graduation(fresh, now=now)
        reasons += [c.why for c in assessment.unmet]
        if assessment.get("owners").met:  # otherwise that criterion already says why
            reasons += [f"{b[0].upper()}{b[1:]}." for b in ownership_blockers(fresh)]
        if reasons:
            raise PromotionRefused(reasons, assessment.unmet)
        if existing is None:
            entry = LibraryEntry.objects.create(use_case=fresh, promoted_by=actor, **values)
            history_record(
                actor=actor,
                action=HistoryEntry.Action.CREATE,
                obj=entry,
                use_case=fresh,
                changes=diff({}, values),
                summary=f"promoted to the shared library ({values['category']}, version {values['version']})",
            )
            return entry
        before = snapshot(existing, [*ENTRY_FIELDS, "status"])
        for name, value in values.items():
            setattr(existing, name, value)
        existing.status = Status.LISTED
        existing.deprecation_reason, existing.replacement = "", None
        existing.flag_reason, existing.flagged_at = "", None
        existing.promoted_by = actor
        existing.save()
        history_record(
            actor=actor,
            action=HistoryEntry.Action.TRANSITION,
            obj=existing,
            use_case=fresh,
            changes=diff(before, snapshot(existing, [*ENTRY_FIELDS, "status"])),
            summary="promoted to the shared library again",
        )
        return existing


def library_entry_edit(*, entry: LibraryEntry, actor, values: dict, channel: str = "form") -> LibraryEntry:
    """Change an entry's reuse summary, how to adopt, category or version.

    Args:
        values: some of ``ENTRY_FIELDS``; those left out stay as they are.

    Raises:
        SecretValueError, PermissionDenied (not a curator), ValidationError (an empty
        required text, an unknown field).
    """
    _require_curator(actor, "edit library entries")
    secret_guard({k: v for k, v in values.items() if isinstance(v, str)}, channel=channel, actor=actor)
    cleaned = _entry_values(values, partial=True)
    with transaction.atomic():
        return _edit(entry, actor, cleaned)


def _edit(entry: LibraryEntry, actor, cleaned: dict) -> LibraryEntry:
    entry = _lock_entry(entry)
    before = snapshot(entry, list(ENTRY_FIELDS))
    for name, value in cleaned.items():
        setattr(entry, name, value)
    changes = diff(before, snapshot(entry, list(ENTRY_FIELDS)))
    if changes:
        entry.save()
        history_record(
            actor=actor,
            action=HistoryEntry.Action.UPDATE,
            obj=entry,
            use_case=entry.use_case,
            changes=changes,
            summary="library entry changed",
        )
    return entry


def library_deprecate(
    *, entry: LibraryEntry, actor, reason: str, replacement: LibraryEntry | None = None, channel: str = "form"
) -> LibraryEntry:
    """Deprecate a listed entry: readers see the reason and what to use instead.

    Args:
        reason: why (required).
        replacement: a listed entry to use instead, or None.

    Raises:
        SecretValueError, PermissionDenied (not a curator), ValidationError (no reason; a
        replacement that is this entry or not listed), TransitionNotAllowed (the entry is not
        listed; ``.state`` is its status).
    """
    _require_curator(actor, "deprecate library entries")
    secret_guard({"reason": reason}, channel=channel, actor=actor)
    with transaction.atomic():
        return _deprecate(entry, actor, reason, replacement)


def _deprecate(entry: LibraryEntry, actor, reason: str, replacement: LibraryEntry | None) -> LibraryEntry:
    entry = _lock_entry(entry)
    if entry.status != Status.LISTED:
        raise TransitionNotAllowed(
            entry.status, f"Only a listed entry can be deprecated; this one is {entry.status}."
        )
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = ["Say why it is deprecated."]
    if replacement is not None and (replacement.pk == entry.pk or replacement.status != Status.LISTED):
        errors["replacement"] = ["Choose another entry that is listed."]
    if errors:
        raise ValidationError(errors)
    before = snapshot(entry, ["status", "deprecation_reason", "replacement"])
    entry.status = Status.DEPRECATED
    entry.deprecation_reason = reason.strip()
    entry.replacement = replacement
    entry.save()
    history_record(
        actor=actor,
        action=HistoryEntry.Action.TRANSITION,
        obj=entry,
        use_case=entry.use_case,
        changes=diff(before, snapshot(entry, ["status", "deprecation_reason", "replacement"])),
        summary="deprecated" + (f"; use {replacement.use_case.name} instead" if replacement else ""),
    )
    return entry


def _unlist(entry: LibraryEntry, actor, reason: str) -> LibraryEntry:
    before = entry.status
    entry.status = Status.UNLISTED
    entry.save(update_fields=["status", "updated_at"])
    history_record(
        actor=actor,
        action=HistoryEntry.Action.TRANSITION,
        obj=entry,
        use_case=entry.use_case,
        changes={"status": [before, Status.UNLISTED]},
        summary=f"unlisted from the shared library{': ' + reason if reason else ''}",
    )
    return entry


def library_unlist(*, entry: LibraryEntry, actor, reason: str = "") -> LibraryEntry:
    """Take an entry out of the library (listed or deprecated → unlisted); it may be promoted
    again later.

    Raises:
        PermissionDenied (not a curator), SecretValueError (the reason), TransitionNotAllowed
        (already unlisted).
    """
    _require_curator(actor, "unlist library entries")
    secret_guard({"reason": reason}, channel="form", actor=actor)
    with transaction.atomic():
        entry = _lock_entry(entry)
        if entry.status == Status.UNLISTED:
            raise TransitionNotAllowed(entry.status, "This entry is already unlisted.")
        return _unlist(entry, actor, reason.strip())


# --- adoption --------------------------------------------------------------------------------


@dataclass
class AdoptionResult:
    """What ``adoption_record`` did: the adoption, whether it is new, and the linked use case
    created by this call (None when none was asked for or it already existed)."""

    adoption: Adoption
    created: bool
    linked_use_case: UseCase | None = None


def _linked_registration(source: UseCase, team, actor):
    """The fields and links of an adopter's own use case, prefilled from ``source``: what it
    does, where it runs, the vendors and data sources it uses and the current versions of its
    foundation documents. Never its credentials: an adopter uses their own."""
    from .registration import DataAccessInput, RegistrationLinks, VendorChoice

    fields = {
        "name": f"{source.name} ({team.name})"[:500],
        "purpose": source.purpose,
        "description": source.description,
        "outputs": source.outputs,
        "kind": source.kind,
        "technique": source.technique,
        "team": team,
        "owner": actor,
        "lifecycle_stage": LifecycleStage.BUILDING,
        "platform": source.platform,
        "autonomy": source.autonomy,
        "exposure": source.exposure,
        "human_in_the_loop": source.human_in_the_loop,
        "documentation_url": source.documentation_url,
        "handles_personal_data": source.handles_personal_data,
    }
    vendor_uses = VendorUse.objects.filter(use_case=source).select_related("vendor", "model")
    links = RegistrationLinks(
        vendors=[
            VendorChoice(vendor=vu.vendor, model_name=vu.model.name if vu.model else "") for vu in vendor_uses
        ],
        data_accesses=[
            DataAccessInput(data_source=a.data_source, access=a.access, purpose=a.purpose)
            for a in DataAccess.objects.filter(use_case=source).select_related("data_source")
        ],
        foundation_documents=[
            (u.document, u.document.current_version)
            for u in source.foundation_uses.select_related("document")
        ],
    )
    return fields, links


def adoption_record(
    *,
    entry: LibraryEntry,
    actor,
    team=None,
    note: str = "",
    create_use_case: bool = False,
    channel: str = "form",
) -> AdoptionResult:
    """Record that ``actor`` (and optionally a team they belong to) adopted a listed entry;
    optionally create their own linked use case (a draft: their team, them as owner,
    prefilled from the entry; shown as "adopted from" it).

    Adopting twice returns the first adoption (its team and note updated when given); asking
    for a linked use case later creates it then. The linked use case is registered through
    ``registry.services.registration.use_case_register``, so its secret guard, permission and
    history apply.

    Raises:
        SecretValueError: the note looks like a secret.
        PermissionDenied: not signed in or inactive; or ``create_use_case`` and ``actor`` may
            not register use cases for ``team``.
        ValidationError: ``team`` is not one of theirs, or missing when ``create_use_case``.
        TransitionNotAllowed: the entry is not listed (deprecated or unlisted; ``.state``), or
            its use case is suspended.
    """
    standing = standing_of(actor)
    if not standing.is_active:
        raise PermissionDenied("Sign in to adopt library entries.")
    secret_guard({"note": note}, channel=channel, actor=actor)
    if team is not None and not (standing.is_admin or team.pk in standing.team_ids):
        raise ValidationError({"team": ["Choose a team you belong to."]})
    if create_use_case:
        if team is None:
            raise ValidationError({"team": ["Choose the team your own use case belongs to."]})
        if not can_adopt_into_team(actor, team):
            raise PermissionDenied(f"You cannot register use cases for {team.name}: you are not in it.")
    from .registration import use_case_register

    with transaction.atomic():
        entry = _lock_entry(entry)
        if entry.status != Status.LISTED:
            raise TransitionNotAllowed(
                entry.status, f"This entry is {entry.get_status_display().lower()}: it cannot be adopted."
            )
        if entry.use_case.suspended_at is not None:
            raise TransitionNotAllowed(entry.status, "Its use case is suspended: it cannot be adopted now.")
        adoption = Adoption.objects.select_for_update().filter(entry=entry, adopted_by=actor).first()
        created = adoption is None
        if created:
            try:
                with transaction.atomic():
                    adoption = Adoption.objects.create(
                        entry=entry, adopted_by=actor, team=team, note=note.strip()
                    )
            except IntegrityError:  # the same person, at the same moment, in another request
                adoption = Adoption.objects.select_for_update().get(entry=entry, adopted_by=actor)
                created = False
            else:
                history_record(
                    actor=actor,
                    action=HistoryEntry.Action.CREATE,
                    obj=adoption,
                    use_case=entry.use_case,
                    changes=diff({}, {"team": team, "note": note.strip()}),
                    summary=f"adopted from the shared library{f' by {team.name}' if team else ''}",
                )
        if not created:
            before = snapshot(adoption, ["team", "note"])
            if team is not None:
                adoption.team = team
            if note.strip():
                adoption.note = note.strip()
            changes = diff(before, snapshot(adoption, ["team", "note"]))
            if changes:
                adoption.save(update_fields=["team", "note"])
                history_record(
                    actor=actor,
                    action=HistoryEntry.Action.UPDATE,
                    obj=adoption,
                    use_case=entry.use_case,
                    changes=changes,
                    summary="adoption changed",
                )
        linked = None
        if create_use_case and adoption.use_case_id is None:
            fields, links = _linked_registration(entry.use_case, team, actor)
            linked = use_case_register(
                actor=actor, fields=fields, links=links, draft=True, channel=channel, adopting=True
            )
            adoption.use_case = linked
            adoption.save(update_fields=["use_case"])
            history_record(
                actor=actor,
                action=HistoryEntry.Action.EVENT,
                obj=linked,
                changes={"adopted_from": [None, entry.use_case.name]},
                summary=f"adopted from the shared library entry “{entry.use_case.name}”",
            )
    return AdoptionResult(adoption=adoption, created=created, linked_use_case=linked)


# --- usage reports -------------------------------------------------------------------------------


def usage_period_parse(value) -> dt.date:
    """A month as its first day, from a date, a datetime, ``"2026-10"`` or ``"2026-10-17"``.

    Raises:
        ValidationError: ``{"period": [...]}`` for anything else.
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = str(value or "").strip()
    for parse in (lambda t: dt.date.fromisoformat(t + "-01") if len(t) == 7 else None, dt.date.fromisoformat):
        try:
            parsed = parse(text)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed.replace(day=1)
    raise ValidationError({"period": ["A month, e.g. 2026-10 (or any date in it)."]})


def _number(errors: dict, name: str, value, *, integer: bool, limit: Decimal):
    try:
        number = Decimal(str(value if value not in (None, "") else 0))
    except (InvalidOperation, ValueError):
        errors[name] = ["A number."]
        return None
    if not number.is_finite() or number < 0:
        errors[name] = ["A number of zero or more."]
        return None
    if number >= limit:
        errors[name] = [f"Less than {limit:,}."]
        return None
    if integer:
        if number != number.to_integral_value():
            errors[name] = ["A whole number."]
            return None
        return int(number)
    return number


def usage_report_upsert(
    *,
    use_case: UseCase,
    actor,
    period,
    active_users=0,
    runs=0,
    hours_saved=0,
    cost=0,
    source: str = UsageReport.Source.MANUAL,
    today: dt.date | None = None,
) -> tuple[UsageReport, bool]:
    """Create or update the use case's report for one month (idempotent per month).

    Args:
        period: the month (``usage_period_parse``); not after the current month.
        active_users, runs: whole numbers, zero or more.
        hours_saved: hours saved in the month (one decimal); cost: in ``settings.CURRENCY``.
        source: ``UsageReport.Source`` (manual on the page, api from a gateway).

    Returns:
        ``(report, created)``; a report sent again unchanged is not written again.

    Raises:
        PermissionDenied: ``actor`` may not change the use case.
        ValidationError: field errors (a bad month, a negative number, a future month).
    """
    if not can_change_use_case(actor, use_case):
        raise PermissionDenied("Only those who may change this use case report its usage.")
    errors: dict = {}
    try:
        month = usage_period_parse(period)
    except ValidationError as error:
        errors.update(error.message_dict)
        month = None
    today = today or timezone.localdate()
    if month is not None and month > today.replace(day=1):
        errors["period"] = ["This month has not started yet."]
    values = {
        "active_users": _number(errors, "active_users", active_users, integer=True, limit=Decimal(10**9)),
        "runs": _number(errors, "runs", runs, integer=True, limit=Decimal(2 * 10**9)),
        "hours_saved": _number(errors, "hours_saved", hours_saved, integer=False, limit=Decimal(10**9)),
        "cost": _number(errors, "cost", cost, integer=False, limit=Decimal(10**10)),
    }
    if errors:
        raise ValidationError(errors)
    values["hours_saved"] = values["hours_saved"].quantize(Decimal("0.1"))
    values["cost"] = values["cost"].quantize(Decimal("0.01"))
    with transaction.atomic():
        report = UsageReport.objects.select_for_update().filter(use_case=use_case, period=month).first()
        if report is None:
            try:
                with transaction.atomic():
                    report = UsageReport.objects.create(
                        use_case=use_case, period=month, source=source, reported_by=actor, **values
                    )
            except IntegrityError:  # created by a concurrent request: update it below
                report = UsageReport.objects.select_for_update().get(use_case=use_case, period=month)
            else:
                history_record(
                    actor=actor,
                    action=HistoryEntry.Action.CREATE,
                    obj=report,
                    use_case=use_case,
                    changes=diff({}, values),
                    summary=f"usage reported for {month:%B %Y}",
                )
                return report, True
        before = snapshot(report, list(values))
        for name, value in values.items():
            setattr(report, name, value)
        changes = diff(before, snapshot(report, list(values)))
        if changes:
            report.source, report.reported_by = source, actor
            report.save()
            history_record(
                actor=actor,
                action=HistoryEntry.Action.UPDATE,
                obj=report,
                use_case=use_case,
                changes=changes,
                summary=f"usage for {month:%B %Y} updated",
            )
        return report, False


# --- foundation documents --------------------------------------------------------------------


def foundation_version_publish(
    *,
    document: FoundationDocument,
    actor,
    version: str,
    link: str = "",
    notes: str = "",
    channel: str = "form",
) -> FoundationDocumentVersion:
    """Publish a new version of a foundation document: it becomes the current one, and the
    owners (and backup owners) of use cases on another version are emailed, one email per
    person listing their use cases.

    Raises:
        PermissionDenied (not a curator), SecretValueError, ValidationError (no version, or a
        version that already exists).
    """
    _require_curator(actor, "publish foundation document versions")
    secret_guard({"version": version, "link": link, "notes": notes}, channel=channel, actor=actor)
    version = (version or "").strip()
    if not version:
        raise ValidationError({"version": ["Name the version, e.g. 2026.2."]})
    if len(version) > 50:
        raise ValidationError({"version": ["At most 50 characters."]})
    with transaction.atomic():
        return _publish(document, actor, version, link, notes)


def _publish(
    document: FoundationDocument, actor, version: str, link: str, notes: str
) -> FoundationDocumentVersion:
    document = FoundationDocument.objects.select_for_update().get(pk=document.pk)
    if document.versions.filter(version=version).exists() or (
        version == document.current_version and document.versions.exists()
    ):
        raise ValidationError({"version": [f"Version {version} already exists."]})
    published = FoundationDocumentVersion.objects.create(
        document=document, version=version, link=link.strip(), notes=notes.strip(), published_by=actor
    )
    before = snapshot(document, ["current_version", "link", "last_reviewed_on"])
    document.current_version = version
    if link.strip():
        document.link = link.strip()
    document.last_reviewed_on = timezone.localdate()
    document.save()
    history_record(
        actor=actor,
        action=HistoryEntry.Action.UPDATE,
        obj=document,
        changes=diff(before, snapshot(document, ["current_version", "link", "last_reviewed_on"])),
        summary=f"version {version} published",
    )
    _notify_outdated(document, published)
    return published


def _notify_outdated(document: FoundationDocument, published: FoundationDocumentVersion) -> int:
    """Email each active owner and backup owner of a use case on an older version (once per
    person, listing their use cases). Returns the number of emails queued."""
    uses = (
        document.uses.exclude(version=document.current_version)
        .exclude(use_case__lifecycle_stage=LifecycleStage.RETIRED)
        .select_related("use_case", "use_case__owner", "use_case__backup_owner")
        .order_by("use_case__name")
    )
    by_person: dict = {}
    for use in uses:
        for person in {use.use_case.owner, use.use_case.backup_owner} - {None}:
            by_person.setdefault(person, []).append(use)
    queued = 0
    for person, person_uses in by_person.items():
        lines = "\n".join(
            f"- {u.use_case.name} uses version {u.version}: {_url('registry:use_case_detail', u.use_case_id)}"
            for u in person_uses
        )
        if notification_queue(
            to=person,
            kind=Notification.Kind.OTHER,
            subject=f"New version of {document.name}: {document.current_version}",
            body=f"{document.name} {document.current_version} is published"
            + (f":\n{published.notes}\n" if published.notes else ".\n")
            + f"\nYour use cases on an older version:\n{lines}\n\n"
            f"Update them to the current version: {_url('registry:foundation_document_detail', document.pk)}",
            use_case=person_uses[0].use_case if len(person_uses) == 1 else None,
        ):
            queued += 1
    return queued


# --- the sweep ------------------------------------------------------------------------------


@dataclass
class LibrarySweepResult:
    """What a sweep did: entries newly flagged, flags cleared (fixed), entries unlisted."""

    flagged: int = 0
    cleared: int = 0
    unlisted: int = 0
    problems: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "problems"}


def library_entry_problems(use_case: UseCase, assessment: GraduationAssessment) -> list[str]:
    """Why a library entry should be flagged now (empty: nothing): its approval lapsed, expired,
    was reopened or a condition broke; its owner or backup owner left (or its ownership is
    flagged); or its use case is suspended."""
    problems = [c.why for c in assessment.unmet if c.key in ("approved", "owners")]
    if use_case.suspended_at is not None:
        reason = f": {use_case.suspended_reason}" if use_case.suspended_reason else ""
        problems.insert(0, f"It is suspended by an incident responder{reason}.")
    return problems


def _notify_curators(subject: str, body: str, use_case: UseCase) -> None:
    curators = get_user_model().objects.filter(groups__name=RoleGroup.LIBRARY_CURATOR, is_active=True)
    for person in curators.distinct():
        notification_queue(
            to=person, kind=Notification.Kind.OTHER, subject=subject, body=body, use_case=use_case
        )


def library_sweep(*, now: dt.datetime | None = None) -> LibrarySweepResult:
    """Flag library entries with a problem (``library_entry_problems``: curators are emailed),
    clear the flags of those fixed, and unlist those still flagged
    ``LIBRARY_UNLIST_AFTER_DAYS`` days after they were flagged (curators and owners emailed).

    Listed and deprecated entries are checked, in SQL (``graduation_annotate``): a fixed number
    of queries to find them, then one transaction per entry that changes.

    Returns:
        A ``LibrarySweepResult``.
    """
    now = now or timezone.now()
    result = LibrarySweepResult()
    use_cases = list(
        graduation_annotate(UseCase.objects.filter(library_entry__status__in=IN_LIBRARY_STATUSES), now=now)
        .select_related("owner", "backup_owner", "library_entry")
        .order_by("pk")
    )
    deadline = timedelta(days=settings.LIBRARY_UNLIST_AFTER_DAYS)
    for use_case, assessment in assess_annotated(use_cases, now=now):
        problems = library_entry_problems(use_case, assessment)
        entry = use_case.library_entry
        if not problems and entry.flagged_at is None:
            continue
        with transaction.atomic():
            entry = _lock_entry(entry)
            if entry.status not in IN_LIBRARY_STATUSES:
                continue
            reason = " ".join(problems)[:500]
            if not problems:
                before = entry.flag_reason
                entry.flag_reason, entry.flagged_at = "", None
                entry.save(update_fields=["flag_reason", "flagged_at", "updated_at"])
                history_record(
                    actor=None,
                    action=HistoryEntry.Action.UPDATE,
                    obj=entry,
                    use_case=use_case,
                    changes={"flag_reason": [before, ""]},
                    summary="library flag cleared: fixed",
                )
                result.cleared += 1
            elif entry.flagged_at is None:
                entry.flag_reason, entry.flagged_at = reason, now
                entry.save(update_fields=["flag_reason", "flagged_at", "updated_at"])
                history_record(
                    actor=None,
                    action=HistoryEntry.Action.UPDATE,
                    obj=entry,
                    use_case=use_case,
                    changes={"flag_reason": ["", reason]},
                    summary="flagged in the shared library",
                )
                until = now + deadline
                _notify_curators(
                    f"Library entry flagged: {use_case.name}",
                    f"{use_case.name} is flagged in the shared library: {reason}\n\n"
                    f"It is unlisted automatically on {until.day} {until:%b %Y} unless fixed.\n\n"
                    f"{_url('registry:library_entry_detail', entry.pk)}",
                    use_case,
                )
                result.flagged += 1
                result.problems[entry.pk] = problems
            elif entry.flagged_at + deadline <= now:
                _unlist(entry, None, f"flagged since {entry.flagged_at:%Y-%m-%d} and not fixed")
                message = (
                    f"{use_case.name} was unlisted from the shared library: it was flagged on "
                    f"{entry.flagged_at:%Y-%m-%d} ({entry.flag_reason}) and not fixed within "
                    f"{settings.LIBRARY_UNLIST_AFTER_DAYS} days.\n\n"
                    f"{_url('registry:use_case_detail', use_case.pk)}"
                )
                _notify_curators(f"Unlisted from the library: {use_case.name}", message, use_case)
                for person in {use_case.owner, use_case.backup_owner} - {None}:
                    notification_queue(
                        to=person,
                        kind=Notification.Kind.OTHER,
                        subject=f"Unlisted from the library: {use_case.name}",
                        body=message,
                        use_case=use_case,
                    )
                result.unlisted += 1
            elif entry.flag_reason != reason:
                before = entry.flag_reason
                entry.flag_reason = reason
                entry.save(update_fields=["flag_reason", "updated_at"])
                history_record(
                    actor=None,
                    action=HistoryEntry.Action.UPDATE,
                    obj=entry,
                    use_case=use_case,
                    changes={"flag_reason": [before, reason]},
                    summary="library flag updated",
                )
    return result
