"""Similar use cases while a builder types (``registry.selectors.similar``): on PostgreSQL by
trigram similarity and the search vector, checked on the real demo (the 2025 federal
inventories and the marketing scenario); on SQLite by word overlap. Only what the person may
see; never an error on odd input; never a search with text that looks like a secret."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from registry.selectors.similar import use_cases_named, use_cases_similar
from tests.factories import MembershipFactory, TeamFactory, UseCaseFactory, UserFactory
from tests.registry.test_secret_guard import FAKES


def names(rows):
    return [row.name for row in rows]


@pytest.fixture
def builder(db):
    person = UserFactory(username="bea")
    person.groups.add(Group.objects.get(name="builder"))
    MembershipFactory(user=person, team=TeamFactory(name="Marketing"))
    return person


@pytest.mark.postgres
def test_on_the_demo_typing_finds_the_relevant_use_cases(django_db_blocker, db):
    """The demo as ``make demo`` loads it: 4,000+ use cases from the inventories."""
    from registry.demo import demo_seed

    demo_seed(password="demo-pass-for-tests", import_inventories=True)
    builder = User.objects.get(username="builder")
    use_cases_similar(builder, name="warm up")  # reads the person's standing once (2 queries)

    def top(name, purpose="", n=5):
        with CaptureQueriesContext(connection) as queries:
            rows = use_cases_similar(builder, name=name, purpose=purpose, limit=n)
        assert len(queries) == 1  # one query, whatever the registry's size
        return rows

    # The journey's name: the demo's own GPT comes first, with its team and owner.
    rows = top("Competitive analysis GPT")
    assert rows[0].name == "Competitive intelligence GPT"
    assert (rows[0].team.name, rows[0].owner.username) == ("Marketing", "builder")
    assert names(top("competitive intelligence"))[0] == "Competitive intelligence GPT"
    # A chatbot answering benefits questions: the inventories' HR chatbot ("benefits-related
    # inquiries"), and chatbots first of all.
    rows = top("chatbot for benefits")
    assert "HR Chatbot" in names(rows)[:2]
    assert all("chat" in row.name.lower() for row in rows[:3])
    # The purpose alone also finds it.
    assert "HR Chatbot" in names(top("", "chatbot for benefits", n=10))
    # Scores are between 0 and 1, best first.
    scores = [row.similarity for row in rows]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    # The name's filter (name % typed) can be answered from its GIN trigram index. At 4,000
    # rows the planner rightly prefers reading the table (about 30 ms either way), so the
    # alternatives are taken away, in a transaction rolled back, to see the index answer it.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP INDEX registry_uc_name_id")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM registry_usecase WHERE name %% %s", ["Competitive analysis GPT"]
        )
        plan = " ".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    assert "Bitmap Index Scan on registry_uc_name_trgm" in plan and "Index Cond" in plan


def test_word_overlap_and_visibility(builder):
    marketing = builder.memberships.get().team
    other = TeamFactory(name="Sales")
    UseCaseFactory(
        name="Competitive intelligence GPT", purpose="Battlecards from public sources", team=marketing
    )
    UseCaseFactory(name="Benefits chatbot", purpose="Answers questions about benefits", team=other)
    UseCaseFactory(name="Competitive pricing agent", purpose="Watches competitors' prices", team=other)
    UseCaseFactory(name="Competitive intel draft", team=other, is_draft=True)  # not theirs to see
    UseCaseFactory(name="Competitive intelligence v1", team=marketing, lifecycle_stage="retired")

    rows = use_cases_similar(builder, name="Competitive intelligence", purpose="")

    assert names(rows)[0] == "Competitive intelligence GPT"
    assert "Competitive intel draft" not in names(rows)
    assert "Competitive intelligence v1" not in names(rows)  # retired: nothing to join
    assert "Benefits chatbot" in names(use_cases_similar(builder, name="chatbot for benefits"))
    existing = marketing.use_cases.get(name="Competitive intelligence GPT")
    assert existing.pk not in [
        r.pk for r in use_cases_similar(builder, name="Competitive intelligence GPT", exclude_id=existing.pk)
    ]


@pytest.mark.parametrize(
    "text",
    ["", "  ", "ab", "%%", "'; DROP TABLE registry_usecase; --", "ü" * 300, "a:* | !b & (c", "\x00name"],
)
def test_odd_input_never_raises(builder, text):
    UseCaseFactory(name="Competitive intelligence GPT")
    assert isinstance(use_cases_similar(builder, name=text, purpose=text), list)
    assert isinstance(use_cases_named(builder, text), list)


def test_text_that_looks_like_a_secret_is_not_searched(builder):
    fake = next(f for f in FAKES if f.kind == "OpenAI API key")
    with CaptureQueriesContext(connection) as queries:
        assert use_cases_similar(builder, name=fake.text, purpose="") == []
        assert use_cases_similar(builder, name="Lead bot", purpose=f"uses {fake.text}") == []
        assert use_cases_named(builder, fake.text) == []
    assert len(queries) == 0
