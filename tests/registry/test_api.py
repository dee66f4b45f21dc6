"""The read-only API: token login, the use-case list (filters, search, sort, pagination),
a use case in full, teams and vendors, and query ceilings that do not grow with page size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import api_token_create, key_hash
from registry import choices
from registry.models import FoundationDocument, FoundationDocumentUse, UseCase
from tests.factories import (
    AIModelFactory,
    ConnectionFactory,
    CredentialFactory,
    CredentialUseFactory,
    DataAccessFactory,
    DataSourceFactory,
    SecurityReviewFactory,
    TeamFactory,
    UseCaseFactory,
    UserFactory,
    VendorFactory,
    VendorUseFactory,
)

LIST_URL = "/api/use-cases/"
PASSWORD = "correct horse battery staple"  # UserFactory's


@pytest.fixture
def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def names(response):
    return [row["name"] for row in response.json()["results"]]


# --- token login ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_token_login_returns_a_token_that_authenticates_api_calls():
    person = UserFactory(username="ana")
    UseCaseFactory(name="Chatbot for benefits questions")
    client = APIClient()

    response = client.post("/api/auth/token/", {"username": "ana", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    token = response.json()["token"]
    # Only the key's hash is kept.
    assert ApiToken.objects.get(user=person).key_hash == key_hash(token)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listed = client.get(LIST_URL)
    assert listed.status_code == 200
    assert names(listed) == ["Chatbot for benefits questions"]
    # Asking again creates another token (a key is never stored, so it cannot be handed out
    # twice); each is listed, and revocable, on the person's profile page.
    again = APIClient().post("/api/auth/token/", {"username": "ana", "password": PASSWORD}, format="json")
    assert set(again.json()) == {"token"} and again.json()["token"] != token
    assert ApiToken.objects.filter(user=person).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "error_field"),
    [
        ({"username": "ana", "password": "wrong"}, "non_field_errors"),
        ({"username": "nobody", "password": PASSWORD}, "non_field_errors"),
        ({"username": "ana"}, "password"),
        ({}, "username"),
    ],
)
def test_token_login_with_bad_credentials_answers_400_with_field_errors(payload, error_field):
    UserFactory(username="ana")

    response = APIClient().post("/api/auth/token/", payload, format="json")

    assert response.status_code == 400
    assert error_field in response.json()
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_token_login_refuses_a_deactivated_person():
    UserFactory(username="gone", is_active=False)

    response = APIClient().post("/api/auth/token/", {"username": "gone", "password": PASSWORD}, format="json")

    assert response.status_code == 400


@pytest.mark.django_db
def test_a_wrong_token_is_refused():
    UseCaseFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    assert client.get(LIST_URL).status_code == 401


# --- the list --------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", [LIST_URL, f"{LIST_URL}1/", "/api/teams/", "/api/vendors/"])
def test_without_login_the_api_answers_401_and_shows_nothing(url):
    UseCaseFactory(name="Secret-ish tool")

    response = APIClient().get(url)

    assert response.status_code == 401
    assert "Secret-ish tool" not in response.content.decode()


def test_list_has_count_next_previous_results(api):
    agency = TeamFactory(name="Department of Examples", slug="doe")
    bureau = TeamFactory(name="Bureau of Samples", slug="bos", parent=agency)
    vendor = VendorFactory(name="OpenAI", slug="openai")
    use_case = UseCaseFactory(
        name="Benefits chatbot",
        team=bureau,
        kind=choices.UseCaseKind.AGENT,
        lifecycle_stage=choices.LifecycleStage.PRODUCTION,
        external_id="DOE-42",
    )
    VendorUseFactory(use_case=use_case, vendor=vendor)
    VendorUseFactory(use_case=use_case, vendor=vendor, model=AIModelFactory(vendor=vendor, name="GPT-4o"))
    for _ in range(2):
        UseCaseFactory()

    response = api.get(LIST_URL, {"page_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert body["previous"] is None
    assert "page=2" in body["next"]
    row = body["results"][0]
    assert row["name"] == "Benefits chatbot"
    assert row["id"] == use_case.pk
    assert row["url"].endswith(f"/api/use-cases/{use_case.pk}/")
    assert row["kind"] == "agent"
    assert row["lifecycle_stage"] == "production"
    assert row["team"] == {
        "id": bureau.pk,
        "slug": "bos",
        "name": "Bureau of Samples",
        "parent": {"id": agency.pk, "slug": "doe", "name": "Department of Examples"},
    }
    assert row["owner"] == {
        "id": use_case.owner.pk,
        "username": use_case.owner.username,
        "name": use_case.owner.get_full_name(),
        "email": use_case.owner.email,
    }
    assert row["has_named_owner"] is True
    # The vendor once, though two of its models are used.
    assert row["vendors"] == [{"id": vendor.pk, "slug": "openai", "name": "OpenAI"}]
    assert row["risk_tier"] == "low"
    assert row["review_status"] == "none"
    assert row["external_id"] == "DOE-42"
    assert set(row) == {
        "id",
        "url",
        "name",
        "purpose",
        "kind",
        "lifecycle_stage",
        "team",
        "owner",
        "contact_email",
        "has_named_owner",
        "vendors",
        "risk_tier",
        "review_status",
        "is_high_impact",
        "handles_personal_data",
        "external_id",
        "updated_at",
    }
    second = api.get(body["next"]).json()
    assert second["previous"] is not None
    assert second["next"] is None
    assert len(second["results"]) == 1


def test_a_use_case_with_only_a_mailbox_has_no_named_owner(api):
    UseCaseFactory(name="Mailbox only", owner=None, contact_email="ai@agency.gov")

    row = api.get(LIST_URL).json()["results"][0]

    assert row["owner"] is None
    assert row["has_named_owner"] is False
    assert row["contact_email"] == "ai@agency.gov"
    assert api.get(LIST_URL, {"named_owner": "false"}).json()["count"] == 1
    assert api.get(LIST_URL, {"named_owner": "true"}).json()["count"] == 0


@pytest.mark.parametrize("param", ["search", "q"])
def test_search_finds_by_words_of_name_and_purpose(api, param):
    UseCaseFactory(name="Benefits chatbot", purpose="Answers questions from the public.")
    UseCaseFactory(name="Invoice matcher", purpose="A chatbot that explains invoice holds to vendors.")
    UseCaseFactory(name="Fraud model", purpose="Scores claims.")

    response = api.get(LIST_URL, {param: "chatbot"})

    assert response.status_code == 200
    # Relevance by default when searching: the name hit ranks first.
    assert names(response) == ["Benefits chatbot", "Invoice matcher"]


def test_two_filters_combine(api):
    production_agent = UseCaseFactory(
        name="Production agent", kind="agent", lifecycle_stage=choices.LifecycleStage.PRODUCTION
    )
    UseCaseFactory(name="Pilot agent", kind="agent", lifecycle_stage=choices.LifecycleStage.PILOT)
    UseCaseFactory(
        name="Production GPT", kind="custom_gpt", lifecycle_stage=choices.LifecycleStage.PRODUCTION
    )

    response = api.get(LIST_URL, {"stage": "production", "kind": "agent"})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [production_agent.pk]
    # Repeating a multiple-choice filter means "either".
    either = api.get(f"{LIST_URL}?stage=production&stage=pilot&kind=agent")
    assert names(either) == ["Pilot agent", "Production agent"]


def test_team_filter_includes_the_bureaus_of_an_agency_and_vendor_filter_by_slug(api):
    agency = TeamFactory(slug="doe")
    bureau = TeamFactory(slug="bos", parent=agency)
    other = TeamFactory(slug="other")
    at_agency = UseCaseFactory(name="At the agency", team=agency)
    at_bureau = UseCaseFactory(name="At the bureau", team=bureau)
    elsewhere = UseCaseFactory(name="Elsewhere", team=other)
    anthropic = VendorFactory(slug="anthropic")
    VendorUseFactory(use_case=at_bureau, vendor=anthropic)
    VendorUseFactory(use_case=elsewhere, vendor=anthropic)

    assert names(api.get(LIST_URL, {"team": "doe"})) == [at_agency.name, at_bureau.name]
    assert names(api.get(LIST_URL, {"vendor": "anthropic"})) == [at_bureau.name, elsewhere.name]
    assert names(api.get(LIST_URL, {"vendor": "anthropic", "team": "doe"})) == [at_bureau.name]


def test_personal_data_filter_counts_what_the_data_sources_hold(api):
    crm = DataSourceFactory(name="CRM", has_customer_data=True)
    flagged = UseCaseFactory(name="Flagged", handles_personal_data=True)
    reads_crm = UseCaseFactory(name="Reads the CRM")
    DataAccessFactory(use_case=reads_crm, data_source=crm)
    UseCaseFactory(name="Neither")

    assert names(api.get(LIST_URL, {"personal_data": "true"})) == [flagged.name, reads_crm.name]
    assert names(api.get(LIST_URL, {"personal_data": "false"})) == ["Neither"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"stage": "someday"}, "stage"),
        ({"kind": "robot"}, "kind"),
        ({"risk_tier": "extreme"}, "risk_tier"),
        ({"review_status": "maybe"}, "review_status"),
        ({"team": "no-such-team"}, "team"),
        ({"vendor": "no-such-vendor"}, "vendor"),
        ({"sort": "colour"}, "sort"),
        # Yes/no filters: anything but true/false would silently mean "no filter".
        ({"high_impact": "maybe"}, "high_impact"),
        ({"personal_data": "1"}, "personal_data"),
        ({"named_owner": "yes"}, "named_owner"),
    ],
)
def test_invalid_filter_values_answer_400_with_field_errors(api, params, field):
    UseCaseFactory()

    response = api.get(LIST_URL, params)

    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    assert isinstance(body[field], list) and body[field]


def test_a_page_past_the_end_answers_404_json(api):
    UseCaseFactory()

    response = api.get(LIST_URL, {"page": 9})

    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["alpha", "bravo", "charlie"]),
        ("name", ["alpha", "bravo", "charlie"]),
        ("-name", ["charlie", "bravo", "alpha"]),
        ("updated", ["bravo", "charlie", "alpha"]),
        ("-updated", ["alpha", "charlie", "bravo"]),
        ("risk", ["charlie", "alpha", "bravo"]),
        # Relevance without a search falls back to the default order, as on the catalog page.
        ("relevance", ["alpha", "bravo", "charlie"]),
    ],
)
def test_sort(api, sort, expected):
    now = timezone.now()
    for name, minutes_ago, tier in [
        ("alpha", 30, "medium"),
        ("bravo", 10, "low"),
        ("charlie", 20, "critical"),
    ]:
        use_case = UseCaseFactory(name=name)
        # updated_at is auto_now: set it (and the computed risk tier) with an UPDATE.
        UseCase.objects.filter(pk=use_case.pk).update(
            updated_at=now - timezone.timedelta(minutes=minutes_ago), risk_tier=tier
        )

    response = api.get(LIST_URL, {"sort": sort} if sort else {})

    assert response.status_code == 200
    assert names(response) == expected


def test_page_size_is_capped_at_200(api):
    team = TeamFactory()
    UseCase.objects.bulk_create(
        UseCase(name=f"Bulk {n:03}", purpose="x", kind="agent", team=team) for n in range(205)
    )

    body = api.get(LIST_URL, {"page_size": 1000}).json()

    assert body["count"] == 205
    assert len(body["results"]) == 200


# --- one use case in full -----------------------------------------------------------------------


def _rich_use_case(links: int = 1, prefix: str = ""):
    """A use case with ``links`` of each kind of related row (vendors, data, credentials...)."""
    use_case = UseCaseFactory(
        name="Prospecting agent",
        description="Finds leads.",
        technique=choices.AITechnique.AGENTIC,
        platform="n8n",
        sourcing=choices.Sourcing.IN_HOUSE,
        exposure=choices.Exposure.PARTNERS,
        backup_owner=UserFactory(),
        users_count=40,
        hours_saved_per_week="12.5",
        source_row=[["Use Case Name", "Prospecting agent"], ["Agency", "Example"]],
        risk_reasons=["Writes to CRM (confidential)"],
    )
    use_case.builders.add(*[UserFactory() for _ in range(links)])
    for n in range(links):
        vendor = VendorFactory(name=f"{prefix}Vendor {n}")
        VendorUseFactory(use_case=use_case, vendor=vendor, model=AIModelFactory(vendor=vendor))
        DataAccessFactory(
            use_case=use_case,
            data_source=DataSourceFactory(
                name=f"{prefix}CRM {n}", classification="confidential", has_customer_data=True
            ),
            access=choices.AccessMode.READ_WRITE,
            purpose="Looks up accounts",
        )
        CredentialUseFactory(
            use_case=use_case,
            credential=CredentialFactory(
                name=f"{prefix}HubSpot key {n}",
                issuer=vendor,
                storage=choices.CredentialStorage.LAPTOP_ENV_FILE,
                vault_reference="op://private/hubspot",
            ),
        )
        ConnectionFactory(source=use_case, target=UseCaseFactory(name=f"Downstream {n}"), what_flows="leads")
        ConnectionFactory(source=UseCaseFactory(name=f"Upstream {n}"), target=use_case)
        document = FoundationDocument.objects.create(name=f"{prefix}Brand voice {n}", current_version="v3")
        FoundationDocumentUse.objects.create(use_case=use_case, document=document, version="v2")
        SecurityReviewFactory(
            use_case=use_case,
            reviewer=UserFactory(),
            # One open review at most (a database constraint): older ones have expired.
            state=choices.ReviewState.REQUESTED if n == 0 else choices.ReviewState.EXPIRED,
            source=choices.ReviewSource.IMPORTED_ATO,
            authorisation_reference=f"System {n}",
            requested_at=timezone.now() - timezone.timedelta(days=n + 1),
        )
    return use_case


def test_detail_shows_everything_the_page_shows(api):
    use_case = _rich_use_case()

    response = api.get(f"{LIST_URL}{use_case.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Prospecting agent"
    assert body["description"] == "Finds leads."
    assert body["technique"] == "agentic"
    assert body["platform"] == "n8n"
    assert body["exposure"] == "partners"
    assert body["users_count"] == 40
    assert body["hours_saved_per_week"] == "12.5"
    assert body["risk_reasons"] == ["Writes to CRM (confidential)"]
    assert body["source_row"] == [["Use Case Name", "Prospecting agent"], ["Agency", "Example"]]
    assert body["backup_owner"]["id"] == use_case.backup_owner_id
    assert [b["id"] for b in body["builders"]] == [u.pk for u in use_case.builders.all()]
    vendor_use = use_case.vendor_uses.get()
    assert body["vendors"] == [
        {"id": vendor_use.vendor.pk, "slug": vendor_use.vendor.slug, "name": "Vendor 0"}
    ]
    assert body["vendor_uses"] == [
        {
            "vendor": {"id": vendor_use.vendor.pk, "slug": vendor_use.vendor.slug, "name": "Vendor 0"},
            "model": {"id": vendor_use.model.pk, "name": vendor_use.model.name},
        }
    ]
    data_source = use_case.data_accesses.get().data_source
    assert body["data_access"] == [
        {
            "data_source": {
                "id": data_source.pk,
                "name": "CRM 0",
                "classification": "confidential",
                "has_personal_data": False,
                "has_customer_data": True,
            },
            "access": "read_write",
            "purpose": "Looks up accounts",
        }
    ]
    credential = use_case.credential_uses.get().credential
    assert body["credentials"] == [
        {
            "id": credential.pk,
            "name": "HubSpot key 0",
            "kind": "api_key",
            "issuer": {"id": vendor_use.vendor.pk, "slug": vendor_use.vendor.slug, "name": "Vendor 0"},
            "purpose": "",
            "details": None,
        }
    ]
    # Someone outside the owning team gets no storage details (docs/permissions.md).
    assert "op://private/hubspot" not in response.content.decode()
    assert "laptop_env_file" not in response.content.decode()
    feeds, fed_by = body["connections"]["feeds"], body["connections"]["fed_by"]
    assert [(c["use_case"]["name"], c["what_flows"]) for c in feeds] == [("Downstream 0", "leads")]
    assert feeds[0]["use_case"]["url"].endswith(f"/api/use-cases/{feeds[0]['use_case']['id']}/")
    assert [c["use_case"]["name"] for c in fed_by] == ["Upstream 0"]
    assert body["foundation_documents"] == [
        {
            "document": {
                "id": FoundationDocument.objects.get().pk,
                "name": "Brand voice 0",
                "kind": "other",
                "current_version": "v3",
                "link": "",
            },
            "version": "v2",
            "is_outdated": True,
        }
    ]
    [review] = body["reviews"]
    assert review["state"] == "requested"
    assert review["source"] == "imported_ato"
    assert review["authorisation_reference"] == "System 0"
    assert review["reviewer"]["id"] == use_case.reviews.get().reviewer_id
    assert set(review) == {
        "id",
        "state",
        "source",
        "authorisation_reference",
        "reviewer",
        "requested_at",
        "decided_at",
        "expires_at",
    }


@pytest.mark.parametrize("pk", ["999999", "not-a-number"])
def test_an_unknown_use_case_answers_404_json(api, pk):
    UseCaseFactory()

    response = api.get(f"{LIST_URL}{pk}/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


def test_without_builder_rights_the_api_writes_nothing(api):
    """Registering and changing arrived with issue 4 (tests/registry/test_api_write.py): a
    person who builds for no team registers nothing (403), may not change what they only see
    (403), and nobody deletes through the API (405: only admins delete, in the admin)."""
    use_case = UseCaseFactory()

    assert api.post(LIST_URL, {"name": "x"}, format="json").status_code == 403
    assert api.patch(f"{LIST_URL}{use_case.pk}/", {"name": "x"}, format="json").status_code == 403
    assert api.delete(f"{LIST_URL}{use_case.pk}/").status_code == 405
    use_case.refresh_from_db()
    assert use_case.name != "x"


# --- teams and vendors ------------------------------------------------------------------------------


def test_teams_list_shows_parents(api):
    agency = TeamFactory(name="Department of Examples", slug="doe", abbreviation="DOE")
    TeamFactory(name="Bureau of Samples", slug="bos", parent=agency)

    body = api.get("/api/teams/").json()

    assert body["count"] == 2
    bureau, dept = body["results"]
    assert bureau["slug"] == "bos"
    assert bureau["parent"] == {"id": agency.pk, "slug": "doe", "name": "Department of Examples"}
    assert dept["parent"] is None
    assert api.get(bureau["url"]).json()["slug"] == "bos"


def test_vendors_list_shows_models(api):
    vendor = VendorFactory(name="Anthropic", slug="anthropic")
    AIModelFactory(vendor=vendor, name="Claude")
    VendorFactory(name="OpenAI", slug="openai")

    body = api.get("/api/vendors/").json()

    assert [v["slug"] for v in body["results"]] == ["anthropic", "openai"]
    assert body["results"][0]["models"] == [{"id": vendor.models.get().pk, "name": "Claude"}]
    assert body["results"][1]["models"] == []


# --- query ceilings -------------------------------------------------------------------------------


def _count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries), response.json()


def _populate_use_cases(n, teams, vendors):
    for i in range(n):
        use_case = UseCaseFactory(team=teams[i % len(teams)])
        VendorUseFactory(use_case=use_case, vendor=vendors[i % len(vendors)])
        VendorUseFactory(use_case=use_case, vendor=vendors[(i + 1) % len(vendors)])


#: Measured: count + page + vendors prefetch, the token lookup, and the asker's standing
#: (role groups, team memberships) read once per request. A ceiling, not a target.
LIST_QUERY_CEILING = 6


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_page_size():
    person = UserFactory()
    key = api_token_create(user=person, name="query counts").key
    # Used a moment ago: last_used_at is written at most once a minute, not in a counted request.
    ApiToken.objects.update(last_used_at=timezone.now())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    agency = TeamFactory()
    teams = [agency, TeamFactory(parent=agency), TeamFactory()]
    vendors = [VendorFactory() for _ in range(3)]

    filters = {"team": agency.slug, "vendor": vendors[0].slug, "sort": "risk"}

    _populate_use_cases(10, teams, vendors)
    ten, body = _count_queries(client, LIST_URL)
    assert len(body["results"]) == 10
    ten_filtered, _ = _count_queries(client, LIST_URL, filters)

    _populate_use_cases(90, teams, vendors)
    hundred, body = _count_queries(client, LIST_URL, {"page_size": 100})
    assert len(body["results"]) == 100
    hundred_filtered, body = _count_queries(client, LIST_URL, {"page_size": 100, **filters})
    assert body["count"] > 10

    print(
        f"API list queries: 10 rows {ten}, 100 rows {hundred}; "
        f"filtered by team+vendor: 10 rows {ten_filtered}, 100 rows {hundred_filtered}"
    )
    assert ten == hundred
    # Each model-choice filter looks its value up once (team slug, vendor slug).
    assert ten_filtered == hundred_filtered == hundred + 2
    assert hundred <= LIST_QUERY_CEILING


#: Measured: the token lookup, the use case with its joins, then the prefetches of
#: ``use_case_detail``: builders, vendor uses, data access, credential uses, reviews, and two
#: each for feeds (+ targets), fed by (+ sources) and foundation documents (+ documents); and
#: the asker's standing (role groups, team memberships).
DETAIL_QUERY_CEILING = 15


@pytest.mark.django_db
def test_detail_query_count_is_fixed():
    person = UserFactory()
    key = api_token_create(user=person, name="query counts").key
    # Used a moment ago: last_used_at is written at most once a minute, not in a counted request.
    ApiToken.objects.update(last_used_at=timezone.now())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    small, large = _rich_use_case(links=1), _rich_use_case(links=6, prefix="large ")

    one, body = _count_queries(client, f"{LIST_URL}{small.pk}/")
    six, body_large = _count_queries(client, f"{LIST_URL}{large.pk}/")

    print(f"API detail queries: 1 of each link {one}, 6 of each {six}")
    assert len(body_large["data_access"]) == len(body_large["reviews"]) == 6
    assert one == six <= DETAIL_QUERY_CEILING


def test_team_and_vendor_lists_query_counts_are_fixed(api):
    agency = TeamFactory()
    for _ in range(3):
        AIModelFactory(vendor=VendorFactory())
        TeamFactory(parent=agency)
    teams_small, _ = _count_queries(api, "/api/teams/")
    vendors_small, _ = _count_queries(api, "/api/vendors/")
    for _ in range(20):
        AIModelFactory(vendor=VendorFactory())
        TeamFactory(parent=agency)

    assert _count_queries(api, "/api/teams/")[0] == teams_small
    assert _count_queries(api, "/api/vendors/")[0] == vendors_small


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "team_member", "sees_details"),
    [
        ("builder", True, True),
        ("builder", False, False),
        ("staff", True, False),
        ("staff", False, False),
        ("library curator", False, False),
        ("security reviewer", False, True),
        ("incident responder", False, True),
    ],
)
def test_credential_details_in_the_detail_follow_the_matrix(role, team_member, sees_details):
    from django.contrib.auth.models import Group

    from tests.factories import CredentialFactory, CredentialUseFactory, MembershipFactory

    use_case = UseCaseFactory(
        risk_reasons=["uses a credential stored unsafely: HubSpot key (environment file on a laptop)"]
    )
    CredentialUseFactory(
        use_case=use_case,
        credential=CredentialFactory(
            name="HubSpot key",
            storage=choices.CredentialStorage.LAPTOP_ENV_FILE,
            vault_reference="op://mk/hs",
        ),
    )
    person = UserFactory()
    person.groups.add(Group.objects.get(name=role))
    if team_member:
        MembershipFactory(user=person, team=use_case.team)

    client = APIClient()
    client.force_authenticate(person)
    response = client.get(f"/api/use-cases/{use_case.pk}/")

    assert response.status_code == 200
    body = response.json()
    details = body["credentials"][0]["details"]
    text = response.content.decode()
    if sees_details:
        assert details["storage"] == "laptop_env_file" and details["storage_is_unsafe"] is True
        assert details["vault_reference"] == "op://mk/hs"
        assert "environment file on a laptop" in body["risk_reasons"][0]
    else:
        assert details is None
        assert "op://mk/hs" not in text and "laptop" not in text
        assert body["risk_reasons"] == [
            "uses a credential stored unsafely (details are visible to its team and the security team)"
        ]
