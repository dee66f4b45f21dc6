"""The secret guard (``registry.secret_guard``): a corpus of fake secrets of many providers is
refused on every write path that exists (the form mixin, the serializer mixin, the admin's
use-case and credential forms, the importer), ordinary texts and the real inventories pass,
and a refused value appears nowhere afterwards: not in the database, the response, the logs
or the rejected-rows CSV. Each refusal is counted.

The fakes are generated at run time (``tests/registry/secret_corpus``) from a fixed seed so
that a run is reproducible; ``SECRET_CORPUS_SEED=<n>`` tries other random draws.
"""

import csv
import logging
import os
import time
from collections import Counter
from html.parser import HTMLParser

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.db import models, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.test import RequestFactory
from django.urls import reverse
from django.utils.html import escape
from django.views.debug import ExceptionReporter
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate

from registry import secret_guard as guard_module
from registry.exceptions import ImportFileError, SecretValueError
from registry.models import Credential, SecretRefusal, UseCase
from registry.secret_guard import (
    SecretGuardFormMixin,
    SecretGuardSerializerMixin,
    SecretSafeExceptionReporterFilter,
    detect_secrets_plugin_names,
    high_entropy_token,
    secret_guard,
    secret_message,
    secret_scan,
)
from registry.services.imports import inventory_import
from tests.factories import CredentialUseFactory, TeamFactory, UseCaseFactory, UserFactory
from tests.registry.secret_corpus import ACCEPTED, BASE64, FakeSecret, fake_secrets

SEED = int(os.environ.get("SECRET_CORPUS_SEED", "20261122"))
FAKES = fake_secrets(SEED)
FAKE_IDS = [f"{i:02d}-{f.provider}-{f.kind}".replace(" ", "_") for i, f in enumerate(FAKES)]
INDIVIDUAL = "federal-ai-inventory-2025/individual_use_cases.csv"
CONSOLIDATED_2024 = "federal-ai-inventory-2024/consolidated_use_cases.csv"
COTS = "federal-ai-inventory-2025/cots_use_cases.csv"

#: Kinds only detect-secrets' plugins name here: if its configuration were missing, the
#: guard would miss them (detect-secrets then silently finds nothing).
DETECT_SECRETS_KINDS = {
    "AWS access key id",
    "GitHub token",
    "GitLab token",
    "Slack token",
    "Stripe secret key",
    "Twilio API key",
    "SendGrid API key",
    "Mailchimp API key",
    "JSON Web Token",
}


def in_prose(fake: FakeSecret) -> str:
    """The fake pasted where a builder would paste it: inside a sentence."""
    return f"Drafts replies to inbound leads. It connects with {fake.text} to the CRM."


def assert_nowhere(text: str, fake: FakeSecret, where: str) -> None:
    assert fake.needle not in text, f"the refused value appears in {where}"


def database_hits(needles: list[str]) -> list[str]:
    """``Model.field`` of every text column of every table that holds one of ``needles``."""
    hits = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField):
                queryset = model._base_manager.all()
                column = field.attname
            elif isinstance(field, models.JSONField):
                queryset = model._base_manager.annotate(_as_text=Cast(field.attname, TextField()))
                column = "_as_text"
            else:
                continue
            condition = Q()
            for needle in needles:
                condition |= Q(**{f"{column}__contains": needle})
            if queryset.filter(condition).exists():
                hits.append(f"{model.__name__}.{field.name}")
    return hits


# --- the scan -----------------------------------------------------------------------------------


def test_the_corpus_has_thirty_fakes_of_many_providers():
    assert len(FAKES) >= 30
    assert len({f.provider for f in FAKES}) >= 15
    assert len({f.text for f in FAKES}) == len(FAKES)


@pytest.mark.parametrize("fake", FAKES, ids=FAKE_IDS)
def test_every_fake_secret_is_found_and_named(fake):
    finding = secret_scan(fake.text)
    assert finding is not None and finding.kind == fake.kind
    assert secret_scan(in_prose(fake)).kind == fake.kind
    message = secret_message(finding)
    assert message.startswith(f"This looks like {finding.kind_with_article}. Never paste a secret's value")
    assert_nowhere(message, fake, "the message")
    assert fake.needle not in repr(finding)


def test_provider_rules_cover_what_detect_secrets_misses():
    """Anthropic, Google, HubSpot, fine-grained GitHub and modern OpenAI keys are ours."""
    ours = {f.kind for f in FAKES if secret_scan(f.text).source == "registry"}
    assert {
        "Anthropic API key",
        "Google API key",
        "Google OAuth client secret",
        "HubSpot private app token",
        "GitHub fine-grained token",
        "OpenAI API key",
        "Salesforce access token",
    } <= ours


