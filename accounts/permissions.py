"""Who may do what: the permission matrix of ``docs/permissions.md``, enforced here only.

Every rule is a plain foreign-key filter on ownership and team membership, plus
django-guardian's direct-foreign-key grant tables for what those cannot express (a use case
shared with one person or group). This is the only module that talks to guardian.

A person's standing (their role groups and teams) is read once per request and cached on the
user object (``standing_of``: 2 queries), so rules cost no query per row or per check.

Roles (DESIGN.md, "The people and their jobs"): builder, team lead (a per-team membership
role), security reviewer, library curator, incident responder and staff are groups; admin is
a superuser. A person may hold several.
"""

from dataclasses import dataclass

from django.db.models import Q
from guardian.shortcuts import assign_perm, remove_perm

from .choices import MembershipRole, RoleGroup

_CACHE_ATTR = "_registry_standing"


@dataclass(frozen=True)
class Standing:
    """A person's roles and teams, as the rules see them."""

    user_id: int | None
    is_active: bool
    is_admin: bool
    groups: frozenset[str]
    team_ids: frozenset[int]
    led_team_ids: frozenset[int]

    def has(self, role: str) -> bool:
        return role in self.groups

    @property
    def is_builder(self) -> bool:
        return self.has(RoleGroup.BUILDER) or bool(self.led_team_ids)

    @property
    def builds_for_team_ids(self) -> frozenset[int]:
        """Teams whose use cases this person may create and change: teams they belong to as
        a builder, and teams they lead."""
        return (self.team_ids if self.has(RoleGroup.BUILDER) else frozenset()) | self.led_team_ids

    @property
    def reads_everything(self) -> bool:
        """Reviewers, responders and admins read every object, credential details included."""
        return (
            self.is_admin or self.has(RoleGroup.SECURITY_REVIEWER) or self.has(RoleGroup.INCIDENT_RESPONDER)
        )


_ANONYMOUS = Standing(None, False, False, frozenset(), frozenset(), frozenset())


def standing_of(user) -> Standing:
    """The person's roles and teams (2 queries the first time, cached on ``user``)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return _ANONYMOUS
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    memberships = list(user.memberships.values_list("team_id", "role"))
    standing = Standing(
        user_id=user.pk,
        is_active=True,
        is_admin=user.is_superuser,
        groups=frozenset(user.groups.values_list("name", flat=True)),
        team_ids=frozenset(team_id for team_id, _ in memberships),
        led_team_ids=frozenset(team_id for team_id, role in memberships if role == MembershipRole.LEAD),
    )
    setattr(user, _CACHE_ATTR, standing)
    return standing


def standing_forget(user) -> None:
    """Drop the cached standing (after memberships or groups change in the same request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


# --- use cases --------------------------------------------------------------------------------


def _granted_use_case_ids(user, codename: str):
    """Ids of use cases granted to ``user`` or their groups with ``registry.<codename>``, as
    one subquery each over guardian's direct-foreign-key tables (never a per-row check)."""
    from registry.models import UseCaseGroupObjectPermission, UseCaseUserObjectPermission

    direct = UseCaseUserObjectPermission.objects.filter(user=user, permission__codename=codename).values(
        "content_object_id"
    )
    via_group = UseCaseGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=codename
    ).values("content_object_id")
    return Q(id__in=direct) | Q(id__in=via_group)


def _involved(user) -> Q:
    """Use cases the person owns, backs up or built."""
    from registry.models import UseCase

    built = UseCase.builders.through.objects.filter(user_id=user.pk).values("usecase_id")
    return Q(owner_id=user.pk) | Q(backup_owner_id=user.pk) | Q(id__in=built)


def use_case_view_filter(user) -> Q | None:
    """Which use cases ``user`` may see: ``None`` means all of them, an empty result for nobody.

    Every active person sees every registered use case's public fields. Drafts are seen only
    by the people involved (owner, backup owner, builders), members of the owning team, those
    who read everything (reviewers, responders, admins) and holders of a grant.
    """
    standing = standing_of(user)
    if not standing.is_active:
        return Q(pk__in=[])
    if standing.reads_everything:
        return None
    return (
        Q(is_draft=False)
        | _involved(user)
        | Q(team_id__in=standing.team_ids)
        | _granted_use_case_ids(user, "view_usecase")
    )


def use_case_change_filter(user) -> Q:
    """Which use cases ``user`` may change: admins all; builders those they own, back up or
    built and those of teams they build for; leads every use case of the teams they lead;
    anyone holding a ``change_usecase`` grant. Reviewers, curators, responders and staff
    change none through this rule (they act through their own workflows)."""
    standing = standing_of(user)
    if not standing.is_active:
        return Q(pk__in=[])
    if standing.is_admin:
        return Q()
    allowed = _granted_use_case_ids(user, "change_usecase")
    if standing.is_builder:
        allowed |= _involved(user) | Q(team_id__in=standing.builds_for_team_ids)
    return allowed


def can_create_use_case(user, team) -> bool:
    """A builder may register use cases for teams they belong to; a lead for teams they lead."""
    standing = standing_of(user)
    return standing.is_admin or (team is not None and team.pk in standing.builds_for_team_ids)


def can_adopt_into_team(user, team) -> bool:
    """Any active member of a team may register their own copy of a shared-library entry for
    it (adopting), even without the builder role: reuse must be easier than rebuilding."""
    standing = standing_of(user)
    return standing.is_admin or (team is not None and team.pk in standing.team_ids)


