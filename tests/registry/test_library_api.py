"""The shared library's API: entries (filters, search, query ceiling), candidates and
promotion (curators; 409 with the unmet criteria), adopt and deprecate, usage pushed by an AI
gateway's token (idempotent per month) and foundation documents."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.permissions import use_case_grant
from accounts.tokens import api_token_create
from registry.choices import LifecycleStage
from registry.models import (
    Adoption,
    FoundationDocument,
    FoundationDocumentUse,
    LibraryEntry,
    Notification,
    UsageReport,
    UseCase,
)
from tests.factories import TeamFactory, UseCaseFactory, VendorFactory, VendorUseFactory

from .test_library_world import graduate, listed, person, report

pytestmark = pytest.mark.django_db

ENTRY = {
    "reuse_summary": "Battlecards in minutes.",
    "how_to_adopt": "1. Ask the owner.",
    "category": "Research",
}


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def token_client(user):
    key = api_token_create(user=user, name="gateway").key
    ApiToken.objects.update(last_used_at=timezone.now())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def curator(db):
    return person("library curator")


# --- entries ---------------------------------------------------------------------------------


def test_list_filters_and_search(curator):
    openai = VendorFactory(name="OpenAI", slug="openai")
    marketing = TeamFactory(name="Marketing", slug="marketing")
    gpt = graduate(name="Competitive intelligence GPT", team=marketing)
    VendorUseFactory(use_case=gpt, vendor=openai)
    report(gpt, dt.date(2026, 10, 1), users=24, hours="130")
    entry = listed(gpt, category="Research")
    Adoption.objects.create(entry=entry, adopted_by=person("staff"))
    listed(graduate(name="Renewal agent"), category="Sales")
    listed(graduate(name="Old digest"), status=LibraryEntry.Status.DEPRECATED)
    client = api(person("staff"))

    body = client.get("/api/library/").json()
    assert [r["use_case"]["name"] for r in body["results"]] == [
        "Competitive intelligence GPT",
        "Renewal agent",
    ]
    first = body["results"][0]
    assert (first["adoption_count"], first["active_users"], first["hours_saved_per_week"]) == (1, 24, "30.0")
    assert first["usage_source"] == "report" and first["use_case"]["review_status"] == "approved"
    for query, expected in [
        ("search=competitive", ["Competitive intelligence GPT"]),
        ("category=sales", ["Renewal agent"]),
        ("team=marketing", ["Competitive intelligence GPT"]),
        ("vendor=openai", ["Competitive intelligence GPT"]),
        ("status=deprecated", ["Old digest"]),
        ("status=unlisted", []),
    ]:
        names = [r["use_case"]["name"] for r in client.get(f"/api/library/?{query}").json()["results"]]
        assert names == expected, query
    assert client.get("/api/library/?kind=robot").status_code == 400


def test_list_query_count_does_not_grow_with_entries():
    staff = person("staff")
    client = token_client(staff)
    listed(graduate(name="Tool 0"))
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/library/?search=tool").status_code == 200
    for i in range(1, 25):
        entry = listed(graduate(name=f"Tool {i}"))
        report(entry.use_case, dt.date(2026, 10, 1), users=i)
        Adoption.objects.create(entry=entry, adopted_by=person())
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/library/?search=tool")
    assert response.json()["count"] == 25
    assert len(many.captured_queries) == len(few.captured_queries) <= 7, len(many.captured_queries)


def test_detail_has_how_to_adopt_adopters_and_criteria():
    entry = listed(graduate(name="Competitive intelligence GPT"))
    sales = TeamFactory(slug="sales")
    staff = person("staff", team=sales)
    Adoption.objects.create(entry=entry, adopted_by=staff, team=sales)
    body = api(staff).get(f"/api/library/{entry.pk}/").json()
    assert body["how_to_adopt"] == "1. Ask the owner."
    assert (
        body["adopters"][0]["team"] == "sales"
        and body["adopters"][0]["adopted_by"]["username"] == staff.username
    )
    assert [c["key"] for c in body["criteria"]] == [
        "production",
        "approved",
        "owners",
        "documentation",
        "credentials",
        "usage",
    ]
    assert all(c["met"] for c in body["criteria"])
    unlisted = listed(graduate(), status=LibraryEntry.Status.UNLISTED)
    assert api(staff).get(f"/api/library/{unlisted.pk}/").status_code == 404


# --- candidates and promotion -----------------------------------------------------------------


def test_candidates_are_for_curators_with_each_criterion(curator):
    graduate(name="Competitive intelligence GPT", users=24)
    graduate(name="No docs GPT", documentation_url="")
    assert api(person("staff")).get("/api/library/candidates/").status_code == 403
    body = api(curator).get("/api/library/candidates/").json()
    assert [c["use_case"]["name"] for c in body["eligible"]] == ["Competitive intelligence GPT"]
    assert body["eligible"][0]["active_users"] == 24 and body["eligible"][0]["usage_source"] == "registry"
    assert all(c["met"] for c in body["eligible"][0]["criteria"])
    [near] = body["near_misses"]
    assert near["missing"] == "documentation" and not near["eligible"]


def test_promote_by_a_curator_only_and_only_when_eligible(curator):
    use_case = graduate(name="Competitive intelligence GPT")
    url = f"/api/use-cases/{use_case.pk}/promote/"
    assert api(person("builder", team=use_case.team)).post(url, ENTRY, format="json").status_code == 403
    response = api(curator).post(url, ENTRY, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "listed" and response.json()["use_case"]["id"] == use_case.pk
    again = api(curator).post(url, ENTRY, format="json")
    assert again.status_code == 409 and "already in the library" in again.json()["reasons"][0]

    pilot = graduate(name="Pilot GPT", lifecycle_stage=LifecycleStage.PILOT, users=1)
    refused = api(curator).post(f"/api/use-cases/{pilot.pk}/promote/", ENTRY, format="json")
    assert refused.status_code == 409
    assert [c["key"] for c in refused.json()["unmet"]] == ["production", "usage"]
    assert refused.json()["reasons"][0] == "It is at the pilot stage, not in production."
    assert not LibraryEntry.objects.filter(use_case=pilot).exists()


def test_promote_answers_404_for_a_use_case_the_curator_may_not_see_and_400_for_bad_input(curator):
    draft = graduate(is_draft=True)
    assert api(curator).post(f"/api/use-cases/{draft.pk}/promote/", ENTRY, format="json").status_code == 404
    use_case = graduate()
    response = api(curator).post(f"/api/use-cases/{use_case.pk}/promote/", {"category": "x"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"reuse_summary", "how_to_adopt"}
    secret = {
        **ENTRY,
        "how_to_adopt": "export OPENAI_API_KEY=sk-proj-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e",
    }
    refused = api(curator).post(f"/api/use-cases/{use_case.pk}/promote/", secret, format="json")
    assert refused.status_code == 400 and "sk-proj" not in refused.content.decode()


# --- adopt and deprecate ---------------------------------------------------------------------------


def test_adopt_is_201_then_200_and_creates_a_linked_use_case_for_members():
    entry = listed(graduate(name="Competitive intelligence GPT"))
    sales = TeamFactory(slug="sales", name="Sales")
    staff = person("staff", team=sales)
    first = api(staff).post(f"/api/library/{entry.pk}/adopt/", {"team": "sales"}, format="json")
    assert first.status_code == 201 and first.json()["team"] == "sales" and first.json()["use_case"] is None
    assert api(staff).post(f"/api/library/{entry.pk}/adopt/", {}, format="json").status_code == 200
    # Staff may create their own copy for their team (docs/permissions.md, note a)...
    linked = api(staff).post(
        f"/api/library/{entry.pk}/adopt/", {"team": "sales", "create_use_case": True}, format="json"
    )
    assert linked.status_code == 201  # a linked use case was created
    use_case = UseCase.objects.get(pk=linked.json()["use_case"])
    assert use_case.team == sales and use_case.owner == staff and use_case.is_draft
    # ...but not for a team they are not in.
    TeamFactory(slug="legal", name="Legal")
    other = person("staff", team=TeamFactory())
    refused = api(other).post(f"/api/library/{entry.pk}/adopt/", {"team": "legal"}, format="json")
    assert refused.status_code == 400
    builder = person("builder", team=sales)
    assert (
        api(builder)
        .post(f"/api/library/{entry.pk}/adopt/", {"team": "sales", "create_use_case": True}, format="json")
        .status_code
        == 201
    )
    assert entry.adoptions.count() == 2


def test_deprecate_by_curators_then_409(curator):
    entry = listed(graduate(name="Old GPT"))
    replacement = listed(graduate(name="New GPT"))
    url = f"/api/library/{entry.pk}/deprecate/"
    assert api(person("staff")).post(url, {"reason": "old"}, format="json").status_code == 403
    response = api(curator).post(url, {"reason": "Superseded.", "replacement": replacement.pk}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["replacement"]) == ("deprecated", replacement.pk)
    assert api(curator).post(url, {"reason": "again"}, format="json").status_code == 409
    adopt = api(person("staff")).post(f"/api/library/{entry.pk}/adopt/", {}, format="json")
    assert adopt.status_code == 409 and adopt.json()["state"] == "deprecated"


# --- usage from an AI gateway -----------------------------------------------------------------------


def test_a_gateway_pushes_usage_idempotently_per_month():
    use_case = UseCaseFactory()
    gateway = person(username="ai-gateway")
    use_case_grant(to=gateway, use_case=use_case, permission="change_usecase")
    client = token_client(gateway)
    url = f"/api/use-cases/{use_case.pk}/usage/"
    body = {"period": "2026-10", "active_users": 24, "runs": 810, "hours_saved": "130.0", "cost": "480.00"}
    created = client.post(url, body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["period"] == "2026-10" and created.json()["currency"] == "USD"
    assert created.json()["source"] == "api"
    same = client.post(url, body, format="json")
    assert same.status_code == 200 and same.json()["id"] == created.json()["id"]
    updated = client.post(url, {**body, "period": "2026-10-31", "active_users": 26}, format="json")
    assert updated.status_code == 200 and updated.json()["active_users"] == 26
    assert UsageReport.objects.filter(use_case=use_case).count() == 1
    assert client.post(url, {**body, "period": "2026-09"}, format="json").status_code == 201
    assert [r["period"] for r in client.get(url).json()] == ["2026-10", "2026-09"]
    assert client.post(url, {**body, "period": "next month"}, format="json").status_code == 400
    assert client.post(url, {**body, "active_users": -3}, format="json").status_code == 400


def test_usage_push_needs_change_rights():
    use_case = UseCaseFactory()
    url = f"/api/use-cases/{use_case.pk}/usage/"
    body = {"period": "2026-10", "active_users": 1}
    assert token_client(person("staff")).post(url, body, format="json").status_code == 403
    draft = UseCaseFactory(is_draft=True)
    assert (
        token_client(person("staff"))
        .post(f"/api/use-cases/{draft.pk}/usage/", body, format="json")
        .status_code
        == 404
    )
    assert APIClient().post(url, body, format="json").status_code in (401, 403)
    assert not UsageReport.objects.exists()


# --- foundation documents ----------------------------------------------------------------------------


def test_foundation_documents_and_publishing_a_version(curator):
    document = FoundationDocument.objects.create(
        name="Acme brand voice", current_version="2026.1", owner=curator
    )
    stale = UseCaseFactory(owner=person("builder", email="bea@example.com"))
    FoundationDocumentUse.objects.create(use_case=stale, document=document, version="2026.1")
    staff = api(person("staff"))
    [row] = staff.get("/api/foundation-documents/").json()["results"]
    assert (row["name"], row["use_count"], row["outdated_count"]) == ("Acme brand voice", 1, 0)
    url = f"/api/foundation-documents/{document.pk}/versions/"
    assert staff.post(url, {"version": "2026.2"}, format="json").status_code == 403
    published = api(curator).post(url, {"version": "2026.2", "notes": "New tone."}, format="json")
    assert published.status_code == 201 and published.json()["published_by"] == curator.username
    detail = staff.get(f"/api/foundation-documents/{document.pk}/").json()
    assert detail["current_version"] == "2026.2" and detail["outdated_count"] == 1
    assert detail["users"] == [
        {"use_case": stale.pk, "use_case_name": stale.name, "version": "2026.1", "is_outdated": True}
    ]
    assert [v["version"] for v in staff.get(url).json()] == ["2026.2"]
    assert Notification.objects.filter(to_email="bea@example.com", subject__contains="2026.2").exists()
    assert api(curator).post(url, {"version": "2026.2"}, format="json").status_code == 400
