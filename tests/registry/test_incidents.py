"""Incidents: opening one records the affected set and tells each owner once (after commit,
never on rollback); acknowledgement links work once and only for their recipient; the
incident page shows who has and has not acknowledged; suspension (shown on the use case's
page), notes and resolution are the responder's, each in the history; the API likewise."""

import hashlib
import re

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from registry.demo import demo_seed
from registry.exceptions import TransitionNotAllowed
from registry.models import (
    Credential,
    CredentialUse,
    HistoryEntry,
    Incident,
    IncidentRecipient,
    IncidentUseCase,
    Notification,
    SecretRefusal,
    UseCase,
)
from registry.selectors.who_built_what import WhoBuiltWhatQuery
from registry.services.incidents import (
    incident_add_note,
    incident_open,
    incident_resolve,
    incident_suspend,
    incident_unsuspend,
)

pytestmark = pytest.mark.django_db

ACK_LINK = re.compile(r"http://[^/\s]+(/incidents/ack/[A-Za-z0-9_\-]+/)")


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


def open_hubspot_incident(demo, **kwargs):
    return incident_open(
        actor=demo["users"]["responder"],
        query=WhoBuiltWhatQuery("credential", demo["key"].pk, 3),
        title="HubSpot key leaked",
        description="The key was pushed to a public repository.",
        what_to_do="Stop the workflow and tell us where the key is used.",
        **kwargs,
    )


def link_of(email) -> str:
    return ACK_LINK.search(email.body).group(1)


