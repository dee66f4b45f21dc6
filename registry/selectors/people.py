"""Reads for a person's page: who they are, and what they own, back up, built and hold.

Every list is restricted to what the viewer may see; credential details only where the
viewer may see them (``credentials_visible_to``).
"""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from accounts.models import Membership, User

from ..models import Credential, UseCase
from .credentials import credentials_visible_to

#: Rows shown per list on a person's page (the rest are counted).
PERSON_LIST_LIMIT = 100

_DEFERRED = ("source_row", "search_vector", "description", "outputs", "human_in_the_loop", "risk_reasons")


def person_for_page(*, username: str) -> User:
    """The person at ``/people/<username>/`` (active or not), with their teams and role groups.

    Raises:
        User.DoesNotExist: no person has this username.
    """
    memberships = Membership.objects.select_related("team", "team__parent").order_by("team__name", "team_id")
    return User.objects.prefetch_related(Prefetch("memberships", queryset=memberships), "groups").get(
        username=username
    )


@dataclass
class PersonList:
    """One list on a person's page: the first rows, and how many there are in all."""

    rows: list
    total: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def _limited(queryset: QuerySet) -> PersonList:
    rows = list(queryset[: PERSON_LIST_LIMIT + 1])
    if len(rows) <= PERSON_LIST_LIMIT:
        return PersonList(rows=rows, total=len(rows))
    return PersonList(rows=rows[:PERSON_LIST_LIMIT], total=queryset.count())


def person_use_cases(*, person: User, viewer) -> dict[str, PersonList]:
    """The use cases ``person`` owns, backs up and built, that ``viewer`` may see.

    Returns:
        ``{"owned": PersonList, "backed_up": ..., "built": ...}``, each by name, team and parent
        team joined. One query per list (two when a list is longer than ``PERSON_LIST_LIMIT``).
    """
    visible = (
        UseCase.objects.restrict(viewer, "view")
        .select_related("team", "team__parent")
        .defer(*_DEFERRED)
        .order_by("name", "id")
    )
    return {
        "owned": _limited(visible.filter(owner=person)),
        "backed_up": _limited(visible.filter(backup_owner=person)),
        "built": _limited(visible.filter(builders=person)),
    }


def person_credentials(*, person: User, viewer) -> tuple[list[Credential], int]:
    """The credentials ``person`` holds: those whose details ``viewer`` may see, and how many
    others there are (their names, storage and vault references are not shown).

    Returns:
        ``(visible credentials by name with issuer and team joined, count of the others)``.
        Two queries.
    """
    shown = list(credentials_visible_to(viewer).filter(owner=person).order_by("name", "id"))
    total = Credential.objects.filter(owner=person).count()
    return shown, total - len(shown)
