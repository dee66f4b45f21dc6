"""The registry's pages: the catalog (search, filters, sort, pagination, htmx, CSV export),
a use case's page, the team and vendor pages, and their SQL query ceilings."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import MembershipRole, TeamKind
from registry import choices
from registry.models import FoundationDocument, FoundationDocumentUse, ImportBatch, SecurityReview
from registry.views import EXPORT_HEADER, SORT_LABELS, csv_safe
from tests.factories import (
    AIModelFactory,
    ConnectionFactory,
    CredentialFactory,
    CredentialUseFactory,
    DataAccessFactory,
    DataSourceFactory,
    MembershipFactory,
    TeamFactory,
    UseCaseFactory,
    UserFactory,
    VendorFactory,
    VendorUseFactory,
)

pytestmark = pytest.mark.django_db

CATALOG = reverse("registry:use_case_list")
EXPORT = reverse("registry:use_case_export")


def listed(response):
    """Primary keys of the use cases the page lists, in order."""
    return [use_case.pk for use_case in response.context["use_cases"]]


def export_rows(response):
    """The CSV export's rows (header first), read the way a spreadsheet would."""
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body)))


def count_queries(client, url, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.fixture
def agency():
    """An agency (organisation unit) with two bureaus, as the federal import creates them."""
    top = TeamFactory(name="Department of Examples", slug="doe", kind=TeamKind.ORGANISATION)
    TeamFactory(name="Bureau of Tests", slug="doe-bot", parent=top)
    TeamFactory(name="Office of Samples", slug="doe-oos", parent=top)
    return top


def make_rows(n, *, team=None, vendor=None):
    """``n`` use cases spread over an agency and one of its bureaus, each calling a vendor,
    every third one with only a contact mailbox (no named owner)."""
    team = team or TeamFactory(kind=TeamKind.ORGANISATION)
    bureau = TeamFactory(parent=team)
    vendor = vendor or VendorFactory()
    rows = []
    for i in range(n):
        use_case = UseCaseFactory(
            team=bureau if i % 2 else team,
            owner=None if i % 3 == 0 else UserFactory(),
            contact_email=f"ai-{i}@agency.example.gov",
            risk_tier=[choices.RiskTier.LOW, choices.RiskTier.HIGH][i % 2],
            is_high_impact=i % 5 == 0,
        )
        VendorUseFactory(use_case=use_case, vendor=vendor)
        VendorUseFactory(use_case=use_case)  # a second, different vendor per row
        rows.append(use_case)
    return rows


# --- login ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("registry:use_case_list", {}),
        ("registry:use_case_export", {}),
        ("registry:use_case_detail", {"pk": 1}),
        ("registry:team_list", {}),
        ("registry:team_detail", {"slug": "anything"}),
        ("registry:vendor_list", {}),
        ("registry:vendor_detail", {"slug": "anything"}),
    ],
)
def test_every_page_needs_login(client, name, kwargs):
    url = reverse(name, kwargs=kwargs)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_home_redirects_to_the_catalog(client_logged_in):
    response = client_logged_in.get(reverse("registry:home"))
    assert response.status_code == 302
    assert response["Location"] == CATALOG


def test_login_page_renders_and_logs_in(client):
    UserFactory(username="ada")
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'name="username"' in page.content and b"<html" in page.content
    response = client.post(
        reverse("login"), {"username": "ada", "password": "correct horse battery staple", "next": CATALOG}
    )
    assert response.status_code == 302 and response["Location"] == CATALOG
    wrong = client.post(reverse("login"), {"username": "ada", "password": "nope"})
    assert wrong.status_code == 200
    assert b'role="alert"' in wrong.content


# --- the catalog -----------------------------------------------------------------------------


