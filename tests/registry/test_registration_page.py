"""The registration page (``/use-cases/new/``, ``/use-cases/<pk>/edit/``): registering with a
data source and a credential without JavaScript, htmx's in-place rows, field errors (never a
500), the secret corpus refused with no trace, permissions, the risk preview, the similar
hint's endpoint, the connection picker and submitting for review.

Forms are filled as a browser would: the page is fetched and parsed, and the values it holds
are sent back with the changes a person makes (``PageForm``).
"""

import datetime as dt
import logging
import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from accounts.choices import MembershipRole
from registry.choices import CredentialStorage, DataClassification, ReviewState, ReviewStatus, RiskTier
from registry.models import (
    Credential,
    DataSource,
    HistoryEntry,
    SecretRefusal,
    SecurityReview,
    UseCase,
    Vendor,
)
from registry.secret_guard import secret_message, secret_scan
from tests.factories import (
    CredentialFactory,
    DataSourceFactory,
    MembershipFactory,
    TeamFactory,
    UseCaseFactory,
    UserFactory,
    VendorFactory,
)
from tests.registry.secret_corpus import fake_secrets
from tests.registry.test_secret_guard import FAKE_IDS, FAKES, assert_nowhere, database_hits, in_prose

NEW_URL = "/use-cases/new/"


class PageForm(HTMLParser):
    """The registration form's fields with the values a browser would send: text and hidden
    inputs, ticked checkboxes, each select's selected option (else its first), textareas.
    Buttons are left out (the test says which one it presses)."""

    def __init__(self, html: str):
        super().__init__()
        self.data: dict[str, object] = {}
        self._in_form = False
        self._select = None
        self._select_first = None
        self._select_multiple = False
        self._textarea = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "use-case-form":
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value", "on")
            elif kind not in ("submit", "button"):
                self.data[name] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self._select, self._select_first = name, None
            self._select_multiple = "multiple" in a
            if self._select_multiple:
                self.data[name] = []
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                if self._select_multiple:
                    self.data[self._select].append(value)
                else:
                    self.data[self._select] = value

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            # A browser drops the newline that follows <textarea> (Django writes one).
            self.data[self._textarea] = self.data[self._textarea].removeprefix("\n")
            self._textarea = None
        elif tag == "select" and self._select:
            if not self._select_multiple and self._select not in self.data:
                self.data[self._select] = self._select_first or ""
            self._select = None
        elif tag == "form" and self._in_form:
            self._in_form = False


def page_data(response) -> dict:
    assert response.status_code == 200, response.status_code
    return PageForm(response.content.decode()).data


@pytest.fixture
def marketing(db):
    return TeamFactory(name="Marketing", slug="marketing")


@pytest.fixture
def builder(marketing):
    person = UserFactory(username="bea", first_name="Bea", last_name="Builder")
    person.groups.add(Group.objects.get(name="builder"))
    MembershipFactory(user=person, team=marketing)
    return person


@pytest.fixture
def lead(marketing):
    person = UserFactory(username="lee", first_name="Lee", last_name="Lead")
    person.groups.add(Group.objects.get(name="builder"))
    MembershipFactory(user=person, team=marketing, role=MembershipRole.LEAD)
    return person


@pytest.fixture
def sales(db):
    return TeamFactory(name="Sales", slug="sales")


@pytest.fixture
def page(client, builder):
    client.force_login(builder)
    return client


def required(data: dict, **extra) -> dict:
    """``data`` with the five required fields and one vendor filled in."""
    return {
        **data,
        "name": "Competitive analysis GPT",
        "purpose": "Summarises competitors' launches for the sales team.",
        "kind": "custom_gpt",
        "platform": "ChatGPT Enterprise",
        "vendors-0-new_vendor_name": "OpenAI",
        "vendors-0-model_name": "GPT-4o",
        **extra,
    }


def add_row(client, url, data, prefix, *, htmx=False):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(url, {**data, "add": prefix}, **headers)


# --- registering ---------------------------------------------------------------------------------


