"""docs/permissions.md, row by row: every role × every page and API action, on objects of
their own team and of another team. Allowed works; not allowed answers 404 (pages and API)."""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from accounts import permissions
from accounts.choices import MembershipRole
from registry.choices import CredentialStorage, LifecycleStage
from registry.models import UseCase
from tests.factories import (
    CredentialFactory,
    CredentialUseFactory,
    MembershipFactory,
    TeamFactory,
    UseCaseFactory,
    UserFactory,
)

ROLES = ["builder", "lead", "reviewer", "curator", "responder", "staff", "admin"]
GROUP_OF_ROLE = {
    "builder": "builder",
    "lead": "builder",
    "reviewer": "security reviewer",
    "curator": "library curator",
    "responder": "incident responder",
    "staff": "staff",
}
STORAGE_TEXT = "Environment file on a laptop"


@dataclass
class World:
    people: dict
    own: UseCase  # registered, in the people's team
    other: UseCase  # registered, in another team
    own_draft: UseCase
    other_draft: UseCase


@pytest.fixture
def world(db):
    own_team, other_team = TeamFactory(name="Marketing"), TeamFactory(name="Sales")
    people = {}
    for role in ROLES:
        person = UserFactory(username=role, is_superuser=role == "admin", is_staff=role == "admin")
        if role in GROUP_OF_ROLE:
            person.groups.add(Group.objects.get(name=GROUP_OF_ROLE[role]))
        if role != "admin":
            MembershipFactory(
                user=person,
                team=own_team,
                role=MembershipRole.LEAD if role == "lead" else MembershipRole.MEMBER,
            )
        people[role] = person
    outsider_owner = UserFactory(username="someone-else")
    use_cases = {}
    for name, team, draft in [
        ("own", own_team, False),
        ("other", other_team, False),
        ("own_draft", own_team, True),
        ("other_draft", other_team, True),
    ]:
        use_case = UseCaseFactory(name=f"{name} tool", team=team, owner=outsider_owner, is_draft=draft)
        CredentialUseFactory(
            use_case=use_case,
            credential=CredentialFactory(
                name=f"{name} key", team=team, storage=CredentialStorage.LAPTOP_ENV_FILE
            ),
        )
        use_cases[name] = use_case
    return World(people=people, **use_cases)


def _client(person):
    from django.test import Client

    client = Client()
    client.force_login(person)
    return client


def _api(person):
    client = APIClient()
    client.force_authenticate(person)
    return client


# role -> the use cases (by World attribute) they may see / change / see credential details of.
# Writing each set out is the point: it is docs/permissions.md's table in code.
SEE = {
    "builder": {"own", "other", "own_draft"},
    "lead": {"own", "other", "own_draft"},
    "reviewer": {"own", "other", "own_draft", "other_draft"},
    "curator": {"own", "other", "own_draft"},
    "responder": {"own", "other", "own_draft", "other_draft"},
    "staff": {"own", "other", "own_draft"},
    "admin": {"own", "other", "own_draft", "other_draft"},
}
CHANGE = {
    "builder": {"own", "own_draft"},
    "lead": {"own", "own_draft"},
    "reviewer": set(),
    "curator": set(),
    "responder": set(),
    "staff": set(),
    "admin": {"own", "other", "own_draft", "other_draft"},
}
CREDENTIAL_DETAILS = {
    "builder": {"own", "own_draft"},
    "lead": {"own", "own_draft"},
    "reviewer": {"own", "other", "own_draft", "other_draft"},
    "curator": set(),
    "responder": {"own", "other", "own_draft", "other_draft"},
    "staff": set(),
    "admin": {"own", "other", "own_draft", "other_draft"},
}
REASSIGN = {role: set() for role in ROLES} | {"lead": {"own", "own_draft"}, "admin": set(SEE["admin"])}
TARGETS = ["own", "other", "own_draft", "other_draft"]
CASES = [(role, target) for role in ROLES for target in TARGETS]


@pytest.mark.parametrize(("role", "target"), CASES)
def test_use_case_page_and_api_detail(world, role, target):
    person, use_case = world.people[role], getattr(world, target)
    page = _client(person).get(use_case.get_absolute_url())
    api = _api(person).get(f"/api/use-cases/{use_case.pk}/")
    expected = 200 if target in SEE[role] else 404
    assert (page.status_code, api.status_code) == (expected, expected)
    if expected == 200:
        shows_details = target in CREDENTIAL_DETAILS[role]
        assert (STORAGE_TEXT in page.content.decode()) == shows_details
        assert (api.json()["credentials"][0]["details"] is not None) == shows_details


@pytest.mark.parametrize(("role", "target"), CASES)
def test_credential_page(world, role, target):
    person, use_case = world.people[role], getattr(world, target)
    credential = use_case.credential_uses.get().credential
    response = _client(person).get(f"/credentials/{credential.pk}/")
    assert response.status_code == (200 if target in CREDENTIAL_DETAILS[role] else 404)


