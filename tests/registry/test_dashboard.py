"""The central team's dashboard (issue 9): who sees it (everyone else: 404), a lead's scope,
each figure on a hand-built estate with known answers, the links leading to catalog lists
with exactly those rows (the catalog, the review queue, the library candidates), the CSV
exports, the printable summary, ``GET /api/stats/`` and a query count that does not grow with
the rows."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
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
from registry.models import Adoption, LibraryEntry, UsageReport, UseCase
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
STATS = "/api/stats/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The page and the API reuse a computed dashboard for a minute: each test starts afresh."""
    cache.clear()
    yield
    cache.clear()


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
            name="Campaign brief writer",
            team=self.marketing,
            owner=self.pat,
            lifecycle_stage=LifecycleStage.PRODUCTION,
            risk_tier=RiskTier.HIGH,
            review_status=ReviewStatus.APPROVED,
            handles_personal_data=True,
        )
        self.m2 = UseCaseFactory(
            name="Lead scoring agent",
            team=self.marketing,
            owner=None,
            contact_email="mkt@example.com",
            lifecycle_stage=LifecycleStage.PRODUCTION,
            risk_tier=RiskTier.CRITICAL,
            is_high_impact=True,
        )
        self.m3 = UseCaseFactory(
            name="Webinar summariser",
            team=self.marketing,
            owner=self.gone,
            backup_owner=self.pat,
            lifecycle_stage=LifecycleStage.PILOT,
            source_key="omb-2025:doe:1",
        )
        self.s1 = UseCaseFactory(
            name="Quote generator",
            team=self.sales,
            lifecycle_stage=LifecycleStage.PRODUCTION,
            risk_tier=RiskTier.MEDIUM,
            review_status=ReviewStatus.REQUESTED,
        )
        self.o1 = UseCaseFactory(
            name="Invoice matcher", team=self.ops, lifecycle_stage=LifecycleStage.IDEA, kind=UseCaseKind.AGENT
        )
        # Registered three days ago (its lead time to approval: 3 days).
        UseCase.objects.filter(pk=self.m1.pk).update(created_at=now - timedelta(days=3))
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
        # One laptop key shared by two use cases of two teams, and one of unknown storage.
        laptop = CredentialFactory(
            storage=CredentialStorage.LAPTOP_ENV_FILE, last_rotated_on=timezone.localdate()
        )
        CredentialUseFactory(use_case=self.m1, credential=laptop)
        CredentialUseFactory(use_case=self.s1, credential=laptop)
        unknown = CredentialFactory(storage=CredentialStorage.UNKNOWN, last_rotated_on=timezone.localdate())
        CredentialUseFactory(use_case=self.o1, credential=unknown)
        # Open, medium tier (service level 10 days), 20 days old: late.
        SecurityReviewFactory(use_case=self.s1, requested_at=now - timedelta(days=20))
        # Open, critical (service level 2 days), 100 days old but waiting on its builder: not late.
        SecurityReviewFactory(
            use_case=self.m2, state=ReviewState.CHANGES_REQUESTED, requested_at=now - timedelta(days=100)
        )
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
    # m1 was registered three days ago: in last month's bar in the first three days of a month.
    growth = figures(inventory["growth"])
    this_month = timezone.localdate().strftime("%b %Y")
    m1_month = timezone.localtime(UseCase.objects.get(pk=estate.m1.pk).created_at).strftime("%b %Y")
    assert growth[this_month] == (5 if m1_month == this_month else 4)
    assert growth[m1_month] >= 1 and sum(growth.values()) == 5
    assert figures(inventory["origin"]) == {"Registered in the registry": 4, "Imported from an inventory": 1}
    assert inventory["imported_share"] == 20
    assert figures(risk["tiers"]) == {"Critical": 1, "High": 1, "Medium": 1, "Low": 2}
    assert figures(risk["flags"]) == {
        "In production without a current approval": 2,
        "Touch personal or customer data": 2,
        "High-impact": 1,
    }
    assert storage_rows(risk["credentials"]) == {
        "laptop_env_file": (2, 1),  # one key, two use cases
        "workflow_settings": (0, 0),
        "hard_coded": (1, 1),
        "unknown": (1, 1),
    }
    assert risk["unsafe_total"].value == 4
    assert risk["rotation_due"].value == 1

    ownership = dashboard.panels["ownership"]
    assert figures(ownership["gaps"]) == {
        "No named owner": 1,
        "Owner has left": 1,
        "No active backup owner": 4,
    }
    assert ownership["duplicates"]["count"] == 0  # the five names are unlike each other
    assert ownership["leaderless_teams"] == [{"team": "Sales", "slug": "sales", "production": 1}]
    assert [(row["vendor"], row["use_cases"]) for row in ownership["single_team_vendors"]] == [("Zapier", 1)]

    reviews = dashboard.panels["reviews"]
    by_tier = {row["tier"]: (row["open"], row["late"], row["bands"]) for row in reviews["open_by_tier"]}
    assert by_tier == {
        # 100 days old, but changes requested: the builder's turn, not late.
        "Critical": (1, 0, [0, 0, 0, 1]),
        "High": (0, 0, [0, 0, 0, 0]),
        # 20 days old against a 10-day service level.
        "Medium": (1, 1, [0, 1, 0, 0]),
        "Low": (0, 0, [0, 0, 0, 0]),
    }
    assert (reviews["open_total"], reviews["late_total"]) == (2, 1)
    assert reviews["age_bands"] == ["Under a week", "1 to 4 weeks", "1 to 3 months", "Over 3 months"]
    assert reviews["median_by_month"][-1]["median_days"] == 4.0
    assert reviews["median_by_month"][-1]["decided"] == 1
    assert (reviews["decisions"], reviews["self_attested"], reviews["self_attested_share"]) == (2, 1, 50)
    # Registered to first approval: m1 three days, o1 (self-attested at once) none.
    assert reviews["lead_time_by_team"] == [
        {"team": "Marketing", "approved": 1, "median_days": 3.0},
        {"team": "Ops", "approved": 1, "median_days": 0.0},
    ]

    value = dashboard.panels["value"]
    assert {row["team"]: row["cells"][-1] for row in value["by_team"]} == {
        "Marketing": {"hours": 10, "cost": 5},
        "Sales": {"hours": 3, "cost": 2},
    }
    assert value["totals"][-1].value == 13
    assert [(entry["name"], entry["adoptions"]) for entry in value["library_top"]] == [(estate.m1.name, 2)]
    assert value["candidates"].value == 0  # m1 is in the library already; nothing else graduates


