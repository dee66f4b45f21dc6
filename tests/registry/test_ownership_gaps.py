"""The "Ownership gaps" page: who gets it (everyone else: 404), what each sees (a lead only
their teams), the imported mailbox-only use cases, the order, the reasons, the actions, the
team filter, pagination and a query count that does not grow with the rows."""

import csv

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import MembershipRole, RoleGroup, TeamKind
from registry.choices import LifecycleStage, RiskTier
from registry.models import UseCase
from registry.selectors.ownership import ownership_gaps_for
from registry.services.imports import inventory_import
from tests.factories import MembershipFactory, TeamFactory, UseCaseFactory, UserFactory

pytestmark = pytest.mark.django_db

GAPS = reverse("registry:ownership_gaps")


def person(username, *, team=None, lead=False, group=RoleGroup.BUILDER, **fields):
    user = UserFactory(username=username, **fields)
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    if team is not None:
        MembershipFactory(user=user, team=team, role=MembershipRole.LEAD if lead else MembershipRole.MEMBER)
    return user


def listed(response):
    return [row.use_case.pk for row in response.context["rows"]]


class World:
    def __init__(self):
        self.acme = TeamFactory(name="Acme", slug="acme", kind=TeamKind.ORGANISATION)
        self.marketing = TeamFactory(name="Marketing", slug="marketing", parent=self.acme)
        self.sales = TeamFactory(name="Sales", slug="sales", parent=self.acme)
        self.agency = TeamFactory(name="Dept of Examples", slug="doe", kind=TeamKind.ORGANISATION)
        self.bureau = TeamFactory(name="Bureau of Tests", slug="doe-bot", parent=self.agency)
        self.enablement = TeamFactory(name="AI Enablement", slug="enablement", parent=self.acme)

        self.lee = person("lee", team=self.marketing, lead=True)
        self.pat = person("pat", team=self.marketing)
        self.gone = person("gone", team=self.marketing, is_active=False, first_name="Gus", last_name="Gone")
        self.curator = person("cora", team=self.enablement, group=RoleGroup.LIBRARY_CURATOR)
        self.people = {
            "lead": self.lee,
            "builder": self.pat,
            "curator": self.curator,
            "reviewer": person("rey", group=RoleGroup.SECURITY_REVIEWER),
            "responder": person("remy", group=RoleGroup.INCIDENT_RESPONDER),
            "staff": person("sasha", team=self.sales, group=RoleGroup.STAFF),
            "admin": UserFactory(username="root", is_superuser=True, is_staff=True),
        }
        now = timezone.now()
        uc = UseCaseFactory
        self.m_left = uc(name="M owner left", team=self.marketing, owner=self.gone, risk_tier=RiskTier.HIGH)
        self.m_flag_old = uc(
            name="M flagged earlier",
            team=self.marketing,
            owner=self.pat,
            ownership_note="Backup owner Gus Gone left on 2026-01-02: name a new backup owner.",
            ownership_flagged_at=now - timezone.timedelta(days=3),
        )
        self.m_flag_new = uc(
            name="M flagged today",
            team=self.marketing,
            owner=self.lee,
            ownership_note="Owner Gus Gone left on 2026-01-05; backup owner Lee is now the owner: confirm.",
            ownership_flagged_at=now,
        )
        self.m_ok = uc(name="M fine", team=self.marketing, owner=self.pat)
        self.m_retired = uc(
            name="M retired", team=self.marketing, owner=None, lifecycle_stage=LifecycleStage.RETIRED
        )
        self.s_mailbox = uc(
            name="S mailbox",
            team=self.sales,
            owner=None,
            contact_email="ai@sales.example",
            risk_tier="critical",
        )
        self.s_draft = uc(name="S draft", team=self.sales, owner=None, is_draft=True)
        self.d_mailbox = uc(
            name="D mailbox", team=self.bureau, owner=None, contact_email="ai@doe.example.gov"
        )


@pytest.fixture
def world():
    return World()


@pytest.mark.parametrize(
    "role,status",
    [
        ("lead", 200),
        ("curator", 200),
        ("reviewer", 200),
        ("responder", 200),
        ("admin", 200),
        ("staff", 404),
        ("builder", 404),
    ],
)
def test_who_gets_the_page_and_the_nav_link(world, client, role, status):
    client.force_login(world.people[role])
    response = client.get(GAPS)
    assert response.status_code == status
    catalog = client.get(reverse("registry:use_case_list")).content.decode()
    assert (f'href="{GAPS}"' in catalog) is (status == 200)


def test_login_required(world, client):
    response = client.get(GAPS)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    accept = client.post(reverse("registry:use_case_accept_ownership", args=[world.m_left.pk]))
    assert accept.status_code == 302 and accept["Location"].startswith(reverse("login"))
    world.m_left.refresh_from_db()
    assert world.m_left.owner == world.gone


def test_a_lead_sees_only_the_teams_they_lead(world, client):
    client.force_login(world.lee)
    response = client.get(GAPS)
    # Flagged first (newest first), then the rest by risk, then name.
    assert listed(response) == [world.m_flag_new.pk, world.m_flag_old.pk, world.m_left.pk]
    assert [team["slug"] for team in response.context["teams"]] == ["marketing"]


