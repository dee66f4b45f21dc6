"""The who-built-what page, its search box, CSV and printable packet, the API, and the
architecture maps, on the demo's marketing scenario (the HubSpot key in a laptop env file,
used by the content workflow and the prospecting agent; the content workflow feeds the
campaign workflow)."""

import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from registry.demo import demo_seed
from registry.models import Credential, UseCase
from registry.views.incidents import WHO_BUILT_WHAT_CSV_COLUMNS
from tests.registry.test_who_built_what import _credential_used_by

pytestmark = pytest.mark.django_db

READERS = ["responder", "reviewer", "admin"]
OTHERS = ["builder", "lead", "curator", "staff"]


@pytest.fixture
def demo():
    demo_seed(password="demo-password-1", import_inventories=False)
    return {
        "users": {user.username: user for user in User.objects.all()},
        "key": Credential.objects.get(name="HubSpot private app key (marketing)"),
        "content": UseCase.objects.get(name="Blog content workflow"),
        "prospecting": UseCase.objects.get(name="Prospecting agent"),
        "campaign": UseCase.objects.get(name="Campaign email workflow"),
    }


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_only_responders_reviewers_and_admins_get_the_page_and_the_api(demo):
    key = demo["key"].pk
    for username in READERS:
        user = demo["users"][username]
        assert client_for(user).get("/who-built-what/").status_code == 200, username
        assert client_for(user).get(f"/who-built-what/?credential={key}").status_code == 200, username
        assert api_for(user).get(f"/api/who-built-what/?credential={key}").status_code == 200, username
    for username in OTHERS:
        user = demo["users"][username]
        for url in (
            "/who-built-what/",
            f"/who-built-what/?credential={key}",
            f"/who-built-what/?credential={key}&format=csv",
        ):
            assert client_for(user).get(url).status_code == 404, (username, url)
        assert client_for(user).post("/who-built-what/find/", {"q": "hubspot"}).status_code == 404
        assert api_for(user).get(f"/api/who-built-what/?credential={key}").status_code == 404, username
    assert Client().get("/who-built-what/").status_code == 302  # to the login page
    assert APIClient().get(f"/api/who-built-what/?credential={key}").status_code in (401, 403)


def test_the_hubspot_key_answer(demo):
    response = client_for(demo["users"]["responder"]).get(f"/who-built-what/?credential={demo['key'].pk}")

    answer = response.context["answer"]
    assert [uc.id for uc in answer.direct] == [demo["content"].pk, demo["prospecting"].pk]
    assert [(uc.id, uc.path_text) for uc in answer.downstream] == [
        (demo["campaign"].pk, "Blog content workflow → Campaign email workflow")
    ]
    html = response.content.decode()
    for text in (
        "Blog content workflow",
        "Prospecting agent",
        "Campaign email workflow",
        "builder@acme.example",  # the content workflow's owner
        "lead@acme.example",  # the prospecting agent's and the campaign's owner
        "Environment file on a laptop",
        "HubSpot Marketing Hub",  # the data the campaign workflow reaches
        "Open an incident from this answer",
    ):
        assert text in html, text
    # A reviewer reads the same answer but opens no incident.
    reviewer_html = client_for(demo["users"]["reviewer"]).get(f"/who-built-what/?credential={demo['key'].pk}")
    assert "Open an incident" not in reviewer_html.content.decode()


