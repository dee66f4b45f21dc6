"""The review queue and decision pages, and the review API: who sees them, the order, the
transitions, 409 for an illegal one, 403/404 for roles, query ceilings."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from registry.choices import ReviewState
from registry.models import HistoryEntry, SecurityReview
from registry.services.reviews import CHECKLIST
from tests.factories import UseCaseFactory, UserFactory

pytestmark = pytest.mark.django_db


def person(group):
    user = UserFactory()
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def open_review(tier, days_old, state=ReviewState.REQUESTED, **kwargs):
    return SecurityReview.objects.create(
        use_case=UseCaseFactory(risk_tier=tier, **kwargs),
        state=state,
        requested_at=timezone.now() - dt.timedelta(days=days_old),
    )


def test_queue_is_riskiest_then_oldest_and_only_for_readers_of_everything():
    low_old = open_review("low", 20)
    critical_new = open_review("critical", 1)
    critical_old = open_review("critical", 4)
    high = open_review("high", 9)
    reviewer = person("security reviewer")

    response = client_for(reviewer).get("/reviews/")
    assert response.status_code == 200
    assert [row["review"].pk for row in response.context["rows"]] == [
        critical_old.pk,
        critical_new.pk,
        high.pk,
        low_old.pk,
    ]
    html = response.content.decode()
    assert "Overdue" in html  # the critical one is 4 days old against a 2-day service level
    assert "self-attested" in html  # the policy in force is on the page
    assert client_for(person("incident responder")).get("/reviews/").status_code == 200
    for role in ("staff", "builder", "library curator"):
        assert client_for(person(role)).get("/reviews/").status_code == 404
        assert client_for(person(role)).get(f"/reviews/{high.pk}/").status_code == 404
    filtered = client_for(reviewer).get("/reviews/", {"tier": "high"})
    assert [row["review"].pk for row in filtered.context["rows"]] == [high.pk]


def test_queue_query_count_does_not_grow_with_rows():
    reviewer = person("security reviewer")
    for i in range(5):
        open_review("medium", i)
    client = client_for(reviewer)
    with CaptureQueriesContext(connection) as few:
        client.get("/reviews/")
    for i in range(40):
        open_review("high", i)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/reviews/")
    assert len(response.context["rows"]) == 45
    assert len(few.captured_queries) == len(many.captured_queries) <= 10


def test_claim_request_changes_resubmit_approve_on_the_pages():
    reviewer = person("security reviewer")
    builder = person("builder")
    review = open_review("high", 2, owner=builder)
    review.use_case.builders.add(builder)
    client = client_for(reviewer)

    assert client.post(f"/reviews/{review.pk}/claim/").status_code == 302
    page = client.get(f"/reviews/{review.pk}/")
    assert page.status_code == 200 and "Decision" in page.content.decode()
    no_findings = client.post(f"/reviews/{review.pk}/request-changes/", {"findings": ""})
    assert no_findings.status_code == 400
    client.post(f"/reviews/{review.pk}/request-changes/", {"findings": "Move the key to the vault."})
    review.refresh_from_db()
    assert review.state == ReviewState.CHANGES_REQUESTED

    # An illegal transition: 409, with the current state said on the page.
    illegal = client.post(f"/reviews/{review.pk}/approve/")
    assert illegal.status_code == 409
    assert "changes requested" in illegal.content.decode().lower()

    # The builder resubmits with the use case page's submit action.
    client_for(builder).post(f"/use-cases/{review.use_case_id}/submit/")
    review.refresh_from_db()
    assert review.state == ReviewState.REQUESTED

    form = {f"checklist-{item}": "pass" for item in CHECKLIST} | {
        "findings": "Fine now.",
        "conditions": ["internal_only"],
    }
    assert client.post(f"/reviews/{review.pk}/approve/", form).status_code == 302
    review.refresh_from_db()
    assert review.state == ReviewState.APPROVED and review.conditions == ["internal_only"]
    timeline = client.get(review.use_case.get_absolute_url()).content.decode()
    for step in ("claimed", "sent back for changes", "approved with 1 condition"):
        assert step in timeline or step.replace("sent back for changes", "requested changes") in timeline
    assert HistoryEntry.objects.filter(use_case=review.use_case, action="transition").count() == 4


def test_review_api_transitions_409_403_404():
    reviewer, responder, builder = (
        person("security reviewer"),
        person("incident responder"),
        person("builder"),
    )
    review = open_review("medium", 3)

    listed = api_for(reviewer).get("/api/reviews/").json()
    assert [r["id"] for r in listed["results"]] == [review.pk] and listed["results"][0]["due_at"]
    assert api_for(builder).get(f"/api/reviews/{review.pk}/").status_code == 404
    assert api_for(responder).post(f"/api/reviews/{review.pk}/claim/").status_code == 403

    claimed = api_for(reviewer).post(f"/api/reviews/{review.pk}/claim/")
    assert claimed.status_code == 200 and claimed.json()["state"] == "in_review"
    again = api_for(reviewer).post(f"/api/reviews/{review.pk}/claim/")
    assert again.status_code == 409 and again.json()["state"] == "in_review"

    bad = api_for(reviewer).post(
        f"/api/reviews/{review.pk}/approve/", {"checklist": {"vendor_terms": "fail"}}, format="json"
    )
    assert bad.status_code == 400 and "checklist" in bad.json()
    approved = api_for(reviewer).post(
        f"/api/reviews/{review.pk}/approve/",
        {"findings": "ok", "checklist": dict.fromkeys(CHECKLIST, "pass"), "conditions": ["read_only"]},
        format="json",
    )
    assert approved.status_code == 200 and approved.json()["conditions"] == ["read_only"]
    assert api_for(reviewer).get("/api/reviews/", {"state": "approved"}).json()["count"] == 1
    assert api_for(reviewer).get("/api/reviews/", {"state": "bogus"}).status_code == 400


def test_history_api_filters_and_is_only_for_readers():
    reviewer = person("security reviewer")
    review = open_review("medium", 3)
    api_for(reviewer).post(f"/api/reviews/{review.pk}/claim/", HTTP_X_REQUEST_ID="claim-1")
    body = api_for(person("incident responder")).get("/api/history/", {"use_case": review.use_case_id}).json()
    assert [(e["action"], e["summary"], e["request_id"]) for e in body["results"]] == [
        ("transition", "claimed", "claim-1")
    ]
    assert api_for(reviewer).get("/api/history/", {"actor": reviewer.pk}).json()["count"] == 1
    assert api_for(reviewer).get("/api/history/", {"since": "2999-01-01"}).json()["count"] == 0
    assert api_for(reviewer).get("/api/history/", {"since": "not a date"}).status_code == 400
    assert api_for(person("staff")).get("/api/history/").status_code == 403