def test_the_page_asks_five_things_and_a_vendor_with_the_team_defaulting_to_theirs(page, marketing, sales):
    html = page.get(NEW_URL).content.decode()
    data = PageForm(html).data

    assert html.count('class="required-mark"') == 6  # name, purpose, kind, team, where it runs, vendor
    assert data["team"] == str(marketing.pk)
    team_select = html[
        html.index('<select name="team"') : html.index("</select>", html.index('<select name="team"'))
    ]
    assert (
        team_select.count("<option") == 1 and "Sales" not in team_select
    )  # only teams they may register for
    assert 'id="similar"' in html and 'hx-trigger="input changed delay:400ms from:#id_name' in html
    assert 'id="risk-preview"' in html
    # Keyboard: every input has a label, fieldsets have legends, help is linked.
    assert '<label for="id_name">' in html and "<legend>What it is</legend>" in html
    assert 'aria-describedby="id_name-help"' in html


def test_registering_without_javascript_with_a_new_data_source_and_credential(page, builder, marketing):
    data = page_data(page.get(NEW_URL))
    # "Add a data source", then "Add a credential": plain POSTs that come back with a row more.
    data = page_data(add_row(page, NEW_URL, required(data), "data_accesses"))
    assert data["data_accesses-TOTAL_FORMS"] == "1"
    assert data["data_accesses-0-new_source_classification"] == DataClassification.INTERNAL
    data["data_accesses-0-new_source_name"] = "Competitor pricing sheet"
    data["data_accesses-0-new_source_classification"] = DataClassification.CONFIDENTIAL
    data["data_accesses-0-access"] = "read_write"
    data["data_accesses-0-purpose"] = "Reads prices, writes summaries"
    data = page_data(add_row(page, NEW_URL, data, "credentials"))
    data.update(
        {
            "credentials-0-name": "OpenAI key, marketing",
            "credentials-0-storage": CredentialStorage.SECRETS_MANAGER,
            "credentials-0-vault_reference": "vault://marketing/openai",
            "credentials-0-last_rotated_on": "2026-10-01",
            "credentials-0-expires_on": "2027-10-01",
            "credentials-0-purpose": "Model calls",
        }
    )

    response = page.post(NEW_URL, {**data, "action": "register"})

    use_case = UseCase.objects.get(name="Competitive analysis GPT")
    assert response.status_code == 302 and response["Location"] == use_case.get_absolute_url()
    assert (use_case.team, use_case.owner, use_case.is_draft) == (marketing, builder, False)
    assert list(use_case.builders.all()) == [builder]
    assert [(vu.vendor.name, vu.model.name) for vu in use_case.vendor_uses.all()] == [("OpenAI", "GPT-4o")]
    access = use_case.data_accesses.get()
    assert (access.data_source.name, access.data_source.classification, access.access) == (
        "Competitor pricing sheet",
        DataClassification.CONFIDENTIAL,
        "read_write",
    )
    credential = use_case.credentials.get()
    assert (credential.storage, credential.vault_reference, credential.owner, credential.expires_on) == (
        CredentialStorage.SECRETS_MANAGER,
        "vault://marketing/openai",
        builder,
        dt.date(2027, 10, 1),
    )
    assert use_case.risk_tier == RiskTier.MEDIUM  # confidential data (2) that it writes (2)
    assert "writes to a confidential data source (Competitor pricing sheet)" in use_case.risk_reasons
    assert HistoryEntry.objects.filter(use_case=use_case, action="create").exists()
    detail = page.get(response["Location"]).content.decode()
    assert "Registered. Submit it for security review" in detail
    assert "Submit for security review" in detail


def test_htmx_add_swaps_just_that_fieldset_with_a_focused_new_row(page):
    data = required(page_data(page.get(NEW_URL)))

    response = add_row(page, NEW_URL, data, "credentials", htmx=True)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<fieldset id="fs-credentials"') and "<html" not in html
    assert 'name="credentials-TOTAL_FORMS" value="1"' in html
    assert 'id="id_credentials-0-credential"' in html and "autofocus" in html
    assert "This field is required" not in html  # adding a row is not saving: no errors yet
    assert not UseCase.objects.exists()


