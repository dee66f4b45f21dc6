"""The shared library's pages: the library (search, filters, cards, query ceiling), an entry
and adopting it, the curators' candidates page (404 for others, query ceiling) and promotion
(409 with the unmet criteria), a use case page's "Shared library" section and usage chart,
the usage form, and foundation documents."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from registry.choices import LifecycleStage, UseCaseKind
from registry.models import (
    Adoption,
    FoundationDocument,
    FoundationDocumentUse,
    LibraryEntry,
    UsageReport,
    UseCase,
)
from tests.factories import TeamFactory, UseCaseFactory, VendorFactory, VendorUseFactory

from .test_library_world import graduate, listed, person, report

pytestmark = pytest.mark.django_db

LIBRARY = reverse("registry:library")
CANDIDATES = reverse("registry:library_candidates")


def count(client, url, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries), response


def logged_in(client, user):
    client.force_login(user)
    return client


def text(response) -> str:
    """The page's visible text, tags stripped and spaces collapsed."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def curator(db):
    return person("library curator")


# --- the library ----------------------------------------------------------------------------------


def test_staff_find_entries_by_search_and_filters(client):
    openai, anthropic = (
        VendorFactory(name="OpenAI", slug="openai"),
        VendorFactory(name="Anthropic", slug="anthropic"),
    )
    marketing, sales = (
        TeamFactory(name="Marketing", slug="marketing"),
        TeamFactory(name="Sales", slug="sales"),
    )
    gpt = graduate(
        name="Competitive intelligence GPT", team=marketing, purpose="Answers questions about rivals."
    )
    VendorUseFactory(use_case=gpt, vendor=openai)
    listed(gpt, category="Research", summary="Battlecards in minutes.")
    agent = graduate(
        name="Renewal reminder agent", team=sales, kind=UseCaseKind.AGENT, purpose="Chases renewals."
    )
    VendorUseFactory(use_case=agent, vendor=anthropic)
    listed(agent, category="Sales", summary="Never miss a renewal date.")
    deprecated = listed(graduate(name="Old competitive digest"), status=LibraryEntry.Status.DEPRECATED)
    client = logged_in(client, person("staff"))

    def names(query=""):
        html = client.get(f"{LIBRARY}{query}").content.decode()
        return re.findall(r'class="library-card-title"><a href="[^"]+">([^<]+)</a>', html)

    assert names() == ["Competitive intelligence GPT", "Renewal reminder agent"]
    assert names("?q=competitive") == ["Competitive intelligence GPT"]
    assert names("?q=battlecards") == ["Competitive intelligence GPT"]  # the reuse summary is searched too
    assert names("?category=sales") == ["Renewal reminder agent"]
    assert names("?team=marketing") == ["Competitive intelligence GPT"]
    assert names("?vendor=anthropic") == ["Renewal reminder agent"]
    assert names("?kind=agent") == ["Renewal reminder agent"]
    assert names("?q=nothing-like-this") == []
    # Deprecated entries are listed only when asked for; unlisted ones never for staff.
    assert names("?status=deprecated") == ["Old competitive digest"]
    assert names("?status=unlisted") == []
    assert client.get(reverse("registry:library_entry_detail", args=[deprecated.pk])).status_code == 200