def test_catalog_lists_rows_with_what_a_row_shows(client_logged_in, agency):
    bureau = agency.children.get(slug="doe-bot")
    vendor = VendorFactory(name="OpenAI", slug="openai")
    owned = UseCaseFactory(
        name="Benefits chatbot", team=bureau, risk_tier=choices.RiskTier.CRITICAL, is_high_impact=True
    )
    VendorUseFactory(use_case=owned, vendor=vendor)
    mailbox_only = UseCaseFactory(name="Grant triage", team=agency, owner=None, contact_email="ai@doe.gov")

    response = client_logged_in.get(CATALOG)

    assert response.status_code == 200
    assert sorted(listed(response)) == sorted([owned.pk, mailbox_only.pk])
    html = response.content.decode()
    assert "<strong>2</strong> use cases" in html
    assert "Benefits chatbot" in html and "Bureau of Tests" in html and "Department of Examples" in html
    assert str(owned.owner) in html
    assert "ai@doe.gov" in html and "No named owner" in html
    assert 'class="badge risk risk-critical">Critical<' in html
    assert "High-impact</span>" in html and "OpenAI" in html
    assert f'href="{EXPORT}"' in html
    # Team picker: the agency groups its bureaus and is itself selectable.
    assert '<optgroup label="Department of Examples">' in html
    assert '<option value="doe">Department of Examples (all)</option>' in html


def test_search_simple_match_finds_only_matching_rows(client_logged_in):
    hit = UseCaseFactory(name="Citizen chatbot", purpose="Answers questions.")
    described = UseCaseFactory(name="Helper", purpose="Routes mail.", description="A chatbot for staff.")
    UseCaseFactory(name="Fraud scoring", purpose="Flags claims.", description="Gradient boosting.")

    response = client_logged_in.get(CATALOG, {"q": "chatbot"})

    assert response.status_code == 200
    assert listed(response) == [hit.pk, described.pk]  # default order when searching: relevance
    assert response.context["catalog"].sort == "relevance"


@pytest.mark.postgres
def test_search_ranks_name_matches_above_description_matches_on_postgres(client_logged_in):
    # Created in the opposite order, and named so that the alphabetical order disagrees too.
    described = UseCaseFactory(
        name="Agency assistant", purpose="Routes mail.", description="Uses a chatbot for staff questions."
    )
    named = UseCaseFactory(name="Zoning chatbot", purpose="Answers zoning questions.")
    UseCaseFactory(name="Fraud scoring", purpose="Flags claims.")

    response = client_logged_in.get(CATALOG, {"q": "chatbot"})

    assert listed(response) == [named.pk, described.pk]
    ranks = [use_case.rank for use_case in response.context["use_cases"]]
    assert ranks[0] > ranks[1] > 0
    # Stemming: "chatbots" finds them too (PostgreSQL's English configuration).
    assert listed(client_logged_in.get(CATALOG, {"q": "chatbots"})) == [named.pk, described.pk]


def test_two_filters_narrow_the_list(client_logged_in):
    pilot_agent = UseCaseFactory(lifecycle_stage="pilot", kind="agent")
    pilot_gpt = UseCaseFactory(lifecycle_stage="pilot", kind="custom_gpt")
    UseCaseFactory(lifecycle_stage="production", kind="agent")

    one = client_logged_in.get(CATALOG, {"stage": "pilot"})
    both = client_logged_in.get(CATALOG, {"stage": "pilot", "kind": "agent"})

    assert sorted(listed(one)) == sorted([pilot_agent.pk, pilot_gpt.pk])
    assert listed(both) == [pilot_agent.pk]
    chips = [chip.label for chip in both.context["catalog"].chips]
    assert chips == ["Stage: Pilot", "Kind: Agent"]
    # Removing one chip keeps the other filter.
    remove_stage = both.context["catalog"].chips[0].remove_url
    assert remove_stage == "?kind=agent"


def test_multiple_values_of_one_filter_combine_with_or(client_logged_in):
    pilot = UseCaseFactory(lifecycle_stage="pilot")
    production = UseCaseFactory(lifecycle_stage="production")
    UseCaseFactory(lifecycle_stage="idea")
    response = client_logged_in.get(f"{CATALOG}?stage=pilot&stage=production")
    assert sorted(listed(response)) == sorted([pilot.pk, production.pk])


def test_team_filter_includes_the_agencys_bureaus(client_logged_in, agency):
    bureau = agency.children.get(slug="doe-bot")
    at_agency = UseCaseFactory(team=agency)
    at_bureau = UseCaseFactory(team=bureau)
    UseCaseFactory(team=TeamFactory())

    by_agency = client_logged_in.get(CATALOG, {"team": "doe"})
    by_bureau = client_logged_in.get(CATALOG, {"team": "doe-bot"})

    assert sorted(listed(by_agency)) == sorted([at_agency.pk, at_bureau.pk])
    assert listed(by_bureau) == [at_bureau.pk]


