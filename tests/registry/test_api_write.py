"""Writing use cases through the API: ``POST /api/use-cases/``, ``PUT``/``PATCH
/api/use-cases/{id}/`` and ``POST /api/use-cases/{id}/submit/``. Same rules and messages as the
page (one service): 400 with field errors where the payload had the value, never a 500; 404 for
a use case the asker may not see, 403 for one they see but may not change; the secret corpus
refused with no trace."""

import logging

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from accounts.choices import MembershipRole
from registry.choices import CredentialStorage, DataClassification, ReviewState, RiskTier
from registry.models import Credential, DataSource, FoundationDocument, SecretRefusal, UseCase, Vendor
from registry.secret_guard import secret_message, secret_scan
from tests.factories import (
    CredentialFactory,
    DataSourceFactory,
    MembershipFactory,
    TeamFactory,
    UseCaseFactory,
    UserFactory,
    VendorFactory,
)
from tests.registry.test_secret_guard import FAKE_IDS, FAKES, assert_nowhere, database_hits, in_prose

LIST_URL = "/api/use-cases/"


@pytest.fixture
def marketing(db):
    return TeamFactory(name="Marketing", slug="marketing")


@pytest.fixture
def sales(db):
    return TeamFactory(name="Sales", slug="sales")


@pytest.fixture
def builder(marketing):
    person = UserFactory(username="bea", first_name="Bea", last_name="Builder")
    person.groups.add(Group.objects.get(name="builder"))
    MembershipFactory(user=person, team=marketing)
    return person


@pytest.fixture
def api(builder):
    client = APIClient()
    client.force_authenticate(builder)
    return client


def payload(**extra):
    return {
        "name": "Competitive analysis GPT",
        "purpose": "Summarises competitors' launches for the sales team.",
        "kind": "custom_gpt",
        "platform": "ChatGPT Enterprise",
        "vendors": [{"name": "OpenAI", "model": "GPT-4o"}],
        **extra,
    }


# --- registering ----------------------------------------------------------------------------------


