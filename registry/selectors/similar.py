"""Similar use cases, shown while a builder types a name and purpose ("join or reuse instead of
building a duplicate": the same tool built five times by people who could not know).

On PostgreSQL the name is compared by trigram similarity (``pg_trgm``; the GIN trigram index
on ``registry_usecase.name`` serves the ``%`` and ``<%`` filters) and the name and purpose
words are matched against the weighted full-text ``search_vector`` (GIN-indexed, migration
0002), so both the name "Competitive analysis GPT" and the words "chatbot for benefits" find
what exists. On SQLite, which has neither, candidates are the use cases whose name or purpose
contains one of the significant words, scored by word overlap in Python. Neither raises on
any input: odd characters are dropped before they reach a query.
"""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, TrigramSimilarity
from django.db import connection
from django.db.models import Case, ExpressionWrapper, F, FloatField, Q, Value, When

from ..choices import LifecycleStage
from ..models import UseCase
from ..secret_guard import secret_scan

#: Words that say nothing about what a tool does (English stop words and registry filler).
# fmt: off
STOP_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "into", "is",
    "it", "its", "of", "on", "or", "our", "that", "the", "their", "this", "to", "was", "we", "were",
    "will", "with", "which", "who", "what", "when", "where", "how", "use", "uses", "used", "using",
    "tool", "tools", "app", "ai",
))
# fmt: on
#: Scores below this are not shown (0..1; tuned on the demo inventories, see the tests).
MIN_SCORE = 0.2
#: Most words taken from what was typed (a pasted essay must not become a huge query).
MAX_WORDS = 12
_WORD = re.compile(r"[A-Za-z0-9]+")
_DEFERRED = ("source_row", "search_vector", "description", "outputs", "human_in_the_loop", "risk_reasons")


@dataclass(frozen=True)
class _Typed:
    name: str
    words: list[str]


def _typed(name: str, purpose: str) -> _Typed | None:
    """The name and the significant words typed, or ``None`` when there is too little to go on
    (or the text looks like a secret: it is never sent to the database)."""
    if secret_scan(name or "") or secret_scan(purpose or ""):
        return None
    name = " ".join(_WORD.findall(name or ""))[:200]
    purpose = (purpose or "")[:2000]
    words = []
    for word in _WORD.findall(f"{name} {purpose}".lower()):
        if len(word) >= 3 and word not in STOP_WORDS and word not in words:
            words.append(word)
    words = words[:MAX_WORDS]
    if len(name) < 3 and not words:
        return None
    return _Typed(name=name, words=words)


def use_cases_similar(user, *, name: str, purpose: str = "", exclude_id: int | None = None, limit: int = 5):
    """Use cases ``user`` may see that look like the one being typed, best first.

    Args:
        user: the person typing; only use cases they may see are returned.
        name: the name typed so far.
        purpose: what it does, typed so far.
        exclude_id: the use case being edited (never similar to itself).
        limit: at most this many results.

    Returns:
        A list of ``UseCase`` (team, parent team and owner joined), each with a ``similarity``
        attribute between 0 and 1. Retired use cases are left out. Empty when less than three
        letters were typed, when nothing scores above ``MIN_SCORE``, or when the text looks
        like a secret value (it is then not searched at all). Never raises on odd input.
    """
    typed = _typed(name, purpose)
    if typed is None:
        return []
    queryset = (
        UseCase.objects.restrict(user, "view")
        .exclude(lifecycle_stage=LifecycleStage.RETIRED)
        .select_related("team", "team__parent", "owner")
        .defer(*_DEFERRED)
    )
    if exclude_id:
        queryset = queryset.exclude(pk=exclude_id)
    if connection.vendor == "postgresql":
        return _similar_postgres(queryset, typed, limit)
    return _similar_overlap(queryset, typed, limit)