def test_vendor_high_impact_personal_data_and_named_owner_filters(client_logged_in):
    vendor = VendorFactory(slug="anthropic")
    calls = UseCaseFactory(is_high_impact=True, owner=None)
    VendorUseFactory(use_case=calls, vendor=vendor)
    personal = UseCaseFactory(handles_personal_data=True)
    via_source = UseCaseFactory()
    DataAccessFactory(use_case=via_source, data_source=DataSourceFactory(has_customer_data=True))

    assert listed(client_logged_in.get(CATALOG, {"vendor": "anthropic"})) == [calls.pk]
    assert listed(client_logged_in.get(CATALOG, {"high_impact": "true"})) == [calls.pk]
    assert sorted(listed(client_logged_in.get(CATALOG, {"personal_data": "true"}))) == sorted(
        [personal.pk, via_source.pk]
    )
    assert listed(client_logged_in.get(CATALOG, {"named_owner": "false"})) == [calls.pk]
    assert listed(client_logged_in.get(CATALOG, {"vendor": "anthropic", "named_owner": "true"})) == []


@pytest.mark.parametrize(
    "sort,expected",
    [
        ("name", ["Alpha", "Bravo", "Charlie"]),
        ("-name", ["Charlie", "Bravo", "Alpha"]),
        ("risk", ["Bravo", "Charlie", "Alpha"]),
        ("stage", ["Charlie", "Alpha", "Bravo"]),  # idea, pilot, production (alphabetical keys)
        ("updated", ["Charlie", "Alpha", "Bravo"]),
        ("team", ["Bravo", "Alpha", "Charlie"]),
    ],
)
def test_sort_orders(client_logged_in, sort, expected):
    UseCaseFactory(name="Alpha", risk_tier="low", lifecycle_stage="pilot", team=TeamFactory(name="M team"))
    UseCaseFactory(
        name="Bravo", risk_tier="critical", lifecycle_stage="production", team=TeamFactory(name="A team")
    )
    UseCaseFactory(
        name="Charlie", risk_tier="medium", lifecycle_stage="idea", team=TeamFactory(name="Z team")
    )
    # "Recently updated": touch them in a known order.
    for name in ["Bravo", "Alpha", "Charlie"]:
        use_case = UseCaseFactory._meta.model.objects.get(name=name)
        use_case.save()

    response = client_logged_in.get(CATALOG, {"sort": sort})

    assert [use_case.name for use_case in response.context["use_cases"]] == expected
    assert response.context["catalog"].sort == sort
    assert f'<strong aria-current="true">{SORT_LABELS[sort]}</strong>' in response.content.decode()


@override_settings(CATALOG_PAGE_SIZE=5)
def test_pagination_keeps_the_querystring_and_bad_pages_are_friendly(client_logged_in):
    rows = sorted(make_rows(12), key=lambda uc: (uc.name, uc.pk))
    page2 = client_logged_in.get(CATALOG, {"sort": "name", "page": "2"})
    assert listed(page2) == [uc.pk for uc in rows[5:10]]
    html = page2.content.decode()
    # Links keep the whole querystring, with an href for no-JS and hx-get for htmx; Next
    # carries the keyset position of the page's last row (tests/registry/test_pagination.py).
    assert re.search(r'href="/use-cases/\?sort=name&amp;after=[\w-]+&amp;page=3"', html)
    assert re.search(r'hx-get="/use-cases/\?sort=name&amp;after=[\w-]+&amp;page=3"', html)
    assert 'href="/use-cases/?sort=name&amp;page=1"' in html  # First (and Previous: page 1)
    assert "Page 2 of 3" in html

    not_a_number = client_logged_in.get(CATALOG, {"page": "abc"})
    assert not_a_number.status_code == 200
    assert listed(not_a_number) == [uc.pk for uc in rows[:5]]
    assert "“abc” is not a page number" in not_a_number.content.decode()

    too_far = client_logged_in.get(CATALOG, {"page": "99999"})
    assert too_far.status_code == 200
    assert listed(too_far) == [uc.pk for uc in rows[10:]]
    assert "There is no page “99999”; showing page 3 of 3." in too_far.content.decode()

    for bad in ("0", "-1", "1.5", ""):
        assert client_logged_in.get(CATALOG, {"page": bad}).status_code == 200