def test_register_with_data_access_credentials_connections_and_documents(api, builder, marketing):
    crm = DataSourceFactory(
        name="CRM", classification=DataClassification.CONFIDENTIAL, has_personal_data=True
    )
    key = CredentialFactory(name="HubSpot key", team=marketing, storage=CredentialStorage.LAPTOP_ENV_FILE)
    anthropic = VendorFactory(name="Anthropic")
    downstream = UseCaseFactory(name="Campaign email workflow", team=marketing)
    voice = FoundationDocument.objects.create(name="Brand voice", current_version="2026.2")

    response = api.post(
        LIST_URL,
        payload(
            vendors=[{"name": "openai", "model": "GPT-4o"}, {"vendor": anthropic.pk}],
            data_access=[
                {"data_source": crm.pk, "access": "read", "purpose": "account lookups"},
                {
                    "new_data_source": {"name": "Battlecards drive", "classification": "internal"},
                    "access": "write",
                },
            ],
            credentials=[
                {"credential": key.pk, "purpose": "posts drafts"},
                {
                    "new_credential": {
                        "name": "OpenAI key, marketing",
                        "issuer": VendorFactory(name="OpenAI").pk,
                        "storage": "secrets_manager",
                        "vault_reference": "vault://marketing/openai",
                        "last_rotated_on": "2026-10-01",
                        "expires_on": "2027-10-01",
                    },
                    "purpose": "model calls",
                },
            ],
            feeds=[{"use_case": downstream.pk, "what_flows": "battlecards"}],
            foundation_documents=[{"document": voice.pk, "version": "2026.1"}],
            exposure="partners",
        ),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    use_case = UseCase.objects.get(name="Competitive analysis GPT")
    assert response["Location"] == body["url"] and body["id"] == use_case.pk
    assert body["team"]["id"] == marketing.pk and body["owner"]["username"] == "bea"
    assert sorted(v["name"] for v in body["vendors"]) == ["Anthropic", "OpenAI"]
    assert Vendor.objects.filter(name__iexact="openai").count() == 1  # "openai" found the existing one
    assert {a["data_source"]["name"]: a["access"] for a in body["data_access"]} == {
        "CRM": "read",
        "Battlecards drive": "write",
    }
    new_key = Credential.objects.get(name="OpenAI key, marketing")
    assert (new_key.owner, new_key.vault_reference, new_key.team) == (
        builder,
        "vault://marketing/openai",
        marketing,
    )
    assert {c["name"]: c["details"]["storage"] for c in body["credentials"]} == {
        "HubSpot key": "laptop_env_file",
        "OpenAI key, marketing": "secrets_manager",
    }
    assert body["connections"]["feeds"][0]["use_case"]["id"] == downstream.pk
    assert body["foundation_documents"][0]["is_outdated"] is True
    # confidential (2) + personal data (2) + unsafe key (2) + partners (1) + writes (1) = 8
    assert body["risk_tier"] == RiskTier.CRITICAL
    assert (
        "uses a credential stored unsafely: HubSpot key (environment file on a laptop)"
        in body["risk_reasons"]
    )


def test_register_a_draft_with_the_team_defaulting_to_theirs(api, marketing):
    response = api.post(f"{LIST_URL}?draft=true", payload(), format="json")

    assert response.status_code == 201
    use_case = UseCase.objects.get()
    assert use_case.is_draft and use_case.team == marketing


# --- bad input: 400 with field errors, never a 500 -------------------------------------------------


def test_missing_fields_get_the_pages_messages(api):
    response = api.post(LIST_URL, {"purpose": "Drafts battlecards"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "name": ["This field is required."],
        "kind": ["This field is required."],
        "platform": ["This field is required."],
        "vendors": ["Name at least one vendor or model it calls (your own if it runs on none)."],
    }
    assert not UseCase.objects.exists()


def test_an_unknown_team_or_one_the_builder_is_not_in_is_a_team_error(api, sales):
    unknown = api.post(LIST_URL, payload(team=999999), format="json")
    theirs = api.post(LIST_URL, payload(team=sales.pk), format="json")

    assert unknown.status_code == 400 and set(unknown.json()) == {"team"}
    assert theirs.status_code == 400
    assert theirs.json() == {"team": ["You can register use cases only for teams you belong to."]}
    assert not UseCase.objects.exists()


def test_an_expiry_before_the_rotation_is_an_error_where_the_payload_had_it(api):
    response = api.post(
        LIST_URL,
        payload(
            credentials=[
                {"credential": None, "new_credential": {"name": "ok", "storage": "secrets_manager"}},
                {
                    "new_credential": {
                        "name": "k",
                        "last_rotated_on": "2026-05-01",
                        "expires_on": "2026-04-01",
                    }
                },
            ]
        ),
        format="json",
    )

    assert response.status_code == 400
    # Errors in lists are keyed by the item's index, as DRF keys its own.
    assert response.json() == {
        "credentials": {
            "1": {
                "new_credential": {"expires_on": ["A credential cannot expire before it was last rotated."]}
            }
        }
    }
    assert not Credential.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "robot"}, "kind"),
        ({"vendors": "OpenAI"}, "vendors"),
        ({"vendors": [{"model": "GPT-4o"}]}, "vendors"),
        ({"data_access": [{"access": "read"}]}, "data_access"),
        ({"data_access": [{"data_source": 999999}]}, "data_access"),
        ({"data_access": [{"new_data_source": {"classification": "secret"}}]}, "data_access"),
        ({"credentials": [{"purpose": "x"}]}, "credentials"),
        ({"credentials": [{"new_credential": {"name": "k", "expires_on": "soon"}}]}, "credentials"),
        ({"feeds": [{"use_case": "abc"}]}, "feeds"),
        ({"foundation_documents": [{"document": 999999}]}, "foundation_documents"),
        ({"users_count": -1}, "users_count"),
        ({"documentation_url": "not a url"}, "documentation_url"),
        ({"backup_owner": 999999}, "backup_owner"),
        ({"builders": ["me"]}, "builders"),
        ({"name": "x" * 501}, "name"),
    ],
)
def test_bad_input_is_a_400_on_that_field(api, changes, field):
    response = api.post(LIST_URL, payload(**changes), format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not UseCase.objects.exists()


@pytest.mark.parametrize("body", [[], "a string", 42, None])
def test_a_payload_that_is_not_an_object_is_a_400(api, body):
    assert api.post(LIST_URL, body, format="json").status_code == 400


def test_another_teams_credential_cannot_be_referenced(api, sales):
    theirs = CredentialFactory(team=sales, name="Sales OpenAI key")

    response = api.post(LIST_URL, payload(credentials=[{"credential": theirs.pk}]), format="json")

    assert response.status_code == 400
    assert set(response.json()["credentials"]["0"]) == {"credential"}
    assert "Sales OpenAI key" not in response.content.decode()


def test_people_who_build_for_no_team_get_403(db):
    client = APIClient()
    client.force_authenticate(UserFactory())
    assert client.post(LIST_URL, payload(), format="json").status_code == 403
    assert not UseCase.objects.exists()


# --- the secret guard ----------------------------------------------------------------------------


@pytest.mark.parametrize("fake", FAKES, ids=FAKE_IDS)
def test_each_fake_secret_is_refused_with_no_trace(api, builder, fake, caplog):
    caplog.set_level(logging.DEBUG)

    response = api.post(LIST_URL, payload(purpose=in_prose(fake)), format="json")

    assert response.status_code == 400
    assert response.json() == {"purpose": [secret_message(secret_scan(fake.text))]}
    assert_nowhere(response.content.decode(), fake, "the API response")
    assert_nowhere(caplog.text, fake, "the logs")
    assert not UseCase.objects.exists()
    assert database_hits([fake.needle]) == []
    assert list(SecretRefusal.objects.values_list("channel", "field", "secret_kind", "actor")) == [
        ("api", "purpose", fake.kind, builder.pk)
    ]


def test_a_secret_deep_in_a_list_is_refused_where_it_was(api, builder, caplog):
    caplog.set_level(logging.DEBUG)
    hubspot = next(f for f in FAKES if f.kind == "HubSpot private app token")
    stripe = next(f for f in FAKES if f.kind == "Stripe secret key")

    response = api.post(
        LIST_URL,
        payload(
            kind=stripe.text,
            credentials=[
                {"new_credential": {"name": "ok", "vault_reference": "op://Marketing/HubSpot/credential"}},
                {"new_credential": {"name": "HubSpot", "vault_reference": hubspot.text}},
            ],
        ),
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "kind": [secret_message(secret_scan(stripe.text))],
        "credentials": {
            "1": {"new_credential": {"vault_reference": [secret_message(secret_scan(hubspot.text))]}}
        },
    }
    for fake in (hubspot, stripe):
        assert_nowhere(response.content.decode(), fake, "the API response")
        assert_nowhere(caplog.text, fake, "the logs")
    assert database_hits([hubspot.needle, stripe.needle]) == []
    assert sorted(SecretRefusal.objects.values_list("field", flat=True)) == [
        "credentials-1-new_credential-vault_reference",
        "kind",
    ]


def test_vault_references_and_ordinary_text_pass(api):
    response = api.post(
        LIST_URL,
        payload(
            description="The API key is stored in the team vault and rotated every 90 days.",
            credentials=[
                {
                    "new_credential": {
                        "name": "HubSpot private app token",
                        "storage": "secrets_manager",
                        "vault_reference": "arn:aws:secretsmanager:us-east-1:123456789012:secret:crm/hubspot",
                    }
                }
            ],
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()


# --- changing -------------------------------------------------------------------------------------


@pytest.fixture
def registered(api):
    response = api.post(
        LIST_URL,
        payload(data_access=[{"new_data_source": {"name": "CRM", "classification": "restricted"}}]),
        format="json",
    )
    assert response.status_code == 201
    return UseCase.objects.get(pk=response.json()["id"])


def test_patch_changes_what_is_given_and_replaces_a_list(api, registered):
    url = f"{LIST_URL}{registered.pk}/"

    response = api.patch(url, {"platform": "Custom GPT", "data_access": []}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["platform"] == "Custom GPT" and body["data_access"] == []
    assert body["name"] == "Competitive analysis GPT"  # untouched
    assert [v["name"] for v in body["vendors"]] == ["OpenAI"]  # a list left out stays
    assert body["risk_tier"] == RiskTier.LOW
    assert DataSource.objects.filter(name="CRM").exists()  # the source stays in the registry


def test_patch_refuses_an_empty_vendor_list_and_a_team_move(api, registered, sales):
    url = f"{LIST_URL}{registered.pk}/"

    assert api.patch(url, {"vendors": []}, format="json").json() == {
        "vendors": ["Name at least one vendor or model it calls (your own if it runs on none)."]
    }
    moved = api.patch(url, {"team": sales.pk}, format="json")
    assert moved.status_code == 400
    assert moved.json() == {"team": ["You can move use cases only to teams you belong to."]}
    registered.refresh_from_db()
    assert registered.team.slug == "marketing"


def test_put_needs_every_required_field(api, registered):
    url = f"{LIST_URL}{registered.pk}/"

    response = api.put(url, {"name": "Renamed"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"purpose", "kind", "platform", "vendors"}
    full = api.put(url, payload(name="Renamed"), format="json")
    assert full.status_code == 200 and full.json()["name"] == "Renamed"


def test_404_for_what_the_asker_may_not_see_and_403_for_what_they_may_not_change(api, sales):
    hidden = UseCaseFactory(team=sales, is_draft=True)
    visible = UseCaseFactory(team=sales, platform="Zapier")

    for use_case, expected in ((hidden, 404), (visible, 403)):
        url = f"{LIST_URL}{use_case.pk}/"
        assert api.patch(url, {"name": "mine"}, format="json").status_code == expected
        assert api.put(url, payload(), format="json").status_code == expected
        assert api.post(f"{url}submit/").status_code == expected
    assert api.patch(f"{LIST_URL}999999/", {"name": "x"}, format="json").status_code == 404
    visible.refresh_from_db()
    assert visible.name != "mine" and not visible.reviews.exists()


def test_a_secret_in_a_patch_is_refused_and_nothing_changes(api, registered):
    fake = next(f for f in FAKES if f.kind == "GitHub fine-grained token")

    response = api.patch(f"{LIST_URL}{registered.pk}/", {"human_in_the_loop": fake.text}, format="json")

    assert response.status_code == 400 and set(response.json()) == {"human_in_the_loop"}
    assert_nowhere(response.content.decode(), fake, "the API response")
    assert database_hits([fake.needle]) == []


# --- submitting for review -----------------------------------------------------------------------


def test_submit_opens_a_requested_review_once(api, registered):
    url = f"{LIST_URL}{registered.pk}/submit/"

    first = api.post(url)
    again = api.post(url)

    assert first.status_code == 201
    assert set(first.json()) == {"id", "state", "requested_at"}
    assert first.json()["state"] == ReviewState.REQUESTED
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    detail = api.get(f"{LIST_URL}{registered.pk}/").json()
    assert detail["review_status"] == "requested"


def test_a_lead_submits_for_their_team_and_a_reviewer_cannot(marketing, registered):
    lead = UserFactory()
    MembershipFactory(user=lead, team=marketing, role=MembershipRole.LEAD)
    reviewer = UserFactory()
    reviewer.groups.add(Group.objects.get(name="security reviewer"))
    client = APIClient()

    client.force_authenticate(reviewer)
    assert client.post(f"{LIST_URL}{registered.pk}/submit/").status_code == 403
    client.force_authenticate(lead)
    assert client.post(f"{LIST_URL}{registered.pk}/submit/").status_code == 201
