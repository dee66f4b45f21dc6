"""The central team's dashboard (issue 9): who sees it (everyone else: 404), a lead's scope,
each figure on a hand-built estate with known answers, the links leading to catalog lists
with exactly those rows, the CSV exports, the printable summary and a query count that does
not grow with the rows."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import MembershipRole, RoleGroup, TeamKind
from registry.choices import (
    CredentialStorage,
    LifecycleStage,
    ReviewSource,
    ReviewState,
    ReviewStatus,
    RiskTier,
    UseCaseKind,
)
from registry.models import Adoption, LibraryEntry, UsageReport
from registry.selectors.dashboard import dashboard_for
from tests.factories import (
    CredentialFactory,
    CredentialUseFactory,
    DataAccessFactory,
    DataSourceFactory,
    MembershipFactory,
    SecurityReviewFactory,
    TeamFactory,
    UseCaseFactory,
    UserFactory,
    VendorFactory,
    VendorUseFactory,
)

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("registry:dashboard")


def person(username, *, team=None, lead=False, group=RoleGroup.BUILDER, **fields):
    user = UserFactory(username=username, **fields)
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    if team is not None:
        MembershipFactory(user=user, team=team, role=MembershipRole.LEAD if lead else MembershipRole.MEMBER)
    return user


class Estate:
    """Five registered use cases in three teams, with known answers."""

    def __init__(self):
        now = timezone.now()
        self.acme = TeamFactory(name="Acme", slug="acme", kind=TeamKind.ORGANISATION)
        self.marketing = TeamFactory(name="Marketing", slug="marketing", parent=self.acme)
        self.sales = TeamFactory(name="Sales", slug="sales", parent=self.acme)
        self.ops = TeamFactory(name="Ops", slug="ops")
        self.lee = person("lee", team=self.marketing, lead=True)
        self.pat = person("pat", team=self.marketing)
        self.gone = person("gone", team=self.marketing, is_active=False)
        self.people = {
            "curator": person("cora", group=RoleGroup.LIBRARY_CURATOR),
            "reviewer": person("rey", group=RoleGroup.SECURITY_REVIEWER),
            "responder": person("remy", group=RoleGroup.INCIDENT_RESPONDER),
            "admin": UserFactory(username="root", is_superuser=True, is_staff=True),
        }
        self.staff = person("sasha", team=self.sales, group=RoleGroup.STAFF)
        self.v1 = VendorFactory(name="OpenAI", slug="openai")
        self.v2 = VendorFactory(name="Zapier", slug="zapier")

        self.m1 = UseCaseFactory(
            team=self.marketing,
            owner=self.pat,
            lifecycle_stage=LifecycleStage.PRODUCTION,
            risk_tier=RiskTier.HIGH,
            review_status=ReviewStatus.APPROVED,
            handles_personal_data=True,
        )
        self.m2 = UseCaseFactory(
            team=self.marketing,
            owner=None,
            contact_email="mkt@example.com",
            lifecycle_stage=LifecycleStage.PRODUCTION,
            risk_tier=RiskTier.CRITICAL,
            is_high_impact=True,
        )
        self.m3 = UseCaseFactory(
            team=self.marketing,
            owner=self.gone,
            backup_owner=self.pat,
            lifecycle_stage=LifecycleStage.PILOT,
            source_key="omb-2025:doe:1",
        )
        self.s1 = UseCaseFactory(
            team=self.sales,
            lifecycle_stage=LifecycleStage.PRODUCTION,
            risk_tier=RiskTier.MEDIUM,
            review_status=ReviewStatus.REQUESTED,
        )
        self.o1 = UseCaseFactory(team=self.ops, lifecycle_stage=LifecycleStage.IDEA, kind=UseCaseKind.AGENT)
        DataAccessFactory(use_case=self.o1, data_source=DataSourceFactory(has_customer_data=True))
        VendorUseFactory(use_case=self.m1, vendor=self.v1)
        VendorUseFactory(use_case=self.s1, vendor=self.v1)
        VendorUseFactory(use_case=self.s1, vendor=self.v2)
        hard_coded = CredentialFactory(storage=CredentialStorage.HARD_CODED, last_rotated_on=None)
        CredentialUseFactory(use_case=self.m2, credential=hard_coded)
        safe = CredentialFactory(
            storage=CredentialStorage.SECRETS_MANAGER, last_rotated_on=timezone.localdate()
        )
        CredentialUseFactory(use_case=self.s1, credential=safe)
        # Open, medium tier (service level 10 days), 20 days old: late.
        SecurityReviewFactory(use_case=self.s1, requested_at=now - timedelta(days=20))
        # Decided in 4 days (registry) and a self-attestation.
        SecurityReviewFactory(
            use_case=self.m1,
            state=ReviewState.APPROVED,
            requested_at=now - timedelta(days=4, minutes=1),
            decided_at=now - timedelta(minutes=1),
        )
        SecurityReviewFactory(
            use_case=self.o1,
            state=ReviewState.APPROVED,
            source=ReviewSource.SELF_ATTESTED,
            requested_at=now - timedelta(minutes=2),
            decided_at=now - timedelta(minutes=2),
        )
        month = timezone.localdate().replace(day=1)
        UsageReport.objects.create(use_case=self.m1, period=month, hours_saved=10, cost=5)
        UsageReport.objects.create(use_case=self.s1, period=month, hours_saved=3, cost=2)
        entry = LibraryEntry.objects.create(
            use_case=self.m1, reuse_summary="r", how_to_adopt="h", category="Content"
        )
        Adoption.objects.create(entry=entry, adopted_by=self.staff, team=self.sales)
        Adoption.objects.create(entry=entry, adopted_by=self.lee, team=self.marketing)


@pytest.fixture
def estate():
    return Estate()


def figures(items):
    return {figure.label: figure.value for figure in items}


@pytest.mark.parametrize("who", ["curator", "reviewer", "responder", "admin"])
def test_the_central_roles_see_the_whole_estate(client, estate, who):
    client.force_login(estate.people[who])
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert response.context["dashboard"].whole_estate
    assert response.context["panels"]["inventory"]["total"].value == 5
    assert b'href="/dashboard/"' in response.content  # the navigation offers it


def test_everyone_else_gets_a_404(client, estate):
    for user in (estate.pat, estate.staff):
        client.force_login(user)
        assert client.get(DASHBOARD).status_code == 404
        assert client.get(reverse("registry:dashboard_export", args=["risk"])).status_code == 404
        assert b'href="/dashboard/"' not in client.get(reverse("registry:use_case_list")).content
    client.logout()
    assert client.get(DASHBOARD).status_code == 302  # to the login page


def test_whole_estate_figures(estate):
    dashboard = dashboard_for(estate.people["reviewer"])
    inventory, risk = dashboard.panels["inventory"], dashboard.panels["risk"]
    assert figures(inventory["stages"]) == {
        "Idea": 1,
        "Building": 0,
        "Pilot": 1,
        "Production": 3,
        "Retired": 0,
    }
    assert figures(inventory["kinds"]) == {"Custom GPT / assistant": 4, "Agent": 1}
    assert figures(inventory["teams"]) == {"Marketing": 3, "Sales": 1, "Ops": 1}
    assert figures(inventory["vendors"]) == {"OpenAI": 2, "Zapier": 1}
    assert inventory["growth"][-1].value == 5 and sum(f.value for f in inventory["growth"]) == 5
    assert figures(inventory["origin"]) == {"Registered in the registry": 4, "Imported from an inventory": 1}
    assert inventory["imported_share"] == 20
    assert figures(risk["tiers"]) == {"Critical": 1, "High": 1, "Medium": 1, "Low": 2}
    assert figures(risk["flags"]) == {
        "In production without a current approval": 2,
        "Touch personal or customer data": 2,
        "High-impact": 1,
    }
    assert figures(risk["credentials"]) == {
        "Environment file on a laptop": 0,
        "Pasted into a workflow's settings": 0,
        "Hard-coded": 1,
        "Unknown": 0,
    }
    assert risk["rotation_due"].value == 1

    ownership = dashboard.panels["ownership"]
    assert figures(ownership["gaps"]) == {
        "No named owner": 1,
        "Owner has left": 1,
        "No active backup owner": 4,
    }
    assert ownership["leaderless_teams"] == [{"team": "Sales", "slug": "sales", "production": 1}]
    assert [(row["vendor"], row["use_cases"]) for row in ownership["single_team_vendors"]] == [("Zapier", 1)]

    reviews = dashboard.panels["reviews"]
    by_tier = {row["tier"]: (row["open"], row["late"]) for row in reviews["open_by_tier"]}
    assert by_tier == {"Critical": (0, 0), "High": (0, 0), "Medium": (1, 1), "Low": (0, 0)}
    assert reviews["median_by_month"][-1]["median_days"] == 4.0
    assert reviews["median_by_month"][-1]["decided"] == 1
    assert (reviews["decisions"], reviews["self_attested"], reviews["self_attested_share"]) == (2, 1, 50)

    value = dashboard.panels["value"]
    assert {row["team"]: row["cells"][-1] for row in value["by_team"]} == {
        "Marketing": {"hours": 10, "cost": 5},
        "Sales": {"hours": 3, "cost": 2},
    }
    assert value["totals"][-1].value == 13
    assert [(entry["name"], entry["adoptions"]) for entry in value["library_top"]] == [(estate.m1.name, 2)]


def test_a_curator_sees_no_credential_figures(estate):
    """Curators may not see credential details (docs/permissions.md)."""
    risk = dashboard_for(estate.people["curator"]).panels["risk"]
    assert risk["credentials"] is None and risk["rotation_due"] is None


def test_a_lead_sees_only_their_teams(client, estate):
    client.force_login(estate.lee)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    panels = response.context["panels"]
    assert not response.context["dashboard"].whole_estate
    assert panels["inventory"]["total"].value == 3
    assert figures(panels["inventory"]["teams"]) == {"Marketing": 3}
    assert figures(panels["inventory"]["vendors"]) == {"OpenAI": 1}
    assert figures(panels["risk"]["flags"])["In production without a current approval"] == 1
    assert figures(panels["risk"]["credentials"])["Hard-coded"] == 1
    assert panels["ownership"]["leaderless_teams"] == []
    assert [row["vendor"] for row in panels["ownership"]["single_team_vendors"]] == ["OpenAI"]
    assert [row["open"] for row in panels["reviews"]["open_by_tier"]] == [0, 0, 0, 0]
    assert [row["team"] for row in panels["value"]["by_team"]] == ["Marketing"]
    assert [entry["adoptions"] for entry in panels["value"]["library_top"]] == [1]
    # Links carry the lead's team, so the catalog shows exactly their rows.
    assert panels["inventory"]["total"].url == "/use-cases/?team=marketing"


def catalog_count(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.context["page_obj"].paginator.count


@pytest.mark.parametrize("who", ["reviewer", "lead"])
def test_links_lead_to_catalog_lists_with_exactly_those_rows(client, estate, who):
    user = estate.lee if who == "lead" else estate.people[who]
    client.force_login(user)
    panels = client.get(DASHBOARD).context["panels"]
    linked = [
        *panels["inventory"]["stages"],
        *panels["inventory"]["kinds"],
        *panels["inventory"]["vendors"],
        *panels["risk"]["tiers"],
        *panels["risk"]["flags"],
        panels["ownership"]["gaps"][0],
    ]
    if who == "reviewer":
        linked += panels["inventory"]["teams"]
    checked = 0
    for figure in linked:
        if figure.url:
            assert catalog_count(client, figure.url) == figure.value, figure
            checked += 1
    assert checked >= 12


def test_link_urls_carry_the_filters(estate):
    dashboard = dashboard_for(estate.people["reviewer"])
    risk = dashboard.panels["risk"]
    assert risk["tiers"][0].url == "/use-cases/?risk_tier=critical"
    flags = {figure.label: figure.url for figure in risk["flags"]}
    assert flags["High-impact"] == "/use-cases/?high_impact=true"
    assert flags["Touch personal or customer data"] == "/use-cases/?personal_data=true"
    assert flags["In production without a current approval"].startswith(
        "/use-cases/?stage=production&review_status=none"
    )
    assert "review_status=approved" not in flags["In production without a current approval"]
    assert dashboard.panels["ownership"]["gaps"][0].url == "/use-cases/?named_owner=false"
    assert figures_urls(dashboard.panels["inventory"]["vendors"])["Zapier"] == "/use-cases/?vendor=zapier"


def figures_urls(items):
    return {figure.label: figure.url for figure in items}


def read_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_csv_exports(client, estate):
    client.force_login(estate.people["reviewer"])
    risk = read_csv(client.get(reverse("registry:dashboard_export", args=["risk"])))
    assert risk[0] == ["section", "label", "value", "link"]
    assert ["tiers", "Critical", "1", "/use-cases/?risk_tier=critical"] in risk
    assert ["credentials", "Hard-coded", "1", ""] in risk
    assert ["rotation_due", "Credentials due for rotation", "1", ""] in risk
    inventory = read_csv(client.get(reverse("registry:dashboard_export", args=["inventory"])))
    assert ["stages", "Production", "3", "/use-cases/?stage=production"] in inventory
    ownership = read_csv(client.get(reverse("registry:dashboard_export", args=["ownership"])))
    assert ["leaderless_teams", "Sales", "1", ""] in ownership
    assert ["single_team_vendors", "Zapier", "1", "/use-cases/?vendor=zapier"] in ownership
    reviews = read_csv(client.get(reverse("registry:dashboard_export", args=["reviews"])))
    assert reviews[0] == ["section", "label", "value", "detail"]
    assert ["open reviews", "Medium", "1", "past service level: 1"] in reviews
    assert ["self-attested", "decisions", "2", "self-attested: 1"] in reviews
    value = read_csv(client.get(reverse("registry:dashboard_export", args=["value"])))
    assert value[0][:3] == ["team", "month", "hours saved"]
    month = timezone.localdate().strftime("%b %Y")
    assert ["Marketing", month, "10.0", "5.00"] in value
    assert client.get("/dashboard/nothing.csv").status_code == 404


def test_the_page_and_its_printable_summary(client, estate):
    client.force_login(estate.people["curator"])
    page = client.get(DASHBOARD).content.decode()
    assert 'href="?print=1"' in page
    assert 'href="/use-cases/?risk_tier=critical"' in page
    assert "<svg" in page and 'class="bar-chart-table data-table"' in page  # each chart has its table
    printed = client.get(DASHBOARD + "?print=1").content.decode()
    assert "AI estate summary" in printed
    assert timezone.localdate().strftime("%-d %B %Y") in printed
    assert 'class="site-header"' not in printed and "site-header" not in printed


def grow(estate, count):
    for index in range(count):
        use_case = UseCaseFactory(
            team=estate.sales if index % 2 else estate.marketing,
            lifecycle_stage=LifecycleStage.PRODUCTION,
            owner=estate.pat,
        )
        VendorUseFactory(use_case=use_case, vendor=estate.v2)
        SecurityReviewFactory(use_case=use_case)


def page_queries(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(DASHBOARD).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_rows(client, estate):
    reviewer = estate.people["reviewer"]
    grow(estate, 10)
    small = page_queries(client, reviewer)
    grow(estate, 90)
    large = page_queries(client, reviewer)
    assert small == large
    assert large <= 25
    assert page_queries(client, estate.lee) <= 26