def test_unknown_filter_values_are_ignored_with_a_notice(client_logged_in):
    agent = UseCaseFactory(kind="agent")
    UseCaseFactory(kind="custom_gpt")

    response = client_logged_in.get(
        CATALOG,
        {
            "stage": "bogus",
            "team": "nope",
            "vendor": "nobody",
            "high_impact": "maybe",
            "sort": "sideways",
            "kind": "agent",
        },
    )

    assert response.status_code == 200
    assert listed(response) == [agent.pk]  # the valid filter still applies
    html = response.content.decode()
    for notice in (
        "Ignored the stage filter: “bogus” is not a known value.",
        "Ignored the team filter: “nope” is not a known value.",
        "Ignored the vendor filter: “nobody” is not a known value.",
        "Ignored the high-impact filter: “maybe” is not one of true or false.",
        "Ignored the sort “sideways”: it is not a known order.",
    ):
        assert notice in html
    assert [chip.label for chip in response.context["catalog"].chips] == ["Kind: Agent"]


@pytest.mark.parametrize(
    "query",
    [
        "q=a&search=b",
        "stage=&stage=pilot",
        "sort=relevance",
        "q=%22unclosed",
        "q=-",
        "q=%26%7C%21%3A*",
        "q=" + "x" * 3000,
        "q=%00",
        "team=%00",
        "vendor=%00",
        "stage=%00",
        "page=%00",
        "page=" + "9" * 40,
        "risk_tier=high&risk_tier=bogus",
        "q=%F0%9F%A4%96",
    ],
)
@pytest.mark.parametrize("url", [CATALOG, EXPORT])
def test_odd_parameters_never_fail(client_logged_in, query, url):
    UseCaseFactory(name="Chatbot", lifecycle_stage="pilot", risk_tier="high")
    response = client_logged_in.get(f"{url}?{query}")
    assert response.status_code == 200
    if response.streaming:
        assert export_rows(response)[0] == EXPORT_HEADER


