"""The Django admin: every registered model's pages answer for a superuser, computed fields
stay computed, and the use-case changelist does not run a query per row."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from registry import choices
from registry.models import (
    DataAccess,
    FoundationDocument,
    FoundationDocumentUse,
    ImportBatch,
    UseCase,
)
from tests.factories import (
    AIModelFactory,
    ConnectionFactory,
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

#: Every model registered in the admin, as ``app_label.ModelName`` (collected after
#: ``django.setup()`` has autodiscovered the admin modules).
REGISTERED = sorted(f"{m._meta.app_label}.{m.__name__}" for m in admin.site._registry)


def _admin_url(model, page, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


@pytest.fixture
def superuser_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def one_of_each(db):
    """At least one row of every registry and accounts model."""
    vendor = VendorFactory(name="OpenAI", slug="openai")
    use_case = UseCaseFactory(name="Campaign workflow", team=TeamFactory(parent=TeamFactory()))
    MembershipFactory(team=use_case.team)
    VendorUseFactory(use_case=use_case, vendor=vendor, model=AIModelFactory(vendor=vendor))
    DataAccessFactory(use_case=use_case)
    CredentialUseFactory(use_case=use_case, credential=CredentialFactory(issuer=vendor))
    ConnectionFactory(source=UseCaseFactory(name="Content workflow"), target=use_case)
    document = FoundationDocument.objects.create(name="Brand voice", current_version="v2")
    FoundationDocumentUse.objects.create(use_case=use_case, document=document, version="v1")
    SecurityReviewFactory(use_case=use_case)
    ImportBatch.objects.create(file_name="inventory.csv", file_sha256="0" * 64, layout="omb_2025")
    return use_case


def test_every_registry_and_accounts_model_is_in_the_admin():
    for app_label in ("registry", "accounts"):
        for model in apps.get_app_config(app_label).get_models():
            assert model in admin.site._registry, f"{model.__name__} is not in the admin"


@pytest.mark.parametrize("label", REGISTERED)
def test_changelist_add_and_change_pages_answer(superuser_client, one_of_each, label):
    model = apps.get_model(label)
    model_admin = admin.site._registry[model]

    changelist = superuser_client.get(_admin_url(model, "changelist"))
    assert changelist.status_code == 200
    # Searching exercises search_fields (a bad lookup there only fails at query time).
    if model_admin.search_fields:
        assert superuser_client.get(_admin_url(model, "changelist"), {"q": "a"}).status_code == 200

    add = superuser_client.get(_admin_url(model, "add"))
    can_add = model_admin.has_add_permission(add.wsgi_request)
    assert add.status_code == (200 if can_add else 403)

    obj = model._default_manager.first()
    if obj is not None:
        assert superuser_client.get(_admin_url(model, "change", obj.pk)).status_code == 200


def test_import_batches_are_read_only(superuser_client, one_of_each):
    batch = ImportBatch.objects.get()

    page = superuser_client.get(_admin_url(ImportBatch, "change", batch.pk))
    posted = superuser_client.post(_admin_url(ImportBatch, "change", batch.pk), {"file_name": "edited.csv"})

    assert page.status_code == 200
    assert 'name="file_name"' not in page.content.decode()
    assert posted.status_code == 403
    batch.refresh_from_db()
    assert batch.file_name == "inventory.csv"
    assert superuser_client.get(_admin_url(ImportBatch, "delete", batch.pk)).status_code == 403


def test_computed_fields_are_shown_but_not_editable(superuser_client, one_of_each):
    use_case = one_of_each
    review = use_case.reviews.get()

    use_case_page = superuser_client.get(_admin_url(UseCase, "change", use_case.pk)).content.decode()
    review_page = superuser_client.get(_admin_url(type(review), "change", review.pk)).content.decode()

    for field in ("risk_tier", "risk_reasons", "review_status", "source_key", "source_row"):
        assert f'name="{field}"' not in use_case_page
        assert f"field-{field}" in use_case_page  # shown, read-only
    assert 'name="state"' not in review_page
    assert "field-state" in review_page


def test_adding_data_access_in_the_admin_recomputes_the_risk(superuser_client):
    use_case = UseCaseFactory()
    crm = DataSourceFactory(
        name="CRM", classification=choices.DataClassification.RESTRICTED, has_customer_data=True
    )
    assert use_case.risk_tier == choices.RiskTier.LOW

    response = superuser_client.post(
        _admin_url(DataAccess, "add"),
        {"use_case": use_case.pk, "data_source": crm.pk, "access": choices.AccessMode.WRITE, "purpose": ""},
    )

    assert response.status_code == 302
    use_case.refresh_from_db()
    assert use_case.risk_tier != choices.RiskTier.LOW
    assert any("CRM" in reason for reason in use_case.risk_reasons)


def _populate(n, teams):
    now = timezone.now()
    for i in range(n):
        use_case = UseCaseFactory(team=teams[i % len(teams)])
        UseCase.objects.filter(pk=use_case.pk).update(updated_at=now)


def test_use_case_changelist_query_count_does_not_grow_with_rows(superuser_client):
    teams = [TeamFactory() for _ in range(3)]
    url = _admin_url(UseCase, "changelist")

    _populate(5, teams)
    with CaptureQueriesContext(connection) as few:
        assert superuser_client.get(url).status_code == 200
    _populate(95, teams)
    with CaptureQueriesContext(connection) as many:
        response = superuser_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 100

    print(f"admin use-case changelist queries: 5 rows {len(few)}, 100 rows {len(many)}")
    assert len(few) == len(many)


def _doc_use(use_case, vendor):
    document = FoundationDocument.objects.create(name=f"Doc {use_case.pk}", current_version="2")
    return FoundationDocumentUse.objects.create(use_case=use_case, document=document, version="1")


#: One row of each link model whose changelist text names related rows, made from a fresh
#: use case and vendor.
ROW_MAKERS = {
    "registry.VendorUse": lambda uc, v: VendorUseFactory(
        use_case=uc, vendor=v, model=AIModelFactory(vendor=v)
    ),
    "registry.DataAccess": lambda uc, v: DataAccessFactory(use_case=uc),
    "registry.CredentialUse": lambda uc, v: CredentialUseFactory(
        use_case=uc, credential=CredentialFactory(issuer=v, owner=UserFactory())
    ),
    "registry.Connection": lambda uc, v: ConnectionFactory(source=uc),
    "registry.FoundationDocumentUse": _doc_use,
    "registry.SecurityReview": lambda uc, v: SecurityReviewFactory(use_case=uc, reviewer=UserFactory()),
    "registry.AIModel": lambda uc, v: AIModelFactory(vendor=v),
    "registry.Credential": lambda uc, v: CredentialFactory(issuer=v, owner=UserFactory(), team=uc.team),
    "accounts.Membership": lambda uc, v: MembershipFactory(team=uc.team),
    "accounts.Team": lambda uc, v: TeamFactory(parent=uc.team),
}


@pytest.mark.parametrize("label", sorted(ROW_MAKERS))
def test_other_changelists_do_not_run_a_query_per_row(superuser_client, label):
    """Each row's text names related rows (``use case calls vendor model``): joined, not fetched."""
    model = apps.get_model(label)
    url = _admin_url(model, "changelist")

    def add_rows(n):
        for _ in range(n):
            ROW_MAKERS[label](UseCaseFactory(), VendorFactory())

    add_rows(2)
    with CaptureQueriesContext(connection) as few:
        assert superuser_client.get(url).status_code == 200
    add_rows(10)
    with CaptureQueriesContext(connection) as many:
        assert superuser_client.get(url).status_code == 200

    assert len(few) == len(many)