def test_detect_secrets_serves_the_providers_it_knows():
    by_detect_secrets = {f.kind for f in FAKES if secret_scan(f.text).source == "detect-secrets"}
    assert by_detect_secrets >= DETECT_SECRETS_KINDS


def test_detect_secrets_unconfigured_finds_nothing_and_the_guard_configures_it_again():
    """detect-secrets starts with no plugin: its scan then finds nothing, silently. The guard
    configures it (once per process) and again whenever its settings were reset."""
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import cache_bust, get_settings

    twilio = next(f for f in FAKES if f.kind == "Twilio API key")
    cache_bust()  # what a process starts with
    assert get_settings().plugins == {}
    assert list(scan_line(twilio.text)) == []

    assert secret_scan(twilio.text).kind == "Twilio API key"
    configured = set(get_settings().plugins)
    assert configured == set(detect_secrets_plugin_names())
    assert "KeywordDetector" in configured and "PrivateKeyDetector" in configured
    # In ad-hoc scans its entropy plugins report every word; an IP address is not a secret.
    assert not configured & {"Base64HighEntropyString", "HexHighEntropyString", "IPPublicDetector"}


def test_random_keys_without_a_known_format_are_caught_as_high_entropy():
    import random

    rng = random.Random(SEED)
    for length in (32, 40, 64):
        keys = ["".join(rng.choice(BASE64) for _ in range(length)) for _ in range(500)]
        caught = sum(high_entropy_token(k) for k in keys)
        assert caught >= 0.9 * len(keys), (length, caught)


@pytest.mark.parametrize(
    "text",
    [
        "a_" * 50_000 + " token",  # many possible starts of a "name = value"
        "key=" * 25_000,
        "x" * 200_000 + " password",  # one very long word
        "http://" + "a:" * 50_000 + " @",
        "a@" * 50_000,
        "The tool drafts replies to inbound leads; a rep reviews each one. " * 1_500,
    ],
    ids=["separators", "assignments", "long-word", "url-like", "at-signs", "prose"],
)
def test_a_large_pasted_text_is_scanned_in_linear_time(text):
    """No rule backtracks badly: 100-200 KB texts take well under a second each."""
    started = time.perf_counter()
    secret_scan(text)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("text", ACCEPTED)
def test_ordinary_texts_vault_references_urls_and_ids_are_accepted(text):
    assert secret_scan(text) is None


def test_every_cell_of_the_real_inventories_is_accepted(shared_data):
    """Every cell of the 2025 individual and COTS files and of the 2024 file (purposes,
    descriptions, ids, URLs, contacts, vendors, ...): none looks like a secret."""
    flagged = []
    for name in (INDIVIDUAL, COTS, CONSOLIDATED_2024):
        with open(shared_data / name, encoding="utf-8-sig", newline="") as f:
            cells = {(column, value) for row in csv.DictReader(f) for column, value in row.items() if value}
        assert len(cells) > 300
        for column, value in cells:
            finding = secret_scan(value)
            if finding:
                flagged.append((name, column, finding.kind, value[:80]))
    assert flagged == []


# --- secret_guard --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_secret_guard_refuses_every_secret_field_and_counts_each_without_the_value(caplog):
    caplog.set_level(logging.DEBUG)
    actor = UserFactory()
    openai = next(f for f in FAKES if f.kind == "OpenAI API key")
    pem = next(f for f in FAKES if f.kind == "private key")
    values = {
        "name": "Lead reply drafter",
        "purpose": in_prose(openai),
        "links": ["https://docs.example.com/runbook", {"note": pem.text}],
        "users_count": 12,
        "notes": None,
    }
    with pytest.raises(SecretValueError) as raised:
        secret_guard(values, channel="form", actor=actor)

    errors = raised.value.errors
    assert set(errors) == {"purpose", "links"}
    assert errors["purpose"] == (
        "This looks like an OpenAI API key. Never paste a secret's value: record where it is stored "
        "(a secrets-manager reference such as vault://team/openai) instead."
    )
    assert errors["links"].startswith("This looks like a private key.")
    assert raised.value.kinds == {"purpose": "OpenAI API key", "links": "private key"}
    refusals = sorted(SecretRefusal.objects.values_list("channel", "field", "secret_kind", "actor"))
    assert refusals == [
        ("form", "links", "private key", actor.pk),
        ("form", "purpose", "OpenAI API key", actor.pk),
    ]
    for fake in (openai, pem):
        assert_nowhere(str(raised.value), fake, "the exception")
        assert_nowhere(caplog.text, fake, "the logs")
        assert database_hits([fake.needle]) == []
    assert "secret refused: channel=form field=purpose kind=OpenAI API key" in caplog.text