def can_change_use_case(user, use_case) -> bool:
    """Whether ``user`` may edit ``use_case`` (one query at most)."""
    from registry.models import UseCase

    standing = standing_of(user)
    if not standing.is_active:
        return False
    if standing.is_admin:
        return True
    if standing.is_builder and (
        use_case.team_id in standing.builds_for_team_ids
        or user.pk in (use_case.owner_id, use_case.backup_owner_id)
    ):
        return True
    return UseCase.objects.filter(use_case_change_filter(user), pk=use_case.pk).exists()


def can_reassign_owner(user, use_case) -> bool:
    """Leads of the owning team (or of its parent organisation) and admins reassign owners."""
    standing = standing_of(user)
    if standing.is_admin:
        return True
    team = use_case.team
    return team.pk in standing.led_team_ids or (
        team.parent_id is not None and team.parent_id in standing.led_team_ids
    )


def can_delete_use_case(user) -> bool:
    """Only an admin deletes; everyone else retires (a soft delete)."""
    return standing_of(user).is_admin


def can_view_credential_details(user, use_case) -> bool:
    """Where a credential is stored, its vault reference and scope: readers of everything,
    and builders and leads of the use case's team or involved in it."""
    standing = standing_of(user)
    if standing.reads_everything:
        return True
    if not standing.is_builder:
        return False
    return use_case.team_id in standing.team_ids or user.pk in (use_case.owner_id, use_case.backup_owner_id)


def credential_details_filter(user) -> Q | None:
    """Credentials whose details ``user`` may see (``None``: all): those of teams they build
    for or lead, those they hold, and those used by use cases of those teams."""
    from registry.models import CredentialUse

    standing = standing_of(user)
    if standing.reads_everything:
        return None
    if not standing.is_builder:
        return Q(pk__in=[])
    used_by_my_teams = CredentialUse.objects.filter(use_case__team_id__in=standing.team_ids).values(
        "credential_id"
    )
    return Q(team_id__in=standing.team_ids) | Q(owner_id=user.pk) | Q(id__in=used_by_my_teams)


def use_case_grant(*, to, use_case, permission: str = "view_usecase") -> None:
    """Share one use case with a person or a group (``view_usecase`` or ``change_usecase``)."""
    assign_perm(f"registry.{permission}", to, use_case)


def use_case_revoke_grant(*, to, use_case, permission: str = "view_usecase") -> None:
    remove_perm(f"registry.{permission}", to, use_case)


# --- workflows --------------------------------------------------------------------------------


def can_decide_reviews(user) -> bool:
    """Security reviewers (and admins) alone claim and decide security reviews."""
    standing = standing_of(user)
    return standing.is_admin or standing.has(RoleGroup.SECURITY_REVIEWER)


def can_curate_library(user) -> bool:
    """Library curators (and admins) alone promote to and edit the shared library."""
    standing = standing_of(user)
    return standing.is_admin or standing.has(RoleGroup.LIBRARY_CURATOR)


def can_handle_incidents(user) -> bool:
    """Incident responders (and admins) open and work incidents."""
    standing = standing_of(user)
    return standing.is_admin or standing.has(RoleGroup.INCIDENT_RESPONDER)


def can_read_history(user) -> bool:
    """Responders, reviewers and admins query the whole history."""
    return standing_of(user).reads_everything


def can_manage_team(user, team) -> bool:
    """A team's leads (and admins) manage its members."""
    standing = standing_of(user)
    return standing.is_admin or team.pk in standing.led_team_ids


def ownership_gaps_scope(user) -> Q | None:
    """Which use cases' ownership gaps ``user`` sees: curators, reviewers, responders and
    admins all (``None``); a lead those of the teams they lead (and their sub-teams); others none."""
    standing = standing_of(user)
    if standing.reads_everything or standing.has(RoleGroup.LIBRARY_CURATOR):
        return None
    if standing.led_team_ids:
        return Q(team_id__in=standing.led_team_ids) | Q(team__parent_id__in=standing.led_team_ids)
    return Q(pk__in=[])


def can_deactivate_people(user) -> bool:
    """Only admins offboard people."""
    return standing_of(user).is_admin


def can_view_ownership_gaps(user) -> bool:
    """Who gets the "Ownership gaps" page: leads (for the teams they lead), curators,
    reviewers, responders and admins (for every team). Everyone else gets a 404."""
    standing = standing_of(user)
    return bool(standing.reads_everything or standing.has(RoleGroup.LIBRARY_CURATOR) or standing.led_team_ids)


def can_accept_ownership(user, use_case) -> bool:
    """Whether ``user`` may take (or confirm) ownership of ``use_case``.

    Who: a builder of the owning team, its lead, or an admin (``docs/permissions.md``). When:
    the use case has no active owner (none named, or the owner left), or ``user`` already
    owns it (they confirm a flagged ownership). A use case with another active owner is
    reassigned by a lead instead. Reads ``use_case.owner``: select it related to stay at no
    query per row.
    """
    standing = standing_of(user)
    if not standing.is_active:
        return False
    if not (standing.is_admin or use_case.team_id in standing.builds_for_team_ids):
        return False
    if use_case.owner_id is None or use_case.owner_id == user.pk:
        return True
    return not use_case.owner.is_active