def test_save_as_draft_then_submit_for_review(page, builder):
    data = required(page_data(page.get(NEW_URL)))

    response = page.post(NEW_URL, {**data, "action": "draft"})

    use_case = UseCase.objects.get()
    assert use_case.is_draft and response["Location"] == use_case.get_absolute_url()
    detail = page.get(use_case.get_absolute_url()).content.decode()
    assert "Saved as a draft" in detail and "A draft: your team sees it" in detail

    submitted = page.post(reverse("registry:use_case_submit", args=[use_case.pk]))

    assert submitted.status_code == 302
    use_case.refresh_from_db()
    assert not use_case.is_draft and use_case.review_status == ReviewStatus.REQUESTED
    review = SecurityReview.objects.get(use_case=use_case)
    assert (review.state, review.requested_by) == (ReviewState.REQUESTED, builder)
    detail = page.get(use_case.get_absolute_url()).content.decode()
    assert 'Security review: <span class="status status-requested">Review requested</span>' in detail
    assert "Submit for security review</button>" not in detail  # one open review at a time
    assert page.get(reverse("registry:use_case_submit", args=[use_case.pk])).status_code == 405


# --- bad input: field errors, never a 500 ---------------------------------------------------------


def test_missing_fields_are_field_errors_linked_to_their_inputs_and_the_first_is_focused(page):
    data = page_data(page.get(NEW_URL))
    data.update(name="", purpose="Drafts battlecards", kind="custom_gpt", platform="")

    response = page.post(NEW_URL, {**data, "action": "register"})

    html = response.content.decode()
    assert response.status_code == 200 and not UseCase.objects.exists()
    assert '<small id="id_name-error" class="field-error">This field is required.</small>' in html
    assert 'aria-describedby="id_name-error id_name-help"' in html and 'aria-invalid="true"' in html
    name_input = html[html.index('name="name"') - 200 : html.index('name="name"') + 300]
    assert "autofocus" in name_input
    assert html.count("autofocus") == 1
    # The summary lists every error, linked to its input.
    assert '<a href="#id_name">Name: This field is required.</a>' in html
    assert '<a href="#id_platform">Where it runs: This field is required.</a>' in html
    # The vendor row is required too (the first row of its formset).
    assert 'id="id_vendors-0-new_vendor_name-error"' in html


def test_removing_every_vendor_gets_the_services_message(page):
    data = required(page_data(page.get(NEW_URL)), **{"vendors-0-DELETE": "on"})

    html = page.post(NEW_URL, {**data, "action": "register"}).content.decode()

    assert escape("Name at least one vendor or model it calls") in html
    assert not UseCase.objects.exists()


def test_a_forged_or_unknown_team_is_a_field_error(page, sales):
    data = required(page_data(page.get(NEW_URL)))

    for team in (str(sales.pk), "999999", "not-a-team"):
        response = page.post(NEW_URL, {**data, "team": team, "action": "register"})
        html = response.content.decode()
        assert response.status_code == 200
        assert "You can register use cases only for teams you belong to." in html
    assert not UseCase.objects.exists()


def test_an_expiry_before_the_last_rotation_is_an_error_on_the_expiry(page):
    data = page_data(add_row(page, NEW_URL, required(page_data(page.get(NEW_URL))), "credentials"))
    data.update(
        {
            "credentials-0-name": "HubSpot key",
            "credentials-0-last_rotated_on": "2026-05-01",
            "credentials-0-expires_on": "2026-04-01",
        }
    )

    html = page.post(NEW_URL, {**data, "action": "register"}).content.decode()

    assert (
        '<small id="id_credentials-0-expires_on-error" class="field-error">'
        "A credential cannot expire before it was last rotated.</small>"
    ) in html
    assert not UseCase.objects.exists() and not Credential.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "not-a-kind"},
        {"users_count": "many"},
        {"monthly_cost": "-5"},
        {"documentation_url": "not a url"},
        {"backup_owner": "999999"},
        {"builders": ["abc"]},
        {"vendors-TOTAL_FORMS": "x"},
        {"credentials-TOTAL_FORMS": "1", "credentials-0-credential": "999999"},
        {"credentials-TOTAL_FORMS": "1", "credentials-0-name": "Key", "credentials-0-issuer": "Nobody Inc"},
        {
            "credentials-TOTAL_FORMS": "1",
            "credentials-0-name": "Key",
            "credentials-0-expires_on": "31/31/2026",
        },
        {"data_accesses-TOTAL_FORMS": "1", "data_accesses-0-access": "delete"},
        {"feeds-TOTAL_FORMS": "1", "feeds-0-other": "999999"},
        {"documents-TOTAL_FORMS": "1", "documents-0-document": "1"},
        {"data_accesses-TOTAL_FORMS": "1", "data_accesses-0-purpose": "only a purpose"},
    ],
)
def test_bad_input_anywhere_is_an_error_on_the_page_never_a_500(page, changes):
    data = required(page_data(page.get(NEW_URL)), **changes)

    response = page.post(NEW_URL, {**data, "action": "register"})

    assert response.status_code == 200
    assert 'class="message message-error error-summary"' in response.content.decode()
    assert not UseCase.objects.exists()