def storage_rows(rows):
    return {row["storage"]: (row["use_cases"], row["credentials"]) for row in rows}


def test_a_curator_sees_no_credential_figures(estate):
    """Curators may not see credential details (docs/permissions.md)."""
    risk = dashboard_for(estate.people["curator"]).panels["risk"]
    assert risk["credentials"] is None and risk["rotation_due"] is None and risk["unsafe_total"] is None


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
    # Marketing's use cases only: m1's share of the laptop key, m2's hard-coded one.
    assert storage_rows(panels["risk"]["credentials"]) == {
        "laptop_env_file": (1, 1),
        "workflow_settings": (0, 0),
        "hard_coded": (1, 1),
        "unknown": (0, 0),
    }
    assert panels["risk"]["unsafe_total"].value == 2
    assert panels["ownership"]["leaderless_teams"] == []
    assert [row["vendor"] for row in panels["ownership"]["single_team_vendors"]] == ["OpenAI"]
    assert [row["open"] for row in panels["reviews"]["open_by_tier"]] == [1, 0, 0, 0]
    assert [row["url"] for row in panels["reviews"]["open_by_tier"]] == ["", "", "", ""]  # no queue for leads
    assert panels["reviews"]["lead_time_by_team"] == [
        {"team": "Marketing", "approved": 1, "median_days": 3.0}
    ]
    assert [row["team"] for row in panels["value"]["by_team"]] == ["Marketing"]
    assert [entry["adoptions"] for entry in panels["value"]["library_top"]] == [1]
    # Links carry the lead's team, so the catalog shows exactly their rows.
    assert panels["inventory"]["total"].url == "/use-cases/?team=marketing"