def test_empty_results_get_a_friendly_page_with_clear_filters(client_logged_in):
    UseCaseFactory(lifecycle_stage="pilot")
    response = client_logged_in.get(CATALOG, {"stage": "retired"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "No use cases match" in html
    assert f'<a href="{CATALOG}">clear filters</a>' in html
    assert "<strong>0</strong> use cases" in html


def test_htmx_request_gets_only_the_results_partial(client_logged_in):
    agent = UseCaseFactory(kind="agent", name="Agentic helper")
    UseCaseFactory(kind="custom_gpt")

    response = client_logged_in.get(CATALOG, {"kind": "agent"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and 'id="catalog-form"' not in html
    assert "Agentic helper" in html and listed(response) == [agent.pk]
    assert '<input type="hidden" name="sort" value="" form="catalog-form">' in html
    assert "HX-Request" in response["Vary"]
    # A history restore (back button after a cache miss) needs the whole page.
    restore = client_logged_in.get(
        CATALOG, {"kind": "agent"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.content.decode()


def test_full_page_wires_htmx_to_the_results_region(client_logged_in):
    html = client_logged_in.get(CATALOG).content.decode()
    assert 'hx-get="/use-cases/"' in html
    assert 'hx-trigger="submit, change, input changed delay:400ms from:#catalog-q"' in html
    assert 'hx-target="#results"' in html and 'hx-push-url="true"' in html
    assert 'id="results"' in html
    # Works without JavaScript: a plain GET form with a submit button.
    assert 'method="get" action="/use-cases/"' in html and '<button type="submit">Apply</button>' in html
    assert "<script>" not in html and "style=" not in html


# --- CSV export ------------------------------------------------------------------------------


@override_settings(CATALOG_PAGE_SIZE=5)
def test_export_is_exactly_the_filtered_list_across_all_pages(client_logged_in):
    vendor = VendorFactory(name="Acme AI", slug="acme")
    rows = make_rows(14, vendor=vendor)
    UseCaseFactory(name="Not calling Acme")  # filtered out
    high = [uc for uc in rows if uc.risk_tier == choices.RiskTier.HIGH]

    params = {"vendor": "acme", "risk_tier": "high", "sort": "-name", "page": "2"}
    page = client_logged_in.get(CATALOG, params)
    response = client_logged_in.get(EXPORT, params)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="use-cases-{timezone.localdate():%Y-%m-%d}.csv"' in response["Content-Disposition"]
    table = export_rows(response)
    assert table[0] == EXPORT_HEADER
    ids = [int(row[0]) for row in table[1:]]
    expected = [uc.pk for uc in sorted(high, key=lambda uc: (uc.name, uc.pk), reverse=True)]
    assert ids == expected  # same filter, same order, every page (page=2 ignored)
    assert len(ids) == 7 > 5  # more than one page
    assert page.context["page_obj"].paginator.count == len(ids)
    first = dict(zip(EXPORT_HEADER, table[1], strict=True))
    assert "Acme AI" in first["vendors"]
    assert first["url"] == f"http://testserver/use-cases/{ids[0]}/"
    assert first["risk tier"] == "High"
    # The page's "Download CSV" link is the export with the same filters.
    assert (
        'href="/use-cases/export.csv?vendor=acme&amp;risk_tier=high&amp;sort=-name"' in page.content.decode()
    )


def test_export_columns_and_formula_injection(client_logged_in, agency):
    bureau = agency.children.get(slug="doe-bot")
    owner = UserFactory(first_name="Grace", last_name="Hopper", email="grace@doe.gov")
    use_case = UseCaseFactory(
        name='=HYPERLINK("http://evil")',
        purpose="+1 formula",
        team=bureau,
        owner=owner,
        technique=choices.AITechnique.GENERATIVE,
        external_id="@DOE-1",
        handles_personal_data=True,
        is_high_impact=True,
        review_status=choices.ReviewStatus.APPROVED,
    )
    mailbox = UseCaseFactory(name="Mailbox only", team=agency, owner=None, contact_email="ai@doe.gov")

    table = export_rows(client_logged_in.get(EXPORT, {"sort": "name"}))
    rows = {int(row[0]): dict(zip(EXPORT_HEADER, row, strict=True)) for row in table[1:]}

    row = rows[use_case.pk]
    assert row["name"] == '\'=HYPERLINK("http://evil")'
    assert row["purpose"] == "'+1 formula"
    assert row["external id"] == "'@DOE-1"
    assert (row["team"], row["agency"]) == ("Bureau of Tests", "Department of Examples")
    assert (row["owner"], row["owner or contact email"]) == ("Grace Hopper", "grace@doe.gov")
    assert (row["technique"], row["review status"]) == ("Generative AI", "Approved")
    assert (row["high impact"], row["personal data"]) == ("yes", "yes")
    other = rows[mailbox.pk]
    assert (other["owner"], other["owner or contact email"]) == ("", "ai@doe.gov")
    assert other["agency"] == "Department of Examples"  # a top-level organisation is its own agency
    assert csv_safe("-2") == "'-2" and csv_safe("safe") == "safe" and csv_safe(None) == ""


def test_export_with_a_search_uses_the_same_match(client_logged_in):
    hit = UseCaseFactory(name="Visa chatbot")
    UseCaseFactory(name="Payroll forecast")
    table = export_rows(client_logged_in.get(EXPORT, {"q": "chatbot"}))
    assert [int(row[0]) for row in table[1:]] == [hit.pk]


# --- a use case's page -----------------------------------------------------------------------


def test_detail_page_shows_every_group(client_logged_in, user, agency):
    bureau = agency.children.get(slug="doe-bot")
    # A builder of the owning team: sees credential details too (docs/permissions.md).
    user.groups.add(Group.objects.get(name="builder"))
    MembershipFactory(user=user, team=bureau)
    vendor = VendorFactory(name="HubSpot", slug="hubspot")
    model = AIModelFactory(vendor=vendor, name="Breeze")
    backup = UserFactory(first_name="Backup", last_name="Person")
    builder = UserFactory(first_name="Builder", last_name="Person")
    use_case = UseCaseFactory(
        name="Prospecting agent",
        purpose="Finds leads.",
        description="Reads the CRM.",
        outputs="A list of leads.",
        team=bureau,
        backup_owner=backup,
        contact_email="sales-ai@example.com",
        technique=choices.AITechnique.AGENTIC,
        topic_area="Sales",
        platform="n8n",
        risk_tier=choices.RiskTier.HIGH,
        risk_reasons=[
            "reads confidential data (CRM)",
            "uses a credential stored unsafely: HubSpot API key (environment file on a laptop)",
        ],
        users_count=42,
        hours_saved_per_week="12.5",
        monthly_cost="199.00",
        source_row={"use_case_name": "Prospecting agent", "agency_name": "Department of Examples"},
        import_batch=ImportBatch.objects.create(
            file_name="inventory.csv", file_sha256="0" * 64, layout="omb_2025"
        ),
    )
    use_case.builders.add(builder)
    VendorUseFactory(use_case=use_case, vendor=vendor, model=model)
    DataAccessFactory(
        use_case=use_case,
        data_source=DataSourceFactory(name="CRM", classification="confidential", has_personal_data=True),
        access=choices.AccessMode.READ_WRITE,
        purpose="Enrich leads",
    )
    CredentialUseFactory(
        use_case=use_case,
        credential=CredentialFactory(
            name="HubSpot API key",
            issuer=vendor,
            storage=choices.CredentialStorage.LAPTOP_ENV_FILE,
            last_rotated_on=date(2025, 1, 2),
        ),
    )
    campaign = UseCaseFactory(name="Campaign workflow")
    ConnectionFactory(source=use_case, target=campaign, what_flows="Lead lists")
    ConnectionFactory(source=UseCaseFactory(name="Content workflow"), target=use_case)
    document = FoundationDocument.objects.create(name="Brand voice", current_version="3")
    FoundationDocumentUse.objects.create(use_case=use_case, document=document, version="2")
    SecurityReview.objects.create(
        use_case=use_case,
        state=choices.ReviewState.APPROVED,
        source=choices.ReviewSource.IMPORTED_ATO,
        authorisation_reference="DOE General Support System",
        requested_at=timezone.now() - timedelta(days=30),
        decided_at=timezone.now() - timedelta(days=20),
        expires_at=timezone.now() + timedelta(days=340),
        reviewer=UserFactory(first_name="Rita", last_name="Reviewer"),
    )

    response = client_logged_in.get(use_case.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    for heading in (
        "Purpose",
        "Ownership",
        "Lifecycle and where it runs",
        "Risk tier",
        "Data access",
        "Credentials",
        "Vendors and models",
        "Connections",
        "Foundation documents",
        "Security reviews",
        "Usage",
        "Imported from",
    ):
        assert f">{heading}</h2>" in html, heading
    for fact in (
        "Finds leads.",
        "A list of leads.",
        "Agentic AI",
        "Bureau of Tests",
        "Department of Examples",
        str(use_case.owner),
        "Backup Person",
        "Builder Person",
        "sales-ai@example.com",
        "n8n",
        "Reads confidential data (CRM)",
        "CRM",
        "Confidential",
        "Reads and writes",
        "Enrich leads",
        "HubSpot API key",
        "Environment file on a laptop",
        "Unsafe storage",
        "2 Jan 2025",
        "Breeze",
        "Campaign workflow",
        "Lead lists",
        "Content workflow",
        "Brand voice",
        "Outdated: current is 3",
        "Authority to operate (imported)",
        "DOE General Support System",
        "Rita Reviewer",
        "12.5",
        "199.00",
        "inventory.csv",
        "<details>",
        "use_case_name",
        "Uses a credential stored unsafely: HubSpot API key (environment file on a laptop)",
    ):
        assert fact in html, fact

    # Staff of another team see the public fields, not where the credential is kept.
    other = UserFactory()
    other.groups.add(Group.objects.get(name="staff"))
    client_logged_in.force_login(other)
    html = client_logged_in.get(use_case.get_absolute_url()).content.decode()
    assert "HubSpot API key" in html and "Reads confidential data (CRM)" in html
    for secret_detail in ("Environment file on a laptop", "environment file on a laptop", "2 Jan 2025"):
        assert secret_detail not in html, secret_detail
    assert "Uses a credential stored unsafely (details are visible to its team" in html


def test_detail_page_of_an_imported_mailbox_only_use_case(client_logged_in):
    use_case = UseCaseFactory(owner=None, contact_email="ai@agency.gov", lifecycle_stage="")
    html = client_logged_in.get(use_case.get_absolute_url()).content.decode()
    assert "No named owner" in html and "ai@agency.gov" in html and "not reported" in html
    assert "Never reviewed." in html


def test_detail_page_404_for_a_missing_id(client_logged_in):
    assert client_logged_in.get(reverse("registry:use_case_detail", args=[987654])).status_code == 404


# --- teams and vendors -----------------------------------------------------------------------


def test_team_list_nests_bureaus_under_agencies_with_counts(client_logged_in, agency):
    bureau = agency.children.get(slug="doe-bot")
    UseCaseFactory(team=agency)
    UseCaseFactory.create_batch(2, team=bureau)
    TeamFactory(name="Marketing", slug="marketing")

    response = client_logged_in.get(reverse("registry:team_list"))

    assert response.status_code == 200
    teams = {node.slug: node for node in response.context["teams"]}
    assert set(teams) == {"doe", "marketing"}
    assert [child.slug for child in teams["doe"].children] == ["doe-bot", "doe-oos"]
    assert teams["doe"].use_case_count == 3 and teams["doe"].children[0].own_count == 2
    assert teams["marketing"].use_case_count == 0
    html = response.content.decode()
    assert 'href="/use-cases/?team=doe">3</a>' in html and 'href="/use-cases/?team=doe-bot">2</a>' in html


@override_settings(CATALOG_PAGE_SIZE=5)
def test_team_detail_lists_members_children_and_its_use_cases(client_logged_in, agency):
    bureau = agency.children.get(slug="doe-bot")
    lead = UserFactory(first_name="Lena", last_name="Lead")
    MembershipFactory(team=agency, user=lead, role=MembershipRole.LEAD)
    MembershipFactory(team=agency, user=UserFactory(first_name="Mo", last_name="Member"))
    own = UseCaseFactory.create_batch(3, team=agency)
    children = UseCaseFactory.create_batch(4, team=bureau)
    UseCaseFactory(team=TeamFactory())  # another agency's

    response = client_logged_in.get(reverse("registry:team_detail", args=["doe"]))

    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 7
    page2 = client_logged_in.get(reverse("registry:team_detail", args=["doe"]), {"page": "2"})
    assert set(listed(response)) | set(listed(page2)) == {uc.pk for uc in own + children}
    html = response.content.decode()
    assert "Lena Lead" in html and "Lead</span>" in html and "Mo Member" in html
    assert "Bureau of Tests" in html and "4 use cases" in html
    assert 'href="/use-cases/?team=doe"' in html
    assert "Page 1 of 2" in html
    assert (
        client_logged_in.get(reverse("registry:team_detail", args=["doe"]), {"page": "x"}).status_code == 200
    )
    assert client_logged_in.get(reverse("registry:team_detail", args=["nope"])).status_code == 404


def test_vendor_list_and_detail(client_logged_in):
    vendor = VendorFactory(name="OpenAI", slug="openai")
    gpt = AIModelFactory(vendor=vendor, name="GPT-4o")
    AIModelFactory(vendor=vendor, name="Whisper")
    calling = UseCaseFactory.create_batch(2)
    VendorUseFactory(use_case=calling[0], vendor=vendor, model=gpt)
    VendorUseFactory(use_case=calling[0], vendor=vendor)  # same use case, vendor without a model
    VendorUseFactory(use_case=calling[1], vendor=vendor, model=gpt)
    VendorFactory(name="Unused", slug="unused")
    UseCaseFactory()

    listing = client_logged_in.get(reverse("registry:vendor_list"))
    assert listing.status_code == 200
    counts = {v.slug: v.use_case_count for v in listing.context["vendors"]}
    assert counts == {"openai": 2, "unused": 0}
    assert 'href="/use-cases/?vendor=openai">2</a>' in listing.content.decode()

    detail = client_logged_in.get(reverse("registry:vendor_detail", args=["openai"]))
    assert detail.status_code == 200
    assert sorted(listed(detail)) == sorted(uc.pk for uc in calling)
    assert {m.name: m.use_case_count for m in detail.context["models"]} == {"GPT-4o": 2, "Whisper": 0}
    assert 'href="/use-cases/?vendor=openai"' in detail.content.decode()
    assert client_logged_in.get(reverse("registry:vendor_detail", args=["nope"])).status_code == 404


# --- SQL query ceilings ----------------------------------------------------------------------


@override_settings(CATALOG_PAGE_SIZE=100)
def test_catalog_query_count_does_not_grow_with_rows(client_logged_in):
    make_rows(10)
    few, response = count_queries(client_logged_in, f"{CATALOG}?sort=name")
    assert len(listed(response)) == 10
    make_rows(90)
    many, response = count_queries(client_logged_in, f"{CATALOG}?sort=name")
    assert len(listed(response)) == 100
    assert few == many
    # session, user, the asker's standing (groups, memberships), count, rows, vendors
    # (prefetch), teams (picker), vendors (picker)
    assert many <= 9

    filtered, _ = count_queries(
        client_logged_in, f"{CATALOG}?team={response.context['use_cases'][0].team.slug}"
    )
    assert filtered <= 10  # + the team filter's lookup
    partial, _ = count_queries(client_logged_in, f"{CATALOG}?sort=name", **{"HX-Request": "true"})
    assert partial <= 7  # no pickers in the partial


@override_settings(CATALOG_PAGE_SIZE=100)
def test_team_and_vendor_detail_query_counts_do_not_grow_with_rows(client_logged_in):
    team = TeamFactory(slug="big", kind=TeamKind.ORGANISATION)
    vendor = VendorFactory(slug="v")
    MembershipFactory(team=team)
    make_rows(10, team=team, vendor=vendor)
    team_few, _ = count_queries(client_logged_in, reverse("registry:team_detail", args=["big"]))
    vendor_few, _ = count_queries(client_logged_in, reverse("registry:vendor_detail", args=["v"]))
    make_rows(90, team=team, vendor=vendor)
    MembershipFactory.create_batch(5, team=team)
    team_many, response = count_queries(client_logged_in, reverse("registry:team_detail", args=["big"]))
    assert len(listed(response)) == 100
    vendor_many, response = count_queries(client_logged_in, reverse("registry:vendor_detail", args=["v"]))
    assert len(listed(response)) == 100
    assert team_few == team_many and vendor_few == vendor_many
    assert team_many <= 10 and vendor_many <= 9  # incl. the asker's standing (2)


def test_list_and_detail_pages_query_counts_are_bounded(client_logged_in, agency):
    rows = make_rows(30, team=agency)
    team_list, _ = count_queries(client_logged_in, reverse("registry:team_list"))
    vendor_list, _ = count_queries(client_logged_in, reverse("registry:vendor_list"))
    detail, _ = count_queries(client_logged_in, rows[0].get_absolute_url())
    assert team_list <= 6 and vendor_list <= 5  # incl. the asker's standing (2)
    # 17: the use case page's "Shared library" section reads its usage reports, and its library
    # entry with the entry it was adopted from (2 queries, issue 6).
    assert detail <= 17


@pytest.mark.django_db
def test_catalog_lists_a_vendor_once_when_two_of_its_models_are_used(client_logged_in):
    from tests.factories import AIModelFactory, UseCaseFactory, VendorFactory, VendorUseFactory

    vendor = VendorFactory(name="OpenAI")
    use_case = UseCaseFactory(name="Two-model assistant")
    for model in (AIModelFactory(vendor=vendor, name="GPT-4o"), AIModelFactory(vendor=vendor, name="o3")):
        VendorUseFactory(use_case=use_case, vendor=vendor, model=model)
    html = client_logged_in.get("/use-cases/").content.decode()
    row = html[html.index("Two-model assistant") :]
    row = row[: row.index("</tr>")]
    assert row.count("OpenAI") == 1
