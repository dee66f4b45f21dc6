""" "My use cases" and "My team's use cases": what each row needs (draft, changes requested, no
backup owner, a credential in an unsafe place, an approval expiring or expired, ownership
flagged, an outdated foundation document), computed in SQL, at a fixed number of queries."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from registry.choices import CredentialStorage, LifecycleStage, ReviewState, ReviewStatus
from registry.models import FoundationDocument, FoundationDocumentUse
from registry.selectors.attention import attention_items, my_team_use_cases, my_use_cases
from tests.factories import (
    CredentialFactory,
    CredentialUseFactory,
    MembershipFactory,
    SecurityReviewFactory,
    TeamFactory,
    UseCaseFactory,
    UserFactory,
)

MINE = "/my/use-cases/"
TEAM = "/my/team/"


@pytest.fixture
def world(db):
    marketing = TeamFactory(name="Marketing")
    sales = TeamFactory(name="Sales")
    bea = UserFactory(username="bea", first_name="Bea", last_name="Builder")
    bea.groups.add(Group.objects.get(name="builder"))
    MembershipFactory(user=bea, team=marketing)
    lee = UserFactory(username="lee")
    MembershipFactory(user=lee, team=marketing)
    now = timezone.now()

    def uc(name, **values):
        values.setdefault("team", marketing)
        values.setdefault("owner", bea)
        values.setdefault("backup_owner", lee)
        return UseCaseFactory(name=name, **values)

    uc("All good")
    uc("A draft", is_draft=True)
    uc("No backup", backup_owner=None)
    uc("Flagged", ownership_note="Its owner left on 2 Nov.")
    changes = uc("Changes asked")
    SecurityReviewFactory(use_case=changes, state=ReviewState.CHANGES_REQUESTED)
    changes.review_status = ReviewStatus.CHANGES_REQUESTED
    changes.save()
    unsafe = uc("Key on a laptop")
    CredentialUseFactory(
        use_case=unsafe, credential=CredentialFactory(storage=CredentialStorage.LAPTOP_ENV_FILE)
    )
    safe = uc("Key in a vault")
    CredentialUseFactory(
        use_case=safe, credential=CredentialFactory(storage=CredentialStorage.SECRETS_MANAGER)
    )
    for name, expires in (("Expiring", now + dt.timedelta(days=10)), ("Expired", now - dt.timedelta(days=2))):
        approved = uc(name, review_status=ReviewStatus.APPROVED)
        # An older approval that expired long ago does not count: the latest one does.
        SecurityReviewFactory(
            use_case=approved,
            state=ReviewState.APPROVED,
            decided_at=now - dt.timedelta(days=400),
            expires_at=now - dt.timedelta(days=35),
        )
        SecurityReviewFactory(
            use_case=approved,
            state=ReviewState.APPROVED,
            decided_at=now - dt.timedelta(days=300),
            expires_at=expires,
        )
    SecurityReviewFactory(
        use_case=uc("Approved long", review_status=ReviewStatus.APPROVED),
        state=ReviewState.APPROVED,
        decided_at=now,
        expires_at=now + dt.timedelta(days=200),
    )
    doc = FoundationDocument.objects.create(name="Brand voice", current_version="2026.2")
    FoundationDocumentUse.objects.create(use_case=uc("Old brand voice"), document=doc, version="2026.1")
    FoundationDocumentUse.objects.create(use_case=uc("Current brand voice"), document=doc, version="2026.2")
    uc("Retired draft", is_draft=True, lifecycle_stage=LifecycleStage.RETIRED, backup_owner=None)
    # Bea builds one and backs up another; the team has one she has nothing to do with.
    built = uc("Built by Bea", owner=lee, backup_owner=UserFactory())
    built.builders.add(bea)
    uc("Backed up by Bea", owner=lee, backup_owner=bea)
    uc("Lee's own", owner=lee, backup_owner=UserFactory())
    uc("Sales tool", team=sales, owner=UserFactory(), backup_owner=UserFactory())
    return bea


def rows(html: str) -> dict[str, list[str]]:
    """Use case name -> its attention keys, from the page."""
    out = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        name = re.search(r'<a href="/use-cases/\d+/">([^<]+)</a>', row)
        if name:
            out[name.group(1)] = re.findall(r'data-attention="([a-z-]+)"', row)
    return out


def test_my_use_cases_lists_what_i_own_back_up_or_build_with_what_needs_attention(client, world):
    client.force_login(world)

    html = client.get(MINE).content.decode()

    found = rows(html)
    assert found == {
        "A draft": ["draft"],
        "Changes asked": ["changes-requested"],
        "Key on a laptop": ["unsafe-credential"],
        "Expired": ["review-expired"],
        "Expiring": ["review-expiring"],
        "Flagged": ["ownership"],
        "No backup": ["no-backup"],
        "Old brand voice": ["outdated-document"],
        "All good": [],
        "Approved long": [],
        "Backed up by Bea": [],
        "Built by Bea": [],
        "Current brand voice": [],
        "Key in a vault": [],
        "Retired draft": [],  # retired: nothing to do
    }
    # Attention first, then by name.
    assert list(found)[:8] == sorted(list(found)[:8])
    assert re.search(r"Backed up by Bea</a>.*?<td>Backup owner</td>", html, re.S)
    assert re.search(r"Built by Bea</a>.*?<td>Builder</td>", html, re.S)
    assert "Lee&#x27;s own" not in html and "Sales tool" not in html


def test_only_those_needing_attention(client, world):
    client.force_login(world)
    found = rows(client.get(MINE, {"attention": "1"}).content.decode())
    assert set(found) == {
        "A draft",
        "Changes asked",
        "Key on a laptop",
        "Expired",
        "Expiring",
        "Flagged",
        "No backup",
        "Old brand voice",
    }


def test_my_teams_use_cases_are_every_use_case_of_my_teams(client, world):
    client.force_login(world)

    found = rows(client.get(TEAM).content.decode())

    assert "Lee's own" in {name.replace("&#x27;", "'") for name in found}
    assert "Sales tool" not in found
    assert found["Key on a laptop"] == ["unsafe-credential"]


def test_the_selectors_compute_attention_in_the_rows_query(world):
    mine = list(my_use_cases(world))
    with CaptureQueriesContext(connection) as queries:
        items = {uc.name: [i.key for i in attention_items(uc)] for uc in mine}
    assert len(queries) == 0 and items["Expiring"] == ["review-expiring"]
    assert {uc.name for uc in my_team_use_cases(world, attention_only=True)} >= {"A draft", "Flagged"}


def test_the_pages_cost_the_same_queries_whatever_their_length(client, world):
    client.force_login(world)
    client.get(MINE)  # warm the session

    with CaptureQueriesContext(connection) as few:
        assert client.get(MINE).status_code == 200
    team = world.memberships.get().team
    for i in range(40):
        use_case = UseCaseFactory(name=f"More {i}", team=team, owner=world, is_draft=bool(i % 2))
        CredentialUseFactory(
            use_case=use_case, credential=CredentialFactory(storage=CredentialStorage.UNKNOWN)
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(MINE).status_code == 200
    with CaptureQueriesContext(connection) as team_page:
        assert client.get(TEAM).status_code == 200

    assert len(many) == len(few) <= 12
    assert len(team_page) <= 13


def test_the_navigation_links_them(client, world):
    client.force_login(world)
    html = client.get(reverse("registry:use_case_list")).content.decode()
    assert f'href="{MINE}"' in html and 'href="/use-cases/new/"' in html
    assert f'href="{TEAM}"' in client.get(MINE).content.decode()


def test_people_in_no_team_see_empty_pages(client, db):
    client.force_login(UserFactory())
    assert "You own, back up or build no use case yet." in client.get(MINE).content.decode()
    assert "you belong to no team" in client.get(TEAM).content.decode()
