"""The OpenAPI schema and the Swagger UI docs page (served from our static files, no CDN)."""

import json
import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse
from drf_spectacular.drainage import GENERATOR_STATS

EXTERNAL_URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""", re.IGNORECASE)


@pytest.mark.django_db
def test_schema_is_openapi_3_and_documents_every_endpoint(client):
    response = client.get(reverse("api_schema"))

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert set(paths) >= {
        "/api/auth/token/",
        "/api/use-cases/",
        "/api/use-cases/{id}/",
        "/api/teams/",
        "/api/teams/{id}/",
        "/api/vendors/",
        "/api/vendors/{id}/",
        "/api/reviews/",
        "/api/reviews/{id}/",
        "/api/history/",
    }
    # One POST per review transition; the catalog's resources and the history are read with GET.
    for action in ("claim", "unclaim", "approve", "request-changes", "reject"):
        assert set(paths[f"/api/reviews/{{id}}/{action}/"]) - {"parameters"} == {"post"}, action
    for path in ("/api/teams/", "/api/vendors/", "/api/reviews/", "/api/history/"):
        assert set(paths[path]) - {"parameters"} == {"get"}, path
    assert set(paths["/api/auth/token/"]) == {"post"}
    # The list documents the catalog's filters, the sort and the page size.
    params = {p["name"] for p in paths["/api/use-cases/"]["get"]["parameters"]}
    assert params >= {
        "q",
        "search",
        "team",
        "stage",
        "kind",
        "vendor",
        "risk_tier",
        "review_status",
        "high_impact",
        "personal_data",
        "named_owner",
        "sort",
        "page",
        "page_size",
    }
    token_responses = paths["/api/auth/token/"]["post"]["responses"]
    assert set(token_responses) == {"200", "400", "429"}


@pytest.mark.django_db
def test_schema_is_also_served_as_json(client):
    response = client.get(reverse("api_schema"), {"format": "json"})

    assert response.status_code == 200
    assert json.loads(response.content)["openapi"].startswith("3.")


def test_schema_generates_without_warnings_or_errors(tmp_path):
    """``manage.py spectacular --validate --fail-on-warn`` (it raises on any warning)."""
    GENERATOR_STATS.reset()
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    assert yaml.safe_load(out.read_text())["info"]["title"] == "AI use-case registry API"


@pytest.mark.django_db
def test_docs_page_loads_nothing_from_outside_our_host(client_logged_in):
    response = client_logged_in.get(reverse("api_docs"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="swagger-ui"' in html
    assert EXTERNAL_URL.findall(html) == []
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    static_assets = [url for url in assets if url.startswith("/static/")]
    assert len(static_assets) >= 4  # favicon, css, bundle, preset
    for url in static_assets:
        assert finders.find(url.removeprefix("/static/")), f"{url} is not in our static files"
    # The init script is served from our own URL (no inline script: ready for a strict CSP).
    [script_url] = [url for url in assets if url.startswith(reverse("api_docs"))]
    assert "<script>" not in html
    script = client_logged_in.get(script_url)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert EXTERNAL_URL.findall(script.content.decode()) == []