def test_htmx_gets_the_results_only(client):
    listed(graduate(name="Competitive intelligence GPT"))
    response = logged_in(client, person("staff")).get(
        f"{LIBRARY}?q=competitive", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "Competitive intelligence GPT" in html and "<form" not in html


def test_a_card_shows_adoptions_hours_owner_review_and_a_warning(client):
    use_case = graduate(name="Competitive intelligence GPT", users=3)
    report(use_case, dt.date(2026, 10, 1), users=24, hours="130")
    entry = listed(use_case, flag_reason="Its owner Bea Builder has left.", flagged_at=timezone.now())
    for _ in range(2):
        Adoption.objects.create(entry=entry, adopted_by=person("staff"))
    page = text(logged_in(client, person("staff")).get(LIBRARY))
    assert "Adoptions 2" in page
    assert "30.0 a week · 24 users" in page  # the latest report: 130 h a month
    assert str(use_case.owner) in page and "Approved" in page
    assert "Warning: Its owner Bea Builder has left." in page


def test_suspended_use_cases_are_hidden_from_staff_at_once(client, curator):
    entry = listed(graduate(name="Leaky GPT", suspended_at=timezone.now()))
    staff = logged_in(client, person("staff"))
    assert "Leaky GPT" not in staff.get(LIBRARY).content.decode()
    assert staff.get(reverse("registry:library_entry_detail", args=[entry.pk])).status_code == 404
    client.force_login(curator)
    assert client.get(reverse("registry:library_entry_detail", args=[entry.pk])).status_code == 200


def test_library_query_count_does_not_grow_with_entries(client):
    staff = logged_in(client, person("staff"))
    for i in range(2):
        entry = listed(graduate(name=f"Tool {i}"), category=f"Cat {i}")
        Adoption.objects.create(entry=entry, adopted_by=person())
    few, _ = count(staff, f"{LIBRARY}?q=tool")
    for i in range(2, 22):
        entry = listed(graduate(name=f"Tool {i}"), category=f"Cat {i}")
        report(entry.use_case, dt.date(2026, 10, 1), users=i)
        Adoption.objects.create(entry=entry, adopted_by=person())
    many, response = count(staff, f"{LIBRARY}?q=tool")
    assert response.content.decode().count('class="library-card"') == 22
    assert many == few <= 10, (few, many)
    filtered, _ = count(staff, f"{LIBRARY}?category=Cat+3&team=x&vendor=y&kind=agent")
    assert filtered <= 10


# --- an entry and adopting it ------------------------------------------------------------------


def test_the_entry_page_has_what_an_adopter_needs_and_never_a_secret_reference(client):
    from tests.factories import CredentialFactory, CredentialUseFactory

    use_case = graduate(name="Competitive intelligence GPT")
    CredentialUseFactory(
        use_case=use_case,
        credential=CredentialFactory(
            name="OpenAI key (marketing)",
            vault_reference="vault://secret/marketing/openai",
            issuer=VendorFactory(name="OpenAI"),
        ),
    )
    entry = listed(use_case)
    page = logged_in(client, person("staff")).get(reverse("registry:library_entry_detail", args=[entry.pk]))
    body = page.content.decode()
    assert "How to adopt it" in body and "API key issued by OpenAI" in body
    assert "vault://" not in body
    assert f'action="/library/{entry.pk}/adopt/"' in body


def test_staff_adopt_and_the_count_shows_on_both_sides(client):
    sales = TeamFactory(name="Sales")
    staff = person("staff", team=sales, first_name="Sasha", last_name="Staff")
    entry = listed(graduate(name="Competitive intelligence GPT"))
    client = logged_in(client, staff)
    url = reverse("registry:library_adopt", args=[entry.pk])
    response = client.post(url, {"team": sales.pk, "note": "QBR prep"})
    assert response.status_code == 302
    again = client.post(url, {"team": sales.pk})
    assert again.status_code == 302 and Adoption.objects.count() == 1
    entry_page = text(client.get(reverse("registry:library_entry_detail", args=[entry.pk])))
    assert "Adopted by 1" in entry_page and "Sasha Staff" in entry_page and "QBR prep" in entry_page
    use_case_page = text(client.get(entry.use_case.get_absolute_url()))
    assert "In the shared library: Research, version 1.0 · 1 adoption" in use_case_page
    # No "create my own use case" for someone who may not register one.
    assert (
        "create_use_case"
        not in client.get(reverse("registry:library_entry_detail", args=[entry.pk])).content.decode()
    )


def test_a_builder_adopts_with_a_linked_use_case_shown_as_adopted_from(client):
    sales = TeamFactory(name="Sales")
    builder = person("builder", team=sales)
    entry = listed(graduate(name="Competitive intelligence GPT"))
    client = logged_in(client, builder)
    response = client.post(
        reverse("registry:library_adopt", args=[entry.pk]), {"team": sales.pk, "create_use_case": "on"}
    )
    linked = UseCase.objects.get(team=sales)
    assert response.status_code == 302 and response["Location"] == linked.get_absolute_url()
    page = client.get(linked.get_absolute_url()).content.decode()
    assert f'Adopted from <a href="/library/{entry.pk}/">Competitive intelligence GPT</a>' in page
    entry_page = client.get(reverse("registry:library_entry_detail", args=[entry.pk])).content.decode()
    assert f'href="/use-cases/{linked.pk}/">Competitive intelligence GPT (Sales)</a>' in entry_page


def test_adopting_needs_a_team_for_a_linked_use_case(client):
    sales = TeamFactory(name="Sales")
    entry = listed(graduate())
    client = logged_in(client, person("builder", team=sales))
    response = client.post(reverse("registry:library_adopt", args=[entry.pk]), {"create_use_case": "on"})
    assert response.status_code == 400
    assert "Choose the team your own use case belongs to." in response.content.decode()
    assert not Adoption.objects.exists()


# --- curators -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["builder", "staff", "security reviewer", "incident responder"])
def test_candidates_and_promotion_are_404_for_others(client, role):
    use_case = graduate()
    client = logged_in(client, person(role))
    assert client.get(CANDIDATES).status_code == 404
    promote = reverse("registry:use_case_promote", args=[use_case.pk])
    assert client.get(promote).status_code == 404
    assert (
        client.post(promote, {"reuse_summary": "x", "how_to_adopt": "y", "category": "z"}).status_code == 404
    )
    assert not LibraryEntry.objects.exists()


def test_candidates_list_eligible_by_value_and_near_misses_with_the_missing_criterion(client, curator):
    graduate(name="Small GPT", users=6)
    graduate(name="Big GPT", users=40)
    graduate(name="No docs GPT", users=9, documentation_url="")
    graduate(name="Pilot and no docs", lifecycle_stage=LifecycleStage.PILOT, documentation_url="")
    listed(graduate(name="Listed GPT", users=99))
    page = logged_in(client, curator).get(CANDIDATES)
    html = page.content.decode()
    eligible = html[html.index('id="eligible"') : html.index('id="near-misses"')]
    near = html[html.index('id="near-misses"') : html.index('id="flagged"')]
    assert re.findall(r'/use-cases/\d+/">([^<]+)</a>', eligible) == ["Big GPT", "Small GPT"]
    assert re.findall(r'/use-cases/\d+/">([^<]+)</a>', near) == ["No docs GPT"]
    assert "Documentation or runbook" in near and "No documentation or runbook link is recorded." in near
    assert "Listed GPT" not in html and "Pilot and no docs" not in html


def test_candidates_query_count_does_not_grow_with_use_cases(client, curator):
    client = logged_in(client, curator)
    graduate(name="GPT 0")
    graduate(name="Near 0", documentation_url="")
    few, _ = count(client, CANDIDATES)
    for i in range(1, 15):
        use_case = graduate(name=f"GPT {i}", conditions=["no_personal_data"])
        report(use_case, dt.date(2026, 10, 1), users=5 + i)
        graduate(name=f"Near {i}", documentation_url="")
        UseCaseFactory(name=f"Idea {i}", lifecycle_stage=LifecycleStage.IDEA)
    many, response = count(client, CANDIDATES)
    assert response.context["candidates"].eligible.__len__() == 15
    assert many == few <= 8, (few, many)


def test_a_curator_promotes_from_the_page(client, curator):
    use_case = graduate(name="Competitive intelligence GPT")
    client = logged_in(client, curator)
    url = reverse("registry:use_case_promote", args=[use_case.pk])
    form = client.get(url)
    assert form.context["form"].initial["how_to_adopt"].startswith("1. Read the documentation:")
    response = client.post(
        url,
        {
            "reuse_summary": "Battlecards in minutes.",
            "how_to_adopt": "1. Ask.",
            "category": "Research",
            "version": "1.0",
        },
    )
    entry = LibraryEntry.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "registry:library_entry_detail", args=[entry.pk]
    )


