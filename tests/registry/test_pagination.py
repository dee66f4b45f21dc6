"""Keyset pagination (registry/pagination.py): the catalog's and the API's Next, Previous and
Last links carry a position instead of an offset, and walking them lists every row once, in
the same order as offset pages, with the same queries at any depth."""

import html
import re

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from registry.models import UseCase
from registry.pagination import (
    END,
    InvalidCursor,
    cursor_decode,
    cursor_encode,
    keyset_page,
    keyset_supported,
)
from tests.factories import UseCaseFactory, UserFactory

pytestmark = pytest.mark.django_db

CATALOG = reverse("registry:use_case_list")
API = "/api/use-cases/"


@pytest.fixture
def rows(settings):
    """23 use cases whose names repeat (so ties are broken by id), in name order."""
    settings.CATALOG_PAGE_SIZE = 5
    made = [UseCaseFactory(name=f"Tool {i % 7}") for i in range(23)]
    return sorted(made, key=lambda uc: (uc.name, uc.pk))


@pytest.fixture
def client_in(client):
    client.force_login(UserFactory())
    return client


def _links(response) -> dict:
    body = response.content.decode()
    found = {}
    for rel, label in (("next", "Next ›"), ("prev", "‹ Previous"), ("first", "« First"), ("last", "Last »")):
        match = re.search(rf'<a (?:rel="\w+" )?href="([^"]+)"[^>]*>{re.escape(label)}</a>', body)
        if match:
            found[rel] = html.unescape(match.group(1))
    return found


def _ids(response):
    return [uc.pk for uc in response.context["use_cases"]]


def test_walking_next_links_lists_every_row_once_in_order(client_in, rows):
    seen, url, labels = [], CATALOG, []
    while url:
        response = client_in.get(url)
        assert response.status_code == 200
        seen += _ids(response)
        labels.append(re.search(r'aria-current="page">([^<]+)<', response.content.decode()).group(1))
        url = _links(response).get("next")
    assert seen == [uc.pk for uc in rows]
    assert labels == [f"Page {n} of 5" for n in range(1, 6)]


def test_deep_links_carry_a_cursor_not_an_offset(client_in, rows):
    second = client_in.get(_links(client_in.get(CATALOG))["next"])
    next_link = _links(second)["next"]
    assert "after=" in next_link and "page=3" in next_link
    assert _ids(second) == [uc.pk for uc in rows[5:10]]


def test_previous_from_a_keyset_page_goes_back_exactly_one_page(client_in, rows):
    url = CATALOG
    for _ in range(3):
        url = _links(client_in.get(url))["next"]
    fourth = client_in.get(url)
    assert _ids(fourth) == [uc.pk for uc in rows[15:20]]
    third = client_in.get(_links(fourth)["prev"])
    assert _ids(third) == [uc.pk for uc in rows[10:15]]
    assert "Page 3 of 5" in third.content.decode()
    second = client_in.get(_links(third)["prev"])
    assert _ids(second) == [uc.pk for uc in rows[5:10]]
    # From page 2, Previous is the plain first page.
    assert "after=" not in _links(second)["prev"] and "before=" not in _links(second)["prev"]


def test_last_reads_the_list_backwards_from_its_end(client_in, rows):
    last = client_in.get(_links(client_in.get(CATALOG))["last"])
    assert _ids(last) == [uc.pk for uc in rows[-5:]]
    assert "Page 5 of 5" in last.content.decode()
    assert "next" not in _links(last)
    assert _ids(client_in.get(_links(last)["prev"])) == [uc.pk for uc in rows[-10:-5]]


def test_cursors_follow_the_chosen_order_and_filters(client_in, rows):
    newest_first = sorted(rows, key=lambda uc: (uc.updated_at, uc.pk), reverse=True)
    seen, url = [], f"{CATALOG}?sort=updated"
    while url:
        response = client_in.get(url)
        seen += _ids(response)
        url = _links(response).get("next")
    assert seen == [uc.pk for uc in newest_first]


def test_risk_order_keeps_offset_pages(client_in, rows):
    """Riskiest-first mixes directions: no cursor, plain page numbers."""
    response = client_in.get(CATALOG, {"sort": "risk"})
    assert "after=" not in _links(response)["next"]
    assert "page=2" in _links(response)["next"]