# --- the secret guard ------------------------------------------------------------------------------


@pytest.mark.parametrize("fake", FAKES, ids=FAKE_IDS)
def test_each_fake_secret_pasted_into_the_purpose_is_refused_with_no_trace(page, builder, fake, caplog):
    caplog.set_level(logging.DEBUG)
    data = required(page_data(page.get(NEW_URL)), purpose=in_prose(fake))

    response = page.post(NEW_URL, {**data, "action": "register"})

    body = response.content.decode()
    assert response.status_code == 200
    assert (
        f'<small id="id_purpose-error" class="field-error">{escape(secret_message(secret_scan(fake.text)))}'
        in body
    )
    assert PageForm(body).data["purpose"] == ""  # blanked, not echoed
    assert PageForm(body).data["name"] == "Competitive analysis GPT"  # the rest is kept
    assert_nowhere(body, fake, "the page")
    assert_nowhere(caplog.text, fake, "the logs")
    assert not UseCase.objects.exists()
    assert database_hits([fake.needle]) == []
    assert list(SecretRefusal.objects.values_list("channel", "field", "secret_kind", "actor")) == [
        ("form", "purpose", fake.kind, builder.pk)
    ]


ROW_FIELDS = [
    ("credentials", "vault_reference"),
    ("credentials", "name"),
    ("credentials", "scope"),
    ("credentials", "purpose"),
    ("credentials", "issuer"),
    ("data_accesses", "new_source_name"),
    ("data_accesses", "purpose"),
    ("vendors", "model_name"),
    ("feeds", "what_flows"),
    ("feeds", "find"),
    ("documents", "version"),
]


@pytest.mark.parametrize(("prefix", "field"), ROW_FIELDS, ids=[f"{p}-{f}" for p, f in ROW_FIELDS])
def test_a_secret_in_any_row_is_refused_on_that_input_with_no_trace(page, builder, prefix, field, caplog):
    caplog.set_level(logging.DEBUG)
    fakes = fake_secrets(len(field) + len(prefix))
    fake = next(f for f in fakes if f.kind == "HubSpot private app token")
    data = required(page_data(page.get(NEW_URL)))
    if prefix != "vendors":
        data = page_data(add_row(page, NEW_URL, data, prefix))
    key = f"{prefix}-0-{field}"
    data[key] = fake.text

    response = page.post(NEW_URL, {**data, "action": "register"})

    body = response.content.decode()
    assert (
        f'<small id="id_{key}-error" class="field-error">{escape(secret_message(secret_scan(fake.text)))}'
        in body
    )
    assert_nowhere(body, fake, "the page")
    assert_nowhere(caplog.text, fake, "the logs")
    assert database_hits([fake.needle]) == []
    assert list(SecretRefusal.objects.values_list("channel", "field")) == [("form", key)]


def test_a_secret_is_refused_also_when_adding_a_row_without_javascript(page):
    fake = next(f for f in FAKES if f.kind == "OpenAI API key")
    data = required(page_data(page.get(NEW_URL)), description=fake.text)

    body = add_row(page, NEW_URL, data, "credentials").content.decode()

    assert_nowhere(body, fake, "the page")
    assert escape(secret_message(secret_scan(fake.text))) in body
    assert SecretRefusal.objects.get().field == "description"


def test_the_live_helpers_never_echo_or_count_a_secret(page, builder):
    fake = next(f for f in FAKES if f.kind == "Anthropic API key")
    UseCaseFactory(name="Anthropic key rotation helper", team=builder.memberships.get().team)
    data = page_data(add_row(page, NEW_URL, required(page_data(page.get(NEW_URL))), "data_accesses"))
    data.update(
        {
            "name": fake.text,
            "purpose": fake.text,
            "data_accesses-0-new_source_name": fake.text,
            "data_accesses-0-new_source_classification": "restricted",
        }
    )

    with CaptureQueriesContext(connection) as queries:
        similar = page.post(reverse("registry:use_case_similar"), data)
        preview = page.post(reverse("registry:use_case_risk_preview"), data)
        picker = page.post(reverse("registry:use_case_picker"), {"feeds-0-find": fake.text})

    for response in (similar, preview, picker):
        assert response.status_code == 200
        assert_nowhere(response.content.decode(), fake, "a live helper's answer")
    assert "Uses restricted data (a new data source)" in preview.content.decode()
    assert not any(fake.needle in q["sql"] for q in queries.captured_queries)
    assert not SecretRefusal.objects.exists()