@pytest.mark.django_db
def test_clean_values_pass_and_count_nothing():
    secret_guard({"name": "Brief writer", "vault_reference": "vault://marketing/openai"}, channel="api")
    assert not SecretRefusal.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_count_survives_a_rollback_of_the_callers_transaction():
    """Callers refuse before opening their write transaction: whatever they roll back after,
    the refusal stays counted (the guard writes it on the current connection, outside)."""
    secret = next(f for f in FAKES if f.kind == "Anthropic API key")
    team = TeamFactory()
    with pytest.raises(SecretValueError), transaction.atomic():
        UseCase.objects.create(name="Half written", purpose="x", kind="agent", team=team)
        # A caller that refuses inside its transaction loses the count with it...
        secret_guard({"purpose": secret.text}, channel="api")
    assert not SecretRefusal.objects.exists() and not UseCase.objects.exists()

    # ...one that refuses first keeps it.
    try:
        secret_guard({"purpose": secret.text}, channel="api")
    except SecretValueError:
        with pytest.raises(RuntimeError), transaction.atomic():
            UseCase.objects.create(name="Half written", purpose="x", kind="agent", team=team)
            raise RuntimeError("the caller's write fails and rolls back") from None
    assert list(SecretRefusal.objects.values_list("channel", "field", "secret_kind")) == [
        ("api", "purpose", "Anthropic API key")
    ]
    assert not UseCase.objects.exists()


# --- the form mixin ------------------------------------------------------------------------------


class UseCaseSketchForm(SecretGuardFormMixin, forms.Form):
    name = forms.CharField(max_length=500)
    purpose = forms.CharField(widget=forms.Textarea)
    vault_reference = forms.CharField(max_length=120, required=False)
    documentation_url = forms.URLField(required=False)
    kind = forms.ChoiceField(choices=[("agent", "Agent"), ("custom_gpt", "Custom GPT")], required=False)


@pytest.mark.django_db
@pytest.mark.parametrize("fake", FAKES, ids=FAKE_IDS)
def test_the_form_mixin_refuses_each_fake_and_never_echoes_it(fake, caplog):
    caplog.set_level(logging.DEBUG)
    actor = UserFactory()
    form = UseCaseSketchForm(data={"name": "Lead reply drafter", "purpose": in_prose(fake), "kind": "agent"})
    form.guard_actor = actor

    assert not form.is_valid()
    assert form.errors["purpose"] == [secret_message(secret_scan(fake.text))]
    assert "purpose" not in form.data and "purpose" not in form.cleaned_data
    assert form.data["name"] == "Lead reply drafter"  # the other fields are kept
    assert_nowhere(str(form), fake, "the re-rendered form")
    assert_nowhere(caplog.text, fake, "the logs")
    assert list(SecretRefusal.objects.values_list("channel", "field", "secret_kind", "actor")) == [
        ("form", "purpose", fake.kind, actor.pk)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["vault_reference", "documentation_url", "kind"])
def test_a_field_failing_its_own_validation_does_not_echo_a_secret(field):
    """Too long for the field, not a URL, not a choice (whose error quotes the value): the
    guard's message replaces those errors and the value is dropped."""
    fake = next(f for f in FAKES if f.kind == "Anthropic API key")  # 108 characters: too long
    form = UseCaseSketchForm(data={"name": "x", "purpose": "Drafts replies", field: fake.text})

    assert not form.is_valid()
    assert form.errors[field] == [secret_message(secret_scan(fake.text))]
    assert_nowhere(str(form), fake, "the re-rendered form")
    assert SecretRefusal.objects.get().field == field


def test_a_clean_form_is_valid():
    form = UseCaseSketchForm(
        data={
            "name": "Lead reply drafter",
            "purpose": ACCEPTED[0],
            "vault_reference": "vault://marketing/openai",
            "documentation_url": "https://docs.example.com/runbooks/crm-sync",
            "kind": "agent",
        }
    )
    assert form.is_valid(), form.errors


# --- the serializer mixin ------------------------------------------------------------------------