def test_a_lead_of_an_organisation_sees_its_teams(world, client):
    top = person("olga", team=world.acme, lead=True)
    client.force_login(top)
    ids = set(listed(client.get(GAPS)))
    # Sales' draft stays with Sales (drafts are seen by the owning team only): the page never
    # shows what the viewer may not see.
    assert ids == {world.m_flag_new.pk, world.m_flag_old.pk, world.m_left.pk, world.s_mailbox.pk}


def test_curators_see_every_team_but_not_others_drafts_and_never_retired(world, client):
    client.force_login(world.curator)
    ids = listed(client.get(GAPS))
    assert ids == [
        world.m_flag_new.pk,
        world.m_flag_old.pk,
        world.s_mailbox.pk,  # critical
        world.m_left.pk,  # high
        world.d_mailbox.pk,  # low, by name
    ]
    client.force_login(world.people["reviewer"])
    assert world.s_draft.pk in listed(client.get(GAPS))  # reviewers read everything


def test_each_row_says_why(world, client):
    client.force_login(world.curator)
    reasons = {row.use_case.pk: row.reason for row in client.get(GAPS).context["rows"]}
    assert reasons[world.m_left.pk] == "Its owner Gus Gone has left."
    assert reasons[world.s_mailbox.pk] == "No named owner, only a contact mailbox."
    assert reasons[world.m_flag_new.pk] == world.m_flag_new.ownership_note


def test_actions_offered_per_row(world, client):
    client.force_login(world.lee)
    response = client.get(GAPS)
    rows = {row.use_case.pk: row for row in response.context["rows"]}
    assert rows[world.m_left.pk].can_accept and rows[world.m_left.pk].can_reassign
    assert not rows[world.m_flag_old.pk].can_accept  # Pat owns it: Lee reassigns it
    assert rows[world.m_flag_new.pk].can_accept  # Lee owns it: confirms
    html = response.content.decode()
    assert reverse("registry:use_case_accept_ownership", args=[world.m_left.pk]) in html
    assert reverse("registry:use_case_owners", args=[world.m_left.pk]) in html
    assert "Confirm ownership" in html and "csrfmiddlewaretoken" in html

    client.force_login(world.curator)
    rows = client.get(GAPS).context["rows"]
    assert not any(row.can_accept or row.can_reassign for row in rows)


def test_accepting_from_the_page_removes_the_row(world, client):
    client.force_login(world.lee)
    response = client.post(
        reverse("registry:use_case_accept_ownership", args=[world.m_left.pk]),
        {"next": f"{GAPS}?team=marketing"},
    )
    assert response.status_code == 302 and response["Location"] == f"{GAPS}?team=marketing"
    world.m_left.refresh_from_db()
    assert world.m_left.owner == world.lee
    assert world.m_left.pk not in listed(client.get(GAPS))


def test_team_filter_and_pagination(world, client, settings):
    settings.CATALOG_PAGE_SIZE = 2
    client.force_login(world.curator)
    first = client.get(GAPS, {"team": "marketing"})
    assert listed(first) == [world.m_flag_new.pk, world.m_flag_old.pk]
    assert first.context["page_obj"].paginator.count == 3
    assert "?team=marketing&amp;page=2" in first.content.decode()
    second = client.get(GAPS, {"team": "marketing", "page": 2})
    assert listed(second) == [world.m_left.pk]
    # An organisation includes its teams; an unknown team lists nothing.
    assert set(listed(client.get(GAPS, {"team": "doe"}))) == {world.d_mailbox.pk}
    assert listed(client.get(GAPS, {"team": "nope"})) == []


def test_imported_mailbox_only_use_cases_are_listed(db, client, shared_data, tmp_path, settings):
    """A slice of the real 2025 federal inventory: every use case it imports without a named
    owner is on the page, with its mailbox."""
    source = shared_data / "federal-ai-inventory-2025/individual_use_cases.csv"
    with open(source, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        headers, rows = reader.fieldnames, [row for _, row in zip(range(120), reader, strict=False)]
    sliced = tmp_path / "slice.csv"
    with open(sliced, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=headers)
        writer.writeheader()
        writer.writerows(rows)
    result = inventory_import(sliced)
    assert result.created > 100

    mailbox_only = set(
        UseCase.objects.filter(owner__isnull=True)
        .exclude(lifecycle_stage="retired")
        .values_list("pk", flat=True)
    )
    assert len(mailbox_only) > 50
    with_mailbox = UseCase.objects.filter(pk__in=mailbox_only).exclude(contact_email="").first()
    assert with_mailbox is not None

    settings.CATALOG_PAGE_SIZE = 500
    client.force_login(person("cora", group=RoleGroup.LIBRARY_CURATOR))
    response = client.get(GAPS)
    assert set(listed(response)) == mailbox_only
    assert with_mailbox.contact_email in response.content.decode()


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_query_count_does_not_grow_with_rows(world, client):
    client.force_login(world.curator)
    few, response = _queries(client, GAPS)
    assert len(response.context["rows"]) == 5
    for i in range(30):
        owner = UserFactory(is_active=False) if i % 2 else None
        team = TeamFactory(parent=world.agency) if i % 3 == 0 else world.sales
        UseCaseFactory(team=team, owner=owner, ownership_note="flagged" if i % 5 == 0 else "")
    many, response = _queries(client, GAPS)
    assert len(response.context["rows"]) == 35
    assert many == few
    assert many <= 10


def test_selector_is_empty_for_people_without_the_page(world):
    assert not ownership_gaps_for(world.pat).exists()
    assert not ownership_gaps_for(world.people["staff"]).exists()
