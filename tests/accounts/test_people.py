"""A person's page: who they are, their teams and roles, the use cases they own, back up and
built (only those the viewer may see), the credentials they hold (details only where the
viewer may see them), a fixed number of queries, and the links to it from other pages."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import MembershipRole, RoleGroup, TeamKind
from registry.choices import CredentialStorage
from tests.factories import (
    CredentialFactory,
    CredentialUseFactory,
    MembershipFactory,
    TeamFactory,
    UseCaseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def person(username, *, team=None, lead=False, group=RoleGroup.BUILDER, **fields):
    user = UserFactory(username=username, **fields)
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    if team is not None:
        MembershipFactory(user=user, team=team, role=MembershipRole.LEAD if lead else MembershipRole.MEMBER)
    return user


def page_of(user):
    return reverse("registry:person_detail", args=[user.username])


def ids(response, name):
    return [use_case.pk for use_case in response.context["lists"][name].rows]


class World:
    def __init__(self):
        acme = TeamFactory(name="Acme", slug="acme", kind=TeamKind.ORGANISATION)
        self.marketing = TeamFactory(name="Marketing", slug="marketing", parent=acme)
        self.sales = TeamFactory(name="Sales", slug="sales", parent=acme)
        self.bea = person(
            "bea",
            team=self.marketing,
            first_name="Bea",
            last_name="Builder",
            title="Content marketer",
            phone="+1 555 0100",
        )
        self.lee = person("lee", team=self.marketing, lead=True, first_name="Lee", last_name="Lead")
        MembershipFactory(user=self.bea, team=self.sales)
        self.sid = person("sid", team=self.sales)  # another team
        self.mia = person("mia", team=self.marketing)  # Bea's teammate
        uc = UseCaseFactory
        self.owned = uc(name="Owned GPT", team=self.marketing, owner=self.bea)
        self.owned_draft = uc(name="Owned draft", team=self.marketing, owner=self.bea, is_draft=True)
        self.backed = uc(name="Backed workflow", team=self.marketing, owner=self.lee, backup_owner=self.bea)
        self.built = uc(name="Built agent", team=self.sales, owner=self.sid)
        self.built.builders.add(self.bea, self.sid)
        self.other = uc(name="Not hers", team=self.marketing, owner=self.lee)
        self.key = CredentialFactory(
            name="HubSpot private app key",
            owner=self.bea,
            team=self.marketing,
            storage=CredentialStorage.LAPTOP_ENV_FILE,
            vault_reference="vault://secret/marketing/hubspot-app",
        )
        CredentialUseFactory(use_case=self.owned, credential=self.key)


@pytest.fixture
def world():
    return World()


def test_login_required_and_unknown_person_404(world, client):
    url = page_of(world.bea)
    assert client.get(url).status_code == 302
    client.force_login(world.sid)
    assert client.get(reverse("registry:person_detail", args=["nobody"])).status_code == 404


def test_who_they_are_and_what_they_own_back_up_and_built(world, client):
    client.force_login(world.mia)
    response = client.get(page_of(world.bea))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Bea Builder", "Content marketer", "+1 555 0100", "bea@example.com", "Builder", "Marketing"):
        assert text in html
    assert ids(response, "owned") == [world.owned.pk, world.owned_draft.pk]
    assert ids(response, "backed_up") == [world.backed.pk]
    assert ids(response, "built") == [world.built.pk]
    assert [m.team.slug for m in response.context["memberships"]] == ["marketing", "sales"]
    assert world.other.name not in html


def test_lists_only_what_the_viewer_may_see(world, client):
    outsider = person("otto", team=TeamFactory(name="Legal"))
    client.force_login(outsider)
    response = client.get(page_of(world.bea))
    assert ids(response, "owned") == [world.owned.pk]  # the draft stays with Marketing
    assert world.owned_draft.name not in response.content.decode()


def test_credential_details_only_for_those_who_may_see_them(world, client):
    client.force_login(world.sid)  # a builder of another team: no storage, no vault reference, no name
    html = client.get(page_of(world.bea)).content.decode()
    assert "Environment file on a laptop" not in html
    assert "vault://secret/marketing/hubspot-app" not in html
    assert "HubSpot private app key" not in html
    assert "1 credential whose details are visible to the owning team and the security team only" in html

    client.force_login(world.mia)  # her teammate
    response = client.get(page_of(world.bea))
    html = response.content.decode()
    assert [c.pk for c in response.context["credentials"]] == [world.key.pk]
    assert "Environment file on a laptop" in html and "Unsafe storage" in html
    assert reverse("registry:credential_detail", args=[world.key.pk]) in html

    client.force_login(person("rey", group=RoleGroup.SECURITY_REVIEWER))
    assert "Environment file on a laptop" in client.get(page_of(world.bea)).content.decode()


def test_a_person_who_left_is_shown_as_left(world, client):
    world.bea.is_active = False
    world.bea.save()
    client.force_login(world.mia)
    html = client.get(page_of(world.bea)).content.decode()
    assert "Left the organisation" in html


def test_query_count_is_fixed(world, client):
    client.force_login(world.mia)
    with CaptureQueriesContext(connection) as few:
        assert client.get(page_of(world.bea)).status_code == 200
    for i in range(20):
        UseCaseFactory(team=world.sales if i % 2 else world.marketing, owner=world.bea)
        UseCaseFactory(team=world.marketing, owner=world.lee, backup_owner=world.bea).builders.add(world.bea)
        CredentialFactory(owner=world.bea, team=world.marketing if i % 2 else world.sales)
    with CaptureQueriesContext(connection) as many:
        response = client.get(page_of(world.bea))
    assert len(response.context["lists"]["owned"].rows) == 22
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(many.captured_queries) <= 14


def test_long_lists_are_cut_and_counted(world, client, monkeypatch):
    monkeypatch.setattr("registry.selectors.people.PERSON_LIST_LIMIT", 1)
    client.force_login(world.mia)
    response = client.get(page_of(world.bea))
    owned = response.context["lists"]["owned"]
    assert (len(owned.rows), owned.total, owned.truncated) == (1, 2, True)
    assert "Showing the first 1 of 2." in response.content.decode()


def test_names_link_to_the_person_page(world, client):
    client.force_login(world.mia)
    link = f'href="{page_of(world.bea)}"'
    assert link in client.get(world.owned.get_absolute_url()).content.decode()  # owner
    assert link in client.get(world.backed.get_absolute_url()).content.decode()  # backup owner
    assert link in client.get(world.built.get_absolute_url()).content.decode()  # builder
    assert link in client.get(reverse("registry:team_detail", args=["marketing"])).content.decode()
    assert link in client.get(reverse("registry:credential_detail", args=[world.key.pk])).content.decode()