class CredentialRefSerializer(serializers.Serializer):
    name = serializers.CharField()
    vault_reference = serializers.CharField(required=False)


class UseCaseSketchSerializer(SecretGuardSerializerMixin, serializers.Serializer):
    name = serializers.CharField(max_length=500)
    purpose = serializers.CharField()
    kind = serializers.ChoiceField(choices=["agent", "custom_gpt"])
    credentials = CredentialRefSerializer(many=True, required=False)


@api_view(["POST"])
def sketch_create(request):
    serializer = UseCaseSketchSerializer(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return Response(serializer.validated_data, status=201)


def api_post(payload, user):
    request = APIRequestFactory().post("/api/sketches/", payload, format="json")
    force_authenticate(request, user=user)
    response = sketch_create(request)
    response.render()
    return response


@pytest.mark.django_db
@pytest.mark.parametrize("fake", FAKES, ids=FAKE_IDS)
def test_the_serializer_mixin_answers_400_with_field_errors_without_the_value(fake, caplog):
    caplog.set_level(logging.DEBUG)
    actor = UserFactory()
    response = api_post({"name": "Lead reply drafter", "purpose": in_prose(fake), "kind": "agent"}, actor)

    assert response.status_code == 400
    assert response.data == {"purpose": [secret_message(secret_scan(fake.text))]}
    assert_nowhere(response.content.decode(), fake, "the API response")
    assert_nowhere(caplog.text, fake, "the logs")
    assert list(SecretRefusal.objects.values_list("channel", "field", "secret_kind", "actor")) == [
        ("api", "purpose", fake.kind, actor.pk)
    ]


@pytest.mark.django_db
def test_the_serializer_mixin_guards_nested_references_and_choice_fields():
    """A nested credential reference and a choice field (DRF's own error would quote it)."""
    actor = UserFactory()
    hubspot = next(f for f in FAKES if f.kind == "HubSpot private app token")
    stripe = next(f for f in FAKES if f.kind == "Stripe secret key")
    response = api_post(
        {
            "name": "Lead sync",
            "purpose": "Syncs leads",
            "kind": stripe.text,
            "credentials": [{"name": "HubSpot", "vault_reference": hubspot.text}],
        },
        actor,
    )
    assert response.status_code == 400
    assert set(response.data) == {"kind", "credentials"}
    assert response.data["credentials"] == [secret_message(secret_scan(hubspot.text))]
    body = response.content.decode()
    assert_nowhere(body, hubspot, "the API response")
    assert_nowhere(body, stripe, "the API response")
    assert SecretRefusal.objects.filter(channel="api").count() == 2

    clean = api_post(
        {
            "name": "Lead sync",
            "purpose": "Syncs leads",
            "kind": "agent",
            "credentials": [{"name": "HubSpot", "vault_reference": "op://Marketing/HubSpot/credential"}],
        },
        actor,
    )
    assert clean.status_code == 201


# --- the admin -----------------------------------------------------------------------------------


class FormFields(HTMLParser):
    """The fields of the admin page's main form, with the values a browser would send."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._textarea = None
        self._select = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form or "__prefix__" in (a.get("name") or ""):
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[a["name"]] = a.get("value", "on")
            elif kind not in ("submit", "button", "file", "image"):
                self.data[a["name"]] = a.get("value") or ""
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.data[self._textarea] = ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._in_form = False


def admin_form_data(client, url) -> dict:
    parser = FormFields()
    parser.feed(client.get(url).content.decode())
    return parser.data


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("fake", FAKES, ids=FAKE_IDS)
def test_the_admin_use_case_add_form_refuses_each_fake(superuser_client, superuser, fake, caplog):
    caplog.set_level(logging.DEBUG)
    url = reverse("admin:registry_usecase_add")
    data = admin_form_data(superuser_client, url)
    data |= {
        "name": "Lead reply drafter",
        "purpose": in_prose(fake),
        "kind": "agent",
        "team": TeamFactory().pk,
    }

    response = superuser_client.post(url, data)

    assert response.status_code == 200  # the form again, with the error beside the field
    body = response.content.decode()
    assert escape(secret_message(secret_scan(fake.text))) in body
    assert_nowhere(body, fake, "the admin page")
    assert_nowhere(caplog.text, fake, "the logs")
    assert not UseCase.objects.exists()
    assert database_hits([fake.needle]) == []
    assert list(SecretRefusal.objects.values_list("channel", "field", "secret_kind", "actor")) == [
        ("admin", "purpose", fake.kind, superuser.pk)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("fake", FAKES, ids=FAKE_IDS)
def test_the_admin_credential_add_form_refuses_each_fake(superuser_client, superuser, fake, caplog):
    caplog.set_level(logging.DEBUG)
    url = reverse("admin:registry_credential_add")
    data = admin_form_data(superuser_client, url)
    data |= {"name": "HubSpot private app", "vault_reference": fake.text}

    response = superuser_client.post(url, data)

    assert response.status_code == 200
    assert_nowhere(response.content.decode(), fake, "the admin page")
    assert_nowhere(caplog.text, fake, "the logs")
    assert not Credential.objects.exists()
    assert database_hits([fake.needle]) == []
    assert list(SecretRefusal.objects.values_list("channel", "field", "secret_kind", "actor")) == [
        ("admin", "vault_reference", fake.kind, superuser.pk)
    ]


@pytest.mark.django_db
def test_the_admin_change_form_and_its_inlines_are_guarded(superuser_client):
    use_case = UseCaseFactory(description="Drafts replies.")
    link = CredentialUseFactory(use_case=use_case, purpose="reads contacts")
    url = reverse("admin:registry_usecase_change", args=[use_case.pk])
    slack = next(f for f in FAKES if f.kind == "Slack webhook URL")
    jwt = next(f for f in FAKES if f.kind == "JSON Web Token")
    data = admin_form_data(superuser_client, url)
    prefix = next(k for k in data if k.endswith("-0-credential")).removesuffix("-credential")
    data |= {"description": f"Posts to {slack.text}", f"{prefix}-purpose": f"Bearer {jwt.text}"}

    response = superuser_client.post(url, data)

    assert response.status_code == 200
    body = response.content.decode()
    assert_nowhere(body, slack, "the admin page")
    assert_nowhere(body, jwt, "the admin page")
    use_case.refresh_from_db()
    link.refresh_from_db()
    assert use_case.description == "Drafts replies." and link.purpose == "reads contacts"
    assert sorted(SecretRefusal.objects.values_list("field", "secret_kind")) == [
        ("description", "Slack webhook URL"),
        ("purpose", "JSON Web Token"),
    ]
    assert database_hits([slack.needle, jwt.needle]) == []


@pytest.mark.django_db
def test_every_registry_admin_form_and_inline_form_is_guarded(rf, superuser):
    request = rf.get("/admin/")
    request.user = superuser
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "registry":
            continue
        form = model_admin.get_form(request)
        assert issubclass(form, SecretGuardFormMixin) and form.guard_channel == "admin", model
        assert form.guard_actor == superuser
        for inline in model_admin.get_inline_instances(request):
            inline_form = inline.get_formset(request).form
            assert issubclass(inline_form, SecretGuardFormMixin) and inline_form.guard_channel == "admin"
            checked += 1
        checked += 1
    assert checked >= 20


# --- the importer --------------------------------------------------------------------------------

#: Columns of the 2025 layout the fakes are pasted into, in turn (all end in the use case).
IMPORT_COLUMNS = [
    "problem_solved",
    "benefits",
    "system_outputs",
    "use_case_name",
    "data_description",
    "system_name_ato",
    "agency_bureau",
    "HI_justification",
    "vendor_name",
    "contact_email",
]


def sheet_with_fakes(shared_data, tmp_path, fakes, clean_rows=5):
    """A 2025-layout CSV: real rows, each fake pasted (in prose) into one column in turn."""
    with open(shared_data / INDIVIDUAL, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        headers = reader.fieldnames
        rows = [r for _, r in zip(range(len(fakes) + clean_rows), reader, strict=False)]
    placed = []
    for n, (row, fake) in enumerate(zip(rows, fakes, strict=False)):
        column = IMPORT_COLUMNS[n % len(IMPORT_COLUMNS)]
        row[column] = in_prose(fake)
        placed.append((n + 2, column, fake))
    for n, row in enumerate(rows):
        row["id"] = f"TEST-{n:04d}"
        row["use_case_name"] = row["use_case_name"] or f"Use case {n}"
    path = tmp_path / "inventory_with_keys.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=headers)
        writer.writeheader()
        writer.writerows(rows)
    return path, placed, len(rows)


@pytest.mark.django_db
def test_the_importer_rejects_each_row_with_a_fake_and_redacts_it(shared_data, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    actor = UserFactory()
    path, placed, total = sheet_with_fakes(shared_data, tmp_path, FAKES)
    rejects = tmp_path / "rejected.csv"

    result = inventory_import(path, actor=actor, rejects_path=rejects)

    assert (result.created, result.rejected) == (total - len(FAKES), len(FAKES))
    with open(rejects, encoding="utf-8-sig", newline="") as f:
        rejected = {int(r["row_number"]): r for r in csv.DictReader(f)}
    report = rejects.read_text(encoding="utf-8-sig")
    for row_number, column, fake in placed:
        kind = secret_scan(fake.text).kind_with_article
        row = rejected[row_number]
        assert row["reason"] == f"column {column} looks like {kind}; record where it is stored, not its value"
        assert row[column] == f"[redacted: looks like {kind}]"
        assert_nowhere(report, fake, "the rejected-rows CSV")
        assert_nowhere(caplog.text, fake, "the logs")
        assert_nowhere(repr(result.rejected_rows), fake, "the import result")
    assert database_hits([fake.needle for fake in FAKES]) == []
    refusals = Counter(
        SecretRefusal.objects.filter(actor=actor).values_list("channel", "field", "secret_kind")
    )
    assert refusals == Counter(("import", column, fake.kind) for _, column, fake in placed)
    assert UseCase.objects.count() == total - len(FAKES)


@pytest.mark.django_db
def test_a_dry_run_import_still_counts_its_refusals(shared_data, tmp_path):
    path, placed, total = sheet_with_fakes(shared_data, tmp_path, FAKES[:3])

    result = inventory_import(path, dry_run=True)

    assert result.rejected == 3 and result.dry_run
    assert not UseCase.objects.exists()
    assert SecretRefusal.objects.filter(channel="import").count() == 3


@pytest.mark.django_db
def test_a_secret_in_a_header_or_a_mapping_default_rejects_the_file(tmp_path):
    key = next(f for f in FAKES if f.kind == "Google API key")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(f"name,team,{key.text}\nLead bot,Marketing,x\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as raised:
        inventory_import(sheet, mapping={"name": "name", "team": "team"})
    assert str(raised.value) == (
        "sheet.csv: header 3 looks like a Google API key; record where it is stored, not its value"
    )

    sheet.write_text("name,team\nLead bot,Marketing\n", encoding="utf-8")
    mapping = {"columns": {"name": "name", "team": "team"}, "defaults": {"description": key.text}}
    with pytest.raises(ImportFileError) as raised:
        inventory_import(sheet, mapping=mapping)
    assert "mapping default description looks like a Google API key" in str(raised.value)
    assert_nowhere(str(raised.value), key, "the error")
    assert not UseCase.objects.exists()
    assert SecretRefusal.objects.filter(channel="import").count() == 2


@pytest.mark.django_db
def test_the_whole_2025_file_passes_the_guard_with_no_false_refusal(shared_data, tmp_path):
    """The guard scans every cell of the real inventory: none is a secret, so none is refused.
    (Its cost is measured by timing the import command, README "Measured on this machine",
    not asserted here: a timed test fails on a busy machine, not on slow code.)"""
    result = inventory_import(shared_data / INDIVIDUAL, rejects_path=tmp_path / "rejected.csv")

    assert result.rejected == 3 and not SecretRefusal.objects.exists()
    assert UseCase.objects.count() == 3608


# --- error reports -------------------------------------------------------------------------------


def test_error_reports_hide_posted_secrets_and_local_variables():
    fake = next(f for f in FAKES if f.kind == "OpenAI API key")
    request = RequestFactory().post("/use-cases/new/", {"name": "Lead bot", "purpose": in_prose(fake)})
    report_filter = SecretSafeExceptionReporterFilter()
    params = report_filter.get_post_parameters(request)
    assert params["name"] == "Lead bot" and params["purpose"] == report_filter.cleansed_substitute

    def view_that_fails(purpose, values):
        raise ValueError("boom")

    try:
        view_that_fails(in_prose(fake), {"links": [fake.text]})
    except ValueError as exc:
        reporter = ExceptionReporter(request, type(exc), exc, exc.__traceback__)
        reporter.filter = report_filter
        html = reporter.get_traceback_html()
        text = reporter.get_traceback_text()
    assert "view_that_fails" in html and "Lead bot" in html  # the report is still there
    assert_nowhere(html, fake, "the HTML error report")
    assert_nowhere(text, fake, "the text error report")


def test_the_settings_select_the_secret_safe_error_report_filter(settings):
    from django.views.debug import get_default_exception_reporter_filter

    assert isinstance(get_default_exception_reporter_filter(), guard_module.SecretSafeExceptionReporterFilter)
