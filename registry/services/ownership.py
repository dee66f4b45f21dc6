"""Accepting ownership of a use case whose ownership needs attention (its owner left, it only
ever had a contact mailbox, or offboarding flagged it)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.permissions import can_accept_ownership

from ..models import HistoryEntry, UseCase
from .history import diff, history_record, snapshot


@transaction.atomic
def use_case_accept_ownership(*, use_case: UseCase, actor) -> UseCase:
    """``actor`` takes ownership of ``use_case``, or confirms the ownership they already hold.

    Allowed for a builder of the owning team, its lead, or an admin, when the use case has no
    active owner or ``actor`` is its owner (``accounts.permissions.can_accept_ownership``).
    ``actor`` becomes the owner (if they were the backup owner, the backup is cleared: one
    person cannot be both), and the ownership flag (``ownership_note``,
    ``ownership_flagged_at``) is cleared, which lifts the approval block of
    ``registry.services.use_cases.ownership_blockers``.

    Returns:
        The use case, reloaded and updated.

    Raises:
        PermissionDenied: ``actor`` may not accept it (another team, not a builder, or it has
            another active owner: a lead reassigns it instead). Nothing changed.
    """
    use_case = (
        UseCase.objects.select_for_update(of=("self",))
        .select_related("owner", "backup_owner", "team")
        .get(pk=use_case.pk)
    )
    if not can_accept_ownership(actor, use_case):
        raise PermissionDenied("You may not accept ownership of this use case.")
    tracked = ["owner", "backup_owner", "ownership_note"]
    before = snapshot(use_case, tracked)
    confirmed = use_case.owner_id == actor.pk
    use_case.owner = actor
    if use_case.backup_owner_id == actor.pk:
        use_case.backup_owner = None
    use_case.ownership_note = ""
    use_case.ownership_flagged_at = None
    use_case.save(
        update_fields=["owner", "backup_owner", "ownership_note", "ownership_flagged_at", "updated_at"]
    )
    history_record(
        actor=actor,
        action=HistoryEntry.Action.UPDATE,
        obj=use_case,
        changes=diff(before, snapshot(use_case, tracked)),
        summary="ownership confirmed" if confirmed else "ownership accepted",
    )
    return use_case
