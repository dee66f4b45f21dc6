"""Reads of incidents: the list, one incident's page, its log, and a recipient's notice.

Who sees what (``docs/permissions.md``): responders, reviewers and admins read every incident;
a person told about an incident sees that incident's notice to them (their own use cases and
the acknowledge button), nothing more; everyone else nothing (the views answer 404).
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.permissions import standing_of

from ..models import HistoryEntry, Incident, IncidentRecipient, IncidentUseCase, UseCase


def incidents_readable_by(user) -> bool:
    """Responders, reviewers and admins read every incident (list, page, API)."""
    return standing_of(user).reads_everything


def incidents_visible_to(user) -> QuerySet:
    """Every incident for readers of everything, newest first, with counts annotated
    (``affected_count``, ``recipient_count``, ``acknowledged_count``); none for others."""
    if not incidents_readable_by(user):
        return Incident.objects.none()
    return (
        Incident.objects.select_related("opened_by")
        .annotate(
            affected_count=Count("affected", distinct=True),
            recipient_count=Count("recipients", distinct=True),
            acknowledged_count=Count(
                "recipients", filter=Q(recipients__acknowledged_at__isnull=False), distinct=True
            ),
        )
        .order_by("-opened_at", "-id")
    )


def incident_for_page(*, user, pk: int) -> tuple[Incident, IncidentRecipient | None]:
    """One incident as ``user`` may see it, and ``user``'s own notice about it (if any).

    Readers get the affected set (use case, owner, backup owner joined) and the recipients
    (person and their use cases) prefetched: a fixed number of queries.

    Raises:
        Incident.DoesNotExist: unknown, or ``user`` neither reads incidents nor was told.
    """
    own = (
        IncidentRecipient.objects.filter(incident_id=pk, person_id=user.pk)
        .prefetch_related(Prefetch("use_cases", queryset=UseCase.objects.only("id", "name").order_by("name")))
        .first()
        if user.is_authenticated
        else None
    )
    if not incidents_readable_by(user):
        if own is None:
            raise Incident.DoesNotExist
        return Incident.objects.select_related("opened_by").get(pk=pk), own
    affected = IncidentUseCase.objects.select_related(
        "use_case", "use_case__team", "owner", "backup_owner"
    ).order_by("depth", "use_case__name", "use_case_id")
    recipients = IncidentRecipient.objects.select_related("person").prefetch_related(
        Prefetch("use_cases", queryset=UseCase.objects.only("id", "name").order_by("name"))
    )
    incident = (
        Incident.objects.select_related("opened_by")
        .prefetch_related(
            Prefetch("affected", queryset=affected),
            Prefetch("recipients", queryset=recipients.order_by("person__first_name", "person__username")),
            "credentials",
            "data_sources",
            "vendors",
        )
        .get(pk=pk)
    )
    return incident, own


def incident_log(incident: Incident) -> QuerySet:
    """The incident's history (opened, notes, suspensions, acknowledgements, resolved), newest first."""
    return (
        HistoryEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Incident), object_id=incident.pk
        )
        .select_related("actor")
        .order_by("-at", "-id")
    )


def incident_recipient_for_token(*, token: str, user) -> IncidentRecipient:
    """The notice an acknowledgement link points to, if it is ``user``'s.

    Raises:
        IncidentRecipient.DoesNotExist: no notice has this token, or it is someone else's
            (the view answers 404 either way: a link is no use to anyone but its recipient).
    """
    from ..services.incidents import token_hash

    if not user.is_authenticated or not token or len(token) > 200:
        raise IncidentRecipient.DoesNotExist
    return (
        IncidentRecipient.objects.select_related("incident", "incident__opened_by")
        .prefetch_related(Prefetch("use_cases", queryset=UseCase.objects.only("id", "name").order_by("name")))
        .get(token_hash=token_hash(token), person_id=user.pk)
    )