def test_opening_records_the_affected_set_and_emails_each_owner_once_after_commit(
    demo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_hubspot_incident(demo)

    affected = {link.use_case_id: link for link in IncidentUseCase.objects.filter(incident=incident)}
    assert set(affected) == {demo["content"].pk, demo["prospecting"].pk, demo["campaign"].pk}
    campaign = affected[demo["campaign"].pk]
    assert (campaign.depth, campaign.path) == (1, ["Blog content workflow", "Campaign email workflow"])
    assert campaign.how == "downstream of Blog content workflow (Published blog posts)"
    assert campaign.owner == demo["users"]["lead"] and campaign.backup_owner == demo["users"]["builder"]
    assert affected[demo["content"].pk].how == "uses the credential (Posts drafts to HubSpot)"
    assert list(incident.credentials.all()) == [demo["key"]]
    assert incident.query["credential"] == str(demo["key"].pk)

    # One email per owner or backup owner, listing their use cases.
    by_person = {email.to[0]: email for email in mail.outbox}
    assert sorted(by_person) == ["builder@acme.example", "lead@acme.example"]
    builder_mail = by_person["builder@acme.example"]
    assert "HubSpot key leaked" in builder_mail.subject
    assert "Blog content workflow (you own it)" in builder_mail.body
    assert "Campaign email workflow (you back it up)" in builder_mail.body
    assert "Prospecting agent" not in builder_mail.body
    assert "Stop the workflow" in builder_mail.body
    assert "Prospecting agent (you own it)" in by_person["lead@acme.example"].body
    recipients = IncidentRecipient.objects.filter(incident=incident)
    assert {r.person.username: sorted(r.use_cases.values_list("name", flat=True)) for r in recipients} == {
        "builder": ["Blog content workflow", "Campaign email workflow"],
        "lead": ["Campaign email workflow", "Prospecting agent"],
    }
    # Only the token's hash is kept.
    token = link_of(builder_mail).split("/")[-2]
    builder_notice = recipients.get(person__username="builder")
    assert builder_notice.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not IncidentRecipient.objects.filter(token_hash=token).exists()
    entry = HistoryEntry.objects.get(object_id=incident.pk, content_type__model="incident")
    assert entry.actor == demo["users"]["responder"] and entry.action == "create"
    assert "3 use cases affected, 2 people notified" in entry.summary


def test_a_use_case_with_only_a_contact_mailbox_has_its_mailbox_told(
    demo, django_capture_on_commit_callbacks
):
    imported = UseCase.objects.create(
        name="Imported agency tool",
        purpose="x",
        kind="agent",
        team=demo["content"].team,
        owner=None,
        contact_email="AI-Inventory@agency.example",
    )
    CredentialUse.objects.create(use_case=imported, credential=demo["key"])

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_hubspot_incident(demo)

    [mailbox] = [email for email in mail.outbox if email.to == ["ai-inventory@agency.example"]]
    assert "Imported agency tool" in mailbox.body
    assert "/incidents/ack/" not in mailbox.body  # nobody to acknowledge as
    assert IncidentUseCase.objects.filter(incident=incident, use_case=imported, owner=None).exists()
    assert len(mail.outbox) == 3


def test_no_email_before_commit_and_none_after_a_rollback(demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        open_hubspot_incident(demo)
    assert len(callbacks) == 2 and mail.outbox == []  # queued for after the commit only

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                open_hubspot_incident(demo)
                raise RuntimeError("something failed after opening")
        except RuntimeError:
            pass
    assert callbacks == [] and mail.outbox == []
    assert Incident.objects.count() == 1 and Notification.objects.count() == 2


def test_acknowledgement_link_works_once_and_only_for_its_recipient(demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_hubspot_incident(demo)
    path = link_of(next(e for e in mail.outbox if e.to == ["builder@acme.example"]))
    users = demo["users"]

    assert Client().get(path).status_code == 302  # sign in first
    for other in ("lead", "responder", "admin"):
        assert client_for(users[other]).get(path).status_code == 404, other
        assert client_for(users[other]).post(path).status_code == 404, other
    assert client_for(users["builder"]).get("/incidents/ack/not-a-token/").status_code == 404

    builder = client_for(users["builder"])
    page = builder.get(path)
    assert page.status_code == 200 and "I have read this: acknowledge" in page.content.decode()
    first = builder.post(path)
    assert "your acknowledgement is recorded" in first.content.decode()
    notice = IncidentRecipient.objects.get(incident=incident, person=users["builder"])
    assert notice.acknowledged_at is not None
    second = builder.post(path)
    assert "already acknowledged" in second.content.decode()
    assert IncidentRecipient.objects.get(pk=notice.pk).acknowledged_at == notice.acknowledged_at
    assert "this link has been used" in builder.get(path).content.decode()
    assert (
        HistoryEntry.objects.filter(object_id=incident.pk, summary__startswith="acknowledged by").count() == 1
    )

    # The incident page shows who has and who has not acknowledged.
    html = client_for(users["responder"]).get(f"/incidents/{incident.pk}/").content.decode()
    acknowledged = html[html.index('id="acknowledged"') : html.index('id="affected"')]
    waiting = html[html.index('id="not-acknowledged"') : html.index('id="acknowledged"')]
    assert "Bea Builder" in acknowledged and "Lee Lead" not in acknowledged
    assert "Lee Lead" in waiting and "Bea Builder" not in waiting
    assert "Acknowledgements: 1 of 2" in html


def test_a_recipient_acknowledges_from_the_incident_page(demo):
    incident = open_hubspot_incident(demo)
    lead = client_for(demo["users"]["lead"])

    page = lead.get(f"/incidents/{incident.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Your notice" in html and ">Acknowledge</button>" in html
    assert 'id="affected"' not in html  # a recipient sees their notice, not the whole affected set
    response = lead.post(f"/incidents/{incident.pk}/acknowledge/")
    assert response.status_code == 302
    assert IncidentRecipient.objects.get(incident=incident, person__username="lead").acknowledged_at
    assert "You acknowledged it on" in lead.get(f"/incidents/{incident.pk}/").content.decode()


def test_who_may_see_and_work_incidents(demo):
    incident = open_hubspot_incident(demo)
    users = demo["users"]
    for username in ("staff", "curator"):
        client = client_for(users[username])
        assert client.get("/incidents/").status_code == 404
        assert client.get(f"/incidents/{incident.pk}/").status_code == 404
        assert client.post(f"/incidents/{incident.pk}/acknowledge/").status_code == 404
    reviewer = client_for(users["reviewer"])
    assert reviewer.get("/incidents/").status_code == 200
    html = reviewer.get(f"/incidents/{incident.pk}/").content.decode()
    assert "HubSpot key leaked" in html and "Resolve the incident" not in html
    assert reviewer.post(f"/incidents/{incident.pk}/note/", {"text": "hi"}).status_code == 404
    assert reviewer.post("/incidents/new/", {"credential": demo["key"].pk}).status_code == 404
    responder_list = client_for(users["responder"]).get("/incidents/").content.decode()
    assert "HubSpot key leaked" in responder_list and "0 of 2" in responder_list


def test_open_from_the_page(demo, django_capture_on_commit_callbacks):
    responder = client_for(demo["users"]["responder"])
    form = {
        "credential": demo["key"].pk,
        "depth": 3,
        "title": "HubSpot key leaked",
        "severity": "critical",
        "description": "Pushed to GitHub.",
        "what_to_do": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = responder.post("/incidents/new/", form)

    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.pk}/"
    assert incident.severity == "critical" and incident.affected.count() == 3
    assert len(mail.outbox) == 2
    assert "Rotate any credential named in this incident" in mail.outbox[0].body  # the default request

    # A pasted secret is refused like everywhere else: nothing opened, nothing sent.
    leaked = "pat-na1-0f8e7a6b-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
    refused = responder.post("/incidents/new/", {**form, "description": f"The key {leaked} leaked"})
    assert refused.status_code == 400
    assert leaked not in refused.content.decode()
    assert Incident.objects.count() == 1
    assert SecretRefusal.objects.filter(field="description").exists()


def test_suspension_shows_on_the_use_case_page_and_is_lifted(demo):
    responder = demo["users"]["responder"]
    incident = open_hubspot_incident(demo)
    client = client_for(responder)

    response = client.post(
        f"/incidents/{incident.pk}/suspend/", {"use_cases": [demo["campaign"].pk], "reason": "Key rotation"}
    )
    assert response.status_code == 302
    campaign = UseCase.objects.get(pk=demo["campaign"].pk)
    assert campaign.suspended_at is not None
    assert campaign.suspended_reason == f"Incident #{incident.pk}: Key rotation"
    page = client_for(demo["users"]["staff"]).get(f"/use-cases/{campaign.pk}/").content.decode()
    assert 'id="suspended"' in page and "Key rotation" in page
    entry = HistoryEntry.objects.filter(use_case=campaign).latest("at", "id")
    assert entry.actor == responder and entry.summary == f"suspended during incident #{incident.pk}"
    # Only use cases of the affected set may be suspended from it.
    other = UseCase.objects.get(name="Competitive intelligence GPT")
    assert client.post(f"/incidents/{incident.pk}/suspend/", {"use_cases": [other.pk]}).status_code == 400
    assert UseCase.objects.get(pk=other.pk).suspended_at is None

    # Another open incident also suspends it: lifting this one's keeps it suspended.
    second = open_hubspot_incident(demo)
    incident_suspend(incident=second, actor=responder, use_case_ids=[campaign.pk])
    assert incident_unsuspend(incident=incident, actor=responder, use_case_ids=[campaign.pk]) == 0
    assert UseCase.objects.get(pk=campaign.pk).suspended_at is not None
    assert incident_unsuspend(incident=second, actor=responder, use_case_ids=[campaign.pk]) == 1
    assert UseCase.objects.get(pk=campaign.pk).suspended_at is None
    assert 'id="suspended"' not in client.get(f"/use-cases/{campaign.pk}/").content.decode()


def test_notes_and_resolution(demo):
    responder = demo["users"]["responder"]
    incident = open_hubspot_incident(demo)
    client = client_for(responder)

    assert (
        client.post(f"/incidents/{incident.pk}/note/", {"text": "Key rotated at 10:05."}).status_code == 302
    )
    assert client.post(f"/incidents/{incident.pk}/resolve/", {"notes": ""}).status_code == 400
    assert (
        client.post(f"/incidents/{incident.pk}/resolve/", {"notes": "Rotated; no misuse found."}).status_code
        == 302
    )
    incident.refresh_from_db()
    assert incident.status == "resolved" and incident.resolution_notes == "Rotated; no misuse found."
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Key rotated at 10:05." in html and "Rotated; no misuse found." in html
    assert client.post(f"/incidents/{incident.pk}/resolve/", {"notes": "again"}).status_code == 409
    with pytest.raises(TransitionNotAllowed):
        incident_add_note(incident=incident, actor=responder, text="late")
    with pytest.raises(TransitionNotAllowed):
        incident_resolve(incident=incident, actor=responder, notes="again")
    summaries = list(
        HistoryEntry.objects.filter(object_id=incident.pk, content_type__model="incident")
        .order_by("at", "id")
        .values_list("summary", flat=True)
    )
    assert summaries[1:] == ["note: Key rotated at 10:05.", "resolved"]


def test_the_api(demo, django_capture_on_commit_callbacks):
    users = demo["users"]
    api = APIClient()
    api.force_authenticate(users["responder"])
    body = {
        "query": {"credential": str(demo["key"].pk), "depth": "3"},
        "title": "HubSpot key leaked",
        "severity": "high",
        "description": "Pushed to GitHub.",
    }
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/incidents/", body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert sorted(r["person"]["username"] for r in data["recipients"]) == ["builder", "lead"]
    assert [a["use_case"]["name"] for a in data["affected"]] == [
        "Blog content workflow",
        "Prospecting agent",
        "Campaign email workflow",
    ]
    assert len(mail.outbox) == 2
    pk = data["id"]

    reviewer = APIClient()
    reviewer.force_authenticate(users["reviewer"])
    assert reviewer.get(f"/api/incidents/{pk}/").status_code == 200
    assert reviewer.post("/api/incidents/", body, format="json").status_code == 403
    assert reviewer.post(f"/api/incidents/{pk}/resolve/", {"notes": "x"}, format="json").status_code == 403
    staff = APIClient()
    staff.force_authenticate(users["staff"])
    assert staff.get("/api/incidents/").status_code == 404
    assert staff.get(f"/api/incidents/{pk}/").status_code == 404

    lead = APIClient()
    lead.force_authenticate(users["lead"])
    ack = lead.post(f"/api/incidents/{pk}/acknowledge/")
    assert ack.status_code == 200 and ack.json()["already"] is False
    assert lead.post(f"/api/incidents/{pk}/acknowledge/").json()["already"] is True
    assert staff.post(f"/api/incidents/{pk}/acknowledge/").status_code == 404

    suspended = api.post(
        f"/api/incidents/{pk}/suspend/",
        {"use_cases": [demo["campaign"].pk], "reason": "rotation"},
        format="json",
    )
    assert suspended.status_code == 200
    assert [a["suspended_at"] is not None for a in suspended.json()["affected"]] == [False, False, True]
    assert api.post(f"/api/incidents/{pk}/notes/", {"text": "Rotated."}, format="json").status_code == 200
    assert (
        api.post(f"/api/incidents/{pk}/resolve/", {"notes": "Done."}, format="json").json()["status"]
        == "resolved"
    )
    again = api.post(f"/api/incidents/{pk}/resolve/", {"notes": "Again."}, format="json")
    assert again.status_code == 409 and again.json()["state"] == "resolved"
    bad = api.post("/api/incidents/", {**body, "query": {"credential": "x"}}, format="json")
    assert bad.status_code == 400 and "query" in bad.json()
    assert (
        api.post("/api/incidents/", {**body, "query": {"credential": "999999"}}, format="json").status_code
        == 404
    )