def _prefix_query(words: list[str]) -> SearchQuery:
    """``w1:*AB | w2:*AB ...``: each word stemmed, as a prefix (the last word may be half
    typed), in the name or purpose only (weights A and B; a long description would match
    anything). The words are letters and digits only, so the raw tsquery syntax cannot break."""
    return SearchQuery(" | ".join(f"{w}:*AB" for w in words), search_type="raw", config="english")


def _similar_postgres(queryset, typed: _Typed, limit: int):
    # Candidates, each condition answered from an index: name % typed (trigram similarity
    # >= 0.3, the GIN trigram index on the name) or any typed word in the search vector (its
    # GIN index).
    condition = Q(search_vector=_prefix_query(typed.words)) if typed.words else Q()
    name_score = Value(0.0, output_field=FloatField())
    if len(typed.name) >= 3:
        condition |= Q(name__trigram_similar=typed.name)
        name_score = TrigramSimilarity("name", typed.name)
    # Coverage: the share of the typed words found in the name or purpose.
    coverage = Value(0.0, output_field=FloatField())
    if typed.words:
        hits = [
            Case(When(Q(search_vector=_prefix_query([w])), then=Value(1.0)), default=Value(0.0))
            for w in typed.words
        ]
        coverage = ExpressionWrapper(sum(hits[1:], hits[0]) / len(typed.words), output_field=FloatField())
    scored = queryset.filter(condition).annotate(name_score=name_score, coverage=coverage)
    scored = scored.annotate(similarity=(F("name_score") + F("coverage")) / 2)
    return list(scored.filter(similarity__gte=MIN_SCORE).order_by("-similarity", "name", "id")[:limit])


def _similar_overlap(queryset, typed: _Typed, limit: int):
    """SQLite: candidates share a word in the name or purpose; score = shared words (name
    words count double), over the words typed."""
    if not typed.words:
        return []
    condition = Q()
    for word in typed.words:
        condition |= Q(name__icontains=word) | Q(purpose__icontains=word)
    candidates = list(queryset.filter(condition)[:500])
    wanted = set(typed.words)
    name_words = {w for w in _WORD.findall(typed.name.lower()) if w in wanted}
    scored = []
    for use_case in candidates:
        in_name = set(_WORD.findall(use_case.name.lower()))
        in_purpose = set(_WORD.findall(use_case.purpose.lower()))
        shared_name = wanted & in_name
        shared = wanted & (in_name | in_purpose)
        weight = len(shared) + len(shared_name & name_words)
        score = weight / (len(wanted) + len(name_words))
        if score >= MIN_SCORE:
            use_case.similarity = min(1.0, score)
            scored.append(use_case)
    scored.sort(key=lambda uc: (-uc.similarity, uc.name.lower(), uc.pk))
    return scored[:limit]


def use_cases_named(user, text: str, *, exclude_id: int | None = None, limit: int = 20) -> list:
    """Use cases ``user`` may see whose name contains ``text`` (the connection picker's search).

    Args:
        user: the person searching.
        text: part of a name; fewer than 2 characters, or text that looks like a secret,
            finds nothing.
        exclude_id: a use case to leave out (the one being edited).
        limit: at most this many.

    Returns:
        A list of ``UseCase`` with ``team`` joined, best first: on PostgreSQL by trigram
        similarity (the ``ILIKE`` is served by the name's trigram index), on SQLite by name.
    """
    text = (text or "").replace("\x00", "").strip()[:200]  # PostgreSQL text holds no NUL
    if len(text) < 2 or secret_scan(text):
        return []
    queryset = (
        UseCase.objects.restrict(user, "view")
        .filter(name__icontains=text)
        .select_related("team")
        .only("id", "name", "team__id", "team__name")
    )
    if exclude_id:
        queryset = queryset.exclude(pk=exclude_id)
    if connection.vendor == "postgresql":
        queryset = queryset.annotate(similarity=TrigramSimilarity("name", text)).order_by(
            "-similarity", "name"
        )
    else:
        queryset = queryset.order_by("name", "id")
    return list(queryset[:limit])
