"""The shared library's journey in a real browser: Playwright driving Debian's Chromium against
a live server on the demo scenario (issue 6, "Done when").

``curator`` opens the candidates, finds the competitive-intelligence GPT ready to promote and
promotes it; ``staff`` finds it by searching the library and adopts it for Sales: the adoption
count shows on the entry, its card and the GPT's own page. ``lead`` (a builder and Sales lead)
adopts with "create my own use case": their draft shows "Adopted from" the entry, and the
entry lists it among its adopters. (Staff may do the same since reuse is open to every team
member: tests/registry/test_library_services.py.) The browser comes from tests/e2e/conftest.py.
"""

import re

import pytest

from registry.models import Adoption, LibraryEntry, UseCase

#: Promotion and adoption pages do more per request than the other journeys.
BROWSER_TIMEOUT_MS = 8000
VIEWPORT_WIDTH = 1280

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_curator_promotes_staff_finds_and_adopts_and_reuse_shows_both_ways(session):
    from playwright.sync_api import expect

    gpt = UseCase.objects.get(name="Competitive intelligence GPT")

    # --- curator: candidates, then promote the GPT --------------------------------------------
    curator = session("curator")
    curator.click("nav >> text=Library")
    curator.click("a[role=button]:has-text('Candidates')")
    ready = curator.locator("#eligible")
    ready.locator("text=Competitive intelligence GPT").wait_for()
    near = curator.locator("#near-misses").inner_text()
    assert (
        "Proposal writer GPT" in near
        and "Social post drafter" in near
        and "Webinar follow-up workflow" in near
    )
    ready.locator("tr", has_text="Competitive intelligence GPT").locator("text=Promote").click()
    curator.wait_for_selector("h1:has-text('Promote')")
    how = curator.input_value("#id_how_to_adopt")
    assert how.startswith("1. Read the documentation: https://intranet.acme.example/ai/competitive-gpt")
    assert "vault://" not in how
    curator.fill("#id_reuse_summary", "Battlecards and competitor answers in minutes, from public sources.")
    curator.fill("#id_category", "Research")
    curator.click("button:has-text('Promote')")
    curator.wait_for_selector("h1:has-text('Competitive intelligence GPT')")
    assert "is in the shared library" in curator.locator(".message-success").inner_text()
    entry = LibraryEntry.objects.get(use_case=gpt)
    assert entry.status == "listed" and entry.promoted_by.username == "curator"

    # --- staff: search the library, open it, adopt it for Sales ------------------------------
    staff = session("staff")
    staff.click("nav >> text=Library")
    assert staff.locator("#results .library-card-title").count() == 2  # with the demo's listed entry
    staff.fill("#library-q", "competitive")
    # htmx narrows the cards in place while typing.
    expect(staff.locator("#results .library-card-title")).to_have_count(1)
    assert staff.locator("#results .library-card-title").all_inner_texts() == ["Competitive intelligence GPT"]
    assert "q=competitive" in staff.url
    staff.click("#results >> text=Competitive intelligence GPT")
    staff.wait_for_selector("h2:has-text('How to adopt it')")
    staff.select_option("#id_team", label="Sales")
    staff.fill("#id_note", "Battlecards for QBRs")
    assert staff.locator("#id_create_use_case").count() == 0  # staff register no use case
    staff.click("#adopt button:has-text('Adopt')")
    staff.wait_for_selector("text=Adopted: thank you for recording it.")
    assert staff.locator("#adopters h2").inner_text() == "Adopted by 1"
    assert "Sasha Staff" in staff.locator("#adopters").inner_text()
    # The count on the library card and on the GPT's own page.
    staff.click("nav >> text=Library")
    card = staff.locator(".library-card", has_text="Competitive intelligence GPT")
    assert re.search(r"Adoptions\s+1", card.inner_text())
    staff.goto(gpt.get_absolute_url())
    assert "1 adoption" in staff.locator("#shared-library .library-membership").inner_text()

    # --- lead (a Sales builder): adopt with their own linked use case ---------------------------
    lead = session("lead")
    lead.goto(f"/library/{entry.pk}/")
    lead.select_option("#id_team", label="Sales")
    lead.check("#id_create_use_case")
    lead.click("#adopt button:has-text('Adopt')")
    lead.wait_for_selector("h1:has-text('Competitive intelligence GPT (Sales)')")
    adopted_from = lead.locator("#shared-library .adopted-from")
    assert "Adopted from Competitive intelligence GPT" in adopted_from.inner_text()
    adopted_from.locator("a").click()
    lead.wait_for_selector("h2:has-text('How to adopt it')")
    assert lead.locator("#adopters h2").inner_text() == "Adopted by 2"
    lead.locator("#adopters >> text=Competitive intelligence GPT (Sales)").wait_for()
    linked = Adoption.objects.get(adopted_by__username="lead").use_case
    assert (linked.team.name, linked.owner.username, linked.is_draft) == ("Sales", "lead", True)

    # The curator's view of the GPT's page shows both adoptions.
    curator.goto(gpt.get_absolute_url())
    assert "2 adoptions" in curator.locator("#shared-library .library-membership").inner_text()