def test_an_ineligible_promotion_answers_409_with_the_unmet_criteria(client, curator):
    use_case = graduate(name="Pilot GPT", lifecycle_stage=LifecycleStage.PILOT)
    response = logged_in(client, curator).post(
        reverse("registry:use_case_promote", args=[use_case.pk]),
        {"reuse_summary": "x", "how_to_adopt": "y", "category": "z", "version": "1.0"},
    )
    assert response.status_code == 409
    assert "Not eligible yet" in response.content.decode()
    assert "It is at the pilot stage, not in production." in response.content.decode()
    assert not LibraryEntry.objects.exists()


def test_curators_deprecate_and_unlist(client, curator):
    entry = listed(graduate(name="Old GPT"))
    replacement = listed(graduate(name="New GPT"))
    client = logged_in(client, curator)
    response = client.post(
        reverse("registry:library_deprecate", args=[entry.pk]),
        {"reason": "Superseded.", "replacement": replacement.pk},
    )
    assert response.status_code == 302
    page = text(client.get(reverse("registry:library_entry_detail", args=[entry.pk])))
    assert "Deprecated: Superseded. Use New GPT instead." in page
    client.post(reverse("registry:library_unlist", args=[replacement.pk]))
    replacement.refresh_from_db()
    assert replacement.status == "unlisted"
    staff = logged_in(client, person("staff"))
    assert staff.get(reverse("registry:library_entry_detail", args=[replacement.pk])).status_code == 404
    assert staff.post(reverse("registry:library_unlist", args=[entry.pk])).status_code == 404