def test_a_stale_or_forged_cursor_shows_the_first_page_with_a_notice(client_in, rows):
    for bad in ("nonsense", cursor_encode(["only one value"]), "W1tdXQ"):
        response = client_in.get(CATALOG, {"after": bad, "page": "3"})
        assert response.status_code == 200
        assert _ids(response) == [uc.pk for uc in rows[:5]]
        assert "no longer points into this list" in response.content.decode()


def test_a_deep_keyset_page_runs_the_same_queries_as_the_first(client_in, rows):
    client_in.get(CATALOG)
    with CaptureQueriesContext(connection) as first:
        response = client_in.get(CATALOG)
    deep_url = _links(client_in.get(_links(client_in.get(_links(response)["next"]))["next"]))["next"]
    with CaptureQueriesContext(connection) as deep:
        client_in.get(deep_url)
    assert len(deep.captured_queries) == len(first.captured_queries)
    # The page's rows come from a position, not from skipping rows.
    assert not any("OFFSET" in q["sql"] for q in deep.captured_queries)


def test_api_next_links_walk_every_row_once_and_bad_cursors_are_400(rows):
    api = APIClient()
    api.force_authenticate(UserFactory())
    seen, url, pages = [], f"{API}?page_size=5", 0
    while url:
        body = api.get(url).json()
        assert body["count"] == 23
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
        if pages > 1:
            assert "cursor=n." in (url or "cursor=n.")
    assert seen == [uc.pk for uc in rows]
    response = api.get(API, {"cursor": "n.garbage!"})
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_api_previous_link_goes_back(rows):
    api = APIClient()
    api.force_authenticate(UserFactory())
    third = api.get(api.get(api.get(f"{API}?page_size=5").json()["next"]).json()["next"]).json()
    assert [r["id"] for r in third["results"]] == [uc.pk for uc in rows[10:15]]
    second = api.get(third["previous"]).json()
    assert [r["id"] for r in second["results"]] == [uc.pk for uc in rows[5:10]]


def test_keyset_page_and_cursor_contract(rows):
    ordering = ("name", "id")
    assert keyset_supported(ordering) and keyset_supported(("-updated_at", "-id"))
    assert not keyset_supported(("-risk_rank", "name", "id"))
    assert not keyset_supported(("name",))
    assert not keyset_supported((F("name").asc(), "id"))
    assert not keyset_supported(())
    everything = UseCase.objects.all()
    first = keyset_page(everything, ordering, 10)
    assert [uc.pk for uc in first.object_list] == [uc.pk for uc in rows[:10]]
    assert first.previous_cursor is None
    following = keyset_page(everything, ordering, 10, after=first.next_cursor)
    assert [uc.pk for uc in following.object_list] == [uc.pk for uc in rows[10:20]]
    last = keyset_page(everything, ordering, 10, before=END)
    assert [uc.pk for uc in last.object_list] == [uc.pk for uc in rows[-10:]]
    assert last.next_cursor is None
    with pytest.raises(InvalidCursor):
        cursor_decode("!!!", 2)
    with pytest.raises(InvalidCursor):
        cursor_decode(cursor_encode(["a", None]), 2)


def test_a_broad_search_counts_up_to_the_limit_and_says_so(client_in, rows, monkeypatch):
    """Counting every match of a common word costs a scan; past the limit the page says "N+"
    and offers the best-ranked matches up to it."""
    from registry.views import catalog

    monkeypatch.setattr(catalog, "SEARCH_COUNT_LIMIT", 8)
    broad = client_in.get(CATALOG, {"q": "Tool"})  # all 23 match
    body = broad.content.decode()
    assert re.search(r'class="result-count"><strong>8\+</strong>', body)
    assert "Page 1 of 2" in body  # 8 counted, 5 a page
    assert len(_ids(broad)) == 5
    # Sorted by name, a search pages by position, and still counts only up to the limit.
    by_name = client_in.get(CATALOG, {"q": "Tool", "sort": "name"})
    second = client_in.get(_links(by_name)["next"])
    assert "after=" in _links(by_name)["next"]
    assert re.search(r'class="result-count"><strong>8\+</strong>', second.content.decode())
    assert _ids(second) == [uc.pk for uc in rows[5:10]]
    monkeypatch.setattr(catalog, "SEARCH_COUNT_LIMIT", 1000)
    exact = client_in.get(CATALOG, {"q": "Tool"}).content.decode()
    assert re.search(r'class="result-count"><strong>23</strong>', exact)
