"""Writing the history (the only writer of ``HistoryEntry``).

Services call ``history_record`` after each write, inside their transaction, so a change and
its record commit or roll back together. Values are made JSON-safe (dates as ISO strings,
related objects by their name); secret values never reach here because the secret guard
refuses them before any write.
"""

import datetime as dt
import decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models

from config.request_id import current_request_id

from ..models import HistoryEntry, UseCase


def _plain(value):
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def snapshot(obj: models.Model, fields: list[str]) -> dict:
    """The values of ``fields`` on ``obj`` (foreign keys by their object), for ``diff``."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        values[name] = getattr(obj, name) if not field.is_relation else getattr(obj, name, None)
    return values


def diff(before: dict, after: dict) -> dict:
    """``{field: [old, new]}`` for every field whose value changed, JSON-safe."""
    return {
        name: [_plain(before.get(name)), _plain(after.get(name))]
        for name in after
        if _plain(before.get(name)) != _plain(after.get(name))
    }


def history_record(
    *,
    actor,
    action: str,
    obj: models.Model,
    changes: dict | None = None,
    summary: str = "",
    use_case: UseCase | None = None,
) -> HistoryEntry:
    """Append one history entry.

    Args:
        actor: the person who made the change, or None for the system (a job, an import).
        action: a ``HistoryEntry.Action`` value.
        obj: the object changed.
        changes: ``{field: [old, new]}`` (see ``diff``); made JSON-safe here.
        summary: the change in one line ("approved with 1 condition").
        use_case: the use case whose timeline shows it (defaults to ``obj`` if it is one).

    Returns:
        The saved entry (carrying the current request's id, if any).
    """
    if use_case is None and isinstance(obj, UseCase):
        use_case = obj
    label = "system"
    if actor is not None:
        label = actor.get_full_name() or actor.get_username()
    return HistoryEntry.objects.create(
        actor=actor,
        actor_label=label[:200],
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=obj.pk,
        object_repr=str(obj)[:500],
        use_case=use_case,
        summary=summary[:500],
        changes=_plain(changes or {}),
        request_id=current_request_id(),
    )
