"""Full-text search over use cases.

On PostgreSQL: ``websearch_to_tsquery`` against the weighted ``search_vector`` (kept by a
trigger, GIN-indexed; migration 0002), ranked with ``ts_rank``. On SQLite, which has no
full-text ranking here, every word must appear in the name, purpose or description
(a case-insensitive match), ranked by whether the name matches.
"""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When


def use_cases_search(queryset: QuerySet, text: str) -> QuerySet:
    """Filter ``queryset`` to the use cases matching ``text`` and annotate ``rank``.

    Args:
        queryset: a use-case queryset (already restricted to the asker).
        text: what the person typed; web-search syntax on PostgreSQL ("quoted phrase",
            -excluded, or).

    Returns:
        The filtered queryset with a ``rank`` annotation (higher is better); unordered, so the
        caller chooses between relevance and another order. Blank text returns ``queryset``
        unchanged with ``rank`` = 0.
    """
    text = (text or "").strip()
    if not text:
        return queryset.annotate(rank=Value(0.0))
    if connection.vendor == "postgresql":
        query = SearchQuery(text, search_type="websearch", config="english")
        return queryset.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))
    words = text.split()
    condition = Q()
    for word in words:
        condition &= Q(name__icontains=word) | Q(purpose__icontains=word) | Q(description__icontains=word)
    name_hit = Q()
    for word in words:
        name_hit &= Q(name__icontains=word)
    return queryset.filter(condition).annotate(
        rank=Case(When(name_hit, then=Value(1)), default=Value(0), output_field=IntegerField())
    )
