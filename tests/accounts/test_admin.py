"""The admin of people and teams: title, phone and memberships are editable where an operator
expects them; every page answers (the table over every registered model lives in
``tests/registry/test_admin.py``)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import MembershipRole
from accounts.models import Membership, Team, User
from tests.factories import MembershipFactory, TeamFactory, UserFactory


def _form_errors(response):
    """The admin form's errors, to show why a POST did not redirect."""
    return [str(error) for error in response.context["errors"]] if response.context else ""


@pytest.fixture
def superuser_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_user_page_shows_title_phone_and_memberships(superuser_client):
    person = UserFactory(title="Growth marketer", phone="+1 555 0100")
    MembershipFactory(user=person, team=TeamFactory(name="Marketing"), role=MembershipRole.LEAD)

    page = superuser_client.get(reverse("admin:accounts_user_change", args=[person.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="Growth marketer"' in html
    assert 'value="+1 555 0100"' in html
    assert "memberships-TOTAL_FORMS" in html
    assert "Marketing" in html


def test_adding_a_person_in_the_admin(superuser_client):
    response = superuser_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newcomer",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
            "usable_password": "true",
            "first_name": "New",
            "last_name": "Comer",
            "email": "new@example.com",
            "title": "Sales analyst",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, _form_errors(response)
    person = User.objects.get(username="newcomer")
    assert person.title == "Sales analyst"
    assert person.check_password("a long enough passphrase 42")


def test_team_page_edits_members_inline(superuser_client):
    team = TeamFactory(name="Sales", slug="sales")
    member = UserFactory()
    url = reverse("admin:accounts_team_change", args=[team.pk])

    response = superuser_client.post(
        url,
        {
            "name": "Sales",
            "slug": "sales",
            "kind": team.kind,
            "parent": "",
            "abbreviation": "",
            "description": "",
            "email": "",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-user": member.pk,
            "memberships-0-role": MembershipRole.LEAD,
        },
    )

    assert response.status_code == 302, _form_errors(response)
    assert Membership.objects.get(team=team).user == member
    assert Membership.objects.get(team=team).role == MembershipRole.LEAD


def test_team_parent_is_picked_by_autocomplete(superuser_client):
    TeamFactory(name="Department of Examples")
    TeamFactory(name="Department of Samples")

    page = superuser_client.get(reverse("admin:accounts_team_add"))
    found = superuser_client.get(
        reverse("admin:autocomplete"),
        {"term": "examples", "app_label": "accounts", "model_name": "team", "field_name": "parent"},
    )

    assert "admin-autocomplete" in page.content.decode()
    assert [r["text"] for r in found.json()["results"]] == ["Department of Examples"]


def test_team_and_membership_changelists_do_not_run_a_query_per_row(superuser_client):
    agency = TeamFactory()
    counts = []
    for rows in (2, 20):
        while Team.objects.count() < rows:
            MembershipFactory(team=TeamFactory(parent=agency))
        with CaptureQueriesContext(connection) as teams:
            assert superuser_client.get(reverse("admin:accounts_team_changelist")).status_code == 200
        with CaptureQueriesContext(connection) as memberships:
            assert superuser_client.get(reverse("admin:accounts_membership_changelist")).status_code == 200
        counts.append((len(teams), len(memberships)))

    assert counts[0] == counts[1]