def catalog_count(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.context["page_obj"].paginator.count


def linked_figures(panels):
    """Every (url, value, what) the page links: each count and the list behind it."""
    inventory, risk, ownership = panels["inventory"], panels["risk"], panels["ownership"]
    items = [
        inventory["total"],
        *inventory["origin"],
        *inventory["stages"],
        *inventory["kinds"],
        *inventory["teams"],
        *inventory["vendors"],
        *risk["tiers"],
        *risk["flags"],
        *ownership["gaps"],
    ]
    linked = [(f.url, f.value, f.label) for f in items]
    if risk["credentials"] is not None:
        linked += [(row["url"], row["use_cases"], row["label"]) for row in risk["credentials"]]
        linked.append((risk["unsafe_total"].url, risk["unsafe_total"].value, risk["unsafe_total"].label))
    linked += [(row["url"], row["use_cases"], row["vendor"]) for row in ownership["single_team_vendors"]]
    return [item for item in linked if item[0]]


@pytest.mark.parametrize("who", ["reviewer", "lead", "curator"])
def test_links_lead_to_catalog_lists_with_exactly_those_rows(client, estate, who):
    user = estate.lee if who == "lead" else estate.people[who]
    client.force_login(user)
    panels = client.get(DASHBOARD).context["panels"]
    linked = linked_figures(panels)
    for url, value, label in linked:
        assert url.startswith("/use-cases/"), label
        assert catalog_count(client, url) == value, (label, url)
    # Every count of use cases is linked (the percentages and the "Not reported" stage aside).
    expected = {"reviewer": 31, "lead": 27, "curator": 26}[who]
    assert len(linked) == expected
    if who != "curator":
        assert {label for _, _, label in linked} >= {"Hard-coded", "Environment file on a laptop"}


def test_unsafe_credential_links_land_on_exactly_those_use_cases(client, estate):
    """The issue's "done when": clicking credentials in unsafe places lands on exactly those."""
    client.force_login(estate.people["reviewer"])
    risk = client.get(DASHBOARD).context["panels"]["risk"]
    rows = {row["storage"]: row for row in risk["credentials"]}
    assert rows["hard_coded"]["url"] == "/use-cases/?credential_storage=hard_coded"
    listed = client.get(rows["laptop_env_file"]["url"]).context["page_obj"].object_list
    assert {uc.pk for uc in listed} == {estate.m1.pk, estate.s1.pk}
    everything = client.get(risk["unsafe_total"].url).context["page_obj"].object_list
    assert {uc.pk for uc in everything} == {estate.m1.pk, estate.m2.pk, estate.s1.pk, estate.o1.pk}
    # The catalog names the filter (a chip that removes it).
    assert "Credential stored in: Hard-coded" in client.get(rows["hard_coded"]["url"]).content.decode()


def test_the_credential_storage_filter_never_reveals_other_teams_credentials(client, estate):
    """Where a credential is stored is a credential detail: a builder of Sales finds Sales'
    use of the shared laptop key, not Marketing's hard-coded one; staff and curators find none."""
    builder = person("bea", team=estate.sales)
    client.force_login(builder)
    assert catalog_count(client, "/use-cases/?credential_storage=hard_coded") == 0
    assert catalog_count(client, "/use-cases/?credential_storage=laptop_env_file") == 2  # both users of it
    for user in (estate.staff, estate.people["curator"]):
        client.force_login(user)
        assert catalog_count(client, "/use-cases/?credential_storage=hard_coded") == 0
    client.force_login(estate.people["responder"])
    assert catalog_count(client, "/use-cases/?credential_storage=hard_coded") == 1
    # The API shares the filter (and the rule).
    client.force_login(builder)
    assert client.get("/api/use-cases/?credential_storage=hard_coded").json()["count"] == 0
    client.force_login(estate.people["responder"])
    body = client.get("/api/use-cases/?credential_storage=hard_coded&credential_storage=unknown").json()
    assert sorted(row["id"] for row in body["results"]) == sorted([estate.m2.pk, estate.o1.pk])


def test_open_review_counts_link_to_the_queue_with_exactly_those_reviews(client, estate):
    client.force_login(estate.people["reviewer"])
    reviews = client.get(DASHBOARD).context["panels"]["reviews"]
    assert reviews["open_url"] == "/reviews/"
    assert client.get(reviews["open_url"]).context["page_obj"].paginator.count == reviews["open_total"] == 2
    for row in reviews["open_by_tier"]:
        assert row["url"] == f"/reviews/?tier={row['value']}"
        assert client.get(row["url"]).context["page_obj"].paginator.count == row["open"], row["tier"]


def test_promotion_candidates_waiting(client, estate):
    now = timezone.now()
    ready = UseCaseFactory(
        name="Renewal reminder",
        team=estate.sales,
        owner=estate.staff,
        backup_owner=UserFactory(),
        lifecycle_stage=LifecycleStage.PRODUCTION,
        review_status=ReviewStatus.APPROVED,
        documentation_url="https://wiki.example.com/renewals",
        users_count=40,
    )
    SecurityReviewFactory(
        use_case=ready,
        state=ReviewState.APPROVED,
        requested_at=now - timedelta(days=2),
        decided_at=now - timedelta(days=1),
        expires_at=now + timedelta(days=300),
    )
    client.force_login(estate.people["curator"])
    candidates = client.get(DASHBOARD).context["panels"]["value"]["candidates"]
    assert (candidates.value, candidates.url) == (1, "/library/candidates/")
    page = client.get(candidates.url)
    assert [row.use_case.pk for row in page.context["candidates"].eligible] == [ready.pk]
    # A reviewer sees the count but not a page they may not open; Marketing's lead has none.
    assert dashboard_for(estate.people["reviewer"]).panels["value"]["candidates"].url == ""
    assert dashboard_for(estate.people["reviewer"]).panels["value"]["candidates"].value == 1
    assert dashboard_for(estate.lee).panels["value"]["candidates"].value == 0


def test_likely_duplicates_cluster_similar_names_across_teams(estate):
    production = LifecycleStage.PRODUCTION
    a = UseCaseFactory(name="Sales email drafter", team=estate.marketing, lifecycle_stage=production)
    b = UseCaseFactory(name="Sales email drafter v2", team=estate.sales, lifecycle_stage=production)
    c = UseCaseFactory(name="Email drafter for sales", team=estate.ops, lifecycle_stage=production)
    # Same team only: not a cross-team duplicate. A pilot: not in production.
    UseCaseFactory(name="Meeting notes bot", team=estate.ops, lifecycle_stage=production)
    UseCaseFactory(name="Meeting notes bot 2", team=estate.ops, lifecycle_stage=production)
    UseCaseFactory(name="Sales email drafter", team=estate.sales, lifecycle_stage=LifecycleStage.PILOT)
    duplicates = dashboard_for(estate.people["reviewer"]).panels["ownership"]["duplicates"]
    assert duplicates["count"] == 1
    (cluster,) = duplicates["clusters"]
    assert (cluster["use_cases"], cluster["teams"]) == (3, 3)
    assert {member["id"] for member in cluster["members"]} == {a.pk, b.pk, c.pk}
    assert cluster["members"][0]["url"] == f"/use-cases/{c.pk}/"
    # Marketing's lead compares Marketing's use cases only: no other team, no cluster.
    assert dashboard_for(estate.lee).panels["ownership"]["duplicates"]["count"] == 0


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
    assert ["credentials", "Hard-coded", "1", "/use-cases/?credential_storage=hard_coded"] in risk
    assert ["credentials (count)", "Environment file on a laptop", "1", ""] in risk
    assert ["rotation_due", "Credentials due for rotation", "1", ""] in risk
    inventory = read_csv(client.get(reverse("registry:dashboard_export", args=["inventory"])))
    assert ["stages", "Production", "3", "/use-cases/?stage=production"] in inventory
    ownership = read_csv(client.get(reverse("registry:dashboard_export", args=["ownership"])))
    assert ["leaderless_teams", "Sales", "1", ""] in ownership
    assert ["single_team_vendors", "Zapier", "1", "/use-cases/?vendor=zapier"] in ownership
    reviews = read_csv(client.get(reverse("registry:dashboard_export", args=["reviews"])))
    assert reviews[0] == ["section", "label", "value", "detail"]
    assert ["open reviews", "Medium", "1", "past service level: 1"] in reviews
    assert ["open reviews by age", "Critical", "1", "Over 3 months"] in reviews
    assert ["median days registered to approved", "Marketing", "3.0", "approved: 1"] in reviews
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
    # Each chart: a canvas (hidden until the script draws it), its data and its table.
    assert page.count("<canvas") == page.count('class="bar-chart-table data-table"') == 9
    assert '<script id="chart-stages-data" type="application/json">' in page
    assert "/static/vendor/chartjs/chart.umd.min.js" in page and "/static/js/dashboard.js" in page
    # Nothing a strict Content-Security-Policy would block: no inline script, no style attribute.
    assert " style=" not in page and "<style" not in page
    assert page.count("<script") == page.count("<script src=") + page.count('type="application/json"')
    assert 'href="/library/candidates/"' in page  # the curator's promotion candidates
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
    cache.clear()  # the figures themselves, not a cached copy
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
    assert large <= 32
    assert page_queries(client, estate.lee) <= 34


def test_a_cached_dashboard_costs_almost_nothing(client, estate, django_assert_max_num_queries):
    reviewer = estate.people["reviewer"]
    client.force_login(reviewer)
    client.get(DASHBOARD)
    with django_assert_max_num_queries(4):  # the session and the person: the figures are cached
        assert client.get(DASHBOARD).status_code == 200


def test_the_refresh_job_computes_the_shared_dashboards_before_anyone_asks(
    client, estate, django_assert_max_num_queries
):
    """The beat job (registry.tasks.dashboard_refresh) fills the estate's and each curator's
    dashboard, so at 100,000 use cases (seconds of SQL) the first reader does not wait."""
    from registry.tasks import dashboard_refresh

    keys = dashboard_refresh.delay().get()  # eager in tests: the task's own code path
    assert any(":estate:" in key for key in keys)
    assert f"dashboard:v2:{timezone.localdate().isoformat()}:user:{estate.people['curator'].pk}" in keys
    for who in ("curator", "reviewer", "responder"):
        client.force_login(estate.people[who])
        with django_assert_max_num_queries(4):  # the session and the person only
            response = client.get(DASHBOARD)
        assert response.context["panels"]["inventory"]["total"].value == 5


def test_a_cache_that_is_down_does_not_take_the_page_with_it(client, estate, settings):
    """A real Redis client pointed at a closed port: the figures are computed directly."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
        }
    }
    client.force_login(estate.people["reviewer"])
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert response.context["panels"]["inventory"]["total"].value == 5
    assert client.get(STATS).status_code == 200


def test_the_cache_never_crosses_scopes(client, estate):
    client.force_login(estate.people["reviewer"])
    assert client.get(DASHBOARD).context["panels"]["inventory"]["total"].value == 5
    client.force_login(estate.lee)
    assert client.get(DASHBOARD).context["panels"]["inventory"]["total"].value == 3
    client.force_login(estate.pat)
    assert client.get(DASHBOARD).status_code == 404
    assert client.get(STATS).status_code == 404


# --- the API ----------------------------------------------------------------------------------


def test_the_api_gives_the_same_figures(client, estate):
    client.force_login(estate.people["reviewer"])
    body = client.get(STATS).json()
    page = dashboard_for(estate.people["reviewer"]).panels
    assert body["whole_estate"] is True and body["scope"] == "the whole estate"
    assert body["inventory"]["total"] == {"label": "Use cases", "value": 5, "url": "/use-cases/"}
    assert {f["label"]: f["value"] for f in body["inventory"]["stages"]} == figures(
        page["inventory"]["stages"]
    )
    assert {
        row["unsafe_storage"]: (row["use_cases"], row["credentials"]) for row in body["risk"]["credentials"]
    } == {
        "laptop_env_file": (2, 1),
        "workflow_settings": (0, 0),
        "hard_coded": (1, 1),
        "unknown": (1, 1),
    }
    medium = next(row for row in body["reviews"]["open_by_tier"] if row["risk_tier"] == "medium")
    assert (medium["open"], medium["late"], medium["bands"], medium["url"]) == (
        1,
        1,
        [0, 1, 0, 0],
        "/reviews/?tier=medium",
    )
    assert body["reviews"]["lead_time_by_team"][0] == {"team": "Marketing", "approved": 1, "median_days": 3.0}
    assert body["value"]["totals"][-1]["value"] == "13.00"
    month = {team["team"]: team["cells"][-1] for team in body["value"]["by_team"]}
    assert month["Marketing"] == {"hours": "10.0", "cost": "5.00"}
    assert body["value"]["by_team"][0]["cells"][0] == {"hours": None, "cost": None}
    assert body["ownership"]["duplicates"]["count"] == 0


def test_the_api_scopes_leads_and_refuses_others(client, estate):
    client.force_login(estate.lee)
    body = client.get(STATS).json()
    assert body["whole_estate"] is False and body["inventory"]["total"]["value"] == 3
    assert body["inventory"]["total"]["url"] == "/use-cases/?team=marketing"
    client.force_login(estate.people["curator"])
    assert client.get(STATS).json()["risk"]["credentials"] is None
    for user in (estate.pat, estate.staff):
        client.force_login(user)
        response = client.get(STATS)
        assert response.status_code == 404 and response.json() == {"detail": "No such endpoint."}
    client.logout()
    assert client.get(STATS).status_code in (401, 403)


def test_the_api_response_matches_its_schema(client, estate):
    """The response validates against the OpenAPI schema drf-spectacular publishes."""
    import jsonschema
    from drf_spectacular.generators import SchemaGenerator

    def json_schema(node):
        """OpenAPI 3.0 to JSON Schema: ``nullable: true`` becomes "or null"."""
        if isinstance(node, list):
            return [json_schema(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: json_schema(value) for key, value in node.items()}
        if node.pop("nullable", False):
            return {"anyOf": [node, {"type": "null"}]}
        return node

    schema = json_schema(SchemaGenerator().get_schema(request=None, public=True))
    components = schema["components"]["schemas"]
    response_schema = schema["paths"]["/api/stats/"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    validator = jsonschema.Draft202012Validator({**response_schema, "components": {"schemas": components}})
    for user in (estate.people["reviewer"], estate.people["curator"], estate.lee):
        cache.clear()
        client.force_login(user)
        errors = list(validator.iter_errors(client.get(STATS).json()))
        assert errors == [], errors[:3]


def test_the_api_query_count_is_bounded(client, estate, django_assert_max_num_queries):
    grow(estate, 20)
    client.force_login(estate.people["reviewer"])
    with django_assert_max_num_queries(32):
        assert client.get(STATS).status_code == 200