# --- permissions -------------------------------------------------------------------------------------


def test_a_builder_cannot_edit_another_teams_use_case(page, sales):
    theirs = UseCaseFactory(team=sales, name="Sales forecaster")
    edit = reverse("registry:use_case_edit", args=[theirs.pk])

    assert page.get(edit).status_code == 404
    assert page.post(edit, {"name": "mine now", "action": "save"}).status_code == 404
    assert page.post(reverse("registry:use_case_submit", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Sales forecaster" and not theirs.reviews.exists()
    # Not even a hint: the detail page offers no Edit button.
    assert "Edit</a>" not in page.get(theirs.get_absolute_url()).content.decode()


def test_people_who_build_for_no_team_cannot_open_the_page(client, db):
    client.force_login(UserFactory())
    assert client.get(NEW_URL).status_code == 403
    assert 'href="/use-cases/new/"' not in client.get("/use-cases/").content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    assert client.get(NEW_URL)["Location"].startswith("/accounts/login/")
    assert client.post(reverse("registry:use_case_similar"), {"name": "x"})["Location"].startswith(
        "/accounts/login/"
    )


# --- editing ----------------------------------------------------------------------------------------


def test_editing_shows_what_it_touches_and_replaces_it(page, builder, marketing):
    source = DataSourceFactory(name="HubSpot", classification=DataClassification.RESTRICTED)
    key = CredentialFactory(name="HubSpot key", team=marketing, storage=CredentialStorage.LAPTOP_ENV_FILE)
    data = required(page_data(page.get(NEW_URL)))
    data = page_data(add_row(page, NEW_URL, data, "data_accesses"))
    data = page_data(add_row(page, NEW_URL, data, "credentials"))
    data.update({"data_accesses-0-data_source": str(source.pk), "credentials-0-credential": str(key.pk)})
    page.post(NEW_URL, {**data, "action": "register"})
    use_case = UseCase.objects.get()
    assert use_case.risk_tier == RiskTier.HIGH
    edit = reverse("registry:use_case_edit", args=[use_case.pk])

    data = page_data(page.get(edit))
    assert data["name"] == "Competitive analysis GPT"
    assert data["data_accesses-0-data_source"] == str(source.pk)
    assert data["credentials-0-credential"] == str(key.pk)
    assert data["vendors-0-new_vendor_name"] == "OpenAI"
    data["credentials-0-DELETE"] = "on"
    data["platform"] = "Custom GPT in ChatGPT"
    response = page.post(edit, {**data, "action": "save"})

    assert response.status_code == 302
    use_case.refresh_from_db()
    assert use_case.platform == "Custom GPT in ChatGPT"
    assert not use_case.credential_uses.exists() and use_case.data_accesses.count() == 1
    assert use_case.risk_tier == RiskTier.MEDIUM  # the unsafe key is gone
    assert Vendor.objects.filter(name="OpenAI").count() == 1


def test_a_builder_fills_a_missing_backup_owner_but_only_a_lead_replaces_one(
    client, builder, lead, marketing
):
    other = UserFactory(username="otto")
    MembershipFactory(user=other, team=marketing)
    use_case = UseCaseFactory(team=marketing, owner=builder, backup_owner=None, platform="ChatGPT Enterprise")
    use_case.vendor_uses.create(vendor=VendorFactory(name="OpenAI"))
    edit = reverse("registry:use_case_edit", args=[use_case.pk])
    client.force_login(builder)

    data = page_data(client.get(edit))
    data["backup_owner"] = str(lead.pk)
    assert client.post(edit, {**data, "action": "save"}).status_code == 302
    use_case.refresh_from_db()
    assert use_case.backup_owner == lead

    html = client.get(edit).content.decode()
    assert re.search(r'<select name="backup_owner"[^>]*\bdisabled\b', html)
    assert (
        "Only the team&#x27;s lead can reassign it." in html
        or "Only the team's lead can reassign it." in html
    )
    data = page_data(client.get(edit))
    client.post(edit, {**data, "backup_owner": str(other.pk), "action": "save"})
    use_case.refresh_from_db()
    assert use_case.backup_owner == lead  # a disabled field keeps its value

    client.force_login(lead)
    data = page_data(client.get(edit))
    data["backup_owner"] = str(other.pk)
    assert client.post(edit, {**data, "action": "save"}).status_code == 302
    use_case.refresh_from_db()
    assert use_case.backup_owner == other


# --- the live helpers ---------------------------------------------------------------------------------


def test_the_similar_hint_lists_visible_use_cases_with_team_and_owner(page, builder, sales):
    UseCaseFactory(name="Competitive intelligence GPT", team=builder.memberships.get().team, owner=builder)
    UseCaseFactory(name="Competitive intelligence bot", team=sales, is_draft=True)  # someone else's draft

    response = page.post(
        reverse("registry:use_case_similar"), {"name": "Competitive intelligence", "purpose": ""}
    )

    html = response.content.decode()
    assert "Join or reuse instead of building a duplicate" in html
    assert "Competitive intelligence GPT" in html and "Marketing" in html and "owner Bea Builder" in html
    assert "Competitive intelligence bot" not in html
    assert page.get(reverse("registry:use_case_similar")).status_code == 405  # typed text stays out of URLs


def test_the_risk_preview_follows_unsaved_input_and_saves_nothing(page, marketing):
    key = CredentialFactory(name="HubSpot key", team=marketing, storage=CredentialStorage.LAPTOP_ENV_FILE)
    data = required(page_data(page.get(NEW_URL)))
    low = page.post(reverse("registry:use_case_risk_preview"), data).content.decode()
    assert 'class="badge risk risk-low"' in low

    data = page_data(add_row(page, NEW_URL, data, "data_accesses"))
    data = page_data(add_row(page, NEW_URL, data, "credentials"))
    data.update(
        {
            "data_accesses-0-new_source_name": "Customer list",
            "data_accesses-0-new_source_classification": "restricted",
            "data_accesses-0-new_source_personal": "on",
            "data_accesses-0-access": "write",
            "credentials-0-credential": str(key.pk),
            "exposure": "public",
        }
    )
    before = (UseCase.objects.count(), DataSource.objects.count(), Credential.objects.count())

    html = page.post(reverse("registry:use_case_risk_preview"), data).content.decode()

    assert 'class="badge risk risk-critical"' in html
    assert "Writes to a restricted data source (Customer list)" in html
    assert "Uses a credential stored unsafely: HubSpot key (environment file on a laptop)" in html
    assert "Its output reaches customers or the public" in html
    assert (UseCase.objects.count(), DataSource.objects.count(), Credential.objects.count()) == before
    assert page.get(reverse("registry:use_case_risk_preview")).status_code == 405


def test_the_connection_picker_finds_by_name_among_visible_use_cases(page, builder, sales):
    UseCaseFactory(name="Lead scoring model", team=sales)
    UseCaseFactory(name="Lead scoring draft", team=sales, is_draft=True)

    html = page.post(reverse("registry:use_case_picker"), {"feeds-0-find": "lead scor"}).content.decode()

    assert "Lead scoring model (Sales)" in html and "Lead scoring draft" not in html


def test_a_connection_found_without_javascript_is_saved(page, builder, sales):
    target = UseCaseFactory(name="Campaign email workflow", team=sales)
    data = page_data(add_row(page, NEW_URL, required(page_data(page.get(NEW_URL))), "feeds"))
    data["feeds-0-find"] = "campaign email"
    data = page_data(page.post(NEW_URL, {**data, "refresh": "feeds"}))
    assert "1 found" in page.post(NEW_URL, {**data, "refresh": "feeds"}).content.decode()
    data.update({"feeds-0-other": str(target.pk), "feeds-0-what_flows": "Battlecards"})

    assert page.post(NEW_URL, {**data, "action": "register"}).status_code == 302

    use_case = UseCase.objects.get(name="Competitive analysis GPT")
    assert [(c.target, c.what_flows) for c in use_case.feeds.all()] == [(target, "Battlecards")]


def test_the_page_costs_the_same_queries_whatever_the_rows(page, builder, marketing):
    sources = [DataSourceFactory() for _ in range(6)]
    keys = [CredentialFactory(team=marketing) for _ in range(6)]
    for i in range(30):
        UseCaseFactory(name=f"Tool {i}", team=marketing)

    def filled(rows):
        data = required(page_data(page.get(NEW_URL)))
        for i in range(rows):
            data = page_data(add_row(page, NEW_URL, data, "data_accesses"))
            data = page_data(add_row(page, NEW_URL, data, "credentials"))
            data[f"data_accesses-{i}-data_source"] = str(sources[i].pk)
            data[f"credentials-{i}-credential"] = str(keys[i].pk)
        return data

    one, many = filled(1), filled(6)
    with CaptureQueriesContext(connection) as few_rows:
        assert page.post(NEW_URL, {**one, "refresh": "vendors"}).status_code == 200
    with CaptureQueriesContext(connection) as more_rows:
        assert page.post(NEW_URL, {**many, "refresh": "vendors"}).status_code == 200

    assert len(more_rows) == len(few_rows) <= 30
    # Saving costs more rows' inserts, but reading the page's choices does not grow.
    with CaptureQueriesContext(connection) as preview:
        page.post(reverse("registry:use_case_risk_preview"), many)
    assert len(preview) <= 20


def test_the_pages_choices_hold_only_what_the_builder_may_use(page, builder, marketing, sales):
    """No select lists an object the asker may not see: other teams' credentials, other
    teams' drafts; and no connection select lists the whole registry."""
    CredentialFactory(name="Marketing HubSpot key", team=marketing)
    CredentialFactory(name="Sales Salesforce key", team=sales)
    UseCaseFactory(name="Marketing newsletter bot", team=marketing)
    UseCaseFactory(name="Sales secret project", team=sales, is_draft=True)
    for i in range(60):
        UseCaseFactory(name=f"Registered elsewhere {i}", team=sales)
    data = required(page_data(page.get(NEW_URL)))
    data = page_data(add_row(page, NEW_URL, data, "credentials"))

    html = add_row(page, NEW_URL, data, "feeds").content.decode()

    assert "Marketing HubSpot key" in html and "Sales Salesforce key" not in html
    feeds = html[
        html.index('<select name="feeds-0-other"') : html.index(
            "</select>", html.index('name="feeds-0-other"')
        )
    ]
    assert "Marketing newsletter bot" in feeds and "Sales secret project" not in feeds
    assert feeds.count("<option") <= 51  # the team's own (at most 50) and "Choose…"; the rest by search
    found = page.post(reverse("registry:use_case_picker"), {"feeds-0-find": "elsewhere 4"}).content.decode()
    assert "Registered elsewhere 4 (Sales)" in found
    assert (
        "Sales secret project"
        not in page.post(
            reverse("registry:use_case_picker"), {"feeds-0-find": "secret project"}
        ).content.decode()
    )


def test_someone_granted_a_change_sees_no_credential_details_on_the_edit_page(client, sales):
    from accounts.permissions import use_case_grant
    from registry.services.risk import use_case_refresh_risk

    key = CredentialFactory(name="Sales HubSpot key", team=sales, storage=CredentialStorage.LAPTOP_ENV_FILE)
    use_case = UseCaseFactory(team=sales, platform="n8n")
    use_case.vendor_uses.create(vendor=VendorFactory(name="OpenAI"))
    use_case.credential_uses.create(credential=key)
    use_case_refresh_risk(use_case=use_case)
    helper = UserFactory(username="hal")
    use_case_grant(to=helper, use_case=use_case, permission="change_usecase")
    client.force_login(helper)
    edit = reverse("registry:use_case_edit", args=[use_case.pk])

    html = client.get(edit).content.decode()
    preview = client.post(
        reverse("registry:use_case_risk_preview"), page_data(client.get(edit))
    ).content.decode()

    assert "Sales HubSpot key" in html  # its name is public, and it stays on the use case
    assert "Sales HubSpot key (environment file on a laptop)" not in html  # the select names it only
    for shown in (html, preview):
        assert "stored unsafely: Sales HubSpot key" not in shown
        assert "details are visible to its team and the security team" in shown
    data = page_data(client.get(edit))
    assert client.post(edit, {**data, "action": "save"}).status_code == 302
    assert list(use_case.credentials.all()) == [key]
