"""Regression tests for what schemathesis found (``test_schemathesis.py``), one per bug, fast
enough for every run: in-process, on the test database."""

import pytest
import yaml
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api():
    client = APIClient()
    client.force_authenticate(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def schema(client):
    return yaml.safe_load(client.get(reverse("api_schema")).content)["components"]["schemas"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/incidents/null,null/acknowledge/",  # was a 500: int("null,null") in the view
        "/api/incidents/abc/",
        "/api/reviews/abc/claim/",
        "/api/use-cases/abc/",
        "/api/teams/abc/",
        "/api/vendors/abc/",
    ],
)
def test_a_non_numeric_id_is_a_json_404_not_a_500(admin_api, path):
    response = (
        admin_api.post(path) if path.endswith("/acknowledge/") or "claim" in path else admin_api.get(path)
    )

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("UseCase", "contact_email"),
        ("UseCase", "lifecycle_stage"),
        ("UseCaseDetail", "sourcing"),
        ("UseCaseDetail", "code_url"),
        ("UseCaseDetail", "documentation_url"),
        ("Team", "email"),
        ("FoundationVersion", "link"),
    ],
)
def test_a_blank_read_only_field_may_be_empty_in_the_schema(schema, component, field):
    """The model allows blank and the API answers ``""``: the schema must admit it."""
    options = schema[component]["properties"][field]["oneOf"]

    assert {"type": "string", "maxLength": 0} in options or {
        "$ref": "#/components/schemas/BlankEnum"
    } in options


def test_an_unclaimed_review_has_a_null_reviewer_in_the_schema(schema):
    assert schema["Review"]["properties"]["reviewer"]["nullable"] is True
    assert schema["Review"]["properties"]["requested_by"]["nullable"] is True


def test_usage_reports_are_a_plain_list_of_months(client, schema):
    paths = yaml.safe_load(client.get(reverse("api_schema")).content)["paths"]
    ok = paths["/api/use-cases/{id}/usage/"]["get"]["responses"]["200"]["content"]["application/json"]

    assert ok["schema"]["type"] == "array"
    assert schema["UsageReport"]["properties"]["period"]["pattern"] == r"^\d{4}-\d{2}$"
