"""Personal API tokens: created on the profile page and shown once, never stored, used by the
API, revoked, expired, refused for a departed person, private to their owner; the profile page;
the token login's contract (``POST /api/auth/token/``)."""

import re
from datetime import timedelta

import pytest
import yaml
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.choices import MembershipRole
from accounts.models import ApiToken
from accounts.tokens import api_token_create, key_hash
from tests.factories import MembershipFactory, TeamFactory, UseCaseFactory, UserFactory

PROFILE = reverse("accounts:profile")
API_URL = "/api/use-cases/"
PASSWORD = "correct horse battery staple"  # UserFactory's
KEY = re.compile(r"air_[A-Za-z0-9_-]{43}")


@pytest.fixture
def ada(db):
    return UserFactory(username="ada", first_name="Ada", last_name="Lovelace", email="ada@example.com")


@pytest.fixture
def ada_client(client, ada):
    client.force_login(ada)
    return client


def api_get(key, keyword="Token", url=API_URL):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    return client.get(url)


def token_updates(queries):
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE") and "apitoken" in q["sql"]
    ]


# --- the profile page ----------------------------------------------------------------------------


def test_profile_shows_name_email_teams_and_roles(ada_client, ada):
    marketing = TeamFactory(name="Marketing", slug="marketing")
    MembershipFactory(user=ada, team=marketing, role=MembershipRole.LEAD)
    MembershipFactory(user=ada, team=TeamFactory(name="Sales"))
    ada.groups.add(Group.objects.get(name="builder"))

    page = ada_client.get(PROFILE)

    assert page.status_code == 200
    html = page.content.decode()
    assert "Ada Lovelace" in html and "ada@example.com" in html
    assert reverse("registry:team_detail", args=["marketing"]) in html
    assert 'Marketing</a> <span class="badge">Lead</span>' in html
    assert 'Sales</a> <span class="badge">Member</span>' in html
    assert '<span class="badge">Builder</span>' in html
    assert reverse("accounts:password_change") in html
    assert "You have no API tokens." in html


def test_profile_needs_login(client, db):
    response = client.get(PROFILE)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={PROFILE}"


def test_the_nav_links_to_the_profile(ada_client):
    assert f'href="{PROFILE}"' in ada_client.get(reverse("registry:use_case_list")).content.decode()


# --- create: shown once, never stored -------------------------------------------------------------


def test_a_new_token_is_shown_once_and_its_key_is_stored_nowhere(ada_client, ada):
    created = ada_client.post(PROFILE, {"name": "nightly export", "expires_on": ""})

    assert created.status_code == 201
    assert "no-store" in created["Cache-Control"]
    [key] = KEY.findall(created.content.decode())
    assert "shown only this once" in created.content.decode()
    token = ApiToken.objects.get(user=ada)
    assert (token.name, token.expires_at, token.prefix) == ("nightly export", None, key[:12])
    assert token.key_hash == key_hash(key)

    reloaded = ada_client.get(PROFILE).content.decode()
    assert key not in reloaded and KEY.search(reloaded) is None
    assert "nightly export" in reloaded and f"{token.prefix}…" in reloaded and "Active" in reloaded

    # No text column of any table holds the key, or its random part.
    for model in apps.get_models():
        text_fields = [
            f.name for f in model._meta.concrete_fields if isinstance(f, (models.CharField, models.TextField))
        ]
        for field in text_fields:
            for needle in (key, key.removeprefix("air_")):
                leaked = model._default_manager.filter(**{f"{field}__contains": needle})
                assert not leaked.exists(), f"{model.__name__}.{field} holds the key"


def test_creating_with_htmx_answers_the_token_section_only(ada_client):
    response = ada_client.post(PROFILE, {"name": "ci"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 201
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="api-tokens"')
    assert "<html" not in html
    assert KEY.search(html)


def test_an_expiry_day_makes_the_token_stop_at_the_start_of_that_day(ada_client, ada):
    day = timezone.localdate() + timedelta(days=30)

    ada_client.post(PROFILE, {"name": "30 days", "expires_on": day.isoformat()})

    token = ApiToken.objects.get(user=ada)
    assert timezone.localtime(token.expires_at).date() == day
    assert timezone.localtime(token.expires_at).time() == timezone.datetime.min.time()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "   "}, "This field is required."),
        ({"name": "x" * 101}, "at most 100 characters"),
        ({"name": "old", "expires_on": "2020-01-01"}, "Choose a day after today."),
        ({"name": "bad", "expires_on": "someday"}, "Enter a valid date."),
    ],
)
def test_an_invalid_form_creates_nothing_and_says_why(ada_client, data, error):
    response = ada_client.post(PROFILE, data)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not ApiToken.objects.exists()
    assert KEY.search(response.content.decode()) is None


# --- using a token ---------------------------------------------------------------------------------


def test_a_token_authenticates_api_calls_as_its_owner(ada):
    UseCaseFactory(name="Benefits chatbot")
    key = api_token_create(user=ada, name="script").key

    for keyword in ("Token", "Bearer", "token", "bearer"):
        response = api_get(key, keyword)
        assert response.status_code == 200, keyword
        assert [row["name"] for row in response.json()["results"]] == ["Benefits chatbot"]
    assert response.wsgi_request.user == ada


