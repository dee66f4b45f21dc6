"""No list, search, export, API list or form choice returns an object the asker may not see.

The hidden object here is another team's draft (only its team, those involved and the
readers of everything see it) and credential storage details (only the owning team and the
security team). Each test asserts the leaked ids, not just a count.
"""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient

from registry.choices import CredentialStorage
from tests.factories import (
    CredentialFactory,
    CredentialUseFactory,
    MembershipFactory,
    TeamFactory,
    UseCaseFactory,
    UserFactory,
    VendorFactory,
    VendorUseFactory,
)

NON_READERS = ["builder", "staff", "library curator"]


@pytest.fixture
def setting(db):
    mine, theirs = TeamFactory(name="Marketing", slug="marketing"), TeamFactory(name="Sales", slug="sales")
    vendor = VendorFactory(name="OpenAI", slug="openai")
    shared_key = CredentialFactory(
        name="Shared OpenAI key", team=theirs, storage=CredentialStorage.LAPTOP_ENV_FILE
    )
    visible = UseCaseFactory(name="Launch plan writer", purpose="Drafts launch plans", team=mine)
    hidden = UseCaseFactory(
        name="Secret launch plan assistant", purpose="Drafts launch plans", team=theirs, is_draft=True
    )
    for use_case in (visible, hidden):
        VendorUseFactory(use_case=use_case, vendor=vendor)
        CredentialUseFactory(use_case=use_case, credential=shared_key)
    return {"mine": mine, "theirs": theirs, "visible": visible, "hidden": hidden, "key": shared_key}


def _person(role, team):
    person = UserFactory()
    person.groups.add(Group.objects.get(name=role))
    MembershipFactory(user=person, team=team)
    client = Client()
    client.force_login(person)
    api = APIClient()
    api.force_authenticate(person)
    return person, client, api


def _ids_in_csv(response):
    content = b"".join(response.streaming_content).decode()
    return {int(row["id"]) for row in csv.DictReader(io.StringIO(content))}


@pytest.mark.parametrize("role", NON_READERS)
def test_lists_search_and_exports_leak_no_other_teams_draft(setting, role):
    _, client, api = _person(role, setting["mine"])
    visible, hidden = setting["visible"].pk, setting["hidden"].pk

    for params in ({}, {"q": "launch plan"}, {"vendor": "openai"}, {"team": "sales"}):
        page = client.get("/use-cases/", params)
        ids = {use_case.pk for use_case in page.context["page_obj"].object_list}
        assert hidden not in ids, params
        export = _ids_in_csv(client.get("/use-cases/export.csv", params))
        assert hidden not in export, params
        api_ids = {
            row["id"] for row in api.get("/api/use-cases/", {**params, "page_size": 200}).json()["results"]
        }
        assert hidden not in api_ids, params
        if not params or "q" in params or "vendor" in params:
            assert visible in ids and visible in export and visible in api_ids, params

    assert setting["hidden"].name not in client.get("/vendors/openai/").content.decode()
    assert setting["hidden"].name not in client.get("/teams/sales/").content.decode()
    assert client.get(f"/use-cases/{hidden}/").status_code == 404
    assert api.get(f"/api/use-cases/{hidden}/").status_code == 404


def test_the_owning_team_sees_its_draft_everywhere(setting):
    _, client, api = _person("builder", setting["theirs"])
    hidden = setting["hidden"].pk
    page = client.get("/use-cases/", {"q": "launch plan"})
    assert hidden in {use_case.pk for use_case in page.context["page_obj"].object_list}
    assert hidden in _ids_in_csv(client.get("/use-cases/export.csv", {"q": "launch plan"}))
    assert hidden in {
        row["id"] for row in api.get("/api/use-cases/", {"search": "launch plan"}).json()["results"]
    }


@pytest.mark.parametrize("role", ["security reviewer", "incident responder"])
def test_readers_of_everything_see_every_draft(setting, role):
    _, client, api = _person(role, TeamFactory())
    assert client.get(f"/use-cases/{setting['hidden'].pk}/").status_code == 200
    assert api.get(f"/api/use-cases/{setting['hidden'].pk}/").status_code == 200


def test_credential_page_lists_only_visible_use_cases(setting):
    # A builder of the team that holds the key sees the key, and both tools (one is theirs).
    _, client, _ = _person("builder", setting["theirs"])
    html = client.get(f"/credentials/{setting['key'].pk}/").content.decode()
    assert setting["visible"].name in html and setting["hidden"].name in html
    # A builder of the other team sees the key's details (their tool uses it) but not the draft.
    _, client, _ = _person("builder", setting["mine"])
    html = client.get(f"/credentials/{setting['key'].pk}/").content.decode()
    assert setting["visible"].name in html and setting["hidden"].name not in html
    # Staff see neither the page nor where the key is stored.
    _, client, _ = _person("staff", setting["mine"])
    assert client.get(f"/credentials/{setting['key'].pk}/").status_code == 404
    page = client.get(setting["visible"].get_absolute_url()).content.decode()
    assert "Environment file on a laptop" not in page


def test_owner_choices_offer_only_the_teams_active_people(setting):
    from accounts.choices import MembershipRole

    lead, client, _ = _person("builder", setting["mine"])
    lead.memberships.update(role=MembershipRole.LEAD)
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, team=setting["mine"])
    gone = UserFactory(username="gone", is_active=False)
    MembershipFactory(user=gone, team=setting["mine"])
    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, team=setting["theirs"])

    form = client.get(f"/use-cases/{setting['visible'].pk}/owners/").context["form"]
    offered = set(form.fields["owner"].queryset.values_list("username", flat=True))
    assert offered == {lead.username, "colleague"}


def test_connections_show_only_visible_use_cases(setting):
    from tests.factories import ConnectionFactory

    ConnectionFactory(source=setting["visible"], target=setting["hidden"], what_flows="launch dates")
    ConnectionFactory(source=setting["hidden"], target=setting["visible"], what_flows="briefs")
    _, client, api = _person("staff", setting["mine"])
    html = client.get(setting["visible"].get_absolute_url()).content.decode()
    assert setting["hidden"].name not in html
    body = api.get(f"/api/use-cases/{setting['visible'].pk}/").json()
    assert body["connections"] == {"feeds": [], "fed_by": []}
    _, client, api = _person("incident responder", TeamFactory())
    body = api.get(f"/api/use-cases/{setting['visible'].pk}/").json()
    assert [c["use_case"]["id"] for c in body["connections"]["feeds"]] == [setting["hidden"].pk]