def test_the_search_box_suggests_objects_by_kind(demo):
    client = client_for(demo["users"]["responder"])

    # POST: what is typed never lands in a URL or an access log.
    assert client.get("/who-built-what/find/", {"q": "hubspot"}).status_code == 405
    response = client.post("/who-built-what/find/", {"q": "hubspot"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html  # the fragment only
    for heading in ("Credentials", "Data sources", "Vendors and models"):
        assert f"<h2>{heading}</h2>" in html
    assert f'href="/who-built-what/?credential={demo["key"].pk}"' in html
    # Without script, "Search" answers the free text and still lists the matches.
    page = client.get("/who-built-what/", {"q": "hubspot"})
    assert page.status_code == 200
    assert {uc.id for uc in page.context["answer"].direct} >= {demo["content"].pk, demo["prospecting"].pk}
    assert f'href="/who-built-what/?credential={demo["key"].pk}"' in page.content.decode()


def test_a_pasted_secret_is_refused_not_echoed_and_counted(demo):
    from registry.models import SecretRefusal

    leaked = "pat-na1-0f8e7a6b-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
    client = client_for(demo["users"]["responder"])

    page = client.get("/who-built-what/", {"q": leaked})
    assert page.status_code == 400 and leaked not in page.content.decode()
    assert "HubSpot private app token" in page.content.decode()
    fragment = client.post("/who-built-what/find/", {"q": leaked}).content.decode()
    assert leaked not in fragment and "HubSpot private app token" in fragment
    api = api_for(demo["users"]["responder"]).get("/api/who-built-what/", {"q": leaked})
    assert api.status_code == 400 and leaked not in api.content.decode()
    assert SecretRefusal.objects.filter(field="q").count() == 3


def test_bad_parameters_and_unknown_ids(demo):
    client = client_for(demo["users"]["responder"])
    assert client.get("/who-built-what/?credential=abc").status_code == 400
    assert client.get("/who-built-what/?credential=1&depth=9").status_code == 400
    assert client.get("/who-built-what/?credential=999999").status_code == 404
    api = api_for(demo["users"]["responder"])
    bad = api.get("/api/who-built-what/?credential=1&team=2")
    assert bad.status_code == 400 and "subject" in bad.json()
    assert api.get("/api/who-built-what/?depth=x&vendor=1").json() == {
        "depth": ["A whole number from 0 to 6."]
    }
    assert api.get("/api/who-built-what/?vendor=999999").status_code == 404


def test_csv_export_columns_and_rows(demo):
    response = client_for(demo["users"]["responder"]).get(
        f"/who-built-what/?credential={demo['key'].pk}&format=csv"
    )

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == WHO_BUILT_WHAT_CSV_COLUMNS
    assert [(row["depth"], row["use_case"]) for row in rows] == [
        ("0", "Blog content workflow"),
        ("0", "Prospecting agent"),
        ("1", "Campaign email workflow"),
    ]
    content = rows[0]
    assert content["owner_email"] == "builder@acme.example"
    assert content["how"] == "uses the credential (Posts drafts to HubSpot)"
    assert (
        content["credential_storage"] == "HubSpot private app key (marketing): Environment file on a laptop"
    )
    assert "Lee Lead <lead@acme.example>" in content["team_leads"]
    assert rows[2]["path"] == "Blog content workflow → Campaign email workflow"


def test_the_printable_incident_packet(demo):
    response = client_for(demo["users"]["responder"]).get(
        f"/who-built-what/?credential={demo['key'].pk}&format=print"
    )

    html = response.content.decode()
    assert "Incident packet" in html
    assert "Generated <time datetime=" in html
    assert "css/incidents.css" in html and "site-header" not in html
    assert "Campaign email workflow" in html and "Prospecting agent" in html


def test_api_answer_is_the_pages(demo):
    body = (
        api_for(demo["users"]["responder"])
        .get(f"/api/who-built-what/?credential={demo['key'].pk}&depth=2")
        .json()
    )

    assert body["query"] == {"kind": "credential", "value": demo["key"].pk, "depth": 2}
    assert [(uc["name"], uc["depth"]) for uc in body["use_cases"]] == [
        ("Blog content workflow", 0),
        ("Prospecting agent", 0),
        ("Campaign email workflow", 1),
    ]
    content = body["use_cases"][0]
    assert content["owner"]["email"] == "builder@acme.example"
    assert content["credentials"][0]["storage"] == "laptop_env_file"
    assert [step["name"] for step in body["use_cases"][2]["path"]] == [
        "Blog content workflow",
        "Campaign email workflow",
    ]
    from registry.api.incidents import AffectedUseCaseSerializer

    assert set(content) == set(AffectedUseCaseSerializer().fields)


def test_page_query_count_does_not_grow_with_use_cases(db):
    from django.contrib.auth.models import Group

    counts = {}
    for n in (10, 200):
        key = _credential_used_by(n)
        responder = User.objects.create(username=f"responder{n}")
        responder.groups.add(Group.objects.get(name="incident responder"))
        client = client_for(responder)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/who-built-what/?credential={key.pk}")
        assert response.status_code == 200
        assert len(response.context["answer"].use_cases) == 2 * n
        counts[n] = len(queries)
    assert counts[10] == counts[200]


def test_use_case_page_shows_its_architecture(demo):
    client = client_for(demo["users"]["staff"])
    page = client.get(f"/use-cases/{demo['content'].pk}/").content.decode()
    assert 'id="architecture"' in page
    assert f'hx-get="/use-cases/{demo["content"].pk}/architecture/"' in page

    fragment = client.get(f"/use-cases/{demo['campaign'].pk}/architecture/", headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert "<html" not in html
    assert "Upstream: what feeds it (1)" in html and "Blog content workflow" in html
    assert client.get(f"/use-cases/{demo['campaign'].pk}/architecture/").status_code == 200

    draft = UseCase.objects.create(
        name="Hidden draft", purpose="x", kind="agent", team=demo["content"].team, is_draft=True
    )
    assert client.get(f"/use-cases/{draft.pk}/architecture/").status_code == 404


def test_team_page_offers_its_connections_picture(demo):
    client = client_for(demo["users"]["staff"])
    assert (
        'hx-get="/teams/acme-marketing/connections/"' in client.get("/teams/acme-marketing/").content.decode()
    )

    html = client.get("/teams/acme-marketing/connections/").content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in html
    assert '<title id="team-map-title">' in html
    # The list behind the picture says the same in words.
    assert "Blog content workflow</a> feeds <a" in html
    assert client.get("/teams/no-such-team/connections/").status_code == 404