@pytest.mark.parametrize(
    "header",
    ["Token air_not-a-real-key", "Bearer ", "Token two words", "Token"],
)
def test_a_bad_token_header_answers_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(API_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token realm="api"'


def test_revoking_on_the_profile_page_stops_the_token(ada_client, ada):
    key = api_token_create(user=ada, name="leaked one").key
    token = ApiToken.objects.get()
    assert api_get(key).status_code == 200

    response = ada_client.post(reverse("accounts:token_revoke", args=[token.pk]), follow=True)

    assert response.redirect_chain == [(PROFILE, 302)]
    html = response.content.decode()
    assert "is revoked" in html and "Revoked" in html
    token.refresh_from_db()
    assert token.revoked_at is not None
    refused = api_get(key)
    assert refused.status_code == 401
    assert refused.json() == {"detail": "This token has been revoked."}
    # Revoking again changes nothing.
    first = token.revoked_at
    ada_client.post(reverse("accounts:token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at == first


def test_revoke_is_a_post(ada_client, ada):
    token = api_token_create(user=ada, name="t").token

    assert ada_client.get(reverse("accounts:token_revoke", args=[token.pk])).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_someone_elses_token_cannot_be_revoked_or_seen(ada_client):
    bob = UserFactory(username="bob")
    bobs = api_token_create(user=bob, name="bob's private script")

    response = ada_client.post(reverse("accounts:token_revoke", args=[bobs.token.pk]))

    assert response.status_code == 404
    bobs.token.refresh_from_db()
    assert bobs.token.revoked_at is None
    assert api_get(bobs.key).status_code == 200
    assert "bob's private script" not in ada_client.get(PROFILE).content.decode()


def test_an_expired_token_answers_401(ada):
    soon = api_token_create(user=ada, name="short", expires_at=timezone.now() + timedelta(hours=1))
    assert api_get(soon.key).status_code == 200

    ApiToken.objects.filter(pk=soon.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = api_get(soon.key)
    assert response.status_code == 401
    assert response.json() == {"detail": "This token has expired."}


def test_the_profile_shows_each_tokens_state(ada_client, ada):
    api_token_create(user=ada, name="live one")
    api_token_create(user=ada, name="old one", expires_at=timezone.now() - timedelta(days=1))
    gone = api_token_create(user=ada, name="gone one").token
    ApiToken.objects.filter(pk=gone.pk).update(revoked_at=timezone.now())

    html = ada_client.get(PROFILE).content.decode()

    rows = {name: html[html.index(name) :].split("</tr>")[0] for name in ("live one", "old one", "gone one")}
    assert "Active" in rows["live one"] and "Revoke</button>" in rows["live one"]
    assert "Expired" in rows["old one"] and "Revoke</button>" in rows["old one"]
    assert "Revoked" in rows["gone one"] and "Revoke</button>" not in rows["gone one"]


def test_a_deactivated_persons_token_answers_401(ada):
    key = api_token_create(user=ada, name="script").key
    ada.is_active = False
    ada.save()

    response = api_get(key)

    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted."}


def test_last_used_is_recorded_but_written_at_most_once_a_minute(ada):
    created = api_token_create(user=ada, name="busy script")
    assert created.token.last_used_at is None

    with CaptureQueriesContext(connection) as first:
        assert api_get(created.key).status_code == 200
    created.token.refresh_from_db()
    first_use = created.token.last_used_at
    assert first_use is not None and len(token_updates(first)) == 1

    with CaptureQueriesContext(connection) as again:
        for _ in range(3):
            assert api_get(created.key).status_code == 200
    created.token.refresh_from_db()
    assert token_updates(again) == []
    assert created.token.last_used_at == first_use

    # A minute later the next call records its use again.
    ApiToken.objects.update(last_used_at=first_use - timedelta(seconds=61))
    with CaptureQueriesContext(connection) as later:
        assert api_get(created.key).status_code == 200
    created.token.refresh_from_db()
    assert len(token_updates(later)) == 1
    assert created.token.last_used_at > first_use - timedelta(seconds=61)


def test_keys_are_random_prefixed_and_unique(ada):
    keys = {api_token_create(user=ada, name=f"t{i}").key for i in range(20)}

    assert len(keys) == 20
    assert all(KEY.fullmatch(key) for key in keys)


# --- the token login's contract ------------------------------------------------------------------


@pytest.mark.parametrize("format_", ["json", "multipart"])
def test_token_login_returns_a_new_working_token_named_api_login(ada, format_):
    response = APIClient().post("/api/auth/token/", {"username": "ada", "password": PASSWORD}, format=format_)

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["token"] and KEY.fullmatch(body["token"])
    token = ApiToken.objects.get(user=ada)
    assert token.name.startswith("API login ")
    assert token.prefix == body["token"][:12]
    assert api_get(body["token"]).status_code == 200


def test_token_login_needs_no_csrf_even_with_a_session(ada):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(ada)

    response = client.post("/api/auth/token/", {"username": "ada", "password": PASSWORD}, format="json")

    assert response.status_code == 200


def test_the_schema_documents_the_token_scheme(client, db):
    schema = yaml.safe_load(client.get(reverse("api_schema")).content)

    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
    assert {"apiToken": []} in schema["paths"]["/api/use-cases/"]["get"]["security"]
    # The token login itself needs no credentials.
    assert schema["paths"]["/api/auth/token/"]["post"].get("security", []) in ([], [{}])
