"""Writes to use cases that are not registration: retirement (the soft delete), owner
reassignment and accepting ownership. Each checks permission, writes, and returns the use case.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.permissions import can_change_use_case, can_reassign_owner

from ..choices import LifecycleStage
from ..models import HistoryEntry, UseCase
from .history import diff, history_record, snapshot


@transaction.atomic
def use_case_retire(*, use_case: UseCase, actor) -> UseCase:
    """Retire a use case: the soft delete everyone but an admin gets instead of deleting.

    Raises:
        PermissionDenied: ``actor`` may not change this use case.
    """
    use_case = UseCase.objects.select_for_update().get(pk=use_case.pk)
    if not can_change_use_case(actor, use_case):
        raise PermissionDenied("You may not retire this use case.")
    if use_case.lifecycle_stage != LifecycleStage.RETIRED:
        before = use_case.lifecycle_stage
        use_case.lifecycle_stage = LifecycleStage.RETIRED
        use_case.retired_at = timezone.now()
        use_case.save(update_fields=["lifecycle_stage", "retired_at", "updated_at"])
        history_record(
            actor=actor,
            action=HistoryEntry.Action.UPDATE,
            obj=use_case,
            changes={"lifecycle_stage": [before, LifecycleStage.RETIRED]},
            summary="retired",
        )
    return use_case


@transaction.atomic
def use_case_reassign_owners(*, use_case: UseCase, actor, owner, backup_owner=None) -> UseCase:
    """Set a use case's owner and backup owner (a team lead's or an admin's job).

    Args:
        owner: an active person (required).
        backup_owner: an active person other than the owner, or None.

    Raises:
        PermissionDenied: ``actor`` does not lead the owning team and is not an admin.
        ValidationError: an inactive person, or the same person twice (field errors).
    """
    use_case = UseCase.objects.select_for_update().select_related("team").get(pk=use_case.pk)
    if not can_reassign_owner(actor, use_case):
        raise PermissionDenied("Only the team's lead can reassign this use case's owners.")
    errors = {}
    if owner is None or not owner.is_active:
        errors["owner"] = "Choose an active person as the owner."
    if backup_owner is not None and not backup_owner.is_active:
        errors["backup_owner"] = "Choose an active person as the backup owner."
    if backup_owner is not None and owner is not None and backup_owner.pk == owner.pk:
        errors["backup_owner"] = "The backup owner must be someone other than the owner."
    if errors:
        raise ValidationError(errors)
    before = snapshot(use_case, ["owner", "backup_owner", "ownership_note"])
    use_case.owner = owner
    use_case.backup_owner = backup_owner
    use_case.ownership_note = ""
    use_case.ownership_flagged_at = None
    use_case.save(
        update_fields=["owner", "backup_owner", "ownership_note", "ownership_flagged_at", "updated_at"]
    )
    history_record(
        actor=actor,
        action=HistoryEntry.Action.UPDATE,
        obj=use_case,
        changes=diff(before, snapshot(use_case, ["owner", "backup_owner", "ownership_note"])),
        summary="owners reassigned",
    )
    return use_case


def ownership_blockers(use_case: UseCase) -> list[str]:
    """Why a use case may not be approved or promoted for lack of an owner (empty: none).

    A use case without an active owner cannot be approved or promoted until someone accepts
    it (issue 3, offboarding); neither can one whose ownership is flagged.
    """
    blockers = []
    if use_case.owner_id is None:
        blockers.append("it has no named owner")
    elif not use_case.owner.is_active:
        blockers.append(f"its owner {use_case.owner} has left")
    if use_case.ownership_note:
        blockers.append(f"its ownership needs attention: {use_case.ownership_note}")
    return blockers