@pytest.mark.parametrize(("role", "target"), CASES)
def test_retire_is_the_soft_delete_for_those_who_may_change(world, role, target):
    person, use_case = world.people[role], getattr(world, target)
    response = _client(person).post(f"/use-cases/{use_case.pk}/retire/")
    use_case.refresh_from_db()
    if target in CHANGE[role]:
        assert response.status_code == 302
        assert use_case.lifecycle_stage == LifecycleStage.RETIRED and use_case.retired_at is not None
    else:
        assert response.status_code == 404
        assert use_case.lifecycle_stage != LifecycleStage.RETIRED
    assert UseCase.objects.filter(pk=use_case.pk).exists()  # never deleted


@pytest.mark.parametrize(("role", "target"), CASES)
def test_reassign_owners_page(world, role, target):
    person, use_case = world.people[role], getattr(world, target)
    response = _client(person).get(f"/use-cases/{use_case.pk}/owners/")
    assert response.status_code == (200 if target in REASSIGN[role] else 404)


@pytest.mark.parametrize(("role", "target"), CASES)
def test_change_rule_and_queryset_agree(world, role, target):
    person, use_case = world.people[role], getattr(world, target)
    allowed = target in CHANGE[role]
    assert permissions.can_change_use_case(person, use_case) is allowed
    assert UseCase.objects.restrict(person, "change").filter(pk=use_case.pk).exists() is allowed


@pytest.mark.parametrize("role", ROLES)
def test_only_an_admin_deletes(world, role):
    person = world.people[role]
    response = _client(person).post(f"/admin/registry/usecase/{world.own.pk}/delete/", {"post": "yes"})
    assert UseCase.objects.filter(pk=world.own.pk).exists() is (role != "admin")
    assert permissions.can_delete_use_case(person) is (role == "admin")
    if role != "admin":
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_who_registers_for_which_team(world, role):
    person = world.people[role]
    own_team, other_team = world.own.team, world.other.team
    assert permissions.can_create_use_case(person, own_team) is (role in {"builder", "lead", "admin"})
    assert permissions.can_create_use_case(person, other_team) is (role == "admin")
    # Adopting a library entry: every member may register their own copy for their team.
    assert permissions.can_adopt_into_team(person, own_team) is True
    assert permissions.can_adopt_into_team(person, other_team) is (role == "admin")


@pytest.mark.parametrize(
    ("rule", "allowed"),
    [
        (permissions.can_decide_reviews, {"reviewer", "admin"}),
        (permissions.can_curate_library, {"curator", "admin"}),
        (permissions.can_handle_incidents, {"responder", "admin"}),
        (permissions.can_read_history, {"reviewer", "responder", "admin"}),
        (permissions.can_deactivate_people, {"admin"}),
    ],
)
def test_workflow_rules(world, rule, allowed):
    assert {role for role in ROLES if rule(world.people[role])} == allowed


@pytest.mark.parametrize("role", ROLES)
def test_team_management(world, role):
    person = world.people[role]
    assert permissions.can_manage_team(person, world.own.team) is (role in {"lead", "admin"})
    assert permissions.can_manage_team(person, world.other.team) is (role == "admin")


def test_inactive_people_and_anonymous_see_nothing(world):
    person = world.people["admin"]
    person.is_active = False
    person.save()
    assert not UseCase.objects.restrict(person, "view").exists()
    assert not permissions.can_change_use_case(person, world.own)
    from django.contrib.auth.models import AnonymousUser

    assert not UseCase.objects.restrict(AnonymousUser(), "view").exists()


def test_a_grant_shares_one_use_case_and_nothing_else(world):
    staff = world.people["staff"]
    assert not permissions.can_change_use_case(staff, world.other)
    permissions.use_case_grant(to=staff, use_case=world.other, permission="change_usecase")
    permissions.standing_forget(staff)
    assert permissions.can_change_use_case(staff, world.other)
    assert list(UseCase.objects.restrict(staff, "change")) == [world.other]
    # A draft of another team becomes visible through a view grant given to a group.
    group = Group.objects.create(name="launch squad")
    staff.groups.add(group)
    permissions.use_case_grant(to=group, use_case=world.other_draft)
    permissions.standing_forget(staff)
    assert UseCase.objects.restrict(staff, "view").filter(pk=world.other_draft.pk).exists()
    permissions.use_case_revoke_grant(to=group, use_case=world.other_draft)
    assert not UseCase.objects.restrict(staff, "view").filter(pk=world.other_draft.pk).exists()


def test_grant_subqueries_agree_with_guardian(world):
    """Our id-IN subqueries return what guardian's own (slower) query returns, called with
    its defaults made explicit so that a model-level permission never widens the answer."""
    from guardian.shortcuts import get_objects_for_user

    staff = world.people["staff"]
    permissions.use_case_grant(to=staff, use_case=world.other, permission="change_usecase")
    group = Group.objects.create(name="pair")
    staff.groups.add(group)
    permissions.use_case_grant(to=group, use_case=world.other_draft, permission="change_usecase")
    guardian_ids = set(
        get_objects_for_user(
            staff,
            "registry.change_usecase",
            klass=UseCase,
            use_groups=True,
            accept_global_perms=False,
            with_superuser=False,
        ).values_list("pk", flat=True)
    )
    permissions.standing_forget(staff)
    ours = set(UseCase.objects.restrict(staff, "change").values_list("pk", flat=True))
    assert ours == guardian_ids == {world.other.pk, world.other_draft.pk}