# --- a use case's page, its usage -------------------------------------------------------------


def test_the_use_case_page_shows_criteria_met_and_missed_and_the_usage_chart(client):
    use_case = graduate(name="Proposal writer GPT", users=14)
    report(use_case, dt.date(2026, 9, 1), users=4, hours="22")
    report(use_case, dt.date(2026, 10, 1), users=3, hours="18")
    page = logged_in(client, use_case.owner).get(use_case.get_absolute_url())
    html, words = page.content.decode(), text(page)
    assert "Meets 5 of 6" in words
    assert "Missing Enough users or hours saved : Latest usage report (October 2026): 3 active users" in words
    assert "Met In production : It is in production." in words
    # The chart: SVG bars with a title, and the same figures in a table.
    assert (
        html.count("<rect ") == 4
        and '<title id="uc-usage-active_users-title">Active users per month</title>' in html
    )
    assert "October 2026" in words and "Report a month's usage" in words


def test_the_owner_reports_usage_on_the_page_and_others_cannot(client):
    team = TeamFactory()
    owner = person("builder", team=team)
    use_case = UseCaseFactory(team=team, owner=owner)
    url = reverse("registry:use_case_usage", args=[use_case.pk])
    client = logged_in(client, owner)
    values = {"period": "2026-10", "active_users": 7, "runs": 80, "hours_saved": "12.5", "cost": "40"}
    assert client.post(url, values).status_code == 302
    assert client.post(url, {**values, "active_users": 9}).status_code == 302
    assert UsageReport.objects.get().active_users == 9
    assert client.post(url, {**values, "period": "2030-01"}).status_code == 400
    staff = logged_in(client, person("staff"))
    assert staff.get(url).status_code == 200  # readable
    assert "Save the month" not in staff.get(url).content.decode()
    assert staff.post(url, values).status_code == 404


# --- foundation documents -------------------------------------------------------------------------


def test_foundation_documents_list_who_uses_which_version_and_curators_publish(client, curator):
    document = FoundationDocument.objects.create(
        name="Acme brand voice", current_version="2026.2", owner=curator
    )
    stale = UseCaseFactory(name="Competitive GPT", owner=person("builder", email="bea@example.com"))
    fresh = UseCaseFactory(name="Blog workflow")
    FoundationDocumentUse.objects.create(use_case=stale, document=document, version="2026.1")
    FoundationDocumentUse.objects.create(use_case=fresh, document=document, version="2026.2")
    staff = logged_in(client, person("staff"))
    listing = text(staff.get(reverse("registry:foundation_document_list")))
    assert "Acme brand voice" in listing
    detail_url = reverse("registry:foundation_document_detail", args=[document.pk])
    detail = text(staff.get(detail_url))
    assert "Competitive GPT" in detail and "2026.1 Outdated: current is 2026.2" in detail
    assert "Publish a new version" not in detail
    publish = reverse("registry:foundation_version_publish", args=[document.pk])
    assert staff.post(publish, {"version": "2026.3"}).status_code == 404
    # The use case page flags the outdated version to its owner.
    client.force_login(stale.owner)
    assert "Outdated: current is 2026.2" in client.get(stale.get_absolute_url()).content.decode()
    client.force_login(curator)
    assert client.post(publish, {"version": "2026.3", "notes": "Shorter."}).status_code == 302
    document.refresh_from_db()
    assert document.current_version == "2026.3"
    detail = text(client.get(detail_url))
    assert detail.count("Outdated: current is 2026.3") == 2
